package routing

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/orderly-oms/orderly/internal/money"
)

// Strategy is how a rule picks among the suppliers able to ship an order.
type Strategy string

// Strategies.
const (
	// LowestCost minimises the landed cost: offer cost × units plus one
	// shipping estimate per supplier used, over the whole order.
	LowestCost Strategy = "lowest_cost"
	// Fastest minimises the latest promised delivery day of the parcels,
	// ties by landed cost.
	Fastest Strategy = "fastest"
	// Priority follows the rule's supplier list, then the offers' priority,
	// ties by landed cost.
	Priority Strategy = "priority"
	// FewestShipments minimises the suppliers used, ties by landed cost.
	FewestShipments Strategy = "fewest_shipments"
)

// Strategies lists the strategies.
func Strategies() []Strategy { return []Strategy{LowestCost, Fastest, Priority, FewestShipments} }

// Valid reports whether s is a known strategy.
func (s Strategy) Valid() bool { return slices.Contains(Strategies(), s) }

// Order is what the engine routes: the order's lines still to route and
// what the rules' conditions look at.
type Order struct {
	ID         int64
	Country    string // ISO 3166-1 alpha-2, upper case
	Region     string
	PostalCode string
	Channel    string
	Total      money.Money
	// PromiseLatest is the last day of the promised delivery window
	// (YYYY-MM-DD); empty when the order has no promise.
	PromiseLatest string
	Lines         []Line
}

// Line is one order line to route with its candidate offers.
type Line struct {
	ID         int64
	Position   int
	VariantID  int64
	SKU        string
	Title      string
	Tags       []string // the product's tags, lower case
	Quantity   int
	Candidates []Candidate
}

// Candidate is one supplier offer able to ship a line.
type Candidate struct {
	OfferID       int64
	SupplierID    int64
	SupplierName  string
	SupplierSKU   string
	OfferPriority int
	Paused        bool // the supplier (or the offer) is not active
	Stale         bool // the supplier's feed is stale (its stale rule is in force)
	// Available is what this line may take from the offer: the offer's
	// available units plus what this line already holds reserved on it.
	Available int
	// Held is what this line holds reserved on the offer now.
	Held     int
	UnitCost money.Money
	// Shipping is the supplier's shipping estimate per parcel, in the cost
	// currency (0 if none).
	Shipping int64
	// Latest is the last day of the delivery window this supplier would
	// promise for the order (YYYY-MM-DD); empty when unknown.
	Latest string
	// WithinPromise says the supplier keeps the order's stored promise
	// (true when the order has none or the supplier's delivery is unknown).
	WithinPromise bool
}

// Settings are the store's routing settings.
type Settings struct {
	DefaultStrategy Strategy `json:"default_strategy" enum:"lowest_cost,fastest,priority,fewest_shipments" doc:"The strategy when no rule matches"`
	MaxParts        int      `json:"max_parts" minimum:"1" maximum:"10" doc:"An order is split across at most this many suppliers"`
}

// DefaultSettings are the settings of a store that never set them.
func DefaultSettings() Settings { return Settings{DefaultStrategy: LowestCost, MaxParts: 3} }

// Part is some units of a line given to one offer.
type Part struct {
	SupplierID   int64       `json:"supplier_id"`
	SupplierName string      `json:"supplier_name"`
	OfferID      int64       `json:"offer_id"`
	SupplierSKU  string      `json:"supplier_sku"`
	Quantity     int         `json:"quantity"`
	UnitCost     money.Money `json:"unit_cost"`
}

// Skip says why a supplier was not used for a line.
type Skip struct {
	SupplierID   int64  `json:"supplier_id"`
	SupplierName string `json:"supplier_name"`
	Reason       string `json:"reason"`
}

// LineDecision is the decision for one line: its parts (none if it could
// not be routed) and why.
type LineDecision struct {
	OrderLineID int64  `json:"order_line_id"`
	Position    int    `json:"position"`
	SKU         string `json:"sku"`
	Quantity    int    `json:"quantity"`
	Parts       []Part `json:"parts"`
	Skipped     []Skip `json:"skipped"`
	// Why is the explanation in plain words, e.g. "line 2 → Supplier B:
	// Supplier A has 0 available; Supplier C landed cost +2.10 EUR".
	Why string `json:"why"`
}

