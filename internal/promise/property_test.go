package promise_test

import (
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/orderly-oms/orderly/internal/promise"
)

// TestPromiseInvariants: for any order time over two years, any supplier
// calendar and any transit range, the promise is ordered (received ≤ ship-by
// < earliest ≤ latest), every day lands on a day its calendar allows, and the
// cutoff is in the future.
func TestPromiseInvariants(t *testing.T) {
	zones := []string{"Asia/Shanghai", "America/Sao_Paulo", "Europe/Rome", "America/New_York", "Pacific/Auckland", "Asia/Kolkata"}
	countries := []string{"CN", "BR", "IT", "US", "NZ", "IN"}
	dests := [][2]string{{"BR", "01310-100"}, {"IT", "09124"}, {"US", "99501"}, {"US", "10001"}, {"GB", "SW1A 1AA"}}
	rapid.Check(t, func(t *rapid.T) {
		zi := rapid.IntRange(0, len(zones)-1).Draw(t, "zone")
		loc, err := time.LoadLocation(zones[zi])
		if err != nil {
			t.Fatal(err)
		}
		days := promise.Weekdays(rapid.IntRange(1, 127).Draw(t, "processing"))
		// The carrier collects on at least one of the supplier's days (else
		// there is no answer, and the engine says so).
		pickup := promise.Weekdays(rapid.IntRange(1, 127).Draw(t, "pickup")) | days&-days
		delivery := promise.Weekdays(rapid.IntRange(1, 127).Draw(t, "delivery"))
		lo := rapid.IntRange(1, 20).Draw(t, "min")
		hi := lo + rapid.IntRange(0, 20).Draw(t, "spread")
		cal := &promise.SupplierCalendar{SupplierID: 1, Name: "S", Country: countries[zi], Location: loc, ProcessingDays: days,
			Cutoff: promise.Clock(rapid.IntRange(0, 24*60-1).Draw(t, "cutoff")), HandlingDays: rapid.IntRange(0, 5).Draw(t, "handling"),
			CountryHolidays: rapid.Bool().Draw(t, "holidays")}
		if rapid.Bool().Draw(t, "closure") {
			from := promise.DateOf(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).AddDays(rapid.IntRange(0, 700).Draw(t, "closureStart"))
			cal.Closures = []promise.Closure{{From: from, To: from.AddDays(rapid.IntRange(0, 30).Draw(t, "closureLen"))}}
		}
		dest := dests[rapid.IntRange(0, len(dests)-1).Draw(t, "dest")]
		transit := map[promise.ZonePair]promise.Range{}
		for _, d := range dests {
			transit[promise.ZonePair{From: cal.Country, To: d[0]}] = promise.Range{Min: lo, Max: hi}
		}
		e, err := promise.NewEngine(promise.Config{Carriers: []*promise.CarrierService{{ID: 1, Name: "C", PickupDays: pickup, DeliveryDays: delivery, Transit: transit}},
			Remote: []promise.RemoteRule{{Name: "Alaska", Country: "US", From: "995", To: "999", ExtraDays: 3}}})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rapid.Int64Range(0, 2*365*24*60).Draw(t, "minute")) * time.Minute)
		p, err := e.Promise(promise.Request{Now: now, Country: dest[0], PostalCode: dest[1],
			Lines: []promise.Line{{SKU: "A", Quantity: 1, Candidates: []*promise.SupplierCalendar{cal}}}})
		if err != nil {
			t.Fatalf("promise: %v", err)
		}
		s := p.Shipments[0]
		today := promise.DateOf(now.In(loc))
		switch {
		case s.Received.Before(today) || s.ShipBy.Before(s.Received):
			t.Fatalf("today %s, received %s, ship-by %s", today, s.Received, s.ShipBy)
		case !p.Earliest.After(p.ShipBy) || p.Latest.Before(p.Earliest):
			t.Fatalf("ship-by %s, window %s..%s", p.ShipBy, p.Earliest, p.Latest)
		case !p.Cutoff.At.After(now) || p.Cutoff.Left <= 0 || promise.DateOf(p.Cutoff.At.In(loc)) != s.Received:
			t.Fatalf("now %s, cutoff %s (left %s), received %s", now, p.Cutoff.At, p.Cutoff.Left, s.Received)
		case !pickup.Has(s.ShipBy.Weekday()) || !days.Has(s.ShipBy.Weekday()) || !days.Has(s.Received.Weekday()):
			t.Fatalf("ship-by %s (%s) or received %s is not a working pickup day", s.ShipBy, s.ShipBy.Weekday(), s.Received)
		case !delivery.Has(p.Latest.Weekday()) || !delivery.Has(p.Earliest.Weekday()) ||
			promise.IsHoliday(dest[0], p.Latest) || promise.IsHoliday(dest[0], p.Earliest):
			t.Fatalf("window %s..%s is not on delivery days", p.Earliest, p.Latest)
		case p.Earliest.DaysUntil(p.Latest) < hi-lo:
			t.Fatalf("window %s..%s narrower than the transit spread %d", p.Earliest, p.Latest, hi-lo)
		}
		for _, c := range cal.Closures {
			for _, d := range []promise.Date{s.Received, s.ShipBy} {
				if !d.Before(c.From) && !d.After(c.To) {
					t.Fatalf("%s is in the closure %s..%s", d, c.From, c.To)
				}
			}
		}
		if cal.CountryHolidays && (promise.IsHoliday(cal.Country, s.Received) || promise.IsHoliday(cal.Country, s.ShipBy)) {
			t.Fatalf("received %s or ship-by %s is a holiday in %s", s.Received, s.ShipBy, cal.Country)
		}
	})
}
