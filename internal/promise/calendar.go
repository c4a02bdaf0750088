package promise

import (
	"fmt"
	"strings"
	"time"
)

// Weekdays is a set of days of the week: bit i is time.Weekday(i).
type Weekdays uint8

// MondayToFriday is the usual working week.
const MondayToFriday Weekdays = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Has reports whether d is in the set.
func (w Weekdays) Has(d time.Weekday) bool { return w&(1<<d) != 0 }

// String writes the set as a comma-separated list of three-letter names,
// Monday first: "mon,tue,wed,thu,fri".
func (w Weekdays) String() string {
	var names []string
	for i := 1; i <= 7; i++ {
		if d := time.Weekday(i % 7); w.Has(d) {
			names = append(names, dayNames[d])
		}
	}
	return strings.Join(names, ",")
}

// Names returns the set as three-letter names, Monday first.
func (w Weekdays) Names() []string {
	if w == 0 {
		return []string{}
	}
	return strings.Split(w.String(), ",")
}

// ParseWeekdays reads days of the week: three-letter English names (any
// case), separated by commas or spaces, and ranges such as "mon-fri" or
// "sun-thu". It refuses an empty set.
func ParseWeekdays(s string) (Weekdays, error) {
	return ParseWeekdayList(strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }))
}

// ParseWeekdayList reads a list of day names or ranges (see ParseWeekdays).
func ParseWeekdayList(items []string) (Weekdays, error) {
	var w Weekdays
	for _, it := range items {
		it = strings.ToLower(strings.TrimSpace(it))
		if it == "" {
			continue
		}
		from, to, isRange := strings.Cut(it, "-")
		a, ok := dayIndex(from)
		if !ok {
			return 0, fmt.Errorf("%q is not a day of the week (use mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri)", from)
		}
		b := a
		if isRange {
			if b, ok = dayIndex(to); !ok {
				return 0, fmt.Errorf("%q is not a day of the week (use mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri)", to)
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			w |= 1 << d
			if d == b {
				break
			}
		}
	}
	if w == 0 {
		return 0, fmt.Errorf("at least one day of the week is required (e.g. mon-fri)")
	}
	return w, nil
}

func dayIndex(s string) (time.Weekday, bool) {
	for i, n := range dayNames {
		if n == s {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// Clock is a time of day in minutes after midnight (0 to 1439).
type Clock int

// ParseClock reads a time of day written 15:04.
func ParseClock(s string) (Clock, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day written HH:MM (e.g. 14:00)", s)
	}
	return Clock(t.Hour()*60 + t.Minute()), nil
}

// Hour and Minute are the clock's parts.
func (c Clock) Hour() int   { return int(c) / 60 }
func (c Clock) Minute() int { return int(c) % 60 }

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c.Hour(), c.Minute()) }

// minutesOf is the time of day of t, in its location, in minutes.
func minutesOf(t time.Time) Clock { return Clock(t.Hour()*60 + t.Minute()) }

// Closure is a run of days (both ends included) on which a supplier does not
// process orders: Chinese New Year, a summer shutdown, a stock-take.
type Closure struct {
	From   Date   `json:"from"`
	To     Date   `json:"to"`
	Reason string `json:"reason,omitempty"`
}

// MaxClosureDays bounds one closure, so a typo (2062 for 2026) cannot close a
// supplier for decades.
const MaxClosureDays = 366

// Check returns what is wrong with the closure, or nil.
func (c Closure) Check() error {
	switch {
	case c.From.IsZero() || c.To.IsZero():
		return fmt.Errorf("a closure needs both from and to dates")
	case c.To.Before(c.From):
		return fmt.Errorf("closure ends (%s) before it starts (%s)", c.To, c.From)
	case c.From.DaysUntil(c.To) >= MaxClosureDays:
		return fmt.Errorf("closure from %s to %s is longer than %d days", c.From, c.To, MaxClosureDays)
	}
	return nil
}

// SupplierCalendar is when a supplier works and how long it takes to hand an
// order to the carrier.
type SupplierCalendar struct {
	SupplierID int64
	Name       string // for messages
	// Country is where the supplier ships from (ISO 3166-1 alpha-2): its
	// holidays, its zone and the origin of its lanes.
	Country string
	// PostalCode is the postal code it ships from (optional), for the lane
	// given to a Learned source.
	PostalCode string
	// Location is the supplier's time zone: cutoffs and days are its.
	Location *time.Location
	// ProcessingDays are the days it processes orders.
	ProcessingDays Weekdays
	// Cutoff is the time of day after which an order counts as received on
	// the next processing day.
	Cutoff Clock
	// HandlingDays is how many processing days after the day an order is
	// received it is handed to the carrier: 0 ships the same day.
	HandlingDays int
	// CountryHolidays closes the supplier on its country's public holidays
	// (for the countries Holidays knows).
	CountryHolidays bool
	// Closures are extra days it is closed.
	Closures []Closure
	// CarrierIDs are the carrier services it ships with. Empty: any carrier
	// service with a lane from its zone to the destination's. When several
	// could be used the promise covers all of them (the widest window),
	// since which one the supplier picks is not known.
	CarrierIDs []int64
}

// MaxHandlingDays bounds configured handling.
const MaxHandlingDays = 60

// Check returns what is wrong with the calendar, or nil.
func (c *SupplierCalendar) Check() error {
	switch {
	case c.Location == nil:
		return fmt.Errorf("supplier %d: the time zone is missing", c.SupplierID)
	case c.ProcessingDays == 0:
		return fmt.Errorf("supplier %d: at least one processing day is required", c.SupplierID)
	case c.Cutoff < 0 || c.Cutoff >= 24*60:
		return fmt.Errorf("supplier %d: cutoff %d is not a time of day", c.SupplierID, c.Cutoff)
	case c.HandlingDays < 0 || c.HandlingDays > MaxHandlingDays:
		return fmt.Errorf("supplier %d: handling days must be between 0 and %d", c.SupplierID, MaxHandlingDays)
	case len(c.Country) != 2:
		return fmt.Errorf("supplier %d: country %q is not an ISO 3166-1 alpha-2 code", c.SupplierID, c.Country)
	}
	for _, cl := range c.Closures {
		if err := cl.Check(); err != nil {
			return fmt.Errorf("supplier %d: %w", c.SupplierID, err)
		}
	}
	return nil
}

// open reports whether the supplier processes orders on d.
func (c *SupplierCalendar) open(d Date) bool {
	if !c.ProcessingDays.Has(d.Weekday()) {
		return false
	}
	if c.CountryHolidays && IsHoliday(c.Country, d) {
		return false
	}
	for _, cl := range c.Closures {
		if !d.Before(cl.From) && !d.After(cl.To) {
			return false
		}
	}
	return true
}

// Range is a number of days from Min to Max, both included.
type Range struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// MaxTransitDays bounds a configured transit time.
const MaxTransitDays = 120

// Check returns what is wrong with the range, or nil.
func (r Range) Check() error {
	switch {
	case r.Min < 0 || r.Max < 0:
		return fmt.Errorf("transit days cannot be negative")
	case r.Max < r.Min:
		return fmt.Errorf("transit max (%d) is less than min (%d)", r.Max, r.Min)
	case r.Max > MaxTransitDays:
		return fmt.Errorf("transit max (%d) is more than %d days", r.Max, MaxTransitDays)
	}
	return nil
}

// ZonePair is an origin zone and a destination zone.
type ZonePair struct{ From, To string }

// CarrierService is one service of a carrier (e.g. "Correios SEDEX",
// "DHL Express Worldwide"): the days it collects parcels, the days it
// delivers, and its transit time between zones in delivery days. The
// destination country's public holidays are never delivery days.
type CarrierService struct {
	ID           int64
	Name         string
	PickupDays   Weekdays
	DeliveryDays Weekdays
	// Transit is the time from pickup to delivery, in delivery days, per
	// origin zone → destination zone.
	Transit map[ZonePair]Range
}

// Check returns what is wrong with the service, or nil.
func (c *CarrierService) Check() error {
	switch {
	case c.PickupDays == 0:
		return fmt.Errorf("carrier service %q: at least one pickup day is required", c.Name)
	case c.DeliveryDays == 0:
		return fmt.Errorf("carrier service %q: at least one delivery day is required", c.Name)
	}
	for zp, r := range c.Transit {
		if zp.From == "" || zp.To == "" {
			return fmt.Errorf("carrier service %q: a transit row needs both zones", c.Name)
		}
		if err := r.Check(); err != nil {
			return fmt.Errorf("carrier service %q, %s → %s: %w", c.Name, zp.From, zp.To, err)
		}
	}
	return nil
}