// Decision is the engine's answer for an order.
type Decision struct {
	RuleID   int64          `json:"rule_id,omitempty"`
	RuleName string         `json:"rule_name,omitempty"`
	Strategy Strategy       `json:"strategy"`
	Lines    []LineDecision `json:"lines"`
	// Suppliers is how many suppliers ship the order (its parts).
	Suppliers int `json:"suppliers"`
	// Split says the order goes to more than one supplier; SplitReason why.
	Split       bool   `json:"split"`
	SplitReason string `json:"split_reason,omitempty"`
	// LandedCost is Σ offer cost × units + one shipping estimate per supplier.
	LandedCost money.Money `json:"landed_cost"`
	// KeepsPromise says every part is within the order's promise.
	KeepsPromise bool `json:"keeps_promise"`
	// Unrouted counts lines no supplier could take.
	Unrouted int `json:"unrouted"`
}

// Summary is the decision in one line per order line, for the timeline.
func (d Decision) Summary() string {
	parts := make([]string, len(d.Lines))
	for i, l := range d.Lines {
		parts[i] = l.Why
	}
	return strings.Join(parts, "\n")
}

// maxExactSuppliers bounds the suppliers the set search looks at: beyond it
// the best-covering ones are kept (docs/routing.md).
const maxExactSuppliers = 12

// supplierPool is one supplier's eligible offers for one line, cheapest first.
type supplierPool struct {
	supplierID int64
	offers     []*Candidate
	total      int // units available over the offers
	within     bool
	latest     string
	priority   int // the best offer priority
	wholeCost  int64
}

// take returns the parts for q units from the pool, cheapest first, and their cost.
func (p *supplierPool) take(q int) ([]Part, int64) {
	var parts []Part
	var cost int64
	for _, c := range p.offers {
		if q == 0 {
			break
		}
		n := min(q, c.Available)
		if n <= 0 {
			continue
		}
		parts = append(parts, Part{SupplierID: c.SupplierID, SupplierName: c.SupplierName, OfferID: c.OfferID,
			SupplierSKU: c.SupplierSKU, Quantity: n, UnitCost: c.UnitCost})
		cost += c.UnitCost.Amount * int64(n)
		q -= n
	}
	return parts, cost
}

// problem is one routing problem: the eligible pools per line.
type problem struct {
	order     *Order
	strategy  Strategy
	prefer    []int64
	maxParts  int
	lines     []lineProblem
	suppliers []int64         // every supplier with an eligible pool, by id
	shipping  map[int64]int64 // per supplier
	latest    map[int64]string
	names     map[int64]string
	currency  string
}

type lineProblem struct {
	line  *Line
	pools map[int64]*supplierPool
	// whole lists the suppliers that can ship the line whole, wholeWithin
	// those of them within the promise; a line none can ship whole (in the
	// pass) is split across the set's suppliers.
	whole, wholeWithin []int64
}

// solution is a line → parts assignment for a set of suppliers.
type solution struct {
	set       []int64
	parts     [][]Part // per line
	used      []int64
	uncovered int
	cost      int64
	latest    string
	rank      int64 // priority: Σ preference rank
	offerPri  int64 // priority: Σ offer priority
}

// Decide routes an order: the first enabled rule whose conditions hold picks
// the strategy and the supplier list (else the settings' default strategy),
// and the engine picks the offers. It is pure: no I/O.
func Decide(o Order, rules []Rule, st Settings) Decision {
	if !st.DefaultStrategy.Valid() {
		st.DefaultStrategy = LowestCost
	}
	if st.MaxParts < 1 {
		st.MaxParts = 1
	}
	d := Decision{Strategy: st.DefaultStrategy}
	var rule *Rule
	for i := range rules {
		if rules[i].Enabled && rules[i].Conditions.Match(&o) {
			rule = &rules[i]
			break
		}
	}
	p := &problem{order: &o, strategy: st.DefaultStrategy, maxParts: st.MaxParts,
		shipping: map[int64]int64{}, latest: map[int64]string{}, names: map[int64]string{}}
	if rule != nil {
		d.RuleID, d.RuleName, d.Strategy = rule.ID, rule.Name, rule.Strategy
		p.strategy, p.prefer = rule.Strategy, rule.Suppliers
	}
	skips := p.build(rule)
	best := p.search()
	if best != nil {
		p.materialise(best)
	}
	return p.explain(d, best, skips)
}

