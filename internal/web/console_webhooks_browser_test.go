package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/webhooks"
)

// hookReceiver is a webhook endpoint that checks each request's signature
// with the secret it is given and answers 401 when it does not hold, else
// with its status (202 unless set).
type hookReceiver struct {
	mu       sync.Mutex
	secret   string
	status   int
	requests []hookRequest
}

// hookRequest is one request as the receiver saw it.
type hookRequest struct {
	event, id, attempt string
	body               string
	verified           error
}

func newHookReceiver(t *testing.T) (*hookReceiver, string) {
	t.Helper()
	h := &hookReceiver{status: http.StatusAccepted}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv.URL
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	err := webhooks.Verify(h.secret, r.Header.Get(webhooks.SignatureHeader), body, time.Now(), webhooks.DefaultTolerance)
	h.requests = append(h.requests, hookRequest{event: r.Header.Get(webhooks.EventHeader), id: r.Header.Get(webhooks.IDHeader),
		attempt: r.Header.Get(webhooks.AttemptHeader), body: string(body), verified: err})
	if err != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	w.WriteHeader(h.status)
	_, _ = io.WriteString(w, "answer "+strconv.Itoa(h.status))
}

func (h *hookReceiver) set(secret string, status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.secret, h.status = secret, status
}

func (h *hookReceiver) seen() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.requests)
}

