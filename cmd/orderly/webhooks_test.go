package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/webhooks"
)

// TestOutboundWebhooksWiring opens the app as serve does, runs its job
// queue, and checks that an order placed reaches a subscription to
// order.placed, signed with the subscription's secret: the event
// subscription, the delivery worker and the service are all wired.
func TestOutboundWebhooksWiring(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var secret string
	var got []webhooks.Payload
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhooks.Verify(secret, r.Header.Get(webhooks.SignatureHeader), body, time.Now(), webhooks.DefaultTolerance); err != nil {
			t.Errorf("delivery does not verify: %v", err)
		}
		var p webhooks.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("delivery: %v", err)
		}
		got = append(got, p)
	}))
	t.Cleanup(hook.Close)

	ctx := context.Background()
	a, err := openApp(ctx, settings{DB: filepath.Join(t.TempDir(), "orderly.db"), LogFormat: "text", LogLevel: "error",
		ShortOrders: "refuse", WebhooksAllowPrivate: true}, io.Discard, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.close() })
	if _, err := loadDemo(ctx, a); err != nil {
		t.Fatal(err)
	}
	sub, err := a.webhooks.Create(ctx, webhooks.SubscriptionInput{URL: hook.URL + "/orderly", Events: []string{"order.placed"}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	secret = sub.Secret
	mu.Unlock()
	if err := a.jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		a.jobs.Stop(sctx)
	})

	rows, err := a.db.R.QueryContext(ctx, `SELECT v.id, v.sku, v.price_currency FROM variants v WHERE v.status = 'active' ORDER BY v.id`)
	if err != nil {
		t.Fatal(err)
	}
	type variant struct {
		id            int64
		sku, currency string
	}
	var vs []variant
	for rows.Next() {
		var v variant
		if err := rows.Scan(&v.id, &v.sku, &v.currency); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	rows.Close()
	var number int64
	for _, v := range vs {
		if ats, err := a.inventory.ATS(ctx, a.db.R, v.id); err != nil || ats < 1 {
			continue
		}
		p, err := a.orders.Place(ctx, orders.PlaceInput{Currency: v.currency, Customer: orders.CustomerInput{Email: "wiring@example.com", Name: "Giulia Rossi"},
			ShippingAddress: customers.Address{Name: "Giulia Rossi", Line1: "Via Roma 10", City: "Milano", PostalCode: "20121", Country: "IT"},
			Lines:           []orders.LineInput{{SKU: v.sku, Quantity: 1}}})
		if err != nil {
			t.Fatalf("place 1 x %s: %v", v.sku, err)
		}
		number = p.Order.Number
		break
	}
	if number == 0 {
		t.Fatal("the demo store has no SKU in stock")
	}
	// The demo's own orders may be delivered too (their event jobs were
	// waiting): look for ours.
	deadline := time.Now().Add(90 * time.Second)
	for delivered := false; !delivered; {
		mu.Lock()
		for _, p := range got {
			var data webhooks.EventData
			if err := json.Unmarshal(p.Data, &data); err != nil {
				t.Fatal(err)
			}
			delivered = delivered || (p.Type == "order.placed" && data.Order.Number == number)
		}
		mu.Unlock()
		if !delivered && time.Now().After(deadline) {
			t.Fatalf("order.placed of order %d not delivered in time", number)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ds, err := a.webhooks.Deliveries(ctx, sub.ID, webhooks.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Event != "order.placed" {
			t.Errorf("a delivery of %s to a subscription to order.placed only", d.Event)
		}
	}
}
