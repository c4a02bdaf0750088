// Package notify tells customers about their orders by email: the order
// confirmed with its delivery window, units on backorder (with the choice to
// wait, swap or cancel), a pre-order confirmed, a delay, the parcel shipped
// with its tracking link, the order delivered, a cancellation with its refund
// and apology coupon, the answer to the customer's choice, and a restock date
// that became known.
//
// Each notification is created by an order event's subscriber (OnEvent) as a
// row whose unique key is (order, kind, timeline entry), in the transaction
// that enqueues its send job: however often the event job runs, on however
// many instances, one notification exists and one job sends it. The send job
// claims the row, renders nothing (the message was rendered when the row was
// made), sends through the Transport, and keeps the delivery log on the row;
// a notification that cannot be sent is written on the order's timeline.
//
// Templates are built in for every kind in English, Brazilian Portuguese and
// Italian; the store may override any of them in the console (templates.go).
// Transport sends through the SMTP server stored in the console, else the
// --smtp-* flags, else a directory of .eml files (transport.go).
// docs/notifications.md describes it; decision 0014 says why.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
)

// Kind is what a notification tells the customer.
type Kind string

// Kinds of notification.
const (
	KindConfirmed       Kind = "order_confirmed"    // order.placed: thanks, the lines and the delivery window
	KindBackordered     Kind = "backordered"        // order.backordered: expected date and the options
	KindPreordered      Kind = "preorder_confirmed" // order.preordered (after placement): the release date
	KindDelayed         Kind = "delayed"            // order.restock_delayed, order.at_risk (late or restock_late): new date and options
	KindShipped         Kind = "shipped"            // order.shipped: carrier and tracking link
	KindDelivered       Kind = "delivered"          // order.delivered
	KindCancelled       Kind = "cancelled"          // order.cancelled: refund and apology coupon
	KindChoice          Kind = "choice_answer"      // order.customer_choice: what the customer chose and what happens now
	KindRestockExpected Kind = "backorder_update"   // order.restock_expected: a date for units that had none
)

// Kinds lists every kind, in the order the console shows them.
func Kinds() []Kind {
	return []Kind{KindConfirmed, KindBackordered, KindPreordered, KindDelayed, KindShipped, KindDelivered,
		KindCancelled, KindChoice, KindRestockExpected}
}

// ValidKind reports whether k is a known kind.
func ValidKind(k Kind) bool { return slices.Contains(Kinds(), k) }

// eventKinds says which order events a customer hears about, and as what.
// The others (allocated, ready, held, released, edited, sent_to_supplier,
// at_risk_cleared) are the store's own business: nothing the customer must
// know or act on.
var eventKinds = map[orders.Event]Kind{
	orders.EventPlaced:          KindConfirmed,
	orders.EventBackordered:     KindBackordered,
	orders.EventPreordered:      KindPreordered,
	orders.EventRestockDelayed:  KindDelayed,
	orders.EventAtRisk:          KindDelayed,
	orders.EventShipped:         KindShipped,
	orders.EventDelivered:       KindDelivered,
	orders.EventCancelled:       KindCancelled,
	orders.EventCustomerChoice:  KindChoice,
	orders.EventRestockExpected: KindRestockExpected,
}

// Events lists the order events OnEvent handles; subscribe it to each.
func Events() []orders.Event {
	out := make([]orders.Event, 0, len(eventKinds))
	for e := range eventKinds {
		out = append(out, e)
	}
	slices.Sort(out)
	return out
}

// CouponView is an apology coupon as a notification shows it.
type CouponView struct {
	Code string
	// Percent is the discount in whole percent (10 = 10%) for a percent
	// coupon; 0 for an amount coupon.
	Percent int
	// Amount is the discount of an amount coupon.
	Amount money.Money
	// ExpiresAt is the coupon's last day; zero when it does not expire.
	ExpiresAt time.Time
}

// Linker makes the token of a customer's signed order link
// (orderlinks.Signer is one).
type Linker interface {
	Token(order int64, expires time.Time) string
}

// Options tune the service.
type Options struct {
	Logger *slog.Logger
	// Coupons returns the apology coupons of an order: a notice whose
	// timeline entry names a coupon code shows its value and expiry from
	// here. Nil: the code alone.
	Coupons func(ctx context.Context, order int64) ([]CouponView, error)
	// Links loads the signer of customer links (orderlinks.Load), once,
	// when the first notification is rendered. Nil: messages carry no link.
	Links func(ctx context.Context) (Linker, error)
	// BaseURL starts customer links when the branding has no base URL
	// (the server's own address).
	BaseURL string
	// LinkPath turns a token into the page's path (orderlinks.Path).
	LinkPath func(token string) string
	// MaxAttempts bounds the sends of one notification (default 8); River
	// waits longer after each failed attempt.
	MaxAttempts int
}

// Service creates, renders and sends customer notifications.
type Service struct {
	db     *store.DB
	orders *orders.Service
	jobs   *jobs.Queue
	mail   *Transport
	now    func() time.Time
	opts   Options
	log    *slog.Logger

	mu     sync.Mutex
	linker Linker // loaded once by opts.Links
}

// New returns the notification service. q enqueues the send jobs (a
// SendWorker bound to the service works them); transport sends the mail.
func New(db *store.DB, ord *orders.Service, q *jobs.Queue, transport *Transport, now func() time.Time, opts Options) *Service {
	if now == nil {
		now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 8
	}
	if opts.LinkPath == nil {
		opts.LinkPath = func(token string) string { return "/o/" + token }
	}
	return &Service{db: db, orders: ord, jobs: q, mail: transport, now: now, opts: opts, log: opts.Logger}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// SetBaseURL sets the address customer links start with when the branding
// has none (serve sets the server's own). Call it before serving.
func (s *Service) SetBaseURL(u string) { s.opts.BaseURL = u }

// Transport returns the service's mail transport.
func (s *Service) Transport() *Transport { return s.mail }

func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
