package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func get(t *testing.T, url string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		_, ts := newTestServer(t, db, Config{}, nil)
		if r := get(t, ts.URL+"/healthz"); r.status != http.StatusOK {
			t.Fatalf("/healthz = %d %s", r.status, r.body)
		}
		if r := get(t, ts.URL+"/readyz"); r.status != http.StatusOK || !strings.Contains(r.body, `"ready"`) {
			t.Fatalf("/readyz on a migrated database = %d %s", r.status, r.body)
		}
	})
}

func TestNotReadyBeforeMigrationOrWithoutDatabase(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, storetest.DSN(t, engine), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			_, ts := newTestServer(t, db, Config{}, nil)
			r := get(t, ts.URL+"/readyz")
			if r.status != http.StatusServiceUnavailable || problemCode(t, r.body) != "unavailable" || !strings.Contains(r.body, "migrate") {
				t.Fatalf("/readyz before migration = %d %s, want 503 asking to migrate", r.status, r.body)
			}
			if err := db.Migrate(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if r := get(t, ts.URL+"/readyz"); r.status != http.StatusOK {
				t.Fatalf("/readyz after migration = %d %s", r.status, r.body)
			}
			db.Close()
			if r := get(t, ts.URL+"/readyz"); r.status != http.StatusServiceUnavailable {
				t.Fatalf("/readyz with the database closed = %d %s", r.status, r.body)
			}
			// Liveness does not depend on the database.
			if r := get(t, ts.URL+"/healthz"); r.status != http.StatusOK {
				t.Fatalf("/healthz with the database closed = %d", r.status)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		_, ts := newTestServer(t, db, Config{}, &thingsHandler{})
		if _, err := db.W.Exec(`INSERT INTO river_job (args, kind, max_attempts, queue, state, priority)
			VALUES ('{}', 'test', 25, 'default', 'available', 1)`); err != nil {
			t.Fatalf("insert a job: %v", err)
		}
		for range 3 {
			post(t, ts.URL+APIPrefix+"/things", "", "{}")
		}
		get(t, ts.URL+"/no/such/page/12345")
		r := get(t, ts.URL+"/metrics")
		if r.status != http.StatusOK {
			t.Fatalf("/metrics = %d %s", r.status, r.body)
		}
		wants := []string{
			// Latency by route pattern and status.
			`orderly_http_request_duration_seconds_count{code="201",route="POST /api/v1/things"} 3`,
			// Unknown paths share one series instead of one per path.
			`orderly_http_request_duration_seconds_count{code="404",route="unmatched"} 1`,
			// Database pool statistics.
			`go_sql_max_open_connections{db_name="write"}`,
			// Job queue depth by state.
			`orderly_jobs{state="available"} 1`,
			`orderly_jobs{state="running"} 0`,
		}
		if db.R != db.W {
			wants = append(wants, `go_sql_max_open_connections{db_name="read"}`)
		}
		for _, want := range wants {
			if !strings.Contains(r.body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		if strings.Contains(r.body, "12345") {
			t.Error("/metrics contains a raw request path")
		}
	})
}

func TestUnknownAPIPathsGetProblemDocuments(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	_, ts := newTestServer(t, db, Config{}, &thingsHandler{})
	tests := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{http.MethodGet, APIPrefix + "/no-such-thing", http.StatusNotFound, "not_found", ""},
		{http.MethodDelete, APIPrefix + "/things", http.StatusMethodNotAllowed, "invalid", "POST"},
		{http.MethodPost, APIPrefix + "/openapi.json", http.StatusMethodNotAllowed, "invalid", "GET"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, ts.URL+tt.path, nil)
		r := do(t, req)
		if r.status != tt.status || r.header.Get("Content-Type") != "application/problem+json" || problemCode(t, r.body) != tt.code {
			t.Errorf("%s %s = %d %s %s, want %d problem with code %s", tt.method, tt.path, r.status, r.header.Get("Content-Type"), r.body, tt.status, tt.code)
		}
		if got := r.header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
		}
	}
}
