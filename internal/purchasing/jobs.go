package purchasing

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// SendArgs is the periodic job that sends due purchase orders.
type SendArgs struct{}

// Kind is the River job kind.
func (SendArgs) Kind() string { return "purchasing_send" }

// SendWorker works SendArgs with Purchasing.
type SendWorker struct {
	river.WorkerDefaults[SendArgs]
	Purchasing *Service
}

// Work sends the due purchase orders.
func (w *SendWorker) Work(ctx context.Context, _ *river.Job[SendArgs]) error {
	if w.Purchasing == nil {
		return fmt.Errorf("send purchase orders: the worker is not bound to the purchasing service")
	}
	n, err := w.Purchasing.SendDue(ctx)
	if n > 0 {
		w.Purchasing.log.Info("sent purchase orders", "count", n)
	}
	return err
}

// SendJob is the periodic job that sends due purchase orders every period
// (and once at start).
func SendJob(period time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(period),
		func() (river.JobArgs, *river.InsertOpts) { return SendArgs{}, nil },
		&river.PeriodicJobOpts{ID: SendArgs{}.Kind(), RunOnStart: true})
}

// OverdueArgs is the periodic job that flags unanswered PO lines past their
// supplier's SLA.
type OverdueArgs struct{}

// Kind is the River job kind.
func (OverdueArgs) Kind() string { return "purchasing_overdue" }

// OverdueWorker works OverdueArgs with Purchasing.
type OverdueWorker struct {
	river.WorkerDefaults[OverdueArgs]
	Purchasing *Service
}

// Work flags the overdue lines.
func (w *OverdueWorker) Work(ctx context.Context, _ *river.Job[OverdueArgs]) error {
	if w.Purchasing == nil {
		return fmt.Errorf("check overdue purchase order lines: the worker is not bound to the purchasing service")
	}
	n, err := w.Purchasing.CheckOverdue(ctx)
	if n > 0 {
		w.Purchasing.log.Info("purchase order lines overdue", "count", n)
	}
	return err
}

// OverdueJob is the periodic job that checks answer deadlines every period.
func OverdueJob(period time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(period),
		func() (river.JobArgs, *river.InsertOpts) { return OverdueArgs{}, nil },
		&river.PeriodicJobOpts{ID: OverdueArgs{}.Kind(), RunOnStart: true})
}
