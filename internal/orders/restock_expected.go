package orders

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SetKnownRestock records, inside tx, that the backordered units of the
// variant are now expected back at at: a supplier answered Orderly's restock
// question (internal/restocks), so the date is known where it was only an
// estimate from the lead time, or nothing. Every line with backordered units
// (and no pre-ordered ones, which keep their release date) gets the date and
// a timeline entry ("restock_date_known", why as its reason), and each of
// their orders the event EventRestockExpected — even when the date equals the
// estimate, since the customer has not been told a confirmed date yet. It
// returns the numbers of the orders told, in order of arrival.
func (s *Service) SetKnownRestock(ctx context.Context, tx *sql.Tx, variantID int64, at time.Time, why string) ([]int64, error) {
	at = at.UTC().Truncate(time.Microsecond)
	rows, err := tx.QueryContext(ctx, `SELECT order_id, position FROM order_lines
		WHERE variant_id = $1 AND qty_backordered > 0 AND qty_preordered = 0 ORDER BY id`, variantID)
	if err != nil {
		return nil, fmt.Errorf("backordered lines of variant %d: %w", variantID, err)
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
			return nil, fmt.Errorf("backordered lines of variant %d: %w", variantID, err)
		}
		queue = append(queue, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("backordered lines of variant %d: %w", variantID, err)
	}
	who := actor(ctx, "system:restock-question")
	var told []int64
	lines := map[int64][]int64{}
	entries := map[int64]int64{}
	for _, w := range queue {
		o, err := s.lockOrder(ctx, tx, w.order)
		if err != nil {
			return nil, err
		}
		l := o.line(w.position)
		if l == nil || l.Backordered == 0 {
			continue
		}
		old := l.ExpectedAt
		l.ExpectedAt = &at
		if err := s.saveLine(ctx, tx, o.Number, l); err != nil {
			return nil, err
		}
		detail := map[string]any{"line": l.Position, "sku": l.SKU, "backordered": l.Backordered, "expected_at": at}
		text := fmt.Sprintf("%s confirmed back on %s", l.SKU, at.Format("2006-01-02"))
		if old != nil {
			detail["was"] = *old
			if !old.Equal(at) {
				text += fmt.Sprintf(" (estimated %s)", old.UTC().Format("2006-01-02"))
			}
		}
		if why != "" {
			text += ": " + why
		}
		entry, err := s.record(ctx, tx, o.Number, l.ID, "restock_date_known", string(o.State), string(o.State), who, text, detail)
		if err != nil {
			return nil, err
		}
		if _, ok := lines[o.Number]; !ok {
			told = append(told, o.Number)
			entries[o.Number] = entry
		}
		lines[o.Number] = append(lines[o.Number], l.ID)
	}
	for _, n := range told {
		if err := s.emit(ctx, tx, EventArgs{Event: EventRestockExpected, Order: n, Lines: lines[n], Entry: entries[n]}); err != nil {
			return nil, err
		}
	}
	return told, nil
}
