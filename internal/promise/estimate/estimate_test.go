package estimate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var (
	sp  = Place{Country: "BR", Region: "SP", Postal: "01310"}
	rj  = Place{Country: "BR", Region: "RJ", Postal: "20031"}
	t0  = time.Date(2018, 1, 1, 12, 0, 0, 0, time.UTC)
	day = 24 * time.Hour
)

func dur(days float64) time.Duration { return time.Duration(days * float64(day)) }

// near reports whether got is within tol days of want.
func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.3f, want %.3f ± %.2f", what, got, want, tol)
	}
}

func TestQuantilesOfKnownDistributions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := New(Config{})
	const n = 20000
	// Handling ~ Exponential(mean 2 d): p90 = 2·ln 10 = 4.605 d.
	// Transit ~ LogNormal(μ=ln 5, σ=0.4): median 5 d, p90 = 5·e^(0.4·1.2816) = 8.36 d.
	for i := range n {
		h := rng.ExpFloat64() * 2
		tr := math.Exp(math.Log(5) + 0.4*rng.NormFloat64())
		p := t0.Add(time.Duration(i) * time.Minute)
		if err := m.Add(Delivery{Supplier: "s1", From: sp, To: rj, Purchased: p, Shipped: p.Add(dur(h)), Delivered: p.Add(dur(h + tr))}); err != nil {
			t.Fatal(err)
		}
	}
	at := t0.Add(30 * day)
	h, ok := m.HandlingQuantile("s1", sp, at, 0.9)
	if !ok {
		t.Fatal("no handling estimate from 20,000 deliveries")
	}
	near(t, "handling p90", h, 2*math.Log(10), 0.15)
	h50, _ := m.HandlingQuantile("s1", sp, at, 0.5)
	near(t, "handling median", h50, 2*math.Ln2, 0.1)
	tr, ok := m.TransitQuantile(sp, rj, at, 0.9)
	if !ok {
		t.Fatal("no transit estimate")
	}
	near(t, "transit p90", tr, 5*math.Exp(0.4*1.2816), 0.2)
	tr50, _ := m.TransitQuantile(sp, rj, at, 0.5)
	near(t, "transit median", tr50, 5, 0.1)

	// The total is the convolution: its p90 is well below the sum of the
	// two p90s (4.6 + 8.4 = 13.0). Its true p90 by simulation:
	var sums []float64
	for range 200000 {
		sums = append(sums, rng.ExpFloat64()*2+math.Exp(math.Log(5)+0.4*rng.NormFloat64()))
	}
	want := FromSamples(sums).Quantile(0.9)
	total, ok := m.Total("s1", sp, rj, at)
	if !ok {
		t.Fatal("no total")
	}
	near(t, "total p90", total.Quantile(0.9), want, 0.3)
	if got := total.Quantile(0.9); got > h+tr-1 {
		t.Errorf("total p90 %.2f should be well below the sum of quantiles %.2f", got, h+tr)
	}
	near(t, "CDF(total p90)", total.CDF(total.Quantile(0.9)), 0.9, 0.005)
}

func TestShrinkageTowardTheRegion(t *testing.T) {
	m := New(Config{Prior: 10})
	add := func(s string, handling float64, i int) {
		p := t0.Add(time.Duration(i) * time.Hour)
		if err := m.Add(Delivery{Supplier: s, From: sp, To: rj, Purchased: p, Shipped: p.Add(dur(handling)), Delivered: p.Add(dur(handling + 3))}); err != nil {
			t.Fatal(err)
		}
	}
	// 200 deliveries of other SP suppliers, all handled in 1 day.
	for i := range 200 {
		add("other", 1, i)
	}
	at := t0.Add(20 * day)
	// A new supplier with no history looks like its region.
	if got, ok := m.HandlingQuantile("new", sp, at, 0.5); !ok || math.Abs(got-1.1) > 0.15 {
		t.Errorf("unseen supplier: median %.2f (ok %v), want the region's ≈1.1", got, ok)
	}
	// Two slow deliveries (9 days) move it only a little: 2 of 12 parts.
	for i := range 2 {
		add("slow", 9, 300+i)
	}
	if got, _ := m.HandlingQuantile("slow", sp, at, 0.5); got > 2 {
		t.Errorf("supplier with 2 slow deliveries: median %.2f, want still near the region's (≤ 2)", got)
	}
	if got, _ := m.HandlingQuantile("slow", sp, at, 0.9); got < 8.5 {
		t.Errorf("supplier with 2 slow deliveries: p90 %.2f, want its own slowness to show in the tail (≥ 8.5)", got)
	}
	// With 100 of them it is itself.
	for i := range 98 {
		add("slow", 9, 400+i)
	}
	if got, _ := m.HandlingQuantile("slow", sp, at, 0.5); math.Abs(got-9.1) > 0.2 {
		t.Errorf("supplier with 100 slow deliveries: median %.2f, want ≈9.1", got)
	}
}

