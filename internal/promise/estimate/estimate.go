// Package estimate learns handling and transit times from past deliveries.
//
// Handling is the time from purchase to hand-over to the carrier, learned per
// supplier; transit is the time from hand-over to delivery, learned per lane
// (origin → destination). Each is kept as a histogram of durations per key,
// weighted by recency, and answered as a distribution shrunk toward its
// parent's: a supplier toward its region and country, a lane toward the
// region-to-region lane, the destination region and the country. A key with
// n (recency-weighted) deliveries of its own is mixed with Prior
// pseudo-deliveries drawn from its parent's distribution:
//
//	F = (n·F_key + Prior·F_parent) / (n + Prior)
//
// so a supplier seen twice looks mostly like its region, and one seen a
// hundred times mostly like itself. The whole purchase-to-delivery time is
// the convolution of the two distributions (not the sum of their quantiles,
// which overstates the tail).
//
// A Model is updated online with Add (a few microseconds a delivery) and
// answers at any time without refitting; it is not safe for concurrent use.
package estimate

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Place is where a lane starts or ends.
type Place struct {
	Country string // ISO 3166-1 alpha-2
	Region  string // state or zone; when empty, the first two characters of Postal stand in
	Postal  string // postal code or its prefix; may be empty
}

func (p Place) region() string {
	if p.Region != "" || len(p.Postal) < 2 {
		return p.Region
	}
	return p.Postal[:2]
}

// Delivery is a completed delivery.
type Delivery struct {
	Supplier  string
	From, To  Place
	Purchased time.Time
	Shipped   time.Time // handed to the carrier
	Delivered time.Time
}

// Config tunes a Model. The zero Config is usable: no recency weighting,
// Prior 10, MinCount 20, lanes by region.
type Config struct {
	// HalfLife is the age at which a delivery weighs half as much as one
	// completed now; 0 weighs all deliveries alike.
	HalfLife time.Duration
	// Prior is how many pseudo-deliveries of the parent's distribution are
	// mixed into each key's (default 10).
	Prior float64
	// MinCount is the (recency-weighted) number of deliveries below which
	// the model does not answer (default 20).
	MinCount float64
	// PostalDigits, when positive, adds a lane level from the origin region
	// to the first PostalDigits characters of the destination postal code.
	PostalDigits int
	// DaysOff are weekdays on which neither suppliers nor carriers work
	// (say Saturday and Sunday). Durations are then learned in working
	// days, in the zone of the times given, and Total turns them back into
	// calendar days from the purchase: a Friday-evening order waits out the
	// weekend without making its supplier look slow.
	DaysOff []time.Weekday
}

// Model holds what was learned. Create it with New.
type Model struct {
	cfg      Config
	clock    workClock
	handling pool
	transit  pool
	count    int
}

// New returns an empty Model.
func New(cfg Config) *Model {
	if cfg.Prior <= 0 {
		cfg.Prior = 10
	}
	if cfg.MinCount <= 0 {
		cfg.MinCount = 20
	}
	var tau float64
	if cfg.HalfLife > 0 {
		tau = cfg.HalfLife.Hours() / 24 / math.Ln2
	}
	return &Model{cfg: cfg, clock: newWorkClock(cfg.DaysOff), handling: newPool(tau), transit: newPool(tau)}
}

// Count returns how many deliveries were added.
func (m *Model) Count() int { return m.count }

// Add learns from a completed delivery. A hand-over time outside
// [Purchased, Delivered] (clock errors in the source data) is clamped into it.
func (m *Model) Add(d Delivery) error {
	if d.Purchased.IsZero() || d.Delivered.IsZero() {
		return errors.New("estimate: a delivery needs its purchase and delivery times")
	}
	if d.Delivered.Before(d.Purchased) {
		return fmt.Errorf("estimate: delivered %s before purchased %s", d.Delivered.Format(time.RFC3339), d.Purchased.Format(time.RFC3339))
	}
	shipped := d.Shipped
	if shipped.IsZero() {
		return errors.New("estimate: a delivery needs its hand-over time")
	}
	if shipped.Before(d.Purchased) {
		shipped = d.Purchased
	}
	if shipped.After(d.Delivered) {
		shipped = d.Delivered
	}
	var hk, tk [6]string
	m.handling.add(m.handling.h, m.handlingKeys(hk[:0], d.Supplier, d.From), m.clock.between(d.Purchased, shipped), d.Delivered)
	m.transit.add(m.transit.h, m.transitKeys(tk[:0], d.From, d.To), m.clock.between(shipped, d.Delivered), d.Delivered)
	m.count++
	return nil
}

