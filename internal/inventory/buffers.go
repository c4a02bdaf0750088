package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
)

// SupplierBuffer returns the supplier-level buffer rule (zero if unset).
func (s *Service) SupplierBuffer(ctx context.Context, supplierID int64) (Buffer, error) {
	var b Buffer
	err := s.db.R.QueryRowContext(ctx, `SELECT COALESCE(b.units, 0), COALESCE(b.percent_bp, 0)
		FROM suppliers su LEFT JOIN supplier_stock_buffers b ON b.supplier_id = su.id WHERE su.id = $1`, supplierID).Scan(&b.Units, &b.Percent)
	if errors.Is(err, sql.ErrNoRows) {
		return b, apperr.New(apperr.NotFound, "supplier %d not found", supplierID)
	}
	if err != nil {
		return b, fmt.Errorf("buffer of supplier %d: %w", supplierID, err)
	}
	return b, nil
}

// SKUBuffer returns the SKU-level buffer rule (zero if unset).
func (s *Service) SKUBuffer(ctx context.Context, sku string) (Buffer, error) {
	id, _, err := variantBySKU(ctx, s.db.R, sku)
	if err != nil {
		return Buffer{}, err
	}
	var b Buffer
	err = s.db.R.QueryRowContext(ctx, `SELECT COALESCE(MAX(units), 0), COALESCE(MAX(percent_bp), 0) FROM variant_stock_buffers WHERE variant_id = $1`, id).
		Scan(&b.Units, &b.Percent)
	if err != nil {
		return b, fmt.Errorf("buffer of SKU %s: %w", sku, err)
	}
	return b, nil
}

// SetSupplierBuffer sets the buffer rule of a supplier and recomputes the
// buffer of every position of its offers in the same transaction.
func (s *Service) SetSupplierBuffer(ctx context.Context, supplierID int64, b Buffer) error {
	if err := b.Validate(); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockBufferRules(ctx, tx); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM suppliers WHERE id = $1`, supplierID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.NotFound, "supplier %d not found", supplierID)
		}
		if err != nil {
			return fmt.Errorf("supplier %d: %w", supplierID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO supplier_stock_buffers (supplier_id, units, percent_bp, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (supplier_id) DO UPDATE SET units = excluded.units, percent_bp = excluded.percent_bp, updated_at = excluded.updated_at`,
			supplierID, b.Units, b.Percent, s.clock()); err != nil {
			return fmt.Errorf("set buffer of supplier %d: %w", supplierID, err)
		}
		return s.recomputeBuffers(ctx, tx, "o.supplier_id = $1", supplierID)
	})
}

// SetSKUBuffer sets the buffer rule of a SKU and recomputes the buffer of
// every position of its offers in the same transaction.
func (s *Service) SetSKUBuffer(ctx context.Context, sku string, b Buffer) error {
	if err := b.Validate(); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockBufferRules(ctx, tx); err != nil {
			return err
		}
		id, _, err := variantBySKU(ctx, tx, sku)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO variant_stock_buffers (variant_id, units, percent_bp, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (variant_id) DO UPDATE SET units = excluded.units, percent_bp = excluded.percent_bp, updated_at = excluded.updated_at`,
			id, b.Units, b.Percent, s.clock()); err != nil {
			return fmt.Errorf("set buffer of SKU %s: %w", sku, err)
		}
		return s.recomputeBuffers(ctx, tx, "o.variant_id = $1", id)
	})
}

// lockBufferRules serialises rule changes made by staff and by the
// staleness job on PostgreSQL. recomputeBuffers alone already keeps two
// changes meeting on a position from computing it with each other's old
// rule; they are rare, so one at a time costs nothing and keeps them simple
// to reason about. Reports that flip a supplier fresh do not take it (they
// may already hold positions).
func (s *Service) lockBufferRules(ctx context.Context, tx *sql.Tx) error {
	if s.db.Engine != store.Postgres {
		return nil
	}
	// An arbitrary constant key naming "inventory buffer rules".
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7305105510)`); err != nil {
		return fmt.Errorf("lock buffer rules: %w", err)
	}
	return nil
}