func TestTooLittleData(t *testing.T) {
	m := New(Config{MinCount: 20})
	for i := range 19 {
		p := t0.Add(time.Duration(i) * time.Hour)
		if err := m.Add(Delivery{Supplier: "s", From: sp, To: rj, Purchased: p, Shipped: p.Add(day), Delivered: p.Add(3 * day)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := m.Total("s", sp, rj, t0.Add(2*day)); ok {
		t.Error("19 deliveries with MinCount 20: want no estimate")
	}
}

func TestRecencyWeighting(t *testing.T) {
	m := New(Config{HalfLife: 30 * day, MinCount: 1})
	add := func(at time.Time, transit float64) {
		if err := m.Add(Delivery{Supplier: "s", From: sp, To: rj, Purchased: at, Shipped: at, Delivered: at.Add(dur(transit))}); err != nil {
			t.Fatal(err)
		}
	}
	// A year ago transit took 10 days; in the last month it takes 4.
	for i := range 100 {
		add(t0.Add(time.Duration(i)*time.Hour), 10)
	}
	later := t0.Add(365 * day)
	for i := range 20 {
		add(later.Add(time.Duration(i)*time.Hour), 4)
	}
	got, _ := m.TransitQuantile(sp, rj, later.Add(day), 0.5)
	near(t, "recent median", got, 4.1, 0.2)

	flat := New(Config{MinCount: 1})
	for i := range 100 {
		p := t0.Add(time.Duration(i) * time.Hour)
		_ = flat.Add(Delivery{Supplier: "s", From: sp, To: rj, Purchased: p, Shipped: p, Delivered: p.Add(10 * day)})
	}
	if got, _ := flat.TransitQuantile(sp, rj, later, 0.5); got < 9 {
		t.Errorf("without recency weighting the old deliveries dominate: median %.2f, want ≈10", got)
	}
}

func TestAddRejectsBadTimes(t *testing.T) {
	m := New(Config{})
	if err := m.Add(Delivery{Purchased: t0, Shipped: t0, Delivered: t0.Add(-day)}); err == nil {
		t.Error("delivered before purchased: want an error")
	}
	if err := m.Add(Delivery{Purchased: t0, Delivered: t0.Add(day)}); err == nil {
		t.Error("no hand-over time: want an error")
	}
	// A hand-over before the purchase is clamped, not refused.
	if err := m.Add(Delivery{Purchased: t0, Shipped: t0.Add(-day), Delivered: t0.Add(2 * day)}); err != nil {
		t.Errorf("hand-over before purchase: %v", err)
	}
	if m.Count() != 1 {
		t.Errorf("count %d, want 1", m.Count())
	}
}

func TestMaxOfTwoSuppliers(t *testing.T) {
	a := FromSamples([]float64{1, 1, 1, 1})
	b := FromSamples([]float64{5, 5, 5, 5})
	near(t, "max median", Max(a, b).Quantile(0.5), 5.125, 0.15)
	// Two independent uniform(0,10): P(max ≤ x) = (x/10)²; the median is 7.07.
	var u []float64
	for i := range 1000 {
		u = append(u, float64(i)/100)
	}
	d := FromSamples(u)
	near(t, "max of uniforms median", Max(d, d).Quantile(0.5), 10/math.Sqrt2, 0.1)
}

func TestCalibratorFindsTheLevel(t *testing.T) {
	// Scores uniform on [0,1] (a calibrated model): the 90% level is ≈0.9.
	c := Calibrator{Target: 0.9, Window: 100 * day, Min: 10, Default: 0.5}
	for i := range 1000 {
		c.Add(Score{Purchased: t0.Add(time.Duration(i) * time.Hour), U: (float64(i%100) + 0.5) / 100})
	}
	now := t0.Add(1000 * time.Hour)
	c.Update(now, nil)
	near(t, "level", c.Level(), 0.905, 0.011)

	// A model too optimistic: every score is squeezed toward 1.
	c2 := Calibrator{Target: 0.9, Window: 100 * day, Min: 10, Default: 0.5, Hi: 0.999}
	for i := range 1000 {
		u := (float64(i%100) + 0.5) / 100
		c2.Add(Score{Purchased: t0.Add(time.Duration(i) * time.Hour), U: 1 - (1-u)*(1-u)})
	}
	c2.Update(now, nil)
	near(t, "level of a too-narrow model", c2.Level(), 1-0.095*0.095, 0.005)

	// Orders still on their way whose lower bound is already above the
	// level count as missed and raise it.
	var late []Score
	for i := range 200 {
		late = append(late, Score{Purchased: now.Add(-time.Duration(i) * time.Hour), U: 0.995})
	}
	c.Update(now, late)
	if got := c.Level(); got < 0.99 {
		t.Errorf("with 200 certainly-late orders on their way the level is %.3f, want ≥ 0.99", got)
	}
	// Too few scores: the default.
	c3 := Calibrator{Target: 0.9, Window: day, Min: 10, Default: 0.93}
	c3.Update(now, nil)
	if c3.Level() != 0.93 {
		t.Errorf("no scores: level %.3f, want the default 0.93", c3.Level())
	}
}

func TestCensoredCalibratorCountsOrdersOnTheirWay(t *testing.T) {
	// A calibrated model (scores uniform on [0,1]) during a slowdown: of
	// 1,500 recent orders, 500 fast ones arrived (scores on [0, 0.5]),
	// 500 ordinary ones arrived (on [0, 1]) and 500 are still on their way
	// with half their predicted probability used up (lower bound 0.5);
	// they will arrive with scores on [0.5, 1], so all 1,500 are uniform
	// and the 90% level is 0.9. Leaving the 500 out until they are missed
	// sees mostly the fast ones and promises too early (0.8); counting
	// them as censored (Kaplan–Meier) finds 0.9.
	now := t0.Add(2000 * time.Hour)
	var open []Score
	plain := Calibrator{Target: 0.9, Window: 200 * day, Min: 10, Default: 0.5}
	km := plain
	km.Censored = true
	for i := range 500 {
		at := t0.Add(time.Duration(i) * time.Hour)
		for _, c := range []*Calibrator{&plain, &km} {
			c.Add(Score{Purchased: at, U: (float64(i) + 0.5) / 1000})
			c.Add(Score{Purchased: at, U: (float64(i) + 0.5) / 500})
		}
		open = append(open, Score{Purchased: at.Add(1000 * time.Hour), U: 0.5})
	}
	plain.Update(now, open)
	km.Update(now, open)
	near(t, "level leaving orders on their way out", plain.Level(), 0.8, 0.01)
	near(t, "level with orders on their way censored", km.Level(), 0.9, 0.01)
}

func TestScoreWeights(t *testing.T) {
	// 1,000 scores uniform on [0,1] and 500 at 0.999: weighed alike, a
	// third of the orders are missed below 0.999; weighed at 0.02 (a
	// sample that holds every slow order but 2% of the others, weighed
	// back), they are 1% of the orders and the 90% level stays near 0.9.
	now := t0.Add(2000 * time.Hour)
	for _, tc := range []struct {
		weight, want float64
	}{{0, 0.999}, {0.02, 0.91}} {
		c := Calibrator{Target: 0.9, Window: 200 * day, Min: 10, Default: 0.5, Hi: 0.9999, Censored: true}
		for i := range 1000 {
			c.Add(Score{Purchased: t0.Add(time.Duration(i) * time.Hour), U: (float64(i) + 0.5) / 1000})
		}
		for i := range 500 {
			c.Add(Score{Purchased: t0.Add(time.Duration(i) * time.Hour), U: 0.999, Weight: tc.weight})
		}
		c.Update(now, nil)
		near(t, fmt.Sprintf("level with slow orders weighed %g", tc.weight), c.Level(), tc.want, 0.006)
	}
}

func TestWorkingDays(t *testing.T) {
	brt, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	c := newWorkClock([]time.Weekday{time.Saturday, time.Sunday})
	fri := time.Date(2018, 3, 2, 18, 0, 0, 0, brt) // a Friday, 18:00
	mon := time.Date(2018, 3, 5, 12, 0, 0, 0, brt)
	near(t, "Friday 18:00 → Monday 12:00", c.between(fri, mon), 0.25+0.5, 1e-9)
	// Across the start of Brazil's 2017 DST (Sunday 15 October began at
	// 01:00: its midnight does not exist): no endless loop, and Monday
	// counts whole.
	sat := time.Date(2017, 10, 14, 12, 0, 0, 0, brt)
	tue := time.Date(2017, 10, 17, 0, 0, 0, 0, brt)
	near(t, "Saturday → Tuesday across DST", c.between(sat, tue), 1, 1e-9)
	// Every day worked: the Sunday is 23 hours long.
	all := newWorkClock(nil)
	near(t, "Saturday noon → Monday noon across DST", all.between(sat, sat.AddDate(0, 0, 2)), 47.0/24, 1e-9)

	// A day and a half of work from Friday 18:00 ends Tuesday 06:00:
	// 3.5 calendar days.
	d := c.calendar(FromSamples([]float64{1.5}), fri)
	near(t, "calendar days", d.Quantile(0.5), 3.5, BinWidth)

	m := New(Config{DaysOff: []time.Weekday{time.Saturday, time.Sunday}, MinCount: 1})
	// Every supplier ships the next working day at the same hour: 1 working day.
	for i := range 70 {
		p := time.Date(2018, 1, 1, 10, 0, 0, 0, brt).AddDate(0, 0, i)
		if p.Weekday() == time.Saturday || p.Weekday() == time.Sunday {
			continue
		}
		s := p.AddDate(0, 0, 1)
		for s.Weekday() == time.Saturday || s.Weekday() == time.Sunday {
			s = s.AddDate(0, 0, 1)
		}
		if err := m.Add(Delivery{Supplier: "s", From: sp, To: rj, Purchased: p, Shipped: s, Delivered: s}); err != nil {
			t.Fatal(err)
		}
	}
	h, _ := m.HandlingQuantile("s", sp, fri, 0.9)
	near(t, "handling in working days", h, 1, BinWidth)
	// A Friday order then takes three calendar days, a Tuesday order one.
	total, _ := m.Total("s", sp, rj, time.Date(2018, 3, 2, 10, 0, 0, 0, brt))
	near(t, "Friday order, calendar days", total.Quantile(0.5), 3, 2*BinWidth)
	total, _ = m.Total("s", sp, rj, time.Date(2018, 3, 6, 10, 0, 0, 0, brt))
	near(t, "Tuesday order, calendar days", total.Quantile(0.5), 1, 2*BinWidth)
}

func TestInFlightOrdersWidenTheEstimate(t *testing.T) {
	m := New(Config{MinCount: 1, Prior: 10})
	// 100 deliveries with 3 days of transit.
	for i := range 100 {
		p := t0.Add(time.Duration(i) * time.Hour)
		_ = m.Add(Delivery{Supplier: "s", From: sp, To: rj, Purchased: p, Shipped: p, Delivered: p.Add(3 * day)})
	}
	now := t0.Add(40 * day)
	before, _ := m.TransitQuantile(sp, rj, now, 0.8)
	// Then 100 shipments handed over 10 days ago are still on their way.
	var open []Delivery
	for i := range 100 {
		p := now.Add(-10*day - time.Duration(i)*time.Minute)
		open = append(open, Delivery{Supplier: "s", From: sp, To: rj, Purchased: p, Shipped: p})
	}
	m.SetInFlight(now, open)
	after, _ := m.TransitQuantile(sp, rj, now, 0.8)
	if before > 3.5 || after < 10 {
		t.Errorf("transit p80 %.2f before, %.2f with 100 shipments 10 days out: want ≈3 then ≥ 10", before, after)
	}
	// Once they are delivered (or no longer in flight) the stand-ins go.
	m.SetInFlight(now, nil)
	if again, _ := m.TransitQuantile(sp, rj, now, 0.8); again != before {
		t.Errorf("transit p80 %.2f after clearing, want %.2f", again, before)
	}
}

// BenchmarkAddAndTotal is one replayed order: learn a delivery, then predict
// a purchase-to-delivery distribution (two shrunk lookups and a convolution)
// on a model holding 20,000 deliveries of 500 suppliers and 27 regions.
func BenchmarkAddAndTotal(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := New(Config{HalfLife: 30 * day, PostalDigits: 1, DaysOff: []time.Weekday{time.Saturday, time.Sunday}})
	place := func() Place {
		r := rng.IntN(27)
		return Place{Country: "BR", Region: fmt.Sprintf("R%02d", r), Postal: fmt.Sprintf("%05d", rng.IntN(100000))}
	}
	delivery := func(p time.Time) Delivery {
		h, tr := rng.ExpFloat64()*2, math.Exp(math.Log(5)+0.4*rng.NormFloat64())
		return Delivery{Supplier: fmt.Sprint(rng.IntN(500)), From: place(), To: place(), Purchased: p,
			Shipped: p.Add(dur(h)), Delivered: p.Add(dur(h + tr))}
	}
	for i := range 20000 {
		if err := m.Add(delivery(t0.Add(time.Duration(i) * time.Hour))); err != nil {
			b.Fatal(err)
		}
	}
	now := t0.Add(20001 * time.Hour)
	b.ResetTimer()
	for i := range b.N {
		now = now.Add(time.Minute)
		d := delivery(now.Add(-20 * day))
		if err := m.Add(d); err != nil {
			b.Fatal(err)
		}
		if _, ok := m.Total(fmt.Sprint(i%500), d.From, d.To, now); !ok {
			b.Fatal("no estimate")
		}
	}
}
