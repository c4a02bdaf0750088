package webhooks

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
)

// PayloadVersion is the version of the JSON body (Payload.Version). Fields
// may be added within a version; renaming or removing one makes a new one.
const PayloadVersion = 1

// Payload is the JSON body of every webhook request.
type Payload struct {
	ID         string          `json:"id"`      // "evt_42": the same on every attempt and replay
	Type       string          `json:"type"`    // "order.placed", or "webhook.test"
	Version    int             `json:"version"` // PayloadVersion
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"` // EventData
}

// EventData is the data of an order event: the order as it was when the
// event was handled (moments after it happened), and the lines it concerns.
type EventData struct {
	Order OrderSnapshot `json:"order"`
	Lines []int64       `json:"lines,omitempty"` // ids of the lines the event is about, when it names some
	// Refund is the refund an order.refund_issued event is about (the order's
	// Refunded is the sum of every refund, issued or not).
	Refund *RefundData `json:"refund,omitempty"`
}

// RefundData is the refund of an order.refund_issued event: its id (as in
// GET /api/v1/refunds) and amount. Who marked it and the payment provider's
// reference stay in Orderly (GET /api/v1/refunds/{id} with a finance token).
type RefundData struct {
	ID     int64       `json:"id"`
	Amount money.Money `json:"amount"`
}

// OrderSnapshot is the order in a webhook (no customer contact or address:
// read GET /api/v1/orders/{number} with an API token for those).
type OrderSnapshot struct {
	Number     int64            `json:"number"`
	Channel    string           `json:"channel"`
	ExternalID string           `json:"external_id,omitempty"`
	State      orders.State     `json:"state"`
	Currency   string           `json:"currency"`
	Subtotal   money.Money      `json:"subtotal"`
	Discount   money.Money      `json:"discount"`
	Shipping   money.Money      `json:"shipping"`
	Tax        money.Money      `json:"tax"`
	Total      money.Money      `json:"total"`
	Refunded   money.Money      `json:"refunded"`
	Lines      []LineSnapshot   `json:"lines"`
	Promise    *orders.Promised `json:"promise,omitempty"`
	PlacedAt   time.Time        `json:"placed_at"`
	UpdatedAt  time.Time        `json:"updated_at"`
}

// LineSnapshot is one order line in a webhook.
type LineSnapshot struct {
	ID          int64            `json:"id"`
	Position    int              `json:"position"`
	SKU         string           `json:"sku"`
	Title       string           `json:"title"`
	State       orders.LineState `json:"state"`
	Quantity    int              `json:"quantity"`
	UnitPrice   money.Money      `json:"unit_price"`
	Total       money.Money      `json:"total"`
	Reserved    int              `json:"reserved"`
	Backordered int              `json:"backordered"`
	Preordered  int              `json:"preordered"`
	Shipped     int              `json:"shipped"`
	Cancelled   int              `json:"cancelled"`
	ExpectedAt  *time.Time       `json:"expected_at,omitempty"`
}

func snapshot(o *orders.Order) OrderSnapshot {
	s := OrderSnapshot{Number: o.Number, Channel: o.Channel, ExternalID: o.ExternalID, State: o.State, Currency: o.Currency,
		Subtotal: o.Subtotal, Discount: o.Discount, Shipping: o.Shipping, Tax: o.Tax, Total: o.Total, Refunded: o.Refunded,
		Promise: o.Promise, PlacedAt: o.PlacedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC(), Lines: make([]LineSnapshot, len(o.Lines))}
	for i, l := range o.Lines {
		s.Lines[i] = LineSnapshot{ID: l.ID, Position: l.Position, SKU: l.SKU, Title: l.Title, State: l.State, Quantity: l.Quantity,
			UnitPrice: l.UnitPrice, Total: l.Total, Reserved: l.Reserved, Backordered: l.Backordered, Preordered: l.Preordered,
			Shipped: l.Shipped, Cancelled: l.Cancelled, ExpectedAt: l.ExpectedAt}
	}
	return s
}

