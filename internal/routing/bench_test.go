package routing_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/bench"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// The routing benchmark's shape (issue 7): 10,000 confirmed orders over 20
// suppliers and 50,000 offers (10,000 SKUs with 5 offers each).
const (
	benchOrders    = 10_000
	benchSuppliers = 20
	benchSKUs      = 10_000
	benchOffers    = 50_000
)

// BenchmarkDecide measures the pure engine: decisions per second for orders
// of 1 to 3 lines whose SKUs each have 5 offers from 20 suppliers, under
// each strategy, with a rule set of 5 rules the orders walk through.
func BenchmarkDecide(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	perSKU := benchOffers / benchSKUs
	type sku struct{ cands []routing.Candidate }
	skus := make([]sku, benchSKUs)
	for i := range skus {
		for k := range perSKU {
			sup := int64(1 + r.IntN(benchSuppliers))
			skus[i].cands = append(skus[i].cands, routing.Candidate{OfferID: int64(i*perSKU + k + 1), SupplierID: sup,
				SupplierName: fmt.Sprintf("Supplier %d", sup), OfferPriority: k + 1, Paused: r.IntN(50) == 0,
				Available: r.IntN(20), UnitCost: money.Money{Amount: int64(200 + r.IntN(800)), Currency: "EUR"},
				Shipping: int64(300 + 50*sup), Latest: fmt.Sprintf("2026-03-%02d", 5+sup%10), WithinPromise: sup%7 != 0})
		}
	}
	orders := make([]routing.Order, benchOrders)
	for i := range orders {
		o := routing.Order{ID: int64(i + 1), Country: []string{"IT", "DE", "FR", "PT"}[r.IntN(4)], Channel: "api",
			Total: money.Money{Amount: int64(1000 + r.IntN(20000)), Currency: "EUR"}, PromiseLatest: "2026-03-12"}
		for p := range 1 + r.IntN(3) {
			s := r.IntN(benchSKUs)
			o.Lines = append(o.Lines, routing.Line{ID: int64(p + 1), Position: p + 1, VariantID: int64(s + 1),
				SKU: fmt.Sprintf("SKU-%d", s), Quantity: 1 + r.IntN(3), Candidates: skus[s].cands})
		}
		orders[i] = o
	}
	min5000 := int64(5000)
	rules := []routing.Rule{
		{ID: 1, Enabled: true, Strategy: routing.Fastest, Conditions: routing.Conditions{Countries: []string{"FR"}, MinTotal: &min5000}},
		{ID: 2, Enabled: true, Strategy: routing.Priority, Suppliers: []int64{3, 1, 7}, Conditions: routing.Conditions{Countries: []string{"PT"}}},
		{ID: 3, Enabled: true, Strategy: routing.FewestShipments, Conditions: routing.Conditions{Channels: []string{"shopify"}}},
		{ID: 4, Enabled: true, Strategy: routing.LowestCost, Suppliers: []int64{2, 4}, OnlyListed: true, Conditions: routing.Conditions{SKUs: []string{"SKU-1"}}},
	}
	for _, st := range routing.Strategies() {
		b.Run(string(st), func(b *testing.B) {
			settings := routing.Settings{DefaultStrategy: st, MaxParts: 3}
			b.ReportAllocs()
			start := time.Now()
			for i := 0; b.Loop(); i++ {
				routing.Decide(orders[i%len(orders)], rules, settings)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
		})
	}
}

// nopSink takes the assignments and writes nothing: the benchmark measures
// routing, not purchasing.
type nopSink struct{}

func (nopSink) AddTx(context.Context, *sql.Tx, []routing.Assignment) error { return nil }

// BenchmarkRoute measures Route end to end (read the order and its
// candidates, decide, move reservations, mark lines sent, timeline and
// decision rows, one transaction) for confirmed orders of 1 to 3 lines on a
// store of 10,000 SKUs with 50,000 offers over 20 suppliers. Each iteration
// routes one order that is not yet routed: run it with -benchtime=10000x
// (more iterations than orders route nothing new). Setup (seeding and
// placing 10,000 orders) is not timed.
func BenchmarkRoute(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, e)
			numbers, router := seedRouting(b, ctx, db)
			b.ResetTimer()
			start := time.Now()
			routed := 0
			for i := 0; b.Loop(); i++ {
				d, err := router.Route(ctx, numbers[i%len(numbers)], routing.TriggerConfirmed)
				if err != nil {
					b.Fatal(err)
				}
				if d != nil {
					routed++
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
			if b.N <= len(numbers) && routed != b.N {
				b.Fatalf("%d of %d orders routed", routed, b.N)
			}
		})
	}
}

