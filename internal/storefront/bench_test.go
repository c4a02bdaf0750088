package storefront_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/storefront"
)

// BenchmarkCapture measures what the change-capture triggers add to a stock
// change: a supplier report of one offer (its own transaction, ATS changes
// each time) with no target, and with one and three targets.
func BenchmarkCapture(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		for _, targets := range []int{0, 1, 3} {
			b.Run(fmt.Sprintf("%s/targets=%d", e, targets), func(b *testing.B) {
				db := storetest.Open(b, e)
				fx := orderstest.New(b, db, orders.Options{})
				sku := fx.AddSKU("LAMP-1", 1)
				svc := storefront.New(db, fx.Clock.Now, nil)
				for i := range targets {
					if _, err := svc.CreateTarget(context.Background(), storefront.NewTarget{Name: fmt.Sprint("t", i),
						Kind: storefront.KindWebhook, URL: "https://x.example/h", Secret: hookSecret}); err != nil {
						b.Fatal(err)
					}
				}
				n := 0
				for b.Loop() {
					n++
					fx.Report(sku, 2+n%2)
				}
			})
		}
	}
}

// BenchmarkDrain measures publishing: 1,000 queued variants drained in
// batches of 50 to a fake webhook that answers at once (no rate limit).
func BenchmarkDrain(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			r := newRig(b, db, storefront.Options{})
			for i := range 1000 {
				r.fx.AddSKU(fmt.Sprintf("SKU-%04d", i), 1+i%5)
			}
			tg, err := r.svc.CreateTarget(context.Background(), storefront.NewTarget{Name: "hook", Kind: storefront.KindWebhook,
				URL: r.fake.ts.URL + "/hook", Secret: hookSecret, RatePerSecond: 1000})
			if err != nil {
				b.Fatal(err)
			}
			var sent int
			for b.Loop() {
				b.StopTimer()
				if _, err := r.svc.Resync(context.Background(), tg.ID); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				res, err := r.sender.Drain(context.Background(), tg.ID)
				if err != nil || res.Sent != 1000 {
					b.Fatalf("drain: %+v %v", res, err)
				}
				sent += res.Sent
			}
			b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "variants/s")
		})
	}
}
