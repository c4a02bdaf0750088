package routing_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// testSink records the assignments it is given (the purchasing service is
// the real sink). It writes nothing, so it works on both engines.
type testSink struct {
	mu  sync.Mutex
	got []routing.Assignment
	// fail, when set, makes AddTx fail (to check the transaction rolls back).
	fail error
}

func (s *testSink) AddTx(_ context.Context, _ *sql.Tx, as []routing.Assignment) error {
	if s.fail != nil {
		return s.fail
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, as...)
	return nil
}

func (s *testSink) all() []routing.Assignment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]routing.Assignment(nil), s.got...)
}

// world is a store with three suppliers: A (the fixture's), B and C.
type world struct {
	*orderstest.Fixture
	t      *testing.T
	ctx    context.Context
	rules  *routing.Service
	sink   *testSink
	router *routing.Router
	sup    map[string]int64
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	f := orderstest.New(t, db, orders.Options{})
	w := &world{Fixture: f, t: t, ctx: context.Background(), sink: &testSink{}, sup: map[string]int64{"A": f.Supplier}}
	if _, err := db.W.Exec(`UPDATE suppliers SET name = 'Supplier A' WHERE id = $1`, f.Supplier); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"B", "C"} {
		w.sup[n] = w.insert(`INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
			VALUES ($1, 'Europe/Rome', 'IT', 'active', $2, $2)`, "Supplier "+n, orderstest.T0)
	}
	w.rules = routing.NewService(db, f.Clock.Now)
	w.router = routing.NewRouter(db, w.rules, f.Orders, f.Inventory, w.sink, nil, f.Clock.Now)
	return w
}

func (w *world) insert(q string, args ...any) int64 {
	w.t.Helper()
	var id int64
	if err := w.DB.W.QueryRowContext(w.ctx, q+" RETURNING id", args...).Scan(&id); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
	return id
}

// offer adds an offer of supplier name for s at cost (minor units) with stock, priority prio.
func (w *world) offer(s orderstest.SKU, name string, cost int64, stock, prio int) orderstest.SKU {
	w.t.Helper()
	id := w.insert(`INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency, lead_time_days,
		min_order_qty, priority, status, created_at, updated_at) VALUES ($1, $2, $3, $4, 'EUR', 2, 1, $5, 'active', $6, $6)`,
		w.sup[name], s.Variant, name+"-"+s.SKU, cost, prio, orderstest.T0)
	o := orderstest.SKU{SKU: s.SKU, Variant: s.Variant, Offer: id}
	if stock > 0 {
		w.Report(o, stock)
	}
	return o
}

func (w *world) place(skuQty ...any) *orders.Order {
	w.t.Helper()
	p, err := w.Orders.Place(w.ctx, orderstest.Input(fmt.Sprintf("c%d@example.com", len(skuQty)), skuQty...))
	if err != nil {
		w.t.Fatalf("place: %v", err)
	}
	return p.Order
}

func (w *world) held(number int64, pos int) map[int64]int {
	w.t.Helper()
	hs, err := w.Inventory.Reserved(w.ctx, w.DB.R, orders.LineRef(number, pos))
	if err != nil {
		w.t.Fatal(err)
	}
	m := map[int64]int{}
	for _, h := range hs {
		m[h.OfferID] = h.Quantity
	}
	return m
}

func (w *world) get(number int64) *orders.Order {
	w.t.Helper()
	o, err := w.Orders.Get(w.ctx, number)
	if err != nil {
		w.t.Fatal(err)
	}
	return o
}

func (w *world) timeline(number int64, event string) []orders.Entry {
	w.t.Helper()
	es, err := w.Orders.Timeline(w.ctx, number)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []orders.Entry
	for _, e := range es {
		if e.Event == event {
			out = append(out, e)
		}
	}
	return out
}

