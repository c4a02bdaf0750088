package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/web"
)

// orderAPI is a server on the orders fixture's services (and its clock),
// called with a real API token.
type orderAPI struct {
	*apiClient
	fx    *orderstest.Fixture
	srv   *web.Server
	actor string // the token as the timeline names it
}

func newOrderAPI(t *testing.T, db *store.DB, role auth.Role, opts orders.Options) *orderAPI {
	t.Helper()
	fx := orderstest.New(t, db, opts)
	srv, err := web.New(web.Config{DB: db, Logger: slog.New(slog.DiscardHandler), Now: fx.Clock.Now,
		Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	a := &orderAPI{fx: fx, srv: srv, apiClient: &apiClient{t: t, base: ts.URL + web.APIPrefix}}
	a.token, a.actor = orderToken(t, db, fx, role, "orders-"+string(role))
	return a
}

func orderToken(t *testing.T, db *store.DB, fx *orderstest.Fixture, role auth.Role, name string) (secret, actor string) {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	secret, tok, err := auth.NewService(db, fx.Clock.Now).CreateToken(ctx, auth.NewToken{Name: name, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	p := auth.Principal{Kind: auth.KindToken, ID: tok.ID, Name: tok.Name, Role: role}
	return secret, p.Actor()
}

// as returns a client of the same server with a token of another role.
func (a *orderAPI) as(role auth.Role) *apiClient {
	secret, _ := orderToken(a.t, a.fx.DB, a.fx, role, "orders-"+string(role))
	return &apiClient{t: a.t, base: a.base, token: secret}
}

// call is do with request headers, returning the response headers too.
func (c *apiClient) call(method, path, body string, header map[string]string) (reply, http.Header) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := reply{status: res.StatusCode, raw: string(b)}
	if err := json.Unmarshal(b, &r.body); err != nil {
		c.t.Fatalf("%s %s: response is not a JSON object: %s", method, path, b)
	}
	return r, res.Header
}

// customerJSON is a customer and a valid Italian address, for order bodies.
func customerJSON(email string) string {
	return `"customer":{"email":"` + email + `","name":"Giulia Rossi","locale":"it"},
		"shipping_address":{"name":"Giulia Rossi","line1":"Via Roma 10","city":"Milano","postal_code":"20121","country":"IT"}`
}

// orderJSON is an order in EUR by email with the given lines (JSON objects)
// and extra top-level fields (each starting with a comma).
func orderJSON(email, lines, extra string) string {
	return `{"currency":"EUR",` + customerJSON(email) + `,"lines":[` + lines + `]` + extra + `}`
}

// numbers lists the order numbers of a list reply.
func numbers(r reply) []string {
	items, _ := r.body["items"].([]any)
	out := []string{}
	for i := range items {
		out = append(out, r.str("items."+strconv.Itoa(i)+".number"))
	}
	return out
}

func TestPlaceOrderAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Operations, orders.Options{})
		mug, tee, cup := a.fx.AddSKU("MUG-1", 10), a.fx.AddSKU("TEE-1", 3), a.fx.AddSKU("CUP-1", 0)

		first := orderJSON("giulia@example.com",
			`{"sku":"mug-1","quantity":2},
			 {"sku":"TEE-1","quantity":1,"unit_price":{"amount":"12.50","currency":"EUR"},"discount":{"amount":"2.50","currency":"EUR"}}`,
			`,"external_id":"WEB-1","shipping":{"amount":"4.90","currency":"EUR"},"payment":{"status":"paid","risk":"low"},"note":"Gift wrap"`)
		r, h := a.call("POST", "/orders", first, nil)
		if r.status != 201 {
			t.Fatalf("place = %d: %s", r.status, r.raw)
		}
		n := r.str("number")
		if h.Get("Location") != web.APIPrefix+"/orders/"+n {
			t.Errorf("Location = %q, want the order's path", h.Get("Location"))
		}
		for path, want := range map[string]string{
			"state": "ready_to_route", "channel": "api", "external_id": "WEB-1", "email": "giulia@example.com", "locale": "it",
			"currency": "EUR", "subtotal.amount": "32.50", "discount.amount": "2.50", "shipping.amount": "4.90",
			"total.amount": "34.90", "total.currency": "EUR", "charged.amount": "34.90", "note": "Gift wrap",
			"shipping_address.city": "Milano", "shipping_address.country": "IT", "holds": "[]",
			"lines.0.position": "1", "lines.0.sku": "MUG-1", "lines.0.state": "allocated", "lines.0.reserved": "2",
			"lines.0.unit_price.amount": "10.00", "lines.0.total.amount": "20.00",
			"lines.1.sku": "TEE-1", "lines.1.unit_price.amount": "12.50", "lines.1.total.amount": "10.00",
		} {
			if got := r.str(path); got != want {
				t.Errorf("placed order %s = %q, want %q", path, got, want)
			}
		}
		if a.fx.ATS(mug) != 8 || a.fx.ATS(tee) != 2 {
			t.Errorf("ATS after placing: MUG-1 %d (want 8), TEE-1 %d (want 2)", a.fx.ATS(mug), a.fx.ATS(tee))
		}
		tl := a.must(200, "GET", "/orders/"+n+"/timeline", "")
		if tl.str("items.0.event") != "placed" || tl.str("items.0.actor") != a.actor || tl.str("items.0.to_state") != "ready_to_route" ||
			tl.str("items.0.detail.lines.0.sku") != "MUG-1" {
			t.Errorf("timeline of a placed order (want actor %q): %s", a.actor, tl.raw)
		}
		if g := a.must(200, "GET", "/orders/"+n, ""); g.raw != r.raw {
			t.Errorf("GET differs from the placed order:\n%s\n%s", g.raw, r.raw)
		}

		// The same channel + external id again, without a key: 200, the same order, nothing taken.
		if d := a.must(200, "POST", "/orders", first); d.str("number") != n || d.str("lines.0.reserved") != "2" {
			t.Errorf("duplicate external id: %s", d.raw)
		}
		if a.fx.ATS(mug) != 8 {
			t.Errorf("a duplicate took stock: ATS %d", a.fx.ATS(mug))
		}

		// Idempotency-Key: a retry replays the first answer; another body is refused.
		second := orderJSON("ana@example.com", `{"sku":"MUG-1","quantity":1}`, "")
		key := map[string]string{"Idempotency-Key": "place-2"}
		r1, _ := a.call("POST", "/orders", second, key)
		r2, h2 := a.call("POST", "/orders", second, key)
		if r1.status != 201 || r2.status != 201 || r1.raw != r2.raw || h2.Get("Idempotent-Replayed") != "true" {
			t.Errorf("idempotent retry: %d %s / %d %s (replayed %q)", r1.status, r1.raw, r2.status, r2.raw, h2.Get("Idempotent-Replayed"))
		}
		if r3, _ := a.call("POST", "/orders", orderJSON("ana@example.com", `{"sku":"MUG-1","quantity":2}`, ""), key); r3.status != 422 ||
			r3.str("code") != "invalid" || !strings.Contains(r3.str("detail"), "Idempotency-Key") {
			t.Errorf("same key, other body: %d %s", r3.status, r3.raw)
		}
		if got := numbers(a.must(200, "GET", "/orders", "")); !slices.Equal(got, []string{r1.str("number"), n}) {
			t.Errorf("orders after the retries = %v, want [%s %s]", got, r1.str("number"), n)
		}
		if a.fx.ATS(mug) != 7 {
			t.Errorf("ATS of MUG-1 after one more unit = %d, want 7", a.fx.ATS(mug))
		}

		// A refused order: 409 unavailable, each refused line with its SKU, and no trace.
		ref := a.do("POST", "/orders", orderJSON("ana@example.com",
			`{"sku":"MUG-1","quantity":1},{"sku":"TEE-1","quantity":5},{"sku":"cup-1","quantity":1}`, ""))
		if ref.status != 409 || ref.str("code") != "unavailable" {
			t.Fatalf("refused order = %d: %s", ref.status, ref.raw)
		}
		for path, want := range map[string]string{
			"errors.0.field": "lines[1].quantity", "errors.0.value.sku": "TEE-1", "errors.0.value.wanted": "5", "errors.0.value.available": "2",
			"errors.1.field": "lines[2].quantity", "errors.1.value.sku": "CUP-1", "errors.1.value.wanted": "1", "errors.1.value.available": "0",
			"errors.2.field": "",
		} {
			if got := ref.str(path); got != want {
				t.Errorf("refusal %s = %q, want %q: %s", path, got, want, ref.raw)
			}
		}
		if !strings.HasPrefix(ref.str("errors.0.message"), "TEE-1: ") || !strings.Contains(ref.str("detail"), "CUP-1") {
			t.Errorf("refusal messages do not name the SKUs: %s", ref.raw)
		}
		if a.fx.ATS(mug) != 7 || a.fx.ATS(tee) != 2 || a.fx.ATS(cup) != 0 || len(numbers(a.must(200, "GET", "/orders", ""))) != 2 {
			t.Errorf("a refused order left a trace: ATS %d %d %d", a.fx.ATS(mug), a.fx.ATS(tee), a.fx.ATS(cup))
		}

		line := func(l string) string { return orderJSON("ana@example.com", l, "") }
		a.checkProblems([]problemCase{
			{"unknown SKU", "POST", "/orders", line(`{"sku":"NOPE-9","quantity":1}`), 422, "invalid", "lines[0].sku", "unknown SKU"},
			{"bad SKU", "POST", "/orders", line(`{"sku":"MUG 1","quantity":1}`), 422, "invalid", "lines[0].sku", ""},
			{"negative quantity", "POST", "/orders", line(`{"sku":"MUG-1","quantity":-1}`), 422, "invalid", "lines[0].quantity", ""},
			{"absurd quantity", "POST", "/orders", line(`{"sku":"MUG-1","quantity":1000000}`), 422, "invalid", "lines[0].quantity", ""},
			{"no lines", "POST", "/orders", line(``), 422, "invalid", "lines", ""},
			{"price in another currency", "POST", "/orders", line(`{"sku":"MUG-1","quantity":1,"unit_price":{"amount":"9","currency":"USD"}}`),
				422, "invalid", "lines[0].unit_price", "USD"},
			{"money too precise", "POST", "/orders", line(`{"sku":"MUG-1","quantity":1,"unit_price":{"amount":"9.999","currency":"EUR"}}`),
				422, "invalid", "", "decimals"},
			{"no email", "POST", "/orders", `{"currency":"EUR","customer":{"name":"X"},"lines":[{"sku":"MUG-1","quantity":1}]}`,
				422, "invalid", "customer.email", ""},
			{"no currency", "POST", "/orders", `{` + customerJSON("ana@example.com") + `,"lines":[{"sku":"MUG-1","quantity":1}]}`,
				422, "invalid", "currency", ""},
			{"no quantity", "POST", "/orders", line(`{"sku":"MUG-1"}`), 422, "invalid", "lines[0].quantity", ""},
			{"no customer", "POST", "/orders", `{"currency":"EUR","lines":[{"sku":"MUG-1","quantity":1}]}`, 422, "invalid", "customer.email", ""},
			{"bad email", "POST", "/orders", orderJSON("not-an-email", `{"sku":"MUG-1","quantity":1}`, ""), 422, "invalid", "customer.email", ""},
			{"unknown currency", "POST", "/orders", strings.Replace(line(`{"sku":"MUG-1","quantity":1}`), `"EUR"`, `"ZZZ"`, 1),
				422, "invalid", "currency", "ZZZ"},
			{"bad channel", "POST", "/orders", line(`{"sku":"MUG-1","quantity":1}`)[:1] + `"channel":"Web Shop",` + line(`{"sku":"MUG-1","quantity":1}`)[1:],
				422, "invalid", "channel", ""},
			{"bad payment status", "POST", "/orders", orderJSON("ana@example.com", `{"sku":"MUG-1","quantity":1}`, `,"payment":{"status":"maybe"}`),
				422, "invalid", "payment.status", ""},
			{"unknown field", "POST", "/orders", orderJSON("ana@example.com", `{"sku":"MUG-1","quantity":1}`, `,"coupon":"X"`), 422, "invalid", "", "coupon"},
			{"malformed JSON", "POST", "/orders", `{"currency":"EUR",` + "\n" + `"lines":[{"sku":"MUG-1" "quantity":1}]}`, 400, "invalid", "", "line 2, column 25"},
			{"oversized body", "POST", "/orders", orderJSON("ana@example.com", `{"sku":"MUG-1","quantity":1}`, `,"note":"`+strings.Repeat("x", 1<<20)+`"`),
				413, "too_large", "", ""},
		})
		if a.fx.ATS(mug) != 7 || len(numbers(a.must(200, "GET", "/orders", ""))) != 2 {
			t.Errorf("a bad request placed an order or took stock")
		}
	})
}

