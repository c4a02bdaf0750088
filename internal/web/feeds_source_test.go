package web_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/web"
)

// newFeedPullAPI is an API whose feed service may pull from the loopback
// test servers.
func newFeedPullAPI(t *testing.T, db *store.DB, role auth.Role) *orderAPI {
	t.Helper()
	fx := orderstest.New(t, db, orders.Options{})
	fs, err := feeds.New(db, fx.Inventory, nil, fx.Orders, nil, fx.Clock.Now, feeds.Options{PullAllowPrivate: true, PullAttempts: 1, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{DB: db, Logger: slog.New(slog.DiscardHandler), Now: fx.Clock.Now,
		Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders, Feeds: fs})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	a := &orderAPI{fx: fx, srv: srv, apiClient: &apiClient{t: t, base: ts.URL + web.APIPrefix}}
	a.token, a.actor = orderToken(t, db, fx, role, "feeds-"+string(role))
	return a
}

func TestFeedSourceAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newFeedPullAPI(t, db, auth.Operations)
		a.fx.AddSKU("PULL-1", 10)
		sup := a.fx.Supplier
		feedPath := fmt.Sprintf("/suppliers/%d/feed", sup)
		var auths []string
		supplier := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			auths = append(auths, r.Header.Get("Authorization"))
			if r.Header.Get("If-None-Match") == `"a1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"a1"`)
			fmt.Fprint(w, "Code,Stock\nSUP-1,42\n")
		}))
		defer supplier.Close()

		a.must(404, "GET", feedPath+"/source", "")
		a.must(404, "POST", feedPath+"/pull", "")
		a.must(200, "PUT", feedPath, `{"mapping":{"sku":"Code","quantity":"Stock"}}`)
		src := a.must(200, "PUT", feedPath+"/source", `{"url":"`+supplier.URL+`/stock.csv","every":"1h","timeout":"5s",
			"auth":{"username":"ana","password":"pw"}}`)
		if src.str("every") != "1h" || src.str("timeout") != "5s" || src.str("auth_set") != "true" || src.str("auth_header") != "Authorization" ||
			src.str("next_pull_at") == "" || src.str("url") != supplier.URL+"/stock.csv" {
			t.Fatalf("set source: %s", src.raw)
		}
		if g := a.must(200, "GET", feedPath, ""); g.str("source.url") != supplier.URL+"/stock.csv" || g.str("source.auth_set") != "true" {
			t.Errorf("settings with the source: %s", g.raw)
		}
		p := a.must(200, "POST", feedPath+"/pull", "")
		if p.str("source.last_status") != "fetched" || p.str("run.status") != "applied" || p.str("run.source") != "url" ||
			p.str("run.filename") != "stock.csv" || p.str("source.etag") != `"a1"` || p.str("run.actor") != a.actor {
			t.Fatalf("pull: %s", p.raw)
		}
		if s := a.must(200, "GET", "/stock/skus/PULL-1", ""); s.str("ats") != "42" {
			t.Errorf("ATS after the pull: %s", s.raw)
		}
		if auths[0] != "Basic YW5hOnB3" {
			t.Errorf("basic auth sent: %q", auths[0])
		}
		p = a.must(200, "POST", feedPath+"/pull", "")
		if p.str("source.last_status") != "not_modified" || p.str("run") != "" || p.str("source.last_http_status") != "304" {
			t.Fatalf("second pull: %s", p.raw)
		}
		if g := a.must(200, "GET", feedPath+"/source", ""); g.str("last_status") != "not_modified" || g.str("pulling") != "false" ||
			g.str("last_run_id") != p.str("source.last_run_id") || g.str("last_pull_at") == "" {
			t.Errorf("source after the pulls: %s", g.raw)
		}
		// The secret never comes back.
		if g := a.must(200, "GET", feedPath+"/source", ""); g.str("auth.password") != "" || g.str("auth_value") != "" {
			t.Errorf("credential shown: %s", g.raw)
		}
		a.checkProblems([]problemCase{
			{"ftp", "PUT", feedPath + "/source", `{"url":"ftp://s.example/stock.csv"}`, 422, "invalid", "url", `got scheme "ftp"`},
			{"bad every", "PUT", feedPath + "/source", `{"url":"https://s.example/x","every":"hourly"}`, 422, "invalid", "body.every", "a duration such as 1h"},
			{"too often", "PUT", feedPath + "/source", `{"url":"https://s.example/x","every":"10s"}`, 422, "invalid", "every", "between 1m and 168h"},
			{"credential to another host", "PUT", feedPath + "/source", `{"url":"https://other.example/x"}`, 422, "invalid", "auth", "another host"},
			{"unknown supplier", "PUT", "/suppliers/999/feed/source", `{"url":"https://s.example/x"}`, 404, "not_found", "", ""},
		})
		ro := a.as(auth.ReadOnly)
		ro.must(200, "GET", feedPath+"/source", "")
		ro.must(403, "POST", feedPath+"/pull", "")
		ro.must(403, "PUT", feedPath+"/source", `{"url":"https://s.example/x"}`)
		a.must(204, "DELETE", feedPath+"/source", "")
		a.must(404, "GET", feedPath+"/source", "")
	})
}
