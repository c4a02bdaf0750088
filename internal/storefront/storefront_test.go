package storefront_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/storefront"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

func setPrice(t *testing.T, r *rig, variant int64, amount int64) {
	t.Helper()
	p := money.Money{Amount: amount, Currency: "EUR"}
	if _, err := catalog.NewService(r.db, r.fx.Clock.Now).UpdateVariant(context.Background(), variant, catalog.VariantPatch{Price: &p}); err != nil {
		t.Fatal(err)
	}
}

func TestStockAndPriceChangesArriveOnce(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		r := newRig(t, db, storefront.Options{})
		lamp := r.fx.AddSKU("LAMP-1", 5)
		book := r.fx.AddSKU("BOOK-1", 3)
		r.fx.AddSKU("VASE-1", 4) // unchanged: never sent after the first sync

		// Creating a target queues every variant: the storefront starts
		// from Orderly's values.
		tg, err := r.svc.CreateTarget(ctx, storefront.NewTarget{Name: "shop", Kind: storefront.KindWebhook, URL: r.fake.ts.URL + "/hook", Secret: hookSecret})
		if err != nil {
			t.Fatal(err)
		}
		if tg.Pending != 3 || tg.SecretSet != true {
			t.Fatalf("new target: pending %d secret_set %v, want 3 true", tg.Pending, tg.SecretSet)
		}
		r.drain(tg.ID)
		want := []string{"LAMP-1=5@10.00 EUR", "BOOK-1=3@10.00 EUR", "VASE-1=4@10.00 EUR"}
		if d := cmp.Diff(want, r.fake.deliveries()); d != "" {
			t.Fatalf("full sync (-want +got):\n%s", d)
		}
		r.fake.reset()

		// A supplier report, an order, and a price edit: three code paths.
		r.fx.Report(lamp, 8)
		if _, err := r.fx.Orders.Place(ctx, orderstest.Input("ana@example.com", "LAMP-1", 2)); err != nil {
			t.Fatal(err)
		}
		setPrice(t, r, book.Variant, 1250)
		if got := r.outbox(tg.ID); !slices.Equal(got, []string{"BOOK-1", "LAMP-1"}) {
			t.Fatalf("outbox %v, want BOOK-1 and LAMP-1 (coalesced: one row each)", got)
		}
		res := r.drain(tg.ID)
		want = []string{"LAMP-1=6@10.00 EUR", "BOOK-1=3@12.50 EUR"}
		if d := cmp.Diff(want, r.fake.deliveries()); d != "" {
			t.Fatalf("changes (-want +got):\n%s", d)
		}
		if res.Sent != 2 || res.Batches != 1 || len(r.fake.batches) != 1 {
			t.Fatalf("drain %+v with %d deliveries, want 2 variants in 1 batch", res, len(r.fake.batches))
		}
		if it := r.fake.batches[0].Items[0]; it.ChangedAt.IsZero() {
			t.Errorf("changed_at is zero: %+v", it)
		}
		// Nothing left: draining again sends nothing.
		r.fake.reset()
		if res := r.drain(tg.ID); res.Sent != 0 || r.fake.requestCount() != 0 {
			t.Fatalf("second drain sent %d in %d requests, want nothing", res.Sent, r.fake.requestCount())
		}
		if got := r.outbox(tg.ID); len(got) != 0 {
			t.Fatalf("outbox after drain: %v", got)
		}
		got, err := r.svc.Target(ctx, tg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SentVariants != 5 || got.Pending != 0 || got.LastSentAt == nil || got.LastError != "" {
			t.Fatalf("target status %+v, want 5 sent, none pending", got)
		}
	})
}

