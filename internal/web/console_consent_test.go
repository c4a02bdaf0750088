package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestConsoleBackorderConsent: an admin reads and changes the customer's
// deadline to accept a backorder's wait (bad values are refused with the
// field's message and change nothing); support may read it but not change it.
func TestConsoleBackorderConsent(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		fx := orderstest.New(t, db, orders.Options{})
		s, base := newConsoleServerWith(t, Config{DB: db, Now: fx.Clock.Now, Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
		ctx := context.Background()
		before, err := fx.Orders.ConsentSettings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		email, pw := consoleUser(t, s, auth.Admin, "admin@example.com")
		c := newConsoleClient(t, base)
		c.login(email, pw)

		page := c.get("/console/settings/backorder-consent")
		wantStatus(t, page, http.StatusOK)
		wantBody(t, page, `id="consent-form"`, `id="save-consent"`, `href="/console/settings/backorder-consent"`)
		if before.DeadlineHours > 0 {
			wantBody(t, page, `value="`+strconv.Itoa(before.DeadlineHours)+`"`)
		}

		for _, bad := range []string{"-1", "abc", "", strconv.Itoa(orders.MaxConsentHours + 1)} {
			r := c.post("/console/settings/backorder-consent", url.Values{"deadline_hours": {bad}})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantBody(t, r, `id="deadline-err"`)
		}
		if got, _ := fx.Orders.ConsentSettings(ctx); got.DeadlineHours != before.DeadlineHours {
			t.Fatalf("a refused form changed the deadline to %d", got.DeadlineHours)
		}

		r := c.post("/console/settings/backorder-consent", url.Values{"deadline_hours": {"24"}})
		wantStatus(t, r, http.StatusSeeOther)
		if got, err := fx.Orders.ConsentSettings(ctx); err != nil || got.DeadlineHours != 24 {
			t.Fatalf("after saving 24: %+v, %v", got, err)
		}
		wantBody(t, c.get("/console/settings/backorder-consent?done=consent-saved"), "Backorder deadline saved.", `value="24"`, "<strong>24 hours</strong>")

		r = c.post("/console/settings/backorder-consent", url.Values{"deadline_hours": {"0"}})
		wantStatus(t, r, http.StatusSeeOther)
		wantBody(t, c.get("/console/settings/backorder-consent"), "<strong>not asked</strong>")

		semail, spw := consoleUser(t, s, auth.Support, "support@example.com")
		sc := newConsoleClient(t, base)
		sc.login(semail, spw)
		wantStatus(t, sc.get("/console/settings/backorder-consent"), http.StatusOK)
		wantNotBody(t, sc.get("/console/settings/backorder-consent"), `id="save-consent"`)
		wantStatus(t, sc.post("/console/settings/backorder-consent", url.Values{"deadline_hours": {"48"}}), http.StatusForbidden)
		if got, _ := fx.Orders.ConsentSettings(ctx); got.DeadlineHours != 0 {
			t.Fatalf("support changed the deadline to %d", got.DeadlineHours)
		}
	})
}
