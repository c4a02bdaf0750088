package orders

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"
)

// Delivery promise at intake (docs/promise.md "On orders", decision 0011):
// Place asks the Promiser before its write transaction and stores what it
// answers with the order. An order that cannot be promised is placed all the
// same, without a promise.

// Promiser computes the delivery promise of an order about to be placed.
// internal/promise/calendars implements it.
type Promiser interface {
	PromiseOrder(ctx context.Context, in PromiseRequest) (Promised, error)
}

// PromiseRequest is what a Promiser is asked: the (normalised) destination
// and the lines.
type PromiseRequest struct {
	Country    string
	PostalCode string
	Lines      []PromiseLine
}

// PromiseLine is one SKU and quantity of an order being placed.
type PromiseLine struct {
	SKU      string
	Quantity int
}

// Promised is the delivery promise made when the order was placed.
type Promised struct {
	ShipBy     string    `json:"ship_by" example:"2026-03-05" doc:"The day the last parcel is to be handed to the carrier (in its supplier's time zone)"`
	Earliest   string    `json:"earliest" example:"2026-03-09" doc:"First day of the delivery window, in the destination"`
	Latest     string    `json:"latest" example:"2026-03-11" doc:"Last day of the delivery window, in the destination"`
	Confidence float64   `json:"confidence" example:"0.9" doc:"The share of orders meant to arrive by latest"`
	ComputedAt time.Time `json:"computed_at"`
}

// ConfidencePercent is the confidence as a whole percentage (for pages).
func (p Promised) ConfidencePercent() int { return int(math.Round(p.Confidence * 100)) }

// StalePromiseAge is how long before its intake an order may have been
// placed and still be promised.
const StalePromiseAge = 24 * time.Hour

// promise asks the Promiser for p's promise: nil when there is no Promiser
// or the order cannot be promised (logged, never an error).
func (s *Service) promise(ctx context.Context, p *planned) *Promised {
	if s.opts.Promiser == nil {
		return nil
	}
	// An order placed long before it reaches Orderly (a CSV import of past
	// orders) gets none: a promise computed now is not what it was told.
	if p.placedAt.Before(s.clock().Add(-StalePromiseAge)) {
		return nil
	}
	req := PromiseRequest{Country: p.addr.Country, PostalCode: p.addr.PostalCode, Lines: make([]PromiseLine, len(p.lines))}
	for i, l := range p.lines {
		req.Lines[i] = PromiseLine{SKU: l.sku, Quantity: l.qty}
	}
	pr, err := s.opts.Promiser.PromiseOrder(ctx, req)
	if err != nil {
		s.log.DebugContext(ctx, "order placed without a delivery promise", "err", err)
		return nil
	}
	pr.ComputedAt = pr.ComputedAt.UTC().Truncate(time.Microsecond)
	return &pr
}

// storePromise writes pr on the order o inside the placing transaction.
func storePromise(ctx context.Context, tx *sql.Tx, o *Order, pr *Promised) error {
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET promised_ship_by = $1, promised_earliest = $2, promised_latest = $3,
		promise_confidence_bp = $4, promised_at = $5 WHERE id = $6`,
		pr.ShipBy, pr.Earliest, pr.Latest, int(math.Round(pr.Confidence*10000)), pr.ComputedAt, o.Number); err != nil {
		return fmt.Errorf("write the delivery promise of order %d: %w", o.Number, err)
	}
	o.Promise = pr
	return nil
}

// promiseColumns are read after orderColumns by scanOrder.
const promiseColumns = `promised_ship_by, promised_earliest, promised_latest, promise_confidence_bp, promised_at`

// promiseScan holds an order's promise columns while scanning.
type promiseScan struct {
	shipBy, earliest, latest sql.NullString
	bp                       sql.NullInt64
	at                       sql.NullTime
}

func (p *promiseScan) dest() []any { return []any{&p.shipBy, &p.earliest, &p.latest, &p.bp, &p.at} }

// promised returns the promise read, or nil when the order has none.
func (p *promiseScan) promised() *Promised {
	if !p.shipBy.Valid || !p.latest.Valid {
		return nil
	}
	return &Promised{ShipBy: p.shipBy.String, Earliest: p.earliest.String, Latest: p.latest.String,
		Confidence: float64(p.bp.Int64) / 10000, ComputedAt: p.at.Time.UTC()}
}
