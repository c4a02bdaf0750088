package storefront_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/storefront"
)

// fakeStorefront is an httptest storefront that records what it accepted.
// It speaks both protocols: signed webhook batches on /hook and Shopify's
// GraphQL Admin API on /admin/api/{version}/graphql.json.
type fakeStorefront struct {
	t  testing.TB
	ts *httptest.Server

	mu sync.Mutex
	// script answers the next requests before the normal handling: each
	// entry is consumed by one request; returning false passes it on.
	script []func(w http.ResponseWriter, r *http.Request, body []byte) bool
	// onRequest runs when a request arrives, before it is answered (a change
	// made while a send is in flight).
	onRequest func(n int)
	requests  int // every request received, answered or not

	// Webhook: accepted deliveries with their signature headers.
	batches    []storefront.WebhookBatch
	signatures []string
	rawBodies  [][]byte

	// Shopify: the store's variants by SKU, and what was accepted.
	variants  map[string]shopVariant // SKU as the store has it
	badItems  map[string]bool        // inventory items the store refuses
	lookups   []string               // the search queries
	inventory []shopQuantity         // accepted quantities, in order
	prices    []shopPrice            // accepted prices, in order
	tokens    []string               // access tokens seen
}

type shopVariant struct{ id, item, product string }

type shopQuantity struct {
	Item     string
	Location string
	Quantity int
}

type shopPrice struct {
	Product string
	Variant string
	Price   string
}

func newFakeStorefront(t testing.TB) *fakeStorefront {
	f := &fakeStorefront{t: t, variants: map[string]shopVariant{}, badItems: map[string]bool{}}
	f.ts = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.ts.Close)
	return f
}

func (f *fakeStorefront) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("read request: %v", err)
		return
	}
	f.mu.Lock()
	f.requests++
	n := f.requests
	hook := f.onRequest
	var step func(http.ResponseWriter, *http.Request, []byte) bool
	if len(f.script) > 0 {
		step, f.script = f.script[0], f.script[1:]
	}
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	if step != nil && step(w, r, body) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.URL.Path == "/hook":
		var b storefront.WebhookBatch
		if err := json.Unmarshal(body, &b); err != nil {
			f.t.Errorf("webhook body is not a batch: %v: %s", err, body)
			w.WriteHeader(400)
			return
		}
		f.batches = append(f.batches, b)
		f.signatures = append(f.signatures, r.Header.Get(storefront.SignatureHeader))
		f.rawBodies = append(f.rawBodies, body)
		w.WriteHeader(http.StatusNoContent)
	case strings.HasPrefix(r.URL.Path, "/admin/api/") && strings.HasSuffix(r.URL.Path, "/graphql.json"):
		f.tokens = append(f.tokens, r.Header.Get(storefront.ShopifyAccessTokenHeader))
		f.graphql(w, body)
	default:
		http.NotFound(w, r)
	}
}

// graphql answers the three operations Orderly sends, as Shopify would.
func (f *fakeStorefront) graphql(w http.ResponseWriter, body []byte) {
	var req struct {
		OperationName string          `json:"operationName"`
		Variables     json.RawMessage `json:"variables"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		f.t.Errorf("GraphQL body: %v", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch req.OperationName {
	case "OrderlyLookupVariants":
		var v struct {
			Query string `json:"query"`
			First int    `json:"first"`
		}
		json.Unmarshal(req.Variables, &v)
		f.lookups = append(f.lookups, v.Query)
		var nodes []map[string]any
		for _, term := range strings.Split(v.Query, " OR ") {
			sku := strings.Trim(strings.TrimPrefix(term, "sku:"), `"`)
			for storeSKU, sv := range f.variants {
				if strings.EqualFold(storeSKU, sku) {
					nodes = append(nodes, map[string]any{"id": sv.id, "sku": storeSKU,
						"product": map[string]any{"id": sv.product}, "inventoryItem": map[string]any{"id": sv.item}})
				}
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"productVariants": map[string]any{"nodes": nodes}}})
	case "OrderlySetInventory":
		var v struct {
			Input struct {
				Name       string `json:"name"`
				Reason     string `json:"reason"`
				Quantities []struct {
					InventoryItemID    string          `json:"inventoryItemId"`
					LocationID         string          `json:"locationId"`
					Quantity           int             `json:"quantity"`
					ChangeFromQuantity json.RawMessage `json:"changeFromQuantity"`
				} `json:"quantities"`
			} `json:"input"`
		}
		json.Unmarshal(req.Variables, &v)
		if v.Input.Name != "available" || v.Input.Reason != "correction" {
			f.t.Errorf("inventorySetQuantities name %q reason %q", v.Input.Name, v.Input.Reason)
		}
		var errs []map[string]any
		for i, q := range v.Input.Quantities {
			if string(q.ChangeFromQuantity) != "null" {
				f.t.Errorf("quantity %d: changeFromQuantity %s, want an explicit null", i, q.ChangeFromQuantity)
			}
			if f.badItems[q.InventoryItemID] {
				errs = append(errs, map[string]any{"field": []string{"input", "quantities", itoa(i), "inventoryItemId"},
					"message": "The specified inventory item could not be found.", "code": "INVALID_INVENTORY_ITEM"})
			}
		}
		if len(errs) == 0 { // all or nothing, as Shopify applies a call
			for _, q := range v.Input.Quantities {
				f.inventory = append(f.inventory, shopQuantity{Item: q.InventoryItemID, Location: q.LocationID, Quantity: q.Quantity})
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"inventorySetQuantities": map[string]any{"userErrors": nonNil(errs)}}})
	case "OrderlySetPrices":
		var v struct {
			ProductID string `json:"productId"`
			Variants  []struct {
				ID    string `json:"id"`
				Price string `json:"price"`
			} `json:"variants"`
		}
		json.Unmarshal(req.Variables, &v)
		for _, pv := range v.Variants {
			f.prices = append(f.prices, shopPrice{Product: v.ProductID, Variant: pv.ID, Price: pv.Price})
		}
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"productVariantsBulkUpdate": map[string]any{"userErrors": []any{}}}})
	default:
		f.t.Errorf("unexpected GraphQL operation %q", req.OperationName)
		w.WriteHeader(400)
	}
}

