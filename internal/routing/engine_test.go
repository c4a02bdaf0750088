package routing

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/money"
)

func eur(a int64) money.Money { return money.Money{Amount: a, Currency: "EUR"} }

// offer builds a candidate of supplier sup (named "S<sup>") with avail units at cost.
func offer(sup int64, avail int, cost int64) Candidate {
	return Candidate{OfferID: sup*100 + int64(avail), SupplierID: sup, SupplierName: fmt.Sprintf("S%d", sup), SupplierSKU: fmt.Sprintf("X%d", sup),
		OfferPriority: int(sup), Available: avail, UnitCost: eur(cost), WithinPromise: true}
}

func withShip(c Candidate, ship int64) Candidate { c.Shipping = ship; return c }
func withLatest(c Candidate, d string) Candidate { c.Latest = d; return c }
func late(c Candidate) Candidate                 { c.WithinPromise = false; return c }

func line(pos, qty int, cands ...Candidate) Line {
	return Line{ID: int64(pos), Position: pos, VariantID: int64(pos), SKU: fmt.Sprintf("SKU-%d", pos), Quantity: qty, Candidates: cands}
}

// suppliersOf lists, per line, the supplier ids of its parts and their units.
func suppliersOf(d Decision) []string {
	out := make([]string, len(d.Lines))
	for i, l := range d.Lines {
		var ps []string
		for _, p := range l.Parts {
			ps = append(ps, fmt.Sprintf("%d×%d", p.SupplierID, p.Quantity))
		}
		out[i] = strings.Join(ps, "+")
	}
	return out
}

func TestStrategies(t *testing.T) {
	two := Order{Country: "DE", Total: eur(10000), Lines: []Line{
		line(1, 1,
			withLatest(withShip(offer(1, 5, 1000), 500), "2026-03-10"),
			withLatest(withShip(offer(2, 5, 900), 500), "2026-03-12"),
			withLatest(withShip(offer(3, 5, 1200), 100), "2026-03-08")),
		line(2, 2,
			withLatest(withShip(offer(1, 5, 300), 500), "2026-03-10"),
			withLatest(withShip(offer(2, 5, 400), 500), "2026-03-12"),
			withLatest(withShip(offer(3, 5, 450), 100), "2026-03-08")),
	}}
	// Landed: S1 1000+600+500 = 2100; S2 900+800+500 = 2200; S3 1200+900+100 = 2200.
	cases := []struct {
		name     string
		strategy Strategy
		prefer   []int64
		want     []string
		cost     int64
	}{
		{"lowest_cost", LowestCost, nil, []string{"1×1", "1×2"}, 2100},
		{"fastest", Fastest, nil, []string{"3×1", "3×2"}, 2200},
		{"priority list", Priority, []int64{2, 3}, []string{"2×1", "2×2"}, 2200},
		{"priority offers", Priority, nil, []string{"1×1", "1×2"}, 2100},
		{"fewest_shipments", FewestShipments, nil, []string{"1×1", "1×2"}, 2100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rules := []Rule{{ID: 7, Name: "r", Enabled: true, Strategy: c.strategy, Suppliers: c.prefer}}
			d := Decide(two, rules, DefaultSettings())
			if got := suppliersOf(d); !slices.Equal(got, c.want) {
				t.Fatalf("parts %v, want %v\n%s", got, c.want, d.Summary())
			}
			if d.LandedCost.Amount != c.cost || d.Split || d.Suppliers != 1 || d.RuleID != 7 || d.Strategy != c.strategy {
				t.Fatalf("decision %+v", d)
			}
		})
	}
}

func TestLowestCostIsASetOptimisation(t *testing.T) {
	// Per line the cheapest is S1 for line 1 and S2 for line 2, but a
	// single supplier cannot ship both: S1 has none of line 2. Greedy per
	// line would pay two shipping estimates; S2 alone is cheaper and wins
	// (no split needed).
	o := Order{Lines: []Line{
		line(1, 1, withShip(offer(1, 5, 1000), 800), withShip(offer(2, 5, 1100), 800)),
		line(2, 1, withShip(offer(2, 5, 500), 800)),
	}}
	d := Decide(o, nil, DefaultSettings())
	if got := suppliersOf(d); !slices.Equal(got, []string{"2×1", "2×1"}) {
		t.Fatalf("got %v\n%s", got, d.Summary())
	}
	if !strings.Contains(d.Lines[0].Why, "S1 landed cost +7.00 EUR") {
		t.Fatalf("why: %q", d.Lines[0].Why)
	}
}

