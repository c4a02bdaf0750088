package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
)

// Policy says what may be sold of a SKU beyond its available-to-sell.
//
// A backorder is a unit sold while the SKU is temporarily out: it waits for a
// restock, and restocks fill waiting units in order of arrival. A SKU takes
// backorders only if BackorderLimit > 0, and never more than that many units
// wait at once.
//
// A pre-order is a unit of a SKU not yet released: it holds a slot until
// PreorderReleaseAt, within a global cap and optional per-channel caps, and
// takes no stock until then. Pre-orders are released in order of arrival.
type Policy struct {
	VariantID      int64  `json:"-"`
	SKU            string `json:"sku"`
	BackorderLimit int    `json:"backorder_limit"`
	Backordered    int    `json:"backordered"` // units waiting now
	// RestockExpectedAt is the staff's estimate of the next restock; nil
	// means "derive it from the offers' lead time".
	RestockExpectedAt *time.Time   `json:"restock_expected_at,omitempty"`
	PreorderReleaseAt *time.Time   `json:"preorder_release_at,omitempty"`
	PreorderCap       int          `json:"preorder_cap"`
	Preordered        int          `json:"preordered"` // slots taken now
	ChannelCaps       []ChannelCap `json:"channel_caps"`
	UpdatedAt         time.Time    `json:"updated_at"`
}

// ChannelCap caps the pre-orders taken through one sales channel.
type ChannelCap struct {
	Channel string `json:"channel"`
	Cap     int    `json:"cap"`
	Taken   int    `json:"taken"`
}

// IsPreorder reports whether the SKU sells as a pre-order at time now.
func (p Policy) IsPreorder(now time.Time) bool {
	return p.PreorderReleaseAt != nil && now.Before(*p.PreorderReleaseAt)
}

// PolicyInput sets a SKU's policy. Counters (backordered, preordered, taken)
// are not set by staff: they follow the orders.
type PolicyInput struct {
	BackorderLimit    int
	RestockExpectedAt *time.Time
	PreorderReleaseAt *time.Time
	PreorderCap       int
	ChannelCaps       []ChannelCap
}

var channelName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// Policy returns the policy of sku (the zero policy if none was set).
func (s *Service) Policy(ctx context.Context, sku string) (Policy, error) {
	id, n, err := variantBySKU(ctx, s.db.R, sku)
	if err != nil {
		return Policy{}, err
	}
	ps, err := s.Policies(ctx, s.db.R, []int64{id})
	if err != nil {
		return Policy{}, err
	}
	p := ps[id]
	p.SKU = n
	return p, nil
}

