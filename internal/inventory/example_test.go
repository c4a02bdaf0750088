package inventory_test

import (
	"context"
	"testing"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestConceptsWorkedExample checks the worked example of docs/concepts.md, so
// the numbers there stay true.
func TestConceptsWorkedExample(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		v := f.variant("MUG-BLUE")
		lisboa, porto, shenzhen := f.supplier("active"), f.supplier("active"), f.supplier("active")
		ol, op, os := f.offer(lisboa, v, 1, "active"), f.offer(porto, v, 2, "active"), f.offer(shenzhen, v, 3, "active")
		if err := f.svc.SetSKUBuffer(ctx, "MUG-BLUE", inventory.Buffer{Units: 3}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetSupplierBuffer(ctx, lisboa, inventory.Buffer{Units: 2, Percent: 1250}); err != nil {
			t.Fatal(err)
		}
		f.report(ol, 40)
		f.report(op, 9)
		f.report(os, 100)
		if _, err := db.W.Exec(`UPDATE suppliers SET status = 'paused' WHERE id = $1`, shenzhen); err != nil {
			t.Fatal(err)
		}
		if _, err := f.reserve(inventory.Request{VariantID: v, Quantity: 6, Ref: "earlier-order"}); err != nil {
			t.Fatal(err)
		}
		st, err := f.svc.Stock(ctx, "MUG-BLUE")
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			buffer            int
			rule              inventory.BufferRule
			reserved, contrib int
		}
		want := []row{{5, inventory.RuleSupplierPct, 6, 29}, {3, inventory.RuleVariantUnits, 0, 6}, {3, inventory.RuleVariantUnits, 0, 0}}
		for i, o := range st.Offers {
			if got := (row{o.Buffer, o.BufferRule, o.Reserved, o.Contribution}); got != want[i] {
				t.Errorf("offer %d: %+v, want %+v", i, got, want[i])
			}
		}
		if st.ATS != 35 {
			t.Errorf("ATS = %d, want 35", st.ATS)
		}
		f.report(ol, 41)
		if st, _ := f.svc.Stock(ctx, "MUG-BLUE"); st.Offers[0].Buffer != 6 || st.Offers[0].Contribution != 29 {
			t.Errorf("after reporting 41: buffer %d, contribution %d; want 6, 29", st.Offers[0].Buffer, st.Offers[0].Contribution)
		}
		res, err := f.reserve(inventory.Request{VariantID: v, Quantity: 32, Ref: "order-32"})
		if err != nil {
			t.Fatal(err)
		}
		if a := res[0].Allocations; len(a) != 2 || a[0].Quantity != 29 || a[1].Quantity != 3 || f.ats(v) != 3 {
			t.Errorf("order for 32: allocations %+v, ATS %d; want 29 + 3, ATS 3", a, f.ats(v))
		}
	})
}
