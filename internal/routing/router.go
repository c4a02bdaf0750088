package routing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
)

// Estimator tells how soon each supplier would deliver to a destination:
// the last day of the delivery window it would promise now (YYYY-MM-DD).
// Suppliers it cannot estimate are left out. The promise engine implements
// it (wired in cmd/orderly); without one, "fastest" has no dates and every
// supplier is taken to keep the promise.
type Estimator interface {
	LatestDelivery(ctx context.Context, country, postalCode string, supplierIDs []int64) (map[int64]string, error)
}

// Triggers of a routing decision.
const (
	TriggerConfirmed = "confirmed" // the order became ready to route
	TriggerRestocked = "restocked" // waiting units got stock
	TriggerManual    = "manual"    // POST /api/v1/orders/{number}/route
	TriggerRejected  = "rejected"  // a supplier rejected units
	TriggerTimeout   = "timeout"   // a supplier did not answer in time
)

// errNoSink: a router built without a sink (a server not wired to
// purchasing) can decide but not route.
var errNoSink = apperr.New(apperr.Unavailable, "routing is not wired to purchasing: no sink for the assignments")

// maxAttempts bounds how often one routing re-decides after a target offer
// turned out short under the lock.
const maxAttempts = 3

// Router routes orders: it reads the candidates, decides, and applies the
// decision in one transaction.
type Router struct {
	db        *store.DB
	rules     *Service
	orders    *orders.Service
	inv       *inventory.Service
	sink      Sink
	estimator Estimator
	now       func() time.Time
}

// NewRouter returns a router. sink receives the assignments (purchasing);
// estimator may be nil.
func NewRouter(db *store.DB, rules *Service, ord *orders.Service, inv *inventory.Service, sink Sink, estimator Estimator, now func() time.Time) *Router {
	if now == nil {
		now = time.Now
	}
	return &Router{db: db, rules: rules, orders: ord, inv: inv, sink: sink, estimator: estimator, now: now}
}

func (r *Router) clock() time.Time { return r.now().UTC().Truncate(time.Microsecond) }

// OnEvent is the orders.Handler that routes an order when it becomes ready
// (orders.EventReady) or waiting units get stock (orders.EventAllocated).
func (r *Router) OnEvent(ctx context.Context, e orders.EventArgs) error {
	trigger := TriggerConfirmed
	if e.Event == orders.EventAllocated {
		trigger = TriggerRestocked
	}
	_, err := r.Route(ctx, e.Order, trigger)
	if apperr.Is(err, apperr.NotFound) {
		return nil
	}
	return err
}

// heldUnits are, per order line and offer, the units of the line's
// reservation that are not on an active purchase order line yet.
type heldUnits map[int64]map[int64]int // order line id → offer → units free to route

// Route routes the allocated lines of an order that are not yet with a
// supplier. In one transaction it locks the order, re-checks the lines,
// decides, moves reservations to the offers chosen, hands the assignments
// to the sink, marks the lines sent_to_supplier with a "routed" timeline
// entry, and stores the decision. It returns the decision, or nil when
// there was nothing to route (already routed, on hold, or some line still
// waiting for stock, so the order would leave in pieces):
// routing twice, or from two instances at once, routes each line once.
func (r *Router) Route(ctx context.Context, number int64, trigger string) (*Decision, error) {
	if r.sink == nil {
		return nil, errNoSink
	}
	var out *Decision
	err := r.db.InTx(ctx, func(tx *sql.Tx) error {
		out = nil
		_, _, err := r.orders.RouteTx(ctx, tx, number, func(o *orders.Order) (orders.Routed, error) {
			if o.State == orders.AwaitingStock {
				// Some line waits for stock: the order goes out when it
				// can go out whole (a restock routes it then).
				return orders.Routed{}, nil
			}
			d, lines, err := r.decideApply(ctx, tx, o)
			if err != nil || d == nil {
				return orders.Routed{}, err
			}
			out = d
			if err := r.store(ctx, tx, o.Number, trigger, d); err != nil {
				return orders.Routed{}, err
			}
			return orders.Routed{Lines: lines, Note: d.Summary(), Detail: map[string]any{"trigger": trigger, "rule_id": d.RuleID,
				"strategy": d.Strategy, "suppliers": d.Suppliers, "split": d.Split}}, nil
		})
		return err
	})
	return out, err
}

