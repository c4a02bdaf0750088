package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/money"
)

// CancelInput says what to cancel. With no lines, every unit of the order
// that has not shipped is cancelled.
type CancelInput struct {
	Lines  []LineQuantity
	Reason string
}

// LineQuantity names units of one line by position (from 1). Quantity 0
// means every unit of the line that can still be cancelled.
type LineQuantity struct {
	Line     int `json:"line"`
	Quantity int `json:"quantity,omitempty"`
}

// Payment is a refund or charge recorded for an order.
type Payment struct {
	ID     int64       `json:"id"`
	Kind   string      `json:"kind"` // refund or charge
	Amount money.Money `json:"amount"`
	Reason string      `json:"reason"`
	Detail string      `json:"detail"` // JSON: the parts per line and shipping
	Actor  string      `json:"actor"`
	At     time.Time   `json:"at"`
}

// CancelResult is the outcome of Cancel.
type CancelResult struct {
	Order *Order
	// Refund is the amount due back to the customer for what was cancelled,
	// with its parts (zero if nothing had been charged for it).
	Refund money.Money
	Parts  []RefundPart
}

// RefundPart is the share of a refund that comes from one line or from shipping.
type RefundPart struct {
	Line     int         `json:"line,omitempty"` // 0 for shipping
	Units    int         `json:"units,omitempty"`
	Amount   money.Money `json:"amount"`
	Shipping bool        `json:"shipping,omitempty"`
}

// Cancellable is how many units of l can still be cancelled: every unit not
// shipped, unless the line has shipped, been delivered or been cancelled.
func (l *Line) Cancellable() int {
	switch l.State {
	case LineShipped, LineDelivered, LineCancelled:
		return 0
	}
	return l.Reserved + l.Backordered + l.Preordered + l.Short
}

// Cancel cancels a whole order or some of its units. In one transaction the
// units' reservations, backorder and pre-order slots are given back, freed
// stock fills other orders' waiting lines, the refund due is computed and
// recorded, and the timeline says who cancelled what and why. Shipped units
// cannot be cancelled (that is a return).
func (s *Service) Cancel(ctx context.Context, number int64, in CancelInput) (CancelResult, error) {
	reason, err := checkReason("reason", in.Reason, true)
	if err != nil {
		return CancelResult{}, err
	}
	var fe apperr.Fields
	for i, lq := range in.Lines {
		if lq.Line < 1 {
			fe.Add(fmt.Sprintf("lines[%d].line", i), "must be a line number from 1, got %d", lq.Line)
		}
		if lq.Quantity < 0 || lq.Quantity > MaxLineQuantity {
			fe.Add(fmt.Sprintf("lines[%d].quantity", i), "must be between 0 (all) and %d, got %d", MaxLineQuantity, lq.Quantity)
		}
		if slices.ContainsFunc(in.Lines[:i], func(o LineQuantity) bool { return o.Line == lq.Line }) {
			fe.Add(fmt.Sprintf("lines[%d].line", i), "line %d is listed twice", lq.Line)
		}
	}
	if err := fe.Err(); err != nil {
		return CancelResult{}, err
	}
	var out CancelResult
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		out = CancelResult{}
		o, err := s.lockOrder(ctx, tx, number)
		if err != nil {
			return err
		}
		switch o.State {
		case Cancelled, Shipped, Delivered:
			return errState(number, o.State, "cancel it")
		}
		want := map[int]int{}
		if len(in.Lines) == 0 {
			for _, l := range o.Lines {
				if n := l.Cancellable(); n > 0 {
					want[l.Position] = n
				}
			}
		} else {
			var fe apperr.Fields
			for i, lq := range in.Lines {
				l := o.line(lq.Line)
				if l == nil {
					fe.Add(fmt.Sprintf("lines[%d].line", i), "order %d has no line %d", number, lq.Line)
					continue
				}
				n := l.Cancellable()
				if n == 0 {
					return errLineState(number, *l, "cancel it")
				}
				q := lq.Quantity
				if q == 0 {
					q = n
				}
				if q > n {
					fe.Add(fmt.Sprintf("lines[%d].quantity", i), "line %d has %d units that can be cancelled, asked %d", lq.Line, n, q)
					continue
				}
				want[l.Position] = q
			}
			if err := fe.Err(); err != nil {
				return err
			}
		}
		if len(want) == 0 {
			return apperr.New(apperr.Conflict, "order %d has nothing left to cancel", number)
		}
		who := actor(ctx, "system:orders")
		refund, parts, freed, err := s.cancelUnits(ctx, tx, o, want)
		if err != nil {
			return err
		}
		from, to, err := s.settle(ctx, tx, o)
		if err != nil {
			return err
		}
		detail := map[string]any{"lines": parts}
		entry, err := s.record(ctx, tx, number, 0, "cancelled", string(from), string(to), who, reason, detail)
		if err != nil {
			return err
		}
		if refund > 0 {
			if err := s.recordPayment(ctx, tx, o, "refund", refund, reason, parts, who); err != nil {
				return err
			}
		}
		var lineIDs []int64
		for pos := range want {
			lineIDs = append(lineIDs, o.line(pos).ID)
		}
		slices.Sort(lineIDs)
		if err := s.emit(ctx, tx, EventArgs{Event: EventCancelled, Order: number, Lines: lineIDs, Entry: entry}); err != nil {
			return err
		}
		if err := s.afterChange(ctx, tx, o, from, to, entry); err != nil {
			return err
		}
		// Stock this cancellation freed goes first to lines waiting for it.
		for _, v := range sortedKeys(freed) {
			if err := s.fillBackorders(ctx, tx, v, freed[v]); err != nil {
				return err
			}
		}
		out.Refund = money.Money{Amount: refund, Currency: o.Currency}
		out.Parts = parts
		return nil
	})
	if err != nil {
		return CancelResult{}, err
	}
	if out.Order, err = s.Get(ctx, number); err != nil {
		return CancelResult{}, err
	}
	return out, nil
}

