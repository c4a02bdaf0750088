package orders_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/restocks"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// promise stores a promise on an order as intake does (ship-by, earliest, latest).
func promise(t *testing.T, db *store.DB, number int64, shipBy, earliest, latest string) {
	t.Helper()
	if _, err := db.W.ExecContext(ctx, `UPDATE orders SET promised_ship_by = $1, promised_earliest = $2, promised_latest = $3,
		promise_confidence_bp = 9000, promised_at = $4 WHERE id = $5`, shipBy, earliest, latest, orderstest.T0, number); err != nil {
		t.Fatal(err)
	}
}

// checkAtRisk runs the job at the given instant and returns what it changed.
func checkAtRisk(t *testing.T, f *orderstest.Fixture, at time.Time) orders.AtRiskResult {
	t.Helper()
	f.Clock.Set(at)
	res, err := f.Orders.CheckAtRisk(ctx, orders.AtRiskOptions{})
	if err != nil {
		t.Fatalf("CheckAtRisk at %s: %v", at, err)
	}
	return res
}

// flags returns the open flags of an order as reason → detail.
func flags(t *testing.T, f *orderstest.Fixture, number int64) map[orders.RiskReason]string {
	t.Helper()
	rs, err := f.Orders.Risks(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	out := map[orders.RiskReason]string{}
	for _, r := range rs {
		out[r.Reason] = r.Detail
	}
	return out
}

func reasons(m map[orders.RiskReason]string) []orders.RiskReason {
	return slices.Sorted(maps.Keys(m))
}

// riskEntries returns the at-risk timeline entries of an order as "event reason".
func riskEntries(t *testing.T, f *orderstest.Fixture, number int64) []string {
	t.Helper()
	es, err := f.Orders.Timeline(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if strings.HasPrefix(e.Event, "at_risk") {
			if e.Actor != "system:at_risk" {
				t.Errorf("entry %s actor %q, want system:at_risk", e.Event, e.Actor)
			}
			out = append(out, e.Event+" "+e.Reason)
		}
	}
	return out
}

func countEvents(es []orders.Event, e orders.Event) int {
	n := 0
	for _, x := range es {
		if x == e {
			n++
		}
	}
	return n
}

func TestAtRiskNotSentAndNotShippedInSupplierTimeZone(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		// São Paulo is UTC−3 all year: the ship-by day 2026-03-04 ends at 2026-03-05 03:00 UTC.
		if _, err := db.W.ExecContext(ctx, `UPDATE suppliers SET timezone = 'America/Sao_Paulo' WHERE id = $1`, f.Supplier); err != nil {
			t.Fatal(err)
		}
		f.AddSKU("MUG-1", 10)
		o := place(t, f, orderstest.Input("ana@example.com", "MUG-1", 1))
		promise(t, db, o.Number, "2026-03-04", "2026-03-06", "2026-03-09")
		shipByEnd := time.Date(2026, 3, 5, 3, 0, 0, 0, time.UTC)

		if res := checkAtRisk(t, f, shipByEnd.Add(-24*time.Hour-time.Minute)); res.Flagged != 0 || len(flags(t, f, o.Number)) != 0 {
			t.Fatalf("a minute before the not-sent window: %+v, flags %v", res, flags(t, f, o.Number))
		}
		res := checkAtRisk(t, f, shipByEnd.Add(-24*time.Hour))
		got := flags(t, f, o.Number)
		if res.Flagged != 1 || !slices.Equal(reasons(got), []orders.RiskReason{orders.RiskNotSent}) {
			t.Fatalf("24 h before the end of the ship-by day: %+v, flags %v, want not_sent", res, got)
		}
		if want := "1 line not sent to a supplier; promised to ship by 2026-03-04"; got[orders.RiskNotSent] != want {
			t.Errorf("detail %q, want %q", got[orders.RiskNotSent], want)
		}
		// Re-running (later, same facts) changes nothing.
		if res := checkAtRisk(t, f, shipByEnd.Add(-time.Hour)); res.Flagged != 0 || res.Cleared != 0 {
			t.Errorf("re-run: %+v, want no change", res)
		}
		if n := countEvents(events(t, db, o.Number), orders.EventAtRisk); n != 1 {
			t.Errorf("%d order.at_risk events, want 1", n)
		}

		// Sent: not_sent clears; not shipped by the end of the ship-by day (São Paulo) raises not_shipped.
		if _, err := f.Orders.SendToSupplier(ctx, o.Number, nil, ""); err != nil {
			t.Fatal(err)
		}
		if res := checkAtRisk(t, f, shipByEnd.Add(-time.Second)); res.Cleared != 1 || len(flags(t, f, o.Number)) != 0 {
			t.Fatalf("after sending: %+v, flags %v, want not_sent cleared", res, flags(t, f, o.Number))
		}
		res = checkAtRisk(t, f, shipByEnd)
		if got := flags(t, f, o.Number); res.Flagged != 1 || !slices.Equal(reasons(got), []orders.RiskReason{orders.RiskNotShipped}) {
			t.Fatalf("at the end of the ship-by day: %+v, flags %v, want not_shipped", res, got)
		}
		// The order page and the list carry it.
		g, err := f.Orders.Get(ctx, o.Number)
		if err != nil {
			t.Fatal(err)
		}
		if len(g.AtRisk) != 1 || g.AtRisk[0].Reason != orders.RiskNotShipped || !g.AtRisk[0].Since.Equal(shipByEnd) {
			t.Errorf("Get at_risk %+v, want not_shipped since %s", g.AtRisk, shipByEnd)
		}

		if _, err := f.Orders.Ship(ctx, o.Number, nil, ""); err != nil {
			t.Fatal(err)
		}
		// Shipped in full: cleared, and past the window it is not "late" (tracking comes with routing).
		if res := checkAtRisk(t, f, time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)); res.Cleared != 1 || res.Flagged != 0 {
			t.Errorf("after shipping: %+v, want not_shipped cleared and nothing raised", res)
		}
		want := []string{
			"at_risk 1 line not sent to a supplier; promised to ship by 2026-03-04",
			"at_risk_cleared no longer at risk (not_sent)",
			"at_risk 1 line not shipped by the promised ship-by day 2026-03-04",
			"at_risk_cleared no longer at risk (not_shipped)",
		}
		if got := riskEntries(t, f, o.Number); !slices.Equal(got, want) {
			t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		es := events(t, db, o.Number)
		if countEvents(es, orders.EventAtRisk) != 2 || countEvents(es, orders.EventAtRiskCleared) != 2 {
			t.Errorf("events %v, want 2 order.at_risk and 2 order.at_risk_cleared", es)
		}
	})
}

