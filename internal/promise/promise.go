// Package promise computes delivery promises: for a cart and a destination,
// the day each supplier must ship by, the window the parcels arrive in, and
// how long is left to order for that promise (the cutoff).
//
// It is pure and fast: no database, no clock of its own, no I/O. Calendars,
// carrier services, zones and remote-area rules are handed to NewEngine;
// Promise answers from them, and from a Learned source of handling and
// transit times when one is given and has enough data. Storage of the
// calendars and the API live elsewhere (internal/promise/calendars,
// internal/web). docs/promise.md explains the computation.
package promise

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/customers"
)

// Learned gives handling and transit estimates learned from past
// deliveries, at quantile q (0 < q < 1); ok is false when there is too little
// data. Both are elapsed calendar days, fractional: handling from the moment
// an order is received to the moment it is handed to the carrier, transit
// from then to delivery. The engine rounds them onto its calendars: the
// ship-by day is the first working pickup day on or after receipt + handling,
// a delivery day the first delivery day on or after pickup + transit.
type Learned interface {
	Handling(supplierID int64, q float64) (days float64, ok bool)
	Transit(lane Lane, q float64) (days float64, ok bool)
}

// Source says where a figure came from.
type Source string

const (
	Configured Source = "configured" // the supplier's calendar or the carrier's transit table
	LearnedSrc Source = "learned"    // the Learned source
)

// Defaults of Config.
const (
	DefaultConfidence = 0.9
	DefaultTolerance  = 5 * time.Minute
	// MaxAhead bounds how far ahead an order time may be.
	MaxAhead = 366 * 24 * time.Hour
	// searchDays bounds every walk over the calendar: a calendar with no
	// working day for this long has no answer.
	searchDays = 2 * MaxClosureDays
)

// Config is what an Engine promises from.
type Config struct {
	Carriers []*CarrierService
	// Zones maps a country to its zone. A country not in it is a zone of
	// its own, named by its code, so transit tables can name countries.
	Zones  map[string]string
	Remote []RemoteRule
	// Learned, when not nil, replaces configured handling and transit where
	// it has enough data.
	Learned Learned
	// Confidence is the default quantile of the window's latest day when a
	// request names none (0: DefaultConfidence).
	Confidence float64
	// Tolerance is how far in the past a request's order time may be (for
	// clocks that disagree a little); 0: DefaultTolerance.
	Tolerance time.Duration
}

// Engine answers promises. It is safe for concurrent use and never changes:
// build a new one when the configuration changes.
type Engine struct {
	cfg      Config
	carriers map[int64]*CarrierService
}

