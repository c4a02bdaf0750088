package orders_test

import (
	"fmt"
	"testing"

	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// BenchmarkCheckAtRisk is one run of the at-risk job over 2,000 open orders
// with a promise, a quarter of them flagged, once the flags are in place (the
// steady state every 15 minutes: nothing to write). It reports orders/s.
func BenchmarkCheckAtRisk(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			f := orderstest.New(b, db, orders.Options{})
			f.AddSKU("MUG-1", 1_000_000)
			f.AddSKU("TEE-1", 1_000_000)
			const n = 2_000
			for i := range n {
				p, err := f.Orders.Place(ctx, orderstest.Input(fmt.Sprintf("c%d@example.com", i), "MUG-1", 1, "TEE-1", 2))
				if err != nil {
					b.Fatal(err)
				}
				days := [3]string{"2026-03-20", "2026-03-22", "2026-03-25"}
				if i%4 == 0 {
					days = [3]string{"2026-03-01", "2026-03-01", "2026-03-01"}
				}
				if _, err := db.W.ExecContext(ctx, `UPDATE orders SET promised_ship_by = $1, promised_earliest = $2, promised_latest = $3
					WHERE id = $4`, days[0], days[1], days[2], p.Order.Number); err != nil {
					b.Fatal(err)
				}
			}
			first, err := f.Orders.CheckAtRisk(ctx, orders.AtRiskOptions{})
			if err != nil || first.Flagged != 3*n/4 {
				b.Fatalf("first run %+v, %v: want %d flags", first, err, 3*n/4)
			}
			b.ResetTimer()
			for b.Loop() {
				res, err := f.Orders.CheckAtRisk(ctx, orders.AtRiskOptions{})
				if err != nil || res.Orders != n || res.Flagged+res.Cleared != 0 {
					b.Fatalf("%+v, %v", res, err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "orders/s")
		})
	}
}
