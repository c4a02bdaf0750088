package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestConsoleStaleness: a supplier's page shows its last feed, age and
// staleness, and sets them; once its feed is stale, the stock list and the
// SKU page mark its offers and ATS leaves them out; minimum quantities are
// set on the supplier and the SKU pages.
func TestConsoleStaleness(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		clk := orderstest.NewClock(orderstest.T0)
		s, err := New(Config{DB: db, Logger: slog.New(slog.DiscardHandler), Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s.Handler())
		t.Cleanup(ts.Close)
		seed := seedConsole(t, s)
		lisbon := "/console/suppliers/" + strconv.FormatInt(seed.lisbon.ID, 10)
		milan := "/console/suppliers/" + strconv.FormatInt(seed.milan.ID, 10)
		mugBlue := "/console/stock/" + strconv.FormatInt(seed.variants["MUG-BLUE"].ID, 10)
		opsEmail, opsPassword := consoleUser(t, s, auth.Operations, "ops@example.com")
		roEmail, roPassword := consoleUser(t, s, auth.ReadOnly, "ro@example.com")
		login := func(email, password string) *consoleClient {
			c := newConsoleClient(t, ts.URL)
			c.login(email, password)
			return c
		}
		ops := login(opsEmail, opsPassword)

		r := ops.get(lisbon)
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "Feed and staleness", "2026-03-02 09:30 UTC (0m ago)", "none: never stale", `id="feed-badge">fresh`, "Save staleness",
			`id="feed-page" href="/console/feeds/suppliers/`+strconv.FormatInt(seed.lisbon.ID, 10)+`"`)

		for _, tt := range []struct {
			name string
			form url.Values
			want string
		}{
			{"bad age", url.Values{"max_feed_age": {"two days"}, "stale_mode": {"exclude"}}, `id="max_feed_age-err"`},
			{"age too short", url.Values{"max_feed_age": {"30s"}, "stale_mode": {"exclude"}}, `id="max_feed_age-err"`},
			{"buffer without a percent", url.Values{"max_feed_age": {"48h"}, "stale_mode": {"buffer"}}, `id="stale_buffer_percent-err"`},
			{"bad mode", url.Values{"max_feed_age": {"48h"}, "stale_mode": {"drop"}}, `id="stale_mode-err"`},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := ops.post(lisbon+"/staleness", tt.form)
				wantStatus(t, r, http.StatusUnprocessableEntity)
				wantBody(t, r, tt.want, `aria-invalid="true"`)
			})
		}
		r = ops.post(lisbon+"/staleness", url.Values{"max_feed_age": {"2d"}, "stale_mode": {"exclude"}, "stale_buffer_percent": {""}})
		wantStatus(t, r, http.StatusSeeOther)
		wantBody(t, ops.get(lisbon+"?done=staleness-set"), "Staleness saved", "<dd>48h</dd>", `id="feed-badge">fresh`)

		// 49 hours without a feed from Lisbon; the staleness job runs.
		clk.Set(orderstest.T0.Add(49 * time.Hour))
		if c, err := s.cfg.Inventory.RefreshStaleness(context.Background()); err != nil || len(c) != 1 {
			t.Fatalf("refresh: %+v, %v", c, err)
		}
		ops = login(opsEmail, opsPassword)
		wantBody(t, ops.get(lisbon), `id="feed-badge">stale</span> since 2026-03-04 10:30 UTC`, "(2d 1h ago)", "its stock does not count toward ATS")
		wantBody(t, ops.get(milan), `id="feed-badge">fresh`)
		r = ops.get("/console/suppliers")
		if row := between(r.body, `Lisbon Ceramics</a>`, `</tr>`); !strings.Contains(row, "stale feed") {
			t.Errorf("suppliers list: Lisbon's row lacks the stale badge: %s", row)
		}
		if row := between(r.body, `Milan Textiles</a>`, `</tr>`); strings.Contains(row, "stale feed") {
			t.Errorf("suppliers list: Milan's row has a stale badge: %s", row)
		}

		r = ops.get("/console/stock")
		wantStatus(t, r, http.StatusOK)
		if row := between(r.body, `<tr data-sku="MUG-BLUE">`, `</tr>`); !strings.Contains(row, "stale feed") || atsOf(r.body, "MUG-BLUE") != "12" {
			t.Errorf("MUG-BLUE row while Lisbon is stale: %s (want a stale badge, ATS 12: Milan's only)", row)
		}
		if row := between(r.body, `<tr data-sku="APRON-NAT">`, `</tr>`); strings.Contains(row, "stale feed") {
			t.Errorf("APRON-NAT (Milan only) marked stale: %s", row)
		}
		if got := fmt.Sprint(skuRows(ops.htmx("/console/stock?stale=1").body)); got != "[MUG-BLUE MUG-RED]" {
			t.Errorf("stale filter: rows %s, want [MUG-BLUE MUG-RED]", got)
		}
		wantBody(t, ops.get(mugBlue), "Lisbon Ceramics</a> <span class=\"badge bad\"", "stale feed",
			"the supplier&#39;s feed is stale: its stock does not count", `<strong id="ats" class="">12</strong>`)

		// Minimum quantities: Milan's 12 under a minimum of 20 count as 0.
		r = ops.post(milan+"/min-quantity", url.Values{"min_quantity": {"many"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="min_quantity-err"`)
		wantStatus(t, ops.post(milan+"/min-quantity", url.Values{"min_quantity": {"20"}}), http.StatusSeeOther)
		wantBody(t, ops.get(milan+"?done=min-quantity-set"), "Minimum quantity saved", "a report below 20 counts as 0")
		wantBody(t, ops.get(mugBlue), `<strong id="ats" class="low">0</strong>`)
		wantStatus(t, ops.post(milan+"/min-quantity", url.Values{"min_quantity": {""}}), http.StatusSeeOther)
		wantBody(t, ops.get(milan), `<dd id="supplier-min">none</dd>`)

		r = ops.post(mugBlue+"/min-quantity", url.Values{"min_quantity": {"-2"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="min_quantity-err"`)
		wantStatus(t, ops.post(mugBlue+"/min-quantity", url.Values{"min_quantity": {"13"}}), http.StatusSeeOther)
		wantBody(t, ops.get(mugBlue+"?done=min-quantity-set"), "Minimum quantity saved", `<strong id="sku-min">a report below 13 counts as 0</strong>`,
			`<strong id="ats" class="low">0</strong>`)

		// Read-only staff see the state, not the forms.
		ro := login(roEmail, roPassword)
		r = ro.get(lisbon)
		wantBody(t, r, `id="feed-badge">stale`)
		wantNotBody(t, r, "Save staleness", "Save minimum")
		wantNotBody(t, ro.get(mugBlue), "Save minimum")
		wantStatus(t, ro.post(lisbon+"/staleness", url.Values{"max_feed_age": {"0"}}), http.StatusForbidden)
		wantStatus(t, ro.post(lisbon+"/min-quantity", url.Values{"min_quantity": {"1"}}), http.StatusForbidden)
		wantStatus(t, ro.post(mugBlue+"/min-quantity", url.Values{"min_quantity": {"1"}}), http.StatusForbidden)
	})
}
