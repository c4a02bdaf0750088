package purchasing

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/routing"
)

// AddTx implements routing.Sink: it adds the assignments to each supplier's
// open PO for the offer's cost currency, creating the PO when there is none
// (one open PO per supplier and currency). A new PO goes out at once for a
// supplier that batches "immediate", or at the supplier's next cutoff (in its
// time zone) for "cutoffs". Each assignment becomes one PO line with all its
// units pending, at the assignment's unit cost; the PO's total cost grows
// accordingly.
func (s *Service) AddTx(ctx context.Context, tx *sql.Tx, as []routing.Assignment) error {
	type key struct {
		supplier int64
		currency string
	}
	groups := map[key][]routing.Assignment{}
	var keys []key
	for i, a := range as {
		if a.Quantity <= 0 {
			return apperr.New(apperr.Invalid, "assignment %d of order %d line %d: quantity %d must be positive", i, a.OrderID, a.OrderLineID, a.Quantity)
		}
		if a.UnitCost.Amount < 0 || a.UnitCost.Currency == "" {
			return apperr.New(apperr.Invalid, "assignment %d of order %d line %d: unit cost %v is not valid", i, a.OrderID, a.OrderLineID, a.UnitCost)
		}
		k := key{a.SupplierID, a.UnitCost.Currency}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], a)
	}
	// A fixed order of suppliers keeps concurrent routings from locking
	// open POs in opposite orders.
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.supplier, b.supplier), cmp.Compare(a.currency, b.currency))
	})
	for _, k := range keys {
		po, err := s.openPO(ctx, tx, k.supplier, k.currency)
		if err != nil {
			return err
		}
		now := s.clock()
		var total int64
		for _, a := range groups[k] {
			_, err := tx.ExecContext(ctx, `INSERT INTO purchase_order_lines (purchase_order_id, supplier_id, order_id,
					order_line_id, offer_id, variant_id, sku, supplier_sku, title, state, quantity, qty_pending,
					unit_cost_amount, cost_currency, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $10, $11, $12, $13, $13)`,
				po, a.SupplierID, a.OrderID, a.OrderLineID, a.OfferID, a.VariantID, a.SKU, a.SupplierSKU, a.Title,
				a.Quantity, a.UnitCost.Amount, a.UnitCost.Currency, now)
			if err != nil {
				return fmt.Errorf("add order %d line %d to %s: %w", a.OrderID, a.OrderLineID, Number(po), err)
			}
			total += a.UnitCost.Amount * int64(a.Quantity)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE purchase_orders SET total_cost_amount = total_cost_amount + $1,
				updated_at = $2 WHERE id = $3`, total, now, po); err != nil {
			return fmt.Errorf("total of %s: %w", Number(po), err)
		}
	}
	return nil
}

// openPO returns the supplier's open PO in currency, locked for the rest of
// tx on PostgreSQL, creating it when there is none. The send job claims open
// POs with a conditional UPDATE; a PO claimed between our insert and our
// read is no longer open, so we try again.
func (s *Service) openPO(ctx context.Context, tx *sql.Tx, supplier int64, currency string) (int64, error) {
	f, err := s.loadFulfilment(ctx, tx, supplier)
	if err != nil {
		return 0, err
	}
	for range 3 {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM purchase_orders WHERE supplier_id = $1 AND currency = $2
			AND state = 'open'`+s.db.Dialect.ForUpdate(), supplier, currency).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("open purchase order of supplier %d: %w", supplier, err)
		}
		now := s.clock()
		sendAfter := now
		if f.Batch == BatchCutoffs {
			sendAfter = nextCutoff(now, location(f.Timezone), f.CutoffMinutes)
		}
		// ON CONFLICT waits for a concurrent creator on PostgreSQL and then
		// does nothing; the SELECT above finds its PO on the next round.
		err = tx.QueryRowContext(ctx, `INSERT INTO purchase_orders (supplier_id, state, channel, currency, send_after,
				created_at, updated_at)
			VALUES ($1, 'open', $2, $3, $4, $5, $5)
			ON CONFLICT (supplier_id, currency) WHERE state = 'open' DO NOTHING
			RETURNING id`, supplier, string(f.Channel), currency, sendAfter, now).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("create purchase order for supplier %d: %w", supplier, err)
		}
	}
	return 0, apperr.New(apperr.Conflict, "purchase order of supplier %d in %s changed meanwhile; try again", supplier, currency)
}
