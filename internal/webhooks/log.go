package webhooks

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// Delivery is one event sent (or to be sent) to one subscription.
type Delivery struct {
	ID            int64      `json:"id"`
	Subscription  int64      `json:"subscription"`
	EventID       string     `json:"event_id" example:"evt_42"`
	Event         string     `json:"event" example:"order.placed"`
	Order         int64      `json:"order,omitempty" doc:"The order's number; absent for a test event"`
	State         string     `json:"state" enum:"pending,delivered,failed" doc:"pending: an attempt is due at next_attempt_at; failed: given up"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	LastStatus    int        `json:"last_status" doc:"HTTP status of the last answer; 0 when none"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	// Attempts of the delivery, newest first (Delivery only, not the list).
	Log []DeliveryAttempt `json:"log,omitempty"`
}

const deliveryColumns = `d.id, d.subscription_id, e.id, e.event, COALESCE(e.order_id, 0), d.state, d.attempts, d.next_attempt_at,
	d.last_status, d.last_error, d.created_at, d.updated_at`

func scanDelivery(sc interface{ Scan(...any) error }) (*Delivery, error) {
	var d Delivery
	var ev int64
	var next sql.NullTime
	if err := sc.Scan(&d.ID, &d.Subscription, &ev, &d.Event, &d.Order, &d.State, &d.Attempts, &next,
		&d.LastStatus, &d.LastError, &d.CreatedAt, &d.UpdatedAt); err != nil {
		return nil, err
	}
	d.EventID = eventID(ev)
	if next.Valid && d.State == StatePending {
		t := next.Time.UTC()
		d.NextAttemptAt = &t
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return &d, nil
}

// DeliveryFilter narrows Deliveries.
type DeliveryFilter struct {
	State  string // "", pending, delivered or failed
	Before int64  // deliveries with a smaller id (the next page)
	Limit  int    // default 50, at most 500
}

// Deliveries returns a subscription's deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, sub int64, f DeliveryFilter) ([]Delivery, error) {
	if _, err := s.Get(ctx, sub); err != nil {
		return nil, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	q := `SELECT ` + deliveryColumns + ` FROM webhook_sends d JOIN webhook_events e ON e.id = d.event_id WHERE d.subscription_id = $1`
	args := []any{sub}
	if f.State != "" {
		args = append(args, f.State)
		q += fmt.Sprintf(` AND d.state = $%d`, len(args))
	}
	if f.Before > 0 {
		args = append(args, f.Before)
		q += fmt.Sprintf(` AND d.id < $%d`, len(args))
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(` ORDER BY d.id DESC LIMIT $%d`, len(args))
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("deliveries of webhook subscription %d: %w", sub, err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("deliveries of webhook subscription %d: %w", sub, err)
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

// Delivery returns one delivery of subscription sub with its attempts.
func (s *Service) Delivery(ctx context.Context, sub, id int64) (*Delivery, error) {
	d, err := scanDelivery(s.db.R.QueryRowContext(ctx, `SELECT `+deliveryColumns+`
		FROM webhook_sends d JOIN webhook_events e ON e.id = d.event_id WHERE d.id = $1 AND d.subscription_id = $2`, id, sub))
	if err == sql.ErrNoRows {
		return nil, deliveryNotFound(sub, id)
	}
	if err != nil {
		return nil, fmt.Errorf("webhook delivery %d: %w", id, err)
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, send_id, number, kind, actor, started_at, duration_ms, status, error, response, outcome
		FROM webhook_send_attempts WHERE send_id = $1 ORDER BY id DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("attempts of webhook delivery %d: %w", id, err)
	}
	defer rows.Close()
	d.Log = []DeliveryAttempt{}
	for rows.Next() {
		var a DeliveryAttempt
		if err := rows.Scan(&a.ID, &a.Delivery, &a.Number, &a.Kind, &a.Actor, &a.StartedAt, &a.DurationMS, &a.Status,
			&a.Error, &a.Response, &a.Outcome); err != nil {
			return nil, fmt.Errorf("attempts of webhook delivery %d: %w", id, err)
		}
		a.StartedAt = a.StartedAt.UTC()
		d.Log = append(d.Log, a)
	}
	return d, rows.Err()
}

func deliveryNotFound(sub, id int64) error {
	return apperr.New(apperr.NotFound, "webhook delivery %d of subscription %d not found", id, sub)
}

// Replay makes a new attempt of a delivery now, whatever its state, on
// behalf of the user in ctx; the log records it as a replay. It does not
// schedule further attempts: a delivered replay marks the delivery
// delivered, a failed one leaves it failed (or pending, with its automatic
// attempts still to come). It works for a paused subscription too.
func (s *Service) Replay(ctx context.Context, sub, id int64) (*DeliveryAttempt, error) {
	if _, err := s.Delivery(ctx, sub, id); err != nil {
		return nil, err
	}
	return s.manual(ctx, id, KindReplay)
}

// manual makes one attempt of delivery id outside its job (replay, test).
func (s *Service) manual(ctx context.Context, id int64, kind string) (*DeliveryAttempt, error) {
	c, _, err := s.claim(ctx, id, false)
	if err != nil {
		return nil, err
	}
	state, next := c.state, c.next
	a, _ := s.post(ctx, c, kind, actor(ctx))
	if a.Outcome == "retry" {
		a.Outcome = "failed" // a manual attempt is not retried by itself
	}
	var keep *time.Time
	switch {
	case a.Outcome == "delivered":
		state = StateDelivered
	case state == StatePending && next.Valid:
		keep = &next.Time // the automatic attempts go on
	default:
		state = StateFailed
	}
	if err := s.record(ctx, c, &a, state, keep); err != nil {
		return nil, err
	}
	return &a, nil
}

// SendTest sends a "webhook.test" event to a subscription now (paused or
// not) and returns the attempt; the delivery and attempt are in its log.
func (s *Service) SendTest(ctx context.Context, sub int64) (*Delivery, error) {
	if _, err := s.Get(ctx, sub); err != nil {
		return nil, err
	}
	data, _ := json.Marshal(map[string]any{"message": "A test event from Orderly: your endpoint and signature check work if you see this."})
	var id int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		now := s.clock()
		var event int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO webhook_events (event, order_id, entry_id, occurred_at, data, created_at)
			VALUES ($1, NULL, 0, $2, $3, $2) RETURNING id`, TestEvent, now, string(data)).Scan(&event); err != nil {
			return fmt.Errorf("test event for webhook subscription %d: %w", sub, err)
		}
		return tx.QueryRowContext(ctx, `INSERT INTO webhook_sends (subscription_id, event_id, state, created_at, updated_at)
			VALUES ($1, $2, 'pending', $3, $3) RETURNING id`, sub, event, now).Scan(&id)
	})
	if err != nil {
		return nil, fmt.Errorf("test event for webhook subscription %d: %w", sub, err)
	}
	if _, err := s.manual(ctx, id, KindTest); err != nil {
		return nil, err
	}
	return s.Delivery(ctx, sub, id)
}
