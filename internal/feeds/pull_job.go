package feeds

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
)

// PullDispatchArgs is the periodic job that enqueues a pull for every
// supplier whose scheduled pull is due.
type PullDispatchArgs struct{}

// Kind is the River job kind.
func (PullDispatchArgs) Kind() string { return "feed_pull_dispatch" }

// PullArgs is the job that pulls one supplier's feed.
type PullArgs struct {
	SupplierID int64 `json:"supplier_id"`
}

// Kind is the River job kind.
func (PullArgs) Kind() string { return "feed_pull" }

// InsertOpts makes pulls unique per supplier while one waits or runs. The
// source's row claim (claimPull) is what keeps two instances from pulling
// the same supplier at once; uniqueness only spares the queue duplicates.
// A pull retries within itself and records its failure, so River does not
// retry it.
func (PullArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled}}}
}

// PullDispatchWorker works PullDispatchArgs with Feeds (bound once the
// service exists: it needs the queue the worker is registered with).
type PullDispatchWorker struct {
	river.WorkerDefaults[PullDispatchArgs]
	Feeds *Service
}

// Work enqueues a pull for each due source.
func (w *PullDispatchWorker) Work(ctx context.Context, _ *river.Job[PullDispatchArgs]) error {
	if w.Feeds == nil {
		return errors.New("feed pull dispatch: the worker is not bound to the feed service")
	}
	s := w.Feeds
	// Look on the read pool first: most minutes find nothing to pull.
	ids, err := s.duePulls(ctx, s.db.R)
	if err != nil || len(ids) == 0 {
		return err
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := s.jobs.InsertTx(ctx, tx, PullArgs{SupplierID: id}); err != nil {
				return fmt.Errorf("enqueue feed pull of supplier %d: %w", id, err)
			}
		}
		return nil
	})
}

// DuePulls returns the suppliers whose scheduled pull is due and not being
// pulled, most overdue first.
func (s *Service) DuePulls(ctx context.Context) ([]int64, error) { return s.duePulls(ctx, s.db.R) }

func (s *Service) duePulls(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}) ([]int64, error) {
	now := s.clock()
	rows, err := q.QueryContext(ctx, `SELECT supplier_id FROM feed_sources WHERE interval_seconds > 0 AND next_pull_at <= $1
		AND (claimed_until IS NULL OR claimed_until <= $1) ORDER BY next_pull_at, supplier_id LIMIT 500`, now)
	if err != nil {
		return nil, fmt.Errorf("due feed pulls: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("due feed pulls: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// PullDue performs a scheduled pull of a supplier if it is still due and
// no other instance holds it; ran is false otherwise.
func (s *Service) PullDue(ctx context.Context, supplierID int64) (res *PullResult, ran bool, err error) {
	res, err = s.pull(ctx, supplierID, true)
	if errors.Is(err, errNotDue) {
		return nil, false, nil
	}
	return res, err == nil, err
}

// PullWorker works PullArgs with Feeds.
type PullWorker struct {
	river.WorkerDefaults[PullArgs]
	Feeds *Service
}

// Timeout lets a pull run as long as its claim lasts (attempts, waits and
// the apply of a large file).
func (w *PullWorker) Timeout(*river.Job[PullArgs]) time.Duration { return pullLease }

// Work pulls the supplier's feed as the system actor "feed-pull".
func (w *PullWorker) Work(ctx context.Context, job *river.Job[PullArgs]) error {
	if w.Feeds == nil {
		return errors.New("feed pull: the worker is not bound to the feed service")
	}
	ctx = auth.WithPrincipal(ctx, auth.System("feed-pull"))
	res, ran, err := w.Feeds.PullDue(ctx, job.Args.SupplierID)
	if apperr.Is(err, apperr.NotFound) {
		return nil // the source (or supplier) was removed since the dispatch
	}
	if err != nil {
		return err
	}
	if ran && res.Source != nil && res.Source.LastStatus == PullFailed {
		w.Feeds.opts.Logger.WarnContext(ctx, "feed pull failed", "supplier", job.Args.SupplierID, "err", res.Source.LastError)
	}
	return nil
}

// PullDispatchJob is the periodic dispatcher, every period (and once at
// start). Only River's elected leader schedules it.
func PullDispatchJob(period time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(period),
		func() (river.JobArgs, *river.InsertOpts) { return PullDispatchArgs{}, nil },
		&river.PeriodicJobOpts{ID: PullDispatchArgs{}.Kind(), RunOnStart: true})
}

// AddPullWorkers registers the pull workers; bind them to the service with
// Bind once it exists.
func AddPullWorkers(workers *river.Workers) *PullWorkers {
	w := &PullWorkers{dispatch: &PullDispatchWorker{}, pull: &PullWorker{}}
	river.AddWorker(workers, w.dispatch)
	river.AddWorker(workers, w.pull)
	return w
}

// PullWorkers are the registered pull workers.
type PullWorkers struct {
	dispatch *PullDispatchWorker
	pull     *PullWorker
}

// Bind gives the workers the service.
func (w *PullWorkers) Bind(s *Service) { w.dispatch.Feeds, w.pull.Feeds = s, s }
