package suppliers_test

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
	"github.com/orderly-oms/orderly/internal/suppliers"
)

func clock() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

func eur(s string) money.Money {
	m, err := money.Parse(s, "EUR")
	if err != nil {
		panic(err)
	}
	return m
}

func fieldsOf(err error) []string {
	var fields []string
	if e, ok := err.(*apperr.Error); ok {
		for _, f := range e.Fields {
			fields = append(fields, f.Field)
		}
	}
	return fields
}

func TestParseCountryAndTimezone(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"PT", "it", " cn ", "US", "BR"} {
		if _, err := suppliers.ParseCountry(c); err != nil {
			t.Errorf("ParseCountry(%q): %v", c, err)
		}
	}
	for _, c := range []string{"", "XX", "UK", "PRT", "EU"} {
		if _, err := suppliers.ParseCountry(c); err == nil {
			t.Errorf("ParseCountry(%q) accepted", c)
		}
	}
	for _, tz := range []string{"Europe/Lisbon", "Asia/Shanghai", "America/New_York", "UTC"} {
		if _, err := suppliers.ParseTimezone(tz); err != nil {
			t.Errorf("ParseTimezone(%q): %v", tz, err)
		}
	}
	for _, tz := range []string{"", "Local", "Europe/Atlantis", "GMT+25", "../etc/passwd"} {
		if _, err := suppliers.ParseTimezone(tz); err == nil {
			t.Errorf("ParseTimezone(%q) accepted", tz)
		}
	}
}

