package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/orderly-oms/orderly/internal/promise/calendars"
	"github.com/orderly-oms/orderly/internal/store"
)

// Delivery promises of the demo store (docs/promise.md): the carriers the
// demo suppliers ship with, Europe as one zone, a calendar per supplier
// (in the order of supplierSpecs) and the remote areas of Brazil, Italy and
// the US.

var demoZones = []calendars.Zone{
	{Country: "PT", Zone: "EU"}, {Country: "ES", Zone: "EU"}, {Country: "FR", Zone: "EU"}, {Country: "IT", Zone: "EU"},
	{Country: "DE", Zone: "EU"}, {Country: "NL", Zone: "EU"}, {Country: "BE", Zone: "EU"}, {Country: "AT", Zone: "EU"},
	{Country: "IE", Zone: "EU"}, {Country: "DK", Zone: "EU"}, {Country: "SE", Zone: "EU"}, {Country: "PL", Zone: "EU"},
}

func tr(from, to string, lo, hi int) calendars.TransitRow {
	return calendars.TransitRow{FromZone: from, ToZone: to, MinDays: lo, MaxDays: hi}
}

var demoCarriers = []calendars.CarrierServiceInput{
	{Name: "CTT Expresso", PickupDays: []string{"mon-fri"},
		Transit: []calendars.TransitRow{tr("EU", "EU", 2, 5), tr("EU", "GB", 3, 6), tr("EU", "US", 5, 9), tr("EU", "BR", 7, 15), tr("EU", "CA", 6, 10)}},
	{Name: "Poste Italiane Crono", PickupDays: []string{"mon-fri"},
		Transit: []calendars.TransitRow{tr("EU", "EU", 2, 4), tr("EU", "GB", 3, 5)}},
	{Name: "DHL Express Worldwide", PickupDays: []string{"mon-fri"},
		Transit: []calendars.TransitRow{tr("EU", "US", 2, 4), tr("EU", "BR", 4, 7), tr("EU", "CA", 2, 4),
			tr("US", "EU", 3, 5), tr("US", "GB", 3, 5), tr("US", "BR", 4, 8)}},
	{Name: "China Post ePacket", PickupDays: []string{"mon-sat"},
		Transit: []calendars.TransitRow{tr("CN", "EU", 10, 20), tr("CN", "GB", 8, 16), tr("CN", "US", 8, 15), tr("CN", "CA", 10, 20), tr("CN", "BR", 15, 35)}},
	{Name: "UPS Ground", PickupDays: []string{"mon-fri"},
		Transit: []calendars.TransitRow{tr("US", "US", 1, 5), tr("US", "CA", 3, 7)}},
}

// demoCalendars follow supplierSpecs; carriers name demoCarriers by index.
var demoCalendars = []struct {
	in       calendars.CalendarInput
	carriers []int
}{
	{calendars.CalendarInput{ProcessingDays: []string{"mon-fri"}, Cutoff: "14:00", HandlingDays: 1, CountryHolidays: true,
		OriginPostalCode: "1100-148"}, []int{0}},
	{calendars.CalendarInput{ProcessingDays: []string{"mon-fri"}, Cutoff: "13:00", HandlingDays: 2, CountryHolidays: true,
		OriginPostalCode: "20121", Closures: []calendars.Closure{
			{From: "2026-08-08", To: "2026-08-23", Reason: "Summer closure (Ferragosto)"},
			{From: "2027-08-07", To: "2027-08-22", Reason: "Summer closure (Ferragosto)"}}}, []int{1, 2}},
	{calendars.CalendarInput{ProcessingDays: []string{"mon-sat"}, Cutoff: "16:00", HandlingDays: 2,
		OriginPostalCode: "518000", Closures: []calendars.Closure{
			{From: "2027-02-04", To: "2027-02-14", Reason: "Chinese New Year"},
			{From: "2027-10-01", To: "2027-10-07", Reason: "National Day Golden Week"}}}, []int{3}},
	{calendars.CalendarInput{ProcessingDays: []string{"mon-fri"}, Cutoff: "15:00", HandlingDays: 1, CountryHolidays: true,
		OriginPostalCode: "60607"}, []int{4, 2}},
}

var demoRemote = []calendars.RemoteRuleInput{
	{Name: "Norte: Amazonas", Country: "BR", PostalFrom: "69000", PostalTo: "69299", ExtraDays: 5},
	{Name: "Norte: Roraima", Country: "BR", PostalFrom: "69300", PostalTo: "69399", ExtraDays: 6},
	{Name: "Norte: Amazonas (interior)", Country: "BR", PostalFrom: "69400", PostalTo: "69899", ExtraDays: 6},
	{Name: "Norte: Acre", Country: "BR", PostalFrom: "69900", PostalTo: "69999", ExtraDays: 6},
	{Name: "Norte: Pará", Country: "BR", PostalFrom: "66000", PostalTo: "68899", ExtraDays: 4},
	{Name: "Norte: Amapá", Country: "BR", PostalFrom: "68900", PostalTo: "68999", ExtraDays: 5},
	{Name: "Norte: Rondônia", Country: "BR", PostalFrom: "76800", PostalTo: "76999", ExtraDays: 4},
	{Name: "Norte: Tocantins", Country: "BR", PostalFrom: "77000", PostalTo: "77999", ExtraDays: 3},
	{Name: "Sardinia", Country: "IT", PostalFrom: "07000", PostalTo: "09199", ExtraDays: 2},
	{Name: "Sicily", Country: "IT", PostalFrom: "90000", PostalTo: "98199", ExtraDays: 2},
	{Name: "Alaska", Country: "US", PostalFrom: "995", PostalTo: "999", ExtraDays: 3},
	{Name: "Hawaii", Country: "US", PostalFrom: "967", PostalTo: "968", ExtraDays: 3},
}

// loadPromise configures delivery promises for the demo suppliers.
func loadPromise(ctx context.Context, db *store.DB, now func() time.Time, supplierIDs []int64) error {
	svc := calendars.New(db, now, calendars.Options{})
	if _, err := svc.SetZones(ctx, demoZones); err != nil {
		return fmt.Errorf("demo zones: %w", err)
	}
	carrierIDs := make([]int64, len(demoCarriers))
	for i, in := range demoCarriers {
		cs, err := svc.CreateCarrierService(ctx, in)
		if err != nil {
			return fmt.Errorf("demo carrier service %q: %w", in.Name, err)
		}
		carrierIDs[i] = cs.ID
	}
	for i, c := range demoCalendars {
		in := c.in
		for _, ci := range c.carriers {
			in.CarrierServiceIDs = append(in.CarrierServiceIDs, carrierIDs[ci])
		}
		if _, err := svc.SetCalendar(ctx, supplierIDs[i], in); err != nil {
			return fmt.Errorf("demo calendar of %q: %w", supplierSpecs[i].in.Name, err)
		}
	}
	for _, r := range demoRemote {
		if _, err := svc.CreateRemoteRule(ctx, r); err != nil {
			return fmt.Errorf("demo remote-area rule %q: %w", r.Name, err)
		}
	}
	return nil
}
