package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// BenchmarkAuthenticate compares the cost of authenticating a request
// (through the whole middleware chain, in-process, SQLite) with a bearer
// token and with a session cookie against an anonymous request to a public
// route as the baseline.
func BenchmarkAuthenticate(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	s, err := New(Config{DB: db, Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	secret, _, err := s.cfg.Auth.CreateToken(sysCtx, auth.NewToken{Name: "bench", Role: auth.Admin})
	if err != nil {
		b.Fatal(err)
	}
	u, err := s.cfg.Auth.CreateUser(sysCtx, auth.NewUser{Email: "bench@example.com", Name: "Bench", Role: auth.Admin, Password: "bench password"})
	if err != nil {
		b.Fatal(err)
	}
	cookie := sessionCookie(b, s, u.ID)
	for _, bc := range []struct {
		name, path string
		prepare    func(*http.Request)
	}{
		{"anonymous-healthz", "/healthz", func(*http.Request) {}},
		{"bearer-me", APIPrefix + "/me", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+secret) }},
		{"session-me", APIPrefix + "/me", func(r *http.Request) { r.AddCookie(cookie) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, bc.path, nil)
				bc.prepare(req)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", bc.path, rec.Code, rec.Body)
				}
			}
		})
	}
}
