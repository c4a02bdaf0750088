package calendars_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/promise/calendars"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// addSupplier inserts a supplier (name, time zone, country) and returns its id.
func addSupplier(t *testing.T, db *store.DB, name, tz, country string) int64 {
	t.Helper()
	var id int64
	if err := db.W.QueryRow(`INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
		VALUES ($1, $2, $3, 'active', $4, $4) RETURNING id`, name, tz, country, orderstest.T0).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestLatestDelivery(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, svc, _ := setup(t, db)
		// Milan ships to the EU zone overnight, the same day until 16:00 Rome.
		milan := addSupplier(t, db, "Milano Casa", "Europe/Rome", "IT")
		brt, err := svc.CreateCarrierService(ctx, calendars.CarrierServiceInput{Name: "BRT", PickupDays: []string{"mon-fri"},
			Transit: []calendars.TransitRow{{FromZone: "EU", ToZone: "EU", MinDays: 1, MaxDays: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetCalendar(ctx, milan, calendars.CalendarInput{ProcessingDays: []string{"mon-fri"}, Cutoff: "16:00",
			CarrierServiceIDs: []int64{brt.ID}}); err != nil {
			t.Fatal(err)
		}
		noCalendar := addSupplier(t, db, "No Calendar", "Europe/Rome", "IT")

		// Monday 2 March 09:30 UTC: Lisbon ships Thursday 5 (closed 3–4),
		// delivered by Wednesday 11; Milan ships today, delivered Tuesday 3.
		got, err := svc.LatestDelivery(ctx, "IT", "20121", []int64{f.Supplier, milan, noCalendar})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[int64]string{f.Supplier: "2026-03-11", milan: "2026-03-03"}; !maps.Equal(got, want) {
			t.Errorf("latest delivery = %v, want %v (the supplier without a calendar absent)", got, want)
		}

		// At the service's clock: after Milan's cutoff it ships Tuesday.
		f.Clock.Set(time.Date(2026, 3, 2, 15, 30, 0, 0, time.UTC)) // 16:30 in Rome
		if got, err = svc.LatestDelivery(ctx, "IT", "20121", []int64{milan}); err != nil || got[milan] != "2026-03-04" {
			t.Errorf("after the cutoff: %v, %v; want Milan by 2026-03-04", got, err)
		}

		// No carrier has a lane to the US: nobody can be estimated, no error.
		if got, err = svc.LatestDelivery(ctx, "US", "10001", []int64{f.Supplier, milan}); err != nil || len(got) != 0 {
			t.Errorf("to the US: %v, %v; want an empty map", got, err)
		}
		// Only the suppliers asked about are answered.
		if got, err = svc.LatestDelivery(ctx, "IT", "20121", []int64{noCalendar}); err != nil || len(got) != 0 {
			t.Errorf("only the supplier without a calendar: %v, %v; want an empty map", got, err)
		}
		// An invalid destination is an error, not "unknown".
		if _, err := svc.LatestDelivery(ctx, "XX", "1", []int64{f.Supplier}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("invalid country: %v, want invalid", err)
		}
	})
}
