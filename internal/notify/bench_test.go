package notify_test

import (
	"testing"

	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// BenchmarkNotify measures a customer notification's two steps on each
// engine: create (the event subscriber: read the order, render the
// confirmation in pt-BR, insert the row and its send job) and deliver (the
// send job: claim, send over SMTP to an in-process server, mark sent).
// Orders are placed with the timer stopped.
func BenchmarkNotify(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			f := newFixture(b, db)
			f.AddSKU("MUG-1", 1_000_000)
			place := func() (int64, int64) {
				in := orderstest.Input("ana@example.com", "MUG-1", 1)
				in.Customer.Locale = "pt-BR"
				p, err := f.Orders.Place(ctx, in)
				if err != nil {
					b.Fatal(err)
				}
				tl, err := f.Orders.Timeline(ctx, p.Order.Number)
				if err != nil {
					b.Fatal(err)
				}
				return p.Order.Number, tl[0].ID
			}
			var made []int64
			b.Run("create", func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					number, entry := place()
					b.StartTimer()
					if err := f.svc.OnEvent(ctx, orders.EventArgs{Event: orders.EventPlaced, Order: number, Entry: entry}); err != nil {
						b.Fatal(err)
					}
					made = append(made, number)
				}
			})
			b.Run("deliver", func(b *testing.B) {
				i := 0
				for b.Loop() {
					b.StopTimer()
					if i == len(made) {
						number, entry := place()
						if err := f.svc.OnEvent(ctx, orders.EventArgs{Event: orders.EventPlaced, Order: number, Entry: entry}); err != nil {
							b.Fatal(err)
						}
						made = append(made, number)
					}
					list, err := f.svc.ForOrder(ctx, made[i])
					if err != nil || len(list) != 1 {
						b.Fatalf("notifications of %d: %v %v", made[i], list, err)
					}
					i++
					b.StartTimer()
					if err := f.svc.Deliver(ctx, list[0].ID, false); err != nil {
						b.Fatal(err)
					}
				}
				if n := count(b, db, `SELECT COUNT(*) FROM notifications WHERE state = 'sent'`); n != i {
					b.Fatalf("%d sent, want %d", n, i)
				}
			})
		})
	}
}
