package web_test

import (
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// stockFixture creates, through the API, SKU MUG-BLUE with two offers:
// Lisboa (priority 1) and Porto (priority 2), and SKU MUG-RED with none.
func stockFixture(c *apiClient) (lisboa, porto, offerL, offerP string) {
	c.t.Helper()
	c.must(201, "POST", "/products", `{"title":"Enamel Mug","variants":[
		{"sku":"mug-blue","price":{"amount":"9.00","currency":"EUR"}},
		{"sku":"mug-red","price":{"amount":"9.00","currency":"EUR"}}]}`)
	lisboa = c.must(201, "POST", "/suppliers", `{"name":"Lisboa","timezone":"Europe/Lisbon","country":"PT"}`).str("id")
	porto = c.must(201, "POST", "/suppliers", `{"name":"Porto","timezone":"Europe/Lisbon","country":"PT"}`).str("id")
	offerL = c.must(201, "POST", "/offers", `{"supplier_id":`+lisboa+`,"sku":"MUG-BLUE","supplier_sku":"L-1",
		"cost":{"amount":"3.00","currency":"EUR"},"lead_time_days":2,"priority":1}`).str("id")
	offerP = c.must(201, "POST", "/offers", `{"supplier_id":`+porto+`,"sku":"MUG-BLUE","supplier_sku":"P-1",
		"cost":{"amount":"3.10","currency":"EUR"},"lead_time_days":2,"priority":2}`).str("id")
	return lisboa, porto, offerL, offerP
}

func TestStockAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		c := newAPIClient(t, db, auth.Operations)
		lisboa, _, offerL, offerP := stockFixture(c)

		r := c.must(200, "PUT", "/stock/offers/"+offerL+"/reported", `{"quantity":40,"reported_at":"2026-03-01T08:00:00Z"}`)
		if r.str("kind") != "report" || r.str("after") != "40" || r.str("before") != "0" {
			t.Errorf("report: %s", r.raw)
		}
		c.must(200, "PUT", "/stock/offers/"+offerP+"/reported", `{"quantity":9}`)
		if r := c.must(200, "PUT", "/stock/suppliers/"+lisboa+"/buffer", `{"units":2,"percent":"12.5"}`); r.str("percent") != "12.5" {
			t.Errorf("set supplier buffer: %s", r.raw)
		}
		c.must(200, "PUT", "/stock/skus/mug-blue/buffer", `{"units":3}`)
		if r := c.must(200, "GET", "/stock/skus/MUG-BLUE/buffer", ""); r.str("units") != "3" || r.str("percent") != "0" {
			t.Errorf("get SKU buffer: %s", r.raw)
		}
		if r := c.must(200, "GET", "/stock/suppliers/"+lisboa+"/buffer", ""); r.str("units") != "2" || r.str("percent") != "12.5" {
			t.Errorf("get supplier buffer: %s", r.raw)
		}

		// Lisboa: 40 reported, 12.5% = 5 beats 2 and 3 → 35. Porto: 9 − 3 (SKU) → 6.
		d := c.must(200, "GET", "/stock/skus/mug-blue", "")
		for path, want := range map[string]string{
			"ats": "41", "offers.0.offer_id": offerL, "offers.0.buffer": "5", "offers.0.buffer_rule": "supplier_percent",
			"offers.0.contribution": "35", "offers.0.reported_at": "2026-03-01T08:00:00Z", "offers.1.buffer": "3",
			"offers.1.buffer_rule": "sku_units", "offers.1.contribution": "6", "offers.1.reported_at": "2026-03-01T12:00:00Z",
			"sku_buffer.units": "3", "low_stock": "false",
		} {
			if got := d.str(path); got != want {
				t.Errorf("stock detail %s = %q, want %q", path, got, want)
			}
		}

		a := c.must(201, "POST", "/stock/adjustments", `{"offer_id":`+offerP+`,"mode":"add","delta":-5,"reason":"Two broken, three lost"}`)
		if a.str("before") != "9" || a.str("after") != "4" || a.str("delta") != "-5" || !strings.HasPrefix(a.str("actor"), "token:") {
			t.Errorf("adjustment: %s", a.raw)
		}
		c.must(201, "POST", "/stock/adjustments", `{"offer_id":`+offerP+`,"mode":"set","quantity":0,"reason":"Recount"}`)

		// Lists: everything, low stock (MUG-BLUE has 35, MUG-RED 0), paging.
		l := c.must(200, "GET", "/stock?limit=1", "")
		if l.str("items.0.sku") != "MUG-BLUE" || l.str("items.0.ats") != "35" || l.str("items.0.sellable_offers") != "2" || l.str("next") == "" {
			t.Errorf("stock list page 1: %s", l.raw)
		}
		if l2 := c.must(200, "GET", "/stock?limit=1&after="+l.str("next"), ""); l2.str("items.0.sku") != "MUG-RED" || l2.str("next") != "" {
			t.Errorf("stock list page 2: %s", l2.raw)
		}
		if l := c.must(200, "GET", "/stock?low_stock=true", ""); l.str("items.0.sku") != "MUG-RED" || l.str("items.1.sku") != "" || l.str("items.0.low_stock") != "true" {
			t.Errorf("low stock (default threshold 5): %s", l.raw)
		}
		if l := c.must(200, "GET", "/stock?low_stock=true&threshold=35", ""); l.str("items.1.sku") != "MUG-RED" {
			t.Errorf("low stock with threshold 35: %s", l.raw)
		}
		if l := c.must(200, "GET", "/stock?q=enamel&supplier_id="+lisboa, ""); l.str("items.0.sku") != "MUG-BLUE" || l.str("items.1.sku") != "" {
			t.Errorf("stock by title and supplier: %s", l.raw)
		}

		h := c.must(200, "GET", "/stock/adjustments?sku=mug-blue&limit=2", "")
		if h.str("items.0.kind") != "set" || h.str("items.1.kind") != "add" || h.str("items.1.reason") != "Two broken, three lost" || h.str("next") == "" {
			t.Errorf("adjustments page 1: %s", h.raw)
		}
		if h2 := c.must(200, "GET", "/stock/adjustments?sku=mug-blue&after="+h.str("next"), ""); h2.str("items.0.kind") != "report" || h2.str("items.2.kind") != "" {
			t.Errorf("adjustments page 2: %s", h2.raw)
		}
		if h := c.must(200, "GET", "/stock/adjustments?offer_id="+offerL, ""); h.str("items.0.offer_id") != offerL || h.str("items.1.id") != "" {
			t.Errorf("adjustments of an offer: %s", h.raw)
		}

		c.checkProblems([]problemCase{
			{"negative report", "PUT", "/stock/offers/" + offerL + "/reported", `{"quantity":-1}`, 422, "invalid", "quantity", ""},
			{"absurd report", "PUT", "/stock/offers/" + offerL + "/reported", `{"quantity":99999999999}`, 422, "invalid", "quantity", ""},
			{"future report", "PUT", "/stock/offers/" + offerL + "/reported", `{"quantity":1,"reported_at":"2030-01-01T00:00:00Z"}`, 422, "invalid", "reported_at", ""},
			{"unknown offer report", "PUT", "/stock/offers/999999/reported", `{"quantity":1}`, 404, "not_found", "", "offer 999999"},
			{"adjust below zero", "POST", "/stock/adjustments", `{"offer_id":` + offerP + `,"mode":"add","delta":-1,"reason":"Recount"}`, 422, "invalid", "delta", "negative"},
			{"adjust negative set", "POST", "/stock/adjustments", `{"offer_id":` + offerP + `,"mode":"set","quantity":-4,"reason":"Recount"}`, 422, "invalid", "quantity", ""},
			{"adjust without reason", "POST", "/stock/adjustments", `{"offer_id":` + offerP + `,"mode":"set","quantity":4,"reason":"  "}`, 422, "invalid", "reason", ""},
			{"adjust bad mode", "POST", "/stock/adjustments", `{"offer_id":` + offerP + `,"mode":"swap","quantity":4,"reason":"Recount"}`, 422, "invalid", "mode", ""},
			{"adjust set without quantity", "POST", "/stock/adjustments", `{"offer_id":` + offerP + `,"mode":"set","reason":"Recount"}`, 422, "invalid", "quantity", ""},
			{"adjust unknown offer", "POST", "/stock/adjustments", `{"offer_id":999999,"mode":"set","quantity":1,"reason":"Recount"}`, 422, "invalid", "offer_id", "999999"},
			{"percent over 100", "PUT", "/stock/skus/MUG-BLUE/buffer", `{"units":0,"percent":"100.5"}`, 422, "invalid", "percent", ""},
			{"percent not a number", "PUT", "/stock/skus/MUG-BLUE/buffer", `{"units":0,"percent":"lots"}`, 422, "invalid", "percent", ""},
			{"percent too precise", "PUT", "/stock/skus/MUG-BLUE/buffer", `{"units":0,"percent":"1.005"}`, 422, "invalid", "percent", ""},
			{"negative buffer units", "PUT", "/stock/suppliers/" + lisboa + "/buffer", `{"units":-2}`, 422, "invalid", "units", ""},
			{"unknown SKU buffer", "PUT", "/stock/skus/NOPE-1/buffer", `{"units":1}`, 404, "not_found", "", "NOPE-1"},
			{"unknown supplier buffer", "PUT", "/stock/suppliers/999999/buffer", `{"units":1}`, 404, "not_found", "", "999999"},
			{"unknown SKU stock", "GET", "/stock/skus/NOPE-1", "", 404, "not_found", "", "NOPE-1"},
			{"unknown SKU adjustments", "GET", "/stock/adjustments?sku=NOPE-1", "", 404, "not_found", "", "NOPE-1"},
			{"bad threshold", "GET", "/stock?low_stock=true&threshold=-3", "", 422, "invalid", "query.threshold", ""},
			{"bad cursor", "GET", "/stock?after=zzz", "", 422, "invalid", "query.after", ""},
			{"delete an offer with stock history", "DELETE", "/offers/" + offerL, "", 409, "conflict", "", "inactive"},
		})
	})
}

func TestStockPermissions(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ops := newAPIClient(t, db, auth.Operations)
		_, _, offerL, _ := stockFixture(ops)
		ro := newAPIClient(t, db, auth.ReadOnly)
		ro.must(200, "GET", "/stock/skus/MUG-BLUE", "")
		ro.must(200, "GET", "/stock", "")
		ro.must(403, "PUT", "/stock/offers/"+offerL+"/reported", `{"quantity":3}`)
		ro.must(403, "POST", "/stock/adjustments", `{"offer_id":`+offerL+`,"mode":"set","quantity":3,"reason":"Recount"}`)
		ro.must(403, "PUT", "/stock/skus/MUG-BLUE/buffer", `{"units":1}`)
	})
}
