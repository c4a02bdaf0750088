package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/demo"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestConsoleBrowserCancelLine drives the order pages in a real Chromium over
// the demo store: a script places an order through the JSON API with an API
// token; the demo support user logs in, finds the order by its number in the
// orders list, opens it and cancels one unit of its first line with a reason.
// The page must then show the unit cancelled, the refund due and a timeline
// entry naming the support user; in the database the line's reservation must
// hold one unit less, and the SKU's ATS must be one higher.
func TestConsoleBrowserCancelLine(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	screenshotOnFailure(t, ctx)

	db := storetest.Open(t, store.SQLite)
	if _, err := demo.Load(context.Background(), db, time.Now); err != nil {
		t.Fatalf("load the demo store: %v", err)
	}
	s, base := newConsoleServer(t, db)
	if !slices.ContainsFunc(s.Routes(), func(r Route) bool { return r.Method == http.MethodPost && r.Path == APIPrefix+"/orders" }) {
		t.Fatal("POST /api/v1/orders is not registered: this test places its order through the API")
	}
	bg := context.Background()

	// Two SKUs with stock: the first demo SKU and another one.
	skus := []string{demo.FirstSKU}
	lines, _, err := s.cfg.Inventory.List(bg, inventory.ListFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if l.SKU != demo.FirstSKU && l.ATS >= 3 && len(skus) < 2 {
			skus = append(skus, l.SKU)
		}
	}
	if len(skus) < 2 {
		t.Fatal("the demo store has no second SKU with stock")
	}
	first, err := s.cfg.Inventory.VariantID(bg, skus[0])
	if err != nil {
		t.Fatal(err)
	}
	atsBefore, err := s.cfg.Inventory.ATS(bg, db.R, first)
	if err != nil {
		t.Fatal(err)
	}
	if atsBefore < 2 {
		t.Fatalf("%s has ATS %d, the test needs 2", skus[0], atsBefore)
	}

	// A script places the order with an API token.
	token, _, err := s.cfg.Auth.CreateToken(auth.WithPrincipal(bg, auth.System("test")), auth.NewToken{Name: "shop sync", Role: auth.Operations})
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"channel":"api","external_id":"browser-1","currency":"GBP",
		"customer":{"email":"giulia@example.com","name":"Giulia Rossi","locale":"it"},
		"shipping_address":{"name":"Giulia Rossi","line1":"Via Roma 10","city":"Milano","postal_code":"20121","country":"IT"},
		"lines":[{"sku":%q,"quantity":2},{"sku":%q,"quantity":1}],
		"shipping":{"amount":"4.90","currency":"GBP"}}`, skus[0], skus[1])
	req, err := http.NewRequest(http.MethodPost, base+APIPrefix+"/orders", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/v1/orders: status %d: %s", res.StatusCode, raw)
	}
	var placed struct {
		Number int64 `json:"number"`
		State  string
	}
	if err := json.Unmarshal(raw, &placed); err != nil || placed.Number == 0 {
		t.Fatalf("order from the API: %v: %s", err, raw)
	}
	number := strconv.FormatInt(placed.Number, 10)
	ref := "order:" + number + "/line:1"
	if held := reservedUnits(t, s, db, ref); held != 2 {
		t.Fatalf("after placing, line 1 holds %d units, want 2", held)
	}

	// The support user logs in and finds the order by its number.
	var login demo.Login
	for _, l := range demo.Logins {
		if l.Role == auth.Support {
			login = l
		}
	}
	step(t, ctx, "log in",
		chromedp.Navigate(base+"/console/orders"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), login.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), login.Password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#order-rows")),
	)
	step(t, ctx, "search for the order", chromedp.SendKeys(chromedp.CSS("#q"), "#"+number))
	pollJS(t, ctx, "wait for the search result", `(() => {
		const rows = [...document.querySelectorAll("#order-rows tr[data-order]")];
		return rows.length === 1 && rows[0].dataset.order === `+strconv.Quote(number)+`;
	})()`)
	step(t, ctx, "open the order",
		chromedp.Click(chromedp.CSS(`#order-rows tr[data-order="`+number+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS("#order-state")),
	)
	if loc := location(t, ctx); loc != base+"/console/orders/"+number {
		t.Fatalf("the order link went to %s", loc)
	}

	// Cancel one of line 1's two units, with a reason.
	const reason = "customer wants one mug, not two"
	step(t, ctx, "cancel one unit of line 1",
		chromedp.Click(chromedp.CSS(`#lines tr[data-line="1"] summary`)),
		chromedp.WaitVisible(chromedp.CSS("#cq-1")),
		chromedp.SetValue(chromedp.CSS("#cq-1"), "1"),
		chromedp.SendKeys(chromedp.CSS("#cr-1"), reason),
		chromedp.Click(chromedp.CSS(`#cancel-line-1 button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert.ok`)),
	)
	// The redirect after the post carries the flash; the page shows the result.
	decision := pollJS(t, ctx, "line 1's decision", `document.querySelector('#lines tr[data-line="1"] td.decision')?.textContent`)
	if !strings.Contains(decision, "1 reserved") || !strings.Contains(decision, "1 cancelled") {
		t.Errorf("line 1 decision %q, want 1 reserved and 1 cancelled", decision)
	}
	pays, err := s.cfg.Orders.Payments(bg, placed.Number)
	if err != nil {
		t.Fatal(err)
	}
	if len(pays) != 1 || pays[0].Kind != "refund" || pays[0].Amount.Amount <= 0 {
		t.Fatalf("payments after the cancel: %+v, want one refund", pays)
	}
	refund := pollJS(t, ctx, "the refund row", `document.querySelector('#payments tr[data-kind="refund"]')?.textContent`)
	if !strings.Contains(refund, pays[0].Amount.String()) || !strings.Contains(refund, reason) {
		t.Errorf("refund row %q, want %s and the reason", refund, pays[0].Amount)
	}
	refunded := pollJS(t, ctx, "the refunded total", `document.querySelector('#refunded')?.textContent`)
	if refunded != pays[0].Amount.String() {
		t.Errorf("refunded total %q, want %s", refunded, pays[0].Amount)
	}
	entry := pollJS(t, ctx, "the timeline entry", `document.querySelector('#timeline-rows tr[data-event="cancelled"]')?.textContent`)
	for _, want := range []string{login.Email, "(staff)", reason, "line 1: 1 unit"} {
		if !strings.Contains(entry, want) {
			t.Errorf("timeline entry %q lacks %q", strings.Join(strings.Fields(entry), " "), want)
		}
	}

	// In the database: one unit of line 1's reservation was released.
	if held := reservedUnits(t, s, db, ref); held != 1 {
		t.Errorf("after cancelling one unit, line 1 holds %d units, want 1", held)
	}
	atsAfter, err := s.cfg.Inventory.ATS(bg, db.R, first)
	if err != nil {
		t.Fatal(err)
	}
	if atsAfter != atsBefore-1 {
		t.Errorf("ATS of %s is %d, want %d (before the order %d, 2 ordered, 1 cancelled)", skus[0], atsAfter, atsBefore-1, atsBefore)
	}
}

// reservedUnits sums the units reserved for ref.
func reservedUnits(t *testing.T, s *Server, db *store.DB, ref string) int {
	t.Helper()
	held, err := s.cfg.Inventory.Reserved(context.Background(), db.R, ref)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range held {
		n += a.Quantity
	}
	return n
}