func TestCaptureFromEveryPath(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		r := newRig(t, db, storefront.Options{})
		lamp := r.fx.AddSKU("LAMP-1", 10)
		tg := r.webhook(storefront.NewTarget{})

		step := func(what string, change func(), want string) {
			t.Helper()
			change()
			r.fake.reset()
			r.drain(tg.ID)
			if d := cmp.Diff([]string{want}, r.fake.deliveries()); d != "" {
				t.Errorf("%s (-want +got):\n%s", what, d)
			}
		}
		step("a manual adjustment", func() {
			two := 2
			if _, err := r.fx.Inventory.Adjust(ctx, inventory.AdjustInput{OfferID: lamp.Offer, Mode: "add", Delta: &two, Reason: "found a box"}, "test"); err != nil {
				t.Fatal(err)
			}
		}, "LAMP-1=12@10.00 EUR")
		step("a safety buffer", func() {
			if err := r.fx.Inventory.SetSKUBuffer(ctx, "LAMP-1", inventory.Buffer{Units: 3}); err != nil {
				t.Fatal(err)
			}
		}, "LAMP-1=9@10.00 EUR")
		sup := suppliers.NewService(db, r.fx.Clock.Now)
		paused := string(suppliers.StatusPaused)
		step("the supplier paused", func() {
			if _, err := sup.UpdateSupplier(ctx, r.fx.Supplier, suppliers.SupplierPatch{Status: &paused}); err != nil {
				t.Fatal(err)
			}
		}, "LAMP-1=0@10.00 EUR")
		active := string(suppliers.StatusActive)
		step("the supplier back", func() {
			if _, err := sup.UpdateSupplier(ctx, r.fx.Supplier, suppliers.SupplierPatch{Status: &active}); err != nil {
				t.Fatal(err)
			}
		}, "LAMP-1=9@10.00 EUR")
		archived := string(catalog.StatusArchived)
		step("the variant archived (not for sale: 0)", func() {
			if _, err := catalog.NewService(db, r.fx.Clock.Now).UpdateVariant(ctx, lamp.Variant, catalog.VariantPatch{Status: &archived}); err != nil {
				t.Fatal(err)
			}
		}, "LAMP-1=0@10.00 EUR")
		// A write that changes neither ATS nor price is not captured.
		title := "New title"
		if _, err := catalog.NewService(db, r.fx.Clock.Now).UpdateVariant(ctx, lamp.Variant, catalog.VariantPatch{Title: &title}); err != nil {
			t.Fatal(err)
		}
		if got := r.outbox(tg.ID); len(got) != 0 {
			t.Errorf("a title edit queued %v", got)
		}
	})
}

func TestRolledBackChangeSendsNothing(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		r := newRig(t, db, storefront.Options{})
		lamp := r.fx.AddSKU("LAMP-1", 10)
		tg := r.webhook(storefront.NewTarget{})

		errRollback := errors.New("business rule failed")
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := r.fx.Inventory.ReportTx(ctx, tx, lamp.Offer, 1, time.Time{}, "test"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE variants SET price_amount = 999 WHERE id = $1`, lamp.Variant); err != nil {
				return err
			}
			// Inside the transaction the change is captured...
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM storefront_outbox WHERE target_id = $1`, tg.ID).Scan(&n); err != nil || n != 1 {
				t.Errorf("outbox inside the transaction: %d rows (%v), want 1", n, err)
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("InTx = %v", err)
		}
		// ...and rolled back with it.
		if got := r.outbox(tg.ID); len(got) != 0 {
			t.Fatalf("outbox after rollback: %v", got)
		}
		r.drain(tg.ID)
		if n := r.fake.requestCount(); n != 0 {
			t.Fatalf("%d requests after a rolled-back change, want none", n)
		}
	})
}

func TestBatchingAndRateLimit(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		r := newRig(t, db, storefront.Options{})
		var skus []orderstest.SKU
		for i := range 120 {
			skus = append(skus, r.fx.AddSKU(fmt.Sprintf("SKU-%03d", i), 1))
		}
		tg := r.webhook(storefront.NewTarget{RatePerSecond: 2})
		for i, s := range skus {
			r.fx.Report(s, 1+i%7+1)
			r.fx.Report(s, 2+i%7) // changed twice: sent once, with the last value
		}
		// A minute later: the bucket, spent by the full sync, is full again.
		r.fx.Clock.Set(r.fx.Clock.Now().Add(time.Minute))
		res := r.drain(tg.ID)
		sizes := []int{}
		for _, b := range r.fake.batches {
			sizes = append(sizes, len(b.Items))
		}
		if !slices.Equal(sizes, []int{50, 50, 20}) || res.Sent != 120 || res.Batches != 3 {
			t.Fatalf("batches of %v, result %+v; want 50, 50, 20", sizes, res)
		}
		seen := map[string]int{}
		for _, b := range r.fake.batches {
			for _, it := range b.Items {
				seen[it.SKU]++
				var i int
				fmt.Sscanf(it.SKU, "SKU-%03d", &i)
				if it.Available != 2+i%7 {
					t.Errorf("%s available %d, want the last value %d", it.SKU, it.Available, 2+i%7)
				}
			}
		}
		for _, s := range skus {
			if seen[s.SKU] != 1 {
				t.Errorf("%s sent %d times, want once", s.SKU, seen[s.SKU])
			}
		}
		// 2 requests/s with a bucket of 2: the third request waited 0.5 s.
		// (The rig's clock moves only when the sender sleeps.)
		if d := cmp.Diff([]time.Duration{500 * time.Millisecond}, r.slept()); d != "" {
			t.Errorf("rate-limit waits (-want +got):\n%s", d)
		}
	})
}