func nonNil(v []map[string]any) []map[string]any {
	if v == nil {
		return []map[string]any{}
	}
	return v
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// answer scripts the next request's answer.
func (f *fakeStorefront) answer(status int, header map[string]string, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, func(w http.ResponseWriter, _ *http.Request, _ []byte) bool {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
		return true
	})
}

// skus returns the SKUs with available and price of every accepted webhook
// item, in delivery order: "SKU=available@price".
func (f *fakeStorefront) deliveries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, b := range f.batches {
		for _, it := range b.Items {
			out = append(out, it.SKU+"="+itoa(it.Available)+"@"+it.Price.String())
		}
	}
	return out
}

func (f *fakeStorefront) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches, f.signatures, f.rawBodies = nil, nil, nil
	f.lookups, f.inventory, f.prices, f.tokens = nil, nil, nil, nil
	f.requests = 0
}

func (f *fakeStorefront) requestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// rig is a store with SKUs, a storefront service, a sender whose clock only
// moves when it sleeps, and a fake storefront.
type rig struct {
	t      testing.TB
	db     *store.DB
	fx     *orderstest.Fixture
	svc    *storefront.Service
	sender *storefront.Sender
	fake   *fakeStorefront

	mu     sync.Mutex
	sleeps []time.Duration
}

const hookSecret = "whsec-test-0123456789abcdef"

func newRig(t testing.TB, db *store.DB, opts storefront.Options) *rig {
	t.Helper()
	r := &rig{t: t, db: db, fx: orderstest.New(t, db, orders.Options{}), fake: newFakeStorefront(t)}
	r.svc = storefront.New(db, r.fx.Clock.Now, nil)
	opts.Now = r.fx.Clock.Now
	opts.Sleep = func(ctx context.Context, d time.Duration) error {
		r.mu.Lock()
		r.sleeps = append(r.sleeps, d)
		r.mu.Unlock()
		r.fx.Clock.Set(r.fx.Clock.Now().Add(d))
		return ctx.Err()
	}
	if opts.Jitter == nil {
		opts.Jitter = func(time.Duration) time.Duration { return 0 }
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	r.sender = storefront.NewSender(db, opts)
	return r
}

func (r *rig) slept() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.sleeps...)
}

// webhook creates a webhook target and drains its initial full sync.
func (r *rig) webhook(in storefront.NewTarget) *storefront.Target {
	r.t.Helper()
	in.Kind = storefront.KindWebhook
	if in.Name == "" {
		in.Name = "hook"
	}
	in.URL = r.fake.ts.URL + "/hook"
	if in.Secret == "" {
		in.Secret = hookSecret
	}
	tg, err := r.svc.CreateTarget(context.Background(), in)
	if err != nil {
		r.t.Fatal(err)
	}
	r.drain(tg.ID)
	r.fake.reset()
	r.mu.Lock()
	r.sleeps = nil
	r.mu.Unlock()
	return tg
}

func (r *rig) drain(target int64) storefront.DrainResult {
	r.t.Helper()
	res, err := r.sender.Drain(context.Background(), target)
	if err != nil {
		r.t.Fatalf("drain: %v", err)
	}
	return res
}

// outbox returns the SKUs pending for target, sorted.
func (r *rig) outbox(target int64) []string {
	r.t.Helper()
	ps, err := r.svc.Outbox(context.Background(), target, 0, 1000)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.SKU)
	}
	sort.Strings(out)
	return out
}

// sortedLookups copies the lookup queries (their SKU terms are in queue
// order, which is creation order in these tests).
func sortedLookups(qs []string) []string { return append([]string(nil), qs...) }

func sortQuantities(qs []shopQuantity) []shopQuantity {
	out := append([]shopQuantity(nil), qs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Item < out[j].Item })
	return out
}

func sortPrices(ps []shopPrice) []shopPrice {
	out := append([]shopPrice(nil), ps...)
	sort.Slice(out, func(i, j int) bool { return out[i].Variant < out[j].Variant })
	return out
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }
