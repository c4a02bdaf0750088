// Package calendars stores what delivery promises are computed from —
// supplier calendars, carrier services and their transit tables, shipping
// zones, remote-area rules and the store's default confidence — and answers
// promises for SKUs and carts: it finds the suppliers that can ship each SKU
// (active offers with the stock), hands their calendars to the pure engine in
// package promise, and keeps that engine cached until the configuration
// changes. docs/promise.md explains the model; docs/decisions/0011 the split.
package calendars

import (
	"fmt"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/promise"
)

// Calendar is a supplier's working calendar as stored and shown.
type Calendar struct {
	SupplierID   int64  `json:"supplier_id"`
	SupplierName string `json:"supplier_name"`
	// Timezone and Country are the supplier's own (set on the supplier).
	Timezone          string    `json:"timezone" example:"Asia/Shanghai" doc:"The supplier's time zone (set on the supplier): cutoffs and days are in it"`
	Country           string    `json:"country" example:"CN" doc:"The supplier's country (set on the supplier): its holidays and its shipping zone"`
	ProcessingDays    []string  `json:"processing_days" nullable:"false" example:"[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"]" doc:"Days it processes orders"`
	Cutoff            string    `json:"cutoff" example:"14:00" doc:"Orders after this local time count as received the next processing day"`
	HandlingDays      int       `json:"handling_days" doc:"Processing days from the day an order is received to the day it is handed to the carrier (0: same day)"`
	CountryHolidays   bool      `json:"country_holidays" doc:"Closed on its country's national public holidays (for the countries listed in docs/promise.md)"`
	OriginPostalCode  string    `json:"origin_postal_code" doc:"Where it ships from, for learned transit per lane (optional)"`
	Closures          []Closure `json:"closures" nullable:"false"`
	CarrierServiceIDs []int64   `json:"carrier_service_ids" nullable:"false" doc:"The carrier services it ships with; empty: any with a lane from its zone"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// Closure is a run of days a supplier is closed, both ends included.
type Closure struct {
	From   string `json:"from" example:"2027-02-05" doc:"First closed day, YYYY-MM-DD"`
	To     string `json:"to" example:"2027-02-13" doc:"Last closed day, YYYY-MM-DD"`
	Reason string `json:"reason,omitempty" maxLength:"200" example:"Chinese New Year"`
}

// CalendarInput sets a supplier's calendar (all of it).
type CalendarInput struct {
	ProcessingDays    []string
	Cutoff            string
	HandlingDays      int
	CountryHolidays   bool
	OriginPostalCode  string
	Closures          []Closure
	CarrierServiceIDs []int64
}

// parsed is a checked CalendarInput.
type parsedCalendar struct {
	days     promise.Weekdays
	cutoff   promise.Clock
	closures []promise.Closure
}

func (in CalendarInput) parse() (parsedCalendar, error) {
	var fs apperr.Fields
	var p parsedCalendar
	var err error
	if p.days, err = promise.ParseWeekdayList(in.ProcessingDays); err != nil {
		fs.Add("processing_days", "%s", err)
	}
	if p.cutoff, err = promise.ParseClock(in.Cutoff); err != nil {
		fs.Add("cutoff", "%s", err)
	}
	if in.HandlingDays < 0 || in.HandlingDays > promise.MaxHandlingDays {
		fs.Add("handling_days", "must be between 0 and %d", promise.MaxHandlingDays)
	}
	if len(in.OriginPostalCode) > 20 {
		fs.Add("origin_postal_code", "at most 20 characters")
	}
	if len(in.Closures) > 200 {
		fs.Add("closures", "at most 200 closures")
	}
	for i, c := range in.Closures {
		from, err1 := promise.ParseDate(strings.TrimSpace(c.From))
		to, err2 := promise.ParseDate(strings.TrimSpace(c.To))
		switch {
		case err1 != nil:
			fs.Add(fmt.Sprintf("closures[%d].from", i), "%s", err1)
		case err2 != nil:
			fs.Add(fmt.Sprintf("closures[%d].to", i), "%s", err2)
		default:
			cl := promise.Closure{From: from, To: to, Reason: strings.TrimSpace(c.Reason)}
			if err := cl.Check(); err != nil {
				fs.Add(fmt.Sprintf("closures[%d]", i), "%s", err)
			}
			p.closures = append(p.closures, cl)
		}
	}
	seen := map[int64]bool{}
	for i, id := range in.CarrierServiceIDs {
		if id < 1 || seen[id] {
			fs.Add(fmt.Sprintf("carrier_service_ids[%d]", i), "%d is not a carrier service id, or is listed twice", id)
		}
		seen[id] = true
	}
	return p, fs.Err()
}

// CarrierService is a carrier's service as stored and shown.
type CarrierService struct {
	ID           int64        `json:"id"`
	Name         string       `json:"name" example:"Correios SEDEX"`
	PickupDays   []string     `json:"pickup_days" nullable:"false" example:"[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"]"`
	DeliveryDays []string     `json:"delivery_days" nullable:"false" example:"[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"]"`
	Transit      []TransitRow `json:"transit" nullable:"false"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
}

// TransitRow is the transit time between two zones, in delivery days.
type TransitRow struct {
	FromZone string `json:"from_zone" maxLength:"40" example:"BR" doc:"Origin zone (a zone name, or a country code for a country in no zone)"`
	ToZone   string `json:"to_zone" maxLength:"40" example:"BR"`
	MinDays  int    `json:"min_days" minimum:"0" maximum:"120" example:"1"`
	MaxDays  int    `json:"max_days" minimum:"0" maximum:"120" example:"3"`
}

// CarrierServiceInput creates or replaces a carrier service.
type CarrierServiceInput struct {
	Name         string
	PickupDays   []string
	DeliveryDays []string // empty: Monday to Friday
	Transit      []TransitRow
}

func (in CarrierServiceInput) parse() (promise.CarrierService, error) {
	var fs apperr.Fields
	cs := promise.CarrierService{Name: strings.TrimSpace(in.Name), Transit: map[promise.ZonePair]promise.Range{}}
	if cs.Name == "" || len(cs.Name) > 100 {
		fs.Add("name", "a name of 1 to 100 characters is required")
	}
	var err error
	if cs.PickupDays, err = promise.ParseWeekdayList(in.PickupDays); err != nil {
		fs.Add("pickup_days", "%s", err)
	}
	cs.DeliveryDays = promise.MondayToFriday
	if len(in.DeliveryDays) > 0 {
		if cs.DeliveryDays, err = promise.ParseWeekdayList(in.DeliveryDays); err != nil {
			fs.Add("delivery_days", "%s", err)
		}
	}
	if len(in.Transit) > 1000 {
		fs.Add("transit", "at most 1000 rows")
	}
	for i, r := range in.Transit {
		zp := promise.ZonePair{From: normZone(r.FromZone), To: normZone(r.ToZone)}
		f := fmt.Sprintf("transit[%d]", i)
		switch {
		case zp.From == "" || zp.To == "":
			fs.Add(f, "from_zone and to_zone are required")
		case len(zp.From) > 40 || len(zp.To) > 40:
			fs.Add(f, "zone names are at most 40 characters")
		default:
			if _, dup := cs.Transit[zp]; dup {
				fs.Add(f, "%s → %s is listed twice", zp.From, zp.To)
			}
			rg := promise.Range{Min: r.MinDays, Max: r.MaxDays}
			if err := rg.Check(); err != nil {
				fs.Add(f, "%s", err)
			}
			cs.Transit[zp] = rg
		}
	}
	return cs, fs.Err()
}

// normZone writes zone names upper case and trimmed, so "eu" and "EU" are one.
func normZone(z string) string { return strings.ToUpper(strings.TrimSpace(z)) }

// RemoteRule is a remote-area rule as stored and shown.
type RemoteRule struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name" example:"Norte: Amazonas"`
	Country    string    `json:"country" example:"BR"`
	PostalFrom string    `json:"postal_from" example:"69000" doc:"First postal code (prefix) of the range"`
	PostalTo   string    `json:"postal_to" example:"69299" doc:"Last postal code (prefix) of the range"`
	ExtraDays  int       `json:"extra_days" example:"5" doc:"Delivery days added to the carrier's transit"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// RemoteRuleInput creates or replaces a remote-area rule.
type RemoteRuleInput struct {
	Name       string
	Country    string
	PostalFrom string
	PostalTo   string
	ExtraDays  int
}

func (in RemoteRuleInput) parse() (promise.RemoteRule, error) {
	r := promise.RemoteRule{Name: strings.TrimSpace(in.Name), Country: strings.ToUpper(strings.TrimSpace(in.Country)),
		From: strings.TrimSpace(in.PostalFrom), To: strings.TrimSpace(in.PostalTo), ExtraDays: in.ExtraDays}
	var fs apperr.Fields
	if r.Name == "" || len(r.Name) > 100 {
		fs.Add("name", "a name of 1 to 100 characters is required")
	}
	if len(r.From) > 20 || len(r.To) > 20 {
		fs.Add("postal_from", "postal codes are at most 20 characters")
	}
	if err := fs.Err(); err != nil {
		return r, err
	}
	if err := r.Check(); err != nil {
		return r, apperr.New(apperr.Invalid, "%s", err)
	}
	return r, nil
}

// Zone assigns a country to a shipping zone.
type Zone struct {
	Country string `json:"country" example:"IT" doc:"ISO 3166-1 alpha-2"`
	Zone    string `json:"zone" example:"EU"`
}

// Settings are the store's promise settings.
type Settings struct {
	Confidence float64   `json:"confidence" example:"0.9" doc:"The default confidence: the share of orders that should arrive by the window's latest day (0.5 to 0.99). With configured transit tables the window is the table's [min, max]; with learned times, the quantiles 1−confidence and confidence."`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
}
