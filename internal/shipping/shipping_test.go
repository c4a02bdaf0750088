package shipping_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/shipping"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// Two valid UPS numbers (check digits right).
const ups1, ups2 = "1Z999AA10123456784", "1Z999AA10123456793"

// TestPartialShipmentsAndTwoParcels ships 2 of 5 units, then the other 3 in
// a second parcel: the PO line, the order line and the order follow, the
// stock leaves the supplier, and the order has two shipments.
func TestPartialShipmentsAndTwoParcels(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		mug := f.sku(f.A, 10)
		p := f.order(mug, 5)
		add, err := f.svc.AddShipment(ctx, f.A, shipping.NewShipment{Carrier: "UPS", TrackingNumber: "1z999aa1 0123456784",
			Lines: []shipping.NewLine{{POLineID: p.poLines[0], Quantity: 2}}})
		if err != nil {
			t.Fatalf("first parcel: %v", err)
		}
		sh := add.Shipment
		if add.Merged || sh.Carrier != "ups" || !sh.CarrierKnown || sh.TrackingNumber != ups1 || sh.Status != shipping.StatusShipped ||
			sh.OrderNumber != p.number || len(sh.Lines) != 1 || sh.Lines[0].Quantity != 2 || sh.TrackingURL == "" || sh.Warning != "" {
			t.Errorf("first shipment = %+v", sh)
		}
		if !sh.ShippedAt.Equal(orderstest.T0) {
			t.Errorf("shipped_at = %v, want now (%v)", sh.ShippedAt, orderstest.T0)
		}
		o := f.get(p.number)
		if o.State != orders.PartiallyShipped || o.Lines[0].Shipped != 2 || o.Lines[0].Reserved != 3 {
			t.Errorf("order after 2 of 5: %s, line shipped %d reserved %d", o.State, o.Lines[0].Shipped, o.Lines[0].Reserved)
		}
		if shipped, open, state := f.poLine(p.poLines[0]); shipped != 2 || open != 3 || state != "partially_shipped" && state != "pending" {
			t.Errorf("PO line after 2 of 5: shipped %d open %d state %s", shipped, open, state)
		}
		if ats := f.ATS(mug); ats != 5 {
			t.Errorf("ATS = %d, want 5 (10 - 2 shipped - 3 reserved)", ats)
		}
		// Three more than are open: refused, nothing changes.
		_, err = f.svc.AddShipment(ctx, f.A, shipping.NewShipment{Carrier: "ups", TrackingNumber: ups2,
			Lines: []shipping.NewLine{{POLineID: p.poLines[0], Quantity: 4}}})
		if !apperr.Is(err, apperr.Conflict) {
			t.Errorf("ship 4 of 3 open = %v, want conflict", err)
		}
		add, err = f.svc.AddShipment(ctx, f.A, shipping.NewShipment{OrderNumber: p.number, Carrier: "ups", TrackingNumber: ups2,
			ShippedAt: orderstest.T0.Add(-time.Hour), Lines: []shipping.NewLine{{POLineID: p.poLines[0], Quantity: 3}}})
		if err != nil {
			t.Fatalf("second parcel: %v", err)
		}
		if add.Merged || add.Shipment.ID == sh.ID || !add.Shipment.ShippedAt.Equal(orderstest.T0.Add(-time.Hour)) {
			t.Errorf("second parcel = %+v merged %v; want a new shipment shipped an hour ago", add.Shipment, add.Merged)
		}
		o = f.get(p.number)
		if o.State != orders.Shipped || o.Lines[0].State != orders.LineShipped || o.Lines[0].Shipped != 5 {
			t.Errorf("order after all 5: %s, line %s shipped %d", o.State, o.Lines[0].State, o.Lines[0].Shipped)
		}
		if shipped, open, state := f.poLine(p.poLines[0]); shipped != 5 || open != 0 || state != "shipped" {
			t.Errorf("PO line after all 5: shipped %d open %d state %s", shipped, open, state)
		}
		list, err := f.svc.List(ctx, shipping.Filter{OrderNumber: p.number})
		if err != nil || len(list) != 2 {
			t.Fatalf("shipments of the order = %d, %v; want 2", len(list), err)
		}
		tl, _ := f.Orders.Timeline(ctx, p.number)
		var shipped int
		for _, e := range tl {
			if e.Event == "shipped" {
				shipped++
				if !strings.Contains(e.Detail, ups1) && !strings.Contains(e.Detail, ups2) {
					t.Errorf("shipped entry without its tracking number: %s", e.Detail)
				}
			}
		}
		if shipped != 2 {
			t.Errorf("%d shipped entries on the timeline, want 2", shipped)
		}
	})
}

