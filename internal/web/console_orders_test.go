package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// consoleOrders are the orders seedConsoleOrders places.
type consoleOrders struct {
	// ana: MUG-BLUE × 2 and MUG-RED × 1, ready to route, via the API, placed
	// on 2 March.
	ana *orders.Order
	// bob: APRON-NAT × 1, backordered (APRON-NAT has no stock), via shopify,
	// placed on 5 March.
	bob *orders.Order
	// cid: MUG-BLUE × 1 with the payment pending, so on hold (payment),
	// placed on 9 March.
	cid *orders.Order
}

var march = func(day int) time.Time { return time.Date(2026, 3, day, 10, 0, 0, 0, time.UTC) }

// seedConsoleOrders places three orders over the seedConsole store.
func seedConsoleOrders(t *testing.T, s *Server) consoleOrders {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System("seed"))
	restock := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.cfg.Inventory.SetPolicy(ctx, "APRON-NAT", inventory.PolicyInput{BackorderLimit: 10, RestockExpectedAt: &restock}); err != nil {
		t.Fatal(err)
	}
	addr := customers.Address{Name: "Ana Lima", Line1: "Rua Augusta 100", City: "Lisboa", PostalCode: "1100-053", Country: "PT"}
	place := func(in orders.PlaceInput) *orders.Order {
		t.Helper()
		p, err := s.cfg.Orders.Place(ctx, in)
		if err != nil {
			t.Fatalf("place %s: %v", in.Customer.Email, err)
		}
		return p.Order
	}
	var out consoleOrders
	out.ana = place(orders.PlaceInput{Currency: "EUR", Customer: orders.CustomerInput{Email: "Ana@Example.com", Name: "Ana Lima", Locale: "pt-BR"},
		ShippingAddress: addr, PlacedAt: march(2), Shipping: money.Money{Amount: 490, Currency: "EUR"},
		Lines: []orders.LineInput{{SKU: "MUG-BLUE", Quantity: 2}, {SKU: "MUG-RED", Quantity: 1}}})
	out.bob = place(orders.PlaceInput{Channel: "shopify", ExternalID: "SH-77", Currency: "EUR", Customer: orders.CustomerInput{Email: "bob@example.com", Name: "Bob Stone"},
		ShippingAddress: addr, PlacedAt: march(5), Lines: []orders.LineInput{{SKU: "APRON-NAT", Quantity: 1}}})
	out.cid = place(orders.PlaceInput{Currency: "EUR", Customer: orders.CustomerInput{Email: "cid@example.com"}, ShippingAddress: addr,
		PlacedAt: march(9), Payment: orders.PaymentSignal{Status: "pending"}, Lines: []orders.LineInput{{SKU: "MUG-BLUE", Quantity: 1}}})
	if out.ana.State != orders.ReadyToRoute || out.bob.State != orders.AwaitingStock || out.cid.State != orders.OnHold {
		t.Fatalf("seed states %s %s %s, want ready_to_route awaiting_stock on_hold", out.ana.State, out.bob.State, out.cid.State)
	}
	return out
}

func num(n int64) string { return strconv.FormatInt(n, 10) }

// orderNumbers returns the order numbers listed in a page of the orders list, in order.
func orderNumbers(body string) []string {
	var out []string
	for _, part := range strings.Split(body, `<tr data-order="`)[1:] {
		n, _, _ := strings.Cut(part, `"`)
		out = append(out, n)
	}
	return out
}

