package pricing

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
)

// jobTimeout bounds one repricing job; a job reprices in batches, each its
// own transaction, so a retry redoes only what was left.
const jobTimeout = 15 * time.Minute

// RepriceWorker works RepriceArgs with Pricing (set once the service exists:
// the service needs the queue the worker is registered with).
type RepriceWorker struct {
	river.WorkerDefaults[RepriceArgs]
	Pricing *Service
}

// Timeout lets a large repricing run longer than River's default minute.
func (w *RepriceWorker) Timeout(*river.Job[RepriceArgs]) time.Duration { return jobTimeout }

// Work reprices the job's variants.
func (w *RepriceWorker) Work(ctx context.Context, job *river.Job[RepriceArgs]) error {
	if w.Pricing == nil {
		return fmt.Errorf("reprice: the worker is not bound to the pricing service")
	}
	reason := strings.TrimSpace(job.Args.Reason)
	if reason == "" {
		reason = "costs changed"
	}
	sum, err := w.Pricing.Reprice(ctx, job.Args.VariantIDs, reason)
	w.Pricing.logSummary(ctx, reason, sum)
	return err
}

func (s *Service) logSummary(ctx context.Context, reason string, sum Summary) {
	if sum.Applied+sum.Proposed+sum.Cannot == 0 {
		return
	}
	s.log.InfoContext(ctx, "repriced", "reason", reason, "applied", sum.Applied, "proposed", sum.Proposed,
		"unchanged", sum.Unchanged, "cannot", sum.Cannot, "problems", sum.Problems)
}

// RepriceCoveredArgs is the job that reprices every variant a rule covers
// (after the rule was created, changed or deleted), one page of variants
// per run: each run reprices a page in one transaction and enqueues the
// next page in it.
type RepriceCoveredArgs struct {
	Scope     Scope  `json:"scope"`
	Tag       string `json:"tag,omitempty"`
	VariantID int64  `json:"variant_id,omitempty"`
	Currency  string `json:"currency"`
	// After is the last variant id repriced by the previous page.
	After  int64  `json:"after,omitempty"`
	Reason string `json:"reason"`
}

// Kind is the River job kind.
func (RepriceCoveredArgs) Kind() string { return "reprice_covered" }

// RepriceCoveredWorker works RepriceCoveredArgs with Pricing.
type RepriceCoveredWorker struct {
	river.WorkerDefaults[RepriceCoveredArgs]
	Pricing *Service
}

// Work reprices one page of the covered variants and enqueues the next.
func (w *RepriceCoveredWorker) Work(ctx context.Context, job *river.Job[RepriceCoveredArgs]) error {
	if w.Pricing == nil {
		return fmt.Errorf("reprice covered: the worker is not bound to the pricing service")
	}
	sum, _, err := w.Pricing.RepriceCoveredPage(ctx, job.Args)
	w.Pricing.logSummary(ctx, job.Args.Reason, sum)
	return err
}

// Workers are the pricing job workers, registered with the queue before the
// service exists (the service needs the queue) and bound to it after.
type Workers struct {
	reprice *RepriceWorker
	covered *RepriceCoveredWorker
}

// AddWorkers registers the pricing workers with ws.
func AddWorkers(ws *river.Workers) *Workers {
	w := &Workers{reprice: &RepriceWorker{}, covered: &RepriceCoveredWorker{}}
	river.AddWorker(ws, w.reprice)
	river.AddWorker(ws, w.covered)
	return w
}

// Bind points the workers at s.
func (w *Workers) Bind(s *Service) { w.reprice.Pricing, w.covered.Pricing = s, s }

// coverArgs describes the variants r covers.
func coverArgs(r Rule, reason string) RepriceCoveredArgs {
	return RepriceCoveredArgs{Scope: r.Scope, Tag: r.Tag, VariantID: r.VariantID, Currency: r.Currency, Reason: reason}
}

// repriceCoveredTx enqueues, inside tx, the repricing of every variant r
// covers.
func (s *Service) repriceCoveredTx(ctx context.Context, tx *sql.Tx, r Rule, reason string) error {
	if _, err := s.jobs.InsertTx(ctx, tx, coverArgs(r, reason)); err != nil {
		return fmt.Errorf("enqueue repricing for rule %d: %w", r.ID, err)
	}
	return nil
}

// RepriceCoveredPage reprices the next page (BatchSize variants, in id
// order after a.After) of the variants a describes, not archived, and, in
// the same transaction, enqueues the page after it. It reports whether a
// next page was enqueued.
func (s *Service) RepriceCoveredPage(ctx context.Context, a RepriceCoveredArgs) (Summary, bool, error) {
	var sum Summary
	var more bool
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var w where
		switch a.Scope {
		case ScopeSKU:
			if a.After > 0 {
				return nil
			}
			w.add("v.id = " + w.arg(a.VariantID))
		case ScopeCollection:
			w.add("v.product_id IN (SELECT t.product_id FROM product_tags t WHERE t.tag = " + w.arg(a.Tag) + ")")
			w.add("v.price_currency = " + w.arg(a.Currency))
		case ScopeStore:
			w.add("v.price_currency = " + w.arg(a.Currency))
		default:
			return fmt.Errorf("reprice covered: unknown scope %q", a.Scope)
		}
		w.add("v.status <> 'archived'")
		w.add("v.id > " + w.arg(a.After))
		rows, err := tx.QueryContext(ctx, `SELECT v.id FROM variants v`+w.sql()+` ORDER BY v.id LIMIT `+w.arg(s.batch), w.args...)
		if err != nil {
			return fmt.Errorf("variants covered by %s rule: %w", a.Scope, err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("variants covered by %s rule: %w", a.Scope, err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("variants covered by %s rule: %w", a.Scope, err)
		}
		if len(ids) == 0 {
			return nil
		}
		if sum, err = s.repriceTx(ctx, tx, ids, a.Reason); err != nil {
			return err
		}
		if len(ids) == s.batch && a.Scope != ScopeSKU {
			next := a
			next.After = ids[len(ids)-1]
			if _, err := s.jobs.InsertTx(ctx, tx, next); err != nil {
				return fmt.Errorf("enqueue next repricing page: %w", err)
			}
			more = true
		}
		return nil
	})
	return sum, more, err
}