func TestRetryAfterThenSuccess(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		r := newRig(t, db, storefront.Options{})
		lamp := r.fx.AddSKU("LAMP-1", 5)
		tg := r.webhook(storefront.NewTarget{RatePerSecond: 100})
		r.fx.Report(lamp, 7)
		r.fake.answer(http.StatusTooManyRequests, map[string]string{"Retry-After": "7"}, `{"error":"slow down"}`)
		r.drain(tg.ID)
		if d := cmp.Diff([]string{"LAMP-1=7@10.00 EUR"}, r.fake.deliveries()); d != "" {
			t.Fatalf("deliveries (-want +got):\n%s", d)
		}
		if n := r.fake.requestCount(); n != 2 {
			t.Fatalf("%d requests, want the throttled one and its retry", n)
		}
		if d := cmp.Diff([]time.Duration{7 * time.Second}, r.slept()); d != "" {
			t.Fatalf("waits (-want +got): the retry must wait for Retry-After\n%s", d)
		}
	})
}

func TestLongRetryAfterSnoozesTheJob(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		r := newRig(t, db, storefront.Options{})
		lamp := r.fx.AddSKU("LAMP-1", 5)
		tg := r.webhook(storefront.NewTarget{})
		r.fx.Report(lamp, 7)
		r.fake.answer(http.StatusTooManyRequests, map[string]string{"Retry-After": "3600"}, "")
		w := &storefront.DrainWorker{Sender: r.sender}
		err := w.Work(context.Background(), drainJob(tg.ID))
		var snooze *river.JobSnoozeError
		if !errors.As(err, &snooze) || snooze.Duration != time.Hour {
			t.Fatalf("Work = %v, want a snooze of 1h", err)
		}
		// The row is given back, unsent, for the snoozed job.
		ps, _ := r.svc.Outbox(context.Background(), tg.ID, 0, 10)
		if len(ps) != 1 || ps[0].InFlight || len(r.fake.deliveries()) != 0 {
			t.Fatalf("outbox %+v, deliveries %v: want LAMP-1 waiting, not in flight", ps, r.fake.deliveries())
		}
		// The snoozed job runs after the wait and delivers.
		r.fx.Clock.Set(r.fx.Clock.Now().Add(time.Hour))
		if err := w.Work(context.Background(), drainJob(tg.ID)); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]string{"LAMP-1=7@10.00 EUR"}, r.fake.deliveries()); d != "" {
			t.Fatalf("deliveries (-want +got):\n%s", d)
		}
	})
}

func drainJob(target int64) *river.Job[storefront.DrainArgs] {
	return &river.Job[storefront.DrainArgs]{JobRow: &rivertype.JobRow{Attempt: 1, Kind: storefront.DrainArgs{}.Kind()},
		Args: storefront.DrainArgs{TargetID: target}}
}

func TestServerErrorThenSuccess(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		r := newRig(t, db, storefront.Options{BaseBackoff: time.Second})
		lamp := r.fx.AddSKU("LAMP-1", 5)
		tg := r.webhook(storefront.NewTarget{RatePerSecond: 100})
		r.fx.Report(lamp, 4)
		r.fake.answer(http.StatusInternalServerError, nil, "oops")
		r.fake.answer(http.StatusBadGateway, nil, "")
		r.drain(tg.ID)
		if d := cmp.Diff([]string{"LAMP-1=4@10.00 EUR"}, r.fake.deliveries()); d != "" {
			t.Fatalf("deliveries (-want +got):\n%s", d)
		}
		// Exponential backoff (jitter is zero in the rig: half of 1 s, then
		// half of 2 s).
		if d := cmp.Diff([]time.Duration{500 * time.Millisecond, time.Second}, r.slept()); d != "" {
			t.Fatalf("backoff (-want +got):\n%s", d)
		}
	})
}

