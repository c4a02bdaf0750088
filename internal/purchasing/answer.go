package purchasing

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
)

// Answer records a supplier's answer for some pending units of one of its PO
// lines: accepted units wait to be shipped, rejected units (a reason is
// required) are routed again to another supplier in the same transaction.
// accepted + rejected must be at least 1 and at most the pending units. The
// answer goes on the order's timeline with the actor in ctx (the supplier's
// user, or staff answering on its behalf). NotFound when the line is not
// supplierID's; Conflict when its PO has not been sent yet or too few units
// are pending.
func (s *Service) Answer(ctx context.Context, supplierID, poLineID int64, accepted, rejected int, reason string) (Line, error) {
	var out Line
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.AnswerTx(ctx, tx, supplierID, poLineID, accepted, rejected, reason)
		return err
	})
	return out, err
}

// AnswerTx is Answer inside the caller's transaction.
func (s *Service) AnswerTx(ctx context.Context, tx *sql.Tx, supplierID, poLineID int64, accepted, rejected int, reason string) (Line, error) {
	if supplierID <= 0 {
		return Line{}, apperr.New(apperr.Invalid, "a supplier is required")
	}
	reason = strings.TrimSpace(reason)
	var fe apperr.Fields
	if accepted < 0 {
		fe.Add("accepted", "must not be negative, got %d", accepted)
	}
	if rejected < 0 {
		fe.Add("rejected", "must not be negative, got %d", rejected)
	}
	if accepted >= 0 && rejected >= 0 && accepted+rejected == 0 {
		fe.Add("accepted", "accept or reject at least one unit")
	}
	if rejected > 0 && reason == "" {
		fe.Add("reason", "is required to reject units: say why (out of stock, discontinued...), it goes on the order's timeline")
	}
	if len(reason) > 500 {
		fe.Add("reason", "must be at most 500 characters")
	}
	if err := fe.Err(); err != nil {
		return Line{}, err
	}
	l, err := s.lockLine(ctx, tx, supplierID, poLineID)
	if err != nil {
		return Line{}, err
	}
	var state string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM purchase_orders WHERE id = $1`, l.PurchaseOrderID).Scan(&state); err != nil {
		return Line{}, fmt.Errorf("read %s: %w", Number(l.PurchaseOrderID), err)
	}
	if POState(state) == POOpen || POState(state) == POSending || POState(state) == POCancelled {
		return Line{}, apperr.New(apperr.Conflict, "%s is %s: lines can be answered once it is sent", Number(l.PurchaseOrderID), state)
	}
	if accepted+rejected > l.Pending {
		return Line{}, apperr.New(apperr.Conflict, "purchase order line %d (%s) has %d units awaiting an answer, not %d",
			l.ID, l.SupplierSKU, l.Pending, accepted+rejected)
	}
	who := actorOf(ctx, supplierID)
	now := s.clock()
	extra := "answered_by = $14, answered_at = $15"
	args := []any{who, now}
	if rejected > 0 {
		extra += ", reject_reason = $16"
		args = append(args, reason)
	}
	n, err := s.moveUnits(ctx, tx, l, delta{pending: -(accepted + rejected), accepted: accepted, rejected: rejected}, extra, args...)
	if err != nil {
		return Line{}, err
	}
	n.AnsweredBy, n.AnsweredAt = who, &now
	if rejected > 0 {
		n.RejectReason = reason
	}
	if _, err := s.settlePO(ctx, tx, l.PurchaseOrderID); err != nil {
		return Line{}, err
	}
	event := "supplier_accepted"
	switch {
	case accepted > 0 && rejected > 0:
		event = "supplier_answered"
	case rejected > 0:
		event = "supplier_rejected"
	}
	if s.opts.Timeline != nil {
		detail := map[string]any{"purchase_order": Number(l.PurchaseOrderID), "po_line_id": l.ID, "supplier_id": l.SupplierID,
			"supplier_sku": l.SupplierSKU, "accepted": accepted, "rejected": rejected}
		if err := s.opts.Timeline.NoteTx(ctx, tx, l.OrderID, l.OrderLineID, event, who, reason, detail); err != nil {
			return Line{}, err
		}
	}
	if rejected > 0 && s.opts.Rerouter != nil {
		err := s.opts.Rerouter.RerouteTx(ctx, tx, RerouteRequest{OrderID: l.OrderID, OrderLineID: l.OrderLineID,
			FromOfferID: l.OfferID, Quantity: rejected, Trigger: "rejected", Reason: reason})
		if err != nil {
			return Line{}, fmt.Errorf("route again %d rejected units of order %d line %d: %w", rejected, l.OrderID, l.OrderLineID, err)
		}
	}
	return n, nil
}

// actorOf is who answers: the principal in ctx, or the supplier itself.
func actorOf(ctx context.Context, supplierID int64) string {
	if p := auth.FromContext(ctx); p != nil {
		return p.Actor()
	}
	return fmt.Sprintf("supplier:%d", supplierID)
}
