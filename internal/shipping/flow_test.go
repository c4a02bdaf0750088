package shipping_test

import (
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/shipping"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestRoutedOrderToDelivered follows an order through the real router:
// routed to its supplier's PO, shipped in two parcels, delivered by tracking
// events, with every step on its timeline.
func TestRoutedOrderToDelivered(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		mug := f.sku(f.A, 10)
		router := routing.NewRouter(db, routing.NewService(db, f.Clock.Now), f.Orders, f.Inventory, f.po, nil, f.Clock.Now)
		p, err := f.Orders.Place(ctx, orderstest.Input("flow@example.com", mug.SKU, 3))
		if err != nil {
			t.Fatal(err)
		}
		n := p.Order.Number
		if _, err := router.Route(ctx, n, "confirmed"); err != nil {
			t.Fatalf("route: %v", err)
		}
		if o := f.get(n); o.State != orders.SentToSupplier {
			t.Fatalf("routed order is %s, want sent_to_supplier", o.State)
		}
		var poLine int64
		if err := db.R.QueryRow(`SELECT id FROM purchase_order_lines WHERE order_id = $1`, n).Scan(&poLine); err != nil {
			t.Fatal(err)
		}
		for i, num := range []string{ups1, ups2} {
			if _, err := f.svc.AddShipment(ctx, f.A, shipping.NewShipment{Carrier: "UPS", TrackingNumber: num,
				Lines: []shipping.NewLine{{POLineID: poLine, Quantity: 1 + i}}}); err != nil {
				t.Fatalf("parcel %d: %v", i+1, err)
			}
		}
		if o := f.get(n); o.State != orders.Shipped {
			t.Fatalf("order after both parcels is %s, want shipped", o.State)
		}
		at := orderstest.T0.Add(48 * time.Hour)
		res, err := f.svc.RecordEvents(ctx, "aftership", []shipping.TrackingEvent{
			{ID: "1", Carrier: "ups", TrackingNumber: ups1, Status: shipping.StatusDelivered, OccurredAt: at},
			{ID: "2", Carrier: "ups", TrackingNumber: ups2, Status: shipping.StatusDelivered, OccurredAt: at},
		})
		if err != nil || res[0].Outcome != shipping.OutcomeApplied || res[1].Outcome != shipping.OutcomeApplied {
			t.Fatalf("events: %+v, %v", res, err)
		}
		if o := f.get(n); o.State != orders.Delivered {
			t.Fatalf("order after both deliveries is %s, want delivered", o.State)
		}
		tl, _ := f.Orders.Timeline(ctx, n)
		seen := map[string]bool{}
		for _, e := range tl {
			seen[e.Event] = true
		}
		for _, e := range []string{"shipped", "tracking", "delivered"} {
			if !seen[e] {
				t.Errorf("timeline has no %q entry: %+v", e, tl)
			}
		}
	})
}
