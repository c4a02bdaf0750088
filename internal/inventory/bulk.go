package inventory

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
)

// BulkReport is one offer's newly reported quantity in a bulk report.
type BulkReport struct {
	OfferID  int64
	Quantity int
}

// BulkInput is a batch of supplier reports written together (a feed run's
// batch).
type BulkInput struct {
	// Reports name distinct offers. Reports that equal the current quantity
	// write nothing.
	Reports []BulkReport
	// At is when the supplier reported (zero: now).
	At time.Time
	// Actor is who passed the reports on, e.g. "feed:42".
	Actor string
	// Reason is recorded on every adjustment ("reported by supplier" if empty).
	Reason string
	// Waiting, if set, says which of the given variants have units waiting
	// for stock (the lines the restock hook serves). The hook is then called
	// only for increased variants it returns, in the same transaction; when
	// nil, the hook is called for every increase, as ReportTx does. It saves
	// a hook call (several queries) per increased SKU of a large feed.
	Waiting func(ctx context.Context, tx *sql.Tx, variantIDs []int64) ([]int64, error)
}

// BulkChange is one position a bulk report changed.
type BulkChange struct {
	OfferID   int64
	VariantID int64
	Before    int
	After     int
	// Increase is what the restock hook was offered for this change (0 or
	// less: not called): the reported increase, or what the change added to
	// ATS when that was more.
	Increase int
}

// bulkChunk bounds the rows of one statement: 500 adjustments of 9
// parameters stay far below both engines' limits on parameters.
const bulkChunk = 500

// ReportBulk is ReportTx for many offers at once, inside the caller's
// transaction, with the same invariants: a position the supplier never
// reported counts as 0 and is created with its figures, an existing one is
// locked (PostgreSQL, in offer id order like
// reservations), its buffer recomputed with EffectiveBuffer from the
// supplier's and the SKU's rules, its stock_levels row kept by the triggers,
// a stock_adjustments row (kind report) recorded, and the restock hook called
// for every increase. Unlike ReportTx, a report equal to the current
// quantity writes nothing: a feed writes only what changed. It returns the
// positions it changed, in offer id order.
//
// It takes a few statements per 500 offers instead of several per offer.
func (s *Service) ReportBulk(ctx context.Context, tx *sql.Tx, in BulkInput) ([]BulkChange, error) {
	at := in.At
	if at.IsZero() {
		at = s.clock()
	}
	if at.After(s.clock().Add(time.Hour)) {
		return nil, apperr.InvalidField("reported_at", "must not be in the future, got %s", at.UTC().Format(time.RFC3339))
	}
	at = at.UTC().Truncate(time.Microsecond)
	reason := in.Reason
	if reason == "" {
		reason = "reported by supplier"
	}
	reports := slices.Clone(in.Reports)
	slices.SortFunc(reports, func(a, b BulkReport) int { return cmpInt64(a.OfferID, b.OfferID) })
	for i, r := range reports {
		if err := checkQuantity(fmt.Sprintf("reports[%d].quantity", i), r.Quantity); err != nil {
			return nil, err
		}
		if i > 0 && reports[i-1].OfferID == r.OfferID {
			return nil, apperr.InvalidField(fmt.Sprintf("reports[%d].offer_id", i), "offer %d is reported twice", r.OfferID)
		}
	}
	var out []BulkChange
	for start := 0; start < len(reports); start += bulkChunk {
		chunk := reports[start:min(start+bulkChunk, len(reports))]
		changed, err := s.reportChunk(ctx, tx, chunk, at, in.Actor, reason)
		if err != nil {
			return nil, err
		}
		out = append(out, changed...)
	}
	if s.restock == nil {
		return out, nil
	}
	var increased []int64
	delta := map[int64]int{}
	for _, c := range out {
		if c.Increase > 0 {
			if _, ok := delta[c.VariantID]; !ok {
				increased = append(increased, c.VariantID)
			}
			delta[c.VariantID] += c.Increase
		}
	}
	if len(increased) == 0 {
		return out, nil
	}
	serve := increased
	if in.Waiting != nil {
		waiting, err := in.Waiting(ctx, tx, increased)
		if err != nil {
			return nil, fmt.Errorf("variants waiting for stock: %w", err)
		}
		set := make(map[int64]bool, len(waiting))
		for _, v := range waiting {
			set[v] = true
		}
		serve = serve[:0:0]
		for _, v := range increased {
			if set[v] {
				serve = append(serve, v)
			}
		}
	}
	for _, v := range serve {
		if err := s.restock(ctx, tx, v, delta[v]); err != nil {
			return nil, fmt.Errorf("fill backorders of variant %d: %w", v, err)
		}
	}
	return out, nil
}