func TestRouteMovesReservationsAndSendsLines(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// A is first by priority (intake reserves there) but dearer: B wins on cost.
		x := w.AddSKU("ROUTE-X", 10) // A: cost 5.00, priority 1
		xb := w.offer(x, "B", 300, 10, 2)
		y := w.AddSKU("ROUTE-Y", 10)
		w.offer(y, "B", 300, 10, 2)
		o := w.place("ROUTE-X", 2, "ROUTE-Y", 1)
		if o.State != orders.ReadyToRoute || w.held(o.Number, 1)[x.Offer] != 2 {
			t.Fatalf("placed %s held %v", o.State, w.held(o.Number, 1))
		}
		d, err := w.router.Route(w.ctx, o.Number, routing.TriggerConfirmed)
		if err != nil {
			t.Fatal(err)
		}
		if d == nil || d.Suppliers != 1 || d.Split || d.LandedCost.Amount != 900 {
			t.Fatalf("decision %+v", d)
		}
		if h := w.held(o.Number, 1); h[xb.Offer] != 2 || h[x.Offer] != 0 {
			t.Fatalf("line 1 reservation not moved: %v", h)
		}
		if w.ATS(x) != 18 {
			t.Fatalf("ATS %d after the move, want 18", w.ATS(x))
		}
		got := w.get(o.Number)
		if got.State != orders.SentToSupplier || got.Lines[0].State != orders.LineSentToSupplier || got.Lines[1].State != orders.LineSentToSupplier {
			t.Fatalf("order %s lines %s %s", got.State, got.Lines[0].State, got.Lines[1].State)
		}
		as := w.sink.all()
		if len(as) != 2 || as[0].SupplierID != w.sup["B"] || as[0].OfferID != xb.Offer || as[0].Quantity != 2 || as[0].UnitCost.Amount != 300 ||
			as[0].OrderID != o.Number || as[0].OrderLineID != got.Lines[0].ID || as[0].SupplierSKU != "B-ROUTE-X" {
			t.Fatalf("assignments %+v", as)
		}
		es := w.timeline(o.Number, "routed")
		if len(es) != 1 || !strings.Contains(es[0].Reason, "line 1 → Supplier B: Supplier A landed cost +4.00 EUR") || es[0].ToState != string(orders.SentToSupplier) {
			t.Fatalf("timeline %+v", es)
		}
		ds, err := w.rules.Decisions(w.ctx, o.Number)
		if err != nil || len(ds) != 1 || ds[0].Trigger != routing.TriggerConfirmed || len(ds[0].Decision.Lines) != 2 || ds[0].Actor != "system:routing" {
			t.Fatalf("decisions %+v %v", ds, err)
		}
		// Idempotent: nothing left to route.
		if d, err := w.router.Route(w.ctx, o.Number, routing.TriggerManual); err != nil || d != nil {
			t.Fatalf("second route: %+v %v", d, err)
		}
		if len(w.sink.all()) != 2 || len(w.timeline(o.Number, "routed")) != 1 {
			t.Fatal("routed twice")
		}
	})
}

func TestRouteRulesAndHolds(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		x := w.AddSKU("RULE-X", 10)
		w.offer(x, "B", 300, 10, 2)
		// A rule for Italy that only uses A: A wins although dearer.
		r, err := w.rules.CreateRule(w.ctx, routing.RuleInput{Name: "italy via A", Strategy: routing.Priority,
			Conditions: routing.Conditions{Countries: []string{"IT"}}, Suppliers: []int64{w.sup["A"]}, OnlyListed: true})
		if err != nil {
			t.Fatal(err)
		}
		o := w.place("RULE-X", 1)
		d, err := w.router.Route(w.ctx, o.Number, routing.TriggerConfirmed)
		if err != nil || d.RuleID != r.ID || d.Lines[0].Parts[0].SupplierID != w.sup["A"] {
			t.Fatalf("decision %+v %v", d, err)
		}
		if !strings.Contains(d.Lines[0].Why, "Supplier B is not in rule “italy via A”'s list") {
			t.Fatalf("why %q", d.Lines[0].Why)
		}
		// An order on hold is not routed.
		o2 := w.place("RULE-X", 1)
		held, err := w.Orders.Hold(w.ctx, o2.Number, "check")
		if err != nil {
			t.Fatal(err)
		}
		if d, err := w.router.Route(w.ctx, o2.Number, routing.TriggerManual); err != nil || d != nil {
			t.Fatalf("routed an order on hold: %+v %v", d, err)
		}
		// An order with a line waiting for stock is not routed yet.
		z := w.AddSKU("RULE-Z", 0)
		w.Policy(z, inventory.PolicyInput{BackorderLimit: 5})
		o3 := w.place("RULE-X", 1, "RULE-Z", 1)
		if o3.State != orders.AwaitingStock {
			t.Fatalf("placed %s", o3.State)
		}
		if d, err := w.router.Route(w.ctx, o3.Number, routing.TriggerManual); err != nil || d != nil {
			t.Fatalf("routed an order awaiting stock: %+v %v", d, err)
		}
		// A supplier failing to take the assignments rolls everything back.
		if _, err := w.Orders.ReleaseHold(w.ctx, o2.Number, held.Holds[len(held.Holds)-1].ID, "checked"); err != nil {
			t.Fatal(err)
		}
		w.sink.fail = fmt.Errorf("purchasing is down")
		if _, err := w.router.Route(w.ctx, o2.Number, routing.TriggerManual); err == nil {
			t.Fatal("want the sink's error")
		}
		if got := w.get(o2.Number); got.Lines[0].State != orders.LineAllocated || len(w.timeline(o2.Number, "routed")) != 0 {
			t.Fatalf("after a failed sink: %s", got.Lines[0].State)
		}
		w.sink.fail = nil
		if d, err := w.router.Route(w.ctx, o2.Number, routing.TriggerManual); err != nil || d == nil {
			t.Fatalf("route after the sink recovered: %v", err)
		}
	})
}

