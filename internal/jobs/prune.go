package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/idempotency"
	"github.com/orderly-oms/orderly/internal/store"
)

// PruneArgs is the periodic job that deletes expired data: idempotency keys
// older than their retention and expired staff sessions.
type PruneArgs struct{}

// Kind names the job in the queue.
// Only the elected leader among the instances schedules periodic jobs, so one
// runs per period however many instances there are.
func (PruneArgs) Kind() string { return "prune_expired" }

type pruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	db  *store.DB
	now func() time.Time
	log *slog.Logger
}

func (w *pruneWorker) Work(ctx context.Context, job *river.Job[PruneArgs]) error {
	now := w.now()
	var keys, sessions int64
	err := w.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if keys, err = idempotency.Prune(ctx, tx, now); err != nil {
			return err
		}
		sessions, err = auth.PruneSessions(ctx, tx, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	w.log.InfoContext(ctx, "pruned expired data", "idempotency_keys", keys, "sessions", sessions)
	return nil
}