// SetInFlight replaces what the model assumes of orders still on their way
// at time now. Leaving them out would bias a model learned from completed
// deliveries toward the fast ones, most of all when a strike or a peak
// starts to slow everything down: the slow orders are exactly those not yet
// delivered. Each order in flight stands for one delivery: a handling time
// it already has (when handed over) or is known to exceed, and a transit it
// is known to exceed, each imputed as the median of the key's current
// distribution beyond the time already elapsed. Orders whose Delivered is
// set, or not purchased before now, are ignored.
func (m *Model) SetInFlight(now time.Time, orders []Delivery) {
	clear(m.handling.open)
	clear(m.transit.open)
	beyond := func(d Dist, elapsed float64) float64 {
		q := d.CDF(elapsed)
		return math.Max(d.Quantile(q+(1-q)/2), elapsed)
	}
	var hk, tk [6]string
	for _, d := range orders {
		if !d.Delivered.IsZero() || !d.Purchased.Before(now) {
			continue
		}
		hkeys := m.handlingKeys(hk[:0], d.Supplier, d.From)
		if d.Shipped.IsZero() || d.Shipped.After(now) {
			elapsed := m.clock.between(d.Purchased, now)
			if h, ok := m.handling.dist(hkeys, now, m.cfg.Prior, m.cfg.MinCount); ok {
				m.handling.add(m.handling.open, hkeys, beyond(h, elapsed), now)
			}
			continue
		}
		shipped := d.Shipped
		if shipped.Before(d.Purchased) {
			shipped = d.Purchased
		}
		m.handling.add(m.handling.open, hkeys, m.clock.between(d.Purchased, shipped), now)
		tkeys := m.transitKeys(tk[:0], d.From, d.To)
		if t, ok := m.transit.dist(tkeys, now, m.cfg.Prior, m.cfg.MinCount); ok {
			m.transit.add(m.transit.open, tkeys, beyond(t, m.clock.between(shipped, now)), now)
		}
	}
}

// Handling returns the distribution of handling days of supplier (shipping
// from from) as known at time at; ok is false with too little data. With
// DaysOff the days are working days.
func (m *Model) Handling(supplier string, from Place, at time.Time) (Dist, bool) {
	var k [6]string
	return m.handling.dist(m.handlingKeys(k[:0], supplier, from), at, m.cfg.Prior, m.cfg.MinCount)
}

// Transit returns the distribution of transit days on the lane from → to.
func (m *Model) Transit(from, to Place, at time.Time) (Dist, bool) {
	var k [6]string
	return m.transit.dist(m.transitKeys(k[:0], from, to), at, m.cfg.Prior, m.cfg.MinCount)
}

// Total returns the distribution of calendar days from a purchase at time
// at to its delivery: handling and transit convolved (and, with DaysOff,
// laid onto the calendar from at).
func (m *Model) Total(supplier string, from, to Place, at time.Time) (Dist, bool) {
	h, ok1 := m.Handling(supplier, from, at)
	t, ok2 := m.Transit(from, to, at)
	if !ok1 || !ok2 {
		return Dist{}, false
	}
	return m.clock.calendar(Convolve(h, t), at), true
}

// HandlingQuantile returns the q-quantile of Handling, in days.
func (m *Model) HandlingQuantile(supplier string, from Place, at time.Time, q float64) (float64, bool) {
	d, ok := m.Handling(supplier, from, at)
	if !ok {
		return 0, false
	}
	return d.Quantile(q), true
}

