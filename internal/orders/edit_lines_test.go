package orders_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func eur(a int64) money.Money { return money.Money{Amount: a, Currency: "EUR"} }

// events returns the order events enqueued for an order, oldest first.
func events(t *testing.T, db *store.DB, number int64) []orders.Event {
	t.Helper()
	args := "args::text" // SQLite stores the args as JSONB: json() reads it back as text
	if db.Engine == store.SQLite {
		args = "json(args)"
	}
	rows, err := db.R.QueryContext(ctx, `SELECT `+args+` FROM river_job WHERE kind = 'order_event' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []orders.Event
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var a orders.EventArgs
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			t.Fatal(err)
		}
		if a.Order == number {
			out = append(out, a.Event)
		}
	}
	return out
}

func payments(t *testing.T, f *orderstest.Fixture, number int64) (charged, refunded int64) {
	t.Helper()
	ps, err := f.Orders.Payments(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Kind == "charge" {
			charged += p.Amount.Amount
		} else {
			refunded += p.Amount.Amount
		}
	}
	return charged, refunded
}

func lastEntry(t *testing.T, f *orderstest.Fixture, number int64) orders.Entry {
	t.Helper()
	tl, err := f.Orders.Timeline(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	return tl[len(tl)-1]
}

func TestEditQuantityDownRefundsAndFillsWaitingLines(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		mug := f.AddSKU("MUG-1", 3)
		f.Policy(mug, inventory.PolicyInput{BackorderLimit: 10})
		in := orderstest.Input("a@example.com", "MUG-1", 3)
		in.Lines[0].Discount = eur(100) // 29.00 over 3 units: 9.67, 9.67, 9.66
		a := place(t, f, in)
		b := place(t, f, orderstest.Input("b@example.com", "MUG-1", 2)) // waits for 2
		if b.Lines[0].Backordered != 2 {
			t.Fatalf("second order %+v", b.Lines[0])
		}
		sctx := auth.WithPrincipal(ctx, auth.System("test-staff"))
		r, err := f.Orders.EditQuantity(sctx, a.Number, 1, 1, "customer wants one only")
		if err != nil {
			t.Fatal(err)
		}
		if r.Refund != eur(966+967) || r.Charge != eur(0) || r.Net != eur(-(966+967)) {
			t.Errorf("refund %v charge %v net %v, want 19.33 back", r.Refund, r.Charge, r.Net)
		}
		l := r.Order.Lines[0]
		if l.Quantity != 3 || l.Cancelled != 2 || l.Reserved != 1 || l.State != orders.LineAllocated || r.Order.Total != eur(967) {
			t.Errorf("line %+v, total %v", l, r.Order.Total)
		}
		e := lastEntry(t, f, a.Number)
		if e.Event != "quantity_changed" || e.Actor != "system:test-staff" || e.Reason != "customer wants one only" || e.LineID != l.ID {
			t.Errorf("timeline entry %+v", e)
		}
		if ev := events(t, db, a.Number); !slices.Contains(ev, orders.EventEdited) {
			t.Errorf("events %v, want order.edited", ev)
		}
		// The 2 freed units went to the waiting order.
		gb, _ := f.Orders.Get(ctx, b.Number)
		if gb.Lines[0].Reserved != 2 || gb.State != orders.ReadyToRoute {
			t.Errorf("waiting order after the edit: %+v %s", gb.Lines[0], gb.State)
		}
		if _, refunded := payments(t, f, a.Number); refunded != 966+967 {
			t.Errorf("refunds recorded %d", refunded)
		}
		// The same quantity again changes nothing.
		r, err = f.Orders.EditQuantity(sctx, a.Number, 1, 1, "again")
		if err != nil || r.Net != eur(0) || lastEntry(t, f, a.Number).ID != e.ID {
			t.Errorf("no-op edit: %+v %v", r, err)
		}
	})
}

func TestEditQuantityUpChargesAndTakesStockLikePlace(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		mug := f.AddSKU("MUG-1", 4)
		f.Policy(mug, inventory.PolicyInput{BackorderLimit: 3})
		in := orderstest.Input("a@example.com", "MUG-1", 2)
		in.Lines[0].Discount = eur(200)
		in.Lines[0].Tax = eur(360) // 20% of 18.00
		o := place(t, f, in)
		if o.Total != eur(2000-200+360) {
			t.Fatalf("placed total %v", o.Total)
		}
		// +4: 2 reserved (ATS 2), 2 backordered (limit 3). Tax of the added
		// units: 360 × 4000 / 1800 = 800.
		r, err := f.Orders.EditQuantity(ctx, o.Number, 1, 6, "bigger order")
		if err != nil {
			t.Fatal(err)
		}
		l := r.Order.Lines[0]
		if l.Quantity != 6 || l.Reserved != 4 || l.Backordered != 2 || l.State != orders.LineBackordered {
			t.Errorf("line %+v", l)
		}
		if r.Charge != eur(4000+800) || l.Tax != eur(1160) || l.Total != eur(6000-200+1160) {
			t.Errorf("charge %v, line tax %v total %v", r.Charge, l.Tax, l.Total)
		}
		if r.Order.State != orders.AwaitingStock || r.Order.Charged != eur(2160+4800) || r.Order.Total != r.Order.Charged {
			t.Errorf("order %s charged %v total %v", r.Order.State, r.Order.Charged, r.Order.Total)
		}
		if r.Order.Subtotal != eur(6000) || r.Order.Tax != eur(1160) || r.Order.Discount != eur(200) {
			t.Errorf("order amounts %v %v %v", r.Order.Subtotal, r.Order.Tax, r.Order.Discount)
		}
		if f.ATS(mug) != 0 {
			t.Errorf("ATS %d", f.ATS(mug))
		}
		e := lastEntry(t, f, o.Number)
		var d map[string]any
		json.Unmarshal([]byte(e.Detail), &d)
		if e.FromState != "ready_to_route" || e.ToState != "awaiting_stock" || d["line_from"] != "allocated" || d["line_to"] != "backordered" {
			t.Errorf("entry %+v", e)
		}
		if ev := events(t, db, o.Number); !slices.Contains(ev, orders.EventEdited) || !slices.Contains(ev, orders.EventBackordered) {
			t.Errorf("events %v", ev)
		}
		if charged, _ := payments(t, f, o.Number); charged != 4800 {
			t.Errorf("charges recorded %d", charged)
		}
		// Beyond the backorder limit (2 of 3 used): refused, nothing changes.
		_, err = f.Orders.EditQuantity(ctx, o.Number, 1, 8, "even bigger")
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.Unavailable || len(ae.Fields) != 1 || ae.Fields[0].Field != "quantity" {
			t.Fatalf("over the limit: %v", err)
		}
		g, _ := f.Orders.Get(ctx, o.Number)
		if g.Lines[0].Quantity != 6 || g.Charged != r.Order.Charged {
			t.Errorf("a refused edit changed the order: %+v", g.Lines[0])
		}
		p, _ := f.Inventory.Policy(ctx, "MUG-1")
		if p.Backordered != 2 {
			t.Errorf("pool %d after a refused edit, want 2", p.Backordered)
		}
	})
}

// TestRefundsAfterIncreaseSumToWhatWasCharged grows a discounted line,
// then cancels it in steps: every refund is what the refund arithmetic says
// and together they are exactly the line's charges. It is the worked example
// of docs/orders.md ("Refunds, exactly"): change both together.
func TestRefundsAfterIncreaseSumToWhatWasCharged(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		f.AddSKU("MUG-1", 100)
		f.AddSKU("TEE-1", 100)
		in := orderstest.Input("a@example.com", "MUG-1", 3, "TEE-1", 1)
		in.Lines[0].Discount = eur(100) // line 1: 29.00
		in.Shipping = eur(495)
		o := place(t, f, in)
		if c, err := f.Orders.Cancel(ctx, o.Number, orders.CancelInput{Lines: []orders.LineQuantity{{Line: 1, Quantity: 1}}, Reason: "one broke"}); err != nil || c.Refund != eur(966) {
			t.Fatalf("cancel one mug: refund %v, want 9.66: %v", c.Refund, err)
		}
		// Open: 2 units worth 19.34. +2 at 10.00: 39.34 over 4 units.
		r, err := f.Orders.EditQuantity(ctx, o.Number, 1, 4, "two more")
		if err != nil || r.Charge != eur(2000) {
			t.Fatalf("increase: %+v %v", r, err)
		}
		// 3934 over 4: 984, 984, 983, 983; taking 1 back refunds 983.
		r, err = f.Orders.EditQuantity(ctx, o.Number, 1, 3, "one less")
		if err != nil || r.Refund != eur(983) {
			t.Fatalf("decrease: refund %v, want 9.83: %v", r.Refund, err)
		}
		if c, err := f.Orders.Cancel(ctx, o.Number, orders.CancelInput{Reason: "all of it"}); err != nil || c.Refund != eur(2951+1000+495) {
			t.Fatalf("cancel the order: refund %v, want 44.46: %v", c.Refund, err)
		}
		g, _ := f.Orders.Get(ctx, o.Number)
		charged, refunded := payments(t, f, o.Number)
		placed := int64(2900 + 1000 + 495)
		if g.Total != eur(0) || g.State != orders.Cancelled || g.Charged != eur(placed+charged) || refunded != placed+charged || g.Refunded.Amount != refunded {
			t.Errorf("cancelled order: total %v charged %v refunded %v (payments: charged %d refunded %d)", g.Total, g.Charged, g.Refunded, charged, refunded)
		}
		if l := g.Lines[0]; l.Refunded != l.Total || l.Total != eur(2900+2000) {
			t.Errorf("line 1 refunded %v of %v", l.Refunded, l.Total)
		}
	})
}

func TestEditQuantityShortHoldsAndPreorders(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{ShortOrders: orders.HoldShort})
		f.AddSKU("MUG-1", 1)
		book := f.AddSKU("BOOK-1", 0)
		release := orderstest.T0.Add(72 * time.Hour)
		f.Policy(book, inventory.PolicyInput{PreorderReleaseAt: &release, PreorderCap: 3})
		o := place(t, f, orderstest.Input("a@example.com", "MUG-1", 1, "BOOK-1", 1))
		if o.State != orders.AwaitingStock {
			t.Fatalf("placed %s", o.State)
		}
		// MUG-1 has nothing left and no backorders: under HoldShort the unit is short, the order held.
		r, err := f.Orders.EditQuantity(ctx, o.Number, 1, 2, "one more mug")
		if err != nil {
			t.Fatal(err)
		}
		if l := r.Order.Lines[0]; l.Short != 1 || l.State != orders.LineShort || r.Order.State != orders.OnHold {
			t.Errorf("short: %+v %s", l, r.Order.State)
		}
		if hs := r.Order.OpenHolds(); len(hs) != 1 || hs[0].Reason != orders.HoldStock {
			t.Errorf("holds %+v", hs)
		}
		// BOOK-1 is a pre-order: 2 more slots fit the cap of 3, a third does not (short).
		r, err = f.Orders.EditQuantity(ctx, o.Number, 2, 3, "gifts")
		if err != nil || r.Order.Lines[1].Preordered != 3 {
			t.Fatalf("pre-order increase: %+v %v", r.Order.Lines[1], err)
		}
		r, err = f.Orders.EditQuantity(ctx, o.Number, 2, 4, "one more gift")
		if err != nil || r.Order.Lines[1].Preordered != 3 || r.Order.Lines[1].Short != 1 || r.Order.Lines[1].State != orders.LinePreordered {
			t.Fatalf("over the cap: %+v %v", r.Order.Lines[1], err)
		}
		// The release reserves what it can; the short unit stays short (pre-ordered → short is legal).
		f.Report(book, 5)
		f.Clock.Set(release)
		if _, err := f.Orders.ReleaseDuePreorders(ctx); err != nil {
			t.Fatal(err)
		}
		g, _ := f.Orders.Get(ctx, o.Number)
		if l := g.Lines[1]; l.Preordered != 0 || l.Reserved+l.Short != 4 {
			t.Errorf("after release %+v", l)
		}
	})
}

func TestSwapVariant(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		m, l := f.AddSKU("TEE-M", 5), f.AddSKU("TEE-L", 5)
		f.AddSKU("MUG-1", 5)
		in := orderstest.Input("a@example.com", "TEE-M", 2, "MUG-1", 1)
		in.Discount = eur(300) // 20.00 and 10.00: 200 and 100
		in.Lines[0].Tax = eur(360)
		o := place(t, f, in)
		if o.Lines[0].Total != eur(2000-200+360) {
			t.Fatalf("line 1 %v", o.Lines[0].Total)
		}
		r, err := f.Orders.SwapVariant(ctx, o.Number, 1, "tee-l", nil, "wrong size")
		if err != nil {
			t.Fatal(err)
		}
		if r.Refund != eur(2160) || r.Charge != eur(2160) || r.Net != eur(0) {
			t.Errorf("same-price swap: refund %v charge %v net %v", r.Refund, r.Charge, r.Net)
		}
		old, nl := r.Order.Lines[0], r.Order.Lines[2]
		if old.State != orders.LineCancelled || old.Cancelled != 2 || nl.Position != 3 || nl.SKU != "TEE-L" || nl.Quantity != 2 ||
			nl.Reserved != 2 || nl.Discount != eur(200) || nl.Tax != eur(360) {
			t.Errorf("old %+v new %+v", old, nl)
		}
		if f.ATS(m) != 5 || f.ATS(l) != 3 {
			t.Errorf("ATS M %d L %d", f.ATS(m), f.ATS(l))
		}
		e := lastEntry(t, f, o.Number)
		if e.Event != "variant_swapped" || e.LineID != old.ID || e.Reason != "wrong size" {
			t.Errorf("entry %+v", e)
		}
		// A dearer variant at a given price: the net is the difference.
		f.AddSKU("TEE-XL", 5)
		price := eur(1500)
		r, err = f.Orders.SwapVariant(ctx, o.Number, 3, "TEE-XL", &price, "XL after all")
		if err != nil {
			t.Fatal(err)
		}
		// New: 30.00 − 2.00 + tax 360 × 2800 / 1800 = 560.
		if r.Refund != eur(2160) || r.Charge != eur(3000-200+560) || r.Net != eur(1200) {
			t.Errorf("dearer swap: refund %v charge %v net %v", r.Refund, r.Charge, r.Net)
		}
		if r.Order.Total.Amount != r.Order.Charged.Amount-r.Order.Refunded.Amount || r.Order.Total != eur(3360+900) {
			t.Errorf("order total %v charged %v refunded %v", r.Order.Total, r.Order.Charged, r.Order.Refunded)
		}
		for _, c := range []struct {
			name, sku string
			pos       int
			code      apperr.Code
		}{
			{"same SKU", "TEE-XL", 4, apperr.Invalid},
			{"unknown SKU", "NOPE-1", 4, apperr.Invalid},
			{"cancelled line", "TEE-M", 1, apperr.Conflict},
			{"no such line", "TEE-M", 9, apperr.NotFound},
		} {
			if _, err := f.Orders.SwapVariant(ctx, o.Number, c.pos, c.sku, nil, "x"); !apperr.Is(err, c.code) {
				t.Errorf("%s: %v, want %s", c.name, err, c.code)
			}
		}
	})
}

func TestAddAndRemoveLines(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		mug := f.AddSKU("MUG-1", 5)
		f.AddSKU("TEE-1", 5)
		in := orderstest.Input("a@example.com", "MUG-1", 1)
		in.Shipping = eur(495)
		o := place(t, f, in)
		price := eur(1250)
		r, err := f.Orders.AddLine(ctx, o.Number, orders.LineInput{SKU: "tee-1", Quantity: 2, UnitPrice: &price, Tax: eur(500)}, "added by phone")
		if err != nil {
			t.Fatal(err)
		}
		if r.Charge != eur(3000) || len(r.Order.Lines) != 2 || r.Order.Lines[1].Reserved != 2 || r.Order.Total != eur(1000+495+3000) {
			t.Errorf("add: charge %v lines %+v total %v", r.Charge, r.Order.Lines, r.Order.Total)
		}
		if e := lastEntry(t, f, o.Number); e.Event != "line_added" || e.LineID != r.Order.Lines[1].ID {
			t.Errorf("entry %+v", e)
		}
		r, err = f.Orders.RemoveLine(ctx, o.Number, 1, "out of mugs")
		if err != nil {
			t.Fatal(err)
		}
		if r.Refund != eur(1000) || r.Order.Lines[0].State != orders.LineCancelled || r.Order.State != orders.ReadyToRoute || f.ATS(mug) != 5 {
			t.Errorf("remove: refund %v line %+v order %s", r.Refund, r.Order.Lines[0], r.Order.State)
		}
		if _, err := f.Orders.RemoveLine(ctx, o.Number, 2, "last"); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("removing the last open line: %v", err)
		}
		if _, err := f.Orders.AddLine(ctx, o.Number, orders.LineInput{SKU: "TEE-1", Quantity: 1, Discount: eur(5000)}, "x"); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("discount above value: %v", err)
		}
		if _, err := f.Orders.AddLine(ctx, o.Number, orders.LineInput{SKU: "TEE-1", Quantity: 1}, " "); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("no reason: %v", err)
		}
		// Sent to a supplier: no more edits.
		if _, err := f.Orders.SendToSupplier(ctx, o.Number, nil, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Orders.EditQuantity(ctx, o.Number, 2, 1, "late"); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("edit after send: %v", err)
		}
	})
}

// TestConcurrentIncreasesNeverOversell races quantity increases of many
// orders for the last units: exactly as many succeed as there is stock for.
func TestConcurrentIncreasesNeverOversell(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		s := f.AddSKU("LAST-1", 20)
		var numbers []int64
		for i := range 10 {
			numbers = append(numbers, place(t, f, orderstest.Input(fmt.Sprintf("c%d@example.com", i), "LAST-1", 1)).Number)
		}
		// 10 left; each order asks for 2 more: 5 can have them.
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, refused := 0, 0
		for _, n := range numbers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.Orders.EditQuantity(ctx, n, 1, 3, "two more")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case apperr.Is(err, apperr.Unavailable):
					refused++
				default:
					t.Errorf("edit %d: %v", n, err)
				}
			}()
		}
		wg.Wait()
		if ok != 5 || refused != 5 || f.ATS(s) != 0 {
			t.Errorf("%d increased, %d refused, ATS %d; want 5, 5, 0", ok, refused, f.ATS(s))
		}
		var reserved, rows int
		db.R.QueryRowContext(ctx, `SELECT reserved FROM stock_positions WHERE offer_id = $1`, s.Offer).Scan(&reserved)
		db.R.QueryRowContext(ctx, `SELECT COALESCE(SUM(quantity), 0) FROM stock_reservations WHERE offer_id = $1`, s.Offer).Scan(&rows)
		if reserved != 20 || rows != 20 {
			t.Errorf("reserved %d, reservation rows %d, want 20", reserved, rows)
		}
	})
}

// TestCrossingEditsComplete runs two edits at once whose freed stock fills
// each other's order (each locks its own order, then the other's): on
// PostgreSQL one of them may be chosen as a deadlock victim and is retried;
// both must complete, each waiting line filled once.
func TestCrossingEditsComplete(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		for round := range 5 {
			x, y := f.AddSKU(fmt.Sprintf("X-%d", round), 1), f.AddSKU(fmt.Sprintf("Y-%d", round), 1)
			f.Policy(x, inventory.PolicyInput{BackorderLimit: 5})
			f.Policy(y, inventory.PolicyInput{BackorderLimit: 5})
			a := place(t, f, orderstest.Input("a@example.com", x.SKU, 1))
			b := place(t, f, orderstest.Input("b@example.com", y.SKU, 1))
			// a: X reserved, Y waiting; b: Y reserved, X waiting.
			if _, err := f.Orders.AddLine(ctx, a.Number, orders.LineInput{SKU: y.SKU, Quantity: 1}, "y too"); err != nil {
				t.Fatal(err)
			}
			if _, err := f.Orders.AddLine(ctx, b.Number, orders.LineInput{SKU: x.SKU, Quantity: 1}, "x too"); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for _, n := range []int64{a.Number, b.Number} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := f.Orders.RemoveLine(ctx, n, 1, "not this one"); err != nil {
						t.Errorf("round %d: remove line 1 of %d: %v", round, n, err)
					}
				}()
			}
			wg.Wait()
			for _, n := range []int64{a.Number, b.Number} {
				o, err := f.Orders.Get(ctx, n)
				if err != nil {
					t.Fatal(err)
				}
				if l := o.Lines[1]; l.Reserved != 1 || l.Backordered != 0 || o.State != orders.ReadyToRoute {
					t.Errorf("round %d: order %d line 2 %+v, state %s: want its unit reserved", round, n, l, o.State)
				}
			}
		}
	})
}
