package orders

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/orderly-oms/orderly/internal/money"
)

// EntryRefundIssued is the timeline event of a refund marked issued.
const EntryRefundIssued = "refund_issued"

// RefundIssuedTx records inside tx that refund payment (an order_payments row
// of kind refund) of order number was paid back: a timeline entry
// EntryRefundIssued by who (the staff member, or the token, who marked it),
// whose reason reads "refund 17 issued: 9.75 EUR, provider reference re_3Nq8"
// and whose detail holds "payment", "refund" (the amount) and
// "provider_ref"; and the event order.refund_issued carrying the entry. The
// order's state does not change. It returns the entry's id.
//
// internal/refunds calls it for each refund it marks issued, in the same
// transaction, so the entries exist if and only if the refunds were marked.
func (s *Service) RefundIssuedTx(ctx context.Context, tx *sql.Tx, number, payment int64, amount money.Money,
	providerRef, who string) (int64, error) {
	st := ""
	if err := tx.QueryRowContext(ctx, `SELECT state FROM orders WHERE id = $1`, number).Scan(&st); err != nil {
		return 0, fmt.Errorf("refund %d issued: order %d: %w", payment, number, err)
	}
	reason := fmt.Sprintf("refund %d issued: %s", payment, amount)
	detail := map[string]any{"payment": payment, "refund": amount}
	if providerRef != "" {
		reason += ", provider reference " + providerRef
		detail["provider_ref"] = providerRef
	}
	entry, err := s.record(ctx, tx, number, 0, EntryRefundIssued, st, st, who, reason, detail)
	if err != nil {
		return 0, err
	}
	if err := s.emit(ctx, tx, EventArgs{Event: EventRefundIssued, Order: number, Entry: entry}); err != nil {
		return 0, err
	}
	return entry, nil
}
