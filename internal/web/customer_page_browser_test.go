package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orderlinks"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestCustomerPageBrowserCancel drives the customer's order page in a real
// Chromium (issue 8, Tests): a Brazilian customer opens the link to an
// order with a backordered line, reads the page in Portuguese and chooses
// "cancel" for that line; the page confirms it and shows the line
// cancelled, and in the database the line is cancelled with its refund
// recorded and the choice on the timeline with the customer as actor.
func TestCustomerPageBrowserCancel(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	screenshotOnFailure(t, ctx)

	db := storetest.Open(t, store.SQLite)
	fx := orderstest.New(t, db, orders.Options{})
	_, base := newConsoleServerWith(t, Config{DB: db, Now: fx.Clock.Now, Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
	fx.AddSKU("CANECA-1", 5)
	tee := fx.AddSKU("CAMISETA-M", 0)
	fx.Policy(tee, inventory.PolicyInput{BackorderLimit: 10})
	in := orderstest.Input("joana@example.com.br", "CANECA-1", 1, "CAMISETA-M", 2)
	in.Customer.Locale = "pt-BR"
	placed, err := fx.Orders.Place(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	number := placed.Order.Number
	links, err := orderlinks.Load(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	link := base + orderlinks.Path(links.Token(number, orderstest.T0.Add(24*time.Hour)))

	step(t, ctx, "open the link",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#choice-2")),
	)
	if got := pollJS(t, ctx, "the page's language", `document.documentElement.lang`); got != "pt-BR" {
		t.Fatalf("the page is in %q, want pt-BR", got)
	}
	if got := pollJS(t, ctx, "line 2's state", `document.querySelector('#lines tr[data-line="2"] td.state')?.textContent`); !strings.Contains(got, "Aguardando estoque") {
		t.Errorf("line 2 reads %q", got)
	}
	if got := pollJS(t, ctx, "the cancel button", `document.querySelector("#choice-2 form.cancel button")?.textContent`); got != "Cancelar este item e reembolsar" {
		t.Errorf("the cancel button reads %q", got)
	}

	step(t, ctx, "choose cancel", chromedp.Click(chromedp.CSS("#choice-2 form.cancel button")))
	waitLocation(t, ctx, "done=cancel")
	if got := pollJS(t, ctx, "the confirmation", `document.querySelector("#flash")?.textContent`); !strings.Contains(got, "o item foi cancelado") {
		t.Errorf("the confirmation reads %q", got)
	}
	if got := pollJS(t, ctx, "line 2 after the choice", `document.querySelector('#lines tr[data-line="2"]')?.dataset.state`); got != "cancelled" {
		t.Errorf("line 2 is %q on the page, want cancelled", got)
	}
	if got := pollJS(t, ctx, "the history", `document.querySelector('#history li[data-event="customer_choice"]')?.textContent`); !strings.Contains(got, "Você escolheu cancelar um item") ||
		!strings.Contains(got, "Reembolso: € 20,00") {
		t.Errorf("the history reads %q", got)
	}
	if got := pollJS(t, ctx, "no choice left", `String(document.querySelectorAll("section.choice").length)`); got != "0" {
		t.Errorf("%s choices still offered", got)
	}

	o, err := fx.Orders.Get(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	if o.Lines[1].State != orders.LineCancelled || o.Lines[1].Cancelled != 2 || o.Lines[0].State != orders.LineAllocated || o.State != orders.ReadyToRoute {
		t.Errorf("after the choice: %s, lines %+v", o.State, o.Lines)
	}
	ps, err := fx.Orders.Payments(context.Background(), number)
	if err != nil || len(ps) != 1 || ps[0].Kind != "refund" || ps[0].Amount.Amount != 2000 {
		t.Errorf("payments %+v %v", ps, err)
	}
	tl, err := fx.Orders.Timeline(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	if last := tl[len(tl)-1]; last.Event != "customer_choice" || last.Actor != "customer:joana@example.com.br" ||
		!strings.Contains(last.Detail, `"choice":"cancel"`) {
		t.Errorf("last entry %+v", last)
	}
	if loc := location(t, ctx); !strings.HasPrefix(loc, link+"?") || !strings.Contains(loc, "lang=pt-BR") {
		t.Errorf("the page is at %s", loc)
	}
}
