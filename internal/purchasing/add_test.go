package purchasing

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestAddTxGathersOnOneOpenPOPerSupplierAndCurrency(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Options{})
		ctx := context.Background()
		b := f.supplier("Beta", "America/Sao_Paulo")
		a1 := f.order(f.Supplier, 2, eur(500))
		a2 := f.order(f.Supplier, 1, eur(750))
		a3 := f.order(b, 3, eur(120))
		a4 := f.order(b, 1, cost("USD", 300))
		f.add(a1, a3)
		f.add(a2, a4)

		var pos []int64
		rows, err := db.R.Query(`SELECT id FROM purchase_orders ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			pos = append(pos, id)
		}
		rows.Close()
		if len(pos) != 3 || pos[0] != 5001 {
			t.Fatalf("POs %v, want three numbered from 5001 (fixture EUR, Beta EUR, Beta USD)", pos)
		}
		po, err := f.svc.Get(ctx, 0, pos[0])
		if err != nil {
			t.Fatal(err)
		}
		if po.Number != "PO-5001" || po.SupplierID != f.Supplier || po.State != POOpen || po.Channel != ChannelConsole {
			t.Fatalf("first PO %+v", po)
		}
		if po.TotalCost != eur(2*500+750) || len(po.Lines) != 2 {
			t.Fatalf("first PO total %v with %d lines, want 17.50 EUR over 2", po.TotalCost, len(po.Lines))
		}
		if !po.SendAfter.Equal(orderstest.T0) {
			t.Fatalf("send after %v, want now (no settings: immediate)", po.SendAfter)
		}
		l := po.Lines[0]
		if l.State != LinePending || l.Pending != 2 || l.Quantity != 2 || l.UnitCost != eur(500) ||
			l.OrderLineID != a1.OrderLineID || l.SupplierSKU != a1.SupplierSKU || l.SupplierID != f.Supplier {
			t.Fatalf("first line %+v", l)
		}
		usd, err := f.svc.Get(ctx, b, pos[2])
		if err != nil {
			t.Fatal(err)
		}
		if usd.Currency != "USD" || usd.TotalCost.Amount != 300 || len(usd.Lines) != 1 {
			t.Fatalf("USD PO %+v", usd)
		}
		// Scoped to another supplier, the PO does not exist.
		if _, err := f.svc.Get(ctx, f.Supplier, pos[2]); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("other supplier's PO: %v, want not found", err)
		}

		// Once the PO is no longer open, new lines start a new PO.
		if _, err := db.W.Exec(`UPDATE purchase_orders SET state = 'sent' WHERE id = $1`, pos[0]); err != nil {
			t.Fatal(err)
		}
		f.add(f.order(f.Supplier, 1, eur(100)))
		var n int
		db.R.QueryRow(`SELECT COUNT(*) FROM purchase_orders WHERE supplier_id = $1`, f.Supplier).Scan(&n)
		if n != 2 {
			t.Fatalf("%d POs for the fixture supplier, want 2", n)
		}
	})
}

func TestAddTxCutoffsSendAtTheSuppliersNextCutoff(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Options{})
		// Fixture supplier is in Europe/Lisbon (UTC+0 in March); Beta in São Paulo (UTC-3).
		b := f.supplier("Beta", "America/Sao_Paulo")
		f.setFulfilment(f.Supplier, ChannelEmail, BatchCutoffs, "[540, 840]", 60, false)
		f.setFulfilment(b, ChannelConsole, BatchCutoffs, "[360]", 60, false)
		f.add(f.order(f.Supplier, 1, eur(100)), f.order(b, 1, eur(100)))
		want := map[int64]time.Time{
			// T0 is 09:30 UTC = 09:30 Lisbon: 09:00 has passed, next is 14:00.
			f.Supplier: time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC),
			// 06:30 in São Paulo: 06:00 has passed, next is tomorrow 06:00 = 09:00 UTC.
			b: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC),
		}
		for sup, at := range want {
			var got time.Time
			var ch string
			if err := db.R.QueryRow(`SELECT send_after, channel FROM purchase_orders WHERE supplier_id = $1`, sup).Scan(&got, &ch); err != nil {
				t.Fatal(err)
			}
			if !got.Equal(at) {
				t.Errorf("supplier %d: send after %v, want %v", sup, got.UTC(), at)
			}
		}
	})
}

func TestNextCutoff(t *testing.T) {
	lis, _ := time.LoadLocation("Europe/Lisbon")
	cases := []struct {
		now     time.Time
		cutoffs []int
		want    time.Time
	}{
		{time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), []int{540}, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)},
		{time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), []int{540}, time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)},
		{time.Date(2026, 3, 2, 23, 59, 0, 0, time.UTC), []int{0, 720}, time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)},
		// Summer time (UTC+1) starts on 29 March 2026.
		{time.Date(2026, 3, 29, 10, 0, 0, 0, time.UTC), []int{600}, time.Date(2026, 3, 30, 9, 0, 0, 0, time.UTC)},
		{time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), nil, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		if got := nextCutoff(c.now, lis, c.cutoffs); !got.Equal(c.want) {
			t.Errorf("nextCutoff(%v, %v) = %v, want %v", c.now, c.cutoffs, got, c.want)
		}
	}
}

func TestShipTx(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Options{})
		ctx := context.Background()
		b := f.supplier("Beta", "Europe/Rome")
		f.add(f.order(f.Supplier, 5, eur(200)), f.order(b, 1, eur(100)))
		po, _ := f.svc.Get(ctx, f.Supplier, 5001)
		line := po.Lines[0].ID
		if _, err := db.W.Exec(`UPDATE purchase_orders SET state = 'sent' WHERE id = 5001`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.Exec(`UPDATE purchase_order_lines SET qty_pending = 3, qty_accepted = 2, state = 'pending' WHERE id = $1`, line); err != nil {
			t.Fatal(err)
		}
		ship := func(sup int64, units ...Shipped) ([]Line, error) {
			var out []Line
			err := db.InTx(ctx, func(tx *sql.Tx) error {
				var err error
				out, err = f.svc.ShipTx(ctx, tx, sup, units)
				return err
			})
			return out, err
		}
		// Another supplier's line is not found; too many units conflict; nothing changes.
		other, _ := f.svc.Get(ctx, b, 5002)
		if _, err := ship(f.Supplier, Shipped{LineID: other.Lines[0].ID, Quantity: 1}); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("ship another supplier's line: %v, want not found", err)
		}
		if _, err := ship(f.Supplier, Shipped{LineID: line, Quantity: 6}); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("ship 6 of 5: %v, want conflict", err)
		}
		if _, err := ship(f.Supplier, Shipped{LineID: line, Quantity: 0}); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("ship 0: %v, want invalid", err)
		}
		// 3 units: 2 accepted first, then 1 pending.
		got, err := ship(f.Supplier, Shipped{LineID: line, Quantity: 3})
		if err != nil {
			t.Fatal(err)
		}
		if l := got[0]; l.Accepted != 0 || l.Pending != 2 || l.Shipped != 3 || l.State != LinePending {
			t.Fatalf("after shipping 3: %+v", l)
		}
		po, _ = f.svc.Get(ctx, 0, 5001)
		if po.State != POSent {
			t.Fatalf("PO state %s, want sent (2 pending)", po.State)
		}
		got, err = ship(f.Supplier, Shipped{LineID: line, Quantity: 2})
		if err != nil {
			t.Fatal(err)
		}
		if l := got[0]; l.Pending != 0 || l.Shipped != 5 || l.State != LineShipped {
			t.Fatalf("after shipping all: %+v", l)
		}
		po, _ = f.svc.Get(ctx, 0, 5001)
		if po.State != POClosed || po.TotalCost != eur(1000) {
			t.Fatalf("PO %s total %v, want closed at 10.00 EUR", po.State, po.TotalCost)
		}
	})
}

func TestLineState(t *testing.T) {
	cases := []struct {
		l    Line
		want LineState
	}{
		{Line{Pending: 1, Shipped: 2}, LinePending},
		{Line{Accepted: 2, Rejected: 1}, LineAccepted},
		{Line{Accepted: 1, Shipped: 1}, LinePartiallyShipped},
		{Line{Shipped: 1, Rejected: 1, Cancelled: 1}, LineShipped},
		{Line{Rejected: 1, Cancelled: 1}, LineRejected},
		{Line{Cancelled: 2}, LineCancelled},
	}
	for _, c := range cases {
		if got := lineState(c.l); got != c.want {
			t.Errorf("lineState(%+v) = %s, want %s", c.l, got, c.want)
		}
	}
}

func TestListFilters(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Options{})
		ctx := context.Background()
		b := f.supplier("Beta", "Europe/Rome")
		f.setFulfilment(b, ChannelConsole, BatchImmediate, "[]", 60, false)
		f.add(f.order(f.Supplier, 1, eur(100)), f.order(b, 1, eur(100)))
		ids := func(fl Filter) []int64 {
			t.Helper()
			list, _, err := f.svc.List(ctx, fl)
			if err != nil {
				t.Fatal(err)
			}
			out := []int64{}
			for _, p := range list {
				out = append(out, p.ID)
			}
			return out
		}
		if got := ids(Filter{Unacknowledged: true}); len(got) != 0 {
			t.Fatalf("unacknowledged before sending: %v", got)
		}
		f.svc.SendDue(ctx)
		if got := ids(Filter{Unacknowledged: true}); len(got) != 2 || got[0] != 5002 {
			t.Fatalf("unacknowledged: %v", got)
		}
		if got := ids(Filter{SupplierID: b}); len(got) != 1 || got[0] != 5002 {
			t.Fatalf("by supplier: %v", got)
		}
		f.Clock.Set(orderstest.T0.Add(2 * time.Hour))
		f.svc.CheckOverdue(ctx)
		if got := ids(Filter{Overdue: true}); len(got) != 1 || got[0] != 5002 {
			t.Fatalf("overdue: %v", got)
		}
		if got := ids(Filter{State: POSent, Before: 5002}); len(got) != 1 || got[0] != 5001 {
			t.Fatalf("sent before 5002: %v", got)
		}
		// Late to ship: the at-risk job flagged the order of 5001's line not_shipped.
		if got := ids(Filter{LateToShip: true}); len(got) != 0 {
			t.Fatalf("late to ship with no flag: %v", got)
		}
		var order int64
		if err := db.R.QueryRowContext(ctx, `SELECT order_id FROM purchase_order_lines WHERE purchase_order_id = 5001`).Scan(&order); err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.ExecContext(ctx, `INSERT INTO order_risks (order_id, reason, detail, flagged_at) VALUES ($1, 'not_shipped', 'late', $2)`,
			order, orderstest.T0); err != nil {
			t.Fatal(err)
		}
		if got := ids(Filter{LateToShip: true}); len(got) != 1 || got[0] != 5001 {
			t.Fatalf("late to ship: %v", got)
		}
		if got := ids(Filter{LateToShip: true, SupplierID: b}); len(got) != 0 {
			t.Fatalf("late to ship of the other supplier: %v", got)
		}
		list, more, _ := f.svc.List(ctx, Filter{Limit: 1})
		if len(list) != 1 || !more {
			t.Fatalf("page of 1: %d more=%v", len(list), more)
		}
	})
}