// DeliverArgs is the job that makes the automatic attempts of one delivery.
type DeliverArgs struct {
	Send int64 `json:"send"`
}

// Kind is the River job kind.
func (DeliverArgs) Kind() string { return "webhook_deliver" }

// InsertOpts: the job's own retries are for errors of Orderly (a database
// error); the delivery's attempts and backoff are the worker's, by snoozing.
func (DeliverArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// DeliverWorker works DeliverArgs with Webhooks (set once the service
// exists: the service needs the queue the worker is registered with).
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	Webhooks *Service
}

// Timeout bounds a job: one attempt and its bookkeeping.
func (w *DeliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	if w.Webhooks == nil {
		return time.Minute
	}
	return w.Webhooks.opts.Timeout + 30*time.Second
}

// Work makes the delivery's next attempt when it is due. A failed attempt
// that may be retried snoozes the job until the next one (River counts no
// attempt for a snooze); a delivery delivered or given up ends it.
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	if w.Webhooks == nil {
		return fmt.Errorf("webhook delivery %d: the worker is not bound to the webhook service", job.Args.Send)
	}
	wait, err := w.Webhooks.Deliver(ctx, job.Args.Send)
	if err != nil {
		return err
	}
	if wait > 0 {
		return river.JobSnooze(wait)
	}
	return nil
}