// build filters each line's candidates into eligible supplier pools and
// records why the others were skipped.
func (p *problem) build(rule *Rule) [][]Skip {
	skips := make([][]Skip, len(p.order.Lines))
	seen := map[int64]bool{}
	for i := range p.order.Lines {
		l := &p.order.Lines[i]
		lp := lineProblem{line: l, pools: map[int64]*supplierPool{}}
		skipped := map[int64]string{}
		var order []int64
		for j := range l.Candidates {
			c := &l.Candidates[j]
			p.names[c.SupplierID] = c.SupplierName
			if p.currency == "" {
				p.currency = c.UnitCost.Currency
			}
			reason := ""
			switch {
			case c.Paused:
				reason = "is paused"
			case c.Stale:
				reason = "has a stale feed"
			case rule != nil && rule.OnlyListed && !slices.Contains(rule.Suppliers, c.SupplierID):
				reason = "is not in rule " + quote(rule.Name) + "'s list"
			case c.Available <= 0:
				reason = "has 0 available"
			}
			if reason != "" {
				if _, ok := skipped[c.SupplierID]; !ok {
					skipped[c.SupplierID] = reason
					order = append(order, c.SupplierID)
				}
				continue
			}
			pool := lp.pools[c.SupplierID]
			if pool == nil {
				pool = &supplierPool{supplierID: c.SupplierID, within: true, priority: c.OfferPriority, latest: c.Latest}
				lp.pools[c.SupplierID] = pool
			}
			pool.offers = append(pool.offers, c)
			pool.total += c.Available
			pool.within = pool.within && c.WithinPromise
			pool.latest = maxDay(pool.latest, c.Latest)
			pool.priority = min(pool.priority, c.OfferPriority)
			p.shipping[c.SupplierID] = max(p.shipping[c.SupplierID], c.Shipping)
			if d, ok := p.latest[c.SupplierID]; ok {
				p.latest[c.SupplierID] = maxDay(d, c.Latest)
			} else {
				p.latest[c.SupplierID] = c.Latest
			}
			if !seen[c.SupplierID] {
				seen[c.SupplierID] = true
				p.suppliers = append(p.suppliers, c.SupplierID)
			}
		}
		// A supplier with an eligible offer is not reported as skipped.
		for _, id := range order {
			if lp.pools[id] == nil {
				skips[i] = append(skips[i], Skip{SupplierID: id, SupplierName: p.names[id], Reason: skipped[id]})
			}
		}
		for id, pool := range lp.pools {
			slices.SortStableFunc(pool.offers, func(a, b *Candidate) int {
				return cmp.Or(cmp.Compare(a.UnitCost.Amount, b.UnitCost.Amount), cmp.Compare(a.OfferPriority, b.OfferPriority),
					cmp.Compare(a.OfferID, b.OfferID))
			})
			if pool.total >= l.Quantity {
				_, pool.wholeCost = pool.take(l.Quantity)
				lp.whole = append(lp.whole, id)
				if pool.within {
					lp.wholeWithin = append(lp.wholeWithin, id)
				}
			}
		}
		slices.Sort(lp.whole)
		slices.Sort(lp.wholeWithin)
		p.lines = append(p.lines, lp)
	}
	slices.Sort(p.suppliers)
	return skips
}

// unknownDay sorts after every real day.
const unknownDay = "9999-12-31"

func maxDay(a, b string) string {
	if a == "" || b == "" {
		if a == "" && b == "" {
			return ""
		}
		return unknownDay
	}
	return max(a, b)
}

func dayOrUnknown(d string) string {
	if d == "" {
		return unknownDay
	}
	return d
}

// search finds the best set of suppliers: one supplier within the promise
// if any can ship every line; else a split within the promise; else one
// supplier late; else a split late; else the set that routes most lines.
func (p *problem) search() *solution {
	var bestPartial *solution
	for _, withinOnly := range []bool{true, false} {
		sups := p.candidates(withinOnly)
		var single, split *solution
		for size := 1; size <= min(p.maxParts, len(sups)); size++ {
			if size > 1 && single != nil {
				break
			}
			forSubsets(sups, size, func(set []int64) {
				s := p.evaluate(set, withinOnly)
				if s.uncovered > 0 {
					if bestPartial == nil || p.better(s, bestPartial) {
						bestPartial = s
					}
					return
				}
				if size == 1 {
					if single == nil || p.better(s, single) {
						single = s
					}
				} else if split == nil || p.better(s, split) {
					split = s
				}
			})
		}
		if single != nil {
			return single
		}
		if split != nil {
			return split
		}
	}
	return bestPartial
}