func TestSplitOnlyWhenRequired(t *testing.T) {
	// S1 is cheaper per line but has only line 1; S2 has both: no split.
	o := Order{Lines: []Line{
		line(1, 2, offer(1, 5, 100), offer(2, 5, 900)),
		line(2, 1, offer(2, 5, 900)),
	}}
	d := Decide(o, nil, DefaultSettings())
	if d.Split || d.Suppliers != 1 || !slices.Equal(suppliersOf(d), []string{"2×2", "2×1"}) {
		t.Fatalf("want one supplier: %v", suppliersOf(d))
	}
	// Nobody has both lines: split.
	o.Lines[1].Candidates = []Candidate{offer(3, 5, 900)}
	d = Decide(o, nil, DefaultSettings())
	if !d.Split || d.Suppliers != 2 || !slices.Equal(suppliersOf(d), []string{"1×2", "3×1"}) || d.SplitReason == "" {
		t.Fatalf("want a split: %+v", d)
	}
	// One supplier has both lines but is late; others keep the promise: split.
	o = Order{PromiseLatest: "2026-03-10", Lines: []Line{
		line(1, 1, late(offer(1, 5, 100)), offer(2, 5, 200)),
		line(2, 1, late(offer(1, 5, 100)), offer(3, 5, 200)),
	}}
	d = Decide(o, nil, DefaultSettings())
	if !d.Split || !d.KeepsPromise || !slices.Equal(suppliersOf(d), []string{"2×1", "3×1"}) {
		t.Fatalf("want a split within the promise: %v %+v", suppliersOf(d), d)
	}
	if !strings.Contains(d.SplitReason, "within the promise") || !strings.Contains(d.Lines[0].Why, "S1 would deliver by") {
		t.Fatalf("why: %q / %q", d.SplitReason, d.Lines[0].Why)
	}
	// With MaxParts 1 the split is not allowed: the late single supplier.
	d = Decide(o, nil, Settings{DefaultStrategy: LowestCost, MaxParts: 1})
	if d.Split || d.KeepsPromise || !slices.Equal(suppliersOf(d), []string{"1×1", "1×1"}) {
		t.Fatalf("want one late supplier: %v", suppliersOf(d))
	}
	// A line no supplier has whole is split across suppliers.
	o = Order{Lines: []Line{line(1, 5, offer(1, 3, 100), offer(2, 3, 200), offer(3, 1, 50))}}
	d = Decide(o, nil, DefaultSettings())
	if !slices.Equal(suppliersOf(d), []string{"3×1+1×3+2×1"}) || d.Suppliers != 3 {
		t.Fatalf("line split: %v", suppliersOf(d))
	}
	d = Decide(o, nil, Settings{DefaultStrategy: LowestCost, MaxParts: 2})
	if !slices.Equal(suppliersOf(d), []string{"1×3+2×2"}) || d.Suppliers != 2 {
		t.Fatalf("line split in 2 parts: %v", suppliersOf(d))
	}
}

func TestMaxPartsRespected(t *testing.T) {
	// Four lines, each only at its own supplier: with MaxParts 3 one line
	// cannot be routed.
	o := Order{Lines: []Line{line(1, 1, offer(1, 1, 100)), line(2, 1, offer(2, 1, 100)), line(3, 1, offer(3, 1, 100)), line(4, 1, offer(4, 1, 900))}}
	d := Decide(o, nil, Settings{DefaultStrategy: LowestCost, MaxParts: 3})
	if d.Suppliers != 3 || d.Unrouted != 1 || len(d.Lines[3].Parts) != 0 {
		t.Fatalf("decision %v unrouted %d", suppliersOf(d), d.Unrouted)
	}
	if !strings.HasPrefix(d.Lines[3].Why, "line 4 → not routed") {
		t.Fatalf("why %q", d.Lines[3].Why)
	}
}

