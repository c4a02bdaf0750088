package orders_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// addVariant adds a variant of of's product priced price (EUR minor units)
// with its own offer from the fixture's supplier and stock reported.
func addVariant(t *testing.T, f *orderstest.Fixture, of orderstest.SKU, sku string, price int64, stock int) orderstest.SKU {
	t.Helper()
	var v, o int64
	if err := f.DB.W.QueryRowContext(ctx, `INSERT INTO variants (product_id, sku, title, price_amount, price_currency, status, created_at, updated_at)
		SELECT product_id, $1, $1, $2, 'EUR', 'active', $3, $3 FROM variants WHERE id = $4 RETURNING id`, sku, price, orderstest.T0, of.Variant).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if err := f.DB.W.QueryRowContext(ctx, `INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency, lead_time_days,
		min_order_qty, priority, status, created_at, updated_at)
		VALUES ($1, $2, $3, 500, 'EUR', 3, 1, 1, 'active', $4, $4) RETURNING id`, f.Supplier, v, "SUP-"+sku, orderstest.T0).Scan(&o); err != nil {
		t.Fatal(err)
	}
	s := orderstest.SKU{SKU: sku, Variant: v, Offer: o}
	if stock > 0 {
		f.Report(s, stock)
	}
	return s
}

func backorderPool(t *testing.T, f *orderstest.Fixture, s orderstest.SKU) int {
	t.Helper()
	p, err := f.Inventory.Policy(ctx, s.SKU)
	if err != nil {
		t.Fatal(err)
	}
	return p.Backordered
}

func choose(t *testing.T, f *orderstest.Fixture, number int64, in orders.ChoiceInput) orders.ChoiceResult {
	t.Helper()
	r, err := f.Orders.Choose(ctx, number, in)
	if err != nil {
		t.Fatalf("choose %+v: %v", in, err)
	}
	return r
}

func lineChoices(t *testing.T, f *orderstest.Fixture, number int64) []orders.LineChoices {
	t.Helper()
	cs, err := f.Orders.Choices(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func detailOf(t *testing.T, e orders.Entry) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(e.Detail), &m); err != nil {
		t.Fatalf("detail %q: %v", e.Detail, err)
	}
	return m
}

