package learned

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
)

// Periods a calibration may cover, in days.
var CalibrationPeriods = []int{30, 90, 365}

// MaxDeliveryAge bounds how long before its delivery an order counted by
// Calibrate may have been placed: it keeps the queries on the index of
// placement times instead of every delivered order ever.
const MaxDeliveryAge = 180 * 24 * time.Hour

// Calibration is how well the promises of delivered orders were kept.
//
// An order counts when it was delivered (its last "delivered" timeline entry)
// in the period, carries a stored promise and was placed at most
// MaxDeliveryAge before the period. Its slack is the end of the
// promised latest day (midnight UTC, as the at-risk check reads it) minus the
// delivery time, in days: positive when early, negative when late. It is on
// time when delivered on or before the promised latest day.
type Calibration struct {
	Days    int       `json:"days"`
	Since   time.Time `json:"since"`
	Overall Stats     `json:"overall"`
	// BySupplier groups by the supplier whose stock the order's lines
	// shipped from; an order from two suppliers counts under both.
	BySupplier []Group `json:"by_supplier"`
	// ByLane groups by the supplier's country → the destination country and
	// region ("PT → IT" or "PT → IT/MI").
	ByLane []Group `json:"by_lane"`
}

// Stats are the figures of a set of delivered orders.
type Stats struct {
	Orders int `json:"orders"`
	OnTime int `json:"on_time"`
	Late   int `json:"late"`
	// OnTimeRate is OnTime / Orders (0 when there are none).
	OnTimeRate float64 `json:"on_time_rate"`
	// MedianSlackDays and P90SlackDays are the 50th and 90th percentiles of
	// the slack (linear interpolation), rounded to 0.01 day; 0 with no orders.
	MedianSlackDays float64 `json:"median_slack_days"`
	P90SlackDays    float64 `json:"p90_slack_days"`
	// MaxLateDays is the largest number of calendar days an order arrived
	// after its latest day.
	MaxLateDays int `json:"max_late_days"`
}

// tally gathers the slack of a Stats until finish.
type tally struct {
	Stats
	slack []float64
}

// Group is the figures of one supplier or lane.
type Group struct {
	Key        string `json:"key"`
	Name       string `json:"name"`
	SupplierID int64  `json:"supplier_id,omitempty"`
	Stats
}

