package purchasing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
)

const poColumns = `p.id, p.supplier_id, s.name, p.state, p.channel, p.currency, p.total_cost_amount, p.send_after,
	p.sent_at, p.ack_due_at, p.send_attempts, p.last_error, p.created_at, p.updated_at`

func scanPO(r scanner) (PurchaseOrder, error) {
	var (
		p                         PurchaseOrder
		state, channel            string
		sent, due                 sql.NullTime
		sendAfter, created, updAt time.Time
	)
	err := r.Scan(&p.ID, &p.SupplierID, &p.SupplierName, &state, &channel, &p.Currency, &p.TotalCost.Amount, &sendAfter,
		&sent, &due, &p.SendAttempts, &p.LastError, &created, &updAt)
	if err != nil {
		return p, err
	}
	p.Number = Number(p.ID)
	p.State = POState(state)
	p.Channel = Channel(channel)
	p.TotalCost.Currency = p.Currency
	p.SendAfter = sendAfter.UTC()
	p.SentAt = timePtr(sent)
	p.AckDueAt = timePtr(due)
	p.CreatedAt = created.UTC()
	p.UpdatedAt = updAt.UTC()
	return p, nil
}

// Get returns a PO with its lines and send attempts. supplierID scopes the
// read to one supplier (the supplier portal): another supplier's PO is
// NotFound; 0 reads any PO (staff).
func (s *Service) Get(ctx context.Context, supplierID, id int64) (*PurchaseOrder, error) {
	return s.get(ctx, s.db.R, supplierID, id)
}