// OnEvent is the orders.Handler of every order event: for each active
// subscription that wants the event it creates one delivery and its job, in
// one transaction. A retried event job finds the event's row and its
// deliveries and adds nothing. An event is (type, order, timeline entry).
func (s *Service) OnEvent(ctx context.Context, e orders.EventArgs) error {
	subs, err := s.list(ctx, s.db.R, `SELECT `+subColumns+` FROM webhook_subscriptions WHERE active ORDER BY id`)
	if err != nil {
		return err
	}
	var want []int64
	for _, sub := range subs {
		if sub.Wants(string(e.Event)) {
			want = append(want, sub.ID)
		}
	}
	if len(want) == 0 {
		return nil
	}
	o, err := s.orders.Get(ctx, e.Order)
	if err != nil {
		return fmt.Errorf("webhooks for %s of order %d: %w", e.Event, e.Order, err)
	}
	ed := EventData{Order: snapshot(o), Lines: e.Lines}
	occurred := s.clock()
	if e.Entry != 0 {
		var at time.Time
		var detail string
		err := s.db.R.QueryRowContext(ctx, `SELECT created_at, detail FROM order_timeline WHERE id = $1`, e.Entry).Scan(&at, &detail)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("webhooks for %s of order %d: timeline entry %d: %w", e.Event, e.Order, e.Entry, err)
		}
		if err == nil {
			occurred = at.UTC()
			if e.Event == orders.EventRefundIssued {
				var d struct {
					Payment int64        `json:"payment"`
					Refund  *money.Money `json:"refund"`
				}
				if err := json.Unmarshal([]byte(detail), &d); err != nil {
					return fmt.Errorf("webhooks for %s of order %d: timeline entry %d: %w", e.Event, e.Order, e.Entry, err)
				}
				if d.Payment != 0 && d.Refund != nil {
					ed.Refund = &RefundData{ID: d.Payment, Amount: *d.Refund}
				}
			}
		}
	}
	data, err := json.Marshal(ed)
	if err != nil {
		return fmt.Errorf("webhooks for %s of order %d: %w", e.Event, e.Order, err)
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		now := s.clock()
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_events (event, order_id, entry_id, occurred_at, data, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event, order_id, entry_id) DO NOTHING`,
			string(e.Event), e.Order, e.Entry, occurred, string(data), now); err != nil {
			return fmt.Errorf("webhook event %s of order %d: %w", e.Event, e.Order, err)
		}
		var event int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM webhook_events WHERE event = $1 AND order_id = $2 AND entry_id = $3`,
			string(e.Event), e.Order, e.Entry).Scan(&event); err != nil {
			return fmt.Errorf("webhook event %s of order %d: %w", e.Event, e.Order, err)
		}
		for _, sub := range want {
			if _, err := s.addSend(ctx, tx, sub, event, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// addSend creates the delivery of event to sub and its job, unless it
// exists; it returns the delivery's id (0 when it existed).
func (s *Service) addSend(ctx context.Context, tx *sql.Tx, sub, event int64, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO webhook_sends (subscription_id, event_id, state, next_attempt_at, created_at, updated_at)
		VALUES ($1, $2, 'pending', $3, $3, $3) ON CONFLICT (subscription_id, event_id) DO NOTHING RETURNING id`,
		sub, event, now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("webhook delivery of event %d to subscription %d: %w", event, sub, err)
	}
	if s.queue != nil {
		if _, err := s.queue.InsertTx(ctx, tx, DeliverArgs{Send: id}); err != nil {
			return 0, fmt.Errorf("webhook delivery %d: %w", id, err)
		}
	}
	return id, nil
}

// DeliveryAttempt is one HTTP attempt of a delivery, as the log shows it.
type DeliveryAttempt struct {
	ID         int64     `json:"id"`
	Delivery   int64     `json:"delivery"`
	Number     int       `json:"number" doc:"1 for the delivery's first attempt"`
	Kind       string    `json:"kind" enum:"auto,replay,test" doc:"auto (the delivery job), replay (by a user), test (send test event)"`
	Actor      string    `json:"actor,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
	Status     int       `json:"status" doc:"HTTP status of the answer; 0 when there was none"`
	Error      string    `json:"error,omitempty"`
	Response   string    `json:"response,omitempty" doc:"The answer's body, cut to 1 KiB"`
	Outcome    string    `json:"outcome" enum:"delivered,retry,failed"`
}

// DeliveryAttempt kinds.
const (
	KindAuto   = "auto"
	KindReplay = "replay"
	KindTest   = "test"
)

// Delivery states.
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateFailed    = "failed"
)

// claimed is a delivery claimed for one attempt, with what it sends.
type claimed struct {
	id, sub   int64
	attempts  int
	url       string
	secret    string
	active    bool
	eventID   int64
	eventType string
	occurred  time.Time
	data      string
	state     string       // before the attempt
	next      sql.NullTime // before the attempt
}

// errBusy: another attempt of the delivery holds its lease.
var errBusy = apperr.New(apperr.Conflict, "an attempt of this delivery is in progress; try again in a moment")

// claim takes the delivery's lease for one attempt (UPDATE ... WHERE the
// lease is free: one instance wins). auto also needs the delivery pending and
// its attempt due; it returns (nil, wait) when not due yet and (nil, 0) when
// there is nothing to do.
func (s *Service) claim(ctx context.Context, id int64, auto bool) (*claimed, time.Duration, error) {
	now := s.clock()
	lease := now.Add(s.opts.Timeout + time.Minute)
	cond := ``
	if auto {
		cond = ` AND state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $2)`
	}
	res, err := s.db.W.ExecContext(ctx, `UPDATE webhook_sends SET lease_until = $1
		WHERE id = $3 AND (lease_until IS NULL OR lease_until <= $2)`+cond, lease, now, id)
	if err != nil {
		return nil, 0, fmt.Errorf("claim webhook delivery %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, 0, fmt.Errorf("claim webhook delivery %d: %w", id, err)
	}
	var c claimed
	var leaseUntil sql.NullTime
	err = s.db.W.QueryRowContext(ctx, `SELECT d.id, d.subscription_id, d.attempts, d.state, d.next_attempt_at, d.lease_until,
			s.url, s.secret, s.active, e.id, e.event, e.occurred_at, e.data
		FROM webhook_sends d JOIN webhook_subscriptions s ON s.id = d.subscription_id JOIN webhook_events e ON e.id = d.event_id
		WHERE d.id = $1`, id).Scan(&c.id, &c.sub, &c.attempts, &c.state, &c.next, &leaseUntil,
		&c.url, &c.secret, &c.active, &c.eventID, &c.eventType, &c.occurred, &c.data)
	if errors.Is(err, sql.ErrNoRows) {
		if auto {
			return nil, 0, nil // the subscription was deleted with its deliveries
		}
		return nil, 0, apperr.New(apperr.NotFound, "webhook delivery %d not found", id)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("webhook delivery %d: %w", id, err)
	}
	if n == 1 {
		return &c, 0, nil
	}
	if !auto {
		return nil, 0, errBusy
	}
	switch {
	case c.state != StatePending:
		return nil, 0, nil
	case leaseUntil.Valid && leaseUntil.Time.After(now):
		return nil, max(leaseUntil.Time.Sub(now), time.Second), nil
	case c.next.Valid && c.next.Time.After(now):
		return nil, c.next.Time.Sub(now), nil
	}
	return nil, time.Second, nil // changed under us: look again shortly
}

// Deliver makes the automatic attempt of delivery id when it is due. It
// returns how long to wait before the next one (0: none; the delivery was
// delivered, given up, or is not for this job).
func (s *Service) Deliver(ctx context.Context, id int64) (time.Duration, error) {
	c, wait, err := s.claim(ctx, id, true)
	if err != nil || c == nil {
		return wait, err
	}
	if !c.active {
		// A paused subscription gets nothing: the delivery is given up
		// without an attempt (a user may replay it).
		return 0, s.release(ctx, c, StateFailed, "the subscription is paused", nil)
	}
	a, retryAfter := s.post(ctx, c, KindAuto, "")
	state := StateDelivered
	var next *time.Time
	switch {
	case a.Outcome == "delivered":
	case a.Outcome == "retry" && c.attempts+1 < s.opts.MaxAttempts:
		wait = s.backoff(c.attempts+1, retryAfter)
		t := a.StartedAt.Add(time.Duration(a.DurationMS) * time.Millisecond).Add(wait)
		next, state = &t, StatePending
	default:
		a.Outcome, state = "failed", StateFailed
		wait = 0
		if a.Error == "" {
			a.Error = fmt.Sprintf("gave up after %d attempts", c.attempts+1)
		} else if c.attempts+1 >= s.opts.MaxAttempts {
			a.Error += fmt.Sprintf(" (gave up after %d attempts)", c.attempts+1)
		}
	}
	if err := s.record(ctx, c, &a, state, next); err != nil {
		return 0, err
	}
	if state == StatePending {
		return max(wait, time.Millisecond), nil
	}
	return 0, nil
}

// backoff is the wait after the n-th failed attempt: Backoff doubled n-1
// times up to MaxBackoff, half of it jittered; a Retry-After instead when
// the receiver sent one (up to MaxBackoff).
func (s *Service) backoff(n int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, s.opts.MaxBackoff)
	}
	d := s.opts.Backoff
	for i := 1; i < n && d < s.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.opts.MaxBackoff)
	return d/2 + time.Duration(s.opts.Jitter()*float64(d/2))
}

