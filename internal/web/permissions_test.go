package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// matrixServer builds the real server on db. New makes every domain service
// that Config leaves nil on DB, as `orderly serve` would wire it.
func matrixServer(t *testing.T, db *store.DB) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(Config{DB: db, Logger: discardLogger(), ShopifyWebhookSecret: "matrix secret", TrackingWebhookSecret: "matrix secret"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

// matrixCaller is one kind of caller in the permission matrix. credential
// adds a fresh credential to a request (fresh, so that routes such as
// "revoke token" or "log out" cannot spoil the callers that follow).
type matrixCaller struct {
	name       string
	principal  *auth.Principal // nil for anonymous
	credential func(t *testing.T, req *http.Request)
}

// matrixCallers returns anonymous, an API token per staff role, a staff user
// with a console session, and a supplier user with a console session.
func matrixCallers(t *testing.T, s *Server, db *store.DB) []matrixCaller {
	t.Helper()
	sys := auth.WithPrincipal(context.Background(), auth.System("test"))
	// Routes are called with id 1 for every path parameter. Make the objects
	// with id 1 ones that every allowed caller may act on and that no caller
	// depends on: a support user, a read-only token, a spare supplier.
	if _, err := s.cfg.Auth.CreateUser(sys, auth.NewUser{Email: "placeholder@example.com", Name: "Placeholder", Role: auth.Support, Password: "matrix password"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.cfg.Auth.CreateToken(sys, auth.NewToken{Name: "placeholder", Role: auth.ReadOnly}); err != nil {
		t.Fatal(err)
	}
	insertSupplier(t, db, "Placeholder Supplier")
	callers := []matrixCaller{{name: "anonymous", credential: func(*testing.T, *http.Request) {}}}
	for _, role := range auth.StaffRoles {
		callers = append(callers, matrixCaller{
			name:      "token/" + string(role),
			principal: &auth.Principal{Kind: auth.KindToken, Role: role},
			credential: func(t *testing.T, req *http.Request) {
				secret, _, err := s.cfg.Auth.CreateToken(sys, auth.NewToken{Name: "matrix", Role: role})
				if err != nil {
					t.Fatalf("create %s token: %v", role, err)
				}
				req.Header.Set("Authorization", "Bearer "+secret)
			},
		})
	}
	staff, err := s.cfg.Auth.CreateUser(sys, auth.NewUser{Email: "ops@example.com", Name: "Ops", Role: auth.Operations, Password: "matrix password"})
	if err != nil {
		t.Fatal(err)
	}
	supplierID := insertSupplier(t, db, "Matrix Supplier")
	supplier, err := s.cfg.Auth.CreateUser(sys, auth.NewUser{Email: "supplier@example.com", Name: "Sup", Role: auth.Supplier, SupplierID: supplierID, Password: "matrix password"})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []*auth.User{staff, supplier} {
		callers = append(callers, matrixCaller{
			name:      "session/" + string(u.Role),
			principal: u.Principal(),
			credential: func(t *testing.T, req *http.Request) {
				req.AddCookie(sessionCookie(t, s, u.ID))
			},
		})
	}
	return callers
}

// sessionCookie starts a console session for userID, as logIn does after
// checking the password, and returns its cookie.
func sessionCookie(t testing.TB, s *Server, userID int64) *http.Cookie {
	t.Helper()
	ctx, err := s.sessions.Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	now := s.now().UTC().Truncate(time.Microsecond).UnixMicro()
	s.sessions.Put(ctx, sessionUserKey, userID)
	s.sessions.Put(ctx, sessionLoginAtKey, now)
	s.sessions.Put(ctx, sessionSeenAtKey, now)
	token, _, err := s.sessions.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: SessionCookieName, Value: token}
}

func insertSupplier(t *testing.T, db *store.DB, name string) int64 {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	var id int64
	err := db.W.QueryRow(`INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
		VALUES ($1, 'Europe/Lisbon', 'PT', 'active', $2, $2) RETURNING id`, name, now).Scan(&id)
	if err != nil {
		t.Fatalf("insert supplier: %v", err)
	}
	return id
}

var pathParam = regexp.MustCompile(`\{[^$}][^}]*\}`)

// TestPermissionMatrix walks every route of the real server with every kind
// of caller and checks the class of each answer against the permission table:
// anonymous gets 401 (API) or a redirect to /login (console) unless the route
// is Public; a caller without the permission gets 403; a caller with it gets
// neither (404 or 422 for the placeholder ids and empty bodies is fine).
func TestPermissionMatrix(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, ts := matrixServer(t, db)
		routes := s.Routes()
		if len(routes) < 10 {
			t.Fatalf("only %d routes: is the server fully registered?", len(routes))
		}
		checkRouteTable(t, s, routes)
		callers := matrixCallers(t, s, db)
		classes := map[string]int{}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

		for _, rt := range routes {
			method := rt.Method
			if method == "" {
				method = http.MethodGet
			}
			path := strings.ReplaceAll(pathParam.ReplaceAllString(rt.Path, "1"), "{$}", "")
			for _, c := range callers {
				var body *strings.Reader
				if method != http.MethodGet && method != http.MethodHead && method != http.MethodDelete {
					body = strings.NewReader("{}")
				} else {
					body = strings.NewReader("")
				}
				req, err := http.NewRequest(method, ts.URL+path, body)
				if err != nil {
					t.Fatal(err)
				}
				if body.Len() > 0 {
					req.Header.Set("Content-Type", "application/json")
				}
				c.credential(t, req)
				res, err := client.Do(req)
				if err != nil {
					t.Fatalf("%s %s as %s: %v", method, path, c.name, err)
				}
				res.Body.Close()
				got, loc := res.StatusCode, res.Header.Get("Location")
				// requirePage's redirect always says where to return to, which
				// tells it apart from a page that redirects to /login itself
				// (log out).
				toLogin := (got == http.StatusSeeOther || got == http.StatusFound) && strings.HasPrefix(loc, "/login?next=")
				where := method + " " + rt.Path + " (" + string(rt.Permission) + ") as " + c.name

				allowed := rt.Permission == auth.Public || (c.principal != nil && c.principal.Can(rt.Permission))
				classes[map[bool]string{true: "allowed", false: "denied"}[allowed]+"/"+http.StatusText(got)]++
				// Storefront and tracking webhooks are public routes
				// authenticated by a signature of the body: without one,
				// everyone gets 401.
				webhook := strings.HasPrefix(rt.Path, WebhooksPrefix) || rt.Path == APIPrefix+TrackingEventsPath
				// The customer's order page is public and authorised by
				// its signed link: a made-up link is 403 for everyone.
				orderPage := strings.HasPrefix(rt.Path, "/o/")
				switch {
				case webhook && got != http.StatusUnauthorized:
					t.Errorf("%s: got %d, want 401 for an unsigned webhook", where, got)
				case webhook:
				case orderPage && got != http.StatusForbidden:
					t.Errorf("%s: got %d, want 403 for a link that is not signed", where, got)
				case orderPage:
				case allowed && (got == http.StatusUnauthorized || got == http.StatusForbidden || toLogin):
					t.Errorf("%s: got %d %s, want it allowed", where, got, loc)
				case allowed && got >= 500:
					t.Errorf("%s: got %d, a server error", where, got)
				case !allowed && c.principal == nil && !rt.Console && got != http.StatusUnauthorized:
					t.Errorf("%s: got %d, want 401", where, got)
				case !allowed && c.principal == nil && rt.Console && !toLogin:
					t.Errorf("%s: got %d %q, want a redirect to /login", where, got, loc)
				case !allowed && c.principal != nil && got != http.StatusForbidden:
					t.Errorf("%s: got %d, want 403", where, got)
				}
			}
		}
		t.Logf("%d routes x %d callers: %v", len(routes), len(callers), classes)
		hasConsole := slices.ContainsFunc(routes, func(r Route) bool { return r.Console && r.Permission != auth.Public })
		for _, class := range []string{"denied/Unauthorized", "denied/See Other", "denied/Forbidden", "allowed/OK"} {
			if classes[class] == 0 && (class != "denied/See Other" || hasConsole) {
				t.Errorf("no answer of class %s: the matrix is not exercising the permission checks", class)
			}
		}
	})
}

// checkRouteTable fails for a route without a known permission, and for an
// API operation that was registered around the route table.
func checkRouteTable(t *testing.T, s *Server, routes []Route) {
	t.Helper()
	known := append([]auth.Permission{auth.Public, auth.Authenticated}, auth.Permissions()...)
	seen := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		if !slices.Contains(known, rt.Permission) {
			t.Errorf("route %s has permission %q, not one of the table's", key, rt.Permission)
		}
		if seen[key] {
			t.Errorf("route %s is registered twice", key)
		}
		seen[key] = true
	}
	for path, item := range s.API().OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if op == nil {
				continue
			}
			if _, ok := op.Metadata["permission"].(auth.Permission); !ok || !seen[op.Method+" "+APIPrefix+path] {
				t.Errorf("API operation %s %s was registered without a permission; use operation()", op.Method, path)
			}
		}
	}
}
