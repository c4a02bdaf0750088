package bench

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/orderly-oms/orderly/internal/store"
)

// Catalog describes what Seed wrote.
type Catalog struct {
	SKUs []SKU
	// Suppliers are the supplier ids, in id order.
	Suppliers []int64
}

// SKU is one seeded variant and the offer its orders draw from (its
// priority-1 offer).
type SKU struct {
	SKU     string
	Variant int64
	Offer   int64
	Title   string // as an order line shows it: product — variant
	Price   int64  // minor units, EUR
}

// SeedOptions size the catalog.
type SeedOptions struct {
	// SKUs is the number of variants (10 per product). Default 100,000.
	SKUs int
	// Stock is what the priority-1 offer of each variant reports. Default 1,000,000.
	Stock int
	// SecondStock is what the priority-2 offer of every third variant
	// reports (default 5): ATS sums both, orders draw from the first.
	SecondStock int
	// Prefix starts every SKU (default "BENCH-"): SKU i is Prefix + 7 digits.
	Prefix string
	// At is the creation time of every row (default now).
	At time.Time
}

// BufferUnits is the safety buffer of the first supplier (a supplier rule,
// so its offers' positions hold buffer = BufferUnits): the seeded stock goes
// through the same ATS arithmetic as a real store's.
const BufferUnits = 5