// body is the request body of a claimed delivery.
func (c *claimed) body() []byte {
	b, _ := json.Marshal(Payload{ID: eventID(c.eventID), Type: c.eventType, Version: PayloadVersion,
		OccurredAt: c.occurred.UTC(), Data: json.RawMessage(c.data)})
	return b
}

func eventID(id int64) string { return "evt_" + strconv.FormatInt(id, 10) }

// post makes one attempt: the signed POST, its answer classified. It returns
// the attempt (outcome delivered, retry or failed) and the answer's
// Retry-After.
func (s *Service) post(ctx context.Context, c *claimed, kind, who string) (DeliveryAttempt, time.Duration) {
	body := c.body()
	start := s.now()
	a := DeliveryAttempt{Delivery: c.id, Number: c.attempts + 1, Kind: kind, Actor: who, StartedAt: start.UTC().Truncate(time.Microsecond)}
	finish := func() { a.DurationMS = max(s.now().Sub(start).Milliseconds(), 0) }
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		finish()
		a.Outcome, a.Error = "failed", "bad URL: "+err.Error()
		return a, 0
	}
	ts := start
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Orderly-Webhooks/1")
	req.Header.Set(IDHeader, eventID(c.eventID))
	req.Header.Set(EventHeader, c.eventType)
	req.Header.Set(AttemptHeader, strconv.Itoa(a.Number))
	req.Header.Set(TimestampHeader, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(SignatureHeader, Sign(c.secret, ts, body))
	resp, err := s.client.Do(req)
	if err != nil {
		finish()
		a.Error = reason(err, s.opts.Timeout)
		a.Outcome = "retry"
		var blocked *errBlockedAddress
		if errors.As(err, &blocked) {
			a.Outcome = "failed"
		}
		return a, 0
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, ResponseLogBytes+1))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	finish()
	a.Status = resp.StatusCode
	a.Response = truncate(snippet)
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		a.Outcome = "delivered"
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		a.Outcome, a.Error = "retry", "HTTP "+strconv.Itoa(code)
		return a, s.retryAfter(resp.Header.Get("Retry-After"))
	case code >= 300 && code < 400:
		a.Outcome, a.Error = "failed", fmt.Sprintf("HTTP %d: redirects are not followed (Location: %s); update the subscription's URL",
			code, resp.Header.Get("Location"))
	default:
		a.Outcome, a.Error = "failed", fmt.Sprintf("HTTP %d: the receiver refused the request (not retried)", code)
	}
	return a, 0
}

