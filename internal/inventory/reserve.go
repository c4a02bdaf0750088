package inventory

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
)

// Request asks for Quantity units of a variant for a reference such as an
// order line ("order:1042/line:2").
type Request struct {
	VariantID int64
	Quantity  int
	Ref       string
	// Partial takes whatever is available up to Quantity instead of failing,
	// for a line whose remainder will be backordered.
	Partial bool
}

// Allocation is the part of a reservation drawn from one offer.
type Allocation struct {
	OfferID  int64
	Quantity int
}

// Reservation is what one Request got.
type Reservation struct {
	Ref         string
	VariantID   int64
	Quantity    int // units reserved: the whole request, or less if Partial
	Allocations []Allocation
}

// Shortage names a request that could not be met. A failed Reserve returns an
// apperr Unavailable error wrapping a *ShortageError listing them.
type Shortage struct {
	VariantID int64
	SKU       string
	Wanted    int
	Available int
}

// ShortageError lists the requests that could not be met.
type ShortageError struct{ Shortages []Shortage }

func (e *ShortageError) Error() string {
	parts := make([]string, len(e.Shortages))
	for i, s := range e.Shortages {
		parts[i] = fmt.Sprintf("SKU %q wanted %d, available %d", s.SKU, s.Wanted, s.Available)
	}
	return "not enough stock: " + strings.Join(parts, "; ")
}

// Reserve reserves qty units of a variant for ref inside tx. It is all or
// nothing: if fewer than qty units are available the error is apperr
// Unavailable naming the SKU, the quantity wanted and the quantity available.
func (s *Service) Reserve(ctx context.Context, tx *sql.Tx, variantID int64, qty int, ref string) (Reservation, error) {
	r, err := s.ReserveMany(ctx, tx, []Request{{VariantID: variantID, Quantity: qty, Ref: ref}})
	if err != nil {
		return Reservation{}, err
	}
	return r[0], nil
}

// ReserveMany reserves every request inside tx, all or nothing: on error
// nothing was reserved by this call (the caller's transaction may go on or
// roll back). Requests are met from the sellable offers of their variant in
// priority order. The result has one Reservation per request, in order.
//
// Concurrency: the candidate positions of all requests are locked in offer id
// order (PostgreSQL; SQLite has a single writer), then each offer gets one
// conditional UPDATE that cannot take it below its limit. Taking rows in one
// global order is what keeps two orders for the same SKUs from deadlocking.
func (s *Service) ReserveMany(ctx context.Context, tx *sql.Tx, reqs []Request) ([]Reservation, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	var fe apperr.Fields
	var ids []int64
	for i, r := range reqs {
		if r.Quantity <= 0 || r.Quantity > maxQuantity {
			fe.Add(fmt.Sprintf("lines[%d].quantity", i), "must be between 1 and %d, got %d", maxQuantity, r.Quantity)
		}
		if strings.TrimSpace(r.Ref) == "" || len(r.Ref) > 200 {
			fe.Add(fmt.Sprintf("lines[%d].ref", i), "must be 1 to 200 characters")
		}
		if !slices.Contains(ids, r.VariantID) {
			ids = append(ids, r.VariantID)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	slices.Sort(ids)

	// Lock and read the candidates, in offer id order.
	ph, args := inList(ids)
	rows, err := tx.QueryContext(ctx, `SELECT sp.offer_id, o.variant_id, o.priority, sp.reported - sp.buffer - sp.reserved
		FROM stock_positions sp
		JOIN supplier_offers o ON o.id = sp.offer_id
		JOIN suppliers su ON su.id = o.supplier_id
		WHERE o.variant_id IN (`+ph+`) AND `+sellable+`
		ORDER BY sp.offer_id`+s.forUpdate("sp"), args...)
	if err != nil {
		return nil, fmt.Errorf("reserve: read positions: %w", err)
	}
	type candidate struct {
		offerID, variantID int64
		priority, headroom int
	}
	var cands []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.offerID, &c.variantID, &c.priority, &c.headroom); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reserve: read positions: %w", err)
		}
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reserve: read positions: %w", err)
	}
	// Allocate in priority order (ties by offer id).
	slices.SortFunc(cands, func(a, b candidate) int {
		if a.priority != b.priority {
			return a.priority - b.priority
		}
		return cmpInt64(a.offerID, b.offerID)
	})
	headroom := make(map[int64]int, len(cands))
	for _, c := range cands {
		headroom[c.offerID] = max(0, c.headroom)
	}
	perOffer := map[int64]int{}
	out := make([]Reservation, len(reqs))
	var short []Shortage
	for i, r := range reqs {
		res := Reservation{Ref: r.Ref, VariantID: r.VariantID}
		need := r.Quantity
		for _, c := range cands {
			if c.variantID != r.VariantID || need == 0 {
				continue
			}
			take := min(need, headroom[c.offerID])
			if take == 0 {
				continue
			}
			headroom[c.offerID] -= take
			perOffer[c.offerID] += take
			need -= take
			res.Quantity += take
			res.Allocations = append(res.Allocations, Allocation{OfferID: c.offerID, Quantity: take})
		}
		if need > 0 && !r.Partial {
			short = append(short, Shortage{VariantID: r.VariantID, Wanted: r.Quantity, Available: res.Quantity})
		}
		out[i] = res
	}
	if len(short) > 0 {
		// SKUs are looked up only now: the error names them, and a variant
		// that does not exist (no candidate positions) is not_found here.
		skus, err := skusOf(ctx, tx, ids)
		if err != nil {
			return nil, err
		}
		for i := range short {
			short[i].SKU = skus[short[i].VariantID]
		}
		se := &ShortageError{Shortages: short}
		return nil, apperr.Wrap(se, apperr.Unavailable, "%s", se.Error())
	}

	now := s.clock()
	offers := make([]int64, 0, len(perOffer))
	for id := range perOffer {
		offers = append(offers, id)
	}
	slices.Sort(offers)
	for _, id := range offers {
		q := perOffer[id]
		res, err := tx.ExecContext(ctx, `UPDATE stock_positions SET reserved = reserved + $1, updated_at = $2
			WHERE offer_id = $3 AND reported - buffer - reserved >= $1`, q, now, id)
		if err != nil {
			return nil, fmt.Errorf("reserve %d on offer %d: %w", q, id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			// Cannot happen while the rows are locked; if it does, refuse
			// rather than oversell.
			return nil, apperr.New(apperr.Unavailable, "offer %d no longer has %d units available", id, q)
		}
	}
	if err := recordReservations(ctx, tx, out, now); err != nil {
		return nil, err
	}
	return out, nil
}

