package webhooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/webhooks"
)

// receiver is a test integrator: it verifies each request's signature and
// timestamp (against the test clock) as docs/webhooks.md tells receivers to,
// records the requests, and answers with the scripted responses in order
// (the last one repeats).
type receiver struct {
	t      *testing.T
	clock  *orderstest.Clock
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	script []answer
	got    []request
}

type answer struct {
	status     int
	retryAfter string
	body       string
}

type request struct {
	header  http.Header
	body    []byte
	payload webhooks.Payload
	sigErr  error
}

func newReceiver(t *testing.T, clock *orderstest.Clock, script ...answer) *receiver {
	r := &receiver{t: t, clock: clock, script: script}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		rq := request{header: req.Header.Clone(), body: body}
		rq.sigErr = webhooks.Verify(r.secret, req.Header.Get(webhooks.SignatureHeader), body, r.clock.Now(), webhooks.DefaultTolerance)
		if rq.sigErr == nil {
			if err := json.Unmarshal(body, &rq.payload); err != nil {
				rq.sigErr = err
			}
		}
		r.got = append(r.got, rq)
		if rq.sigErr != nil {
			http.Error(w, rq.sigErr.Error(), http.StatusUnauthorized)
			return
		}
		a := answer{status: http.StatusOK}
		if len(r.script) > 0 {
			a = r.script[0]
			if len(r.script) > 1 {
				r.script = r.script[1:]
			}
		}
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.got...)
}

func (r *receiver) setScript(a ...answer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.script = a
}

type env struct {
	t     *testing.T
	db    *store.DB
	f     *orderstest.Fixture
	svc   *webhooks.Service
	queue *jobs.Queue
	sku   orderstest.SKU
}

func newEnv(t *testing.T, e store.Engine, opts webhooks.Options) *env {
	t.Helper()
	db := storetest.Open(t, e)
	f := orderstest.New(t, db, orders.Options{})
	q, err := jobs.New(db, jobs.Config{InsertOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	opts.AllowPrivate = true
	if opts.Jitter == nil {
		opts.Jitter = func() float64 { return 0 }
	}
	return &env{t: t, db: db, f: f, queue: q, svc: webhooks.New(db, f.Orders, q, f.Clock.Now, opts), sku: f.AddSKU("TEE-1", 10)}
}

// subscribe creates a subscription to r for events and gives r its secret.
func (v *env) subscribe(r *receiver, events ...string) *webhooks.Subscription {
	v.t.Helper()
	sub, err := v.svc.Create(context.Background(), webhooks.SubscriptionInput{URL: r.srv.URL + "/hooks", Events: events, Description: "ERP"})
	if err != nil {
		v.t.Fatalf("create subscription: %v", err)
	}
	if !strings.HasPrefix(sub.Secret, "whsec_") {
		v.t.Fatalf("secret %q: want whsec_...", sub.Secret)
	}
	r.secret = sub.Secret
	return sub
}

// place places an order and returns its number and the events it emitted,
// read back from River's job table as the event worker would get them.
func (v *env) place() (int64, []orders.EventArgs) {
	v.t.Helper()
	ctx := context.Background()
	p, err := v.f.Orders.Place(ctx, orderstest.Input("giulia@example.com", "TEE-1", 2))
	if err != nil {
		v.t.Fatalf("place: %v", err)
	}
	return p.Order.Number, v.events(p.Order.Number)
}

func (v *env) events(number int64) []orders.EventArgs {
	v.t.Helper()
	col := "args::text"
	if v.db.Engine == store.SQLite {
		col = "json(args)"
	}
	rows, err := v.db.R.QueryContext(context.Background(), `SELECT `+col+` FROM river_job WHERE kind = 'order_event' ORDER BY id`)
	if err != nil {
		v.t.Fatal(err)
	}
	defer rows.Close()
	var out []orders.EventArgs
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			v.t.Fatal(err)
		}
		var e orders.EventArgs
		if err := json.Unmarshal([]byte(s), &e); err != nil {
			v.t.Fatal(err)
		}
		if e.Order == number {
			out = append(out, e)
		}
	}
	return out
}

