package inventory

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// StalenessArgs is the periodic job that flips suppliers whose feed went
// stale (or fresh) since the last run (RefreshStaleness).
type StalenessArgs struct{}

// Kind is the River job kind.
func (StalenessArgs) Kind() string { return "refresh_staleness" }

// StalenessWorker works StalenessArgs with Inventory (set once the service
// exists). The clock is the service's.
type StalenessWorker struct {
	river.WorkerDefaults[StalenessArgs]
	Inventory *Service
	Logger    *slog.Logger // default slog.Default()
}

// Work flips the suppliers whose staleness changed and logs each flip.
func (w *StalenessWorker) Work(ctx context.Context, _ *river.Job[StalenessArgs]) error {
	if w.Inventory == nil {
		return fmt.Errorf("refresh staleness: the worker is not bound to the inventory service")
	}
	log := w.Logger
	if log == nil {
		log = slog.Default()
	}
	changes, err := w.Inventory.RefreshStaleness(ctx)
	for _, c := range changes {
		state := "fresh"
		if c.Stale {
			state = "stale"
		}
		log.InfoContext(ctx, "supplier feed "+state, "supplier", c.SupplierID, "last_feed_at", c.LastFeedAt)
	}
	return err
}

// StalenessJob is the periodic job that refreshes staleness every period
// (and once at start).
func StalenessJob(period time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(period),
		func() (river.JobArgs, *river.InsertOpts) { return StalenessArgs{}, nil },
		&river.PeriodicJobOpts{ID: StalenessArgs{}.Kind(), RunOnStart: true})
}