func entriesOf(t *testing.T, f *orderstest.Fixture, number int64, event string) []orders.Entry {
	t.Helper()
	tl, err := f.Orders.Timeline(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	var out []orders.Entry
	for _, e := range tl {
		if e.Event == event {
			out = append(out, e)
		}
	}
	return out
}

func TestChooseWaitRecordsTheAcceptedDate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		mug := f.AddSKU("MUG-1", 0)
		f.Policy(mug, inventory.PolicyInput{BackorderLimit: 10})
		o := place(t, f, orderstest.Input("ana@example.com", "MUG-1", 2))
		l := o.Lines[0]
		if l.Backordered != 2 || l.ExpectedAt == nil {
			t.Fatalf("line %+v, want 2 backordered with a date", l)
		}
		cs := lineChoices(t, f, o.Number)
		if len(cs) != 1 || cs[0].Line != 1 || !slices.Equal(cs[0].Choices, []orders.Choice{orders.ChoiceWait, orders.ChoiceCancel}) ||
			cs[0].Waiting != 2 || cs[0].Answer != nil || cs[0].DueAt == nil || !cs[0].DueAt.Equal(orderstest.T0.Add(72*time.Hour)) {
			t.Fatalf("choices %+v", cs)
		}
		r := choose(t, f, o.Number, orders.ChoiceInput{Line: 1, Choice: orders.ChoiceWait})
		if r.Repeated || r.ExpectedAt == nil || !r.ExpectedAt.Equal(*l.ExpectedAt) || r.Order.Lines[0].Backordered != 2 {
			t.Errorf("wait: %+v", r)
		}
		e := lastEntry(t, f, o.Number)
		d := detailOf(t, e)
		if e.Event != "customer_choice" || e.Actor != "customer:ana@example.com" || e.LineID != l.ID || d["choice"] != "wait" || d["expected_at"] == nil {
			t.Errorf("entry %+v", e)
		}
		if ev := events(t, db, o.Number); ev[len(ev)-1] != orders.EventCustomerChoice {
			t.Errorf("events %v, want order.customer_choice last", ev)
		}
		// The same answer again (a second tab) changes nothing.
		r = choose(t, f, o.Number, orders.ChoiceInput{Line: 1, Choice: orders.ChoiceWait})
		if !r.Repeated || lastEntry(t, f, o.Number).ID != e.ID {
			t.Errorf("repeated wait: %+v", r)
		}
		cs = lineChoices(t, f, o.Number)
		if len(cs) != 1 || cs[0].Answer == nil || cs[0].Answer.Choice != orders.ChoiceWait || !cs[0].Answer.ExpectedAt.Equal(*l.ExpectedAt) {
			t.Errorf("choices after wait %+v", cs)
		}
		// Staff answering for the customer are the actor.
		sctx := auth.WithPrincipal(ctx, auth.System("support"))
		f.Clock.Set(orderstest.T0.Add(time.Hour))
		if err := db.InTx(sctx, func(tx *sql.Tx) error {
			_, err := f.Orders.MoveExpectedRestock(sctx, tx, mug.Variant, orderstest.T0.AddDate(0, 0, 9), "supplier is late")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		r, err := f.Orders.Choose(sctx, o.Number, orders.ChoiceInput{Line: 1, Choice: orders.ChoiceWait})
		if err != nil || r.Repeated || !r.ExpectedAt.Equal(orderstest.T0.AddDate(0, 0, 9)) {
			t.Fatalf("wait for the new date: %+v %v", r, err)
		}
		if e := lastEntry(t, f, o.Number); e.Actor != "system:support" || e.Event != "customer_choice" {
			t.Errorf("staff entry %+v", e)
		}
	})
}

// apologies is an ApologyFunc that records its calls and returns codes.
type apologies struct {
	mu    sync.Mutex
	calls []string
}

