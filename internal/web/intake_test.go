package web_test

import (
	"context"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestIntakeRejectionsAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Support, orders.Options{})
		for _, ext := range []string{"1001", "1002", "1003"} {
			if _, err := a.fx.Orders.RecordRejection(context.Background(), orders.Rejection{Channel: "shopify", ExternalID: ext,
				DeliveryID: "d-" + ext, Code: "unavailable", Reason: "not enough stock", Payload: `{"id":` + ext + `}`}); err != nil {
				t.Fatal(err)
			}
		}
		page := a.must(200, "GET", "/intake/rejections?limit=2&open=true", "")
		if page.str("items.0.external_id") != "1003" || page.str("items.1.external_id") != "1002" || page.str("next") == "" {
			t.Fatalf("first page: %s", page.raw)
		}
		next := a.must(200, "GET", "/intake/rejections?limit=2&open=true&after="+page.str("next"), "")
		if next.str("items.0.external_id") != "1001" || next.str("next") != "" {
			t.Fatalf("second page: %s", next.raw)
		}
		id := next.str("items.0.id")
		if r := a.do("POST", "/intake/rejections/"+id+"/resolve", `{}`); r.status != 422 {
			t.Errorf("resolve without a note: %d %s", r.status, r.raw)
		}
		res := a.must(200, "POST", "/intake/rejections/"+id+"/resolve", `{"note":"refunded in Shopify admin"}`)
		if res.str("resolution") != "refunded in Shopify admin" || res.str("resolved_by") != a.actor {
			t.Errorf("resolved: %s", res.raw)
		}
		if r := a.do("POST", "/intake/rejections/"+id+"/resolve", `{"note":"again"}`); r.status != 409 {
			t.Errorf("resolving twice: %d %s", r.status, r.raw)
		}
		if r := a.do("POST", "/intake/rejections/999999/resolve", `{"note":"x"}`); r.status != 404 {
			t.Errorf("unknown rejection: %d %s", r.status, r.raw)
		}
		open := a.must(200, "GET", "/intake/rejections?open=true", "")
		if items, _ := open.body["items"].([]any); len(items) != 2 {
			t.Errorf("open after resolving one: %s", open.raw)
		}
		if r := a.as(auth.ReadOnly).do("GET", "/intake/rejections", ""); r.status != 403 {
			t.Errorf("read_only sees payloads: %d", r.status)
		}
	})
}
