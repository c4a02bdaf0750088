package learned_test

import (
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/promise/learned"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestDeliveriesFromShipments: an order with recorded shipments learns the
// hand-over and delivery from its parcels (the last of them), not from the
// timeline; an order delivered by hand keeps the timeline's times; a
// supplier with a parcel never delivered teaches nothing.
func TestDeliveriesFromShipments(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f, _ := setup(t, db)
		day := 24 * time.Hour
		t0 := orderstest.T0
		byHand := deliver(t, f, t0, t0.Add(4*day), t0.Add(13*day))
		parcels := deliver(t, f, t0.Add(day), t0.Add(9*day), t0.Add(20*day))
		lost := deliver(t, f, t0.Add(2*day), t0.Add(3*day), t0.Add(6*day))
		add := func(order int64, n string, shipped time.Time, delivered any) {
			t.Helper()
			if _, err := db.W.Exec(`INSERT INTO shipments (supplier_id, order_id, carrier, carrier_known, tracking_number, status,
					shipped_at, delivered_at, created_by, created_at, updated_at)
				VALUES ($1, $2, 'ups', TRUE, $3, 'delivered', $4, $5, 'test', $4, $4)`, f.Supplier, order, n, shipped, delivered); err != nil {
				t.Fatal(err)
			}
		}
		add(parcels, "1Z1", t0.Add(day+2*day), t0.Add(day+5*day))
		add(parcels, "1Z2", t0.Add(day+3*day), t0.Add(day+7*day))
		add(lost, "1Z3", t0.Add(3*day), nil)

		ds, err := learned.Deliveries(ctx, db.R, t0.AddDate(0, -1, 0))
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]learned.Delivery{}
		for _, d := range ds {
			got[d.Order] = d
		}
		if len(ds) != 2 {
			t.Fatalf("%d deliveries, want 2 (by hand and by parcels): %+v", len(ds), ds)
		}
		if d := got[byHand]; !d.Shipped.Equal(t0.Add(4*day)) || !d.Delivered.Equal(t0.Add(13*day)) {
			t.Errorf("by hand: shipped %v delivered %v; want the timeline's", d.Shipped, d.Delivered)
		}
		d := got[parcels]
		if d.SupplierID != f.Supplier || d.From.Country != "PT" || !d.Purchased.Equal(t0.Add(day)) ||
			!d.Shipped.Equal(t0.Add(4*day)) || !d.Delivered.Equal(t0.Add(8*day)) {
			t.Errorf("by parcels: %+v; want shipped at T0+4d and delivered at T0+8d (the last parcel's)", d)
		}
		if _, ok := got[lost]; ok {
			t.Errorf("an order with a parcel never delivered was learned from")
		}
	})
}
