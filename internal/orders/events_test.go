package orders_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestEventsReachSubscribersThroughRiver: the events Place writes as plain
// job rows are worked by River's EventWorker like any job: each subscriber
// gets each event once, with the order, its lines and the timeline entry; a
// failing handler is retried until it succeeds, and the job is completed.
func TestEventsReachSubscribersThroughRiver(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		f.AddSKU("MUG-1", 5)
		tee := f.AddSKU("TEE-1", 0)
		f.Policy(tee, inventory.PolicyInput{BackorderLimit: 5})

		var mu sync.Mutex
		got := map[orders.Event][]orders.EventArgs{}
		failedOnce := false
		var subs orders.Subscribers
		for _, e := range []orders.Event{orders.EventPlaced, orders.EventBackordered} {
			subs.Subscribe(e, func(_ context.Context, a orders.EventArgs) error {
				mu.Lock()
				defer mu.Unlock()
				if a.Event == orders.EventBackordered && !failedOnce {
					failedOnce = true
					return errors.New("the mail server is down")
				}
				got[a.Event] = append(got[a.Event], a)
				return nil
			})
		}
		workers := river.NewWorkers()
		river.AddWorker(workers, &orders.EventWorker{Subscribers: &subs})
		q, err := jobs.New(db, jobs.Config{Workers: workers, PollInterval: 50 * time.Millisecond,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := q.Start(rctx); err != nil {
			t.Fatal(err)
		}
		defer q.Stop(context.Background())

		o := place(t, f, orderstest.Input("a@example.com", "MUG-1", 1, "TEE-1", 2))
		if want := []orders.Event{orders.EventPlaced, orders.EventBackordered}; !slices.Equal(events(t, db, o.Number), want) {
			t.Fatalf("events enqueued = %v, want %v", events(t, db, o.Number), want)
		}
		var lineIDs []int64
		for _, l := range o.Lines {
			lineIDs = append(lineIDs, l.ID)
		}

		// River retries a failed job after a backoff of a second or more.
		deadline := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			n := len(got[orders.EventPlaced]) + len(got[orders.EventBackordered])
			mu.Unlock()
			if n == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("events delivered: %v", got)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// Let a duplicate delivery, if there were one, arrive.
		time.Sleep(300 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		placed, back := got[orders.EventPlaced], got[orders.EventBackordered]
		if len(placed) != 1 || len(back) != 1 {
			t.Fatalf("placed delivered %d times, backordered %d times; want once each", len(placed), len(back))
		}
		if p := placed[0]; p.Order != o.Number || !slices.Equal(p.Lines, lineIDs) || p.Entry == 0 {
			t.Errorf("placed event = %+v, want order %d, lines %v and its timeline entry", p, o.Number, lineIDs)
		}
		if b := back[0]; b.Order != o.Number || b.Entry != placed[0].Entry {
			t.Errorf("backordered event = %+v, want order %d and entry %d", b, o.Number, placed[0].Entry)
		}
		var open int
		if err := db.R.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = 'order_event' AND state <> 'completed'`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open != 0 {
			t.Errorf("%d order event jobs not completed", open)
		}
	})
}
