package shipping

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
)

// TrackingEvent is one event of a carrier aggregator's webhook.
type TrackingEvent struct {
	ID             string    `json:"id"`
	Carrier        string    `json:"carrier"`
	TrackingNumber string    `json:"tracking_number"`
	Status         Status    `json:"status"`
	Description    string    `json:"description,omitempty"`
	Location       string    `json:"location,omitempty"`
	OccurredAt     time.Time `json:"occurred_at"`
}

// Outcome says what became of one tracking event.
type Outcome string

// Outcomes.
const (
	OutcomeApplied   Outcome = "applied"   // stored; the shipment's status changed
	OutcomeRecorded  Outcome = "recorded"  // stored; the status did not change (older or same)
	OutcomeDuplicate Outcome = "duplicate" // the same source and event id was stored before
	OutcomeUnknown   Outcome = "unknown_tracking_number"
	OutcomeInvalid   Outcome = "invalid"
)

// TrackingResult is the outcome of one event of a batch.
type TrackingResult struct {
	ID        string  `json:"id"`
	Outcome   Outcome `json:"outcome"`
	Shipments []int64 `json:"shipments,omitempty"`
	Error     string  `json:"error,omitempty"`
}

// rank orders the forward statuses; exception and returned are not on it.
var rank = map[Status]int{StatusShipped: 0, StatusInTransit: 1, StatusOutForDelivery: 2, StatusDelivered: 3}

// nextStatus is the status a shipment in cur (last event at last) takes on
// an event of status st at time at, and whether it changes:
//   - a forward status applies only if it is further than the current one,
//     so events arriving out of order never move a shipment back;
//   - exception and returned always apply, except that a delivered parcel
//     leaves delivered only for returned, and returned is final;
//   - after an exception, a forward status applies only from an event newer
//     than the last one (the parcel moves again).
func nextStatus(cur Status, last *time.Time, st Status, at time.Time) (Status, bool) {
	switch {
	case st == cur, cur == StatusReturned:
		return cur, false
	case cur == StatusDelivered:
		return StatusReturned, st == StatusReturned
	case st == StatusException || st == StatusReturned:
		return st, true
	case cur == StatusException:
		if last != nil && !at.After(*last) {
			return cur, false
		}
		return st, true
	}
	if rank[st] > rank[cur] {
		return st, true
	}
	return cur, false
}

// RecordEvents stores a batch of tracking events from source (e.g.
// "aftership"). Each event is its own transaction and gets its own outcome:
// invalid, for an unknown tracking number, duplicate (the same source and
// event id again), recorded, or applied. An applied event moves the
// shipment's status (nextStatus), is written on the order's timeline by
// "carrier:<source>", and a delivered one sets delivered_at and delivers
// each order line of the shipment whose units have all shipped and whose
// shipments are all delivered (orders.DeliverLinesTx). The error is for a
// failure of the whole batch only.
func (s *Service) RecordEvents(ctx context.Context, source string, events []TrackingEvent) ([]TrackingResult, error) {
	source = strings.ToLower(strings.TrimSpace(source))
	if source == "" || len(source) > 50 {
		return nil, apperr.InvalidField("source", "must be 1 to 50 characters")
	}
	if len(events) > 1000 {
		return nil, apperr.InvalidField("events", "at most 1000 events per batch, got %d", len(events))
	}
	out := make([]TrackingResult, len(events))
	for i, e := range events {
		r, err := s.recordEvent(ctx, source, e)
		if err != nil {
			if code := apperr.CodeOf(err); code == apperr.Internal {
				return nil, fmt.Errorf("tracking event %q: %w", e.ID, err)
			}
			r = TrackingResult{ID: e.ID, Outcome: OutcomeInvalid, Error: errMessage(err)}
		}
		out[i] = r
	}
	return out, nil
}

func errMessage(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return err.Error()
}

