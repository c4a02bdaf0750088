package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/storefront"
)

func TestStorefrontConsole(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		ctx := context.Background()
		tg, err := s.cfg.Storefront.CreateTarget(ctx, storefront.NewTarget{Name: "Own shop", Kind: storefront.KindWebhook,
			URL: "https://shop.example/hook", Secret: "whsec-very-secret-signing-key"})
		if err != nil {
			t.Fatal(err)
		}
		admin := newConsoleClient(t, base)
		admin.login(consoleUser(t, s, auth.Admin, "admin@example.com"))
		r := admin.get("/console/storefront")
		wantStatus(t, r, 200)
		wantBody(t, r, "Own shop", "https://shop.example/hook", "enabled", "Disable", "Resync all", `href="/console/storefront"`)
		wantNotBody(t, r, "whsec-very-secret-signing-key")

		r = admin.post(fmt.Sprintf("/console/storefront/%d/enabled", tg.ID), url.Values{"enabled": {"false"}})
		if r.status != 303 || !strings.Contains(r.header.Get("Location"), "done=disabled") {
			t.Fatalf("disable: %d %s", r.status, r.header.Get("Location"))
		}
		r = admin.get("/console/storefront?done=disabled")
		wantBody(t, r, "Target disabled", ">Enable<")
		wantStatus(t, admin.post(fmt.Sprintf("/console/storefront/%d/resync", tg.ID), url.Values{}), 303)
		if got, err := s.cfg.Storefront.Target(ctx, tg.ID); err != nil || got.Enabled {
			t.Fatalf("target after the console's actions: %+v %v", got, err)
		}
		r = admin.post("/console/storefront/999/resync", url.Values{})
		wantStatus(t, r, 404)
		wantBody(t, r, "Storefront target 999 not found")

		ops := newConsoleClient(t, base)
		ops.login(consoleUser(t, s, auth.Operations, "ops@example.com"))
		wantStatus(t, ops.get("/console/storefront"), 403)
		wantNotBody(t, ops.get("/"), `href="/console/storefront"`)
	})
}
