package digests

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// JobArgs is the periodic job that sends the suppliers' digests.
type JobArgs struct{}

// Kind is the River job kind.
func (JobArgs) Kind() string { return "send_supplier_digests" }

// Worker works JobArgs with Digests (set once the service exists).
type Worker struct {
	river.WorkerDefaults[JobArgs]
	Digests *Service
}

// Work sends the digests whose day has come.
func (w *Worker) Work(ctx context.Context, _ *river.Job[JobArgs]) error {
	if w.Digests == nil {
		return fmt.Errorf("supplier digests: the worker is not bound to the service")
	}
	res, err := w.Digests.Run(ctx)
	if res.Sent > 0 || res.Failed > 0 {
		w.Digests.opts.Logger.Info("supplier digests", "sent", res.Sent, "failed", res.Failed, "skipped", res.Skipped)
	}
	return err
}

// Job runs every period (and once at start). Each supplier's digest goes out
// at the first run after its local Options.Hour; a failed send is retried at
// the next runs. River's leader alone enqueues periodic jobs, and the row
// claim keeps a digest single if runs overlap.
func Job(period time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(period),
		func() (river.JobArgs, *river.InsertOpts) { return JobArgs{}, nil },
		&river.PeriodicJobOpts{ID: JobArgs{}.Kind(), RunOnStart: true})
}
