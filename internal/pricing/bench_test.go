package pricing_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/orderly-oms/orderly/internal/pricing"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// BenchmarkReprice reprices 2,000 SKUs whose cost moved (every price
// changes, with a history row each), 200 per transaction, on each engine.
func BenchmarkReprice(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			f := newFixture(b, db, pricing.Options{}, nil)
			ctx := context.Background()
			const n = 2000
			// Seed set-based: one product, n variants, n offers.
			seed := []string{
				`INSERT INTO products (title, status, created_at, updated_at) VALUES ('Bench', 'active', $1, $1)`,
				`INSERT INTO variants (product_id, sku, price_amount, price_currency, status, created_at, updated_at)
					SELECT 1, 'B-' || g, 1000, 'EUR', 'active', $1, $1 FROM (` + series(db, n) + `) s`,
				`INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency, lead_time_days,
					min_order_qty, priority, status, created_at, updated_at)
					SELECT 1, v.id, v.sku, 500, 'EUR', 2, 1, 1, 'active', $1, $1 FROM variants v`,
			}
			for _, q := range seed {
				if _, err := db.W.ExecContext(ctx, q, t0); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := f.pricing.CreateRule(finance, double("store", "", "apply", "")); err != nil {
				b.Fatal(err)
			}
			ids := make([]int64, n)
			rows, err := db.R.QueryContext(ctx, `SELECT id FROM variants ORDER BY id`)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; rows.Next(); i++ {
				if err := rows.Scan(&ids[i]); err != nil {
					b.Fatal(err)
				}
			}
			rows.Close()
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				if _, err := db.W.ExecContext(ctx, `UPDATE supplier_offers SET cost_amount = $1`, 500+(i%2+1)*10); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				sum, err := f.pricing.Reprice(ctx, ids, "bench")
				if err != nil || sum.Applied != n {
					b.Fatalf("%+v, %v", sum, err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "variants/s")
		})
	}
}

// series is a subquery of the integers 1..n in column g.
func series(db *store.DB, n int) string {
	if db.Engine == store.Postgres {
		return fmt.Sprintf("SELECT generate_series(1, %d) AS g", n)
	}
	return fmt.Sprintf("WITH RECURSIVE c(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM c WHERE g < %d) SELECT g FROM c", n)
}
