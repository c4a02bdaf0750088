package web

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orderlinks"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// The staff order page lists what the customer may choose and links
// orders:write roles to the customer's page (a link that opens this order).
func TestConsoleOrderShowsCustomerChoices(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		fx := orderstest.New(t, db, orders.Options{})
		s, base := newConsoleServerWith(t, Config{DB: db, Now: fx.Clock.Now, Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
		tee := fx.AddSKU("TEE-M", 0)
		fx.Policy(tee, inventory.PolicyInput{BackorderLimit: 5})
		p, err := fx.Orders.Place(context.Background(), orderstest.Input("ana@example.com", "TEE-M", 2))
		if err != nil {
			t.Fatal(err)
		}
		path := "/console/orders/" + strconv.FormatInt(p.Order.Number, 10)

		email, pw := consoleUser(t, s, auth.Support, "support@example.com")
		c := newConsoleClient(t, base)
		c.login(email, pw)
		page := c.get(path)
		wantStatus(t, page, http.StatusOK)
		wantBody(t, page, `id="customer-choices"`, `<tr data-line="1">`, "wait, cancel", "2026-03-05 09:30 UTC", `id="customer-page-link"`)
		m := regexp.MustCompile(`id="customer-page-link" href="/o/([^"]+)"`).FindStringSubmatch(page.body)
		if m == nil {
			t.Fatalf("no link to the customer's page")
		}
		links, err := orderlinks.Load(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if n, exp, err := links.Verify(m[1], orderstest.T0); err != nil || n != p.Order.Number || !exp.Equal(orderstest.T0.Add(24*time.Hour)) {
			t.Errorf("the link names order %d until %s: %v", n, exp, err)
		}

		email, pw = consoleUser(t, s, auth.ReadOnly, "ro@example.com")
		ro := newConsoleClient(t, base)
		ro.login(email, pw)
		page = ro.get(path)
		wantStatus(t, page, http.StatusOK)
		wantBody(t, page, `id="customer-choices"`)
		wantNotBody(t, page, `id="customer-page-link"`)

		if _, err := fx.Orders.Choose(context.Background(), p.Order.Number, orders.ChoiceInput{Line: 1, Choice: orders.ChoiceCancel}); err != nil {
			t.Fatal(err)
		}
		page = c.get(path)
		wantBody(t, page, `id="no-customer-choices"`)
	})
}
