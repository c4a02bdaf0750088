package estimate

import (
	"math"
	"slices"
	"time"
)

// Score is the outcome of a past promise on the scale of the predicted
// distribution: U is the predicted probability of a duration up to the one
// actually needed (the level at which that promise would just have been
// kept). For an order still on its way, U is a lower bound: the probability
// of the time already elapsed.
type Score struct {
	Purchased time.Time
	U         float64
	// Weight scales the score's recency weight (0 stands for 1): a
	// sample that over- or under-represents some orders can be weighed
	// back to the population.
	Weight float64
}

// Calibrator chooses the quantile level to promise at so that recent orders
// would have been on time at the Target rate: the weighted Target-quantile
// of recent scores (split conformal calibration, rolling). It corrects a
// model whose raw quantiles are too wide or too narrow, whatever the cause
// (deliveries still in flight missing from the fit, a strike, Christmas).
type Calibrator struct {
	Target   float64       // the on-time rate sought, e.g. 0.95
	Window   time.Duration // scores of orders purchased within Window before now count
	HalfLife time.Duration // older scores weigh less; 0 weighs them alike
	Min      int           // below Min scores in the window, Level returns Default
	Default  float64       // level while there are too few scores
	Lo, Hi   float64       // the level is kept within [Lo, Hi] (defaults 0.5, 0.995)
	// Gain, when positive, adds adaptive conformal inference on top: each
	// outcome moves an offset to the level, up by Gain·Target when a
	// promise was missed and down by Gain·(1−Target) when it was kept, so
	// that over time the rate kept tends to Target even when the scores
	// lag behind a sudden change.
	Gain float64
	// Censored, when set, treats orders still on their way as censored at
	// their lower bound (a weighted Kaplan–Meier estimate of the scores)
	// instead of leaving them out until they are certainly missed: an
	// order that is slow so far pushes the level up before it arrives, so
	// a short Window reacts to a burst days or weeks earlier.
	Censored bool

	known  []Score // in the order added (nondecreasing purchase time not required)
	offset float64
	base   float64
	ready  bool
}

// Outcome records whether a promise made at Level's advice was kept, as
// soon as that is known: at delivery, or when the promised day ended
// without one. It only matters with a positive Gain.
func (c *Calibrator) Outcome(kept bool) {
	if kept {
		c.offset -= c.Gain * (1 - c.Target)
	} else {
		c.offset += c.Gain * c.Target
	}
	c.offset = math.Min(math.Max(c.offset, -0.5), 0.5)
}

// Add records the outcome of a delivered order.
func (c *Calibrator) Add(s Score) { c.known = append(c.known, s) }

// Level returns the quantile level to promise at: the level Update found,
// plus the adaptive offset of Outcome.
func (c *Calibrator) Level() float64 {
	lo, hi := c.Lo, c.Hi
	if lo == 0 {
		lo = 0.5
	}
	if hi == 0 {
		hi = 0.995
	}
	base := c.Default
	if c.ready {
		base = c.base
	}
	return math.Min(math.Max(base+c.offset, lo), hi)
}

// Update recomputes the level at time now from the known scores and the
// lower bounds of orders still on their way. It sorts the scores in the
// window, so callers refresh it periodically (say daily), not per order.
func (c *Calibrator) Update(now time.Time, pending []Score) {
	from := now.Add(-c.Window)
	// Drop known scores that left the window for good.
	keep := c.known[:0]
	for _, s := range c.known {
		if !s.Purchased.Before(from) {
			keep = append(keep, s)
		}
	}
	c.known = keep
	type wu = weighted
	var tau float64
	if c.HalfLife > 0 {
		tau = c.HalfLife.Hours() / 24 / math.Ln2
	}
	collect := func(ss []Score) (out []wu, total float64) {
		for _, s := range ss {
			if s.Purchased.Before(from) || s.Purchased.After(now) {
				continue
			}
			w := 1.0
			if tau > 0 {
				w = math.Exp(-days(now.Sub(s.Purchased)) / tau)
			}
			if s.Weight > 0 {
				w *= s.Weight
			}
			out = append(out, wu{s.U, w})
			total += w
		}
		slices.SortFunc(out, func(a, b wu) int {
			switch {
			case a.u < b.u:
				return -1
			case a.u > b.u:
				return 1
			}
			return 0
		})
		return out, total
	}
	known, knownW := collect(c.known)
	open, openW := collect(pending)
	if len(known) < c.Min || len(known) == 0 {
		c.ready = false
		return
	}
	if c.Censored {
		c.base, c.ready = kaplanMeier(known, open, c.Target, knownW+openW), true
		return
	}
	// At a level L, a known order was missed when its score is above L; an
	// order on its way was certainly missed when its lower bound is above
	// L, and is otherwise undecided and left out. The level is the lowest
	// one (among the known scores) at which the weighted miss rate, counting
	// the order to promise as one more undecided-but-counted order (the
	// conformal n+1), is at most 1−Target.
	level := 1.0
	missKnown, missOpen := knownW, openW // weight above the candidate
	j := 0
	for i := 0; i < len(known); i++ {
		missKnown -= known[i].w
		for j < len(open) && open[j].u <= known[i].u {
			missOpen -= open[j].w
			j++
		}
		if i+1 < len(known) && known[i+1].u == known[i].u {
			continue
		}
		miss := missKnown + missOpen
		if miss <= (1-c.Target)*(knownW+missOpen+1) {
			level = known[i].u
			break
		}
	}
	c.base, c.ready = level, true
}

type weighted struct{ u, w float64 }

// kaplanMeier returns the lowest known score at which the weighted
// Kaplan–Meier estimate of the score distribution, from the known scores
// (events) and the lower bounds of orders on their way (censored), reaches
// target — raised by the conformal n+1 correction (total is the weight of
// both). Both slices are sorted by score.
func kaplanMeier(known, open []weighted, target, total float64) float64 {
	need := math.Min(target*(total+1)/total, 1)
	atRisk := total
	surv := 1.0
	j := 0
	for i := 0; i < len(known); {
		u := known[i].u
		// Orders censored below u leave the risk set first.
		for j < len(open) && open[j].u < u {
			atRisk -= open[j].w
			j++
		}
		d := 0.0
		for ; i < len(known) && known[i].u == u; i++ {
			d += known[i].w
		}
		if atRisk > 0 {
			surv *= 1 - math.Min(d/atRisk, 1)
		}
		atRisk -= d
		if 1-surv >= need-1e-12 {
			return u
		}
	}
	return 1
}
