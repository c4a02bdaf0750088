package web

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestConsoleBrowserSupplierShips drives the supplier console in a real
// Chromium (issue 7, Tests): an order of 3 units is routed to a supplier on a
// purchase order sent through the console channel; the supplier's user logs
// in, opens the PO from its list, accepts the line and adds a UPS parcel with
// its tracking number, and sees the parcel on the page. Then an operations
// user, in a fresh browser (its own profile), sees the line shipped on the staff PO
// page and the order shipped, with the parcel, on the order page; in the
// database the order line's units are shipped.
func TestConsoleBrowserSupplierShips(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	screenshotOnFailure(t, ctx)

	db := storetest.Open(t, store.SQLite)
	fx := orderstest.New(t, db, orders.Options{})
	s, base := newConsoleServerWith(t, Config{DB: db, Now: fx.Clock.Now, Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
	order, po, line := portalSeed(t, s, fx)
	const password = "correct horse battery"
	if _, err := s.cfg.Auth.CreateUser(auth.WithPrincipal(context.Background(), auth.System("test")), auth.NewUser{
		Email: "ship@fixture.example", Name: "Fixture shipping", Role: auth.Supplier, Password: password, SupplierID: fx.Supplier}); err != nil {
		t.Fatal(err)
	}
	const tracking = "1Z999AA10123456784"
	poSel := fmt.Sprintf(`#pos tr[data-po="%d"] a`, po)
	lineSel := fmt.Sprintf(`tr[data-line="%d"]`, line)

	// The supplier's user: an anonymous visit lands on the login form.
	step(t, ctx, "open the supplier console and log in",
		chromedp.Navigate(base+"/console/supplier"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "ship@fixture.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(poSel)),
	)
	step(t, ctx, "open the purchase order from the list",
		chromedp.Click(chromedp.CSS(poSel)),
		chromedp.WaitVisible(chromedp.CSS("#po-state")),
	)
	if loc := location(t, ctx); loc != fmt.Sprintf("%s/console/supplier/purchase-orders/%d", base, po) {
		t.Fatalf("the PO link went to %s", loc)
	}
	if got := pollJS(t, ctx, "the line waits for an answer", `document.querySelector(`+strconv.Quote(lineSel)+`)?.dataset.state`); got != "pending" {
		t.Fatalf("before the answer the line is %q, want pending", got)
	}
	if got := pollJS(t, ctx, "the shipping address", `document.querySelector("address.ship-to")?.textContent`); !strings.Contains(got, "Via Roma 10") {
		t.Errorf("the PO shows the address %q", got)
	}

	// Accept the whole line (the form proposes every waiting unit).
	step(t, ctx, "accept the line",
		chromedp.SetValue(chromedp.CSS(fmt.Sprintf("#acc-%d", line)), "3"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`form.answer[data-line="%d"] button[type="submit"]`, line))),
	)
	waitLocation(t, ctx, "done=po-answered")
	if got := pollJS(t, ctx, "the line is accepted", `(() => {
		const r = document.querySelector(`+strconv.Quote(lineSel)+`);
		return r && r.dataset.state === "accepted" ? r.querySelector(".accepted").textContent : "";
	})()`); got != "3" {
		t.Fatalf("after accepting, the line shows %q units accepted, want 3", got)
	}

	// A UPS parcel with the three units.
	step(t, ctx, "add a parcel",
		chromedp.SetValue(chromedp.CSS(fmt.Sprintf("#carrier-%d", order)), "UPS"),
		chromedp.SendKeys(chromedp.CSS(fmt.Sprintf("#tracking-%d", order)), tracking),
		chromedp.SetValue(chromedp.CSS(fmt.Sprintf("#qty-%d", line)), "3"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`form.ship[data-order="%d"] button[type="submit"]`, order))),
	)
	waitLocation(t, ctx, "done=parcel-added")
	parcel := pollJS(t, ctx, "the parcel is listed", `document.querySelector("#parcels li[data-shipment]")?.textContent`)
	for _, want := range []string{"ups", tracking, "3 ×", "SUP-1"} {
		if !strings.Contains(strings.ToLower(parcel), strings.ToLower(want)) {
			t.Errorf("the parcel reads %q, want %q in it", parcel, want)
		}
	}
	if got := pollJS(t, ctx, "the line is shipped", `document.querySelector(`+strconv.Quote(lineSel)+`)?.dataset.state`); got != "shipped" {
		t.Errorf("after the parcel the line is %q, want shipped", got)
	}

	// Staff, in a fresh browser context (no supplier session): the PO and the order.
	// A second Chromium with its own profile: nothing of the supplier's
	// session carries over.
	staffCtx := newBrowser(t)
	screenshotOnFailure(t, staffCtx)
	email, pw := consoleUser(t, s, auth.Operations, "ops@example.com")
	step(t, staffCtx, "open the staff PO page and log in",
		chromedp.Navigate(fmt.Sprintf("%s/console/purchase-orders/%d", base, po)),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#po-lines")),
	)
	if loc := pollJS(t, staffCtx, "the staff browser's address", "location.href"); loc != fmt.Sprintf("%s/console/purchase-orders/%d", base, po) {
		t.Fatalf("after login the staff browser is at %s", loc)
	}
	row := pollJS(t, staffCtx, "the staff PO line", `(() => {
		const r = document.querySelector(`+strconv.Quote("#po-lines "+lineSel)+`);
		return r ? r.dataset.state + "|" + [...r.querySelectorAll("td.num")].map(c => c.textContent.trim()).join(",") : "";
	})()`)
	// State, then units, waiting, accepted, shipped, rejected, cancelled, unit cost.
	if !strings.HasPrefix(row, "shipped|3,0,0,3,0,0,") {
		t.Errorf("the staff PO page shows the line as %q, want shipped with 3 units shipped", row)
	}
	step(t, staffCtx, "open the order",
		chromedp.Navigate(fmt.Sprintf("%s/console/orders/%d", base, order)),
		chromedp.WaitVisible(chromedp.CSS("#order-state")),
	)
	if got := pollJS(t, staffCtx, "the order's state", `document.querySelector("#order-state")?.dataset.state`); got != "shipped" {
		t.Errorf("the order page shows state %q, want shipped", got)
	}
	if got := pollJS(t, staffCtx, "the order's parcel", `document.querySelector(".parcel[data-shipment]")?.textContent`); !strings.Contains(got, tracking) {
		t.Errorf("the order page's parcel reads %q, want %s", got, tracking)
	}

	var shipped, reserved int
	if err := db.R.QueryRow(`SELECT qty_shipped, qty_reserved FROM order_lines WHERE order_id = $1`, order).Scan(&shipped, &reserved); err != nil {
		t.Fatal(err)
	}
	if shipped != 3 || reserved != 0 {
		t.Errorf("the order line has %d units shipped and %d reserved, want 3 and 0", shipped, reserved)
	}
}