func (v *env) count(q string, args ...any) int {
	v.t.Helper()
	var n int
	if err := v.db.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		v.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// deliveries returns the subscription's deliveries, newest first.
func (v *env) deliveries(sub int64) []webhooks.Delivery {
	v.t.Helper()
	ds, err := v.svc.Deliveries(context.Background(), sub, webhooks.DeliveryFilter{})
	if err != nil {
		v.t.Fatal(err)
	}
	return ds
}

func (v *env) delivery(sub, id int64) *webhooks.Delivery {
	v.t.Helper()
	d, err := v.svc.Delivery(context.Background(), sub, id)
	if err != nil {
		v.t.Fatal(err)
	}
	return d
}

func find(es []orders.EventArgs, e orders.Event) orders.EventArgs {
	for _, x := range es {
		if x.Event == e {
			return x
		}
	}
	panic(fmt.Sprintf("no %s in %v", e, es))
}

func TestDeliverSignedFilteredOnce(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			v := newEnv(t, e, webhooks.Options{})
			r := newReceiver(t, v.f.Clock)
			placed := v.subscribe(r, "order.placed", "order.placed")
			other := newReceiver(t, v.f.Clock)
			shipped := v.subscribe(other, "order.shipped")
			all := newReceiver(t, v.f.Clock)
			star := v.subscribe(all, "*")
			paused := v.subscribe(newReceiver(t, v.f.Clock), "*")
			if _, err := v.svc.SetActive(ctx, paused.ID, false); err != nil {
				t.Fatal(err)
			}
			if got := placed.Events; len(got) != 1 || got[0] != "order.placed" {
				t.Fatalf("events %v: want the duplicate dropped", got)
			}

			number, evs := v.place()
			ev := find(evs, orders.EventPlaced)
			for range 2 { // the event job run twice (a retry) adds nothing
				if err := v.svc.OnEvent(ctx, ev); err != nil {
					t.Fatal(err)
				}
			}
			if n := len(v.deliveries(placed.ID)); n != 1 {
				t.Fatalf("deliveries to the order.placed subscription = %d, want 1", n)
			}
			if n := len(v.deliveries(star.ID)); n != 1 {
				t.Fatalf("deliveries to the * subscription = %d, want 1", n)
			}
			if n := len(v.deliveries(shipped.ID)) + len(v.deliveries(paused.ID)); n != 0 {
				t.Fatalf("deliveries to the order.shipped and paused subscriptions = %d, want 0", n)
			}
			if n := v.count(`SELECT COUNT(*) FROM river_job WHERE kind = 'webhook_deliver'`); n != 2 {
				t.Fatalf("delivery jobs = %d, want 2 (one per delivery, none for the re-run)", n)
			}

			d := v.deliveries(placed.ID)[0]
			if d.State != webhooks.StatePending || d.Event != "order.placed" || d.Order != number {
				t.Fatalf("delivery %+v: want pending order.placed of order %d", d, number)
			}
			wait, err := v.svc.Deliver(ctx, d.ID)
			if err != nil || wait != 0 {
				t.Fatalf("Deliver = %v, %v; want 0, nil", wait, err)
			}
			reqs := r.requests()
			if len(reqs) != 1 {
				t.Fatalf("receiver got %d requests, want 1", len(reqs))
			}
			rq := reqs[0]
			if rq.sigErr != nil {
				t.Fatalf("signature: %v", rq.sigErr)
			}
			if got := rq.header.Get(webhooks.TimestampHeader); got != strconv.FormatInt(v.f.Clock.Now().Unix(), 10) {
				t.Errorf("timestamp header %q, want the clock's %d", got, v.f.Clock.Now().Unix())
			}
			if got := rq.header.Get(webhooks.IDHeader); got != d.EventID || rq.payload.ID != d.EventID {
				t.Errorf("id header %q, payload id %q; want %q", got, rq.payload.ID, d.EventID)
			}
			if rq.payload.Type != "order.placed" || rq.payload.Version != webhooks.PayloadVersion {
				t.Errorf("payload type %q version %d", rq.payload.Type, rq.payload.Version)
			}
			var data webhooks.EventData
			if err := json.Unmarshal(rq.payload.Data, &data); err != nil {
				t.Fatal(err)
			}
			o := data.Order
			if o.Number != number || len(o.Lines) != 1 || o.Lines[0].SKU != "TEE-1" || o.Lines[0].Quantity != 2 ||
				o.Total.Amount != 2000 || o.Total.Currency != "EUR" {
				t.Errorf("order snapshot %+v: want order %d, 2 x TEE-1, total 20.00 EUR", o, number)
			}
			if strings.Contains(string(rq.body), "giulia@example.com") {
				t.Errorf("body carries the customer's email: %s", rq.body)
			}
			got := v.delivery(placed.ID, d.ID)
			if got.State != webhooks.StateDelivered || got.Attempts != 1 || got.LastStatus != 200 || len(got.Log) != 1 ||
				got.Log[0].Kind != webhooks.KindAuto || got.Log[0].Outcome != "delivered" {
				t.Fatalf("delivery after the attempt %+v", got)
			}
			// Delivered: the job run again sends nothing.
			if wait, err := v.svc.Deliver(ctx, d.ID); err != nil || wait != 0 || len(r.requests()) != 1 {
				t.Fatalf("Deliver of a delivered delivery = %v, %v, %d requests", wait, err, len(r.requests()))
			}
			// The * subscription gets the same body (same event id).
			sd := v.deliveries(star.ID)[0]
			if _, err := v.svc.Deliver(ctx, sd.ID); err != nil {
				t.Fatal(err)
			}
			if a := all.requests(); len(a) != 1 || a[0].sigErr != nil || a[0].payload.ID != d.EventID {
				t.Fatalf("* receiver got %+v", a)
			}
			if len(other.requests()) != 0 {
				t.Fatal("the order.shipped receiver got a request")
			}
		})
	}
}

