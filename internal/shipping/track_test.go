package shipping_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/shipping"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func ev(id, number string, st shipping.Status, hours int) shipping.TrackingEvent {
	return shipping.TrackingEvent{ID: id, Carrier: "ups", TrackingNumber: number, Status: st, Location: "Milano",
		OccurredAt: orderstest.T0.Add(time.Duration(hours) * time.Hour)}
}

// TestTrackingToDelivered: a line in two parcels is delivered only when both
// are; then the order is delivered. A repeated event is a duplicate and an
// event for an unknown number is reported without failing the batch.
func TestTrackingToDelivered(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		mug := f.sku(f.A, 10)
		p := f.order(mug, 5)
		for i, n := range []string{ups1, ups2} {
			if _, err := f.svc.AddShipment(ctx, f.A, shipping.NewShipment{Carrier: "ups", TrackingNumber: n,
				Lines: []shipping.NewLine{{POLineID: p.poLines[0], Quantity: 2 + i}}}); err != nil {
				t.Fatal(err)
			}
		}
		res, err := f.svc.RecordEvents(ctx, "aftership", []shipping.TrackingEvent{
			ev("e1", ups1, shipping.StatusInTransit, 1),
			ev("e2", ups1, shipping.StatusDelivered, 20),
			ev("e3", "1Z000000000000000X", shipping.StatusDelivered, 20),
			{ID: "e4", TrackingNumber: ups1, Status: "lost"},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []shipping.Outcome{shipping.OutcomeApplied, shipping.OutcomeApplied, shipping.OutcomeUnknown, shipping.OutcomeInvalid}
		for i, r := range res {
			if r.Outcome != want[i] {
				t.Errorf("event %s: %s (%s), want %s", r.ID, r.Outcome, r.Error, want[i])
			}
		}
		if o := f.get(p.number); o.State != orders.Shipped || o.Lines[0].State != orders.LineShipped {
			t.Errorf("one of two parcels delivered: order %s line %s, want shipped", o.State, o.Lines[0].State)
		}
		res, err = f.svc.RecordEvents(ctx, "aftership", []shipping.TrackingEvent{
			ev("e2", ups1, shipping.StatusDelivered, 20), // again
			ev("e5", ups2, shipping.StatusDelivered, 30),
		})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Outcome != shipping.OutcomeDuplicate || res[1].Outcome != shipping.OutcomeApplied {
			t.Errorf("outcomes %+v, want duplicate then applied", res)
		}
		o := f.get(p.number)
		if o.State != orders.Delivered || o.Lines[0].State != orders.LineDelivered {
			t.Errorf("both parcels delivered: order %s line %s, want delivered", o.State, o.Lines[0].State)
		}
		list, _ := f.svc.List(ctx, shipping.Filter{OrderNumber: p.number})
		for _, sh := range list {
			if sh.Status != shipping.StatusDelivered || sh.DeliveredAt == nil {
				t.Errorf("shipment %d: %s delivered at %v", sh.ID, sh.Status, sh.DeliveredAt)
			}
		}
		sh, err := f.svc.Get(ctx, 0, list[1].ID) // the first parcel (newest first)
		if err != nil || len(sh.Events) != 2 || !sh.DeliveredAt.Equal(orderstest.T0.Add(20*time.Hour)) {
			t.Errorf("first parcel = %+v, %v; want 2 events, delivered at T0+20h", sh, err)
		}
		tl, _ := f.Orders.Timeline(ctx, p.number)
		var tracking, delivered int
		for _, e := range tl {
			switch e.Event {
			case "tracking":
				tracking++
				if e.Actor != "carrier:aftership" {
					t.Errorf("tracking entry by %q", e.Actor)
				}
			case "delivered":
				delivered++
				if e.Actor != "carrier:aftership" || e.ToState != string(orders.Delivered) {
					t.Errorf("delivered entry by %q to %s", e.Actor, e.ToState)
				}
			}
		}
		if tracking != 3 || delivered != 1 {
			t.Errorf("timeline: %d tracking and %d delivered entries, want 3 and 1", tracking, delivered)
		}
	})
}