func TestAtRiskLateAndCancelled(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		f.AddSKU("MUG-1", 10)
		o := place(t, f, orderstest.Input("ana@example.com", "MUG-1", 1))
		promise(t, db, o.Number, "2026-03-04", "2026-03-06", "2026-03-09")
		// The latest day ends at midnight in the store's time zone (UTC by default).
		latestEnd := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
		checkAtRisk(t, f, latestEnd.Add(-time.Second))
		if got := reasons(flags(t, f, o.Number)); !slices.Equal(got, []orders.RiskReason{orders.RiskNotSent, orders.RiskNotShipped}) {
			t.Fatalf("a second before the window ends: %v, want not_sent and not_shipped", got)
		}
		res := checkAtRisk(t, f, latestEnd)
		got := flags(t, f, o.Number)
		if res.Flagged != 1 || !slices.Equal(reasons(got), []orders.RiskReason{orders.RiskLate, orders.RiskNotSent, orders.RiskNotShipped}) {
			t.Fatalf("when the window ends: %+v, %v, want late too", res, reasons(got))
		}
		if want := "not delivered by the end of the promised window (2026-03-06 to 2026-03-09)"; got[orders.RiskLate] != want {
			t.Errorf("detail %q, want %q", got[orders.RiskLate], want)
		}
		// Another store time zone moves the end of the day: Rome is UTC+1 in March.
		rome, err := time.LoadLocation("Europe/Rome")
		if err != nil {
			t.Fatal(err)
		}
		f.Clock.Set(time.Date(2026, 3, 9, 23, 30, 0, 0, time.UTC))
		if _, err := f.Orders.CheckAtRisk(ctx, orders.AtRiskOptions{Location: rome}); err != nil {
			t.Fatal(err)
		}
		if _, late := flags(t, f, o.Number)[orders.RiskLate]; !late {
			t.Errorf("23:30 UTC is past midnight in Rome: want late")
		}
		if _, err := f.Orders.Cancel(ctx, o.Number, orders.CancelInput{Reason: "customer asked"}); err != nil {
			t.Fatal(err)
		}
		if res := checkAtRisk(t, f, latestEnd.Add(time.Hour)); res.Cleared != 3 || len(flags(t, f, o.Number)) != 0 {
			t.Errorf("after cancelling: %+v, flags %v, want all three cleared", res, flags(t, f, o.Number))
		}
		if res := checkAtRisk(t, f, latestEnd.Add(2*time.Hour)); res.Orders != 0 {
			t.Errorf("a cancelled order without flags was looked at again: %+v", res)
		}
	})
}