func (a *apologies) issue(ctx context.Context, tx *sql.Tx, order int64, currency, reason string) (string, error) {
	// The hook runs inside the cancellation's transaction: it sees the
	// line already cancelled.
	var cancelled int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_lines WHERE order_id = $1 AND state = 'cancelled'`, order).Scan(&cancelled); err != nil {
		return "", err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, fmt.Sprintf("%d %s %d", order, currency, cancelled))
	return fmt.Sprintf("SORRY-%d", len(a.calls)), nil
}

func TestChooseCancelRefundsReleasesAndApologises(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		var ap apologies
		f.Orders.SetApology(ap.issue)
		f.AddSKU("CUP-1", 5)
		mug := f.AddSKU("MUG-1", 1)
		f.Policy(mug, inventory.PolicyInput{BackorderLimit: 10})
		o := place(t, f, orderstest.Input("ana@example.com", "CUP-1", 1, "MUG-1", 3)) // mug: 1 reserved, 2 backordered
		w := place(t, f, orderstest.Input("bea@example.com", "MUG-1", 1))             // waits for the mug
		if l := o.Lines[1]; l.Reserved != 1 || l.Backordered != 2 || backorderPool(t, f, mug) != 3 || f.ATS(mug) != 0 {
			t.Fatalf("line %+v, pool %d", l, backorderPool(t, f, mug))
		}
		r := choose(t, f, o.Number, orders.ChoiceInput{Line: 2, Choice: orders.ChoiceCancel})
		l := r.Order.Lines[1]
		if r.Repeated || r.Refund != eur(3000) || r.Coupon != "SORRY-1" || l.State != orders.LineCancelled || l.Cancelled != 3 ||
			r.Order.State != orders.ReadyToRoute || r.Order.Total != eur(1000) {
			t.Fatalf("cancel: %+v line %+v", r, l)
		}
		if ap.calls[0] != fmt.Sprintf("%d EUR 1", o.Number) {
			t.Errorf("apology calls %v", ap.calls)
		}
		// Its 2 backorder slots are given back and its reserved unit went to
		// the waiting order (whose slot was given back as it got the unit).
		if gw, _ := f.Orders.Get(ctx, w.Number); gw.Lines[0].Reserved != 1 || gw.State != orders.ReadyToRoute {
			t.Errorf("waiting order %+v %s", gw.Lines[0], gw.State)
		}
		if backorderPool(t, f, mug) != 0 || f.ATS(mug) != 0 {
			t.Errorf("backorder pool %d, ATS %d: want 0 and 0", backorderPool(t, f, mug), f.ATS(mug))
		}
		if _, refunded := payments(t, f, o.Number); refunded != 3000 {
			t.Errorf("refunds recorded %d, want 30.00", refunded)
		}
		e := lastEntryOf(t, f, o.Number, "customer_choice")
		d := detailOf(t, e)
		if e.Actor != "customer:ana@example.com" || d["choice"] != "cancel" || d["coupon"] != "SORRY-1" || e.ToState != string(orders.ReadyToRoute) {
			t.Errorf("entry %+v", e)
		}
		ev := events(t, db, o.Number)
		// The customer's answer, and order.cancelled as for any cancellation
		// (notify turns only the answer into a notice).
		if !slices.Contains(ev, orders.EventCustomerChoice) || !slices.Contains(ev, orders.EventCancelled) || !slices.Contains(ev, orders.EventReady) {
			t.Errorf("events %v", ev)
		}
		// Again: nothing more is refunded, no second coupon.
		r = choose(t, f, o.Number, orders.ChoiceInput{Line: 2, Choice: orders.ChoiceCancel})
		if !r.Repeated || len(ap.calls) != 1 {
			t.Errorf("repeat: %+v, %d apologies", r, len(ap.calls))
		}
		if _, refunded := payments(t, f, o.Number); refunded != 3000 {
			t.Errorf("refunds after the repeat %d", refunded)
		}
		// Nothing to choose on the allocated line, nor wait on the cancelled one.
		for _, in := range []orders.ChoiceInput{{Line: 1, Choice: orders.ChoiceCancel}, {Line: 2, Choice: orders.ChoiceWait}} {
			if _, err := f.Orders.Choose(ctx, o.Number, in); !apperr.Is(err, apperr.Conflict) {
				t.Errorf("choose %+v: %v, want a conflict", in, err)
			}
		}
		if _, err := f.Orders.Choose(ctx, o.Number, orders.ChoiceInput{Line: 9, Choice: orders.ChoiceWait}); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("line 9: %v", err)
		}
		if _, err := f.Orders.Choose(ctx, o.Number, orders.ChoiceInput{Line: 1, Choice: "maybe"}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("choice maybe: %v", err)
		}
	})
}

func lastEntryOf(t *testing.T, f *orderstest.Fixture, number int64, event string) orders.Entry {
	t.Helper()
	es := entriesOf(t, f, number, event)
	if len(es) == 0 {
		t.Fatalf("order %d has no %s entry", number, event)
	}
	return es[len(es)-1]
}

func TestChooseSwapReservesAnInStockAlternative(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		m := f.AddSKU("TEE-M", 0)
		f.Policy(m, inventory.PolicyInput{BackorderLimit: 10})
		l := addVariant(t, f, m, "TEE-L", 1000, 5)
		addVariant(t, f, m, "TEE-S", 1000, 1)  // too few
		addVariant(t, f, m, "TEE-XL", 1200, 9) // dearer
		f.AddSKU("MUG-1", 9)                   // another product
		in := orderstest.Input("ana@example.com", "TEE-M", 2)
		in.Lines[0].Discount = eur(150) // 18.50 for two
		in.Shipping = eur(490)
		o := place(t, f, in)
		cs := lineChoices(t, f, o.Number)
		if len(cs) != 1 || !slices.Equal(cs[0].Choices, []orders.Choice{orders.ChoiceWait, orders.ChoiceSwap, orders.ChoiceCancel}) ||
			len(cs[0].Alternatives) != 1 || cs[0].Alternatives[0].SKU != "TEE-L" || cs[0].Alternatives[0].Available != 5 {
			t.Fatalf("choices %+v", cs)
		}
		for _, sku := range []string{"TEE-XL", "TEE-S", "MUG-1", "TEE-M"} {
			if _, err := f.Orders.Choose(ctx, o.Number, orders.ChoiceInput{Line: 1, Choice: orders.ChoiceSwap, SKU: sku}); err == nil {
				t.Errorf("swap to %s accepted", sku)
			}
		}
		r := choose(t, f, o.Number, orders.ChoiceInput{Line: 1, Choice: orders.ChoiceSwap, SKU: "tee-l"})
		if r.Repeated || r.SwapLine != 2 || r.Refund != eur(0) || r.Order.State != orders.ReadyToRoute {
			t.Fatalf("swap: %+v", r)
		}
		old, nl := r.Order.Lines[0], r.Order.Lines[1]
		if old.State != orders.LineCancelled || old.Backordered != 0 || nl.SKU != "TEE-L" || nl.Reserved != 2 || nl.Total != eur(1850) ||
			nl.UnitPrice != eur(1000) {
			t.Errorf("lines %+v / %+v", old, nl)
		}
		if r.Order.Total != o.Total || r.Order.Charged != o.Charged || f.ATS(l) != 3 || backorderPool(t, f, m) != 0 {
			t.Errorf("total %v charged %v (was %v), ATS of L %d, M's pool %d", r.Order.Total, r.Order.Charged, o.Total, f.ATS(l), backorderPool(t, f, m))
		}
		if ps, _ := f.Orders.Payments(ctx, o.Number); len(ps) != 0 {
			t.Errorf("payments %+v: a swap moves no money", ps)
		}
		e := lastEntryOf(t, f, o.Number, "customer_choice")
		if d := detailOf(t, e); d["choice"] != "swap" || d["to_sku"] != "TEE-L" || d["to_line"] != float64(2) {
			t.Errorf("entry %+v", e)
		}
		ev := events(t, db, o.Number)
		if !slices.Contains(ev, orders.EventCustomerChoice) || !slices.Contains(ev, orders.EventEdited) || !slices.Contains(ev, orders.EventReady) {
			t.Errorf("events %v", ev)
		}
		again := choose(t, f, o.Number, orders.ChoiceInput{Line: 1, Choice: orders.ChoiceSwap, SKU: "TEE-L"})
		if !again.Repeated || again.SwapLine != 2 || len(again.Order.Lines) != 2 || f.ATS(l) != 3 {
			t.Errorf("repeated swap %+v", again)
		}
		if cs := lineChoices(t, f, o.Number); len(cs) != 0 {
			t.Errorf("choices after the swap %+v", cs)
		}
	})
}

// Two tabs choosing at once: one applies, the other is a repeat (same
// choice) or finds the line closed (another choice); never twice.
func TestChooseConcurrently(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		m := f.AddSKU("TEE-M", 0)
		f.Policy(m, inventory.PolicyInput{BackorderLimit: 50})
		lg := addVariant(t, f, m, "TEE-L", 1000, 40)
		var ap apologies
		f.Orders.SetApology(ap.issue)
		for round, pair := range [][2]orders.ChoiceInput{
			{{Line: 1, Choice: orders.ChoiceCancel}, {Line: 1, Choice: orders.ChoiceCancel}},
			{{Line: 1, Choice: orders.ChoiceSwap, SKU: "TEE-L"}, {Line: 1, Choice: orders.ChoiceSwap, SKU: "TEE-L"}},
			{{Line: 1, Choice: orders.ChoiceSwap, SKU: "TEE-L"}, {Line: 1, Choice: orders.ChoiceCancel}},
		} {
			o := place(t, f, orderstest.Input(fmt.Sprintf("c%d@example.com", round), "TEE-M", 2))
			ats := f.ATS(lg)
			var wg sync.WaitGroup
			res := make([]orders.ChoiceResult, 2)
			errs := make([]error, 2)
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res[i], errs[i] = f.Orders.Choose(ctx, o.Number, pair[i])
				}()
			}
			wg.Wait()
			applied := 0
			for i := range 2 {
				switch {
				case errs[i] == nil && !res[i].Repeated:
					applied++
				case errs[i] == nil:
				case apperr.Is(errs[i], apperr.Conflict):
				default:
					t.Fatalf("round %d: %v", round, errs[i])
				}
			}
			g, _ := f.Orders.Get(ctx, o.Number)
			_, refunded := payments(t, f, o.Number)
			choices := entriesOf(t, f, o.Number, "customer_choice")
			if applied != 1 || len(choices) != 1 || g.Lines[0].State != orders.LineCancelled || len(g.Lines) > 2 {
				t.Fatalf("round %d: %d applied, %d entries, lines %+v (%v / %v)", round, applied, len(choices), g.Lines, errs, res)
			}
			swapped := len(g.Lines) == 2
			if swapped && (f.ATS(lg) != ats-2 || refunded != 0) || !swapped && (f.ATS(lg) != ats || refunded != 2000) {
				t.Errorf("round %d: swapped %v, ATS %d → %d, refunded %d", round, swapped, ats, f.ATS(lg), refunded)
			}
		}
		if backorderPool(t, f, m) != 0 {
			t.Errorf("backorder pool %d after every line was closed", backorderPool(t, f, m))
		}
	})
}

// A line that is allocated has nothing to choose until its order is at risk.
func TestChooseOnADelayedOrder(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		f.AddSKU("MUG-1", 5)
		o := place(t, f, orderstest.Input("ana@example.com", "MUG-1", 1))
		if cs := lineChoices(t, f, o.Number); len(cs) != 0 {
			t.Fatalf("choices of an order on time %+v", cs)
		}
		if _, err := f.Orders.Choose(ctx, o.Number, orders.ChoiceInput{Line: 1, Choice: orders.ChoiceWait}); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("wait on time: %v", err)
		}
		promise(t, db, o.Number, "2026-03-03", "2026-03-05", "2026-03-07")
		// Not sent by the ship-by day: the store's follow-up, not a delay
		// the customer is told about.
		if res := checkAtRisk(t, f, orderstest.T0.AddDate(0, 0, 2)); res.Flagged == 0 {
			t.Fatalf("not flagged: %+v", res)
		}
		if cs := lineChoices(t, f, o.Number); len(cs) != 0 {
			t.Fatalf("choices of an order not sent yet %+v", cs)
		}
		// The window has ended: late.
		if res := checkAtRisk(t, f, orderstest.T0.AddDate(0, 0, 6)); res.Flagged == 0 {
			t.Fatalf("not flagged late: %+v", res)
		}
		cs := lineChoices(t, f, o.Number)
		if len(cs) != 1 || !cs[0].Delayed || cs[0].DueAt != nil || !slices.Equal(cs[0].Choices, []orders.Choice{orders.ChoiceWait, orders.ChoiceCancel}) {
			t.Fatalf("choices of a delayed order %+v", cs)
		}
		r := choose(t, f, o.Number, orders.ChoiceInput{Line: 1, Choice: orders.ChoiceWait})
		if r.Repeated || r.ExpectedAt != nil {
			t.Errorf("wait %+v", r)
		}
		r = choose(t, f, o.Number, orders.ChoiceInput{Line: 1, Choice: orders.ChoiceCancel})
		if r.Order.State != orders.Cancelled || r.Refund != r.Order.Charged {
			t.Errorf("cancel %+v", r)
		}
	})
}
