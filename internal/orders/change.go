package orders

import (
	"context"
	"database/sql"
	"fmt"
)

// lockOrder reads an order for a change inside tx, locking its row on
// PostgreSQL so changes to one order are serialised (SQLite has one writer).
func (s *Service) lockOrder(ctx context.Context, tx *sql.Tx, number int64) (*Order, error) {
	return s.load(ctx, tx, number, s.db.Dialect.ForUpdate())
}

// restate recomputes a line's state from its units, keeping the routing
// facts (sent, delivered) that the units cannot show, and checks the move.
func restate(number int64, l *Line) error {
	sent := l.State == LineSentToSupplier
	delivered := l.State == LineDelivered
	next := lineState(l, sent, delivered)
	if err := checkLineMove(number, *l, next); err != nil {
		return err
	}
	l.State = next
	return nil
}

// saveLine writes a changed line inside tx. It also keeps backordered_at,
// when the line's units started waiting for a restock (the deadline of the
// customer's consent counts from it, consent.go): set when the line becomes
// backordered, kept while it stays so (a line placed backordered keeps its
// created_at), cleared when no unit waits. The CASE reads the row as it was.
func (s *Service) saveLine(ctx context.Context, tx *sql.Tx, number int64, l *Line) error {
	if err := restate(number, l); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE order_lines SET state = $1, quantity = $2, qty_reserved = $3, qty_backordered = $4,
		qty_preordered = $5, qty_short = $6, qty_shipped = $7, qty_cancelled = $8, total_amount = $9, refunded_amount = $10,
		tax_amount = $11, discount_amount = $12, backorder_expected_at = $13, updated_at = $14,
		backordered_at = CASE WHEN $4 = 0 THEN NULL WHEN qty_backordered > 0 THEN COALESCE(backordered_at, created_at) ELSE $14 END
		WHERE id = $15`,
		l.State, l.Quantity, l.Reserved, l.Backordered, l.Preordered, l.Short, l.Shipped, l.Cancelled,
		l.Total.Amount, l.Refunded.Amount, l.Tax.Amount, l.Discount.Amount, nullTime(l.ExpectedAt), s.clock(), l.ID)
	if err != nil {
		return fmt.Errorf("write line %d of order %d: %w", l.Position, number, err)
	}
	return nil
}

// settle recomputes the order's state from its lines and open holds and
// writes it with the order's amounts. It returns the state before and after.
func (s *Service) settle(ctx context.Context, tx *sql.Tx, o *Order) (from, to State, err error) {
	from = o.State
	to = deriveState(o.Lines, len(o.OpenHolds()))
	if err := checkMove(o.Number, from, to); err != nil {
		return from, to, err
	}
	o.State = to
	a := o.ShippingAddress
	_, err = tx.ExecContext(ctx, `UPDATE orders SET state = $1, total_amount = $2, refunded_amount = $3, charged_amount = $4,
		subtotal_amount = $5, discount_amount = $6, tax_amount = $7,
		ship_name = $8, ship_company = $9, ship_line1 = $10, ship_line2 = $11, ship_city = $12, ship_region = $13,
		ship_postal_code = $14, ship_country = $15, ship_phone = $16, updated_at = $17 WHERE id = $18`,
		o.State, o.Total.Amount, o.Refunded.Amount, o.Charged.Amount, o.Subtotal.Amount, o.Discount.Amount, o.Tax.Amount,
		a.Name, a.Company, a.Line1, a.Line2, a.City, a.Region, a.PostalCode, a.Country, a.Phone, s.clock(), o.Number)
	if err != nil {
		return from, to, fmt.Errorf("write order %d: %w", o.Number, err)
	}
	return from, to, nil
}

// afterChange emits the events that follow a state change: an order that
// becomes ready to route is announced to routing.
func (s *Service) afterChange(ctx context.Context, tx *sql.Tx, o *Order, from, to State, entry int64) error {
	if to == ReadyToRoute && from != ReadyToRoute {
		return s.emit(ctx, tx, EventArgs{Event: EventReady, Order: o.Number, Entry: entry})
	}
	return nil
}

func (o *Order) line(position int) *Line {
	for i := range o.Lines {
		if o.Lines[i].Position == position {
			return &o.Lines[i]
		}
	}
	return nil
}