// recomputeBuffers recomputes the stored buffer of the positions of the
// offers matching cond (on aliases o, the offer, and sp, the position; one
// argument) from the rules in force, and fills waiting backorders of the
// variants whose ATS rose.
//
// On PostgreSQL it first locks the positions in offer id order, and only
// then reads them with their rules, in a second statement that sees every
// rule committed until then. Two rule changes that meet on a position (a
// supplier's staleness flip and a SKU's buffer, say) thus never both compute
// it from the other's old rule: the one that locks second reads both. This is
// what lets a report flip its supplier fresh without the rules lock.
func (s *Service) recomputeBuffers(ctx context.Context, tx *sql.Tx, cond string, arg any) error {
	from := ` FROM stock_positions sp JOIN supplier_offers o ON o.id = sp.offer_id JOIN suppliers su ON su.id = o.supplier_id`
	if s.db.Engine == store.Postgres {
		rows, err := tx.QueryContext(ctx, `SELECT sp.offer_id`+from+` WHERE `+cond+` ORDER BY sp.offer_id`+s.forUpdate("sp"), arg)
		if err != nil {
			return fmt.Errorf("recompute buffers: lock positions: %w", err)
		}
		for rows.Next() {
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("recompute buffers: lock positions: %w", err)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT sp.offer_id, o.variant_id, sp.reported, sp.buffer, sp.reserved,
		CASE WHEN `+sellable+` THEN 1 ELSE 0 END, `+supplierRuleCols+`, `+skuRuleCols+from+
		ruleJoins("o.supplier_id", "o.variant_id")+` WHERE `+cond+` ORDER BY sp.offer_id`, arg)
	if err != nil {
		return fmt.Errorf("recompute buffers: %w", err)
	}
	type upd struct {
		offerID, variantID int64
		buffer             int
	}
	var changed []upd
	rise := map[int64]int{} // variant → change of its ATS
	for rows.Next() {
		var id, variant int64
		var reported, old, reserved, sellableInt int
		var sup SupplierRules
		var sku SKURules
		dest := append([]any{&id, &variant, &reported, &old, &reserved, &sellableInt}, supplierRuleDest(&sup)...)
		if err := rows.Scan(append(dest, skuRuleDest(&sku)...)...); err != nil {
			rows.Close()
			return fmt.Errorf("recompute buffers: %w", err)
		}
		b, _ := EffectiveBuffer(reported, sup, sku)
		if b == old {
			continue
		}
		changed = append(changed, upd{id, variant, b})
		if sellableInt == 1 {
			rise[variant] += available(reported, b, reserved) - available(reported, old, reserved)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("recompute buffers: %w", err)
	}
	now := s.clock()
	for start := 0; start < len(changed); start += bulkUpdateChunk {
		chunk := changed[start:min(start+bulkUpdateChunk, len(changed))]
		var values strings.Builder
		args := make([]any, 0, 2*len(chunk)+1)
		args = append(args, now)
		for i, u := range chunk {
			if i > 0 {
				values.WriteString(", ")
			}
			fmt.Fprintf(&values, "(CAST($%d AS BIGINT), CAST($%d AS INTEGER))", len(args)+1, len(args)+2)
			args = append(args, u.offerID, u.buffer)
		}
		// VALUES columns are column1, column2 on both engines.
		if _, err := tx.ExecContext(ctx, `UPDATE stock_positions SET buffer = v.column2, updated_at = $1
			FROM (VALUES `+values.String()+`) AS v WHERE stock_positions.offer_id = v.column1`, args...); err != nil {
			return fmt.Errorf("recompute buffers: update positions: %w", err)
		}
	}
	// Units that became sellable go first to lines waiting for the variant,
	// like a restock.
	if s.restock == nil {
		return nil
	}
	variants := make([]int64, 0, len(rise))
	for v, n := range rise {
		if n > 0 {
			variants = append(variants, v)
		}
	}
	slices.Sort(variants)
	for _, v := range variants {
		if err := s.restock(ctx, tx, v, rise[v]); err != nil {
			return fmt.Errorf("fill backorders after a rule change: %w", err)
		}
	}
	return nil
}

// bulkUpdateChunk bounds the rows of one multi-row UPDATE.
const bulkUpdateChunk = 500

// available is what a position adds to ATS when sellable, as the generated
// column stock_positions.available computes it.
func available(reported, buffer, reserved int) int { return max(0, reported-buffer-reserved) }