func TestRetriesThenSuccess(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			v := newEnv(t, e, webhooks.Options{Backoff: time.Minute, MaxBackoff: time.Hour, Jitter: func() float64 { return 0.5 }})
			r := newReceiver(t, v.f.Clock, answer{status: 500, body: strings.Repeat("x", 5000)},
				answer{status: 429, retryAfter: "120"}, answer{status: 204})
			sub := v.subscribe(r, "order.placed")
			_, evs := v.place()
			if err := v.svc.OnEvent(ctx, find(evs, orders.EventPlaced)); err != nil {
				t.Fatal(err)
			}
			id := v.deliveries(sub.ID)[0].ID

			// 500: retried after the first backoff, 1m with half jittered (0.5): 45s.
			wait, err := v.svc.Deliver(ctx, id)
			if err != nil || wait != 45*time.Second {
				t.Fatalf("after a 500: wait %v, %v; want 45s", wait, err)
			}
			d := v.delivery(sub.ID, id)
			if d.State != webhooks.StatePending || d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(v.f.Clock.Now().Add(45*time.Second)) {
				t.Fatalf("after a 500: %+v, want pending until now+45s", d)
			}
			if got := d.Log[0].Response; len(got) > webhooks.ResponseLogBytes+len("…") || !strings.HasSuffix(got, "…") {
				t.Errorf("logged response of %d bytes, want it cut to %d", len(got), webhooks.ResponseLogBytes)
			}
			// Not due yet: the job snoozes again and nothing is sent.
			if wait, err := v.svc.Deliver(ctx, id); err != nil || wait != 45*time.Second || len(r.requests()) != 1 {
				t.Fatalf("before due: wait %v, %v, %d requests", wait, err, len(r.requests()))
			}
			v.f.Clock.Set(v.f.Clock.Now().Add(45 * time.Second))
			// 429 with Retry-After: 120 wins over the backoff (2m jittered).
			if wait, err := v.svc.Deliver(ctx, id); err != nil || wait != 120*time.Second {
				t.Fatalf("after a 429: wait %v, %v; want Retry-After's 120s", wait, err)
			}
			v.f.Clock.Set(v.f.Clock.Now().Add(120 * time.Second))
			if wait, err := v.svc.Deliver(ctx, id); err != nil || wait != 0 {
				t.Fatalf("after a 204: wait %v, %v", wait, err)
			}
			d = v.delivery(sub.ID, id)
			if d.State != webhooks.StateDelivered || d.Attempts != 3 || len(d.Log) != 3 {
				t.Fatalf("delivery %+v: want delivered after 3 attempts", d)
			}
			for i, want := range []struct {
				status  int
				outcome string
			}{{204, "delivered"}, {429, "retry"}, {500, "retry"}} {
				if a := d.Log[i]; a.Status != want.status || a.Outcome != want.outcome || a.Number != 3-i {
					t.Errorf("log[%d] = %+v, want %d %s", i, a, want.status, want.outcome)
				}
			}
			reqs := r.requests()
			for i, rq := range reqs {
				if rq.sigErr != nil || rq.header.Get(webhooks.AttemptHeader) != strconv.Itoa(i+1) || rq.payload.ID != d.EventID {
					t.Errorf("request %d: sig %v, attempt %q, id %q", i, rq.sigErr, rq.header.Get(webhooks.AttemptHeader), rq.payload.ID)
				}
			}
			if string(reqs[0].payload.Data) != string(reqs[2].payload.Data) {
				t.Error("the order data changed between attempts")
			}
		})
	}
}