func TestAlternatesSkipped(t *testing.T) {
	paused := offer(1, 9, 10)
	paused.Paused = true
	stale := offer(2, 9, 10)
	stale.Stale = true
	o := Order{Lines: []Line{line(1, 2, paused, stale, offer(3, 1, 10), offer(4, 0, 10), offer(5, 9, 500), offer(6, 9, 10))}}
	rules := []Rule{{Name: "eu", Enabled: true, Strategy: LowestCost, Suppliers: []int64{1, 2, 3, 4, 5}, OnlyListed: true}}
	d := Decide(o, rules, DefaultSettings())
	if got := suppliersOf(d); !slices.Equal(got, []string{"5×2"}) {
		t.Fatalf("got %v", got)
	}
	why := d.Lines[0].Why
	for _, want := range []string{"line 1 → S5: ", "S1 is paused", "S2 has a stale feed", "S4 has 0 available", "S6 is not in rule “eu”'s list", "S3 has 1 available"} {
		if !strings.Contains(why, want) {
			t.Errorf("why %q lacks %q", why, want)
		}
	}
	// Without only_listed, S6 is the cheapest alternate.
	rules[0].OnlyListed = false
	if got := suppliersOf(Decide(o, rules, DefaultSettings())); !slices.Equal(got, []string{"6×2"}) {
		t.Fatalf("got %v", got)
	}
	// Nothing eligible: not routed, with the reasons.
	o = Order{Lines: []Line{line(1, 2, paused, stale)}}
	d = Decide(o, nil, DefaultSettings())
	if d.Unrouted != 1 || !strings.Contains(d.Lines[0].Why, "not routed: S1 is paused; S2 has a stale feed") {
		t.Fatalf("why %q", d.Lines[0].Why)
	}
}

func TestRuleConditions(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	o := Order{Country: "IT", Region: "Lombardia", Channel: "shopify", Total: eur(5000),
		Lines: []Line{{SKU: "TEE-1", Tags: []string{"apparel", "summer"}}, {SKU: "MUG-2"}}}
	cases := []struct {
		name string
		c    Conditions
		want bool
	}{
		{"empty", Conditions{}, true},
		{"country", Conditions{Countries: []string{"DE", "IT"}}, true},
		{"country no", Conditions{Countries: []string{"DE"}}, false},
		{"region", Conditions{Regions: []string{"lombardia"}}, true},
		{"region no", Conditions{Regions: []string{"Lazio"}}, false},
		{"sku", Conditions{SKUs: []string{"MUG-2"}}, true},
		{"sku no", Conditions{SKUs: []string{"MUG-3"}}, false},
		{"tag", Conditions{Tags: []string{"summer"}}, true},
		{"tag no", Conditions{Tags: []string{"winter"}}, false},
		{"channel", Conditions{Channels: []string{"shopify"}}, true},
		{"channel no", Conditions{Channels: []string{"api"}}, false},
		{"min", Conditions{MinTotal: i64(5000)}, true},
		{"min no", Conditions{MinTotal: i64(5001)}, false},
		{"max", Conditions{MaxTotal: i64(5000)}, true},
		{"max no", Conditions{MaxTotal: i64(4999)}, false},
		{"all", Conditions{Countries: []string{"IT"}, Tags: []string{"apparel"}, Channels: []string{"shopify"}, MinTotal: i64(1)}, true},
		{"all but one", Conditions{Countries: []string{"IT"}, Tags: []string{"apparel"}, Channels: []string{"api"}}, false},
	}
	for _, c := range cases {
		if got := c.c.Match(&o); got != c.want {
			t.Errorf("%s: match %v, want %v", c.name, got, c.want)
		}
	}
}

func TestFirstMatchingRuleWins(t *testing.T) {
	o := Order{Country: "DE", Lines: []Line{line(1, 1, withLatest(offer(1, 5, 100), "2026-03-10"), withLatest(offer(2, 5, 200), "2026-03-05"))}}
	rules := []Rule{
		{ID: 1, Name: "off", Enabled: false, Strategy: Priority, Suppliers: []int64{2}},
		{ID: 2, Name: "fr", Enabled: true, Strategy: Fastest, Conditions: Conditions{Countries: []string{"FR"}}},
		{ID: 3, Name: "de", Enabled: true, Strategy: Fastest, Conditions: Conditions{Countries: []string{"DE"}}},
		{ID: 4, Name: "all", Enabled: true, Strategy: LowestCost},
	}
	d := Decide(o, rules, DefaultSettings())
	if d.RuleID != 3 || d.Strategy != Fastest || suppliersOf(d)[0] != "2×1" {
		t.Fatalf("decision %+v", d)
	}
	if !strings.Contains(d.Lines[0].Why, "S1 would deliver by 2026-03-10, later") {
		t.Fatalf("why %q", d.Lines[0].Why)
	}
	d = Decide(o, nil, Settings{DefaultStrategy: Priority, MaxParts: 2})
	if d.RuleID != 0 || d.Strategy != Priority || suppliersOf(d)[0] != "1×1" {
		t.Fatalf("default decision %+v", d)
	}
}