// Policies returns the policies of the given variants, keyed by variant id;
// a variant without a policy row gets the zero policy.
func (s *Service) Policies(ctx context.Context, q store.Querier, variantIDs []int64) (map[int64]Policy, error) {
	out := make(map[int64]Policy, len(variantIDs))
	for _, id := range variantIDs {
		out[id] = Policy{VariantID: id}
	}
	if len(variantIDs) == 0 {
		return out, nil
	}
	ph, args := inList(variantIDs)
	rows, err := q.QueryContext(ctx, `SELECT p.variant_id, v.sku, p.backorder_limit, p.backordered, p.restock_expected_at,
		p.preorder_release_at, p.preorder_cap, p.preordered, p.updated_at
		FROM variant_stock_policies p JOIN variants v ON v.id = p.variant_id WHERE p.variant_id IN (`+ph+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read stock policies: %w", err)
	}
	for rows.Next() {
		var p Policy
		var restock, release sql.NullTime
		if err := rows.Scan(&p.VariantID, &p.SKU, &p.BackorderLimit, &p.Backordered, &restock, &release,
			&p.PreorderCap, &p.Preordered, &p.UpdatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read stock policies: %w", err)
		}
		p.RestockExpectedAt = timePtr(restock)
		p.PreorderReleaseAt = timePtr(release)
		out[p.VariantID] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read stock policies: %w", err)
	}
	// Channel caps exist only for pre-order SKUs: skip the query otherwise
	// (the common case on the order intake path).
	preorders := false
	for _, p := range out {
		preorders = preorders || p.PreorderReleaseAt != nil
	}
	if !preorders {
		return out, nil
	}
	rows, err = q.QueryContext(ctx, `SELECT variant_id, channel, cap, taken FROM preorder_channel_caps
		WHERE variant_id IN (`+ph+`) ORDER BY variant_id, channel`, args...)
	if err != nil {
		return nil, fmt.Errorf("read pre-order caps: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c ChannelCap
		if err := rows.Scan(&id, &c.Channel, &c.Cap, &c.Taken); err != nil {
			return nil, fmt.Errorf("read pre-order caps: %w", err)
		}
		p := out[id]
		p.ChannelCaps = append(p.ChannelCaps, c)
		out[id] = p
	}
	return out, rows.Err()
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

// SetPolicy sets the backorder and pre-order policy of sku. Lowering a limit
// or cap below what is already taken is allowed (nothing more is taken until
// the count falls below it); the units already sold keep their place.
func (s *Service) SetPolicy(ctx context.Context, sku string, in PolicyInput) (Policy, error) {
	var f apperr.Fields
	if in.BackorderLimit < 0 || in.BackorderLimit > maxQuantity {
		f.Add("backorder_limit", "must be between 0 and %d, got %d", maxQuantity, in.BackorderLimit)
	}
	if in.PreorderCap < 0 || in.PreorderCap > maxQuantity {
		f.Add("preorder_cap", "must be between 0 and %d, got %d", maxQuantity, in.PreorderCap)
	}
	if in.PreorderReleaseAt == nil && (in.PreorderCap > 0 || len(in.ChannelCaps) > 0) {
		f.Add("preorder_release_at", "is required when pre-orders are capped: a pre-order needs a release date")
	}
	if in.PreorderReleaseAt != nil && in.PreorderCap == 0 {
		f.Add("preorder_cap", "must be at least 1 for a pre-order SKU")
	}
	var seen []string
	for i, c := range in.ChannelCaps {
		if !channelName.MatchString(c.Channel) {
			f.Add(fmt.Sprintf("channel_caps[%d].channel", i), "must be 1 to 40 lower-case letters, digits, - or _, got %q", c.Channel)
		}
		if slices.Contains(seen, c.Channel) {
			f.Add(fmt.Sprintf("channel_caps[%d].channel", i), "channel %q is listed twice", c.Channel)
		}
		seen = append(seen, c.Channel)
		if c.Cap < 0 || c.Cap > in.PreorderCap {
			f.Add(fmt.Sprintf("channel_caps[%d].cap", i), "must be between 0 and the global cap %d, got %d", in.PreorderCap, c.Cap)
		}
	}
	if err := f.Err(); err != nil {
		return Policy{}, err
	}
	now := s.clock()
	var id int64
	var stored string
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if id, stored, err = variantBySKU(ctx, tx, sku); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO variant_stock_policies
			(variant_id, backorder_limit, restock_expected_at, preorder_release_at, preorder_cap, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (variant_id) DO UPDATE SET backorder_limit = excluded.backorder_limit,
				restock_expected_at = excluded.restock_expected_at, preorder_release_at = excluded.preorder_release_at,
				preorder_cap = excluded.preorder_cap, updated_at = excluded.updated_at`,
			id, in.BackorderLimit, nullTime(in.RestockExpectedAt), nullTime(in.PreorderReleaseAt), in.PreorderCap, now); err != nil {
			return fmt.Errorf("set stock policy of %s: %w", stored, err)
		}
		if len(seen) == 0 {
			seen = []string{""}
		}
		ph := make([]string, 0, len(seen))
		args := []any{id}
		for i, c := range seen {
			ph = append(ph, fmt.Sprintf("$%d", i+2))
			args = append(args, c)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM preorder_channel_caps WHERE variant_id = $1 AND channel NOT IN (`+strings.Join(ph, ", ")+`)`, args...); err != nil {
			return fmt.Errorf("set pre-order caps of %s: %w", stored, err)
		}
		for _, c := range in.ChannelCaps {
			if _, err := tx.ExecContext(ctx, `INSERT INTO preorder_channel_caps (variant_id, channel, cap) VALUES ($1, $2, $3)
				ON CONFLICT (variant_id, channel) DO UPDATE SET cap = excluded.cap`, id, c.Channel, c.Cap); err != nil {
				return fmt.Errorf("set pre-order caps of %s: %w", stored, err)
			}
		}
		return nil
	})
	if err != nil {
		return Policy{}, err
	}
	return s.Policy(ctx, stored)
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}