// TestPlaceOrderPermissions: placing needs orders:write; reading orders:read.
func TestPlaceOrderPermissions(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	a := newOrderAPI(t, db, auth.Support, orders.Options{})
	a.fx.AddSKU("MUG-1", 5)
	n := a.must(201, "POST", "/orders", orderJSON("ana@example.com", `{"sku":"MUG-1","quantity":1}`, "")).str("number")
	fin := a.as(auth.Finance)
	fin.must(403, "POST", "/orders", orderJSON("ana@example.com", `{"sku":"MUG-1","quantity":1}`, ""))
	fin.must(403, "POST", "/orders/"+n+"/cancel", `{"reason":"no"}`)
	if g := fin.must(200, "GET", "/orders/"+n, ""); g.str("email") != "ana@example.com" {
		t.Errorf("finance (customers:read) sees the order without its email: %s", g.raw)
	}
	// read_only reads orders but not customers' personal data.
	ro := a.as(auth.ReadOnly)
	g := ro.must(200, "GET", "/orders/"+n, "")
	if g.str("email") != "" || g.str("shipping_address.line1") != "" || g.str("shipping_address.name") != "" ||
		g.str("shipping_address.country") != "IT" || g.str("lines.0.sku") != "MUG-1" {
		t.Errorf("read_only sees personal data of an order: %s", g.raw)
	}
	if l := ro.must(200, "GET", "/orders", ""); l.str("items.0.number") != n || l.str("items.0.email") != "" {
		t.Errorf("read_only order list: %s", l.raw)
	}
	a.must(200, "PUT", "/orders/"+n+"/shipping-address", `{"address":{"name":"Ana Lima","line1":"Via Po 1","city":"Torino","postal_code":"10121","country":"IT"}}`)
	for _, e := range ro.must(200, "GET", "/orders/"+n+"/timeline", "").body["items"].([]any) {
		if e := e.(map[string]any); e["event"] == "address_changed" && e["detail"] != nil {
			t.Errorf("read_only sees the addresses of an address change: %v", e)
		}
	}
	ro.checkProblems([]problemCase{
		{"read_only searching by email", "GET", "/orders?q=ana%40example.com", "", 422, "invalid", "query.q", "customers:read"},
	})
	if l := ro.must(200, "GET", "/orders?q=MUG-1", ""); l.str("items.0.number") != n {
		t.Errorf("read_only search by SKU: %s", l.raw)
	}
	ro.must(403, "GET", "/customers", "")
}

func TestOrderCancelAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Support, orders.Options{})
		mug, _ := a.fx.AddSKU("MUG-1", 10), a.fx.AddSKU("TEE-1", 10)
		n := a.must(201, "POST", "/orders", orderJSON("giulia@example.com", `{"sku":"MUG-1","quantity":3},{"sku":"TEE-1","quantity":1}`,
			`,"shipping":{"amount":"4.90","currency":"EUR"}`)).str("number")

		c := a.must(200, "POST", "/orders/"+n+"/cancel", `{"lines":[{"line":1,"quantity":2}],"reason":"Customer wants one mug only"}`)
		for path, want := range map[string]string{
			"refund.amount": "20.00", "refund.currency": "EUR", "refund_parts.0.line": "1", "refund_parts.0.units": "2",
			"refund_parts.0.amount.amount": "20.00", "order.state": "ready_to_route", "order.lines.0.cancelled": "2",
			"order.lines.0.reserved": "1", "order.lines.0.state": "allocated", "order.refunded.amount": "20.00", "order.total.amount": "24.90",
		} {
			if got := c.str(path); got != want {
				t.Errorf("cancel one line: %s = %q, want %q", path, got, want)
			}
		}
		if a.fx.ATS(mug) != 9 {
			t.Errorf("ATS of MUG-1 after cancelling 2 of 3 = %d, want 9", a.fx.ATS(mug))
		}
		tl := a.must(200, "GET", "/orders/"+n+"/timeline", "")
		last := len(tl.body["items"].([]any)) - 1
		if e := "items." + strconv.Itoa(last) + "."; tl.str(e+"event") != "cancelled" || tl.str(e+"actor") != a.actor ||
			tl.str(e+"reason") != "Customer wants one mug only" || tl.str(e+"detail.lines.0.units") != "2" {
			t.Errorf("timeline after cancelling (want actor %q): %s", a.actor, tl.raw)
		}
		if p := a.must(200, "GET", "/orders/"+n+"/payments", ""); p.str("items.0.kind") != "refund" || p.str("items.0.amount.amount") != "20.00" ||
			p.str("items.0.actor") != a.actor || p.str("items.0.parts.0.units") != "2" || p.str("items.1.id") != "" {
			t.Errorf("payments after cancelling: %s", p.raw)
		}

		a.checkProblems([]problemCase{
			{"no reason", "POST", "/orders/" + n + "/cancel", `{"lines":[{"line":1}]}`, 422, "invalid", "reason", ""},
			{"blank reason", "POST", "/orders/" + n + "/cancel", `{"reason":"  "}`, 422, "invalid", "reason", ""},
			{"no such line", "POST", "/orders/" + n + "/cancel", `{"lines":[{"line":9}],"reason":"x"}`, 422, "invalid", "lines[0].line", "no line 9"},
			{"line 0", "POST", "/orders/" + n + "/cancel", `{"lines":[{"line":0}],"reason":"x"}`, 422, "invalid", "lines[0].line", ""},
			{"too many units", "POST", "/orders/" + n + "/cancel", `{"lines":[{"line":1,"quantity":5}],"reason":"x"}`, 422, "invalid", "lines[0].quantity", ""},
			{"unknown order", "POST", "/orders/999999/cancel", `{"reason":"x"}`, 404, "not_found", "", "999999"},
			{"unknown order get", "GET", "/orders/999999", "", 404, "not_found", "", "999999"},
			{"unknown order timeline", "GET", "/orders/999999/timeline", "", 404, "not_found", "", "999999"},
			{"unknown order payments", "GET", "/orders/999999/payments", "", 404, "not_found", "", "999999"},
			{"order number 0", "GET", "/orders/0", "", 422, "invalid", "path.number", ""},
		})

		// The rest of the order: every line, and shipping with the last of it.
		w := a.must(200, "POST", "/orders/"+n+"/cancel", `{"reason":"Customer cancelled"}`)
		if w.str("order.state") != "cancelled" || w.str("refund.amount") != "24.90" || w.str("order.refunded.amount") != "44.90" ||
			w.str("refund_parts.2.shipping") != "true" {
			t.Errorf("cancel the rest: %s", w.raw)
		}
		a.checkProblems([]problemCase{
			{"cancel a cancelled order", "POST", "/orders/" + n + "/cancel", `{"reason":"again"}`, 409, "conflict", "", "is cancelled"},
			{"hold a cancelled order", "POST", "/orders/" + n + "/holds", `{"reason":"x"}`, 409, "conflict", "", "is cancelled"},
			{"ship a cancelled order", "POST", "/orders/" + n + "/ship", ``, 409, "conflict", "", "is cancelled"},
		})
		if a.fx.ATS(mug) != 10 {
			t.Errorf("ATS after cancelling the order = %d, want 10", a.fx.ATS(mug))
		}
	})
}

func TestOrderHoldsAndFulfilmentAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Operations, orders.Options{})
		mug := a.fx.AddSKU("MUG-1", 10)
		n := a.must(201, "POST", "/orders", orderJSON("giulia@example.com", `{"sku":"MUG-1","quantity":2}`, "")).str("number")

		h := a.must(200, "POST", "/orders/"+n+"/holds", `{"reason":"Customer may add an item"}`)
		if h.str("state") != "on_hold" || h.str("holds.0.reason") != "manual" || h.str("holds.0.created_by") != a.actor {
			t.Fatalf("hold: %s", h.raw)
		}
		hold := h.str("holds.0.id")
		a.checkProblems([]problemCase{
			{"send while held", "POST", "/orders/" + n + "/send", `{}`, 409, "conflict", "", "on_hold"},
			{"release without note", "POST", "/orders/" + n + "/holds/" + hold + "/release", `{"note":""}`, 422, "invalid", "note", ""},
			{"release unknown hold", "POST", "/orders/" + n + "/holds/99999/release", `{"note":"ok"}`, 404, "not_found", "", "hold 99999"},
			{"hold without reason", "POST", "/orders/" + n + "/holds", `{}`, 422, "invalid", "reason", ""},
		})
		if r := a.must(200, "POST", "/orders/"+n+"/holds/"+hold+"/release", `{"note":"Nothing to add"}`); r.str("state") != "ready_to_route" ||
			r.str("holds.0.released_by") != a.actor {
			t.Errorf("release: %s", r.raw)
		}
		a.checkProblems([]problemCase{
			{"release twice", "POST", "/orders/" + n + "/holds/" + hold + "/release", `{"note":"again"}`, 409, "conflict", "", "already released"},
		})

		// A new address that would not arrive holds the order; a good one releases it.
		bad := a.must(200, "PUT", "/orders/"+n+"/shipping-address",
			`{"address":{"name":"Giulia Rossi","line1":"Via Roma 10","city":"Milano","postal_code":"ABC","country":"IT"},"reason":"Customer moved"}`)
		if bad.str("state") != "on_hold" || bad.str("holds.1.reason") != "address" || bad.str("shipping_address.postal_code") != "ABC" {
			t.Errorf("bad address: %s", bad.raw)
		}
		good := a.must(200, "PUT", "/orders/"+n+"/shipping-address",
			`{"address":{"name":"Giulia Rossi","line1":"Via Po 1","city":"Torino","postal_code":"10121","country":"IT"}}`)
		if good.str("state") != "ready_to_route" || good.str("shipping_address.city") != "Torino" || good.str("holds.1.released_at") == "" {
			t.Errorf("fixed address: %s", good.raw)
		}

		if s := a.must(200, "POST", "/orders/"+n+"/send", `{"lines":[1],"note":"PO 77"}`); s.str("state") != "sent_to_supplier" || s.str("lines.0.state") != "sent_to_supplier" {
			t.Errorf("send: %s", s.raw)
		}
		a.checkProblems([]problemCase{
			{"address after sending", "PUT", "/orders/" + n + "/shipping-address", `{"address":{"country":"IT"}}`, 409, "conflict", "", "sent_to_supplier"},
			{"deliver before shipping", "POST", "/orders/" + n + "/deliver", `{"lines":[1]}`, 409, "conflict", "", "sent_to_supplier"},
			{"ship an unknown line", "POST", "/orders/" + n + "/ship", `{"lines":[4]}`, 422, "invalid", "lines[0]", "no line 4"},
		})
		if s := a.must(200, "POST", "/orders/"+n+"/ship", ``); s.str("state") != "shipped" || s.str("lines.0.shipped") != "2" {
			t.Errorf("ship: %s", s.raw)
		}
		if d := a.must(200, "POST", "/orders/"+n+"/deliver", `{"note":"Signed by G. Rossi"}`); d.str("state") != "delivered" {
			t.Errorf("deliver: %s", d.raw)
		}
		if a.fx.ATS(mug) != 8 {
			t.Errorf("ATS after shipping 2 of 10 = %d, want 8", a.fx.ATS(mug))
		}
		tl := a.must(200, "GET", "/orders/"+n+"/timeline", "")
		var events []string
		for i, e := range tl.body["items"].([]any) {
			e := e.(map[string]any)
			events = append(events, e["event"].(string))
			if e["actor"] != a.actor {
				t.Errorf("timeline entry %d (%s) by %v, want %s", i, e["event"], e["actor"], a.actor)
			}
		}
		want := []string{"placed", "held", "state_changed", "hold_released", "held", "address_changed", "address_changed",
			"sent_to_supplier", "shipped", "delivered"}
		if !slices.Equal(events, want) {
			t.Errorf("timeline events = %v, want %v", events, want)
		}
		a.checkProblems([]problemCase{
			{"cancel a delivered order", "POST", "/orders/" + n + "/cancel", `{"reason":"late"}`, 409, "conflict", "", "is delivered"},
		})
	})
}

func TestOrderListAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Admin, orders.Options{})
		a.fx.AddSKU("MUG-1", 10)
		a.fx.AddSKU("TEE-1", 10)
		a.fx.AddSKU("BACK-1", 0)
		a.must(200, "PUT", "/stock/skus/BACK-1/policy", `{"backorder_limit":5}`)

		place := func(email, lines, extra string) (number, customer string) {
			r := a.must(201, "POST", "/orders", orderJSON(email, lines, extra))
			return r.str("number"), r.str("customer_id")
		}
		o1, ana := place("ana@example.com", `{"sku":"MUG-1","quantity":1}`, `,"placed_at":"2026-02-10T10:00:00Z"`)
		o2, _ := place("Bruno@Example.com", `{"sku":"TEE-1","quantity":1}`, `,"placed_at":"2026-02-20T10:00:00Z","payment":{"status":"pending"}`)
		o3, _ := place("ana@example.com", `{"sku":"MUG-1","quantity":1},{"sku":"BACK-1","quantity":2}`, `,"placed_at":"2026-03-01T08:00:00Z"`)
		o4, _ := place("carla@example.com", `{"sku":"TEE-1","quantity":1}`, `,"channel":"shop","external_id":"S-77"`)

		l := a.must(200, "GET", "/orders", "")
		if got := numbers(l); !slices.Equal(got, []string{o4, o3, o2, o1}) || l.str("next") != "" {
			t.Fatalf("all orders = %v, want newest first [%s %s %s %s]: %s", got, o4, o3, o2, o1, l.raw)
		}
		if l.str("items.1.state") != "awaiting_stock" || l.str("items.1.lines") != "2" || l.str("items.1.units") != "3" ||
			l.str("items.2.holds") != `["payment"]` || l.str("items.0.channel") != "shop" || l.str("items.2.email") != "Bruno@Example.com" {
			t.Errorf("order summaries: %s", l.raw)
		}
		for query, want := range map[string][]string{
			"state=on_hold":        {o2},
			"state=awaiting_stock": {o3},
			"state=ready_to_route": {o4, o1},
			"hold=payment":         {o2},
			"hold=address":         {},
			"backordered=true":     {o3},
			"backordered=false":    {o4, o3, o2, o1},
			"preordered=true":      {},
			"channel=shop":         {o4},
			"channel=api":          {o3, o2, o1},
			"customer=" + ana:      {o3, o1},
			"customer=" + ana + "&state=awaiting_stock": {o3},
			"q=BACK-1":                      {o3},
			"q=back-1":                      {o3},
			"q=MUG-1":                       {o3, o1},
			"q=bruno%40":                    {o2},
			"q=BRUNO%40example.com":         {o2},
			"q=ana":                         {o3, o1},
			"q=" + o1:                       {o1},
			"q=%23" + o2:                    {o2},
			"q=S-77":                        {o4},
			"q=nobody":                      {},
			"from=2026-02-15&to=2026-03-01": {o3, o2},
			"from=2026-02-15T00:00:00Z&to=2026-03-01T08:00:00Z": {o2},
			"from=2026-03-01T09:00:00%2B01:00":                  {o4, o3},
			"from=2026-03-01T09:00:00+01:00":                    {o4, o3},
			"to=2026-02-10":                                     {o1},
		} {
			if got := numbers(a.must(200, "GET", "/orders?"+query, "")); !slices.Equal(got, want) {
				t.Errorf("orders?%s = %v, want %v", query, got, want)
			}
		}

		// Keyset pages: no order twice, none missed.
		var seen []string
		after := ""
		for page := 0; page < 5; page++ {
			p := a.must(200, "GET", "/orders?limit=3&after="+after, "")
			seen = append(seen, numbers(p)...)
			if after = p.str("next"); after == "" {
				break
			}
		}
		if !slices.Equal(seen, []string{o4, o3, o2, o1}) {
			t.Errorf("pages of 3 = %v", seen)
		}
		p1 := a.must(200, "GET", "/orders?limit=1&state=ready_to_route", "")
		p2 := a.must(200, "GET", "/orders?limit=1&state=ready_to_route&after="+p1.str("next"), "")
		if !slices.Equal(numbers(p1), []string{o4}) || p1.str("next") == "" || !slices.Equal(numbers(p2), []string{o1}) || p2.str("next") != "" {
			t.Errorf("filtered pages of 1: %s / %s", p1.raw, p2.raw)
		}

		a.checkProblems([]problemCase{
			{"bad state", "GET", "/orders?state=lost", "", 422, "invalid", "query.state", ""},
			{"bad hold", "GET", "/orders?hold=fraud", "", 422, "invalid", "query.hold", ""},
			{"bad backordered", "GET", "/orders?backordered=maybe", "", 422, "invalid", "query.backordered", ""},
			{"bad channel", "GET", "/orders?channel=Web%20Shop", "", 422, "invalid", "query.channel", ""},
			{"bad customer", "GET", "/orders?customer=0", "", 422, "invalid", "query.customer", ""},
			{"bad from", "GET", "/orders?from=yesterday", "", 422, "invalid", "query.from", "yesterday"},
			{"bad to", "GET", "/orders?to=2026-02-30", "", 422, "invalid", "query.to", ""},
			{"to before from", "GET", "/orders?from=2026-03-02&to=2026-03-01", "", 422, "invalid", "query.to", "after from"},
			{"bad cursor", "GET", "/orders?after=zzz", "", 422, "invalid", "query.after", ""},
			{"limit too big", "GET", "/orders?limit=500", "", 422, "invalid", "query.limit", ""},
			{"q too long", "GET", "/orders?q=" + strings.Repeat("x", 201), "", 422, "invalid", "query.q", ""},
		})
	})
}

