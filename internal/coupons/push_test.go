package coupons_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/coupons"
	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/storefront"
)

const (
	shopToken  = "shpat_test_token"
	hookSecret = "a-webhook-signing-secret"
)

// fakeStorefront is a Shopify store (GraphQL Admin API) and a webhook
// receiver in one server. Each answers its scripted statuses first (429,
// 5xx), then 200, and records every request and the codes it accepted.
type fakeStorefront struct {
	t   *testing.T
	srv *httptest.Server
	now func() time.Time

	mu       sync.Mutex
	shopFail []int // statuses to answer before succeeding, in order
	hookFail []int
	requests int
	shopVars []map[string]any // variables of accepted creations
	hooks    []coupons.WebhookBody
	accepted map[string]int // "shopify:CODE" / "webhook:CODE" → times accepted
	// onHook is called (unlocked) before a webhook request is answered; if
	// it returns true the request is dropped: not answered, not recorded.
	onHook func(r *http.Request) bool
	// hookDown makes the webhook receiver answer 500 to all.
	hookDown bool
	// onShop is called (locked) when Shopify accepts a coupon.
	onShop func()
}

func newFake(t *testing.T, now func() time.Time) *fakeStorefront {
	f := &fakeStorefront{t: t, now: now, accepted: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeStorefront) fail(script *[]int, w http.ResponseWriter) bool {
	if len(*script) == 0 {
		return false
	}
	status := (*script)[0]
	*script = (*script)[1:]
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "2")
	}
	http.Error(w, http.StatusText(status), status)
	return true
}

