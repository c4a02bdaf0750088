package orders_test

import (
	"testing"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestConceptsBackorderExample checks the backorder worked example of
// docs/concepts.md step by step; change both together.
func TestConceptsBackorderExample(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		mug := f.AddSKU("MUG-BLUE", 3)
		f.Policy(mug, inventory.PolicyInput{BackorderLimit: 5})
		pool := func() int {
			p, err := f.Inventory.Policy(ctx, "MUG-BLUE")
			if err != nil {
				t.Fatal(err)
			}
			return p.Backordered
		}
		line := func(n int64) orders.Line {
			o, err := f.Orders.Get(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			return o.Lines[0]
		}
		a := place(t, f, orderstest.Input("a@example.com", "MUG-BLUE", 7))
		if l := line(a.Number); l.Reserved != 3 || l.Backordered != 4 || f.ATS(mug) != 0 || pool() != 4 {
			t.Fatalf("order A: %+v ATS %d waiting %d", l, f.ATS(mug), pool())
		}
		if _, err := f.Orders.Place(ctx, orderstest.Input("b@example.com", "MUG-BLUE", 2)); !apperr.Is(err, apperr.Unavailable) {
			t.Fatalf("order B for 2: %v, want refused", err)
		}
		b := place(t, f, orderstest.Input("b@example.com", "MUG-BLUE", 1))
		if l := line(b.Number); l.Backordered != 1 || pool() != 5 {
			t.Fatalf("order B: %+v waiting %d", l, pool())
		}
		f.Report(mug, 3+4)
		if l := line(a.Number); l.Reserved != 7 || l.Backordered != 0 || f.ATS(mug) != 0 || pool() != 1 {
			t.Fatalf("after restock: A %+v ATS %d waiting %d", l, f.ATS(mug), pool())
		}
		if _, err := f.Orders.Cancel(ctx, a.Number, orders.CancelInput{Reason: "customer cancelled"}); err != nil {
			t.Fatal(err)
		}
		if l := line(b.Number); l.Reserved != 1 || f.ATS(mug) != 6 || pool() != 0 {
			t.Fatalf("after cancelling A: B %+v ATS %d waiting %d", l, f.ATS(mug), pool())
		}
	})
}
