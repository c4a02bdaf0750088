package feeds_test

import (
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestPruneKeepsWhatMatters: old runs go with their errors, recent runs lose
// only old errors, and a supplier's last applied run and a quarantined run
// stay whatever their age.
func TestPruneKeepsWhatMatters(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 20, 10)
		day := 24 * time.Hour
		at := func(d int) { f.Clock.Set(orderstest.T0.Add(time.Duration(d) * day)) }
		ten := func(i int) string { return "10" }
		at(0)
		old := f.apply(append(f.full(ten), "SUP-99,x,,,,")...) // one row error, unknown SKU
		at(1)
		oldQuarantined := f.apply(f.full(func(i int) string { return "0" })...)
		if old.Status != feeds.StatusApplied || oldQuarantined.Status != feeds.StatusQuarantined {
			t.Fatalf("runs %s, %s", old.Status, oldQuarantined.Status)
		}
		if _, err := f.feeds.Reject(ctx, oldQuarantined.ID); err != nil {
			t.Fatal(err)
		}
		at(150)
		middle := f.apply(append(f.full(func(i int) string { return "11" }), "SUP-98,y,,,,")...)
		at(200)
		last := f.apply(append(f.full(func(i int) string { return "12" }), "SUP-97,z,,,,")...)
		waiting := f.apply(f.full(func(i int) string { return "0" })...)
		if middle.Status != feeds.StatusApplied || last.Status != feeds.StatusApplied || waiting.Status != feeds.StatusQuarantined {
			t.Fatalf("runs %s, %s, %s", middle.Status, last.Status, waiting.Status)
		}
		errorsOf := func(id int64) int { return f.count(`SELECT COUNT(*) FROM feed_run_errors WHERE run_id = $1`, id) }
		for _, id := range []int64{old.ID, middle.ID, last.ID} {
			if errorsOf(id) == 0 {
				t.Fatalf("run %d has no row errors to prune", id)
			}
		}
		at(200 + 31)
		p, err := f.feeds.Prune(ctx, feeds.Retention{})
		if err != nil {
			t.Fatal(err)
		}
		exists := func(id int64) bool { return f.count(`SELECT COUNT(*) FROM feed_runs WHERE id = $1`, id) == 1 }
		// Finished 231 and 230 days ago: past the 180 days of runs.
		if exists(old.ID) || exists(oldQuarantined.ID) {
			t.Errorf("runs older than 180 days kept: %v %v", exists(old.ID), exists(oldQuarantined.ID))
		}
		// 81 days: the run stays, its errors (older than 30 days) go.
		if !exists(middle.ID) || errorsOf(middle.ID) != 0 {
			t.Errorf("middle run: exists %v, %d errors", exists(middle.ID), errorsOf(middle.ID))
		}
		// The last applied run and the run waiting for a decision stay, with
		// the waiting run's file.
		if !exists(last.ID) || !exists(waiting.ID) || f.count(`SELECT COUNT(*) FROM feed_run_files WHERE run_id = $1`, waiting.ID) != 1 {
			t.Errorf("last applied or quarantined run pruned")
		}
		if p.Runs != 2 || p.Errors < 2 {
			t.Errorf("pruned %+v, want 2 runs and the errors of 2 runs", p)
		}
		// Pruning again deletes nothing.
		if p, err := f.feeds.Prune(ctx, feeds.Retention{}); err != nil || p != (feeds.Pruned{}) {
			t.Errorf("second prune %+v, %v", p, err)
		}
	})
}