func (f *fakeStorefront) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	switch r.URL.Path {
	case "/admin/api/2026-01/graphql.json":
		if r.Header.Get(storefront.ShopifyAccessTokenHeader) != shopToken {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		if f.fail(&f.shopFail, w) {
			return
		}
		var req struct {
			Query         string `json:"query"`
			OperationName string `json:"operationName"`
			Variables     struct {
				Input map[string]any `json:"input"`
			} `json:"variables"`
		}
		if err := json.Unmarshal(body, &req); err != nil || req.OperationName != "OrderlyCreateCoupon" ||
			!strings.Contains(req.Query, "discountCodeBasicCreate(basicCodeDiscount: $input)") {
			f.t.Errorf("unexpected GraphQL request %s", body)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		code, _ := req.Variables.Input["code"].(string)
		key := "shopify:" + code
		if f.accepted[key] > 0 {
			w.Write([]byte(`{"data":{"discountCodeBasicCreate":{"codeDiscountNode":null,"userErrors":[{"field":["basicCodeDiscount","code"],"message":"Code must be unique.","code":"TAKEN"}]}}}`))
			return
		}
		f.accepted[key]++
		f.shopVars = append(f.shopVars, req.Variables.Input)
		if f.onShop != nil {
			f.onShop()
		}
		w.Write([]byte(`{"data":{"discountCodeBasicCreate":{"codeDiscountNode":{"id":"gid://shopify/DiscountCodeNode/` +
			strconv.Itoa(len(f.shopVars)) + `"},"userErrors":[]}}}`))
	case "/hook":
		if f.onHook != nil {
			f.mu.Unlock()
			drop := f.onHook(r)
			f.mu.Lock()
			if drop {
				return
			}
		}
		if err := storefront.Verify([]byte(hookSecret), r.Header.Get(storefront.SignatureHeader), body, f.now(), time.Minute); err != nil {
			f.t.Errorf("webhook signature: %v", err)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if r.Header.Get(storefront.TopicHeader) != coupons.TopicCreated {
			f.t.Errorf("webhook topic %q", r.Header.Get(storefront.TopicHeader))
		}
		if f.hookDown {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		if f.fail(&f.hookFail, w) {
			return
		}
		var b coupons.WebhookBody
		if err := json.Unmarshal(body, &b); err != nil {
			f.t.Errorf("webhook body %s: %v", body, err)
		}
		f.accepted["webhook:"+b.Coupon.Code]++
		f.hooks = append(f.hooks, b)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeStorefront) snapshot() (requests int, accepted map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	accepted = map[string]int{}
	for k, v := range f.accepted {
		accepted[k] = v
	}
	return f.requests, accepted
}

type pushEnv struct {
	*env
	fake   *fakeStorefront
	pusher *coupons.Pusher
	shop   int64
	hook   int64
	waits  []time.Duration
	mu     sync.Mutex
}

func newPushEnv(t *testing.T, e *env) *pushEnv {
	t.Helper()
	ctx := context.Background()
	p := &pushEnv{env: e, fake: newFake(t, e.f.Clock.Now)}
	sf := storefront.New(e.f.DB, e.f.Clock.Now, nil)
	shop, err := sf.CreateTarget(ctx, storefront.NewTarget{Name: "Shop", Kind: storefront.KindShopify, URL: p.fake.srv.URL,
		Secret: shopToken, LocationID: "1", Currency: "EUR", RatePerSecond: 100})
	if err != nil {
		t.Fatal(err)
	}
	hook, err := sf.CreateTarget(ctx, storefront.NewTarget{Name: "Hook", Kind: storefront.KindWebhook, URL: p.fake.srv.URL + "/hook",
		Secret: hookSecret, RatePerSecond: 100})
	if err != nil {
		t.Fatal(err)
	}
	p.shop, p.hook = shop.ID, hook.ID
	sender := storefront.NewSender(e.f.DB, storefront.Options{Now: e.f.Clock.Now, Retries: 3,
		Jitter: func(d time.Duration) time.Duration { return 0 },
		Sleep: func(_ context.Context, d time.Duration) error {
			p.mu.Lock()
			p.waits = append(p.waits, d)
			p.mu.Unlock()
			e.f.Clock.Set(e.f.Clock.Now().Add(d))
			return nil
		}})
	p.pusher = coupons.NewPusher(e.c, sender, nil)
	return p
}

// TestPushToFakeStorefront: each coupon reaches each storefront exactly
// once, through a 429 and a 5xx, and a retried job sends nothing again.
func TestPushToFakeStorefront(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			p := newPushEnv(t, newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{})))
			p.setPolicy(t, coupons.Policy{Enabled: true, Kind: coupons.KindPercent, Percent: 10, ValidityDays: 30, Prefix: "SORRY"})
			apology := p.issueTx(t, "cancelled")
			manual, err := p.c.Issue(ctx, coupons.NewCoupon{Kind: coupons.KindAmount, Amount: eur(t, "5.50"), Reason: "late", Order: p.order})
			if err != nil {
				t.Fatal(err)
			}
			p.fake.shopFail = []int{http.StatusTooManyRequests, http.StatusBadGateway}
			p.fake.hookFail = []int{http.StatusServiceUnavailable}
			for _, c := range []*coupons.Coupon{apology, manual} {
				if err := p.pusher.Push(ctx, c.ID); err != nil {
					t.Fatalf("push %s: %v", c.Code, err)
				}
			}
			requests, accepted := p.fake.snapshot()
			for _, c := range []*coupons.Coupon{apology, manual} {
				for _, k := range []string{"shopify:", "webhook:"} {
					if accepted[k+c.Code] != 1 {
						t.Errorf("%s%s accepted %d times, want 1 (all: %v)", k, c.Code, accepted[k+c.Code], accepted)
					}
				}
			}
			// 4 deliveries, plus the 429, the 502 and the 503 retried.
			if requests != 7 {
				t.Errorf("%d requests, want 7", requests)
			}
			// The 429's Retry-After was waited out.
			if !containsWait(p.waits, 2*time.Second) {
				t.Errorf("waits %v do not include the 2s Retry-After", p.waits)
			}

			// The job again (a retry, or another instance): nothing is sent.
			for _, c := range []*coupons.Coupon{apology, manual} {
				if err := p.pusher.Push(ctx, c.ID); err != nil {
					t.Fatal(err)
				}
			}
			if again, _ := p.fake.snapshot(); again != requests {
				t.Fatalf("a second push sent %d more requests", again-requests)
			}

			// What Shopify got: the code, the value, once, until expiry.
			v := p.fake.shopVars
			if len(v) != 2 {
				t.Fatalf("shopify creations: %v", v)
			}
			gets := v[0]["customerGets"].(map[string]any)
			if v[0]["code"] != apology.Code || v[0]["usageLimit"] != float64(1) || v[0]["endsAt"] != apology.ExpiresAt.Format(time.RFC3339) ||
				gets["value"].(map[string]any)["percentage"] != 0.1 {
				t.Errorf("percent coupon sent as %v", v[0])
			}
			amount := v[1]["customerGets"].(map[string]any)["value"].(map[string]any)["discountAmount"].(map[string]any)
			if v[1]["code"] != manual.Code || amount["amount"] != "5.50" || amount["appliesOnEachItem"] != false {
				t.Errorf("amount coupon sent as %v", v[1])
			}
			h := p.fake.hooks
			if len(h) != 2 || h[0].Coupon.Code != apology.Code || h[0].Coupon.Percent != 10 || h[1].Coupon.Amount != "5.50" ||
				h[1].Coupon.Currency != "EUR" || h[1].Coupon.UsageMax != 1 || h[1].Coupon.Order != p.order {
				t.Errorf("webhook bodies %+v", h)
			}

			pushes, err := p.c.Pushes(ctx, apology.ID)
			if err != nil || len(pushes) != 2 || pushes[0].PushedAt == nil || pushes[0].RemoteID != "gid://shopify/DiscountCodeNode/1" ||
				pushes[1].PushedAt == nil || pushes[0].Attempts != 1 {
				t.Fatalf("pushes = %+v, %v", pushes, err)
			}
		})
	}
}

