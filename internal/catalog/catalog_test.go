package catalog_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return fixedNow }

func eur(s string) money.Money {
	m, err := money.Parse(s, "EUR")
	if err != nil {
		panic(err)
	}
	return m
}

func TestParseSKU(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"  mug-01 ", "MUG-01", true},
		{"A.b_c/d-9", "A.B_C/D-9", true},
		{strings.Repeat("X", 64), strings.Repeat("X", 64), true},
		{strings.Repeat("X", 65), "", false},
		{"", "", false},
		{"   ", "", false},
		{"MUG 01", "", false},
		{"MUGé", "", false},
		{"MUG#1", "", false},
	}
	for _, tt := range tests {
		got, err := catalog.ParseSKU(tt.in)
		if (err == nil) != tt.ok || string(got) != tt.want {
			t.Errorf("ParseSKU(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseTags(t *testing.T) {
	t.Parallel()
	got, err := catalog.ParseTags([]string{" Kitchen", "kitchen", "Gift "})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"kitchen", "gift"}, got); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if _, err := catalog.ParseTags([]string{""}); err == nil {
		t.Error("empty tag accepted")
	}
}

// fieldOf returns the field names of an Invalid or Conflict error.
func fieldsOf(err error) []string {
	var fields []string
	if e, ok := err.(*apperr.Error); ok {
		for _, f := range e.Fields {
			fields = append(fields, f.Field)
		}
	}
	return fields
}

func mug(sku string) catalog.NewVariant {
	return catalog.NewVariant{SKU: sku, Options: []catalog.Option{{Name: "Colour", Value: "White"}}, Price: eur("12.50"), WeightGrams: 350}
}

