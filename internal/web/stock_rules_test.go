package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestStockRulesAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Operations, orders.Options{})
		lamp := a.fx.AddSKU("LAMP-1", 5)
		sup := fmt.Sprint(a.fx.Supplier)
		staleness := "/stock/suppliers/" + sup + "/staleness"

		if r := a.must(200, "GET", staleness, ""); r.str("max_feed_age") != "0" || r.str("stale") != "false" || r.str("stale_mode") != "exclude" ||
			r.str("last_feed_at") != "2026-03-02T09:30:00Z" || r.str("feed_age_seconds") != "0" || r.str("overdue") != "false" {
			t.Errorf("never set: %s", r.raw)
		}
		if r := a.must(200, "PUT", staleness, `{"max_feed_age":"48h"}`); r.str("max_feed_age") != "48h" || r.str("max_feed_age_seconds") != "172800" ||
			r.str("stale") != "false" || r.str("stale_mode") != "exclude" {
			t.Errorf("set 48h: %s", r.raw)
		}

		// 49 hours without a report; the staleness job runs.
		a.fx.Clock.Set(orderstest.T0.Add(49 * time.Hour))
		if c, err := a.fx.Inventory.RefreshStaleness(context.Background()); err != nil || len(c) != 1 {
			t.Fatalf("refresh: %+v, %v", c, err)
		}
		if r := a.must(200, "GET", staleness, ""); r.str("stale") != "true" || r.str("overdue") != "true" ||
			r.str("feed_age_seconds") != "176400" || r.str("stale_since") != "2026-03-04T10:30:00Z" {
			t.Errorf("stale: %s", r.raw)
		}
		if r := a.must(200, "GET", "/stock?stale=true", ""); r.str("items.0.sku") != "LAMP-1" || r.str("items.0.stale_offers") != "1" ||
			r.str("items.0.ats") != "0" || r.str("items.1.sku") != "" {
			t.Errorf("stale stock list: %s", r.raw)
		}
		if r := a.must(200, "GET", "/stock/skus/LAMP-1", ""); r.str("offers.0.stale") != "true" || r.str("offers.0.buffer_rule") != "stale_excluded" ||
			r.str("offers.0.contribution") != "0" || r.str("offers.0.last_feed_at") != "2026-03-02T09:30:00Z" || r.str("offers.0.reserved") != "0" {
			t.Errorf("stale breakdown: %s", r.raw)
		}
		// Mode buffer: 20% of 5 is held back while stale.
		if r := a.must(200, "PUT", staleness, `{"max_feed_age":"2d","stale_mode":"buffer","stale_buffer_percent":"20"}`); r.str("stale") != "true" ||
			r.str("stale_mode") != "buffer" || r.str("stale_buffer_percent") != "20" {
			t.Errorf("set buffer mode: %s", r.raw)
		}
		if r := a.must(200, "GET", "/stock/skus/LAMP-1", ""); r.str("ats") != "4" || r.str("offers.0.buffer_rule") != "stale_percent" {
			t.Errorf("stale in buffer mode: %s", r.raw)
		}
		// A report makes the supplier fresh at once.
		a.must(200, "PUT", fmt.Sprintf("/stock/offers/%d/reported", lamp.Offer), `{"quantity":5}`)
		if r := a.must(200, "GET", staleness, ""); r.str("stale") != "false" || r.str("stale_since") != "" || r.str("feed_age_seconds") != "0" {
			t.Errorf("after a report: %s", r.raw)
		}
		if r := a.must(200, "GET", "/stock?stale=true", ""); r.str("items.0.sku") != "" {
			t.Errorf("stale list after the report: %s", r.raw)
		}

		// Minimum quantities.
		minSup := "/stock/suppliers/" + sup + "/min-quantity"
		if r := a.must(200, "GET", minSup, ""); r.str("min_quantity") != "0" {
			t.Errorf("supplier minimum never set: %s", r.raw)
		}
		a.must(200, "PUT", minSup, `{"min_quantity":6}`)
		if r := a.must(200, "GET", "/stock/skus/LAMP-1", ""); r.str("ats") != "0" || r.str("offers.0.buffer_rule") != "supplier_min_quantity" {
			t.Errorf("reported 5 under a minimum of 6: %s", r.raw)
		}
		if r := a.must(200, "GET", minSup, ""); r.str("min_quantity") != "6" {
			t.Errorf("supplier minimum: %s", r.raw)
		}
		a.must(200, "PUT", minSup, `{"min_quantity":0}`)
		if r := a.must(200, "PUT", "/stock/skus/lamp-1/min-quantity", `{"min_quantity":3}`); r.str("min_quantity") != "3" {
			t.Errorf("set SKU minimum: %s", r.raw)
		}
		if r := a.must(200, "GET", "/stock/skus/LAMP-1", ""); r.str("ats") != "5" || r.str("min_quantity") != "3" {
			t.Errorf("reported 5 over a SKU minimum of 3: %s", r.raw)
		}
		if r := a.must(200, "GET", "/stock/skus/LAMP-1/min-quantity", ""); r.str("min_quantity") != "3" {
			t.Errorf("SKU minimum: %s", r.raw)
		}

		a.checkProblems([]problemCase{
			{"bad age", "PUT", staleness, `{"max_feed_age":"two days"}`, 422, "invalid", "max_feed_age", ""},
			{"age too short", "PUT", staleness, `{"max_feed_age":"30s"}`, 422, "invalid", "max_feed_age", ""},
			{"age missing", "PUT", staleness, `{}`, 422, "invalid", "body", "max_feed_age"},
			{"bad mode", "PUT", staleness, `{"max_feed_age":"48h","stale_mode":"drop"}`, 422, "invalid", "stale_mode", ""},
			{"buffer without percent", "PUT", staleness, `{"max_feed_age":"48h","stale_mode":"buffer"}`, 422, "invalid", "stale_buffer_percent", ""},
			{"bad percent", "PUT", staleness, `{"max_feed_age":"48h","stale_mode":"buffer","stale_buffer_percent":"120"}`, 422, "invalid", "stale_buffer_percent", ""},
			{"unknown supplier", "GET", "/stock/suppliers/9999/staleness", "", 404, "not_found", "", "9999"},
			{"unknown supplier set", "PUT", "/stock/suppliers/9999/staleness", `{"max_feed_age":"48h"}`, 404, "not_found", "", "9999"},
			{"unknown supplier minimum", "PUT", "/stock/suppliers/9999/min-quantity", `{"min_quantity":1}`, 404, "not_found", "", "9999"},
			{"negative minimum", "PUT", minSup, `{"min_quantity":-1}`, 422, "invalid", "min_quantity", ""},
			{"unknown SKU", "PUT", "/stock/skus/NOPE-1/min-quantity", `{"min_quantity":1}`, 404, "not_found", "", "NOPE-1"},
		})
		ro := a.as(auth.ReadOnly)
		ro.must(200, "GET", staleness, "")
		ro.must(200, "GET", minSup, "")
		ro.must(200, "GET", "/stock/skus/LAMP-1/min-quantity", "")
		ro.must(403, "PUT", staleness, `{"max_feed_age":"48h"}`)
		ro.must(403, "PUT", minSup, `{"min_quantity":1}`)
		ro.must(403, "PUT", "/stock/skus/LAMP-1/min-quantity", `{"min_quantity":1}`)
	})
}
