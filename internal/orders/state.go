package orders

import (
	"fmt"
	"slices"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// orderTransitions is the order state machine: the states each state may
// move to. docs/orders.md shows it as a table and a diagram; a test keeps the
// two in step. An order's state is derived from its lines and holds after
// every change (deriveState) and the move is checked against this table.
var orderTransitions = map[State][]State{
	OnHold:           {AwaitingStock, ReadyToRoute, SentToSupplier, PartiallyShipped, Shipped, Delivered, Cancelled},
	AwaitingStock:    {OnHold, ReadyToRoute, SentToSupplier, PartiallyShipped, Shipped, Cancelled},
	ReadyToRoute:     {OnHold, AwaitingStock, SentToSupplier, Cancelled},
	SentToSupplier:   {OnHold, PartiallyShipped, Shipped, ReadyToRoute, AwaitingStock, Cancelled},
	PartiallyShipped: {OnHold, Shipped, Delivered},
	Shipped:          {Delivered},
	Delivered:        {},
	Cancelled:        {},
}

// lineTransitions is the line state machine. Before a line goes to a
// supplier, edits can move it between any of allocated, backordered,
// pre-ordered and short: more units may be backordered or pre-ordered or be
// short (an increase), fewer may wait (a decrease), and a release leaves a
// line's short units short.
var lineTransitions = map[LineState][]LineState{
	LineAllocated:      {LineBackordered, LinePreordered, LineShort, LineSentToSupplier, LineCancelled},
	LineBackordered:    {LineAllocated, LinePreordered, LineShort, LineCancelled},
	LinePreordered:     {LineAllocated, LineBackordered, LineShort, LineCancelled},
	LineShort:          {LineAllocated, LineBackordered, LinePreordered, LineCancelled},
	LineSentToSupplier: {LineShipped, LineAllocated, LineBackordered, LineShort, LineCancelled},
	LineShipped:        {LineDelivered},
	LineDelivered:      {},
	LineCancelled:      {},
}

// States lists the order states in lifecycle order.
func States() []State {
	return []State{OnHold, AwaitingStock, ReadyToRoute, SentToSupplier, PartiallyShipped, Shipped, Delivered, Cancelled}
}

// LineStates lists the line states in lifecycle order.
func LineStates() []LineState {
	return []LineState{LineAllocated, LineBackordered, LinePreordered, LineShort, LineSentToSupplier, LineShipped,
		LineDelivered, LineCancelled}
}

// CanMove reports whether an order may move from one state to another.
func CanMove(from, to State) bool { return from == to || slices.Contains(orderTransitions[from], to) }

// CanMoveLine reports whether a line may move from one state to another.
func CanMoveLine(from, to LineState) bool {
	return from == to || slices.Contains(lineTransitions[from], to)
}

// ValidState reports whether s is an order state.
func ValidState(s State) bool { _, ok := orderTransitions[s]; return ok }

// ValidLineState reports whether s is a line state.
func ValidLineState(s LineState) bool { _, ok := lineTransitions[s]; return ok }

// lineState derives a line's state from where its units are. sent and
// delivered are the routing and tracking facts the units cannot show.
func lineState(l *Line, sent, delivered bool) LineState {
	open := l.Quantity - l.Cancelled
	switch {
	case open == 0:
		return LineCancelled
	case delivered && l.Shipped == open:
		return LineDelivered
	case l.Shipped == open:
		return LineShipped
	case l.Preordered > 0:
		return LinePreordered
	case l.Short > 0:
		return LineShort
	case l.Backordered > 0:
		return LineBackordered
	case sent:
		return LineSentToSupplier
	}
	return LineAllocated
}

// deriveState computes an order's state from its lines and open holds.
func deriveState(lines []Line, openHolds int) State {
	var open, shipped, delivered, sent, waiting, partly int
	for _, l := range lines {
		if l.Shipped > 0 && l.State != LineShipped && l.State != LineDelivered && l.State != LineCancelled {
			partly++ // some units of it shipped (a partial shipment)
		}
		switch l.State {
		case LineCancelled:
			continue
		case LineDelivered:
			delivered++
		case LineShipped:
			shipped++
		case LineSentToSupplier:
			sent++
		case LineBackordered, LinePreordered, LineShort:
			waiting++
		}
		open++
	}
	switch {
	case open == 0:
		return Cancelled
	case delivered == open:
		return Delivered
	case shipped+delivered == open:
		return Shipped
	case openHolds > 0:
		return OnHold
	case shipped+delivered+partly > 0:
		return PartiallyShipped
	case waiting > 0:
		return AwaitingStock
	case sent > 0:
		return SentToSupplier
	}
	return ReadyToRoute
}

// errState is the 409 for an action the current state does not allow.
func errState(number int64, st State, action string) error {
	return apperr.New(apperr.Conflict, "order %d is %s: cannot %s", number, st, action)
}

// errLineState is the 409 for a line action its state does not allow.
func errLineState(number int64, l Line, action string) error {
	return apperr.New(apperr.Conflict, "line %d (%s) of order %d is %s: cannot %s", l.Position, l.SKU, number, l.State, action)
}

// checkMove returns an internal error for a move the state machine forbids:
// derived states only ever make legal moves, so this is a bug guard.
func checkMove(number int64, from, to State) error {
	if !CanMove(from, to) {
		return fmt.Errorf("order %d: illegal state change %s → %s", number, from, to)
	}
	return nil
}

func checkLineMove(number int64, l Line, to LineState) error {
	if !CanMoveLine(l.State, to) {
		return fmt.Errorf("order %d line %d: illegal state change %s → %s", number, l.Position, l.State, to)
	}
	return nil
}
