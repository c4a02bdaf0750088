package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// Scorecards for staff; digests for staff and, scoped, for the supplier.
func TestFollowupAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Admin, orders.Options{})
		sup := a.fx.Supplier
		var other int64
		if err := db.W.QueryRow(`INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
			VALUES ('Other Supplier', 'Europe/Lisbon', 'PT', 'active', $1, $1) RETURNING id`, a.fx.Clock.Now()).Scan(&other); err != nil {
			t.Fatal(err)
		}
		for _, d := range []struct {
			sup  int64
			body string
		}{{sup, "digest of the fixture supplier"}, {other, "digest of the other supplier"}} {
			if _, err := db.W.Exec(`INSERT INTO supplier_digests (supplier_id, local_day, locale, status, subject, body, created_at, updated_at)
				VALUES ($1, '2026-03-02', 'en', 'no_recipient', 'Orderly daily summary', $2, $3, $3)`, d.sup, d.body, time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
		}

		c := a.must(200, "GET", "/suppliers/scorecards?days=7", "")
		if c.str("suppliers.0.supplier") != "Fixture Supplier" || c.str("suppliers.1.supplier") != "Other Supplier" ||
			c.str("suppliers.0.lines_sent") != "0" {
			t.Errorf("scorecards: %s", c.raw)
		}
		a.checkProblems([]problemCase{
			{"window too long", "GET", "/suppliers/scorecards?days=400", "", 422, "invalid", "query.days", ""},
			{"unknown supplier", "GET", "/suppliers/9999/digests", "", 404, "not_found", "", ""},
		})
		if l := a.must(200, "GET", fmt.Sprintf("/suppliers/%d/digests", other), ""); l.str("items.0.body") != "digest of the other supplier" || l.str("items.1.day") != "" {
			t.Errorf("staff, other supplier's digests: %s", l.raw)
		}

		tc := a.must(201, "POST", "/tokens", fmt.Sprintf(`{"name":"digests","supplier_id":%d}`, sup))
		tok := &apiClient{t: t, base: a.base, token: tc.str("token")}
		if l := tok.must(200, "GET", "/supplier/digests", ""); l.str("items.0.body") != "digest of the fixture supplier" || l.str("items.1.day") != "" {
			t.Errorf("supplier's own digests: %s", l.raw)
		}
		for _, path := range []string{"/suppliers/scorecards", fmt.Sprintf("/suppliers/%d/digests", other), fmt.Sprintf("/suppliers/%d/digests", sup)} {
			if got := tok.do("GET", path, ""); got.status != 403 {
				t.Errorf("supplier token GET %s: %d %s", path, got.status, got.raw)
			}
		}
		if got := a.do("GET", "/supplier/digests", ""); got.status != 403 {
			t.Errorf("staff on the supplier digests: %d %s", got.status, got.raw)
		}
	})
}
