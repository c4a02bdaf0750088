package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// thingsHandler is a stand-in API endpoint: it counts its runs and answers
// 201 with a Location and the body it read, or what fail says.
type thingsHandler struct {
	runs atomic.Int64
	// fail, if set, decides the status of the n-th run (1-based); 0 means 201.
	fail func(n int64) int
	// block, if set, is waited on before answering.
	block   chan struct{}
	started chan struct{}
}

func (h *thingsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := h.runs.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if h.started != nil {
		h.started <- struct{}{}
	}
	if h.block != nil {
		<-h.block
	}
	if h.fail != nil {
		if status := h.fail(n); status != 0 {
			writeProblem(w, r, status, "internal", "boom")
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Location", fmt.Sprintf("/api/v1/things/%d", n))
	w.Header().Set("X-Not-Replayed", "x")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"run":%d,"body":%q}`, n, body)
}

// newTestServer builds a real server on db with h mounted at
// POST /api/v1/things, served through the whole middleware chain.
func newTestServer(t *testing.T, db *store.DB, cfg Config, h http.Handler) (*Server, *httptest.Server) {
	t.Helper()
	cfg.DB = db
	if cfg.Logger == nil {
		cfg.Logger = discardLogger()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if h != nil {
		s.mux.Handle("POST "+APIPrefix+"/things", h)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

type response struct {
	status int
	header http.Header
	body   string
}

// post sends a POST; it reports failures with t.Errorf (not Fatal) so that
// it may run in several goroutines.
func post(t *testing.T, url, key, body string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Errorf("new request: %v", err)
		return response{}
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(IdempotencyKeyHeader, key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("POST %s: %v", url, err)
		return response{}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Errorf("read response: %v", err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

func problemCode(t *testing.T, body string) string {
	t.Helper()
	var p Problem
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("not a problem document: %v: %s", err, body)
	}
	return string(p.Code)
}

func TestIdempotencyReplaysFirstResponse(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		h := &thingsHandler{}
		_, ts := newTestServer(t, db, Config{}, h)
		url := ts.URL + APIPrefix + "/things"

		first := post(t, url, "key-1", `{"sku":"MUG-01"}`)
		if first.status != http.StatusCreated || first.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("first: %d replayed=%q %s", first.status, first.header.Get("Idempotent-Replayed"), first.body)
		}
		again := post(t, url, "key-1", `{"sku":"MUG-01"}`)
		if again.status != http.StatusCreated || again.body != first.body {
			t.Fatalf("replay: %d %s, want 201 %s", again.status, again.body, first.body)
		}
		for name, want := range map[string]string{
			"Idempotent-Replayed": "true",
			"Location":            first.header.Get("Location"),
			"Content-Type":        "application/json",
			"X-Not-Replayed":      "",
		} {
			if got := again.header.Get(name); got != want {
				t.Errorf("replayed %s = %q, want %q", name, got, want)
			}
		}
		if n := h.runs.Load(); n != 1 {
			t.Fatalf("handler ran %d times, want 1", n)
		}

		// A different body under the same key is refused, and does not run.
		other := post(t, url, "key-1", `{"sku":"MUG-02"}`)
		if other.status != http.StatusUnprocessableEntity || problemCode(t, other.body) != "invalid" ||
			!strings.Contains(other.body, "different request") {
			t.Fatalf("other body: %d %s, want 422 invalid", other.status, other.body)
		}
		// Another key, and no key at all, run the request.
		if r := post(t, url, "key-2", `{"sku":"MUG-01"}`); r.status != http.StatusCreated || r.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("new key: %d %v", r.status, r.header)
		}
		post(t, url, "", `{"sku":"MUG-01"}`)
		post(t, url, "", `{"sku":"MUG-01"}`)
		if n := h.runs.Load(); n != 4 {
			t.Fatalf("handler ran %d times, want 4", n)
		}
	})
}

func TestIdempotencyKeyValidation(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := &thingsHandler{}
		_, ts := newTestServer(t, db, Config{}, h)
		url := ts.URL + APIPrefix + "/things"
		tests := []struct {
			name   string
			keys   []string
			status int
		}{
			{"empty", []string{""}, http.StatusUnprocessableEntity},
			{"256 characters", []string{strings.Repeat("k", 256)}, http.StatusUnprocessableEntity},
			{"two values", []string{"a", "b"}, http.StatusUnprocessableEntity},
			{"1 character", []string{"k"}, http.StatusCreated},
			{"255 characters", []string{strings.Repeat("k", 255)}, http.StatusCreated},
		}
		for _, tt := range tests {
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
			req.Header[IdempotencyKeyHeader] = tt.keys
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Errorf("%s: status %d, want %d: %s", tt.name, res.StatusCode, tt.status, b)
			}
			if tt.status == http.StatusUnprocessableEntity && problemCode(t, string(b)) != "invalid" {
				t.Errorf("%s: %s, want code invalid", tt.name, b)
			}
		}
		if n := h.runs.Load(); n != 2 {
			t.Fatalf("handler ran %d times, want 2 (only the valid keys)", n)
		}
	})
}

func TestIdempotencyServerErrorsAreNotStored(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := &thingsHandler{fail: func(n int64) int {
			if n == 1 {
				return http.StatusInternalServerError
			}
			return 0
		}}
		_, ts := newTestServer(t, db, Config{}, h)
		url := ts.URL + APIPrefix + "/things"
		if r := post(t, url, "k", `{}`); r.status != http.StatusInternalServerError {
			t.Fatalf("first: %d, want 500", r.status)
		}
		r := post(t, url, "k", `{}`)
		if r.status != http.StatusCreated || r.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("retry after 500: %d replayed=%q, want a fresh 201", r.status, r.header.Get("Idempotent-Replayed"))
		}
		if r := post(t, url, "k", `{}`); r.status != http.StatusCreated || r.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("third: %d, want the replayed 201", r.status)
		}
		if n := h.runs.Load(); n != 2 {
			t.Fatalf("handler ran %d times, want 2", n)
		}
	})
}

func TestIdempotencyConflictWhileRunning(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		h := &thingsHandler{block: make(chan struct{}), started: make(chan struct{}, 1)}
		_, ts := newTestServer(t, db, Config{}, h)
		url := ts.URL + APIPrefix + "/things"

		first := make(chan response, 1)
		go func() { first <- post(t, url, "slow", `{}`) }()
		<-h.started
		r := post(t, url, "slow", `{}`)
		if r.status != http.StatusConflict || problemCode(t, r.body) != "conflict" || r.header.Get("Retry-After") == "" {
			t.Fatalf("while running: %d %s, want 409 conflict with Retry-After", r.status, r.body)
		}
		close(h.block)
		if r := <-first; r.status != http.StatusCreated {
			t.Fatalf("first: %d", r.status)
		}
		if r := post(t, url, "slow", `{}`); r.status != http.StatusCreated || r.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("after: %d, want replay", r.status)
		}
	})
}

func TestIdempotencyKeysAreScopedPerCaller(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := &thingsHandler{}
		s, _ := newTestServer(t, db, Config{}, nil)
		chain := s.idempotency(h)
		callers := []*auth.Principal{
			nil,
			{Kind: auth.KindToken, ID: 1, Name: "shop", Role: auth.Admin},
			{Kind: auth.KindStaff, ID: 1, Name: "ana@example.com", Role: auth.Operations},
		}
		for round := range 2 {
			for i, p := range callers {
				req := httptest.NewRequest(http.MethodPost, APIPrefix+"/things", strings.NewReader(`{}`))
				req.Header.Set(IdempotencyKeyHeader, "same-key")
				req = req.WithContext(auth.WithPrincipal(req.Context(), p))
				rec := httptest.NewRecorder()
				chain.ServeHTTP(rec, req)
				replayed := rec.Header().Get("Idempotent-Replayed") == "true"
				if rec.Code != http.StatusCreated || replayed != (round == 1) {
					t.Fatalf("round %d caller %d: %d replayed=%v", round, i, rec.Code, replayed)
				}
			}
		}
		if n := h.runs.Load(); n != int64(len(callers)) {
			t.Fatalf("handler ran %d times, want once per caller (%d)", n, len(callers))
		}
	})
}

// TestIdempotencyAcrossInstances races many requests with one key against two
// servers, each with its own connection pool on one database, as two
// instances of Orderly would be: the request runs exactly once.
func TestIdempotencyAcrossInstances(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn := storetest.DSN(t, engine)
			var urls []string
			h := &thingsHandler{}
			for i := range 2 {
				db, err := store.Open(ctx, dsn, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if err := db.Migrate(ctx, nil); err != nil {
					t.Fatalf("migrate instance %d: %v", i, err)
				}
				_, ts := newTestServer(t, db, Config{}, h)
				urls = append(urls, ts.URL+APIPrefix+"/things")
			}
			const n = 16
			var wg sync.WaitGroup
			results := make(chan response, n)
			for i := range n {
				wg.Go(func() { results <- post(t, urls[i%2], "race", `{"x":1}`) })
			}
			wg.Wait()
			close(results)
			var created, conflicts int
			for r := range results {
				switch {
				case r.status == http.StatusCreated:
					created++
				case r.status == http.StatusConflict:
					conflicts++
				default:
					t.Errorf("unexpected answer %d %s", r.status, r.body)
				}
			}
			if got := h.runs.Load(); got != 1 {
				t.Fatalf("handler ran %d times across instances, want 1 (%d created, %d conflicts)", got, created, conflicts)
			}
			// Once settled, both instances replay the one response.
			deadline := time.Now().Add(10 * time.Second)
			for _, u := range urls {
				for {
					r := post(t, u, "race", `{"x":1}`)
					if r.status == http.StatusCreated && r.header.Get("Idempotent-Replayed") == "true" {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("no replay from %s: %d", u, r.status)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
}

func TestOpenAPIDocumentsIdempotencyKeyOnPosts(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	s, _ := newTestServer(t, db, Config{}, nil)
	posts := 0
	for path, item := range s.API().OpenAPI().Paths {
		if item.Post == nil {
			continue
		}
		posts++
		found := false
		for _, p := range item.Post.Parameters {
			found = found || (p.Name == IdempotencyKeyHeader && p.In == "header")
		}
		if !found {
			t.Errorf("POST %s does not document %s", path, IdempotencyKeyHeader)
		}
	}
	if posts == 0 {
		t.Skip("no POST operations registered yet")
	}
}
