package olist

import (
	"container/heap"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/orderly-oms/orderly/internal/promise/estimate"
)

// Options tune Evaluate.
type Options struct {
	// Target is the on-time rate the calibrated promise aims at (0.95).
	Target float64
	// Levels are fixed quantile levels also reported, uncalibrated.
	Levels []float64
	// From and To, when set, judge only orders purchased in [From, To);
	// the model still learns from every delivery before each purchase.
	From, To time.Time
	// FallbackDays is promised while the model knows too few deliveries.
	FallbackDays float64
	// InFlight lets the model know, once a day of replay, which orders are
	// still on their way (estimate.Model.SetInFlight): those purchased
	// before the day and delivered after it, with their hand-over time if
	// it has passed.
	InFlight bool
	// Model configures the estimator; Calibrator the rolling calibration
	// (Target is set from Options.Target).
	Model      estimate.Config
	Calibrator estimate.Calibrator
	// Undelivered is the weight, in the calibration, of an order that
	// never arrived and was not cancelled (shipped, invoiced, processing,
	// …): it is on its way, censored, from its purchase on. 0 leaves such
	// orders out.
	Undelivered float64
}

// DefaultOptions are the settings behind the figures in docs/promise.md.
func DefaultOptions() Options {
	return Options{
		Target:       0.95,
		FallbackDays: 30,
		Model: estimate.Config{
			HalfLife:     30 * 24 * time.Hour,
			Prior:        10,
			MinCount:     20,
			PostalDigits: 1,
			DaysOff:      []time.Weekday{time.Saturday, time.Sunday},
		},
		// Orders of the last 45 days, weights halving every 30, those on
		// their way counted as censored: a short look-back that is not
		// biased toward the fast orders (docs/promise.md).
		Calibrator: estimate.Calibrator{
			Window:   45 * 24 * time.Hour,
			HalfLife: 30 * 24 * time.Hour,
			Min:      30,
			Default:  0.95,
			Censored: true,
		},
	}
}

// Metrics describes a set of promises against the actual deliveries.
// Slack is the promised calendar day (at 00:00 in the customer's zone) minus
// the delivery time, in days, as the Olist estimates are measured.
type Metrics struct {
	Name           string  `json:"name"`
	Orders         int     `json:"orders"`
	OnTime         float64 `json:"on_time"`
	MedianSlack    float64 `json:"median_slack_days"`
	P10Slack       float64 `json:"p10_slack_days"`
	P90Slack       float64 `json:"p90_slack_days"`
	MeanSlack      float64 `json:"mean_slack_days"`
	Late           int     `json:"late"`
	LateMeanDays   float64 `json:"late_mean_days"`   // mean calendar days late, over late orders
	LateMedianDays float64 `json:"late_median_days"` // median calendar days late, over late orders
}

// Result is what Evaluate measured.
type Result struct {
	Orders    int       `json:"orders"`     // delivered orders judged
	ColdStart int       `json:"cold_start"` // of which promised FallbackDays for want of data
	Trained   int       `json:"trained"`    // deliveries learned from by the end
	Model     Metrics   `json:"model"`      // the calibrated promise
	Olist     Metrics   `json:"olist"`      // Olist's own estimated dates
	Fixed     []Metrics `json:"fixed"`      // the model at fixed levels, uncalibrated
	Naive     []Metrics `json:"naive"`      // the lane baseline at fixed levels
	MeanLevel float64   `json:"mean_level"` // mean calibrated quantile level
}

type outcome struct {
	slack    float64 // days
	lateDays int     // calendar days late; 0 when on time
}

type pending struct {
	purchased time.Time
	dist      estimate.Dist
	dayStart  time.Time // start of the delivery day in the customer's zone
	weight    float64
}

