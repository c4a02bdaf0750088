// Package webhooks sends order events to integrators: subscriptions (a URL,
// the event types it wants, a signing secret), one delivery per event and
// subscription worked by a River job with retries and backoff, a log of
// every attempt, replay and test events. See docs/webhooks.md and
// docs/decisions/0017-outbound-webhooks.md.
package webhooks

import (
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/netguard"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
)

// AllEvents subscribes to every order event, including those added later.
const AllEvents = "*"

// TestEvent is the type of the event "send test event" sends.
const TestEvent = "webhook.test"

// Events are the order event types a subscription may list (besides "*").
var Events = []orders.Event{orders.EventPlaced, orders.EventBackordered, orders.EventPreordered, orders.EventAllocated,
	orders.EventReady, orders.EventHeld, orders.EventReleased, orders.EventCancelled, orders.EventEdited, orders.EventSent,
	orders.EventShipped, orders.EventDelivered, orders.EventRestockDelayed, orders.EventAtRisk, orders.EventAtRiskCleared,
	orders.EventRestockExpected, orders.EventCustomerChoice, orders.EventRefundIssued}

// Defaults of Options.
const (
	DefaultMaxAttempts = 10
	DefaultBackoff     = 30 * time.Second
	DefaultMaxBackoff  = 2 * time.Hour
	DefaultTimeout     = 10 * time.Second
	// ResponseLogBytes is how much of a response body the log keeps.
	ResponseLogBytes = 1024
)

// Options tune a Service. The zero value is the production default.
type Options struct {
	Logger *slog.Logger
	// MaxAttempts is how many automatic attempts a delivery gets before it
	// is given up (failed).
	MaxAttempts int
	// Backoff is the wait after the first failed attempt; it doubles after
	// each one up to MaxBackoff, and each wait is jittered (half of it fixed,
	// half random). A Retry-After header replaces it (up to MaxBackoff).
	Backoff, MaxBackoff time.Duration
	// Timeout bounds one attempt (connect, send, answer).
	Timeout time.Duration
	// AllowPrivate allows http:// URLs and private, loopback and link-local
	// addresses (development, tests). Otherwise a subscription's URL must be
	// https and the address dialled public (checked after DNS, at each
	// attempt).
	AllowPrivate bool
	// Jitter returns a value in [0, 1) (default math/rand); tests fix it.
	Jitter func() float64
	// Transport replaces the HTTP transport (tests); the address guard is
	// then the caller's.
	Transport http.RoundTripper
	// Retention is how long finished deliveries stay in the log
	// (DefaultRetention); PruneWorker deletes older ones.
	Retention time.Duration
}

// Queue enqueues jobs inside a transaction; *jobs.Queue satisfies it.
type Queue interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs) (int64, error)
}

// Orders reads an order; *orders.Service satisfies it.
type Orders interface {
	Get(ctx context.Context, number int64) (*orders.Order, error)
}

// Service keeps subscriptions and delivers events to them.
type Service struct {
	db     *store.DB
	orders Orders
	queue  Queue
	now    func() time.Time
	opts   Options
	log    *slog.Logger
	client *http.Client
}