// Seed writes a catalog into db, which must be migrated and hold no products:
// four active suppliers (the first with a safety buffer of BufferUnits),
// SKUs/10 products of 10 active variants each, one priority-1 offer per
// variant spread over the suppliers and a priority-2 offer for every third
// variant, and a stock position for every offer (reported, buffer).
//
// It uses set-based SQL (the catalog in one transaction, the stock in chunks
// after it), so 100k SKUs take seconds. The stock_levels triggers fire as for
// any other write, so ATS is maintained exactly as the application would
// have it; Seed checks it at the end.
func Seed(ctx context.Context, db *store.DB, o SeedOptions) (*Catalog, error) {
	if o.SKUs <= 0 {
		o.SKUs = 100_000
	}
	if o.Stock <= 0 {
		o.Stock = 1_000_000
	}
	if o.SecondStock <= 0 {
		o.SecondStock = 5
	}
	if o.Prefix == "" {
		o.Prefix = "BENCH-"
	}
	if o.At.IsZero() {
		o.At = time.Now()
	}
	at := o.At.UTC().Truncate(time.Microsecond)
	n := o.SKUs
	products := (n + 9) / 10
	seq := func(k int) string {
		return fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %d) `, k)
	}
	// Product and variant ids are offsets of the first new id, so Seed does
	// not assume the tables start at 1.
	var buffered, after int64 // the first supplier's id; the last variant id before the seed
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		var p0, s0 int64
		stmts := []struct {
			q    string
			args []any
		}{
			{`INSERT INTO suppliers (name, name_key, timezone, country, status, created_at, updated_at) VALUES
				(CAST($2 AS TEXT) || 'Lisboa', lower(CAST($2 AS TEXT)) || 'lisboa', 'Europe/Lisbon', 'PT', 'active', $1, $1),
				(CAST($2 AS TEXT) || 'Milano', lower(CAST($2 AS TEXT)) || 'milano', 'Europe/Rome', 'IT', 'active', $1, $1),
				(CAST($2 AS TEXT) || 'Shenzhen', lower(CAST($2 AS TEXT)) || 'shenzhen', 'Asia/Shanghai', 'CN', 'active', $1, $1),
				(CAST($2 AS TEXT) || 'Ohio', lower(CAST($2 AS TEXT)) || 'ohio', 'America/New_York', 'US', 'active', $1, $1)`, []any{at, o.Prefix}},
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
				return fmt.Errorf("seed suppliers: %w", err)
			}
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MIN(id), 0) FROM suppliers WHERE name LIKE CAST($1 AS TEXT) || '%'`, o.Prefix).Scan(&s0); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM products`).Scan(&p0); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		var v0 int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM variants`).Scan(&v0); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		sku := `CAST($2 AS TEXT) || substr('000000' || i, -7, 7)`
		if db.Engine == store.Postgres {
			sku = `CAST($2 AS TEXT) || lpad(i::text, 7, '0')`
		}
		more := []struct {
			what string
			q    string
			args []any
		}{
			{"products", seq(products) + `INSERT INTO products (title, vendor, status, created_at, updated_at)
				SELECT 'Bench product ' || i, 'Bench', 'active', $1, $1 FROM seq`, []any{at}},
			{"variants", seq(n) + `INSERT INTO variants (product_id, sku, title, price_amount, price_currency, status, created_at, updated_at)
				SELECT CAST($3 AS BIGINT) + (i - 1) / 10 + 1, ` + sku + `, 'Colour ' || (i % 10), 500 + (i % 50) * 100, 'EUR', 'active', $1, $1 FROM seq`,
				[]any{at, o.Prefix, p0}},
			{"offers", `INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency, lead_time_days,
				min_order_qty, priority, status, created_at, updated_at)
				SELECT CAST($2 AS BIGINT) + v.id % 4, v.id, 'A-' || v.id, 250, 'EUR', 3, 1, 1, 'active', $1, $1 FROM variants v WHERE v.id > CAST($3 AS BIGINT)`,
				[]any{at, s0, v0}},
			{"second offers", `INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency, lead_time_days,
				min_order_qty, priority, status, created_at, updated_at)
				SELECT CAST($2 AS BIGINT) + (v.id + 1) % 4, v.id, 'B-' || v.id, 300, 'EUR', 7, 1, 2, 'active', $1, $1 FROM variants v WHERE v.id > CAST($3 AS BIGINT) AND v.id % 3 = 0`,
				[]any{at, s0, v0}},
			{"buffer", `INSERT INTO supplier_stock_buffers (supplier_id, units, percent_bp, updated_at) VALUES ($2, $3, 0, $1)`,
				[]any{at, s0, BufferUnits}},
		}
		for _, s := range more {
			if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
				return fmt.Errorf("seed %s: %w", s.what, err)
			}
		}
		buffered, after = s0, v0
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := analyze(ctx, db, "suppliers", "products", "variants", "supplier_offers", "stock_levels"); err != nil {
		return nil, err
	}
	insertStock := `INSERT INTO stock_positions (offer_id, reported, reported_at, buffer, updated_at)
		SELECT o.id, CASE WHEN o.priority = 1 THEN CAST($2 AS INTEGER) ELSE CAST($3 AS INTEGER) END, $1,
			CASE WHEN o.supplier_id = CAST($4 AS BIGINT) THEN CAST($5 AS INTEGER) ELSE 0 END, $1
		FROM supplier_offers o WHERE o.variant_id > CAST($6 AS BIGINT)`
	stockArgs := []any{at, o.Stock, o.SecondStock, buffered, BufferUnits, after}
	if db.Engine == store.SQLite {
		// Each position fires the stock_levels trigger: 100k SKUs in seconds.
		if _, err := db.W.ExecContext(ctx, insertStock, stockArgs...); err != nil {
			return nil, fmt.Errorf("seed stock: %w", err)
		}
	} else {
		// On PostgreSQL the row trigger (a PL/pgSQL call and an UPDATE per
		// position) takes minutes for 100k SKUs, so in one transaction the
		// trigger is off for the insert and stock_levels is computed set-based
		// with the trigger's own formula; the trigger is on again before
		// commit. LoadCatalog checks every SKU's ATS afterwards.
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE stock_positions DISABLE TRIGGER stock_positions_level`); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, insertStock, stockArgs...); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `ALTER TABLE stock_positions ENABLE TRIGGER stock_positions_level`); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE stock_levels l SET ats = x.ats
				FROM (SELECT o.variant_id, SUM(sp.available) AS ats FROM supplier_offers o
					JOIN suppliers su ON su.id = o.supplier_id JOIN stock_positions sp ON sp.offer_id = o.id
					WHERE o.status = 'active' AND su.status = 'active' AND o.variant_id > $1 GROUP BY o.variant_id) x
				WHERE l.variant_id = x.variant_id`, after)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("seed stock: %w", err)
		}
	}
	if err := analyze(ctx, db, "stock_positions", "stock_levels"); err != nil {
		return nil, err
	}
	return LoadCatalog(ctx, db, o.Prefix)
}

