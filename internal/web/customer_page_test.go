package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orderlinks"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/web"
)

// pageFixture serves the whole server over an orderstest fixture and
// returns the link signer (the same key the server loads from db).
type pageFixture struct {
	*orderstest.Fixture
	base  string
	links *orderlinks.Signer
	http  *http.Client
}

func newPageFixture(t *testing.T, db *store.DB) *pageFixture {
	t.Helper()
	f := orderstest.New(t, db, orders.Options{})
	srv, err := web.New(web.Config{DB: db, Logger: slog.New(slog.DiscardHandler), Now: f.Clock.Now,
		Inventory: f.Inventory, Customers: f.Customers, Orders: f.Orders})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	links, err := orderlinks.Load(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return &pageFixture{Fixture: f, base: ts.URL, links: links,
		http: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type pageReply struct {
	status   int
	body     string
	location string
	header   http.Header
}

func (p *pageFixture) do(t *testing.T, method, path string, form url.Values) pageReply {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, p.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := p.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return pageReply{status: resp.StatusCode, body: string(b), location: resp.Header.Get("Location"), header: resp.Header}
}

var formTokenRE = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

// formToken is the form token the page shows for its first choice.
func formToken(t *testing.T, body string) string {
	t.Helper()
	m := formTokenRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no choice form on the page:\n%s", body)
	}
	return m[1]
}

// backorderedOrder places an order of a mug in stock and 2 backordered
// T-shirts (size M; size L in stock), in loc.
func backorderedOrder(t *testing.T, p *pageFixture, loc string) *orders.Order {
	t.Helper()
	p.AddSKU("MUG-1", 5)
	m := p.AddSKU("TEE-M", 0)
	p.Policy(m, inventory.PolicyInput{BackorderLimit: 10})
	in := orderstest.Input("ana@example.com", "MUG-1", 1, "TEE-M", 2)
	in.Customer.Locale = loc
	pl, err := p.Orders.Place(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return pl.Order
}

// trace is what a POST could have changed: the order's timeline entries and payments.
func trace(t *testing.T, p *pageFixture, number int64) (int, int) {
	t.Helper()
	tl, err := p.Orders.Timeline(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := p.Orders.Payments(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	return len(tl), len(ps)
}

func TestCustomerPageLinks(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		p := newPageFixture(t, db)
		o := backorderedOrder(t, p, "en")
		ctx := auth.WithPrincipal(context.Background(), auth.System("ops"))
		// Internal business the customer must not read: a hold's note.
		held, err := p.Orders.Hold(ctx, o.Number, "check with Fixture Supplier about the T-shirts")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Orders.ReleaseHold(ctx, o.Number, held.OpenHolds()[0].ID, "done"); err != nil {
			t.Fatal(err)
		}
		token := p.links.Token(o.Number, orderstest.T0.Add(24*time.Hour))
		path := orderlinks.Path(token)

		r := p.do(t, "GET", path, nil)
		if r.status != http.StatusOK {
			t.Fatalf("valid link: %d\n%s", r.status, r.body)
		}
		for _, want := range []string{"Order #" + strconv.FormatInt(o.Number, 10), "Waiting for stock", "2 waiting for stock",
			"Wait for it", "Cancel this item and refund me", `data-line="2"`, "€30.00", "Order placed"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		for _, never := range []string{"Fixture Supplier", "system:", "channel:", "ana@example.com", "check with", "held"} {
			if strings.Contains(r.body, never) {
				t.Errorf("the page shows %q", never)
			}
		}
		if r.header.Get("Referrer-Policy") != "no-referrer" || r.header.Get("Set-Cookie") != "" || r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("headers %v", r.header)
		}
		good := formToken(t, r.body)
		entries, pays := trace(t, p, o.Number)

		// A tampered link: 403, a clear page, and a POST changes nothing.
		bad := token[:len(token)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(token, "AA")]
		for _, tampered := range []string{bad, "x" + token, "nonsense"} {
			r := p.do(t, "GET", orderlinks.Path(tampered), nil)
			if r.status != http.StatusForbidden || !strings.Contains(r.body, "This link is not valid") || strings.Contains(r.body, "TEE-M") {
				t.Errorf("tampered %q: %d\n%s", tampered, r.status, r.body)
			}
			r = p.do(t, "POST", orderlinks.Path(tampered)+"/lines/2/choice", url.Values{"form_token": {good}, "choice": {"cancel"}})
			if r.status != http.StatusForbidden {
				t.Errorf("tampered POST: %d", r.status)
			}
		}
		// A form token from another page (or none): 403, nothing changes.
		other := p.links.Token(o.Number, orderstest.T0.Add(48*time.Hour))
		for _, ft := range []string{"", "abc", good} {
			r := p.do(t, "POST", orderlinks.Path(other)+"/lines/2/choice", url.Values{"form_token": {ft}, "choice": {"cancel"}})
			if r.status != http.StatusForbidden {
				t.Errorf("form token %q on another link: %d", ft, r.status)
			}
		}
		// An expired link: 410, nothing changes.
		expired := p.links.Token(o.Number, orderstest.T0.Add(-time.Second))
		r = p.do(t, "GET", orderlinks.Path(expired), nil)
		if r.status != http.StatusGone || !strings.Contains(r.body, "This link has expired") || strings.Contains(r.body, "TEE-M") {
			t.Errorf("expired: %d\n%s", r.status, r.body)
		}
		r = p.do(t, "POST", orderlinks.Path(expired)+"/lines/2/choice", url.Values{"form_token": {good}, "choice": {"cancel"}})
		if r.status != http.StatusGone {
			t.Errorf("expired POST: %d", r.status)
		}
		if e, n := trace(t, p, o.Number); e != entries || n != pays {
			t.Fatalf("refused POSTs changed the order: %d entries (was %d), %d payments (was %d)", e, entries, n, pays)
		}
		if g, _ := p.Orders.Get(context.Background(), o.Number); g.Lines[1].State != orders.LineBackordered {
			t.Fatalf("line 2 is %s", g.Lines[1].State)
		}

		// The customer cancels the waiting line.
		r = p.do(t, "POST", path+"/lines/2/choice", url.Values{"form_token": {good}, "choice": {"cancel"}})
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, path+"?") || !strings.Contains(r.location, "done=cancel") {
			t.Fatalf("cancel: %d %q\n%s", r.status, r.location, r.body)
		}
		g, _ := p.Orders.Get(context.Background(), o.Number)
		if g.Lines[1].State != orders.LineCancelled || g.State != orders.ReadyToRoute {
			t.Errorf("after the cancel: %+v %s", g.Lines[1], g.State)
		}
		if ps, _ := p.Orders.Payments(context.Background(), o.Number); len(ps) != 1 || ps[0].Amount.Amount != 2000 {
			t.Errorf("payments %+v", ps)
		}
		tl, _ := p.Orders.Timeline(context.Background(), o.Number)
		if last := tl[len(tl)-1]; last.Event != "customer_choice" || last.Actor != "customer:ana@example.com" {
			t.Errorf("last entry %+v", last)
		}
		r = p.do(t, "GET", r.location, nil)
		for _, want := range []string{"the item is cancelled", "You chose to cancel an item", "Refund: €20.00"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("after the cancel the page lacks %q", want)
			}
		}
		if strings.Contains(r.body, `name="form_token"`) {
			t.Errorf("a choice is still offered after the cancel")
		}
		// The same form again (a second tab): nothing more happens.
		r = p.do(t, "POST", path+"/lines/2/choice", url.Values{"form_token": {good}, "choice": {"cancel"}})
		if r.status != http.StatusSeeOther {
			t.Errorf("repeated cancel: %d", r.status)
		}
		if ps, _ := p.Orders.Payments(context.Background(), o.Number); len(ps) != 1 {
			t.Errorf("payments after the repeat %+v", ps)
		}
		// Another choice on the closed line: 409 with the page as it is now.
		r = p.do(t, "POST", path+"/lines/2/choice", url.Values{"form_token": {good}, "choice": {"wait"}})
		if r.status != http.StatusConflict || !strings.Contains(r.body, "no longer possible") {
			t.Errorf("wait after cancel: %d\n%s", r.status, r.body)
		}
	})
}

func TestCustomerPageInPortuguese(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		p := newPageFixture(t, db)
		o := backorderedOrder(t, p, "pt-BR")
		path := orderlinks.Path(p.links.Token(o.Number, orderstest.T0.Add(24*time.Hour)))
		r := p.do(t, "GET", path, nil)
		if r.status != http.StatusOK || !strings.Contains(r.body, `<html lang="pt-BR">`) {
			t.Fatalf("%d\n%s", r.status, r.body)
		}
		// Expected back in 3 days (the offer's lead time); the deadline 72 h after the order.
		for _, want := range []string{"Pedido #", "Aguardando estoque", "2 aguardando estoque", "previsto para 05/03/2026", "€ 30,00",
			"Aguardar", "Cancelar este item e reembolsar", "Se não tivermos sua resposta até 05/03/2026 09:30 UTC", "Feito em", "02/03/2026"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		// ?lang= overrides the order's language.
		r = p.do(t, "GET", path+"?lang=it", nil)
		for _, want := range []string{`<html lang="it">`, "In attesa di disponibilità", "Annulla questo articolo e rimborsami", "30,00 €"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("in Italian the page lacks %q", want)
			}
		}
		// The problem pages are localized too.
		r = p.do(t, "GET", orderlinks.Path(p.links.Token(o.Number, orderstest.T0.Add(-time.Hour))), nil)
		if r.status != http.StatusGone || !strings.Contains(r.body, "Este link expirou") {
			t.Errorf("expired in Portuguese: %d\n%s", r.status, r.body)
		}
		r = p.do(t, "GET", "/o/broken?lang=pt-BR", nil)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "Este link não é válido") {
			t.Errorf("tampered in Portuguese: %d\n%s", r.status, r.body)
		}
	})
}