// candidates returns the suppliers the set search tries: all, or when there
// are too many, those that can ship the most lines whole (then by id).
func (p *problem) candidates(withinOnly bool) []int64 {
	var out []int64
	covers := map[int64]int{}
	for _, id := range p.suppliers {
		n := 0
		for _, lp := range p.lines {
			if pool := lp.pools[id]; pool != nil && (!withinOnly || pool.within) {
				n++
				if pool.total >= lp.line.Quantity {
					n += len(p.lines)
				}
			}
		}
		if n > 0 {
			out = append(out, id)
			covers[id] = n
		}
	}
	if len(out) > maxExactSuppliers {
		slices.SortStableFunc(out, func(a, b int64) int { return cmp.Compare(covers[b], covers[a]) })
		out = out[:maxExactSuppliers]
		slices.Sort(out)
	}
	return out
}

// forSubsets calls fn with every subset of ids of the given size.
func forSubsets(ids []int64, size int, fn func([]int64)) {
	set := make([]int64, 0, size)
	var rec func(start int)
	rec = func(start int) {
		if len(set) == size {
			fn(slices.Clone(set))
			return
		}
		for i := start; i <= len(ids)-(size-len(set)); i++ {
			set = append(set, ids[i])
			rec(i + 1)
			set = set[:len(set)-1]
		}
	}
	rec(0)
}

// prefRank is a supplier's place in the preference list (unlisted last).
func (p *problem) prefRank(id int64) int {
	if i := slices.Index(p.prefer, id); i >= 0 {
		return i
	}
	return len(p.prefer)
}

// lineOrder compares two suppliers' pools for one line under the strategy:
// the better one sorts first.
func (p *problem) lineOrder(a, b *supplierPool) int {
	ca, cb := a.wholeCost, b.wholeCost
	switch p.strategy {
	case Fastest:
		if c := cmp.Compare(dayOrUnknown(a.latest), dayOrUnknown(b.latest)); c != 0 {
			return c
		}
	case Priority:
		if c := cmp.Or(cmp.Compare(p.prefRank(a.supplierID), p.prefRank(b.supplierID)), cmp.Compare(a.priority, b.priority)); c != 0 {
			return c
		}
	}
	return cmp.Or(cmp.Compare(ca, cb), cmp.Compare(a.supplierID, b.supplierID))
}

// evaluate assigns every line to the set's suppliers: whole to the best
// supplier of the set that can ship it whole; a line no supplier can ship
// whole is split over the set, best first.
func (p *problem) evaluate(set []int64, withinOnly bool) *solution {
	s := &solution{set: set, parts: make([][]Part, len(p.lines))}
	var used []int64
	for i, lp := range p.lines {
		q := lp.line.Quantity
		whole := lp.whole
		if withinOnly {
			whole = lp.wholeWithin
		}
		var parts []Part
		if len(whole) > 0 {
			var best *supplierPool
			for _, id := range set {
				pool := lp.pools[id]
				if pool == nil || (withinOnly && !pool.within) || pool.total < q {
					continue
				}
				if best == nil || p.lineOrder(pool, best) < 0 {
					best = pool
				}
			}
			if best != nil {
				// One part per offer used; materialised once, for the winner.
				parts = []Part{{SupplierID: best.supplierID, Quantity: q, OfferID: -1}}
			}
		} else {
			var pools []*supplierPool
			for _, id := range set {
				if pool := lp.pools[id]; pool != nil && (!withinOnly || pool.within) {
					pools = append(pools, pool)
				}
			}
			parts = p.splitLine(pools, q)
		}
		if parts == nil {
			s.uncovered++
			continue
		}
		s.parts[i] = parts
		for _, part := range parts {
			pool := lp.pools[part.SupplierID]
			if part.OfferID == -1 {
				s.cost += pool.wholeCost
			} else {
				s.cost += part.UnitCost.Amount * int64(part.Quantity)
			}
			s.rank += int64(p.prefRank(part.SupplierID))
			s.offerPri += int64(pool.priority)
			if !slices.Contains(used, part.SupplierID) {
				used = append(used, part.SupplierID)
				s.cost += p.shipping[part.SupplierID]
				s.latest = max(s.latest, dayOrUnknown(p.latest[part.SupplierID]))
			}
		}
	}
	s.used = used
	return s
}

