package web

import (
	"context"
	"html"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/orderlinks"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/shipping"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// The customer's page of an order routed to a supplier, promised a window
// and shipped: the window, the parcel with its tracking link and the
// shipment in the history — and nothing of the supplier, the purchase order
// or the routing.
func TestCustomerPageTrackingAndWindow(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		fx := orderstest.New(t, db, orders.Options{})
		s, base := newConsoleServerWith(t, Config{DB: db, Now: fx.Clock.Now, Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
		order, _, line := portalSeed(t, s, fx)
		ctx := context.Background()
		if _, err := db.W.ExecContext(ctx, `UPDATE orders SET promised_ship_by = '2026-03-04', promised_earliest = '2026-03-09',
			promised_latest = '2026-03-11', promise_confidence_bp = 9000, promised_at = $1 WHERE id = $2`, orderstest.T0, order); err != nil {
			t.Fatal(err)
		}
		added, err := s.cfg.Shipping.AddShipment(ctx, fx.Supplier, shipping.NewShipment{Carrier: "UPS", TrackingNumber: "1Z999AA10123456784",
			Lines: []shipping.NewLine{{POLineID: line, Quantity: 3}}})
		if err != nil {
			t.Fatal(err)
		}
		links, err := orderlinks.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.Get(base + orderlinks.Path(links.Token(order, orderstest.T0.Add(time.Hour))))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		page := string(b)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%d\n%s", res.StatusCode, page)
		}
		for _, want := range []string{"between 9 Mar 2026 and 11 Mar 2026", "UPS 1Z999AA10123456784", "shipped 2 Mar 2026",
			`href="` + html.EscapeString(added.Shipment.TrackingURL) + `"`, `<li data-event="shipped">`, `id="status">Shipped<`} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		for _, never := range []string{"Fixture Supplier", "PO-", "SUP-", "routed", "system:", "purchase"} {
			if strings.Contains(page, never) {
				t.Errorf("the page shows %q", never)
			}
		}
		if strings.Contains(page, `class="choice"`) {
			t.Errorf("a shipped order offers choices")
		}
	})
}
