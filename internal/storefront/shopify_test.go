package storefront_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/storefront"
)

func TestShopify(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		r := newRig(t, db, storefront.Options{})
		lamp := r.fx.AddSKU("LAMP-1", 5)
		book := r.fx.AddSKU("BOOK-1", 3)
		vase := r.fx.AddSKU("VASE-1", 4)
		r.fx.AddSKU("DUP-1", 1)
		f := r.fake
		f.variants["LAMP-1"] = shopVariant{"gid://shopify/ProductVariant/11", "gid://shopify/InventoryItem/21", "gid://shopify/Product/31"}
		f.variants["book-1"] = shopVariant{"gid://shopify/ProductVariant/12", "gid://shopify/InventoryItem/22", "gid://shopify/Product/32"}
		f.variants["DUP-1"] = shopVariant{"gid://shopify/ProductVariant/13", "gid://shopify/InventoryItem/23", "gid://shopify/Product/33"}
		f.variants["dup-1"] = shopVariant{"gid://shopify/ProductVariant/14", "gid://shopify/InventoryItem/24", "gid://shopify/Product/33"}

		tg, err := r.svc.CreateTarget(ctx, storefront.NewTarget{Name: "shop", Kind: storefront.KindShopify, URL: f.ts.URL + "/",
			Secret: "shpat_test_token", LocationID: "77", Currency: "EUR", RatePerSecond: 100})
		if err != nil {
			t.Fatal(err)
		}
		if tg.LocationID != "gid://shopify/Location/77" || tg.APIVersion != storefront.DefaultAPIVersion {
			t.Fatalf("target %+v: location and API version not normalised", tg)
		}
		// LAMP-1 is mapped by upload (numeric ids are read as GIDs); the
		// others are looked up by SKU.
		if _, err := r.svc.PutMappings(ctx, tg.ID, []storefront.MappingInput{{SKU: "lamp-1", VariantID: "11", InventoryItemID: "21", ProductID: "31"}}); err != nil {
			t.Fatal(err)
		}
		r.drain(tg.ID)
		if d := cmp.Diff([]string{`sku:"BOOK-1" OR sku:"VASE-1" OR sku:"DUP-1"`}, sortedLookups(f.lookups)); d != "" {
			t.Errorf("lookups (-want +got): only unmapped SKUs are looked up\n%s", d)
		}
		loc := "gid://shopify/Location/77"
		if d := cmp.Diff([]shopQuantity{{"gid://shopify/InventoryItem/21", loc, 5}, {"gid://shopify/InventoryItem/22", loc, 3}},
			sortQuantities(f.inventory)); d != "" {
			t.Errorf("inventory (-want +got):\n%s", d)
		}
		if d := cmp.Diff([]shopPrice{{"gid://shopify/Product/31", "gid://shopify/ProductVariant/11", "10.00"},
			{"gid://shopify/Product/32", "gid://shopify/ProductVariant/12", "10.00"}}, sortPrices(f.prices)); d != "" {
			t.Errorf("prices (-want +got): one call per product\n%s", d)
		}
		for _, tok := range f.tokens {
			if tok != "shpat_test_token" {
				t.Fatalf("access token header %q", tok)
			}
		}
		// VASE-1 is not on the store (done, remembered); DUP-1 is on two
		// variants (set aside until a mapping says which).
		ps, err := r.svc.Outbox(ctx, tg.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 1 || ps[0].SKU != "DUP-1" || ps[0].NotBefore == nil || ps[0].LastError == "" || ps[0].Attempts != 1 {
			t.Fatalf("outbox %+v, want DUP-1 set aside with its reason", ps)
		}
		maps, err := r.svc.Mappings(ctx, tg.ID, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range maps {
			got = append(got, m.SKU+" "+m.Source+" "+map[bool]string{true: m.VariantID, false: "not found"}[m.Found])
		}
		if d := cmp.Diff([]string{"BOOK-1 lookup gid://shopify/ProductVariant/12", "LAMP-1 upload gid://shopify/ProductVariant/11", "VASE-1 lookup not found"}, got); d != "" {
			t.Errorf("mappings (-want +got):\n%s", d)
		}

		// A stock change of a SKU known not to be on the store: no call.
		f.reset()
		r.fx.Report(vase, 9)
		r.drain(tg.ID)
		if n := f.requestCount(); n != 0 {
			t.Errorf("%d requests for a SKU not on the store, want none", n)
		}
		// A price change only: one price call, no inventory call. A price
		// in another currency than the store's is not sent.
		setPrice(t, r, book.Variant, 1999)
		usd := money.Money{Amount: 1500, Currency: "USD"}
		if _, err := catalog.NewService(db, r.fx.Clock.Now).UpdateVariant(ctx, lamp.Variant, catalog.VariantPatch{Price: &usd}); err != nil {
			t.Fatal(err)
		}
		r.drain(tg.ID)
		if len(f.inventory) != 0 || !slices.Equal(f.prices, []shopPrice{{"gid://shopify/Product/32", "gid://shopify/ProductVariant/12", "19.99"}}) {
			t.Errorf("price change: inventory %v, prices %v", f.inventory, f.prices)
		}

		// The store refuses one inventory item: the others are sent again
		// without it, and it is set aside.
		f.reset()
		f.badItems["gid://shopify/InventoryItem/21"] = true
		r.fx.Report(lamp, 2)
		r.fx.Report(book, 1)
		r.drain(tg.ID)
		if d := cmp.Diff([]shopQuantity{{"gid://shopify/InventoryItem/22", loc, 1}}, f.inventory); d != "" {
			t.Errorf("inventory after a refusal (-want +got):\n%s", d)
		}
		got2, err := r.svc.Target(ctx, tg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got2.SetAside != 2 || got2.LastError == "" {
			t.Errorf("target %+v, want LAMP-1 and DUP-1 set aside and the refusal recorded", got2)
		}
		// A new upload of its mapping makes it due again at once.
		delete(f.badItems, "gid://shopify/InventoryItem/21")
		if _, err := r.svc.PutMappings(ctx, tg.ID, []storefront.MappingInput{{SKU: "LAMP-1", VariantID: "gid://shopify/ProductVariant/11",
			InventoryItemID: "gid://shopify/InventoryItem/21", ProductID: "gid://shopify/Product/31"}}); err != nil {
			t.Fatal(err)
		}
		f.reset()
		r.drain(tg.ID)
		if d := cmp.Diff([]shopQuantity{{"gid://shopify/InventoryItem/21", loc, 2}}, f.inventory); d != "" {
			t.Errorf("inventory after the new mapping (-want +got):\n%s", d)
		}
	})
}

func TestShopifyThrottled(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		r := newRig(t, db, storefront.Options{})
		lamp := r.fx.AddSKU("LAMP-1", 5)
		f := r.fake
		tg, err := r.svc.CreateTarget(ctx, storefront.NewTarget{Name: "shop", Kind: storefront.KindShopify, URL: f.ts.URL,
			Secret: "shpat_test_token", LocationID: "gid://shopify/Location/77", RatePerSecond: 100})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.PutMappings(ctx, tg.ID, []storefront.MappingInput{{SKU: "LAMP-1", VariantID: "11", InventoryItemID: "21", ProductID: "31"}}); err != nil {
			t.Fatal(err)
		}
		r.drain(tg.ID)
		f.reset()
		r.mu.Lock()
		r.sleeps = nil
		r.mu.Unlock()
		r.fx.Report(lamp, 6)
		// Shopify answers a throttled GraphQL call with 200 and THROTTLED:
		// 100 points asked, 40 left, 50 restored per second: wait 1.2 s.
		f.answer(http.StatusOK, nil, `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],
			"extensions":{"cost":{"requestedQueryCost":100,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":1000,"currentlyAvailable":40,"restoreRate":50}}}}`)
		r.drain(tg.ID)
		if d := cmp.Diff([]shopQuantity{{"gid://shopify/InventoryItem/21", "gid://shopify/Location/77", 6}}, f.inventory); d != "" {
			t.Errorf("inventory (-want +got):\n%s", d)
		}
		if d := cmp.Diff([]time.Duration{1200 * time.Millisecond}, r.slept()); d != "" {
			t.Errorf("waits (-want +got):\n%s", d)
		}
	})
}

