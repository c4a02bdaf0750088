package web_test

import (
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestStockPolicyAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Operations, orders.Options{})
		a.fx.AddSKU("LAMP-1", 1)
		a.fx.AddSKU("BOOK-1", 0)

		if p := a.must(200, "GET", "/stock/skus/lamp-1/policy", ""); p.str("sku") != "LAMP-1" || p.str("backorder_limit") != "0" ||
			p.str("preorder") != "false" || p.str("channel_caps") != "[]" || p.str("updated_at") != "" {
			t.Errorf("policy never set: %s", p.raw)
		}
		p := a.must(200, "PUT", "/stock/skus/LAMP-1/policy", `{"backorder_limit":3,"restock_expected_at":"2026-03-20T00:00:00Z"}`)
		if p.str("backorder_limit") != "3" || p.str("restock_expected_at") != "2026-03-20T00:00:00Z" || p.str("updated_at") != "2026-03-02T09:30:00Z" {
			t.Errorf("set backorder policy: %s", p.raw)
		}

		// 1 in stock, 2 backordered up to the limit of 3: the order waits.
		o := a.must(201, "POST", "/orders", orderJSON("ana@example.com", `{"sku":"LAMP-1","quantity":3}`, ""))
		if o.str("state") != "awaiting_stock" || o.str("lines.0.reserved") != "1" || o.str("lines.0.backordered") != "2" ||
			o.str("lines.0.expected_at") != "2026-03-20T00:00:00Z" {
			t.Errorf("backordered order: %s", o.raw)
		}
		if p := a.must(200, "GET", "/stock/skus/LAMP-1/policy", ""); p.str("backordered") != "2" {
			t.Errorf("policy after a backorder: %s", p.raw)
		}
		if r := a.do("POST", "/orders", orderJSON("ana@example.com", `{"sku":"LAMP-1","quantity":2}`, "")); r.status != 409 ||
			r.str("errors.0.field") != "lines[0].quantity" || r.str("errors.0.value.sku") != "LAMP-1" {
			t.Errorf("beyond the backorder limit: %d %s", r.status, r.raw)
		}

		// A pre-order SKU with a channel cap.
		p = a.must(200, "PUT", "/stock/skus/BOOK-1/policy",
			`{"preorder_release_at":"2026-04-01T00:00:00Z","preorder_cap":10,"channel_caps":[{"channel":"shop","cap":1}]}`)
		if p.str("preorder") != "true" || p.str("preorder_cap") != "10" || p.str("channel_caps.0.channel") != "shop" || p.str("channel_caps.0.cap") != "1" {
			t.Errorf("set pre-order policy: %s", p.raw)
		}
		o = a.must(201, "POST", "/orders", orderJSON("ana@example.com", `{"sku":"BOOK-1","quantity":1}`, `,"channel":"shop"`))
		if o.str("lines.0.state") != "preordered" || o.str("lines.0.expected_at") != "2026-04-01T00:00:00Z" {
			t.Errorf("pre-order: %s", o.raw)
		}
		if p := a.must(200, "GET", "/stock/skus/BOOK-1/policy", ""); p.str("preordered") != "1" || p.str("channel_caps.0.taken") != "1" {
			t.Errorf("policy after a pre-order: %s", p.raw)
		}
		if r := a.do("POST", "/orders", orderJSON("ana@example.com", `{"sku":"BOOK-1","quantity":1}`, `,"channel":"shop"`)); r.status != 409 ||
			r.str("code") != "unavailable" || r.str("errors.0.value.sku") != "BOOK-1" {
			t.Errorf("beyond the channel's cap: %d %s", r.status, r.raw)
		}
		// PUT replaces the whole policy: without channel_caps, the cap goes.
		if p := a.must(200, "PUT", "/stock/skus/BOOK-1/policy", `{"preorder_release_at":"2026-04-01T00:00:00Z","preorder_cap":10}`); p.str("channel_caps") != "[]" || p.str("preordered") != "1" {
			t.Errorf("replace pre-order policy: %s", p.raw)
		}

		a.checkProblems([]problemCase{
			{"negative limit", "PUT", "/stock/skus/LAMP-1/policy", `{"backorder_limit":-1}`, 422, "invalid", "backorder_limit", ""},
			{"cap without release", "PUT", "/stock/skus/LAMP-1/policy", `{"preorder_cap":5}`, 422, "invalid", "preorder_release_at", ""},
			{"release without cap", "PUT", "/stock/skus/LAMP-1/policy", `{"preorder_release_at":"2026-04-01T00:00:00Z"}`, 422, "invalid", "preorder_cap", ""},
			{"channel cap over the cap", "PUT", "/stock/skus/BOOK-1/policy",
				`{"preorder_release_at":"2026-04-01T00:00:00Z","preorder_cap":2,"channel_caps":[{"channel":"shop","cap":3}]}`, 422, "invalid", "channel_caps[0].cap", ""},
			{"bad channel", "PUT", "/stock/skus/BOOK-1/policy",
				`{"preorder_release_at":"2026-04-01T00:00:00Z","preorder_cap":2,"channel_caps":[{"channel":"Web Shop","cap":1}]}`, 422, "invalid", "channel_caps[0].channel", ""},
			{"bad time", "PUT", "/stock/skus/BOOK-1/policy", `{"restock_expected_at":"next week"}`, 422, "invalid", "restock_expected_at", ""},
			{"unknown SKU", "GET", "/stock/skus/NOPE-1/policy", "", 404, "not_found", "", "NOPE-1"},
			{"unknown SKU set", "PUT", "/stock/skus/NOPE-1/policy", `{"backorder_limit":1}`, 404, "not_found", "", "NOPE-1"},
		})
		ro := a.as(auth.ReadOnly)
		ro.must(200, "GET", "/stock/skus/LAMP-1/policy", "")
		ro.must(403, "PUT", "/stock/skus/LAMP-1/policy", `{"backorder_limit":1}`)
		a.as(auth.Support).must(403, "PUT", "/stock/skus/LAMP-1/policy", `{"backorder_limit":1}`)
	})
}
