package orders

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// The routing and fulfilment side of the lifecycle: lines go to a supplier,
// ship, and are delivered. Routing (purchase orders, tracking) drives these;
// staff can record them by hand.

// SendToSupplier records that lines (by position; none means every allocated
// line) were sent to their supplier. Only fully allocated lines can be sent,
// and not while the order is on hold.
func (s *Service) SendToSupplier(ctx context.Context, number int64, positions []int, note string) (*Order, error) {
	return s.fulfil(ctx, number, positions, note, "sent_to_supplier", func(o *Order, l *Line) error {
		if o.State == OnHold {
			return errState(number, o.State, "send it to a supplier: release its holds first")
		}
		if l.State != LineAllocated {
			return errLineState(number, *l, "send it to a supplier")
		}
		l.State = LineSentToSupplier
		return nil
	})
}

// Ship records that lines (by position; none means every line sent to a
// supplier) shipped: their reservations become a shipment, leaving the
// supplier's stock.
func (s *Service) Ship(ctx context.Context, number int64, positions []int, note string) (*Order, error) {
	return s.fulfil(ctx, number, positions, note, "shipped", func(o *Order, l *Line) error {
		if l.State != LineSentToSupplier {
			return errLineState(number, *l, "ship it (it must be sent to a supplier first)")
		}
		return nil
	})
}

// Deliver records that shipped lines (by position; none means every shipped
// line) were delivered.
func (s *Service) Deliver(ctx context.Context, number int64, positions []int, note string) (*Order, error) {
	return s.fulfil(ctx, number, positions, note, "delivered", func(o *Order, l *Line) error {
		if l.State != LineShipped {
			return errLineState(number, *l, "mark it delivered")
		}
		l.State = LineDelivered
		return nil
	})
}

func (s *Service) fulfil(ctx context.Context, number int64, positions []int, note, event string, apply func(o *Order, l *Line) error) (*Order, error) {
	note, err := checkReason("note", note, false)
	if err != nil {
		return nil, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		o, err := s.lockOrder(ctx, tx, number)
		if err != nil {
			return err
		}
		if o.State == Cancelled || o.State == Delivered {
			return errState(number, o.State, "record that lines were "+event)
		}
		var picked []*Line
		if len(positions) == 0 {
			for i := range o.Lines {
				l := &o.Lines[i]
				if (event == "sent_to_supplier" && l.State == LineAllocated) ||
					(event == "shipped" && l.State == LineSentToSupplier) ||
					(event == "delivered" && l.State == LineShipped) {
					picked = append(picked, l)
				}
			}
			if len(picked) == 0 {
				return apperr.New(apperr.Conflict, "order %d has no line that can be %s (order is %s)", number, event, o.State)
			}
		} else {
			for i, p := range positions {
				l := o.line(p)
				if l == nil {
					return apperr.InvalidField(fmt.Sprintf("lines[%d]", i), "order %d has no line %d", number, p)
				}
				if slices.Contains(picked, l) {
					return apperr.InvalidField(fmt.Sprintf("lines[%d]", i), "line %d is listed twice", p)
				}
				picked = append(picked, l)
			}
		}
		who := actor(ctx, "system:orders")
		var ids []int64
		for _, l := range picked {
			prev := l.State
			if err := apply(o, l); err != nil {
				return err
			}
			if event == "shipped" {
				if _, err := s.inv.Consume(ctx, tx, lineRef(number, l.Position)); err != nil {
					return err
				}
				l.Shipped += l.Reserved
				l.Reserved = 0
			}
			next := l.State
			l.State = prev
			if err := checkLineMove(number, *l, lineStateAfter(l, next)); err != nil {
				return err
			}
			l.State = lineStateAfter(l, next)
			if err := s.writeLineState(ctx, tx, number, l); err != nil {
				return err
			}
			ids = append(ids, l.ID)
		}
		from, to, err := s.settle(ctx, tx, o)
		if err != nil {
			return err
		}
		entry, err := s.record(ctx, tx, number, 0, event, string(from), string(to), who, note, map[string]any{"lines": positionsOf(picked)})
		if err != nil {
			return err
		}
		if err := s.emit(ctx, tx, EventArgs{Event: Event("order." + event), Order: number, Lines: ids, Entry: entry}); err != nil {
			return err
		}
		return s.afterChange(ctx, tx, o, from, to, entry)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, number)
}

// lineStateAfter is the state of a line after a fulfilment step set it to
// next (shipping is derived from the units).
func lineStateAfter(l *Line, next LineState) LineState {
	if l.Shipped > 0 && l.Shipped == l.Quantity-l.Cancelled && next != LineDelivered {
		return LineShipped
	}
	return next
}

// writeLineState writes a line's state and units without re-deriving them.
func (s *Service) writeLineState(ctx context.Context, tx *sql.Tx, number int64, l *Line) error {
	_, err := tx.ExecContext(ctx, `UPDATE order_lines SET state = $1, qty_reserved = $2, qty_shipped = $3, updated_at = $4 WHERE id = $5`,
		l.State, l.Reserved, l.Shipped, s.clock(), l.ID)
	if err != nil {
		return fmt.Errorf("write line %d of order %d: %w", l.Position, number, err)
	}
	return nil
}

func positionsOf(ls []*Line) []int {
	out := make([]int, len(ls))
	for i, l := range ls {
		out[i] = l.Position
	}
	return out
}