func TestPersistentFailureIsLeftToRiver(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		r := newRig(t, db, storefront.Options{Retries: 3})
		lamp := r.fx.AddSKU("LAMP-1", 5)
		tg := r.webhook(storefront.NewTarget{RatePerSecond: 100})
		r.fx.Report(lamp, 4)
		for range 3 {
			r.fake.answer(http.StatusServiceUnavailable, nil, "down for maintenance")
		}
		w := &storefront.DrainWorker{Sender: r.sender}
		err := w.Work(ctx, drainJob(tg.ID))
		var snooze *river.JobSnoozeError
		if err == nil || errors.As(err, &snooze) {
			t.Fatalf("Work = %v, want an error for River to retry", err)
		}
		if n := r.fake.requestCount(); n != 3 {
			t.Fatalf("%d requests, want 3 tries", n)
		}
		got, err := r.svc.Target(ctx, tg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Pending != 1 || got.LastError == "" || got.LastErrorAt == nil {
			t.Fatalf("target after failure: %+v, want LAMP-1 pending and the error recorded", got)
		}
		if next := w.NextRetry(drainJob(tg.ID)); next.Sub(r.fx.Clock.Now()) != 15*time.Second {
			t.Errorf("first River retry in %s, want 15s (30s, half jittered)", next.Sub(r.fx.Clock.Now()))
		}
		// River's retry, once the storefront is back.
		if err := w.Work(ctx, drainJob(tg.ID)); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]string{"LAMP-1=4@10.00 EUR"}, r.fake.deliveries()); d != "" {
			t.Fatalf("deliveries (-want +got):\n%s", d)
		}
	})
}

func TestChangeDuringSendIsSentAgain(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		r := newRig(t, db, storefront.Options{})
		lamp := r.fx.AddSKU("LAMP-1", 5)
		tg := r.webhook(storefront.NewTarget{})
		r.fx.Report(lamp, 8)
		// While the first delivery is in flight, the stock changes again
		// (and commits before the storefront answers).
		var once sync.Once
		r.fake.onRequest = func(int) { once.Do(func() { r.fx.Report(lamp, 3) }) }
		res := r.drain(tg.ID)
		if d := cmp.Diff([]string{"LAMP-1=8@10.00 EUR", "LAMP-1=3@10.00 EUR"}, r.fake.deliveries()); d != "" {
			t.Fatalf("deliveries (-want +got): the change made in flight was lost\n%s", d)
		}
		if res.Batches != 2 {
			t.Errorf("drain %+v, want 2 batches", res)
		}
		if got := r.outbox(tg.ID); len(got) != 0 {
			t.Fatalf("outbox %v, want empty", got)
		}
	})
}

func TestSignatureVerifies(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		r := newRig(t, db, storefront.Options{})
		lamp := r.fx.AddSKU("LAMP-1", 5)
		tg := r.webhook(storefront.NewTarget{})
		r.fx.Report(lamp, 6)
		r.drain(tg.ID)
		if len(r.fake.rawBodies) != 1 {
			t.Fatalf("%d deliveries", len(r.fake.rawBodies))
		}
		body, header := r.fake.rawBodies[0], r.fake.signatures[0]
		now := r.fx.Clock.Now()
		secret := []byte(hookSecret)
		if err := storefront.Verify(secret, header, body, now, storefront.DefaultTolerance); err != nil {
			t.Fatalf("Verify(%q) = %v", header, err)
		}
		if want := storefront.Sign(secret, now, body); header != want {
			t.Errorf("header %q, want %q", header, want)
		}
		tampered := append([]byte(nil), body...)
		tampered[len(tampered)-3] ^= 1
		for _, c := range []struct {
			name   string
			secret []byte
			header string
			body   []byte
			now    time.Time
			want   error
		}{
			{"tampered body", secret, header, tampered, now, storefront.ErrBadSignature},
			{"wrong secret", []byte("another secret of some length"), header, body, now, storefront.ErrBadSignature},
			{"replayed later", secret, header, body, now.Add(6 * time.Minute), storefront.ErrStale},
			{"no signature", secret, "", body, now, storefront.ErrNoSignature},
			{"rotated: second v1 matches", secret, "v1=00ff," + header, body, now, nil},
		} {
			if err := storefront.Verify(c.secret, c.header, c.body, c.now, storefront.DefaultTolerance); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
			}
		}
	})
}

// TestConcurrentSendersShareTheOutbox drains one target from two senders
// at once (two instances): claims keep every variant to one sender.
func TestConcurrentSendersShareTheOutbox(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		r := newRig(t, db, storefront.Options{})
		var skus []orderstest.SKU
		for i := range 60 {
			skus = append(skus, r.fx.AddSKU(fmt.Sprintf("SKU-%03d", i), 1))
		}
		tg := r.webhook(storefront.NewTarget{BatchSize: 5, RatePerSecond: 1000})
		for _, s := range skus {
			r.fx.Report(s, 9)
		}
		other := storefront.NewSender(db, storefront.Options{Now: r.fx.Clock.Now, Sleep: func(context.Context, time.Duration) error { return nil }})
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for _, s := range []*storefront.Sender{r.sender, other} {
			wg.Go(func() {
				_, err := s.Drain(context.Background(), tg.ID)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]int{}
		for _, d := range r.fake.deliveries() {
			seen[d]++
		}
		for _, s := range skus {
			if n := seen[s.SKU+"=9@10.00 EUR"]; n != 1 {
				t.Errorf("%s delivered %d times, want once", s.SKU, n)
			}
		}
		if got := r.outbox(tg.ID); len(got) != 0 {
			t.Fatalf("outbox %v, want empty", got)
		}
	})
}

