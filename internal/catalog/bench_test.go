package catalog_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// seedCatalog fills db with n variants, four per product: every 100th
// product is tagged "rare", every product "common"; every 10th variant has an
// offer from supplier 1. It writes rows directly, in one transaction, because
// the point is to measure reads.
func seedCatalog(b *testing.B, db *store.DB, n int) {
	b.Helper()
	ctx := context.Background()
	now := fixedNow
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		var supplierID int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO suppliers (name, name_key, timezone, country, status, created_at, updated_at)
			VALUES ('Bench', 'bench', 'UTC', 'GB', 'active', $1, $1) RETURNING id`, now).Scan(&supplierID); err != nil {
			return err
		}
		product, err := tx.PrepareContext(ctx, `INSERT INTO products (title, status, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id`)
		if err != nil {
			return err
		}
		tag, err := tx.PrepareContext(ctx, `INSERT INTO product_tags (product_id, tag) VALUES ($1, $2)`)
		if err != nil {
			return err
		}
		variant, err := tx.PrepareContext(ctx, `INSERT INTO variants (product_id, sku, title, options, price_amount, price_currency,
			weight_grams, status, created_at, updated_at) VALUES ($1, $2, $3, '[]', 995, 'GBP', 250, $4, $5, $5) RETURNING id`)
		if err != nil {
			return err
		}
		offer, err := tx.PrepareContext(ctx, `INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency,
			lead_time_days, min_order_qty, priority, status, created_at, updated_at) VALUES ($1, $2, $3, 300, 'GBP', 3, 1, 100, 'active', $4, $4)`)
		if err != nil {
			return err
		}
		statuses := []string{"active", "active", "active", "draft", "archived"}
		for p := 0; p < n/4; p++ {
			var pid int64
			title := fmt.Sprintf("Product %06d Red Retrospot", p)
			if err := product.QueryRowContext(ctx, title, statuses[p%len(statuses)], now).Scan(&pid); err != nil {
				return err
			}
			if _, err := tag.ExecContext(ctx, pid, "common"); err != nil {
				return err
			}
			if p%100 == 0 {
				if _, err := tag.ExecContext(ctx, pid, "rare"); err != nil {
					return err
				}
			}
			for v := 0; v < 4; v++ {
				i := p*4 + v
				var vid int64
				if err := variant.QueryRowContext(ctx, pid, fmt.Sprintf("SKU-%06d", i), fmt.Sprintf("Size %d", v),
					statuses[i%len(statuses)], now).Scan(&vid); err != nil {
					return err
				}
				if i%10 == 0 {
					if _, err := offer.ExecContext(ctx, supplierID, vid, fmt.Sprintf("SUP-%06d", i), now); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("seed %d variants: %v", n, err)
	}
	if _, err := db.W.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatalf("analyze: %v", err)
	}
}

// BenchmarkListVariants measures one 50-item page of the variant list on a
// SQLite catalog of 10k and 100k variants, for each filter the API offers.
// "baseline" is the raw keyset query on the primary key alone, measured in
// the same run, so results can be read as ratios on a noisy machine.
func BenchmarkListVariants(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("variants=%d", n), func(b *testing.B) {
			db := storetest.Open(b, store.SQLite)
			seedCatalog(b, db, n)
			svc := catalog.NewService(db, clock)
			ctx := context.Background()
			b.Run("baseline", func(b *testing.B) {
				for b.Loop() {
					rows, err := db.R.QueryContext(ctx, `SELECT id FROM variants WHERE id > $1 ORDER BY id LIMIT 50`, n/2)
					if err != nil {
						b.Fatal(err)
					}
					for rows.Next() {
					}
					rows.Close()
				}
			})
			cases := []struct {
				name string
				f    catalog.Filter
			}{
				{"first-page", catalog.Filter{}},
				{"deep-page", catalog.Filter{After: int64(n / 2)}},
				{"status", catalog.Filter{Status: catalog.StatusDraft}},
				{"tag-common", catalog.Filter{Tag: "common"}},
				{"tag-rare", catalog.Filter{Tag: "rare"}},
				{"supplier", catalog.Filter{SupplierID: 1}},
				{"sku-prefix", catalog.Filter{Query: fmt.Sprintf("sku-%04d", n/200)}},
				{"title-substring", catalog.Filter{Query: "retrospot"}},
				{"title-rare", catalog.Filter{Query: fmt.Sprintf("%06d red", n/4-1)}},
			}
			for _, c := range cases {
				c.f.Limit = 51 // the API asks for one more to know whether a next page exists
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						vs, err := svc.ListVariants(ctx, c.f)
						if err != nil {
							b.Fatal(err)
						}
						if len(vs) == 0 {
							b.Fatalf("%s: no variants", c.name)
						}
					}
				})
			}
		})
	}
}
