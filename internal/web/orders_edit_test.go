package web_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/web"
)

// editFixture serves the API over an orderstest fixture's services, so the
// test can set up SKUs and orders directly and drive the edits by HTTP.
func editFixture(t *testing.T, db *store.DB) (*orderstest.Fixture, func(role auth.Role) *apiClient) {
	t.Helper()
	f := orderstest.New(t, db, orders.Options{})
	srv, err := web.New(web.Config{DB: db, Logger: slog.New(slog.DiscardHandler), Now: f.Clock.Now,
		Inventory: f.Inventory, Customers: f.Customers, Orders: f.Orders})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	client := func(role auth.Role) *apiClient {
		ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
		secret, _, err := auth.NewService(db, f.Clock.Now).CreateToken(ctx, auth.NewToken{Name: "edit-" + string(role), Role: role})
		if err != nil {
			t.Fatal(err)
		}
		return &apiClient{t: t, base: ts.URL + web.APIPrefix, token: secret}
	}
	return f, client
}

func TestOrderLineEditsAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f, client := editFixture(t, db)
		c := client(auth.Support)
		f.AddSKU("TEE-M", 5)
		f.AddSKU("TEE-L", 5)
		mug := f.AddSKU("MUG-1", 2)
		f.Policy(mug, inventory.PolicyInput{BackorderLimit: 2})
		p, err := f.Orders.Place(context.Background(), orderstest.Input("a@example.com", "TEE-M", 2, "MUG-1", 1))
		if err != nil {
			t.Fatal(err)
		}
		o := "/orders/" + strconv.FormatInt(p.Order.Number, 10)

		// Two more mugs: one in stock, one backordered; charged 20.00.
		r := c.must(200, "PATCH", o+"/lines/2", `{"quantity":3,"reason":"two more mugs"}`)
		for path, want := range map[string]string{
			"charge.amount": "20.00", "refund.amount": "0.00", "net.amount": "20.00", "charged.0.line": "2", "charged.0.units": "2",
			"order.lines.1.quantity": "3", "order.lines.1.reserved": "2", "order.lines.1.backordered": "1",
			"order.lines.1.state": "backordered", "order.state": "awaiting_stock", "order.total.amount": "50.00",
		} {
			if got := r.str(path); got != want {
				t.Errorf("quantity up: %s = %q, want %q", path, got, want)
			}
		}
		// Swap the tees to L at the same price: nets to zero.
		r = c.must(200, "PATCH", o+"/lines/1", `{"sku":"tee-l","reason":"customer asked for L"}`)
		if r.str("net.amount") != "0.00" || r.str("refund.amount") != "20.00" || r.str("order.lines.0.state") != "cancelled" ||
			r.str("order.lines.2.sku") != "TEE-L" || r.str("order.lines.2.quantity") != "2" {
			t.Errorf("swap: %s", r.raw)
		}
		// Back to M at a given price: 2 × 12.00 − 20.00 = 4.00 more.
		r = c.must(200, "PATCH", o+"/lines/3", `{"sku":"TEE-M","unit_price":{"amount":"12.00","currency":"EUR"},"reason":"M after all"}`)
		if r.str("net.amount") != "4.00" || r.str("order.lines.3.unit_price.amount") != "12.00" {
			t.Errorf("swap at a price: %s", r.raw)
		}
		// Add the last backorder slot, then remove that line again.
		r = c.must(201, "POST", o+"/lines", `{"sku":"MUG-1","quantity":1,"reason":"one for the office"}`)
		if r.str("charge.amount") != "10.00" || r.str("order.lines.4.backordered") != "1" {
			t.Errorf("add: %s", r.raw)
		}
		r = c.must(200, "DELETE", o+"/lines/5?reason=office+said+no", "")
		if r.str("refund.amount") != "10.00" || r.str("net.amount") != "-10.00" || r.str("order.lines.4.state") != "cancelled" {
			t.Errorf("remove: %s", r.raw)
		}

		tl := c.must(200, "GET", o+"/timeline", "")
		var events []string
		for i := 0; tl.str("items."+strconv.Itoa(i)+".event") != ""; i++ {
			e := "items." + strconv.Itoa(i)
			events = append(events, tl.str(e+".event"))
			if i > 0 && (!strings.HasPrefix(tl.str(e+".actor"), "token:") || tl.str(e+".reason") == "") {
				t.Errorf("entry %d without a token actor or a reason: %s", i, tl.str(e))
			}
		}
		if got := strings.Join(events, " "); !strings.Contains(got, "quantity_changed variant_swapped variant_swapped line_added line_removed") {
			t.Errorf("timeline events: %s", got)
		}
		pays := c.must(200, "GET", o+"/payments", "")
		if pays.str("items.0.kind") != "charge" || pays.str("items.0.amount.amount") != "20.00" {
			t.Errorf("payments: %s", pays.raw)
		}

		c.checkProblems([]problemCase{
			{"quantity and sku", "PATCH", o + "/lines/2", `{"quantity":2,"sku":"TEE-L","reason":"x"}`, 422, "invalid", "sku", ""},
			{"neither", "PATCH", o + "/lines/2", `{"reason":"x"}`, 422, "invalid", "quantity", ""},
			{"price without sku", "PATCH", o + "/lines/2", `{"quantity":2,"unit_price":{"amount":"1.00","currency":"EUR"},"reason":"x"}`, 422, "invalid", "unit_price", ""},
			{"zero quantity", "PATCH", o + "/lines/2", `{"quantity":0,"reason":"x"}`, 422, "invalid", "quantity", ""},
			{"no reason", "PATCH", o + "/lines/2", `{"quantity":2,"reason":" "}`, 422, "invalid", "reason", ""},
			{"price in another currency", "PATCH", o + "/lines/4", `{"sku":"TEE-L","unit_price":{"amount":"1.00","currency":"USD"},"reason":"x"}`, 422, "invalid", "unit_price", "USD"},
			{"unknown SKU", "POST", o + "/lines", `{"sku":"NOPE-1","quantity":1,"reason":"x"}`, 422, "invalid", "sku", "NOPE-1"},
			{"remove without reason", "DELETE", o + "/lines/2", "", 422, "invalid", "query.reason", ""},
			{"no such line", "PATCH", o + "/lines/9", `{"quantity":1,"reason":"x"}`, 404, "not_found", "", "no line 9"},
			{"no such order", "PATCH", "/orders/999999/lines/1", `{"quantity":1,"reason":"x"}`, 404, "not_found", "", "999999"},
			{"cancelled line", "PATCH", o + "/lines/1", `{"quantity":1,"reason":"x"}`, 409, "conflict", "", "cancelled"},
			{"past the backorder limit", "PATCH", o + "/lines/2", `{"quantity":5,"reason":"x"}`, 409, "unavailable", "quantity", "backorder limit"},
		})

		// The mugs arrive; once the order went to a supplier, no more edits.
		f.Report(mug, 10)
		c.must(200, "POST", o+"/send", `{}`)
		c.checkProblems([]problemCase{
			{"edit after send", "PATCH", o + "/lines/2", `{"quantity":1,"reason":"x"}`, 409, "conflict", "", "sent_to_supplier"},
			{"remove after send", "DELETE", o + "/lines/2?reason=x", "", 409, "conflict", "", "sent_to_supplier"},
		})

		ro := client(auth.ReadOnly)
		ro.must(403, "PATCH", o+"/lines/2", `{"quantity":1,"reason":"x"}`)
		ro.must(403, "POST", o+"/lines", `{"sku":"MUG-1","quantity":1,"reason":"x"}`)
		ro.must(403, "DELETE", o+"/lines/2?reason=x", "")
	})
}

func TestRemoveLastLineAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f, client := editFixture(t, db)
		c := client(auth.Operations)
		mug := f.AddSKU("MUG-1", 2)
		p, err := f.Orders.Place(context.Background(), orderstest.Input("a@example.com", "MUG-1", 1))
		if err != nil {
			t.Fatal(err)
		}
		o := "/orders/" + strconv.FormatInt(p.Order.Number, 10)
		c.checkProblems([]problemCase{
			{"last line", "DELETE", o + "/lines/1?reason=x", "", 409, "conflict", "", "cancel the order instead"},
			{"no stock, no backorders", "PATCH", o + "/lines/1", `{"quantity":3,"reason":"x"}`, 409, "unavailable", "quantity", "no backorders"},
		})
		if got, _ := f.Orders.Get(context.Background(), p.Order.Number); got.Lines[0].Quantity != 1 || f.ATS(mug) != 1 {
			t.Errorf("a refused edit changed the line: %+v", got.Lines[0])
		}
	})
}
