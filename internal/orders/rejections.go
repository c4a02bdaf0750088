package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// Rejection is an order a storefront sent that could not be placed. The
// storefront has already sold it, so it is kept for staff until resolved.
type Rejection struct {
	ID         int64      `json:"id"`
	Channel    string     `json:"channel"`
	ExternalID string     `json:"external_id,omitempty"`
	DeliveryID string     `json:"delivery_id,omitempty"`
	Code       string     `json:"code"` // unavailable (refused for stock) or invalid
	Reason     string     `json:"reason"`
	Payload    string     `json:"payload,omitempty"`
	Attempts   int        `json:"attempts"`
	FirstAt    time.Time  `json:"first_at"`
	LastAt     time.Time  `json:"last_at"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	ResolvedBy string     `json:"resolved_by,omitempty"`
	Resolution string     `json:"resolution,omitempty"`
}

// maxPayload bounds what is kept of a rejected payload.
const maxPayload = 256 << 10

// RecordRejection keeps an order a storefront sent that Place refused or
// found invalid. The same storefront order sent again (a retry) counts as
// another attempt of the same rejection and reopens it.
func (s *Service) RecordRejection(ctx context.Context, r Rejection) (int64, error) {
	if r.Channel == "" {
		return 0, fmt.Errorf("record rejection: channel is required")
	}
	ref := r.ExternalID
	if ref == "" {
		ref = "delivery:" + r.DeliveryID
	}
	if len(r.Payload) > maxPayload {
		r.Payload = r.Payload[:maxPayload]
	}
	if !utf8.ValidString(r.Payload) {
		r.Payload = strings.ToValidUTF8(r.Payload, "\uFFFD")
	}
	now := s.clock()
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO intake_rejections (channel, ref, external_id, delivery_id, code, reason, payload, first_at, last_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
			ON CONFLICT (channel, ref) DO UPDATE SET attempts = intake_rejections.attempts + 1, code = excluded.code,
				reason = excluded.reason, payload = excluded.payload, delivery_id = excluded.delivery_id, last_at = excluded.last_at,
				resolved_at = NULL, resolved_by = '', resolution = ''
			RETURNING id`, r.Channel, ref, r.ExternalID, r.DeliveryID, r.Code, r.Reason, r.Payload, now).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("record rejection of %s order %s: %w", r.Channel, ref, err)
	}
	return id, nil
}

// resolveRejection marks an open rejection of the same storefront order
// resolved once the order is placed after all.
func (s *Service) resolveRejection(ctx context.Context, tx *sql.Tx, channel, externalID string, number int64) error {
	if externalID == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE intake_rejections SET resolved_at = $1, resolved_by = 'system:orders', resolution = $2
		WHERE channel = $3 AND ref = $4 AND resolved_at IS NULL`,
		s.clock(), fmt.Sprintf("placed as order %d", number), channel, externalID); err != nil {
		return fmt.Errorf("resolve rejection of %s order %s: %w", channel, externalID, err)
	}
	return nil
}

// RejectionFilter selects rejections, newest first.
type RejectionFilter struct {
	Open   bool  // only those not resolved
	Before int64 // keyset cursor: ids below it
	Limit  int   // default 50, at most 200
}

// Rejections lists rejected storefront orders and whether there are more.
func (s *Service) Rejections(ctx context.Context, f RejectionFilter) ([]Rejection, bool, error) {
	if f.Limit < 0 || f.Limit > 200 {
		return nil, false, apperr.InvalidField("limit", "must be between 1 and 200, got %d", f.Limit)
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	where, args := []string{"1 = 1"}, []any{}
	if f.Open {
		where = append(where, "resolved_at IS NULL")
	}
	if f.Before > 0 {
		args = append(args, f.Before)
		where = append(where, "id < $"+strconv.Itoa(len(args)))
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, channel, external_id, delivery_id, code, reason, payload, attempts, first_at, last_at,
		resolved_at, resolved_by, resolution FROM intake_rejections WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id DESC LIMIT `+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, false, fmt.Errorf("list rejections: %w", err)
	}
	defer rows.Close()
	out := []Rejection{}
	for rows.Next() {
		r, err := scanRejection(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list rejections: %w", err)
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	return out, more, nil
}

func scanRejection(row interface{ Scan(...any) error }) (Rejection, error) {
	var r Rejection
	var resolved sql.NullTime
	if err := row.Scan(&r.ID, &r.Channel, &r.ExternalID, &r.DeliveryID, &r.Code, &r.Reason, &r.Payload, &r.Attempts,
		&r.FirstAt, &r.LastAt, &resolved, &r.ResolvedBy, &r.Resolution); err != nil {
		return r, fmt.Errorf("read rejection: %w", err)
	}
	r.FirstAt, r.LastAt = r.FirstAt.UTC(), r.LastAt.UTC()
	if resolved.Valid {
		t := resolved.Time.UTC()
		r.ResolvedAt = &t
	}
	return r, nil
}

// ResolveRejection marks a rejection handled by staff, with a note saying how
// (refunded at the storefront, placed by hand, ...).
func (s *Service) ResolveRejection(ctx context.Context, id int64, note string) (Rejection, error) {
	note, err := checkReason("note", note, true)
	if err != nil {
		return Rejection{}, err
	}
	var r Rejection
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE intake_rejections SET resolved_at = $1, resolved_by = $2, resolution = $3
			WHERE id = $4 AND resolved_at IS NULL`, s.clock(), actor(ctx, "system:orders"), note, id)
		if err != nil {
			return fmt.Errorf("resolve rejection %d: %w", id, err)
		}
		n, _ := res.RowsAffected()
		r, err = scanRejection(tx.QueryRowContext(ctx, `SELECT id, channel, external_id, delivery_id, code, reason, payload, attempts,
			first_at, last_at, resolved_at, resolved_by, resolution FROM intake_rejections WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.NotFound, "rejection %d not found", id)
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.New(apperr.Conflict, "rejection %d was already resolved by %s", id, r.ResolvedBy)
		}
		return nil
	})
	return r, err
}
