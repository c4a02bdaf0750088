package purchasing

import (
	"context"
	"testing"

	"github.com/orderly-oms/orderly/internal/mail"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// The collaborators satisfy the interfaces purchasing declares.
var (
	_ routing.Sink = (*Service)(nil)
	_ Rerouter     = (*routing.Router)(nil)
	_ Mailer       = (*mail.Sender)(nil)
	_ Timeline     = (*orders.Service)(nil)
)

// A rejection goes back to the real router, which moves the units to the
// other supplier's open PO in the same transaction.
func TestRejectionIsRoutedToTheAlternate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Options{})
		ctx := context.Background()
		router := routing.NewRouter(db, routing.NewService(db, f.Clock.Now), f.Orders, f.Inventory, f.svc, nil, f.Clock.Now)
		f.svc.SetRerouter(router)
		b := f.supplier("Beta", "Europe/Rome")
		sku := f.AddSKU("MUG-1", 10)
		var offerB int64
		if err := db.W.QueryRow(`INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount,
				cost_currency, lead_time_days, min_order_qty, priority, status, created_at, updated_at)
			VALUES ($1, $2, 'B-MUG', 450, 'EUR', 3, 1, 2, 'active', $3, $3) RETURNING id`, b, sku.Variant, orderstest.T0).Scan(&offerB); err != nil {
			t.Fatal(err)
		}
		f.Report(orderstest.SKU{SKU: sku.SKU, Variant: sku.Variant, Offer: offerB}, 10)
		placed, err := f.Orders.Place(ctx, orderstest.Input("r@example.com", "MUG-1", 2))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := router.Route(ctx, placed.Order.Number, "confirmed"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		list, _, err := f.svc.List(ctx, Filter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("POs after routing: %+v %v", list, err)
		}
		first := list[0]
		po, _ := f.svc.Get(ctx, first.SupplierID, first.ID)
		if _, err := f.svc.Answer(ctx, first.SupplierID, po.Lines[0].ID, 0, 2, "out of stock"); err != nil {
			t.Fatalf("reject: %v", err)
		}
		other := b
		if first.SupplierID == b {
			other = f.Supplier
		}
		list, _, _ = f.svc.List(ctx, Filter{SupplierID: other})
		if len(list) != 1 {
			t.Fatalf("no PO for the alternate supplier %d after the rejection", other)
		}
		alt, _ := f.svc.Get(ctx, other, list[0].ID)
		if len(alt.Lines) != 1 || alt.Lines[0].Pending != 2 || alt.Lines[0].OrderID != placed.Order.Number {
			t.Fatalf("alternate PO %+v", alt)
		}
		tl, _ := f.Orders.Timeline(ctx, placed.Order.Number)
		if !hasEvent(tl, "supplier_rejected") {
			t.Fatalf("timeline %+v", tl)
		}
	})
}
