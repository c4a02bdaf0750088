package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
)

// Reading the rules. Every path that writes a position's buffer reads the
// rules with these functions and computes the buffer with EffectiveBuffer:
// rulesOf for one offer, rulesOfMany for a batch (bulk feeds), and the
// joins below inside recomputeBuffers.

// supplierRuleCols and skuRuleCols read a supplier's and a SKU's rules from
// the joins ruleJoins makes (aliases sb, sr, vb, vr); scanRules scans them.
const (
	supplierRuleCols = `COALESCE(sb.units, 0), COALESCE(sb.percent_bp, 0), COALESCE(sr.min_quantity, 0),
		COALESCE(sr.stale, FALSE), COALESCE(sr.stale_mode, 'exclude'), COALESCE(sr.stale_percent_bp, 0)`
	skuRuleCols = `COALESCE(vb.units, 0), COALESCE(vb.percent_bp, 0), COALESCE(vr.min_quantity, 0)`
)

// ruleJoins joins the rule tables of the supplier and the variant named by
// the SQL expressions supplier and variant.
func ruleJoins(supplier, variant string) string {
	return supplierRuleJoins(supplier) + skuRuleJoins(variant)
}

func supplierRuleJoins(supplier string) string {
	return ` LEFT JOIN supplier_stock_buffers sb ON sb.supplier_id = ` + supplier +
		` LEFT JOIN supplier_stock_rules sr ON sr.supplier_id = ` + supplier
}

func skuRuleJoins(variant string) string {
	return ` LEFT JOIN variant_stock_buffers vb ON vb.variant_id = ` + variant +
		` LEFT JOIN variant_stock_rules vr ON vr.variant_id = ` + variant
}

func supplierRuleDest(r *SupplierRules) []any {
	return []any{&r.Buffer.Units, &r.Buffer.Percent, &r.MinQuantity, &r.Stale, &r.StaleMode, &r.StalePercent}
}

func skuRuleDest(r *SKURules) []any {
	return []any{&r.Buffer.Units, &r.Buffer.Percent, &r.MinQuantity}
}

// rulesOf reads the rules of a supplier and a variant (zero where unset).
// Call it after locking the position they apply to: a rule change commits
// its rule and then waits for that lock, so either it recomputes from what
// the caller writes, or the caller reads its new rule.
func rulesOf(ctx context.Context, q store.Querier, supplierID, variantID int64) (sup SupplierRules, sku SKURules, err error) {
	err = q.QueryRowContext(ctx, `SELECT `+supplierRuleCols+`, `+skuRuleCols+` FROM (SELECT 1 AS one) x`+
		ruleJoins("CAST($1 AS BIGINT)", "CAST($2 AS BIGINT)"), supplierID, variantID).
		Scan(append(supplierRuleDest(&sup), skuRuleDest(&sku)...)...)
	if err != nil {
		err = fmt.Errorf("stock rules: %w", err)
	}
	return sup, sku, err
}

// rulesOfMany reads the rules of many suppliers and variants at once (the
// bulk path of a feed run), keyed by id; ids without rules get the zero
// rules. It reads what rulesOf reads.
func rulesOfMany(ctx context.Context, tx *sql.Tx, supplierIDs, variantIDs []int64) (map[int64]SupplierRules, map[int64]SKURules, error) {
	sup := make(map[int64]SupplierRules)
	for _, ids := range chunks(supplierIDs) {
		ph, args := inList(ids)
		rows, err := tx.QueryContext(ctx, `SELECT su.id, `+supplierRuleCols+` FROM suppliers su`+
			supplierRuleJoins("su.id")+` WHERE su.id IN (`+ph+`)`, args...)
		if err != nil {
			return nil, nil, fmt.Errorf("supplier stock rules: %w", err)
		}
		for rows.Next() {
			var id int64
			var r SupplierRules
			if err := rows.Scan(append([]any{&id}, supplierRuleDest(&r)...)...); err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("supplier stock rules: %w", err)
			}
			sup[id] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("supplier stock rules: %w", err)
		}
	}
	sku := make(map[int64]SKURules)
	for _, ids := range chunks(variantIDs) {
		ph, args := inList(ids)
		rows, err := tx.QueryContext(ctx, `SELECT v.id, `+skuRuleCols+` FROM variants v`+skuRuleJoins("v.id")+` WHERE v.id IN (`+ph+`)`, args...)
		if err != nil {
			return nil, nil, fmt.Errorf("SKU stock rules: %w", err)
		}
		for rows.Next() {
			var id int64
			var r SKURules
			if err := rows.Scan(append([]any{&id}, skuRuleDest(&r)...)...); err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("SKU stock rules: %w", err)
			}
			sku[id] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("SKU stock rules: %w", err)
		}
	}
	return sup, sku, nil
}

