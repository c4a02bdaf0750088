package orders_test

import (
	"fmt"
	"strings"
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

func cancelUnanswered(t *testing.T, f *orderstest.Fixture, at time.Time) orders.ConsentResult {
	t.Helper()
	f.Clock.Set(at)
	res, err := f.Orders.CancelUnanswered(ctx)
	if err != nil {
		t.Fatalf("CancelUnanswered at %s: %v", at, err)
	}
	return res
}

func TestConsentSettings(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		c, err := f.Orders.ConsentSettings(ctx)
		// A new store (no order when migrated) asks from its first order.
		if err != nil || c.DeadlineHours != orders.DefaultConsentHours || c.AskingSince != nil {
			t.Fatalf("default %+v %v", c, err)
		}
		for _, h := range []int{-1, orders.MaxConsentHours + 1} {
			if _, err := f.Orders.SetConsentDeadline(ctx, h); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("%d hours: %v", h, err)
			}
		}
		if c, err = f.Orders.SetConsentDeadline(ctx, 0); err != nil || c.DeadlineHours != 0 || c.AskingSince != nil {
			t.Fatalf("off: %+v %v", c, err)
		}
		f.Clock.Set(orderstest.T0.Add(time.Hour))
		if c, err = f.Orders.SetConsentDeadline(ctx, 48); err != nil || c.DeadlineHours != 48 || c.AskingSince == nil ||
			!c.AskingSince.Equal(orderstest.T0.Add(time.Hour)) {
			t.Fatalf("on again: %+v %v", c, err)
		}
		f.Clock.Set(orderstest.T0.Add(2 * time.Hour))
		if c, err = f.Orders.SetConsentDeadline(ctx, 24); err != nil || !c.AskingSince.Equal(orderstest.T0.Add(time.Hour)) {
			t.Fatalf("changed: %+v %v", c, err)
		}
	})
}

// The deadline with an injected clock: a backorder nobody answered is
// cancelled with its refund; one whose wait was accepted is kept.
func TestConsentDeadlineCancelsUnansweredBackorders(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		var ap apologies
		f.Orders.SetApology(ap.issue)
		f.AddSKU("CUP-1", 9)
		mug := f.AddSKU("MUG-1", 1)
		f.Policy(mug, inventory.PolicyInput{BackorderLimit: 20})
		in := orderstest.Input("ana@example.com", "CUP-1", 1, "MUG-1", 3) // mug: 1 reserved, 2 backordered
		in.Shipping = eur(500)
		silent := place(t, f, in)
		waits := place(t, f, orderstest.Input("bea@example.com", "MUG-1", 1))
		choose(t, f, waits.Number, orders.ChoiceInput{Line: 1, Choice: orders.ChoiceWait})
		// A line backordered later by an edit counts from the edit.
		f.Clock.Set(orderstest.T0.Add(10 * time.Hour))
		late := place(t, f, orderstest.Input("carla@example.com", "CUP-1", 1))
		sctx := auth.WithPrincipal(ctx, auth.System("support"))
		if _, err := f.Orders.AddLine(sctx, late.Number, orders.LineInput{SKU: "MUG-1", Quantity: 1}, "customer asked"); err != nil {
			t.Fatal(err)
		}

		if res := cancelUnanswered(t, f, orderstest.T0.Add(72*time.Hour-time.Second)); res.Lines != 0 {
			t.Fatalf("before the deadline: %+v", res)
		}
		res := cancelUnanswered(t, f, orderstest.T0.Add(72*time.Hour))
		if res.Lines != 1 || res.Units != 2 {
			t.Fatalf("at the deadline: %+v", res)
		}
		g, _ := f.Orders.Get(ctx, silent.Number)
		l := g.Lines[1]
		if l.Backordered != 0 || l.Reserved != 1 || l.Cancelled != 2 || l.State != orders.LineAllocated || g.State != orders.ReadyToRoute {
			t.Errorf("silent order after the deadline: %+v %s", l, g.State)
		}
		if _, refunded := payments(t, f, silent.Number); refunded != 2000 {
			t.Errorf("refunded %d, want 20.00", refunded)
		}
		e := lastEntryOf(t, f, silent.Number, "cancelled")
		d := detailOf(t, e)
		if e.Actor != orders.ConsentActor || !strings.Contains(e.Reason, "did not accept the wait") || d["coupon"] != "SORRY-1" ||
			e.LineID != l.ID {
			t.Errorf("entry %+v", e)
		}
		if ev := events(t, db, silent.Number); ev[len(ev)-2] != orders.EventCancelled {
			t.Errorf("events %v, want order.cancelled (then order.ready)", ev)
		}
		if gw, _ := f.Orders.Get(ctx, waits.Number); gw.Lines[0].Backordered != 1 {
			t.Errorf("the order whose customer waits was changed: %+v", gw.Lines[0])
		}
		if backorderPool(t, f, mug) != 2 {
			t.Errorf("backorder pool %d, want 2 (the waiting customer's and the late line's)", backorderPool(t, f, mug))
		}
		// Again: nothing more.
		if res := cancelUnanswered(t, f, orderstest.T0.Add(80*time.Hour)); res.Lines != 0 {
			t.Errorf("second run: %+v", res)
		}
		if _, refunded := payments(t, f, silent.Number); refunded != 2000 {
			t.Errorf("refunded %d after the second run", refunded)
		}
		// The edited line's deadline is 72 h after its edit.
		if res := cancelUnanswered(t, f, orderstest.T0.Add(82*time.Hour)); res.Lines != 1 {
			t.Errorf("the late line at its deadline: %+v", res)
		}
		if gl, _ := f.Orders.Get(ctx, late.Number); gl.Lines[1].State != orders.LineCancelled {
			t.Errorf("late line %+v", gl.Lines[1])
		}
		if gw, _ := f.Orders.Get(ctx, waits.Number); gw.Lines[0].Backordered != 1 {
			t.Errorf("the waiting customer's line %+v", gw.Lines[0])
		}
	})
}

