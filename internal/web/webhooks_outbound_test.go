package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/web"
	"github.com/orderly-oms/orderly/internal/webhooks"
)

// The webhook API end to end: create (secret once), validation, a test event
// verified by the receiver, the delivery log, replay, pause, delete, and the
// permissions of each role.
func TestWebhookSubscriptionsAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := func() time.Time { return catalogClock() }
		srv, err := web.New(web.Config{DB: db, Logger: slog.New(slog.DiscardHandler), Now: now,
			Webhooks: webhooks.New(db, nil, nil, now, webhooks.Options{AllowPrivate: true})})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		client := func(role auth.Role) *apiClient {
			ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
			secret, _, err := auth.NewService(db, catalogClock).CreateToken(ctx, auth.NewToken{Name: "webhooks-" + string(role), Role: role})
			if err != nil {
				t.Fatal(err)
			}
			return &apiClient{t: t, base: ts.URL + web.APIPrefix, token: secret}
		}
		admin, ops, support := client(auth.Admin), client(auth.Operations), client(auth.Support)

		var mu sync.Mutex
		var secret string
		var verified []error
		status := http.StatusOK
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			err := webhooks.Verify(secret, r.Header.Get(webhooks.SignatureHeader), body, catalogClock(), webhooks.DefaultTolerance)
			verified = append(verified, err)
			if err != nil {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, "thanks")
		}))
		t.Cleanup(rcv.Close)

		ops.must(403, "POST", "/webhook-subscriptions", `{"url":"`+rcv.URL+`","events":["*"]}`)
		support.must(403, "GET", "/webhook-subscriptions", "")
		bad := admin.must(422, "POST", "/webhook-subscriptions", `{"url":"ftp://x","events":["order.nope"]}`)
		if !strings.Contains(bad.raw, `scheme \"ftp\"`) || !strings.Contains(bad.raw, `unknown event type \"order.nope\"`) {
			t.Errorf("problem document: %s", bad.raw)
		}
		created := admin.must(201, "POST", "/webhook-subscriptions", `{"url":"`+rcv.URL+`/hooks","events":["order.placed","order.shipped"],"description":"ERP"}`)
		id := created.str("id")
		secret = created.str("secret")
		if !strings.HasPrefix(secret, "whsec_") || created.str("active") != "true" {
			t.Fatalf("created: %s", created.raw)
		}
		got := ops.must(200, "GET", "/webhook-subscriptions/"+id, "")
		if got.str("secret") != "" || got.str("events") != `["order.placed","order.shipped"]` {
			t.Fatalf("get shows %s", got.raw)
		}
		if list := ops.must(200, "GET", "/webhook-subscriptions", ""); list.str("items.0.id") != id || list.str("items.0.secret") != "" {
			t.Fatalf("list: %s", list.raw)
		}

		// A test event reaches the receiver signed with the secret.
		d := admin.must(200, "POST", "/webhook-subscriptions/"+id+"/test", "")
		if d.str("event") != "webhook.test" || d.str("state") != "delivered" || d.str("log.0.kind") != "test" ||
			d.str("log.0.status") != "200" || d.str("log.0.response") != "thanks" {
			t.Fatalf("test delivery: %s", d.raw)
		}
		mu.Lock()
		if len(verified) != 1 || verified[0] != nil {
			t.Fatalf("receiver verification: %v", verified)
		}
		status = http.StatusInternalServerError
		mu.Unlock()

		// The log, then a replay that fails (not retried: it is a manual attempt).
		deliveries := ops.must(200, "GET", "/webhook-subscriptions/"+id+"/deliveries", "")
		did := deliveries.str("items.0.id")
		if deliveries.str("items.1.id") != "" || did != d.str("id") {
			t.Fatalf("deliveries: %s", deliveries.raw)
		}
		ops.must(403, "POST", "/webhook-subscriptions/"+id+"/deliveries/"+did+"/replay", "")
		a := admin.must(200, "POST", "/webhook-subscriptions/"+id+"/deliveries/"+did+"/replay", "")
		if a.str("kind") != "replay" || a.str("status") != "500" || a.str("outcome") != "failed" || a.str("number") != "2" {
			t.Fatalf("replay: %s", a.raw)
		}
		one := ops.must(200, "GET", "/webhook-subscriptions/"+id+"/deliveries/"+did, "")
		if one.str("attempts") != "2" || one.str("log.0.kind") != "replay" || one.str("log.1.kind") != "test" {
			t.Fatalf("delivery: %s", one.raw)
		}
		admin.must(404, "GET", "/webhook-subscriptions/"+id+"/deliveries/999999", "")

		if p := admin.must(200, "POST", "/webhook-subscriptions/"+id+"/pause", ""); p.str("active") != "false" {
			t.Fatalf("pause: %s", p.raw)
		}
		upd := admin.must(200, "PUT", "/webhook-subscriptions/"+id, `{"url":"`+rcv.URL+`/v2","events":["*"]}`)
		if upd.str("url") != rcv.URL+"/v2" || upd.str("events") != `["*"]` || upd.str("active") != "false" {
			t.Fatalf("update: %s", upd.raw)
		}
		admin.must(204, "DELETE", "/webhook-subscriptions/"+id, "")
		admin.must(404, "GET", "/webhook-subscriptions/"+id, "")
	})
}
