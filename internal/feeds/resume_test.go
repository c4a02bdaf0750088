package feeds_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// stopAfter is the order service that stops the run in its n-th batch, as
// a crash would between batches.
type stopAfter struct {
	*orders.Service
	n, calls int
}

func (s *stopAfter) WaitingVariants(ctx context.Context, tx *sql.Tx, ids []int64) ([]int64, error) {
	s.calls++
	if s.calls == s.n {
		return nil, errors.New("the process stopped")
	}
	return s.Service.WaitingVariants(ctx, tx, ids)
}

// TestInterruptedRunIsFinishedBySendingAgain: a run that stops between
// batches keeps the batches it wrote; sending the same file again writes the
// rest, and every changed SKU has exactly one adjustment.
func TestInterruptedRunIsFinishedBySendingAgain(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 12, 10)
		stop := &stopAfter{Service: f.Orders, n: 2}
		svc, err := feeds.New(db, f.Inventory, nil, stop, nil, f.Clock.Now, feeds.Options{BatchSize: 4, TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		feeds.SetOpen(svc, openTestCSV)
		// A first run saves the snapshot the others compare with.
		if run, err := svc.Apply(ctx, f.Supplier, strings.NewReader("sku,qty,cost,lead,restock,disc\n"+
			strings.Join(f.full(func(i int) string { return "10" }), "\n")+"\n"), feeds.ApplyInput{}); err != nil || run.RowsChanged != 0 {
			t.Fatalf("first run %+v, %v", run, err)
		}
		body := "sku,qty,cost,lead,restock,disc\n" + strings.Join(f.full(func(i int) string { return "20" }), "\n") + "\n"
		before := f.count(`SELECT COUNT(*) FROM stock_adjustments`)
		run, err := svc.Apply(ctx, f.Supplier, strings.NewReader(body), feeds.ApplyInput{})
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != feeds.StatusFailed || run.Written != 4 || !strings.Contains(run.Reason, "stopped") {
			t.Fatalf("interrupted run %+v", run)
		}
		if n := f.count(`SELECT COUNT(*) FROM stock_adjustments`) - before; n != 4 {
			t.Fatalf("%d adjustments after the first batch, want 4", n)
		}
		again, err := svc.Apply(ctx, f.Supplier, strings.NewReader(body), feeds.ApplyInput{})
		if err != nil {
			t.Fatal(err)
		}
		// Compared with the saved snapshot all 12 rows differ; 4 of them are
		// already in the positions, so 8 adjustments.
		if again.Status != feeds.StatusApplied || again.Detail.Snapshot != "saved" || again.RowsChanged != 12 || again.Detail.Adjustments != 8 {
			t.Fatalf("sent again: %+v", again)
		}
		if n := f.count(`SELECT COUNT(*) FROM stock_adjustments`) - before; n != 12 {
			t.Errorf("%d adjustments in all, want one per SKU (12)", n)
		}
		for _, s := range f.skus {
			if f.reported(s) != 20 {
				t.Errorf("%s reports %d", s.SKU, f.reported(s))
			}
		}
	})
}

// TestOneRunAtATime: a run that is applying holds the supplier; one whose
// heartbeat stopped ten minutes ago was interrupted and is marked failed.
func TestOneRunAtATime(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 2, 10)
		insert := func(beat time.Time) int64 {
			var id int64
			if err := db.W.QueryRowContext(ctx, `INSERT INTO feed_runs (supplier_id, source, sha256, status, actor, started_at, heartbeat_at, changes_written)
				VALUES ($1, 'upload', 'x', 'applying', 'test', $2, $2, 3000) RETURNING id`, f.Supplier, beat).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		busy := insert(f.Clock.Now().Add(-time.Minute))
		_, err := f.feeds.Apply(ctx, f.Supplier, strings.NewReader("sku,qty,cost,lead,restock,disc\nSUP-1,3,,,,\n"), feeds.ApplyInput{})
		if !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("apply while another run applies: %v", err)
		}
		if _, err := db.W.ExecContext(ctx, `UPDATE feed_runs SET heartbeat_at = $1 WHERE id = $2`, f.Clock.Now().Add(-11*time.Minute), busy); err != nil {
			t.Fatal(err)
		}
		run := f.apply("SUP-1,3,,,,")
		if run.Status != feeds.StatusApplied || f.reported(f.skus[0]) != 3 {
			t.Fatalf("run after a stale one: %+v", run)
		}
		old, err := f.feeds.Run(ctx, busy)
		if err != nil || old.Status != feeds.StatusFailed || !strings.Contains(old.Reason, "interrupted after writing 3000") {
			t.Errorf("stale run: %+v, %v", old, err)
		}
	})
}