func TestDispatchEnqueuesOneDrainPerTarget(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		q, err := jobs.New(db, jobs.Config{InsertOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		r := newRig(t, db, storefront.Options{})
		svc := storefront.New(db, r.fx.Clock.Now, q)
		lamp := r.fx.AddSKU("LAMP-1", 5)
		a := r.webhook(storefront.NewTarget{Name: "a"})
		b := r.webhook(storefront.NewTarget{Name: "b"})
		off := false
		if _, err := svc.UpdateTarget(ctx, b.ID, storefront.TargetPatch{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		// drains counts the drain jobs in the queue per target.
		drains := func() map[int64]int {
			res, err := q.Client().JobList(ctx, river.NewJobListParams().Kinds(storefront.DrainArgs{}.Kind()).First(100))
			if err != nil {
				t.Fatal(err)
			}
			out := map[int64]int{}
			for _, j := range res.Jobs {
				var args storefront.DrainArgs
				if err := json.Unmarshal(j.EncodedArgs, &args); err != nil {
					t.Fatal(err)
				}
				out[args.TargetID]++
			}
			return out
		}
		w := &storefront.DispatchWorker{Service: svc}
		dispatch := func() {
			t.Helper()
			if err := w.Work(ctx, &river.Job[storefront.DispatchArgs]{JobRow: &rivertype.JobRow{}}); err != nil {
				t.Fatal(err)
			}
		}
		dispatch()
		if got := drains(); len(got) != 0 {
			t.Fatalf("drains with nothing to send: %v", got)
		}
		r.fx.Report(lamp, 9)
		dispatch()
		dispatch() // unique per target while waiting: still one
		if d := cmp.Diff(map[int64]int{a.ID: 1}, drains()); d != "" {
			t.Fatalf("drain jobs (-want +got): one for the enabled target, none for the disabled one\n%s", d)
		}
		// The disabled target kept collecting: enabling it sends what changed.
		if got := r.outbox(b.ID); !slices.Equal(got, []string{"LAMP-1"}) {
			t.Fatalf("disabled target's outbox %v, want LAMP-1", got)
		}
	})
}

// TestThroughRiver runs the real queue: the periodic dispatcher finds the
// change and a drain job publishes it, on both drivers.
func TestThroughRiver(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		r := newRig(t, db, storefront.Options{})
		lamp := r.fx.AddSKU("LAMP-1", 5)
		workers := river.NewWorkers()
		dispatch := &storefront.DispatchWorker{}
		river.AddWorker(workers, dispatch)
		river.AddWorker(workers, &storefront.DrainWorker{Sender: storefront.NewSender(db, storefront.Options{Logger: slogDiscard()})})
		q, err := jobs.New(db, jobs.Config{Logger: slogDiscard(), PollInterval: 50 * time.Millisecond, Workers: workers,
			PeriodicJobs: []*river.PeriodicJob{storefront.DispatchJob(200 * time.Millisecond)}})
		if err != nil {
			t.Fatal(err)
		}
		dispatch.Service = storefront.New(db, r.fx.Clock.Now, q)
		if _, err := dispatch.Service.CreateTarget(ctx, storefront.NewTarget{Name: "hook", Kind: storefront.KindWebhook,
			URL: r.fake.ts.URL + "/hook", Secret: hookSecret, RatePerSecond: 100}); err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := q.Stop(sctx); err != nil {
				t.Errorf("stop queue: %v", err)
			}
		})
		waitFor := func(want string) {
			t.Helper()
			deadline := time.Now().Add(60 * time.Second)
			for !slices.Contains(r.fake.deliveries(), want) {
				if time.Now().After(deadline) {
					t.Fatalf("%s not delivered in time; got %v", want, r.fake.deliveries())
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		waitFor("LAMP-1=5@10.00 EUR") // the full sync kicked by creating the target
		r.fx.Report(lamp, 2)          // found by the periodic dispatcher
		waitFor("LAMP-1=2@10.00 EUR")
	})
}