func TestAtRiskRestockLate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		s := f.AddSKU("TEE-1", 0)
		restock := time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC)
		f.Policy(s, inventory.PolicyInput{BackorderLimit: 10, RestockExpectedAt: &restock})
		o := place(t, f, orderstest.Input("ana@example.com", "TEE-1", 2))
		if o.Lines[0].State != orders.LineBackordered {
			t.Fatalf("line %s, want backordered", o.Lines[0].State)
		}
		// Ship by the 5th, 3 days of transit to the 8th. Restock on the 6th + 2
		// days to ship + 3 in transit = the 11th, after the 8th.
		promise(t, db, o.Number, "2026-03-05", "2026-03-07", "2026-03-08")
		checkAtRisk(t, f, orderstest.T0)
		got := flags(t, f, o.Number)
		if !slices.Equal(reasons(got), []orders.RiskReason{orders.RiskRestockLate}) {
			t.Fatalf("flags %v, want restock_late only (the ship-by day is days away)", reasons(got))
		}
		want := "line 1 (TEE-1) expects stock on 2026-03-06: with 2 days to ship and 3 in transit it arrives about 2026-03-11, after the promised 2026-03-08"
		if got[orders.RiskRestockLate] != want {
			t.Errorf("detail %q\nwant %q", got[orders.RiskRestockLate], want)
		}
		// An earlier restock date that still lands late updates the text, no new entry or event.
		if _, err := db.W.ExecContext(ctx, `UPDATE order_lines SET backorder_expected_at = $1 WHERE order_id = $2`,
			time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), o.Number); err != nil {
			t.Fatal(err)
		}
		if res := checkAtRisk(t, f, orderstest.T0.Add(time.Hour)); res.Flagged != 0 || res.Cleared != 0 {
			t.Errorf("new restock date: %+v, want the flag updated in place", res)
		}
		if d := flags(t, f, o.Number)[orders.RiskRestockLate]; !strings.Contains(d, "2026-03-04") || !strings.Contains(d, "2026-03-09") {
			t.Errorf("detail %q, want the new restock day and estimate", d)
		}
		if n := countEvents(events(t, db, o.Number), orders.EventAtRisk); n != 1 {
			t.Errorf("%d order.at_risk events, want 1", n)
		}
		// Restock on the 3rd: 3 + 2 + 3 = the 8th, in time: not at risk before it arrives.
		if _, err := db.W.ExecContext(ctx, `UPDATE order_lines SET backorder_expected_at = $1 WHERE order_id = $2`,
			time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), o.Number); err != nil {
			t.Fatal(err)
		}
		if res := checkAtRisk(t, f, orderstest.T0.Add(2*time.Hour)); res.Cleared != 1 || len(flags(t, f, o.Number)) != 0 {
			t.Errorf("restock in time: %+v, flags %v, want cleared", res, flags(t, f, o.Number))
		}
		// Late again, then the stock comes in: the line is allocated and the flag clears.
		if _, err := db.W.ExecContext(ctx, `UPDATE order_lines SET backorder_expected_at = $1 WHERE order_id = $2`,
			restock, o.Number); err != nil {
			t.Fatal(err)
		}
		if res := checkAtRisk(t, f, orderstest.T0.Add(3*time.Hour)); res.Flagged != 1 {
			t.Fatalf("late again: %+v, want raised again", res)
		}
		f.Report(s, 5)
		if res := checkAtRisk(t, f, orderstest.T0.Add(4*time.Hour)); res.Cleared != 1 || len(flags(t, f, o.Number)) != 0 {
			t.Errorf("after the restock: %+v, flags %v, want cleared", res, flags(t, f, o.Number))
		}
		if n := countEvents(events(t, db, o.Number), orders.EventAtRisk); n != 2 {
			t.Errorf("%d order.at_risk events, want 2 (raised, cleared, raised again)", n)
		}
	})
}

