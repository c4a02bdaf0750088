package routing_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/bench"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/promise/calendars"
	"github.com/orderly-oms/orderly/internal/purchasing"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// BenchmarkConfirmToPOSent measures the end-to-end time from an order's
// confirmation to its purchase order being sent, as cmd/orderly wires it
// but without the job queue's waits: on the routing benchmark's store
// (10,000 SKUs, 50,000 offers over 20 suppliers, every supplier with a
// delivery calendar and the console channel, batching immediate), each
// iteration places one order of 1 to 3 lines through orders.Place (promised
// at intake; not timed), then, from the moment its transaction has
// committed (with order.placed: an order ready when placed emits that, not
// order.ready), routes it through Router.OnEvent as that event's job does,
// with the real purchasing sink and the calendars as estimator, and runs
// purchasing.SendDue, which sends its POs (console: the state change to
// sent). It reports p50-ms and p99-ms of that time and orders/s (one order
// at a time). The waits the periodic jobs add in production are not
// included (docs/routing.md "Performance"). Run with -benchtime=2000x.
func BenchmarkConfirmToPOSent(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, e)
			w := seedE2E(b, ctx, db)
			as := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindToken, ID: 1, Name: "bench", Role: auth.Admin})
			r := rand.New(rand.NewPCG(5, 6))
			gen := bench.Generate(w.cat, max(b.N, 1), 3, 9, "e2e")
			lat := make([]time.Duration, 0, b.N)
			var numbers []int64
			var busy time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				in := gen[i].Input()
				in.Lines = in.Lines[:1+r.IntN(min(3, len(in.Lines)))]
				p, err := w.orders.Place(as, in)
				if err != nil {
					b.Fatalf("order %d: %v", i, err)
				}
				if p.Order.State != orders.ReadyToRoute {
					b.Fatalf("order %d is %s, not ready to route", p.Order.Number, p.Order.State)
				}
				numbers = append(numbers, p.Order.Number)
				b.StartTimer()
				t0 := time.Now() // Place returned: its transaction, with order.placed, has committed
				if err := w.router.OnEvent(ctx, orders.EventArgs{Event: orders.EventPlaced, Order: p.Order.Number}); err != nil {
					b.Fatalf("route order %d: %v", p.Order.Number, err)
				}
				n, err := w.purchasing.SendDue(ctx)
				if err != nil {
					b.Fatalf("send after order %d: %v", p.Order.Number, err)
				}
				d := time.Since(t0)
				if n == 0 {
					b.Fatalf("order %d: no purchase order sent", p.Order.Number)
				}
				lat = append(lat, d)
				busy += d
			}
			b.StopTimer()
			if len(lat) == 0 {
				return
			}
			checkSent(b, ctx, db, numbers)
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(len(lat))/busy.Seconds(), "orders/s")
		})
	}
}