// materialise replaces a solution's whole-line placeholders by the offers' parts.
func (p *problem) materialise(s *solution) {
	for i, parts := range s.parts {
		if len(parts) == 1 && parts[0].OfferID == -1 {
			s.parts[i], _ = p.lines[i].pools[parts[0].SupplierID].take(parts[0].Quantity)
		}
	}
}

// splitLine takes q units of a line over the offers of pools, best offer
// first under the strategy (for cost: cheapest unit first, which is the
// cheapest way to fill the line from these suppliers); nil if they have
// fewer than q units.
func (p *problem) splitLine(pools []*supplierPool, q int) []Part {
	var offers []*Candidate
	total := 0
	for _, pool := range pools {
		offers = append(offers, pool.offers...)
		total += pool.total
	}
	if total < q {
		return nil
	}
	slices.SortStableFunc(offers, func(a, b *Candidate) int {
		c := 0
		switch p.strategy {
		case Fastest:
			c = cmp.Compare(dayOrUnknown(p.latest[a.SupplierID]), dayOrUnknown(p.latest[b.SupplierID]))
		case Priority:
			c = cmp.Or(cmp.Compare(p.prefRank(a.SupplierID), p.prefRank(b.SupplierID)), cmp.Compare(a.OfferPriority, b.OfferPriority))
		}
		return cmp.Or(c, cmp.Compare(a.UnitCost.Amount, b.UnitCost.Amount), cmp.Compare(a.OfferID, b.OfferID))
	})
	var parts []Part
	for _, c := range offers {
		if q == 0 {
			break
		}
		n := min(q, c.Available)
		parts = append(parts, Part{SupplierID: c.SupplierID, SupplierName: c.SupplierName, OfferID: c.OfferID,
			SupplierSKU: c.SupplierSKU, Quantity: n, UnitCost: c.UnitCost})
		q -= n
	}
	return parts
}

// better reports whether a beats b: fewer lines left out, then the
// strategy's objective, then landed cost, then fewer suppliers and ids.
func (p *problem) better(a, b *solution) bool {
	if a.uncovered != b.uncovered {
		return a.uncovered < b.uncovered
	}
	c := 0
	switch p.strategy {
	case Fastest:
		c = cmp.Compare(a.latest, b.latest)
	case Priority:
		c = cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.offerPri, b.offerPri))
	case FewestShipments:
		c = cmp.Compare(len(a.used), len(b.used))
	}
	if c == 0 {
		c = cmp.Or(cmp.Compare(a.cost, b.cost), cmp.Compare(len(a.used), len(b.used)), slices.Compare(a.set, b.set))
	}
	return c < 0
}

// explain turns the best solution into the decision with its words.
func (p *problem) explain(d Decision, best *solution, skips [][]Skip) Decision {
	d.LandedCost = money.Money{Currency: p.currency}
	d.KeepsPromise = true
	if best != nil {
		d.Suppliers = len(best.used)
		d.LandedCost.Amount = best.cost
		d.Split = len(best.used) > 1
		for _, id := range best.used {
			for _, lp := range p.lines {
				if pool := lp.pools[id]; pool != nil && !pool.within {
					d.KeepsPromise = false
				}
			}
		}
		if d.Split {
			d.SplitReason = p.splitReason(d.KeepsPromise)
		}
	}
	for i, lp := range p.lines {
		l := lp.line
		ld := LineDecision{OrderLineID: l.ID, Position: l.Position, SKU: l.SKU, Quantity: l.Quantity, Skipped: skips[i], Parts: []Part{}}
		if ld.Skipped == nil {
			ld.Skipped = []Skip{}
		}
		if best != nil {
			ld.Parts = append(ld.Parts, best.parts[i]...)
		}
		if len(ld.Parts) == 0 {
			d.Unrouted++
		}
		ld.Skipped = append(ld.Skipped, p.alternates(best, i)...)
		ld.Why = lineWhy(ld)
		d.Lines = append(d.Lines, ld)
	}
	return d
}

func (p *problem) splitReason(keeps bool) string {
	if keeps && p.order.PromiseLatest != "" {
		return "no single supplier can ship every line within the promise (" + p.order.PromiseLatest + ")"
	}
	return "no single supplier can ship every line"
}

