package restocks

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// CloseSettledArgs is the periodic job that closes questions no longer
// needed (CloseSettled).
type CloseSettledArgs struct{}

// Kind is the River job kind.
func (CloseSettledArgs) Kind() string { return "restock_questions_close" }

// CloseSettledWorker works CloseSettledArgs with Restocks (set once the
// service exists: the service's orders need the queue it is registered with).
type CloseSettledWorker struct {
	river.WorkerDefaults[CloseSettledArgs]
	Restocks *Service
}

// Work closes the settled questions.
func (w *CloseSettledWorker) Work(ctx context.Context, _ *river.Job[CloseSettledArgs]) error {
	if w.Restocks == nil {
		return fmt.Errorf("close restock questions: the worker is not bound to the service")
	}
	n, err := w.Restocks.CloseSettled(ctx)
	if n > 0 {
		w.Restocks.log.Info("restock questions closed", "questions", n)
	}
	return err
}

// CloseSettledJob runs CloseSettledArgs every period.
func CloseSettledJob(period time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(period),
		func() (river.JobArgs, *river.InsertOpts) { return CloseSettledArgs{}, nil },
		&river.PeriodicJobOpts{ID: CloseSettledArgs{}.Kind()})
}
