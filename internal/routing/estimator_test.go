package routing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/promise/calendars"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// The promise engine's calendars are the router's estimator.
var _ routing.Estimator = (*calendars.Service)(nil)

// newPromiseWorld is a world whose orders are promised at intake and whose
// router takes its delivery estimates from the same calendars: A (Lisbon)
// ships to Italy in 2–4 days after a day of handling, B and C (Rome)
// overnight the same day, D has no calendar.
func newPromiseWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	var f *orderstest.Fixture
	cal := calendars.New(db, func() time.Time { return f.Clock.Now() }, calendars.Options{})
	f = orderstest.New(t, db, orders.Options{Promiser: cal})
	w := &world{Fixture: f, t: t, ctx: ctx, sink: &testSink{}, sup: map[string]int64{"A": f.Supplier}}
	if _, err := db.W.Exec(`UPDATE suppliers SET name = 'Supplier A' WHERE id = $1`, f.Supplier); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"B", "C", "D"} {
		w.sup[n] = w.insert(`INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
			VALUES ($1, 'Europe/Rome', 'IT', 'active', $2, $2)`, "Supplier "+n, orderstest.T0)
	}
	if _, err := cal.SetZones(ctx, []calendars.Zone{{Country: "IT", Zone: "EU"}}); err != nil {
		t.Fatal(err)
	}
	ctt, err := cal.CreateCarrierService(ctx, calendars.CarrierServiceInput{Name: "CTT", PickupDays: []string{"mon-fri"},
		Transit: []calendars.TransitRow{{FromZone: "PT", ToZone: "EU", MinDays: 2, MaxDays: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	brt, err := cal.CreateCarrierService(ctx, calendars.CarrierServiceInput{Name: "BRT", PickupDays: []string{"mon-fri"},
		Transit: []calendars.TransitRow{{FromZone: "EU", ToZone: "EU", MinDays: 1, MaxDays: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cal.SetCalendar(ctx, w.sup["A"], calendars.CalendarInput{ProcessingDays: []string{"mon-fri"}, Cutoff: "14:00",
		HandlingDays: 1, CarrierServiceIDs: []int64{ctt.ID}}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"B", "C"} {
		if _, err := cal.SetCalendar(ctx, w.sup[n], calendars.CalendarInput{ProcessingDays: []string{"mon-fri"}, Cutoff: "16:00",
			CarrierServiceIDs: []int64{brt.ID}}); err != nil {
			t.Fatal(err)
		}
	}
	w.rules = routing.NewService(db, f.Clock.Now)
	w.router = routing.NewRouter(db, w.rules, f.Orders, f.Inventory, w.sink, cal, f.Clock.Now)
	return w
}

// route routes an order as the order.ready event does and returns the decision.
func (w *world) route(o *orders.Order) *routing.Decision {
	w.t.Helper()
	if o.Promise == nil {
		w.t.Fatalf("order %d has no promise", o.Number)
	}
	d, err := w.router.Route(w.ctx, o.Number, routing.TriggerConfirmed)
	if err != nil || d == nil {
		w.t.Fatalf("route order %d: %v, %v", o.Number, d, err)
	}
	return d
}

// suppliersOf lists the supplier of each part of line i.
func suppliersOf(d *routing.Decision, i int) []int64 {
	var out []int64
	for _, p := range d.Lines[i].Parts {
		out = append(out, p.SupplierID)
	}
	return out
}

func skipReason(d *routing.Decision, i int, supplier int64) string {
	for _, s := range d.Lines[i].Skipped {
		if s.SupplierID == supplier {
			return s.Reason
		}
	}
	return ""
}

func TestRouterWithCalendarsKeepsThePromise(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newPromiseWorld(t, db)
		// A is the cheapest (5.00) for X and Y but delivers by 9 March; B
		// (X) and C (Y) deliver by 3 March for 9.00.
		x := w.AddSKU("X", 10)
		w.offer(x, "B", 900, 10, 2)
		y := w.AddSKU("Y", 10)
		w.offer(y, "C", 900, 10, 2)

		// X alone is promised by B's 3 March: B keeps it, A does not.
		o := w.place("X", 1)
		if o.Promise.Latest != "2026-03-03" {
			t.Fatalf("promise %+v, want latest 2026-03-03", o.Promise)
		}
		d := w.route(o)
		if got := suppliersOf(d, 0); len(got) != 1 || got[0] != w.sup["B"] || d.Split || !d.KeepsPromise {
			t.Errorf("X → %v (split %v, keeps %v), want B alone within the promise: %s", got, d.Split, d.KeepsPromise, d.Summary())
		}
		if r := skipReason(d, 0, w.sup["A"]); r != "would deliver by 2026-03-09, after the promise (2026-03-03)" {
			t.Errorf("A skipped for %q", r)
		}

		// X and Y: no single supplier keeps 3 March (A is late, B has no Y,
		// C no X), so the order is split over B and C rather than sent
		// late to A in one parcel.
		o = w.place("X", 1, "Y", 1)
		d = w.route(o)
		if x, y := suppliersOf(d, 0), suppliersOf(d, 1); len(x) != 1 || x[0] != w.sup["B"] || len(y) != 1 || y[0] != w.sup["C"] ||
			!d.Split || !d.KeepsPromise {
			t.Errorf("X → %v, Y → %v (split %v, keeps %v), want B and C within the promise: %s", x, y, d.Split, d.KeepsPromise, d.Summary())
		}
		if !strings.Contains(d.SplitReason, "within the promise (2026-03-03)") {
			t.Errorf("split reason %q", d.SplitReason)
		}
	})
}

func TestRouterWithCalendarsFastestAndUnknown(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newPromiseWorld(t, db)
		// Z: A 5.00 (by 9 March), B 9.00 (by 3 March), D 0.50 (no calendar).
		z := w.AddSKU("Z", 10)
		w.offer(z, "B", 900, 10, 2)
		w.offer(z, "D", 50, 10, 3)
		if _, err := w.rules.SetSettings(w.ctx, routing.Settings{DefaultStrategy: routing.Fastest, MaxParts: 3}); err != nil {
			t.Fatal(err)
		}
		d := w.route(w.place("Z", 1))
		if got := suppliersOf(d, 0); len(got) != 1 || got[0] != w.sup["B"] {
			t.Errorf("fastest: Z → %v, want B: %s", got, d.Summary())
		}
		if r := skipReason(d, 0, w.sup["D"]); r != "has no delivery estimate" {
			t.Errorf("fastest: D skipped for %q, want no estimate", r)
		}

		// Under lowest cost a supplier without an estimate is taken to keep
		// the promise (unknown is not late): D, not the promised B.
		if _, err := w.rules.SetSettings(w.ctx, routing.Settings{DefaultStrategy: routing.LowestCost, MaxParts: 3}); err != nil {
			t.Fatal(err)
		}
		o := w.place("Z", 1)
		if o.Promise.Latest != "2026-03-03" {
			t.Fatalf("promise %+v, want latest 2026-03-03", o.Promise)
		}
		d = w.route(o)
		if got := suppliersOf(d, 0); len(got) != 1 || got[0] != w.sup["D"] || !d.KeepsPromise {
			t.Errorf("lowest cost: Z → %v (keeps %v), want D: %s", got, d.KeepsPromise, d.Summary())
		}
		if r := skipReason(d, 0, w.sup["A"]); !strings.Contains(r, "after the promise") {
			t.Errorf("lowest cost: A skipped for %q, want late", r)
		}
	})
}
