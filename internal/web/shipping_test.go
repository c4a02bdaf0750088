package web_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/purchasing"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/shipping"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/web"
)

const trackingSecret = "tracking-secret"

// shippingAPI is a server with shipping and a tracking secret, two
// suppliers (A, the fixture's, and B) with a token each, and a staff token.
type shippingAPI struct {
	t      *testing.T
	fx     *orderstest.Fixture
	po     *purchasing.Service
	base   string
	staff  *apiClient
	a, b   *apiClient
	supA   int64
	supB   int64
	n      int
	secret string
}

func newShippingAPI(t *testing.T, db *store.DB, secret string) *shippingAPI {
	t.Helper()
	fx := orderstest.New(t, db, orders.Options{})
	po := purchasing.New(db, fx.Clock.Now, purchasing.Options{Timeline: fx.Orders})
	sh := shipping.New(db, po, fx.Orders, fx.Clock.Now, shipping.Options{})
	srv, err := web.New(web.Config{DB: db, Logger: slog.New(slog.DiscardHandler), Now: fx.Clock.Now,
		Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders, Shipping: sh, TrackingWebhookSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	a := &shippingAPI{t: t, fx: fx, po: po, base: ts.URL + web.APIPrefix, supA: fx.Supplier, secret: secret}
	if err := db.W.QueryRow(`INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
		VALUES ('Supplier B', 'Europe/Rome', 'IT', 'active', $1, $1) RETURNING id`, orderstest.T0).Scan(&a.supB); err != nil {
		t.Fatal(err)
	}
	secretStaff, _ := orderToken(t, db, fx, auth.Operations, "ops")
	a.staff = &apiClient{t: t, base: a.base, token: secretStaff}
	a.a = a.supplierClient(db, a.supA)
	a.b = a.supplierClient(db, a.supB)
	return a
}

func (a *shippingAPI) supplierClient(db *store.DB, sup int64) *apiClient {
	a.t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	secret, _, err := auth.NewService(db, a.fx.Clock.Now).CreateToken(ctx, auth.NewToken{Name: fmt.Sprintf("sup-%d", sup), Role: auth.Supplier, SupplierID: sup})
	if err != nil {
		a.t.Fatal(err)
	}
	return &apiClient{t: a.t, base: a.base, token: secret}
}

// order places an order of qty units of a new SKU stocked only at sup,
// sends it and puts it on sup's PO; it returns the order and PO line.
func (a *shippingAPI) order(sup int64, qty int) (number, poLine int64, supSKU string) {
	a.t.Helper()
	a.n++
	s := a.fx.AddSKU(fmt.Sprintf("SHIP-%d", a.n), 0)
	if _, err := a.fx.DB.W.Exec(`UPDATE supplier_offers SET supplier_id = $1 WHERE id = $2`, sup, s.Offer); err != nil {
		a.t.Fatal(err)
	}
	a.fx.Report(s, 20)
	ctx := context.Background()
	p, err := a.fx.Orders.Place(ctx, orderstest.Input(fmt.Sprintf("s%d@example.com", a.n), s.SKU, qty))
	if err != nil {
		a.t.Fatal(err)
	}
	o := p.Order
	if _, err := a.fx.Orders.SendToSupplier(ctx, o.Number, nil, ""); err != nil {
		a.t.Fatal(err)
	}
	a.fx.DB.R.QueryRow(`SELECT supplier_sku FROM supplier_offers WHERE id = $1`, s.Offer).Scan(&supSKU)
	as := []routing.Assignment{{OrderID: o.Number, OrderLineID: o.Lines[0].ID, Position: 1, SupplierID: sup, OfferID: s.Offer,
		VariantID: s.Variant, SKU: s.SKU, SupplierSKU: supSKU, Title: o.Lines[0].Title, Quantity: qty,
		UnitCost: money.Money{Amount: 500, Currency: "EUR"}}}
	if err := a.fx.DB.InTx(ctx, func(tx *sql.Tx) error { return a.po.AddTx(ctx, tx, as) }); err != nil {
		a.t.Fatal(err)
	}
	if err := a.fx.DB.R.QueryRow(`SELECT id FROM purchase_order_lines WHERE order_line_id = $1`, o.Lines[0].ID).Scan(&poLine); err != nil {
		a.t.Fatal(err)
	}
	return o.Number, poLine, supSKU
}

func sign(body, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

func (a *shippingAPI) hook(body, sig string) (int, string) {
	a.t.Helper()
	req, err := http.NewRequest("POST", a.base+"/tracking/events", strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(web.TrackingSignatureHeader, sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// TestShippingAPI: a supplier ships part of its line by API, then the rest
// by CSV; a signed tracking event delivers the order; a bad signature
// stores nothing; a bad UPS number is 422 naming UPS.
func TestShippingAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newShippingAPI(t, db, trackingSecret)
		number, poLine, supSKU := a.order(a.supA, 5)

		r := a.a.do("POST", "/supplier/shipments", fmt.Sprintf(`{"carrier":"ups","tracking_number":"12345","lines":[{"po_line_id":%d,"quantity":2}]}`, poLine))
		if r.status != 422 || !strings.Contains(r.raw, "UPS") {
			t.Errorf("bad UPS number: %d %s", r.status, r.raw)
		}
		r = a.a.must(201, "POST", "/supplier/shipments", fmt.Sprintf(`{"carrier":"ups","tracking_number":"1Z999AA10123456784","lines":[{"po_line_id":%d,"quantity":2}]}`, poLine))
		if r.str("merged") != "false" || r.str("shipment.order_number") != fmt.Sprint(number) || r.str("shipment.lines.0.quantity") != "2" {
			t.Errorf("add shipment: %s", r.raw)
		}
		st, raw, _ := sendRaw(t, nil, "POST", a.base+"/supplier/shipments/tracking?dry_run=true", a.a.token, "text/csv",
			strings.NewReader(fmt.Sprintf("order_number,supplier_sku,quantity,carrier,tracking_number\n%d,%s,3,Speedy,SP1\n%d,%s,9,ups,1Z999AA10123456785\n", number, supSKU, number, supSKU)))
		p := asReply(t, st, raw)
		if st != 200 || p.str("applied") != "1" || p.str("errors.0.line") != "3" || p.str("warnings.0.line") != "2" {
			t.Errorf("dry run CSV: %d %s", st, raw)
		}
		st, raw, _ = sendRaw(t, nil, "POST", a.base+"/supplier/shipments/tracking", a.a.token, "text/csv",
			strings.NewReader(fmt.Sprintf("order_number,supplier_sku,quantity,carrier,tracking_number\n%d,%s,3,Speedy,SP1\n", number, supSKU)))
		if p := asReply(t, st, raw); st != 200 || p.str("applied") != "1" {
			t.Errorf("CSV: %d %s", st, raw)
		}
		if o := a.staff.must(200, "GET", fmt.Sprintf("/orders/%d", number), ""); o.str("state") != "shipped" {
			t.Errorf("order after both parcels: %s", o.str("state"))
		}
		l := a.staff.must(200, "GET", fmt.Sprintf("/orders/%d/shipments", number), "")
		if l.str("items.1.id") == "" || l.str("items.2.id") != "" {
			t.Errorf("shipments of the order: %s", l.raw)
		}

		ev := func(id, num string) string {
			return fmt.Sprintf(`{"id":%q,"carrier":"ups","tracking_number":%q,"status":"delivered","occurred_at":"2026-03-03T10:00:00Z"}`, id, num)
		}
		body := `{"source":"aftership","events":[` + ev("e1", "1Z999AA10123456784") + `,` + ev("e2", "SP1") + `,` + ev("e3", "NOPE") + `]}`
		// Bad signature: 401 and nothing stored.
		if st, raw := a.hook(body, sign(body, "wrong")); st != 401 {
			t.Errorf("bad signature: %d %s", st, raw)
		}
		if st, raw := a.hook(body, ""); st != 401 {
			t.Errorf("no signature: %d %s", st, raw)
		}
		var n int
		db.R.QueryRow(`SELECT COUNT(*) FROM tracking_events`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d tracking events stored after bad signatures", n)
		}
		st, raw = a.hook(body, "sha256="+sign(body, trackingSecret))
		rp := asReply(t, st, raw)
		if st != 200 || rp.str("results.0.outcome") != "applied" || rp.str("results.2.outcome") != "unknown_tracking_number" {
			t.Fatalf("signed events: %d %s", st, raw)
		}
		// e2's carrier ups does not match the Speedy parcel SP1: unknown.
		if rp.str("results.1.outcome") != "unknown_tracking_number" {
			t.Errorf("event for SP1 as ups: %s", raw)
		}
		body2 := `{"source":"aftership","events":[{"id":"e4","carrier":"speedy","tracking_number":"sp1","status":"delivered","occurred_at":"2026-03-03T11:00:00Z"},` + ev("e1", "1Z999AA10123456784") + `]}`
		st, raw = a.hook(body2, sign(body2, trackingSecret))
		rp = asReply(t, st, raw)
		if st != 200 || rp.str("results.0.outcome") != "applied" || rp.str("results.1.outcome") != "duplicate" {
			t.Fatalf("second batch: %d %s", st, raw)
		}
		if o := a.staff.must(200, "GET", fmt.Sprintf("/orders/%d", number), ""); o.str("state") != "delivered" {
			t.Errorf("order after both parcels delivered: %s", o.str("state"))
		}
	})
}

// TestTrackingWebhookUnconfigured: without a secret the webhook is 503.
func TestTrackingWebhookUnconfigured(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newShippingAPI(t, db, "")
		body := `{"source":"x","events":[]}`
		if st, raw := a.hook(body, sign(body, "")); st != 503 {
			t.Errorf("unconfigured: %d %s", st, raw)
		}
	})
}

// TestShippingSupplierIsolation: supplier B can neither ship A's line, nor
// see or list A's shipments; staff can add on A's behalf.
func TestShippingSupplierIsolation(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newShippingAPI(t, db, trackingSecret)
		_, poLine, supSKU := a.order(a.supA, 2)
		number, _, _ := a.order(a.supA, 1)
		add := fmt.Sprintf(`{"carrier":"ups","tracking_number":"1Z999AA10123456784","lines":[{"po_line_id":%d,"quantity":1}]}`, poLine)
		if r := a.b.do("POST", "/supplier/shipments", add); r.status != 404 {
			t.Errorf("B ships A's line: %d %s", r.status, r.raw)
		}
		st, raw, _ := sendRaw(t, nil, "POST", a.base+"/supplier/shipments/tracking", a.b.token, "text/csv",
			strings.NewReader(fmt.Sprintf("po_line_id,quantity,carrier,tracking_number\n%d,1,ups,1Z999AA10123456784\n", poLine)))
		if p := asReply(t, st, raw); st != 200 || p.str("applied") != "0" || !strings.Contains(p.str("errors.0.message"), "not found") {
			t.Errorf("B's CSV for A's line: %d %s", st, raw)
		}
		_ = supSKU
		// Staff add on A's behalf.
		r := a.staff.must(201, "POST", fmt.Sprintf("/suppliers/%d/shipments", a.supA), add)
		id := r.str("shipment.id")
		if r.str("shipment.supplier_id") != fmt.Sprint(a.supA) || !strings.HasPrefix(r.str("shipment.created_by"), "token:") {
			t.Errorf("staff on behalf: %s", r.raw)
		}
		if r := a.b.do("GET", "/supplier/shipments/"+id, ""); r.status != 404 {
			t.Errorf("B reads A's shipment: %d %s", r.status, r.raw)
		}
		if r := a.b.must(200, "GET", "/supplier/shipments", ""); r.str("items.0.id") != "" {
			t.Errorf("B's list shows: %s", r.raw)
		}
		if r := a.a.must(200, "GET", "/supplier/shipments", ""); r.str("items.0.id") != id {
			t.Errorf("A's list: %s", r.raw)
		}
		if r := a.a.must(200, "GET", "/supplier/shipments/"+id, ""); r.str("id") != id {
			t.Errorf("A reads its shipment: %s", r.raw)
		}
		// Staff routes are closed to suppliers.
		for _, p := range []string{fmt.Sprintf("/orders/%d/shipments", number), "/shipments/" + id} {
			if r := a.b.do("GET", p, ""); r.status != 403 {
				t.Errorf("supplier on %s: %d", p, r.status)
			}
		}
		if r := a.b.do("POST", fmt.Sprintf("/suppliers/%d/shipments", a.supA), add); r.status != 403 {
			t.Errorf("supplier on the staff add: %d", r.status)
		}
	})
}