// seedRouting seeds the store and places the orders; it returns their numbers.
func seedRouting(b *testing.B, ctx context.Context, db *store.DB) ([]int64, *routing.Router) {
	b.Helper()
	cat, err := bench.Seed(ctx, db, bench.SeedOptions{SKUs: benchSKUs, Stock: 1000})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	// 16 more suppliers, and offers on them until there are 50,000, each
	// with stock, at a cost that differs by supplier.
	if _, err := db.W.ExecContext(ctx, `INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
		SELECT 'Bench supplier ' || n, 'Europe/Rome', 'IT', 'active', $1, $1 FROM (`+series(benchSuppliers-len(cat.Suppliers))+`) s`, now); err != nil {
		b.Fatal(err)
	}
	var offers int
	if err := db.W.QueryRowContext(ctx, `SELECT COUNT(*) FROM supplier_offers`).Scan(&offers); err != nil {
		b.Fatal(err)
	}
	for k := 0; offers < benchOffers; k++ {
		n := min(benchSKUs, benchOffers-offers)
		if _, err := db.W.ExecContext(ctx, `INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency,
			lead_time_days, min_order_qty, priority, status, created_at, updated_at)
			SELECT su.id, v.id, 'X' || v.id || '-' || su.id, 100 + (v.id * 7 + su.id * 13) % 400, 'EUR', 2, 1, 10 + $1, 'active', $2, $2
			FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM variants) v
			JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k FROM suppliers) su ON su.k = (v.rn + $1 * 7 + 4) % $3
			WHERE v.rn <= $4 AND NOT EXISTS (SELECT 1 FROM supplier_offers o WHERE o.variant_id = v.id AND o.supplier_id = su.id)`,
			k, now, benchSuppliers, n); err != nil {
			b.Fatal(err)
		}
		if _, err := db.W.ExecContext(ctx, `INSERT INTO stock_positions (offer_id, reported, reported_at, buffer, reserved, updated_at)
			SELECT o.id, 50, $1, 0, 0, $1 FROM supplier_offers o WHERE NOT EXISTS (SELECT 1 FROM stock_positions sp WHERE sp.offer_id = o.id)`, now); err != nil {
			b.Fatal(err)
		}
		if err := db.W.QueryRowContext(ctx, `SELECT COUNT(*) FROM supplier_offers`).Scan(&offers); err != nil {
			b.Fatal(err)
		}
		if k > 40 {
			b.Fatalf("only %d offers", offers)
		}
	}
	b.Logf("%d suppliers, %d offers", benchSuppliers, offers)
	svc, err := bench.Wire(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	as := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindToken, ID: 1, Name: "bench", Role: auth.Admin})
	r := rand.New(rand.NewPCG(3, 4))
	var numbers []int64
	for i, o := range bench.Generate(cat, benchOrders, 3, 9, "route") {
		o.Lines = o.Lines[:1+r.IntN(3)]
		p, err := svc.Orders.Place(as, o.Input())
		if err != nil {
			b.Fatalf("order %d: %v", i, err)
		}
		numbers = append(numbers, p.Order.Number)
	}
	// Statistics for the planners, as a store of this size would have them.
	if _, err := db.W.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	return numbers, routing.NewRouter(db, routing.NewService(db, nil), svc.Orders, svc.Inventory, nopSink{}, nil, nil)
}

// series is a SELECT of the numbers 1..n as column n.
func series(n int) string {
	return fmt.Sprintf(`WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %d) SELECT n FROM s`, n)
}
