package feeds_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestApplyWritesOnlyChanges(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 12, 10)
		before := f.count(`SELECT COUNT(*) FROM stock_adjustments`)
		// Three of twelve SKUs change; SUP-3 only its lead time.
		lines := f.full(func(i int) string { return "10" })
		lines[0] = "SUP-1,14,5.00,3,,"
		lines[1] = "SUP-2,7,5.00,3,,"
		lines[2] = "SUP-3,10,5.00,9,,"
		run := f.apply(lines...)
		if run.Status != feeds.StatusApplied || run.RowsRead != 12 || run.RowsChanged != 3 || run.RowsUnchanged != 9 ||
			run.RowsErrors != 0 || run.RowsUnknown != 0 || run.Detail.QuantityChanges != 2 || run.Detail.LeadTimeChanges != 1 {
			t.Fatalf("run = %+v", run)
		}
		if run.SHA256 == "" || run.Written != 3 || run.FinishedAt == nil || run.Filename != "feed.csv" {
			t.Errorf("run bookkeeping = %+v", run)
		}
		if got := f.count(`SELECT COUNT(*) FROM stock_adjustments`) - before; got != 2 {
			t.Errorf("%d adjustments written, want 2 (only the SKUs whose quantity changed)", got)
		}
		actor := fmt.Sprintf("feed:%d", run.ID)
		if n := f.count(`SELECT COUNT(*) FROM stock_adjustments WHERE actor = $1 AND kind = 'report' AND offer_id IN ($2, $3)`,
			actor, f.skus[0].Offer, f.skus[1].Offer); n != 2 {
			t.Errorf("adjustments by %s on SUP-1 and SUP-2: %d, want 2", actor, n)
		}
		if f.reported(f.skus[0]) != 14 || f.reported(f.skus[1]) != 7 || f.ATS(f.skus[0]) != 14 {
			t.Errorf("reported %d, %d; ATS %d", f.reported(f.skus[0]), f.reported(f.skus[1]), f.ATS(f.skus[0]))
		}
		if n := f.count(`SELECT lead_time_days FROM supplier_offers WHERE id = $1`, f.skus[2].Offer); n != 9 {
			t.Errorf("lead time %d, want 9", n)
		}

		// The same file again: recognised by its hash, nothing written.
		adjustments := f.count(`SELECT COUNT(*) FROM stock_adjustments`)
		again := f.apply(lines...)
		if again.Status != feeds.StatusUnchanged || again.ID == run.ID || again.SHA256 != run.SHA256 {
			t.Errorf("same file again: %+v", again)
		}
		// A mapping saved again may read the same file differently: it is
		// applied (and here finds nothing to change).
		f.Clock.Set(f.Clock.Now().Add(time.Minute))
		if _, err := f.feeds.SaveSettings(ctx, f.Supplier, feeds.Settings{Mapping: testMapping, Guards: feeds.DefaultGuards}); err != nil {
			t.Fatal(err)
		}
		remapped := f.apply(lines...)
		if remapped.Status != feeds.StatusApplied || remapped.RowsChanged != 0 {
			t.Errorf("same file after the mapping was saved: %+v", remapped)
		}
		// The same figures in another order: a new file, compared, no change.
		lines[0], lines[11] = lines[11], lines[0]
		reordered := f.apply(lines...)
		if reordered.Status != feeds.StatusApplied || reordered.RowsChanged != 0 || reordered.RowsUnchanged != 12 {
			t.Errorf("reordered file: %+v", reordered)
		}
		if n := f.count(`SELECT COUNT(*) FROM stock_adjustments`); n != adjustments {
			t.Errorf("re-applying wrote %d adjustments", n-adjustments)
		}
		runs, more, err := f.feeds.Runs(ctx, feeds.RunFilter{SupplierID: f.Supplier, Limit: 2})
		if err != nil || !more || len(runs) != 2 || runs[0].ID != reordered.ID || runs[1].ID != remapped.ID {
			t.Errorf("Runs = %v, %v, %v", runs, more, err)
		}
	})
}

func TestApplyRowErrors(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 4, 10)
		run := f.apply(
			"SUP-1,11,,,,",
			"SUP-2,lots,,,,",  // line 3: the reader's error
			"SUP-3,-4,,,,",    // line 4: negative
			"SUP-4,12,,400,,", // line 5: lead time out of range
			"SUP-1,13,,,,",    // line 6: SUP-1 again
			",5,,,,",          // line 7: no SKU
			"NEW-9,3,2.50,,,", // unknown
		)
		if run.Status != feeds.StatusApplied || run.RowsRead != 7 || run.RowsErrors != 5 || run.RowsChanged != 1 || run.RowsUnknown != 1 {
			t.Fatalf("run = %+v", run)
		}
		if f.reported(f.skus[0]) != 11 || f.reported(f.skus[3]) != 10 {
			t.Errorf("good row not applied or bad one applied: SUP-1 %d, SUP-4 %d", f.reported(f.skus[0]), f.reported(f.skus[3]))
		}
		errs, more, err := f.feeds.RunErrors(ctx, run.ID, 0, 100)
		if err != nil || more {
			t.Fatal(err, more)
		}
		var got []string
		for _, e := range errs {
			got = append(got, fmt.Sprintf("%d %s %s", e.Line, e.Column, e.Value))
		}
		want := []string{"3 qty lots", "4 qty -4", "5 lead 400", "6 sku SUP-1", "7 sku "}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("errors = %q, want %q", got, want)
		}
		var csv strings.Builder
		if err := f.feeds.WriteErrorsCSV(ctx, run.ID, &csv); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(csv.String(), "line,column,value,reason\n3,qty,lots,not a number\n4,qty,'-4,") ||
			!strings.Contains(csv.String(), "6,sku,SUP-1,supplier SKU already on line 2") {
			t.Errorf("CSV = %q", csv.String())
		}
	})
}

func TestApplyRefusesWhatCannotBeARun(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 1, 10)
		// A file that does not parse at all: a failed run, nothing applied.
		run, err := f.feeds.Apply(ctx, f.Supplier, strings.NewReader("this is not,a feed\n1,2\n"), feeds.ApplyInput{})
		if err != nil || run.Status != feeds.StatusFailed || !strings.Contains(run.Reason, "cannot be read") {
			t.Errorf("unreadable file: %+v, %v", run, err)
		}
		// Every row bad: failed too.
		run = f.apply("SUP-1,x,,,,", "SUP-1,y,,,,")
		if run.Status != feeds.StatusFailed || run.RowsErrors != 2 || !strings.Contains(run.Reason, "no row") {
			t.Errorf("all rows bad: %+v", run)
		}
		small, err := feeds.New(db, f.Inventory, nil, f.Orders, nil, f.Clock.Now, feeds.Options{MaxFileBytes: 100 << 10})
		if err != nil {
			t.Fatal(err)
		}
		_, err = small.Apply(ctx, f.Supplier, strings.NewReader(strings.Repeat("x", 100<<10+1)), feeds.ApplyInput{})
		if apperr.CodeOf(err) != "too_large" || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("large file: %v", err)
		}
		_, err = f.feeds.Apply(ctx, 999, strings.NewReader("x"), feeds.ApplyInput{})
		if !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unknown supplier: %v", err)
		}
		other := f.count(`SELECT COUNT(*) FROM suppliers`) // a supplier without a mapping
		_ = other
		if f.reported(f.skus[0]) != 10 {
			t.Errorf("stock changed to %d", f.reported(f.skus[0]))
		}
	})
}