func containsWait(ws []time.Duration, d time.Duration) bool {
	for _, w := range ws {
		if w == d {
			return true
		}
	}
	return false
}

// TestPushRetriedAfterOutage: a storefront that keeps failing fails the job
// (River retries it) with the error recorded; the retry after it is back
// delivers once, and only to the target that had failed.
func TestPushRetriedAfterOutage(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			p := newPushEnv(t, newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{})))
			c, err := p.c.Issue(ctx, coupons.NewCoupon{Kind: coupons.KindAmount, Amount: eur(t, "3.00"), Reason: "x"})
			if err != nil {
				t.Fatal(err)
			}
			p.fake.hookFail = []int{500, 500, 500, 500, 500, 500}
			err = p.pusher.Push(ctx, c.ID)
			if err == nil || !strings.Contains(err.Error(), "500") {
				t.Fatalf("push during an outage = %v, want the 500", err)
			}
			pushes, _ := p.c.Pushes(ctx, c.ID)
			if len(pushes) != 2 || pushes[0].PushedAt == nil || pushes[1].PushedAt != nil || !strings.Contains(pushes[1].LastError, "500") {
				t.Fatalf("pushes after the outage = %+v", pushes)
			}
			p.fake.mu.Lock()
			p.fake.hookFail = nil
			p.fake.mu.Unlock()
			if err := p.pusher.Push(ctx, c.ID); err != nil {
				t.Fatalf("retry: %v", err)
			}
			_, accepted := p.fake.snapshot()
			if accepted["shopify:"+c.Code] != 1 || accepted["webhook:"+c.Code] != 1 {
				t.Fatalf("accepted = %v", accepted)
			}
			pushes, _ = p.c.Pushes(ctx, c.ID)
			if pushes[1].PushedAt == nil || pushes[1].LastError != "" || pushes[1].Attempts != 2 {
				t.Fatalf("pushes after the retry = %+v", pushes)
			}
		})
	}
}

// TestPushConcurrent: two instances working the same coupon at once send
// it once (the row claim), and a lost answer is not a second coupon (TAKEN).
func TestPushConcurrent(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			p := newPushEnv(t, newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{})))
			c, err := p.c.Issue(ctx, coupons.NewCoupon{Kind: coupons.KindPercent, Percent: 5, Reason: "x"})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					// A sender that finds a target claimed by another is
					// told so (busy, to try again), not that it is done.
					var busy *coupons.BusyError
					if err := p.pusher.Push(ctx, c.ID); err != nil && !errors.As(err, &busy) {
						t.Errorf("push: %v", err)
					}
				})
			}
			wg.Wait()
			requests, accepted := p.fake.snapshot()
			if requests != 2 || accepted["shopify:"+c.Code] != 1 || accepted["webhook:"+c.Code] != 1 {
				t.Fatalf("%d requests, accepted %v", requests, accepted)
			}
			if err := p.pusher.Push(ctx, c.ID); err != nil {
				t.Fatalf("push once all are done = %v, want nil", err)
			}
		})
	}
}