// truncate keeps the first ResponseLogBytes of b as valid UTF-8 text.
func truncate(b []byte) string {
	cut := len(b) > ResponseLogBytes
	if cut {
		b = b[:ResponseLogBytes]
	}
	s := strings.ToValidUTF8(string(b), "")
	if cut {
		s += "…"
	}
	return s
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); 0 when
// absent or unreadable.
func (s *Service) retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(s.now()), 0)
	}
	return 0
}

// reason says why a request got no answer, in words.
func reason(err error, timeout time.Duration) string {
	var blocked *errBlockedAddress
	if errors.As(err, &blocked) {
		return blocked.Error()
	}
	var ne interface{ Timeout() bool }
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// record writes the attempt and the delivery's new state, and frees its
// lease, in one transaction.
func (s *Service) record(ctx context.Context, c *claimed, a *DeliveryAttempt, state string, next *time.Time) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO webhook_send_attempts (send_id, number, kind, actor, started_at, duration_ms,
			status, error, response, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			c.id, a.Number, a.Kind, a.Actor, a.StartedAt, a.DurationMS, a.Status, a.Error, a.Response, a.Outcome).Scan(&a.ID); err != nil {
			return fmt.Errorf("log webhook attempt of delivery %d: %w", c.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_sends SET state = $1, attempts = attempts + 1, next_attempt_at = $2,
			lease_until = NULL, last_status = $3, last_error = $4, updated_at = $5 WHERE id = $6`,
			state, nullTime(next), a.Status, a.Error, s.clock(), c.id); err != nil {
			return fmt.Errorf("webhook delivery %d: %w", c.id, err)
		}
		return nil
	})
}

// release ends a claim without an attempt.
func (s *Service) release(ctx context.Context, c *claimed, state, why string, next *time.Time) error {
	_, err := s.db.W.ExecContext(ctx, `UPDATE webhook_sends SET state = $1, next_attempt_at = $2, lease_until = NULL,
		last_error = $3, updated_at = $4 WHERE id = $5`, state, nullTime(next), why, s.clock(), c.id)
	if err != nil {
		return fmt.Errorf("webhook delivery %d: %w", c.id, err)
	}
	return nil
}

func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: *t, Valid: true}
}
