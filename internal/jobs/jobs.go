// Package jobs runs Orderly's background work on River
// (github.com/riverqueue/river): the queue, its workers and its periodic jobs,
// on SQLite and PostgreSQL through one database/sql code path.
//
// Work that must follow a business change (a notification, a supplier call) is
// enqueued with InsertTx inside the transaction that makes the change: the job
// exists if and only if the change committed (the transactional outbox).
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/orderly-oms/orderly/internal/store"
)

// Config tunes a Queue. The zero value is usable.
type Config struct {
	Logger *slog.Logger
	// Now is the clock jobs use for their business decisions (default time.Now).
	Now func() time.Time
	// MaxWorkers bounds the jobs worked at once by this instance (default 10).
	MaxWorkers int
	// PollInterval is how often idle workers look for new jobs (default 1s).
	// Neither driver has LISTEN/NOTIFY here, so this bounds the pickup delay.
	PollInterval time.Duration
	// PruneEvery is the period of the prune job (default 1h).
	PruneEvery time.Duration
	// Workers holds further workers to run besides Orderly's own (optional).
	// Register them with river.AddWorker before calling New.
	Workers *river.Workers
	// PeriodicJobs are further periodic jobs (optional).
	PeriodicJobs []*river.PeriodicJob
	// InsertOnly makes a Queue that enqueues but never works jobs, for
	// commands such as "orderly migrate" or instances that only serve HTTP.
	InsertOnly bool
}

// Queue is the job queue of one Orderly process: it enqueues jobs and, once
// started, works them and schedules the periodic ones.
type Queue struct {
	log    *slog.Logger
	client *river.Client[*sql.Tx]
}

// New builds a Queue on db (already migrated). It does not start workers;
// call Start.
func New(db *store.DB, cfg Config) (*Queue, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxWorkers <= 0 {
		cfg.MaxWorkers = 10
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.PruneEvery <= 0 {
		cfg.PruneEvery = time.Hour
	}
	workers := cfg.Workers
	if workers == nil {
		workers = river.NewWorkers()
	}
	if err := river.AddWorkerSafely(workers, &pruneWorker{db: db, now: cfg.Now, log: cfg.Logger}); err != nil {
		return nil, fmt.Errorf("register prune worker: %w", err)
	}
	rc := &river.Config{
		Logger:                      cfg.Logger,
		FetchPollInterval:           cfg.PollInterval,
		FetchCooldown:               min(cfg.PollInterval, 100*time.Millisecond),
		CompletedJobRetentionPeriod: 24 * time.Hour,
	}
	if !cfg.InsertOnly {
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.MaxWorkers}}
		rc.Workers = workers
		rc.PeriodicJobs = append([]*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(cfg.PruneEvery),
				func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, nil },
				// Run at start too: an instance restarted more often than the
				// period would otherwise never prune.
				&river.PeriodicJobOpts{ID: PruneArgs{}.Kind(), RunOnStart: true}),
		}, cfg.PeriodicJobs...)
	}
	client, err := river.NewClient(driver(db), rc)
	if err != nil {
		return nil, fmt.Errorf("create job queue: %w", err)
	}
	return &Queue{log: cfg.Logger, client: client}, nil
}

// driver returns River's driver for db's engine. Both work over *sql.Tx, so
// callers enqueue in the same transactions as their business writes. On
// SQLite River shares the single write connection with everyone else.
func driver(db *store.DB) riverdriver.Driver[*sql.Tx] {
	if db.Engine == store.Postgres {
		return riverdatabasesql.New(db.W)
	}
	return riversqlite.New(db.W)
}

// Start starts the workers and the periodic jobs. They run until Stop is
// called or ctx is cancelled (which starts a graceful stop).
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	return nil
}

// Stop stops fetching new jobs and waits for running ones to finish. If ctx
// ends first, running jobs are cancelled (they will be retried later) and
// Stop waits for them to return.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		q.log.Warn("jobs did not finish in time; cancelling them", "err", err)
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := q.client.StopAndCancel(cctx); err != nil {
			return fmt.Errorf("cancel running jobs: %w", err)
		}
		return nil
	}
	return fmt.Errorf("stop job queue: %w", err)
}

// InsertTx enqueues a job inside tx: the job becomes visible to workers only
// when tx commits, and never exists if tx rolls back. Job args that need
// options (queue, priority, uniqueness, max attempts) declare them with an
// InsertOpts method (river.JobArgsWithInsertOpts). It returns the job's id.
func (q *Queue) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs) (int64, error) {
	res, err := q.client.InsertTx(ctx, tx, args, nil)
	if err != nil {
		return 0, fmt.Errorf("enqueue %s job: %w", args.Kind(), err)
	}
	return res.Job.ID, nil
}

// Client returns the underlying River client, for listing or cancelling jobs.
func (q *Queue) Client() *river.Client[*sql.Tx] { return q.client }

// CountByState returns the number of jobs in each state present in the
// queue (available, running, retryable, scheduled, completed, ...).
func CountByState(ctx context.Context, q store.Querier) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT state, count(*) FROM river_job GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		counts[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	return counts, nil
}