// alternates says why each eligible supplier not used for line i was not
// chosen, compared with the decision.
func (p *problem) alternates(best *solution, i int) []Skip {
	lp := p.lines[i]
	q := lp.line.Quantity
	var chosen []int64
	if best != nil {
		for _, part := range best.parts[i] {
			if !slices.Contains(chosen, part.SupplierID) {
				chosen = append(chosen, part.SupplierID)
			}
		}
	}
	ids := make([]int64, 0, len(lp.pools))
	for id := range lp.pools {
		if !slices.Contains(chosen, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out []Skip
	for _, id := range ids {
		pool := lp.pools[id]
		name := p.names[id]
		var reason string
		switch {
		case pool.total < q:
			reason = fmt.Sprintf("has %d available", pool.total)
		case !pool.within && p.order.PromiseLatest != "":
			reason = fmt.Sprintf("would deliver by %s, after the promise (%s)", dayOrUnknown(pool.latest), p.order.PromiseLatest)
		case best == nil || len(chosen) == 0:
			reason = "cannot ship the rest of the order"
		default:
			reason = p.compare(best, i, id)
		}
		out = append(out, Skip{SupplierID: id, SupplierName: name, Reason: reason})
	}
	return out
}

// compare explains why moving line i to supplier id is worse under the strategy.
func (p *problem) compare(best *solution, i int, id int64) string {
	// The line alone on id: the others keep their suppliers.
	alt := &solution{parts: slices.Clone(best.parts)}
	pool := p.lines[i].pools[id]
	q := p.lines[i].line.Quantity
	if pool.total >= q {
		alt.parts[i], _ = pool.take(q)
	}
	altCost := p.costOf(alt.parts)
	delta := money.Money{Amount: altCost - best.cost, Currency: p.currency}
	costWords := "landed cost +" + delta.String()
	if delta.Amount < 0 {
		costWords = "landed cost " + delta.String()
	} else if delta.Amount == 0 {
		costWords = "same landed cost"
	}
	extra := ""
	if !slices.Contains(best.used, id) {
		extra = ", one more shipment"
	}
	switch p.strategy {
	case Fastest:
		if d := dayOrUnknown(p.latest[id]); d > best.latest {
			if d == unknownDay {
				return "has no delivery estimate"
			}
			return "would deliver by " + d + ", later"
		}
	case Priority:
		if r := p.prefRank(id); r > p.prefRank(best.parts[i][0].SupplierID) {
			if r == len(p.prefer) {
				return "is not in the preference list"
			}
			return "is lower in the preference list"
		}
		if pool.priority > p.lines[i].pools[best.parts[i][0].SupplierID].priority {
			return fmt.Sprintf("offer priority %d is lower", pool.priority)
		}
	case FewestShipments:
		if extra != "" {
			return "would add a shipment (" + costWords + ")"
		}
	}
	return costWords + extra
}

// costOf is the landed cost of an assignment.
func (p *problem) costOf(parts [][]Part) int64 {
	var cost int64
	used := map[int64]bool{}
	for _, ps := range parts {
		for _, part := range ps {
			cost += part.UnitCost.Amount * int64(part.Quantity)
			if !used[part.SupplierID] {
				used[part.SupplierID] = true
				cost += p.shipping[part.SupplierID]
			}
		}
	}
	return cost
}

// lineWhy writes a line's explanation.
func lineWhy(ld LineDecision) string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d → ", ld.Position)
	if len(ld.Parts) == 0 {
		b.WriteString("not routed")
	} else {
		per := map[int64]int{}
		var names []string
		var ids []int64
		for _, part := range ld.Parts {
			if _, ok := per[part.SupplierID]; !ok {
				ids = append(ids, part.SupplierID)
				names = append(names, part.SupplierName)
			}
			per[part.SupplierID] += part.Quantity
		}
		for k, id := range ids {
			if k > 0 {
				b.WriteString(" + ")
			}
			b.WriteString(names[k])
			if len(ids) > 1 {
				fmt.Fprintf(&b, " (%d)", per[id])
			}
		}
	}
	if len(ld.Skipped) == 0 {
		if len(ld.Parts) == 0 {
			b.WriteString(": no supplier has an offer")
		} else {
			b.WriteString(": the only supplier")
		}
		return b.String()
	}
	b.WriteString(": ")
	for k, s := range ld.Skipped {
		if k > 0 {
			b.WriteString("; ")
		}
		b.WriteString(s.SupplierName + " " + s.Reason)
	}
	return b.String()
}

func quote(s string) string { return "“" + s + "”" }
