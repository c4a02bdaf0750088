package web

import (
	"context"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

// consoleSeed is a small store for console tests: two suppliers, three
// products, and SKUs with stock from one or two offers.
type consoleSeed struct {
	lisbon, milan suppliers.Supplier
	// variants by SKU
	variants map[string]catalog.Variant
	// offers by supplier SKU
	offers map[string]suppliers.Offer
}

// seedConsole fills s's database through the services, as an operator would.
//
//	MUG-BLUE   Lisbon 40 (buffer 10%: 4) + Milan 12 → ATS 36 + 12 = 48
//	MUG-RED    Lisbon 3 (buffer 10% of 3, rounded up: 1) → ATS 2 (low)
//	APRON-NAT  Milan 0 → ATS 0 (low)
//	TOTE-1     no offers → ATS 0 (low)
func seedConsole(t *testing.T, s *Server) consoleSeed {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System("seed"))
	eur := func(v string) money.Money {
		m, err := money.Parse(v, "EUR")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	seed := consoleSeed{variants: map[string]catalog.Variant{}, offers: map[string]suppliers.Offer{}}
	var err error
	seed.lisbon, err = s.cfg.Suppliers.CreateSupplier(ctx, suppliers.NewSupplier{Name: "Lisbon Ceramics", Timezone: "Europe/Lisbon", Country: "PT",
		Contacts: []suppliers.Contact{{Name: "Ana Silva", Email: "ana@lisbon.example", Role: "orders"}}})
	if err != nil {
		t.Fatal(err)
	}
	seed.milan, err = s.cfg.Suppliers.CreateSupplier(ctx, suppliers.NewSupplier{Name: "Milan Textiles", Timezone: "Europe/Rome", Country: "IT"})
	if err != nil {
		t.Fatal(err)
	}
	products := []catalog.NewProduct{
		{Title: "Stoneware mug", Tags: []string{"kitchen"}, Variants: []catalog.NewVariant{
			{SKU: "MUG-BLUE", Title: "Blue", Options: []catalog.Option{{Name: "Colour", Value: "Blue"}}, Price: eur("18.00"), WeightGrams: 350},
			{SKU: "MUG-RED", Title: "Red", Options: []catalog.Option{{Name: "Colour", Value: "Red"}}, Price: eur("18.00"), WeightGrams: 350},
		}},
		{Title: "Linen apron", Variants: []catalog.NewVariant{{SKU: "APRON-NAT", Price: eur("39.50"), WeightGrams: 200}}},
		{Title: "Canvas tote", Status: "draft", Variants: []catalog.NewVariant{{SKU: "TOTE-1", Price: eur("12.00"), Status: "draft"}}},
	}
	for _, np := range products {
		p, err := s.cfg.Catalog.CreateProduct(ctx, np)
		if err != nil {
			t.Fatalf("create %s: %v", np.Title, err)
		}
		for _, v := range p.Variants {
			v.ProductTitle = p.Title
			seed.variants[string(v.SKU)] = v
		}
	}
	offers := []struct {
		supplier    suppliers.Supplier
		sku, theirs string
		reported    int
	}{
		{seed.lisbon, "MUG-BLUE", "LC-100-B", 40},
		{seed.milan, "MUG-BLUE", "MT-MUG-B", 12},
		{seed.lisbon, "MUG-RED", "LC-100-R", 3},
		{seed.milan, "APRON-NAT", "MT-AP-N", 0},
	}
	for i, o := range offers {
		off, err := s.cfg.Suppliers.CreateOffer(ctx, suppliers.NewOffer{SupplierID: o.supplier.ID, VariantID: seed.variants[o.sku].ID,
			SupplierSKU: o.theirs, Cost: eur("6.00"), LeadTimeDays: 2, MinOrderQty: 1, Priority: i})
		if err != nil {
			t.Fatalf("offer %s: %v", o.theirs, err)
		}
		seed.offers[o.theirs] = off
		if _, err := s.cfg.Inventory.Report(ctx, off.ID, o.reported, time.Time{}, "seed"); err != nil {
			t.Fatalf("report %s: %v", o.theirs, err)
		}
	}
	if err := s.cfg.Inventory.SetSupplierBuffer(ctx, seed.lisbon.ID, inventory.Buffer{Percent: 1000}); err != nil {
		t.Fatalf("buffer: %v", err)
	}
	return seed
}
