package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/webhooks"
)

// TestThroughRiverTwoInstances: two instances (each its own River client,
// event worker, delivery worker and webhook service) work the same queue.
// Orders' events reach the subscription through River; the receiver fails
// each event's first request with a 500 and takes the second. Every event
// arrives exactly twice (attempts 1 and 2), signed, and every delivery ends
// delivered after two attempts: no instance sent one the other had.
func TestThroughRiverTwoInstances(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, e)
			f := orderstest.New(t, db, orders.Options{})
			f.AddSKU("TEE-1", 1000)

			var mu sync.Mutex
			var secret string
			seen := map[string][]string{} // event id -> attempt headers
			var bad []string
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				defer mu.Unlock()
				if err := webhooks.Verify(secret, r.Header.Get(webhooks.SignatureHeader), body, time.Now(), webhooks.DefaultTolerance); err != nil {
					bad = append(bad, err.Error())
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				var p webhooks.Payload
				_ = json.Unmarshal(body, &p)
				seen[p.ID] = append(seen[p.ID], r.Header.Get(webhooks.AttemptHeader))
				if len(seen[p.ID]) == 1 {
					w.WriteHeader(http.StatusInternalServerError)
					return
				}
				w.WriteHeader(http.StatusOK)
			}))
			t.Cleanup(rcv.Close)

			rctx, cancel := context.WithCancel(ctx)
			defer cancel()
			var first *webhooks.Service
			for i := range 2 {
				var subs orders.Subscribers
				workers := river.NewWorkers()
				river.AddWorker(workers, &orders.EventWorker{Subscribers: &subs})
				deliver := &webhooks.DeliverWorker{}
				river.AddWorker(workers, deliver)
				q, err := jobs.New(db, jobs.Config{Workers: workers, PollInterval: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
				if err != nil {
					t.Fatal(err)
				}
				svc := webhooks.New(db, f.Orders, q, time.Now, webhooks.Options{AllowPrivate: true, Backoff: 10 * time.Millisecond,
					Logger: slog.New(slog.DiscardHandler)})
				deliver.Webhooks = svc
				for _, ev := range webhooks.Events {
					subs.Subscribe(ev, svc.OnEvent)
				}
				if i == 0 {
					first = svc
				}
				if err := q.Start(rctx); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = q.Stop(context.Background()) })
			}
			sub, err := first.Create(ctx, webhooks.SubscriptionInput{URL: rcv.URL, Events: []string{"order.placed"}})
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			secret = sub.Secret
			mu.Unlock()

			const n = 12
			for range n {
				if _, err := f.Orders.Place(ctx, orderstest.Input("a@example.com", "TEE-1", 1)); err != nil {
					t.Fatal(err)
				}
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				ds, err := first.Deliveries(ctx, sub.ID, webhooks.DeliveryFilter{State: webhooks.StateDelivered})
				if err != nil {
					t.Fatal(err)
				}
				if len(ds) == n {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d deliveries delivered in time", len(ds), n)
				}
				time.Sleep(50 * time.Millisecond)
			}
			ds, err := first.Deliveries(ctx, sub.ID, webhooks.DeliveryFilter{})
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(bad) > 0 {
				t.Fatalf("bad signatures: %v", bad)
			}
			if len(ds) != n || len(seen) != n {
				t.Fatalf("%d deliveries, %d events received; want %d each", len(ds), len(seen), n)
			}
			for _, d := range ds {
				if d.State != webhooks.StateDelivered || d.Attempts != 2 {
					t.Errorf("delivery %d: %s after %d attempts, want delivered after 2", d.ID, d.State, d.Attempts)
				}
				if got := seen[d.EventID]; len(got) != 2 || got[0] != "1" || got[1] != "2" {
					t.Errorf("event %s received with attempts %v, want [1 2]", d.EventID, got)
				}
			}
		})
	}
}

// Attempts of one delivery started at once by several workers (instances)
// send it once: one claims the row's lease, the others wait for it.
func TestConcurrentAttemptsSendOnce(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			v := newEnv(t, e, webhooks.Options{})
			release := make(chan struct{})
			var mu sync.Mutex
			requests := 0
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				requests++
				mu.Unlock()
				<-release
			}))
			t.Cleanup(rcv.Close)
			sub, err := v.svc.Create(ctx, webhooks.SubscriptionInput{URL: rcv.URL, Events: []string{"*"}})
			if err != nil {
				t.Fatal(err)
			}
			_, evs := v.place()
			if err := v.svc.OnEvent(ctx, find(evs, orders.EventPlaced)); err != nil {
				t.Fatal(err)
			}
			id := v.deliveries(sub.ID)[0].ID
			const workers = 6
			type result struct {
				wait time.Duration
				err  error
			}
			results := make(chan result, workers)
			for range workers {
				go func() {
					wait, err := v.svc.Deliver(ctx, id)
					results <- result{wait, err}
				}()
			}
			// All but the one holding the lease come back at once, told to wait.
			timeout := time.After(30 * time.Second)
			for range workers - 1 {
				select {
				case r := <-results:
					if r.err != nil || r.wait <= 0 {
						t.Errorf("a worker without the lease: wait %v, %v; want a wait", r.wait, r.err)
					}
				case <-timeout:
					t.Fatal("more than one worker is sending the delivery")
				}
			}
			close(release)
			if r := <-results; r.err != nil || r.wait != 0 {
				t.Fatalf("the worker with the lease: wait %v, %v", r.wait, r.err)
			}
			mu.Lock()
			defer mu.Unlock()
			if d := v.delivery(sub.ID, id); requests != 1 || d.Attempts != 1 || d.State != webhooks.StateDelivered {
				t.Fatalf("%d requests; delivery %+v; want one attempt, delivered", requests, d)
			}
		})
	}
}