func TestSuppliers(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := suppliers.NewService(db, clock)
		lis, err := svc.CreateSupplier(ctx, suppliers.NewSupplier{
			Name: "Lisbon Ceramics", Timezone: "Europe/Lisbon", Country: "pt",
			Contacts: []suppliers.Contact{{Name: "Ana Silva", Email: "ana@example.pt", Phone: "+351 21 000 0000", Role: "orders"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if lis.Country != "PT" || lis.Status != suppliers.StatusActive || len(lis.Contacts) != 1 {
			t.Errorf("created = %+v", lis)
		}
		if _, err := svc.CreateSupplier(ctx, suppliers.NewSupplier{Name: "Milano Tessuti", Timezone: "Europe/Rome", Country: "IT", Status: "paused"}); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name   string
			in     suppliers.NewSupplier
			code   apperr.Code
			fields []string
		}{
			{"duplicate name any case", suppliers.NewSupplier{Name: "lisbon ceramics", Timezone: "UTC", Country: "PT"}, apperr.Conflict, []string{"name"}},
			{"bad zone and country", suppliers.NewSupplier{Name: "X", Timezone: "Mars/Olympus", Country: "ZZ"}, apperr.Invalid, []string{"timezone", "country"}},
			{"bad contact", suppliers.NewSupplier{Name: "X", Timezone: "UTC", Country: "US",
				Contacts: []suppliers.Contact{{Name: "", Email: "not-an-email", Phone: "call me"}}},
				apperr.Invalid, []string{"contacts[0].name", "contacts[0].email", "contacts[0].phone"}},
			{"bad status", suppliers.NewSupplier{Name: "X", Timezone: "UTC", Country: "US", Status: "closed"}, apperr.Invalid, []string{"status"}},
		}
		for _, tt := range tests {
			_, err := svc.CreateSupplier(ctx, tt.in)
			if apperr.CodeOf(err) != tt.code {
				t.Errorf("%s: err = %v, want %s", tt.name, err, tt.code)
				continue
			}
			if diff := cmp.Diff(tt.fields, fieldsOf(err)); diff != "" {
				t.Errorf("%s: fields (-want +got):\n%s", tt.name, diff)
			}
		}

		notes, contacts := "Closed in August", []suppliers.Contact{}
		got, err := svc.UpdateSupplier(ctx, lis.ID, suppliers.SupplierPatch{Notes: &notes, Contacts: &contacts})
		if err != nil || got.Notes != notes || len(got.Contacts) != 0 || got.Name != lis.Name {
			t.Errorf("update = %+v, %v", got, err)
		}
		taken := "MILANO TESSUTI"
		if _, err := svc.UpdateSupplier(ctx, lis.ID, suppliers.SupplierPatch{Name: &taken}); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("rename to taken name: %v", err)
		}

		names := func(f suppliers.SupplierFilter) []string {
			list, err := svc.ListSuppliers(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, s := range list {
				out = append(out, s.Name)
			}
			return out
		}
		if diff := cmp.Diff([]string{"Milano Tessuti"}, names(suppliers.SupplierFilter{Status: suppliers.StatusPaused})); diff != "" {
			t.Errorf("status filter: %s", diff)
		}
		if diff := cmp.Diff([]string{"Lisbon Ceramics"}, names(suppliers.SupplierFilter{Country: "pt"})); diff != "" {
			t.Errorf("country filter: %s", diff)
		}
		if diff := cmp.Diff([]string{"Milano Tessuti"}, names(suppliers.SupplierFilter{Query: "TESS"})); diff != "" {
			t.Errorf("name search: %s", diff)
		}
		if diff := cmp.Diff([]string{"Milano Tessuti"}, names(suppliers.SupplierFilter{After: lis.ID})); diff != "" {
			t.Errorf("after: %s", diff)
		}
	})
}

func TestOffers(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cat := catalog.NewService(db, clock)
		svc := suppliers.NewService(db, clock)
		p, err := cat.CreateProduct(ctx, catalog.NewProduct{Title: "Mug", Variants: []catalog.NewVariant{
			{SKU: "MUG-W", Price: eur("12")}, {SKU: "MUG-R", Price: eur("12")},
		}})
		if err != nil {
			t.Fatal(err)
		}
		lis, err := svc.CreateSupplier(ctx, suppliers.NewSupplier{Name: "Lisbon Ceramics", Timezone: "Europe/Lisbon", Country: "PT"})
		if err != nil {
			t.Fatal(err)
		}
		shz, err := svc.CreateSupplier(ctx, suppliers.NewSupplier{Name: "Shenzhen Homeware", Timezone: "Asia/Shanghai", Country: "CN"})
		if err != nil {
			t.Fatal(err)
		}
		good := suppliers.NewOffer{SupplierID: lis.ID, SKU: "mug-w", SupplierSKU: "LC-100", Cost: eur("4.20"), LeadTimeDays: 2, MinOrderQty: 1, Priority: 10}
		o, err := svc.CreateOffer(ctx, good)
		if err != nil {
			t.Fatal(err)
		}
		if o.VariantID != p.Variants[0].ID || o.SKU != "MUG-W" || o.SupplierName != lis.Name || o.Status != suppliers.OfferActive {
			t.Errorf("offer = %+v", o)
		}
		second := suppliers.NewOffer{SupplierID: shz.ID, VariantID: p.Variants[0].ID, SupplierSKU: "SZ-9", Cost: money.Money{Amount: 1500, Currency: "CNY"},
			LeadTimeDays: 12, MinOrderQty: 10, Priority: 20}
		if _, err := svc.CreateOffer(ctx, second); err != nil {
			t.Fatal(err)
		}

		with := func(change func(*suppliers.NewOffer)) suppliers.NewOffer {
			in := good
			in.SKU, in.SupplierSKU = "MUG-R", "LC-200"
			change(&in)
			return in
		}
		tests := []struct {
			name   string
			in     suppliers.NewOffer
			code   apperr.Code
			fields []string
		}{
			{"same variant twice", good, apperr.Conflict, nil},
			{"supplier SKU reused", with(func(o *suppliers.NewOffer) { o.SupplierSKU = "LC-100" }), apperr.Conflict, []string{"supplier_sku"}},
			{"unknown supplier", with(func(o *suppliers.NewOffer) { o.SupplierID = 999 }), apperr.Invalid, []string{"supplier_id"}},
			{"unknown variant id", with(func(o *suppliers.NewOffer) { o.VariantID = 999 }), apperr.Invalid, []string{"variant_id"}},
			{"unknown SKU", with(func(o *suppliers.NewOffer) { o.SKU = "NOPE" }), apperr.Invalid, []string{"sku"}},
			{"lead time 400", with(func(o *suppliers.NewOffer) { o.LeadTimeDays = 400 }), apperr.Invalid, []string{"lead_time_days"}},
			{"moq 0 and negative cost", with(func(o *suppliers.NewOffer) { o.MinOrderQty = 0; o.Cost = eur("-0.01") }),
				apperr.Invalid, []string{"cost.amount", "min_order_qty"}},
			{"absurd cost", with(func(o *suppliers.NewOffer) { o.Cost = eur("2000000000") }), apperr.Invalid, []string{"cost.amount"}},
		}
		for _, tt := range tests {
			_, err := svc.CreateOffer(ctx, tt.in)
			if apperr.CodeOf(err) != tt.code {
				t.Errorf("%s: err = %v, want %s", tt.name, err, tt.code)
				continue
			}
			if diff := cmp.Diff(tt.fields, fieldsOf(err)); diff != "" {
				t.Errorf("%s: fields (-want +got):\n%s", tt.name, diff)
			}
		}
		if _, err := svc.CreateOffer(ctx, good); err == nil || !strings.Contains(err.Error(), "MUG-W") {
			t.Errorf("duplicate offer error should name the SKU: %v", err)
		}

		lead, status := 5, "inactive"
		u, err := svc.UpdateOffer(ctx, o.ID, suppliers.OfferPatch{LeadTimeDays: &lead, Status: &status})
		if err != nil || u.LeadTimeDays != 5 || u.Status != suppliers.OfferInactive || u.Cost != o.Cost {
			t.Errorf("update = %+v, %v", u, err)
		}
		bad := 366
		if _, err := svc.UpdateOffer(ctx, o.ID, suppliers.OfferPatch{LeadTimeDays: &bad}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("lead time 366: %v", err)
		}

		ids := func(f suppliers.OfferFilter) []string {
			list, err := svc.ListOffers(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, o := range list {
				out = append(out, o.SupplierSKU)
			}
			return out
		}
		if diff := cmp.Diff([]string{"LC-100", "SZ-9"}, ids(suppliers.OfferFilter{SKU: "mug-w"})); diff != "" {
			t.Errorf("by sku: %s", diff)
		}
		if diff := cmp.Diff([]string{"SZ-9"}, ids(suppliers.OfferFilter{SupplierID: shz.ID})); diff != "" {
			t.Errorf("by supplier: %s", diff)
		}
		if diff := cmp.Diff([]string{"SZ-9"}, ids(suppliers.OfferFilter{Status: suppliers.OfferActive, VariantID: p.Variants[0].ID})); diff != "" {
			t.Errorf("by status and variant: %s", diff)
		}
		pref, err := svc.OffersForVariant(ctx, db.R, p.Variants[0].ID)
		if err != nil || len(pref) != 2 || pref[0].SupplierID != lis.ID {
			t.Errorf("OffersForVariant = %+v, %v", pref, err)
		}

		// Catalog filters by supplier, and refuses to delete what offers use.
		vs, err := cat.ListVariants(ctx, catalog.Filter{SupplierID: shz.ID})
		if err != nil || len(vs) != 1 || vs[0].SKU != "MUG-W" {
			t.Errorf("variants of supplier = %+v, %v", vs, err)
		}
		ps, err := cat.ListProducts(ctx, catalog.Filter{SupplierID: shz.ID})
		if err != nil || len(ps) != 1 {
			t.Errorf("products of supplier = %+v, %v", ps, err)
		}
		// Two variants of one product from the same supplier: still one product.
		if _, err := svc.CreateOffer(ctx, suppliers.NewOffer{SupplierID: shz.ID, SKU: "MUG-R", SupplierSKU: "SZ-10",
			Cost: eur("1"), LeadTimeDays: 12, MinOrderQty: 1}); err != nil {
			t.Fatal(err)
		}
		if ps, err := cat.ListProducts(ctx, catalog.Filter{SupplierID: shz.ID}); err != nil || len(ps) != 1 {
			t.Errorf("products of supplier with two offers = %+v, %v", ps, err)
		}
		if err := cat.DeleteVariant(ctx, p.Variants[0].ID); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("delete variant with offers: %v", err)
		}
		if err := cat.DeleteProduct(ctx, p.ID); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("delete product with offers: %v", err)
		}
		if err := svc.DeleteSupplier(ctx, lis.ID); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("delete supplier with offers: %v", err)
		}
		if err := svc.DeleteOffer(ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteSupplier(ctx, lis.ID); err != nil {
			t.Errorf("delete supplier without offers: %v", err)
		}
		if _, err := svc.Supplier(ctx, lis.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("deleted supplier: %v", err)
		}
	})
}
