package purchasing

import (
	"context"
	"fmt"
)

// OrderLine is a PO line of an order with its purchase order's number,
// state and supplier name, for the staff's order page.
type OrderLine struct {
	Line
	PONumber     string  `json:"po_number"`
	POState      POState `json:"po_state"`
	SupplierName string  `json:"supplier_name"`
}

// OrderLines returns the PO lines of an order (staff only: every supplier's),
// ordered by purchase order then line; none for an unknown order.
func (s *Service) OrderLines(ctx context.Context, orderID int64) ([]OrderLine, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+lineColumns+`, p.state, s.name FROM purchase_order_lines l
		JOIN purchase_orders p ON p.id = l.purchase_order_id
		JOIN suppliers s ON s.id = l.supplier_id
		WHERE l.order_id = $1 ORDER BY l.purchase_order_id, l.id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("purchase order lines of order %d: %w", orderID, err)
	}
	defer rows.Close()
	var out []OrderLine
	for rows.Next() {
		var ol OrderLine
		var state string
		var line Line
		var extra = []any{&state, &ol.SupplierName}
		if line, err = scanLine(extraScanner{rows, extra}); err != nil {
			return nil, fmt.Errorf("purchase order lines of order %d: %w", orderID, err)
		}
		ol.Line = line
		ol.POState = POState(state)
		ol.PONumber = Number(line.PurchaseOrderID)
		out = append(out, ol)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("purchase order lines of order %d: %w", orderID, err)
	}
	return out, nil
}

// extraScanner scans a row with more columns than scanLine reads: the
// extra destinations take the columns after the line's.
type extraScanner struct {
	r     scanner
	extra []any
}

func (e extraScanner) Scan(dest ...any) error { return e.r.Scan(append(dest, e.extra...)...) }
