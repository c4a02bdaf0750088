package webhooks

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// DefaultRetention is how long a finished delivery (delivered or given up)
// stays in the log.
const DefaultRetention = 30 * 24 * time.Hour

// Prune deletes the deliveries finished (delivered or failed) before
// before, with their attempts, and the events no delivery refers to any
// more, in one transaction. Pending deliveries are kept whatever their age.
// It returns the number of deliveries deleted.
func (s *Service) Prune(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_send_attempts WHERE send_id IN
			(SELECT id FROM webhook_sends WHERE state IN ('delivered', 'failed') AND updated_at < $1)`, before); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_sends WHERE state IN ('delivered', 'failed') AND updated_at < $1`, before)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM webhook_events WHERE created_at < $1
			AND NOT EXISTS (SELECT 1 FROM webhook_sends d WHERE d.event_id = webhook_events.id)`, before)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune webhook deliveries: %w", err)
	}
	return n, nil
}

// PruneArgs is the periodic job that prunes the delivery log.
type PruneArgs struct{}

// Kind is the River job kind.
func (PruneArgs) Kind() string { return "webhook_prune" }

// PruneWorker works PruneArgs with Webhooks (set once the service exists).
type PruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	Webhooks *Service
}

// Work deletes the deliveries finished more than the retention ago.
func (w *PruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	if w.Webhooks == nil {
		return fmt.Errorf("prune webhook deliveries: the worker is not bound to the webhook service")
	}
	n, err := w.Webhooks.Prune(ctx, w.Webhooks.clock().Add(-w.Webhooks.opts.Retention))
	if n > 0 {
		w.Webhooks.log.Info("pruned webhook deliveries", "deliveries", n)
	}
	return err
}

// PruneJob is the periodic job that prunes the delivery log every period
// (and once at start).
func PruneJob(period time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(period),
		func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, nil },
		&river.PeriodicJobOpts{ID: PruneArgs{}.Kind(), RunOnStart: true})
}