// analyze refreshes the planner statistics of tables. On PostgreSQL it
// vacuums them too: the triggers' updates leave a dead stock_levels row
// version per variant, which VACUUM clears as autovacuum would. Only the
// tables named (in this schema): a bare VACUUM would walk the whole database.
func analyze(ctx context.Context, db *store.DB, tables ...string) error {
	for _, t := range tables {
		q := `ANALYZE ` + t
		if db.Engine == store.Postgres {
			q = `VACUUM ANALYZE ` + t
		}
		if _, err := db.W.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("seed: %s: %w", q, err)
		}
	}
	return nil
}

// LoadCatalog reads back the SKUs whose code starts with prefix, with their
// priority-1 offer, and checks that the maintained ATS of each is what its
// positions say.
func LoadCatalog(ctx context.Context, db *store.DB, prefix string) (*Catalog, error) {
	c := &Catalog{}
	rows, err := db.R.QueryContext(ctx, `SELECT v.id, v.sku, p.title || CASE WHEN v.title = '' THEN '' ELSE ' — ' || v.title END,
		v.price_amount, o.id
		FROM variants v JOIN products p ON p.id = v.product_id
		JOIN supplier_offers o ON o.variant_id = v.id AND o.priority = 1
		WHERE v.sku LIKE CAST($1 AS TEXT) || '%' ORDER BY v.id`, prefix)
	if err != nil {
		return nil, fmt.Errorf("read bench catalog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s SKU
		if err := rows.Scan(&s.Variant, &s.SKU, &s.Title, &s.Price, &s.Offer); err != nil {
			return nil, fmt.Errorf("read bench catalog: %w", err)
		}
		c.SKUs = append(c.SKUs, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read bench catalog: %w", err)
	}
	if len(c.SKUs) == 0 {
		return nil, fmt.Errorf("read bench catalog: no SKU starts with %q", prefix)
	}
	sup, err := db.R.QueryContext(ctx, `SELECT id FROM suppliers WHERE name LIKE CAST($1 AS TEXT) || '%' ORDER BY id`, prefix)
	if err != nil {
		return nil, fmt.Errorf("read bench suppliers: %w", err)
	}
	defer sup.Close()
	for sup.Next() {
		var id int64
		if err := sup.Scan(&id); err != nil {
			return nil, fmt.Errorf("read bench suppliers: %w", err)
		}
		c.Suppliers = append(c.Suppliers, id)
	}
	if err := sup.Err(); err != nil {
		return nil, err
	}
	// The triggers must have kept stock_levels equal to the sum of the
	// sellable positions: a seed that bypassed them would make every ATS
	// figure (and the low-stock filter) wrong.
	var bad int
	err = db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM stock_levels l JOIN variants v ON v.id = l.variant_id
		WHERE v.sku LIKE CAST($1 AS TEXT) || '%' AND l.ats <> COALESCE((SELECT SUM(sp.available) FROM supplier_offers o
			JOIN suppliers su ON su.id = o.supplier_id JOIN stock_positions sp ON sp.offer_id = o.id
			WHERE o.variant_id = v.id AND o.status = 'active' AND su.status = 'active'), 0)`,
		prefix).Scan(&bad)
	if err != nil {
		return nil, fmt.Errorf("check bench ATS: %w", err)
	}
	if bad != 0 {
		return nil, fmt.Errorf("check bench ATS: %d SKUs have stock_levels.ats out of step with their positions", bad)
	}
	return c, nil
}
