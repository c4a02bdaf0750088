package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/integrations/shopify"
	"github.com/orderly-oms/orderly/internal/orders"
)

// WebhooksPrefix is where storefront webhooks arrive. They live outside the
// API: a storefront authenticates by signing the body, not with a token, and
// Shopify's retry rules, not Idempotency-Key, govern repeats.
const WebhooksPrefix = "/webhooks/"

// ShopifyOrdersCreatePath receives Shopify's orders/create webhook.
const ShopifyOrdersCreatePath = WebhooksPrefix + "shopify/orders-create"

// ShopifyWebhookReply is the body of a 200 answer to Shopify. Order is the
// Orderly order number (null if the order was refused); Created is false for
// a repeat of an order already placed (same delivery id or same Shopify
// order id). Refused, when set, says why Orderly did not take the order; the
// delivery is still acknowledged (docs/decisions/0005-shopify-webhooks.md).
type ShopifyWebhookReply struct {
	Order   *int64   `json:"order"`
	Created bool     `json:"created"`
	Refused *Problem `json:"refused,omitempty"`
}

// registerShopifyWebhooks registers the Shopify webhook route. It is public
// in the route table (no login, no token); the handler authenticates each
// delivery by its HMAC signature.
func (s *Server) registerShopifyWebhooks() {
	outcomes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "orderly_shopify_webhooks_total",
		Help: "Shopify webhook deliveries by outcome: created, duplicate, refused, invalid, unauthenticated, unconfigured, error.",
	}, []string{"outcome"})
	for _, o := range []string{"created", "duplicate", "refused", "invalid", "unauthenticated", "unconfigured", "error"} {
		outcomes.WithLabelValues(o) // report zeros, so an alert on refused has a series to watch
	}
	if s.metrics != nil {
		s.metrics.registry.MustRegister(outcomes)
	}
	s.routes = append(s.routes, Route{Method: http.MethodPost, Path: ShopifyOrdersCreatePath, Permission: auth.Public})
	s.mux.HandleFunc("POST "+ShopifyOrdersCreatePath, func(w http.ResponseWriter, r *http.Request) {
		outcomes.WithLabelValues(s.shopifyOrdersCreate(w, r)).Inc()
	})
}

