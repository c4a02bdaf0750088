package inventory

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/store"
)

// OfferStock is one offer's line in a SKU's stock breakdown.
type OfferStock struct {
	OfferID        int64
	SupplierID     int64
	SupplierName   string
	SupplierSKU    string
	Priority       int
	OfferStatus    string // active or inactive
	SupplierStatus string // active or paused
	Sellable       bool   // the offer and its supplier are both active
	Reported       int
	ReportedAt     time.Time // zero if the supplier never reported
	Buffer         int
	BufferRule     BufferRule // which rule set Buffer
	// Stale says the supplier's feed is stale (in force), so StaleMode
	// applies; LastFeedAt is its newest report or feed run (zero: never).
	Stale      bool
	StaleMode  StaleMode
	LastFeedAt time.Time
	Reserved   int
	// Contribution is what this offer adds to ATS: max(0, reported − buffer −
	// reserved) when sellable, else 0.
	Contribution int
}

// SKUStock is the stock of one SKU with its per-offer breakdown.
type SKUStock struct {
	VariantID int64
	SKU       string
	Title     string
	ATS       int
	Buffer    Buffer // the SKU-level rule
	// MinQuantity is the SKU-level minimum quantity (0: none).
	MinQuantity int
	Offers      []OfferStock
}

// Stock returns the stock of one SKU, explained offer by offer (in priority order).
func (s *Service) Stock(ctx context.Context, sku string) (*SKUStock, error) {
	id, stored, err := variantBySKU(ctx, s.db.R, sku)
	if err != nil {
		return nil, err
	}
	out := &SKUStock{VariantID: id, SKU: stored}
	err = s.db.R.QueryRowContext(ctx, `SELECT CASE WHEN v.title = '' THEN p.title ELSE p.title || ' – ' || v.title END,
		`+skuRuleCols+`
		FROM variants v JOIN products p ON p.id = v.product_id`+skuRuleJoins("v.id")+` WHERE v.id = $1`, id).
		Scan(&out.Title, &out.Buffer.Units, &out.Buffer.Percent, &out.MinQuantity)
	if err != nil {
		return nil, fmt.Errorf("stock of %s: %w", stored, err)
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT o.id, o.supplier_id, su.name, o.supplier_sku, o.priority, o.status, su.status,
		COALESCE(sp.reported, 0), sp.reported_at, COALESCE(sp.buffer, 0), COALESCE(sp.reserved, 0), COALESCE(sp.available, 0),
		sp.offer_id IS NOT NULL, sr.last_feed_at, `+supplierRuleCols+`
		FROM supplier_offers o
		JOIN suppliers su ON su.id = o.supplier_id
		LEFT JOIN stock_positions sp ON sp.offer_id = o.id`+supplierRuleJoins("o.supplier_id")+`
		WHERE o.variant_id = $1 ORDER BY o.priority, o.id`, id)
	if err != nil {
		return nil, fmt.Errorf("stock of %s: %w", stored, err)
	}
	defer rows.Close()
	for rows.Next() {
		var o OfferStock
		var at, fed sql.NullTime
		var available int
		var sup SupplierRules
		var hasPosition bool
		dest := []any{&o.OfferID, &o.SupplierID, &o.SupplierName, &o.SupplierSKU, &o.Priority, &o.OfferStatus, &o.SupplierStatus,
			&o.Reported, &at, &o.Buffer, &o.Reserved, &available, &hasPosition, &fed}
		if err := rows.Scan(append(dest, supplierRuleDest(&sup)...)...); err != nil {
			return nil, fmt.Errorf("stock of %s: %w", stored, err)
		}
		o.ReportedAt, o.LastFeedAt = timeOf(at), timeOf(fed)
		o.Stale, o.StaleMode = sup.Stale, sup.StaleMode
		// The stored buffer is what reservations use; it always equals
		// EffectiveBuffer of the stored quantity. An offer never reported
		// has no position yet: show the buffer it would get.
		buffer, rule := EffectiveBuffer(o.Reported, sup, SKURules{Buffer: out.Buffer, MinQuantity: out.MinQuantity})
		o.BufferRule = rule
		if !hasPosition {
			o.Buffer = buffer
		}
		o.Sellable = o.OfferStatus == "active" && o.SupplierStatus == "active"
		if o.Sellable {
			o.Contribution = available
			out.ATS += available
		}
		out.Offers = append(out.Offers, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stock of %s: %w", stored, err)
	}
	return out, nil
}

// StockLine is one SKU in the stock list. Reported, Buffer and Reserved are
// summed over the sellable offers only, so ATS ≤ Reported − Buffer − Reserved
// whenever no offer is over-committed.
type StockLine struct {
	VariantID      int64
	SKU            string
	Title          string
	ATS            int
	Reported       int
	Buffer         int
	Reserved       int
	SellableOffers int
	// StaleOffers counts the sellable offers whose supplier's feed is
	// stale: their stock is excluded or buffered more (see Staleness).
	StaleOffers int
	SKUBuffer   Buffer
	LowStock    bool // ATS ≤ the threshold in force
}

// ListFilter selects SKUs for the stock list.
type ListFilter struct {
	Q          string // SKU prefix or words of the product/variant title
	SupplierID int64  // only SKUs this supplier has an offer for
	LowStock   bool   // only SKUs with ATS ≤ Threshold
	Stale      bool   // only SKUs with an active offer of a stale supplier
	Threshold  *int   // nil: the service's default
	AfterSKU   string // keyset: SKUs after this one
	Limit      int    // 1–200
}

// List returns one page of SKUs ordered by SKU, with their ATS, and whether
// there are more after it.
//
// ATS here is read from stock_levels, a per-variant column that triggers keep
// equal to the on-read sum in the same transaction as every change (the
// migration says why triggers). Computing ATS on read was measured first
// (BenchmarkLowStockList, 100k variants, one page of 50): fine while low SKUs
// are common (2–3 ms), but when few are low the page must sum the offers of
// the whole catalog: 0.4–0.8 s on SQLite, 0.4–1.0 s on PostgreSQL. From the
// maintained column with its (ats, variant_id) index every page takes under
// 3 ms on both. The price is the trigger on the reservation path: about
// 0.17 ms more per Reserve transaction on SQLite (0.37 → 0.55 ms,
// BenchmarkReserve), and on PostgreSQL a row version per change, which
// autovacuum reclaims.
//
// The low-stock page picks its plan from how many SKUs are low: up to
// lowStockSortLimit, it takes them from the ats index and sorts them by SKU;
// beyond that, low SKUs are dense enough that walking the SKU index and
// skipping the others fills a page quickly.
func (s *Service) List(ctx context.Context, f ListFilter) ([]StockLine, bool, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	threshold := s.lowStock
	if f.Threshold != nil {
		threshold = *f.Threshold
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	from := "variants v JOIN products p ON p.id = v.product_id JOIN stock_levels l ON l.variant_id = v.id"
	if f.LowStock {
		var low int
		err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM stock_levels WHERE ats <= $1 LIMIT $2) x`,
			threshold, lowStockSortLimit+1).Scan(&low)
		if err != nil {
			return nil, false, fmt.Errorf("count low stock: %w", err)
		}
		if low <= lowStockSortLimit {
			from = "low l JOIN variants v ON v.id = l.variant_id JOIN products p ON p.id = v.product_id"
			args = append(args, threshold)
		} else {
			// "+ 0" keeps the planner off the ats index: walk SKUs in order.
			where = append(where, "l.ats + 0 <= "+arg(threshold))
		}
	}
	if f.AfterSKU != "" {
		where = append(where, "v.sku > "+arg(f.AfterSKU))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		prefix := arg(store.LikePattern(normSKU(q)) + "%")
		words := arg("%" + store.LikePattern(q) + "%")
		il := s.db.Dialect.ILike()
		where = append(where, fmt.Sprintf(`(v.sku LIKE %s ESCAPE '\' OR v.title %s %s ESCAPE '\' OR p.title %s %s ESCAPE '\')`, prefix, il, words, il, words))
	}
	if f.SupplierID != 0 {
		where = append(where, "EXISTS (SELECT 1 FROM supplier_offers so WHERE so.variant_id = v.id AND so.supplier_id = "+arg(f.SupplierID)+")")
	}
	if f.Stale {
		// Stale suppliers are few: the subquery lists their offers' variants.
		where = append(where, `v.id IN (SELECT o.variant_id FROM supplier_stock_rules sr JOIN supplier_offers o ON o.supplier_id = sr.supplier_id
			JOIN suppliers su ON su.id = o.supplier_id WHERE sr.stale AND `+sellable+`)`)
	}
	query := `SELECT v.id, v.sku, CASE WHEN v.title = '' THEN p.title ELSE p.title || ' – ' || v.title END, l.ats FROM ` + from
	if strings.HasPrefix(from, "low ") {
		// MATERIALIZED makes both engines take the low SKUs from the index
		// first. Its threshold is $1 (added to args before the others).
		query = `WITH low AS MATERIALIZED (SELECT variant_id, ats FROM stock_levels WHERE ats <= $1) ` + query
	}
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY v.sku LIMIT " + arg(f.Limit+1)

	rows, err := s.db.R.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list stock: %w", err)
	}
	defer rows.Close()
	var lines []StockLine
	for rows.Next() {
		var l StockLine
		if err := rows.Scan(&l.VariantID, &l.SKU, &l.Title, &l.ATS); err != nil {
			return nil, false, fmt.Errorf("list stock: %w", err)
		}
		l.LowStock = l.ATS <= threshold
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list stock: %w", err)
	}
	more := len(lines) > f.Limit
	if more {
		lines = lines[:f.Limit]
	}
	if err := s.fillTotals(ctx, lines); err != nil {
		return nil, false, err
	}
	return lines, more, nil
}

