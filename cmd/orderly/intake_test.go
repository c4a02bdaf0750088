package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/bench"
	"github.com/orderly-oms/orderly/internal/store"
)

// Helpers shared by the crash test and the two-instance concurrency test:
// a seeded store, an API token made by the CLI, and order POSTs.

// seedStore migrates the empty database dsn and seeds skus SKUs (prefix
// "T-") whose first offer reports stock units (see bench.Seed for the
// layout: buffers, second offers).
func seedStore(t *testing.T, dsn string, skus, stock int) *bench.Catalog {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	cat, err := bench.Seed(ctx, db, bench.SeedOptions{SKUs: skus, Stock: stock, Prefix: "T-"})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return cat
}

// cliToken creates an operations API token with "orderly token create".
func cliToken(t *testing.T, bin, dsn string) string {
	t.Helper()
	cmd := exec.Command(bin, "token", "create", "--role", "operations", "--name", "test-load", "--db", dsn, "--log-format", "json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("orderly token create: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// sentLine is one line of an order the test POSTed.
type sentLine struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// orderBody is the JSON of POST /api/v1/orders for the given lines.
func orderBody(externalID, email string, lines []sentLine) []byte {
	b, err := json.Marshal(map[string]any{
		"channel": "api", "external_id": externalID, "currency": "EUR",
		"customer": map[string]any{"email": email, "name": "Giulia Rossi"},
		"shipping_address": map[string]any{"name": "Giulia Rossi", "line1": "Via Roma 10", "city": "Milano",
			"postal_code": "20121", "country": "IT"},
		"lines":   lines,
		"payment": map[string]any{"status": "paid", "risk": "low"},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// placed is the part of an order answer the tests read.
type placed struct {
	Number     int64        `json:"number"`
	ExternalID string       `json:"external_id"`
	State      string       `json:"state"`
	Lines      []placedLine `json:"lines"`
}

type placedLine struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	Reserved int    `json:"reserved"`
}

// postOrder POSTs an order and returns the status and body; err is a
// transport error (no answer).
func postOrder(ctx context.Context, client *http.Client, base, token string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/orders", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, err
	}
	return res.StatusCode, b, nil
}

// getOrder reads an order through the API.
func getOrder(t *testing.T, client *http.Client, base, token string, number int64) (int, placed) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/orders/%d", base, number), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET order %d: %v", number, err)
	}
	defer res.Body.Close()
	var o placed
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &o); err != nil {
			t.Fatalf("GET order %d: %v\n%s", number, err, b)
		}
	}
	return res.StatusCode, o
}

// stockInvariants checks, with SQL on db, that nothing is half-written:
// every order has lines; for every offer, reserved equals the sum of its
// reservation rows; for every line, qty_reserved equals the sum of the
// reservations made for it (by ref); no reservation is left without its
// line — together: each offer's reserved is exactly what the lines drawing
// on it hold — and the totals agree; and the maintained ATS of every SKU
// matches its positions.
func stockInvariants(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	checks := []struct {
		what, q string
	}{
		{"orders without lines", `SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id)`},
		{"offers whose reserved differs from their reservations", `SELECT COUNT(*) FROM stock_positions sp
			WHERE sp.reserved <> COALESCE((SELECT SUM(r.quantity) FROM stock_reservations r WHERE r.offer_id = sp.offer_id), 0)`},
		{"lines whose qty_reserved differs from their reservations", `SELECT COUNT(*) FROM order_lines l
			WHERE l.qty_reserved <> COALESCE((SELECT SUM(r.quantity) FROM stock_reservations r
				WHERE r.ref = 'order:' || l.order_id || '/line:' || l.position), 0)`},
		{"reservations without their order line", `SELECT COUNT(*) FROM stock_reservations r WHERE NOT EXISTS
			(SELECT 1 FROM order_lines l WHERE r.ref = 'order:' || l.order_id || '/line:' || l.position)`},
		{"units reserved on offers but not on lines (or the reverse)", `SELECT COUNT(*) FROM (SELECT
			(SELECT COALESCE(SUM(reserved), 0) FROM stock_positions) AS offers,
			(SELECT COALESCE(SUM(qty_reserved), 0) FROM order_lines) AS lines) x WHERE x.offers <> x.lines`},
		{"positions reserving more than reported minus buffer", `SELECT COUNT(*) FROM stock_positions WHERE reserved > reported - buffer`},
	}
	for _, c := range checks {
		var n int
		if err := db.R.QueryRowContext(ctx, c.q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if n != 0 {
			t.Errorf("%d %s", n, c.what)
		}
	}
	if _, err := bench.LoadCatalog(ctx, db, "T-"); err != nil {
		t.Error(err)
	}
}

// waitDone waits for a killed server process to be reaped.
func waitDone(t *testing.T, p *proc) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("killed server did not exit")
	}
}