// TestConsoleBrowserWebhooks drives the webhook pages in a real Chromium:
// the admin logs in, adds a subscription for two events (unticking "all
// events"), copies the secret shown once, and gives it to a receiver that
// verifies signatures; a test event sent while the receiver answers 503 is
// logged failed with that answer; once the receiver is back, Replay delivers
// it. The page shows each attempt, the database holds the subscription with
// the events chosen and the delivery's two attempts, the receiver saw the
// same event twice, correctly signed, and the secret is on no other page.
func TestConsoleBrowserWebhooks(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := newBrowser(t)
		screenshotOnFailure(t, ctx)
		bg := context.Background()

		rcv, rcvURL := newHookReceiver(t)
		s, base := newConsoleServerWith(t, Config{DB: db,
			Webhooks: webhooks.New(db, nil, nil, time.Now, webhooks.Options{AllowPrivate: true})})
		email, password := consoleUser(t, s, auth.Admin, "admin@example.com")

		step(t, ctx, "log in",
			chromedp.Navigate(base+"/console/webhooks"),
			chromedp.WaitVisible(chromedp.CSS("#email")),
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("#webhook-form")),
		)
		if empty := pollPageJS(t, ctx, "the empty list", `document.querySelector("#webhooks tbody").textContent`); !strings.Contains(empty, "No webhook subscriptions yet") {
			t.Fatalf("list before any subscription: %q", empty)
		}
		// "All events" is ticked for a new form; the admin wants two events.
		hookURL := rcvURL + "/orderly/hooks"
		step(t, ctx, "create a subscription",
			chromedp.SendKeys(chromedp.CSS("#url"), hookURL),
			chromedp.SendKeys(chromedp.CSS("#description"), "ERP order sync"),
			chromedp.Click(chromedp.CSS(`#events input[value="*"]`)),
			chromedp.Click(chromedp.CSS(`#events input[value="order.placed"]`)),
			chromedp.Click(chromedp.CSS(`#events input[value="order.shipped"]`)),
			chromedp.Click(chromedp.CSS(`#webhook-form button[type="submit"]`)),
		)
		secret := pollPageJS(t, ctx, "the new secret", `document.querySelector("#new-secret")?.textContent`)
		if !strings.HasPrefix(secret, "whsec_") || len(secret) < len("whsec_")+40 {
			t.Fatalf("the secret shown is %q", secret)
		}
		if box := pollPageJS(t, ctx, "the secret's box", `document.querySelector("#new-secret-box").textContent`); !strings.Contains(box, hookURL) || !strings.Contains(box, "shown only once") {
			t.Errorf("the secret's box says %q", strings.Join(strings.Fields(box), " "))
		}
		// The form is fresh again: all events, no URL.
		if fresh := pollPageJS(t, ctx, "the fresh form", `[...document.querySelectorAll("#events input:checked")].map(i => i.value).join(",") + "|" + document.querySelector("#url").value`); fresh != "*|" {
			t.Errorf("the form after creating is %q, want only all events and no URL", fresh)
		}
		subs, err := s.cfg.Webhooks.List(bg)
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) != 1 {
			t.Fatalf("%d subscriptions, want 1", len(subs))
		}
		sub := subs[0]
		id := strconv.FormatInt(sub.ID, 10)
		if sub.URL != hookURL || sub.Description != "ERP order sync" || !slices.Equal(sub.Events, []string{"order.placed", "order.shipped"}) ||
			!sub.Active || !strings.Contains(sub.CreatedBy, email) || sub.Secret != "" {
			t.Fatalf("stored subscription: %+v", sub)
		}
		if row := pollPageJS(t, ctx, "the list row", `document.querySelector('#webhooks tr[data-id="`+id+`"]')?.textContent`); !strings.Contains(row, "order.placed, order.shipped") || !strings.Contains(row, "active") {
			t.Errorf("list row %q", strings.Join(strings.Fields(row), " "))
		}

		// The receiver answers 503 for now: the test event fails, signed.
		rcv.set(secret, http.StatusServiceUnavailable)
		step(t, ctx, "open the subscription",
			chromedp.Click(chromedp.CSS(`#new-secret-box a[href="/console/webhooks/`+id+`"]`)),
		)
		pollPageJS(t, ctx, "the subscription page", `document.querySelector("#send-test")`)
		if html := pollPageJS(t, ctx, "the page", `document.documentElement.outerHTML`); strings.Contains(html, secret) {
			t.Error("the subscription page shows the secret")
		}
		if none := pollPageJS(t, ctx, "the empty log", `document.querySelector("#deliveries tbody").textContent`); !strings.Contains(none, "No deliveries yet") {
			t.Errorf("delivery log before the test: %q", none)
		}
		step(t, ctx, "send a test event", chromedp.Click(chromedp.CSS("#send-test")))
		waitFlash(t, ctx, "Test event sent")
		state := pollPageJS(t, ctx, "the test delivery", `(() => {
			const a = document.querySelector('#attempts tr[data-kind="test"]');
			return a ? document.querySelector("#delivery-state").textContent + "|" + a.dataset.outcome + "|" + a.textContent : "";
		})()`)
		if !strings.HasPrefix(state, "failed|failed|") || !strings.Contains(state, "503") || !strings.Contains(state, "answer 503") {
			t.Errorf("test delivery shows %q, want failed with the 503 and its answer", strings.Join(strings.Fields(state), " "))
		}
		got := rcv.seen()
		if len(got) != 1 || got[0].verified != nil || got[0].event != webhooks.TestEvent || got[0].attempt != "1" ||
			!strings.Contains(got[0].body, "A test event from Orderly") {
			t.Fatalf("the receiver saw %+v, want one signed test event", got)
		}
		deliveryID, err := strconv.ParseInt(pollPageJS(t, ctx, "the delivery's id", `new URL(location.href).searchParams.get("delivery")`), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if row := pollPageJS(t, ctx, "the log row", `document.querySelector('#deliveries tr[data-id="`+strconv.FormatInt(deliveryID, 10)+`"]')?.dataset.state`); row != webhooks.StateFailed {
			t.Errorf("delivery log row is %q, want failed", row)
		}

		// The receiver is back: Replay delivers the same event.
		rcv.set(secret, http.StatusAccepted)
		step(t, ctx, "replay", chromedp.Click(chromedp.CSS("#replay")))
		waitFlash(t, ctx, "Delivery replayed")
		replayed := pollPageJS(t, ctx, "the replayed delivery", `(() => {
			const a = document.querySelector('#attempts tr[data-kind="replay"]');
			const r = document.querySelector('#deliveries tr[data-id="`+strconv.FormatInt(deliveryID, 10)+`"]');
			return a && r ? [document.querySelector("#delivery-state").textContent, a.dataset.outcome, r.dataset.state,
				document.querySelectorAll("#attempts tbody tr").length, a.textContent].join("|") : "";
		})()`)
		if !strings.HasPrefix(replayed, "delivered|delivered|delivered|2|") || !strings.Contains(replayed, "202") || !strings.Contains(replayed, email) {
			t.Errorf("after replay the page shows %q, want delivered, two attempts, the replay by %s answered 202", strings.Join(strings.Fields(replayed), " "), email)
		}
		got = rcv.seen()
		if len(got) != 2 || got[1].verified != nil || got[1].id != got[0].id || got[1].attempt != "2" || got[1].body != got[0].body {
			t.Fatalf("the receiver saw %+v, want the same event again, signed, attempt 2", got)
		}
		d, err := s.cfg.Webhooks.Delivery(bg, sub.ID, deliveryID)
		if err != nil {
			t.Fatal(err)
		}
		kinds := []string{}
		for _, a := range d.Log {
			kinds = append(kinds, a.Kind+":"+a.Outcome+":"+strconv.Itoa(a.Status))
		}
		if d.State != webhooks.StateDelivered || d.Attempts != 2 || d.LastStatus != http.StatusAccepted ||
			!slices.Equal(kinds, []string{"replay:delivered:202", "test:failed:503"}) {
			t.Errorf("stored delivery: state %s, %d attempts, last status %d, log %v", d.State, d.Attempts, d.LastStatus, kinds)
		}

		// The log filtered to failed deliveries is empty now.
		step(t, ctx, "filter the log", chromedp.SetValue(chromedp.CSS("#state"), webhooks.StateFailed),
			chromedp.Click(chromedp.CSS(`form[method="get"] button[type="submit"]`)))
		if none := pollPage(t, ctx, "the filtered log", `document.querySelector("#deliveries tbody")?.textContent || ""`,
			func(s string) bool { return strings.Contains(s, "No deliveries failed yet") }); !strings.Contains(none, "No deliveries failed yet") {
			t.Errorf("failed deliveries: %q", strings.Join(strings.Fields(none), " "))
		}

		// The secret was shown once: the list no longer has it.
		step(t, ctx, "open the list", chromedp.Navigate(base+"/console/webhooks"), chromedp.WaitVisible(chromedp.CSS("#webhooks")))
		if html := pollPageJS(t, ctx, "the list", `document.documentElement.outerHTML`); strings.Contains(html, secret) || strings.Contains(html, `id="new-secret"`) {
			t.Error("the list shows the secret again")
		}
	})
}
