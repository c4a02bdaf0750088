package estimate

import "math"

// BinWidth is the resolution of the distributions, in days.
const BinWidth = 0.25

// MaxDays is the longest duration a histogram tells apart; longer ones are
// counted in the last bin.
const MaxDays = 100

const nbins = int(MaxDays / BinWidth)

// Dist is a distribution of durations in days, as probabilities of bins
// BinWidth wide starting at 0. The zero Dist is empty.
type Dist struct {
	p []float64
}

func bin(days float64) int {
	if !(days > 0) { // also NaN
		return 0
	}
	i := int(days / BinWidth)
	if i >= nbins {
		return nbins - 1
	}
	return i
}

// Quantile returns the q-quantile in days, interpolating within a bin.
func (d Dist) Quantile(q float64) float64 {
	if len(d.p) == 0 {
		return math.NaN()
	}
	q = math.Min(math.Max(q, 0), 1)
	cum := 0.0
	for i, p := range d.p {
		if p > 0 && cum+p >= q {
			return (float64(i) + (q-cum)/p) * BinWidth
		}
		cum += p
	}
	last := len(d.p) - 1
	for last > 0 && d.p[last] == 0 {
		last--
	}
	return float64(last+1) * BinWidth
}

// CDF returns the probability of a duration of at most days.
func (d Dist) CDF(days float64) float64 {
	if len(d.p) == 0 || days <= 0 {
		return 0
	}
	i := int(days / BinWidth)
	cum := 0.0
	for j := 0; j < i && j < len(d.p); j++ {
		cum += d.p[j]
	}
	if i < len(d.p) {
		cum += d.p[i] * (days/BinWidth - float64(i))
	}
	return math.Min(cum, 1)
}

// Mean returns the mean in days.
func (d Dist) Mean() float64 {
	m := 0.0
	for i, p := range d.p {
		m += p * (float64(i) + 0.5) * BinWidth
	}
	return m
}

// Empty reports whether d holds no distribution.
func (d Dist) Empty() bool { return len(d.p) == 0 }

// Convolve returns the distribution of the sum of independent durations
// drawn from a and b. Bins are treated as point masses at their centres, so
// a pair's sum falls on a bin boundary and is split between its two bins.
func Convolve(a, b Dist) Dist {
	if a.Empty() || b.Empty() {
		return Dist{}
	}
	out := make([]float64, len(a.p)+len(b.p))
	for i, pa := range a.p {
		if pa < 1e-12 {
			continue
		}
		h := pa / 2
		for j, pb := range b.p {
			m := h * pb
			out[i+j] += m
			out[i+j+1] += m
		}
	}
	return Dist{p: out}
}

// Shift returns d moved by days (bins below zero pile up at zero).
func (d Dist) Shift(days float64) Dist {
	if d.Empty() || days == 0 {
		return d
	}
	k := int(math.Round(days / BinWidth))
	out := make([]float64, len(d.p))
	for i, p := range d.p {
		j := min(max(i+k, 0), len(out)-1)
		out[j] += p
	}
	return Dist{p: out}
}

// FromSamples returns the empirical distribution of samples (days), for
// tests and callers that hold raw durations.
func FromSamples(samples []float64) Dist {
	if len(samples) == 0 {
		return Dist{}
	}
	p := make([]float64, nbins)
	for _, s := range samples {
		p[bin(s)]++
	}
	for i := range p {
		p[i] /= float64(len(samples))
	}
	return Dist{p: p}
}

// Max returns the distribution of the later of independent durations drawn
// from a and b (an order split between two suppliers arrives with the last
// parcel).
func Max(a, b Dist) Dist {
	if a.Empty() {
		return b
	}
	if b.Empty() {
		return a
	}
	n := max(len(a.p), len(b.p))
	out := make([]float64, n)
	var ca, cb, prev float64
	for i := range n {
		if i < len(a.p) {
			ca += a.p[i]
		} else {
			ca = 1
		}
		if i < len(b.p) {
			cb += b.p[i]
		} else {
			cb = 1
		}
		c := ca * cb
		out[i] = c - prev
		prev = c
	}
	return Dist{p: out}
}
