package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/promise/calendars"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestOrderShowsItsPromise: the promise made at intake is in the order API
// and on the console's order page.
func TestOrderShowsItsPromise(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
		clock := orderstest.NewClock(orderstest.T0)
		prom := calendars.New(db, clock.Now, calendars.Options{})
		fx := orderstest.New(t, db, orders.Options{Promiser: prom})
		fx.AddSKU("MUG-1", 5)
		cs, err := prom.CreateCarrierService(ctx, calendars.CarrierServiceInput{Name: "CTT", PickupDays: []string{"mon-fri"},
			Transit: []calendars.TransitRow{{FromZone: "PT", ToZone: "IT", MinDays: 2, MaxDays: 4}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := prom.SetCalendar(ctx, fx.Supplier, calendars.CalendarInput{ProcessingDays: []string{"mon-fri"}, Cutoff: "14:00",
			HandlingDays: 1, CarrierServiceIDs: []int64{cs.ID}}); err != nil {
			t.Fatal(err)
		}
		s, err := New(Config{DB: db, Logger: slog.New(slog.DiscardHandler), Now: fx.Clock.Now, Inventory: fx.Inventory,
			Customers: fx.Customers, Orders: fx.Orders, Promise: prom})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s.Handler())
		t.Cleanup(ts.Close)
		placed, err := fx.Orders.Place(ctx, orderstest.Input("ana@example.com", "MUG-1", 1))
		if err != nil {
			t.Fatal(err)
		}
		n := placed.Order.Number

		secret, _, err := s.cfg.Auth.CreateToken(ctx, auth.NewToken{Name: "support", Role: auth.Support})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/orders/%d", ts.URL, n), nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var o struct {
			Promise *orders.Promised `json:"promise"`
		}
		if err := json.Unmarshal(body, &o); err != nil || res.StatusCode != 200 || o.Promise == nil ||
			o.Promise.ShipBy != "2026-03-03" || o.Promise.Latest != "2026-03-09" {
			t.Fatalf("GET order: %d %s", res.StatusCode, body)
		}

		c := newConsoleClient(t, ts.URL)
		c.login(consoleUser(t, s, auth.Support, "support@example.com"))
		r := c.get(fmt.Sprintf("/console/orders/%d", n))
		wantStatus(t, r, 200)
		wantBody(t, r, `id="order-promise"`, "ship by <strong>2026-03-03</strong>", "arrives 2026-03-05 to <strong>2026-03-09</strong>", "90% confidence")
	})
}