// NewEngine checks the configuration and returns an engine for it.
func NewEngine(cfg Config) (*Engine, error) {
	if cfg.Confidence == 0 {
		cfg.Confidence = DefaultConfidence
	}
	if err := CheckConfidence(cfg.Confidence); err != nil {
		return nil, err
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = DefaultTolerance
	}
	e := &Engine{cfg: cfg, carriers: make(map[int64]*CarrierService, len(cfg.Carriers))}
	for _, c := range cfg.Carriers {
		if err := c.Check(); err != nil {
			return nil, err
		}
		e.carriers[c.ID] = c
	}
	for _, r := range cfg.Remote {
		if err := r.Check(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// CheckConfidence returns what is wrong with a confidence, or nil.
func CheckConfidence(c float64) error {
	if math.IsNaN(c) || c < 0.5 || c > 0.99 {
		return fmt.Errorf("confidence must be between 0.5 and 0.99 (e.g. 0.9: nine orders in ten arrive within the window)")
	}
	return nil
}

// Confidence returns the engine's default confidence.
func (e *Engine) Confidence() float64 { return e.cfg.Confidence }

// Request asks for a promise.
type Request struct {
	Lines []Line
	// Country (ISO 3166-1 alpha-2) and PostalCode are the destination.
	Country    string
	PostalCode string
	// Now is the clock's time; required.
	Now time.Time
	// At is when the order is (or would be) placed; zero means Now. It may
	// not be more than Config.Tolerance before Now.
	At time.Time
	// Confidence overrides the engine's default (0: the default).
	Confidence float64
}

// Line is one SKU of the cart with the suppliers that could ship it, in
// order of preference.
type Line struct {
	SKU        string
	Quantity   int
	Candidates []*SupplierCalendar
}

// Promise is the answer.
type Promise struct {
	// ShipBy is the last ship-by day of the shipments (each in its
	// supplier's zone).
	ShipBy Date
	// Earliest and Latest bound the day the last parcel arrives, in the
	// destination.
	Earliest, Latest Date
	Confidence       float64
	// Cutoff is the first of the shipments' cutoffs: order before it and
	// every shipment keeps its ship-by day.
	Cutoff    Cutoff
	Shipments []Shipment
}

// Shipment is what one supplier ships.
type Shipment struct {
	SupplierID   int64
	SupplierName string
	SKUs         []string
	// Received is the supplier's day the order counts as received on.
	Received         Date
	ShipBy           Date
	Earliest, Latest Date
	Cutoff           Cutoff
	// Carriers are the carrier services the window covers.
	Carriers []string
	Handling Source
	Transit  Source
	// Remote names the remote-area rule that added RemoteDays, if any.
	Remote     string
	RemoteDays int
}

// Cutoff is the moment an order must be placed by for the promise to hold.
type Cutoff struct {
	At time.Time
	// Left is the time from the order time to At.
	Left time.Duration
	// ShipsToday: an order placed before At ships today (in the supplier's
	// zone).
	ShipsToday bool
}

// Message says the cutoff the way a product page does: "order within 3 h
// 12 min to ship today", or "order within 1 h 5 min to ship on Mon 7 Dec".
func (c Cutoff) Message(shipBy Date) string {
	if c.At.IsZero() {
		return ""
	}
	when := "to ship today"
	if !c.ShipsToday {
		when = "to ship on " + shipBy.midnight().Format("Mon 2 Jan")
	}
	return "order within " + FormatLeft(c.Left) + " " + when
}

// FormatLeft writes a duration as days, hours and minutes: "3 h 12 min",
// "2 d 4 h", "45 min". Seconds are rounded up (13 s left is "1 min").
func FormatLeft(d time.Duration) string {
	m := int64((d + time.Minute - 1) / time.Minute)
	if m < 0 {
		m = 0
	}
	days, hours, mins := m/(24*60), m/60%24, m%60
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%d d %d h", days, hours)
	case days > 0:
		return fmt.Sprintf("%d d", days)
	case hours > 0 && mins > 0:
		return fmt.Sprintf("%d h %d min", hours, mins)
	case hours > 0:
		return fmt.Sprintf("%d h", hours)
	}
	return fmt.Sprintf("%d min", mins)
}

// Errors a caller may want to tell apart (all are *apperr.Error too).
var (
	ErrNoCandidate = errors.New("no candidate supplier")
	ErrNoLane      = errors.New("no carrier service for the lane")
)

// Promise computes the promise for req.
func (e *Engine) Promise(req Request) (Promise, error) {
	d, err := e.destination(req)
	if err != nil {
		return Promise{}, err
	}
	type option struct {
		s   Shipment
		err error
	}
	bySupplier := make(map[int64]*option, 4)
	var ships []Shipment
	shipIndex := make(map[int64]int, 4)
	for i, l := range req.Lines {
		if len(l.Candidates) == 0 {
			return Promise{}, apperr.Wrap(ErrNoCandidate, apperr.Unavailable, "lines[%d]: no supplier can ship %s to %s", i, l.SKU, d.country)
		}
		var best *Shipment
		var firstErr error
		for _, c := range l.Candidates {
			o, ok := bySupplier[c.SupplierID]
			if !ok {
				s, err := e.shipment(c, d)
				o = &option{s, err}
				bySupplier[c.SupplierID] = o
			}
			if o.err != nil {
				if firstErr == nil {
					firstErr = o.err
				}
				continue
			}
			if best == nil || better(&o.s, best, shipIndex) {
				best = &o.s
			}
		}
		if best == nil {
			var ae *apperr.Error
			if errors.As(firstErr, &ae) {
				return Promise{}, &apperr.Error{Code: ae.Code, Message: fmt.Sprintf("lines[%d] (%s): %s", i, l.SKU, ae.Message), Err: ae.Err}
			}
			return Promise{}, fmt.Errorf("lines[%d] (%s): %w", i, l.SKU, firstErr)
		}
		if j, ok := shipIndex[best.SupplierID]; ok {
			ships[j].SKUs = append(ships[j].SKUs, l.SKU)
			continue
		}
		s := *best
		s.SKUs = []string{l.SKU}
		shipIndex[s.SupplierID] = len(ships)
		ships = append(ships, s)
	}
	if len(ships) == 0 {
		return Promise{}, apperr.Wrap(ErrNoCandidate, apperr.Invalid, "lines: at least one line is required")
	}
	p := Promise{Confidence: d.confidence, Shipments: ships}
	for i, s := range ships {
		if i == 0 || s.ShipBy.After(p.ShipBy) {
			p.ShipBy = s.ShipBy
		}
		if i == 0 || s.Earliest.After(p.Earliest) {
			p.Earliest = s.Earliest
		}
		if i == 0 || s.Latest.After(p.Latest) {
			p.Latest = s.Latest
		}
		if i == 0 || s.Cutoff.At.Before(p.Cutoff.At) {
			p.Cutoff = s.Cutoff
		}
	}
	if len(ships) > 1 {
		// Today only if every shipment ships today.
		for _, s := range ships {
			p.Cutoff.ShipsToday = p.Cutoff.ShipsToday && s.Cutoff.ShipsToday
		}
	}
	return p, nil
}

// better reports whether a is a better choice than b for a line: it arrives
// sooner (latest, then earliest), ships sooner, or, all equal, its supplier
// already ships another line (fewer parcels).
func better(a, b *Shipment, chosen map[int64]int) bool {
	if c := a.Latest.Compare(b.Latest); c != 0 {
		return c < 0
	}
	if c := a.Earliest.Compare(b.Earliest); c != 0 {
		return c < 0
	}
	if c := a.ShipBy.Compare(b.ShipBy); c != 0 {
		return c < 0
	}
	_, aUsed := chosen[a.SupplierID]
	_, bUsed := chosen[b.SupplierID]
	return aUsed && !bUsed
}

// dest is a checked request's destination and settings.
type dest struct {
	country, zone string
	postalKey     string
	remote        *RemoteRule
	at            time.Time
	confidence    float64
}

func (e *Engine) destination(req Request) (dest, error) {
	var fs apperr.Fields
	country, postal, problems := customers.CheckDestination(req.Country, req.PostalCode)
	for _, p := range problems {
		fs.Add(p.Field, "%s", p.Message)
	}
	if req.Now.IsZero() {
		return dest{}, apperr.New(apperr.Internal, "promise: the request has no clock time")
	}
	at := req.At
	if at.IsZero() {
		at = req.Now
	}
	switch {
	case at.Before(req.Now.Add(-e.cfg.Tolerance)):
		fs.Add("at", "%s is in the past (now is %s): a promise is for an order placed now or later",
			at.UTC().Format(time.RFC3339), req.Now.UTC().Format(time.RFC3339))
	case at.After(req.Now.Add(MaxAhead)):
		fs.Add("at", "%s is more than a year ahead", at.UTC().Format(time.RFC3339))
	}
	conf := req.Confidence
	if conf == 0 {
		conf = e.cfg.Confidence
	} else if err := CheckConfidence(conf); err != nil {
		fs.Add("confidence", "%s", err)
	}
	for i, l := range req.Lines {
		if l.Quantity < 1 {
			fs.Add(fmt.Sprintf("lines[%d].quantity", i), "must be at least 1")
		}
	}
	if len(req.Lines) == 0 {
		fs.Add("lines", "at least one line is required")
	}
	if err := fs.Err(); err != nil {
		return dest{}, err
	}
	d := dest{country: country, zone: e.zone(country), postalKey: PostalKey(postal), at: at, confidence: conf}
	for i := range e.cfg.Remote {
		r := &e.cfg.Remote[i]
		if r.Matches(country, d.postalKey) && (d.remote == nil || r.ExtraDays > d.remote.ExtraDays) {
			d.remote = r
		}
	}
	return d, nil
}

func (e *Engine) zone(country string) string {
	if z, ok := e.cfg.Zones[country]; ok && z != "" {
		return z
	}
	return country
}

// shipment computes what supplier c would promise for destination d.
func (e *Engine) shipment(c *SupplierCalendar, d dest) (Shipment, error) {
	if c.Location == nil || c.ProcessingDays == 0 {
		return Shipment{}, apperr.New(apperr.Unavailable, "supplier %d (%s) has no usable calendar", c.SupplierID, c.Name)
	}
	s := Shipment{SupplierID: c.SupplierID, SupplierName: c.Name, Handling: Configured, Transit: Configured}

	// The day the order counts as received: today if the supplier works
	// today and the cutoff has not passed, else its next working day.
	local := d.at.In(c.Location)
	today := DateOf(local)
	received := today
	if !c.open(today) || minutesOf(local) >= c.Cutoff {
		var ok bool
		if received, ok = nextDay(today.AddDays(1), c.open); !ok {
			return Shipment{}, closedErr(c)
		}
	}
	s.Received = received
	s.Cutoff.At = received.At(c.Cutoff, c.Location)
	s.Cutoff.Left = s.Cutoff.At.Sub(d.at)

	// Carriers: the supplier's, or every one with a lane.
	from := e.zone(c.Country)
	lane := ZonePair{from, d.zone}
	var carriers []*CarrierService
	if len(c.CarrierIDs) > 0 {
		for _, id := range c.CarrierIDs {
			if cs, ok := e.carriers[id]; ok {
				if _, ok := cs.Transit[lane]; ok {
					carriers = append(carriers, cs)
				}
			}
		}
	} else {
		for _, cs := range e.cfg.Carriers {
			if _, ok := cs.Transit[lane]; ok {
				carriers = append(carriers, cs)
			}
		}
	}
	if len(carriers) == 0 {
		return Shipment{}, apperr.Wrap(ErrNoLane, apperr.Unavailable,
			"no carrier service of supplier %d (%s) delivers from zone %s to zone %s", c.SupplierID, c.Name, from, d.zone)
	}

	// Handling: configured processing days, or learned elapsed days.
	handed := received
	learnedHandling := false
	if e.cfg.Learned != nil {
		if h, ok := e.cfg.Learned.Handling(c.SupplierID, d.confidence); ok && h >= 0 && h < MaxClosureDays {
			handed = received.AddDays(int(math.Ceil(h - 1e-9)))
			learnedHandling = true
			s.Handling = LearnedSrc
		}
	}
	if !learnedHandling {
		for n := 0; n < c.HandlingDays; n++ {
			var ok bool
			if handed, ok = nextDay(handed.AddDays(1), c.open); !ok {
				return Shipment{}, closedErr(c)
			}
		}
	}

	var learnedLo, learnedHi float64
	learnedTransit := false
	if e.cfg.Learned != nil {
		l := Lane{FromCountry: c.Country, FromPostal: prefix(PostalKey(c.PostalCode), LanePrefixLen),
			ToCountry: d.country, ToPostal: prefix(d.postalKey, LanePrefixLen)}
		lo, ok1 := e.cfg.Learned.Transit(l, 1-d.confidence)
		hi, ok2 := e.cfg.Learned.Transit(l, d.confidence)
		if ok1 && ok2 && lo >= 0 && hi >= lo && hi < MaxClosureDays {
			learnedLo, learnedHi, learnedTransit = lo, hi, true
			s.Transit = LearnedSrc
		}
	}

	extra := 0
	if d.remote != nil && !learnedTransit {
		extra = d.remote.ExtraDays
		s.Remote, s.RemoteDays = d.remote.Name, extra
	}

	// The window covers every carrier the supplier may use.
	for i, cs := range carriers {
		pickup, ok := nextDay(handed, func(day Date) bool { return cs.PickupDays.Has(day.Weekday()) && c.open(day) })
		if !ok {
			return Shipment{}, apperr.New(apperr.Unavailable, "supplier %d (%s) is never open on a pickup day of carrier service %q (%s) in the next %d days",
				c.SupplierID, c.Name, cs.Name, cs.PickupDays, searchDays)
		}
		delivery := func(day Date) bool { return cs.DeliveryDays.Has(day.Weekday()) && !IsHoliday(d.country, day) }
		var early, late Date
		if learnedTransit {
			early, ok = nextDay(pickup.AddDays(int(math.Floor(learnedLo))), delivery)
			if ok {
				late, ok = nextDay(pickup.AddDays(int(math.Ceil(learnedHi-1e-9))), delivery)
			}
		} else {
			r := cs.Transit[lane]
			early, ok = addDays(pickup, r.Min, delivery)
			if ok {
				late, ok = addDays(pickup, r.Max+extra, delivery)
			}
		}
		if !ok {
			return Shipment{}, apperr.New(apperr.Unavailable, "carrier service %q has no delivery day to %s within %d days", cs.Name, d.country, searchDays)
		}
		if i == 0 || pickup.After(s.ShipBy) {
			s.ShipBy = pickup
		}
		if i == 0 || early.Before(s.Earliest) {
			s.Earliest = early
		}
		if i == 0 || late.After(s.Latest) {
			s.Latest = late
		}
		s.Carriers = append(s.Carriers, cs.Name)
	}
	s.Cutoff.ShipsToday = received == today && s.ShipBy == today
	return s, nil
}

func closedErr(c *SupplierCalendar) error {
	return apperr.New(apperr.Unavailable, "supplier %d (%s) has no processing day in the next %d days (check its processing days and closures)",
		c.SupplierID, c.Name, searchDays)
}

// nextDay returns the first day on or after d for which ok holds.
func nextDay(d Date, ok func(Date) bool) (Date, bool) {
	for i := 0; i < searchDays; i++ {
		if ok(d) {
			return d, true
		}
		d = d.AddDays(1)
	}
	return Date{}, false
}

// addDays returns the n-th day after d for which ok holds; for n = 0, the
// first day on or after d.
func addDays(d Date, n int, ok func(Date) bool) (Date, bool) {
	if n == 0 {
		return nextDay(d, ok)
	}
	for i := 0; i < searchDays; i++ {
		d = d.AddDays(1)
		if ok(d) {
			if n--; n == 0 {
				return d, true
			}
		}
	}
	return Date{}, false
}
