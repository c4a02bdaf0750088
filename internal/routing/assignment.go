// Package routing decides which supplier ships each line of a confirmed
// order: ordered rules with conditions choose a strategy (lowest landed cost,
// fastest promised delivery, fixed priority, fewest shipments) and a supplier
// preference list; alternates are used when the first choice lacks stock, is
// paused or its feed is stale; an order is split only when no single supplier
// can keep its promise. Decision 0013 and docs/routing.md describe it.
package routing

import (
	"context"
	"database/sql"

	"github.com/orderly-oms/orderly/internal/money"
)

// Assignment gives some units of one order line to one supplier offer. The
// units are reserved on that offer when the assignment is handed to a Sink.
type Assignment struct {
	OrderID     int64
	OrderLineID int64
	Position    int // the order line's position, for messages
	SupplierID  int64
	OfferID     int64
	VariantID   int64
	SKU         string
	SupplierSKU string
	Title       string
	Quantity    int
	UnitCost    money.Money // the offer's cost per unit at routing time
}

// Sink receives the assignments of a routing decision inside the decision's
// transaction. The purchasing service is the sink in production: it adds the
// units to each supplier's open purchase order.
type Sink interface {
	AddTx(ctx context.Context, tx *sql.Tx, as []Assignment) error
}
