package feeds

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// Retention says how long finished feed runs are kept. A supplier that pulls
// its feed every hour makes 24 runs a day, each with up to MaxErrorsKept row
// errors: without pruning they would grow the database for ever.
type Retention struct {
	// Errors is how long a finished run keeps its row errors (default 30
	// days); the run's counts stay.
	Errors time.Duration
	// Runs is how long a finished run is kept at all (default 180 days).
	Runs time.Duration
}

func (r Retention) withDefaults() Retention {
	if r.Errors <= 0 {
		r.Errors = 30 * 24 * time.Hour
	}
	if r.Runs <= 0 {
		r.Runs = 180 * 24 * time.Hour
	}
	return r
}

// Pruned counts what Prune deleted.
type Pruned struct {
	Runs   int64 `json:"runs"`
	Errors int64 `json:"errors"`
}

// pruneBatch bounds the runs one prune transaction touches, so that SQLite's
// one writer is not held for long (order intake waits for it).
const pruneBatch = 200

// keepRun is what Prune never deletes: a run still being applied or waiting
// for a decision, and each supplier's last applied run (the guards compare
// the next file with it).
const keepRun = `status NOT IN ('applying', 'quarantined') AND id NOT IN (
	SELECT MAX(id) FROM feed_runs WHERE status IN ('applied', 'approved') GROUP BY supplier_id)`

// Prune deletes the row errors of runs finished more than r.Errors ago and
// the runs finished more than r.Runs ago (their errors and files with them),
// except what keepRun keeps, in transactions of at most pruneBatch runs.
func (s *Service) Prune(ctx context.Context, r Retention) (Pruned, error) {
	r = r.withDefaults()
	now := s.clock()
	var p Pruned
	for {
		n, err := s.pruneOnce(ctx, `DELETE FROM feed_runs WHERE id IN (SELECT id FROM feed_runs
			WHERE finished_at < $1 AND `+keepRun+` ORDER BY id LIMIT `+fmt.Sprint(pruneBatch)+`)`, now.Add(-r.Runs))
		if err != nil {
			return p, fmt.Errorf("prune feed runs: %w", err)
		}
		p.Runs += n
		if n < pruneBatch {
			break
		}
	}
	for {
		// Errors of at most pruneBatch runs at a time; a run's errors are
		// bounded by Options.MaxErrorsKept.
		n, err := s.pruneOnce(ctx, `DELETE FROM feed_run_errors WHERE run_id IN (SELECT DISTINCT e.run_id FROM feed_run_errors e
			JOIN feed_runs r ON r.id = e.run_id WHERE r.finished_at < $1 AND r.status NOT IN ('applying', 'quarantined')
			ORDER BY e.run_id LIMIT `+fmt.Sprint(pruneBatch)+`)`, now.Add(-r.Errors))
		if err != nil {
			return p, fmt.Errorf("prune feed run errors: %w", err)
		}
		p.Errors += n
		if n == 0 {
			break
		}
	}
	return p, nil
}

func (s *Service) pruneOnce(ctx context.Context, q string, before time.Time) (int64, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, before)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// PruneArgs is the daily job that prunes old feed runs (Service.Prune).
type PruneArgs struct{}

// Kind is the River job kind.
func (PruneArgs) Kind() string { return "prune_feed_runs" }

// PruneWorker works PruneArgs with Feeds (set once the service exists).
type PruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	Feeds     *Service
	Retention Retention
	Logger    *slog.Logger // default slog.Default()
}

// Work prunes and logs what it deleted.
func (w *PruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	if w.Feeds == nil {
		return fmt.Errorf("prune feed runs: the worker is not bound to the feeds service")
	}
	log := w.Logger
	if log == nil {
		log = slog.Default()
	}
	p, err := w.Feeds.Prune(ctx, w.Retention)
	if p.Runs > 0 || p.Errors > 0 {
		log.InfoContext(ctx, "pruned feed runs", "runs", p.Runs, "row_errors", p.Errors)
	}
	return err
}

// PruneJob is the periodic job that prunes feed runs every period.
func PruneJob(period time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(period),
		func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, nil },
		&river.PeriodicJobOpts{ID: PruneArgs{}.Kind(), RunOnStart: true})
}
