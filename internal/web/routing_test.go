package web_test

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/web"
)

func TestRoutingAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		admin := newAPIClient(t, db, auth.Admin)
		ops := newAPIClient(t, db, auth.Operations)
		support := newAPIClient(t, db, auth.Support)
		reader := newAPIClient(t, db, auth.ReadOnly)

		admin.must(201, "POST", "/products", heartProduct) // tags home, gift
		supA := admin.must(201, "POST", "/suppliers", `{"name":"Lisboa Cerâmica","timezone":"Europe/Lisbon","country":"PT"}`).str("id")
		supB := admin.must(201, "POST", "/suppliers", `{"name":"Milano Casa","timezone":"Europe/Rome","country":"IT"}`).str("id")
		offA := admin.must(201, "POST", "/offers", `{"supplier_id":`+supA+`,"sku":"heart-w","supplier_sku":"LC-1",
			"cost":{"amount":"1.10","currency":"GBP"},"lead_time_days":2}`).str("id")
		offB := admin.must(201, "POST", "/offers", `{"supplier_id":`+supB+`,"sku":"heart-w","supplier_sku":"MC-1",
			"cost":{"amount":"1.50","currency":"GBP"},"lead_time_days":2,"priority":2}`).str("id")
		inv := inventory.New(db, time.Now, inventory.Options{})
		for _, o := range []string{offA, offB} {
			id, _ := strconv.ParseInt(o, 10, 64)
			if _, err := inv.Report(context.Background(), id, 10, time.Time{}, "test"); err != nil {
				t.Fatal(err)
			}
		}

		// The test box with no rule: the default strategy, lowest cost, takes A.
		order := `{"channel":"shopify","shipping_address":{"country":"IT","postal_code":"20121"},"lines":[{"sku":"heart-w","quantity":2}]}`
		d := reader.must(200, "POST", "/routing/test", order)
		if d.str("strategy") != "lowest_cost" || d.str("lines.0.parts.0.supplier_id") != supA ||
			!strings.Contains(d.str("lines.0.why"), "line 1 → Lisboa Cerâmica: Milano Casa landed cost +0.80 GBP") {
			t.Errorf("test decision: %s", d.raw)
		}

		// A gift rule for Italy prefers B.
		support.must(403, "POST", "/routing/rules", `{"name":"gifts","strategy":"priority","suppliers":[`+supB+`]}`)
		ops.must(422, "POST", "/routing/rules", `{"name":"bad","strategy":"cheapest"}`)
		bad := ops.must(422, "POST", "/routing/rules", `{"name":"bad","strategy":"priority",
			"conditions":{"countries":["ZZ"],"min_total":-1}}`)
		for _, want := range []string{"not an ISO 3166-1 alpha-2", "must not be negative"} {
			if !strings.Contains(bad.raw, want) {
				t.Errorf("validation lacks %q: %s", want, bad.raw)
			}
		}
		if bad := ops.must(422, "POST", "/routing/rules", `{"name":"bad","strategy":"priority","suppliers":[999]}`); !strings.Contains(bad.raw, "unknown supplier id 999") {
			t.Errorf("unknown supplier: %s", bad.raw)
		}
		gift := ops.must(201, "POST", "/routing/rules", `{"name":"gifts to Italy","strategy":"priority","suppliers":[`+supB+`],
			"conditions":{"countries":["it"],"tags":["Gift"],"channels":["shopify"]}}`)
		if gift.str("position") != "1" || gift.str("conditions.countries.0") != "IT" || gift.str("conditions.tags.0") != "gift" {
			t.Errorf("rule: %s", gift.raw)
		}
		other := ops.must(201, "POST", "/routing/rules", `{"name":"fast","strategy":"fastest","position":1}`)
		if r := reader.must(200, "GET", "/routing/rules", ""); r.str("rules.0.id") != other.str("id") || r.str("rules.1.id") != gift.str("id") {
			t.Errorf("rules: %s", r.raw)
		}
		ops.must(200, "PUT", "/routing/rules-order", `{"ids":[`+gift.str("id")+`,`+other.str("id")+`]}`)
		d = reader.must(200, "POST", "/routing/test", order)
		if d.str("rule_id") != gift.str("id") || d.str("lines.0.parts.0.supplier_id") != supB ||
			!strings.Contains(d.str("lines.0.why"), "Lisboa Cerâmica is not in the preference list") {
			t.Errorf("test decision with the rule: %s", d.raw)
		}
		// Another channel: the gift rule does not hold; "fast" (no dates) falls back to cost.
		d = reader.must(200, "POST", "/routing/test", strings.Replace(order, "shopify", "api", 1))
		if d.str("rule_id") != other.str("id") || d.str("lines.0.parts.0.supplier_id") != supA {
			t.Errorf("test decision on another channel: %s", d.raw)
		}
		reader.must(422, "POST", "/routing/test", `{"shipping_address":{"country":"IT"},"lines":[{"sku":"nope","quantity":1}]}`)

		ops.must(200, "PUT", "/routing/rules/"+other.str("id"), `{"name":"fast","strategy":"fastest","enabled":false}`)
		if r := reader.must(200, "GET", "/routing/rules/"+other.str("id"), ""); r.str("enabled") != "false" || r.str("position") != "2" {
			t.Errorf("updated rule: %s", r.raw)
		}
		ops.must(204, "DELETE", "/routing/rules/"+other.str("id"), "")
		reader.must(404, "GET", "/routing/rules/"+other.str("id"), "")

		if s := reader.must(200, "GET", "/routing/settings", ""); s.str("default_strategy") != "lowest_cost" || s.str("max_parts") != "3" {
			t.Errorf("settings: %s", s.raw)
		}
		reader.must(403, "PUT", "/routing/settings", `{"default_strategy":"fastest","max_parts":2}`)
		ops.must(422, "PUT", "/routing/settings", `{"default_strategy":"fastest","max_parts":0}`)
		if s := ops.must(200, "PUT", "/routing/settings", `{"default_strategy":"fewest_shipments","max_parts":2}`); s.str("max_parts") != "2" {
			t.Errorf("settings: %s", s.raw)
		}

		reader.must(404, "GET", "/orders/4242/routing", "")
		reader.must(403, "POST", "/orders/4242/route", "")

		// Route an order by hand through a server whose router has a test sink.
		ord, err := orders.New(db, inv, customers.NewService(db, time.Now), nil, time.Now, orders.Options{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := ord.Place(context.Background(), orders.PlaceInput{Channel: "shopify", Currency: "GBP",
			Customer:        orders.CustomerInput{Email: "giulia@example.com", Name: "Giulia Rossi"},
			ShippingAddress: customers.Address{Name: "Giulia Rossi", Line1: "Via Roma 10", City: "Milano", PostalCode: "20121", Country: "IT"},
			Lines:           []orders.LineInput{{SKU: "HEART-W", Quantity: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		sink := &recordingSink{}
		router := routing.NewRouter(db, routing.NewService(db, time.Now), ord, inv, sink, nil, time.Now)
		staff := newRoutingClient(t, db, router, auth.Support)
		n := strconv.FormatInt(p.Order.Number, 10)
		r := staff.must(200, "POST", "/orders/"+n+"/route", "")
		if r.str("routed") != "true" || r.str("decision.lines.0.parts.0.supplier_id") != supB || len(sink.got) != 1 || sink.got[0].Quantity != 2 {
			t.Errorf("route: %s (sink %+v)", r.raw, sink.got)
		}
		if r := staff.must(200, "POST", "/orders/"+n+"/route", ""); r.str("routed") != "false" {
			t.Errorf("route again: %s", r.raw)
		}
		ds := reader.must(200, "GET", "/orders/"+n+"/routing", "")
		if ds.str("decisions.0.trigger") != "manual" || ds.str("decisions.0.rule_id") != gift.str("id") ||
			!strings.HasPrefix(ds.str("decisions.0.decision.lines.0.why"), "line 1 → Milano Casa") || ds.str("decisions.1.id") != "" {
			t.Errorf("decisions: %s", ds.raw)
		}
	})
}

type recordingSink struct{ got []routing.Assignment }

func (s *recordingSink) AddTx(_ context.Context, _ *sql.Tx, as []routing.Assignment) error {
	s.got = append(s.got, as...)
	return nil
}

// newRoutingClient is newAPIClient for a server using router.
func newRoutingClient(t *testing.T, db *store.DB, router *routing.Router, role auth.Role) *apiClient {
	t.Helper()
	srv, err := web.New(web.Config{DB: db, Logger: slog.New(slog.DiscardHandler), Now: catalogClock, Routing: router})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	secret, _, err := auth.NewService(db, catalogClock).CreateToken(ctx, auth.NewToken{Name: "routing-test", Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{t: t, base: ts.URL + web.APIPrefix, token: secret}
}