func TestTargetValidation(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		svc := storefront.New(db, nil, nil)
		cases := []struct {
			name  string
			in    storefront.NewTarget
			field string
		}{
			{"no name", storefront.NewTarget{Kind: storefront.KindWebhook, URL: "https://x.test/h", Secret: hookSecret}, "name"},
			{"bad kind", storefront.NewTarget{Name: "a", Kind: "ftp", URL: "https://x.test/h", Secret: hookSecret}, "kind"},
			{"relative URL", storefront.NewTarget{Name: "a", Kind: storefront.KindWebhook, URL: "/h", Secret: hookSecret}, "url"},
			{"credentials in URL", storefront.NewTarget{Name: "a", Kind: storefront.KindWebhook, URL: "https://u:p@x.test/h", Secret: hookSecret}, "url"},
			{"short secret", storefront.NewTarget{Name: "a", Kind: storefront.KindWebhook, URL: "https://x.test/h", Secret: "short"}, "secret"},
			{"no token", storefront.NewTarget{Name: "a", Kind: storefront.KindShopify, URL: "https://x.test", LocationID: "1"}, "secret"},
			{"no location", storefront.NewTarget{Name: "a", Kind: storefront.KindShopify, URL: "https://x.test", Secret: "shpat_x"}, "location_id"},
			{"wrong GID type", storefront.NewTarget{Name: "a", Kind: storefront.KindShopify, URL: "https://x.test", Secret: "shpat_x", LocationID: "gid://shopify/Product/1"}, "location_id"},
			{"old API version", storefront.NewTarget{Name: "a", Kind: storefront.KindShopify, URL: "https://x.test", Secret: "shpat_x", LocationID: "1", APIVersion: "2024-10"}, "api_version"},
			{"rate", storefront.NewTarget{Name: "a", Kind: storefront.KindWebhook, URL: "https://x.test/h", Secret: hookSecret, RatePerSecond: -1}, "rate_per_second"},
			{"batch", storefront.NewTarget{Name: "a", Kind: storefront.KindWebhook, URL: "https://x.test/h", Secret: hookSecret, BatchSize: 251}, "batch_size"},
			{"location on a webhook", storefront.NewTarget{Name: "a", Kind: storefront.KindWebhook, URL: "https://x.test/h", Secret: hookSecret, LocationID: "1"}, "location_id"},
		}
		for _, c := range cases {
			_, err := svc.CreateTarget(ctx, c.in)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Invalid || len(ae.Fields) == 0 || ae.Fields[0].Field != c.field {
				t.Errorf("%s: %v, want invalid %s", c.name, err, c.field)
			}
		}
		ok := storefront.NewTarget{Name: "a", Kind: storefront.KindWebhook, URL: "https://x.test/h", Secret: hookSecret}
		if _, err := svc.CreateTarget(ctx, ok); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateTarget(ctx, ok); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("duplicate name: %v", err)
		}
		if _, err := svc.PutMappings(ctx, 1, []storefront.MappingInput{{SKU: "A", VariantID: "1", InventoryItemID: "2", ProductID: "3"}}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("mapping a webhook target: %v", err)
		}
		if _, err := svc.Target(ctx, 99); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unknown target: %v", err)
		}
	})
}
