package webhooks_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/webhooks"
)

// BenchmarkDeliver measures deliveries per second to a local receiver that
// verifies every signature: the delivery worker's whole path per delivery
// (claim the row's lease, read the event, sign, POST over a kept-alive
// connection, log the attempt and the new state in one transaction), by one
// worker and by 8 at once. The deliveries (one order event each, a
// 3-line order's snapshot) are made before the clock starts.
//
//	go test ./internal/webhooks -run '^$' -bench Deliver -benchtime 2000x
func BenchmarkDeliver(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		for _, workers := range []int{1, 8} {
			b.Run(string(e)+"/workers="+strconv.Itoa(workers), func(b *testing.B) {
				ctx := context.Background()
				db := storetest.Open(b, e)
				f := orderstest.New(b, db, orders.Options{})
				for _, s := range []string{"A", "B", "C"} {
					f.AddSKU("SKU-"+s, 1_000_000)
				}
				var secret string
				var bad atomic.Int64
				rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					body, _ := io.ReadAll(r.Body)
					if webhooks.Verify(secret, r.Header.Get(webhooks.SignatureHeader), body, time.Now(), webhooks.DefaultTolerance) != nil {
						bad.Add(1)
						w.WriteHeader(http.StatusUnauthorized)
						return
					}
					w.WriteHeader(http.StatusNoContent)
				}))
				defer rcv.Close()
				svc := webhooks.New(db, f.Orders, nil, time.Now, webhooks.Options{AllowPrivate: true})
				sub, err := svc.Create(ctx, webhooks.SubscriptionInput{URL: rcv.URL, Events: []string{"*"}})
				if err != nil {
					b.Fatal(err)
				}
				secret = sub.Secret
				p, err := f.Orders.Place(ctx, orderstest.Input("bench@example.com", "SKU-A", 1, "SKU-B", 2, "SKU-C", 3))
				if err != nil {
					b.Fatal(err)
				}
				// One event per delivery: the same order, a distinct entry.
				for i := range b.N {
					if err := svc.OnEvent(ctx, orders.EventArgs{Event: orders.EventEdited, Order: p.Order.Number, Entry: int64(1_000_000 + i)}); err != nil {
						b.Fatal(err)
					}
				}
				var ids []int64
				rows, err := db.R.QueryContext(ctx, `SELECT id FROM webhook_sends ORDER BY id`)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
					var id int64
					if err := rows.Scan(&id); err != nil {
						b.Fatal(err)
					}
					ids = append(ids, id)
				}
				rows.Close()
				if len(ids) != b.N {
					b.Fatalf("%d deliveries, want %d", len(ids), b.N)
				}
				next := atomic.Int64{}
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for range workers {
					wg.Go(func() {
						for {
							i := next.Add(1) - 1
							if i >= int64(len(ids)) {
								return
							}
							if wait, err := svc.Deliver(ctx, ids[i]); err != nil || wait != 0 {
								b.Errorf("delivery %d: wait %v, %v", ids[i], wait, err)
								return
							}
						}
					})
				}
				wg.Wait()
				elapsed := time.Since(start)
				b.StopTimer()
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
				if n := bad.Load(); n > 0 {
					b.Fatalf("%d bad signatures", n)
				}
				var delivered int
				if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_sends WHERE state = 'delivered'`).Scan(&delivered); err != nil {
					b.Fatal(err)
				}
				if delivered != b.N {
					b.Fatalf("%d of %d delivered", delivered, b.N)
				}
			})
		}
	}
}
