package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestStorefrontAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Admin, orders.Options{})
		lamp := a.fx.AddSKU("LAMP-1", 5)
		a.fx.AddSKU("BOOK-1", 2)
		const secret = "whsec-very-secret-signing-key"
		const token = "shpat_very_secret_access_token"

		hook := a.must(201, "POST", "/storefront/targets",
			`{"name":"Own shop","kind":"webhook","url":"https://shop.example/hooks/stock","secret":"`+secret+`"}`)
		if hook.str("kind") != "webhook" || hook.str("enabled") != "true" || hook.str("secret_set") != "true" ||
			hook.str("pending") != "2" || hook.str("rate_per_second") != "2" || hook.str("batch_size") != "50" {
			t.Errorf("created webhook target: %s", hook.raw)
		}
		shop := a.must(201, "POST", "/storefront/targets",
			`{"name":"Shopify","kind":"shopify","url":"https://example.myshopify.com","secret":"`+token+`","location_id":"123","currency":"EUR","rate_per_second":4}`)
		if shop.str("location_id") != "gid://shopify/Location/123" || shop.str("api_version") != "2026-01" || shop.str("rate_per_second") != "4" {
			t.Errorf("created Shopify target: %s", shop.raw)
		}
		hookPath := "/storefront/targets/" + hook.str("id")
		shopPath := "/storefront/targets/" + shop.str("id")

		list := a.must(200, "GET", "/storefront/targets", "")
		if list.str("items.0.name") != "Own shop" || list.str("items.1.name") != "Shopify" {
			t.Errorf("list: %s", list.raw)
		}
		// A price change is captured for both targets.
		if _, err := db.W.Exec(`UPDATE variants SET price_amount = 1500 WHERE id = $1`, lamp.Variant); err != nil {
			t.Fatal(err)
		}
		if r := a.must(200, "GET", hookPath+"/outbox?limit=1", ""); r.str("items.0.sku") != "LAMP-1" || r.str("items.0.price") != "true" ||
			r.str("items.0.version") != "2" || r.str("next") == "" {
			t.Errorf("outbox page 1: %s", r.raw)
		} else if r2 := a.must(200, "GET", hookPath+"/outbox?limit=1&after="+r.str("next"), ""); r2.str("items.0.sku") != "BOOK-1" || r2.str("next") != "" {
			t.Errorf("outbox page 2: %s", r2.raw)
		}

		// Disable, rename, rotate the secret.
		p := a.must(200, "PATCH", hookPath, `{"enabled":false,"name":"Own shop (paused)","secret":"another-long-signing-key"}`)
		if p.str("enabled") != "false" || p.str("name") != "Own shop (paused)" {
			t.Errorf("patch: %s", p.raw)
		}
		if r := a.must(200, "POST", hookPath+"/resync", ""); r.str("queued") != "2" {
			t.Errorf("resync: %s", r.raw)
		}

		// Mappings of the Shopify target.
		m := a.must(200, "PUT", shopPath+"/mappings", `{"items":[{"sku":"lamp-1","variant_id":"44","inventory_item_id":"gid://shopify/InventoryItem/55","product_id":"66"}]}`)
		if m.str("queued") != "1" {
			t.Errorf("mappings: %s", m.raw)
		}
		ml := a.must(200, "GET", shopPath+"/mappings", "")
		if ml.str("items.0.sku") != "LAMP-1" || ml.str("items.0.variant_id") != "gid://shopify/ProductVariant/44" ||
			ml.str("items.0.product_id") != "gid://shopify/Product/66" || ml.str("items.0.source") != "upload" {
			t.Errorf("mapping list: %s", ml.raw)
		}

		// Secrets are stored but never returned, by any route.
		for _, path := range []string{"/storefront/targets", hookPath, shopPath, shopPath + "/mappings", shopPath + "/outbox"} {
			r := a.must(200, "GET", path, "")
			for _, s := range []string{secret, token, "another-long-signing-key", `"secret"`} {
				if strings.Contains(r.raw, s) {
					t.Errorf("GET %s shows a secret (%s): %s", path, s, r.raw)
				}
			}
		}

		a.checkProblems([]problemCase{
			{"short webhook secret", "POST", "/storefront/targets", `{"name":"x","kind":"webhook","url":"https://x.example/h","secret":"short"}`, 422, "invalid", "secret", ""},
			{"Shopify without location", "POST", "/storefront/targets", `{"name":"x","kind":"shopify","url":"https://x.example","secret":"shpat_x"}`, 422, "invalid", "location_id", ""},
			{"unknown kind", "POST", "/storefront/targets", `{"name":"x","kind":"ftp","url":"https://x.example","secret":"0123456789abcdefgh"}`, 422, "invalid", "kind", ""},
			{"duplicate name", "POST", "/storefront/targets", `{"name":"Shopify","kind":"webhook","url":"https://x.example/h","secret":"0123456789abcdefgh"}`, 422, "invalid", "name", ""},
			{"bad mapping id", "PUT", shopPath + "/mappings", `{"items":[{"sku":"LAMP-1","variant_id":"gid://shopify/Product/1","inventory_item_id":"2","product_id":"3"}]}`, 422, "invalid", "items[0].variant_id", ""},
			{"mapping a webhook", "PUT", hookPath + "/mappings", `{"items":[{"sku":"LAMP-1","variant_id":"1","inventory_item_id":"2","product_id":"3"}]}`, 422, "invalid", "", "needs no mapping"},
			{"unknown target", "GET", "/storefront/targets/999", "", 404, "not_found", "", ""},
			{"bad rate", "PATCH", hookPath, `{"rate_per_second":0}`, 422, "invalid", "rate_per_second", ""},
		})

		a.must(204, "DELETE", hookPath, "")
		a.must(404, "GET", hookPath, "")
		if r := a.must(200, "GET", "/storefront/targets", ""); r.str("items.0.name") != "Shopify" || r.str("items.1.name") != "" {
			t.Errorf("list after delete: %s", r.raw)
		}

		// Only owners and admins configure storefronts.
		for _, role := range []auth.Role{auth.Operations, auth.Finance} {
			c := a.as(role)
			c.must(403, "GET", "/storefront/targets", "")
			c.must(403, "POST", "/storefront/targets", `{"name":"x","kind":"webhook","url":"https://x.example/h","secret":"0123456789abcdefgh"}`)
		}
		a.as(auth.Owner).must(200, "GET", fmt.Sprintf("%s/mappings", shopPath), "")
	})
}
