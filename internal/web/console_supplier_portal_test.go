package web

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// portalSeed places an order of 3 × MUG-1 for the fixture's supplier, puts it
// on a purchase order sent through the console channel, and returns the
// order number, the PO id and its line id.
func portalSeed(t *testing.T, s *Server, fx *orderstest.Fixture) (order, po, line int64) {
	t.Helper()
	ctx := context.Background()
	fx.AddSKU("MUG-1", 10)
	p, err := fx.Orders.Place(ctx, orderstest.Input("ana@example.com", "MUG-1", 3))
	if err != nil {
		t.Fatal(err)
	}
	order = p.Order.Number
	l := p.Order.Lines[0]
	var offer int64
	var supSKU string
	if err := s.cfg.DB.R.QueryRow(`SELECT id, supplier_sku FROM supplier_offers WHERE variant_id = $1`, l.VariantID).Scan(&offer, &supSKU); err != nil {
		t.Fatal(err)
	}
	err = s.cfg.DB.InTx(ctx, func(tx *sql.Tx) error {
		return s.cfg.Purchasing.AddTx(ctx, tx, []routing.Assignment{{OrderID: order, OrderLineID: l.ID, Position: l.Position, SupplierID: fx.Supplier,
			OfferID: offer, VariantID: l.VariantID, SKU: l.SKU, SupplierSKU: supSKU, Title: l.Title, Quantity: 3,
			UnitCost: money.Money{Amount: 500, Currency: "EUR"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.Orders.SendToSupplier(ctx, order, nil, "routed"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.cfg.Purchasing.SendDue(ctx); err != nil || n != 1 {
		t.Fatalf("SendDue: %d, %v", n, err)
	}
	if err := s.cfg.DB.R.QueryRow(`SELECT purchase_order_id, id FROM purchase_order_lines WHERE order_id = $1`, order).Scan(&po, &line); err != nil {
		t.Fatal(err)
	}
	return order, po, line
}

// newConsoleServerWith is newConsoleServer with the services of cfg.
func newConsoleServerWith(t testing.TB, cfg Config) (*Server, string) {
	t.Helper()
	cfg.Logger = slog.New(slog.DiscardHandler)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts.URL
}

// A supplier's user answers a line in part, ships the accepted units with a
// tracking number, and sees its digests; another supplier's user sees none
// of it; staff see the answer and the parcel on the PO and the order.
func TestConsoleSupplierPortal(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		fx := orderstest.New(t, db, orders.Options{})
		s, base := newConsoleServerWith(t, Config{DB: db, Now: fx.Clock.Now, Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
		order, po, line := portalSeed(t, s, fx)
		ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
		const password = "correct horse battery"
		for _, u := range []struct {
			email string
			sup   int64
		}{{"ship@fixture.example", fx.Supplier}, {"ship@other.example", consoleSupplierID(t, s)}} {
			if _, err := s.cfg.Auth.CreateUser(ctx, auth.NewUser{Email: u.email, Name: "Supplier user", Role: auth.Supplier, Password: password,
				SupplierID: u.sup}); err != nil {
				t.Fatal(err)
			}
		}
		c := newConsoleClient(t, base)
		c.login("ship@fixture.example", password)
		poPath := fmt.Sprintf("/console/supplier/purchase-orders/%d", po)

		list := c.get("/console/supplier")
		wantStatus(t, list, http.StatusOK)
		wantBody(t, list, fmt.Sprintf(`href="%s"`, poPath), fmt.Sprintf("PO-%d", po), "Download open lines")
		page := c.get(poPath)
		wantStatus(t, page, http.StatusOK)
		wantBody(t, page, "Giulia Rossi", "Via Roma 10", "SUP-1", `name="accepted"`, "Add a parcel for order "+fmt.Sprint(order))

		// A rejection without a reason is refused, on the page, with nothing recorded.
		bad := c.post(fmt.Sprintf("%s/lines/%d/answer", poPath, line), url.Values{"accepted": {"2"}, "rejected": {"1"}})
		wantStatus(t, bad, http.StatusUnprocessableEntity)
		wantBody(t, bad, "reason")
		// Accept 2, reject 1 with a reason.
		ok := c.post(fmt.Sprintf("%s/lines/%d/answer", poPath, line), url.Values{"accepted": {"2"}, "rejected": {"1"}, "reason": {"one is chipped"}})
		wantStatus(t, ok, http.StatusSeeOther)
		var pending, accepted, rejected int
		if err := db.R.QueryRow(`SELECT qty_pending, qty_accepted, qty_rejected FROM purchase_order_lines WHERE id = $1`, line).Scan(&pending, &accepted, &rejected); err != nil {
			t.Fatal(err)
		}
		if pending != 0 || accepted != 2 || rejected != 1 {
			t.Fatalf("after the answer: pending %d accepted %d rejected %d, want 0 2 1", pending, accepted, rejected)
		}

		// A UPS number with a wrong check digit is refused, naming the carrier.
		shipPath := poPath + "/shipments"
		wrong := c.post(shipPath, url.Values{"carrier": {"UPS"}, "tracking_number": {"1Z999AA10123456785"}, fmt.Sprintf("qty-%d", line): {"2"}})
		wantStatus(t, wrong, http.StatusUnprocessableEntity)
		wantBody(t, wrong, "UPS")
		shipped := c.post(shipPath, url.Values{"carrier": {"UPS"}, "tracking_number": {"1Z 999 AA1 0123456784"}, fmt.Sprintf("qty-%d", line): {"2"}})
		wantStatus(t, shipped, http.StatusSeeOther)
		page = c.get(poPath)
		wantBody(t, page, "1Z999AA10123456784", "Parcels")
		o, err := fx.Orders.Get(context.Background(), order)
		if err != nil {
			t.Fatal(err)
		}
		if o.Lines[0].Shipped != 2 {
			t.Errorf("order line shipped %d, want 2 (state %s)", o.Lines[0].Shipped, o.State)
		}

		// The other supplier's user: not found, and nothing changes.
		other := newConsoleClient(t, base)
		other.login("ship@other.example", password)
		wantStatus(t, other.get(poPath), http.StatusNotFound)
		wantStatus(t, other.post(fmt.Sprintf("%s/lines/%d/answer", poPath, line), url.Values{"accepted": {"1"}}), http.StatusNotFound)
		wantStatus(t, other.post(shipPath, url.Values{"carrier": {"UPS"}, "tracking_number": {"1Z999AA10123456784"}, fmt.Sprintf("qty-%d", line): {"1"}}), http.StatusNotFound)
		l := other.get("/console/supplier")
		wantStatus(t, l, http.StatusOK)
		wantNotBody(t, l, fmt.Sprintf("PO-%d", po))
		wantBody(t, l, "No purchase orders")
		if exp := other.get("/console/supplier/open-lines.csv"); strings.Contains(exp.body, "SUP-1") {
			t.Errorf("the other supplier's export holds the fixture's line:\n%s", exp.body)
		}

		// Staff: the PO page shows the answer; the supplier pages are closed to them.
		email, pw := consoleUser(t, s, auth.Operations, "ops@example.com")
		staff := newConsoleClient(t, base)
		staff.login(email, pw)
		sp := staff.get(fmt.Sprintf("/console/purchase-orders/%d", po))
		wantStatus(t, sp, http.StatusOK)
		wantBody(t, sp, "one is chipped", `data-state="shipped"`)
		wantStatus(t, staff.get("/console/supplier"), http.StatusForbidden)
		wantBody(t, staff.get("/console/purchase-orders?queue=unanswered"), "No purchase orders here")
		// Late to ship: once the at-risk job flags the order not_shipped (its 0 units left open: none here).
		wantBody(t, staff.get("/console/purchase-orders?queue=late"), "No purchase orders here", `id="queue-late" aria-current="page"`)
	})
}
