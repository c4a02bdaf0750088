package inventory

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// held is one reservation row of a reference.
type held struct {
	id, offer int64
	qty       int
}

// heldRows reads ref's reservation rows, newest first, on one offer (or on
// every offer when offer is 0), locking them on PostgreSQL, and the units
// they hold in all.
func (s *Service) heldRows(ctx context.Context, tx *sql.Tx, ref string, offer int64) ([]held, int, error) {
	q := `SELECT id, offer_id, quantity FROM stock_reservations WHERE ref = $1`
	args := []any{ref}
	if offer != 0 {
		q += ` AND offer_id = $2`
		args = append(args, offer)
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY id DESC`+s.forUpdate("stock_reservations"), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("reservations of %s: %w", ref, err)
	}
	defer rows.Close()
	var hs []held
	total := 0
	for rows.Next() {
		var h held
		if err := rows.Scan(&h.id, &h.offer, &h.qty); err != nil {
			return nil, 0, fmt.Errorf("reservations of %s: %w", ref, err)
		}
		hs = append(hs, h)
		total += h.qty
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("reservations of %s: %w", ref, err)
	}
	return hs, total, nil
}

// takeHeld shrinks the rows hs of ref, in order, by qty units in all (a row
// taken whole is deleted) and returns the units taken from each offer. The
// statements are conditional: a row changed meanwhile is a conflict, never a
// negative count. The caller checked that hs hold qty units.
func takeHeld(ctx context.Context, tx *sql.Tx, ref string, hs []held, qty int) (map[int64]int, error) {
	taken := map[int64]int{}
	left := qty
	for _, h := range hs {
		if left == 0 {
			break
		}
		take := min(left, h.qty)
		var res sql.Result
		var err error
		if take == h.qty {
			res, err = tx.ExecContext(ctx, `DELETE FROM stock_reservations WHERE id = $1 AND quantity = $2`, h.id, take)
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE stock_reservations SET quantity = quantity - $1 WHERE id = $2 AND quantity > $1`, take, h.id)
		}
		if err != nil {
			return nil, fmt.Errorf("release %d units of %s on offer %d: %w", take, ref, h.offer, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			// The rows are locked (PostgreSQL) or this is the only writer
			// (SQLite): a miss means a concurrent change; refuse.
			return nil, apperr.New(apperr.Conflict, "reservation of %s on offer %d changed meanwhile; try again", ref, h.offer)
		}
		taken[h.offer] += take
		left -= take
	}
	if left > 0 {
		return nil, fmt.Errorf("release %d units of %s: only %d were reserved", qty, ref, qty-left)
	}
	return taken, nil
}
