package storefront

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/signature"
)

// SignatureHeader carries a webhook delivery's signature:
//
//	X-Orderly-Signature: t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
//
// t is the Unix time of signing and v1 the hex HMAC-SHA256, under the
// target's secret, of t, a full stop, and the raw body. Each try of a
// delivery is signed anew.
const SignatureHeader = "X-Orderly-Signature"

// DefaultTolerance is how old a signed delivery Verify accepts.
const DefaultTolerance = signature.DefaultTolerance

// WebhookBatch is the JSON body of a webhook delivery.
type WebhookBatch struct {
	Items []WebhookItem `json:"items"`
}

// WebhookItem is one variant's values. They are the latest values, not
// changes: applying an item twice, or an older delivery after a newer one
// of the same SKU (compare changed_at), must leave the newer values.
type WebhookItem struct {
	SKU       string      `json:"sku"`
	Available int         `json:"available"`
	Price     money.Money `json:"price"`
	ChangedAt time.Time   `json:"changed_at"`
}

// Sign returns the X-Orderly-Signature value for body signed at t (the
// scheme of internal/signature).
func Sign(secret []byte, t time.Time, body []byte) string { return signature.Sign(secret, t, body) }

// Errors of Verify.
var (
	ErrNoSignature  = signature.ErrNoSignature
	ErrBadSignature = signature.ErrBadSignature
	ErrStale        = signature.ErrStale
)

// Verify checks a delivery as a receiver should: the header must hold a
// timestamp within tolerance of now and a v1 signature of the raw body under
// secret (any of several v1 values, so a secret can be rotated). Compare
// in constant time; never parse the body before verifying it.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	return signature.Verify(secret, header, body, now, tolerance)
}

// webhook publishes to a generic signed webhook: one POST per batch.
type webhook struct {
	c *caller
}

func (p *webhook) publish(ctx context.Context, items []*item) error {
	batch := WebhookBatch{Items: make([]WebhookItem, len(items))}
	for i, it := range items {
		batch.Items[i] = WebhookItem{SKU: it.sku, Available: it.available, Price: it.price, ChangedAt: it.changedAt}
	}
	body, err := json.Marshal(batch)
	if err != nil {
		return fmt.Errorf("encode webhook batch: %w", err)
	}
	secret := []byte(p.c.target.secret)
	_, err = p.c.do(ctx, request{build: func(now time.Time) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, p.c.target.url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(SignatureHeader, Sign(secret, now, body))
		return req, nil
	}})
	return err
}
