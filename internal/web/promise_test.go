package web_test

import (
	"fmt"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestPromiseAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Admin, orders.Options{})
		a.fx.AddSKU("MUG-1", 5)
		a.fx.AddSKU("LAMP-1", 0)
		sup := fmt.Sprint(a.fx.Supplier)
		reader := a.as(auth.ReadOnly)

		// Configure: a carrier from Portugal to the EU zone, Italy in it, a
		// calendar for the fixture's Lisbon supplier, Sardinia remote.
		cs := a.must(201, "POST", "/promise/carrier-services", `{"name":"CTT Expresso","pickup_days":["mon-fri"],
			"transit":[{"from_zone":"PT","to_zone":"EU","min_days":2,"max_days":4}]}`)
		if cs.str("delivery_days") != `["mon","tue","wed","thu","fri"]` || cs.str("transit.0.to_zone") != "EU" {
			t.Errorf("carrier service: %s", cs.raw)
		}
		a.must(200, "PUT", "/promise/zones", `{"zones":[{"country":"IT","zone":"EU"}]}`)
		cal := a.must(200, "PUT", "/promise/calendars/"+sup, `{"processing_days":["mon-fri"],"cutoff":"14:00","handling_days":1,
			"country_holidays":true,"closures":[{"from":"2026-03-03","to":"2026-03-04","reason":"stock-take"}],"carrier_service_ids":[`+cs.str("id")+`]}`)
		if cal.str("timezone") != "Europe/Lisbon" || cal.str("country") != "PT" || cal.str("closures.0.reason") != "stock-take" {
			t.Errorf("calendar: %s", cal.raw)
		}
		a.must(201, "POST", "/promise/remote-rules", `{"name":"Sardinia","country":"IT","postal_from":"07000","postal_to":"09199","extra_days":2}`)

		// Monday 2 March 2026, 09:30 in Lisbon: received today, ships Thursday
		// 5 (closed 3–4), 2 to 4 Italian delivery days.
		r := reader.must(200, "GET", "/promise?sku=MUG-1&qty=2&country=IT&postal_code=20121", "")
		if r.str("ship_by") != "2026-03-05" || r.str("delivery.earliest") != "2026-03-09" || r.str("delivery.latest") != "2026-03-11" ||
			r.str("confidence") != "0.9" || r.str("cutoff.at") != "2026-03-02T14:00:00Z" || r.str("cutoff.seconds_left") != "16200" ||
			r.str("cutoff.message") != "order within 4 h 30 min to ship on Thu 5 Mar" || r.str("shipments.0.carriers.0") != "CTT Expresso" ||
			r.str("shipments.0.handling_source") != "configured" {
			t.Errorf("GET promise: %s", r.raw)
		}
		r = reader.must(200, "POST", "/promise", `{"lines":[{"sku":"MUG-1","quantity":1}],"country":"IT","postal_code":"09124","at":"2026-03-02T15:00:00Z"}`)
		if r.str("ship_by") != "2026-03-06" || r.str("delivery.latest") != "2026-03-16" || r.str("shipments.0.remote_area") != "Sardinia" ||
			r.str("shipments.0.remote_extra_days") != "2" || r.str("cutoff.at") != "2026-03-05T14:00:00Z" {
			t.Errorf("POST promise (Sardinia, after the cutoff): %s", r.raw)
		}

		reader.checkProblems([]problemCase{
			{name: "unknown SKU", method: "GET", path: "/promise?sku=NOPE&country=IT&postal_code=20121", status: 404, code: "not_found", detail: `SKU "NOPE" not found`},
			{name: "bad postal code", method: "GET", path: "/promise?sku=MUG-1&country=BR&postal_code=0131", status: 422, code: "invalid", field: "postal_code",
				detail: "does not match the Brazilian format 00000-000"},
			{name: "unknown country", method: "GET", path: "/promise?sku=MUG-1&country=Atlantis&postal_code=1", status: 422, code: "invalid", field: "country"},
			{name: "past time", method: "GET", path: "/promise?sku=MUG-1&country=IT&postal_code=20121&at=2026-03-01T09:00:00Z", status: 422, code: "invalid",
				field: "at", detail: "is in the past"},
			{name: "unreadable time", method: "GET", path: "/promise?sku=MUG-1&country=IT&postal_code=20121&at=yesterday", status: 422, code: "invalid",
				field: "at", detail: "RFC 3339"},
			{name: "no stock", method: "POST", path: "/promise", body: `{"lines":[{"sku":"LAMP-1","quantity":1}],"country":"IT","postal_code":"20121"}`,
				status: 409, code: "unavailable", detail: "no active supplier has 1 of LAMP-1 available"},
			{name: "no carrier to Brazil", method: "GET", path: "/promise?sku=MUG-1&country=BR&postal_code=01310-100", status: 409, code: "unavailable",
				detail: "delivers from zone PT to zone BR"},
			{name: "readers cannot configure", method: "PUT", path: "/promise/settings", body: `{"confidence":0.95}`, status: 403, code: "forbidden"},
		})
		a.checkProblems([]problemCase{
			{name: "bad calendar", method: "PUT", path: "/promise/calendars/" + sup, body: `{"processing_days":["someday"],"cutoff":"14:00","handling_days":1}`,
				status: 422, code: "invalid", field: "processing_days", detail: `"someday" is not a day of the week`},
			{name: "calendar of no supplier", method: "PUT", path: "/promise/calendars/99999", body: `{"processing_days":["mon"],"cutoff":"14:00","handling_days":1}`,
				status: 404, code: "not_found"},
			{name: "duplicate carrier", method: "POST", path: "/promise/carrier-services", body: `{"name":"ctt expresso","pickup_days":["mon"]}`,
				status: 422, code: "invalid", field: "name", detail: "already exists"},
		})

		// Settings and reading the configuration back.
		if r := a.must(200, "PUT", "/promise/settings", `{"confidence":0.95}`); r.str("confidence") != "0.95" {
			t.Errorf("settings: %s", r.raw)
		}
		if r := reader.must(200, "GET", "/promise?sku=MUG-1&country=IT&postal_code=20121", ""); r.str("confidence") != "0.95" {
			t.Errorf("promise after the settings change: %s", r.raw)
		}
		if r := reader.must(200, "GET", "/promise/calendars", ""); r.str("calendars.0.supplier_id") != sup || r.str("calendars.1.supplier_id") != "" {
			t.Errorf("calendars: %s", r.raw)
		}
		if r := reader.must(200, "GET", "/promise/remote-rules", ""); r.str("rules.0.name") != "Sardinia" {
			t.Errorf("remote rules: %s", r.raw)
		}
		a.must(204, "DELETE", "/promise/calendars/"+sup, "")
		a.must(404, "GET", "/promise/calendars/"+sup, "")
		if r := reader.do("GET", "/promise?sku=MUG-1&country=IT&postal_code=20121", ""); r.status != 409 {
			t.Errorf("promise without a calendar: %d %s", r.status, r.raw)
		}
	})
}
