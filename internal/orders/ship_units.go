package orders

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// The in-transaction primitives the shipping package calls: a supplier's
// shipment moves some units of some lines to shipped (consuming the
// reservation on that supplier's offer only), and tracking delivers lines.
// The staff actions Ship and Deliver (fulfil.go) move whole lines.

// actorKey carries an actor name set by WithActor.
type actorKey struct{}

// WithActor returns ctx naming who makes the changes of ShipUnitsTx and
// DeliverLinesTx on the timeline when it is not a principal, such as
// "carrier:aftership" for a tracking event.
func WithActor(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, actorKey{}, name)
}

// shipActor is who ships or delivers: WithActor's name, else the principal.
func shipActor(ctx context.Context) string {
	if name, ok := ctx.Value(actorKey{}).(string); ok && name != "" {
		return name
	}
	return actor(ctx, "system:shipping")
}

// ShippedUnits is some units of one order line shipped from one offer.
type ShippedUnits struct {
	LineID   int64 // the order line's id
	OfferID  int64 // the offer the units were reserved on
	Quantity int
}

// ShipUnitsTx records inside tx that units of order number's lines shipped:
// for each, Quantity units move from the line's reserved bucket to shipped
// and the line's reservation on OfferID is consumed for those units only
// (inventory.ConsumeUnits). A line becomes shipped when all its open units
// have; the order becomes partially_shipped or shipped. One timeline entry
// "shipped" records it, with detail (carrier, tracking number, ...) plus the
// lines (positions, as every fulfilment entry) and units, by the actor in
// ctx (WithActor or the principal); EventShipped is emitted.
func (s *Service) ShipUnitsTx(ctx context.Context, tx *sql.Tx, number int64, units []ShippedUnits, detail map[string]any) error {
	if len(units) == 0 {
		return apperr.New(apperr.Invalid, "no units to ship for order %d", number)
	}
	o, err := s.lockOrder(ctx, tx, number)
	if err != nil {
		return err
	}
	if o.State == Cancelled || o.State == Delivered || o.State == ReadyToRoute {
		return errState(number, o.State, "ship units (it must be sent to a supplier first)")
	}
	byID := map[int64]*Line{}
	for i := range o.Lines {
		byID[o.Lines[i].ID] = &o.Lines[i]
	}
	var changed []*Line
	type shippedLine struct {
		Position int `json:"position"`
		Quantity int `json:"quantity"`
	}
	perLine := map[int]int{}
	for i, u := range units {
		l := byID[u.LineID]
		if l == nil {
			return apperr.InvalidField(fmt.Sprintf("units[%d].line_id", i), "order %d has no line %d", number, u.LineID)
		}
		if u.Quantity <= 0 {
			return apperr.InvalidField(fmt.Sprintf("units[%d].quantity", i), "must be at least 1, got %d", u.Quantity)
		}
		switch l.State {
		case LineAllocated, LineSentToSupplier, LineBackordered, LinePreordered, LineShort:
		default:
			return errLineState(number, *l, "ship units of it")
		}
		if u.Quantity > l.Reserved {
			return apperr.New(apperr.Conflict, "line %d (%s) of order %d has %d units reserved: cannot ship %d",
				l.Position, l.SKU, number, l.Reserved, u.Quantity)
		}
		if err := s.inv.ConsumeUnits(ctx, tx, lineRef(number, l.Position), u.OfferID, u.Quantity); err != nil {
			return err
		}
		l.Reserved -= u.Quantity
		l.Shipped += u.Quantity
		perLine[l.Position] += u.Quantity
		if !slices.Contains(changed, l) {
			changed = append(changed, l)
		}
	}
	who := shipActor(ctx)
	var ids []int64
	for _, l := range changed {
		if l.State == LineAllocated {
			// Units shipped by a supplier were on a purchase order: the
			// line was sent (allocated → sent_to_supplier is a legal move).
			l.State = LineSentToSupplier
		}
		next := lineState(l, l.State == LineSentToSupplier, false)
		if err := checkLineMove(number, *l, next); err != nil {
			return err
		}
		l.State = next
		if err := s.writeLineState(ctx, tx, number, l); err != nil {
			return err
		}
		ids = append(ids, l.ID)
	}
	from, to, err := s.settle(ctx, tx, o)
	if err != nil {
		return err
	}
	d := maps.Clone(detail)
	if d == nil {
		d = map[string]any{}
	}
	// "lines" holds positions, as on every fulfilment entry (the promise
	// engine reads them); "units" says how many of each shipped.
	var shipped []shippedLine
	positions := slices.Sorted(maps.Keys(perLine))
	for _, p := range positions {
		shipped = append(shipped, shippedLine{Position: p, Quantity: perLine[p]})
	}
	d["lines"] = positions
	d["units"] = shipped
	entry, err := s.record(ctx, tx, number, 0, "shipped", string(from), string(to), who, "", d)
	if err != nil {
		return err
	}
	if err := s.emit(ctx, tx, EventArgs{Event: EventShipped, Order: number, Lines: ids, Entry: entry}); err != nil {
		return err
	}
	return s.afterChange(ctx, tx, o, from, to, entry)
}

// DeliverLinesTx records inside tx that lines of order number (by id) were
// delivered: the caller (tracking) has checked that every shipment carrying
// them is delivered. Each line must have shipped all its open units; a line
// already delivered is skipped, so a repeated event changes nothing. The
// order becomes delivered when every open line is. One timeline entry
// "delivered" with detail, by the actor in ctx; EventDelivered is emitted.
// It reports whether any line changed.
func (s *Service) DeliverLinesTx(ctx context.Context, tx *sql.Tx, number int64, lineIDs []int64, detail map[string]any) (bool, error) {
	o, err := s.lockOrder(ctx, tx, number)
	if err != nil {
		return false, err
	}
	if o.State == Cancelled {
		return false, errState(number, o.State, "deliver lines")
	}
	byID := map[int64]*Line{}
	for i := range o.Lines {
		byID[o.Lines[i].ID] = &o.Lines[i]
	}
	var ids []int64
	var positions []int
	for i, id := range lineIDs {
		l := byID[id]
		if l == nil {
			return false, apperr.InvalidField(fmt.Sprintf("lines[%d]", i), "order %d has no line %d", number, id)
		}
		if l.State == LineDelivered || slices.Contains(ids, id) {
			continue
		}
		if l.State != LineShipped {
			return false, errLineState(number, *l, "mark it delivered (not all its units have shipped)")
		}
		if err := checkLineMove(number, *l, LineDelivered); err != nil {
			return false, err
		}
		l.State = LineDelivered
		if err := s.writeLineState(ctx, tx, number, l); err != nil {
			return false, err
		}
		ids = append(ids, id)
		positions = append(positions, l.Position)
	}
	if len(ids) == 0 {
		return false, nil
	}
	from, to, err := s.settle(ctx, tx, o)
	if err != nil {
		return false, err
	}
	d := maps.Clone(detail)
	if d == nil {
		d = map[string]any{}
	}
	d["lines"] = positions
	entry, err := s.record(ctx, tx, number, 0, "delivered", string(from), string(to), shipActor(ctx), "", d)
	if err != nil {
		return false, err
	}
	if err := s.emit(ctx, tx, EventArgs{Event: EventDelivered, Order: number, Lines: ids, Entry: entry}); err != nil {
		return false, err
	}
	return true, s.afterChange(ctx, tx, o, from, to, entry)
}