// TransitQuantile returns the q-quantile of Transit, in days.
func (m *Model) TransitQuantile(from, to Place, at time.Time, q float64) (float64, bool) {
	d, ok := m.Transit(from, to, at)
	if !ok {
		return 0, false
	}
	return d.Quantile(q), true
}

// handlingKeys appends the handling keys of a supplier, most specific first.
func (m *Model) handlingKeys(k []string, supplier string, from Place) []string {
	return append(k, "s|"+supplier, "r|"+from.Country+"|"+from.region(), "c|"+from.Country, "*")
}

// transitKeys appends the transit keys of a lane, most specific first.
func (m *Model) transitKeys(k []string, from, to Place) []string {
	o := from.Country + "|" + from.region()
	if n := m.cfg.PostalDigits; n > 0 && len(to.Postal) >= n {
		k = append(k, "p|"+o+">"+to.Country+"|"+to.Postal[:n])
	}
	return append(k, "l|"+o+">"+to.Country+"|"+to.region(), "d|"+to.Country+"|"+to.region(), "c|"+from.Country+">"+to.Country, "*")
}

func days(d time.Duration) float64 { return d.Hours() / 24 }

// pool holds recency-weighted histograms by key. A delivery completed at t
// is added with weight e^((t−epoch)/tau), so that older ones fade without
// touching every histogram as time passes; the weight of a key at time now
// is its total times e^(−(now−epoch)/tau). Histograms in open hold the
// stand-ins for orders still on their way (see SetInFlight) and are
// replaced as a whole.
type pool struct {
	tau   float64 // days; 0: no decay
	epoch time.Time
	h     map[string]*hist
	open  map[string]*hist
}

type hist struct {
	w     []float64
	total float64
}

func newPool(tau float64) pool {
	return pool{tau: tau, h: map[string]*hist{}, open: map[string]*hist{}}
}

func (p *pool) weight(at time.Time) float64 {
	if p.tau == 0 {
		return 1
	}
	if p.epoch.IsZero() {
		p.epoch = at
	}
	return math.Exp(days(at.Sub(p.epoch)) / p.tau)
}

func (p *pool) add(dst map[string]*hist, keys []string, v float64, at time.Time) {
	w := p.weight(at)
	if w > 1e200 { // far from the epoch: rescale everything
		for _, m := range []map[string]*hist{p.h, p.open} {
			for _, h := range m {
				for i := range h.w {
					h.w[i] /= w
				}
				h.total /= w
			}
		}
		p.epoch = at
		w = 1
	}
	b := bin(v)
	for _, k := range keys {
		h := dst[k]
		if h == nil {
			h = &hist{w: make([]float64, nbins)}
			dst[k] = h
		}
		h.w[b] += w
		h.total += w
	}
}

// dist mixes the keys' histograms from the root (last key) down.
func (p *pool) dist(keys []string, at time.Time, prior, minCount float64) (Dist, bool) {
	scale := 1.0
	if p.tau > 0 && !p.epoch.IsZero() {
		scale = math.Exp(-days(at.Sub(p.epoch)) / p.tau)
	}
	get := func(k string) (a, b *hist, total float64) {
		a, b = p.h[k], p.open[k]
		if a != nil {
			total += a.total
		}
		if b != nil {
			total += b.total
		}
		return a, b, total
	}
	var out []float64
	for i := len(keys) - 1; i >= 0; i-- {
		a, b, total := get(keys[i])
		if total == 0 {
			if out == nil {
				return Dist{}, false
			}
			continue
		}
		n := total * scale
		var keep, take float64 // out = keep·out + take·w
		if out == nil {
			if n < minCount {
				return Dist{}, false
			}
			out = make([]float64, nbins)
			keep, take = 0, 1/total
		} else {
			keep, take = prior/(n+prior), n/(total*(n+prior))
		}
		for j := range out {
			w := 0.0
			if a != nil {
				w += a.w[j]
			}
			if b != nil {
				w += b.w[j]
			}
			out[j] = keep*out[j] + take*w
		}
	}
	return Dist{p: out}, true
}
