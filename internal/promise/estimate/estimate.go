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
	Region  string // state or zone; may be empty
	Postal  string // postal code or its prefix; may be empty
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
}

// Model holds what was learned. Create it with New.
type Model struct {
	cfg      Config
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
	return &Model{cfg: cfg, handling: newPool(tau), transit: newPool(tau)}
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
	m.handling.add(m.handlingKeys(hk[:0], d.Supplier, d.From), days(shipped.Sub(d.Purchased)), d.Delivered)
	m.transit.add(m.transitKeys(tk[:0], d.From, d.To), days(d.Delivered.Sub(shipped)), d.Delivered)
	m.count++
	return nil
}

// Handling returns the distribution of handling days of supplier (shipping
// from from) as known at time at; ok is false with too little data.
func (m *Model) Handling(supplier string, from Place, at time.Time) (Dist, bool) {
	var k [6]string
	return m.handling.dist(m.handlingKeys(k[:0], supplier, from), at, m.cfg.Prior, m.cfg.MinCount)
}

// Transit returns the distribution of transit days on the lane from → to.
func (m *Model) Transit(from, to Place, at time.Time) (Dist, bool) {
	var k [6]string
	return m.transit.dist(m.transitKeys(k[:0], from, to), at, m.cfg.Prior, m.cfg.MinCount)
}

// Total returns the distribution of days from purchase to delivery: handling
// and transit convolved.
func (m *Model) Total(supplier string, from, to Place, at time.Time) (Dist, bool) {
	h, ok1 := m.Handling(supplier, from, at)
	t, ok2 := m.Transit(from, to, at)
	if !ok1 || !ok2 {
		return Dist{}, false
	}
	return Convolve(h, t), true
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
	return append(k, "s|"+supplier, "r|"+from.Country+"|"+from.Region, "c|"+from.Country, "*")
}

// transitKeys appends the transit keys of a lane, most specific first.
func (m *Model) transitKeys(k []string, from, to Place) []string {
	o := from.Country + "|" + from.Region
	if n := m.cfg.PostalDigits; n > 0 && len(to.Postal) >= n {
		k = append(k, "p|"+o+">"+to.Country+"|"+to.Postal[:n])
	}
	return append(k, "l|"+o+">"+to.Country+"|"+to.Region, "d|"+to.Country+"|"+to.Region, "c|"+from.Country+">"+to.Country, "*")
}

func days(d time.Duration) float64 { return d.Hours() / 24 }

// pool holds recency-weighted histograms by key. A delivery completed at t
// is added with weight e^((t−epoch)/tau), so that older ones fade without
// touching every histogram as time passes; the weight of a key at time now
// is its total times e^(−(now−epoch)/tau).
type pool struct {
	tau   float64 // days; 0: no decay
	epoch time.Time
	h     map[string]*hist
}

type hist struct {
	w     []float64
	total float64
}

func newPool(tau float64) pool { return pool{tau: tau, h: map[string]*hist{}} }

func (p *pool) weight(at time.Time) float64 {
	if p.tau == 0 {
		return 1
	}
	if p.epoch.IsZero() {
		p.epoch = at
	}
	return math.Exp(days(at.Sub(p.epoch)) / p.tau)
}

func (p *pool) add(keys []string, v float64, at time.Time) {
	w := p.weight(at)
	if w > 1e200 { // far from the epoch: rescale everything
		for _, h := range p.h {
			for i := range h.w {
				h.w[i] /= w
			}
			h.total /= w
		}
		p.epoch = at
		w = 1
	}
	b := bin(v)
	for _, k := range keys {
		h := p.h[k]
		if h == nil {
			h = &hist{w: make([]float64, nbins)}
			p.h[k] = h
		}
		h.w[b] += w
		h.total += w
	}
}

// dist mixes the keys' histograms from the root (last key) down.
func (p *pool) dist(keys []string, at time.Time, prior, minCount float64) (Dist, bool) {
	root := p.h[keys[len(keys)-1]]
	scale := 1.0
	if p.tau > 0 && !p.epoch.IsZero() {
		scale = math.Exp(-days(at.Sub(p.epoch)) / p.tau)
	}
	if root == nil || root.total*scale < minCount {
		return Dist{}, false
	}
	out := make([]float64, nbins)
	for i, w := range root.w {
		out[i] = w / root.total
	}
	for i := len(keys) - 2; i >= 0; i-- {
		h := p.h[keys[i]]
		if h == nil {
			continue
		}
		n := h.total * scale
		a := prior / (n + prior)
		b := 1 / (h.total * (n + prior) / n)
		for j := range out {
			out[j] = a*out[j] + b*h.w[j]
		}
	}
	return Dist{p: out}, true
}