// TestTrackingOutOfOrder: an older in_transit after out_for_delivery does
// not move the shipment back; an exception does; after it only a newer event
// moves it on.
func TestTrackingOutOfOrder(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		mug := f.sku(f.A, 10)
		p := f.order(mug, 1)
		add, err := f.svc.AddShipment(ctx, f.A, shipping.NewShipment{Carrier: "ups", TrackingNumber: ups1,
			Lines: []shipping.NewLine{{POLineID: p.poLines[0], Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		status := func() shipping.Status {
			sh, err := f.svc.Get(ctx, f.A, add.Shipment.ID)
			if err != nil {
				t.Fatal(err)
			}
			return sh.Status
		}
		steps := []struct {
			e       shipping.TrackingEvent
			outcome shipping.Outcome
			want    shipping.Status
		}{
			{ev("a", ups1, shipping.StatusOutForDelivery, 10), shipping.OutcomeApplied, shipping.StatusOutForDelivery},
			{ev("b", ups1, shipping.StatusInTransit, 5), shipping.OutcomeRecorded, shipping.StatusOutForDelivery},
			{ev("c", ups1, shipping.StatusException, 8), shipping.OutcomeApplied, shipping.StatusException},
			{ev("d", ups1, shipping.StatusInTransit, 9), shipping.OutcomeRecorded, shipping.StatusException},
			{ev("e", ups1, shipping.StatusOutForDelivery, 12), shipping.OutcomeApplied, shipping.StatusOutForDelivery},
			{ev("f", ups1, shipping.StatusDelivered, 13), shipping.OutcomeApplied, shipping.StatusDelivered},
			{ev("g", ups1, shipping.StatusException, 11), shipping.OutcomeRecorded, shipping.StatusDelivered},
		}
		for _, s := range steps {
			res, err := f.svc.RecordEvents(ctx, "aftership", []shipping.TrackingEvent{s.e})
			if err != nil {
				t.Fatal(err)
			}
			if res[0].Outcome != s.outcome || status() != s.want {
				t.Errorf("event %s %s: %s and shipment %s, want %s and %s", s.e.ID, s.e.Status, res[0].Outcome, status(), s.outcome, s.want)
			}
		}
		if o := f.get(p.number); o.State != orders.Delivered {
			t.Errorf("order %s, want delivered", o.State)
		}
		// The same event id from another source is another event.
		res, _ := f.svc.RecordEvents(ctx, "other", []shipping.TrackingEvent{ev("a", ups1, shipping.StatusOutForDelivery, 10)})
		if res[0].Outcome != shipping.OutcomeRecorded {
			t.Errorf("event a from another source: %s, want recorded", res[0].Outcome)
		}
		sh, _ := f.svc.Get(ctx, 0, add.Shipment.ID)
		if len(sh.Events) != 8 || !sh.LastEventAt.Equal(orderstest.T0.Add(13*time.Hour)) {
			t.Errorf("%d events, last at %v; want 8 and T0+13h", len(sh.Events), sh.LastEventAt)
		}
	})
}

// TestTrackingCSV applies the good rows of a CSV and reports the bad ones by
// line; a dry run keeps nothing.
func TestTrackingCSV(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a, b := f.sku(f.A, 10), f.sku(f.B, 10)
		p := f.order(a, 3, b, 1)
		var supA, supB string
		db.R.QueryRow(`SELECT supplier_sku FROM purchase_order_lines WHERE id = $1`, p.poLines[0]).Scan(&supA)
		db.R.QueryRow(`SELECT supplier_sku FROM purchase_order_lines WHERE id = $1`, p.poLines[1]).Scan(&supB)
		csv := "order_number,supplier_sku,quantity,carrier,tracking_number,shipped_at\n" +
			itoa(p.number) + "," + supA + ",2,ups," + ups1 + ",2026-03-01\n" + // line 2: ok
			itoa(p.number) + "," + supA + ",1,ups,12345,\n" + // line 3: bad UPS number
			itoa(p.number) + "," + supB + ",1,ups," + ups2 + ",\n" + // line 4: B's line
			itoa(p.number) + "," + supA + ",x,ups," + ups2 + ",\n" + // line 5: bad quantity
			itoa(p.number) + "," + supA + ",1,Speedy," + "AB1" + ",\n" // line 6: ok, warning
		res, err := f.svc.ImportCSV(ctx, f.A, strings.NewReader(csv), true)
		if err != nil {
			t.Fatal(err)
		}
		lines := func(es []shipping.CSVRowError) []int {
			var out []int
			for _, e := range es {
				out = append(out, e.Line)
			}
			return out
		}
		if res.Rows != 5 || res.Applied != 2 || !equal(lines(res.Errors), []int{3, 4, 5}) || !equal(lines(res.Warnings), []int{6}) {
			t.Errorf("dry run = %+v", res)
		}
		if !strings.Contains(res.Errors[0].Message, "UPS") {
			t.Errorf("line 3 error %q does not name UPS", res.Errors[0].Message)
		}
		if o := f.get(p.number); o.Lines[0].Shipped != 0 {
			t.Fatalf("dry run shipped %d units", o.Lines[0].Shipped)
		}
		res, err = f.svc.ImportCSV(ctx, f.A, strings.NewReader(csv), false)
		if err != nil {
			t.Fatal(err)
		}
		if res.Applied != 2 || len(res.Shipments) != 2 || len(res.Errors) != 3 {
			t.Errorf("import = %+v", res)
		}
		o := f.get(p.number)
		if o.Lines[0].Shipped != 3 || o.Lines[0].State != orders.LineShipped || o.Lines[1].Shipped != 0 {
			t.Errorf("after import: line 1 shipped %d (%s), line 2 shipped %d", o.Lines[0].Shipped, o.Lines[0].State, o.Lines[1].Shipped)
		}
		sh, _ := f.svc.Get(ctx, f.A, res.Shipments[0])
		if !sh.ShippedAt.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("shipped_at from the CSV = %v", sh.ShippedAt)
		}
		if _, err := f.svc.ImportCSV(ctx, f.A, strings.NewReader("sku,qty\n"), false); err == nil {
			t.Errorf("a CSV with unknown columns was accepted")
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func equal(a, b []int) bool { return slices.Equal(a, b) }
