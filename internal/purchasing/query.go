package purchasing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
			sd Send
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
