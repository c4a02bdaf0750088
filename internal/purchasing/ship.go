package purchasing

import (
	"context"
	"database/sql"
	"slices"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// Shipped names units of one PO line that left in a shipment.
type Shipped struct {
	LineID   int64
	Quantity int
}

// ShipTx moves units of the supplier's PO lines to shipped inside tx: from
// accepted first, then pending (shipping implies acceptance). It re-derives
// the lines' and POs' states and returns the lines after the change, in the
// order given. NotFound when a line is not that supplier's; Conflict when a
// line has fewer open units than asked. The shipping package calls it in the
// shipment's transaction.
func (s *Service) ShipTx(ctx context.Context, tx *sql.Tx, supplierID int64, units []Shipped) ([]Line, error) {
	if supplierID <= 0 {
		return nil, apperr.New(apperr.Invalid, "a supplier is required")
	}
	out := make([]Line, 0, len(units))
	var pos []int64
	for i, u := range units {
		if u.Quantity <= 0 {
			return nil, apperr.InvalidField("lines["+itoa(int64(i))+"].quantity", "must be positive, got %d", u.Quantity)
		}
		l, err := s.lockLine(ctx, tx, supplierID, u.LineID)
		if err != nil {
			return nil, err
		}
		if u.Quantity > l.Open() {
			return nil, apperr.New(apperr.Conflict, "purchase order line %d (%s) has %d units open to ship, not %d",
				l.ID, l.SupplierSKU, l.Open(), u.Quantity)
		}
		fromAccepted := min(l.Accepted, u.Quantity)
		fromPending := u.Quantity - fromAccepted
		extra, args := "", []any{}
		if fromPending > 0 && l.AnsweredAt == nil {
			extra, args = "answered_at = $14, answered_by = $15", []any{s.clock(), "shipment"}
		}
		n, err := s.moveUnits(ctx, tx, l, delta{pending: -fromPending, accepted: -fromAccepted, shipped: u.Quantity}, extra, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		if !slices.Contains(pos, n.PurchaseOrderID) {
			pos = append(pos, n.PurchaseOrderID)
		}
	}
	// A fixed order keeps two shipments from locking POs in opposite orders.
	slices.Sort(pos)
	for _, po := range pos {
		if _, err := s.settlePO(ctx, tx, po); err != nil {
			return nil, err
		}
	}
	return out, nil
}
