package feeds_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestGuards trips each guard: the run is quarantined with nothing written
// and its file kept; approving applies it, rejecting discards it.
func TestGuards(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		guard   string
		file    func(f *fixture) []string
		approve bool
		check   func(t *testing.T, f *fixture)
	}{
		{guard: feeds.GuardRows, approve: true,
			// 4 rows where the last run had 20.
			file: func(f *fixture) []string { return f.full(func(i int) string { return "30" })[:4] },
			check: func(t *testing.T, f *fixture) {
				if f.reported(f.skus[0]) != 30 || f.reported(f.skus[5]) != 10 {
					t.Errorf("approved rows guard: %d, %d", f.reported(f.skus[0]), f.reported(f.skus[5]))
				}
			}},
		{guard: feeds.GuardZero,
			// 7 of 20 in stock drop to 0 (35% > 30%).
			file: func(f *fixture) []string {
				return f.full(func(i int) string { return map[bool]string{true: "0", false: "10"}[i < 7] })
			},
			check: func(t *testing.T, f *fixture) {
				if f.reported(f.skus[0]) != 10 {
					t.Errorf("rejected zero guard changed stock: %d", f.reported(f.skus[0]))
				}
			}},
		{guard: feeds.GuardCost, approve: true,
			// 3 of 20 costs double (15% of rows > 10%).
			file: func(f *fixture) []string {
				lines := f.full(func(i int) string { return "10" })
				for i := range 3 {
					lines[i] = fmt.Sprintf("SUP-%d,10,10.00,3,,", i+1)
				}
				return lines
			},
			check: func(t *testing.T, f *fixture) {
				if n := f.count(`SELECT cost_amount FROM supplier_offers WHERE id = $1`, f.skus[0].Offer); n != 1000 {
					t.Errorf("approved cost guard: cost %d", n)
				}
			}},
	} {
		t.Run(tc.guard, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, func(t *testing.T, db *store.DB) {
				f := newFixture(t, db, 20, 10)
				first := f.apply(f.full(func(i int) string { return "10" })...)
				if first.Status != feeds.StatusApplied || first.RowsChanged != 0 {
					t.Fatalf("first run %+v", first)
				}
				adjustments := f.count(`SELECT COUNT(*) FROM stock_adjustments`)
				costs := f.count(`SELECT SUM(cost_amount) FROM supplier_offers`)
				run := f.apply(tc.file(f)...)
				if run.Status != feeds.StatusQuarantined || run.Guard != tc.guard || run.Reason == "" || run.Written != 0 {
					t.Fatalf("run = %+v", run)
				}
				if f.count(`SELECT COUNT(*) FROM stock_adjustments`) != adjustments || f.count(`SELECT SUM(cost_amount) FROM supplier_offers`) != costs {
					t.Fatal("a quarantined run wrote changes")
				}
				if n := f.count(`SELECT COUNT(*) FROM feed_run_files WHERE run_id = $1`, run.ID); n != 1 {
					t.Errorf("kept %d file chunks, want 1", n)
				}
				var decided *feeds.Run
				var err error
				if tc.approve {
					decided, err = f.feeds.Approve(ctx, run.ID)
				} else {
					decided, err = f.feeds.Reject(ctx, run.ID)
				}
				if err != nil {
					t.Fatal(err)
				}
				want := map[bool]feeds.Status{true: feeds.StatusApproved, false: feeds.StatusRejected}[tc.approve]
				if decided.Status != want || decided.DecidedAt == nil {
					t.Errorf("decided run = %+v, want %s", decided, want)
				}
				if n := f.count(`SELECT COUNT(*) FROM feed_run_files WHERE run_id = $1`, run.ID); n != 0 {
					t.Errorf("%d file chunks kept after the decision", n)
				}
				tc.check(t, f)
				// A decided run cannot be decided again.
				if _, err := f.feeds.Approve(ctx, run.ID); !apperr.Is(err, apperr.Conflict) {
					t.Errorf("approve twice: %v", err)
				}
				if _, err := f.feeds.Reject(ctx, run.ID); !apperr.Is(err, apperr.Conflict) {
					t.Errorf("reject after decision: %v", err)
				}
			})
		})
	}
}

// TestGuardThresholdsAreSettings: raising the zero guard's threshold lets
// the same file through.
func TestGuardThresholdsAreSettings(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 10, 10)
		g := feeds.DefaultGuards
		g.ZeroPercent = 100
		if _, err := f.feeds.SaveSettings(ctx, f.Supplier, feeds.Settings{Mapping: testMapping, Guards: g}); err != nil {
			t.Fatal(err)
		}
		run := f.apply(f.full(func(int) string { return "0" })...)
		if run.Status != feeds.StatusApplied || run.Detail.Zeroed != 10 || f.ATS(f.skus[0]) != 0 {
			t.Errorf("run = %+v", run)
		}
		g.ZeroPercent = 101
		_, err := f.feeds.SaveSettings(ctx, f.Supplier, feeds.Settings{Mapping: feeds.Mapping{Cost: "c"}, Guards: g})
		var ae *apperr.Error
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(fmt.Sprint(err), "") || !asApp(err, &ae) || len(ae.Fields) < 3 {
			t.Errorf("bad settings: %v", err)
		}
	})
}
