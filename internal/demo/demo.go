// Package demo fills an empty database with a realistic small store: four
// dropshipping suppliers in different countries and time zones, 150 products
// with two variants each (a single item and a box of 12), supplier offers
// (some SKUs from two suppliers), stock levels and safety buffers, delivery
// promises, routing rules and each supplier's way of receiving purchase
// orders, and one staff user per role and one user per supplier with a
// known password.
//
// Product names and wholesale prices come from the UCI Online Retail data set
// (see ATTRIBUTION.md). Everything else is generated from a fixed seed, so
// the same SKUs, costs and stock levels appear on every run: tests and the
// README can name them.
package demo

import (
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/pricing"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

//go:embed products.csv
var productsCSV string

// FirstSKU is the SKU of the demo store's first variant: the single white
// hanging heart T-light holder, the best-selling item of the source data.
const FirstSKU = "85123A-1"

// Password is every demo user's password. The demo store is for trying
// Orderly out; never expose it to the internet.
const Password = "orderly-demo"

// Login is one demo user.
type Login struct {
	Email    string
	Role     auth.Role
	Password string
	// Supplier is the name of a supplier user's supplier; empty for staff.
	Supplier string
}

// Logins are the demo users, one per staff role, plus one supplier user of
// each supplier (the supplier console).
var Logins = []Login{
	{"owner@example.com", auth.Owner, Password, ""},
	{"admin@example.com", auth.Admin, Password, ""},
	{"operations@example.com", auth.Operations, Password, ""},
	{"support@example.com", auth.Support, Password, ""},
	{"finance@example.com", auth.Finance, Password, ""},
	{"readonly@example.com", auth.ReadOnly, Password, ""},
	{"supplier@example.com", auth.Supplier, Password, "Lisboa Cerâmica Lda"},
	{EmailSupplierLogin, auth.Supplier, Password, EmailSupplier},
	{"shenzhen@example.com", auth.Supplier, Password, "Shenzhen Bright Homeware Co."},
	{"prairie@example.com", auth.Supplier, Password, "Prairie Goods Supply"},
}

// Summary counts what Load created.
type Summary struct {
	Products, Variants, Suppliers, Offers, Users int
	// TwoSupplierSKUs counts variants offered by two suppliers.
	TwoSupplierSKUs int
	// Proposals counts the price proposals the demo pricing rule made.
	Proposals int
}

// PricingTag is the collection the demo's pricing rule covers.
const PricingTag = "kitchen"

// loadPricing adds a pricing rule for the kitchen collection (target margin
// 45% after a 1.9% + 0.20 GBP card fee and 0.35 GBP of packaging, prices
// ending in .99, proposals for staff to approve) and reprices what it
// covers now, so the pricing console has proposals to show. The hand-set
// demo prices stand until someone approves.
func loadPricing(ctx context.Context, db *store.DB, now func() time.Time) (int, error) {
	pr, err := pricing.New(db, nil, nil, now, pricing.Options{})
	if err != nil {
		return 0, fmt.Errorf("demo pricing: %w", err)
	}
	gbp := func(minor int64) *money.Money { return &money.Money{Amount: minor, Currency: "GBP"} }
	rule, err := pr.CreateRule(ctx, pricing.RuleInput{Scope: string(pricing.ScopeCollection), Tag: PricingTag, Currency: "GBP",
		Margin: "45", FeePercent: "1.9", FeeFixed: gbp(20), Packaging: gbp(35), Ending: ".99", MinPrice: gbp(199),
		MaxDailyChange: "30", Mode: "propose"})
	if err != nil {
		return 0, fmt.Errorf("demo pricing rule: %w", err)
	}
	var ids []int64
	rows, err := db.R.QueryContext(ctx, `SELECT v.id FROM variants v JOIN product_tags t ON t.product_id = v.product_id
		WHERE t.tag = $1 ORDER BY v.id`, PricingTag)
	if err != nil {
		return 0, fmt.Errorf("demo pricing: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, fmt.Errorf("demo pricing: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("demo pricing: %w", err)
	}
	rsum, err := pr.Reprice(ctx, ids, fmt.Sprintf("pricing rule %d (%s) of the demo store", rule.ID, rule.Target()))
	if err != nil {
		return 0, fmt.Errorf("demo repricing: %w", err)
	}
	if rsum.Cannot > 0 { // the demo's costs and prices must agree
		return 0, fmt.Errorf("demo repricing: %d SKUs cannot be priced: %s", rsum.Cannot, strings.Join(rsum.Problems, "; "))
	}
	return rsum.Proposed, nil
}

// supplierSpec describes one demo supplier and how it prices and ships.
type supplierSpec struct {
	in        suppliers.NewSupplier
	prefix    string // of its supplier SKUs
	leadMin   int
	leadMax   int
	moqSingle int
	stockMax  int
	weight    int // chance of being the primary supplier, out of the sum of weights
	buffer    inventory.Buffer
}

var supplierSpecs = []supplierSpec{
	{in: suppliers.NewSupplier{Name: "Lisboa Cerâmica Lda", Timezone: "Europe/Lisbon", Country: "PT",
		Notes:    "Ceramics and home goods; ships from Lisbon with CTT.",
		Contacts: []suppliers.Contact{{Name: "Ana Ferreira", Email: "encomendas@lisboa-ceramica.example", Phone: "+351 21 000 0101", Role: "orders"}}},
		prefix: "LC", leadMin: 1, leadMax: 3, moqSingle: 1, stockMax: 300, weight: 30},
	{in: suppliers.NewSupplier{Name: "Tessuti Milano S.r.l.", Timezone: "Europe/Rome", Country: "IT",
		Notes:    "Textiles, bags and paper goods. Closed in August.",
		Contacts: []suppliers.Contact{{Name: "Giulia Romano", Email: "ordini@tessuti-milano.example", Phone: "+39 02 0000 0202", Role: "orders"}}},
		prefix: "TM", leadMin: 2, leadMax: 5, moqSingle: 1, stockMax: 250, weight: 25},
	{in: suppliers.NewSupplier{Name: "Shenzhen Bright Homeware Co.", Timezone: "Asia/Shanghai", Country: "CN",
		Notes:    "Cheapest, slowest; stock feed updated daily, so a 10% buffer applies.",
		Contacts: []suppliers.Contact{{Name: "Li Wei", Email: "sales@bright-homeware.example", Phone: "+86 755 0000 0303", Role: "sales"}}},
		prefix: "SZ", leadMin: 8, leadMax: 15, moqSingle: 10, stockMax: 2000, weight: 30,
		buffer: inventory.Buffer{Percent: 1000}},
	{in: suppliers.NewSupplier{Name: "Prairie Goods Supply", Timezone: "America/Chicago", Country: "US",
		Notes:    "US warehouse for North American orders.",
		Contacts: []suppliers.Contact{{Name: "Sam Miller", Email: "orders@prairie-goods.example", Phone: "+1 312 555 0104", Role: "orders"}}},
		prefix: "PG", leadMin: 3, leadMax: 6, moqSingle: 1, stockMax: 200, weight: 15,
		buffer: inventory.Buffer{Units: 2}},
}

// sourceProduct is one row of products.csv.
type sourceProduct struct {
	stockCode   string
	description string
	unitPrice   money.Money // median wholesale price in the source data, GBP
}

func readProducts() ([]sourceProduct, error) {
	records, err := csv.NewReader(strings.NewReader(productsCSV)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("demo products.csv: %w", err)
	}
	var out []sourceProduct
	for i, r := range records[1:] {
		if len(r) < 3 {
			return nil, fmt.Errorf("demo products.csv line %d: want 3 or more fields", i+2)
		}
		price, err := money.Parse(r[2], "GBP")
		if err != nil {
			return nil, fmt.Errorf("demo products.csv line %d: %w", i+2, err)
		}
		out = append(out, sourceProduct{stockCode: r[0], description: r[1], unitPrice: price})
	}
	return out, nil
}

// Empty reports whether the database has no products, the condition for
// loading the demo store.
func Empty(ctx context.Context, db *store.DB) (bool, error) {
	var n int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM products`).Scan(&n); err != nil {
		return false, fmt.Errorf("count products: %w", err)
	}
	return n == 0, nil
}

// Load fills an empty database with the demo store. It refuses, with a
// Conflict, a database that already has products. Load is not one
// transaction: if it fails halfway, start again from a fresh database.
func Load(ctx context.Context, db *store.DB, now func() time.Time) (Summary, error) {
	var sum Summary
	if now == nil {
		now = time.Now
	}
	empty, err := Empty(ctx, db)
	if err != nil {
		return sum, err
	}
	if !empty {
		return sum, apperr.New(apperr.Conflict, "the database already has products; the demo store loads only into an empty database")
	}
	products, err := readProducts()
	if err != nil {
		return sum, err
	}
	ctx = auth.WithPrincipal(ctx, auth.System("demo"))
	cat := catalog.NewService(db, now)
	sup := suppliers.NewService(db, now)
	inv := inventory.New(db, now, inventory.Options{})
	rng := rand.New(rand.NewPCG(2026, 3))

	supplierIDs := make([]int64, len(supplierSpecs))
	for i, spec := range supplierSpecs {
		s, err := sup.CreateSupplier(ctx, spec.in)
		if err != nil {
			return sum, fmt.Errorf("demo supplier %q: %w", spec.in.Name, err)
		}
		supplierIDs[i] = s.ID
		sum.Suppliers++
		if spec.buffer != (inventory.Buffer{}) {
			if err := inv.SetSupplierBuffer(ctx, s.ID, spec.buffer); err != nil {
				return sum, fmt.Errorf("demo buffer of %q: %w", spec.in.Name, err)
			}
		}
	}

	if err := loadPromise(ctx, db, now, supplierIDs); err != nil {
		return sum, err
	}
	if err := loadFulfilment(ctx, db, now, supplierIDs); err != nil {
		return sum, err
	}

	for i, sp := range products {
		single, box := retailPrices(sp.unitPrice)
		weight := int64(50 + rng.IntN(950))
		status := "active"
		if i%40 == 39 {
			status = "draft" // a few products are still being prepared
		}
		primary := pickSupplier(rng, -1)
		p, err := cat.CreateProduct(ctx, catalog.NewProduct{
			Title:       titleCase(sp.description),
			Description: "From the demo store. Source: UCI Online Retail, stock code " + sp.stockCode + ".",
			Vendor:      supplierSpecs[primary].in.Name,
			Tags:        tagsFor(sp.description),
			Status:      status,
			Variants: []catalog.NewVariant{
				{SKU: sp.stockCode + "-1", Options: []catalog.Option{{Name: "Pack", Value: "Single"}}, Price: single, WeightGrams: weight},
				{SKU: sp.stockCode + "-12", Options: []catalog.Option{{Name: "Pack", Value: "Box of 12"}}, Price: box, WeightGrams: weight*12 + 150},
			},
		})
		if err != nil {
			return sum, fmt.Errorf("demo product %s: %w", sp.stockCode, err)
		}
		sum.Products++
		sum.Variants += len(p.Variants)

		offerers := []int{primary}
		if rng.IntN(5) == 0 { // one product in five also has a second supplier
			offerers = append(offerers, pickSupplier(rng, primary))
			sum.TwoSupplierSKUs += len(p.Variants)
		}
		for rank, si := range offerers {
			spec := supplierSpecs[si]
			for _, v := range p.Variants {
				pack := 1
				if strings.HasSuffix(string(v.SKU), "-12") {
					pack = 12
				}
				o, err := sup.CreateOffer(ctx, suppliers.NewOffer{
					SupplierID:   supplierIDs[si],
					VariantID:    v.ID,
					SupplierSKU:  fmt.Sprintf("%s-%s-%02d", spec.prefix, sp.stockCode, pack),
					Cost:         cost(rng, sp.unitPrice, pack),
					LeadTimeDays: spec.leadMin + rng.IntN(spec.leadMax-spec.leadMin+1),
					MinOrderQty:  moq(spec, pack),
					Priority:     10 * (rank + 1),
				})
				if err != nil {
					return sum, fmt.Errorf("demo offer %s from %q: %w", v.SKU, spec.in.Name, err)
				}
				sum.Offers++
				if _, err := inv.Report(ctx, o.ID, stockLevel(rng, spec, pack), time.Time{}, "system:demo"); err != nil {
					return sum, fmt.Errorf("demo stock of %s from %q: %w", v.SKU, spec.in.Name, err)
				}
			}
		}
	}
	// The best seller keeps five units back whatever its suppliers report.
	if err := inv.SetSKUBuffer(ctx, FirstSKU, inventory.Buffer{Units: 5}); err != nil {
		return sum, fmt.Errorf("demo buffer of %s: %w", FirstSKU, err)
	}
	if sum.Proposals, err = loadPricing(ctx, db, now); err != nil {
		return sum, err
	}

	users := auth.NewService(db, now)
	for _, l := range Logins {
		in := auth.NewUser{Email: l.Email, Name: demoName(l.Role), Role: l.Role, Password: l.Password}
		if l.Supplier != "" {
			i := slices.IndexFunc(supplierSpecs, func(s supplierSpec) bool { return s.in.Name == l.Supplier })
			if i < 0 {
				return sum, fmt.Errorf("demo user %s: no supplier %q", l.Email, l.Supplier)
			}
			in.SupplierID = supplierIDs[i]
			in.Name = fmt.Sprintf("%s (%s)", supplierSpecs[i].in.Contacts[0].Name, l.Supplier)
		}
		if _, err := users.CreateUser(ctx, in); err != nil {
			if apperr.Is(err, apperr.Conflict) {
				continue // a user with this email exists already: keep it
			}
			return sum, fmt.Errorf("demo user %s: %w", l.Email, err)
		}
		sum.Users++
	}
	return sum, nil
}

func demoName(r auth.Role) string {
	s := strings.ReplaceAll(string(r), "_", " ")
	return "Demo " + strings.ToUpper(s[:1]) + s[1:]
}

// pickSupplier picks a supplier index by weight, never except.
func pickSupplier(rng *rand.Rand, except int) int {
	total := 0
	for i, s := range supplierSpecs {
		if i != except {
			total += s.weight
		}
	}
	n := rng.IntN(total)
	for i, s := range supplierSpecs {
		if i == except {
			continue
		}
		if n < s.weight {
			return i
		}
		n -= s.weight
	}
	return len(supplierSpecs) - 1
}

// retailPrices marks the source's wholesale price up to a shop price ending
// in .95: 2.5 times for a single item, and a box of 12 at 80% of twelve singles.
func retailPrices(wholesale money.Money) (single, box money.Money) {
	endIn95 := func(minor float64) money.Money {
		pounds := math.Ceil(minor / 100)
		return money.Money{Amount: int64(pounds)*100 - 5, Currency: "GBP"}
	}
	s := endIn95(float64(wholesale.Amount) * 2.5)
	return s, endIn95(float64(s.Amount) * 12 * 0.8)
}

// cost is what a supplier charges per unit (a single or a box): 55–80% of
// the source's wholesale price, boxes 15% cheaper per item. Every demo
// supplier quotes in the store's currency (GBP), as a store's suppliers do
// once it has agreed prices with them: pricing never converts currencies,
// and a cost in EUR could not price a SKU sold in GBP (docs/pricing.md).
func cost(rng *rand.Rand, wholesale money.Money, pack int) money.Money {
	share := 0.55 + rng.Float64()*0.25
	minor := float64(wholesale.Amount) * share * float64(pack)
	if pack > 1 {
		minor *= 0.85
	}
	return money.Money{Amount: int64(math.Round(minor)), Currency: wholesale.Currency}
}

func moq(spec supplierSpec, pack int) int {
	if pack > 1 {
		return 1
	}
	return spec.moqSingle
}

// stockLevel is a reported quantity: about one offer in twelve is out of
// stock and one in eight is low, so the console's filters have something to show.
func stockLevel(rng *rand.Rand, spec supplierSpec, pack int) int {
	max := spec.stockMax / pack
	switch r := rng.IntN(24); {
	case r < 2:
		return 0
	case r < 5:
		return 1 + rng.IntN(5)
	}
	return 6 + rng.IntN(max)
}

// tagsFor derives tags from words in a product description.
func tagsFor(desc string) []string {
	rules := []struct {
		tag   string
		words []string
	}{
		{"christmas", []string{"CHRISTMAS", "XMAS", "ADVENT"}},
		{"kitchen", []string{"CAKE", "BAKING", "TEA", "MUG", "LUNCH", "PLATE", "CUP", "BOWL", "JAR", "CAKESTAND", "SPOON", "NAPKIN", "RECIPE"}},
		{"bags", []string{"BAG", "TOTE", "SHOPPER"}},
		{"lighting", []string{"LIGHT", "CANDLE", "LANTERN", "T-LIGHT", "HOLDER"}},
		{"decor", []string{"HEART", "DECORATION", "BUNTING", "SIGN", "FRAME", "GARLAND", "HANGING", "DOORMAT", "CLOCK"}},
		{"stationery", []string{"PAPER", "CARD", "NOTEBOOK", "PENCIL", "WRAP", "STICKER", "CHALK"}},
		{"kids", []string{"CHILDREN", "CHILDRENS", "DOLLY", "TOY", "SPACEBOY", "PARTY", "FELTCRAFT"}},
		{"retrospot", []string{"RETROSPOT"}},
	}
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(desc, func(r rune) bool { return r == ' ' || r == ',' || r == '/' || r == '+' }) {
		words[w] = true
	}
	var tags []string
	for _, r := range rules {
		for _, w := range r.words {
			if words[w] {
				tags = append(tags, r.tag)
				break
			}
		}
	}
	if len(tags) == 0 {
		tags = []string{"gifts"}
	}
	return tags
}

// titleCase turns "WHITE HANGING HEART T-LIGHT HOLDER" into "White Hanging
// Heart T-Light Holder", keeping short words lower case after the first.
func titleCase(s string) string {
	small := map[string]bool{"OF": true, "AND": true, "IN": true, "ON": true, "THE": true, "WITH": true, "FOR": true, "A": true}
	words := strings.Fields(s)
	for i, w := range words {
		if i > 0 && small[w] {
			words[i] = strings.ToLower(w)
			continue
		}
		parts := strings.Split(w, "-")
		for j, p := range parts {
			if p == "" {
				continue
			}
			if _, err := strconv.Atoi(p); err == nil {
				continue
			}
			parts[j] = p[:1] + strings.ToLower(p[1:])
		}
		words[i] = strings.Join(parts, "-")
	}
	return strings.Join(words, " ")
}
