package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
)

// NotReservedError says a reference holds fewer units on an offer than a
// ConsumeUnits call wanted. ConsumeUnits returns it wrapped in an apperr
// Conflict.
type NotReservedError struct {
	Ref     string
	OfferID int64
	Held    int
	Wanted  int
}

func (e *NotReservedError) Error() string {
	return fmt.Sprintf("%s holds %d units on offer %d, cannot consume %d", e.Ref, e.Held, e.OfferID, e.Wanted)
}

// ConsumeUnits turns qty units of ref's reservation on one offer into a
// shipment inside tx: like Consume, but for part of a reference and one
// offer only (a partial shipment of an order line by one supplier). Reported
// and reserved on the offer both drop by qty, an adjustment of kind
// "consume" with the reason "shipped for <ref>" is recorded by the caller in
// ctx, and the stock_levels row follows by its triggers. The reservation rows
// shrink by conditional statements, so no count ever goes negative; when ref
// holds fewer than qty units on the offer the error is an apperr Conflict
// wrapping a *NotReservedError and nothing changed.
func (s *Service) ConsumeUnits(ctx context.Context, tx *sql.Tx, ref string, offerID int64, qty int) error {
	if qty <= 0 || qty > maxQuantity {
		return apperr.InvalidField("quantity", "must be between 1 and %d, got %d", maxQuantity, qty)
	}
	hs, total, err := s.heldRows(ctx, tx, ref, offerID)
	if err != nil {
		return fmt.Errorf("consume %d of %s on offer %d: %w", qty, ref, offerID, err)
	}
	if total < qty {
		e := &NotReservedError{Ref: ref, OfferID: offerID, Held: total, Wanted: qty}
		return apperr.Wrap(e, apperr.Conflict, "%s", e.Error())
	}
	if _, err := takeHeld(ctx, tx, ref, hs, qty); err != nil {
		return fmt.Errorf("consume %d of %s on offer %d: %w", qty, ref, offerID, err)
	}
	actor := "system:inventory"
	if p := auth.FromContext(ctx); p != nil {
		actor = p.Actor()
	}
	_, err = s.changeReported(ctx, tx, change{
		offerID: offerID, kind: KindConsume, reason: "shipped for " + ref, actor: actor,
		apply:           func(before int) (int, error) { return max(0, before-qty), nil },
		releaseReserved: qty,
	})
	if err != nil {
		return fmt.Errorf("consume %d of %s on offer %d: %w", qty, ref, offerID, err)
	}
	return nil
}

// IsNotReserved reports whether err says a reference held too few units
// (ConsumeUnits).
func IsNotReserved(err error) bool {
	var e *NotReservedError
	return errors.As(err, &e)
}
