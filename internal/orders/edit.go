package orders

import (
	"context"
	"database/sql"
	"strings"

	"github.com/orderly-oms/orderly/internal/customers"
)

// Editable reports whether an order can still be edited (address, lines):
// nothing of it has gone to a supplier yet.
func (o *Order) Editable() bool {
	switch o.State {
	case OnHold, AwaitingStock, ReadyToRoute:
	default:
		return false
	}
	for _, l := range o.Lines {
		switch l.State {
		case LineSentToSupplier, LineShipped, LineDelivered:
			return false
		}
	}
	return true
}

// EditAddress replaces the shipping address of an order not yet sent to a
// supplier. The new address is checked: a failing address puts (or keeps) the
// order on hold with reason "address"; a good one releases an open address
// hold. The timeline keeps the old and new address.
func (s *Service) EditAddress(ctx context.Context, number int64, addr customers.Address, reason string) (*Order, error) {
	reason, err := checkReason("reason", reason, false)
	if err != nil {
		return nil, err
	}
	addr = customers.NormalizeAddress(addr)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		o, err := s.lockOrder(ctx, tx, number)
		if err != nil {
			return err
		}
		if !o.Editable() {
			return errState(number, o.State, "change its address: it has gone to a supplier")
		}
		who := actor(ctx, "system:orders")
		old := o.ShippingAddress
		o.ShippingAddress = addr
		probs := customers.CheckAddress(addr)
		open := o.openHold(HoldAddress)
		now := s.clock()
		switch {
		case len(probs) > 0 && open == nil:
			msgs := make([]string, len(probs))
			for i, p := range probs {
				msgs[i] = p.Message
			}
			if _, err := s.hold(ctx, tx, number, holdInput{HoldAddress, strings.Join(msgs, "; ")}, who); err != nil {
				return err
			}
			o.Holds = append(o.Holds, Hold{Reason: HoldAddress})
		case len(probs) == 0 && open != nil:
			if _, err := tx.ExecContext(ctx, `UPDATE order_holds SET released_by = $1, released_at = $2, release_note = $3 WHERE id = $4`,
				who, now, "address corrected", open.ID); err != nil {
				return err
			}
			open.ReleasedAt, open.ReleasedBy = &now, who
		}
		from, to, err := s.settle(ctx, tx, o)
		if err != nil {
			return err
		}
		entry, err := s.record(ctx, tx, number, 0, "address_changed", string(from), string(to), who, reason,
			map[string]any{"from": old, "to": addr, "problems": probs})
		if err != nil {
			return err
		}
		if err := s.emit(ctx, tx, EventArgs{Event: EventEdited, Order: number, Entry: entry}); err != nil {
			return err
		}
		return s.afterChange(ctx, tx, o, from, to, entry)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, number)
}
