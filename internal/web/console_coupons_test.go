package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/coupons"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/refunds"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// Staff set the apology-coupon policy, issue a coupon by hand (a refused
// form keeps its values), mark it used once; the list filters by state.
func TestConsoleCoupons(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		fx := orderstest.New(t, db, orders.Options{})
		s, base := newConsoleServerWith(t, Config{DB: db, Now: fx.Clock.Now, Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
		email, pw := consoleUser(t, s, auth.Admin, "admin@example.com")
		c := newConsoleClient(t, base)
		c.login(email, pw)

		page := c.get("/console/coupons")
		wantStatus(t, page, http.StatusOK)
		wantBody(t, page, `id="policy-state">off`, `id="no-coupons"`, `id="issue-form"`, `href="/console/coupons"`)

		r := c.post("/console/coupons/policy", url.Values{"enabled": {"on"}, "kind": {"amount"}, "amount": {"5.5"}, "currency": {"eur"},
			"validity_days": {"0"}, "prefix": {"sorry"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="validity-err"`, `value="5.5"`)
		r = c.post("/console/coupons/policy", url.Values{"enabled": {"on"}, "kind": {"amount"}, "amount": {"5.5"}, "currency": {"eur"},
			"validity_days": {"30"}, "prefix": {"sorry"}})
		wantStatus(t, r, http.StatusSeeOther)
		p, err := s.cfg.Coupons.Policy(context.Background())
		if err != nil || !p.Enabled || p.Amount != (money.Money{Amount: 550, Currency: "EUR"}) || p.ValidityDays != 30 || p.Prefix != "SORRY" {
			t.Fatalf("policy = %+v, %v", p, err)
		}
		wantBody(t, c.get("/console/coupons/policy?done=policy-saved"), "Apology-coupon policy saved.", `value="5.50"`)

		r = c.post("/console/coupons", url.Values{"kind": {"percent"}, "percent": {"150"}, "reason": {"goodwill"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="percent-err"`, `value="goodwill"`)
		r = c.post("/console/coupons", url.Values{"kind": {"percent"}, "percent": {"20"}, "reason": {"goodwill"}})
		wantStatus(t, r, http.StatusSeeOther)
		list, err := s.cfg.Coupons.List(context.Background(), couponsFilterAll())
		if err != nil || len(list) != 1 || list[0].Percent != 20 || !strings.HasPrefix(list[0].IssuedBy, "staff:") || !strings.HasSuffix(list[0].IssuedBy, " admin@example.com") {
			t.Fatalf("coupons = %+v, %v", list, err)
		}
		code := list[0].Code
		page = c.get(r.header.Get("Location"))
		wantBody(t, page, "Coupon issued", `id="new-coupon"`, code, "20% off", `action="/console/coupons/`+code+`/push"`)

		r = c.post("/console/coupons/"+code+"/redeem", url.Values{"ref": {"shop #9"}})
		wantStatus(t, r, http.StatusSeeOther)
		r = c.post("/console/coupons/"+code+"/redeem", url.Values{"ref": {"shop #10"}})
		wantStatus(t, r, http.StatusConflict)
		wantBody(t, r, "already used on shop #9")
		wantBody(t, c.get("/console/coupons?state=used"), code)
		wantNotBody(t, c.get("/console/coupons?state=unused"), code)

		// Support may issue but not change the policy.
		semail, spw := consoleUser(t, s, auth.Support, "support@example.com")
		sc := newConsoleClient(t, base)
		sc.login(semail, spw)
		wantStatus(t, sc.post("/console/coupons/policy", url.Values{"kind": {"percent"}, "percent": {"5"}, "validity_days": {"5"}}), http.StatusForbidden)
		wantNotBody(t, sc.get("/console/coupons/policy"), `id="save-policy"`)
	})
}

// Staff see pending refunds with their breakdown, mark some issued (a second
// time is refused, naming the first), and download the CSV.
func TestConsoleRefunds(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		fx := orderstest.New(t, db, orders.Options{})
		s, base := newConsoleServerWith(t, Config{DB: db, Now: fx.Clock.Now, Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
		ctx := context.Background()
		fx.AddSKU("MUG-1", 10)
		for _, e := range []string{"ana@example.com", "bo@example.com"} {
			res, err := fx.Orders.Place(ctx, orderstest.Input(e, "MUG-1", 1))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fx.Orders.Cancel(ctx, res.Order.Number, orders.CancelInput{Reason: "out of stock"}); err != nil {
				t.Fatal(err)
			}
		}
		rs, err := s.cfg.Refunds.List(ctx, refundsFilterAll())
		if err != nil || len(rs) != 2 {
			t.Fatalf("refunds = %+v, %v", rs, err)
		}
		email, pw := consoleUser(t, s, auth.Finance, "fin@example.com")
		c := newConsoleClient(t, base)
		c.login(email, pw)
		page := c.get("/console/refunds?state=pending")
		wantStatus(t, page, http.StatusOK)
		wantBody(t, page, `id="pick-`+strconv.FormatInt(rs[0].ID, 10)+`"`, "line 1 MUG-1 ×1: 10.00 EUR", `href="/console/refunds.csv?state=pending"`, `id="mark-issued"`)

		r := c.post("/console/refunds/issue", url.Values{"back": {"state=pending"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, "Tick the refunds")
		r = c.post("/console/refunds/issue", url.Values{"id": {strconv.FormatInt(rs[0].ID, 10)}, "provider_ref": {"re_77"}, "back": {"state=pending"}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/console/refunds?state=pending&done=refunds-issued" {
			t.Errorf("redirect to %q", loc)
		}
		r = c.post("/console/refunds/issue", url.Values{"id": {strconv.FormatInt(rs[0].ID, 10), strconv.FormatInt(rs[1].ID, 10)}})
		wantStatus(t, r, http.StatusConflict)
		wantBody(t, r, "issued already")
		if got, _ := s.cfg.Refunds.Get(ctx, rs[1].ID); got.State != "pending" {
			t.Fatalf("a refused bulk issued %d", rs[1].ID)
		}
		csv := c.get("/console/refunds.csv?state=issued")
		wantStatus(t, csv, http.StatusOK)
		if ct := csv.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("CSV content type %q", ct)
		}
		wantBody(t, csv, "refund_id,order_number,", ",10.00,EUR,line 1 MUG-1 x1 10.00,out of stock,", ",issued,", ",re_77\n")
		wantNotBody(t, csv, "bo@example.com")

		// Support reads refunds but cannot mark them issued.
		semail, spw := consoleUser(t, s, auth.Support, "support@example.com")
		sc := newConsoleClient(t, base)
		sc.login(semail, spw)
		wantNotBody(t, sc.get("/console/refunds"), `id="mark-issued"`)
		wantStatus(t, sc.post("/console/refunds/issue", url.Values{"id": {strconv.FormatInt(rs[1].ID, 10)}}), http.StatusForbidden)
	})
}

func couponsFilterAll() coupons.Filter { return coupons.Filter{Limit: 1000} }

func refundsFilterAll() refunds.Filter { return refunds.Filter{} }
