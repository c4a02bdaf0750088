package purchasing

import (
	"context"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestCheckOverdue(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Options{})
		ctx := context.Background()
		b := f.supplier("Beta", "Europe/Rome")
		f.setFulfilment(f.Supplier, ChannelConsole, BatchImmediate, "[]", 60, false)
		f.setFulfilment(b, ChannelConsole, BatchImmediate, "[]", 120, true)
		a, c := f.order(f.Supplier, 2, eur(100)), f.order(b, 3, eur(100))
		answered := f.order(b, 1, eur(100))
		f.add(a, c, answered)
		f.svc.SendDue(ctx)
		po2, _ := f.svc.Get(ctx, b, 5002)
		if _, err := f.svc.Answer(ctx, b, po2.Lines[1].ID, 1, 0, ""); err != nil {
			t.Fatal(err)
		}
		// Before any deadline nothing is overdue.
		f.Clock.Set(orderstest.T0.Add(59 * time.Minute))
		if n, err := f.svc.CheckOverdue(ctx); n != 0 || err != nil {
			t.Fatalf("at 59 min: %d, %v", n, err)
		}
		f.Clock.Set(orderstest.T0.Add(time.Hour))
		if n, err := f.svc.CheckOverdue(ctx); n != 1 || err != nil {
			t.Fatalf("at 60 min: %d, %v; want the first supplier's line", n, err)
		}
		po1, _ := f.svc.Get(ctx, 0, 5001)
		if l := po1.Lines[0]; l.OverdueAt == nil || l.Pending != 2 || l.Cancelled != 0 {
			t.Fatalf("flagged line without reroute: %+v", l)
		}
		if len(f.rr.got) != 0 {
			t.Fatalf("rerouted although the supplier's setting is off: %+v", f.rr.got)
		}
		tl, _ := f.Orders.Timeline(ctx, a.OrderID)
		if !hasEvent(tl, "supplier_overdue") {
			t.Fatalf("no supplier_overdue on the timeline")
		}
		// Flagged once only.
		f.Clock.Set(orderstest.T0.Add(3 * time.Hour))
		if n, err := f.svc.CheckOverdue(ctx); n != 1 || err != nil {
			t.Fatalf("at 3 h: %d, %v; want only Beta's unanswered line", n, err)
		}
		po2, _ = f.svc.Get(ctx, 0, 5002)
		if l := po2.Lines[0]; l.OverdueAt == nil || l.Pending != 0 || l.Cancelled != 3 || l.State != LineCancelled {
			t.Fatalf("timed-out line: %+v", l)
		}
		if l := po2.Lines[1]; l.OverdueAt != nil || l.Accepted != 1 {
			t.Fatalf("answered line flagged: %+v", l)
		}
		want := RerouteRequest{OrderID: c.OrderID, OrderLineID: c.OrderLineID, FromOfferID: c.OfferID, Quantity: 3, Trigger: "timeout"}
		if len(f.rr.got) != 1 || f.rr.got[0].Trigger != "timeout" || f.rr.got[0].Quantity != 3 || f.rr.got[0].OrderLineID != want.OrderLineID ||
			f.rr.got[0].FromOfferID != want.FromOfferID {
			t.Fatalf("reroute %+v, want %+v", f.rr.got, want)
		}
		if po2.State != POAcknowledged || po2.TotalCost != eur(100) {
			t.Fatalf("PO after timeout %s %v", po2.State, po2.TotalCost)
		}
		if n, _ := f.svc.CheckOverdue(ctx); n != 0 {
			t.Fatalf("flagged again: %d", n)
		}
	})
}