func TestFewestShipments(t *testing.T) {
	// No single supplier; lowest cost splits over three, fewest shipments over two.
	o := Order{Lines: []Line{
		line(1, 1, offer(1, 5, 100), offer(3, 5, 500)),
		line(2, 1, offer(2, 5, 100), offer(3, 5, 500)),
		line(3, 1, offer(4, 5, 100)),
	}}
	if got := suppliersOf(Decide(o, nil, DefaultSettings())); !slices.Equal(got, []string{"1×1", "2×1", "4×1"}) {
		t.Fatalf("lowest cost %v", got)
	}
	d := Decide(o, nil, Settings{DefaultStrategy: FewestShipments, MaxParts: 3})
	if got := suppliersOf(d); !slices.Equal(got, []string{"3×1", "3×1", "4×1"}) {
		t.Fatalf("fewest shipments %v", got)
	}
}

// bruteForce finds the lowest landed cost by trying every assignment: each
// line whole to one supplier that has it, or (when none has it whole) every
// way of spreading its units; the tiers are those of Decide: one supplier
// within the promise, a split within it, one supplier, a split. It returns
// the cost and whether any assignment exists.
func bruteForce(o Order, maxParts int) (int64, bool) {
	type option struct {
		units map[int64]int
		cost  int64
	}
	eligible := func(c Candidate, within bool) bool {
		return !c.Paused && !c.Stale && c.Available > 0 && (!within || c.WithinPromise)
	}
	for _, within := range []bool{true, false} {
		opts := make([][]option, len(o.Lines))
		ship := map[int64]int64{}
		for i, l := range o.Lines {
			var cs []Candidate
			for _, c := range l.Candidates {
				if eligible(c, within) {
					cs = append(cs, c)
					ship[c.SupplierID] = c.Shipping
				}
			}
			for _, c := range cs {
				if c.Available >= l.Quantity {
					opts[i] = append(opts[i], option{map[int64]int{c.SupplierID: l.Quantity}, c.UnitCost.Amount * int64(l.Quantity)})
				}
			}
			if len(opts[i]) == 0 {
				// Every spread of the units over the candidates.
				var rec func(k, left int, u map[int64]int, cost int64)
				rec = func(k, left int, u map[int64]int, cost int64) {
					if k == len(cs) {
						if left == 0 {
							opts[i] = append(opts[i], option{cloneUnits(u), cost})
						}
						return
					}
					for n := 0; n <= min(left, cs[k].Available); n++ {
						if n > 0 {
							u[cs[k].SupplierID] = n
						}
						rec(k+1, left-n, u, cost+int64(n)*cs[k].UnitCost.Amount)
						delete(u, cs[k].SupplierID)
					}
				}
				rec(0, l.Quantity, map[int64]int{}, 0)
			}
		}
		best := map[bool]int64{}
		found := map[bool]bool{}
		var rec func(i int, used map[int64]bool, cost int64)
		rec = func(i int, used map[int64]bool, cost int64) {
			if len(used) > maxParts {
				return
			}
			if i == len(o.Lines) {
				total := cost
				for id := range used {
					total += ship[id]
				}
				split := len(used) > 1
				if !found[split] || total < best[split] {
					best[split], found[split] = total, true
				}
				return
			}
			for _, op := range opts[i] {
				var added []int64
				for id := range op.units {
					if !used[id] {
						used[id] = true
						added = append(added, id)
					}
				}
				rec(i+1, used, cost+op.cost)
				for _, id := range added {
					delete(used, id)
				}
			}
		}
		rec(0, map[int64]bool{}, 0)
		if found[false] {
			return best[false], true
		}
		if found[true] {
			return best[true], true
		}
	}
	return 0, false
}