// reservationsPerInsert bounds the rows of one multi-row INSERT of
// reservation rows (SQLite finds each parameter of a statement by a search
// through a list of them, so thousands of parameters cost more to bind than
// the statements they save).
const reservationsPerInsert = 100

// recordReservations writes a reservation row for every allocation of res,
// many rows per INSERT statement: on PostgreSQL each statement is a round
// trip. The rows are only a record of what the conditional UPDATEs above
// took under their row locks, so writing them together changes nothing for
// concurrent writers.
func recordReservations(ctx context.Context, tx *sql.Tx, res []Reservation, now time.Time) error {
	args := []any{now} // $1, shared by every row
	var values []string
	flush := func() error {
		if len(values) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO stock_reservations (ref, variant_id, offer_id, quantity, created_at)
			VALUES `+strings.Join(values, ", "), args...)
		if err != nil {
			return fmt.Errorf("record reservations: %w", err)
		}
		args, values = args[:1], values[:0]
		return nil
	}
	for _, r := range res {
		for _, a := range r.Allocations {
			n := len(args)
			values = append(values, fmt.Sprintf("($%d, $%d, $%d, $%d, $1)", n+1, n+2, n+3, n+4))
			args = append(args, r.Ref, r.VariantID, a.OfferID, a.Quantity)
			if len(values) == reservationsPerInsert {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// Release undoes every reservation held for ref inside tx and returns how many
// units it freed. Releasing a reference that holds nothing (already released
// or consumed) frees 0 units and is not an error, so a cancellation can be
// retried.
func (s *Service) Release(ctx context.Context, tx *sql.Tx, ref string) (int, error) {
	held, err := s.takeReservations(ctx, tx, ref)
	if err != nil {
		return 0, err
	}
	now := s.clock()
	total := 0
	for _, h := range held {
		if _, err := tx.ExecContext(ctx, `UPDATE stock_positions SET reserved = reserved - $1, updated_at = $2 WHERE offer_id = $3`,
			h.Quantity, now, h.OfferID); err != nil {
			return 0, fmt.Errorf("release %s on offer %d: %w", ref, h.OfferID, err)
		}
		total += h.Quantity
	}
	return total, nil
}

// Consume turns the reservations of ref into a shipment inside tx: the units
// leave the supplier's stock, so both reserved and reported drop by them (the
// change is recorded as an adjustment of kind "consume" by the caller in ctx).
// It returns how many units were consumed; 0 if ref holds nothing.
func (s *Service) Consume(ctx context.Context, tx *sql.Tx, ref string) (int, error) {
	held, err := s.takeReservations(ctx, tx, ref)
	if err != nil {
		return 0, err
	}
	actor := "system:inventory"
	if p := auth.FromContext(ctx); p != nil {
		actor = p.Actor()
	}
	total := 0
	for _, h := range held {
		_, err := s.changeReported(ctx, tx, change{
			offerID: h.OfferID, kind: "consume", reason: "shipped for " + ref, actor: actor,
			apply:           func(before int) (int, error) { return max(0, before-h.Quantity), nil },
			releaseReserved: h.Quantity,
		})
		if err != nil {
			return 0, fmt.Errorf("consume %s on offer %d: %w", ref, h.OfferID, err)
		}
		total += h.Quantity
	}
	return total, nil
}

// takeReservations deletes the reservation rows of ref and returns what they
// held per offer, in offer id order. DELETE ... RETURNING reports exactly the
// rows this transaction removed, so two concurrent releases of one ref cannot
// both give the units back.
func (s *Service) takeReservations(ctx context.Context, tx *sql.Tx, ref string) ([]Allocation, error) {
	rows, err := tx.QueryContext(ctx, `DELETE FROM stock_reservations WHERE ref = $1 RETURNING offer_id, quantity`, ref)
	if err != nil {
		return nil, fmt.Errorf("release reservations of %s: %w", ref, err)
	}
	perOffer := map[int64]int{}
	for rows.Next() {
		var id int64
		var q int
		if err := rows.Scan(&id, &q); err != nil {
			rows.Close()
			return nil, fmt.Errorf("release reservations of %s: %w", ref, err)
		}
		perOffer[id] += q
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("release reservations of %s: %w", ref, err)
	}
	held := make([]Allocation, 0, len(perOffer))
	for id, q := range perOffer {
		held = append(held, Allocation{OfferID: id, Quantity: q})
	}
	slices.SortFunc(held, func(a, b Allocation) int { return cmpInt64(a.OfferID, b.OfferID) })
	return held, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Reserved returns the reservations held for ref, per offer.
func (s *Service) Reserved(ctx context.Context, q store.Querier, ref string) ([]Allocation, error) {
	rows, err := q.QueryContext(ctx, `SELECT offer_id, SUM(quantity) FROM stock_reservations WHERE ref = $1 GROUP BY offer_id ORDER BY offer_id`, ref)
	if err != nil {
		return nil, fmt.Errorf("reservations of %s: %w", ref, err)
	}
	defer rows.Close()
	var held []Allocation
	for rows.Next() {
		var a Allocation
		if err := rows.Scan(&a.OfferID, &a.Quantity); err != nil {
			return nil, fmt.Errorf("reservations of %s: %w", ref, err)
		}
		held = append(held, a)
	}
	return held, rows.Err()
}

// inList returns the placeholders and arguments of an IN list of ids. Each is
// CAST: SQLite built with STAT4 (modernc's is) plans "col IN ($1, ...)" on an
// analyzed table from the values bound, and so parses and plans the statement
// again at every run with new values; a CAST hides them from the planner,
// which plans once (the index is used either way).
func inList(ids []int64) (string, []any) {
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i] = fmt.Sprintf("CAST($%d AS BIGINT)", i+1)
		args[i] = id
	}
	return strings.Join(ph, ", "), args
}

// skusOf returns the SKU of each variant id, or not_found naming a missing one.
func skusOf(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64]string, error) {
	ph, args := inList(ids)
	rows, err := tx.QueryContext(ctx, `SELECT id, sku FROM variants WHERE id IN (`+ph+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("look up variants: %w", err)
	}
	defer rows.Close()
	skus := make(map[int64]string, len(ids))
	for rows.Next() {
		var id int64
		var sku string
		if err := rows.Scan(&id, &sku); err != nil {
			return nil, fmt.Errorf("look up variants: %w", err)
		}
		skus[id] = sku
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("look up variants: %w", err)
	}
	for _, id := range ids {
		if _, ok := skus[id]; !ok {
			return nil, apperr.New(apperr.NotFound, "variant %d not found", id)
		}
	}
	return skus, nil
}