// A backorder from before the store asked, or with the deadline off, stays.
func TestConsentDeadlineOnlyForCustomersAsked(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		mug := f.AddSKU("MUG-1", 0)
		f.Policy(mug, inventory.PolicyInput{BackorderLimit: 20})
		if _, err := f.Orders.SetConsentDeadline(ctx, 0); err != nil {
			t.Fatal(err)
		}
		before := place(t, f, orderstest.Input("ana@example.com", "MUG-1", 1))
		if res := cancelUnanswered(t, f, orderstest.T0.AddDate(0, 0, 30)); res.Lines != 0 {
			t.Fatalf("deadline off: %+v", res)
		}
		if cs := lineChoices(t, f, before.Number); len(cs) != 1 || cs[0].DueAt != nil {
			t.Fatalf("choices with the deadline off %+v", cs)
		}
		if _, err := f.Orders.SetConsentDeadline(ctx, 24); err != nil {
			t.Fatal(err)
		}
		after := place(t, f, orderstest.Input("bea@example.com", "MUG-1", 1))
		res := cancelUnanswered(t, f, orderstest.T0.AddDate(0, 0, 32))
		if res.Lines != 1 {
			t.Fatalf("run: %+v", res)
		}
		gb, _ := f.Orders.Get(ctx, before.Number)
		ga, _ := f.Orders.Get(ctx, after.Number)
		if gb.State != orders.AwaitingStock || ga.State != orders.Cancelled {
			t.Errorf("before %s, after %s", gb.State, ga.State)
		}
		// The whole order went: its shipping is refunded too.
		if _, refunded := payments(t, f, after.Number); refunded != ga.Charged.Amount {
			t.Errorf("refunded %d of %d", refunded, ga.Charged.Amount)
		}
	})
}

// A wait accepted for an earlier wait does not cover a new one.
func TestConsentAnswerIsPerWait(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		mug := f.AddSKU("MUG-1", 0)
		f.Policy(mug, inventory.PolicyInput{BackorderLimit: 20})
		o := place(t, f, orderstest.Input("ana@example.com", "MUG-1", 1))
		choose(t, f, o.Number, orders.ChoiceInput{Line: 1, Choice: orders.ChoiceWait})
		f.Clock.Set(orderstest.T0.Add(24 * time.Hour))
		f.Report(mug, 1) // restocked: the line is allocated
		sctx := auth.WithPrincipal(ctx, auth.System("support"))
		f.Clock.Set(orderstest.T0.Add(48 * time.Hour))
		if _, err := f.Orders.EditQuantity(sctx, o.Number, 1, 2, "customer wants two"); err != nil { // one more, backordered
			t.Fatal(err)
		}
		cs := lineChoices(t, f, o.Number)
		if len(cs) != 1 || cs[0].Answer != nil || !cs[0].DueAt.Equal(orderstest.T0.Add(120*time.Hour)) {
			t.Fatalf("choices of the new wait %+v", cs)
		}
		if res := cancelUnanswered(t, f, orderstest.T0.Add(119*time.Hour)); res.Lines != 0 {
			t.Fatalf("before: %+v", res)
		}
		if res := cancelUnanswered(t, f, orderstest.T0.Add(120*time.Hour)); res.Lines != 1 || res.Units != 1 {
			t.Fatalf("at the new deadline: %+v", res)
		}
		if g, _ := f.Orders.Get(ctx, o.Number); g.Lines[0].Reserved != 1 || g.Lines[0].Cancelled != 1 {
			t.Errorf("line %+v", g.Lines[0])
		}
	})
}

// Several instances running the deadline at once cancel each line once.
func TestConsentDeadlineConcurrentRuns(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		mug := f.AddSKU("MUG-1", 0)
		f.Policy(mug, inventory.PolicyInput{BackorderLimit: 50})
		var nums []int64
		for i := range 6 {
			nums = append(nums, place(t, f, orderstest.Input(fmt.Sprintf("c%d@example.com", i), "MUG-1", 2)).Number)
		}
		f.Clock.Set(orderstest.T0.Add(100 * time.Hour))
		var wg sync.WaitGroup
		res := make([]orders.ConsentResult, 3)
		errs := make([]error, 3)
		for i := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[i], errs[i] = f.Orders.CancelUnanswered(ctx)
			}()
		}
		wg.Wait()
		lines := 0
		for i := range 3 {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			lines += res[i].Lines
		}
		if lines != 6 {
			t.Errorf("%d lines cancelled over the runs, want 6: %+v", lines, res)
		}
		for _, n := range nums {
			if _, refunded := payments(t, f, n); refunded != 2000 {
				t.Errorf("order %d refunded %d", n, refunded)
			}
			if es := entriesOf(t, f, n, "cancelled"); len(es) != 1 {
				t.Errorf("order %d has %d cancelled entries", n, len(es))
			}
		}
		if backorderPool(t, f, mug) != 0 {
			t.Errorf("pool %d", backorderPool(t, f, mug))
		}
	})
}
