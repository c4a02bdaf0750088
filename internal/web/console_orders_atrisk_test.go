package web

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestConsoleOrdersAtRisk(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		seedConsole(t, s)
		o := seedConsoleOrders(t, s)
		// Ana's order was promised for January: past its window by the real
		// clock, so late, not sent and not shipped. Bob's window is far ahead.
		for n, days := range map[int64][3]string{
			o.ana.Number: {"2026-01-05", "2026-01-07", "2026-01-09"},
			o.bob.Number: {"2099-01-05", "2099-01-07", "2099-01-09"},
		} {
			if _, err := db.W.ExecContext(context.Background(), `UPDATE orders SET promised_ship_by = $1, promised_earliest = $2,
				promised_latest = $3 WHERE id = $4`, days[0], days[1], days[2], n); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.cfg.Orders.CheckAtRisk(context.Background(), orders.AtRiskOptions{}); err != nil {
			t.Fatal(err)
		}
		c := newConsoleClient(t, base)
		c.login(consoleUser(t, s, auth.Support, "support@example.com"))

		r := c.get("/console/orders")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `<input id="at_risk" name="at_risk" type="checkbox" value="1">`,
			`<span class="badge bad" data-at-risk="late not_sent not_shipped" title="not delivered by the end of the promised window (2026-01-07 to 2026-01-09)`)
		r = c.get("/console/orders?at_risk=1")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `<input id="at_risk" name="at_risk" type="checkbox" value="1" checked>`)
		if got, want := orderNumbers(r.body), []string{num(o.ana.Number)}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("at risk: listed %v, want %v", got, want)
		}
		r = c.get("/console/orders?at_risk=1&state=awaiting_stock")
		if got := orderNumbers(r.body); len(got) != 0 {
			t.Errorf("at risk and awaiting stock: listed %v, want none", got)
		}

		r = c.get("/console/orders/" + num(o.ana.Number))
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `id="at-risk"`, `<li data-risk="late"><span class="badge bad">late</span> not delivered by the end of the promised window`,
			`<li data-risk="not_sent"><span class="badge bad">not sent</span> 2 lines not sent to a supplier; promised to ship by 2026-01-05`,
			`<tr data-event="at_risk">`, "<td>At risk</td>", `<td class="actor">at_risk <span class="muted">(system)</span></td>`)
		r = c.get("/console/orders/" + num(o.bob.Number))
		wantStatus(t, r, http.StatusOK)
		wantNotBody(t, r, `id="at-risk"`)
	})
}
