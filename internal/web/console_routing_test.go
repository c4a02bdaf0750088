package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// routingRuleIDs returns the rules' ids in the order they are tried.
func routingRuleIDs(t *testing.T, db *store.DB) []int64 {
	t.Helper()
	rows, err := db.R.Query(`SELECT id FROM routing_rules ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

func countRows(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.R.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Staff create, edit, reorder and delete routing rules through the forms; a
// refused form keeps its values and shows the error next to its field.
func TestConsoleRoutingRules(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		fx := orderstest.New(t, db, orders.Options{})
		s, base := newConsoleServerWith(t, Config{DB: db, Now: fx.Clock.Now, Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
		email, pw := consoleUser(t, s, auth.Operations, "ops@example.com")
		c := newConsoleClient(t, base)
		c.login(email, pw)

		page := c.get("/console/routing")
		wantStatus(t, page, http.StatusOK)
		wantBody(t, page, "No rules", `action="/console/routing/test"`, `href="/console/routing/rules/new"`)
		wantStatus(t, c.get("/console/routing/rules/new"), http.StatusOK)

		// A bad country and an unknown supplier: 422, values kept, errors by the fields.
		bad := c.post("/console/routing/rules", url.Values{"name": {"Italy first"}, "strategy": {"priority"}, "countries": {"XX"},
			"suppliers": {"Nobody Ltd"}, "enabled": {"1"}})
		wantStatus(t, bad, http.StatusUnprocessableEntity)
		wantBody(t, bad, `value="Italy first"`, `value="Nobody Ltd"`, `id="f-suppliers-err"`, `no supplier is called`)
		if n := countRows(t, db, "routing_rules"); n != 0 {
			t.Fatalf("a refused form wrote %d rules", n)
		}
		bad = c.post("/console/routing/rules", url.Values{"name": {"Italy first"}, "strategy": {"priority"}, "countries": {"XX"}, "enabled": {"1"}})
		wantStatus(t, bad, http.StatusUnprocessableEntity)
		wantBody(t, bad, `id="f-countries-err"`, "ISO 3166-1")

		ok := c.post("/console/routing/rules", url.Values{"name": {"Italy first"}, "strategy": {"priority"}, "countries": {"it, fr"},
			"suppliers": {"fixture supplier"}, "only_listed": {"1"}, "enabled": {"1"}})
		wantStatus(t, ok, http.StatusSeeOther)
		ok = c.post("/console/routing/rules", url.Values{"name": {"Big orders"}, "strategy": {"fastest"}, "min_total": {"10000"}})
		wantStatus(t, ok, http.StatusSeeOther)
		ids := routingRuleIDs(t, db)
		if len(ids) != 2 {
			t.Fatalf("rules %v, want 2", ids)
		}
		page = c.get("/console/routing?done=routing-rule-saved")
		wantBody(t, page, "Routing rule saved", "ships to one of IT, FR", "Fixture Supplier", "only these", "fixed priority",
			"total at least 10000", `<span class="badge">disabled</span>`)

		// Edit: the form holds the rule; saving changes it.
		edit := c.get(fmt.Sprintf("/console/routing/rules/%d", ids[0]))
		wantStatus(t, edit, http.StatusOK)
		wantBody(t, edit, `value="IT, FR"`, `value="Fixture Supplier"`)
		ok = c.post(fmt.Sprintf("/console/routing/rules/%d", ids[0]), url.Values{"name": {"Italy only"}, "strategy": {"lowest_cost"},
			"countries": {"IT"}, "enabled": {"1"}})
		wantStatus(t, ok, http.StatusSeeOther)
		r, err := s.cfg.Routing.Rules().Rule(t.Context(), ids[0])
		if err != nil {
			t.Fatal(err)
		}
		if r.Name != "Italy only" || r.Strategy != "lowest_cost" || len(r.Suppliers) != 0 || r.OnlyListed || !r.Enabled || r.Position != 1 {
			t.Fatalf("after the edit: %+v", r)
		}

		// Move the second rule up; moving the first up changes nothing.
		wantStatus(t, c.post(fmt.Sprintf("/console/routing/rules/%d/move", ids[1]), url.Values{"direction": {"up"}}), http.StatusSeeOther)
		if got := routingRuleIDs(t, db); got[0] != ids[1] || got[1] != ids[0] {
			t.Fatalf("after move up: %v, want [%d %d]", got, ids[1], ids[0])
		}
		wantStatus(t, c.post(fmt.Sprintf("/console/routing/rules/%d/move", ids[1]), url.Values{"direction": {"up"}}), http.StatusSeeOther)
		wantStatus(t, c.post(fmt.Sprintf("/console/routing/rules/%d/move", ids[1]), url.Values{"direction": {"down"}}), http.StatusSeeOther)
		if got := routingRuleIDs(t, db); got[0] != ids[0] || got[1] != ids[1] {
			t.Fatalf("after move down: %v, want %v", got, ids)
		}

		// Settings: a bad number is refused by its field; a good one saved.
		bad = c.post("/console/routing/settings", url.Values{"default_strategy": {"fastest"}, "max_parts": {"11"}})
		wantStatus(t, bad, http.StatusUnprocessableEntity)
		wantBody(t, bad, "between 1 and 10", `value="11"`)
		wantStatus(t, c.post("/console/routing/settings", url.Values{"default_strategy": {"fastest"}, "max_parts": {"2"}}), http.StatusSeeOther)
		if st, err := s.cfg.Routing.Rules().Settings(t.Context()); err != nil || st.DefaultStrategy != "fastest" || st.MaxParts != 2 {
			t.Fatalf("settings %+v, %v", st, err)
		}

		// Delete.
		wantStatus(t, c.post(fmt.Sprintf("/console/routing/rules/%d/delete", ids[1]), nil), http.StatusSeeOther)
		if got := routingRuleIDs(t, db); len(got) != 1 || got[0] != ids[0] {
			t.Fatalf("after delete: %v", got)
		}

		// A read-only user sees the rules but no forms, and may not post.
		email, pw = consoleUser(t, s, auth.ReadOnly, "ro@example.com")
		ro := newConsoleClient(t, base)
		ro.login(email, pw)
		page = ro.get("/console/routing")
		wantStatus(t, page, http.StatusOK)
		wantBody(t, page, "Italy only", "fastest delivery")
		wantNotBody(t, page, `/move"`, `/delete"`, `action="/console/routing/settings"`, `href="/console/routing/rules/new"`)
		wantStatus(t, ro.post(fmt.Sprintf("/console/routing/rules/%d/delete", ids[0]), nil), http.StatusForbidden)
		wantStatus(t, ro.get(fmt.Sprintf("/console/routing/rules/%d", ids[0])), http.StatusForbidden)
	})
}

// The test box shows the decision for a pasted order, and a malformed order
// or an unknown SKU as an error on the page; nothing is written either way.
func TestConsoleRoutingTestBox(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		fx := orderstest.New(t, db, orders.Options{})
		mug := fx.AddSKU("MUG-1", 10)
		s, base := newConsoleServerWith(t, Config{DB: db, Now: fx.Clock.Now, Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
		// A second supplier offers the mug but has none in stock.
		empty := consoleSupplierID(t, s)
		if _, err := db.W.Exec(`INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency, lead_time_days,
			min_order_qty, priority, status, created_at, updated_at) VALUES ($1, $2, 'EMPTY-1', 100, 'EUR', 1, 1, 1, 'active', $3, $3)`,
			empty, mug.Variant, orderstest.T0); err != nil {
			t.Fatal(err)
		}
		var emptyName string
		if err := db.R.QueryRow(`SELECT name FROM suppliers WHERE id = $1`, empty).Scan(&emptyName); err != nil {
			t.Fatal(err)
		}
		if _, err := s.cfg.Routing.Rules().CreateRule(t.Context(), italyRule("Italy", "IT")); err != nil {
			t.Fatal(err)
		}
		email, pw := consoleUser(t, s, auth.ReadOnly, "ro@example.com")
		c := newConsoleClient(t, base)
		c.login(email, pw)
		before := countRows(t, db, "routing_decisions") + countRows(t, db, "purchase_order_lines")

		res := c.post("/console/routing/test", url.Values{"order": {`{"channel": "shopify", "customer": {"email": "x@example.com"},
			"shipping_address": {"country": "it", "city": "Milano"}, "lines": [{"sku": "MUG-1", "quantity": 2}]}`}})
		wantStatus(t, res, http.StatusOK)
		wantBody(t, res, `id="test-result"`, "Italy", "Fixture Supplier × 2", "line 1", emptyName+": ")
		wantNotBody(t, res, `id="test-error"`)

		res = c.post("/console/routing/test", url.Values{"order": {`{"lines": [{"sku": "MUG-1", "quantity": 2}`}})
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantBody(t, res, `id="test-error"`, "not valid JSON", "malformed JSON at line 1")
		wantNotBody(t, res, `id="test-result"`)

		res = c.post("/console/routing/test", url.Values{"order": {`{"shipping_address": {"country": "IT"}, "lines": [{"sku": "NOPE-9", "quantity": 1}]}`}})
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantBody(t, res, `id="test-error"`, "lines[0].sku", "not found")

		if after := countRows(t, db, "routing_decisions") + countRows(t, db, "purchase_order_lines"); after != before {
			t.Fatalf("the test box wrote: %d rows before, %d after", before, after)
		}
		if strings.Contains(res.body, "Something went wrong") {
			t.Fatal("an input error was shown as an internal one")
		}
	})
}

// italyRule is an enabled lowest-cost rule for orders to country.
func italyRule(name, country string) routing.RuleInput {
	return routing.RuleInput{Name: name, Strategy: routing.LowestCost, Conditions: routing.Conditions{Countries: []string{country}}}
}
