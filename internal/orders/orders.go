// Package orders places and changes orders: intake from every channel into one
// call, the per-line stock decision (reserve, backorder, pre-order, refuse or
// hold), the order and line state machines, holds, cancellations, edits,
// restock of waiting lines and the timeline of everything that happened.
//
// Each business decision is one transaction: the stock it takes or gives
// back, the order rows, the timeline entries and the events it enqueues are
// written together or not at all.
package orders

import (
	"time"

	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/money"
)

// PlaceInput is an order as it arrives from any channel (API, CSV import,
// storefront webhook). Amounts are in the order's currency.
type PlaceInput struct {
	// Channel names where the order came from: "api" (default), "csv",
	// "shopify", or a storefront's own name. Lower-case letters, digits, - and _.
	Channel string
	// ExternalID is the storefront's id for the order, unique per channel:
	// placing the same (channel, external id) twice returns the first order.
	ExternalID string
	// DeliveryID is a webhook delivery id, deduplicated per channel the same
	// way. Optional.
	DeliveryID string

	Currency        string
	Customer        CustomerInput
	ShippingAddress customers.Address
	Lines           []LineInput
	// Shipping is what the customer pays for shipping (zero if free).
	Shipping money.Money
	// Discount is an order-level discount, apportioned over the lines by
	// their value (largest remainder) so the parts sum to it exactly.
	Discount money.Money
	// TaxesIncluded says the prices already include the line taxes; if
	// false the taxes are added to the total.
	TaxesIncluded bool
	// Payment carries the storefront's payment and risk signals.
	Payment PaymentSignal
	Note    string
	// PlacedAt is when the customer placed the order (default: now).
	PlacedAt time.Time
}

// CustomerInput identifies the customer. Email is required; customers are
// matched by email, case-insensitively.
type CustomerInput struct {
	Email  string
	Name   string
	Phone  string
	Locale string // en (default), pt-BR or it
}

// LineInput is one line of a new order.
type LineInput struct {
	SKU      string
	Quantity int
	// UnitPrice is the price of one unit; nil takes the variant's catalog price.
	UnitPrice *money.Money
	// Discount is the line's own discount over all its units.
	Discount money.Money
	// Tax is the tax on the whole line.
	Tax money.Money
}

// PaymentSignal is what the storefront says about payment and fraud risk.
type PaymentSignal struct {
	// Status is the financial status: paid (default), authorized,
	// pending, partially_paid, refunded, voided. pending and voided hold the order.
	Status string `json:"status"`
	// Risk is low (default), medium or high; high holds the order.
	Risk string `json:"risk"`
}

// State is the state of an order.
type State string

// Order states. An order is born in its first real state: placement is one
// transaction, so there is no visible "pending" order.
const (
	OnHold           State = "on_hold"           // an open hold (address, payment, stock, manual) stops it
	AwaitingStock    State = "awaiting_stock"    // some line waits for stock (backordered or pre-ordered)
	ReadyToRoute     State = "ready_to_route"    // every open line has its stock reserved
	SentToSupplier   State = "sent_to_supplier"  // lines are with suppliers, nothing shipped yet
	PartiallyShipped State = "partially_shipped" // some lines shipped, others not yet
	Shipped          State = "shipped"           // every line not cancelled has shipped
	Delivered        State = "delivered"         // every line not cancelled was delivered
	Cancelled        State = "cancelled"         // every line was cancelled
)

// LineState is the state of an order line.
type LineState string

// Line states.
const (
	LineAllocated      LineState = "allocated"        // its units are reserved at suppliers
	LineBackordered    LineState = "backordered"      // some units wait for a restock
	LinePreordered     LineState = "preordered"       // some units hold a pre-order slot until release
	LineShort          LineState = "short"            // some units have no stock and no policy; the order is held
	LineSentToSupplier LineState = "sent_to_supplier" // sent to a supplier to ship
	LineShipped        LineState = "shipped"          // every unit not cancelled shipped
	LineDelivered      LineState = "delivered"        // delivered to the customer
	LineCancelled      LineState = "cancelled"        // every unit cancelled
)

