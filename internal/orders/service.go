package orders

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/store"
)

// ShortPolicy says what happens to an order with a line that can be neither
// reserved, backordered nor pre-ordered.
type ShortPolicy string

const (
	// RefuseShort refuses the order (409, listing each line and why). The default.
	RefuseShort ShortPolicy = "refuse"
	// HoldShort accepts the order on hold with reason "stock"; the short units
	// wait for staff (or a restock, which fills them like backorders).
	HoldShort ShortPolicy = "hold"
)

// Options tune the service.
type Options struct {
	// ShortOrders is the store policy for orders that cannot be met (default RefuseShort).
	ShortOrders ShortPolicy
	Logger      *slog.Logger
	// Promiser, when set, computes the delivery promise stored on each new
	// order (promise.go); an order it cannot promise gets none.
	Promiser Promiser
}

// Service places and changes orders.
type Service struct {
	db   *store.DB
	inv  *inventory.Service
	cust *customers.Service
	now  func() time.Time
	opts Options
	log  *slog.Logger
	// apology issues the apology coupon of a customer's cancellation
	// (choices.go); nil: none.
	apology ApologyFunc
}

// New returns the order service. It registers the service's restock hook
// with inv, so raising a supplier's stock fills waiting backorders.
//
// The order events go to the job queue on db as plain rows of River's job
// table, written in the transaction of each change (emit), and are worked by
// whichever queue on db runs EventWorker: q, the caller's queue, may be nil.
func New(db *store.DB, inv *inventory.Service, cust *customers.Service, _ *jobs.Queue, now func() time.Time, opts Options) (*Service, error) {
	if now == nil {
		now = time.Now
	}
	if opts.ShortOrders == "" {
		opts.ShortOrders = RefuseShort
	}
	if opts.ShortOrders != RefuseShort && opts.ShortOrders != HoldShort {
		return nil, fmt.Errorf("short-order policy %q: want refuse or hold", opts.ShortOrders)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Service{db: db, inv: inv, cust: cust, now: now, opts: opts, log: opts.Logger}
	inv.OnRestock(s.fillBackorders)
	return s, nil
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// actor is who is making the change in ctx, for the timeline.
func actor(ctx context.Context, fallback string) string {
	if p := auth.FromContext(ctx); p != nil {
		return p.Actor()
	}
	return fallback
}

// lineRef is the reservation reference of an order line.
func lineRef(order int64, position int) string {
	return fmt.Sprintf("order:%d/line:%d", order, position)
}

// inTx runs fn in a write transaction.
func (s *Service) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.db.InTx(ctx, fn)
}