func TestAtRiskListFilter(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		f.AddSKU("MUG-1", 10)
		late := place(t, f, orderstest.Input("a@example.com", "MUG-1", 1))
		soon := place(t, f, orderstest.Input("b@example.com", "MUG-1", 1))
		fine := place(t, f, orderstest.Input("c@example.com", "MUG-1", 1))
		place(t, f, orderstest.Input("d@example.com", "MUG-1", 1)) // no promise: never at risk
		promise(t, db, late.Number, "2026-03-01", "2026-03-01", "2026-03-01")
		promise(t, db, soon.Number, "2026-03-02", "2026-03-04", "2026-03-06")
		promise(t, db, fine.Number, "2026-03-20", "2026-03-22", "2026-03-25")
		res := checkAtRisk(t, f, orderstest.T0)
		if res.Flagged != 4 {
			t.Errorf("%+v, want 4 flags (late: not_sent, not_shipped, late; soon: not_sent)", res)
		}
		list := func(lf orders.ListFilter) []int64 {
			t.Helper()
			items, _, err := f.Orders.List(ctx, lf)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, m := range items {
				out = append(out, m.Number)
				if lf.AtRisk && len(m.AtRisk) == 0 {
					t.Errorf("order %d listed at risk without flags", m.Number)
				}
			}
			return out
		}
		if got, want := list(orders.ListFilter{AtRisk: true}), []int64{soon.Number, late.Number}; !slices.Equal(got, want) {
			t.Errorf("at risk: %v, want %v", got, want)
		}
		if got, want := list(orders.ListFilter{AtRiskReason: orders.RiskLate}), []int64{late.Number}; !slices.Equal(got, want) {
			t.Errorf("late: %v, want %v", got, want)
		}
		items, _, err := f.Orders.List(ctx, orders.ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range items {
			flagged := m.Number == late.Number || m.Number == soon.Number
			if m.AtRisk == nil || flagged != (len(m.AtRisk) > 0) {
				t.Errorf("order %d at_risk %v, flagged %v", m.Number, m.AtRisk, flagged)
			}
		}
		if _, _, err := f.Orders.List(ctx, orders.ListFilter{AtRiskReason: "slow"}); err == nil || !strings.Contains(err.Error(), "unknown at-risk reason") {
			t.Errorf("unknown reason: %v", err)
		}
	})
}

func TestAssessIsPure(t *testing.T) {
	shipBy := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	o := &orders.RiskOrder{Number: 1, State: orders.ReadyToRoute, ShipBy: shipBy, Earliest: shipBy.AddDate(0, 0, 2), Latest: shipBy.AddDate(0, 0, 5),
		ShipByEnd: shipBy.AddDate(0, 0, 1), LatestEnd: shipBy.AddDate(0, 0, 6), Lines: []orders.Line{{Position: 1, SKU: "A", State: orders.LineAllocated}}}
	// A 6-hour setting: not at risk 7 h before the end of the ship-by day, at risk 6 h before.
	opts := orders.AtRiskOptions{NotSentWithin: 6 * time.Hour}
	if got := orders.Assess(o, o.ShipByEnd.Add(-7*time.Hour), opts); len(got) != 0 {
		t.Errorf("7 h before: %v", got)
	}
	if got := orders.Assess(o, o.ShipByEnd.Add(-6*time.Hour), opts); len(got) != 1 || got[orders.RiskNotSent] == "" {
		t.Errorf("6 h before: %v, want not_sent", got)
	}
	// An extra check (issue 7's extension point) adds its reason.
	opts.Checks = []orders.RiskCheck{func(o *orders.RiskOrder, now time.Time, _ orders.AtRiskOptions) (orders.RiskReason, string, bool) {
		return "not_acknowledged", "the supplier did not acknowledge", true
	}}
	if got := orders.Assess(o, shipBy, opts); got["not_acknowledged"] == "" || len(got) != 1 {
		t.Errorf("extra check: %v", got)
	}
	// Shipped in full by hand (no shipment to track): nothing to judge.
	opts.Checks = nil
	o.State = orders.Shipped
	o.Lines[0].State = orders.LineShipped
	if got := orders.Assess(o, o.LatestEnd.AddDate(0, 0, 3), opts); len(got) != 0 {
		t.Errorf("a shipped order: %v, want no flag", got)
	}
}