func (s *Service) recordEvent(ctx context.Context, source string, e TrackingEvent) (TrackingResult, error) {
	r := TrackingResult{ID: e.ID}
	var fe apperr.Fields
	if e.ID = strings.TrimSpace(e.ID); e.ID == "" || len(e.ID) > 200 {
		fe.Add("id", "must be 1 to 200 characters")
	}
	if strings.TrimSpace(e.TrackingNumber) == "" {
		fe.Add("tracking_number", "is required")
	}
	if !slices.Contains(Statuses(), e.Status) || e.Status == StatusShipped {
		fe.Add("status", "must be in_transit, out_for_delivery, delivered, exception or returned, got %q", e.Status)
	}
	if e.OccurredAt.IsZero() {
		fe.Add("occurred_at", "is required")
	}
	if len(e.Description) > 1000 || len(e.Location) > 200 {
		fe.Add("description", "too long (description 1000, location 200 characters at most)")
	}
	if err := fe.Err(); err != nil {
		return r, err
	}
	number := normaliseNumber(e.TrackingNumber)
	carrier := ""
	if strings.TrimSpace(e.Carrier) != "" {
		carrier = strings.ToLower(strings.TrimSpace(e.Carrier))
		if c, err := s.opts.Carriers(e.Carrier, e.TrackingNumber); err == nil && c.Known {
			carrier, number = c.Code, c.Number
		}
	}
	at := e.OccurredAt.UTC().Truncate(time.Microsecond)
	actor := "carrier:" + source
	applied := false
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		applied = false
		r.Shipments = nil
		rows, err := tx.QueryContext(ctx, `SELECT id, order_id FROM shipments WHERE tracking_number = $1
			AND ($2 = '' OR carrier = $2) ORDER BY order_id, id`, number, carrier)
		if err != nil {
			return fmt.Errorf("find shipments of %s: %w", number, err)
		}
		type ref struct{ id, order int64 }
		var found []ref
		for rows.Next() {
			var f ref
			if err := rows.Scan(&f.id, &f.order); err != nil {
				rows.Close()
				return fmt.Errorf("find shipments of %s: %w", number, err)
			}
			found = append(found, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find shipments of %s: %w", number, err)
		}
		for _, f := range found {
			changed, stored, err := s.applyEvent(ctx, tx, source, actor, f.id, f.order, e, at)
			if err != nil {
				return err
			}
			if stored {
				r.Shipments = append(r.Shipments, f.id)
			}
			applied = applied || changed
		}
		if len(found) == 0 {
			r.Outcome = OutcomeUnknown
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	switch {
	case r.Outcome == OutcomeUnknown:
		r.Error = fmt.Sprintf("no shipment has tracking number %s", number)
	case len(r.Shipments) == 0:
		r.Outcome = OutcomeDuplicate
	case applied:
		r.Outcome = OutcomeApplied
	default:
		r.Outcome = OutcomeRecorded
	}
	return r, nil
}

// applyEvent stores e for one shipment (locked with its order) and applies
// its status. stored is false for a duplicate.
func (s *Service) applyEvent(ctx context.Context, tx *sql.Tx, source, actor string, id, order int64, e TrackingEvent, at time.Time) (changed, stored bool, err error) {
	now := s.clock()
	// Lock the order first (the order service's lock order), then the shipment.
	if _, err := tx.ExecContext(ctx, `SELECT id FROM orders WHERE id = $1`+s.db.Dialect.ForUpdate(), order); err != nil {
		return false, false, fmt.Errorf("lock order %d: %w", order, err)
	}
	var cur string
	var last sql.NullTime
	var carrier, number string
	if err := tx.QueryRowContext(ctx, `SELECT status, last_event_at, carrier, tracking_number FROM shipments WHERE id = $1`+s.db.Dialect.ForUpdate(),
		id).Scan(&cur, &last, &carrier, &number); err != nil {
		return false, false, fmt.Errorf("read shipment %d: %w", id, err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO tracking_events (shipment_id, source, event_id, status, description, location, occurred_at, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (source, event_id, shipment_id) DO NOTHING`,
		id, source, e.ID, string(e.Status), e.Description, e.Location, at, now)
	if err != nil {
		return false, false, fmt.Errorf("store tracking event %s of shipment %d: %w", e.ID, id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, false, err
	}
	next, changed := nextStatus(Status(cur), timePtr(last), e.Status, at)
	lastAt := at
	if last.Valid && last.Time.After(at) {
		lastAt = last.Time.UTC()
	}
	if !changed {
		_, err := tx.ExecContext(ctx, `UPDATE shipments SET last_event_at = $1, updated_at = $2 WHERE id = $3`, lastAt, now, id)
		return false, true, err
	}
	var deliveredAt any
	if next == StatusDelivered {
		deliveredAt = at
	}
	if _, err := tx.ExecContext(ctx, `UPDATE shipments SET status = $1, delivered_at = COALESCE($2, delivered_at), last_event_at = $3, updated_at = $4 WHERE id = $5`,
		string(next), deliveredAt, lastAt, now, id); err != nil {
		return false, false, fmt.Errorf("update shipment %d: %w", id, err)
	}
	detail := map[string]any{"shipment": id, "carrier": carrier, "tracking_number": number, "from": cur, "status": string(next),
		"event_id": e.ID, "occurred_at": at.Format(time.RFC3339)}
	if e.Description != "" {
		detail["description"] = e.Description
	}
	if e.Location != "" {
		detail["location"] = e.Location
	}
	if err := s.ord.NoteTx(ctx, tx, order, 0, "tracking", actor, "", detail); err != nil {
		return false, false, err
	}
	if next == StatusDelivered {
		lines, err := deliverable(ctx, tx, id)
		if err != nil {
			return false, false, err
		}
		if len(lines) > 0 {
			if _, err := s.ord.DeliverLinesTx(orders.WithActor(ctx, actor), tx, order, lines,
				map[string]any{"shipment": id, "carrier": carrier, "tracking_number": number}); err != nil {
				return false, false, err
			}
		}
	}
	return true, true, nil
}

// deliverable returns the order lines of shipment id whose units have all
// shipped and whose shipments are all delivered.
func deliverable(ctx context.Context, q store.Querier, id int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT ol.id FROM shipment_lines sl
		JOIN order_lines ol ON ol.id = sl.order_line_id
		WHERE sl.shipment_id = $1 AND ol.state = 'shipped'
			AND NOT EXISTS (SELECT 1 FROM shipment_lines o JOIN shipments s ON s.id = o.shipment_id
				WHERE o.order_line_id = ol.id AND s.delivered_at IS NULL)
		ORDER BY ol.id`, id)
	if err != nil {
		return nil, fmt.Errorf("deliverable lines of shipment %d: %w", id, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var l int64
		if err := rows.Scan(&l); err != nil {
			return nil, fmt.Errorf("deliverable lines of shipment %d: %w", id, err)
		}
		ids = append(ids, l)
	}
	return ids, rows.Err()
}