// TakeBackorder adds qty units to the SKU's backorder pool inside tx if the
// pool stays within its limit. It reports false, changing nothing, if not.
func (s *Service) TakeBackorder(ctx context.Context, tx *sql.Tx, variantID int64, qty int) (bool, error) {
	if qty <= 0 {
		return true, nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE variant_stock_policies SET backordered = backordered + $1
		WHERE variant_id = $2 AND backordered + $1 <= backorder_limit`, qty, variantID)
	if err != nil {
		return false, fmt.Errorf("backorder %d units of variant %d: %w", qty, variantID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("backorder %d units of variant %d: %w", qty, variantID, err)
	}
	return n == 1, nil
}

// ReturnBackorder takes qty units out of the SKU's backorder pool (filled by
// a restock, or cancelled).
func (s *Service) ReturnBackorder(ctx context.Context, tx *sql.Tx, variantID int64, qty int) error {
	if qty <= 0 {
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE variant_stock_policies SET backordered = backordered - $1
		WHERE variant_id = $2 AND backordered >= $1`, qty, variantID)
	if err != nil {
		return fmt.Errorf("return %d backordered units of variant %d: %w", qty, variantID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("return %d backordered units of variant %d: the pool holds fewer", qty, variantID)
	}
	return nil
}

// TakePreorder takes qty pre-order slots of the SKU for channel inside tx if
// both the global cap and the channel's cap (if it has one) allow it. It
// reports false, changing nothing, if not.
func (s *Service) TakePreorder(ctx context.Context, tx *sql.Tx, variantID int64, channel string, qty int) (bool, error) {
	if qty <= 0 {
		return true, nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE preorder_channel_caps SET taken = taken + $1
		WHERE variant_id = $2 AND channel = $3 AND taken + $1 <= cap`, qty, variantID, channel)
	if err != nil {
		return false, fmt.Errorf("pre-order %d units of variant %d: %w", qty, variantID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Either the channel has no cap of its own, or it is full.
		var capped int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM preorder_channel_caps WHERE variant_id = $1 AND channel = $2`,
			variantID, channel).Scan(&capped); err != nil {
			return false, fmt.Errorf("pre-order %d units of variant %d: %w", qty, variantID, err)
		}
		if capped > 0 {
			return false, nil
		}
	}
	res, err = tx.ExecContext(ctx, `UPDATE variant_stock_policies SET preordered = preordered + $1
		WHERE variant_id = $2 AND preordered + $1 <= preorder_cap`, qty, variantID)
	if err != nil {
		return false, fmt.Errorf("pre-order %d units of variant %d: %w", qty, variantID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		// Undo the channel's count: the caller's transaction may go on.
		if _, err := tx.ExecContext(ctx, `UPDATE preorder_channel_caps SET taken = taken - $1
			WHERE variant_id = $2 AND channel = $3 AND taken >= $1`, qty, variantID, channel); err != nil {
			return false, fmt.Errorf("pre-order %d units of variant %d: %w", qty, variantID, err)
		}
		return false, nil
	}
	return true, nil
}

// ReturnPreorder gives back qty pre-order slots of channel (cancelled, or
// released into stock).
func (s *Service) ReturnPreorder(ctx context.Context, tx *sql.Tx, variantID int64, channel string, qty int) error {
	if qty <= 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE preorder_channel_caps SET taken = taken - $1
		WHERE variant_id = $2 AND channel = $3 AND taken >= $1`, qty, variantID, channel); err != nil {
		return fmt.Errorf("return %d pre-order slots of variant %d: %w", qty, variantID, err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE variant_stock_policies SET preordered = preordered - $1
		WHERE variant_id = $2 AND preordered >= $1`, qty, variantID)
	if err != nil {
		return fmt.Errorf("return %d pre-order slots of variant %d: %w", qty, variantID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("return %d pre-order slots of variant %d: the pool holds fewer", qty, variantID)
	}
	return nil
}

// ExpectedRestock returns when a backordered unit of the variant is expected:
// the staff's date if set; else the earliest restock date a supplier of an
// active offer sent in its feed (supplier_offer_restocks), if not in the past;
// else now plus the shortest lead time of its active offers (nil if it has
// none).
func (s *Service) ExpectedRestock(ctx context.Context, q store.Querier, p Policy, now time.Time) (*time.Time, error) {
	if p.RestockExpectedAt != nil {
		return p.RestockExpectedAt, nil
	}
	today := now.UTC().Truncate(24 * time.Hour)
	var fed sql.NullTime
	// ORDER BY, not MIN: SQLite's MIN returns the stored integer, not a time.
	err := q.QueryRowContext(ctx, `SELECT r.expected_at FROM supplier_offer_restocks r
		JOIN supplier_offers o ON o.id = r.offer_id JOIN suppliers su ON su.id = o.supplier_id
		WHERE o.variant_id = $1 AND o.status = 'active' AND su.status = 'active' AND r.expected_at >= $2
		ORDER BY r.expected_at LIMIT 1`, p.VariantID, today).Scan(&fed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("restock date of variant %d: %w", p.VariantID, err)
	}
	if fed.Valid {
		t := fed.Time.UTC()
		return &t, nil
	}
	var days sql.NullInt64
	err = q.QueryRowContext(ctx, `SELECT MIN(o.lead_time_days) FROM supplier_offers o JOIN suppliers su ON su.id = o.supplier_id
		WHERE o.variant_id = $1 AND o.status = 'active' AND su.status = 'active'`, p.VariantID).Scan(&days)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("lead time of variant %d: %w", p.VariantID, err)
	}
	if !days.Valid {
		return nil, nil
	}
	t := now.UTC().Truncate(time.Microsecond).AddDate(0, 0, int(days.Int64))
	return &t, nil
}

