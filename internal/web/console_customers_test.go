package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestConsoleCustomers(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		seedConsole(t, s)
		o := seedConsoleOrders(t, s)
		ctx := auth.WithPrincipal(context.Background(), auth.System("seed"))
		// A second order by Ana, newer than her first.
		in := orders.PlaceInput{Currency: "EUR", Customer: orders.CustomerInput{Email: "ana@example.com"}, ShippingAddress: o.ana.ShippingAddress,
			PlacedAt: march(20), Lines: []orders.LineInput{{SKU: "MUG-RED", Quantity: 1}}}
		p, err := s.cfg.Orders.Place(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		second := p.Order
		c := newConsoleClient(t, base)
		c.login(consoleUser(t, s, auth.Finance, "finance@example.com"))

		r := c.get("/console/customers")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `href="/console/customers" aria-current="page"`, "Ana Lima", "bob@example.com", "cid@example.com",
			`<td class="num">2</td>`, "2026-03-20 10:00 UTC")
		r = c.htmx("/console/customers?q=STONE")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "Bob Stone")
		wantNotBody(t, r, "Ana Lima", "<html")
		r = c.get("/console/customers?q=nobody")
		wantBody(t, r, "No customers match this search.")

		cust := "/console/customers/" + num(o.ana.CustomerID)
		r = c.get(cust)
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "<h1>Ana Lima</h1>", "Ana@Example.com", "pt-BR", "Rua Augusta 100<br>1100-053 Lisboa<br>Portugal<br>",
			`<section class="panel" data-order="`+num(second.Number)+`"`, `<section class="panel" data-order="`+num(o.ana.Number)+`"`,
			// The newest order's timeline is open; the older one opens in place.
			"<details open>", `hx-get="/console/orders/`+num(o.ana.Number)+`/timeline"`, `<li data-event="placed">`)
		if strings.Index(r.body, `data-order="`+num(second.Number)) > strings.Index(r.body, `data-order="`+num(o.ana.Number)) {
			t.Error("orders are not newest first")
		}
		wantNotBody(t, r, "bob@example.com", "Load more")

		// The timeline of the older order, as htmx fetches it.
		c2 := newConsoleClient(t, base)
		c2.login(consoleUser(t, s, auth.Support, "support@example.com"))
		if r := c2.post(orderPath(o.ana)+"/cancel", url.Values{"reason": {"duplicate order"}}); r.status != http.StatusSeeOther {
			t.Fatalf("cancel: %d %s", r.status, r.body)
		}
		r = c.htmx("/console/orders/" + num(o.ana.Number) + "/timeline")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `<li data-event="cancelled">`, "“duplicate order”", "support@example.com (staff)", `<li data-event="placed">`)
		wantNotBody(t, r, "<html")
		if strings.Index(r.body, `data-event="cancelled"`) > strings.Index(r.body, `data-event="placed"`) {
			t.Error("timeline is not newest first")
		}
		// Without htmx the link goes to the order's page.
		r = c.get("/console/orders/" + num(o.ana.Number) + "/timeline")
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != orderPath(o.ana)+"#timeline" {
			t.Errorf("timeline without htmx goes to %q", loc)
		}
		wantStatus(t, c.htmx("/console/orders/999999/timeline"), http.StatusNotFound)

		wantStatus(t, c.get("/console/customers/999999"), http.StatusNotFound)
		wantStatus(t, c.get("/console/customers?after=nope!"), http.StatusUnprocessableEntity)
	})
}

// TestConsoleCustomerOrdersLoadMore pages through a customer's orders.
func TestConsoleCustomerOrdersLoadMore(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	s, base := newConsoleServer(t, db)
	seedConsole(t, s)
	o := seedConsoleOrders(t, s)
	ctx := auth.WithPrincipal(context.Background(), auth.System("seed"))
	if _, err := s.cfg.Inventory.SetPolicy(ctx, "APRON-NAT", inventory.PolicyInput{BackorderLimit: 1000}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for range consolePageSize + 2 {
		p, err := s.cfg.Orders.Place(ctx, orders.PlaceInput{Currency: "EUR", Customer: orders.CustomerInput{Email: "bob@example.com"},
			ShippingAddress: o.bob.ShippingAddress, Lines: []orders.LineInput{{SKU: "APRON-NAT", Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		want = append([]string{num(p.Order.Number)}, want...)
	}
	want = append(want, num(o.bob.Number))
	c := newConsoleClient(t, base)
	c.login(consoleUser(t, s, auth.Operations, "ops@example.com"))
	ordersOf := func(body string) []string {
		var out []string
		for _, part := range strings.Split(body, `<section class="panel" data-order="`)[1:] {
			n, _, _ := strings.Cut(part, `"`)
			out = append(out, n)
		}
		return out
	}
	r := c.get("/console/customers/" + num(o.bob.CustomerID))
	wantStatus(t, r, http.StatusOK)
	got := ordersOf(r.body)
	more := between(between(r.body, `<p class="more">`, "</p>"), `hx-get="`, `"`)
	if more == "" {
		t.Fatal("no Load more after a full page")
	}
	page := c.htmx(strings.ReplaceAll(more, "&amp;", "&"))
	wantStatus(t, page, http.StatusOK)
	wantNotBody(t, page, "<html", `<p class="more">`)
	got = append(got, ordersOf(page.body)...)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("orders %v, want %v", got, want)
	}
}
