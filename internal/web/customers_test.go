package web_test

import (
	"slices"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestCustomersAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Support, orders.Options{})
		a.fx.AddSKU("MUG-1", 50)
		mug := `{"sku":"MUG-1","quantity":1}`
		o1 := a.must(201, "POST", "/orders", orderJSON("giulia@example.com", mug, `,"placed_at":"2026-02-01T10:00:00Z"`))
		giulia := o1.str("customer_id")
		a.must(201, "POST", "/orders", `{"currency":"EUR","customer":{"email":"Bruno.Alves@example.com","name":"Bruno Alves"},
			"shipping_address":{"name":"Bruno Alves","line1":"Rua Augusta 10","city":"Lisboa","postal_code":"1100-053","country":"PT"},
			"lines":[`+mug+`]}`)
		// Giulia again, same email in another case, at a new address.
		o3 := a.must(201, "POST", "/orders", `{"currency":"EUR","customer":{"email":"GIULIA@example.com","name":"Giulia Rossi"},
			"shipping_address":{"name":"Giulia Rossi","line1":"Via Po 1","city":"Torino","postal_code":"10121","country":"IT"},
			"lines":[{"sku":"MUG-1","quantity":2}]}`)
		if o3.str("customer_id") != giulia {
			t.Fatalf("the same email in another case made another customer: %s vs %s", o3.str("customer_id"), giulia)
		}

		l := a.must(200, "GET", "/customers", "")
		if l.str("items.0.id") != giulia || l.str("items.0.email") != "giulia@example.com" || l.str("items.0.orders_count") != "2" ||
			l.str("items.1.email") != "Bruno.Alves@example.com" || l.str("items.2.id") != "" || l.str("next") != "" {
			t.Errorf("customers: %s", l.raw)
		}
		if q := a.must(200, "GET", "/customers?q=ALVES", ""); q.str("items.0.name") != "Bruno Alves" || q.str("items.1.id") != "" {
			t.Errorf("customers?q=ALVES: %s", q.raw)
		}
		if q := a.must(200, "GET", "/customers?q=nobody", ""); q.str("items") != "[]" {
			t.Errorf("customers?q=nobody: %s", q.raw)
		}
		p1 := a.must(200, "GET", "/customers?limit=1", "")
		p2 := a.must(200, "GET", "/customers?limit=1&after="+p1.str("next"), "")
		if p1.str("items.0.id") != giulia || p1.str("next") == "" || p2.str("items.0.name") != "Bruno Alves" || p2.str("next") != "" {
			t.Errorf("customer pages: %s / %s", p1.raw, p2.raw)
		}

		c := a.must(200, "GET", "/customers/"+giulia, "")
		for path, want := range map[string]string{
			"email": "giulia@example.com", "name": "Giulia Rossi", "locale": "it", "orders_count": "2",
			"first_order_at": "2026-02-01T10:00:00Z", "last_order_at": "2026-03-02T09:30:00Z",
			"addresses.0.address.city": "Torino", "addresses.1.address.city": "Milano", "addresses.2.id": "",
			"orders.items.0.number": o3.str("number"), "orders.items.0.units": "2", "orders.items.1.number": o1.str("number"),
			"orders.items.2.number": "", "orders.next": "",
		} {
			if got := c.str(path); got != want {
				t.Errorf("customer %s = %q, want %q", path, got, want)
			}
		}
		// The customer's orders continue in GET /orders?customer=.
		if got := numbers(a.must(200, "GET", "/orders?customer="+giulia, "")); !slices.Equal(got, []string{o3.str("number"), o1.str("number")}) {
			t.Errorf("orders?customer=%s = %v", giulia, got)
		}

		a.checkProblems([]problemCase{
			{"unknown customer", "GET", "/customers/99999", "", 404, "not_found", "", "customer 99999"},
			{"customer 0", "GET", "/customers/0", "", 422, "invalid", "path.id", ""},
			{"bad cursor", "GET", "/customers?after=zzz", "", 422, "invalid", "query.after", ""},
			{"limit too big", "GET", "/customers?limit=201", "", 422, "invalid", "query.limit", ""},
		})
		a.as(auth.Finance).must(200, "GET", "/customers/"+giulia, "")
		a.as(auth.ReadOnly).must(403, "GET", "/customers/"+giulia, "")
	})
}

// TestCustomerOrdersPage: a customer's page shows their newest orders and a
// cursor that GET /orders?customer= continues.
func TestCustomerOrdersPage(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	a := newOrderAPI(t, db, auth.Admin, orders.Options{})
	a.fx.AddSKU("MUG-1", 100)
	var placed []string
	var id string
	for range 23 {
		r := a.must(201, "POST", "/orders", orderJSON("giulia@example.com", `{"sku":"MUG-1","quantity":1}`, ""))
		placed, id = append([]string{r.str("number")}, placed...), r.str("customer_id")
	}
	c := a.must(200, "GET", "/customers/"+id, "")
	first := numbers(reply{body: c.body["orders"].(map[string]any)})
	if c.str("orders_count") != "23" || !slices.Equal(first, placed[:20]) || c.str("orders.next") == "" {
		t.Fatalf("customer orders (want the newest 20 of 23 and a cursor): %v %s", first, c.raw)
	}
	rest := a.must(200, "GET", "/orders?customer="+id+"&after="+c.str("orders.next"), "")
	if got := numbers(rest); !slices.Equal(got, placed[20:]) || rest.str("next") != "" {
		t.Errorf("the rest of the customer's orders = %v, want %v", got, placed[20:])
	}
}