// decideApply decides for the lines to route and applies the decision:
// moves, the sink. It returns the decision and the ids of the lines routed.
func (r *Router) decideApply(ctx context.Context, tx *sql.Tx, o *orders.Order) (*Decision, []int64, error) {
	for attempt := 1; ; attempt++ {
		in, held, err := r.load(ctx, tx, o, nil)
		if err != nil || in == nil {
			return nil, nil, err
		}
		rules, err := rules(ctx, tx)
		if err != nil {
			return nil, nil, err
		}
		st, err := settings(ctx, tx)
		if err != nil {
			return nil, nil, err
		}
		d := Decide(*in, rules, st)
		lines, err := r.apply(ctx, tx, o, in, held, d)
		if errors.Is(err, inventory.ErrMoveShort) && attempt < maxAttempts {
			continue // stock moved under us: read again and decide again
		}
		if err != nil {
			return nil, nil, err
		}
		return &d, lines, nil
	}
}

// load builds the engine's input for the order's allocated lines that have
// units not yet on a purchase order (nil when there are none), with each
// line's candidates. only, when set, restricts the lines to those ids.
func (r *Router) load(ctx context.Context, tx *sql.Tx, o *orders.Order, only []int64) (*Order, heldUnits, error) {
	onPO, err := activePOUnits(ctx, tx, o.Number)
	if err != nil {
		return nil, nil, err
	}
	in := &Order{ID: o.Number, Country: o.ShippingAddress.Country, Region: o.ShippingAddress.Region,
		PostalCode: o.ShippingAddress.PostalCode, Channel: o.Channel, Total: o.Total}
	if o.Promise != nil {
		in.PromiseLatest = o.Promise.Latest
	}
	var refs []string
	var variants []int64
	var toRoute []orders.Line
	for _, l := range o.Lines {
		if l.State != orders.LineAllocated || (only != nil && !slices.Contains(only, l.ID)) {
			continue
		}
		free := l.Reserved
		for _, n := range onPO[l.ID] {
			free -= n
		}
		if free <= 0 {
			continue
		}
		toRoute = append(toRoute, l)
		in.Lines = append(in.Lines, Line{ID: l.ID, Position: l.Position, VariantID: l.VariantID, SKU: l.SKU, Title: l.Title, Quantity: free})
		refs = append(refs, orders.LineRef(o.Number, l.Position))
		if !slices.Contains(variants, l.VariantID) {
			variants = append(variants, l.VariantID)
		}
	}
	if len(in.Lines) == 0 {
		return nil, nil, nil
	}
	reserved, err := reservations(ctx, tx, refs)
	if err != nil {
		return nil, nil, err
	}
	held := heldUnits{}
	for i, l := range toRoute {
		m := map[int64]int{}
		for offer, n := range reserved[refs[i]] {
			if f := n - onPO[l.ID][offer]; f > 0 {
				m[offer] = f
			}
		}
		held[l.ID] = m
	}
	offers, err := candidates(ctx, tx, variants)
	if err != nil {
		return nil, nil, err
	}
	if err := r.fill(ctx, tx, in, offers, held); err != nil {
		return nil, nil, err
	}
	return in, held, nil
}

// fill gives each line its candidates (with the units it holds on each),
// tags, and the suppliers' delivery estimates.
func (r *Router) fill(ctx context.Context, q store.Querier, in *Order, offers map[int64][]Candidate, held heldUnits) error {
	var sups []int64
	for _, cs := range offers {
		for _, c := range cs {
			if !slices.Contains(sups, c.SupplierID) {
				sups = append(sups, c.SupplierID)
			}
		}
	}
	slices.Sort(sups)
	var latest map[int64]string
	if r.estimator != nil && len(sups) > 0 {
		var err error
		if latest, err = r.estimator.LatestDelivery(ctx, in.Country, in.PostalCode, sups); err != nil {
			latest = nil // no estimates: every supplier is taken to keep the promise
		}
	}
	var variants []int64
	for i := range in.Lines {
		l := &in.Lines[i]
		variants = append(variants, l.VariantID)
		for _, c := range offers[l.VariantID] {
			h := held[l.ID][c.OfferID]
			c.Held = h
			c.Available += h
			c.Latest = latest[c.SupplierID]
			c.WithinPromise = in.PromiseLatest == "" || c.Latest == "" || c.Latest <= in.PromiseLatest
			l.Candidates = append(l.Candidates, c)
		}
	}
	tags, err := tagsOf(ctx, q, variants)
	if err != nil {
		return err
	}
	for i := range in.Lines {
		in.Lines[i].Tags = tags[in.Lines[i].VariantID]
	}
	return nil
}

