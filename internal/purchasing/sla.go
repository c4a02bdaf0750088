package purchasing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CheckOverdue flags the sent PO lines that still have pending units past
// their PO's answer deadline (each line once): it sets overdue_at, records
// "supplier_overdue" on the order's timeline and, when the supplier's
// settings say so, cancels the pending units on that line and routes them
// again (trigger "timeout"), all in one transaction per line. It returns how
// many lines it flagged.
func (s *Service) CheckOverdue(ctx context.Context) (int, error) {
	now := s.clock()
	rows, err := s.db.R.QueryContext(ctx, `SELECT l.id, l.supplier_id FROM purchase_order_lines l
		JOIN purchase_orders p ON p.id = l.purchase_order_id
		WHERE l.qty_pending > 0 AND l.overdue_at IS NULL AND p.state IN ('sent', 'acknowledged') AND p.ack_due_at <= $1
		ORDER BY l.id LIMIT 500`, now)
	if err != nil {
		return 0, fmt.Errorf("overdue purchase order lines: %w", err)
	}
	type due struct{ line, supplier int64 }
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.line, &d.supplier); err != nil {
			rows.Close()
			return 0, fmt.Errorf("overdue purchase order lines: %w", err)
		}
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("overdue purchase order lines: %w", err)
	}
	flagged := 0
	var errs []error
	for _, d := range list {
		var done bool
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			done, err = s.overdueTx(ctx, tx, d.supplier, d.line, now)
			return err
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if done {
			flagged++
		}
	}
	return flagged, errors.Join(errs...)
}

func (s *Service) overdueTx(ctx context.Context, tx *sql.Tx, supplierID, lineID int64, now time.Time) (bool, error) {
	l, err := s.lockLine(ctx, tx, supplierID, lineID)
	if err != nil {
		return false, err
	}
	var due sql.NullTime
	if err := tx.QueryRowContext(ctx, `SELECT ack_due_at FROM purchase_orders WHERE id = $1`, l.PurchaseOrderID).Scan(&due); err != nil {
		return false, fmt.Errorf("read %s: %w", Number(l.PurchaseOrderID), err)
	}
	// Another instance may have flagged it, or the supplier answered meanwhile.
	res, err := tx.ExecContext(ctx, `UPDATE purchase_order_lines SET overdue_at = $1, updated_at = $1
		WHERE id = $2 AND overdue_at IS NULL AND qty_pending > 0`, now, l.ID)
	if err != nil {
		return false, fmt.Errorf("flag purchase order line %d overdue: %w", l.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	f, err := s.loadFulfilment(ctx, tx, supplierID)
	if err != nil {
		return false, err
	}
	pending := l.Pending
	reroute := f.RerouteOnTimeout && s.opts.Rerouter != nil
	if s.opts.Timeline != nil {
		detail := map[string]any{"purchase_order": Number(l.PurchaseOrderID), "po_line_id": l.ID, "supplier_id": l.SupplierID,
			"supplier_sku": l.SupplierSKU, "pending": pending, "answer_by": due.Time.UTC(), "rerouted": reroute}
		reason := fmt.Sprintf("no answer from supplier %d for %d units within %d minutes", supplierID, pending, f.AckSLAMinutes)
		if err := s.opts.Timeline.NoteTx(ctx, tx, l.OrderID, l.OrderLineID, "supplier_overdue", "system:purchasing", reason, detail); err != nil {
			return false, err
		}
	}
	if !reroute {
		return true, nil
	}
	l.OverdueAt = &now
	if _, err := s.moveUnits(ctx, tx, l, delta{pending: -pending, cancelled: pending}, ""); err != nil {
		return false, err
	}
	if _, err := s.settlePO(ctx, tx, l.PurchaseOrderID); err != nil {
		return false, err
	}
	err = s.opts.Rerouter.RerouteTx(ctx, tx, RerouteRequest{OrderID: l.OrderID, OrderLineID: l.OrderLineID,
		FromOfferID: l.OfferID, Quantity: pending, Trigger: "timeout",
		Reason: fmt.Sprintf("supplier did not answer by %s", due.Time.UTC().Format(time.RFC3339))})
	if err != nil {
		return false, fmt.Errorf("route again %d unanswered units of order %d line %d: %w", pending, l.OrderID, l.OrderLineID, err)
	}
	return true, nil
}
