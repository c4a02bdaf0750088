package storefront

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"
)

// Other packages send their own things to the storefronts (coupons, for
// one) through the Sender, so every call to a target shares its rate limit,
// its retries on 5xx and network failures, and its waits on 429 and Shopify
// throttles; a wait beyond Options.MaxWait is a *ThrottledError.

// Endpoint is what a caller needs to know of a target to send it something.
type Endpoint struct {
	ID       int64
	Name     string
	Kind     Kind
	Currency string // Shopify: the store's currency (empty: not set)
}

// Endpoints returns the enabled targets in id order.
func (s *Sender) Endpoints(ctx context.Context) ([]Endpoint, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, name, kind, currency FROM storefront_targets WHERE enabled ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list storefront targets: %w", err)
	}
	defer rows.Close()
	var out []Endpoint
	for rows.Next() {
		var e Endpoint
		if err := rows.Scan(&e.ID, &e.Name, &e.Kind, &e.Currency); err != nil {
			return nil, fmt.Errorf("list storefront targets: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// TopicHeader names what a webhook delivery other than a stock and price
// batch carries, e.g. "coupon.created". Stock batches have no topic.
const TopicHeader = "X-Orderly-Topic"

// PostJSON POSTs body (JSON) to a webhook target's URL with topic in
// TopicHeader, signed with the target's secret (SignatureHeader) anew on
// every try.
func (s *Sender) PostJSON(ctx context.Context, target int64, topic string, body []byte) error {
	_, c, err := loadTarget(ctx, s.db.R, target)
	if err != nil {
		return err
	}
	if c.kind != KindWebhook {
		return fmt.Errorf("storefront target %d is a %s target, not a webhook", target, c.kind)
	}
	secret := []byte(c.secret)
	_, err = s.caller(c).do(ctx, request{build: func(now time.Time) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(TopicHeader, topic)
		req.Header.Set(SignatureHeader, Sign(secret, now, body))
		return req, nil
	}})
	return err
}

// ShopifyGraphQL runs one GraphQL Admin API operation (named op) on a
// Shopify target and decodes its data into out.
func (s *Sender) ShopifyGraphQL(ctx context.Context, target int64, op, query string, vars, out any) error {
	_, c, err := loadTarget(ctx, s.db.R, target)
	if err != nil {
		return err
	}
	if c.kind != KindShopify {
		return fmt.Errorf("storefront target %d is a %s target, not Shopify", target, c.kind)
	}
	p := &shopify{c: s.caller(c), db: s.db}
	return p.gql(ctx, op, query, vars, out)
}
