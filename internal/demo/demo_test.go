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
	"github.com/orderly-oms/orderly/internal/purchasing"
	"github.com/orderly-oms/orderly/internal/routing"
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

		// Every supplier has a user of its own for the supplier console.
		if n := count(`SELECT COUNT(DISTINCT supplier_id) FROM users WHERE role = 'supplier'`); n != sum.Suppliers {
			t.Errorf("suppliers with a supplier user = %d, want %d", n, sum.Suppliers)
		}
		checkFulfilment(t, db)

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

// checkFulfilment: the email supplier receives POs by email in Italian, the
// others in the console, all at once with 24 hours to answer; orders to Italy
// prefer the email supplier; the SKU the README orders is offered by the
// email supplier alone, with stock; its supplier user logs in to its supplier.
func checkFulfilment(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	var emailID int64
	if err := db.R.QueryRowContext(ctx, `SELECT id FROM suppliers WHERE name = $1`, demo.EmailSupplier).Scan(&emailID); err != nil {
		t.Fatalf("email supplier %q: %v", demo.EmailSupplier, err)
	}
	po := purchasing.New(db, clock, purchasing.Options{})
	channels := map[purchasing.Channel]int{}
	for _, id := range []int64{1, 2, 3, 4} {
		f, err := po.Fulfilment(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		channels[f.Channel]++
		if f.Default || f.Batch != purchasing.BatchImmediate || f.AckSLAMinutes != 24*60 || f.ShippingEstimate.Currency != "GBP" {
			t.Errorf("fulfilment of supplier %d = %+v", id, f)
		}
		if id == emailID && (f.Channel != purchasing.ChannelEmail || f.EmailTo != demo.EmailSupplierTo || f.Locale != "it") {
			t.Errorf("the email supplier's fulfilment = %+v", f)
		}
	}
	if channels[purchasing.ChannelEmail] != 1 || channels[purchasing.ChannelConsole] != 3 {
		t.Errorf("channels = %v, want one email and three console", channels)
	}

	rs := routing.NewService(db, clock)
	st, err := rs.Settings(ctx)
	if err != nil || st.DefaultStrategy != routing.LowestCost || st.MaxParts != 2 {
		t.Errorf("routing settings = %+v, %v", st, err)
	}
	rules, err := rs.Rules(ctx)
	if err != nil || len(rules) != 2 {
		t.Fatalf("routing rules = %+v, %v", rules, err)
	}
	if r := rules[0]; !r.Enabled || r.Strategy != routing.Priority || len(r.Conditions.Countries) != 1 || r.Conditions.Countries[0] != "IT" ||
		len(r.Suppliers) != 1 || r.Suppliers[0] != emailID {
		t.Errorf("first rule = %+v, want Italy to the email supplier first", r)
	}

	offers, err := suppliers.NewService(db, clock).ListOffers(ctx, suppliers.OfferFilter{SKU: demo.EmailSupplierSKU})
	if err != nil || len(offers) != 1 || offers[0].SupplierID != emailID {
		t.Fatalf("offers of %s = %+v, %v; want one, of the email supplier", demo.EmailSupplierSKU, offers, err)
	}
	var reported int
	if err := db.R.QueryRowContext(ctx, `SELECT reported FROM stock_positions WHERE offer_id = $1`, offers[0].ID).Scan(&reported); err != nil || reported < 20 {
		t.Errorf("stock of %s = %d, %v; want 20 or more", demo.EmailSupplierSKU, reported, err)
	}

	u, err := auth.NewService(db, clock).Login(ctx, demo.EmailSupplierLogin, demo.Password)
	if err != nil || u.Role != auth.Supplier || u.SupplierID != emailID {
		t.Errorf("login %s = %+v, %v; want a user of the email supplier", demo.EmailSupplierLogin, u, err)
	}
}