// TestPushJob: issuing enqueues the push in the issuing transaction and the
// River worker delivers it.
func TestPushJob(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, e)
			f := orderstest.New(t, db, orders.Options{})
			base := newEnv(t, f)
			p := newPushEnv(t, base)
			workers := river.NewWorkers()
			river.AddWorker(workers, &coupons.PushWorker{Pusher: p.pusher})
			q, err := jobs.New(db, jobs.Config{Workers: workers, PollInterval: 50 * time.Millisecond, Now: f.Clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			svc := coupons.New(db, f.Clock.Now, q)
			// The worker pushes through the env's pusher (same database).
			if _, err := svc.SetPolicy(ctx, coupons.Policy{Enabled: true, Kind: coupons.KindPercent, Percent: 10, ValidityDays: 30}); err != nil {
				t.Fatal(err)
			}
			var c *coupons.Coupon
			if err := db.InTx(ctx, func(tx *sql.Tx) error {
				c, err = svc.IssueApologyTx(ctx, tx, base.order, "EUR", "cancelled")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = 'coupon_push' AND state = 'available'`).Scan(&n); err != nil || n != 1 {
				t.Fatalf("push jobs after issue = %d, %v", n, err)
			}
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { q.Stop(context.Background()) })
			// A bound on waiting, not a speed target: under -race on a busy
			// machine a River poll and two storefront calls can take seconds.
			deadline := time.Now().Add(60 * time.Second)
			for {
				_, accepted := p.fake.snapshot()
				if accepted["shopify:"+c.Code] == 1 && accepted["webhook:"+c.Code] == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the job did not push %s: %v", c.Code, accepted)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// TestRepush: a coupon a storefront skipped (another currency) is pushed
// again once the target can take it; targets that have it get nothing.
func TestRepush(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			p := newPushEnv(t, newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{})))
			sf := storefront.New(p.f.DB, p.f.Clock.Now, nil)
			usd := "USD"
			if _, err := sf.UpdateTarget(ctx, p.shop, storefront.TargetPatch{Currency: &usd}); err != nil {
				t.Fatal(err)
			}
			q, err := jobs.New(p.f.DB, jobs.Config{InsertOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			svc := coupons.New(p.f.DB, p.f.Clock.Now, q)
			c, err := svc.Issue(ctx, coupons.NewCoupon{Kind: coupons.KindAmount, Amount: eur(t, "4.00"), Reason: "x"})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.pusher.Push(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			pushes, _ := svc.Pushes(ctx, c.ID)
			if len(pushes) != 2 || pushes[0].PushedAt != nil || !strings.Contains(pushes[0].Skipped, "the store in USD") || pushes[1].PushedAt == nil {
				t.Fatalf("pushes = %+v", pushes)
			}
			// A shop whose currency is not set is not sent an amount
			// (Shopify would take it in the shop's currency, whatever that is).
			none := ""
			if _, err := sf.UpdateTarget(ctx, p.shop, storefront.TargetPatch{Currency: &none}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Repush(ctx, c.Code); err != nil {
				t.Fatalf("repush: %v", err)
			}
			if err := p.pusher.Push(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			pushes, _ = svc.Pushes(ctx, c.ID)
			if _, accepted := p.fake.snapshot(); accepted["shopify:"+c.Code] != 0 || pushes[0].PushedAt != nil ||
				!strings.Contains(pushes[0].Skipped, "currency is not set") {
				t.Fatalf("an amount coupon pushed to a shop of unknown currency: accepted %v, pushes %+v", accepted, pushes)
			}
			eurCur := "EUR"
			if _, err := sf.UpdateTarget(ctx, p.shop, storefront.TargetPatch{Currency: &eurCur}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Repush(ctx, strings.ToLower(c.Code)); err != nil {
				t.Fatalf("repush: %v", err)
			}
			if err := p.pusher.Push(ctx, c.ID); err != nil { // what the job does
				t.Fatal(err)
			}
			_, accepted := p.fake.snapshot()
			if accepted["shopify:"+c.Code] != 1 || accepted["webhook:"+c.Code] != 1 {
				t.Fatalf("accepted = %v", accepted)
			}
			if _, err := p.c.Repush(ctx, c.Code); !apperr.Is(err, apperr.Unavailable) {
				t.Errorf("repush without a queue = %v", err)
			}
			if _, err := svc.Redeem(ctx, c.Code, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Repush(ctx, c.Code); !apperr.Is(err, apperr.Conflict) {
				t.Errorf("repush of a used coupon = %v", err)
			}
			if _, err := svc.Repush(ctx, "NOPE"); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("repush of an unknown code = %v", err)
			}
		})
	}
}

// TestPushClaimHeldOrCutOff: a push that finds a target claimed by another
// sender (a crashed or timed-out job whose lease has not run out) says it is
// busy until the lease ends, so the job tries again instead of finishing with
// the target never sent the coupon; and a push cut off by its context during
// the send (the job's timeout) lets go of its claim, so the retry sends.
func TestPushClaimHeldOrCutOff(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			p := newPushEnv(t, newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{})))
			c, err := p.c.Issue(ctx, coupons.NewCoupon{Kind: coupons.KindAmount, Amount: eur(t, "3.00"), Reason: "x"})
			if err != nil {
				t.Fatal(err)
			}
			// Another sender holds the webhook target's row for 5 minutes.
			now := p.f.Clock.Now().UTC()
			held := now.Add(5 * time.Minute).Truncate(time.Second)
			if _, err := p.f.DB.W.ExecContext(ctx, `INSERT INTO coupon_pushes (coupon_id, target_id, claimed_until, attempts, updated_at)
				VALUES ($1, $2, $3, 1, $4)`, c.ID, p.hook, held, now); err != nil {
				t.Fatal(err)
			}
			err = p.pusher.Push(ctx, c.ID)
			var busy *coupons.BusyError
			if !errors.As(err, &busy) || !busy.Until.Equal(held) {
				t.Fatalf("push with a target claimed elsewhere = %v, want busy until %s", err, held)
			}
			if _, accepted := p.fake.snapshot(); accepted["shopify:"+c.Code] != 1 || accepted["webhook:"+c.Code] != 0 {
				t.Fatalf("accepted = %v", accepted)
			}

			// The lease runs out; this push is cut off during its send.
			p.f.Clock.Set(held.Add(time.Second))
			cctx, cancel := context.WithCancel(ctx)
			p.fake.mu.Lock()
			// Cancel the push while its request is in flight, and answer it
			// only once the sender gave up: cancelling and answering at once
			// would race (the answer could arrive first, under -race it did).
			p.fake.onHook = func(r *http.Request) bool {
				cancel()
				select {
				case <-r.Context().Done():
				case <-time.After(30 * time.Second):
					t.Error("the cut-off push did not close its request")
				}
				return true
			}
			p.fake.mu.Unlock()
			if err := p.pusher.Push(cctx, c.ID); err == nil {
				t.Fatal("push cut off by its context succeeded")
			}
			p.fake.mu.Lock()
			p.fake.onHook = nil
			p.fake.mu.Unlock()
			// The retry, moments later, takes the row and sends.
			if err := p.pusher.Push(ctx, c.ID); err != nil {
				t.Fatalf("retry after the cut-off push = %v", err)
			}
			if _, accepted := p.fake.snapshot(); accepted["webhook:"+c.Code] < 1 {
				t.Fatalf("the webhook target never got the coupon: %v", accepted)
			}
			pushes, err := p.c.Pushes(ctx, c.ID)
			if err != nil || len(pushes) != 2 || pushes[1].PushedAt == nil {
				t.Fatalf("pushes = %+v, %v", pushes, err)
			}
		})
	}
}

// TestPercentFraction: the percentage Shopify gets is the exact decimal of a
// whole percent, written as a JSON number.
func TestPercentFraction(t *testing.T) {
	for p, want := range map[int]string{1: "0.01", 7: "0.07", 10: "0.10", 29: "0.29", 57: "0.57", 100: "1.00"} {
		b, err := json.Marshal(map[string]any{"percentage": coupons.PercentFraction(p)})
		if err != nil || string(b) != `{"percentage":`+want+`}` {
			t.Errorf("%d%% is sent as %s (%v), want %s", p, b, err, want)
		}
	}
}

// startPushJobs starts a River queue working push jobs through p's pusher
// and returns a coupon service enqueuing on it, and the worker.
func startPushJobs(t *testing.T, p *pushEnv) (*coupons.Service, *coupons.PushWorker) {
	t.Helper()
	worker := &coupons.PushWorker{Pusher: p.pusher}
	workers := river.NewWorkers()
	river.AddWorker(workers, worker)
	q, err := jobs.New(p.f.DB, jobs.Config{Workers: workers, PollInterval: 50 * time.Millisecond, Now: p.f.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	svc := coupons.New(p.f.DB, p.f.Clock.Now, q)
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })
	return svc, worker
}

// waitPushJobs waits until no push job is left to work (none waiting,
// running, snoozed or retrying) and returns how many completed.
func waitPushJobs(t *testing.T, p *pushEnv) (completed int) {
	t.Helper()
	ctx := context.Background()
	// A bound on waiting, not a speed target (see TestPushJob).
	deadline := time.Now().Add(60 * time.Second)
	for {
		var open int
		if err := p.f.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = 'coupon_push'
			AND state NOT IN ('completed', 'discarded', 'cancelled')`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d push jobs still open", open)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.f.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = 'coupon_push' AND state = 'completed'`).
		Scan(&completed); err != nil {
		t.Fatal(err)
	}
	return completed
}

// TestRepushWhilePushRuns: "push again" pressed while the coupon's push job
// runs is not lost. River adds no job then (one per coupon while one runs),
// and the running job had already found the shop skipping the coupon: it
// must pass again and send it, once the shop can take it.
func TestRepushWhilePushRuns(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			p := newPushEnv(t, newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{})))
			sf := storefront.New(p.f.DB, p.f.Clock.Now, nil)
			usd, eurCur := "USD", "EUR"
			if _, err := sf.UpdateTarget(ctx, p.shop, storefront.TargetPatch{Currency: &usd}); err != nil {
				t.Fatal(err)
			}
			// The job's first webhook send is held until the repush is done;
			// the shop (the lower id, sent to first) has skipped by then.
			inFlight, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			p.fake.onHook = func(r *http.Request) bool {
				once.Do(func() {
					close(inFlight)
					select {
					case <-release:
					case <-time.After(60 * time.Second):
						t.Error("the held webhook send was never released")
					}
				})
				return false
			}
			svc, _ := startPushJobs(t, p)
			c, err := svc.Issue(ctx, coupons.NewCoupon{Kind: coupons.KindAmount, Amount: eur(t, "4.00"), Reason: "x"})
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-inFlight:
			case <-time.After(60 * time.Second):
				t.Fatal("the push job never sent to the webhook target")
			}
			pushes, err := svc.Pushes(ctx, c.ID)
			if err != nil || len(pushes) != 2 || !strings.Contains(pushes[0].Skipped, "the store in USD") {
				t.Fatalf("pushes while the job runs = %+v, %v", pushes, err)
			}
			if _, err := sf.UpdateTarget(ctx, p.shop, storefront.TargetPatch{Currency: &eurCur}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Repush(ctx, c.Code); err != nil {
				t.Fatalf("repush while the job runs: %v", err)
			}
			close(release)
			waitPushJobs(t, p)
			_, accepted := p.fake.snapshot()
			if accepted["shopify:"+c.Code] != 1 || accepted["webhook:"+c.Code] != 1 {
				t.Fatalf("after a repush during the push: accepted %v, want the coupon once on each target", accepted)
			}
			pushes, _ = svc.Pushes(ctx, c.ID)
			if pushes[0].PushedAt == nil || pushes[0].Skipped != "" || pushes[1].PushedAt == nil {
				t.Fatalf("pushes = %+v", pushes)
			}
		})
	}
}