func TestGiveUp(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			v := newEnv(t, e, webhooks.Options{MaxAttempts: 3, Backoff: time.Second})
			r := newReceiver(t, v.f.Clock, answer{status: 408}, answer{status: 503})
			sub := v.subscribe(r, "*")
			number, evs := v.place()
			if err := v.svc.OnEvent(ctx, find(evs, orders.EventPlaced)); err != nil {
				t.Fatal(err)
			}
			id := v.deliveries(sub.ID)[0].ID
			for i := range 3 {
				wait, err := v.svc.Deliver(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if (i < 2) != (wait > 0) {
					t.Fatalf("attempt %d: wait %v", i+1, wait)
				}
				v.f.Clock.Set(v.f.Clock.Now().Add(time.Hour))
			}
			d := v.delivery(sub.ID, id)
			if d.State != webhooks.StateFailed || d.Attempts != 3 || !strings.Contains(d.LastError, "gave up after 3 attempts") || d.NextAttemptAt != nil {
				t.Fatalf("delivery %+v: want failed after 3 attempts", d)
			}
			if wait, err := v.svc.Deliver(ctx, id); err != nil || wait != 0 || len(r.requests()) != 3 {
				t.Fatalf("a given-up delivery's job: wait %v, %v, %d requests", wait, err, len(r.requests()))
			}

			// A 4xx other than 408 and 429 is not retried.
			r.setScript(answer{status: 422, body: `{"error":"unknown sku"}`})
			if _, err := v.f.Orders.Cancel(ctx, number, orders.CancelInput{Reason: "customer asked"}); err != nil {
				t.Fatal(err)
			}
			if err := v.svc.OnEvent(ctx, find(v.events(number), orders.EventCancelled)); err != nil {
				t.Fatal(err)
			}
			id = v.deliveries(sub.ID)[0].ID
			if wait, err := v.svc.Deliver(ctx, id); err != nil || wait != 0 {
				t.Fatalf("after a 422: wait %v, %v", wait, err)
			}
			d = v.delivery(sub.ID, id)
			if d.Event != "order.cancelled" || d.State != webhooks.StateFailed || d.Attempts != 1 || d.LastStatus != 422 ||
				d.Log[0].Response != `{"error":"unknown sku"}` {
				t.Fatalf("delivery %+v: want failed at once on a 422 with the body logged", d)
			}
		})
	}
}

