package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// benchOrderBase is the time order i = 0 would have been placed; order i is
// placed i minutes later (100k orders span about 69 days).
var benchOrderBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// seedBigOrders writes n orders (numbers 1001…1000+n) with set-based SQL, two
// lines each over 200 SKUs, for 20,000 customers. The mix, by order number:
//
//	i % 100:  0-1 on hold (one open hold: address, payment, stock or manual by i % 4)
//	          2-6 awaiting stock (2-5: line 1 backordered; 6: line 1 pre-ordered)
//	          7-16 ready to route, 17-26 sent to supplier, 27-31 partially shipped,
//	          32-61 shipped, 62-96 delivered, 97-99 cancelled
//	i % 10:   0-5 api, 6-8 shopify (external id SH-i), 9 csv (external id CSV-i)
//
// Lines' units sit in the bucket their state implies, so the schema's checks hold.
func seedBigOrders(b *testing.B, db *store.DB, n int) {
	b.Helper()
	ctx := context.Background()
	seq := func(upTo int) string {
		return fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %d) `, upTo)
	}
	// placed_at of order i. SQLite stores times as integer microseconds.
	t0 := benchOrderBase
	placed := `$1 + i * 60000000`
	if db.Engine == store.Postgres {
		placed = `$1::timestamptz + i * interval '1 minute'`
	}
	state := `CASE WHEN i % 100 < 2 THEN 'on_hold' WHEN i % 100 < 7 THEN 'awaiting_stock' WHEN i % 100 < 17 THEN 'ready_to_route'
		WHEN i % 100 < 27 THEN 'sent_to_supplier' WHEN i % 100 < 32 THEN 'partially_shipped' WHEN i % 100 < 62 THEN 'shipped'
		WHEN i % 100 < 97 THEN 'delivered' ELSE 'cancelled' END`
	channel := `CASE WHEN i % 10 < 6 THEN 'api' WHEN i % 10 < 9 THEN 'shopify' ELSE 'csv' END`
	external := `CASE WHEN i % 10 < 6 THEN NULL WHEN i % 10 < 9 THEN 'SH-' || i ELSE 'CSV-' || i END`
	// Line 1 (quantity 1) and line 2 (quantity 2) of order i = id - 1000.
	lineState := func(pos int) string {
		first := ""
		if pos == 1 {
			first = `WHEN i % 100 BETWEEN 2 AND 5 THEN 'backordered' WHEN i % 100 = 6 THEN 'preordered' `
		}
		return `CASE ` + first + `WHEN i % 100 < 17 THEN 'allocated' WHEN i % 100 < 27 THEN 'sent_to_supplier'
			WHEN i % 100 < 32 THEN '` + map[int]string{1: "shipped", 2: "sent_to_supplier"}[pos] + `'
			WHEN i % 100 < 62 THEN 'shipped' WHEN i % 100 < 97 THEN 'delivered' ELSE 'cancelled' END`
	}
	lines := func(pos, qty, step int) string {
		bucket := func(states ...string) string {
			return fmt.Sprintf(`CASE WHEN st IN ('%s') THEN %d ELSE 0 END`, strings.Join(states, "', '"), qty)
		}
		return fmt.Sprintf(`INSERT INTO order_lines (order_id, position, variant_id, sku, title, state, quantity, unit_price_amount,
				total_amount, qty_reserved, qty_backordered, qty_preordered, qty_shipped, qty_cancelled, created_at, updated_at)
			SELECT id, %d, v, 'SKU-B' || (10000 + v), 'Bench', st, %d, 1000, %d, %s, %s, %s, %s, %s, created_at, created_at
			FROM (SELECT id, v, created_at, %s AS st
				FROM (SELECT o.id, o.id - 1000 AS i, ((o.id - 1000) * %d) %% 200 + 1 AS v, o.created_at FROM orders o) y) x`,
			pos, qty, 1000*qty, bucket("allocated", "sent_to_supplier"), bucket("backordered"), bucket("preordered"),
			bucket("shipped", "delivered"), bucket("cancelled"), lineState(pos), step)
	}
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO products (title, status, created_at, updated_at) VALUES ('Bench product', 'active', $1, $1)`, []any{t0}},
		{seq(200) + `INSERT INTO variants (product_id, sku, title, price_amount, price_currency, status, created_at, updated_at)
			SELECT 1, 'SKU-B' || (10000 + i), 'v' || i, 1000, 'EUR', 'active', $1, $1 FROM seq`, []any{t0}},
		{seq(20000) + `INSERT INTO customers (email, email_key, name, name_key, locale, orders_count, created_at, updated_at)
			SELECT 'c' || i || '@example.com', 'c' || i || '@example.com', 'Customer ' || i, 'customer ' || i, 'en', 5, $1, $1 FROM seq`, []any{t0}},
		{seq(n) + `INSERT INTO orders (channel, external_id, customer_id, email, email_key, locale, state, currency, subtotal_amount,
				discount_amount, shipping_amount, tax_amount, taxes_included, total_amount, charged_amount,
				ship_name, ship_line1, ship_city, ship_postal_code, ship_country, placed_at, created_at, updated_at)
			SELECT ` + channel + `, ` + external + `, i % 20000 + 1, 'c' || (i % 20000 + 1) || '@example.com',
				'c' || (i % 20000 + 1) || '@example.com', 'en', ` + state + `, 'EUR', 5000, 0, 490, 0, true, 5490, 5490,
				'Customer', 'Via Roma 1', 'Milano', '20121', 'IT', ` + placed + `, ` + placed + `, ` + placed + ` FROM seq`, []any{t0}},
		{lines(1, 1, 7), nil},
		{lines(2, 2, 13), nil},
		{`INSERT INTO order_holds (order_id, reason, detail, created_by, created_at)
			SELECT id, CASE ((id - 1000) / 100) % 4 WHEN 0 THEN 'address' WHEN 1 THEN 'payment' WHEN 2 THEN 'stock' ELSE 'manual' END,
				'bench', 'system:bench', created_at FROM orders WHERE state = 'on_hold'`, nil},
		{`ANALYZE`, nil},
	}
	for _, st := range stmts {
		if _, err := db.W.ExecContext(ctx, st.q, st.args...); err != nil {
			b.Fatalf("seed: %v\n%s", err, st.q)
		}
	}
}

