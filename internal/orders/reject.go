package orders

import (
	"context"
	"database/sql"
)

// NoteTx writes an entry on order number's timeline inside tx, for the
// packages that follow an order's lines at its suppliers (purchasing: a PO
// sent, a supplier's answer, an overdue answer). line is the order line's id,
// or 0 for the whole order; who is the actor (e.g. "supplier:3" or
// "system:purchasing"); detail, when not nil, is stored as JSON.
func (s *Service) NoteTx(ctx context.Context, tx *sql.Tx, number, line int64, event, who, reason string, detail any) error {
	_, err := s.record(ctx, tx, number, line, event, "", "", who, reason, detail)
	return err
}