// reportChunk applies up to bulkChunk reports (sorted by offer id).
func (s *Service) reportChunk(ctx context.Context, tx *sql.Tx, reports []BulkReport, at time.Time, actor, reason string) ([]BulkChange, error) {
	now := s.clock()
	ids := make([]int64, len(reports))
	for i, r := range reports {
		ids[i] = r.OfferID
	}
	ph, args := inList(ids)
	// The suppliers' feed time first, before locking positions, as in
	// changeReported: a flip to fresh locks all of a supplier's positions.
	srows, err := tx.QueryContext(ctx, s.numbered(`SELECT DISTINCT supplier_id FROM supplier_offers WHERE id IN (`+ph+`) ORDER BY supplier_id`), args...)
	if err != nil {
		return nil, fmt.Errorf("bulk report: suppliers: %w", err)
	}
	var sups []int64
	for srows.Next() {
		var id int64
		if err := srows.Scan(&id); err != nil {
			srows.Close()
			return nil, fmt.Errorf("bulk report: suppliers: %w", err)
		}
		sups = append(sups, id)
	}
	srows.Close()
	if err := srows.Err(); err != nil {
		return nil, fmt.Errorf("bulk report: suppliers: %w", err)
	}
	for _, id := range sups {
		if err := s.MarkReported(ctx, tx, id, at); err != nil {
			return nil, err
		}
	}
	// Lock the positions that exist, in offer id order.
	rows, err := tx.QueryContext(ctx, s.numbered(`SELECT sp.offer_id, o.variant_id, o.supplier_id, sp.reported, sp.buffer, sp.reserved,
		CASE WHEN `+sellable+` THEN 1 ELSE 0 END
		FROM stock_positions sp JOIN supplier_offers o ON o.id = sp.offer_id JOIN suppliers su ON su.id = o.supplier_id
		WHERE sp.offer_id IN (`+ph+`) ORDER BY sp.offer_id`+s.forUpdate("sp")), args...)
	if err != nil {
		return nil, fmt.Errorf("bulk report: read positions: %w", err)
	}
	type position struct {
		variant, supplier          int64
		reported, buffer, reserved int
		sellable                   bool
		fresh                      bool // no position yet: it is inserted with its figures
	}
	pos := make(map[int64]position, len(reports))
	for rows.Next() {
		var id int64
		var p position
		if err := rows.Scan(&id, &p.variant, &p.supplier, &p.reported, &p.buffer, &p.reserved, &p.sellable); err != nil {
			rows.Close()
			return nil, fmt.Errorf("bulk report: read positions: %w", err)
		}
		pos[id] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("bulk report: read positions: %w", err)
	}
	// Offers never reported have no position: they count as 0 (as in
	// changeReported) and get one written with their figures at once, which
	// fires the stock_levels trigger once instead of twice.
	var fresh []int64
	for _, r := range reports {
		if _, ok := pos[r.OfferID]; !ok && r.Quantity > 0 {
			fresh = append(fresh, r.OfferID)
		}
	}
	if len(fresh) > 0 {
		fph, fargs := inList(fresh)
		rows, err := tx.QueryContext(ctx, s.numbered(`SELECT o.id, o.variant_id, o.supplier_id, CASE WHEN `+sellable+` THEN 1 ELSE 0 END
			FROM supplier_offers o JOIN suppliers su ON su.id = o.supplier_id WHERE o.id IN (`+fph+`)`), fargs...)
		if err != nil {
			return nil, fmt.Errorf("bulk report: read offers: %w", err)
		}
		for rows.Next() {
			var id int64
			p := position{fresh: true}
			if err := rows.Scan(&id, &p.variant, &p.supplier, &p.sellable); err != nil {
				rows.Close()
				return nil, fmt.Errorf("bulk report: read offers: %w", err)
			}
			pos[id] = p
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("bulk report: read offers: %w", err)
		}
	}
	var changed []BulkChange
	var supplierIDs, variantIDs []int64
	for _, r := range reports {
		p, ok := pos[r.OfferID]
		if !ok && r.Quantity == 0 {
			continue // never reported, and 0: nothing changes
		}
		if !ok {
			return nil, errUnknownOffer(r.OfferID)
		}
		if p.reported == r.Quantity {
			continue
		}
		changed = append(changed, BulkChange{OfferID: r.OfferID, VariantID: p.variant, Before: p.reported, After: r.Quantity})
		supplierIDs = append(supplierIDs, p.supplier)
		variantIDs = append(variantIDs, p.variant)
	}
	if len(changed) == 0 {
		return nil, nil
	}
	sup, sku, err := rulesOfMany(ctx, tx, supplierIDs, variantIDs)
	if err != nil {
		return nil, err
	}
	buffers := make(map[int64]int, len(changed))
	var inserts []positionRow
	for i := range changed {
		c := &changed[i]
		p := pos[c.OfferID]
		buffer, _ := EffectiveBuffer(c.After, sup[p.supplier], sku[p.variant])
		buffers[c.OfferID] = buffer
		// The restock budget, as in changeReported: the reported increase,
		// or what the change adds to ATS when that is more (a report that
		// crosses a minimum quantity frees more than its delta).
		c.Increase = c.After - c.Before
		if p.sellable {
			c.Increase = max(c.Increase, available(c.After, buffer, p.reserved)-available(c.Before, p.buffer, p.reserved))
		}
		if p.fresh {
			inserts = append(inserts, positionRow{offer: c.OfferID, reported: c.After, buffer: buffer})
		}
	}
	w := bulkWriter{s: s, tx: tx, at: at, now: now, actor: actor, reason: reason}
	// A position someone else wrote since the lock query (PostgreSQL; SQLite
	// has one writer) is not inserted: it is reported again below, as an
	// existing one.
	inserted, err := w.insertPositions(ctx, inserts)
	if err != nil {
		return nil, err
	}
	var updates []positionRow
	var written []BulkChange
	var again []BulkReport
	for _, c := range changed {
		if pos[c.OfferID].fresh {
			if !inserted[c.OfferID] {
				again = append(again, BulkReport{OfferID: c.OfferID, Quantity: c.After})
				continue
			}
		} else {
			updates = append(updates, positionRow{offer: c.OfferID, reported: c.After, buffer: buffers[c.OfferID]})
		}
		written = append(written, c)
	}
	if err := w.updatePositions(ctx, updates); err != nil {
		return nil, err
	}
	if err := w.recordAdjustments(ctx, written); err != nil {
		return nil, err
	}
	if len(again) > 0 {
		more, err := s.reportChunk(ctx, tx, again, at, actor, reason)
		if err != nil {
			return nil, err
		}
		written = append(written, more...)
		slices.SortFunc(written, func(a, b BulkChange) int { return cmpInt64(a.OfferID, b.OfferID) })
	}
	return written, nil
}

