package web

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
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

// unsized hides a body's length so the client sends it chunked.
type unsized struct{ io.Reader }

func TestBodySizeLimit(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	h := &thingsHandler{}
	_, ts := newTestServer(t, db, Config{MaxBodyBytes: 64}, h)
	url := ts.URL + APIPrefix + "/things"
	big := strings.Repeat("x", 65)
	tests := []struct {
		name   string
		body   io.Reader
		key    string
		status int
	}{
		{"at the limit", strings.NewReader(strings.Repeat("x", 64)), "", http.StatusCreated},
		{"declared length over the limit", strings.NewReader(big), "", http.StatusRequestEntityTooLarge},
		{"chunked over the limit, idempotent", unsized{strings.NewReader(big)}, "k1", http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, url, tt.body)
			if tt.key != "" {
				req.Header.Set(IdempotencyKeyHeader, tt.key)
			}
			r := do(t, req)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.status == http.StatusRequestEntityTooLarge {
				if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type %q", ct)
				}
				if code := problemCode(t, r.body); code != string(TooLarge) || !strings.Contains(r.body, "64 bytes") {
					t.Errorf("problem %s, want code too_large naming the limit", r.body)
				}
			}
		})
	}
	if n := h.runs.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
}

func TestRecoverTurnsPanicInto500(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	_, ts := newTestServer(t, db, Config{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("handler bug")
	}))
	req, _ := http.NewRequest(http.MethodPost, ts.URL+APIPrefix+"/things", strings.NewReader("{}"))
	r := do(t, req)
	if r.status != http.StatusInternalServerError || problemCode(t, r.body) != "internal" || strings.Contains(r.body, "handler bug") {
		t.Fatalf("panic answered %d %s, want a 500 problem without the panic text", r.status, r.body)
	}
	// The server keeps serving.
	req, _ = http.NewRequest(http.MethodGet, ts.URL+"/healthz", nil)
	if r := do(t, req); r.status != http.StatusOK {
		t.Fatalf("after panic /healthz = %d", r.status)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	_, ts := newTestServer(t, db, Config{}, nil)
	tests := []struct {
		sent string
		keep bool
	}{
		{"", false},
		{"lb-4f2a.9", true},
		{"bad id with spaces", false},
		{strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/healthz", nil)
		if tt.sent != "" {
			req.Header.Set("X-Request-Id", tt.sent)
		}
		got := do(t, req).header.Get("X-Request-Id")
		if got == "" || (got == tt.sent) != tt.keep {
			t.Errorf("sent %q, got X-Request-Id %q (keep=%v)", tt.sent, got, tt.keep)
		}
	}
}

func TestCrossOriginStateChangesAreRefused(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	h := &thingsHandler{}
	_, ts := newTestServer(t, db, Config{}, h)
	url := ts.URL + APIPrefix + "/things"
	tests := []struct {
		name    string
		method  string
		headers map[string]string
		status  int
	}{
		{"API client without browser headers", http.MethodPost, nil, http.StatusCreated},
		{"same-origin browser form", http.MethodPost, map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusCreated},
		{"cross-site browser form", http.MethodPost, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"foreign Origin without Sec-Fetch-Site", http.MethodPost, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"cross-site GET is safe", http.MethodGet, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusOK},
	}
	for _, tt := range tests {
		target := url
		if tt.method == http.MethodGet {
			target = ts.URL + "/healthz"
		}
		req, _ := http.NewRequest(tt.method, target, strings.NewReader("{}"))
		for k, v := range tt.headers {
			req.Header.Set(k, v)
		}
		r := do(t, req)
		if r.status != tt.status {
			t.Errorf("%s: %d, want %d: %s", tt.name, r.status, tt.status, r.body)
		}
		if r.status == http.StatusForbidden && problemCode(t, r.body) != "forbidden" {
			t.Errorf("%s: %s, want a forbidden problem", tt.name, r.body)
		}
	}
	if n := h.runs.Load(); n != 2 {
		t.Fatalf("handler ran %d times, want 2", n)
	}
}

// BenchmarkMiddleware measures what the middleware chain adds to a request:
// "bare" serves a trivial handler directly, "chain" through every layer.
// Compare the two in the same run; the difference is the overhead.
func BenchmarkMiddleware(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	s, err := New(Config{DB: db, Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	})
	s.mux.Handle("GET "+APIPrefix+"/things/{id}", ok)
	s.mux.Handle("POST "+APIPrefix+"/things", ok)
	run := func(b *testing.B, h http.Handler, method string, idem bool) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			var req *http.Request
			if method == http.MethodGet {
				req = httptest.NewRequest(http.MethodGet, APIPrefix+"/things/42", nil)
			} else {
				req = httptest.NewRequest(http.MethodPost, APIPrefix+"/things", strings.NewReader(`{"sku":"MUG-01"}`))
				if idem {
					req.Header.Set(IdempotencyKeyHeader, "bench-"+strconv.Itoa(i))
				}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, ok, http.MethodGet, false) })
	b.Run("chain", func(b *testing.B) { run(b, s.Handler(), http.MethodGet, false) })
	b.Run("chain-post-idempotency-key", func(b *testing.B) { run(b, s.Handler(), http.MethodPost, true) })
}

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	_, ts := newTestServer(t, db, Config{Logger: logger}, &thingsHandler{})

	get(t, ts.URL+"/healthz") // a probe: logged at debug only
	req, _ := http.NewRequest(http.MethodPost, ts.URL+APIPrefix+"/things", strings.NewReader("{}"))
	req.Header.Set("X-Request-Id", "req-42")
	do(t, req)

	var requests []map[string]any
	for _, l := range buf.lines() {
		if l["msg"] == "request" {
			requests = append(requests, l)
		}
	}
	if len(requests) != 1 {
		t.Fatalf("logged %d request lines at info, want 1 (the probe at debug): %v", len(requests), requests)
	}
	got := requests[0]
	want := map[string]any{"method": "POST", "path": APIPrefix + "/things", "status": float64(201), "request_id": "req-42", "level": "INFO"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("request log %s = %v, want %v (line %v)", k, got[k], v, got)
		}
	}
}
