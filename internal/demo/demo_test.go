package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/demo"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

func clock() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

func TestLoad(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sum, err := demo.Load(ctx, db, clock)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Products != 150 || sum.Variants != 300 || sum.Suppliers != 4 || sum.Users != len(demo.Logins) {
			t.Errorf("summary = %+v", sum)
		}
		if sum.TwoSupplierSKUs < 20 || sum.Offers != sum.Variants+sum.TwoSupplierSKUs {
			t.Errorf("offers: %+v", sum)
		}
		count := func(query string) int {
			var n int
			if err := db.R.QueryRowContext(ctx, query).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(`SELECT COUNT(*) FROM variants`); n != 300 {
			t.Errorf("variants in db = %d", n)
		}
		if n := count(`SELECT COUNT(DISTINCT country) FROM suppliers`); n != 4 {
			t.Errorf("supplier countries = %d", n)
		}
		if n := count(`SELECT COUNT(*) FROM (SELECT variant_id FROM supplier_offers GROUP BY variant_id HAVING COUNT(*) = 2) t`); n != sum.TwoSupplierSKUs {
			t.Errorf("SKUs with two offers = %d, want %d", n, sum.TwoSupplierSKUs)
		}

		// The documented first SKU exists, has stock and its own buffer.
		v, err := catalog.NewService(db, clock).VariantBySKU(ctx, demo.FirstSKU)
		if err != nil {
			t.Fatal(err)
		}
		if v.ProductTitle != "White Hanging Heart T-Light Holder" || v.Price.Currency != "GBP" {
			t.Errorf("first variant = %+v", v)
		}
		offers, err := suppliers.NewService(db, clock).ListOffers(ctx, suppliers.OfferFilter{SKU: demo.FirstSKU})
		if err != nil || len(offers) == 0 {
			t.Fatalf("offers of %s: %v, %v", demo.FirstSKU, offers, err)
		}
		inv := inventory.New(db, clock, inventory.Options{})
		b, err := inv.SKUBuffer(ctx, demo.FirstSKU)
		if err != nil || b.Units != 5 {
			t.Errorf("buffer of %s = %+v, %v", demo.FirstSKU, b, err)
		}
		if n := count(`SELECT COUNT(*) FROM stock_positions`); n != sum.Offers {
			t.Errorf("stock positions = %d, want one per offer (%d)", n, sum.Offers)
		}

		t.Logf("demo store: %+v", sum)
		// Costs are in the prices' currency, so pricing can price every SKU;
		// the demo rule proposed prices for its collection.
		if n := count(`SELECT COUNT(*) FROM supplier_offers o JOIN variants v ON v.id = o.variant_id WHERE o.cost_currency <> v.price_currency`); n != 0 {
			t.Errorf("%d offers cost in another currency than their SKU's price", n)
		}
		if n := count(`SELECT COUNT(*) FROM price_proposals WHERE status = 'open'`); sum.Proposals == 0 || n != sum.Proposals {
			t.Errorf("open price proposals = %d, summary says %d; want some", n, sum.Proposals)
		}
		// Some proposals raise prices and some lower them.
		if up, down := count(`SELECT COUNT(*) FROM price_proposals WHERE new_amount > old_amount`),
			count(`SELECT COUNT(*) FROM price_proposals WHERE new_amount < old_amount`); up == 0 || down == 0 {
			t.Errorf("proposals: %d up, %d down; want both", up, down)
		}
		if n := count(`SELECT COUNT(*) FROM pricing_rules WHERE scope = 'collection' AND tag = '` + demo.PricingTag + `'`); n != 1 {
			t.Errorf("demo pricing rules = %d", n)
		}

		// Every demo login works with the documented password.
		users := auth.NewService(db, clock)
		for _, l := range demo.Logins {
			u, err := users.Login(ctx, l.Email, l.Password)
			if err != nil || u.Role != l.Role {
				t.Errorf("login %s: %+v, %v", l.Email, u, err)
			}
		}

		// Deterministic: the same seed gives the same store.
		again := storetest.Open(t, db.Engine)
		sum2, err := demo.Load(ctx, again, clock)
		if err != nil || sum2 != sum {
			t.Errorf("second store = %+v, %v; want %+v", sum2, err, sum)
		}

		if _, err := demo.Load(ctx, db, clock); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("second Load on the same database: %v, want a conflict", err)
		}
	})
}