// checkSent fails unless every order is sent to suppliers, every unit of it
// on a purchase order line of a sent PO.
func checkSent(b *testing.B, ctx context.Context, db *store.DB, numbers []int64) {
	b.Helper()
	var notSent, lines, onPO int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE id >= $1 AND id <= $2 AND state <> 'sent_to_supplier'`,
		numbers[0], numbers[len(numbers)-1]).Scan(&notSent); err != nil {
		b.Fatal(err)
	}
	if err := db.R.QueryRowContext(ctx, `SELECT COALESCE(SUM(quantity), 0) FROM order_lines WHERE order_id >= $1 AND order_id <= $2`,
		numbers[0], numbers[len(numbers)-1]).Scan(&lines); err != nil {
		b.Fatal(err)
	}
	if err := db.R.QueryRowContext(ctx, `SELECT COALESCE(SUM(l.qty_pending), 0) FROM purchase_order_lines l
		JOIN purchase_orders p ON p.id = l.purchase_order_id WHERE p.state = 'sent' AND l.order_id >= $1 AND l.order_id <= $2`,
		numbers[0], numbers[len(numbers)-1]).Scan(&onPO); err != nil {
		b.Fatal(err)
	}
	if notSent != 0 || onPO != lines {
		b.Fatalf("%d orders not sent to suppliers; %d of %d units on sent POs", notSent, onPO, lines)
	}
}

type e2eWorld struct {
	cat        *bench.Catalog
	orders     *orders.Service
	router     *routing.Router
	purchasing *purchasing.Service
}

// seedE2E seeds the routing benchmark's store, gives every supplier a
// delivery calendar (Monday to Friday, 2 days of handling for half of them,
// shipping to Italy in 1–3 days by one carrier, 2–5 by another), and wires
// orders (promised by the calendars), purchasing and the router as
// cmd/orderly does, with an insert-only queue.
func seedE2E(b *testing.B, ctx context.Context, db *store.DB) *e2eWorld {
	b.Helper()
	cat, err := bench.Seed(ctx, db, bench.SeedOptions{SKUs: benchSKUs, Stock: 1000})
	if err != nil {
		b.Fatal(err)
	}
	seedOffers(b, ctx, db)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	now := time.Now
	cal := calendars.New(db, now, calendars.Options{})
	fast, err := cal.CreateCarrierService(ctx, calendars.CarrierServiceInput{Name: "Fast", PickupDays: []string{"mon-fri"},
		Transit: []calendars.TransitRow{{FromZone: "EU", ToZone: "EU", MinDays: 1, MaxDays: 3}}})
	if err != nil {
		b.Fatal(err)
	}
	slow, err := cal.CreateCarrierService(ctx, calendars.CarrierServiceInput{Name: "Slow", PickupDays: []string{"mon-fri"},
		Transit: []calendars.TransitRow{{FromZone: "EU", ToZone: "EU", MinDays: 2, MaxDays: 5}}})
	if err != nil {
		b.Fatal(err)
	}
	var zones []calendars.Zone
	for _, c := range []string{"IT", "DE", "FR", "PT", "ES", "NL", "BE", "AT", "IE"} {
		zones = append(zones, calendars.Zone{Country: c, Zone: "EU"})
	}
	if _, err := cal.SetZones(ctx, zones); err != nil {
		b.Fatal(err)
	}
	rows, err := db.R.QueryContext(ctx, `SELECT id FROM suppliers ORDER BY id`)
	if err != nil {
		b.Fatal(err)
	}
	var sups []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		sups = append(sups, id)
	}
	rows.Close()
	if len(sups) != benchSuppliers {
		b.Fatalf("%d suppliers, want %d", len(sups), benchSuppliers)
	}
	// Every supplier in Italy's zone (the seed's are elsewhere), on the
	// console channel, sending at once.
	if _, err := db.W.ExecContext(ctx, `UPDATE suppliers SET country = 'IT', timezone = 'Europe/Rome'`); err != nil {
		b.Fatal(err)
	}
	pur := purchasing.New(db, now, purchasing.Options{Logger: log})
	for i, id := range sups {
		carrier := fast.ID
		if i%2 == 1 {
			carrier = slow.ID
		}
		if _, err := cal.SetCalendar(ctx, id, calendars.CalendarInput{ProcessingDays: []string{"mon-fri"}, Cutoff: "15:00",
			HandlingDays: i % 3, CarrierServiceIDs: []int64{carrier}}); err != nil {
			b.Fatal(err)
		}
		if _, err := pur.PutFulfilment(ctx, id, purchasing.FulfilmentInput{Channel: purchasing.ChannelConsole, Batch: purchasing.BatchImmediate,
			AckSLAMinutes: 24 * 60}); err != nil {
			b.Fatal(err)
		}
	}
	q, err := jobs.New(db, jobs.Config{InsertOnly: true, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	inv := inventory.New(db, now, inventory.Options{})
	ord, err := orders.New(db, inv, customers.NewService(db, now), q, now, orders.Options{Logger: log, Promiser: cal})
	if err != nil {
		b.Fatal(err)
	}
	pur = purchasing.New(db, now, purchasing.Options{Logger: log, Timeline: ord})
	router := routing.NewRouter(db, routing.NewService(db, now), ord, inv, pur, cal, now)
	pur.SetRerouter(router)
	if _, err := db.W.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	return &e2eWorld{cat: cat, orders: ord, router: router, purchasing: pur}
}

// seedOffers adds suppliers until there are 20 and offers on them until
// there are 50,000, each with stock, as BenchmarkRoute's store.
func seedOffers(b *testing.B, ctx context.Context, db *store.DB) {
	b.Helper()
	now := time.Now().UTC()
	var have int
	if err := db.W.QueryRowContext(ctx, `SELECT COUNT(*) FROM suppliers`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if _, err := db.W.ExecContext(ctx, `INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
		SELECT 'Bench supplier ' || n, 'Europe/Rome', 'IT', 'active', $1, $1 FROM (`+series(benchSuppliers-have)+`) s`, now); err != nil {
		b.Fatal(err)
	}
	var offers int
	if err := db.W.QueryRowContext(ctx, `SELECT COUNT(*) FROM supplier_offers`).Scan(&offers); err != nil {
		b.Fatal(err)
	}
	for k := 0; offers < benchOffers; k++ {
		n := min(benchSKUs, benchOffers-offers)
		if _, err := db.W.ExecContext(ctx, `INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency,
			lead_time_days, min_order_qty, priority, status, created_at, updated_at)
			SELECT su.id, v.id, 'X' || v.id || '-' || su.id, 100 + (v.id * 7 + su.id * 13) % 400, 'EUR', 2, 1, 10 + $1, 'active', $2, $2
			FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM variants) v
			JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k FROM suppliers) su ON su.k = (v.rn + $1 * 7 + 4) % $3
			WHERE v.rn <= $4 AND NOT EXISTS (SELECT 1 FROM supplier_offers o WHERE o.variant_id = v.id AND o.supplier_id = su.id)`,
			k, now, benchSuppliers, n); err != nil {
			b.Fatal(err)
		}
		if _, err := db.W.ExecContext(ctx, `INSERT INTO stock_positions (offer_id, reported, reported_at, buffer, reserved, updated_at)
			SELECT o.id, 50, $1, 0, 0, $1 FROM supplier_offers o WHERE NOT EXISTS (SELECT 1 FROM stock_positions sp WHERE sp.offer_id = o.id)`, now); err != nil {
			b.Fatal(err)
		}
		if err := db.W.QueryRowContext(ctx, `SELECT COUNT(*) FROM supplier_offers`).Scan(&offers); err != nil {
			b.Fatal(err)
		}
		if k > 40 {
			b.Fatalf("only %d offers", offers)
		}
	}
	b.Logf("%d suppliers, %d offers", benchSuppliers, offers)
}