// shopifyOrdersCreate places the order of one orders/create delivery and
// returns the outcome it counts under. The order of checks matters: nothing
// about the payload is looked at before its signature is verified.
func (s *Server) shopifyOrdersCreate(w http.ResponseWriter, r *http.Request) string {
	ctx := r.Context()
	secret := s.cfg.ShopifyWebhookSecret
	if secret == "" || s.cfg.Orders == nil {
		// 503: Shopify retries for a while, so deliveries made before the
		// secret is set are not lost if it is set soon.
		writeProblem(w, r, http.StatusServiceUnavailable, apperr.Unavailable, "shopify webhooks are not configured")
		return "unconfigured"
	}
	body, err := io.ReadAll(r.Body) // bounded by the server's body limit (limitBody)
	if err != nil {
		if isMaxBytesError(err) {
			writeProblem(w, r, http.StatusRequestEntityTooLarge, TooLarge, tooLargeDetail(s.cfg.MaxBodyBytes))
			return "invalid"
		}
		writeProblem(w, r, http.StatusBadRequest, apperr.Invalid, "could not read the request body")
		return "invalid"
	}
	shop := r.Header.Get(shopify.HeaderShop)
	delivery := strings.TrimSpace(r.Header.Get(shopify.HeaderWebhookID))
	sig := r.Header.Get(shopify.HeaderHMAC)
	if !shopify.VerifyHMAC(body, sig, []byte(secret)) {
		detail := "the " + shopify.HeaderHMAC + " signature does not match the body: is the webhook secret right?"
		if strings.TrimSpace(sig) == "" {
			detail = "the " + shopify.HeaderHMAC + " header is missing: only Shopify may call this address"
		}
		s.log.WarnContext(ctx, "shopify webhook refused: bad signature", "shop", shop, "delivery", delivery,
			"signed", sig != "", "remote", r.RemoteAddr)
		writeProblem(w, r, http.StatusUnauthorized, apperr.Unauthenticated, detail)
		return "unauthenticated"
	}
	if topic := strings.TrimSpace(r.Header.Get(shopify.HeaderTopic)); topic != shopify.TopicOrdersCreate {
		writeProblem(w, r, http.StatusUnprocessableEntity, apperr.Invalid,
			"topic "+quoteOrNone(topic)+" is not accepted here: subscribe this address to "+shopify.TopicOrdersCreate+" only")
		return "invalid"
	}

	in, err := shopify.ParseOrder(body)
	if err != nil {
		s.log.ErrorContext(ctx, "shopify order not placed: invalid payload", "shop", shop, "delivery", delivery, "err", err)
		s.keepRejection(ctx, in.ExternalID, delivery, body, err)
		writeShopifyProblem(w, r, err)
		return "invalid"
	}
	in.DeliveryID = delivery
	placed, err := s.cfg.Orders.Place(ctx, in)
	var refusal *orders.RefusalError
	switch {
	case errors.As(err, &refusal):
		// Refused for stock under the store's refuse policy. The sale has
		// happened at Shopify whatever we answer; a non-2xx answer would
		// only make Shopify repeat the same question and, after repeated
		// failures, drop the subscription with every later order. So
		// acknowledge it, say why in the body, and make it loud here.
		s.log.ErrorContext(ctx, "shopify order refused: not enough stock; handle it in Shopify admin", "shop", shop,
			"delivery", delivery, "shopify_order", in.ExternalID, "email", in.Customer.Email, "err", err)
		s.keepRejection(ctx, in.ExternalID, delivery, body, err)
		writeJSON(w, http.StatusOK, ShopifyWebhookReply{Refused: shopifyProblem(err)})
		return "refused"
	case apperr.Is(err, apperr.Unavailable):
		// Unavailable but not a refusal: something we depend on is down.
		// 503, so that Shopify tries again.
		s.log.ErrorContext(ctx, "shopify webhook failed", "shop", shop, "delivery", delivery, "err", err)
		writeProblem(w, r, http.StatusServiceUnavailable, apperr.Unavailable, "orders cannot be placed now: try again later")
		return "error"
	case err != nil:
		// Invalid (unknown SKU, ...) gets 422 and Shopify retries it for a
		// few hours: fixing the catalog in that time lets a retry succeed.
		// Anything else is ours (500) and worth a retry too.
		p := problemFrom(err)
		if p.Status >= 500 {
			s.log.ErrorContext(ctx, "shopify webhook failed", "shop", shop, "delivery", delivery, "err", err)
		} else {
			s.log.ErrorContext(ctx, "shopify order not placed", "shop", shop, "delivery", delivery,
				"shopify_order", in.ExternalID, "err", err)
			s.keepRejection(ctx, in.ExternalID, delivery, body, err)
		}
		writeShopifyProblem(w, r, err)
		if p.Status >= 500 {
			return "error"
		}
		return "invalid"
	}
	number := placed.Order.Number
	s.log.InfoContext(ctx, "shopify order received", "shop", shop, "delivery", delivery, "shopify_order", in.ExternalID,
		"order", number, "created", placed.Created, "state", placed.Order.State)
	writeJSON(w, http.StatusOK, ShopifyWebhookReply{Order: &number, Created: placed.Created})
	if placed.Created {
		return "created"
	}
	return "duplicate"
}

// shopifyProblem is the problem document of a service error, with the
// fields named as in Shopify's payload (lines[2].sku is line_items[2].sku:
// ParseOrder keeps Shopify's line order), so the merchant can find them.
func shopifyProblem(err error) *Problem {
	p := problemFrom(err)
	p.Detail = strings.ReplaceAll(p.Detail, "lines[", "line_items[")
	for i, f := range p.Errors {
		field := f.Field
		switch {
		case strings.HasPrefix(field, "lines["):
			field = "line_items[" + strings.TrimPrefix(field, "lines[")
			field = strings.Replace(field, "].unit_price", "].price", 1)
		case field == "customer.email":
			field = "email"
		case field == "discount":
			field = "total_discounts"
		case field == "shipping":
			field = "shipping_lines"
		}
		p.Errors[i].Field = field
	}
	return p
}

// writeShopifyProblem writes a service error as a problem document, field details
// included, outside huma.
func writeShopifyProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := shopifyProblem(err)
	p.Instance = r.URL.Path
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

func quoteOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return strconv.Quote(s)
}

// keepRejection records a Shopify order that could not be placed, so it is
// listed for staff (GET /api/v1/intake/rejections) rather than lost in a log.
// A failure to record it is logged: the answer to Shopify does not change.
func (s *Server) keepRejection(ctx context.Context, externalID, delivery string, body []byte, cause error) {
	_, err := s.cfg.Orders.RecordRejection(context.WithoutCancel(ctx), orders.Rejection{Channel: "shopify",
		ExternalID: externalID, DeliveryID: delivery, Code: string(apperr.CodeOf(cause)), Reason: cause.Error(), Payload: string(body)})
	if err != nil {
		s.log.ErrorContext(ctx, "record rejected shopify order", "delivery", delivery, "err", err)
	}
}