// lowStockSortLimit is how many low SKUs List will fetch by the ats index and
// sort; above it, it walks the SKU index instead.
var lowStockSortLimit = 5000

// fillTotals adds the per-SKU sums and SKU buffers to one page of lines, in
// one query for the whole page.
func (s *Service) fillTotals(ctx context.Context, lines []StockLine) error {
	if len(lines) == 0 {
		return nil
	}
	byID := make(map[int64]*StockLine, len(lines))
	ph := make([]string, len(lines))
	args := make([]any, len(lines))
	for i := range lines {
		byID[lines[i].VariantID] = &lines[i]
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = lines[i].VariantID
	}
	in := strings.Join(ph, ", ")
	rows, err := s.db.R.QueryContext(ctx, `SELECT o.variant_id, COUNT(*), COALESCE(SUM(sp.reported), 0), COALESCE(SUM(sp.buffer), 0), COALESCE(SUM(sp.reserved), 0),
		COALESCE(SUM(CASE WHEN sr.stale THEN 1 ELSE 0 END), 0)
		FROM supplier_offers o JOIN suppliers su ON su.id = o.supplier_id
		LEFT JOIN stock_positions sp ON sp.offer_id = o.id
		LEFT JOIN supplier_stock_rules sr ON sr.supplier_id = o.supplier_id
		WHERE o.variant_id IN (`+in+`) AND `+sellable+` GROUP BY o.variant_id`, args...)
	if err != nil {
		return fmt.Errorf("stock totals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n, rep, buf, res, stale int
		if err := rows.Scan(&id, &n, &rep, &buf, &res, &stale); err != nil {
			return fmt.Errorf("stock totals: %w", err)
		}
		if l := byID[id]; l != nil {
			l.SellableOffers, l.Reported, l.Buffer, l.Reserved, l.StaleOffers = n, rep, buf, res, stale
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("stock totals: %w", err)
	}
	rows, err = s.db.R.QueryContext(ctx, `SELECT variant_id, units, percent_bp FROM variant_stock_buffers WHERE variant_id IN (`+in+`)`, args...)
	if err != nil {
		return fmt.Errorf("SKU buffers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var b Buffer
		if err := rows.Scan(&id, &b.Units, &b.Percent); err != nil {
			return fmt.Errorf("SKU buffers: %w", err)
		}
		if l := byID[id]; l != nil {
			l.SKUBuffer = b
		}
	}
	return rows.Err()
}
