package web

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/mail"
	"github.com/orderly-oms/orderly/internal/mail/mailtest"
	"github.com/orderly-oms/orderly/internal/notify"
	"github.com/orderly-oms/orderly/internal/orderlinks"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestCustomerPageBrowserCancel drives the customer's order page in a real
// Chromium (issue 8, Tests): a Brazilian customer's order has a backordered
// line; the backorder notice reaches her by email (an in-process SMTP server),
// she opens the link in it, reads the page in Portuguese and chooses "cancel"
// for that line; the page confirms it and shows the line cancelled, and in the
// database the line is cancelled with its refund recorded and the choice on
// the timeline with the customer as actor.
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
	link := backorderEmailLink(t, db, fx, number, base)

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

// backorderEmailLink sends order's backorder notice through the notification
// service to an in-process SMTP server, as the event job would, and returns
// the customer's link found in the email it received.
func backorderEmailLink(t *testing.T, db *store.DB, fx *orderstest.Fixture, order int64, base string) string {
	t.Helper()
	ctx := context.Background()
	smtp := mailtest.Start(t)
	sender, err := mail.New(smtp.Settings())
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, jobs.Config{InsertOnly: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	svc := notify.New(db, fx.Orders, q, notify.NewTransport(db, sender, smtp.Settings().From), fx.Clock.Now, notify.Options{
		Links:    func(ctx context.Context) (notify.Linker, error) { return orderlinks.Load(ctx, db) },
		BaseURL:  base,
		LinkPath: orderlinks.Path,
		Logger:   slog.New(slog.DiscardHandler),
	})
	tl, err := fx.Orders.Timeline(ctx, order)
	if err != nil || len(tl) == 0 {
		t.Fatalf("timeline of %d: %v %v", order, tl, err)
	}
	if err := svc.OnEvent(ctx, orders.EventArgs{Event: orders.EventBackordered, Order: order, Entry: tl[0].ID}); err != nil {
		t.Fatal(err)
	}
	list, err := svc.ForOrder(ctx, order)
	if err != nil || len(list) != 1 {
		t.Fatalf("notifications of %d: %+v %v", order, list, err)
	}
	if err := svc.Deliver(ctx, list[0].ID, false); err != nil {
		t.Fatal(err)
	}
	msgs := smtp.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "joana@example.com.br" {
		t.Fatalf("emails %+v", msgs)
	}
	link := regexp.MustCompile(regexp.QuoteMeta(base) + `/o/[A-Za-z0-9_.-]+`).FindString(msgs[0].Text)
	if link == "" {
		t.Fatalf("no link to %s/o/… in the email %q:\n%s", base, msgs[0].Subject, msgs[0].Text)
	}
	return link
}
