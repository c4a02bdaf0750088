package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/store"
)

// Event names what happened to an order. Each decision enqueues its events as
// jobs in the transaction that makes it, so an event exists if and only if
// the change committed (the transactional outbox). Notifications and routing
// subscribe to them.
type Event string

// Events.
const (
	EventPlaced      Event = "order.placed"      // a new order was accepted
	EventBackordered Event = "order.backordered" // some units wait for a restock
	EventPreordered  Event = "order.preordered"  // some units hold pre-order slots
	EventAllocated   Event = "order.allocated"   // waiting units got stock (restock or pre-order release)
	EventReady       Event = "order.ready"       // every open line has stock: the order can be routed
	EventHeld        Event = "order.held"        // a hold was put on the order
	EventReleased    Event = "order.released"    // a hold was released
	EventCancelled   Event = "order.cancelled"   // the order or some of its units were cancelled
	EventEdited      Event = "order.edited"      // address, quantity, variant or lines changed
	EventSent        Event = "order.sent_to_supplier"
	EventShipped     Event = "order.shipped"
	EventDelivered   Event = "order.delivered"
	// EventRestockDelayed: a supplier feed moved the expected restock of
	// backordered units later (the notification issue tells the customer).
	EventRestockDelayed Event = "order.restock_delayed"
	// EventRestockExpected: a restock date became known for backordered
	// units that had none (a supplier answered Orderly's restock question,
	// internal/restocks): the customer is told the date and asked whether
	// the wait is acceptable.
	EventRestockExpected Event = "order.restock_expected"
	// EventRefundIssued: staff marked one of the order's refunds issued
	// (paid back through the payment provider, internal/refunds); the
	// timeline entry (EntryRefundIssued) says which, how much and the
	// provider's reference.
	EventRefundIssued Event = "order.refund_issued"
)

// EventArgs is the job that carries an order event to its subscribers.
type EventArgs struct {
	Event Event   `json:"event"`
	Order int64   `json:"order"`
	Lines []int64 `json:"lines,omitempty"`
	// Entry is the timeline entry that recorded the change.
	Entry int64 `json:"entry,omitempty"`
}

// Kind is the River job kind of order events.
func (EventArgs) Kind() string { return "order_event" }

// Handler reacts to an order event. It runs in a job, outside the
// transaction that made the change, and may be retried: it must be idempotent.
type Handler func(ctx context.Context, e EventArgs) error

// Subscribers holds the handlers of each event. The zero value has none.
type Subscribers struct {
	mu sync.RWMutex
	m  map[Event][]Handler
}

// Subscribe adds h to the handlers of e. Call it while wiring, before serving.
func (s *Subscribers) Subscribe(e Event, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[Event][]Handler{}
	}
	s.m[e] = append(s.m[e], h)
}

func (s *Subscribers) handlers(e Event) []Handler {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.m[e]
}

// EventWorker works order event jobs by calling the subscribers of each event.
// An event with no subscriber is done at once.
type EventWorker struct {
	river.WorkerDefaults[EventArgs]
	Subscribers *Subscribers
}

// Work calls every handler of the job's event.
func (w *EventWorker) Work(ctx context.Context, job *river.Job[EventArgs]) error {
	if w.Subscribers == nil {
		return nil
	}
	for _, h := range w.Subscribers.handlers(job.Args.Event) {
		if err := h(ctx, job.Args); err != nil {
			return fmt.Errorf("%s for order %d: %w", job.Args.Event, job.Args.Order, err)
		}
	}
	return nil
}

// emit enqueues an event inside tx: one plain INSERT of the River job that
// EventWorker works (see docs/decisions/0010-order-event-outbox.md). The row
// is what River's own insert writes for EventArgs, which has no insert
// options: queue "default", priority 1, River's default 25 attempts, no
// uniqueness, available at once, the database's clock for the timestamps.
// River's InsertTx costs several times more per event (its SQLite insert is a
// large multi-row INSERT ... SELECT FROM json_each ... ON CONFLICT statement,
// plus a notification row) and gains nothing here: workers find the job on
// their next poll either way.
func (s *Service) emit(ctx context.Context, tx *sql.Tx, e EventArgs) error {
	args, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("enqueue %s for order %d: %w", e.Event, e.Order, err)
	}
	q := eventInsertPostgres
	if s.db.Engine == store.SQLite {
		q = eventInsertSQLite
	}
	if _, err := tx.ExecContext(ctx, q, string(args)); err != nil {
		return fmt.Errorf("enqueue %s for order %d: %w", e.Event, e.Order, err)
	}
	return nil
}

// The order event job as River's drivers write it (River's schema, see
// river_job in its migrations): on SQLite the JSON columns are JSONB and the
// times text from datetime('now', 'subsec'); on PostgreSQL metadata, tags and
// created_at take their column defaults.
var (
	eventInsertSQLite = `INSERT INTO river_job (args, kind, max_attempts, metadata, priority, queue, state, scheduled_at, created_at, tags)
		VALUES (jsonb($1), '` + EventArgs{}.Kind() + `', ` + strconv.Itoa(river.MaxAttemptsDefault) + `, jsonb('{}'), ` +
		strconv.Itoa(river.PriorityDefault) + `, '` + river.QueueDefault + `', 'available',
			datetime('now', 'subsec'), datetime('now', 'subsec'), jsonb('[]'))`
	eventInsertPostgres = `INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at)
		VALUES ($1, '` + EventArgs{}.Kind() + `', ` + strconv.Itoa(river.MaxAttemptsDefault) + `, ` +
		strconv.Itoa(river.PriorityDefault) + `, '` + river.QueueDefault + `', 'available', now())`
)

// PreorderReleaseArgs is the periodic job that releases pre-orders whose
// release date has come.
type PreorderReleaseArgs struct{}

// Kind is the River job kind.
func (PreorderReleaseArgs) Kind() string { return "release_preorders" }

// PreorderReleaseWorker works PreorderReleaseArgs with Orders (set once the
// service exists: the service needs the queue the worker is registered with).
type PreorderReleaseWorker struct {
	river.WorkerDefaults[PreorderReleaseArgs]
	Orders *Service
}

// Work releases the due pre-orders.
func (w *PreorderReleaseWorker) Work(ctx context.Context, _ *river.Job[PreorderReleaseArgs]) error {
	if w.Orders == nil {
		return fmt.Errorf("release pre-orders: the worker is not bound to the order service")
	}
	n, err := w.Orders.ReleaseDuePreorders(ctx)
	if n > 0 {
		w.Orders.log.Info("released pre-orders", "units", n)
	}
	return err
}

// PreorderReleaseJob is the periodic job that releases due pre-orders every
// period (and once at start).
func PreorderReleaseJob(period time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(period),
		func() (river.JobArgs, *river.InsertOpts) { return PreorderReleaseArgs{}, nil },
		&river.PeriodicJobOpts{ID: PreorderReleaseArgs{}.Kind(), RunOnStart: true})
}
