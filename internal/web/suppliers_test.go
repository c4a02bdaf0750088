package web_test

import (
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestSuppliersAndOffersAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		c := newAPIClient(t, db, auth.Operations)
		p := c.must(201, "POST", "/products", heartProduct)
		variantID := p.str("variants.0.id")

		lis := c.must(201, "POST", "/suppliers", `{"name":"Lisboa Cerâmica","timezone":"Europe/Lisbon","country":"pt",
			"contacts":[{"name":"Ana Silva","email":"ana@example.pt","phone":"+351 21 000 0000","role":"orders"}]}`)
		if lis.str("country") != "PT" || lis.str("status") != "active" || lis.str("contacts.0.email") != "ana@example.pt" {
			t.Errorf("created supplier: %s", lis.raw)
		}
		lisID := lis.str("id")
		shz := c.must(201, "POST", "/suppliers", `{"name":"Shenzhen Homeware","timezone":"Asia/Shanghai","country":"CN"}`)
		shzID := shz.str("id")

		o := c.must(201, "POST", "/offers", `{"supplier_id":`+lisID+`,"sku":"heart-w","supplier_sku":"LC-1",
			"cost":{"amount":"1.10","currency":"EUR"},"lead_time_days":2}`)
		if o.str("min_order_qty") != "1" || o.str("priority") != "100" || o.str("sku") != "HEART-W" || o.str("supplier_name") != "Lisboa Cerâmica" {
			t.Errorf("created offer (defaults): %s", o.raw)
		}
		c.must(201, "POST", "/offers", `{"supplier_id":`+shzID+`,"variant_id":`+variantID+`,"supplier_sku":"SZ-1",
			"cost":{"amount":"6.50","currency":"CNY"},"lead_time_days":12,"min_order_qty":20,"priority":50}`)

		u := c.must(200, "PATCH", "/offers/"+o.str("id"), `{"lead_time_days":3}`)
		if u.str("lead_time_days") != "3" || u.str("cost.amount") != "1.10" || u.str("supplier_sku") != "LC-1" {
			t.Errorf("patched offer: %s", u.raw)
		}
		if r := c.must(200, "GET", "/offers?sku=HEART-W", ""); r.str("items.0.supplier_sku") != "LC-1" || r.str("items.1.supplier_sku") != "SZ-1" {
			t.Errorf("offers by sku: %s", r.raw)
		}
		if r := c.must(200, "GET", "/offers?supplier_id="+shzID+"&status=active", ""); r.str("items.0.supplier_sku") != "SZ-1" || r.str("items.1.id") != "" {
			t.Errorf("offers by supplier: %s", r.raw)
		}
		if r := c.must(200, "GET", "/suppliers?country=cn", ""); r.str("items.0.name") != "Shenzhen Homeware" || r.str("items.1.id") != "" {
			t.Errorf("suppliers by country: %s", r.raw)
		}
		if r := c.must(200, "GET", "/variants?supplier_id="+shzID, ""); r.str("items.0.sku") != "HEART-W" || r.str("items.1.id") != "" {
			t.Errorf("variants by supplier: %s", r.raw)
		}
		paused := c.must(200, "PATCH", "/suppliers/"+shzID, `{"status":"paused"}`)
		if paused.str("status") != "paused" || paused.str("timezone") != "Asia/Shanghai" {
			t.Errorf("paused supplier: %s", paused.raw)
		}

		offer := func(extra string) string {
			return `{"supplier_id":` + lisID + `,"sku":"HEART-R","supplier_sku":"LC-2","cost":{"amount":"1","currency":"EUR"},"lead_time_days":2` + extra + `}`
		}
		c.checkProblems([]problemCase{
			{"duplicate supplier name", "POST", "/suppliers", `{"name":"LISBOA CERÂMICA","timezone":"UTC","country":"PT"}`,
				409, "conflict", "name", "already exists"},
			{"unknown time zone", "POST", "/suppliers", `{"name":"X","timezone":"Europe/Atlantis","country":"PT"}`,
				422, "invalid", "timezone", "Europe/Atlantis"},
			{"unknown country", "POST", "/suppliers", `{"name":"X","timezone":"UTC","country":"UK"}`,
				422, "invalid", "country", "ISO 3166-1"},
			{"bad contact email", "PATCH", "/suppliers/" + lisID, `{"contacts":[{"name":"Rui","email":"rui@"}]}`,
				422, "invalid", "contacts[0].email", ""},
			{"unknown supplier path", "GET", "/suppliers/99999", "", 404, "not_found", "", "supplier 99999"},
			{"unknown supplier in body", "POST", "/offers", `{"supplier_id":99999,"sku":"HEART-R","supplier_sku":"X",
				"cost":{"amount":"1","currency":"EUR"},"lead_time_days":1}`, 422, "invalid", "supplier_id", "supplier 99999 does not exist"},
			{"unknown variant in body", "POST", "/offers", `{"supplier_id":` + lisID + `,"variant_id":99999,"supplier_sku":"X",
				"cost":{"amount":"1","currency":"EUR"},"lead_time_days":1}`, 422, "invalid", "variant_id", "variant 99999 does not exist"},
			{"unknown SKU in body", "POST", "/offers", `{"supplier_id":` + lisID + `,"sku":"NOPE-1","supplier_sku":"X",
				"cost":{"amount":"1","currency":"EUR"},"lead_time_days":1}`, 422, "invalid", "sku", `"NOPE-1"`},
			{"lead time 400", "POST", "/offers", offer(`,"lead_time_days":400`), 422, "invalid", "lead_time_days", "between 0 and 365"},
			{"negative cost", "POST", "/offers", `{"supplier_id":` + lisID + `,"sku":"HEART-R","supplier_sku":"LC-2",
				"cost":{"amount":"-1","currency":"EUR"},"lead_time_days":2}`, 422, "invalid", "cost.amount", "negative"},
			{"min order 0", "POST", "/offers", offer(`,"min_order_qty":0`), 422, "invalid", "min_order_qty", "between 1"},
			{"same variant twice", "POST", "/offers", `{"supplier_id":` + lisID + `,"sku":"heart-w","supplier_sku":"LC-9",
				"cost":{"amount":"1","currency":"EUR"},"lead_time_days":2}`, 409, "conflict", "", "HEART-W"},
			{"supplier SKU reused", "POST", "/offers", `{"supplier_id":` + lisID + `,"sku":"heart-r","supplier_sku":"LC-1",
				"cost":{"amount":"1","currency":"EUR"},"lead_time_days":2}`, 409, "conflict", "supplier_sku", "LC-1"},
			{"lead time 400 on update", "PATCH", "/offers/" + o.str("id"), `{"lead_time_days":400}`, 422, "invalid", "lead_time_days", ""},
			{"delete supplier with offers", "DELETE", "/suppliers/" + lisID, "", 409, "conflict", "", "pause it instead"},
			{"delete variant with offers", "DELETE", "/variants/" + variantID, "", 409, "conflict", "", "archive it instead"},
			{"delete product with offers", "DELETE", "/products/" + p.str("id"), "", 409, "conflict", "", "archive it instead"},
		})

		c.must(204, "DELETE", "/offers/"+o.str("id"), "")
		c.must(204, "DELETE", "/suppliers/"+lisID, "")
		c.must(404, "GET", "/suppliers/"+lisID, "")

		fin := newAPIClient(t, db, auth.Finance)
		fin.must(200, "GET", "/offers", "")
		fin.checkProblems([]problemCase{
			{"finance cannot change offers", "POST", "/suppliers", `{"name":"X","timezone":"UTC","country":"US"}`, 403, "forbidden", "", "suppliers:write"},
		})
	})
}