// apply carries out a decision inside tx: for each routed line the units
// are moved onto the offers chosen, and the assignments go to the sink.
func (r *Router) apply(ctx context.Context, tx *sql.Tx, o *orders.Order, in *Order, held heldUnits, d Decision) ([]int64, error) {
	type move struct {
		ref      string
		from, to int64
		n        int
	}
	var moves []move
	var lock []int64
	var as []Assignment
	var routed []int64
	for i, ld := range d.Lines {
		if len(ld.Parts) == 0 {
			continue
		}
		l := in.Lines[i]
		ref := orders.LineRef(o.Number, l.Position)
		have := maps(held[l.ID])
		want := map[int64]int{}
		for _, p := range ld.Parts {
			want[p.OfferID] += p.Quantity
			as = append(as, Assignment{OrderID: o.Number, OrderLineID: l.ID, Position: l.Position, SupplierID: p.SupplierID, OfferID: p.OfferID,
				VariantID: l.VariantID, SKU: l.SKU, SupplierSKU: p.SupplierSKU, Title: l.Title, Quantity: p.Quantity, UnitCost: p.UnitCost})
		}
		// Units already on a chosen offer stay; the rest move from the
		// offers that hold more than they keep to those that need more.
		var from, to []int64
		for offer, n := range have {
			keep := min(n, want[offer])
			have[offer] -= keep
			want[offer] -= keep
		}
		for offer, n := range have {
			if n > 0 {
				from = append(from, offer)
			}
		}
		for offer, n := range want {
			if n > 0 {
				to = append(to, offer)
			}
		}
		slices.Sort(from)
		slices.Sort(to)
		for _, t := range to {
			for _, f := range from {
				n := min(want[t], have[f])
				if n == 0 {
					continue
				}
				moves = append(moves, move{ref, f, t, n})
				lock = append(lock, f, t)
				want[t] -= n
				have[f] -= n
			}
			if want[t] > 0 {
				return nil, fmt.Errorf("route order %d line %d: %d units to place on offer %d have no reservation to move", o.Number, l.Position, want[t], t)
			}
		}
		routed = append(routed, l.ID)
	}
	if len(routed) == 0 {
		return nil, nil
	}
	slices.Sort(lock)
	if err := r.inv.LockPositions(ctx, tx, slices.Compact(lock)); err != nil {
		return nil, err
	}
	for _, m := range moves {
		if err := r.inv.Move(ctx, tx, m.ref, m.from, m.to, m.n); err != nil {
			return nil, err
		}
	}
	if err := r.sink.AddTx(ctx, tx, as); err != nil {
		return nil, fmt.Errorf("route order %d: %w", o.Number, err)
	}
	return routed, nil
}

