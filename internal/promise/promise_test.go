package promise_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/promise"
)

func load(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func date(s string) promise.Date {
	d, err := promise.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func instant(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

const (
	ePacket = iota + 1
	sedex
	poste
	ups
)

// network is a small but realistic setup: a Chinese supplier shipping by
// ePacket, a Brazilian one by SEDEX, an Italian one by Poste, a US one by UPS.
func network(t testing.TB, learned promise.Learned) (*promise.Engine, map[string]*promise.SupplierCalendar) {
	t.Helper()
	carriers := []*promise.CarrierService{
		{ID: ePacket, Name: "ePacket", PickupDays: promise.MondayToFriday, DeliveryDays: promise.MondayToFriday,
			Transit: map[promise.ZonePair]promise.Range{{From: "CN", To: "BR"}: {Min: 10, Max: 20}, {From: "CN", To: "EU"}: {Min: 7, Max: 12}}},
		{ID: sedex, Name: "Correios SEDEX", PickupDays: promise.MondayToFriday, DeliveryDays: promise.MondayToFriday,
			Transit: map[promise.ZonePair]promise.Range{{From: "BR", To: "BR"}: {Min: 1, Max: 3}}},
		{ID: poste, Name: "Poste Crono", PickupDays: promise.MondayToFriday, DeliveryDays: promise.MondayToFriday,
			Transit: map[promise.ZonePair]promise.Range{{From: "EU", To: "EU"}: {Min: 1, Max: 2}}},
		{ID: ups, Name: "UPS Ground", PickupDays: promise.MondayToFriday, DeliveryDays: promise.MondayToFriday,
			Transit: map[promise.ZonePair]promise.Range{{From: "US", To: "US"}: {Min: 1, Max: 5}}},
	}
	remote := []promise.RemoteRule{
		{Name: "Norte: Amazonas", Country: "BR", From: "69000", To: "69299", ExtraDays: 5},
		{Name: "Sardinia", Country: "IT", From: "07000", To: "09199", ExtraDays: 2},
		{Name: "Sicily", Country: "IT", From: "90000", To: "98199", ExtraDays: 2},
		{Name: "Alaska", Country: "US", From: "995", To: "999", ExtraDays: 3},
		{Name: "Hawaii", Country: "US", From: "967", To: "968", ExtraDays: 3},
	}
	e, err := promise.NewEngine(promise.Config{Carriers: carriers, Remote: remote, Learned: learned,
		Zones: map[string]string{"IT": "EU", "PT": "EU", "DE": "EU"}})
	if err != nil {
		t.Fatal(err)
	}
	sup := map[string]*promise.SupplierCalendar{
		"cn": {SupplierID: 1, Name: "Shenzhen Gadgets", Country: "CN", PostalCode: "518000", Location: load(t, "Asia/Shanghai"),
			ProcessingDays: promise.MondayToFriday, Cutoff: 16 * 60, HandlingDays: 1, CountryHolidays: true,
			Closures: []promise.Closure{{From: date("2027-02-05"), To: date("2027-02-13"), Reason: "Chinese New Year"}}},
		"br": {SupplierID: 2, Name: "Ateliê Paulista", Country: "BR", PostalCode: "04538-132", Location: load(t, "America/Sao_Paulo"),
			ProcessingDays: promise.MondayToFriday, Cutoff: 14 * 60, HandlingDays: 1, CountryHolidays: true},
		"it": {SupplierID: 3, Name: "Ceramiche Toscane", Country: "IT", PostalCode: "50122", Location: load(t, "Europe/Rome"),
			ProcessingDays: promise.MondayToFriday, Cutoff: 14 * 60, HandlingDays: 0, CountryHolidays: true},
		"us": {SupplierID: 4, Name: "Brooklyn Goods", Country: "US", PostalCode: "11201", Location: load(t, "America/New_York"),
			ProcessingDays: promise.MondayToFriday, Cutoff: 12 * 60, HandlingDays: 0, CountryHolidays: true},
	}
	return e, sup
}

func TestPromise(t *testing.T) {
	e, sup := network(t, nil)
	tests := []struct {
		name             string
		supplier         string
		now              string
		country, postal  string
		received, shipBy string
		earliest, latest string
		cutoffAt         string
		left             time.Duration
		today            bool
		remote           string
		message          string
	}{
		// Shanghai is UTC+8: 07:00Z is 15:00 there, an hour before the cutoff.
		{name: "Shanghai supplier before its cutoff, São Paulo customer", supplier: "cn", now: "2026-12-01T07:00:00Z",
			country: "BR", postal: "01310-100", received: "2026-12-01", shipBy: "2026-12-02",
			// 10 and 20 Brazilian working days after Wednesday 2 December; Christmas is not one.
			earliest: "2026-12-16", latest: "2026-12-31", cutoffAt: "2026-12-01T08:00:00Z", left: time.Hour,
			message: "order within 1 h to ship on Wed 2 Dec"},
		{name: "Shanghai supplier after its cutoff: received the next day", supplier: "cn", now: "2026-12-01T08:30:00Z",
			country: "BR", postal: "01310100", received: "2026-12-02", shipBy: "2026-12-03",
			// New Year's Day (Brazil) is no delivery day.
			earliest: "2026-12-17", latest: "2027-01-04", cutoffAt: "2026-12-02T08:00:00Z", left: 23*time.Hour + 30*time.Minute},
		{name: "Chinese New Year closure", supplier: "cn", now: "2027-02-04T09:00:00Z",
			country: "BR", postal: "01310-100", received: "2027-02-15", shipBy: "2027-02-16",
			earliest: "2027-03-02", latest: "2027-03-16", cutoffAt: "2027-02-15T08:00:00Z", left: 263 * time.Hour},
		{name: "Rome before its cutoff ships today", supplier: "it", now: "2026-10-22T10:00:00Z",
			country: "IT", postal: "20121", received: "2026-10-22", shipBy: "2026-10-22",
			earliest: "2026-10-23", latest: "2026-10-26", cutoffAt: "2026-10-22T12:00:00Z", left: 2 * time.Hour, today: true,
			message: "order within 2 h to ship today"},
		// Friday 15:00 CEST; the clocks go back on Sunday, so Monday 14:00 CET
		// is 72 hours later although the wall clock moved 71.
		{name: "Rome after Friday's cutoff, across the end of DST", supplier: "it", now: "2026-10-23T13:00:00Z",
			country: "IT", postal: "20121", received: "2026-10-26", shipBy: "2026-10-26",
			earliest: "2026-10-27", latest: "2026-10-28", cutoffAt: "2026-10-26T13:00:00Z", left: 72 * time.Hour},
		{name: "Rome on a Saturday", supplier: "it", now: "2026-10-24T09:00:00Z",
			country: "IT", postal: "20121", received: "2026-10-26", shipBy: "2026-10-26",
			earliest: "2026-10-27", latest: "2026-10-28", cutoffAt: "2026-10-26T13:00:00Z", left: 52 * time.Hour},
		{name: "Italian holiday (Immacolata) closes the supplier", supplier: "it", now: "2026-12-07T15:00:00Z",
			country: "IT", postal: "20121", received: "2026-12-09", shipBy: "2026-12-09",
			earliest: "2026-12-10", latest: "2026-12-11", cutoffAt: "2026-12-09T13:00:00Z", left: 46 * time.Hour},
		{name: "Sardinia is a remote zone", supplier: "it", now: "2026-10-22T10:00:00Z",
			country: "IT", postal: "09124", received: "2026-10-22", shipBy: "2026-10-22",
			earliest: "2026-10-23", latest: "2026-10-28", cutoffAt: "2026-10-22T12:00:00Z", left: 2 * time.Hour, today: true, remote: "Sardinia"},
		{name: "Sicily is a remote zone", supplier: "it", now: "2026-10-22T10:00:00Z",
			country: "IT", postal: "90133", received: "2026-10-22", shipBy: "2026-10-22",
			earliest: "2026-10-23", latest: "2026-10-28", cutoffAt: "2026-10-22T12:00:00Z", left: 2 * time.Hour, today: true, remote: "Sicily"},
		// Friday 13:00 EST; the clocks go forward on Sunday, so Monday 12:00
		// EDT is 70 hours later.
		{name: "New York after Friday's cutoff, across the start of DST", supplier: "us", now: "2026-03-06T18:00:00Z",
			country: "US", postal: "10001", received: "2026-03-09", shipBy: "2026-03-09",
			earliest: "2026-03-10", latest: "2026-03-16", cutoffAt: "2026-03-09T16:00:00Z", left: 70 * time.Hour},
		{name: "Thanksgiving is no delivery day", supplier: "us", now: "2026-11-25T16:00:00Z",
			country: "US", postal: "10001", received: "2026-11-25", shipBy: "2026-11-25",
			earliest: "2026-11-27", latest: "2026-12-03", cutoffAt: "2026-11-25T17:00:00Z", left: time.Hour, today: true},
		{name: "Thanksgiving closes the supplier", supplier: "us", now: "2026-11-25T18:00:00Z",
			country: "US", postal: "10001", received: "2026-11-27", shipBy: "2026-11-27",
			earliest: "2026-11-30", latest: "2026-12-04", cutoffAt: "2026-11-27T17:00:00Z", left: 47 * time.Hour},
		{name: "Alaska is a remote zone", supplier: "us", now: "2026-03-10T14:00:00Z",
			country: "US", postal: "99501", received: "2026-03-10", shipBy: "2026-03-10",
			earliest: "2026-03-11", latest: "2026-03-20", cutoffAt: "2026-03-10T16:00:00Z", left: 2 * time.Hour, today: true, remote: "Alaska"},
		{name: "Hawaii is a remote zone", supplier: "us", now: "2026-03-10T14:00:00Z",
			country: "US", postal: "96813-1234", received: "2026-03-10", shipBy: "2026-03-10",
			earliest: "2026-03-11", latest: "2026-03-20", cutoffAt: "2026-03-10T16:00:00Z", left: 2 * time.Hour, today: true, remote: "Hawaii"},
		{name: "Tiradentes closes the Brazilian supplier", supplier: "br", now: "2026-04-20T18:00:00Z",
			country: "BR", postal: "01310-100", received: "2026-04-22", shipBy: "2026-04-23",
			earliest: "2026-04-24", latest: "2026-04-28", cutoffAt: "2026-04-22T17:00:00Z", left: 47 * time.Hour},
		{name: "São Paulo to São Paulo", supplier: "br", now: "2026-04-14T13:00:00Z",
			country: "BR", postal: "01310-100", received: "2026-04-14", shipBy: "2026-04-15",
			earliest: "2026-04-16", latest: "2026-04-20", cutoffAt: "2026-04-14T17:00:00Z", left: 4 * time.Hour},
		// Manaus: 5 more days, and Tiradentes (21 April) is no delivery day.
		{name: "Manaus (Norte) is a remote zone", supplier: "br", now: "2026-04-14T13:00:00Z",
			country: "BR", postal: "69005-000", received: "2026-04-14", shipBy: "2026-04-15",
			earliest: "2026-04-16", latest: "2026-04-28", cutoffAt: "2026-04-14T17:00:00Z", left: 4 * time.Hour, remote: "Norte: Amazonas"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := instant(tc.now)
			p, err := e.Promise(promise.Request{Now: now, Country: tc.country, PostalCode: tc.postal,
				Lines: []promise.Line{{SKU: "SKU-1", Quantity: 1, Candidates: []*promise.SupplierCalendar{sup[tc.supplier]}}}})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Shipments) != 1 {
				t.Fatalf("%d shipments, want 1", len(p.Shipments))
			}
			s := p.Shipments[0]
			check := func(what string, got promise.Date, want string) {
				t.Helper()
				if got.String() != want {
					t.Errorf("%s = %s, want %s", what, got, want)
				}
			}
			check("received", s.Received, tc.received)
			check("ship-by", p.ShipBy, tc.shipBy)
			check("earliest", p.Earliest, tc.earliest)
			check("latest", p.Latest, tc.latest)
			if want := instant(tc.cutoffAt); !p.Cutoff.At.Equal(want) {
				t.Errorf("cutoff = %s, want %s", p.Cutoff.At.UTC(), want)
			}
			if p.Cutoff.Left != tc.left {
				t.Errorf("time left = %s, want %s", p.Cutoff.Left, tc.left)
			}
			if p.Cutoff.ShipsToday != tc.today {
				t.Errorf("ships today = %v, want %v", p.Cutoff.ShipsToday, tc.today)
			}
			if s.Remote != tc.remote {
				t.Errorf("remote rule = %q, want %q", s.Remote, tc.remote)
			}
			if tc.message != "" {
				if got := p.Cutoff.Message(p.ShipBy); got != tc.message {
					t.Errorf("message = %q, want %q", got, tc.message)
				}
			}
			if p.Confidence != promise.DefaultConfidence || s.Handling != promise.Configured || s.Transit != promise.Configured {
				t.Errorf("confidence %v, handling %s, transit %s: want the configured defaults", p.Confidence, s.Handling, s.Transit)
			}
		})
	}
}

// fakeLearned knows supplier 1 and the lanes into Brazil only.
type fakeLearned struct {
	calls []string
}

func (f *fakeLearned) Handling(id int64, q float64) (float64, bool) {
	f.calls = append(f.calls, "handling")
	return 2.5, id == 1
}

func (f *fakeLearned) Transit(l promise.Lane, q float64) (float64, bool) {
	f.calls = append(f.calls, "transit "+l.String())
	if l.ToCountry != "BR" {
		return 0, false
	}
	if q < 0.5 {
		return 8.2, true
	}
	return 14.6, true
}

func TestPromiseLearned(t *testing.T) {
	f := &fakeLearned{}
	e, sup := network(t, f)
	p, err := e.Promise(promise.Request{Now: instant("2026-12-01T07:00:00Z"), Country: "BR", PostalCode: "01310-100",
		Lines: []promise.Line{{SKU: "A", Quantity: 2, Candidates: []*promise.SupplierCalendar{sup["cn"]}}}})
	if err != nil {
		t.Fatal(err)
	}
	s := p.Shipments[0]
	// Received Tuesday 1 December; 2.5 days of handling → Friday 4, a pickup
	// day. 8.2 days → Saturday 12 → Monday 14; 14.6 → 15 days → Saturday 19 → Monday 21.
	if s.Handling != promise.LearnedSrc || s.Transit != promise.LearnedSrc {
		t.Fatalf("handling %s, transit %s: want learned", s.Handling, s.Transit)
	}
	if got := p.ShipBy.String() + " " + p.Earliest.String() + " " + p.Latest.String(); got != "2026-12-04 2026-12-14 2026-12-21" {
		t.Errorf("ship-by, earliest, latest = %s", got)
	}
	if want := "transit CN 51800 → BR 01310"; !strings.Contains(strings.Join(f.calls, "|"), want) {
		t.Errorf("calls %q lack %q", f.calls, want)
	}

	// Too little data (Italy): the configured calendar and transit table.
	p, err = e.Promise(promise.Request{Now: instant("2026-10-22T10:00:00Z"), Country: "IT", PostalCode: "20121",
		Lines: []promise.Line{{SKU: "B", Quantity: 1, Candidates: []*promise.SupplierCalendar{sup["it"]}}}})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Shipments[0]; s.Handling != promise.Configured || s.Transit != promise.Configured || p.Latest.String() != "2026-10-26" {
		t.Errorf("handling %s, transit %s, latest %s: want configured, 2026-10-26", s.Handling, s.Transit, p.Latest)
	}
}

func TestPromiseCart(t *testing.T) {
	e, sup := network(t, nil)
	now := instant("2026-04-14T13:00:00Z")
	p, err := e.Promise(promise.Request{Now: now, Country: "BR", PostalCode: "01310-100", Confidence: 0.95,
		Lines: []promise.Line{
			// Both can ship A; the Brazilian supplier is faster.
			{SKU: "A", Quantity: 1, Candidates: []*promise.SupplierCalendar{sup["cn"], sup["br"]}},
			{SKU: "B", Quantity: 3, Candidates: []*promise.SupplierCalendar{sup["cn"]}},
			// Only the Chinese supplier reaches Brazil with C's first candidate
			// having no lane (the Italian one): it is skipped.
			{SKU: "C", Quantity: 1, Candidates: []*promise.SupplierCalendar{sup["it"], sup["cn"]}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Shipments) != 2 {
		t.Fatalf("%d shipments, want 2: %+v", len(p.Shipments), p.Shipments)
	}
	br, cn := p.Shipments[0], p.Shipments[1]
	if br.SupplierID != 2 || strings.Join(br.SKUs, ",") != "A" || cn.SupplierID != 1 || strings.Join(cn.SKUs, ",") != "B,C" {
		t.Errorf("shipments: %d %v, %d %v; want 2 [A], 1 [B C]", br.SupplierID, br.SKUs, cn.SupplierID, cn.SKUs)
	}
	// The order arrives complete with the slower parcel; the first cutoff
	// (Shanghai's 16:00 = 08:00Z next day vs São Paulo's 14:00 = 17:00Z
	// today) holds the whole promise.
	if p.Latest != cn.Latest || p.Earliest != cn.Earliest || p.ShipBy != cn.ShipBy {
		t.Errorf("promise %s..%s ship-by %s, want the Chinese parcel's %s..%s %s", p.Earliest, p.Latest, p.ShipBy, cn.Earliest, cn.Latest, cn.ShipBy)
	}
	if !p.Cutoff.At.Equal(br.Cutoff.At) || p.Cutoff.At != instant("2026-04-14T17:00:00Z").In(p.Cutoff.At.Location()) {
		t.Errorf("cutoff %s, want São Paulo's %s", p.Cutoff.At, br.Cutoff.At)
	}
	if p.Confidence != 0.95 {
		t.Errorf("confidence %v, want 0.95", p.Confidence)
	}
}

func TestPromiseErrors(t *testing.T) {
	e, sup := network(t, nil)
	now := instant("2026-04-14T13:00:00Z")
	line := []promise.Line{{SKU: "A", Quantity: 1, Candidates: []*promise.SupplierCalendar{sup["br"]}}}
	onlySedex := *sup["cn"]
	onlySedex.CarrierIDs = []int64{sedex}
	sundays := *sup["it"]
	sundays.ProcessingDays = 1 << time.Sunday
	tests := []struct {
		name  string
		req   promise.Request
		code  apperr.Code
		field string
		msg   string
	}{
		{"unknown country", promise.Request{Now: now, Country: "XX", PostalCode: "123", Lines: line}, apperr.Invalid, "country", `country "XX" is not a known country`},
		{"postal code of the wrong format", promise.Request{Now: now, Country: "BR", PostalCode: "0131", Lines: line}, apperr.Invalid, "postal_code", "does not match the Brazilian format 00000-000"},
		{"missing postal code", promise.Request{Now: now, Country: "IT", Lines: line}, apperr.Invalid, "postal_code", "a postal code is required for addresses in Italy"},
		{"order time in the past", promise.Request{Now: now, At: now.Add(-time.Hour), Country: "BR", PostalCode: "01310-100", Lines: line}, apperr.Invalid, "at", "is in the past"},
		{"order time a little in the past is tolerated", promise.Request{Now: now, At: now.Add(-time.Minute), Country: "BR", PostalCode: "01310-100", Lines: line}, "", "", ""},
		{"confidence out of range", promise.Request{Now: now, Confidence: 1.5, Country: "BR", PostalCode: "01310-100", Lines: line}, apperr.Invalid, "confidence", "between 0.5 and 0.99"},
		{"quantity 0", promise.Request{Now: now, Country: "BR", PostalCode: "01310-100", Lines: []promise.Line{{SKU: "A", Candidates: line[0].Candidates}}}, apperr.Invalid, "lines[0].quantity", "at least 1"},
		{"no lines", promise.Request{Now: now, Country: "BR", PostalCode: "01310-100"}, apperr.Invalid, "lines", "at least one line"},
		{"no candidate supplier", promise.Request{Now: now, Country: "BR", PostalCode: "01310-100", Lines: []promise.Line{{SKU: "A", Quantity: 1}}}, apperr.Unavailable, "", "no supplier can ship A to BR"},
		{"no carrier for the lane", promise.Request{Now: now, Country: "BR", PostalCode: "01310-100",
			Lines: []promise.Line{{SKU: "A", Quantity: 1, Candidates: []*promise.SupplierCalendar{&onlySedex}}}}, apperr.Unavailable, "", "lines[0] (A): no carrier service of supplier 1 (Shenzhen Gadgets) delivers from zone CN to zone BR"},
		{"open only when the carrier does not collect", promise.Request{Now: now, Country: "IT", PostalCode: "20121",
			Lines: []promise.Line{{SKU: "A", Quantity: 1, Candidates: []*promise.SupplierCalendar{&sundays}}}}, apperr.Unavailable, "",
			`supplier 3 (Ceramiche Toscane) is never open on a pickup day of carrier service "Poste Crono" (mon,tue,wed,thu,fri)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Promise(tc.req)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var ae *apperr.Error
			if !errors.As(err, &ae) {
				t.Fatalf("error %v, want an *apperr.Error", err)
			}
			if ae.Code != tc.code || !strings.Contains(ae.Message, tc.msg) {
				t.Errorf("error %s %q, want %s containing %q", ae.Code, ae.Message, tc.code, tc.msg)
			}
			if tc.field != "" && (len(ae.Fields) == 0 || ae.Fields[0].Field != tc.field) {
				t.Errorf("fields %+v, want %s first", ae.Fields, tc.field)
			}
		})
	}
	if _, err := e.Promise(promise.Request{Now: now, Country: "BR", PostalCode: "01310-100",
		Lines: []promise.Line{{SKU: "A", Quantity: 1, Candidates: []*promise.SupplierCalendar{&onlySedex}}}}); !errors.Is(err, promise.ErrNoLane) {
		t.Errorf("error %v does not wrap ErrNoLane", err)
	}
}

func TestParsers(t *testing.T) {
	for in, want := range map[string]string{"mon-fri": "mon,tue,wed,thu,fri", "Sat, sun": "sat,sun", "sun-tue": "mon,tue,sun", "fri-mon": "mon,fri,sat,sun"} {
		w, err := promise.ParseWeekdays(in)
		if err != nil || w.String() != want {
			t.Errorf("ParseWeekdays(%q) = %s, %v; want %s", in, w, err, want)
		}
	}
	for _, bad := range []string{"", "funday", "mon-xyz"} {
		if _, err := promise.ParseWeekdays(bad); err == nil {
			t.Errorf("ParseWeekdays(%q) accepted", bad)
		}
	}
	if c, err := promise.ParseClock("14:30"); err != nil || c.String() != "14:30" {
		t.Errorf("ParseClock(14:30) = %s, %v", c, err)
	}
	for _, bad := range []string{"24:00", "2pm", ""} {
		if _, err := promise.ParseClock(bad); err == nil {
			t.Errorf("ParseClock(%q) accepted", bad)
		}
	}
	for d, want := range map[time.Duration]string{3*time.Hour + 12*time.Minute: "3 h 12 min", 45 * time.Minute: "45 min",
		13 * time.Second: "1 min", 50 * time.Hour: "2 d 2 h", 48 * time.Hour: "2 d", 2 * time.Hour: "2 h"} {
		if got := promise.FormatLeft(d); got != want {
			t.Errorf("FormatLeft(%s) = %q, want %q", d, got, want)
		}
	}
	if err := (promise.Closure{From: date("2026-02-10"), To: date("2026-02-01")}).Check(); err == nil {
		t.Error("a closure ending before it starts was accepted")
	}
	if err := (promise.RemoteRule{Name: "x", Country: "BR", From: "69300", To: "69000", ExtraDays: 2}).Check(); err == nil {
		t.Error("a remote rule with to before from was accepted")
	}
}

func TestHolidays(t *testing.T) {
	for _, tc := range []struct {
		country, day string
		want         bool
	}{
		{"BR", "2026-04-21", true},  // Tiradentes
		{"BR", "2026-02-17", true},  // Carnival Tuesday
		{"IT", "2026-12-08", true},  // Immacolata
		{"IT", "2026-04-06", true},  // Pasquetta
		{"US", "2026-11-26", true},  // Thanksgiving
		{"US", "2026-07-03", true},  // Independence Day (a Saturday) observed on Friday
		{"US", "2026-07-06", false}, // an ordinary Monday
		{"CN", "2027-02-06", false}, // not known: closures cover it
	} {
		if got := promise.IsHoliday(tc.country, date(tc.day)); got != tc.want {
			t.Errorf("IsHoliday(%s, %s) = %v, want %v", tc.country, tc.day, got, tc.want)
		}
	}
}
