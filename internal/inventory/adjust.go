package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// Adjustment is one recorded change of an offer's reported quantity.
type Adjustment struct {
	ID        int64
	OfferID   int64
	VariantID int64
	SKU       string
	Kind      string // report (from the supplier), set, add (manual), consume (shipped)
	Before    int
	After     int
	Delta     int
	Reason    string
	Actor     string
	At        time.Time
}

// Adjustment kinds.
const (
	KindReport  = "report"
	KindSet     = "set"
	KindAdd     = "add"
	KindConsume = "consume"
)

// change describes one change of a position's reported quantity.
type change struct {
	offerID    int64
	kind       string
	reason     string
	actor      string
	reportedAt time.Time // set for supplier reports only
	apply      func(before int) (after int, err error)
	// releaseReserved is taken off reserved in the same statement (Consume).
	releaseReserved int
}

// changeReported applies c inside tx: it locks the offer's position (creating
// it at 0 if the supplier never reported), computes the new quantity and the
// buffer that goes with it, and records the adjustment. A supplier report
// first records the supplier's feed time (MarkReported), which may flip the
// supplier fresh.
func (s *Service) changeReported(ctx context.Context, tx *sql.Tx, c change) (Adjustment, error) {
	now := s.clock()
	a := Adjustment{OfferID: c.offerID, Kind: c.kind, Reason: c.reason, Actor: c.actor, At: now}
	var supplierID int64
	var isSellable bool
	err := tx.QueryRowContext(ctx, `SELECT o.variant_id, o.supplier_id, v.sku, CASE WHEN `+sellable+` THEN 1 ELSE 0 END
		FROM supplier_offers o JOIN variants v ON v.id = o.variant_id JOIN suppliers su ON su.id = o.supplier_id WHERE o.id = $1`,
		c.offerID).Scan(&a.VariantID, &supplierID, &a.SKU, &isSellable)
	if errors.Is(err, sql.ErrNoRows) {
		return a, errUnknownOffer(c.offerID)
	}
	if err != nil {
		return a, fmt.Errorf("offer %d: %w", c.offerID, err)
	}
	if !c.reportedAt.IsZero() {
		// Before locking the position: a flip to fresh locks all of the
		// supplier's positions in offer id order.
		if err := s.MarkReported(ctx, tx, supplierID, c.reportedAt); err != nil {
			return a, err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO stock_positions (offer_id, updated_at) VALUES ($1, $2) ON CONFLICT (offer_id) DO NOTHING`,
		c.offerID, now); err != nil {
		return a, fmt.Errorf("stock position of offer %d: %w", c.offerID, err)
	}
	// Lock the position before reading the rules: a rule change commits its
	// rule and then waits for this lock, so it recomputes from the quantity
	// written here (see recomputeBuffers).
	var oldBuffer, reserved int
	if err := tx.QueryRowContext(ctx, `SELECT reported, buffer, reserved FROM stock_positions WHERE offer_id = $1`+s.db.Dialect.ForUpdate(),
		c.offerID).Scan(&a.Before, &oldBuffer, &reserved); err != nil {
		return a, fmt.Errorf("stock position of offer %d: %w", c.offerID, err)
	}
	if a.After, err = c.apply(a.Before); err != nil {
		return a, err
	}
	a.Delta = a.After - a.Before
	sup, sku, err := rulesOf(ctx, tx, supplierID, a.VariantID)
	if err != nil {
		return a, err
	}
	buffer, _ := EffectiveBuffer(a.After, sup, sku)
	var reportedAt any
	if !c.reportedAt.IsZero() {
		reportedAt = c.reportedAt.UTC().Truncate(time.Microsecond)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE stock_positions SET reported = $1, buffer = $2, reserved = reserved - $3,
		reported_at = COALESCE($4, reported_at), updated_at = $5 WHERE offer_id = $6`,
		a.After, buffer, c.releaseReserved, reportedAt, now, c.offerID); err != nil {
		return a, fmt.Errorf("update stock of offer %d: %w", c.offerID, err)
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO stock_adjustments (offer_id, variant_id, kind, before_qty, after_qty, delta, reason, actor, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		a.OfferID, a.VariantID, a.Kind, a.Before, a.After, a.Delta, a.Reason, a.Actor, now).Scan(&a.ID)
	if err != nil {
		return a, fmt.Errorf("record adjustment of offer %d: %w", c.offerID, err)
	}
	// The hook's increase is a budget: it reserves no more than is
	// available. It is the reported increase, or what the change adds to ATS
	// when that is more: a report that crosses a minimum quantity frees more
	// than its delta (2 → 5 under a minimum of 3 frees 5).
	increase := a.Delta
	if isSellable {
		increase = max(increase, available(a.After, buffer, reserved-c.releaseReserved)-available(a.Before, oldBuffer, reserved))
	}
	if increase > 0 && c.kind != KindConsume && s.restock != nil {
		if err := s.restock(ctx, tx, a.VariantID, increase); err != nil {
			return a, fmt.Errorf("fill backorders of %s: %w", a.SKU, err)
		}
	}
	return a, nil
}

// Report records the quantity a supplier reports for one offer, as of at
// (the time of the supplier's report; zero means now). actor is who passed it
// on (a person, a token, or a feed job).
func (s *Service) Report(ctx context.Context, offerID int64, quantity int, at time.Time, actor string) (Adjustment, error) {
	var a Adjustment
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = s.ReportTx(ctx, tx, offerID, quantity, at, actor)
		return err
	})
	return a, err
}