func (s *Service) get(ctx context.Context, q store.Querier, supplierID, id int64) (*PurchaseOrder, error) {
	where := `p.id = $1`
	args := []any{id}
	if supplierID != 0 {
		where += ` AND p.supplier_id = $2`
		args = append(args, supplierID)
	}
	p, err := scanPO(q.QueryRowContext(ctx, `SELECT `+poColumns+` FROM purchase_orders p
		JOIN suppliers s ON s.id = p.supplier_id WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "purchase order %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read purchase order %d: %w", id, err)
	}
	lwhere := `l.purchase_order_id = $1`
	if supplierID != 0 {
		lwhere += ` AND l.supplier_id = $2`
	}
	if p.Lines, err = queryLines(ctx, q, lwhere, args...); err != nil {
		return nil, fmt.Errorf("read lines of purchase order %d: %w", id, err)
	}
	rows, err := q.QueryContext(ctx, `SELECT id, channel, attempt, ok, detail, created_at FROM purchase_order_sends
		WHERE purchase_order_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("read sends of purchase order %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			sd SendAttempt
			ch string
		)
		if err := rows.Scan(&sd.ID, &ch, &sd.Attempt, &sd.OK, &sd.Detail, &sd.At); err != nil {
			return nil, fmt.Errorf("read sends of purchase order %d: %w", id, err)
		}
		sd.Channel = Channel(ch)
		sd.At = sd.At.UTC()
		p.Sends = append(p.Sends, sd)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sends of purchase order %d: %w", id, err)
	}
	return &p, nil
}

// Line returns one PO line; supplierID scopes it as in Get.
func (s *Service) Line(ctx context.Context, supplierID, lineID int64) (Line, error) {
	where := `l.id = $1`
	args := []any{lineID}
	if supplierID != 0 {
		where += ` AND l.supplier_id = $2`
		args = append(args, supplierID)
	}
	ls, err := queryLines(ctx, s.db.R, where, args...)
	if err != nil {
		return Line{}, fmt.Errorf("read purchase order line %d: %w", lineID, err)
	}
	if len(ls) == 0 {
		return Line{}, apperr.New(apperr.NotFound, "purchase order line %d not found", lineID)
	}
	return ls[0], nil
}

// Filter selects purchase orders for List.
type Filter struct {
	SupplierID int64   // 0: every supplier (staff); the supplier portal always sets it
	State      POState // empty: any
	// Unacknowledged keeps sent POs with lines still awaiting an answer.
	Unacknowledged bool
	// Overdue keeps POs with lines flagged past their answer deadline and
	// still pending.
	Overdue bool
	// LateToShip keeps POs with units not shipped (pending or accepted) of
	// an order the at-risk job flagged not_shipped: its promised ship-by day
	// ended, in the supplier's time zone (docs/promise.md).
	LateToShip bool
	// Before pages backwards: POs with an id below it (newest first).
	Before int64
	Limit  int // default 50, at most 200
}

// List returns purchase orders, newest first, without their lines, and
// whether more follow.
func (s *Service) List(ctx context.Context, f Filter) ([]PurchaseOrder, bool, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 200)
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + itoa(int64(len(args)))
	}
	if f.SupplierID != 0 {
		where = append(where, "p.supplier_id = "+arg(f.SupplierID))
	}
	if f.State != "" {
		where = append(where, "p.state = "+arg(string(f.State)))
	}
	if f.Before > 0 {
		where = append(where, "p.id < "+arg(f.Before))
	}
	if f.Unacknowledged {
		// Sent, with lines still awaiting the supplier's answer.
		where = append(where, `p.state IN ('sent', 'acknowledged', 'closed') AND EXISTS (SELECT 1 FROM purchase_order_lines l
			WHERE l.purchase_order_id = p.id AND l.supplier_id = p.supplier_id AND l.qty_pending > 0)`)
	}
	if f.Overdue {
		where = append(where, `EXISTS (SELECT 1 FROM purchase_order_lines l WHERE l.purchase_order_id = p.id
			AND l.supplier_id = p.supplier_id AND l.qty_pending > 0 AND l.overdue_at IS NOT NULL)`)
	}
	if f.LateToShip {
		where = append(where, `EXISTS (SELECT 1 FROM purchase_order_lines l JOIN order_risks r ON r.order_id = l.order_id
			AND r.reason = 'not_shipped' AND r.cleared_at IS NULL
			WHERE l.purchase_order_id = p.id AND l.supplier_id = p.supplier_id AND l.qty_pending + l.qty_accepted > 0)`)
	}
	q := `SELECT ` + poColumns + ` FROM purchase_orders p JOIN suppliers s ON s.id = p.supplier_id`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY p.id DESC LIMIT ` + arg(f.Limit+1)
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list purchase orders: %w", err)
	}
	defer rows.Close()
	out := []PurchaseOrder{}
	for rows.Next() {
		p, err := scanPO(rows)
		if err != nil {
			return nil, false, fmt.Errorf("list purchase orders: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list purchase orders: %w", err)
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	return out, more, nil
}

// PODocument returns a PO as the supplier sees it: its lines not entirely
// cancelled, grouped by order with each order's shipping address.
// supplierID scopes it as in Get.
func (s *Service) PODocument(ctx context.Context, supplierID, id int64) (PODocument, error) {
	po, err := s.Get(ctx, supplierID, id)
	if err != nil {
		return PODocument{}, err
	}
	return s.document(ctx, s.db.R, po)
}

// ExportOpen returns the CSV (CSVHeader) of the supplier's lines still to
// answer or ship, on POs already sent.
func (s *Service) ExportOpen(ctx context.Context, supplierID int64) ([]byte, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT DISTINCT l.purchase_order_id FROM purchase_order_lines l
		JOIN purchase_orders p ON p.id = l.purchase_order_id
		WHERE l.supplier_id = $1 AND l.qty_pending + l.qty_accepted > 0 AND p.state IN ('sent', 'acknowledged')
		ORDER BY l.purchase_order_id`, supplierID)
	if err != nil {
		return nil, fmt.Errorf("export open lines of supplier %d: %w", supplierID, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("export open lines of supplier %d: %w", supplierID, err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export open lines of supplier %d: %w", supplierID, err)
	}
	var docs []PODocument
	for _, id := range ids {
		po, err := s.get(ctx, s.db.R, supplierID, id)
		if err != nil {
			return nil, err
		}
		open := po.Lines[:0:0]
		for _, l := range po.Lines {
			if l.Open() > 0 {
				open = append(open, l)
			}
		}
		po.Lines = open
		d, err := s.document(ctx, s.db.R, po)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return CSV(docs...), nil
}