// New returns the webhook service.
func New(db *store.DB, o Orders, q Queue, now func() time.Time, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.Jitter == nil {
		opts.Jitter = rand.Float64
	}
	t := opts.Transport
	if t == nil {
		t = newTransport(opts.AllowPrivate)
	}
	client := &http.Client{Transport: t, Timeout: opts.Timeout,
		// A redirect is not followed: the subscription's URL is what the
		// integrator registered; a 3xx fails the attempt with its Location.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Service{db: db, orders: o, queue: q, now: now, opts: opts, log: opts.Logger, client: client}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Subscription is a URL that receives the events it lists.
type Subscription struct {
	ID          int64     `json:"id"`
	URL         string    `json:"url" example:"https://erp.example.com/orderly/hooks"`
	Description string    `json:"description"`
	Events      []string  `json:"events" example:"[\"order.placed\",\"order.shipped\"]" doc:"Event types sent, or [\"*\"] for all"`
	Active      bool      `json:"active" doc:"A paused subscription gets no new deliveries"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Secret is set only in Create's answer: it is never shown again.
	Secret string `json:"secret,omitempty" doc:"The signing secret; only in the answer to create"`
}

// Wants reports whether s is sent events of type e.
func (s *Subscription) Wants(e string) bool {
	return slices.Contains(s.Events, AllEvents) || slices.Contains(s.Events, e)
}

// SubscriptionInput creates or changes a subscription.
type SubscriptionInput struct {
	URL         string   `json:"url" maxLength:"2048" example:"https://erp.example.com/orderly/hooks"`
	Description string   `json:"description,omitempty" maxLength:"500"`
	Events      []string `json:"events" doc:"Event types to send (see docs/webhooks.md), or [\"*\"] for all"`
	Active      *bool    `json:"active,omitempty" doc:"false pauses the subscription (default true)"`
}

// validate checks in and returns its normalised URL and events.
func (s *Service) validate(in SubscriptionInput) (string, []string, error) {
	var f apperr.Fields
	u := strings.TrimSpace(in.URL)
	if msg := s.checkURL(u); msg != "" {
		f.Add("url", "%s", msg)
	}
	if n := utf8.RuneCountInString(in.Description); n > 500 {
		f.Add("description", "must be at most 500 characters, got %d", n)
	} else if !utf8.ValidString(in.Description) {
		f.Add("description", "must be valid UTF-8 text")
	}
	var events []string
	if len(in.Events) == 0 {
		f.Add("events", "list at least one event type, or \"*\" for all")
	}
	for i, e := range in.Events {
		e = strings.TrimSpace(e)
		switch {
		case e == AllEvents:
		case slices.Contains(Events, orders.Event(e)):
		default:
			f.Add(fmt.Sprintf("events[%d]", i), "unknown event type %q: want \"*\" or one of %s", e, eventList())
			continue
		}
		if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	if slices.Contains(events, AllEvents) {
		events = []string{AllEvents}
	}
	return u, events, f.Err()
}

func eventList() string {
	names := make([]string, len(Events))
	for i, e := range Events {
		names[i] = string(e)
	}
	return strings.Join(names, ", ")
}

// checkURL says what is wrong with a subscription URL, or "".
func (s *Service) checkURL(raw string) string {
	if raw == "" {
		return "is required"
	}
	if len(raw) > 2048 {
		return fmt.Sprintf("must be at most 2048 characters, got %d", len(raw))
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Sprintf("%q is not an absolute URL (want https://host/path)", raw)
	}
	if u.User != nil {
		return "must not carry a user or password (the signature authenticates Orderly)"
	}
	if u.Fragment != "" {
		return "must not have a #fragment"
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !s.opts.AllowPrivate {
			return "must be https (http is allowed only when the server runs with --webhooks-allow-private, for development)"
		}
	default:
		return fmt.Sprintf("scheme %q: want https", u.Scheme)
	}
	host := u.Hostname()
	if !s.opts.AllowPrivate {
		if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
			return "localhost is refused: webhooks go to public addresses only (--webhooks-allow-private allows it for development)"
		}
		if a, err := netip.ParseAddr(host); err == nil && !netguard.Public(a.Unmap()) {
			return fmt.Sprintf("%s is a private or local address: webhooks go to public addresses only", a)
		}
	}
	return ""
}

// newSecret returns a new signing secret: "whsec_" and 32 random bytes.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = cryptoRead(b)
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

var cryptoRead = crand.Read

// Create adds a subscription with a new secret, returned in the answer's
// Secret (and never again).
func (s *Service) Create(ctx context.Context, in SubscriptionInput) (*Subscription, error) {
	u, events, err := s.validate(in)
	if err != nil {
		return nil, err
	}
	ev, _ := json.Marshal(events)
	active := in.Active == nil || *in.Active
	now := s.clock()
	secret := newSecret()
	var id int64
	err = s.db.W.QueryRowContext(ctx, `INSERT INTO webhook_subscriptions (url, description, events, secret, active, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
		u, strings.TrimSpace(in.Description), string(ev), secret, active, actor(ctx), now).Scan(&id)
	if err != nil {
		return nil, fmt.Errorf("create webhook subscription: %w", err)
	}
	sub, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	sub.Secret = secret
	return sub, nil
}

// Update replaces a subscription's URL, description, events and (when set)
// active flag. The secret is kept.
func (s *Service) Update(ctx context.Context, id int64, in SubscriptionInput) (*Subscription, error) {
	u, events, err := s.validate(in)
	if err != nil {
		return nil, err
	}
	ev, _ := json.Marshal(events)
	res, err := s.db.W.ExecContext(ctx, `UPDATE webhook_subscriptions SET url = $1, description = $2, events = $3,
		active = COALESCE($4, active), updated_at = $5 WHERE id = $6`,
		u, strings.TrimSpace(in.Description), string(ev), in.Active, s.clock(), id)
	if err != nil {
		return nil, fmt.Errorf("update webhook subscription %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, notFound(id)
	}
	return s.Get(ctx, id)
}

// SetActive pauses (false) or resumes (true) a subscription.
func (s *Service) SetActive(ctx context.Context, id int64, active bool) (*Subscription, error) {
	res, err := s.db.W.ExecContext(ctx, `UPDATE webhook_subscriptions SET active = $1, updated_at = $2 WHERE id = $3`,
		active, s.clock(), id)
	if err != nil {
		return nil, fmt.Errorf("pause or resume webhook subscription %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, notFound(id)
	}
	return s.Get(ctx, id)
}

// Delete removes a subscription with its deliveries and their log.
func (s *Service) Delete(ctx context.Context, id int64) error {
	res, err := s.db.W.ExecContext(ctx, `DELETE FROM webhook_subscriptions WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete webhook subscription %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(id)
	}
	return nil
}

func notFound(id int64) error {
	return apperr.New(apperr.NotFound, "webhook subscription %d not found", id)
}

const subColumns = `id, url, description, events, active, created_by, created_at, updated_at`

func scanSub(sc interface{ Scan(...any) error }) (*Subscription, error) {
	var sub Subscription
	var events string
	if err := sc.Scan(&sub.ID, &sub.URL, &sub.Description, &events, &sub.Active, &sub.CreatedBy, &sub.CreatedAt, &sub.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &sub.Events); err != nil {
		return nil, fmt.Errorf("events of webhook subscription %d: %w", sub.ID, err)
	}
	sub.CreatedAt, sub.UpdatedAt = sub.CreatedAt.UTC(), sub.UpdatedAt.UTC()
	return &sub, nil
}

// Get returns one subscription (without its secret).
func (s *Service) Get(ctx context.Context, id int64) (*Subscription, error) {
	sub, err := scanSub(s.db.R.QueryRowContext(ctx, `SELECT `+subColumns+` FROM webhook_subscriptions WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("webhook subscription %d: %w", id, err)
	}
	return sub, nil
}

// List returns every subscription, oldest first.
func (s *Service) List(ctx context.Context) ([]Subscription, error) {
	return s.list(ctx, s.db.R, `SELECT `+subColumns+` FROM webhook_subscriptions ORDER BY id`)
}

func (s *Service) list(ctx context.Context, q store.Querier, query string, args ...any) ([]Subscription, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("webhook subscriptions: %w", err)
	}
	defer rows.Close()
	out := []Subscription{}
	for rows.Next() {
		sub, err := scanSub(rows)
		if err != nil {
			return nil, fmt.Errorf("webhook subscriptions: %w", err)
		}
		out = append(out, *sub)
	}
	return out, rows.Err()
}

// actor is who is acting in ctx, for the log.
func actor(ctx context.Context) string {
	if p := auth.FromContext(ctx); p != nil {
		return p.Actor()
	}
	return "system"
}

// newTransport is the default transport's settings with a dialer that, unless
// allowPrivate, refuses private and local addresses. The check is on the
// address dialled, after DNS, so a public name resolving to 10.0.0.1 or
// 169.254.169.254 is refused too (as feed pulls do, internal/feeds/pull.go).
func newTransport(allowPrivate bool) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.ControlContext = func(_ context.Context, _, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("webhook address %q: %w", address, err)
			}
			if a := ap.Addr().Unmap(); !netguard.Public(a) {
				return &errBlockedAddress{a}
			}
			return nil
		}
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = d.DialContext
	t.Proxy = nil // a proxy would dial the address for us, unchecked
	t.MaxIdleConnsPerHost = 16
	return t
}

// errBlockedAddress is a connection refused by the address policy.
type errBlockedAddress struct{ addr netip.Addr }

func (e *errBlockedAddress) Error() string {
	return fmt.Sprintf("the host resolves to %s, a private or local address: webhooks go to public addresses only", e.addr)
}
