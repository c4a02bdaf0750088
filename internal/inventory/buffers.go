package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

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

// lockBufferRules serialises buffer-rule changes on PostgreSQL. Two changes
// at once (a supplier's and a SKU's) could each recompute a shared position
// from the other's old rule; they are rare admin actions, so one at a time.
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
// offers matching cond (on alias o, with one argument), locking them in offer
// id order.
func (s *Service) recomputeBuffers(ctx context.Context, tx *sql.Tx, cond string, arg any) error {
	rows, err := tx.QueryContext(ctx, `SELECT sp.offer_id, o.variant_id, sp.reported, sp.buffer,
		COALESCE(sb.units, 0), COALESCE(sb.percent_bp, 0), COALESCE(vb.units, 0), COALESCE(vb.percent_bp, 0)
		FROM stock_positions sp
		JOIN supplier_offers o ON o.id = sp.offer_id
		LEFT JOIN supplier_stock_buffers sb ON sb.supplier_id = o.supplier_id
		LEFT JOIN variant_stock_buffers vb ON vb.variant_id = o.variant_id
		WHERE `+cond+` ORDER BY sp.offer_id`+s.forUpdate("sp"), arg)
	if err != nil {
		return fmt.Errorf("recompute buffers: %w", err)
	}
	type upd struct {
		offerID, variantID int64
		buffer, old        int
	}
	var changed []upd
	for rows.Next() {
		var id, variant int64
		var reported, old int
		var sup, vb Buffer
		if err := rows.Scan(&id, &variant, &reported, &old, &sup.Units, &sup.Percent, &vb.Units, &vb.Percent); err != nil {
			rows.Close()
			return fmt.Errorf("recompute buffers: %w", err)
		}
		if b, _ := EffectiveBuffer(reported, sup, vb); b != old {
			changed = append(changed, upd{id, variant, b, old})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("recompute buffers: %w", err)
	}
	now := s.clock()
	for _, u := range changed {
		if _, err := tx.ExecContext(ctx, `UPDATE stock_positions SET buffer = $1, updated_at = $2 WHERE offer_id = $3`, u.buffer, now, u.offerID); err != nil {
			return fmt.Errorf("recompute buffer of offer %d: %w", u.offerID, err)
		}
	}
	// A smaller buffer makes units sellable: they go first to lines waiting
	// for the variant, like a restock.
	for _, u := range changed {
		if u.buffer < u.old && s.restock != nil {
			if err := s.restock(ctx, tx, u.variantID, u.old-u.buffer); err != nil {
				return fmt.Errorf("fill backorders after a buffer change: %w", err)
			}
		}
	}
	return nil
}
