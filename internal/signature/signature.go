// Package signature signs and verifies the requests Orderly sends to other
// systems: integrators' webhooks (internal/webhooks), PO webhooks to
// suppliers (internal/purchasing) and the storefront webhook
// (internal/storefront). One scheme for all:
//
//	t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
//
// t is the Unix time of signing and v1 the hex HMAC-SHA256, under the
// shared secret, of t, a full stop and the raw body.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far from now a timestamp Verify should accept:
// receivers refuse older requests (replays).
const DefaultTolerance = 5 * time.Minute

// Sign returns the signature header value for body signed at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
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

// Verify checks a request as a receiver should: header must hold a
// timestamp within tolerance of now and a v1 signature of the raw body under
// secret (any of several v1 values, so a secret can be rotated). The
// comparison is in constant time. Verify the raw bytes before parsing them.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
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