func TestReplayAndTestEvent(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			v := newEnv(t, e, webhooks.Options{})
			r := newReceiver(t, v.f.Clock, answer{status: 400})
			sub := v.subscribe(r, "order.placed")
			_, evs := v.place()
			if err := v.svc.OnEvent(ctx, find(evs, orders.EventPlaced)); err != nil {
				t.Fatal(err)
			}
			id := v.deliveries(sub.ID)[0].ID
			if _, err := v.svc.Deliver(ctx, id); err != nil {
				t.Fatal(err)
			}
			if d := v.delivery(sub.ID, id); d.State != webhooks.StateFailed {
				t.Fatalf("after a 400: %+v", d)
			}
			// The receiver is fixed; a user replays.
			r.setScript(answer{status: 200})
			v.f.Clock.Set(v.f.Clock.Now().Add(time.Hour))
			uctx := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindStaff, ID: 7, Name: "ops@example.com", Role: auth.Operations})
			a, err := v.svc.Replay(uctx, sub.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			if a.Kind != webhooks.KindReplay || a.Outcome != "delivered" || a.Number != 2 || a.Actor == "" || a.Actor == "system" {
				t.Fatalf("replay attempt %+v", a)
			}
			d := v.delivery(sub.ID, id)
			if d.State != webhooks.StateDelivered || d.Attempts != 2 || d.Log[0].Kind != webhooks.KindReplay || d.Log[1].Kind != webhooks.KindAuto {
				t.Fatalf("after the replay: %+v", d)
			}
			reqs := r.requests()
			if len(reqs) != 2 || reqs[1].sigErr != nil || reqs[1].payload.ID != reqs[0].payload.ID ||
				reqs[1].header.Get(webhooks.TimestampHeader) == reqs[0].header.Get(webhooks.TimestampHeader) {
				t.Fatalf("replayed request: want the same event id, signed anew at the replay's time")
			}
			if _, err := v.svc.Replay(ctx, sub.ID+1000, id); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("replay under another subscription: %v, want not found", err)
			}

			// Send test event.
			td, err := v.svc.SendTest(uctx, sub.ID)
			if err != nil {
				t.Fatal(err)
			}
			if td.Event != webhooks.TestEvent || td.State != webhooks.StateDelivered || len(td.Log) != 1 || td.Log[0].Kind != webhooks.KindTest {
				t.Fatalf("test delivery %+v", td)
			}
			if last := r.requests()[2]; last.sigErr != nil || last.payload.Type != webhooks.TestEvent {
				t.Fatalf("test request: %v %q", last.sigErr, last.payload.Type)
			}
		})
	}
}

