package learned_test

import (
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/promise/learned"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// benchStore delivers n orders through the orders service, each with a
// promise, one placed every hour from T0.
func benchStore(b *testing.B, n int) (*orderstest.Fixture, time.Time) {
	b.Helper()
	db := storetest.Open(b, store.SQLite)
	f := orderstest.New(b, db, orders.Options{})
	f.AddSKU("MUG-1", n+1)
	var last time.Time
	for i := range n {
		placed := orderstest.T0.Add(time.Duration(i) * time.Hour)
		f.Clock.Set(placed)
		p, err := f.Orders.Place(ctx, orderstest.Input("giulia@example.com", "MUG-1", 1))
		if err != nil {
			b.Fatal(err)
		}
		num := p.Order.Number
		if _, err := f.Orders.SendToSupplier(ctx, num, nil, ""); err != nil {
			b.Fatal(err)
		}
		f.Clock.Set(placed.Add(time.Duration(24+i%48) * time.Hour))
		if _, err := f.Orders.Ship(ctx, num, nil, ""); err != nil {
			b.Fatal(err)
		}
		last = placed.Add(time.Duration(96+i%96) * time.Hour)
		f.Clock.Set(last)
		if _, err := f.Orders.Deliver(ctx, num, nil, ""); err != nil {
			b.Fatal(err)
		}
		if _, err := db.W.ExecContext(ctx, `UPDATE orders SET promised_latest = $1 WHERE id = $2`,
			placed.AddDate(0, 0, 6).Format(time.DateOnly), num); err != nil {
			b.Fatal(err)
		}
	}
	return f, last
}

// BenchmarkRefresh reads and fits 2,000 delivered orders (SQLite).
func BenchmarkRefresh(b *testing.B) {
	f, last := benchStore(b, 2000)
	r := &learned.Refresher{DB: f.DB, Now: func() time.Time { return last }, Target: nopTarget{}, Logger: discard}
	for b.Loop() {
		if _, err := r.Refresh(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCalibrate measures 2,000 delivered orders (SQLite).
func BenchmarkCalibrate(b *testing.B) {
	f, last := benchStore(b, 2000)
	for b.Loop() {
		c, err := learned.Calibrate(ctx, f.DB.R, last, 365)
		if err != nil || c.Overall.Orders != 2000 {
			b.Fatalf("%+v, %v", c.Overall, err)
		}
	}
}
