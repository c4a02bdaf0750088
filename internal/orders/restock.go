package orders

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/orderly-oms/orderly/internal/inventory"
)

// fillBackorders gives stock that just became available for a variant to the
// lines waiting for it (backordered units, then short ones), in order of
// arrival, up to increase units and no further, inside tx. It is the
// inventory restock hook and also runs after a cancellation frees stock.
// A SKU not yet released ignores stock: its waiting (short) lines are served
// at the release, after its pre-orders.
func (s *Service) fillBackorders(ctx context.Context, tx *sql.Tx, variantID int64, increase int) error {
	if increase <= 0 {
		return nil
	}
	pols, err := s.inv.Policies(ctx, tx, []int64{variantID})
	if err != nil {
		return err
	}
	if pols[variantID].IsPreorder(s.clock()) {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT l.order_id, l.position FROM order_lines l
		WHERE l.variant_id = $1 AND (l.qty_backordered > 0 OR l.qty_short > 0) ORDER BY l.id`, variantID)
	if err != nil {
		return fmt.Errorf("waiting lines of variant %d: %w", variantID, err)
	}
	type waiting struct {
		order    int64
		position int
	}
	var queue []waiting
	for rows.Next() {
		var w waiting
		if err := rows.Scan(&w.order, &w.position); err != nil {
			rows.Close()
			return fmt.Errorf("waiting lines of variant %d: %w", variantID, err)
		}
		queue = append(queue, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("waiting lines of variant %d: %w", variantID, err)
	}
	budget := increase
	for _, w := range queue {
		if budget == 0 {
			break
		}
		o, err := s.lockOrder(ctx, tx, w.order)
		if err != nil {
			return err
		}
		l := o.line(w.position)
		want := min(budget, l.Backordered+l.Short)
		if want == 0 {
			continue
		}
		got, err := s.inv.ReserveMany(ctx, tx, []inventory.Request{{VariantID: variantID, Quantity: want, Ref: lineRef(o.Number, l.Position), Partial: true}})
		if err != nil {
			return err
		}
		g := got[0].Quantity
		if g == 0 {
			break // nothing left to give
		}
		fromBackorder := min(g, l.Backordered)
		if err := s.inv.ReturnBackorder(ctx, tx, variantID, fromBackorder); err != nil {
			return err
		}
		l.Backordered -= fromBackorder
		l.Short -= g - fromBackorder
		l.Reserved += g
		if l.Backordered == 0 && l.Preordered == 0 {
			l.ExpectedAt = nil
		}
		budget -= g
		before := l.State
		if err := s.saveLine(ctx, tx, o.Number, l); err != nil {
			return err
		}
		from, to, err := s.settle(ctx, tx, o)
		if err != nil {
			return err
		}
		who := actor(ctx, "system:restock")
		entry, err := s.record(ctx, tx, o.Number, l.ID, "restocked", string(from), string(to), who,
			fmt.Sprintf("%d units of %s arrived for line %d", g, l.SKU, l.Position),
			map[string]any{"line": l.Position, "sku": l.SKU, "reserved": g, "line_from": before, "line_to": l.State})
		if err != nil {
			return err
		}
		if err := s.emit(ctx, tx, EventArgs{Event: EventAllocated, Order: o.Number, Lines: []int64{l.ID}, Entry: entry}); err != nil {
			return err
		}
		if err := s.afterChange(ctx, tx, o, from, to, entry); err != nil {
			return err
		}
		if g < want {
			break // the variant has no more available stock
		}
	}
	return nil
}

// ReleaseDuePreorders releases the pre-orders of every SKU whose release date
// has come: in order of arrival, each pre-ordered unit gets stock if there
// is some, and otherwise waits as a backorder (it was promised: it does not
// count against the SKU's backorder limit). Stock the pre-orders leave goes
// to the SKU's lines waiting for stock (short units). It returns how many
// pre-ordered units it released. A periodic job runs it.
func (s *Service) ReleaseDuePreorders(ctx context.Context) (int, error) {
	// A released SKU with lines still waiting is visited too: it ignored its
	// stock until now, so what it has goes to them (fillBackorders).
	rows, err := s.db.R.QueryContext(ctx, `SELECT p.variant_id FROM variant_stock_policies p
		WHERE p.preorder_release_at IS NOT NULL AND p.preorder_release_at <= $1 AND (p.preordered > 0
			OR EXISTS (SELECT 1 FROM order_lines l WHERE l.variant_id = p.variant_id AND (l.qty_short > 0 OR l.qty_backordered > 0)))
		ORDER BY p.variant_id`, s.clock())
	if err != nil {
		return 0, fmt.Errorf("due pre-orders: %w", err)
	}
	var variants []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("due pre-orders: %w", err)
		}
		variants = append(variants, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("due pre-orders: %w", err)
	}
	total := 0
	for _, v := range variants {
		n := 0
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			n, err = s.releasePreorders(ctx, tx, v)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

func (s *Service) releasePreorders(ctx context.Context, tx *sql.Tx, variantID int64) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT order_id, position FROM order_lines WHERE variant_id = $1 AND qty_preordered > 0 ORDER BY id`, variantID)
	if err != nil {
		return 0, fmt.Errorf("pre-ordered lines of variant %d: %w", variantID, err)
	}
	type waiting struct {
		order    int64
		position int
	}
	var queue []waiting
	for rows.Next() {
		var w waiting
		if err := rows.Scan(&w.order, &w.position); err != nil {
			rows.Close()
			return 0, fmt.Errorf("pre-ordered lines of variant %d: %w", variantID, err)
		}
		queue = append(queue, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("pre-ordered lines of variant %d: %w", variantID, err)
	}
	now := s.clock()
	released := 0
	for _, w := range queue {
		o, err := s.lockOrder(ctx, tx, w.order)
		if err != nil {
			return 0, err
		}
		l := o.line(w.position)
		q := l.Preordered
		if q == 0 {
			continue
		}
		got, err := s.inv.ReserveMany(ctx, tx, []inventory.Request{{VariantID: variantID, Quantity: q, Ref: lineRef(o.Number, l.Position), Partial: true}})
		if err != nil {
			return 0, err
		}
		g := got[0].Quantity
		if err := s.inv.ReturnPreorder(ctx, tx, variantID, o.Channel, q); err != nil {
			return 0, err
		}
		rest := q - g
		if err := s.inv.AddBackorder(ctx, tx, variantID, rest); err != nil {
			return 0, err
		}
		l.Preordered = 0
		l.Reserved += g
		l.Backordered += rest
		l.ExpectedAt = nil
		if rest > 0 {
			pol, err := s.inv.Policies(ctx, tx, []int64{variantID})
			if err != nil {
				return 0, err
			}
			if l.ExpectedAt, err = s.inv.ExpectedRestock(ctx, tx, pol[variantID], now); err != nil {
				return 0, err
			}
		}
		before := l.State
		if err := s.saveLine(ctx, tx, o.Number, l); err != nil {
			return 0, err
		}
		from, to, err := s.settle(ctx, tx, o)
		if err != nil {
			return 0, err
		}
		entry, err := s.record(ctx, tx, o.Number, l.ID, "preorder_released", string(from), string(to), actor(ctx, "system:preorder-release"),
			fmt.Sprintf("%s was released: %d units reserved, %d waiting for stock", l.SKU, g, rest),
			map[string]any{"line": l.Position, "sku": l.SKU, "reserved": g, "backordered": rest, "line_from": before, "line_to": l.State})
		if err != nil {
			return 0, err
		}
		ev := EventAllocated
		if rest > 0 {
			ev = EventBackordered
		}
		if err := s.emit(ctx, tx, EventArgs{Event: ev, Order: o.Number, Lines: []int64{l.ID}, Entry: entry}); err != nil {
			return 0, err
		}
		if err := s.afterChange(ctx, tx, o, from, to, entry); err != nil {
			return 0, err
		}
		released += q
	}
	// Stock the pre-orders did not need goes to the lines waiting for it
	// (short units of orders placed when the pre-order cap was full).
	left, err := s.inv.ATS(ctx, tx, variantID)
	if err != nil {
		return 0, err
	}
	if err := s.fillBackorders(ctx, tx, variantID, left); err != nil {
		return 0, err
	}
	return released, nil
}