func TestConsoleOrdersList(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		seedConsole(t, s)
		o := seedConsoleOrders(t, s)
		c := newConsoleClient(t, base)
		c.login(consoleUser(t, s, auth.Support, "support@example.com"))

		r := c.get("/console/orders")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `href="/console/orders" aria-current="page"`, "Ana@Example.com", "bob@example.com",
			`<span class="badge bad" data-state="on_hold">on hold</span>`, `<span class="badge bad">payment</span>`,
			"<td class=\"num hide-sm\">2 / 3</td>", "58.90 EUR", "shopify", "SH-77", "2026-03-02 10:00 UTC")
		if got, want := orderNumbers(r.body), []string{num(o.cid.Number), num(o.bob.Number), num(o.ana.Number)}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("orders listed %v, want newest first %v", got, want)
		}
		wantNotBody(t, r, "Load more")

		tests := []struct {
			name, query string
			want        []int64
		}{
			{"state", "state=awaiting_stock", []int64{o.bob.Number}},
			{"hold", "hold=payment", []int64{o.cid.Number}},
			{"backordered", "backordered=1", []int64{o.bob.Number}},
			{"channel", "channel=Shopify", []int64{o.bob.Number}},
			{"from", "from=2026-03-05", []int64{o.cid.Number, o.bob.Number}},
			{"to includes its day", "to=2026-03-05", []int64{o.bob.Number, o.ana.Number}},
			{"range", "from=2026-03-03&to=2026-03-08", []int64{o.bob.Number}},
			{"number", "q=%23" + num(o.ana.Number), []int64{o.ana.Number}},
			{"email prefix", "q=ana%40ex", []int64{o.ana.Number}},
			{"sku", "q=mug-red", []int64{o.ana.Number}},
			{"external id", "q=SH-77", []int64{o.bob.Number}},
			{"pre-ordered", "preordered=1", nil},
			{"keyset", "after=" + EncodeCursor(o.bob.Number), []int64{o.ana.Number}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := c.get("/console/orders?" + tt.query)
				wantStatus(t, r, http.StatusOK)
				var want []string
				for _, n := range tt.want {
					want = append(want, num(n))
				}
				if got := orderNumbers(r.body); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("?%s listed %v, want %v", tt.query, got, want)
				}
			})
		}

		// Filters the page cannot apply say why, next to the input.
		r = c.get("/console/orders?from=5%2F3%2F2026&state=lost")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="from-err"`, "is not a date like 2026-03-01", `role="alert"`)
		r = c.get("/console/orders?state=lost")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, "unknown state", `<select id="state" name="state" aria-invalid="true">`)
		// htmx only swaps 2xx answers: the error comes as a row.
		r = c.htmx("/console/orders?to=2026-03-01&from=2026-03-02")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "must not be before the from date")
		wantNotBody(t, r, "<html")

		// htmx gets the rows alone, and the filters go into "Load more".
		r = c.htmx("/console/orders?state=on_hold")
		wantStatus(t, r, http.StatusOK)
		wantNotBody(t, r, "<html", "<thead>")
		if got := orderNumbers(r.body); fmt.Sprint(got) != fmt.Sprint([]string{num(o.cid.Number)}) {
			t.Errorf("htmx rows %v", got)
		}
	})
}

// TestConsoleOrdersLoadMore pages through more orders than fit on a page,
// with a filter that must survive into "Load more".
func TestConsoleOrdersLoadMore(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	s, base := newConsoleServer(t, db)
	seedConsole(t, s)
	ctx := auth.WithPrincipal(context.Background(), auth.System("seed"))
	if _, err := s.cfg.Inventory.SetPolicy(ctx, "APRON-NAT", inventory.PolicyInput{BackorderLimit: 1000}); err != nil {
		t.Fatal(err)
	}
	// Orders alternate between two channels; the csv ones are listed.
	const n = 2*consolePageSize + 7
	var want []string
	for i := range n {
		ch := []string{"api", "csv"}[i%2]
		p, err := s.cfg.Orders.Place(ctx, orders.PlaceInput{Channel: ch, ExternalID: fmt.Sprint("X", i), Currency: "EUR",
			Customer: orders.CustomerInput{Email: "many@example.com"}, ShippingAddress: customers.Address{Name: "M", Line1: "Via Roma 1",
				City: "Milano", PostalCode: "20121", Country: "IT"}, Lines: []orders.LineInput{{SKU: "APRON-NAT", Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if ch == "csv" {
			want = append([]string{num(p.Order.Number)}, want...)
		}
	}
	c := newConsoleClient(t, base)
	c.login(consoleUser(t, s, auth.ReadOnly, "ro@example.com"))
	r := c.get("/console/orders?channel=csv")
	wantStatus(t, r, http.StatusOK)
	got := orderNumbers(r.body)
	if len(got) != min(consolePageSize, len(want)) {
		t.Fatalf("first page has %d orders, want %d", len(got), min(consolePageSize, len(want)))
	}
	loadMore := func(body string) string { return between(between(body, `class="more-row"`, "</tr>"), `hx-get="`, `"`) }
	more := loadMore(r.body)
	if !strings.Contains(more, "channel=csv") || !strings.Contains(more, "after=") {
		t.Fatalf("Load more link %q lacks the filter or the cursor", more)
	}
	for more != "" {
		page := c.htmx(strings.ReplaceAll(more, "&amp;", "&"))
		wantStatus(t, page, http.StatusOK)
		got = append(got, orderNumbers(page.body)...)
		more = loadMore(page.body)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("paged through %v, want %v", got, want)
	}
}

// orderPath is the console page of an order.
func orderPath(o *orders.Order) string { return "/console/orders/" + num(o.Number) }

func TestConsoleOrderPage(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		seedConsole(t, s)
		o := seedConsoleOrders(t, s)
		c := newConsoleClient(t, base)
		c.login(consoleUser(t, s, auth.Support, "support@example.com"))

		r := c.get(orderPath(o.ana))
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `data-state="ready_to_route">ready to route</span>`, "Ana Lima", `id="customer-link"`,
			"Rua Augusta 100<br>1100-053 Lisboa<br>Portugal<br>", `<dd class="num">4.90 EUR</dd>`, `<strong id="total">58.90 EUR</strong>`,
			`<span class="badge ok">2 reserved</span>`, `id="cancel-line-1"`, `id="cancel-order"`, `id="send-form"`,
			`<tr data-event="placed">`, "line 1 MUG-BLUE × 2: 2 reserved", "No refunds or charges.", "No open holds.")

		r = c.get(orderPath(o.bob))
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "1 backordered, expected Wed 1 Apr 2026", "via shopify (SH-77)")
		wantNotBody(t, r, `id="send-form"`)

		r = c.get(orderPath(o.cid))
		wantBody(t, r, `data-reason="payment"`, "payment is pending at the storefront", "Release hold")
		wantNotBody(t, r, `id="send-form"`) // on hold: nothing can go to a supplier

		wantStatus(t, c.get("/console/orders/999999"), http.StatusNotFound)
		wantStatus(t, c.get("/console/orders/abc"), http.StatusNotFound)
		wantStatus(t, c.post("/console/orders/999999/cancel", url.Values{"reason": {"x"}}), http.StatusNotFound)
	})
}

func TestConsoleOrderActions(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		seedConsole(t, s)
		o := seedConsoleOrders(t, s)
		c := newConsoleClient(t, base)
		c.login(consoleUser(t, s, auth.Support, "support@example.com"))
		ctx := context.Background()
		ana := orderPath(o.ana)

		// Cancel one of the two MUG-BLUE units.
		r := c.post(ana+"/cancel", url.Values{"line": {"1"}, "quantity": {"1"}, "reason": {"customer asked for one"}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != ana+"?done=cancelled" {
			t.Fatalf("redirect to %q", loc)
		}
		r = c.get(ana + "?done=cancelled")
		wantBody(t, r, "Cancelled. Any refund due", `<span class="badge ">1 cancelled</span>`, `<span class="badge ok">1 reserved</span>`,
			`<tr data-kind="refund" data-refund-state="pending">`, "<td class=\"num\">18.00 EUR</td>", "customer asked for one", "line 1: 1 unit, refund 18.00 EUR",
			`<td class="actor">support@example.com <span class="muted">(staff)</span></td>`, `<dd class="num" id="refunded">18.00 EUR</dd>`)
		held, err := s.cfg.Inventory.Reserved(ctx, db.R, fmt.Sprintf("order:%d/line:1", o.ana.Number))
		if err != nil {
			t.Fatal(err)
		}
		if len(held) != 1 || held[0].Quantity != 1 {
			t.Fatalf("line 1 still holds %+v, want 1 unit", held)
		}

		// Refusals are shown on the page with their status.
		r = c.post(ana+"/cancel", url.Values{"line": {"1"}, "quantity": {"5"}, "reason": {"too many"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="action-error"`, "has 1 units that can be cancelled, asked 5", `<details open>`, `value="too many"`)
		r = c.post(ana+"/cancel", url.Values{"line": {"2"}, "reason": {"  "}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, "Could not cancel: Reason: is required")
		r = c.post(ana+"/cancel", url.Values{"line": {"2"}, "quantity": {"0"}, "reason": {"x"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, "cancel at least 1 unit")

		// Hold and release.
		wantStatus(t, c.post(ana+"/hold", url.Values{"reason": {""}}), http.StatusUnprocessableEntity)
		wantStatus(t, c.post(ana+"/hold", url.Values{"reason": {"customer may change the address"}}), http.StatusSeeOther)
		got, err := s.cfg.Orders.Get(ctx, o.ana.Number)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != orders.OnHold || len(got.OpenHolds()) != 1 {
			t.Fatalf("after hold: %s with %d holds", got.State, len(got.OpenHolds()))
		}
		hold := num(got.OpenHolds()[0].ID)
		r = c.post(ana+"/holds/"+hold+"/release", url.Values{"note": {""}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, "Could not release the hold")
		wantStatus(t, c.post(ana+"/holds/"+hold+"/release", url.Values{"note": {"customer confirmed"}}), http.StatusSeeOther)
		r = c.post(ana+"/holds/"+hold+"/release", url.Values{"note": {"again"}})
		wantStatus(t, r, http.StatusConflict)
		wantBody(t, r, "was already released by staff:")
		wantStatus(t, c.post(ana+"/holds/999999/release", url.Values{"note": {"x"}}), http.StatusNotFound)

		// A bad address is kept and holds the order; a good one releases it.
		bad := url.Values{"name": {"Ana Lima"}, "line1": {"Rua Augusta 100"}, "city": {"Lisboa"}, "postal_code": {"11"}, "country": {"PT"}}
		wantStatus(t, c.post(ana+"/address", bad), http.StatusSeeOther)
		r = c.get(ana)
		wantBody(t, r, `data-reason="address"`, "Shipping address changed")
		good := url.Values{"name": {"Ana Lima"}, "line1": {"Rua Nova 5"}, "city": {"Porto"}, "postal_code": {"4000-123"}, "country": {"pt"}, "reason": {"moved"}}
		wantStatus(t, c.post(ana+"/address", good), http.StatusSeeOther)
		r = c.get(ana)
		wantBody(t, r, "Rua Nova 5<br>4000-123 Porto<br>Portugal", "No open holds.", "moved")
		wantStatus(t, c.post(ana+"/address", url.Values{}), http.StatusUnprocessableEntity)

		// Fulfilment by hand, line by line.
		wantStatus(t, c.post(ana+"/ship", url.Values{"line": {"1"}}), http.StatusConflict)
		r = c.post(ana+"/send", url.Values{})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, "tick at least one line")
		wantStatus(t, c.post(ana+"/send", url.Values{"line": {"1", "2"}, "note": {"emailed the PO"}}), http.StatusSeeOther)
		wantStatus(t, c.post(ana+"/ship", url.Values{"line": {"1"}}), http.StatusSeeOther)
		r = c.get(ana)
		wantBody(t, r, `data-state="partially_shipped"`, `id="deliver-form"`, "emailed the PO")
		// The address cannot change once lines went to a supplier.
		wantNotBody(t, r, `id="address-form"`)
		r = c.post(ana+"/address", good)
		wantStatus(t, r, http.StatusConflict)
		wantBody(t, r, "cannot change its address")
		wantStatus(t, c.post(ana+"/ship", url.Values{"line": {"2"}}), http.StatusSeeOther)
		wantStatus(t, c.post(ana+"/deliver", url.Values{"line": {"1", "2"}}), http.StatusSeeOther)
		r = c.get(ana)
		wantBody(t, r, `data-state="delivered"`)
		wantNotBody(t, r, `id="cancel-order"`, `action="`+ana+`/hold"`)
		// A delivered order cannot be cancelled: 409 with the reason.
		r = c.post(ana+"/cancel", url.Values{"reason": {"too late"}})
		wantStatus(t, r, http.StatusConflict)
		wantBody(t, r, "is delivered: cannot cancel it")

		// Cancel a whole order: its backorder is given back.
		bob := orderPath(o.bob)
		wantStatus(t, c.post(bob+"/cancel", url.Values{"reason": {"found cheaper"}}), http.StatusSeeOther)
		r = c.get(bob)
		wantBody(t, r, `data-state="cancelled"`, "found cheaper")
		p, err := s.cfg.Inventory.Policy(ctx, "APRON-NAT")
		if err != nil {
			t.Fatal(err)
		}
		if p.Backordered != 0 {
			t.Errorf("APRON-NAT still has %d units backordered", p.Backordered)
		}
	})
}