func cloneUnits(m map[int64]int) map[int64]int {
	out := make(map[int64]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestLowestCostMatchesBruteForce(t *testing.T) {
	checked, unroutable, splits, lineSplits := 0, 0, 0, 0
	for seed := range uint64(3000) {
		r := rand.New(rand.NewPCG(seed, 7))
		nLines, nSup := 1+r.IntN(6), 1+r.IntN(4)
		o := Order{PromiseLatest: "2026-03-10"}
		for p := 1; p <= nLines; p++ {
			l := line(p, 1+r.IntN(3))
			for s := int64(1); s <= int64(nSup); s++ {
				if r.IntN(5) == 0 {
					continue // no offer
				}
				c := withShip(offer(s, r.IntN(7), int64(50+r.IntN(200))), int64(r.IntN(3)*100))
				c.OfferID = s*1000 + int64(p)
				c.Paused = r.IntN(12) == 0
				c.WithinPromise = r.IntN(5) != 0
				l.Candidates = append(l.Candidates, c)
			}
			o.Lines = append(o.Lines, l)
		}
		// Shipping is per supplier: the same on each of its candidates.
		ship := []int64{r.Int64N(300), r.Int64N(300), r.Int64N(300), r.Int64N(300)}
		for i := range o.Lines {
			for j := range o.Lines[i].Candidates {
				c := &o.Lines[i].Candidates[j]
				c.Shipping = ship[c.SupplierID-1]
			}
		}
		maxParts := 2 + r.IntN(3)
		want, ok := bruteForce(o, maxParts)
		d := Decide(o, nil, Settings{DefaultStrategy: LowestCost, MaxParts: maxParts})
		if !ok {
			unroutable++
			if d.Unrouted == 0 {
				t.Fatalf("seed %d: brute force finds no full routing, engine routed all: %v", seed, suppliersOf(d))
			}
			continue
		}
		checked++
		if d.Unrouted != 0 {
			t.Fatalf("seed %d: engine left %d lines out, brute force routes all at %d", seed, d.Unrouted, want)
		}
		if d.LandedCost.Amount != want {
			t.Fatalf("seed %d: engine cost %d, optimum %d: %v\n%s", seed, d.LandedCost.Amount, want, suppliersOf(d), d.Summary())
		}
		checkFeasible(t, seed, o, d, maxParts)
		if d.Split {
			splits++
		}
		for _, l := range d.Lines {
			if len(l.Parts) > 1 {
				lineSplits++
				break
			}
		}
	}
	// The instances must exercise single suppliers, splits and split lines.
	if checked < 1200 || splits < 200 || lineSplits < 50 || checked-splits < 200 {
		t.Fatalf("instances: %d checked (%d split, %d with a split line), %d unroutable", checked, splits, lineSplits, unroutable)
	}
	t.Logf("%d instances checked against brute force (%d split, %d with a split line), %d unroutable", checked, splits, lineSplits, unroutable)
}

// checkFeasible checks a decision gives each line its quantity within the
// offers' availability, within MaxParts, and that its cost is what it says.
func checkFeasible(t *testing.T, seed uint64, o Order, d Decision, maxParts int) {
	t.Helper()
	used := map[int64]bool{}
	var cost int64
	ship := map[int64]int64{}
	for i, l := range o.Lines {
		n := 0
		for _, p := range d.Lines[i].Parts {
			idx := slices.IndexFunc(l.Candidates, func(c Candidate) bool { return c.OfferID == p.OfferID })
			if idx < 0 {
				t.Fatalf("seed %d: line %d part on unknown offer %d", seed, l.Position, p.OfferID)
			}
			c := l.Candidates[idx]
			if c.Paused || p.Quantity > c.Available || p.Quantity <= 0 {
				t.Fatalf("seed %d: line %d part %+v on %+v", seed, l.Position, p, c)
			}
			n += p.Quantity
			cost += int64(p.Quantity) * c.UnitCost.Amount
			used[p.SupplierID] = true
			ship[p.SupplierID] = c.Shipping
		}
		if n != l.Quantity {
			t.Fatalf("seed %d: line %d got %d of %d", seed, l.Position, n, l.Quantity)
		}
	}
	for _, s := range ship {
		cost += s
	}
	if len(used) > maxParts || len(used) != d.Suppliers || cost != d.LandedCost.Amount {
		t.Fatalf("seed %d: %d suppliers (max %d, says %d), cost %d says %d", seed, len(used), maxParts, d.Suppliers, cost, d.LandedCost.Amount)
	}
}
