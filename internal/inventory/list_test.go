package inventory_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestListLowStock pages through the low-stock list with both of its plans
// (few low SKUs: from the ats index; many: walking SKUs) and checks both give
// exactly the SKUs whose ATS is at or below the threshold, in SKU order. Not
// parallel: it changes the package's plan limit.
func TestListLowStock(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		sup, paused := f.supplier("active"), f.supplier("active")
		atsOf := map[string]int{}
		for i := range 30 {
			sku := fmt.Sprintf("LOW-%02d", i)
			v := f.variant(sku)
			o := f.offer(sup, v, 1, "active")
			if i%4 != 0 { // every 4th SKU never reported
				f.report(o, (i*7)%13)
				atsOf[sku] = (i * 7) % 13
			}
			if i%5 == 0 { // stock at a paused supplier does not count
				f.report(f.offer(paused, v, 2, "active"), 50)
			}
		}
		if _, err := db.W.Exec(`UPDATE suppliers SET status = 'paused' WHERE id = $1`, paused); err != nil {
			t.Fatal(err)
		}
		for _, threshold := range []int{0, 5, 12} {
			var want []string
			for sku, n := range atsOf {
				if n <= threshold {
					want = append(want, sku)
				}
			}
			for i := range 30 {
				if i%4 == 0 {
					want = append(want, fmt.Sprintf("LOW-%02d", i))
				}
			}
			slices.Sort(want)
			for _, limit := range []int{0, 1000} {
				restore := inventory.SetLowStockSortLimit(limit)
				var got []string
				after := ""
				for {
					th := threshold
					page, more, err := f.svc.List(ctx, inventory.ListFilter{LowStock: true, Threshold: &th, AfterSKU: after, Limit: 4})
					if err != nil {
						t.Fatal(err)
					}
					for _, l := range page {
						if !l.LowStock || l.ATS > threshold || l.ATS != atsOf[l.SKU] {
							t.Errorf("threshold %d: line %+v", threshold, l)
						}
						got = append(got, l.SKU)
					}
					if !more {
						break
					}
					after = page[len(page)-1].SKU
				}
				restore()
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("threshold %d, plan limit %d (-want +got):\n%s", threshold, limit, diff)
				}
			}
		}
	})
}
