package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/shipping"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// An allocated order is routed once by "Route now"; its page then shows the
// routing decision with its why, the purchase order line linked to its PO,
// and, once shipped, the parcel with its tracking link and last event. A
// read-only user sees the sections but no forms.
func TestConsoleOrderFulfilment(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := orderstest.New(t, db, orders.Options{})
		fx.AddSKU("MUG-1", 10)
		s, base := newConsoleServerWith(t, Config{DB: db, Now: fx.Clock.Now, Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
		placed, err := fx.Orders.Place(ctx, orderstest.Input("ana@example.com", "MUG-1", 3))
		if err != nil {
			t.Fatal(err)
		}
		number := placed.Order.Number
		path := fmt.Sprintf("/console/orders/%d", number)
		email, pw := consoleUser(t, s, auth.Operations, "ops@example.com")
		c := newConsoleClient(t, base)
		c.login(email, pw)

		page := c.get(path)
		wantStatus(t, page, http.StatusOK)
		wantBody(t, page, `id="route-now"`, `id="no-routing"`, `id="no-po-lines"`, `id="no-parcels"`)

		count := func(table string) int {
			t.Helper()
			var n int
			if err := db.R.QueryRow(`SELECT COUNT(*) FROM `+table+` WHERE order_id = $1`, number).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		res := c.post(path+"/route", nil)
		wantStatus(t, res, http.StatusSeeOther)
		if loc := res.header.Get("Location"); !strings.HasSuffix(loc, "done=routed") {
			t.Fatalf("after Route now: Location %q", loc)
		}
		if d, l := count("routing_decisions"), count("purchase_order_lines"); d != 1 || l != 1 {
			t.Fatalf("after Route now: %d decisions, %d PO lines; want 1 and 1", d, l)
		}
		// Again: nothing left to route, nothing written.
		res = c.post(path+"/route", nil)
		wantStatus(t, res, http.StatusSeeOther)
		if loc := res.header.Get("Location"); !strings.HasSuffix(loc, "done=route-nothing") {
			t.Fatalf("after a second Route now: Location %q", loc)
		}
		if d, l := count("routing_decisions"), count("purchase_order_lines"); d != 1 || l != 1 {
			t.Fatalf("after a second Route now: %d decisions, %d PO lines; want 1 and 1", d, l)
		}

		var po, line int64
		if err := db.R.QueryRow(`SELECT purchase_order_id, id FROM purchase_order_lines WHERE order_id = $1`, number).Scan(&po, &line); err != nil {
			t.Fatal(err)
		}
		pl, err := s.cfg.Purchasing.OrderLines(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		if len(pl) != 1 || pl[0].ID != line || pl[0].PONumber != fmt.Sprintf("PO-%d", po) || pl[0].SupplierName != "Fixture Supplier" ||
			pl[0].Quantity != 3 || pl[0].SKU != "MUG-1" {
			t.Fatalf("OrderLines: %+v", pl)
		}
		if other, err := s.cfg.Purchasing.OrderLines(ctx, number+1000); err != nil || len(other) != 0 {
			t.Fatalf("OrderLines of an unknown order: %v, %v", other, err)
		}
		page = c.get(path + "?done=routed")
		wantStatus(t, page, http.StatusOK)
		wantBody(t, page, "Routed: the lines go", "routed by hand", "lowest landed cost", "line 1", "Fixture Supplier",
			fmt.Sprintf(`href="/console/purchase-orders/%d"`, po), fmt.Sprintf("PO-%d", po), fmt.Sprintf(`data-po-line="%d"`, line))
		wantNotBody(t, page, `id="route-now"`, `id="no-routing"`, `id="no-po-lines"`)

		// The supplier ships; the carrier reports the parcel in transit.
		added, err := s.cfg.Shipping.AddShipment(ctx, fx.Supplier, shipping.NewShipment{Carrier: "UPS", TrackingNumber: "1Z999AA10123456784",
			Lines: []shipping.NewLine{{POLineID: line, Quantity: 3}}})
		if err != nil {
			t.Fatal(err)
		}
		if added.Shipment.TrackingURL == "" {
			t.Fatal("a UPS parcel without a tracking URL")
		}
		if _, err := s.cfg.Shipping.RecordEvents(ctx, "test", []shipping.TrackingEvent{{ID: "ev-1", Carrier: "UPS",
			TrackingNumber: "1Z999AA10123456784", Status: shipping.StatusInTransit, Description: "Arrived at the Milano hub",
			OccurredAt: fx.Clock.Now().Add(-time.Minute)}}); err != nil {
			t.Fatal(err)
		}
		page = c.get(path)
		wantStatus(t, page, http.StatusOK)
		wantBody(t, page, `href="`+strings.ReplaceAll(added.Shipment.TrackingURL, "&", "&amp;")+`"`, "1Z999AA10123456784",
			"line 1 MUG-1 × 3", "Arrived at the Milano hub", `data-status="in_transit"`)
		wantNotBody(t, page, `id="no-parcels"`)

		// Read-only: the sections, no forms.
		email, pw = consoleUser(t, s, auth.ReadOnly, "ro@example.com")
		ro := newConsoleClient(t, base)
		ro.login(email, pw)
		page = ro.get(path)
		wantStatus(t, page, http.StatusOK)
		wantBody(t, page, "routed by hand", fmt.Sprintf("PO-%d", po), "1Z999AA10123456784")
		wantNotBody(t, page, `action="`+path+`/route"`, `action="`+path+`/cancel"`, `action="`+path+`/hold"`)
		wantStatus(t, ro.post(path+"/route", nil), http.StatusForbidden)
	})
}

// Route now on an order with nothing to route shows the flash, not an error;
// the button is not offered for an order on hold.
func TestConsoleOrderRouteNowOnHold(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := orderstest.New(t, db, orders.Options{})
		fx.AddSKU("MUG-1", 10)
		s, base := newConsoleServerWith(t, Config{DB: db, Now: fx.Clock.Now, Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
		placed, err := fx.Orders.Place(ctx, orderstest.Input("ana@example.com", "MUG-1", 1))
		if err != nil {
			t.Fatal(err)
		}
		number := placed.Order.Number
		if _, err := fx.Orders.Hold(auth.WithPrincipal(ctx, auth.System("test")), number, "check the customer"); err != nil {
			t.Fatal(err)
		}
		email, pw := consoleUser(t, s, auth.Operations, "ops@example.com")
		c := newConsoleClient(t, base)
		c.login(email, pw)
		path := fmt.Sprintf("/console/orders/%d", number)
		wantNotBody(t, c.get(path), `id="route-now"`)
		res := c.post(path+"/route", nil)
		wantStatus(t, res, http.StatusSeeOther)
		if loc := res.header.Get("Location"); !strings.HasSuffix(loc, "done=route-nothing") {
			t.Fatalf("Route now on hold: Location %q", loc)
		}
		wantBody(t, c.get(path+"?done=route-nothing"), "Nothing to route")
	})
}
