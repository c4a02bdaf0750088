package web_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestOrderListAtRiskAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Support, orders.Options{})
		a.fx.AddSKU("MUG-1", 10)
		late := a.must(201, "POST", "/orders", orderJSON("ana@example.com", `{"sku":"MUG-1","quantity":1}`, "")).str("number")
		fine := a.must(201, "POST", "/orders", orderJSON("bea@example.com", `{"sku":"MUG-1","quantity":1}`, "")).str("number")
		for n, days := range map[string][3]string{
			late: {"2026-03-01", "2026-03-01", "2026-03-01"},
			fine: {"2026-03-20", "2026-03-22", "2026-03-25"},
		} {
			if _, err := db.W.ExecContext(context.Background(), `UPDATE orders SET promised_ship_by = $1, promised_earliest = $2,
				promised_latest = $3 WHERE id = $4`, days[0], days[1], days[2], n); err != nil {
				t.Fatal(err)
			}
		}
		// The fixture's clock is 2 March 09:30 UTC: the first order's window ended.
		if _, err := a.fx.Orders.CheckAtRisk(context.Background(), orders.AtRiskOptions{}); err != nil {
			t.Fatal(err)
		}
		l := a.must(200, "GET", "/orders?at_risk=true", "")
		if got := numbers(l); !slices.Equal(got, []string{late}) {
			t.Fatalf("?at_risk=true = %v, want [%s]: %s", got, late, l.raw)
		}
		if l.str("items.0.at_risk.0.reason") != "late" || l.str("items.0.at_risk.1.reason") != "not_sent" ||
			l.str("items.0.at_risk.2.reason") != "not_shipped" || l.str("items.0.at_risk.0.since") != a.fx.Clock.Now().Format(time.RFC3339) {
			t.Errorf("at_risk of the listed order: %s", l.raw)
		}
		if got := numbers(a.must(200, "GET", "/orders?at_risk_reason=not_shipped", "")); !slices.Equal(got, []string{late}) {
			t.Errorf("?at_risk_reason=not_shipped = %v, want [%s]", got, late)
		}
		// Every reason the job raises is a value of the filter (the API's enum).
		for _, r := range orders.RiskReasons() {
			want := []string{}
			if r == orders.RiskLate || r == orders.RiskNotSent || r == orders.RiskNotShipped {
				want = []string{late}
			}
			if got := numbers(a.must(200, "GET", "/orders?at_risk_reason="+string(r), "")); !slices.Equal(got, want) {
				t.Errorf("?at_risk_reason=%s = %v, want %v", r, got, want)
			}
		}
		all := a.must(200, "GET", "/orders", "")
		if got := numbers(all); !slices.Equal(got, []string{fine, late}) || all.str("items.0.at_risk") != "[]" {
			t.Errorf("all orders %v, the one not at risk has at_risk %s", got, all.str("items.0.at_risk"))
		}
		o := a.must(200, "GET", "/orders/"+late, "")
		if o.str("at_risk.0.reason") != "late" || o.str("at_risk.0.detail") != "not delivered by the end of the promised window (2026-03-01 to 2026-03-01)" {
			t.Errorf("order at_risk: %s", o.str("at_risk"))
		}
		if got := a.must(200, "GET", "/orders/"+fine, "").str("at_risk"); got != "[]" {
			t.Errorf("order not at risk: at_risk %s, want []", got)
		}
		tl := a.must(200, "GET", "/orders/"+late+"/timeline", "")
		if tl.str("items.1.event") != "at_risk" || tl.str("items.1.actor") != "system:at_risk" {
			t.Errorf("timeline: %s", tl.raw)
		}
		a.checkProblems([]problemCase{
			{"unknown reason", "GET", "/orders?at_risk_reason=slow", "", 422, "invalid", "query.at_risk_reason", ""},
		})
	})
}
