package shipping_test

import (
	"sync"
	"testing"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/shipping"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestConcurrentShipments: the same parcel reported twice at once makes one
// shipment with both units; two parcels asking for more units than are open
// cannot both ship them.
func TestConcurrentShipments(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		mug := f.sku(f.A, 10)
		p := f.order(mug, 2)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() {
				_, errs[i] = f.svc.AddShipment(ctx, f.A, shipping.NewShipment{Carrier: "ups", TrackingNumber: ups1,
					Lines: []shipping.NewLine{{POLineID: p.poLines[0], Quantity: 1}}})
			})
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("same parcel twice at once: %v, %v", errs[0], errs[1])
		}
		list, err := f.svc.List(ctx, shipping.Filter{OrderNumber: p.number})
		if err != nil || len(list) != 1 || list[0].Lines[0].Quantity != 2 {
			t.Fatalf("shipments = %+v, %v; want one with 2 units", list, err)
		}
		if o := f.get(p.number); o.State != orders.Shipped || o.Lines[0].Shipped != 2 {
			t.Errorf("order %s shipped %d, want shipped 2", o.State, o.Lines[0].Shipped)
		}

		q := f.order(mug, 3)
		for i, n := range []string{ups1, ups2} {
			wg.Go(func() {
				_, errs[i] = f.svc.AddShipment(ctx, f.A, shipping.NewShipment{Carrier: "ups", TrackingNumber: n,
					Lines: []shipping.NewLine{{POLineID: q.poLines[0], Quantity: 2}}})
			})
		}
		wg.Wait()
		ok, conflict := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case apperr.Is(err, apperr.Conflict):
				conflict++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 || conflict != 1 {
			t.Errorf("2+2 of 3 units at once: %d shipped, %d conflicts; want 1 and 1", ok, conflict)
		}
		if shipped, open, _ := f.poLine(q.poLines[0]); shipped != 2 || open != 1 {
			t.Errorf("PO line: shipped %d open %d, want 2 and 1", shipped, open)
		}
		if o := f.get(q.number); o.Lines[0].Shipped != 2 || o.Lines[0].Reserved != 1 {
			t.Errorf("order line: shipped %d reserved %d, want 2 and 1", o.Lines[0].Shipped, o.Lines[0].Reserved)
		}
	})
}