// TestSameParcelMerges reports a parcel with two lines in two calls: the
// second adds its units to the first shipment.
func TestSameParcelMerges(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a, b := f.sku(f.A, 10), f.sku(f.A, 10)
		p := f.order(a, 1, b, 2)
		first, err := f.svc.AddShipment(ctx, f.A, shipping.NewShipment{Carrier: "ups", TrackingNumber: ups1,
			Lines: []shipping.NewLine{{POLineID: p.poLines[0], Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		second, err := f.svc.AddShipment(ctx, f.A, shipping.NewShipment{Carrier: "ups", TrackingNumber: ups1,
			Lines: []shipping.NewLine{{POLineID: p.poLines[1], Quantity: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		if !second.Merged || second.Shipment.ID != first.Shipment.ID || len(second.Shipment.Lines) != 2 {
			t.Errorf("second report of the parcel = %+v merged %v; want the first shipment with two lines", second.Shipment, second.Merged)
		}
		if o := f.get(p.number); o.State != orders.Shipped {
			t.Errorf("order %s, want shipped", o.State)
		}
	})
}

// TestCarrierChecks: a known carrier with a bad number is invalid and names
// the carrier; an unknown carrier is accepted with a warning.
func TestCarrierChecks(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		mug := f.sku(f.A, 10)
		p := f.order(mug, 2)
		_, err := f.svc.AddShipment(ctx, f.A, shipping.NewShipment{Carrier: "ups", TrackingNumber: "12345",
			Lines: []shipping.NewLine{{POLineID: p.poLines[0], Quantity: 1}}})
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "UPS") {
			t.Errorf("UPS with a bad number = %v, want invalid naming UPS", err)
		}
		if o := f.get(p.number); o.Lines[0].Shipped != 0 {
			t.Errorf("a refused shipment shipped %d units", o.Lines[0].Shipped)
		}
		add, err := f.svc.AddShipment(ctx, f.A, shipping.NewShipment{Carrier: "Speedy Local", TrackingNumber: "ab 12",
			Lines: []shipping.NewLine{{POLineID: p.poLines[0], Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if add.Shipment.CarrierKnown || add.Shipment.Carrier != "speedy local" || add.Shipment.TrackingNumber != "AB12" ||
			!strings.Contains(add.Shipment.Warning, "unknown carrier") {
			t.Errorf("unknown carrier shipment = %+v", add.Shipment)
		}
		_, err = f.svc.AddShipment(ctx, f.A, shipping.NewShipment{Carrier: "ups", TrackingNumber: ups1,
			ShippedAt: orderstest.T0.Add(time.Hour), Lines: []shipping.NewLine{{POLineID: p.poLines[0], Quantity: 1}}})
		if !apperr.Is(err, apperr.Invalid) {
			t.Errorf("shipped an hour from now = %v, want invalid", err)
		}
		_, err = f.svc.AddShipment(ctx, f.A, shipping.NewShipment{OrderNumber: p.number + 1, Carrier: "ups", TrackingNumber: ups1,
			Lines: []shipping.NewLine{{POLineID: p.poLines[0], Quantity: 1}}})
		if !apperr.Is(err, apperr.Invalid) {
			t.Errorf("another order's number = %v, want invalid", err)
		}
	})
}

// TestSupplierIsolation: supplier B cannot ship A's lines, nor read A's
// shipments; both look like nothing is there.
func TestSupplierIsolation(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a, b := f.sku(f.A, 10), f.sku(f.B, 10)
		p := f.order(a, 1, b, 1)
		_, err := f.svc.AddShipment(ctx, f.B, shipping.NewShipment{Carrier: "ups", TrackingNumber: ups1,
			Lines: []shipping.NewLine{{POLineID: p.poLines[0], Quantity: 1}}})
		if !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("B ships A's line = %v, want not found", err)
		}
		add, err := f.svc.AddShipment(ctx, f.A, shipping.NewShipment{Carrier: "ups", TrackingNumber: ups1,
			Lines: []shipping.NewLine{{POLineID: p.poLines[0], Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		// A parcel with lines of two suppliers is refused too.
		_, err = f.svc.AddShipment(ctx, f.B, shipping.NewShipment{Carrier: "ups", TrackingNumber: ups2,
			Lines: []shipping.NewLine{{POLineID: p.poLines[1], Quantity: 1}, {POLineID: p.poLines[0], Quantity: 1}}})
		if !apperr.Is(err, apperr.NotFound) {
			t.Errorf("B ships its line and A's = %v, want not found", err)
		}
		// B reusing A's tracking number on the same order: a conflict.
		_, err = f.svc.AddShipment(ctx, f.B, shipping.NewShipment{Carrier: "ups", TrackingNumber: ups1,
			Lines: []shipping.NewLine{{POLineID: p.poLines[1], Quantity: 1}}})
		if !apperr.Is(err, apperr.Conflict) {
			t.Errorf("B reuses A's parcel = %v, want conflict", err)
		}
		if _, err := f.svc.Get(ctx, f.B, add.Shipment.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("B reads A's shipment = %v, want not found", err)
		}
		if list, err := f.svc.List(ctx, shipping.Filter{SupplierID: f.B}); err != nil || len(list) != 0 {
			t.Errorf("B's shipments = %d, %v; want none", len(list), err)
		}
		if list, err := f.svc.List(ctx, shipping.Filter{SupplierID: f.A}); err != nil || len(list) != 1 {
			t.Errorf("A's shipments = %d, %v; want 1", len(list), err)
		}
	})
}