// positionRow is a position's new reported quantity and buffer.
type positionRow struct {
	offer            int64
	reported, buffer int
}

// bulkWriter writes a chunk's positions and adjustments. On PostgreSQL it
// sends one multi-row statement per kind (each statement is a round trip).
// On SQLite it runs a one-row statement prepared once per chunk: SQLite parses
// a statement every time it runs, and parsing and planning a 500-row VALUES
// statement costs several times more than running a prepared one-row
// statement 500 times (measured with modernc.org/sqlite: 20-58 us a row
// against 5.6 us, see docs/performance.md).
type bulkWriter struct {
	s             *Service
	tx            *sql.Tx
	at, now       time.Time
	actor, reason string
}

// insertPositions inserts never-reported positions with their figures and
// returns the offers it inserted.
func (w bulkWriter) insertPositions(ctx context.Context, rows []positionRow) (map[int64]bool, error) {
	inserted := make(map[int64]bool, len(rows))
	if len(rows) == 0 {
		return inserted, nil
	}
	const one = `INSERT INTO stock_positions (offer_id, reported, buffer, reported_at, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (offer_id) DO NOTHING`
	if w.s.db.Engine == store.SQLite {
		st, err := w.tx.PrepareContext(ctx, one)
		if err != nil {
			return nil, fmt.Errorf("bulk report: insert positions: %w", err)
		}
		defer st.Close()
		for _, r := range rows {
			res, err := st.ExecContext(ctx, r.offer, r.reported, r.buffer, w.at, w.now)
			if err != nil {
				return nil, fmt.Errorf("bulk report: insert position of offer %d: %w", r.offer, err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				inserted[r.offer] = true
			}
		}
		return inserted, nil
	}
	var ins strings.Builder
	args := []any{w.at, w.now}
	for i, r := range rows {
		if i > 0 {
			ins.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&ins, "($%d, $%d, $%d, $1, $2)", n+1, n+2, n+3)
		args = append(args, r.offer, r.reported, r.buffer)
	}
	res, err := w.tx.QueryContext(ctx, `INSERT INTO stock_positions (offer_id, reported, buffer, reported_at, updated_at)
		VALUES `+ins.String()+` ON CONFLICT (offer_id) DO NOTHING RETURNING offer_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("bulk report: insert positions: %w", err)
	}
	defer res.Close()
	for res.Next() {
		var id int64
		if err := res.Scan(&id); err != nil {
			return nil, fmt.Errorf("bulk report: insert positions: %w", err)
		}
		inserted[id] = true
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("bulk report: insert positions: %w", err)
	}
	return inserted, nil
}

// updatePositions writes the new reported quantity and buffer of existing
// positions (their stock_levels trigger fires).
func (w bulkWriter) updatePositions(ctx context.Context, rows []positionRow) error {
	if len(rows) == 0 {
		return nil
	}
	if w.s.db.Engine == store.SQLite {
		st, err := w.tx.PrepareContext(ctx, `UPDATE stock_positions SET reported = $1, buffer = $2, reported_at = $3, updated_at = $4
			WHERE offer_id = $5`)
		if err != nil {
			return fmt.Errorf("bulk report: update positions: %w", err)
		}
		defer st.Close()
		for _, r := range rows {
			if _, err := st.ExecContext(ctx, r.reported, r.buffer, w.at, w.now, r.offer); err != nil {
				return fmt.Errorf("bulk report: update position of offer %d: %w", r.offer, err)
			}
		}
		return nil
	}
	var upd strings.Builder
	args := make([]any, 0, 3*len(rows)+2)
	args = append(args, w.at, w.now)
	for i, r := range rows {
		if i > 0 {
			upd.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&upd, "(CAST($%d AS BIGINT), CAST($%d AS INTEGER), CAST($%d AS INTEGER))", n+1, n+2, n+3)
		args = append(args, r.offer, r.reported, r.buffer)
	}
	// VALUES columns are column1.. on both engines.
	if _, err := w.tx.ExecContext(ctx, `UPDATE stock_positions SET reported = v.column2, buffer = v.column3,
		reported_at = $1, updated_at = $2 FROM (VALUES `+upd.String()+`) AS v WHERE stock_positions.offer_id = v.column1`, args...); err != nil {
		return fmt.Errorf("bulk report: update positions: %w", err)
	}
	return nil
}

// recordAdjustments writes one stock_adjustments row (kind report) per change.
func (w bulkWriter) recordAdjustments(ctx context.Context, changes []BulkChange) error {
	if len(changes) == 0 {
		return nil
	}
	if w.s.db.Engine == store.SQLite {
		st, err := w.tx.PrepareContext(ctx, `INSERT INTO stock_adjustments (offer_id, variant_id, kind, before_qty, after_qty, delta, reason, actor, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`)
		if err != nil {
			return fmt.Errorf("bulk report: record adjustments: %w", err)
		}
		defer st.Close()
		for _, c := range changes {
			if _, err := st.ExecContext(ctx, c.OfferID, c.VariantID, KindReport, c.Before, c.After, c.After-c.Before, w.reason, w.actor, w.now); err != nil {
				return fmt.Errorf("bulk report: record adjustment of offer %d: %w", c.OfferID, err)
			}
		}
		return nil
	}
	var adj strings.Builder
	args := make([]any, 0, 5*len(changes)+4)
	args = append(args, w.reason, w.actor, w.now, KindReport)
	for i, c := range changes {
		if i > 0 {
			adj.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&adj, "($%d, $%d, $4, $%d, $%d, $%d, $1, $2, $3)", n+1, n+2, n+3, n+4, n+5)
		args = append(args, c.OfferID, c.VariantID, c.Before, c.After, c.After-c.Before)
	}
	if _, err := w.tx.ExecContext(ctx, `INSERT INTO stock_adjustments (offer_id, variant_id, kind, before_qty, after_qty, delta, reason, actor, created_at)
		VALUES `+adj.String(), args...); err != nil {
		return fmt.Errorf("bulk report: record adjustments: %w", err)
	}
	return nil
}

// numbered rewrites the $N placeholders of a statement with many of them as
// ?N for SQLite, which takes $N for a named parameter and finds each name
// by a linear search when preparing: a statement of 5,000 parameters spent
// most of a bulk report's time in the parser. ?N is a plain index.
func (s *Service) numbered(q string) string {
	if s.db.Engine != store.SQLite {
		return q
	}
	return strings.ReplaceAll(q, "$", "?") // these statements hold no other $
}