// Evaluate replays d's delivered orders in purchase-time order. Before each
// order it learns every delivery completed before the purchase (and
// nothing else), promises a calendar day in the customer's state, and
// compares it with the actual delivery day, side by side with Olist's own
// estimated date for the same order.
func Evaluate(d *Data, opt Options) (*Result, error) {
	if opt.Target <= 0 || opt.Target >= 1 {
		return nil, fmt.Errorf("olist: target %v must be between 0 and 1", opt.Target)
	}
	for _, q := range opt.Levels {
		if q <= 0 || q >= 1 {
			return nil, fmt.Errorf("olist: quantile %v must be between 0 and 1", q)
		}
	}
	var orders, undelivered []*Order
	for i := range d.Orders {
		o := &d.Orders[i]
		if o.Status == "delivered" && !o.Delivered.IsZero() && !o.Estimated.IsZero() && len(o.Sellers) > 0 {
			orders = append(orders, o)
		} else if o.Delivered.IsZero() && len(o.Sellers) > 0 && opt.Undelivered > 0 && o.Status != "canceled" && o.Status != "unavailable" {
			undelivered = append(undelivered, o)
		}
	}
	if len(orders) == 0 {
		return nil, fmt.Errorf("olist: no delivered orders")
	}
	byDelivery := slices.Clone(orders)
	slices.SortStableFunc(byDelivery, func(a, b *Order) int { return a.Delivered.Compare(b.Delivered) })

	model := estimate.New(opt.Model)
	// The baseline of issue 6: per lane (seller state → customer state),
	// the quantile of past purchase-to-delivery times, all deliveries
	// alike, no supplier, no shrinkage (the lane alone once it has a
	// delivery; the destination state or the country before).
	naive := estimate.New(estimate.Config{Prior: 1e-9, MinCount: opt.Model.MinCount})
	cal := opt.Calibrator
	cal.Target = opt.Target
	inflight := map[*Order]pending{}

	var res Result
	var mine, theirs []outcome
	fixed := make([][]outcome, len(opt.Levels))
	naiveOut := make([][]outcome, len(opt.Levels))
	levelSum := 0.0
	next := 0 // next delivery to learn
	var levelDay time.Time
	var events eventHeap
	nextU := 0
	for _, o := range orders {
		now := o.Purchased
		for ; nextU < len(undelivered) && undelivered[nextU].Purchased.Before(now); nextU++ {
			u := undelivered[nextU]
			to := estimate.Place{Country: "BR", Region: u.CustomerState, Postal: u.CustomerZip}
			var dist estimate.Dist
			ok := true
			for _, s := range u.Sellers {
				sd, sok := model.Total(s.ID, estimate.Place{Country: "BR", Region: s.State, Postal: s.Zip}, to, u.Purchased)
				ok = ok && sok
				dist = estimate.Max(dist, sd)
			}
			if ok {
				inflight[u] = pending{purchased: u.Purchased, dist: dist, weight: opt.Undelivered}
			}
		}
		for next < len(byDelivery) && byDelivery[next].Delivered.Before(now) {
			done := byDelivery[next]
			next++
			if err := learn(model, done); err != nil {
				continue // an order without a hand-over time teaches nothing
			}
			learnNaive(naive, done)
			if p, ok := inflight[done]; ok {
				cal.Add(estimate.Score{Purchased: p.purchased, U: p.dist.CDF(dayDays(p.dayStart.Sub(p.purchased)))})
				delete(inflight, done)
			}
		}
		// Recalibrate once a day of replay (Brasília time): the level
		// comes from the orders known and those still on their way.
		if day := startOfDay(now, Brasilia); !day.Equal(levelDay) {
			levelDay = day
			var lower []estimate.Score
			for _, p := range inflight {
				lower = append(lower, estimate.Score{Purchased: p.purchased, U: p.dist.CDF(dayDays(now.Sub(p.purchased))), Weight: p.weight})
			}
			cal.Update(now, lower)
			if opt.InFlight {
				model.SetInFlight(now, inFlight(orders, now))
			}
		}
		for len(events) > 0 && events[0].at.Before(now) {
			cal.Outcome(heap.Pop(&events).(event).kept)
		}
		level := cal.Level()

		judged := (opt.From.IsZero() || !now.Before(opt.From)) && (opt.To.IsZero() || now.Before(opt.To))
		zone := Zone(o.CustomerState)
		deliveredDay := startOfDay(o.Delivered, zone)
		to := estimate.Place{Country: "BR", Region: o.CustomerState, Postal: o.CustomerZip}
		var dist estimate.Dist
		ok := true
		for _, s := range o.Sellers {
			from := estimate.Place{Country: "BR", Region: s.State, Postal: s.Zip}
			sd, sok := model.Total(s.ID, from, to, now)
			ok = ok && sok
			dist = estimate.Max(dist, sd)
		}
		if ok {
			inflight[o] = pending{purchased: now, dist: dist, dayStart: deliveredDay}
			// The outcome of this promise is known at delivery, or when
			// the promised day ends without one.
			day := startOfDay(now.Add(time.Duration(dist.Quantile(level)*24*float64(time.Hour))), zone)
			end := day.AddDate(0, 0, 1)
			if !deliveredDay.After(day) {
				heap.Push(&events, event{at: o.Delivered, kept: true})
			} else {
				heap.Push(&events, event{at: end, kept: false})
			}
		}
		if !judged {
			continue
		}
		res.Orders++
		promise := func(q float64) time.Time {
			days := opt.FallbackDays
			if ok {
				days = dist.Quantile(q)
			}
			return startOfDay(now.Add(time.Duration(days*24*float64(time.Hour))), zone)
		}
		if !ok {
			res.ColdStart++
		}
		mine = append(mine, judge(promise(level), o.Delivered, deliveredDay))
		levelSum += level
		e := o.Estimated.In(Brasilia)
		olistDay := time.Date(e.Year(), e.Month(), e.Day(), 0, 0, 0, 0, zone)
		theirs = append(theirs, judge(olistDay, o.Delivered, deliveredDay))
		var nd estimate.Dist
		nok := true
		for _, s := range o.Sellers {
			d, ok := naive.Transit(estimate.Place{Country: "BR", Region: s.State}, estimate.Place{Country: "BR", Region: o.CustomerState}, now)
			nok = nok && ok
			nd = estimate.Max(nd, d)
		}
		for i, q := range opt.Levels {
			fixed[i] = append(fixed[i], judge(promise(q), o.Delivered, deliveredDay))
			days := opt.FallbackDays
			if nok {
				days = nd.Quantile(q)
			}
			naiveOut[i] = append(naiveOut[i], judge(startOfDay(now.Add(time.Duration(days*24*float64(time.Hour))), zone), o.Delivered, deliveredDay))
		}
	}
	if res.Orders == 0 {
		return nil, fmt.Errorf("olist: no delivered order purchased in the period judged")
	}
	res.Trained = model.Count()
	res.MeanLevel = levelSum / float64(res.Orders)
	res.Model = summarize(fmt.Sprintf("model, calibrated to %.0f%%", opt.Target*100), mine)
	res.Olist = summarize("Olist estimate", theirs)
	for i, q := range opt.Levels {
		res.Fixed = append(res.Fixed, summarize(fmt.Sprintf("model at q=%g", q), fixed[i]))
		res.Naive = append(res.Naive, summarize(fmt.Sprintf("lane quantile q=%g", q), naiveOut[i]))
	}
	return &res, nil
}

