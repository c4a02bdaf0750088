// Package purchasing turns routed order lines into purchase orders (POs) to
// suppliers: it keeps each supplier's fulfilment settings (channel, batching,
// answer SLA), gathers routed units on the supplier's open PO, sends POs by
// email, signed webhook or the supplier console, takes the supplier's answer
// per line (accept or reject, partial quantities allowed; rejected units are
// routed again), flags lines not answered within the SLA, and moves units to
// shipped for the shipping package. Decision 0013 and docs/purchasing.md
// describe it.
package purchasing

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"time"

	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/store"
)

// Channel is how a supplier receives its purchase orders.
type Channel string

// Channels.
const (
	ChannelEmail   Channel = "email"   // an email with the PO as a CSV attachment
	ChannelWebhook Channel = "webhook" // a signed JSON POST
	ChannelConsole Channel = "console" // nothing is sent: the supplier works in its console
)

// Batch says when a supplier's PO goes out.
type Batch string

// Batches.
const (
	BatchImmediate Batch = "immediate" // as soon as lines are added
	BatchCutoffs   Batch = "cutoffs"   // gathered until the supplier's next cutoff time
)

// POState is the state of a purchase order.
type POState string

// PO states.
const (
	POOpen         POState = "open"         // gathering lines until send_after
	POSending      POState = "sending"      // claimed by the send job (or failed to send: see LastError)
	POSent         POState = "sent"         // transmitted; some lines await an answer
	POAcknowledged POState = "acknowledged" // no line is pending an answer
	POClosed       POState = "closed"       // nothing is left to ship
	POCancelled    POState = "cancelled"    // every line was cancelled before it was sent
)

// LineState is the state of a PO line, derived from its units.
type LineState string

// PO line states.
const (
	LinePending          LineState = "pending"           // some units await the supplier's answer
	LineAccepted         LineState = "accepted"          // accepted, nothing shipped yet
	LinePartiallyShipped LineState = "partially_shipped" // some accepted units shipped, others not yet
	LineShipped          LineState = "shipped"           // every unit not rejected or cancelled shipped
	LineRejected         LineState = "rejected"          // every unit rejected or cancelled, some rejected
	LineCancelled        LineState = "cancelled"         // every unit cancelled
)

// Line is one PO line: some units of one order line from one supplier offer.
// Every unit is in exactly one of Pending, Accepted, Shipped, Rejected and
// Cancelled.
type Line struct {
	ID              int64       `json:"id"`
	PurchaseOrderID int64       `json:"purchase_order_id"`
	SupplierID      int64       `json:"supplier_id"`
	OrderID         int64       `json:"order_id"`
	OrderLineID     int64       `json:"order_line_id"`
	OfferID         int64       `json:"offer_id"`
	VariantID       int64       `json:"variant_id"`
	SKU             string      `json:"sku"`
	SupplierSKU     string      `json:"supplier_sku"`
	Title           string      `json:"title"`
	State           LineState   `json:"state"`
	Quantity        int         `json:"quantity"`
	Pending         int         `json:"pending"`
	Accepted        int         `json:"accepted"`
	Shipped         int         `json:"shipped"`
	Rejected        int         `json:"rejected"`
	Cancelled       int         `json:"cancelled"`
	UnitCost        money.Money `json:"unit_cost"`
	RejectReason    string      `json:"reject_reason,omitempty"`
	AnsweredBy      string      `json:"answered_by,omitempty"`
	AnsweredAt      *time.Time  `json:"answered_at,omitempty"`
	OverdueAt       *time.Time  `json:"overdue_at,omitempty"`
	CreatedAt       time.Time   `json:"created_at"`
	UpdatedAt       time.Time   `json:"updated_at"`
}

// Open is the number of units the supplier still has to ship.
func (l Line) Open() int { return l.Pending + l.Accepted }