// TestPlaceOrderKeyOutlivesLostClaim covers the gap decision 0003 names: the
// business transaction committed but the stored answer was lost (a crash
// before it was written; here, the key row deleted). A retry with the same
// key must find the order, not place it again.
func TestPlaceOrderKeyOutlivesLostClaim(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Operations, orders.Options{})
		mug := a.fx.AddSKU("MUG-1", 10)
		body := orderJSON("ana@example.com", `{"sku":"MUG-1","quantity":2}`, "")
		key := map[string]string{"Idempotency-Key": "lost-answer"}
		r1, _ := a.call("POST", "/orders", body, key)
		if r1.status != 201 {
			t.Fatalf("first: %d %s", r1.status, r1.raw)
		}
		if _, err := db.W.Exec(`DELETE FROM idempotency_keys`); err != nil {
			t.Fatal(err)
		}
		r2, _ := a.call("POST", "/orders", body, key)
		if r2.status != 200 || r2.str("number") != r1.str("number") {
			t.Errorf("retry after the answer was lost: %d %s, want 200 and order %s", r2.status, r2.raw, r1.str("number"))
		}
		// Another key is another order.
		if r3, _ := a.call("POST", "/orders", body, map[string]string{"Idempotency-Key": "other"}); r3.status != 201 || r3.str("number") == r1.str("number") {
			t.Errorf("a new key: %d %s", r3.status, r3.raw)
		}
		if a.fx.ATS(mug) != 6 {
			t.Errorf("ATS %d, want 6 (two orders of 2)", a.fx.ATS(mug))
		}
	})
}
