package purchasing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

const lineColumns = `l.id, l.purchase_order_id, l.supplier_id, l.order_id, l.order_line_id, l.offer_id, l.variant_id,
	l.sku, l.supplier_sku, l.title, l.state, l.quantity, l.qty_pending, l.qty_accepted, l.qty_shipped, l.qty_rejected,
	l.qty_cancelled, l.unit_cost_amount, l.cost_currency, l.reject_reason, l.answered_by, l.answered_at, l.overdue_at,
	l.created_at, l.updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanLine(r scanner) (Line, error) {
	var (
		l                  Line
		answered, overdue  sql.NullTime
		state              string
		created, updatedAt time.Time
	)
	err := r.Scan(&l.ID, &l.PurchaseOrderID, &l.SupplierID, &l.OrderID, &l.OrderLineID, &l.OfferID, &l.VariantID,
		&l.SKU, &l.SupplierSKU, &l.Title, &state, &l.Quantity, &l.Pending, &l.Accepted, &l.Shipped, &l.Rejected,
		&l.Cancelled, &l.UnitCost.Amount, &l.UnitCost.Currency, &l.RejectReason, &l.AnsweredBy, &answered, &overdue,
		&created, &updatedAt)
	if err != nil {
		return l, err
	}
	l.State = LineState(state)
	l.AnsweredAt = timePtr(answered)
	l.OverdueAt = timePtr(overdue)
	l.CreatedAt = created.UTC()
	l.UpdatedAt = updatedAt.UTC()
	return l, nil
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// queryLines reads PO lines: where is the condition after WHERE, on alias l.
func queryLines(ctx context.Context, q store.Querier, where string, args ...any) ([]Line, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+lineColumns+` FROM purchase_order_lines l WHERE `+where+` ORDER BY l.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Line
	for rows.Next() {
		l, err := scanLine(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// lockLine reads one of a supplier's PO lines for a change inside tx, locking
// it on PostgreSQL. NotFound when the line is not that supplier's (or the
// supplier is 0 and the line does not exist: staff act on any line).
func (s *Service) lockLine(ctx context.Context, tx *sql.Tx, supplierID, lineID int64) (Line, error) {
	q := `SELECT ` + lineColumns + ` FROM purchase_order_lines l WHERE l.id = $1`
	args := []any{lineID}
	if supplierID != 0 {
		q += ` AND l.supplier_id = $2`
		args = append(args, supplierID)
	}
	l, err := scanLine(tx.QueryRowContext(ctx, q+s.db.Dialect.ForUpdate(), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return l, apperr.New(apperr.NotFound, "purchase order line %d not found", lineID)
	}
	if err != nil {
		return l, fmt.Errorf("read purchase order line %d: %w", lineID, err)
	}
	return l, nil
}

// moveUnits applies the bucket deltas to a line with a conditional UPDATE
// (no bucket may go below zero, the line must still hold what was read) and
// re-derives its state. It returns the line after the change.
func (s *Service) moveUnits(ctx context.Context, tx *sql.Tx, l Line, d delta, extra string, extraArgs ...any) (Line, error) {
	n := l
	n.Pending += d.pending
	n.Accepted += d.accepted
	n.Shipped += d.shipped
	n.Rejected += d.rejected
	n.Cancelled += d.cancelled
	if n.Pending < 0 || n.Accepted < 0 || n.Shipped < 0 || n.Rejected < 0 || n.Cancelled < 0 {
		return l, apperr.New(apperr.Conflict, "purchase order line %d has not enough units", l.ID)
	}
	n.State = lineState(n)
	now := s.clock()
	n.UpdatedAt = now
	args := []any{d.pending, d.accepted, d.shipped, d.rejected, d.cancelled, string(n.State), now, l.ID,
		l.Pending, l.Accepted, l.Shipped, l.Rejected, l.Cancelled}
	set := ""
	args = append(args, extraArgs...)
	if extra != "" {
		set = ", " + extra
	}
	res, err := tx.ExecContext(ctx, `UPDATE purchase_order_lines SET qty_pending = qty_pending + $1,
		qty_accepted = qty_accepted + $2, qty_shipped = qty_shipped + $3, qty_rejected = qty_rejected + $4,
		qty_cancelled = qty_cancelled + $5, state = $6, updated_at = $7`+set+`
		WHERE id = $8 AND qty_pending = $9 AND qty_accepted = $10 AND qty_shipped = $11 AND qty_rejected = $12
		AND qty_cancelled = $13`, args...)
	if err != nil {
		return l, fmt.Errorf("update purchase order line %d: %w", l.ID, err)
	}
	if k, err := res.RowsAffected(); err != nil {
		return l, fmt.Errorf("update purchase order line %d: %w", l.ID, err)
	} else if k != 1 {
		return l, apperr.New(apperr.Conflict, "purchase order line %d changed meanwhile; try again", l.ID)
	}
	return n, nil
}

// delta is a change of a PO line's buckets.
type delta struct{ pending, accepted, shipped, rejected, cancelled int }

// settlePO re-derives a PO's state and total cost from its lines. An open
// or sending PO keeps its state (it has not been transmitted yet) unless
// every line is cancelled; a cancelled PO stays cancelled.
func (s *Service) settlePO(ctx context.Context, tx *sql.Tx, poID int64) (POState, error) {
	var (
		state                               string
		lines, pending, open, cancelledOnly int64
		total                               sql.NullInt64
	)
	// Lock the PO first (PostgreSQL): two answers on different lines of one
	// PO settle one after the other, the second seeing the first's lines.
	if err := tx.QueryRowContext(ctx, `SELECT state FROM purchase_orders WHERE id = $1`+s.db.Dialect.ForUpdate(), poID).Scan(&state); err != nil {
		return "", fmt.Errorf("settle purchase order %d: %w", poID, err)
	}
	err := tx.QueryRowContext(ctx, `SELECT COUNT(id), COALESCE(SUM(qty_pending), 0), COALESCE(SUM(qty_pending + qty_accepted), 0),
			COALESCE(SUM(CASE WHEN qty_cancelled = quantity THEN 1 ELSE 0 END), 0),
			SUM(unit_cost_amount * (quantity - qty_rejected - qty_cancelled))
		FROM purchase_order_lines WHERE purchase_order_id = $1`, poID).Scan(&lines, &pending, &open, &cancelledOnly, &total)
	if err != nil {
		return "", fmt.Errorf("settle purchase order %d: %w", poID, err)
	}
	next := POState(state)
	switch next {
	case POOpen, POSending:
		if lines > 0 && cancelledOnly == lines {
			next = POCancelled
		}
	case POSent, POAcknowledged, POClosed:
		switch {
		case pending > 0:
			next = POSent
		case open > 0:
			next = POAcknowledged
		default:
			next = POClosed
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE purchase_orders SET state = $1, total_cost_amount = $2, updated_at = $3 WHERE id = $4`,
		string(next), total.Int64, s.clock(), poID)
	if err != nil {
		return "", fmt.Errorf("settle purchase order %d: %w", poID, err)
	}
	return next, nil
}
