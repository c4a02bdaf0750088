package web_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestCouponsAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Admin, orders.Options{})
		support := a.as(auth.Support)
		reader := a.as(auth.ReadOnly)
		a.fx.AddSKU("MUG-1", 10)
		res, err := a.fx.Orders.Place(context.Background(), orderstest.Input("ana@example.com", "MUG-1", 1))
		if err != nil {
			t.Fatal(err)
		}
		order := res.Order.Number

		if p := a.must(200, "GET", "/coupon-policy", ""); p.str("enabled") != "false" || p.str("percent") != "10" || p.str("prefix") != "SORRY" {
			t.Errorf("default policy: %s", p.raw)
		}
		support.must(403, "PUT", "/coupon-policy", `{"enabled":true,"kind":"percent","percent":10,"validity_days":30}`)
		bad := a.must(422, "PUT", "/coupon-policy", `{"enabled":true,"kind":"amount","validity_days":30}`)
		if !strings.Contains(bad.raw, "amount") {
			t.Errorf("bad policy: %s", bad.raw)
		}
		p := a.must(200, "PUT", "/coupon-policy", `{"enabled":true,"kind":"amount","amount":{"amount":"5.00","currency":"EUR"},"validity_days":30,"prefix":"oops"}`)
		if p.str("amount.amount") != "5.00" || p.str("prefix") != "OOPS" || p.str("enabled") != "true" {
			t.Errorf("policy: %s", p.raw)
		}

		reader.must(403, "GET", "/coupons", "")
		c := support.must(201, "POST", "/coupons", `{"kind":"percent","percent":15,"reason":"parcel arrived damaged","order":`+strconv.FormatInt(order, 10)+`}`)
		code := c.str("code")
		if !strings.HasPrefix(code, "OOPS-") || c.str("percent") != "15" || c.str("used") != "false" || c.str("currency") != "EUR" {
			t.Errorf("issued: %s", c.raw)
		}
		if r := support.must(422, "POST", "/coupons", `{"kind":"percent","percent":0,"reason":"x"}`); !strings.Contains(r.raw, "percent") {
			t.Errorf("percent 0: %s", r.raw)
		}
		if l := a.must(200, "GET", "/orders/"+strconv.FormatInt(order, 10)+"/coupons", ""); l.str("coupons.0.code") != code {
			t.Errorf("order coupons: %s", l.raw)
		}
		if l := a.must(200, "GET", "/coupons?state=unused&source=manual", ""); l.str("items.0.code") != code {
			t.Errorf("list: %s", l.raw)
		}
		// This server's coupon service has no job queue: pushing again is refused (unavailable), saying why.
		if r := support.must(409, "POST", "/coupons/"+code+"/push", ""); !strings.Contains(r.raw, "no job queue") {
			t.Errorf("push without a queue: %s", r.raw)
		}
		reader.must(403, "POST", "/coupons/"+code+"/push", "")
		u := support.must(200, "POST", "/coupons/"+strings.ToLower(code)+"/redeem", `{"ref":"shop #77"}`)
		if u.str("used") != "true" || u.str("used_ref") != "shop #77" {
			t.Errorf("redeemed: %s", u.raw)
		}
		again := support.must(409, "POST", "/coupons/"+code+"/redeem", `{"ref":"shop #78"}`)
		if !strings.Contains(again.raw, "already used on shop #77") {
			t.Errorf("second use: %s", again.raw)
		}
		support.must(404, "GET", "/coupons/NOPE-2222", "")
		if g := a.must(200, "GET", "/coupons/"+code, ""); g.str("used_ref") != "shop #77" {
			t.Errorf("get: %s", g.raw)
		}
	})
}

func TestRefundsAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Finance, orders.Options{})
		ops := a.as(auth.Operations)
		a.fx.AddSKU("MUG-1", 10)
		in := orderstest.Input("ana@example.com", "MUG-1", 2)
		in.Shipping = money.Money{Amount: 490, Currency: "EUR"}
		res, err := a.fx.Orders.Place(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		order := res.Order.Number
		if _, err := a.fx.Orders.Cancel(context.Background(), order, orders.CancelInput{Reason: "customer asked"}); err != nil {
			t.Fatal(err)
		}
		l := ops.must(200, "GET", "/refunds?state=pending", "")
		id := l.str("items.0.id")
		if l.str("items.0.amount.amount") != "24.90" || l.str("items.0.parts.0.sku") != "MUG-1" || l.str("items.0.parts.1.shipping") != "true" {
			t.Fatalf("refunds: %s", l.raw)
		}
		ops.must(403, "POST", "/refunds/"+id+"/issue", `{"provider_ref":"re_1"}`)
		r := a.must(200, "POST", "/refunds/"+id+"/issue", `{"provider_ref":"re_1"}`)
		if r.str("state") != "issued" || r.str("provider_ref") != "re_1" {
			t.Errorf("issued: %s", r.raw)
		}
		if r := a.must(409, "POST", "/refunds/"+id+"/issue", `{}`); !strings.Contains(r.raw, "issued already") {
			t.Errorf("second issue: %s", r.raw)
		}
		a.must(409, "POST", "/refunds/issue", `{"ids":[`+id+`]}`)
		a.must(404, "POST", "/refunds/issue", `{"ids":[999]}`)
		if l := a.must(200, "GET", "/refunds?state=pending", ""); l.str("items.0.id") != "" {
			t.Errorf("pending after issue: %s", l.raw)
		}
		a.must(422, "GET", "/refunds?from=yesterday", "")

		req, _ := http.NewRequest("GET", a.base+"/refunds.csv?order="+strconv.FormatInt(order, 10), nil)
		req.Header.Set("Authorization", "Bearer "+a.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(string(body), ",24.90,EUR,line 1 MUG-1 x2 20.00; shipping 4.90,customer asked,") {
			t.Fatalf("CSV %d %s:\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	})
}