// TestConsoleOrdersReadOnly checks what a role without orders:write and
// customers:read sees and may do.
func TestConsoleOrdersReadOnly(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		seedConsole(t, s)
		o := seedConsoleOrders(t, s)
		c := newConsoleClient(t, base)
		c.login(consoleUser(t, s, auth.ReadOnly, "ro@example.com"))
		ana := orderPath(o.ana)

		r := c.get("/console/orders")
		wantStatus(t, r, http.StatusOK)
		wantNotBody(t, r, "Ana@Example.com", `href="/console/customers"`)
		wantBody(t, r, "customer ")
		r = c.get("/console/orders?q=ana%40example.com")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, "needs the customers:read permission")

		r = c.get(ana)
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "2 reserved", "does not show customers' details")
		wantNotBody(t, r, "Ana@Example.com", "Rua Augusta", "<form method=\"post\" action=\""+ana, `id="cancel-order"`, `id="send-form"`, "Release hold")

		posts := []struct {
			path string
			form url.Values
		}{
			{ana + "/cancel", url.Values{"reason": {"x"}}},
			{ana + "/cancel", url.Values{"line": {"1"}, "reason": {"x"}}},
			{ana + "/hold", url.Values{"reason": {"x"}}},
			{orderPath(o.cid) + "/holds/1/release", url.Values{"note": {"x"}}},
			{ana + "/address", url.Values{"line1": {"x"}}},
			{ana + "/send", url.Values{"line": {"1"}}},
			{ana + "/ship", url.Values{"line": {"1"}}},
			{ana + "/deliver", url.Values{"line": {"1"}}},
		}
		for _, p := range posts {
			wantStatus(t, c.post(p.path, p.form), http.StatusForbidden)
		}
		got, err := s.cfg.Orders.Get(context.Background(), o.ana.Number)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != orders.ReadyToRoute || got.Lines[0].Cancelled != 0 {
			t.Fatalf("a refused post changed the order: %s, %d cancelled", got.State, got.Lines[0].Cancelled)
		}
		wantStatus(t, c.get("/console/customers"), http.StatusForbidden)
		wantStatus(t, c.get(fmt.Sprintf("/console/customers/%d", o.ana.CustomerID)), http.StatusForbidden)
	})
}

// TestConsoleOrderCrossSitePostRefused checks that an order action posted
// from another site is refused (http.CrossOriginProtection) and changes nothing.
func TestConsoleOrderCrossSitePostRefused(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	s, base := newConsoleServer(t, db)
	seedConsole(t, s)
	o := seedConsoleOrders(t, s)
	c := newConsoleClient(t, base)
	c.login(consoleUser(t, s, auth.Owner, "owner@example.com"))
	req, _ := http.NewRequest(http.MethodPost, base+orderPath(o.ana)+"/cancel", strings.NewReader("reason=evil"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	wantStatus(t, c.do(req), http.StatusForbidden)
	got, err := s.cfg.Orders.Get(context.Background(), o.ana.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != orders.ReadyToRoute {
		t.Fatalf("a cross-site post changed the order to %s", got.State)
	}
}
