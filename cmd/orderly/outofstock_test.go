package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/coupons"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/demo"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/mail/mailtest"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/notify"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/restocks"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/web"
)

// TestOutOfStockFlow is issue 8 item 5 end to end, with the services wired
// as serve wires them (openAppAt, the job queue running, the HTTP server)
// and an injected clock: two customers order a SKU that is out and
// backorderable; the supplier is asked once for a restock date and answers
// through its API; both customers receive, by SMTP, the confirmed date in
// their language with the link to their order page; (a) the first declines
// on it: the line is cancelled with a refund record, an apology coupon and the
// answer's notice; (b) the second does not answer: when the clock passes
// the store's deadline the line is cancelled with the refund, the coupon and
// the cancellation notice.
func TestOutOfStockFlow(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			outOfStockFlow(t, e)
		})
	}
}

// flowMail returns the messages to one address that contain every part,
// waiting for one (the notification jobs send them).
func flowMail(t *testing.T, smtp *mailtest.Server, to string, parts ...string) mailtest.Message {
	t.Helper()
	var found *mailtest.Message
	waitFor(t, fmt.Sprintf("an email to %s with %q", to, parts), func() bool {
		for _, m := range smtp.Messages() {
			if !slices.Contains(m.To, to) {
				continue
			}
			ok := true
			for _, p := range parts {
				if !strings.Contains(m.Text, p) && !strings.Contains(m.HTML, p) && !strings.Contains(m.Subject, p) {
					ok = false
				}
			}
			if ok {
				found = &m
				return true
			}
		}
		return false
	})
	return *found
}

var (
	flowLink      = regexp.MustCompile(`https?://[^\s"'<>]+/o/[A-Za-z0-9_\-.~]+`)
	flowFormToken = regexp.MustCompile(`name="form_token" value="([^"]+)"`)
	flowCoupon    = regexp.MustCompile(`SORRY-[A-Z0-9-]+`)
)

