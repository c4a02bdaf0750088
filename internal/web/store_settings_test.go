package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/storesettings"
)

// TestConsoleStoreSettings: an admin reads the store's time zone (UTC by
// default) and sets it; a name that is not an IANA zone is refused with the
// field's message and changes nothing; support may read the page but not
// change it.
func TestConsoleStoreSettings(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		fx := orderstest.New(t, db, orders.Options{})
		s, base := newConsoleServerWith(t, Config{DB: db, Now: fx.Clock.Now, Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
		ctx := context.Background()
		email, pw := consoleUser(t, s, auth.Admin, "admin@example.com")
		c := newConsoleClient(t, base)
		c.login(email, pw)

		page := c.get("/console/settings/store")
		wantStatus(t, page, http.StatusOK)
		// T0 is 2026-03-02 09:30 UTC.
		wantBody(t, page, `id="store-settings-form"`, `id="save-store-settings"`, `href="/console/settings/store"`, `value="UTC"`,
			"<strong>UTC</strong>: it is now 2 Mar 2026, 09:30 UTC there")

		for _, bad := range []string{"", "Local", "Sao Paulo", "America/Atlantis", "BRT"} {
			r := c.post("/console/settings/store", url.Values{"time_zone": {bad}})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantBody(t, r, `id="time-zone-err"`, "IANA time zone name")
		}
		if got, err := storesettings.Load(ctx, db.R); err != nil || got.TimeZone != "UTC" {
			t.Fatalf("refused forms left the zone %q (%v), want UTC", got.TimeZone, err)
		}

		r := c.post("/console/settings/store", url.Values{"time_zone": {"America/Sao_Paulo"}})
		wantStatus(t, r, http.StatusSeeOther)
		got, err := storesettings.Load(ctx, db.R)
		if err != nil || got.TimeZone != "America/Sao_Paulo" || got.UpdatedBy == "" {
			t.Fatalf("after saving: %+v, %v", got, err)
		}
		wantBody(t, c.get("/console/settings/store?done=store-settings-saved"), "Store settings saved",
			`value="America/Sao_Paulo"`, "it is now 2 Mar 2026, 06:30 UTC-03 there")

		semail, spw := consoleUser(t, s, auth.Support, "support@example.com")
		sc := newConsoleClient(t, base)
		sc.login(semail, spw)
		wantStatus(t, sc.get("/console/settings/store"), http.StatusOK)
		wantNotBody(t, sc.get("/console/settings/store"), `id="save-store-settings"`)
		wantStatus(t, sc.post("/console/settings/store", url.Values{"time_zone": {"Europe/Rome"}}), http.StatusForbidden)
		if got, _ := storesettings.Load(ctx, db.R); got.TimeZone != "America/Sao_Paulo" {
			t.Fatalf("support changed the zone to %q", got.TimeZone)
		}
	})
}