func TestCustomerPageSwapAndWait(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		p := newPageFixture(t, db)
		m := p.AddSKU("TEE-M", 0)
		p.Policy(m, inventory.PolicyInput{BackorderLimit: 10})
		var l int64
		if err := db.W.QueryRow(`INSERT INTO variants (product_id, sku, title, price_amount, price_currency, status, created_at, updated_at)
			SELECT product_id, 'TEE-L', 'L', 1000, 'EUR', 'active', $1, $1 FROM variants WHERE id = $2 RETURNING id`, orderstest.T0, m.Variant).Scan(&l); err != nil {
			t.Fatal(err)
		}
		var offer int64
		if err := db.W.QueryRow(`INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency, lead_time_days,
			min_order_qty, priority, status, created_at, updated_at) VALUES ($1, $2, 'SUP-L', 500, 'EUR', 3, 1, 1, 'active', $3, $3) RETURNING id`,
			p.Supplier, l, orderstest.T0).Scan(&offer); err != nil {
			t.Fatal(err)
		}
		p.Report(orderstest.SKU{SKU: "TEE-L", Variant: l, Offer: offer}, 4)
		a, _ := p.Orders.Place(context.Background(), orderstest.Input("a@example.com", "TEE-M", 2))
		b, _ := p.Orders.Place(context.Background(), orderstest.Input("b@example.com", "TEE-M", 1))

		path := orderlinks.Path(p.links.Token(a.Order.Number, orderstest.T0.Add(24*time.Hour)))
		r := p.do(t, "GET", path, nil)
		if !strings.Contains(r.body, `<option value="TEE-L">Product TEE-M — L</option>`) {
			t.Fatalf("no swap offered:\n%s", r.body)
		}
		r = p.do(t, "POST", path+"/lines/1/choice", url.Values{"form_token": {formToken(t, r.body)}, "choice": {"swap"}, "sku": {"TEE-L"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("swap: %d\n%s", r.status, r.body)
		}
		g, _ := p.Orders.Get(context.Background(), a.Order.Number)
		if len(g.Lines) != 2 || g.Lines[1].SKU != "TEE-L" || g.Lines[1].Reserved != 2 || g.Total != a.Order.Total {
			t.Errorf("after the swap %+v", g)
		}
		r = p.do(t, "GET", r.location, nil)
		if !strings.Contains(r.body, "we swapped your item") {
			t.Errorf("no confirmation:\n%s", r.body)
		}

		path = orderlinks.Path(p.links.Token(b.Order.Number, orderstest.T0.Add(24*time.Hour)))
		r = p.do(t, "GET", path, nil)
		r = p.do(t, "POST", path+"/lines/1/choice", url.Values{"form_token": {formToken(t, r.body)}, "choice": {"wait"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("wait: %d\n%s", r.status, r.body)
		}
		r = p.do(t, "GET", r.location, nil)
		for _, want := range []string{"we will keep your item", "You chose to wait until 5 Mar 2026"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("after the wait the page lacks %q", want)
			}
		}
		if strings.Contains(r.body, "If we have not heard from you") {
			t.Errorf("the deadline is still shown after the answer")
		}
	})
}

func TestCustomerChoiceAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f, client := editFixture(t, db)
		mug := f.AddSKU("MUG-1", 0)
		f.Policy(mug, inventory.PolicyInput{BackorderLimit: 5})
		pl, err := f.Orders.Place(context.Background(), orderstest.Input("a@example.com", "MUG-1", 2))
		if err != nil {
			t.Fatal(err)
		}
		o := "/orders/" + strconv.FormatInt(pl.Order.Number, 10)
		support := client(auth.Support)
		r := support.must(200, "GET", o+"/choices", "")
		if r.str("lines.0.choices.0") != "wait" || r.str("lines.0.choices.1") != "cancel" || r.str("lines.0.due_at") == "" {
			t.Fatalf("choices %s", r.raw)
		}
		client(auth.ReadOnly).must(403, "POST", o+"/lines/1/choice", `{"choice":"cancel"}`)
		support.must(422, "POST", o+"/lines/1/choice", `{"choice":"maybe"}`)
		r = support.must(200, "POST", o+"/lines/1/choice", `{"choice":"cancel"}`)
		if r.str("choice") != "cancel" || r.str("refund.amount") != "20.00" || r.str("order.lines.0.state") != "cancelled" {
			t.Fatalf("cancel %s", r.raw)
		}
		tl, _ := f.Orders.Timeline(context.Background(), pl.Order.Number)
		if last := tl[len(tl)-1]; last.Event != "customer_choice" || !strings.HasPrefix(last.Actor, "token:") {
			t.Errorf("last entry %+v", last)
		}
		support.must(409, "POST", o+"/lines/1/choice", `{"choice":"wait"}`)

		// A fresh link for support to send by hand: it opens this order.
		client(auth.ReadOnly).must(403, "GET", o+"/customer-link", "")
		r = support.must(200, "GET", o+"/customer-link", "")
		links, err := orderlinks.Load(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		token, ok := strings.CutPrefix(r.str("path"), "/o/")
		if !ok {
			t.Fatalf("link %s", r.raw)
		}
		n, exp, err := links.Verify(token, orderstest.T0)
		if err != nil || n != pl.Order.Number || !exp.Equal(orderstest.T0.AddDate(0, 0, 60)) || r.str("url") != "" {
			t.Errorf("link %s: order %d, expires %s, %v", r.raw, n, exp, err)
		}
		support.must(404, "GET", "/orders/999999/customer-link", "")

		owner := client(auth.Owner)
		if r := owner.must(200, "GET", "/settings/backorder-consent", ""); r.str("deadline_hours") != "72" {
			t.Errorf("default %s", r.raw)
		}
		support.must(403, "PUT", "/settings/backorder-consent", `{"deadline_hours":24}`)
		if r := owner.must(200, "PUT", "/settings/backorder-consent", `{"deadline_hours":24}`); r.str("deadline_hours") != "24" {
			t.Errorf("set %s", r.raw)
		}
		owner.must(422, "PUT", "/settings/backorder-consent", `{"deadline_hours":9000}`)
	})
}
