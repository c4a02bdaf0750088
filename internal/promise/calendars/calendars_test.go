package calendars_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/promise"
	"github.com/orderly-oms/orderly/internal/promise/calendars"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func wantCode(t *testing.T, err error, code apperr.Code, contains string) {
	t.Helper()
	if !apperr.Is(err, code) || !strings.Contains(err.Error(), contains) {
		t.Fatalf("error %v, want %s containing %q", err, code, contains)
	}
}

// setup: the fixture's supplier (Lisbon, PT) sells MUG-1, has a calendar
// (Monday to Friday, cutoff 14:00, one day of handling, closed 3–4 March)
// and ships with CTT to Portugal and the EU zone (Italy).
func setup(t *testing.T, db *store.DB) (*orderstest.Fixture, *calendars.Service, calendars.CarrierService) {
	t.Helper()
	ctx := context.Background()
	f := orderstest.New(t, db, orders.Options{})
	f.AddSKU("MUG-1", 5)
	svc := calendars.New(db, f.Clock.Now, calendars.Options{})
	cs, err := svc.CreateCarrierService(ctx, calendars.CarrierServiceInput{Name: "CTT Expresso", PickupDays: []string{"mon-fri"},
		Transit: []calendars.TransitRow{{FromZone: "pt", ToZone: "EU", MinDays: 2, MaxDays: 4}, {FromZone: "PT", ToZone: "PT", MinDays: 1, MaxDays: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetZones(ctx, []calendars.Zone{{Country: "it", Zone: "eu"}, {Country: "DE", Zone: "EU"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetCalendar(ctx, f.Supplier, calendars.CalendarInput{ProcessingDays: []string{"mon-fri"}, Cutoff: "14:00",
		HandlingDays: 1, CountryHolidays: true, OriginPostalCode: "1100-148",
		Closures:          []calendars.Closure{{From: "2026-03-03", To: "2026-03-04", Reason: "stock-take"}},
		CarrierServiceIDs: []int64{cs.ID}}); err != nil {
		t.Fatal(err)
	}
	return f, svc, cs
}

func TestPromiseFromStoredCalendars(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, svc, _ := setup(t, db)
		req := calendars.Request{Lines: []calendars.CartLine{{SKU: " mug-1", Quantity: 2}}, Country: "IT", PostalCode: "20121"}

		// Monday 2 March 09:30 in Lisbon: received today; handling moves
		// past the closure to Thursday 5; 2 to 4 Italian delivery days.
		p, err := svc.Promise(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.ShipBy.String() + " " + p.Earliest.String() + " " + p.Latest.String(); got != "2026-03-05 2026-03-09 2026-03-11" {
			t.Errorf("ship-by, earliest, latest = %s", got)
		}
		if want := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC); !p.Cutoff.At.Equal(want) || p.Cutoff.Left != 4*time.Hour+30*time.Minute {
			t.Errorf("cutoff %s, left %s; want %s, 4h30m", p.Cutoff.At, p.Cutoff.Left, want)
		}
		if p.Confidence != 0.9 || len(p.Shipments) != 1 || p.Shipments[0].Carriers[0] != "CTT Expresso" {
			t.Errorf("promise %+v", p)
		}

		// A change through the service is seen at once (the cached engine is dropped).
		if _, err := svc.SetCalendar(ctx, f.Supplier, calendars.CalendarInput{ProcessingDays: []string{"mon", "tue", "wed", "thu", "fri"},
			Cutoff: "14:00", HandlingDays: 0}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetSettings(ctx, calendars.Settings{Confidence: 0.95}); err != nil {
			t.Fatal(err)
		}
		p, err = svc.Promise(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.ShipBy.String() + " " + p.Latest.String(); got != "2026-03-02 2026-03-06" || !p.Cutoff.ShipsToday || p.Confidence != 0.95 {
			t.Errorf("after the change: ship-by, latest = %s, ships today %v, confidence %v", got, p.Cutoff.ShipsToday, p.Confidence)
		}

		// A remote-area rule: Sardinia takes two more days.
		r, err := svc.CreateRemoteRule(ctx, calendars.RemoteRuleInput{Name: "Sardinia", Country: "it", PostalFrom: "07000", PostalTo: "09199", ExtraDays: 2})
		if err != nil {
			t.Fatal(err)
		}
		sard := req
		sard.PostalCode = "09124"
		p, err = svc.Promise(ctx, sard)
		if err != nil {
			t.Fatal(err)
		}
		if p.Latest.String() != "2026-03-10" || p.Shipments[0].Remote != "Sardinia" {
			t.Errorf("Sardinia: latest %s, remote %q; want 2026-03-10, Sardinia", p.Latest, p.Shipments[0].Remote)
		}
		if _, err := svc.UpdateRemoteRule(ctx, r.ID, calendars.RemoteRuleInput{Name: "Sardinia", Country: "IT", PostalFrom: "07000", PostalTo: "09199", ExtraDays: 3}); err != nil {
			t.Fatal(err)
		}
		if p, err = svc.Promise(ctx, sard); err != nil || p.Latest.String() != "2026-03-11" {
			t.Errorf("after the update: latest %s, %v; want 2026-03-11", p.Latest, err)
		}
		if err := svc.DeleteRemoteRule(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		if p, err = svc.Promise(ctx, sard); err != nil || p.Latest.String() != "2026-03-06" {
			t.Errorf("after the delete: latest %s, %v; want 2026-03-06", p.Latest, err)
		}
	})
}

func TestPromiseErrors(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, svc, _ := setup(t, db)
		f.AddSKU("LAMP-1", 0)
		line := func(sku string, qty int) []calendars.CartLine { return []calendars.CartLine{{SKU: sku, Quantity: qty}} }

		_, err := svc.Promise(ctx, calendars.Request{Lines: line("NOPE", 1), Country: "IT", PostalCode: "20121"})
		wantCode(t, err, apperr.NotFound, `SKU "NOPE" not found`)
		_, err = svc.Promise(ctx, calendars.Request{Lines: line("MUG-1", 6), Country: "IT", PostalCode: "20121"})
		wantCode(t, err, apperr.Unavailable, "no active supplier has 6 of MUG-1 available")
		_, err = svc.Promise(ctx, calendars.Request{Lines: line("LAMP-1", 1), Country: "IT", PostalCode: "20121"})
		wantCode(t, err, apperr.Unavailable, "no active supplier has 1 of LAMP-1 available")
		_, err = svc.Promise(ctx, calendars.Request{Lines: line("MUG-1", 1), Country: "IT", PostalCode: "2012"})
		wantCode(t, err, apperr.Invalid, `postal code "2012" does not match the Italian format 00000`)
		_, err = svc.Promise(ctx, calendars.Request{Lines: line("MUG-1", 1), Country: "ZZ", PostalCode: "2012"})
		wantCode(t, err, apperr.Invalid, `country "ZZ" is not a known country`)
		_, err = svc.Promise(ctx, calendars.Request{Lines: line("MUG-1", 1), Country: "IT", PostalCode: "20121", At: orderstest.T0.Add(-2 * time.Hour)})
		wantCode(t, err, apperr.Invalid, "is in the past")
		_, err = svc.Promise(ctx, calendars.Request{Lines: line("MUG 1", 1), Country: "IT", PostalCode: "20121"})
		wantCode(t, err, apperr.Invalid, `lines[0].sku: SKU "MUG 1" contains`)
		_, err = svc.Promise(ctx, calendars.Request{Lines: line("MUG-1", 0), Country: "IT", PostalCode: "20121"})
		wantCode(t, err, apperr.Invalid, "lines[0].quantity")
		// No carrier from Portugal to Brazil.
		_, err = svc.Promise(ctx, calendars.Request{Lines: line("MUG-1", 1), Country: "BR", PostalCode: "01310-100"})
		wantCode(t, err, apperr.Unavailable, "delivers from zone PT to zone BR")

		// Stock but no calendar.
		if err := svc.DeleteCalendar(ctx, f.Supplier); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Promise(ctx, calendars.Request{Lines: line("MUG-1", 1), Country: "IT", PostalCode: "20121"})
		wantCode(t, err, apperr.Unavailable, "has a delivery calendar")
		wantCode(t, svc.DeleteCalendar(ctx, f.Supplier), apperr.NotFound, "has no delivery calendar")
	})
}

func TestConfigurationCRUD(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, svc, cs := setup(t, db)

		cal, err := svc.Calendar(ctx, f.Supplier)
		if err != nil {
			t.Fatal(err)
		}
		if cal.Timezone != "Europe/Lisbon" || cal.Country != "PT" || cal.Cutoff != "14:00" || strings.Join(cal.ProcessingDays, ",") != "mon,tue,wed,thu,fri" ||
			len(cal.Closures) != 1 || cal.Closures[0].Reason != "stock-take" || len(cal.CarrierServiceIDs) != 1 || cal.OriginPostalCode != "1100-148" {
			t.Errorf("calendar as stored: %+v", cal)
		}
		list, err := svc.Calendars(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("calendars: %d, %v", len(list), err)
		}

		// Bad input is refused with the field named, nothing written.
		_, err = svc.SetCalendar(ctx, f.Supplier, calendars.CalendarInput{ProcessingDays: []string{"funday"}, Cutoff: "25:00", HandlingDays: -1,
			Closures: []calendars.Closure{{From: "2026-05-10", To: "2026-05-01"}}})
		wantCode(t, err, apperr.Invalid, "processing_days")
		var ae *apperr.Error
		if e, ok := err.(*apperr.Error); ok {
			ae = e
		}
		if ae == nil || len(ae.Fields) != 4 {
			t.Errorf("fields: %+v, want processing_days, cutoff, handling_days, closures[0]", ae)
		}
		_, err = svc.SetCalendar(ctx, 999999, calendars.CalendarInput{ProcessingDays: []string{"mon"}, Cutoff: "14:00"})
		wantCode(t, err, apperr.NotFound, "supplier 999999 not found")
		_, err = svc.SetCalendar(ctx, f.Supplier, calendars.CalendarInput{ProcessingDays: []string{"mon"}, Cutoff: "14:00", CarrierServiceIDs: []int64{424242}})
		wantCode(t, err, apperr.Invalid, "carrier service 424242 not found")
		if again, _ := svc.Calendar(ctx, f.Supplier); again.HandlingDays != 1 || len(again.Closures) != 1 {
			t.Errorf("a refused change was written: %+v", again)
		}

		// Carrier services: unique names, replaced transit table, delete.
		_, err = svc.CreateCarrierService(ctx, calendars.CarrierServiceInput{Name: "ctt expresso", PickupDays: []string{"mon"}})
		wantCode(t, err, apperr.Invalid, "already exists")
		_, err = svc.CreateCarrierService(ctx, calendars.CarrierServiceInput{Name: "Bad", PickupDays: []string{"mon"},
			Transit: []calendars.TransitRow{{FromZone: "PT", ToZone: "EU", MinDays: 5, MaxDays: 2}}})
		wantCode(t, err, apperr.Invalid, "transit max (2) is less than min (5)")
		up, err := svc.UpdateCarrierService(ctx, cs.ID, calendars.CarrierServiceInput{Name: "CTT Expresso 24", PickupDays: []string{"mon-sat"},
			DeliveryDays: []string{"mon-sat"}, Transit: []calendars.TransitRow{{FromZone: "PT", ToZone: "EU", MinDays: 1, MaxDays: 3}}})
		if err != nil {
			t.Fatal(err)
		}
		if up.Name != "CTT Expresso 24" || len(up.Transit) != 1 || up.Transit[0].MaxDays != 3 || strings.Join(up.PickupDays, ",") != "mon,tue,wed,thu,fri,sat" {
			t.Errorf("updated carrier: %+v", up)
		}
		_, err = svc.UpdateCarrierService(ctx, 987654, calendars.CarrierServiceInput{Name: "X", PickupDays: []string{"mon"}})
		wantCode(t, err, apperr.NotFound, "carrier service 987654 not found")
		if err := svc.DeleteCarrierService(ctx, cs.ID); err != nil {
			t.Fatal(err)
		}
		if cal, _ := svc.Calendar(ctx, f.Supplier); len(cal.CarrierServiceIDs) != 0 {
			t.Errorf("the deleted carrier is still named: %v", cal.CarrierServiceIDs)
		}
		if all, _ := svc.CarrierServices(ctx); len(all) != 0 {
			t.Errorf("carrier services left: %+v", all)
		}

		// Zones and settings.
		_, err = svc.SetZones(ctx, []calendars.Zone{{Country: "XX", Zone: "EU"}})
		wantCode(t, err, apperr.Invalid, "zones[0].country")
		zones, err := svc.Zones(ctx)
		if err != nil || len(zones) != 2 || zones[0].Zone != "EU" {
			t.Errorf("zones %+v, %v", zones, err)
		}
		_, err = svc.SetSettings(ctx, calendars.Settings{Confidence: 1.2})
		wantCode(t, err, apperr.Invalid, "confidence")
		if st, err := svc.Settings(ctx); err != nil || st.Confidence != promise.DefaultConfidence {
			t.Errorf("settings %+v, %v", st, err)
		}
		_, err = svc.CreateRemoteRule(ctx, calendars.RemoteRuleInput{Name: "x", Country: "IT", PostalFrom: "09", PostalTo: "07", ExtraDays: 1})
		wantCode(t, err, apperr.Invalid, "comes before")
	})
}