// ReportTx is Report inside the caller's transaction, for work that must
// commit together with the new figure (a feed import, filling backorders
// when stock rises).
func (s *Service) ReportTx(ctx context.Context, tx *sql.Tx, offerID int64, quantity int, at time.Time, actor string) (Adjustment, error) {
	if err := checkQuantity("quantity", quantity); err != nil {
		return Adjustment{}, err
	}
	if at.IsZero() {
		at = s.clock()
	}
	if at.After(s.clock().Add(time.Hour)) {
		return Adjustment{}, apperr.InvalidField("reported_at", "must not be in the future, got %s", at.UTC().Format(time.RFC3339))
	}
	return s.changeReported(ctx, tx, change{
		offerID: offerID, kind: KindReport, reason: "reported by supplier", actor: actor, reportedAt: at,
		apply: func(int) (int, error) { return quantity, nil },
	})
}

// AdjustInput is a manual stock adjustment of one offer: either set the
// reported quantity (Mode "set", Quantity) or add a signed Delta (Mode "add").
type AdjustInput struct {
	OfferID  int64
	Mode     string
	Quantity *int
	Delta    *int
	Reason   string
}

// Adjust applies a manual adjustment made by actor. The result can never be
// negative; the reason is required (3–500 characters).
func (s *Service) Adjust(ctx context.Context, in AdjustInput, actor string) (Adjustment, error) {
	var a Adjustment
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = s.AdjustTx(ctx, tx, in, actor)
		return err
	})
	return a, err
}

// AdjustTx is Adjust inside the caller's transaction.
func (s *Service) AdjustTx(ctx context.Context, tx *sql.Tx, in AdjustInput, actor string) (Adjustment, error) {
	var f apperr.Fields
	reason := strings.TrimSpace(in.Reason)
	if n := utf8.RuneCountInString(reason); n < 3 || n > 500 {
		f.Add("reason", "must be 3 to 500 characters, got %d", n)
	}
	var apply func(int) (int, error)
	switch in.Mode {
	case KindSet:
		switch {
		case in.Quantity == nil:
			f.Add("quantity", "is required when mode is set")
		case *in.Quantity < 0:
			f.Add("quantity", "must not be negative, got %d", *in.Quantity)
		case *in.Quantity > maxQuantity:
			f.Add("quantity", "must be at most %d, got %d", maxQuantity, *in.Quantity)
		default:
			q := *in.Quantity
			apply = func(int) (int, error) { return q, nil }
		}
	case KindAdd:
		switch {
		case in.Delta == nil:
			f.Add("delta", "is required when mode is add")
		case *in.Delta == 0:
			f.Add("delta", "must not be 0")
		case *in.Delta > maxQuantity || *in.Delta < -maxQuantity:
			f.Add("delta", "must be between %d and %d, got %d", -maxQuantity, maxQuantity, *in.Delta)
		default:
			d := *in.Delta
			apply = func(before int) (int, error) {
				after := before + d
				if after < 0 {
					return 0, apperr.InvalidField("delta", "would make the reported quantity negative: %d %+d = %d", before, d, after)
				}
				if after > maxQuantity {
					return 0, apperr.InvalidField("delta", "would make the reported quantity exceed %d", maxQuantity)
				}
				return after, nil
			}
		}
	default:
		f.Add("mode", "must be set or add, got %q", in.Mode)
	}
	if err := f.Err(); err != nil {
		return Adjustment{}, err
	}
	a, err := s.changeReported(ctx, tx, change{offerID: in.OfferID, kind: in.Mode, reason: reason, actor: actor, apply: apply})
	if apperr.Is(err, apperr.NotFound) {
		// The offer is named in the input, so an unknown one is a bad field.
		return a, apperr.InvalidField("offer_id", "supplier offer %d not found", in.OfferID)
	}
	return a, err
}

// AdjustmentFilter selects adjustments, newest first.
type AdjustmentFilter struct {
	VariantID int64 // 0: any
	OfferID   int64 // 0: any
	BeforeID  int64 // keyset: ids below this one (0: from the newest)
	Limit     int
}

// Adjustments lists recorded adjustments, newest first, and whether more follow.
func (s *Service) Adjustments(ctx context.Context, f AdjustmentFilter) ([]Adjustment, bool, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.VariantID != 0 {
		where = append(where, "a.variant_id = "+arg(f.VariantID))
	}
	if f.OfferID != 0 {
		where = append(where, "a.offer_id = "+arg(f.OfferID))
	}
	if f.BeforeID != 0 {
		where = append(where, "a.id < "+arg(f.BeforeID))
	}
	q := `SELECT a.id, a.offer_id, a.variant_id, v.sku, a.kind, a.before_qty, a.after_qty, a.delta, a.reason, a.actor, a.created_at
		FROM stock_adjustments a JOIN variants v ON v.id = a.variant_id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY a.id DESC LIMIT " + arg(f.Limit+1)
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list adjustments: %w", err)
	}
	defer rows.Close()
	var out []Adjustment
	for rows.Next() {
		var a Adjustment
		if err := rows.Scan(&a.ID, &a.OfferID, &a.VariantID, &a.SKU, &a.Kind, &a.Before, &a.After, &a.Delta, &a.Reason, &a.Actor, &a.At); err != nil {
			return nil, false, fmt.Errorf("list adjustments: %w", err)
		}
		a.At = a.At.UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list adjustments: %w", err)
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	return out, more, nil
}
