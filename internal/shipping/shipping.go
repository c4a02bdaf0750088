// Package shipping records what suppliers ship and what carriers say about
// it: shipments (one parcel of one order from one supplier, with a carrier
// and a tracking number checked per carrier), the units of purchase order
// lines each carries (partial shipments and several parcels allowed), bulk
// tracking CSV uploads, and carrier tracking events that move shipments to
// delivered and deliver the order's lines. Decision 0013 and docs/shipping.md
// describe it.
package shipping

import (
	"database/sql"
	"log/slog"
	"time"

	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/purchasing"
	"github.com/orderly-oms/orderly/internal/store"
)

// Status is where a shipment is, as its carrier last said.
type Status string

// Shipment statuses. shipped is the status of a new shipment; the others
// come from tracking events.
const (
	StatusShipped        Status = "shipped"
	StatusInTransit      Status = "in_transit"
	StatusOutForDelivery Status = "out_for_delivery"
	StatusDelivered      Status = "delivered"
	StatusException      Status = "exception" // a problem: delay, damage, address, customs
	StatusReturned       Status = "returned"  // on its way back to the sender
)

// Statuses lists the shipment statuses.
func Statuses() []Status {
	return []Status{StatusShipped, StatusInTransit, StatusOutForDelivery, StatusDelivered, StatusException, StatusReturned}
}

// Shipment is one parcel of one order from one supplier.
type Shipment struct {
	ID             int64  `json:"id"`
	SupplierID     int64  `json:"supplier_id"`
	OrderNumber    int64  `json:"order_number"`
	Carrier        string `json:"carrier"` // the carrier's code, or the name given for an unknown carrier
	CarrierKnown   bool   `json:"carrier_known"`
	TrackingNumber string `json:"tracking_number"`
	TrackingURL    string `json:"tracking_url,omitempty"`
	// Warning is set when the tracking number was not checked (an unknown carrier).
	Warning     string         `json:"warning,omitempty"`
	Status      Status         `json:"status"`
	ShippedAt   time.Time      `json:"shipped_at"`
	DeliveredAt *time.Time     `json:"delivered_at,omitempty"`
	LastEventAt *time.Time     `json:"last_event_at,omitempty"`
	CreatedBy   string         `json:"created_by"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	Lines       []ShipmentLine `json:"lines"`
	// Events are the shipment's tracking events, oldest first (single reads only).
	Events []StoredEvent `json:"events,omitempty"`
}

// ShipmentLine is the units of one PO line in a shipment.
type ShipmentLine struct {
	POLineID    int64  `json:"po_line_id"`
	OrderLineID int64  `json:"order_line_id"`
	SKU         string `json:"sku"`
	SupplierSKU string `json:"supplier_sku"`
	Quantity    int    `json:"quantity"`
}

// StoredEvent is a tracking event as stored.
type StoredEvent struct {
	Source      string    `json:"source"`
	EventID     string    `json:"event_id"`
	Status      Status    `json:"status"`
	Description string    `json:"description,omitempty"`
	Location    string    `json:"location,omitempty"`
	OccurredAt  time.Time `json:"occurred_at"`
	ReceivedAt  time.Time `json:"received_at"`
}

// Carrier is what a carrier check says of a carrier name and tracking
// number (carriers.Result).
type Carrier struct {
	Code    string // the carrier's code, empty for an unknown carrier
	Known   bool
	Number  string // the tracking number normalised
	URL     string // where the customer can follow the parcel
	Warning string // e.g. unknown carrier: tracking number not checked
}

// CarrierCheck validates a carrier name and tracking number: carriers.Check
// in production. A known carrier with a malformed number is an error.
type CarrierCheck func(name, number string) (Carrier, error)

// Options wire the service. Every field is optional.
type Options struct {
	// Carriers checks carriers and tracking numbers (default carriers.Check).
	Carriers CarrierCheck
	Logger   *slog.Logger
}

// Service records shipments and tracking events.
type Service struct {
	db   *store.DB
	po   *purchasing.Service
	ord  *orders.Service
	now  func() time.Time
	opts Options
	log  *slog.Logger
}

// New returns the shipping service. Shipping moves units of purchase order
// lines (po) and of order lines (ord) in its own transactions.
func New(db *store.DB, po *purchasing.Service, ord *orders.Service, now func() time.Time, opts Options) *Service {
	if now == nil {
		now = time.Now
	}
	if opts.Carriers == nil {
		opts.Carriers = checkCarrier
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{db: db, po: po, ord: ord, now: now, opts: opts, log: opts.Logger}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
