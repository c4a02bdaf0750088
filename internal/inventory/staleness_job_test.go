package inventory_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestStalenessJob runs the periodic job on a real queue, as serve wires it:
// it runs at start and flips the supplier whose feed is past its maximum age
// by the service's clock.
func TestStalenessJob(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clk := newClockFixture(t, db)
		v := f.variant("JOB-1")
		a := f.supplier("active")
		f.report(f.offer(a, v, 1, "active"), 8)
		if _, err := f.svc.SetStaleness(ctx, a, inventory.Staleness{MaxAge: time.Hour, Mode: inventory.StaleExclude}); err != nil {
			t.Fatal(err)
		}
		clk.advance(2 * time.Hour)

		log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
		workers := river.NewWorkers()
		river.AddWorker(workers, &inventory.StalenessWorker{Inventory: f.svc, Logger: log})
		q, err := jobs.New(db, jobs.Config{Logger: log, PollInterval: 50 * time.Millisecond, Workers: workers,
			PeriodicJobs: []*river.PeriodicJob{inventory.StalenessJob(time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		events, cancel := q.Client().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
		defer cancel()
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := q.Stop(ctx); err != nil {
				t.Errorf("stop queue: %v", err)
			}
		})
		// The run at start (the deadline only bounds a hang).
		timeout := time.After(30 * time.Second)
	wait:
		for {
			select {
			case e := <-events:
				if e.Job.Kind != (inventory.StalenessArgs{}).Kind() {
					continue
				}
				if e.Kind != river.EventKindJobCompleted {
					t.Fatalf("the staleness job failed: %v", e.Job.Errors)
				}
				break wait
			case <-timeout:
				t.Fatal("the staleness job did not run within 30s")
			}
		}
		if feed, err := f.svc.SupplierFeed(ctx, a); err != nil || !feed.Stale {
			t.Fatalf("after the job: %+v, %v; want stale", feed, err)
		}
		if got := f.ats(v); got != 0 {
			t.Errorf("ATS %d after the job, want 0", got)
		}
		checkLevels(t, db, f.svc, "after the job")
	})
}