// BenchmarkConsoleOrders measures the orders and customers pages over HTTP,
// logged in as an owner, on a 100k-order store: each iteration is one full
// request through the middleware, the service's keyset query and the
// template. "baseline-home" is the home page, which reads almost nothing, so
// the other numbers can be read as a ratio to it on a noisy machine.
//
// Figures are in docs/console.md ("Orders" → "Speed"). What limits them is
// orders.List's query shape, not the pages: it walks orders newest first
// (ORDER BY id DESC LIMIT 51) and filters each, so a filter matching few of
// many candidates reads them all. On PostgreSQL the planner also prefers that
// backward primary-key walk for the search (its OR includes an IN subquery,
// which rules out a BitmapOr of the indexes) and for date ranges far from the
// newest orders: EXPLAIN ANALYZE shows 100k rows removed by the filter.
// Computing the matching ids first (a UNION of the indexed alternatives,
// ANY(ARRAY(...)) on PostgreSQL) would make those lookups; migration 00009
// added the indexes they need (orders.external_id, lines waiting for stock by
// order).
func BenchmarkConsoleOrders(b *testing.B) {
	const orders = 100_000
	for _, e := range storetest.Engines(b) {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			seedBigOrders(b, db, orders)
			s, base := newConsoleServer(b, db)
			c := newConsoleClient(b, base)
			c.login(consoleUser(b, s, auth.Owner, "owner@example.com"))
			last := 1000 + orders
			mid := EncodeCursor(1000 + orders/2)
			pages := []struct{ name, path, want string }{
				{"baseline-home", "/", "Welcome"},
				{"orders", "/console/orders", fmt.Sprintf("#%d", last)},
				{"orders-load-more", "/console/orders?after=" + mid, fmt.Sprintf("#%d", 1000+orders/2-1)},
				{"orders-state-on_hold", "/console/orders?state=on_hold", fmt.Sprintf("#%d", last-99)},
				{"orders-state-delivered", "/console/orders?state=delivered", fmt.Sprintf("#%d", last-4)},
				{"orders-hold-manual", "/console/orders?hold=manual", fmt.Sprintf("#%d", last-99)},
				{"orders-backordered", "/console/orders?backordered=1", fmt.Sprintf("#%d", last-95)},
				{"orders-preordered", "/console/orders?preordered=1", fmt.Sprintf("#%d", last-94)},
				// Filters that match nothing read every candidate: the worst case.
				{"orders-none-backordered-delivered", "/console/orders?backordered=1&state=delivered", "No orders match"},
				{"orders-none-hold-stock-shopify", "/console/orders?hold=stock&channel=shopify&to=2026-01-05", "No orders match"},
				{"orders-channel-csv", "/console/orders?channel=csv", fmt.Sprintf("#%d", last-1)},
				{"orders-one-day", "/console/orders?from=2026-02-01&to=2026-02-01", "2026-02-01 23:59 UTC"},
				{"orders-day-and-state", "/console/orders?from=2026-02-01&to=2026-02-01&state=on_hold", "2026-02-01"},
				{"orders-search-number", fmt.Sprintf("/console/orders?q=%d", 1000+orders/2), fmt.Sprintf("#%d", 1000+orders/2)},
				{"orders-search-email", "/console/orders?q=c1234%40example.com", "c1234@example.com"},
				{"orders-search-email-prefix", "/console/orders?q=c1234%40", "c1234@example.com"},
				{"orders-search-sku", "/console/orders?q=SKU-B10042", "#"},
				{"orders-search-external-id", fmt.Sprintf("/console/orders?q=SH-%d", orders/2+7), fmt.Sprintf("#%d", 1000+orders/2+7)},
				{"orders-search-none", "/console/orders?q=nothing-matches", "No orders match"},
				{"order", fmt.Sprintf("/console/orders/%d", 1000+orders/2), "Timeline"},
				{"customers", "/console/customers", "c1@example.com"},
				{"customers-search", "/console/customers?q=c1234%40", "c1234@example.com"},
				{"customer", "/console/customers/1234", "c1234@example.com"},
				// Again at the end: on PostgreSQL the first requests after
				// the bulk insert pay for background work (autovacuum).
				{"baseline-home-again", "/", "Welcome"},
			}
			for _, p := range pages {
				b.Run(p.name, func(b *testing.B) {
					for b.Loop() {
						r := c.get(p.path)
						if r.status != http.StatusOK || !strings.Contains(r.body, p.want) {
							_, rows, _ := strings.Cut(r.body, "<tbody")
							b.Fatalf("GET %s: status %d, body lacks %q; rows:\n%.3000s", p.path, r.status, p.want, rows)
						}
					}
				})
			}
		})
	}
}