// chunks splits sorted distinct ids into IN lists of at most 1000.
func chunks(ids []int64) [][]int64 {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	var out [][]int64
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	return out
}

// SupplierMinQuantity returns a supplier's minimum quantity (0 if unset).
func (s *Service) SupplierMinQuantity(ctx context.Context, supplierID int64) (int, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, `SELECT COALESCE(r.min_quantity, 0) FROM suppliers su
		LEFT JOIN supplier_stock_rules r ON r.supplier_id = su.id WHERE su.id = $1`, supplierID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errUnknownSupplier(supplierID)
	}
	if err != nil {
		return 0, fmt.Errorf("minimum quantity of supplier %d: %w", supplierID, err)
	}
	return n, nil
}

// SetSupplierMinQuantity sets the quantity below which a report of the
// supplier counts as 0 (0: none), and recomputes the buffer of every
// position of its offers in the same transaction.
func (s *Service) SetSupplierMinQuantity(ctx context.Context, supplierID int64, n int) error {
	if err := checkQuantity("min_quantity", n); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockBufferRules(ctx, tx); err != nil {
			return err
		}
		if err := s.ensureSupplierRules(ctx, tx, supplierID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE supplier_stock_rules SET min_quantity = $1, updated_at = $2 WHERE supplier_id = $3`,
			n, s.clock(), supplierID); err != nil {
			return fmt.Errorf("set minimum quantity of supplier %d: %w", supplierID, err)
		}
		return s.recomputeBuffers(ctx, tx, "o.supplier_id = $1", supplierID)
	})
}

// SKUMinQuantity returns a SKU's minimum quantity (0 if unset).
func (s *Service) SKUMinQuantity(ctx context.Context, sku string) (int, error) {
	id, _, err := variantBySKU(ctx, s.db.R, sku)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.db.R.QueryRowContext(ctx, `SELECT COALESCE(MAX(min_quantity), 0) FROM variant_stock_rules WHERE variant_id = $1`, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("minimum quantity of SKU %s: %w", sku, err)
	}
	return n, nil
}

// SetSKUMinQuantity sets the quantity below which any offer's report of the
// SKU counts as 0 (0: none), and recomputes the buffer of every position of
// its offers in the same transaction.
func (s *Service) SetSKUMinQuantity(ctx context.Context, sku string, n int) error {
	if err := checkQuantity("min_quantity", n); err != nil {
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO variant_stock_rules (variant_id, min_quantity, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (variant_id) DO UPDATE SET min_quantity = excluded.min_quantity, updated_at = excluded.updated_at`,
			id, n, s.clock()); err != nil {
			return fmt.Errorf("set minimum quantity of SKU %s: %w", sku, err)
		}
		return s.recomputeBuffers(ctx, tx, "o.variant_id = $1", id)
	})
}

// ensureSupplierRules makes the supplier's rules row if it has none (not
// found if the supplier does not exist). A new row starts from the
// supplier's newest report, like the migration that made the table.
func (s *Service) ensureSupplierRules(ctx context.Context, tx *sql.Tx, supplierID int64) error {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM suppliers WHERE id = $1`, supplierID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return errUnknownSupplier(supplierID)
	}
	if err != nil {
		return fmt.Errorf("supplier %d: %w", supplierID, err)
	}
	// Not MAX(): SQLite's aggregate loses the column's time type.
	var last sql.NullTime
	err = tx.QueryRowContext(ctx, `SELECT sp.reported_at FROM supplier_offers o JOIN stock_positions sp ON sp.offer_id = o.id
		WHERE o.supplier_id = $1 AND sp.reported_at IS NOT NULL ORDER BY sp.reported_at DESC LIMIT 1`, supplierID).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("last report of supplier %d: %w", supplierID, err)
	}
	var at any
	if last.Valid {
		at = last.Time.UTC()
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO supplier_stock_rules (supplier_id, last_feed_at, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (supplier_id) DO NOTHING`, supplierID, at, s.clock()); err != nil {
		return fmt.Errorf("stock rules of supplier %d: %w", supplierID, err)
	}
	return nil
}

func errUnknownSupplier(id int64) error {
	return apperr.New(apperr.NotFound, "supplier %d not found", id)
}

// timeOf turns a scanned nullable time into a UTC time (zero if NULL).
func timeOf(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}
