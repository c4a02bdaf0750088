package orders

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// WaitingVariants returns which of variantIDs have order lines waiting for
// stock (backordered or short units): the lines fillBackorders serves when
// stock rises. A bulk stock write (a feed run) asks it once per batch and
// calls the restock hook only for those variants. Both conditions have a
// partial index (00008, 00011), so it reads only waiting lines.
func (s *Service) WaitingVariants(ctx context.Context, tx *sql.Tx, variantIDs []int64) ([]int64, error) {
	if len(variantIDs) == 0 {
		return nil, nil
	}
	ph := make([]string, len(variantIDs))
	args := make([]any, len(variantIDs))
	for i, id := range variantIDs {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = id
	}
	in := strings.Join(ph, ", ")
	rows, err := tx.QueryContext(ctx, `SELECT variant_id FROM order_lines WHERE variant_id IN (`+in+`) AND qty_backordered > 0
		UNION SELECT variant_id FROM order_lines WHERE variant_id IN (`+in+`) AND qty_short > 0`, args...)
	if err != nil {
		return nil, fmt.Errorf("variants waiting for stock: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("variants waiting for stock: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// MoveExpectedRestock sets the expected restock date of the variant's
// backordered lines to at, inside tx: a supplier said when it will have the
// SKU again. Each changed line gets a timeline entry ("restock_date_changed",
// why as its reason); an order whose date moved later also gets the event
// EventRestockDelayed (a first date, where none was known, is not a delay).
// Lines that also hold pre-ordered units keep their release date. It returns
// the number of lines changed.
func (s *Service) MoveExpectedRestock(ctx context.Context, tx *sql.Tx, variantID int64, at time.Time, why string) (int, error) {
	at = at.UTC().Truncate(time.Microsecond)
	rows, err := tx.QueryContext(ctx, `SELECT order_id, position FROM order_lines
		WHERE variant_id = $1 AND qty_backordered > 0 AND qty_preordered = 0 ORDER BY id`, variantID)
	if err != nil {
		return 0, fmt.Errorf("backordered lines of variant %d: %w", variantID, err)
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
			return 0, fmt.Errorf("backordered lines of variant %d: %w", variantID, err)
		}
		queue = append(queue, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("backordered lines of variant %d: %w", variantID, err)
	}
	changed := 0
	who := actor(ctx, "system:feed")
	for _, w := range queue {
		o, err := s.lockOrder(ctx, tx, w.order)
		if err != nil {
			return changed, err
		}
		l := o.line(w.position)
		if l == nil || (l.ExpectedAt != nil && l.ExpectedAt.Equal(at)) {
			continue
		}
		old := l.ExpectedAt
		l.ExpectedAt = &at
		if err := s.saveLine(ctx, tx, o.Number, l); err != nil {
			return changed, err
		}
		detail := map[string]any{"line": l.Position, "sku": l.SKU, "backordered": l.Backordered, "expected_at": at}
		text := fmt.Sprintf("%s expected back on %s", l.SKU, at.Format("2006-01-02"))
		if old != nil {
			detail["was"] = *old
			text += fmt.Sprintf(" (was %s)", old.UTC().Format("2006-01-02"))
		}
		if why != "" {
			text += ": " + why
		}
		entry, err := s.record(ctx, tx, o.Number, l.ID, "restock_date_changed", string(o.State), string(o.State), who, text, detail)
		if err != nil {
			return changed, err
		}
		if old != nil && at.After(*old) {
			if err := s.emit(ctx, tx, EventArgs{Event: EventRestockDelayed, Order: o.Number, Lines: []int64{l.ID}, Entry: entry}); err != nil {
				return changed, err
			}
		}
		changed++
	}
	return changed, nil
}