// ReleaseQty gives back qty units of the reservations held for ref inside tx,
// newest first: Release for part of a line. Releasing more than ref holds is
// an error and releases nothing the caller's rollback will not undo.
func (s *Service) ReleaseQty(ctx context.Context, tx *sql.Tx, ref string, qty int) error {
	if qty <= 0 {
		return nil
	}
	hs, total, err := s.heldRows(ctx, tx, ref, 0)
	if err != nil {
		return fmt.Errorf("release %d units of %s: %w", qty, ref, err)
	}
	if total < qty {
		return fmt.Errorf("release %d units of %s: only %d were reserved", qty, ref, total)
	}
	perOffer, err := takeHeld(ctx, tx, ref, hs, qty)
	if err != nil {
		return err
	}
	now := s.clock()
	// Positions in offer id order, like ReserveMany, so the two cannot deadlock.
	offers := make([]int64, 0, len(perOffer))
	for id := range perOffer {
		offers = append(offers, id)
	}
	slices.Sort(offers)
	for _, id := range offers {
		if _, err := tx.ExecContext(ctx, `UPDATE stock_positions SET reserved = reserved - $1, updated_at = $2 WHERE offer_id = $3`,
			perOffer[id], now, id); err != nil {
			return fmt.Errorf("release %d units of %s on offer %d: %w", qty, ref, id, err)
		}
	}
	return nil
}

// AddBackorder adds qty units to the SKU's backorder pool without checking
// its limit: for units already promised (released pre-orders) that must wait.
func (s *Service) AddBackorder(ctx context.Context, tx *sql.Tx, variantID int64, qty int) error {
	if qty <= 0 {
		return nil
	}
	now := s.clock()
	if _, err := tx.ExecContext(ctx, `INSERT INTO variant_stock_policies (variant_id, backordered, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (variant_id) DO UPDATE SET backordered = variant_stock_policies.backordered + excluded.backordered`,
		variantID, qty, now); err != nil {
		return fmt.Errorf("backorder %d units of variant %d: %w", qty, variantID, err)
	}
	return nil
}