func TestRouteSplitsOnlyWhenNeeded(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		x := w.AddSKU("SPLIT-X", 5) // only A
		y := w.AddSKU("SPLIT-Y", 0)
		if _, err := db.W.Exec(`UPDATE supplier_offers SET status = 'inactive' WHERE id = $1`, y.Offer); err != nil {
			t.Fatal(err)
		}
		yc := w.offer(y, "C", 200, 5, 2) // only C
		o := w.place("SPLIT-X", 1, "SPLIT-Y", 2)
		d, err := w.router.Route(w.ctx, o.Number, routing.TriggerConfirmed)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Split || d.Suppliers != 2 || d.Lines[0].Parts[0].OfferID != x.Offer || d.Lines[1].Parts[0].OfferID != yc.Offer {
			t.Fatalf("decision %+v", d)
		}
		if got := w.get(o.Number); got.State != orders.SentToSupplier {
			t.Fatalf("state %s", got.State)
		}
		// MaxParts 1: the same order cannot be split; nothing routable whole,
		// so one supplier takes what it can and the rest waits, explained.
		if _, err := w.rules.SetSettings(w.ctx, routing.Settings{DefaultStrategy: routing.LowestCost, MaxParts: 1}); err != nil {
			t.Fatal(err)
		}
		o2 := w.place("SPLIT-X", 1, "SPLIT-Y", 1)
		d, err = w.router.Route(w.ctx, o2.Number, routing.TriggerConfirmed)
		if err != nil {
			t.Fatal(err)
		}
		if d.Suppliers != 1 || d.Unrouted != 1 {
			t.Fatalf("decision with MaxParts 1: %+v", d)
		}
		got := w.get(o2.Number)
		sent := 0
		for _, l := range got.Lines {
			if l.State == orders.LineSentToSupplier {
				sent++
			}
		}
		if sent != 1 {
			t.Fatalf("lines %+v", got.Lines)
		}
	})
}

func TestRouteConcurrentlyRoutesOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		x := w.AddSKU("RACE-X", 50)
		w.offer(x, "B", 300, 50, 2)
		var numbers []int64
		for range 5 {
			numbers = append(numbers, w.place("RACE-X", 2).Number)
		}
		// Two routers (two instances) over the same database and sink.
		other := routing.NewRouter(db, routing.NewService(db, w.Clock.Now), w.Orders, w.Inventory, w.sink, nil, w.Clock.Now)
		var wg sync.WaitGroup
		errs := make(chan error, 2*len(numbers))
		for _, r := range []*routing.Router{w.router, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, n := range numbers {
					if _, err := r.Route(w.ctx, n, routing.TriggerConfirmed); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		per := map[int64]int{}
		for _, a := range w.sink.all() {
			per[a.OrderID] += a.Quantity
		}
		for _, n := range numbers {
			if per[n] != 2 || len(w.timeline(n, "routed")) != 1 {
				t.Fatalf("order %d: %d units assigned, %d routed entries", n, per[n], len(w.timeline(n, "routed")))
			}
			ds, _ := w.rules.Decisions(w.ctx, n)
			if len(ds) != 1 {
				t.Fatalf("order %d: %d decisions", n, len(ds))
			}
		}
		if w.ATS(x) != 90 {
			t.Fatalf("ATS %d, want 90", w.ATS(x))
		}
	})
}

