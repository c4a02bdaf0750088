// Package inventory owns stock: what each supplier offer reports, the safety
// buffers held back from it, reservations made for orders, manual
// adjustments, and available-to-sell (ATS) per SKU:
//
//	ATS = Σ over active offers of active suppliers of max(0, reported − buffer − reserved)
//
// The buffer of an offer is the largest of its supplier's and its SKU's rules
// (units, or a percentage of the reported quantity rounded up). It is stored
// on the offer's stock position and recomputed in the same transaction as
// every change of the reported quantity or of a rule, so that a reservation is
// one conditional UPDATE that can never take a position below its limit.
//
// Methods that change stock on behalf of a person (reports, adjustments,
// buffers) run their own transaction. Reserve, Release and Consume run inside
// the caller's transaction so an order can take stock for all its lines, and
// write itself, all or nothing.
package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
)

// DefaultLowStockThreshold is the low-stock threshold used when none is
// configured: a SKU with ATS at or below it is "low".
const DefaultLowStockThreshold = 5

// Options tune the service.
type Options struct {
	// LowStockThreshold is the default threshold of the low-stock filter
	// (DefaultLowStockThreshold when zero; negative means 0).
	LowStockThreshold int
}

// Service manages stock positions, buffers, reservations and adjustments.
type Service struct {
	db       *store.DB
	now      func() time.Time
	lowStock int
	restock  RestockFunc
}

// RestockFunc is called inside the transaction of every change that raises a
// supplier's reported quantity of a variant (a report or a manual adjustment),
// with the increase, so waiting backorders are filled in the same
// transaction. The orders service registers it; inventory cannot import
// orders.
type RestockFunc func(ctx context.Context, tx *sql.Tx, variantID int64, increase int) error

// OnRestock registers fn as the restock hook. Call it once, before serving.
func (s *Service) OnRestock(fn RestockFunc) { s.restock = fn }

// New returns a stock service on db. now is the clock (time.Now in
// production, a fixed clock in tests).
func New(db *store.DB, now func() time.Time, opts Options) *Service {
	if now == nil {
		now = time.Now
	}
	t := opts.LowStockThreshold
	if t == 0 {
		t = DefaultLowStockThreshold
	}
	if t < 0 {
		t = 0
	}
	return &Service{db: db, now: now, lowStock: t}
}

// LowStockThreshold is the configured default low-stock threshold.
func (s *Service) LowStockThreshold() int { return s.lowStock }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// forUpdate locks the rows of table alias a on PostgreSQL (not the rows of
// the tables joined to it: locking a supplier's row would serialise every
// reservation of that supplier). SQLite's single writer needs no lock.
func (s *Service) forUpdate(a string) string {
	if s.db.Engine == store.Postgres {
		return " FOR UPDATE OF " + a
	}
	return ""
}

// sellable is the SQL condition under which an offer o of supplier su counts
// towards ATS and may be reserved from.
const sellable = "o.status = 'active' AND su.status = 'active'"

// atsExpr is ATS of the variant v.id, computed on read. See List for why ATS
// is computed rather than kept in a column.
const atsExpr = `COALESCE((SELECT SUM(sp.available) FROM supplier_offers o
	JOIN suppliers su ON su.id = o.supplier_id
	JOIN stock_positions sp ON sp.offer_id = o.id
	WHERE o.variant_id = v.id AND ` + sellable + `), 0)`

// ATS returns the available-to-sell quantity of one variant. q may be a
// transaction, so order intake sees its own reservations.
func (s *Service) ATS(ctx context.Context, q store.Querier, variantID int64) (int, error) {
	var ats int
	err := q.QueryRowContext(ctx, `SELECT v.id, `+atsExpr+` FROM variants v WHERE v.id = $1`, variantID).Scan(&variantID, &ats)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperr.New(apperr.NotFound, "variant %d not found", variantID)
	}
	if err != nil {
		return 0, fmt.Errorf("ATS of variant %d: %w", variantID, err)
	}
	return ats, nil
}

// variantBySKU returns the id and stored SKU of the variant with sku.
func variantBySKU(ctx context.Context, q store.Querier, sku string) (int64, string, error) {
	n := normSKU(sku)
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id, sku FROM variants WHERE sku = $1`, n).Scan(&id, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", errUnknownSKU(sku)
	}
	if err != nil {
		return 0, "", fmt.Errorf("look up SKU %q: %w", sku, err)
	}
	return id, n, nil
}

// VariantID returns the id of the variant with the given SKU (not_found if none).
func (s *Service) VariantID(ctx context.Context, sku string) (int64, error) {
	id, _, err := variantBySKU(ctx, s.db.R, sku)
	return id, err
}
