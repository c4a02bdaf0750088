package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/integrations/shopify"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/suppliers"
	"github.com/orderly-oms/orderly/internal/web"
)

const shopifySecret = "shpss_0123456789abcdef0123456789abcdef"

// shopifyStore is a server wired as `orderly serve` wires it, with a
// catalog holding the SKUs of Shopify's fixture orders (three iPod Nano
// colours, in stock at one supplier).
type shopifyStore struct {
	t      testing.TB
	db     *store.DB
	base   string // the server's URL
	url    string // the webhook's
	inv    *inventory.Service
	orders *orders.Service
	skus   map[string]int64 // variant id by SKU
	offers map[string]int64 // offer id by SKU
}

type shopifyStoreOptions struct {
	secret  string
	short   orders.ShortPolicy
	maxBody int64
	stock   map[string]int // units reported per SKU (default 10 each)
}

func newShopifyStore(t testing.TB, db *store.DB, o shopifyStoreOptions) *shopifyStore {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC) }
	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	cat := catalog.NewService(db, now)
	sup := suppliers.NewService(db, now)
	inv := inventory.New(db, now, inventory.Options{})
	cust := customers.NewService(db, now)
	ord, err := orders.New(db, inv, cust, nil, now, orders.Options{ShortOrders: o.short, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	st := &shopifyStore{t: t, db: db, inv: inv, orders: ord, skus: map[string]int64{}, offers: map[string]int64{}}

	price, _ := money.Parse("199.00", "USD")
	p, err := cat.CreateProduct(ctx, catalog.NewProduct{Title: "IPod Nano - 8gb", Status: "active", Variants: []catalog.NewVariant{
		{SKU: "IPOD2008GREEN", Title: "green", Price: price, Status: "active"},
		{SKU: "IPOD2008RED", Title: "red", Price: price, Status: "active"},
		{SKU: "IPOD2008BLACK", Title: "black", Price: price, Status: "active"},
	}})
	if err != nil {
		t.Fatalf("create product: %v", err)
	}
	supplier, err := sup.CreateSupplier(ctx, suppliers.NewSupplier{Name: "Louisville Electronics", Timezone: "America/New_York", Country: "US"})
	if err != nil {
		t.Fatalf("create supplier: %v", err)
	}
	cost, _ := money.Parse("120.00", "USD")
	for i, v := range p.Variants {
		sku := string(v.SKU)
		st.skus[sku] = v.ID
		offer, err := sup.CreateOffer(ctx, suppliers.NewOffer{SupplierID: supplier.ID, VariantID: v.ID, SupplierSKU: "LE-" + sku,
			Cost: cost, LeadTimeDays: 2, MinOrderQty: 1, Priority: 1})
		if err != nil {
			t.Fatalf("offer %d: %v", i, err)
		}
		st.offers[sku] = offer.ID
		qty, ok := o.stock[sku]
		if !ok {
			qty = 10
		}
		if _, err := inv.Report(ctx, offer.ID, qty, time.Time{}, "test"); err != nil {
			t.Fatalf("report stock of %s: %v", sku, err)
		}
	}

	srv, err := web.New(web.Config{DB: db, Logger: slog.New(slog.DiscardHandler), Now: now, MaxBodyBytes: o.maxBody,
		Catalog: cat, Suppliers: sup, Inventory: inv, Customers: cust, Orders: ord, ShopifyWebhookSecret: o.secret})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	st.base, st.url = ts.URL, ts.URL+web.ShopifyOrdersCreatePath
	return st
}

// shopifyOrder returns the current-shape fixture order (API 2026-07, from
// Shopify's Ruby client tests) as a bare orders/create body.
func shopifyOrder(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../integrations/shopify/testdata/shopify-api-ruby__test_rest_2026_07_order_test__GET_orders.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Orders []json.RawMessage `json:"orders"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Orders) == 0 {
		t.Fatalf("fixture: %v", err)
	}
	return doc.Orders[0]
}

// edit changes a JSON order body, keeping numbers exact.
func edit(t testing.TB, body []byte, fn func(o map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var o map[string]any
	if err := dec.Decode(&o); err != nil {
		t.Fatal(err)
	}
	fn(o)
	out, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type delivery struct {
	body      []byte
	signature string // "" sends no header
	topic     string
	id        string
}

func signed(body []byte, id string) delivery {
	return delivery{body: body, signature: shopify.Sign(body, []byte(shopifySecret)), topic: "orders/create", id: id}
}

type webhookReply struct {
	status  int
	ctype   string
	order   *int64
	created bool
	refused map[string]any
	problem map[string]any
	raw     string
}

func (st *shopifyStore) deliver(d delivery) webhookReply {
	st.t.Helper()
	req, err := http.NewRequest(http.MethodPost, st.url, bytes.NewReader(d.body))
	if err != nil {
		st.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Shop-Domain", "jsmith.myshopify.com")
	req.Header.Set("X-Shopify-API-Version", "2026-07")
	if d.signature != "" {
		req.Header.Set("X-Shopify-Hmac-Sha256", d.signature)
	}
	if d.topic != "" {
		req.Header.Set("X-Shopify-Topic", d.topic)
	}
	if d.id != "" {
		req.Header.Set("X-Shopify-Webhook-Id", d.id)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := webhookReply{status: res.StatusCode, ctype: res.Header.Get("Content-Type"), raw: string(raw)}
	if res.StatusCode == http.StatusOK {
		var body struct {
			Order   *int64         `json:"order"`
			Created bool           `json:"created"`
			Refused map[string]any `json:"refused"`
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			st.t.Fatalf("200 with a body that is not a reply: %s", raw)
		}
		r.order, r.created, r.refused = body.Order, body.Created, body.Refused
	} else if err := json.Unmarshal(raw, &r.problem); err != nil {
		st.t.Fatalf("%d with a body that is not a problem: %s", res.StatusCode, raw)
	}
	return r
}

// count returns the number of rows in table.
func (st *shopifyStore) count(table string) int {
	st.t.Helper()
	var n int
	if err := st.db.R.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		st.t.Fatal(err)
	}
	return n
}

func (st *shopifyStore) ats(sku string) int {
	st.t.Helper()
	n, err := st.inv.ATS(context.Background(), st.db.R, st.skus[sku])
	if err != nil {
		st.t.Fatal(err)
	}
	return n
}

// nothingStored fails unless no order, customer or delivery was written.
func (st *shopifyStore) nothingStored(when string) {
	st.t.Helper()
	for _, table := range []string{"orders", "order_lines", "customers", "webhook_deliveries"} {
		if n := st.count(table); n != 0 {
			st.t.Errorf("%s: %d rows in %s, want none", when, n, table)
		}
	}
	if n := st.ats("IPOD2008GREEN"); n != 10 {
		st.t.Errorf("%s: ATS of IPOD2008GREEN %d, want 10 (nothing reserved)", when, n)
	}
}

func wantProblem(t *testing.T, r webhookReply, status int, code, detail string) {
	t.Helper()
	if r.status != status || r.ctype != "application/problem+json" || r.problem["code"] != code ||
		!strings.Contains(r.problem["detail"].(string), detail) {
		t.Errorf("got %d %s %s, want %d problem %s containing %q", r.status, r.ctype, r.raw, status, code, detail)
	}
}

func TestShopifyWebhookSignature(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := newShopifyStore(t, db, shopifyStoreOptions{secret: shopifySecret})
		body := shopifyOrder(t)

		missing := signed(body, "d-1")
		missing.signature = ""
		wantProblem(t, st.deliver(missing), 401, "unauthenticated", "X-Shopify-Hmac-Sha256 header is missing")

		wrongKey := signed(body, "d-1")
		wrongKey.signature = shopify.Sign(body, []byte("another shop's secret"))
		wantProblem(t, st.deliver(wrongKey), 401, "unauthenticated", "does not match")

		tampered := signed(body, "d-1")
		tampered.body = bytes.Replace(body, []byte(`"quantity": 1`), []byte(`"quantity": 9`), 1)
		if bytes.Equal(tampered.body, body) {
			t.Fatal("the fixture changed: nothing was tampered with")
		}
		wantProblem(t, st.deliver(tampered), 401, "unauthenticated", "does not match")

		garbage := signed(body, "d-1")
		garbage.signature = "not-base64!"
		wantProblem(t, st.deliver(garbage), 401, "unauthenticated", "does not match")
		st.nothingStored("after unsigned and badly signed deliveries")

		// The same body, properly signed, is placed.
		r := st.deliver(signed(body, "d-1"))
		if r.status != 200 || r.order == nil || !r.created || r.ctype != "application/json" {
			t.Fatalf("signed delivery: %d %s", r.status, r.raw)
		}
		o, err := st.orders.Get(context.Background(), *r.order)
		if err != nil {
			t.Fatal(err)
		}
		// The order as Shopify totals it: 597.00 − 10.00 + 11.94 tax.
		if o.Channel != "shopify" || o.ExternalID != "450789469" || o.Total.String() != "598.94 USD" ||
			o.Discount.String() != "10.00 USD" || o.Tax.String() != "11.94 USD" || o.Email != "bob.norman@mail.example.com" ||
			len(o.Lines) != 3 || o.Payment.Status != "partially_refunded" {
			t.Errorf("placed order: %+v", o)
		}
		if n := st.ats("IPOD2008GREEN"); n != 9 {
			t.Errorf("ATS of IPOD2008GREEN %d, want 9", n)
		}
	})
}

func TestShopifyWebhookDeduplicates(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := newShopifyStore(t, db, shopifyStoreOptions{secret: shopifySecret})
		body := shopifyOrder(t)

		// Shopify delivers the same webhook three times (a slow answer, a
		// retry, a duplicate): one order, the first answer created it.
		var number int64
		for i := range 3 {
			r := st.deliver(signed(body, "b9b5f0a5-delivery-1"))
			if r.status != 200 || r.order == nil || r.created != (i == 0) {
				t.Fatalf("delivery %d: %d %s, want 200 with created=%v", i+1, r.status, r.raw, i == 0)
			}
			if i == 0 {
				number = *r.order
			} else if *r.order != number {
				t.Errorf("delivery %d answered order %d, want %d", i+1, *r.order, number)
			}
		}
		// The same Shopify order under another delivery id (a second
		// subscription, or a resend from the admin): still that order.
		r := st.deliver(signed(body, "b9b5f0a5-delivery-2"))
		if r.status != 200 || r.order == nil || *r.order != number || r.created {
			t.Errorf("same order, new delivery: %d %s, want order %d created=false", r.status, r.raw, number)
		}
		if n := st.count("orders"); n != 1 {
			t.Errorf("%d orders, want 1", n)
		}
		if n := st.count("webhook_deliveries"); n != 1 {
			t.Errorf("%d deliveries recorded, want 1 (the one that created the order)", n)
		}
		for sku := range st.skus {
			if n := st.ats(sku); n != 9 {
				t.Errorf("ATS of %s %d, want 9: reserved once", sku, n)
			}
		}

		// A different Shopify order is a new order: the deduplication is by
		// id, not "everything after the first".
		other := edit(t, body, func(o map[string]any) { o["id"] = json.Number("450789470") })
		r = st.deliver(signed(other, "b9b5f0a5-delivery-3"))
		if r.status != 200 || r.order == nil || !r.created || *r.order == number {
			t.Errorf("another order: %d %s, want a new order", r.status, r.raw)
		}
		if n := st.count("orders"); n != 2 {
			t.Errorf("%d orders, want 2", n)
		}

		// The outcomes are counted for monitoring.
		res, err := http.Get(st.base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, want := range []string{
			`orderly_shopify_webhooks_total{outcome="created"} 2`,
			`orderly_shopify_webhooks_total{outcome="duplicate"} 3`,
			`orderly_shopify_webhooks_total{outcome="refused"} 0`,
		} {
			if !strings.Contains(string(metrics), want+"\n") {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

func TestShopifyWebhookRefusals(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		body := shopifyOrder(t)
		t.Run("not configured", func(t *testing.T) {
			st := newShopifyStore(t, storetest.Open(t, db.Engine), shopifyStoreOptions{})
			wantProblem(t, st.deliver(signed(body, "n-1")), 503, "unavailable", "shopify webhooks are not configured")
			st.nothingStored("not configured")
		})
		st := newShopifyStore(t, db, shopifyStoreOptions{secret: shopifySecret, maxBody: 64 << 10})
		t.Run("another topic", func(t *testing.T) {
			d := signed(body, "t-1")
			d.topic = "orders/updated"
			wantProblem(t, st.deliver(d), 422, "invalid", `topic "orders/updated" is not accepted here`)
			d.topic = ""
			wantProblem(t, st.deliver(d), 422, "invalid", `topic (none) is not accepted here`)
		})
		t.Run("too large", func(t *testing.T) {
			big := edit(t, body, func(o map[string]any) { o["note"] = strings.Repeat("x", 64<<10) })
			wantProblem(t, st.deliver(signed(big, "l-1")), 413, "too_large", "larger than the limit of 64 KiB")
		})
		t.Run("a line without a SKU", func(t *testing.T) {
			noSKU := edit(t, body, func(o map[string]any) { o["line_items"].([]any)[2].(map[string]any)["sku"] = nil })
			r := st.deliver(signed(noSKU, "s-1"))
			wantProblem(t, r, 422, "invalid", "line_items[2].sku")
			if errs, _ := r.problem["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["field"] != "line_items[2].sku" {
				t.Errorf("errors: %s", r.raw)
			}
		})
		t.Run("a SKU Orderly does not know", func(t *testing.T) {
			unknown := edit(t, body, func(o map[string]any) { o["line_items"].([]any)[1].(map[string]any)["sku"] = "IPOD2008PINK" })
			r := st.deliver(signed(unknown, "u-1"))
			wantProblem(t, r, 422, "invalid", "IPOD2008PINK")
			if errs, _ := r.problem["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["field"] != "line_items[1].sku" {
				t.Errorf("errors name Orderly's field, not Shopify's: %s", r.raw)
			}
		})
		st.nothingStored("after refused deliveries")
	})
}

// TestShopifyWebhookOutOfStock: under the refuse policy an order that cannot
// be met is acknowledged (200, order null, the refusal in the body) so that
// Shopify stops retrying it, and nothing is stored; under the hold policy it
// is placed on hold for stock.
func TestShopifyWebhookOutOfStock(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		body := shopifyOrder(t)
		t.Run("refuse", func(t *testing.T) {
			st := newShopifyStore(t, db, shopifyStoreOptions{secret: shopifySecret, stock: map[string]int{"IPOD2008BLACK": 0}})
			r := st.deliver(signed(body, "o-1"))
			if r.status != 200 || r.order != nil || r.created || r.refused["code"] != "unavailable" {
				t.Fatalf("refused order: %d %s, want 200 with order null and the refusal", r.status, r.raw)
			}
			if errs, _ := r.refused["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["field"] != "line_items[2].quantity" ||
				!strings.Contains(r.refused["detail"].(string), "line_items[2] IPOD2008BLACK") {
				t.Errorf("refusal does not name Shopify's line: %s", r.raw)
			}
			st.nothingStored("after a refused order")
			// The refusal is kept for staff, not only logged; a retry is one
			// more attempt of the same rejection.
			st.deliver(signed(body, "o-2"))
			rej, _, err := st.orders.Rejections(context.Background(), orders.RejectionFilter{Open: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(rej) != 1 || rej[0].Code != "unavailable" || rej[0].Attempts != 2 || rej[0].ExternalID == "" ||
				rej[0].DeliveryID != "o-2" || !strings.Contains(rej[0].Reason, "IPOD2008BLACK") || !json.Valid([]byte(rej[0].Payload)) {
				t.Fatalf("rejections %+v", rej)
			}
			// Once stock arrives, Shopify's next retry places it and resolves the rejection.
			if _, err := st.inv.Report(context.Background(), st.offers["IPOD2008BLACK"], 5, time.Time{}, "test"); err != nil {
				t.Fatal(err)
			}
			if r := st.deliver(signed(body, "o-3")); r.status != 200 || r.order == nil || !r.created {
				t.Fatalf("retry with stock: %d %s", r.status, r.raw)
			}
			all, _, _ := st.orders.Rejections(context.Background(), orders.RejectionFilter{})
			if len(all) != 1 || all[0].ResolvedAt == nil || !strings.HasPrefix(all[0].Resolution, "placed as order") {
				t.Errorf("rejection after the order was placed: %+v", all)
			}
		})
		// Pending payment is held, and so is a short order under the hold
		// policy.
		t.Run("hold", func(t *testing.T) {
			st := newShopifyStore(t, storetest.Open(t, db.Engine), shopifyStoreOptions{secret: shopifySecret, short: orders.HoldShort,
				stock: map[string]int{"IPOD2008BLACK": 0}})
			pending := edit(t, body, func(o map[string]any) {
				o["id"] = json.Number("450789471")
				o["financial_status"] = "pending"
			})
			r := st.deliver(signed(pending, "h-1"))
			if r.status != 200 || r.order == nil || !r.created {
				t.Fatalf("held order: %d %s", r.status, r.raw)
			}
			o, err := st.orders.Get(context.Background(), *r.order)
			if err != nil {
				t.Fatal(err)
			}
			reasons := map[orders.HoldReason]bool{}
			for _, h := range o.Holds {
				reasons[h.Reason] = true
			}
			if o.State != orders.OnHold || !reasons[orders.HoldPayment] || !reasons[orders.HoldStock] {
				t.Errorf("order %d: state %s, holds %+v; want on_hold for payment and stock", o.Number, o.State, o.Holds)
			}
		})
	})
}

// BenchmarkShopifyWebhook measures a signed orders/create delivery of the
// three-line fixture order through the whole stack on SQLite: "new order"
// places it (customer, reservations, order, lines, timeline, events, delivery
// record in one transaction); "duplicate" is the baseline of the same
// request answered from the deduplication lookup.
func BenchmarkShopifyWebhook(b *testing.B) {
	st := newShopifyStore(b, storetest.Open(b, store.SQLite), shopifyStoreOptions{secret: shopifySecret,
		stock: map[string]int{"IPOD2008GREEN": 1_000_000, "IPOD2008RED": 1_000_000, "IPOD2008BLACK": 1_000_000}})
	body := shopifyOrder(b)
	b.Run("new order", func(b *testing.B) {
		st.t = b
		n := 0
		for b.Loop() {
			n++
			id := strconv.Itoa(1_000_000 + n)
			o := edit(b, body, func(o map[string]any) { o["id"] = json.Number(id) })
			if r := st.deliver(signed(o, "bench-"+id)); r.status != http.StatusOK || !r.created {
				b.Fatalf("%d %s", r.status, r.raw)
			}
		}
	})
	b.Run("duplicate", func(b *testing.B) {
		st.t = b
		for b.Loop() {
			if r := st.deliver(signed(body, "bench-dup")); r.status != http.StatusOK {
				b.Fatalf("%d %s", r.status, r.raw)
			}
		}
	})
}
