package orders_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/bench"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// BenchmarkPlace places 3-line orders on a 20k-SKU catalog with Place at
// several concurrencies, next to the same rows written with plain SQL in one
// transaction per order (bench.Raw, river_job row included): the ceiling.
// Both report orders/s; compare place with raw of the same engine and
// concurrency (benchstat), not across machines. "orderly bench intake" does
// the same over HTTP on 100k SKUs (docs/performance.md).
func BenchmarkPlace(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, e)
			cat, err := bench.Seed(ctx, db, bench.SeedOptions{SKUs: 20_000})
			if err != nil {
				b.Fatal(err)
			}
			svc, err := bench.Wire(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				b.Fatal(err)
			}
			as := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindToken, ID: 1, Name: "bench", Role: auth.Admin})
			raw := &bench.Raw{DB: db}
			batch := 0
			for _, c := range []int{1, 8, 32} {
				for _, mode := range []string{"raw", "place"} {
					b.Run(fmt.Sprintf("%s/c=%d", mode, c), func(b *testing.B) {
						batch++
						batchOrders := bench.Generate(cat, b.N, 3, uint64(batch), fmt.Sprintf("b%d", batch))
						var next atomic.Int64
						b.SetParallelism(max(1, c/runtime.GOMAXPROCS(0)))
						b.ResetTimer()
						b.RunParallel(func(pb *testing.PB) {
							for pb.Next() {
								o := &batchOrders[next.Add(1)-1]
								var err error
								if mode == "raw" {
									err = raw.Place(ctx, o)
								} else {
									var p orders.Placed
									if p, err = svc.Orders.Place(as, o.Input()); err == nil && !p.Created {
										err = fmt.Errorf("order %s not created", o.ExternalID)
									}
								}
								if err != nil {
									b.Error(err)
									return
								}
							}
						})
						b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
					})
				}
			}
		})
	}
}