func outOfStockFlow(t *testing.T, e store.Engine) {
	ctx := context.Background()
	clock := orderstest.NewClock(orderstest.T0)
	smtp := mailtest.Start(t)
	ms := smtp.Settings()
	s := settings{DB: storetest.DSN(t, e), LogFormat: "text", LogLevel: "error", JobWorkers: 4,
		Mail: mailSettings{Host: ms.Host, Port: ms.Port, From: "Tea Shop <shop@tea.example>", TLS: "none"}}
	a, err := openAppAt(ctx, s, io.Discard, true, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.close() })
	srv, err := web.New(web.Config{DB: a.db, Logger: a.log, Now: a.now, Version: "test", Auth: a.auth,
		Catalog: a.catalog, Suppliers: a.suppliers, Inventory: a.inventory, Customers: a.customers, Orders: a.orders, Pricing: a.pricing,
		Storefront: a.storefront, Feeds: a.feeds, Promise: a.promise, Shipping: a.shipping, Purchasing: a.purchasing, Routing: a.routing,
		Digests: a.digests, Restocks: a.restocks})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	jctx, stop := context.WithCancel(ctx)
	if err := a.jobs.Start(jctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.jobs.Stop(sctx)
	})

	// The store: a tea pot that is out, backorderable, offered by one
	// supplier (lead time 3 days: the estimate until it answers); customer
	// links on this server; apology coupons of 15 %.
	sctx := auth.WithPrincipal(ctx, auth.System("test"))
	insert := func(q string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := a.db.W.QueryRowContext(ctx, q+" RETURNING id", args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	now := clock.Now()
	sup := insert(`INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
		VALUES ('Lisboa Chá', 'Europe/Lisbon', 'PT', 'active', $1, $1)`, now)
	prod := insert(`INSERT INTO products (title, status, created_at, updated_at) VALUES ('Bule de chá', 'active', $1, $1)`, now)
	variant := insert(`INSERT INTO variants (product_id, sku, title, price_amount, price_currency, status, created_at, updated_at)
		VALUES ($1, 'POT-1', '', 4500, 'EUR', 'active', $2, $2)`, prod, now)
	insert(`INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency, lead_time_days,
		min_order_qty, priority, status, created_at, updated_at)
		VALUES ($1, $2, 'LC-POT', 2000, 'EUR', 3, 1, 1, 'active', $3, $3)`, sup, variant, now)
	if _, err := a.inventory.SetPolicy(sctx, "POT-1", inventory.PolicyInput{BackorderLimit: 20}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.notify.SaveSettings(sctx, notify.SettingsInput{Branding: notify.Branding{StoreName: "Tea Shop", BaseURL: hs.URL,
		SupportEmail: "help@tea.example"}}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.coupons.SetPolicy(sctx, coupons.Policy{Enabled: true, Kind: coupons.KindPercent, Percent: 15, ValidityDays: 60,
		Prefix: "SORRY", Amount: money.Money{Currency: "EUR"}}); err != nil {
		t.Fatal(err)
	}
	consent, err := a.orders.ConsentSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Two orders of POT-1: backordered, in Portuguese and in Italian.
	place := func(email, name, locale string) int64 {
		t.Helper()
		p, err := a.orders.Place(sctx, orders.PlaceInput{Currency: "EUR", Customer: orders.CustomerInput{Email: email, Name: name, Locale: locale},
			ShippingAddress: customers.Address{Name: name, Line1: "Rua Augusta 1", City: "Lisboa", PostalCode: "1100-048", Country: "PT"},
			Lines:           []orders.LineInput{{SKU: "POT-1", Quantity: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		if l := p.Order.Lines[0]; l.Backordered != 2 {
			t.Fatalf("order %d line: %+v, want 2 backordered", p.Order.Number, l)
		}
		return p.Order.Number
	}
	ana := place("ana@example.com", "Ana Lima", "pt-BR")
	bea := place("bea@example.com", "Beatrice Neri", "it")

	// One question to the supplier, for both orders.
	var q restocks.Question
	waitFor(t, "the restock question", func() bool {
		qs, _, err := a.restocks.List(ctx, restocks.Filter{SupplierID: sup, Status: restocks.StatusOpen})
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) == 1 && qs[0].Orders == 2 {
			q = qs[0]
			return true
		}
		return false
	})
	tok, _, err := a.auth.CreateToken(sctx, auth.NewToken{Name: "Lisboa Chá ERP", Role: auth.Supplier, SupplierID: sup})
	if err != nil {
		t.Fatal(err)
	}
	supplier := flowClient{t: t, base: hs.URL, token: tok, client: &http.Client{Timeout: 30 * time.Second}}
	var listed web.Page[web.RestockQuestion]
	supplier.do("GET", "/api/v1/supplier/restock-questions?status=open", nil, http.StatusOK, &listed)
	if len(listed.Items) != 1 || listed.Items[0].ID != q.ID || listed.Items[0].SupplierSKU != "LC-POT" || listed.Items[0].Waiting != 4 {
		t.Fatalf("the supplier's open questions: %+v", listed.Items)
	}
	var answered web.RestockQuestion
	supplier.do("POST", fmt.Sprintf("/api/v1/supplier/restock-questions/%d/answer", q.ID),
		map[string]string{"answer": "date", "expected_on": "2026-03-20"}, http.StatusOK, &answered)
	if answered.Status != restocks.StatusAnswered {
		t.Fatalf("answered question: %+v", answered)
	}
	day := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	for _, n := range []int64{ana, bea} {
		o, err := a.orders.Get(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if at := o.Lines[0].ExpectedAt; at == nil || !at.Equal(day) {
			t.Fatalf("order %d expected %v, want %v", n, at, day)
		}
	}

	// Each customer gets the confirmed date, in their language, with the
	// link to their order page.
	anaMail := flowMail(t, smtp, "ana@example.com", "20/03/2026")
	beaMail := flowMail(t, smtp, "bea@example.com", "20/03/2026")
	anaLink := flowLink.FindString(anaMail.Text)
	if anaLink == "" || !strings.HasPrefix(anaLink, hs.URL+"/o/") {
		t.Fatalf("Ana's email has no order link:\n%s", anaMail.Text)
	}
	if flowLink.FindString(beaMail.Text) == "" {
		t.Fatalf("Beatrice's email has no order link:\n%s", beaMail.Text)
	}

	// (a) Ana declines on her order page.
	customerCancel(t, anaLink, ana)
	o, err := a.orders.Get(ctx, ana)
	if err != nil {
		t.Fatal(err)
	}
	if l := o.Lines[0]; l.Cancelled != 2 || l.Backordered != 0 {
		t.Fatalf("Ana's line after she declined: %+v", l)
	}
	checkRefundAndCoupon(t, a, ana, 9000)
	anaCoupon := couponOf(t, a, ana)
	flowMail(t, smtp, "ana@example.com", anaCoupon)

	// (b) Beatrice does not answer. Nothing happens before the deadline;
	// once the clock passes it, her line is cancelled with the notice.
	if consent.DeadlineHours == 0 {
		t.Fatal("the store's consent deadline is off: nothing would be cancelled")
	}
	deadline := orderstest.T0.Add(time.Duration(consent.DeadlineHours) * time.Hour)
	clock.Set(deadline.Add(-time.Minute))
	if res, err := a.orders.CancelUnanswered(ctx); err != nil || res.Lines != 0 {
		t.Fatalf("before the deadline: %+v, %v", res, err)
	}
	clock.Set(deadline.Add(time.Minute))
	if res, err := a.orders.CancelUnanswered(ctx); err != nil || res.Lines != 1 || res.Units != 2 {
		t.Fatalf("past the deadline: %+v, %v", res, err)
	}
	o, err = a.orders.Get(ctx, bea)
	if err != nil {
		t.Fatal(err)
	}
	if l := o.Lines[0]; l.Cancelled != 2 || l.Backordered != 0 {
		t.Fatalf("Beatrice's line after the deadline: %+v", l)
	}
	tl, err := a.orders.Timeline(ctx, bea)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(tl, func(e orders.Entry) bool { return e.Actor == orders.ConsentActor && e.Reason != "" }) {
		t.Errorf("Beatrice's timeline has no cancellation by the consent deadline: %+v", tl)
	}
	checkRefundAndCoupon(t, a, bea, 9000)
	flowMail(t, smtp, "bea@example.com", couponOf(t, a, bea))
}

// customerCancel declines the wait as the customer: on the order page the
// link opens, choosing cancel for line 1.
func customerCancel(t *testing.T, link string, order int64) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), fmt.Sprintf("#%d", order)) {
		t.Fatalf("order page %s: %d\n%s", link, res.StatusCode, page)
	}
	m := flowFormToken.FindSubmatch(page)
	if m == nil {
		t.Fatalf("order page %s has no choice form:\n%s", link, page)
	}
	form := url.Values{"form_token": {string(m[1])}, "choice": {"cancel"}}
	req, err := http.NewRequest("POST", link+"/lines/1/choice", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode >= 400 {
		t.Fatalf("order %d: choosing cancel on the page: %d\n%s", order, res.StatusCode, body)
	}
}

// checkRefundAndCoupon wants a refund record of amount (minor units) and
// one apology coupon on the order.
func checkRefundAndCoupon(t *testing.T, a *app, order, amount int64) {
	t.Helper()
	ctx := context.Background()
	pays, err := a.orders.Payments(ctx, order)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(pays, func(p orders.Payment) bool { return p.Kind == "refund" && p.Amount.Amount == amount }) {
		t.Errorf("order %d payments %+v: no refund of %d", order, pays, amount)
	}
	cs, err := a.coupons.ForOrder(ctx, order)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Code == "" || cs[0].Percent != 15 {
		t.Errorf("order %d coupons: %+v, want one of 15 %%", order, cs)
	}
}

func couponOf(t *testing.T, a *app, order int64) string {
	t.Helper()
	cs, err := a.coupons.ForOrder(context.Background(), order)
	if err != nil || len(cs) == 0 {
		t.Fatalf("order %d coupons: %v, %v", order, cs, err)
	}
	return cs[0].Code
}

// TestDemoOutOfStockFlow is issue 8's "done when" on the real binary: serve
// --demo with an SMTP server. The demo's waiting order has its backorder
// email with the customer's link (and serve logs the link); the demo
// supplier's user finds the restock question and answers with a date; the
// customer gets the confirmed date with the link, opens her page, cancels
// the line; the order has the line cancelled, the refund due and the apology
// coupon, and her answer email carries the coupon.
func TestDemoOutOfStockFlow(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			demoOutOfStockFlow(t, e)
		})
	}
}

func demoOutOfStockFlow(t *testing.T, e store.Engine) {
	smtp := mailtest.Start(t)
	ms := smtp.Settings()
	bin := orderlyBinary(t)
	dsn := storetest.DSN(t, e)
	srv := startServe(t, bin, dsn, "--demo", "--smtp-host", ms.Host, "--smtp-port", fmt.Sprint(ms.Port), "--smtp-tls", "none")
	base := srv.baseURL(t)
	staff := flowClient{t: t, base: base, token: cliToken(t, bin, dsn), client: &http.Client{Timeout: 30 * time.Second}}

	// The backorder email, with the order page's link; serve logs it too.
	first := flowMail(t, smtp, demo.BackorderCustomer, "backorder")
	if flowLink.FindString(first.Text) == "" {
		t.Fatalf("the backorder email has no order link:\n%s", first.Text)
	}
	if !strings.Contains(srv.log(), `"customer_link":"`+base+`/o/`) {
		t.Errorf("serve did not log the demo order's link")
	}
	var list struct {
		Items []struct {
			Number     int64  `json:"number"`
			ExternalID string `json:"external_id"`
		} `json:"items"`
	}
	staff.do("GET", "/api/v1/orders?limit=200", nil, http.StatusOK, &list)
	var number int64
	for _, o := range list.Items {
		if o.ExternalID == demo.BackorderExternalID {
			number = o.Number
		}
	}
	if number == 0 {
		t.Fatalf("no demo order %s in %+v", demo.BackorderExternalID, list.Items)
	}

	// The supplier's user finds the question in its console and answers
	// with a date ten days ahead.
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	sup := flowClient{t: t, base: base, client: &http.Client{Timeout: 30 * time.Second, Jar: jar}}
	res, err := sup.client.PostForm(base+"/login", url.Values{"email": {"supplier@example.com"}, "password": {demo.Password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var qs web.Page[web.RestockQuestion]
	waitFor(t, "the demo restock question", func() bool {
		sup.do("GET", "/api/v1/supplier/restock-questions?status=open", nil, http.StatusOK, &qs)
		return len(qs.Items) == 1
	})
	q := qs.Items[0]
	if q.Supplier != demo.BackorderSupplier || q.Waiting != 2 || q.Orders != 1 {
		t.Fatalf("the demo question: %+v", q)
	}
	res, err = sup.client.Get(base + "/console/supplier/restock-questions")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), q.SupplierSKU) {
		t.Fatalf("supplier console questions: %d\n%s", res.StatusCode, page)
	}
	back := time.Now().UTC().AddDate(0, 0, 10)
	sup.do("POST", fmt.Sprintf("/api/v1/supplier/restock-questions/%d/answer", q.ID),
		map[string]string{"answer": "date", "expected_on": back.Format(time.DateOnly)}, http.StatusOK, nil)

	// The confirmed date reaches the customer, with her link.
	update := flowMail(t, smtp, demo.BackorderCustomer, back.Format("2 Jan 2006"))
	link := flowLink.FindString(update.Text)
	if link == "" {
		t.Fatalf("the update email has no order link:\n%s", update.Text)
	}
	customerCancel(t, link, number)

	// The line is cancelled with the refund due and the apology coupon.
	var order orders.Order
	staff.do("GET", fmt.Sprintf("/api/v1/orders/%d", number), nil, http.StatusOK, &order)
	if l := order.Lines[0]; l.Cancelled != 2 || l.Backordered != 0 {
		t.Fatalf("the demo line after the cancel: %+v", l)
	}
	var pays web.Page[web.OrderPayment]
	staff.do("GET", fmt.Sprintf("/api/v1/orders/%d/payments", number), nil, http.StatusOK, &pays)
	if !slices.ContainsFunc(pays.Items, func(p web.OrderPayment) bool {
		return p.Kind == "refund" && p.Amount.Amount == order.Lines[0].Total.Amount
	}) {
		t.Errorf("demo order payments: %+v, want a refund of %v", pays.Items, order.Lines[0].Total)
	}
	var tl web.Page[web.TimelineEntry]
	staff.do("GET", fmt.Sprintf("/api/v1/orders/%d/timeline", number), nil, http.StatusOK, &tl)
	code := ""
	for _, e := range tl.Items {
		if m := flowCoupon.FindString(string(e.Detail)); m != "" {
			code = m
		}
	}
	if code == "" {
		t.Fatalf("no apology coupon on the demo order's timeline: %+v", tl)
	}
	flowMail(t, smtp, demo.BackorderCustomer, code)
}