func maps(m map[int64]int) map[int64]int {
	out := make(map[int64]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// store inserts the decision into routing_decisions.
func (r *Router) store(ctx context.Context, tx *sql.Tx, number int64, trigger string, d *Decision) error {
	js, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("store routing decision of order %d: %w", number, err)
	}
	var rule any
	if d.RuleID != 0 {
		rule = d.RuleID
	}
	who := "system:routing"
	if p := auth.FromContext(ctx); p != nil {
		who = p.Actor()
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO routing_decisions (order_id, trigger, rule_id, strategy, explanation, actor, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, number, trigger, rule, d.Strategy, string(js), who, r.clock()); err != nil {
		return fmt.Errorf("store routing decision of order %d: %w", number, err)
	}
	return nil
}

// activePOUnits returns, per order line and offer, the units on purchase
// order lines still with their supplier (pending or accepted).
func activePOUnits(ctx context.Context, q store.Querier, number int64) (map[int64]map[int64]int, error) {
	rows, err := q.QueryContext(ctx, `SELECT order_line_id, offer_id, SUM(qty_pending + qty_accepted) FROM purchase_order_lines
		WHERE order_id = $1 GROUP BY order_line_id, offer_id`, number)
	if err != nil {
		return nil, fmt.Errorf("purchase order lines of order %d: %w", number, err)
	}
	defer rows.Close()
	out := map[int64]map[int64]int{}
	for rows.Next() {
		var line, offer int64
		var n int
		if err := rows.Scan(&line, &offer, &n); err != nil {
			return nil, fmt.Errorf("purchase order lines of order %d: %w", number, err)
		}
		if out[line] == nil {
			out[line] = map[int64]int{}
		}
		out[line][offer] += n
	}
	return out, rows.Err()
}

// reservations returns the units each ref holds per offer.
func reservations(ctx context.Context, q store.Querier, refs []string) (map[string]map[int64]int, error) {
	ph := make([]string, len(refs))
	args := make([]any, len(refs))
	for i, ref := range refs {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = ref
	}
	rows, err := q.QueryContext(ctx, `SELECT ref, offer_id, SUM(quantity) FROM stock_reservations WHERE ref IN (`+strings.Join(ph, ", ")+`)
		GROUP BY ref, offer_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("reservations: %w", err)
	}
	defer rows.Close()
	out := map[string]map[int64]int{}
	for rows.Next() {
		var ref string
		var offer int64
		var n int
		if err := rows.Scan(&ref, &offer, &n); err != nil {
			return nil, fmt.Errorf("reservations: %w", err)
		}
		if out[ref] == nil {
			out[ref] = map[int64]int{}
		}
		out[ref][offer] = n
	}
	return out, rows.Err()
}

// candidates reads every offer of the variants with its stock position,
// supplier status, feed staleness and shipping estimate, in one query.
// Available is the offer's own available-to-sell (sellable or not: the
// engine skips paused suppliers with the reason).
func candidates(ctx context.Context, q store.Querier, variants []int64) (map[int64][]Candidate, error) {
	ph, args := inList(variants)
	rows, err := q.QueryContext(ctx, `SELECT o.id, o.variant_id, o.supplier_id, su.name, o.supplier_sku, o.priority,
		o.status = 'active' AND su.status = 'active', COALESCE(sr.stale, FALSE), COALESCE(sp.available, 0),
		o.cost_amount, o.cost_currency, COALESCE(sf.shipping_estimate_amount, 0)
		FROM supplier_offers o
		JOIN suppliers su ON su.id = o.supplier_id
		LEFT JOIN stock_positions sp ON sp.offer_id = o.id
		LEFT JOIN supplier_stock_rules sr ON sr.supplier_id = o.supplier_id
		LEFT JOIN supplier_fulfilment sf ON sf.supplier_id = o.supplier_id
		WHERE o.variant_id IN (`+ph+`) ORDER BY o.variant_id, o.priority, o.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("routing candidates: %w", err)
	}
	defer rows.Close()
	out := map[int64][]Candidate{}
	for rows.Next() {
		var c Candidate
		var variant int64
		var sellable bool
		if err := rows.Scan(&c.OfferID, &variant, &c.SupplierID, &c.SupplierName, &c.SupplierSKU, &c.OfferPriority, &sellable, &c.Stale,
			&c.Available, &c.UnitCost.Amount, &c.UnitCost.Currency, &c.Shipping); err != nil {
			return nil, fmt.Errorf("routing candidates: %w", err)
		}
		c.Paused = !sellable
		out[variant] = append(out[variant], c)
	}
	return out, rows.Err()
}

// tagsOf returns the product tags of each variant.
func tagsOf(ctx context.Context, q store.Querier, variants []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	if len(variants) == 0 {
		return out, nil
	}
	ph, args := inList(variants)
	rows, err := q.QueryContext(ctx, `SELECT v.id, t.tag FROM variants v JOIN product_tags t ON t.product_id = v.product_id
		WHERE v.id IN (`+ph+`) ORDER BY v.id, t.tag`, args...)
	if err != nil {
		return nil, fmt.Errorf("product tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var tag string
		if err := rows.Scan(&id, &tag); err != nil {
			return nil, fmt.Errorf("product tags: %w", err)
		}
		out[id] = append(out[id], tag)
	}
	return out, rows.Err()
}

// StoredDecision is a routing decision as stored for an order.
type StoredDecision struct {
	ID       int64     `json:"id"`
	Trigger  string    `json:"trigger"`
	RuleID   int64     `json:"rule_id,omitempty"`
	Strategy Strategy  `json:"strategy"`
	Decision Decision  `json:"decision"`
	Actor    string    `json:"actor"`
	At       time.Time `json:"at"`
}

// Decisions returns the routing decisions of an order, oldest first.
func (s *Service) Decisions(ctx context.Context, number int64) ([]StoredDecision, error) {
	var n int
	if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE id = $1`, number).Scan(&n); err != nil {
		return nil, fmt.Errorf("order %d: %w", number, err)
	}
	if n == 0 {
		return nil, apperr.New(apperr.NotFound, "order %d not found", number)
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, trigger, COALESCE(rule_id, 0), strategy, explanation, actor, created_at
		FROM routing_decisions WHERE order_id = $1 ORDER BY id`, number)
	if err != nil {
		return nil, fmt.Errorf("routing decisions of order %d: %w", number, err)
	}
	defer rows.Close()
	out := []StoredDecision{}
	for rows.Next() {
		var d StoredDecision
		var js string
		if err := rows.Scan(&d.ID, &d.Trigger, &d.RuleID, &d.Strategy, &js, &d.Actor, &d.At); err != nil {
			return nil, fmt.Errorf("routing decisions of order %d: %w", number, err)
		}
		if err := json.Unmarshal([]byte(js), &d.Decision); err != nil {
			return nil, fmt.Errorf("routing decision %d: %w", d.ID, err)
		}
		d.At = d.At.UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// RerouteRequest asks to route units of an order line again, away from the
// offer that rejected them or did not answer in time (purchasing calls
// RerouteTx with it: purchasing.RerouteRequest is this type).
type RerouteRequest struct {
	OrderID     int64
	OrderLineID int64
	FromOfferID int64
	Quantity    int
	Trigger     string // "rejected" or "timeout"
	Reason      string
}

// RerouteTx routes units of an order line again inside the caller's
// transaction: it releases their reservation on FromOfferID and tries the
// alternates, leaving out every supplier that already rejected or timed out
// on this order line (its purchase order lines with rejected or cancelled
// units) and FromOfferID's supplier. If an alternate has the stock the units
// are reserved there and handed to the sink as a new assignment (the line
// stays sent_to_supplier); else they are backordered if the SKU's policy
// allows, else short (the order waits for stock). Either way the timeline
// says what happened ("rerouted" or "reroute_failed") and the decision is
// stored.
func (r *Router) RerouteTx(ctx context.Context, tx *sql.Tx, req RerouteRequest) error {
	if req.Quantity <= 0 {
		return nil
	}
	if r.sink == nil {
		return errNoSink
	}
	o, err := r.orders.LockTx(ctx, tx, req.OrderID)
	if err != nil {
		return err
	}
	var line *orders.Line
	for i := range o.Lines {
		if o.Lines[i].ID == req.OrderLineID {
			line = &o.Lines[i]
		}
	}
	if line == nil {
		return apperr.New(apperr.NotFound, "order %d has no line %d", req.OrderID, req.OrderLineID)
	}
	ref := orders.LineRef(o.Number, line.Position)
	if err := r.inv.ReleaseOffer(ctx, tx, ref, req.FromOfferID, req.Quantity); err != nil {
		return err
	}
	excluded, err := excludedSuppliers(ctx, tx, req.OrderLineID, req.FromOfferID)
	if err != nil {
		return err
	}
	trigger := req.Trigger
	if trigger == "" {
		trigger = TriggerRejected
	}
	var d Decision
	for attempt := 1; ; attempt++ {
		in := &Order{ID: o.Number, Country: o.ShippingAddress.Country, Region: o.ShippingAddress.Region,
			PostalCode: o.ShippingAddress.PostalCode, Channel: o.Channel, Total: o.Total,
			Lines: []Line{{ID: line.ID, Position: line.Position, VariantID: line.VariantID, SKU: line.SKU, Title: line.Title, Quantity: req.Quantity}}}
		if o.Promise != nil {
			in.PromiseLatest = o.Promise.Latest
		}
		offers, err := candidates(ctx, tx, []int64{line.VariantID})
		if err != nil {
			return err
		}
		var kept []Candidate
		var gone []Skip
		for _, c := range offers[line.VariantID] {
			if slices.Contains(excluded, c.SupplierID) {
				if !slices.ContainsFunc(gone, func(s Skip) bool { return s.SupplierID == c.SupplierID }) {
					gone = append(gone, Skip{SupplierID: c.SupplierID, SupplierName: c.SupplierName, Reason: "already rejected or timed out on this line"})
				}
				continue
			}
			kept = append(kept, c)
		}
		offers[line.VariantID] = kept
		if err := r.fill(ctx, tx, in, offers, heldUnits{}); err != nil {
			return err
		}
		rs, err := rules(ctx, tx)
		if err != nil {
			return err
		}
		st, err := settings(ctx, tx)
		if err != nil {
			return err
		}
		d = Decide(*in, rs, st)
		d.Lines[0].Skipped = append(gone, d.Lines[0].Skipped...)
		d.Lines[0].Why = lineWhy(d.Lines[0])
		err = r.reserveParts(ctx, tx, o.Number, ref, in.Lines[0], d.Lines[0].Parts)
		if errors.Is(err, inventory.ErrMoveShort) && attempt < maxAttempts {
			continue
		}
		if err != nil {
			return err
		}
		break
	}
	if err := r.store(ctx, tx, o.Number, trigger, &d); err != nil {
		return err
	}
	what := "rejected"
	if trigger == TriggerTimeout {
		what = "not answered in time"
	}
	why := fmt.Sprintf("%d units %s: %s", req.Quantity, what, d.Lines[0].Why)
	if req.Reason != "" {
		why += " (reason: " + req.Reason + ")"
	}
	detail := map[string]any{"trigger": trigger, "line": line.Position, "quantity": req.Quantity, "from_offer": req.FromOfferID, "decision": d}
	if len(d.Lines[0].Parts) > 0 {
		_, err := r.orders.RecordTx(ctx, tx, o.Number, line.ID, "rerouted", why, detail)
		return err
	}
	_, err = r.orders.UnitsBackTx(ctx, tx, o.Number, line.ID, req.Quantity, "reroute_failed", why, detail)
	return err
}

// reserveParts reserves the parts of a re-routed line and hands them to the sink.
func (r *Router) reserveParts(ctx context.Context, tx *sql.Tx, number int64, ref string, l Line, parts []Part) error {
	if len(parts) == 0 {
		return nil
	}
	var offers []int64
	for _, p := range parts {
		offers = append(offers, p.OfferID)
	}
	slices.Sort(offers)
	if err := r.inv.LockPositions(ctx, tx, slices.Compact(offers)); err != nil {
		return err
	}
	as := make([]Assignment, 0, len(parts))
	for _, p := range parts {
		if err := r.inv.ReserveOffer(ctx, tx, ref, l.VariantID, p.OfferID, p.Quantity); err != nil {
			return err
		}
		as = append(as, Assignment{OrderID: number, OrderLineID: l.ID, Position: l.Position, SupplierID: p.SupplierID, OfferID: p.OfferID,
			VariantID: l.VariantID, SKU: l.SKU, SupplierSKU: p.SupplierSKU, Title: l.Title, Quantity: p.Quantity, UnitCost: p.UnitCost})
	}
	return r.sink.AddTx(ctx, tx, as)
}

// excludedSuppliers lists the suppliers that may not take the units again:
// fromOffer's, and every supplier with a purchase order line of this order
// line that rejected or lost units (rejected or cancelled by timeout).
func excludedSuppliers(ctx context.Context, tx *sql.Tx, orderLineID, fromOffer int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT supplier_id FROM supplier_offers WHERE id = $1
		UNION SELECT supplier_id FROM purchase_order_lines WHERE order_line_id = $2 AND (qty_rejected > 0 OR qty_cancelled > 0)`,
		fromOffer, orderLineID)
	if err != nil {
		return nil, fmt.Errorf("suppliers that rejected line %d: %w", orderLineID, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("suppliers that rejected line %d: %w", orderLineID, err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// TestInput is an order to try the rules on without placing it: the shape
// of an intake body's lines, destination and channel.
type TestInput struct {
	Channel    string
	Currency   string
	Country    string
	Region     string
	PostalCode string
	Lines      []TestLine
}

// TestLine is one line of a TestInput. UnitPrice nil takes the catalog price.
type TestLine struct {
	SKU       string
	Quantity  int
	UnitPrice *money.Money
}

// Test decides how an order would be routed now, from the current rules,
// settings and stock, and writes nothing ("test this rule").
func (r *Router) Test(ctx context.Context, in TestInput) (Decision, error) {
	var fs apperr.Fields
	country := strings.ToUpper(strings.TrimSpace(in.Country))
	if _, _, problems := customers.CheckDestination(country, ""); slices.ContainsFunc(problems, func(p customers.Problem) bool { return p.Field == "country" }) {
		fs.Add("shipping_address.country", "%q is not an ISO 3166-1 alpha-2 country code", in.Country)
	}
	if len(in.Lines) == 0 || len(in.Lines) > 250 {
		fs.Add("lines", "1 to 250 lines")
	}
	skus := make([]string, len(in.Lines))
	for i, l := range in.Lines {
		sku, err := catalog.ParseSKU(l.SKU)
		if err != nil {
			fs.Add(fmt.Sprintf("lines[%d].sku", i), "%s", err)
		}
		skus[i] = string(sku)
		if l.Quantity < 1 || l.Quantity > 100000 {
			fs.Add(fmt.Sprintf("lines[%d].quantity", i), "must be between 1 and 100000")
		}
	}
	if err := fs.Err(); err != nil {
		return Decision{}, err
	}
	channel := strings.ToLower(strings.TrimSpace(in.Channel))
	if channel == "" {
		channel = "api"
	}
	o := &Order{Country: country, Region: in.Region, PostalCode: in.PostalCode, Channel: channel}
	q := r.db.R
	var variants []int64
	currency := strings.ToUpper(in.Currency)
	for i, l := range in.Lines {
		var id, price int64
		var title, cur string
		err := q.QueryRowContext(ctx, `SELECT v.id, CASE WHEN v.title = '' THEN p.title ELSE p.title || ' – ' || v.title END, v.price_amount, v.price_currency
			FROM variants v JOIN products p ON p.id = v.product_id WHERE v.sku = $1`, skus[i]).Scan(&id, &title, &price, &cur)
		if errors.Is(err, sql.ErrNoRows) {
			fs.Add(fmt.Sprintf("lines[%d].sku", i), "SKU %q not found", skus[i])
			continue
		}
		if err != nil {
			return Decision{}, fmt.Errorf("test routing: %w", err)
		}
		if l.UnitPrice != nil {
			price, cur = l.UnitPrice.Amount, l.UnitPrice.Currency
		}
		if currency == "" {
			currency = cur
		}
		o.Total.Amount += price * int64(l.Quantity)
		o.Lines = append(o.Lines, Line{ID: int64(i + 1), Position: i + 1, VariantID: id, SKU: skus[i], Title: title, Quantity: l.Quantity})
		if !slices.Contains(variants, id) {
			variants = append(variants, id)
		}
	}
	if err := fs.Err(); err != nil {
		return Decision{}, err
	}
	o.Total.Currency = currency
	offers, err := candidates(ctx, q, variants)
	if err != nil {
		return Decision{}, err
	}
	if err := r.fill(ctx, q, o, offers, heldUnits{}); err != nil {
		return Decision{}, err
	}
	rs, err := rules(ctx, q)
	if err != nil {
		return Decision{}, err
	}
	st, err := settings(ctx, q)
	if err != nil {
		return Decision{}, err
	}
	return Decide(*o, rs, st), nil
}

// Rules returns the rules and settings service the router reads.
func (r *Router) Rules() *Service { return r.rules }
