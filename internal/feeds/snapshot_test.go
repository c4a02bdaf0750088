package feeds_test

import (
	"testing"

	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestSavedSnapshot: a run compares its file with the figures the last run
// saved; a manual adjustment stands until the supplier's own figure changes;
// adding an offer makes the next run read the tables again.
func TestSavedSnapshot(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 3, 10)
		run := f.apply("SUP-1,10,5.00,3,2026-05-01,", "SUP-2,20,6.00,4,,", "SUP-3,30,,,,")
		if run.Detail.Snapshot != "tables" || run.RowsChanged != 3 {
			t.Fatalf("first run %+v", run)
		}
		// Staff count 8 units of SUP-1; the supplier still says 10.
		if _, err := f.Inventory.Adjust(ctx, inventory.AdjustInput{OfferID: f.skus[0].Offer, Mode: "set", Quantity: intp(8),
			Reason: "two broken"}, "staff:1 ana"); err != nil {
			t.Fatal(err)
		}
		run = f.apply("SUP-1,10,5.00,3,2026-05-01,", "SUP-2,21,6.00,4,,", "SUP-3,30,,,,")
		if run.Detail.Snapshot != "saved" || run.RowsChanged != 1 || f.reported(f.skus[0]) != 8 || f.reported(f.skus[1]) != 21 {
			t.Fatalf("second run %+v; SUP-1 %d, SUP-2 %d", run, f.reported(f.skus[0]), f.reported(f.skus[1]))
		}
		// The supplier's figure moves: it is written.
		run = f.apply("SUP-1,12,5.00,3,2026-05-01,", "SUP-2,21,6.00,4,,", "SUP-3,30,,,,")
		if run.RowsChanged != 1 || f.reported(f.skus[0]) != 12 {
			t.Fatalf("third run %+v; SUP-1 %d", run, f.reported(f.skus[0]))
		}
		// A new offer: the tables are read again, and it is found.
		extra := f.AddSKU("FEED-4", 0)
		run = f.apply("SUP-1,12,5.00,3,2026-05-01,", "SUP-2,21,6.00,4,,", "SUP-3,30,,,,", "SUP-4,5,,,,")
		if run.Detail.Snapshot != "tables" || run.RowsUnknown != 0 || run.RowsChanged != 1 || f.reported(extra) != 5 {
			t.Fatalf("after a new offer: %+v", run)
		}
		run = f.apply("SUP-1,12,5.00,3,2026-05-01,", "SUP-2,21,6.00,4,,", "SUP-3,31,,,,", "SUP-4,5,,,,")
		if run.Detail.Snapshot != "saved" || run.RowsChanged != 1 || run.Status != feeds.StatusApplied {
			t.Fatalf("saved again: %+v", run)
		}
	})
}

func intp(n int) *int { return &n }
