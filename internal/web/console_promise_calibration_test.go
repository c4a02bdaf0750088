package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// calibrationFixture delivers three orders promised by 10 March through the
// orders service: two on time (2.5 and 0.25 days to spare), one 2 days late.
func calibrationFixture(t *testing.T, db *store.DB) (*orderstest.Fixture, *Server, string) {
	t.Helper()
	ctx := context.Background()
	fx := orderstest.New(t, db, orders.Options{})
	fx.AddSKU("MUG-1", 10)
	for _, at := range []time.Time{
		time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 10, 18, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 12, 6, 0, 0, 0, time.UTC),
	} {
		fx.Clock.Set(orderstest.T0)
		p, err := fx.Orders.Place(ctx, orderstest.Input("giulia@example.com", "MUG-1", 1))
		if err != nil {
			t.Fatal(err)
		}
		n := p.Order.Number
		if _, err := fx.Orders.SendToSupplier(ctx, n, nil, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.Orders.Ship(ctx, n, nil, ""); err != nil {
			t.Fatal(err)
		}
		fx.Clock.Set(at)
		if _, err := fx.Orders.Deliver(ctx, n, nil, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.ExecContext(ctx, `UPDATE orders SET promised_ship_by = '2026-03-03', promised_earliest = '2026-03-06',
			promised_latest = '2026-03-10', promise_confidence_bp = 9000, promised_at = $1 WHERE id = $2`, orderstest.T0, n); err != nil {
			t.Fatal(err)
		}
	}
	fx.Clock.Set(time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC))
	s, err := New(Config{DB: db, Logger: slog.New(slog.DiscardHandler), Now: fx.Clock.Now,
		Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return fx, s, ts.URL
}

func TestConsolePromiseCalibration(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		_, s, base := calibrationFixture(t, db)
		c := newConsoleClient(t, base)
		c.login(consoleUser(t, s, auth.Support, "support@example.com"))

		r := c.get("/console/promise/calibration")
		wantStatus(t, r, http.StatusOK)
		// Slack 2.5, 0.25 and −1.75 days: median 0.25, p90 2.05.
		wantBody(t, r, "<h1>Promise calibration</h1>", `aria-current="page">Last 90 days</a>`,
			`<dd data-field="orders">3</dd>`, `<dd data-field="on_time_rate">66.7%</dd>`, `<dd data-field="late">1</dd>`,
			`<dd data-field="median_slack">0.25</dd>`, `<dd data-field="p90_slack">2.05</dd>`, `<dd data-field="max_late">2</dd>`,
			`<tr data-key="PT → IT">`, `>Fixture Supplier</a>`)

		// A week is not a period the page offers.
		r = c.get("/console/promise/calibration?days=7")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, "30, 90 or 365")

		// Supplier-portal users cannot see it.
		sup := newConsoleClient(t, base)
		sup.login(consoleUser(t, s, auth.Supplier, "supplier@example.com"))
		r = sup.get("/console/promise/calibration")
		wantStatus(t, r, http.StatusForbidden)
	})
}

func TestPromiseCalibrationAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		fx, _, base := calibrationFixture(t, db)
		ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
		secret, _, err := auth.NewService(db, fx.Clock.Now).CreateToken(ctx, auth.NewToken{Name: "reader", Role: auth.ReadOnly})
		if err != nil {
			t.Fatal(err)
		}
		get := func(path string) (int, []byte) {
			req, _ := http.NewRequest(http.MethodGet, base+APIPrefix+path, nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, b
		}
		status, body := get("/promise/calibration?days=30")
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		var c struct {
			Days    int `json:"days"`
			Overall struct {
				Orders     int     `json:"orders"`
				OnTime     int     `json:"on_time"`
				Late       int     `json:"late"`
				OnTimeRate float64 `json:"on_time_rate"`
				Median     float64 `json:"median_slack_days"`
				P90        float64 `json:"p90_slack_days"`
			} `json:"overall"`
			BySupplier []struct {
				SupplierID int64  `json:"supplier_id"`
				Name       string `json:"name"`
				Orders     int    `json:"orders"`
			} `json:"by_supplier"`
			ByLane []struct {
				Key  string `json:"key"`
				Late int    `json:"late"`
			} `json:"by_lane"`
		}
		if err := json.Unmarshal(body, &c); err != nil {
			t.Fatal(err)
		}
		o := c.Overall
		if c.Days != 30 || o.Orders != 3 || o.OnTime != 2 || o.Late != 1 || o.Median != 0.25 || o.P90 != 2.05 ||
			len(c.BySupplier) != 1 || c.BySupplier[0].SupplierID != fx.Supplier || c.BySupplier[0].Orders != 3 ||
			len(c.ByLane) != 1 || c.ByLane[0].Key != "PT → IT" || c.ByLane[0].Late != 1 {
			t.Errorf("calibration: %s", body)
		}
		if status, body := get("/promise/calibration?days=7"); status != http.StatusUnprocessableEntity {
			t.Errorf("days=7: status %d: %s", status, body)
		}
		// Default 90 days; nothing delivered in a period with no orders is
		// an empty report, not an error.
		fx.Clock.Set(time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC))
		if status, body := get("/promise/calibration"); status != http.StatusOK ||
			!json.Valid(body) || !strings.Contains(string(body), `"days":90`) || !strings.Contains(string(body), `"by_supplier":[]`) {
			t.Errorf("empty period: status %d: %s", status, body)
		}
	})
}