func TestVerifyTolerance(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"id":"evt_1"}`)
	h := webhooks.Sign("whsec_k", now, body)
	for _, c := range []struct {
		name   string
		secret string
		header string
		body   []byte
		at     time.Time
		want   error
	}{
		{"valid", "whsec_k", h, body, now.Add(4 * time.Minute), nil},
		{"replayed after the tolerance", "whsec_k", h, body, now.Add(6 * time.Minute), webhooks.ErrStale},
		{"from the future", "whsec_k", h, body, now.Add(-6 * time.Minute), webhooks.ErrStale},
		{"tampered body", "whsec_k", h, []byte(`{"id":"evt_2"}`), now, webhooks.ErrBadSignature},
		{"other secret", "whsec_x", h, body, now, webhooks.ErrBadSignature},
		{"no header", "whsec_k", "", body, now, webhooks.ErrNoSignature},
		{"rotated: second v1 matches", "whsec_k", h + ",v1=00ff", body, now, nil},
	} {
		if err := webhooks.Verify(c.secret, c.header, c.body, c.at, webhooks.DefaultTolerance); !errors.Is(err, c.want) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestValidation(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, e)
			clock := orderstest.NewClock(orderstest.T0)
			strict := webhooks.New(db, nil, nil, clock.Now, webhooks.Options{})
			for _, c := range []struct {
				in    webhooks.SubscriptionInput
				field string
				msg   string
			}{
				{webhooks.SubscriptionInput{URL: "", Events: []string{"*"}}, "url", "is required"},
				{webhooks.SubscriptionInput{URL: "http://erp.example.com/h", Events: []string{"*"}}, "url", "must be https"},
				{webhooks.SubscriptionInput{URL: "https://localhost/h", Events: []string{"*"}}, "url", "localhost is refused"},
				{webhooks.SubscriptionInput{URL: "https://10.1.2.3/h", Events: []string{"*"}}, "url", "private or local address"},
				{webhooks.SubscriptionInput{URL: "https://[::1]:8443/h", Events: []string{"*"}}, "url", "private or local address"},
				{webhooks.SubscriptionInput{URL: "https://[64:ff9b::a9fe:a9fe]/h", Events: []string{"*"}}, "url", "private or local address"},
				{webhooks.SubscriptionInput{URL: "https://[2002:a00:1::1]/h", Events: []string{"*"}}, "url", "private or local address"},
				{webhooks.SubscriptionInput{URL: "https://[::ffff:169.254.169.254]/h", Events: []string{"*"}}, "url", "private or local address"},
				{webhooks.SubscriptionInput{URL: "https://[::a00:1]/h", Events: []string{"*"}}, "url", "private or local address"},
				{webhooks.SubscriptionInput{URL: "https://0.1.2.3/h", Events: []string{"*"}}, "url", "private or local address"},
				{webhooks.SubscriptionInput{URL: "https://198.18.0.1/h", Events: []string{"*"}}, "url", "private or local address"},
				{webhooks.SubscriptionInput{URL: "https://240.0.0.1/h", Events: []string{"*"}}, "url", "private or local address"},
				{webhooks.SubscriptionInput{URL: "https://192.0.0.170/h", Events: []string{"*"}}, "url", "private or local address"},
				{webhooks.SubscriptionInput{URL: "https://100.64.0.1/h", Events: []string{"*"}}, "url", "private or local address"},
				{webhooks.SubscriptionInput{URL: "https://[fd00:ec2::254]/h", Events: []string{"*"}}, "url", "private or local address"},
				{webhooks.SubscriptionInput{URL: "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/h", Events: []string{"*"}}, "url", "private or local address"},
				{webhooks.SubscriptionInput{URL: "ftp://erp.example.com/h", Events: []string{"*"}}, "url", `scheme "ftp"`},
				{webhooks.SubscriptionInput{URL: "erp.example.com/h", Events: []string{"*"}}, "url", "not an absolute URL"},
				{webhooks.SubscriptionInput{URL: "https://u:p@erp.example.com/h", Events: []string{"*"}}, "url", "user or password"},
				{webhooks.SubscriptionInput{URL: "https://erp.example.com/h", Events: nil}, "events", "at least one event type"},
				{webhooks.SubscriptionInput{URL: "https://erp.example.com/h", Events: []string{"order.placed", "order.exploded"}}, "events[1]", `unknown event type "order.exploded"`},
				{webhooks.SubscriptionInput{URL: "https://erp.example.com/h", Events: []string{"*"}, Description: strings.Repeat("d", 501)}, "description", "at most 500"},
			} {
				_, err := strict.Create(ctx, c.in)
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
					t.Errorf("%+v: err %v, want invalid", c.in, err)
					continue
				}
				found := false
				for _, f := range ae.Fields {
					if f.Field == c.field && strings.Contains(f.Message, c.msg) {
						found = true
					}
				}
				if !found {
					t.Errorf("%+v: fields %+v, want %s: %q", c.in, ae.Fields, c.field, c.msg)
				}
			}
			// The description's limit is in characters, as the API schema
			// says (300 "é" are 600 bytes).
			if _, err := strict.Create(ctx, webhooks.SubscriptionInput{URL: "https://erp.example.com/h", Events: []string{"*"},
				Description: strings.Repeat("é", 300)}); err != nil {
				t.Errorf("a 300-character description: %v", err)
			}
			// Public addresses, also behind NAT64 or 6to4, are taken.
			for _, u := range []string{"https://8.8.8.8/h", "https://[2606:4700::1111]/h", "https://[64:ff9b::808:808]/h", "https://[2002:808:808::1]/h"} {
				if _, err := strict.Create(ctx, webhooks.SubscriptionInput{URL: u, Events: []string{"*"}}); err != nil {
					t.Errorf("public URL %s refused: %v", u, err)
				}
			}
			sub, err := strict.Create(ctx, webhooks.SubscriptionInput{URL: " https://erp.example.com/h ", Events: []string{"order.shipped", "*"}})
			if err != nil {
				t.Fatal(err)
			}
			if sub.URL != "https://erp.example.com/h" || len(sub.Events) != 1 || sub.Events[0] != "*" || !sub.Active {
				t.Fatalf("created %+v", sub)
			}
			got, err := strict.Get(ctx, sub.ID)
			if err != nil || got.Secret != "" {
				t.Fatalf("Get shows the secret %q (%v): it is shown once, at creation", got.Secret, err)
			}
			if _, err := strict.Update(ctx, sub.ID+99, webhooks.SubscriptionInput{URL: "https://erp.example.com/h", Events: []string{"*"}}); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("update of a missing subscription: %v", err)
			}
			// Development: http and loopback allowed.
			dev := webhooks.New(db, nil, nil, clock.Now, webhooks.Options{AllowPrivate: true})
			if _, err := dev.Create(ctx, webhooks.SubscriptionInput{URL: "http://127.0.0.1:9000/h", Events: []string{"order.placed"}}); err != nil {
				t.Fatalf("dev http URL: %v", err)
			}
		})
	}
}

// Without AllowPrivate, an address that resolves to a private address is
// refused at dial time: the attempt fails without being retried.
func TestPrivateAddressRefusedAtDial(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			v := newEnv(t, e, webhooks.Options{})
			r := newReceiver(t, v.f.Clock)
			sub := v.subscribe(r, "order.placed")
			strict := webhooks.New(v.db, v.f.Orders, v.queue, v.f.Clock.Now, webhooks.Options{})
			_, evs := v.place()
			if err := strict.OnEvent(ctx, find(evs, orders.EventPlaced)); err != nil {
				t.Fatal(err)
			}
			id := v.deliveries(sub.ID)[0].ID
			if wait, err := strict.Deliver(ctx, id); err != nil || wait != 0 {
				t.Fatalf("Deliver = %v, %v", wait, err)
			}
			d := v.delivery(sub.ID, id)
			if d.State != webhooks.StateFailed || !strings.Contains(d.LastError, "private or local address") || len(r.requests()) != 0 {
				t.Fatalf("delivery %+v, %d requests: want refused before connecting", d, len(r.requests()))
			}
		})
	}
}

// Prune deletes finished deliveries older than the cut with their attempts
// and their events, and keeps pending ones and newer ones.
func TestPrune(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			v := newEnv(t, e, webhooks.Options{})
			r := newReceiver(t, v.f.Clock)
			sub := v.subscribe(r, "*")
			number, evs := v.place()
			if err := v.svc.OnEvent(ctx, find(evs, orders.EventPlaced)); err != nil {
				t.Fatal(err)
			}
			old := v.deliveries(sub.ID)[0].ID
			if _, err := v.svc.Deliver(ctx, old); err != nil {
				t.Fatal(err)
			}
			// Two more events later: one delivered, one still pending.
			v.f.Clock.Set(v.f.Clock.Now().Add(40 * 24 * time.Hour))
			if _, err := v.f.Orders.Cancel(ctx, number, orders.CancelInput{Reason: "customer asked"}); err != nil {
				t.Fatal(err)
			}
			if err := v.svc.OnEvent(ctx, find(v.events(number), orders.EventCancelled)); err != nil {
				t.Fatal(err)
			}
			recent := v.deliveries(sub.ID)[0].ID
			if _, err := v.svc.Deliver(ctx, recent); err != nil {
				t.Fatal(err)
			}
			if _, err := v.svc.SendTest(ctx, sub.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := v.db.W.ExecContext(ctx, `UPDATE webhook_sends SET state = 'pending', updated_at = $1 WHERE id = $2`,
				orderstest.T0, recent); err != nil {
				t.Fatal(err)
			}
			n, err := v.svc.Prune(ctx, v.f.Clock.Now().Add(-30*24*time.Hour))
			if err != nil || n != 1 {
				t.Fatalf("Prune = %d, %v; want the one old delivered delivery", n, err)
			}
			left := v.deliveries(sub.ID)
			if len(left) != 2 || left[0].ID == old || left[1].ID == old {
				t.Fatalf("deliveries left %+v", left)
			}
			if a := v.count(`SELECT COUNT(*) FROM webhook_send_attempts WHERE send_id = $1`, old); a != 0 {
				t.Fatalf("%d attempts of the pruned delivery left", a)
			}
			if ev := v.count(`SELECT COUNT(*) FROM webhook_events`); ev != 2 {
				t.Fatalf("%d events left, want the 2 still referred to", ev)
			}
		})
	}
}

// No answer (the receiver is down) is retried, with the reason logged.
func TestNetworkErrorRetried(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			v := newEnv(t, e, webhooks.Options{Backoff: time.Minute})
			r := newReceiver(t, v.f.Clock)
			sub := v.subscribe(r, "order.placed")
			r.srv.Close() // down: connections are refused
			_, evs := v.place()
			if err := v.svc.OnEvent(ctx, find(evs, orders.EventPlaced)); err != nil {
				t.Fatal(err)
			}
			id := v.deliveries(sub.ID)[0].ID
			if wait, err := v.svc.Deliver(ctx, id); err != nil || wait != 30*time.Second {
				t.Fatalf("after a refused connection: wait %v, %v; want 30s (1m, half jittered at 0)", wait, err)
			}
			d := v.delivery(sub.ID, id)
			if d.State != webhooks.StatePending || d.LastStatus != 0 || d.Log[0].Outcome != "retry" || !strings.Contains(d.LastError, "refused") {
				t.Fatalf("delivery %+v: want pending, retried, the refusal logged", d)
			}
		})
	}
}
