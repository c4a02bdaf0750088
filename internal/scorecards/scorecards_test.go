package scorecards_test

import (
	"context"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/scorecards"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

var ctx = context.Background()

// poLine inserts a sent purchase order with one line of the order's first
// line and returns the line's id.
func poLine(t *testing.T, db *store.DB, supplier, order int64, qty int, sent, due time.Time) int64 {
	t.Helper()
	var offer, variant, line, po, id int64
	if err := db.R.QueryRowContext(ctx, `SELECT so.id, so.variant_id, l.id FROM order_lines l JOIN supplier_offers so ON so.variant_id = l.variant_id
		WHERE l.order_id = $1 ORDER BY l.position LIMIT 1`, order).Scan(&offer, &variant, &line); err != nil {
		t.Fatal(err)
	}
	if err := db.W.QueryRowContext(ctx, `INSERT INTO purchase_orders (supplier_id, state, channel, currency, send_after, sent_at, ack_due_at, created_at, updated_at)
		VALUES ($1, 'sent', 'console', 'EUR', $2, $2, $3, $2, $2) RETURNING id`, supplier, sent, due).Scan(&po); err != nil {
		t.Fatal(err)
	}
	if err := db.W.QueryRowContext(ctx, `INSERT INTO purchase_order_lines (purchase_order_id, supplier_id, order_id, order_line_id, offer_id, variant_id,
		sku, supplier_sku, title, state, quantity, qty_pending, unit_cost_amount, cost_currency, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'X', 'S-X', 'X', 'pending', $7, $7, 500, 'EUR', $8, $8) RETURNING id`,
		po, supplier, order, line, offer, variant, qty, sent).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCompute(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		f.AddSKU("MUG-1", 100)
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.W.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		place := func(email string) int64 {
			t.Helper()
			o, err := f.Orders.Place(ctx, orderstest.Input(email, "MUG-1", 1))
			if err != nil {
				t.Fatal(err)
			}
			return o.Order.Number
		}
		sent := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		due := sent.Add(24 * time.Hour)
		// Line a: answered in 2 h, 1 of 4 units rejected. Line b: answered
		// after the deadline (30 h). Line c: never answered, past the deadline.
		a := poLine(t, db, f.Supplier, place("a@example.com"), 4, sent, due)
		exec(`UPDATE purchase_order_lines SET qty_pending = 0, qty_accepted = 3, qty_rejected = 1, answered_at = $1 WHERE id = $2`, sent.Add(2*time.Hour), a)
		b := poLine(t, db, f.Supplier, place("b@example.com"), 1, sent, due)
		exec(`UPDATE purchase_order_lines SET qty_pending = 0, qty_accepted = 1, answered_at = $1 WHERE id = $2`, sent.Add(30*time.Hour), b)
		c := place("c@example.com")
		poLine(t, db, f.Supplier, c, 2, sent, due)
		// The ship-by day of c is 2026-03-03: Lisbon is UTC+0 in March, so it ends at 2026-03-04 00:00 UTC.
		exec(`UPDATE orders SET promised_ship_by = '2026-03-03' WHERE id = $1`, c)
		// A shipment of b's order on its ship-by day (on time) and one a day late.
		var orderB int64
		if err := db.R.QueryRowContext(ctx, `SELECT order_id FROM purchase_order_lines WHERE id = $1`, b).Scan(&orderB); err != nil {
			t.Fatal(err)
		}
		exec(`UPDATE orders SET promised_ship_by = '2026-03-03' WHERE id = $1`, orderB)
		for i, at := range []time.Time{time.Date(2026, 3, 3, 23, 59, 0, 0, time.UTC), time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)} {
			var sh int64
			if err := db.W.QueryRowContext(ctx, `INSERT INTO shipments (supplier_id, order_id, carrier, carrier_known, tracking_number, status, shipped_at,
				created_by, created_at, updated_at) VALUES ($1, $2, 'ups', TRUE, $3, 'shipped', $4, 'test', $4, $4) RETURNING id`,
				f.Supplier, orderB, []string{"1ZA", "1ZB"}[i], at).Scan(&sh); err != nil {
				t.Fatal(err)
			}
			var orderLine int64
			if err := db.R.QueryRowContext(ctx, `SELECT order_line_id FROM purchase_order_lines WHERE id = $1`, b).Scan(&orderLine); err != nil {
				t.Fatal(err)
			}
			exec(`INSERT INTO shipment_lines (shipment_id, purchase_order_line_id, order_line_id, quantity) VALUES ($1, $2, $3, 1)`, sh, b, orderLine)
		}
		// Another supplier with nothing: a card of zeros.
		exec(`INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at) VALUES ('Another', 'Asia/Shanghai', 'CN', 'active', $1, $1)`, sent)

		now := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
		cards, err := scorecards.Compute(ctx, db.R, sent.Add(-time.Hour), now.Add(time.Hour), now)
		if err != nil {
			t.Fatal(err)
		}
		if len(cards) != 2 || cards[0].Supplier != "Another" || cards[0].LinesSent != 0 || cards[0].AckOnTimeRate != 0 {
			t.Fatalf("cards %+v, want Another (all zero) then Fixture Supplier", cards)
		}
		got := cards[1]
		want := scorecards.Scorecard{SupplierID: f.Supplier, Supplier: "Fixture Supplier", LinesSent: 3, UnitsSent: 7, LinesAnswered: 2,
			AckMedianMin: 120, AckP90Min: 1800, AnsweredOnTime: 1, AckOnTimeRate: 0.5, UnitsRejected: 1, RejectionRate: 1.0 / 7,
			ShippedWithDate: 2, ShippedOnTime: 1, ShipOnTimeRate: 0.5,
			OpenUnacknowledged: 1, OpenOverdue: 1, OpenLateToShip: 2}
		if got != want {
			t.Errorf("scorecard\n got %+v\nwant %+v", got, want)
		}
		// Outside the window nothing was sent or shipped; open work is still open.
		cards, err = scorecards.Compute(ctx, db.R, now.Add(time.Hour), now.Add(2*time.Hour), now)
		if err != nil {
			t.Fatal(err)
		}
		if g := cards[1]; g.LinesSent != 0 || g.ShippedWithDate != 0 || g.OpenUnacknowledged != 1 {
			t.Errorf("a later window: %+v", g)
		}
	})
}
