package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/webhooks"
)

// An admin adds a subscription in the console and sees its secret once, a
// refused form keeps its values with the error by the field, a test event
// lands in the delivery log with its attempt, replay adds an attempt, pause
// and delete work; operations sees the pages without the forms.
func TestConsoleWebhooks(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := func() time.Time { return time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC) }
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusAccepted)
		}))
		t.Cleanup(rcv.Close)
		s, base := newConsoleServerWith(t, Config{DB: db, Now: now,
			Webhooks: webhooks.New(db, nil, nil, now, webhooks.Options{AllowPrivate: true})})
		email, pw := consoleUser(t, s, auth.Admin, "admin@example.com")
		c := newConsoleClient(t, base)
		c.login(email, pw)

		page := c.get("/console/webhooks")
		wantStatus(t, page, http.StatusOK)
		wantBody(t, page, "No webhook subscriptions yet", `action="/console/webhooks"`, `href="/console/webhooks"`)

		bad := c.post("/console/webhooks", url.Values{"url": {"ftp://erp.example.com"}, "description": {"ERP"}, "events": {"order.nope"}})
		wantStatus(t, bad, http.StatusUnprocessableEntity)
		wantBody(t, bad, `value="ftp://erp.example.com"`, `value="ERP"`, `id="url-err"`, `id="events-err"`, "unknown event type")
		if n := countRows(t, db, "webhook_subscriptions"); n != 0 {
			t.Fatalf("a refused form wrote %d subscriptions", n)
		}

		ok := c.post("/console/webhooks", url.Values{"url": {rcv.URL + "/hooks"}, "description": {"ERP"},
			"events": {"order.placed", "order.cancelled"}})
		wantStatus(t, ok, http.StatusCreated)
		wantBody(t, ok, `id="new-secret"`, "shown only once")
		secret := regexp.MustCompile(`whsec_[A-Za-z0-9_-]+`).FindString(ok.body)
		if secret == "" {
			t.Fatalf("no secret on the page: %s", ok.body)
		}
		var id string
		if err := db.R.QueryRow(`SELECT CAST(id AS TEXT) FROM webhook_subscriptions`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		sub := c.get("/console/webhooks/" + id)
		wantStatus(t, sub, http.StatusOK)
		wantBody(t, sub, "order.placed, order.cancelled", `id="send-test"`, `id="pause"`, "No deliveries yet")
		wantNotBody(t, sub, secret)
		wantNotBody(t, c.get("/console/webhooks"), secret)

		test := c.post("/console/webhooks/"+id+"/test", nil)
		wantStatus(t, test, http.StatusSeeOther)
		loc := test.header.Get("Location")
		if !strings.Contains(loc, "delivery=") {
			t.Fatalf("test redirects to %q", loc)
		}
		opened := c.get(loc)
		wantBody(t, opened, "Test event sent", `id="delivery-state">delivered`, `data-kind="test" data-outcome="delivered"`, "202", `id="replay"`)
		d := regexp.MustCompile(`delivery=(\d+)`).FindStringSubmatch(loc)[1]
		replay := c.post("/console/webhooks/"+id+"/deliveries/"+d+"/replay", nil)
		wantStatus(t, replay, http.StatusSeeOther)
		wantBody(t, c.get(replay.header.Get("Location")), "Delivery replayed", `data-kind="replay" data-outcome="delivered"`, "by staff:")

		// A refused edit keeps the typed values.
		edit := c.post("/console/webhooks/"+id, url.Values{"url": {"gopher://erp.example.com/x"}, "description": {"ERP v2"}})
		wantStatus(t, edit, http.StatusUnprocessableEntity)
		wantBody(t, edit, `value="gopher://erp.example.com/x"`, `value="ERP v2"`, `scheme &#34;gopher&#34;`, "list at least one event type")
		wantStatus(t, c.post("/console/webhooks/"+id+"/pause", nil), http.StatusSeeOther)
		wantBody(t, c.get("/console/webhooks/"+id), `id="sub-status">paused`, `id="resume"`)

		// Operations reads but has no buttons, and cannot post.
		opsEmail, opsPW := consoleUser(t, s, auth.Operations, "ops@example.com")
		ops := newConsoleClient(t, base)
		ops.login(opsEmail, opsPW)
		view := ops.get("/console/webhooks/" + id)
		wantStatus(t, view, http.StatusOK)
		wantNotBody(t, view, `id="send-test"`, `id="replay"`, `id="webhook-form"`)
		wantStatus(t, ops.post("/console/webhooks/"+id+"/delete", nil), http.StatusForbidden)

		wantStatus(t, c.post("/console/webhooks/"+id+"/delete", nil), http.StatusSeeOther)
		if n := countRows(t, db, "webhook_subscriptions"); n != 0 {
			t.Fatalf("%d subscriptions after delete", n)
		}
	})
}