// Two runs at once (two instances, or a run overlapping the next) raise each
// flag once, with one timeline entry and one event.
func TestAtRiskConcurrentRunsRaiseOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		f.AddSKU("MUG-1", 100)
		var numbers []int64
		for i := range 12 {
			o := place(t, f, orderstest.Input(fmt.Sprintf("c%d@example.com", i), "MUG-1", 1))
			promise(t, db, o.Number, "2026-03-01", "2026-03-01", "2026-03-01")
			numbers = append(numbers, o.Number)
		}
		var wg sync.WaitGroup
		results := make([]orders.AtRiskResult, 3)
		errs := make([]error, 3)
		for i := range results {
			wg.Go(func() { results[i], errs[i] = f.Orders.CheckAtRisk(ctx, orders.AtRiskOptions{}) })
		}
		wg.Wait()
		total := 0
		for i, err := range errs {
			if err != nil {
				t.Fatalf("run %d: %v", i, err)
			}
			total += results[i].Flagged
		}
		if total != 3*len(numbers) {
			t.Errorf("runs raised %d flags in all, want %d (3 per order)", total, 3*len(numbers))
		}
		for _, n := range numbers {
			if got := len(riskEntries(t, f, n)); got != 3 {
				t.Errorf("order %d: %d at-risk entries, want 3", n, got)
			}
			if got := countEvents(events(t, db, n), orders.EventAtRisk); got != 3 {
				t.Errorf("order %d: %d order.at_risk events, want 3", n, got)
			}
		}
	})
}

// A sent purchase order the supplier has not answered by its deadline, and a
// shipment whose tracking stopped moving, are flagged; the flags clear when
// the supplier answers and the parcel is delivered.
func TestAtRiskNotAcknowledgedAndTrackingStalled(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		f.AddSKU("MUG-1", 10)
		o := place(t, f, orderstest.Input("ana@example.com", "MUG-1", 2))
		promise(t, db, o.Number, "2026-03-06", "2026-03-09", "2026-03-12")
		if _, err := f.Orders.SendToSupplier(ctx, o.Number, nil, ""); err != nil {
			t.Fatal(err)
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.W.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		var offer, variant, line int64
		if err := db.R.QueryRowContext(ctx, `SELECT so.id, so.variant_id, l.id FROM order_lines l JOIN supplier_offers so ON so.variant_id = l.variant_id
			WHERE l.order_id = $1`, o.Number).Scan(&offer, &variant, &line); err != nil {
			t.Fatal(err)
		}
		due := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
		exec(`INSERT INTO purchase_orders (supplier_id, state, channel, currency, send_after, sent_at, ack_due_at, created_at, updated_at)
			VALUES ($1, 'sent', 'console', 'EUR', $2, $2, $3, $2, $2)`, f.Supplier, orderstest.T0, due)
		var po int64
		if err := db.R.QueryRowContext(ctx, `SELECT id FROM purchase_orders`).Scan(&po); err != nil {
			t.Fatal(err)
		}
		exec(`INSERT INTO purchase_order_lines (purchase_order_id, supplier_id, order_id, order_line_id, offer_id, variant_id, sku, supplier_sku,
			title, state, quantity, qty_pending, unit_cost_amount, cost_currency, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'MUG-1', 'S-MUG-1', 'Mug', 'pending', 2, 2, 500, 'EUR', $7, $7)`,
			po, f.Supplier, o.Number, line, offer, variant, orderstest.T0)

		if res := checkAtRisk(t, f, due.Add(-time.Minute)); res.Flagged != 0 {
			t.Fatalf("before the deadline: %+v, flags %v", res, flags(t, f, o.Number))
		}
		checkAtRisk(t, f, due)
		want := fmt.Sprintf("PO-%d (Fixture Supplier): 1 line not acknowledged by 2026-03-03 10:00 UTC", po)
		if got := flags(t, f, o.Number); !slices.Equal(reasons(got), []orders.RiskReason{orders.RiskNotAcknowledged}) || got[orders.RiskNotAcknowledged] != want {
			t.Fatalf("at the deadline: %v, want not_acknowledged %q", got, want)
		}
		exec(`UPDATE purchase_order_lines SET qty_pending = 0, qty_accepted = 2, state = 'accepted'`)
		if res := checkAtRisk(t, f, due.Add(time.Hour)); res.Cleared != 1 || len(flags(t, f, o.Number)) != 0 {
			t.Fatalf("after the answer: %+v, flags %v, want cleared", res, flags(t, f, o.Number))
		}

		if _, err := f.Orders.Ship(ctx, o.Number, nil, ""); err != nil {
			t.Fatal(err)
		}
		shipped := time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)
		exec(`INSERT INTO shipments (supplier_id, order_id, carrier, carrier_known, tracking_number, status, shipped_at, created_by, created_at, updated_at)
			VALUES ($1, $2, 'ups', TRUE, '1Z999AA10123456784', 'shipped', $3, 'test', $3, $3)`, f.Supplier, o.Number, shipped)
		// No event for 4 days after shipping: stalled.
		if res := checkAtRisk(t, f, shipped.Add(96*time.Hour-time.Second)); res.Flagged != 0 {
			t.Fatalf("just under 4 days: %+v, flags %v", res, flags(t, f, o.Number))
		}
		checkAtRisk(t, f, shipped.Add(96*time.Hour))
		want = "shipment ups 1Z999AA10123456784: no tracking event since it shipped on 2026-03-04"
		if got := flags(t, f, o.Number); got[orders.RiskTrackingStalled] != want || len(got) != 1 {
			t.Fatalf("4 days without an event: %v, want tracking_stalled %q", got, want)
		}
		// An event moves it: cleared; an exception raises it again at once.
		exec(`UPDATE shipments SET status = 'in_transit', last_event_at = $1`, shipped.Add(95*time.Hour))
		if res := checkAtRisk(t, f, shipped.Add(97*time.Hour)); res.Cleared != 1 {
			t.Fatalf("after an event: %+v, flags %v, want cleared", res, flags(t, f, o.Number))
		}
		exec(`UPDATE shipments SET status = 'exception'`)
		checkAtRisk(t, f, shipped.Add(98*time.Hour))
		if got := flags(t, f, o.Number)[orders.RiskTrackingStalled]; got != "shipment ups 1Z999AA10123456784: the carrier reports exception" {
			t.Fatalf("exception: %q", got)
		}
		// Past the latest day and not delivered: late, even though shipped in full.
		latestEnd := time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC)
		checkAtRisk(t, f, latestEnd)
		if got := reasons(flags(t, f, o.Number)); !slices.Equal(got, []orders.RiskReason{orders.RiskLate, orders.RiskTrackingStalled}) {
			t.Fatalf("past the window: %v, want late and tracking_stalled", got)
		}
		exec(`UPDATE shipments SET status = 'delivered', delivered_at = $1`, latestEnd)
		if res := checkAtRisk(t, f, latestEnd.Add(time.Hour)); res.Cleared != 2 || len(flags(t, f, o.Number)) != 0 {
			t.Fatalf("delivered: %+v, flags %v, want both cleared", res, flags(t, f, o.Number))
		}
	})
}

