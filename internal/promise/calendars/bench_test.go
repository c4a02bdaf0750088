package calendars_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/promise/calendars"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// BenchmarkServicePromise is what GET /api/v1/promise costs without HTTP: a
// one-line promise on SQLite (the candidate suppliers read from the offers
// and stock, the engine cached). It reports the 99th percentile of single
// calls as p99-ns.
func BenchmarkServicePromise(b *testing.B) {
	ctx := context.Background()
	db := storetest.Open(b, store.SQLite)
	f := orderstest.New(b, db, orders.Options{})
	f.AddSKU("MUG-1", 50)
	svc := calendars.New(db, f.Clock.Now, calendars.Options{CacheTTL: time.Hour})
	cs, err := svc.CreateCarrierService(ctx, calendars.CarrierServiceInput{Name: "CTT", PickupDays: []string{"mon-fri"},
		Transit: []calendars.TransitRow{{FromZone: "PT", ToZone: "IT", MinDays: 2, MaxDays: 4}}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.SetCalendar(ctx, f.Supplier, calendars.CalendarInput{ProcessingDays: []string{"mon-fri"}, Cutoff: "14:00",
		HandlingDays: 1, CountryHolidays: true, CarrierServiceIDs: []int64{cs.ID}}); err != nil {
		b.Fatal(err)
	}
	req := calendars.Request{Lines: []calendars.CartLine{{SKU: "MUG-1", Quantity: 1}}, Country: "IT", PostalCode: "20121"}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if _, err := svc.Promise(ctx, req); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	}
}
