package estimate

import "time"

// workClock measures durations in working days: days off (by weekday, in
// the zone of the times given) do not count. Deliveries learned this way
// tell a Friday order's weekend apart from a slow supplier.
type workClock struct {
	off [7]bool
	any bool // some day is off
}

func newWorkClock(daysOff []time.Weekday) workClock {
	var c workClock
	for _, d := range daysOff {
		if d >= time.Sunday && d <= time.Saturday {
			c.off[d] = true
			c.any = true
		}
	}
	if c.off == [7]bool{true, true, true, true, true, true, true} {
		c = workClock{} // a week without a working day counts every day
	}
	return c
}

// midnightAfter returns the start of the day after t's. Where a clock
// change skips midnight (Brazil's old DST began at 00:00), time.Date may
// answer an hour early, before t: step on until it is after t.
func midnightAfter(t time.Time) time.Time {
	y, m, d := t.Date()
	n := time.Date(y, m, d+1, 0, 0, 0, 0, t.Location())
	for !n.After(t) {
		n = n.Add(time.Hour)
	}
	return n
}

// between returns the working days from a to b (0 if b is before a).
func (c workClock) between(a, b time.Time) float64 {
	if !b.After(a) {
		return 0
	}
	if !c.any {
		return days(b.Sub(a))
	}
	w := 0.0
	for cur := a; cur.Before(b); {
		next := midnightAfter(cur)
		if next.After(b) {
			next = b
		}
		if !c.off[cur.Weekday()] {
			w += days(next.Sub(cur))
		}
		cur = next
	}
	return w
}

// calendar turns d, a distribution of working days counted from start, into
// calendar days from start.
func (c workClock) calendar(d Dist, start time.Time) Dist {
	if !c.any || d.Empty() {
		return d
	}
	out := make([]float64, nbins)
	// Walk the bins in order, advancing a cursor through the calendar.
	cur, work := start, 0.0
	for i, p := range d.p {
		if p == 0 {
			continue
		}
		target := (float64(i) + 0.5) * BinWidth
		for {
			if c.off[cur.Weekday()] {
				cur = midnightAfter(cur)
				continue
			}
			next := midnightAfter(cur)
			span := days(next.Sub(cur))
			if work+span >= target {
				break
			}
			work += span
			cur = next
		}
		at := cur.Add(time.Duration((target - work) * 24 * float64(time.Hour)))
		out[bin(days(at.Sub(start)))] += p
	}
	return Dist{p: out}
}
