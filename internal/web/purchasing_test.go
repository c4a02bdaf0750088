package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/purchasing"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// poFixture places one order per supplier and puts its line on that
// supplier's purchase order, sent through the console.
func poFixture(t *testing.T, a *orderAPI, db *store.DB) (supA, supB int64, lineA, lineB string) {
	t.Helper()
	ctx := context.Background()
	supA = a.fx.Supplier
	if err := db.W.QueryRow(`INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
		VALUES ('Beta', 'Europe/Rome', 'IT', 'active', $1, $1) RETURNING id`, orderstest.T0).Scan(&supB); err != nil {
		t.Fatal(err)
	}
	svc := purchasing.New(db, a.fx.Clock.Now, purchasing.Options{Timeline: a.fx.Orders})
	var as []routing.Assignment
	for i, sup := range []int64{supA, supB} {
		sku := a.fx.AddSKU(fmt.Sprintf("PO-SKU-%d", i), 10)
		in := orderstest.Input(fmt.Sprintf("po%d@example.com", i), sku.SKU, 3)
		in.ShippingAddress.Name = fmt.Sprintf("Customer %c", 'A'+i)
		placed, err := a.fx.Orders.Place(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		o := placed.Order
		as = append(as, routing.Assignment{OrderID: o.Number, OrderLineID: o.Lines[0].ID, SupplierID: sup, OfferID: sku.Offer,
			VariantID: sku.Variant, SKU: sku.SKU, SupplierSKU: fmt.Sprintf("S%d-%s", sup, sku.SKU), Title: "Thing",
			Quantity: 3, UnitCost: money.Money{Amount: 500, Currency: "EUR"}})
	}
	if err := db.InTx(ctx, func(tx *sql.Tx) error { return svc.AddTx(ctx, tx, as) }); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.SendDue(ctx); n != 2 || err != nil {
		t.Fatalf("send: %d %v", n, err)
	}
	return supA, supB, "1", "2"
}

func supplierToken(t *testing.T, a *orderAPI, sup int64) *apiClient {
	t.Helper()
	c := a.must(201, "POST", "/tokens", fmt.Sprintf(`{"name":"portal %d","supplier_id":%d}`, sup, sup))
	return &apiClient{t: t, base: a.base, token: c.str("token")}
}

func TestPurchaseOrdersStaffAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Admin, orders.Options{})
		supA, supB, lineA, _ := poFixture(t, a, db)

		l := a.must(200, "GET", fmt.Sprintf("/purchase-orders?supplier_id=%d", supB), "")
		if l.str("items.0.number") != "PO-5002" || l.str("items.1.id") != "" {
			t.Fatalf("list by supplier: %s", l.raw)
		}
		if l := a.must(200, "GET", "/purchase-orders?unacknowledged=true&limit=1", ""); l.str("items.0.id") != "5002" || l.str("next") == "" {
			t.Fatalf("unacknowledged page: %s", l.raw)
		}
		po := a.must(200, "GET", "/purchase-orders/5001", "")
		if po.str("state") != "sent" || po.str("lines.0.pending") != "3" || po.str("sends.0.ok") != "true" ||
			po.str("total_cost.amount") != "15.00" {
			t.Fatalf("detail: %s", po.raw)
		}
		a.must(404, "GET", "/purchase-orders/9999", "")
		a.must(409, "POST", "/purchase-orders/5001/resend", "")
		// On behalf of the supplier: the line must belong to the PO in the path.
		a.must(404, "POST", "/purchase-orders/5002/lines/"+lineA+"/answer", `{"accepted":1}`)
		a.must(422, "POST", "/purchase-orders/5001/lines/"+lineA+"/answer", `{"rejected":1}`)
		ans := a.must(200, "POST", "/purchase-orders/5001/lines/"+lineA+"/answer", `{"accepted":3}`)
		if ans.str("state") != "accepted" || !strings.HasPrefix(ans.str("answered_by"), "token:") {
			t.Fatalf("answer on behalf: %s", ans.raw)
		}
		if po := a.must(200, "GET", "/purchase-orders/5001", ""); po.str("state") != "acknowledged" {
			t.Fatalf("after answer: %s", po.raw)
		}

		// Fulfilment settings.
		path := fmt.Sprintf("/suppliers/%d/fulfilment", supA)
		if f := a.must(200, "GET", path, ""); f.str("default") != "true" || f.str("channel") != "console" {
			t.Fatalf("defaults: %s", f.raw)
		}
		a.must(422, "PUT", path, `{"channel":"webhook","webhook_url":"http://example.com/po","batch":"immediate","ack_sla_minutes":60,"shipping_estimate":{"amount":"0.00","currency":"EUR"}}`)
		f := a.must(200, "PUT", path, `{"channel":"webhook","webhook_url":"https://example.com/po","batch":"cutoffs","cutoff_minutes":[900,540],"ack_sla_minutes":60,"shipping_estimate":{"amount":"4.50","currency":"EUR"}}`)
		if !strings.HasPrefix(f.str("webhook_secret"), "whsec_") || f.str("cutoff_minutes.0") != "540" {
			t.Fatalf("put: %s", f.raw)
		}
		if g := a.must(200, "GET", path, ""); g.str("webhook_secret") != "" || g.str("default") != "false" {
			t.Fatalf("secret shown again: %s", g.raw)
		}
		a.must(404, "GET", "/suppliers/9999/fulfilment", "")

		// Read-only staff read but do not write; suppliers reach no staff route.
		ro := a.as(auth.ReadOnly)
		ro.must(200, "GET", "/purchase-orders", "")
		ro.must(403, "POST", "/purchase-orders/5001/lines/"+lineA+"/answer", `{"accepted":1}`)
		tok := supplierToken(t, a, supA)
		tok.must(403, "GET", "/purchase-orders", "")
		tok.must(403, "GET", "/purchase-orders/5001", "")
		tok.must(403, "GET", path, "")
	})
}

