package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Headers of an outbound webhook request.
const (
	// IDHeader is the event's id ("evt_42"): the same on every attempt and
	// replay and for every subscription, so a receiver can drop duplicates.
	IDHeader = "Orderly-Webhook-Id"
	// TimestampHeader is the Unix time (seconds) the request was signed,
	// the t of the signature.
	TimestampHeader = "Orderly-Webhook-Timestamp"
	// SignatureHeader carries the signature:
	//
	//	Orderly-Signature: t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
	//
	// v1 is the hex HMAC-SHA256, keyed with the subscription's secret (its
	// UTF-8 bytes, "whsec_" included), of t, a full stop and the raw body.
	// Each attempt is signed anew. It is the scheme of the PO webhooks
	// (purchasing.Sign) and the storefront webhook (storefront.Sign).
	SignatureHeader = "Orderly-Signature"
	// EventHeader is the event type ("order.placed"); AttemptHeader the
	// attempt number of the delivery (1 for the first).
	EventHeader   = "Orderly-Webhook-Event"
	AttemptHeader = "Orderly-Webhook-Attempt"
)

// DefaultTolerance is how far from now a signature's timestamp Verify
// accepts by default: receivers should refuse older requests (replays).
const DefaultTolerance = 5 * time.Minute

// Sign returns the SignatureHeader value for body signed at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("no valid t= and v1= in the signature header")
	ErrBadSignature = errors.New("signature does not match the body")
	ErrStale        = errors.New("signature timestamp outside the tolerance (a replayed request?)")
)

// Verify checks a request as a receiver should: header (the SignatureHeader
// value) must hold a timestamp within tolerance of now and a v1 signature of
// the raw body under secret (any of several v1 values is enough). The
// comparison is in constant time. Verify the raw bytes before parsing them.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return ErrBadSignature
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrNoSignature
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		ok = hmac.Equal(s, want) || ok
	}
	if !ok {
		return ErrBadSignature
	}
	if age := now.Sub(time.Unix(secs, 0)); age > tolerance || age < -tolerance {
		return ErrStale
	}
	return nil
}