// TestRepushAsPushJobEnds: "push again" pressed after the running job's last
// look at the coupon, before River records the job's end, is not lost either:
// the job marked itself completed in its last look's transaction, so the
// repush enqueues a new job instead of being absorbed by the ending one.
func TestRepushAsPushJobEnds(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			p := newPushEnv(t, newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{})))
			sf := storefront.New(p.f.DB, p.f.Clock.Now, nil)
			usd, eurCur := "USD", "EUR"
			if _, err := sf.UpdateTarget(ctx, p.shop, storefront.TargetPatch{Currency: &usd}); err != nil {
				t.Fatal(err)
			}
			svc, worker := startPushJobs(t, p)
			var once sync.Once
			codes, repushed := make(chan string, 1), make(chan error, 1)
			worker.SetAfterComplete(func() {
				once.Do(func() {
					if _, err := sf.UpdateTarget(ctx, p.shop, storefront.TargetPatch{Currency: &eurCur}); err != nil {
						repushed <- err
						return
					}
					_, err := svc.Repush(ctx, <-codes)
					repushed <- err
				})
			})
			c, err := svc.Issue(ctx, coupons.NewCoupon{Kind: coupons.KindAmount, Amount: eur(t, "4.00"), Reason: "x"})
			if err != nil {
				t.Fatal(err)
			}
			codes <- c.Code
			select {
			case err := <-repushed:
				if err != nil {
					t.Fatalf("repush as the job ends: %v", err)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("the push job never completed")
			}
			if completed := waitPushJobs(t, p); completed != 2 {
				t.Errorf("%d push jobs completed, want 2 (the repush's own)", completed)
			}
			_, accepted := p.fake.snapshot()
			if accepted["shopify:"+c.Code] != 1 || accepted["webhook:"+c.Code] != 1 {
				t.Fatalf("after a repush as the job ended: accepted %v, want the coupon once on each target", accepted)
			}
		})
	}
}

