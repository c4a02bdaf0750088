package webhooks

import (
	"time"

	"github.com/orderly-oms/orderly/internal/signature"
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
	// Each attempt is signed anew. It is the scheme of the PO webhooks and
	// the storefront webhook too (internal/signature).
	SignatureHeader = "Orderly-Signature"
	// EventHeader is the event type ("order.placed"); AttemptHeader the
	// attempt number of the delivery (1 for the first).
	EventHeader   = "Orderly-Webhook-Event"
	AttemptHeader = "Orderly-Webhook-Attempt"
)

// DefaultTolerance is how far from now a signature's timestamp Verify
// accepts by default: receivers should refuse older requests (replays).
const DefaultTolerance = signature.DefaultTolerance

// Sign returns the SignatureHeader value for body signed at t with a
// subscription's secret (internal/signature).
func Sign(secret string, t time.Time, body []byte) string {
	return signature.Sign([]byte(secret), t, body)
}

// Errors of Verify.
var (
	ErrNoSignature  = signature.ErrNoSignature
	ErrBadSignature = signature.ErrBadSignature
	ErrStale        = signature.ErrStale
)

// Verify checks a request as a receiver should: header (the SignatureHeader
// value) must hold a timestamp within tolerance of now and a v1 signature of
// the raw body under secret (any of several v1 values is enough). The
// comparison is in constant time. Verify the raw bytes before parsing them.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	return signature.Verify([]byte(secret), header, body, now, tolerance)
}
