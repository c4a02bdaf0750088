package inventory_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
)

// staleBenchOffers is the size of the supplier the flip benchmark flips.
const staleBenchOffers = 5000

// BenchmarkStaleFlip measures flipping a supplier with 5,000 reported offers
// stale (mode exclude, by RefreshStaleness) and fresh again (MarkReported):
// both recompute every position of the supplier in one transaction, and the
// stock_levels trigger fires for each. The floor is the same two changes as
// two bare set-based UPDATEs of the buffers (triggers included), in the same
// run. One op is one flip; ns/offer divides by the offers flipped.
func BenchmarkStaleFlip(b *testing.B) {
	benchEngines(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		f, clk := newClockFixture(b, db)
		sup := seedFlipSupplier(b, f, staleBenchOffers)
		if _, err := f.svc.SetStaleness(ctx, sup, inventory.Staleness{MaxAge: time.Hour, Mode: inventory.StaleExclude}); err != nil {
			b.Fatal(err)
		}
		perOffer := func(b *testing.B) {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/staleBenchOffers, "ns/offer")
		}
		b.Run("raw-update", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				set := "reported"
				if i%2 == 1 {
					set = "0"
				}
				err := db.InTx(ctx, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, `UPDATE stock_positions SET buffer = `+set+`
						WHERE offer_id IN (SELECT id FROM supplier_offers WHERE supplier_id = $1)`, sup)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			perOffer(b)
		})
		// Back to the buffers the rules say (fresh: 0).
		if _, err := db.W.ExecContext(ctx, `UPDATE stock_positions SET buffer = 0 WHERE offer_id IN (SELECT id FROM supplier_offers WHERE supplier_id = $1)`, sup); err != nil {
			b.Fatal(err)
		}
		b.Run("flip", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if i%2 == 0 {
					clk.advance(2 * time.Hour)
					c, err := f.svc.RefreshStaleness(ctx)
					if err != nil || len(c) != 1 || !c[0].Stale {
						b.Fatalf("flip stale: %+v, %v", c, err)
					}
					continue
				}
				if err := db.InTx(ctx, func(tx *sql.Tx) error { return f.svc.MarkReported(ctx, tx, sup, time.Time{}) }); err != nil {
					b.Fatal(err)
				}
			}
			perOffer(b)
		})
	})
}

// seedFlipSupplier makes a supplier with n offers, one per variant, each
// reported (10 to 59 units), and gathers planner statistics as autovacuum
// would (without them PostgreSQL scans every offer in each trigger call).
func seedFlipSupplier(b *testing.B, f *fixture, n int) int64 {
	b.Helper()
	ctx, db := context.Background(), f.db
	sup := f.supplier("active")
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			var p, v, o int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO products (title, status, created_at, updated_at) VALUES ($1, 'active', $2, $2) RETURNING id`,
				fmt.Sprintf("Flip %d-%d", sup, i), t0).Scan(&p); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO variants (product_id, sku, title, price_amount, price_currency, status, created_at, updated_at)
				VALUES ($1, $2, '', 1000, 'EUR', 'active', $3, $3) RETURNING id`, p, fmt.Sprintf("FLIP-%d-%d", sup, i), t0).Scan(&v); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency, lead_time_days, min_order_qty, priority, status, created_at, updated_at)
				VALUES ($1, $2, $3, 500, 'EUR', 3, 1, 1, 'active', $4, $4) RETURNING id`, sup, v, fmt.Sprintf("F-%d", i), t0).Scan(&o); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO stock_positions (offer_id, reported, reported_at, updated_at) VALUES ($1, $2, $3, $3)`,
				o, 10+i%50, t0); err != nil {
				return err
			}
		}
		return f.svc.MarkReported(ctx, tx, sup, t0)
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range []string{"variants", "supplier_offers", "stock_positions", "stock_levels", "supplier_stock_rules"} {
		if _, err := db.W.ExecContext(ctx, `ANALYZE `+t); err != nil {
			b.Fatal(err)
		}
	}
	return sup
}

// levelRefresh is stock_levels_refresh in each language: 00005 made it a SQL
// function, 00012 a PL/pgSQL one (the same statement).
var levelRefresh = map[string]string{
	"sql": `CREATE OR REPLACE FUNCTION stock_levels_refresh(v BIGINT) RETURNS void LANGUAGE sql AS $$
    UPDATE stock_levels SET ats = COALESCE((SELECT SUM(sp.available) FROM supplier_offers o
        JOIN suppliers su ON su.id = o.supplier_id JOIN stock_positions sp ON sp.offer_id = o.id
        WHERE o.variant_id = v AND o.status = 'active' AND su.status = 'active'), 0)
    WHERE variant_id = v
$$`,
	"plpgsql": `CREATE OR REPLACE FUNCTION stock_levels_refresh(v BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE stock_levels SET ats = COALESCE((SELECT SUM(sp.available) FROM supplier_offers o
        JOIN suppliers su ON su.id = o.supplier_id JOIN stock_positions sp ON sp.offer_id = o.id
        WHERE o.variant_id = v AND o.status = 'active' AND su.status = 'active'), 0)
    WHERE variant_id = v;
END
$$`,
}

// BenchmarkLevelRefresh (PostgreSQL) measures the stock_levels trigger per
// position: one UPDATE of the buffers of a supplier's 2,000 positions fires
// it 2,000 times (as a staleness flip does), with stock_levels_refresh as a
// SQL function (00005) and as a PL/pgSQL one (00012), in alternating rounds
// of the same run so that machine noise hits both alike.
func BenchmarkLevelRefresh(b *testing.B) {
	benchEngines(b, func(b *testing.B, db *store.DB) {
		if db.Engine != store.Postgres {
			b.Skip("PostgreSQL only: SQLite's triggers are inline statements")
		}
		const n = 2000
		ctx := context.Background()
		f := newFixture(b, db)
		sup := seedFlipSupplier(b, f, n)
		for round := range 3 {
			for _, lang := range []string{"sql", "plpgsql"} {
				if _, err := db.W.ExecContext(ctx, levelRefresh[lang]); err != nil {
					b.Fatal(err)
				}
				b.Run(fmt.Sprintf("%s/round-%d", lang, round+1), func(b *testing.B) {
					for i := 0; b.Loop(); i++ {
						_, err := db.W.ExecContext(ctx, `UPDATE stock_positions SET buffer = $2
							WHERE offer_id IN (SELECT id FROM supplier_offers WHERE supplier_id = $1)`, sup, i%2)
						if err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/position")
				})
			}
		}
	})
}
