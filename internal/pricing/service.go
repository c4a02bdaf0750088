package pricing

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

// Options tune the pricing service. The zero value is usable.
type Options struct {
	Logger *slog.Logger
	// BatchSize is how many variants one transaction reprices (default 200).
	BatchSize int
}

// Service keeps prices at their rules' margins: rules, repricing, proposals
// and price history.
type Service struct {
	db    *store.DB
	jobs  *jobs.Queue
	now   func() time.Time
	log   *slog.Logger
	batch int
}

// New returns the pricing service. q enqueues repricing jobs; if nil, New
// makes an insert-only queue on db. When sup is not nil, New registers the
// service's cost-change hook with it, so changing an offer's cost through
// the suppliers service reprices its variant.
func New(db *store.DB, sup *suppliers.Service, q *jobs.Queue, now func() time.Time, opts Options) (*Service, error) {
	if now == nil {
		now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 200
	}
	if q == nil {
		var err error
		if q, err = jobs.New(db, jobs.Config{InsertOnly: true, Logger: opts.Logger}); err != nil {
			return nil, err
		}
	}
	s := &Service{db: db, jobs: q, now: now, log: opts.Logger, batch: opts.BatchSize}
	if sup != nil {
		sup.OnCostChange(s.CostChanged)
	}
	return s, nil
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// actor is who makes the change in ctx, for rules and history.
func actor(ctx context.Context, fallback string) string {
	if p := auth.FromContext(ctx); p != nil {
		return p.Actor()
	}
	return fallback
}

// EnqueueTx enqueues the repricing of variantIDs inside tx: the job exists
// only if tx commits. reason goes into the price history.
func (s *Service) EnqueueTx(ctx context.Context, tx *sql.Tx, variantIDs []int64, reason string) error {
	if len(variantIDs) == 0 {
		return nil
	}
	if _, err := s.jobs.InsertTx(ctx, tx, RepriceArgs{VariantIDs: variantIDs, Reason: reason}); err != nil {
		return fmt.Errorf("enqueue repricing: %w", err)
	}
	return nil
}

// CostChanged is the suppliers service's cost-change hook: it enqueues the
// repricing of the variant in the transaction of the offer change.
func (s *Service) CostChanged(ctx context.Context, tx *sql.Tx, variantID int64, reason string) error {
	return s.EnqueueTx(ctx, tx, []int64{variantID}, reason+" by "+actor(ctx, "system"))
}