func TestReroute(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		x := w.AddSKU("RR-X", 10)
		xb := w.offer(x, "B", 300, 10, 2)
		xc := w.offer(x, "C", 400, 1, 3)
		o := w.place("RR-X", 2)
		if _, err := w.router.Route(w.ctx, o.Number, routing.TriggerConfirmed); err != nil {
			t.Fatal(err)
		}
		lineID := w.get(o.Number).Lines[0].ID
		// B (the cheapest) rejects both units: C has only 1, A has 10.
		reroute := func(from int64, qty int, trigger string) {
			t.Helper()
			err := db.InTx(w.ctx, func(tx *sql.Tx) error {
				return w.router.RerouteTx(w.ctx, tx, routing.RerouteRequest{OrderID: o.Number, OrderLineID: lineID, FromOfferID: from,
					Quantity: qty, Trigger: trigger, Reason: "out of stock"})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		reroute(xb.Offer, 2, routing.TriggerRejected)
		if h := w.held(o.Number, 1); h[x.Offer] != 2 || h[xb.Offer] != 0 {
			t.Fatalf("after reroute: %v", h)
		}
		as := w.sink.all()
		if last := as[len(as)-1]; last.OfferID != x.Offer || last.Quantity != 2 {
			t.Fatalf("assignments %+v", as)
		}
		es := w.timeline(o.Number, "rerouted")
		if len(es) != 1 || !strings.Contains(es[0].Reason, "2 units rejected: line 1 → Supplier A: Supplier B already rejected") ||
			!strings.Contains(es[0].Reason, "Supplier C has 1 available") {
			t.Fatalf("timeline %+v", es)
		}
		if got := w.get(o.Number); got.Lines[0].State != orders.LineSentToSupplier {
			t.Fatalf("line %s", got.Lines[0].State)
		}
		// Purchasing records B's rejection on its PO line (the test sink
		// writes none, so the test does): B stays out from now on.
		po := w.insert(`INSERT INTO purchase_orders (supplier_id, state, channel, currency, send_after, created_at, updated_at)
			VALUES ($1, 'sent', 'console', 'EUR', $2, $2, $2)`, w.sup["B"], orderstest.T0)
		w.insert(`INSERT INTO purchase_order_lines (purchase_order_id, supplier_id, order_id, order_line_id, offer_id, variant_id, sku,
			supplier_sku, title, state, quantity, qty_rejected, unit_cost_amount, cost_currency, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'RR-X', 'B-RR-X', 'x', 'rejected', 2, 2, 300, 'EUR', $7, $7)`,
			po, w.sup["B"], o.Number, lineID, xb.Offer, x.Variant, orderstest.T0)
		// A times out on 1 unit: B rejected before, so C takes it.
		reroute(x.Offer, 1, routing.TriggerTimeout)
		if h := w.held(o.Number, 1); h[x.Offer] != 1 || h[xc.Offer] != 1 || h[xb.Offer] != 0 {
			t.Fatalf("after timeout: %v", h)
		}
		// C rejects its unit: B is out and A has no stock left: the unit is short.
		if _, err := db.W.Exec(`UPDATE stock_positions SET reported = reserved + buffer WHERE offer_id = $1`, x.Offer); err != nil {
			t.Fatal(err)
		}
		reroute(xc.Offer, 1, routing.TriggerRejected)
		got := w.get(o.Number)
		if got.Lines[0].Short != 1 || got.Lines[0].Reserved != 1 || got.Lines[0].State != orders.LineShort || got.State != orders.AwaitingStock {
			t.Fatalf("after a failed reroute: %+v state %s", got.Lines[0], got.State)
		}
		if es := w.timeline(o.Number, "reroute_failed"); len(es) != 1 || !strings.Contains(es[0].Reason, "not routed") {
			t.Fatalf("timeline %+v", es)
		}
		ds, _ := w.rules.Decisions(w.ctx, o.Number)
		if len(ds) != 4 || ds[3].Trigger != routing.TriggerRejected || ds[2].Trigger != routing.TriggerTimeout {
			t.Fatalf("decisions %d", len(ds))
		}
	})
}

func TestRerouteBackordersWhenPolicyAllows(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		x := w.AddSKU("BO-X", 3)
		w.Policy(x, inventory.PolicyInput{BackorderLimit: 10})
		o := w.place("BO-X", 2)
		if _, err := w.router.Route(w.ctx, o.Number, routing.TriggerConfirmed); err != nil {
			t.Fatal(err)
		}
		lineID := w.get(o.Number).Lines[0].ID
		err := db.InTx(w.ctx, func(tx *sql.Tx) error {
			return w.router.RerouteTx(w.ctx, tx, routing.RerouteRequest{OrderID: o.Number, OrderLineID: lineID, FromOfferID: x.Offer,
				Quantity: 2, Trigger: routing.TriggerRejected})
		})
		if err != nil {
			t.Fatal(err)
		}
		got := w.get(o.Number)
		if got.Lines[0].Backordered != 2 || got.Lines[0].Reserved != 0 || got.Lines[0].State != orders.LineBackordered || got.State != orders.AwaitingStock {
			t.Fatalf("line %+v order %s", got.Lines[0], got.State)
		}
		if w.ATS(x) != 3 {
			t.Fatalf("ATS %d: the rejected units' reservation was not released", w.ATS(x))
		}
	})
}
