package storefront

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Why a periodic dispatcher: the triggers that capture changes run inside
// the database and cannot insert River jobs (a job row needs River's own
// encoding and unique keys), and making every stock-changing code path
// enqueue one would miss the paths nobody remembered (a catalog edit, a
// supplier paused). So the outbox is the queue of record, and a periodic job
// looks at it every few seconds; API actions that queue many variants
// (creating a target, a resync, a mapping upload) kick a drain at once.

// DispatchArgs is the periodic job that enqueues a drain for every enabled
// target with due outbox rows.
type DispatchArgs struct{}

// Kind is the River job kind.
func (DispatchArgs) Kind() string { return "storefront_dispatch" }

// DrainArgs is the job that publishes one target's outbox.
type DrainArgs struct {
	TargetID int64 `json:"target_id"`
}

// Kind is the River job kind.
func (DrainArgs) Kind() string { return "storefront_drain" }

// InsertOpts makes drains unique per target while one is waiting, running,
// or waiting to retry: one sender per target at a time, across instances,
// so the target's rate limit holds and a failing storefront is retried on
// River's schedule rather than by a new job every few seconds.
func (DrainArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 50,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateScheduled}},
	}
}

// DispatchWorker works DispatchArgs with Service (bound once the service
// exists: it needs the queue the worker is registered with).
type DispatchWorker struct {
	river.WorkerDefaults[DispatchArgs]
	Service *Service
}

// Work enqueues the drains.
func (w *DispatchWorker) Work(ctx context.Context, _ *river.Job[DispatchArgs]) error {
	if w.Service == nil || w.Service.queue == nil {
		return errors.New("storefront dispatch: the worker is not bound to the storefront service and its queue")
	}
	// Look first on the read pool: most periods find nothing, and on SQLite a
	// write transaction would take the single writer for nothing.
	ids, err := dueTargets(ctx, w.Service.db.R, w.Service.clock())
	if err != nil || len(ids) == 0 {
		return err
	}
	return w.Service.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if err := w.Service.kick(ctx, tx, id, true); err != nil {
				return err
			}
		}
		return nil
	})
}

// DispatchJob is the periodic dispatcher, every period (and once at start).
// Only River's elected leader schedules it, so one runs per period however
// many instances there are.
func DispatchJob(period time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(period),
		func() (river.JobArgs, *river.InsertOpts) { return DispatchArgs{}, nil },
		&river.PeriodicJobOpts{ID: DispatchArgs{}.Kind(), RunOnStart: true})
}

// DrainTimeout bounds one drain job; Options.Lease must exceed it.
const DrainTimeout = 5 * time.Minute

// DrainWorker works DrainArgs with Sender.
type DrainWorker struct {
	river.WorkerDefaults[DrainArgs]
	Sender *Sender
}

// Timeout bounds a drain: its budget, plus the retries of the last batch.
func (w *DrainWorker) Timeout(*river.Job[DrainArgs]) time.Duration { return DrainTimeout }

// NextRetry backs off a failing target from 30 s, doubling, to at most 10
// minutes between tries, so a storefront back from an outage is caught up
// within minutes (River's default grows to days).
func (w *DrainWorker) NextRetry(job *river.Job[DrainArgs]) time.Time {
	d := min(30*time.Second<<min(max(job.Attempt-1, 0), 10), 10*time.Minute)
	return w.Sender.opts.Now().Add(w.Sender.backoffJitter(d))
}

func (s *Sender) backoffJitter(d time.Duration) time.Duration { return d/2 + s.opts.Jitter(d/2) }

// Work drains the target. A storefront asking to wait long snoozes the job;
// a spent budget with rows still due snoozes it briefly, so the target keeps
// its single drain job.
func (w *DrainWorker) Work(ctx context.Context, job *river.Job[DrainArgs]) error {
	if w.Sender == nil {
		return errors.New("storefront drain: the worker has no sender")
	}
	res, err := w.Sender.Drain(ctx, job.Args.TargetID)
	var throttled *ThrottledError
	switch {
	case errors.As(err, &throttled):
		return river.JobSnooze(throttled.After)
	case err != nil:
		return fmt.Errorf("drain storefront target %d: %w", job.Args.TargetID, err)
	case res.More:
		return river.JobSnooze(time.Second)
	}
	if res.Sent > 0 || res.SetAside > 0 {
		w.Sender.opts.Logger.InfoContext(ctx, "storefront published", "target", job.Args.TargetID,
			"variants", res.Sent, "set_aside", res.SetAside, "batches", res.Batches)
	}
	return nil
}