// Calibrate measures the promises of orders delivered in the days before now.
func Calibrate(ctx context.Context, q store.Querier, now time.Time, days int) (Calibration, error) {
	if !slices.Contains(CalibrationPeriods, days) {
		return Calibration{}, apperr.InvalidField("days", "the period must be one of 30, 90 or 365 days, not %d", days)
	}
	since := now.UTC().AddDate(0, 0, -days)
	placedSince := since.Add(-MaxDeliveryAge)
	c := Calibration{Days: days, Since: since}

	type order struct {
		latest          time.Time // end of the latest day
		country, region string
		delivered       time.Time
	}
	orders := map[int64]*order{}
	var ids []int64
	rows, err := q.QueryContext(ctx, `SELECT o.id, o.promised_latest, o.ship_country, o.ship_region, t.created_at
		FROM orders o JOIN order_timeline t ON t.order_id = o.id AND t.event = 'delivered'
		WHERE o.state = 'delivered' AND o.promised_latest IS NOT NULL AND o.placed_at >= $1 AND t.created_at >= $2
		ORDER BY o.id`, placedSince, since)
	if err != nil {
		return c, fmt.Errorf("read delivered orders with a promise: %w", err)
	}
	for rows.Next() {
		var id int64
		var latest, country, region string
		var at time.Time
		if err := rows.Scan(&id, &latest, &country, &region, &at); err != nil {
			rows.Close()
			return c, fmt.Errorf("read delivered orders with a promise: %w", err)
		}
		o := orders[id]
		if o == nil {
			day, err := time.Parse(time.DateOnly, latest)
			if err != nil {
				rows.Close()
				return c, fmt.Errorf("order %d: promised latest day %q: %w", id, latest, err)
			}
			o = &order{latest: day.AddDate(0, 0, 1), country: strings.ToUpper(country), region: strings.ToUpper(strings.TrimSpace(region))}
			orders[id] = o
			ids = append(ids, id)
		}
		if at.After(o.delivered) {
			o.delivered = at
		}
	}
	if err := rows.Close(); err != nil {
		return c, fmt.Errorf("read delivered orders with a promise: %w", err)
	}
	if len(ids) == 0 {
		return c, nil
	}
	// The suppliers each order shipped from.
	lines, sups, err := shippedFrom(ctx, q, `o.state = 'delivered' AND o.promised_latest IS NOT NULL AND o.placed_at >= $1`, placedSince)
	if err != nil {
		return c, err
	}
	from := map[int64][]int64{}
	for id, byPos := range lines {
		if orders[id] == nil {
			continue
		}
		for _, sid := range byPos {
			if !slices.Contains(from[id], sid) {
				from[id] = append(from[id], sid)
			}
		}
	}

	type group struct {
		g Group
		t tally
	}
	var overall tally
	bySupplier := map[int64]*group{}
	byLane := map[string]*group{}
	for _, id := range ids {
		o := orders[id]
		slack := o.latest.Sub(o.delivered).Hours() / 24
		lateDays := 0
		if !o.delivered.Before(o.latest) {
			day := time.Date(o.delivered.Year(), o.delivered.Month(), o.delivered.Day(), 0, 0, 0, 0, time.UTC)
			lateDays = int(day.Sub(o.latest).Hours()/24) + 1
		}
		overall.add(slack, lateDays)
		slices.Sort(from[id])
		lanes := map[string]bool{}
		for _, sid := range from[id] {
			g := bySupplier[sid]
			if g == nil {
				g = &group{g: Group{Key: fmt.Sprintf("%d", sid), Name: sups[sid].name, SupplierID: sid}}
				bySupplier[sid] = g
			}
			g.t.add(slack, lateDays)
			dest := o.country
			if o.region != "" {
				dest += "/" + o.region
			}
			lane := sups[sid].country + " → " + dest
			if lanes[lane] {
				continue
			}
			lanes[lane] = true
			lg := byLane[lane]
			if lg == nil {
				lg = &group{g: Group{Key: lane, Name: lane}}
				byLane[lane] = lg
			}
			lg.t.add(slack, lateDays)
		}
	}
	c.Overall = overall.finish()
	for _, g := range bySupplier {
		g.g.Stats = g.t.finish()
		c.BySupplier = append(c.BySupplier, g.g)
	}
	for _, g := range byLane {
		g.g.Stats = g.t.finish()
		c.ByLane = append(c.ByLane, g.g)
	}
	byCount := func(a, b Group) int {
		if a.Orders != b.Orders {
			return b.Orders - a.Orders
		}
		return strings.Compare(a.Key, b.Key)
	}
	slices.SortFunc(c.BySupplier, byCount)
	slices.SortFunc(c.ByLane, byCount)
	return c, nil
}

func (s *tally) add(slack float64, lateDays int) {
	s.Orders++
	if lateDays > 0 {
		s.Late++
		s.MaxLateDays = max(s.MaxLateDays, lateDays)
	} else {
		s.OnTime++
	}
	s.slack = append(s.slack, slack)
}

func (s *tally) finish() Stats {
	if s.Orders == 0 {
		return s.Stats
	}
	s.OnTimeRate = float64(s.OnTime) / float64(s.Orders)
	slices.Sort(s.slack)
	s.MedianSlackDays = round2(percentile(s.slack, 0.5))
	s.P90SlackDays = round2(percentile(s.slack, 0.9))
	return s.Stats
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// percentile interpolates linearly between the closest ranks of sorted.
func percentile(sorted []float64, p float64) float64 {
	x := p * float64(len(sorted)-1)
	i := int(x)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (x-float64(i))*(sorted[i+1]-sorted[i])
}