func TestSupplierPortalPurchaseOrderIsolation(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Admin, orders.Options{})
		supA, supB, lineA, lineB := poFixture(t, a, db)
		ta, tb := supplierToken(t, a, supA), supplierToken(t, a, supB)

		// Each sees only its own.
		if l := ta.must(200, "GET", "/supplier/purchase-orders", ""); l.str("items.0.id") != "5001" || l.str("items.1.id") != "" {
			t.Fatalf("A's list: %s", l.raw)
		}
		if l := tb.must(200, "GET", "/supplier/purchase-orders?state=sent", ""); l.str("items.0.id") != "5002" || l.str("items.1.id") != "" {
			t.Fatalf("B's list: %s", l.raw)
		}
		po := ta.must(200, "GET", "/supplier/purchase-orders/5001", "")
		if po.str("document.orders.0.ship_to.name") != "Customer A" || strings.Contains(po.raw, "Customer B") {
			t.Fatalf("A's PO: %s", po.raw)
		}
		// A cannot see or answer B's PO or lines, by any path.
		ta.must(404, "GET", "/supplier/purchase-orders/5002", "")
		ta.must(404, "POST", "/supplier/purchase-orders/5002/lines/"+lineB+"/answer", `{"accepted":1}`)
		ta.must(404, "POST", "/supplier/purchase-orders/5001/lines/"+lineB+"/answer", `{"accepted":1}`)
		st, raw, _ := sendRaw(t, nil, "POST", ta.base+"/supplier/purchase-orders/reply", ta.token, "text/csv",
			strings.NewReader("po_line_id,accepted_qty,rejected_qty,reason\n"+lineB+",1,,\n"))
		if r := asReply(t, st, raw); st != 200 || r.str("applied") != "false" || r.str("errors.0.line") != "2" {
			t.Fatalf("A's reply for B's line: %d %s", st, raw)
		}
		st, raw, _ = sendRaw(t, nil, "POST", ta.base+"/supplier/purchase-orders/reply", ta.token, "text/csv",
			strings.NewReader("po_number,supplier_sku,accepted_qty\nPO-5002,"+fmt.Sprintf("S%d-PO-SKU-1", supB)+",1\n"))
		if r := asReply(t, st, raw); st != 200 || r.str("applied") != "false" {
			t.Fatalf("A's reply by B's PO number: %d %s", st, raw)
		}
		st, raw, _ = sendRaw(t, nil, "GET", ta.base+"/supplier/purchase-orders/open.csv", ta.token, "", nil)
		if st != 200 || !strings.Contains(raw, "Customer A") || strings.Contains(raw, "Customer B") || strings.Contains(raw, "PO-5002") {
			t.Fatalf("A's export: %d %s", st, raw)
		}
		if l := tb.must(200, "GET", "/supplier/purchase-orders/5002", ""); l.str("lines.0.pending") != "3" {
			t.Fatalf("B's line changed by A: %s", l.raw)
		}

		// A answers its own line, by API and by CSV (dry run first).
		if r := ta.must(200, "POST", "/supplier/purchase-orders/5001/lines/"+lineA+"/answer", `{"accepted":1,"rejected":1,"reason":"one broken"}`); r.str("pending") != "1" || r.str("rejected") != "1" {
			t.Fatalf("A's answer: %s", r.raw)
		}
		st, raw, _ = sendRaw(t, nil, "POST", ta.base+"/supplier/purchase-orders/reply?dry_run=true", ta.token, "text/csv",
			strings.NewReader("po_line_id,accepted_qty\n"+lineA+",1\n"))
		if r := asReply(t, st, raw); st != 200 || r.str("dry_run") != "true" || r.str("answers") != "1" || r.str("applied") != "false" {
			t.Fatalf("dry run: %d %s", st, raw)
		}
		st, raw, _ = sendRaw(t, nil, "POST", ta.base+"/supplier/purchase-orders/reply", ta.token, "text/csv",
			strings.NewReader("po_line_id,accepted_qty\n"+lineA+",1\n"))
		if r := asReply(t, st, raw); st != 200 || r.str("applied") != "true" || r.str("lines.0.state") != "accepted" {
			t.Fatalf("reply: %d %s", st, raw)
		}
		// Staff see the supplier's answers.
		if po := a.must(200, "GET", "/purchase-orders/5001", ""); po.str("state") != "acknowledged" || po.str("lines.0.accepted") != "2" ||
			po.str("lines.0.reject_reason") != "one broken" {
			t.Fatalf("staff view: %s", po.raw)
		}
		// Staff cannot use the portal.
		a.must(403, "GET", "/supplier/purchase-orders", "")
	})
}
