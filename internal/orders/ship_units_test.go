package orders_test

import (
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestShipUnitsAndDeliverLines ships 2 of a line's 5 units, then 3, and
// delivers it: the reservation is consumed on the offer for those units only,
// the line and order states follow, and each step is on the timeline with its
// actor and detail and emits its event.
func TestShipUnitsAndDeliverLines(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		mug := f.AddSKU("MUG-S", 10)
		cup := f.AddSKU("CUP-S", 10)
		p, err := f.Orders.Place(ctx, orderstest.Input("ship@example.com", "MUG-S", 5, "CUP-S", 1))
		if err != nil {
			t.Fatal(err)
		}
		n := p.Order.Number
		if _, err := f.Orders.SendToSupplier(ctx, n, nil, ""); err != nil {
			t.Fatal(err)
		}
		line1, line2 := p.Order.Lines[0].ID, p.Order.Lines[1].ID
		ship := func(units []orders.ShippedUnits, detail map[string]any) error {
			return db.InTx(ctx, func(tx *sql.Tx) error {
				return f.Orders.ShipUnitsTx(orders.WithActor(ctx, "supplier:1 Acme"), tx, n, units, detail)
			})
		}
		if err := ship([]orders.ShippedUnits{{LineID: line1, OfferID: mug.Offer, Quantity: 2}},
			map[string]any{"carrier": "ups", "tracking_number": "1ZA"}); err != nil {
			t.Fatalf("ship 2 of 5: %v", err)
		}
		o, _ := f.Orders.Get(ctx, n)
		if o.State != orders.PartiallyShipped || o.Lines[0].State != orders.LineSentToSupplier ||
			o.Lines[0].Shipped != 2 || o.Lines[0].Reserved != 3 {
			t.Fatalf("after 2 of 5: order %s, line %s shipped %d reserved %d; want partially_shipped, sent_to_supplier, 2, 3",
				o.State, o.Lines[0].State, o.Lines[0].Shipped, o.Lines[0].Reserved)
		}
		if ats := f.ATS(mug); ats != 5 { // 10 reported - 2 shipped - 3 still reserved
			t.Errorf("ATS of mug = %d, want 5", ats)
		}
		// More than is reserved: refused, nothing changes.
		err = ship([]orders.ShippedUnits{{LineID: line1, OfferID: mug.Offer, Quantity: 4}}, nil)
		if !apperr.Is(err, apperr.Conflict) {
			t.Errorf("ship 4 of 3 reserved = %v, want conflict", err)
		}
		// The wrong offer: nothing reserved there.
		err = ship([]orders.ShippedUnits{{LineID: line1, OfferID: cup.Offer, Quantity: 1}}, nil)
		if !apperr.Is(err, apperr.Conflict) {
			t.Errorf("ship from an offer the line holds nothing on = %v, want conflict", err)
		}
		if err := ship([]orders.ShippedUnits{{LineID: line1, OfferID: mug.Offer, Quantity: 3}, {LineID: line2, OfferID: cup.Offer, Quantity: 1}},
			map[string]any{"carrier": "dhl_express"}); err != nil {
			t.Fatalf("ship the rest: %v", err)
		}
		o, _ = f.Orders.Get(ctx, n)
		if o.State != orders.Shipped || o.Lines[0].State != orders.LineShipped || o.Lines[0].Shipped != 5 || o.Lines[0].Reserved != 0 {
			t.Fatalf("after shipping all: order %s, line %s shipped %d; want shipped, shipped, 5", o.State, o.Lines[0].State, o.Lines[0].Shipped)
		}
		if ats := f.ATS(mug); ats != 5 {
			t.Errorf("ATS of mug after shipping all = %d, want 5", ats)
		}
		deliver := func(ids ...int64) (bool, error) {
			var changed bool
			err := db.InTx(ctx, func(tx *sql.Tx) error {
				var err error
				changed, err = f.Orders.DeliverLinesTx(orders.WithActor(ctx, "carrier:aftership"), tx, n, ids, map[string]any{"shipment": 1})
				return err
			})
			return changed, err
		}
		if changed, err := deliver(line1); err != nil || !changed {
			t.Fatalf("deliver line 1 = %v, %v", changed, err)
		}
		o, _ = f.Orders.Get(ctx, n)
		if o.State != orders.Shipped || o.Lines[0].State != orders.LineDelivered {
			t.Errorf("after delivering line 1: order %s, line %s; want shipped, delivered", o.State, o.Lines[0].State)
		}
		if changed, err := deliver(line1); err != nil || changed {
			t.Errorf("deliver line 1 again = %v, %v; want no change", changed, err)
		}
		if _, err := deliver(line2); err != nil {
			t.Fatal(err)
		}
		o, _ = f.Orders.Get(ctx, n)
		if o.State != orders.Delivered {
			t.Errorf("after delivering both: order %s, want delivered", o.State)
		}
		tl, err := f.Orders.Timeline(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range tl {
			if e.Event == "shipped" || e.Event == "delivered" {
				got = append(got, e.Event+" "+e.Actor+" "+e.ToState)
				if e.Event == "shipped" && (!strings.Contains(e.Detail, `"carrier"`) || !strings.Contains(e.Detail, `"lines":[1`)) {
					t.Errorf("shipped entry detail %s lacks the carrier or the line positions", e.Detail)
				}
			}
		}
		want := []string{"shipped supplier:1 Acme partially_shipped", "shipped supplier:1 Acme shipped",
			"delivered carrier:aftership shipped", "delivered carrier:aftership delivered"}
		if !slices.Equal(got, want) {
			t.Errorf("timeline = %q, want %q", got, want)
		}
		evs := events(t, db, n)
		var ship2, del2 int
		for _, e := range evs {
			switch e {
			case orders.EventShipped:
				ship2++
			case orders.EventDelivered:
				del2++
			}
		}
		if ship2 != 2 || del2 != 2 {
			t.Errorf("events %v: want 2 shipped and 2 delivered", evs)
		}
	})
}

// TestDeliverLinesNotShipped refuses to deliver a line whose units have not
// all shipped.
func TestDeliverLinesNotShipped(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		mug := f.AddSKU("MUG-D", 10)
		p, err := f.Orders.Place(ctx, orderstest.Input("d@example.com", "MUG-D", 3))
		if err != nil {
			t.Fatal(err)
		}
		n, line := p.Order.Number, p.Order.Lines[0].ID
		shipOne := func() error {
			return db.InTx(ctx, func(tx *sql.Tx) error {
				return f.Orders.ShipUnitsTx(ctx, tx, n, []orders.ShippedUnits{{LineID: line, OfferID: mug.Offer, Quantity: 1}}, nil)
			})
		}
		if err := shipOne(); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("ship units of an order not sent to a supplier = %v, want conflict", err)
		}
		if _, err := f.Orders.SendToSupplier(ctx, n, nil, ""); err != nil {
			t.Fatal(err)
		}
		if err := shipOne(); err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := f.Orders.DeliverLinesTx(ctx, tx, n, []int64{line}, nil)
			return err
		})
		if !apperr.Is(err, apperr.Conflict) {
			t.Errorf("deliver a line with 2 of 3 units unshipped = %v, want conflict", err)
		}
		o, _ := f.Orders.Get(ctx, n)
		if o.State != orders.PartiallyShipped || o.Lines[0].State != orders.LineSentToSupplier {
			t.Errorf("order %s line %s, want partially_shipped, sent_to_supplier", o.State, o.Lines[0].State)
		}
	})
}
