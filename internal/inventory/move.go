package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// ErrMoveShort is wrapped by Move's error when the target offer has fewer
// units available than the move needs: nothing was changed, and the caller
// (routing) may try another offer.
var ErrMoveShort = errors.New("the target offer has too few units available")

// Move moves qty units of ref's reservation from one offer to another of the
// same variant inside tx: a conditional reserve on toOffer (which cannot
// take it below its buffer) and a release of those units on fromOffer.
// If toOffer is short the error wraps ErrMoveShort (apperr Unavailable) and
// nothing was changed. Moving more than ref holds on fromOffer is an error.
//
// Concurrency: both positions are locked in offer id order first
// (PostgreSQL; SQLite has one writer), the order ReserveMany and ReleaseQty
// take them in, so a move cannot deadlock with them.
func (s *Service) Move(ctx context.Context, tx *sql.Tx, ref string, fromOffer, toOffer int64, qty int) error {
	if qty <= 0 || fromOffer == toOffer {
		return nil
	}
	lo, hi := min(fromOffer, toOffer), max(fromOffer, toOffer)
	rows, err := tx.QueryContext(ctx, `SELECT sp.offer_id, o.variant_id FROM stock_positions sp JOIN supplier_offers o ON o.id = sp.offer_id
		WHERE sp.offer_id IN (CAST($1 AS BIGINT), CAST($2 AS BIGINT)) ORDER BY sp.offer_id`+s.forUpdate("sp"), lo, hi)
	if err != nil {
		return fmt.Errorf("move %s: lock positions: %w", ref, err)
	}
	variant := map[int64]int64{}
	for rows.Next() {
		var id, v int64
		if err := rows.Scan(&id, &v); err != nil {
			rows.Close()
			return fmt.Errorf("move %s: lock positions: %w", ref, err)
		}
		variant[id] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("move %s: lock positions: %w", ref, err)
	}
	if _, ok := variant[fromOffer]; !ok {
		return fmt.Errorf("move %s: offer %d has no stock position", ref, fromOffer)
	}
	if v, ok := variant[toOffer]; ok && v != variant[fromOffer] {
		return fmt.Errorf("move %s: offers %d and %d are of different variants", ref, fromOffer, toOffer)
	}
	// What ref holds on fromOffer, newest first.
	hs, total, err := s.heldRows(ctx, tx, ref, fromOffer)
	if err != nil {
		return fmt.Errorf("move %s: %w", ref, err)
	}
	if total < qty {
		return fmt.Errorf("move %d units of %s from offer %d: it holds %d there", qty, ref, fromOffer, total)
	}
	now := s.clock()
	res, err := tx.ExecContext(ctx, `UPDATE stock_positions SET reserved = reserved + $1, updated_at = $2
		WHERE offer_id = $3 AND reported - buffer - reserved >= $1`, qty, now, toOffer)
	if err != nil {
		return fmt.Errorf("move %s: reserve %d on offer %d: %w", ref, qty, toOffer, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("move %s: reserve %d on offer %d: %w", ref, qty, toOffer, err)
	} else if n != 1 {
		return apperr.Wrap(ErrMoveShort, apperr.Unavailable, "offer %d has fewer than %d units available", toOffer, qty)
	}
	if _, err := takeHeld(ctx, tx, ref, hs, qty); err != nil {
		return fmt.Errorf("move %s: %w", ref, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE stock_positions SET reserved = reserved - $1, updated_at = $2 WHERE offer_id = $3`,
		qty, now, fromOffer); err != nil {
		return fmt.Errorf("move %s: release on offer %d: %w", ref, fromOffer, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO stock_reservations (ref, variant_id, offer_id, quantity, created_at)
		VALUES ($1, $2, $3, $4, $5)`, ref, variant[fromOffer], toOffer, qty, now); err != nil {
		return fmt.Errorf("move %s: record reservation on offer %d: %w", ref, toOffer, err)
	}
	return nil
}

// ReleaseOffer gives back qty units of ref's reservation on one offer inside
// tx (a supplier rejected them). Releasing more than ref holds there is an
// error.
func (s *Service) ReleaseOffer(ctx context.Context, tx *sql.Tx, ref string, offer int64, qty int) error {
	if qty <= 0 {
		return nil
	}
	hs, total, err := s.heldRows(ctx, tx, ref, offer)
	if err != nil {
		return fmt.Errorf("release %s on offer %d: %w", ref, offer, err)
	}
	if total < qty {
		return fmt.Errorf("release %d units of %s on offer %d: it holds %d there", qty, ref, offer, total)
	}
	if _, err := takeHeld(ctx, tx, ref, hs, qty); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE stock_positions SET reserved = reserved - $1, updated_at = $2 WHERE offer_id = $3`,
		qty, s.clock(), offer); err != nil {
		return fmt.Errorf("release %s on offer %d: %w", ref, offer, err)
	}
	return nil
}

// ReserveOffer reserves qty units of the variant on one offer for ref inside
// tx with the conditional UPDATE that cannot oversell; if the offer is short
// the error wraps ErrMoveShort and nothing was changed.
func (s *Service) ReserveOffer(ctx context.Context, tx *sql.Tx, ref string, variantID, offer int64, qty int) error {
	if qty <= 0 {
		return nil
	}
	now := s.clock()
	res, err := tx.ExecContext(ctx, `UPDATE stock_positions SET reserved = reserved + $1, updated_at = $2
		WHERE offer_id = $3 AND reported - buffer - reserved >= $1
		AND offer_id IN (SELECT id FROM supplier_offers WHERE variant_id = $4)`, qty, now, offer, variantID)
	if err != nil {
		return fmt.Errorf("reserve %d of %s on offer %d: %w", qty, ref, offer, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("reserve %d of %s on offer %d: %w", qty, ref, offer, err)
	} else if n != 1 {
		return apperr.Wrap(ErrMoveShort, apperr.Unavailable, "offer %d has fewer than %d units available", offer, qty)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO stock_reservations (ref, variant_id, offer_id, quantity, created_at)
		VALUES ($1, $2, $3, $4, $5)`, ref, variantID, offer, qty, now); err != nil {
		return fmt.Errorf("reserve %d of %s on offer %d: %w", qty, ref, offer, err)
	}
	return nil
}

// LockPositions locks the stock positions of the offers in offer id order
// inside tx (PostgreSQL; SQLite has one writer): a caller about to move or
// reserve on several offers takes them all first, in the one global order,
// so it cannot deadlock with another doing the same.
func (s *Service) LockPositions(ctx context.Context, tx *sql.Tx, offers []int64) error {
	if len(offers) == 0 || s.forUpdate("sp") == "" {
		return nil
	}
	ph, args := inList(offers)
	rows, err := tx.QueryContext(ctx, `SELECT sp.offer_id FROM stock_positions sp WHERE sp.offer_id IN (`+ph+`) ORDER BY sp.offer_id`+s.forUpdate("sp"), args...)
	if err != nil {
		return fmt.Errorf("lock stock positions: %w", err)
	}
	rows.Close()
	return rows.Err()
}
