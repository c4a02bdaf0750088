package calendars_test

import (
	"context"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/promise/calendars"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestOrdersArePromised: the calendars service as the orders' Promiser.
func TestOrdersArePromised(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := orderstest.NewClock(orderstest.T0)
		svc := calendars.New(db, clock.Now, calendars.Options{})
		f := orderstest.New(t, db, orders.Options{Promiser: svc})
		f.AddSKU("MUG-1", 5)
		cs, err := svc.CreateCarrierService(ctx, calendars.CarrierServiceInput{Name: "CTT", PickupDays: []string{"mon-fri"},
			Transit: []calendars.TransitRow{{FromZone: "PT", ToZone: "IT", MinDays: 2, MaxDays: 4}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetCalendar(ctx, f.Supplier, calendars.CalendarInput{ProcessingDays: []string{"mon-fri"}, Cutoff: "14:00",
			HandlingDays: 1, CarrierServiceIDs: []int64{cs.ID}}); err != nil {
			t.Fatal(err)
		}
		// Monday 2 March 09:30 in Lisbon: ships Tuesday 3, arrives 5 to 9 March.
		placed, err := f.Orders.Place(ctx, orderstest.Input("ana@example.com", "MUG-1", 2))
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.Orders.Get(ctx, placed.Order.Number)
		if err != nil {
			t.Fatal(err)
		}
		p := got.Promise
		if p == nil || p.ShipBy != "2026-03-03" || p.Earliest != "2026-03-05" || p.Latest != "2026-03-09" || p.Confidence != 0.9 ||
			!p.ComputedAt.Equal(orderstest.T0) {
			t.Errorf("promise %+v", p)
		}

		// A destination no carrier serves: placed, without a promise.
		in := orderstest.Input("bob@example.com", "MUG-1", 1)
		in.ShippingAddress.Country, in.ShippingAddress.PostalCode, in.ShippingAddress.City = "BR", "01310-100", "São Paulo"
		clock.Set(orderstest.T0.Add(time.Minute))
		placed, err = f.Orders.Place(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := f.Orders.Get(ctx, placed.Order.Number); err != nil || got.Promise != nil {
			t.Errorf("unpromisable order: %+v, %v", got.Promise, err)
		}
	})
}