// An order waiting for a SKU that its only supplier answered "discontinued"
// is flagged; a second supplier that has not answered so keeps it clear; the
// flag follows the offers and the latest answers.
func TestAtRiskDiscontinued(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		s := f.AddSKU("KETTLE-9", 0)
		f.Policy(s, inventory.PolicyInput{BackorderLimit: 10})
		o := place(t, f, orderstest.Input("ana@example.com", "KETTLE-9", 2))
		if o.Lines[0].Backordered != 2 {
			t.Fatalf("line %+v, want 2 backordered", o.Lines[0])
		}
		// A promise far enough ahead that no other reason applies.
		promise(t, db, o.Number, "2026-04-20", "2026-04-22", "2026-04-25")
		rs := restocks.New(db, f.Inventory, f.Orders, f.Clock.Now, restocks.Options{})
		ask := func(supplier int64) int64 {
			t.Helper()
			if _, err := rs.Ask(ctx, s.Variant); err != nil {
				t.Fatal(err)
			}
			qs, _, err := rs.List(ctx, restocks.Filter{SupplierID: supplier, Status: restocks.StatusOpen})
			if err != nil {
				t.Fatal(err)
			}
			if len(qs) != 1 {
				t.Fatalf("supplier %d: %d open questions, want 1", supplier, len(qs))
			}
			return qs[0].ID
		}
		answer := func(supplier, question int64, a restocks.Answer) {
			t.Helper()
			if _, err := rs.Answer(ctx, supplier, question, restocks.AnswerInput{Answer: a}); err != nil {
				t.Fatal(err)
			}
		}

		// Asked, not answered yet: nothing.
		q := ask(f.Supplier)
		if res := checkAtRisk(t, f, orderstest.T0); res.Flagged != 0 || len(flags(t, f, o.Number)) != 0 {
			t.Fatalf("question open: %+v, flags %v, want none", res, flags(t, f, o.Number))
		}
		// The only supplier answers discontinued: flagged, with the SKU and the supplier.
		answer(f.Supplier, q, restocks.AnswerDiscontinued)
		res := checkAtRisk(t, f, orderstest.T0.Add(time.Hour))
		got := flags(t, f, o.Number)
		if res.Flagged != 1 || !slices.Equal(reasons(got), []orders.RiskReason{orders.RiskDiscontinued}) {
			t.Fatalf("discontinued: %+v, flags %v, want discontinued only", res, got)
		}
		want := "line 1 (KETTLE-9): 2 units wait for stock but Fixture Supplier answered that KETTLE-9 is discontinued, and no other supplier offers it"
		if got[orders.RiskDiscontinued] != want {
			t.Errorf("detail %q\nwant %q", got[orders.RiskDiscontinued], want)
		}
		if res := checkAtRisk(t, f, orderstest.T0.Add(2*time.Hour)); res.Flagged != 0 || res.Cleared != 0 {
			t.Errorf("re-run: %+v, want no change", res)
		}
		items, _, err := f.Orders.List(ctx, orders.ListFilter{AtRiskReason: orders.RiskDiscontinued})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 || items[0].Number != o.Number {
			t.Errorf("list at_risk_reason=discontinued: %+v, want order %d", items, o.Number)
		}

		// A second supplier offers it (and has not answered discontinued): cleared.
		var second int64
		if err := db.W.QueryRowContext(ctx, `INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
			VALUES ('Second Supplier', 'Europe/Rome', 'IT', 'active', $1, $1) RETURNING id`, orderstest.T0).Scan(&second); err != nil {
			t.Fatal(err)
		}
		var secondOffer int64
		if err := db.W.QueryRowContext(ctx, `INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency,
			lead_time_days, min_order_qty, priority, status, created_at, updated_at)
			VALUES ($1, $2, 'IT-KETTLE', 550, 'EUR', 5, 1, 2, 'active', $3, $3) RETURNING id`, second, s.Variant, orderstest.T0).Scan(&secondOffer); err != nil {
			t.Fatal(err)
		}
		if res := checkAtRisk(t, f, orderstest.T0.Add(3*time.Hour)); res.Cleared != 1 || len(flags(t, f, o.Number)) != 0 {
			t.Fatalf("a second offer: %+v, flags %v, want cleared", res, flags(t, f, o.Number))
		}
		// It answers "unknown": still a source that may restock.
		q2 := ask(second)
		answer(second, q2, restocks.AnswerUnknown)
		if res := checkAtRisk(t, f, orderstest.T0.Add(4*time.Hour)); res.Flagged != 0 || len(flags(t, f, o.Number)) != 0 {
			t.Fatalf("second answered unknown: %+v, flags %v, want none", res, flags(t, f, o.Number))
		}
		// Its later answer is discontinued too: flagged again, naming both.
		f.Clock.Set(orderstest.T0.AddDate(0, 0, 8)) // past the 7 days before an "unknown" supplier is asked again
		q2 = ask(second)
		answer(second, q2, restocks.AnswerDiscontinued)
		res = checkAtRisk(t, f, orderstest.T0.AddDate(0, 0, 8).Add(time.Hour))
		got = flags(t, f, o.Number)
		want = "line 1 (KETTLE-9): 2 units wait for stock but Fixture Supplier and Second Supplier answered that KETTLE-9 is discontinued, and no other supplier offers it"
		if res.Flagged != 1 || got[orders.RiskDiscontinued] != want {
			t.Fatalf("both discontinued: %+v, flags %v\nwant %q", res, got, want)
		}
		// Neither offer active any more: still flagged, the text follows in place.
		if _, err := db.W.ExecContext(ctx, `UPDATE supplier_offers SET status = 'inactive' WHERE variant_id = $1`, s.Variant); err != nil {
			t.Fatal(err)
		}
		res = checkAtRisk(t, f, orderstest.T0.AddDate(0, 0, 8).Add(2*time.Hour))
		want = "line 1 (KETTLE-9): 2 units wait for stock and no supplier offers KETTLE-9 any more"
		if d := flags(t, f, o.Number)[orders.RiskDiscontinued]; res.Flagged != 0 || res.Cleared != 0 || d != want {
			t.Errorf("no active offer: %+v, detail %q\nwant %q", res, d, want)
		}
		// The second offer is active again: its supplier's latest answer is
		// still discontinued, so the flag stays and names it alone.
		if _, err := db.W.ExecContext(ctx, `UPDATE supplier_offers SET status = 'active' WHERE id = $1`, secondOffer); err != nil {
			t.Fatal(err)
		}
		res = checkAtRisk(t, f, orderstest.T0.AddDate(0, 0, 8).Add(3*time.Hour))
		want = "line 1 (KETTLE-9): 2 units wait for stock but Second Supplier answered that KETTLE-9 is discontinued, and no other supplier offers it"
		if d := flags(t, f, o.Number)[orders.RiskDiscontinued]; res.Flagged != 0 || res.Cleared != 0 || d != want {
			t.Errorf("second offer active again: %+v, detail %q\nwant %q", res, d, want)
		}
		// A later answer with a date (staff answering for the supplier on a
		// question of its own): the latest answer counts, the flag clears.
		later := orderstest.T0.AddDate(0, 0, 9)
		if _, err := db.W.ExecContext(ctx, `INSERT INTO restock_questions (supplier_id, variant_id, offer_id, status, answer, expected_at,
			answered_by, asked_at, answered_at, updated_at) VALUES ($1, $2, $3, 'answered', 'date', $4, 'staff', $5, $5, $5)`,
			second, s.Variant, secondOffer, orderstest.T0.AddDate(0, 0, 20), later); err != nil {
			t.Fatal(err)
		}
		if res := checkAtRisk(t, f, later.Add(time.Hour)); res.Cleared != 1 || len(flags(t, f, o.Number)) != 0 {
			t.Errorf("a date answer later: %+v, flags %v, want cleared", res, flags(t, f, o.Number))
		}
		if got, want := riskEntries(t, f, o.Number), []string{
			"at_risk " + "line 1 (KETTLE-9): 2 units wait for stock but Fixture Supplier answered that KETTLE-9 is discontinued, and no other supplier offers it",
			"at_risk_cleared no longer at risk (discontinued)",
			"at_risk " + "line 1 (KETTLE-9): 2 units wait for stock but Fixture Supplier and Second Supplier answered that KETTLE-9 is discontinued, and no other supplier offers it",
			"at_risk_cleared no longer at risk (discontinued)",
		}; !slices.Equal(got, want) {
			t.Errorf("timeline %q\nwant %q", got, want)
		}
		if n := countEvents(events(t, db, o.Number), orders.EventAtRiskCleared); n != 2 {
			t.Errorf("%d order.at_risk_cleared events, want 2", n)
		}
	})
}

