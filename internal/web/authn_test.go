package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

var sysCtx = auth.WithPrincipal(context.Background(), auth.System("test"))

// authTestServer is a real server with small test endpoints mounted beside
// the real routes, to drive logIn and logOut the way the console does.
func authTestServer(t *testing.T, db *store.DB, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	cfg.DB = db
	cfg.Logger = discardLogger()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.mux.HandleFunc("GET /test/touch", func(w http.ResponseWriter, r *http.Request) {
		s.sessions.Put(r.Context(), "seen", true) // starts an anonymous session
	})
	s.mux.HandleFunc("POST /test/login", func(w http.ResponseWriter, r *http.Request) {
		_, err := s.logIn(w, r, r.PostFormValue("email"), r.PostFormValue("password"))
		var ae *apperr.Error
		switch {
		case errors.As(err, &ae):
			w.WriteHeader(statusOf[ae.Code])
		case err != nil:
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	s.mux.HandleFunc("POST /test/logout", func(w http.ResponseWriter, r *http.Request) {
		if err := s.logOut(w, r); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	s.mux.HandleFunc("GET /test/whoami", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, auth.FromContext(r.Context()).Actor())
	})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

// send makes a request with an optional session cookie, bearer token and
// body (form-encoded if it is url.Values, JSON otherwise).
func send(t *testing.T, method, u string, cookie *http.Cookie, token string, body any) response {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, ct = strings.NewReader(string(j)), "application/json"
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

// sessionCookieOf returns the session cookie a response set, or nil.
func sessionCookieOf(r response) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == SessionCookieName {
			return c
		}
	}
	return nil
}

func TestLoginRotatesSessionAndLogoutEndsIt(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, ts := authTestServer(t, db, Config{})
		u, err := s.cfg.Auth.CreateUser(sysCtx, auth.NewUser{Email: "ana@example.com", Name: "Ana", Role: auth.Support, Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		creds := url.Values{"email": {"Ana@Example.com"}, "password": {"correct horse battery"}}

		before := sessionCookieOf(send(t, "GET", ts.URL+"/test/touch", nil, "", nil))
		if before == nil {
			t.Fatal("no anonymous session cookie")
		}
		bad := send(t, "POST", ts.URL+"/test/login", before, "", url.Values{"email": {"ana@example.com"}, "password": {"wrong password"}})
		if bad.status != http.StatusUnauthorized {
			t.Fatalf("bad password: %d", bad.status)
		}
		res := send(t, "POST", ts.URL+"/test/login", before, "", creds)
		after := sessionCookieOf(res)
		if res.status != http.StatusOK || after == nil {
			t.Fatalf("login: %d, cookie %v", res.status, after)
		}
		if after.Value == before.Value {
			t.Fatal("session token was not renewed at login")
		}
		if !after.HttpOnly || after.SameSite != http.SameSiteLaxMode || after.Secure || after.Path != "/" {
			t.Fatalf("cookie attributes: %s", after.String())
		}
		whoami := func(c *http.Cookie) string { return send(t, "GET", ts.URL+"/test/whoami", c, "", nil).body }
		if got := whoami(before); got != "anonymous" {
			t.Fatalf("the pre-login session still works: %q", got)
		}
		if got, want := whoami(after), fmt.Sprintf("staff:%d ana@example.com", u.ID); got != want {
			t.Fatalf("whoami = %q, want %q", got, want)
		}

		// Disabling the user ends the session at once.
		yes, no := true, false
		if _, err := s.cfg.Auth.UpdateUser(sysCtx, u.ID, auth.UserUpdate{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		if got := whoami(after); got != "anonymous" {
			t.Fatalf("disabled user's session still works: %q", got)
		}
		if _, err := s.cfg.Auth.UpdateUser(sysCtx, u.ID, auth.UserUpdate{Disabled: &no}); err != nil {
			t.Fatal(err)
		}
		if got := whoami(after); got != "anonymous" {
			t.Fatalf("re-enabling revived an old session: %q", got)
		}

		// Log in again, then log out: the session is deleted and the cookie cleared.
		c := sessionCookieOf(send(t, "POST", ts.URL+"/test/login", nil, "", creds))
		if whoami(c) == "anonymous" {
			t.Fatal("second login did not work")
		}
		out := send(t, "POST", ts.URL+"/test/logout", c, "", nil)
		if cleared := sessionCookieOf(out); out.status != http.StatusOK || cleared == nil || cleared.MaxAge >= 0 {
			t.Fatalf("logout: %d, cookie %v", out.status, cleared)
		}
		if got := whoami(c); got != "anonymous" {
			t.Fatalf("session works after logout: %q", got)
		}
		var events []string
		entries, _ := s.cfg.Auth.ListAudit(context.Background(), auth.AuditFilter{})
		for _, e := range entries {
			events = append(events, e.Event+"@"+e.IP)
		}
		want := "logout@127.0.0.1,login@127.0.0.1,user.enabled@,user.disabled@,login@127.0.0.1,login.failed@127.0.0.1,user.created@"
		if got := strings.Join(events, ","); got != want {
			t.Fatalf("audit:\n%s\nwant\n%s", got, want)
		}
	})
}

func TestSecureCookies(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		_, ts := authTestServer(t, db, Config{SecureCookies: true})
		c := sessionCookieOf(send(t, "GET", ts.URL+"/test/touch", nil, "", nil))
		if c == nil || !c.Secure || !c.HttpOnly {
			t.Fatalf("cookie %v, want Secure and HttpOnly", c)
		}
	})
}

func TestLoginThrottledOverHTTP(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		s, ts := authTestServer(t, db, Config{Now: func() time.Time { return now }})
		if _, err := s.cfg.Auth.CreateUser(sysCtx, auth.NewUser{Email: "ana@example.com", Name: "Ana", Role: auth.Support, Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < auth.DefaultThrottle.PerAccount; i++ {
			res := send(t, "POST", ts.URL+"/test/login", nil, "", url.Values{"email": {"ana@example.com"}, "password": {"guess number " + fmt.Sprint(i)}})
			if res.status != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d", i, res.status)
			}
		}
		res := send(t, "POST", ts.URL+"/test/login", nil, "", url.Values{"email": {"ana@example.com"}, "password": {"correct horse battery"}})
		if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "900" {
			t.Fatalf("throttled login: %d, Retry-After %q; want 429, 900", res.status, res.header.Get("Retry-After"))
		}
		if sessionCookieOf(res) != nil {
			t.Fatal("a throttled login started a session")
		}
	})
}

func TestBearerTokens(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, ts := authTestServer(t, db, Config{})
		secret, tok, err := s.cfg.Auth.CreateToken(sysCtx, auth.NewToken{Name: "ci", Role: auth.Finance})
		if err != nil {
			t.Fatal(err)
		}
		me := send(t, "GET", ts.URL+"/api/v1/me", nil, secret, nil)
		var body meBody
		if err := json.Unmarshal([]byte(me.body), &body); err != nil || me.status != 200 {
			t.Fatalf("me: %d %s", me.status, me.body)
		}
		if body.Kind != auth.KindToken || body.Role != auth.Finance || body.ID != tok.ID ||
			!slices.Equal(body.Permissions, []auth.Permission{auth.CatalogRead, auth.SuppliersRead, auth.StockRead, auth.OrdersRead, auth.CustomersRead,
				auth.PricingRead, auth.PricingWrite, auth.PurchasingRead, auth.RoutingRead, auth.CouponsRead, auth.RefundsRead, auth.RefundsWrite}) {
			t.Fatalf("me = %+v", body)
		}
		// A bearer token works on console routes too.
		if got := send(t, "GET", ts.URL+"/test/whoami", nil, secret, nil).body; got != fmt.Sprintf("token:%d ci", tok.ID) {
			t.Fatalf("whoami with token = %q", got)
		}

		for name, header := range map[string]string{
			"unknown token": "Bearer oy_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			"not a token":   "Bearer hello",
			"basic auth":    "Basic YWRtaW46YWRtaW4=",
			"empty bearer":  "Bearer ",
		} {
			req, _ := http.NewRequest("GET", ts.URL+"/api/v1/me", nil)
			req.Header.Set("Authorization", header)
			res := do(t, req)
			if res.status != http.StatusUnauthorized || problemCode(t, res.body) != "unauthenticated" || res.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		if res := send(t, "GET", ts.URL+"/api/v1/me", nil, "", nil); res.status != http.StatusUnauthorized {
			t.Fatalf("anonymous me: %d", res.status)
		}

		if _, err := s.cfg.Auth.RevokeToken(sysCtx, tok.ID); err != nil {
			t.Fatal(err)
		}
		res := send(t, "GET", ts.URL+"/api/v1/me", nil, secret, nil)
		if res.status != http.StatusUnauthorized || !strings.Contains(res.body, "revoked") {
			t.Fatalf("revoked token: %d %s", res.status, res.body)
		}
	})
}

// TestSessionIdleTimeout: a session ends after SessionIdleTimeout without a
// request, and each request (saved at most once a minute) keeps it alive.
func TestSessionIdleTimeout(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		var mu sync.Mutex
		now := time.Now().UTC()
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		s, ts := authTestServer(t, db, Config{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
		if _, err := s.cfg.Auth.CreateUser(sysCtx, auth.NewUser{Email: "ana@example.com", Name: "Ana", Role: auth.Support, Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
		c := sessionCookieOf(send(t, "POST", ts.URL+"/test/login", nil, "", url.Values{"email": {"ana@example.com"}, "password": {"correct horse battery"}}))
		whoami := func() response { return send(t, "GET", ts.URL+"/test/whoami", c, "", nil) }

		advance(30 * time.Second)
		if r := whoami(); r.body == "anonymous" || sessionCookieOf(r) != nil {
			t.Fatalf("within a minute: %q, cookie %v; want logged in, no session write", r.body, sessionCookieOf(r))
		}
		for range 3 { // 3 x 1h50m: alive because each request moves the idle deadline
			advance(110 * time.Minute)
			if r := whoami(); r.body == "anonymous" || sessionCookieOf(r) == nil {
				t.Fatalf("after 1h50m idle: %q, cookie %v; want logged in and the session saved", r.body, sessionCookieOf(r))
			}
		}
		advance(SessionIdleTimeout + time.Second)
		if r := whoami(); r.body != "anonymous" {
			t.Fatalf("after the idle timeout: %q", r.body)
		}
	})
}

// TestSessionsAcrossInstances: a session started on one server works on
// another server on the same database, and logging out on the second ends it
// on the first.
func TestSessionsAcrossInstances(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s1, ts1 := authTestServer(t, db, Config{})
		_, ts2 := authTestServer(t, db, Config{})
		if _, err := s1.cfg.Auth.CreateUser(sysCtx, auth.NewUser{Email: "ana@example.com", Name: "Ana", Role: auth.Support, Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
		c := sessionCookieOf(send(t, "POST", ts1.URL+"/test/login", nil, "", url.Values{"email": {"ana@example.com"}, "password": {"correct horse battery"}}))
		if got := send(t, "GET", ts2.URL+"/test/whoami", c, "", nil).body; got != "staff:1 ana@example.com" {
			t.Fatalf("second instance sees %q", got)
		}
		send(t, "POST", ts2.URL+"/test/logout", c, "", nil)
		if got := send(t, "GET", ts1.URL+"/test/whoami", c, "", nil).body; got != "anonymous" {
			t.Fatalf("first instance after logout on the second: %q", got)
		}
	})
}