type event struct {
	at   time.Time
	kept bool
}

type eventHeap []event

func (h eventHeap) Len() int           { return len(h) }
func (h eventHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h eventHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)        { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// inFlight returns the orders purchased in the 60 days before now and not
// delivered by then, as the model may know them at now.
func inFlight(orders []*Order, now time.Time) []estimate.Delivery {
	var out []estimate.Delivery
	from := now.AddDate(0, 0, -60)
	i, _ := slices.BinarySearchFunc(orders, from, func(o *Order, t time.Time) int { return o.Purchased.Compare(t) })
	for ; i < len(orders) && orders[i].Purchased.Before(now); i++ {
		o := orders[i]
		if o.Delivered.Before(now) {
			continue
		}
		to := estimate.Place{Country: "BR", Region: o.CustomerState, Postal: o.CustomerZip}
		var shipped time.Time
		if !o.Carrier.IsZero() && o.Carrier.Before(now) {
			shipped = o.Carrier
		}
		for _, s := range o.Sellers {
			out = append(out, estimate.Delivery{Supplier: s.ID, From: estimate.Place{Country: "BR", Region: s.State, Postal: s.Zip},
				To: to, Purchased: o.Purchased, Shipped: shipped})
		}
	}
	return out
}

func learn(m *estimate.Model, o *Order) error {
	to := estimate.Place{Country: "BR", Region: o.CustomerState, Postal: o.CustomerZip}
	for _, s := range o.Sellers {
		err := m.Add(estimate.Delivery{
			Supplier: s.ID, From: estimate.Place{Country: "BR", Region: s.State, Postal: s.Zip}, To: to,
			Purchased: o.Purchased, Shipped: o.Carrier, Delivered: o.Delivered,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// learnNaive teaches the baseline the whole purchase-to-delivery time as
// the transit of the seller-state → customer-state lane.
func learnNaive(m *estimate.Model, o *Order) {
	for _, s := range o.Sellers {
		_ = m.Add(estimate.Delivery{
			Supplier: s.ID, From: estimate.Place{Country: "BR", Region: s.State}, To: estimate.Place{Country: "BR", Region: o.CustomerState},
			Purchased: o.Purchased, Shipped: o.Purchased, Delivered: o.Delivered,
		})
	}
}

func judge(promised, delivered, deliveredDay time.Time) outcome {
	out := outcome{slack: dayDays(promised.Sub(delivered))}
	if deliveredDay.After(promised) {
		out.lateDays = int(math.Round(dayDays(deliveredDay.Sub(promised))))
	}
	return out
}

func summarize(name string, xs []outcome) Metrics {
	m := Metrics{Name: name, Orders: len(xs)}
	slack := make([]float64, len(xs))
	var late []float64
	for i, x := range xs {
		slack[i] = x.slack
		m.MeanSlack += x.slack
		if x.lateDays > 0 {
			late = append(late, float64(x.lateDays))
			m.LateMeanDays += float64(x.lateDays)
		}
	}
	m.MeanSlack /= float64(len(xs))
	m.Late = len(late)
	m.OnTime = 1 - float64(len(late))/float64(len(xs))
	slices.Sort(slack)
	m.MedianSlack = percentile(slack, 0.5)
	m.P10Slack = percentile(slack, 0.1)
	m.P90Slack = percentile(slack, 0.9)
	if len(late) > 0 {
		m.LateMeanDays /= float64(len(late))
		slices.Sort(late)
		m.LateMedianDays = percentile(late, 0.5)
	}
	return m
}

// percentile interpolates linearly between the sorted values.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	x := p * float64(len(sorted)-1)
	i := int(x)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (x-float64(i))*(sorted[i+1]-sorted[i])
}

func startOfDay(t time.Time, zone *time.Location) time.Time {
	t = t.In(zone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, zone)
}

func dayDays(d time.Duration) float64 { return d.Hours() / 24 }