// PurchaseOrder is a PO as read back. Its ID is also its number (PO-5001).
type PurchaseOrder struct {
	ID           int64       `json:"id"`
	Number       string      `json:"number"`
	SupplierID   int64       `json:"supplier_id"`
	SupplierName string      `json:"supplier_name"`
	State        POState     `json:"state"`
	Channel      Channel     `json:"channel"`
	Currency     string      `json:"currency"`
	TotalCost    money.Money `json:"total_cost"`
	SendAfter    time.Time   `json:"send_after"`
	SentAt       *time.Time  `json:"sent_at,omitempty"`
	AckDueAt     *time.Time  `json:"ack_due_at,omitempty"`
	SendAttempts int         `json:"send_attempts"`
	LastError    string      `json:"last_error,omitempty"`
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
	// Lines and Sends are filled by the single-PO reads only.
	Lines []Line        `json:"lines,omitempty"`
	Sends []SendAttempt `json:"sends,omitempty"`
}

// SendAttempt is one attempt to transmit a PO.
type SendAttempt struct {
	ID      int64     `json:"id"`
	Channel Channel   `json:"channel"`
	Attempt int       `json:"attempt"`
	OK      bool      `json:"ok"`
	Detail  string    `json:"detail,omitempty"`
	At      time.Time `json:"at"`
}

// Number formats a PO id as its number, e.g. PO-5001.
func Number(id int64) string { return "PO-" + itoa(id) }

// RerouteRequest asks the router to route units of an order line again,
// away from the offer that rejected them (trigger "rejected") or did not
// answer in time ("timeout").
type RerouteRequest = routing.RerouteRequest

// Rerouter routes units of an order line again after a rejection or a
// timeout, inside the caller's transaction; *routing.Router satisfies it.
type Rerouter interface {
	RerouteTx(ctx context.Context, tx *sql.Tx, r RerouteRequest) error
}

// Timeline records an entry on an order's timeline inside tx;
// *orders.Service satisfies it.
type Timeline interface {
	NoteTx(ctx context.Context, tx *sql.Tx, order, line int64, event, actor, reason string, detail any) error
}

// Options wire the service to its collaborators. Every field is optional in
// tests: with no Rerouter rejected
// units are only recorded, with no Timeline nothing goes on the timeline.
type Options struct {
	// Mailer sends email POs (nil: email POs fail to send until configured).
	Mailer   Mailer
	Rerouter Rerouter
	Timeline Timeline
	// HTTPClient sends webhooks (default: a client with a 15 s timeout).
	HTTPClient *http.Client
	// AllowLocalHTTP accepts http:// webhook URLs on 127.0.0.1 and
	// localhost (tests); otherwise webhooks must be https.
	AllowLocalHTTP bool
	// WebhookRetries is how many times one send retries a webhook on 5xx,
	// 429 or a network error (default 3); Backoff is the wait before the
	// first retry, doubled each time (default 1 s).
	WebhookRetries int
	Backoff        time.Duration
	// Sleep waits between webhook retries (default: a timer honouring ctx);
	// tests replace it to run without waiting.
	Sleep  func(ctx context.Context, d time.Duration) error
	Logger *slog.Logger
}

// Service manages purchase orders.
type Service struct {
	db   *store.DB
	now  func() time.Time
	opts Options
	log  *slog.Logger
}

// New returns the purchasing service over db.
func New(db *store.DB, now func() time.Time, opts Options) *Service {
	if now == nil {
		now = time.Now
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if opts.WebhookRetries <= 0 {
		opts.WebhookRetries = 3
	}
	if opts.Backoff <= 0 {
		opts.Backoff = time.Second
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{db: db, now: now, opts: opts, log: opts.Logger}
}

// SetRerouter sets the rerouter after construction (the router and the
// purchasing service refer to each other; cmd/orderly wires both).
func (s *Service) SetRerouter(r Rerouter) { s.opts.Rerouter = r }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// lineState derives a PO line's state from its units.
func lineState(l Line) LineState {
	switch {
	case l.Pending > 0:
		return LinePending
	case l.Accepted > 0 && l.Shipped == 0:
		return LineAccepted
	case l.Shipped > 0 && l.Accepted > 0:
		return LinePartiallyShipped
	case l.Shipped > 0:
		return LineShipped
	case l.Rejected > 0:
		return LineRejected
	default:
		return LineCancelled
	}
}