// TestRepushWhileFailingPushRuns: "push again" pressed while the push job
// runs a pass that then fails gets a pass of its own at once, in the same
// attempt, rather than waiting for River's retry (which, on the job's last
// attempt, would never come: the job would be discarded).
func TestRepushWhileFailingPushRuns(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			p := newPushEnv(t, newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{})))
			sf := storefront.New(p.f.DB, p.f.Clock.Now, nil)
			usd, eurCur := "USD", "EUR"
			if _, err := sf.UpdateTarget(ctx, p.shop, storefront.TargetPatch{Currency: &usd}); err != nil {
				t.Fatal(err)
			}
			// The webhook receiver is down until the shop gets the coupon;
			// the job's first send to it is held until the repush is done.
			inFlight, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			shopAttempt := make(chan int, 1)
			p.fake.mu.Lock()
			p.fake.hookDown = true
			p.fake.onHook = func(r *http.Request) bool {
				once.Do(func() {
					close(inFlight)
					<-release
				})
				return false
			}
			p.fake.onShop = func() {
				var attempt int
				if err := p.f.DB.R.QueryRowContext(ctx, `SELECT attempt FROM river_job WHERE kind = 'coupon_push'`).Scan(&attempt); err != nil {
					t.Error(err)
				}
				shopAttempt <- attempt
				p.fake.hookDown = false
			}
			p.fake.mu.Unlock()
			svc, _ := startPushJobs(t, p)
			c, err := svc.Issue(ctx, coupons.NewCoupon{Kind: coupons.KindAmount, Amount: eur(t, "4.00"), Reason: "x"})
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-inFlight:
			case <-time.After(60 * time.Second):
				t.Fatal("the push job never sent to the webhook target")
			}
			if _, err := sf.UpdateTarget(ctx, p.shop, storefront.TargetPatch{Currency: &eurCur}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Repush(ctx, c.Code); err != nil {
				t.Fatalf("repush while the job runs: %v", err)
			}
			close(release)
			waitPushJobs(t, p)
			_, accepted := p.fake.snapshot()
			if accepted["shopify:"+c.Code] != 1 || accepted["webhook:"+c.Code] != 1 {
				t.Fatalf("accepted %v, want the coupon once on each target", accepted)
			}
			if a := <-shopAttempt; a != 1 {
				t.Errorf("the shop got the coupon on the job's attempt %d, want 1 (the attempt the repush was made in)", a)
			}
		})
	}
}