// HoldReason says why an order is on hold.
type HoldReason string

// Hold reasons.
const (
	HoldAddress HoldReason = "address" // the shipping address failed a check
	HoldPayment HoldReason = "payment" // payment pending or fraud risk high
	HoldStock   HoldReason = "stock"   // a line could not be met and the store accepts such orders on hold
	HoldManual  HoldReason = "manual"  // staff held it
)

// Order is an order as read back, with its lines and open holds.
type Order struct {
	Number          int64             `json:"number"`
	Channel         string            `json:"channel"`
	ExternalID      string            `json:"external_id,omitempty"`
	CustomerID      int64             `json:"customer_id"`
	Email           string            `json:"email"`
	Locale          string            `json:"locale"`
	State           State             `json:"state"`
	Currency        string            `json:"currency"`
	Subtotal        money.Money       `json:"subtotal"`
	Discount        money.Money       `json:"discount"`
	Shipping        money.Money       `json:"shipping"`
	Tax             money.Money       `json:"tax"`
	TaxesIncluded   bool              `json:"taxes_included"`
	Total           money.Money       `json:"total"`
	Charged         money.Money       `json:"charged"`
	Refunded        money.Money       `json:"refunded"`
	ShippingAddress customers.Address `json:"shipping_address"`
	Payment         PaymentSignal     `json:"payment"`
	Note            string            `json:"note,omitempty"`
	Lines           []Line            `json:"lines"`
	Holds           []Hold            `json:"holds"`
	// Promise is the delivery promise made when the order was placed; nil
	// when none could be made (promise.go).
	Promise   *Promised `json:"promise,omitempty" doc:"The delivery promise made when the order was placed; absent when none could be made"`
	AtRisk    []Risk    `json:"at_risk" doc:"Open at-risk flags: the order may miss its promised window"`
	PlacedAt  time.Time `json:"placed_at"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Line is one line of an order and the decision taken for its units.
type Line struct {
	ID          int64       `json:"id"`
	Position    int         `json:"position"`
	VariantID   int64       `json:"variant_id"`
	SKU         string      `json:"sku"`
	Title       string      `json:"title"`
	State       LineState   `json:"state"`
	Quantity    int         `json:"quantity"`
	UnitPrice   money.Money `json:"unit_price"`
	Discount    money.Money `json:"discount"`
	Tax         money.Money `json:"tax"`
	Total       money.Money `json:"total"`
	Refunded    money.Money `json:"refunded"`
	Reserved    int         `json:"reserved"`
	Backordered int         `json:"backordered"`
	Preordered  int         `json:"preordered"`
	Short       int         `json:"short"`
	Shipped     int         `json:"shipped"`
	Cancelled   int         `json:"cancelled"`
	// ExpectedAt is when backordered units are expected back in stock, or
	// when pre-ordered units are released.
	ExpectedAt *time.Time `json:"expected_at,omitempty"`
}

// Hold is a reason an order may not go to a supplier yet.
type Hold struct {
	ID         int64      `json:"id"`
	Reason     HoldReason `json:"reason"`
	Detail     string     `json:"detail"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ReleasedBy string     `json:"released_by,omitempty"`
	ReleasedAt *time.Time `json:"released_at,omitempty"`
}

// Entry is one entry of an order's timeline.
type Entry struct {
	ID        int64     `json:"id"`
	LineID    int64     `json:"line_id,omitempty"`
	Event     string    `json:"event"`
	FromState string    `json:"from_state,omitempty"`
	ToState   string    `json:"to_state,omitempty"`
	Actor     string    `json:"actor"`
	Reason    string    `json:"reason,omitempty"`
	Detail    string    `json:"detail,omitempty"` // JSON
	At        time.Time `json:"at"`
}