// cancelUnits cancels want[position] units of each line of o inside tx:
// short units first, then pre-ordered, backordered and finally reserved ones.
// It updates o (lines, totals) and returns the refund, its parts, and the
// reserved units freed per variant.
func (s *Service) cancelUnits(ctx context.Context, tx *sql.Tx, o *Order, want map[int]int) (int64, []RefundPart, map[int64]int, error) {
	var refund int64
	var parts []RefundPart
	freed := map[int64]int{}
	for i := range o.Lines {
		l := &o.Lines[i]
		k := want[l.Position]
		if k == 0 {
			continue
		}
		left := k
		take := func(n *int) int {
			t := min(left, *n)
			*n -= t
			left -= t
			return t
		}
		take(&l.Short)
		if t := take(&l.Preordered); t > 0 {
			if err := s.inv.ReturnPreorder(ctx, tx, l.VariantID, o.Channel, t); err != nil {
				return 0, nil, nil, err
			}
		}
		if t := take(&l.Backordered); t > 0 {
			if err := s.inv.ReturnBackorder(ctx, tx, l.VariantID, t); err != nil {
				return 0, nil, nil, err
			}
		}
		if t := take(&l.Reserved); t > 0 {
			if err := s.inv.ReleaseQty(ctx, tx, lineRef(o.Number, l.Position), t); err != nil {
				return 0, nil, nil, err
			}
			freed[l.VariantID] += t
		}
		r := refundFor(l, k)
		l.Cancelled += k
		l.Refunded.Amount += r
		refund += r
		parts = append(parts, RefundPart{Line: l.Position, Units: k, Amount: money.Money{Amount: r, Currency: o.Currency}})
		if l.Backordered == 0 && l.Preordered == 0 {
			l.ExpectedAt = nil
		}
		if err := s.saveLine(ctx, tx, o.Number, l); err != nil {
			return 0, nil, nil, err
		}
	}
	// Shipping is refunded when nothing of the order is left to ship.
	allCancelled := true
	for _, l := range o.Lines {
		if l.Cancelled != l.Quantity {
			allCancelled = false
		}
	}
	if allCancelled {
		// What is left of the charge is the shipping (and any later charge).
		if ship := o.Charged.Amount - o.Refunded.Amount - refund; ship > 0 {
			refund += ship
			parts = append(parts, RefundPart{Shipping: true, Amount: money.Money{Amount: ship, Currency: o.Currency}})
		}
	}
	o.Refunded.Amount += refund
	o.Total.Amount = o.Charged.Amount - o.Refunded.Amount
	return refund, parts, freed, nil
}

// recordPayment records a refund or charge due inside tx.
func (s *Service) recordPayment(ctx context.Context, tx *sql.Tx, o *Order, kind string, amount int64, reason string, parts []RefundPart, who string) error {
	js, err := json.Marshal(parts)
	if err != nil {
		return fmt.Errorf("record %s of order %d: %w", kind, o.Number, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO order_payments (order_id, kind, amount, currency, reason, detail, actor, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, o.Number, kind, amount, o.Currency, reason, string(js), who, s.clock()); err != nil {
		return fmt.Errorf("record %s of order %d: %w", kind, o.Number, err)
	}
	return nil
}

// Payments returns the refunds and charges recorded for an order, oldest first.
func (s *Service) Payments(ctx context.Context, number int64) ([]Payment, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, kind, amount, currency, reason, detail, actor, created_at FROM order_payments
		WHERE order_id = $1 ORDER BY id`, number)
	if err != nil {
		return nil, fmt.Errorf("payments of order %d: %w", number, err)
	}
	defer rows.Close()
	out := []Payment{}
	for rows.Next() {
		var p Payment
		if err := rows.Scan(&p.ID, &p.Kind, &p.Amount.Amount, &p.Amount.Currency, &p.Reason, &p.Detail, &p.Actor, &p.At); err != nil {
			return nil, fmt.Errorf("payments of order %d: %w", number, err)
		}
		p.At = p.At.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

func sortedKeys(m map[int64]int) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
