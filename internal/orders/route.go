package orders

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// The in-transaction primitives routing calls (internal/routing, decision
// 0013): routing decides which supplier ships each line, moves reservations
// and hands the units to purchasing; the order service keeps owning the
// lines' units and states and the timeline.

// Routed is what a routing decision did to an order, returned by the decide
// function given to RouteTx.
type Routed struct {
	// Lines are the ids of the lines whose units are now all with suppliers:
	// they become sent_to_supplier. Each must be allocated.
	Lines []int64
	// Note is the explanation in plain words, for the timeline.
	Note string
	// Detail is stored as the timeline entry's JSON detail.
	Detail any
}

// RouteTx routes lines of an order inside tx: it locks the order (PostgreSQL
// FOR UPDATE), hands it to decide — which re-checks the lines under the lock,
// moves reservations and adds purchase order lines — and marks the lines
// decide names sent_to_supplier, records a "routed" timeline entry with the
// explanation (or "not_routed" when decide routed nothing but explains why),
// and emits order.sent_to_supplier. An order on hold or cancelled is not
// given to decide (nothing happens, no error). It returns the order as
// changed and the timeline entry (0 if none).
func (s *Service) RouteTx(ctx context.Context, tx *sql.Tx, number int64, decide func(o *Order) (Routed, error)) (*Order, int64, error) {
	o, err := s.lockOrder(ctx, tx, number)
	if err != nil {
		return nil, 0, err
	}
	if len(o.OpenHolds()) > 0 || o.State == OnHold || o.State == Cancelled || o.State == Delivered {
		return o, 0, nil
	}
	r, err := decide(o)
	if err != nil {
		return nil, 0, err
	}
	who := actor(ctx, "system:routing")
	if len(r.Lines) == 0 {
		if r.Note == "" {
			return o, 0, nil
		}
		entry, err := s.record(ctx, tx, number, 0, "not_routed", string(o.State), string(o.State), who, clip(r.Note), r.Detail)
		return o, entry, err
	}
	var positions []int
	for _, id := range r.Lines {
		l := o.lineByID(id)
		if l == nil {
			return nil, 0, fmt.Errorf("route order %d: no line %d", number, id)
		}
		if l.State != LineAllocated {
			return nil, 0, errLineState(number, *l, "send it to a supplier")
		}
		if err := checkLineMove(number, *l, LineSentToSupplier); err != nil {
			return nil, 0, err
		}
		l.State = LineSentToSupplier
		if err := s.writeLineState(ctx, tx, number, l); err != nil {
			return nil, 0, err
		}
		positions = append(positions, l.Position)
	}
	from, to, err := s.settle(ctx, tx, o)
	if err != nil {
		return nil, 0, err
	}
	detail := map[string]any{"lines": positions}
	if r.Detail != nil {
		detail["decision"] = r.Detail
	}
	entry, err := s.record(ctx, tx, number, 0, "routed", string(from), string(to), who, clip(r.Note), detail)
	if err != nil {
		return nil, 0, err
	}
	if err := s.emit(ctx, tx, EventArgs{Event: EventSent, Order: number, Lines: r.Lines, Entry: entry}); err != nil {
		return nil, 0, err
	}
	if err := s.afterChange(ctx, tx, o, from, to, entry); err != nil {
		return nil, 0, err
	}
	return o, entry, nil
}

// maxRouteNote bounds a timeline reason written by routing.
const maxRouteNote = 4000

func clip(s string) string {
	if r := []rune(s); len(r) > maxRouteNote {
		return string(r[:maxRouteNote-1]) + "…"
	}
	return s
}

// LockTx locks an order inside tx (PostgreSQL FOR UPDATE) and returns it
// with its lines, for a change routing or purchasing make in tx.
func (s *Service) LockTx(ctx context.Context, tx *sql.Tx, number int64) (*Order, error) {
	return s.lockOrder(ctx, tx, number)
}

// RecordTx adds an entry to an order's timeline inside tx (the order's
// state does not change) and returns its id.
func (s *Service) RecordTx(ctx context.Context, tx *sql.Tx, number, lineID int64, event, note string, detail any) (int64, error) {
	st := ""
	if err := tx.QueryRowContext(ctx, `SELECT state FROM orders WHERE id = $1`, number).Scan(&st); err != nil {
		return 0, fmt.Errorf("order %d: %w", number, err)
	}
	return s.record(ctx, tx, number, lineID, event, st, st, actor(ctx, "system:routing"), clip(note), detail)
}

// UnitsBackTx records inside tx that qty units of a line sent to a supplier
// came back (the supplier rejected them or did not answer) and no other
// supplier can take them. The caller has already released their reservation.
// The units are backordered if the SKU's backorder policy has room, else
// they are short; the line leaves sent_to_supplier and the order waits for
// stock. It records a timeline entry (event, e.g. "reroute_failed", with
// note) and returns the line's new state.
func (s *Service) UnitsBackTx(ctx context.Context, tx *sql.Tx, number, lineID int64, qty int, event, note string, detail any) (LineState, error) {
	o, err := s.lockOrder(ctx, tx, number)
	if err != nil {
		return "", err
	}
	l := o.lineByID(lineID)
	if l == nil {
		return "", apperr.New(apperr.NotFound, "order %d has no line %d", number, lineID)
	}
	if qty <= 0 || qty > l.Reserved {
		return "", apperr.New(apperr.Conflict, "line %d of order %d has %d units reserved: cannot take %d back", l.Position, number, l.Reserved, qty)
	}
	ok, err := s.inv.TakeBackorder(ctx, tx, l.VariantID, qty)
	if err != nil {
		return "", err
	}
	l.Reserved -= qty
	waits := "short"
	if ok {
		l.Backordered += qty
		pol, err := s.inv.Policies(ctx, tx, []int64{l.VariantID})
		if err != nil {
			return "", err
		}
		if l.ExpectedAt, err = s.inv.ExpectedRestock(ctx, tx, pol[l.VariantID], s.clock()); err != nil {
			return "", err
		}
		waits = "backordered"
	} else {
		l.Short += qty
	}
	before := l.State
	if err := s.saveLine(ctx, tx, number, l); err != nil {
		return "", err
	}
	from, to, err := s.settle(ctx, tx, o)
	if err != nil {
		return "", err
	}
	d := map[string]any{"line": l.Position, "sku": l.SKU, waits: qty, "line_from": before, "line_to": l.State}
	if detail != nil {
		d["detail"] = detail
	}
	entry, err := s.record(ctx, tx, number, l.ID, event, string(from), string(to), actor(ctx, "system:routing"), clip(note), d)
	if err != nil {
		return "", err
	}
	if ok {
		if err := s.emit(ctx, tx, EventArgs{Event: EventBackordered, Order: number, Lines: []int64{l.ID}, Entry: entry}); err != nil {
			return "", err
		}
	}
	if err := s.afterChange(ctx, tx, o, from, to, entry); err != nil {
		return "", err
	}
	return l.State, nil
}

// LineRef is the reservation reference of an order line ("order:N/line:P").
func LineRef(number int64, position int) string { return lineRef(number, position) }

func (o *Order) lineByID(id int64) *Line {
	for i := range o.Lines {
		if o.Lines[i].ID == id {
			return &o.Lines[i]
		}
	}
	return nil
}