func TestCreateProductWithVariants(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := catalog.NewService(db, clock)
		p, err := svc.CreateProduct(ctx, catalog.NewProduct{
			Title: " White Hanging Heart T-Light Holder ", Vendor: "Acme", Tags: []string{"Home", "gift"},
			Variants: []catalog.NewVariant{mug("heart-w"), {SKU: "HEART-R", Title: "Red", Price: eur("13"), Barcode: "5601234567890"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if p.Title != "White Hanging Heart T-Light Holder" || p.Status != catalog.StatusActive || !p.CreatedAt.Equal(fixedNow) {
			t.Errorf("product = %+v", p)
		}
		if diff := cmp.Diff([]string{"gift", "home"}, p.Tags); diff != "" {
			t.Errorf("tags (-want +got):\n%s", diff)
		}
		if len(p.Variants) != 2 {
			t.Fatalf("variants = %d, want 2", len(p.Variants))
		}
		v := p.Variants[0]
		if v.SKU != "HEART-W" || v.Title != "White" || v.Price != eur("12.50") || v.WeightGrams != 350 || v.ProductTitle != p.Title {
			t.Errorf("variant 0 = %+v", v)
		}
		got, err := svc.Product(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(p, got); diff != "" {
			t.Errorf("read back (-created +read):\n%s", diff)
		}
		bySKU, err := svc.VariantBySKU(ctx, "heart-r")
		if err != nil || bySKU.Barcode != "5601234567890" {
			t.Errorf("VariantBySKU = %+v, %v", bySKU, err)
		}
	})
}

func TestCreateProductRefusals(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := catalog.NewService(db, clock)
		if _, err := svc.CreateProduct(ctx, catalog.NewProduct{Title: "Mug", Variants: []catalog.NewVariant{mug("MUG-1")}}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			in     catalog.NewProduct
			code   apperr.Code
			fields []string
		}{
			{"duplicate SKU other case", catalog.NewProduct{Title: "X", Variants: []catalog.NewVariant{mug("OK-1"), mug("mug-1")}},
				apperr.Conflict, []string{"variants[1].sku"}},
			{"SKU twice in request", catalog.NewProduct{Title: "X", Variants: []catalog.NewVariant{mug("A-1"), mug("a-1")}},
				apperr.Invalid, []string{"variants[1].sku"}},
			{"no title", catalog.NewProduct{Title: "  "}, apperr.Invalid, []string{"title"}},
			{"bad status", catalog.NewProduct{Title: "X", Status: "gone"}, apperr.Invalid, []string{"status"}},
			{"negative price", catalog.NewProduct{Title: "X", Variants: []catalog.NewVariant{{SKU: "N-1", Price: eur("-1")}}},
				apperr.Invalid, []string{"variants[0].price.amount"}},
			{"absurd price", catalog.NewProduct{Title: "X", Variants: []catalog.NewVariant{{SKU: "N-1", Price: eur("1000000000.01")}}},
				apperr.Invalid, []string{"variants[0].price.amount"}},
			{"unknown currency", catalog.NewProduct{Title: "X", Variants: []catalog.NewVariant{{SKU: "N-1", Price: money.Money{Amount: 1, Currency: "XXX"}}}},
				apperr.Invalid, []string{"variants[0].price.currency"}},
			{"negative weight and bad SKU", catalog.NewProduct{Title: "X", Variants: []catalog.NewVariant{{SKU: "a b", Price: eur("1"), WeightGrams: -5}}},
				apperr.Invalid, []string{"variants[0].sku", "variants[0].weight_grams"}},
			{"option twice", catalog.NewProduct{Title: "X", Variants: []catalog.NewVariant{{SKU: "O-1", Price: eur("1"),
				Options: []catalog.Option{{Name: "Size", Value: "S"}, {Name: "size", Value: "M"}}}}},
				apperr.Invalid, []string{"variants[0].options[1].name"}},
		}
		for _, tt := range tests {
			_, err := svc.CreateProduct(ctx, tt.in)
			if apperr.CodeOf(err) != tt.code {
				t.Errorf("%s: err = %v, want code %s", tt.name, err, tt.code)
				continue
			}
			if diff := cmp.Diff(tt.fields, fieldsOf(err)); diff != "" {
				t.Errorf("%s: fields (-want +got):\n%s", tt.name, diff)
			}
		}
		// The refused product with a duplicate SKU left nothing behind.
		list, err := svc.ListProducts(ctx, catalog.Filter{})
		if err != nil || len(list) != 1 {
			t.Errorf("products after refusals = %d, %v; want 1", len(list), err)
		}
	})
}

func TestUpdateAndDelete(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := catalog.NewService(db, clock)
		p, err := svc.CreateProduct(ctx, catalog.NewProduct{Title: "Mug", Tags: []string{"a"}, Variants: []catalog.NewVariant{mug("MUG-1")}})
		if err != nil {
			t.Fatal(err)
		}
		other, err := svc.CreateProduct(ctx, catalog.NewProduct{Title: "Bowl", Variants: []catalog.NewVariant{mug("BOWL-1")}})
		if err != nil {
			t.Fatal(err)
		}
		title, tags, status := "Big mug", []string{"b", "c"}, "draft"
		p2, err := svc.UpdateProduct(ctx, p.ID, catalog.ProductPatch{Title: &title, Tags: &tags, Status: &status})
		if err != nil {
			t.Fatal(err)
		}
		if p2.Title != title || p2.Status != catalog.StatusDraft || p2.Vendor != p.Vendor || !cmp.Equal(p2.Tags, tags) {
			t.Errorf("updated = %+v", p2)
		}
		empty := ""
		if _, err := svc.UpdateProduct(ctx, p.ID, catalog.ProductPatch{Title: &empty}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("empty title: %v", err)
		}
		if _, err := svc.UpdateProduct(ctx, 999, catalog.ProductPatch{Title: &title}); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("unknown product: %v", err)
		}

		v := p.Variants[0]
		taken := "bowl-1"
		if _, err := svc.UpdateVariant(ctx, v.ID, catalog.VariantPatch{SKU: &taken}); apperr.CodeOf(err) != apperr.Conflict ||
			!strings.Contains(err.Error(), "BOWL-1") {
			t.Errorf("rename to taken SKU: %v", err)
		}
		price, weight := eur("20.00"), int64(-1)
		if _, err := svc.UpdateVariant(ctx, v.ID, catalog.VariantPatch{WeightGrams: &weight}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("negative weight: %v", err)
		}
		v2, err := svc.UpdateVariant(ctx, v.ID, catalog.VariantPatch{Price: &price})
		if err != nil || v2.Price != price || v2.SKU != "MUG-1" || v2.WeightGrams != 350 {
			t.Errorf("price update = %+v, %v", v2, err)
		}

		if _, err := svc.CreateVariant(ctx, 999, mug("NEW-1")); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("variant of unknown product: %v", err)
		}
		nv, err := svc.CreateVariant(ctx, other.ID, mug("BOWL-2"))
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteVariant(ctx, nv.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Variant(ctx, nv.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("deleted variant: %v", err)
		}
		if err := svc.DeleteProduct(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Product(ctx, p.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("deleted product: %v", err)
		}
		if _, err := svc.VariantBySKU(ctx, "MUG-1"); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("variant of deleted product: %v", err)
		}
	})
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := catalog.NewService(db, clock)
		mk := func(title, status string, tags []string, skus ...string) catalog.Product {
			in := catalog.NewProduct{Title: title, Status: status, Tags: tags}
			for _, s := range skus {
				in.Variants = append(in.Variants, mug(s))
			}
			p, err := svc.CreateProduct(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		mk("Red Retrospot Cake Stand", "", []string{"kitchen"}, "CAKE-RED", "CAKE-BLUE")
		mk("Jumbo Bag Red Retrospot", "draft", []string{"bags"}, "BAG-1")
		box := mk("Lunch Box 100%", "archived", []string{"kitchen"}, "BOX_1")
		// Renaming keeps the title search in step: the product is found by
		// its new title (which keeps "100%" for the wildcard cases below).
		renamed := "Picnic Box 100% Doily"
		if _, err := svc.UpdateProduct(ctx, box.ID, catalog.ProductPatch{Title: &renamed}); err != nil {
			t.Fatal(err)
		}

		productTitles := func(f catalog.Filter) []string {
			ps, err := svc.ListProducts(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, p := range ps {
				out = append(out, p.Title)
			}
			return out
		}
		skus := func(f catalog.Filter) []string {
			vs, err := svc.ListVariants(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, v := range vs {
				out = append(out, string(v.SKU))
			}
			return out
		}
		tests := []struct {
			name       string
			f          catalog.Filter
			products   []string
			variantSKU []string
		}{
			{"all", catalog.Filter{}, []string{"Red Retrospot Cake Stand", "Jumbo Bag Red Retrospot", "Picnic Box 100% Doily"},
				[]string{"CAKE-RED", "CAKE-BLUE", "BAG-1", "BOX_1"}},
			// A variant's status is its own: the draft product's variant is active.
			{"status", catalog.Filter{Status: catalog.StatusDraft}, []string{"Jumbo Bag Red Retrospot"}, nil},
			{"tag", catalog.Filter{Tag: "Kitchen"}, []string{"Red Retrospot Cake Stand", "Picnic Box 100% Doily"},
				[]string{"CAKE-RED", "CAKE-BLUE", "BOX_1"}},
			{"title substring any case", catalog.Filter{Query: "retrospot"}, []string{"Red Retrospot Cake Stand", "Jumbo Bag Red Retrospot"},
				[]string{"CAKE-RED", "CAKE-BLUE", "BAG-1"}},
			{"sku prefix", catalog.Filter{Query: "cake-b"}, []string{"Red Retrospot Cake Stand"}, []string{"CAKE-BLUE"}},
			{"like wildcards are literal", catalog.Filter{Query: "0%"}, []string{"Picnic Box 100% Doily"}, []string{"BOX_1"}},
			{"underscore is literal", catalog.Filter{Query: "x_"}, nil, nil},
			{"page after", catalog.Filter{After: 1, Limit: 1}, []string{"Jumbo Bag Red Retrospot"}, []string{"CAKE-BLUE"}},
			{"variant title", catalog.Filter{Query: "whit"}, nil, []string{"CAKE-RED", "CAKE-BLUE", "BAG-1", "BOX_1"}},
			{"renamed title", catalog.Filter{Query: "Doily"}, []string{"Picnic Box 100% Doily"}, []string{"BOX_1"}},
			{"old title gone", catalog.Filter{Query: "lunch"}, nil, nil},
		}
		// Searches are answered from the indexes when few rows match, and
		// by walking the table when many do: both must give the same answer.
		for _, threshold := range []int{1000, 0} {
			restore := catalog.SetSelectiveThreshold(threshold)
			for _, tt := range tests {
				if diff := cmp.Diff(tt.products, productTitles(tt.f)); diff != "" {
					t.Errorf("%s (threshold %d): products (-want +got):\n%s", tt.name, threshold, diff)
				}
				if diff := cmp.Diff(tt.variantSKU, skus(tt.f)); diff != "" {
					t.Errorf("%s (threshold %d): variants (-want +got):\n%s", tt.name, threshold, diff)
				}
			}
			restore()
		}
	})
}