func TestAssessDiscontinued(t *testing.T) {
	shipBy := time.Date(2026, 4, 20, 0, 0, 0, 0, time.UTC)
	o := &orders.RiskOrder{Number: 1, State: orders.AwaitingStock, ShipBy: shipBy, Earliest: shipBy.AddDate(0, 0, 2), Latest: shipBy.AddDate(0, 0, 5),
		ShipByEnd: shipBy.AddDate(0, 0, 1), LatestEnd: shipBy.AddDate(0, 0, 6), Lines: []orders.Line{
			{Position: 1, SKU: "A", State: orders.LineBackordered, Backordered: 1},
			{Position: 2, SKU: "B", State: orders.LineAllocated, Reserved: 3},
		}}
	now := shipBy.AddDate(0, 0, -20)
	for _, c := range []struct {
		name    string
		sources []orders.RiskSource
		want    string // "" is not flagged
	}{
		{"one supplier, discontinued", []orders.RiskSource{{SKU: "A", Supplier: "P", Answer: "discontinued"}},
			"line 1 (A): 1 unit waits for stock but P answered that A is discontinued, and no other supplier offers it"},
		{"three suppliers, all discontinued", []orders.RiskSource{{SKU: "A", Supplier: "P", Answer: "discontinued"},
			{SKU: "A", Supplier: "Q", Answer: "discontinued"}, {SKU: "A", Supplier: "R", Answer: "discontinued"}},
			"line 1 (A): 1 unit waits for stock but P, Q and R answered that A is discontinued, and no other supplier offers it"},
		{"another supplier never answered", []orders.RiskSource{{SKU: "A", Supplier: "P", Answer: "discontinued"}, {SKU: "A", Supplier: "Q"}}, ""},
		{"another supplier gave a date", []orders.RiskSource{{SKU: "A", Supplier: "P", Answer: "discontinued"}, {SKU: "A", Supplier: "Q", Answer: "date"}}, ""},
		{"unknown", []orders.RiskSource{{SKU: "A", Supplier: "P", Answer: "unknown"}}, ""},
		{"no active offer", nil, "line 1 (A): 1 unit waits for stock and no supplier offers A any more"},
		// Only B's supplier answered discontinued, and B waits for nothing.
		{"a line not waiting", []orders.RiskSource{{SKU: "A", Supplier: "P"}, {SKU: "B", Supplier: "P", Answer: "discontinued"}}, ""},
	} {
		o.Sources = c.sources
		got := orders.Assess(o, now, orders.AtRiskOptions{})
		if d, at := got[orders.RiskDiscontinued]; d != c.want || at != (c.want != "") {
			t.Errorf("%s: %v, want discontinued %q", c.name, got, c.want)
		}
	}
	if !slices.Contains(orders.RiskReasons(), orders.RiskDiscontinued) {
		t.Errorf("RiskReasons %v lacks discontinued", orders.RiskReasons())
	}
}
