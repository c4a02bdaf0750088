package feeds_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

const pullFile = "sku,qty,cost,lead,restock,disc\nSUP-1,7,5.00,3,,\nSUP-2,8,5.00,3,,\n"

// pullFixture is a feed fixture whose service may reach the test servers
// (loopback) and records the waits between attempts instead of waiting.
type pullFixture struct {
	*fixture
	waits []time.Duration
}

func newPullFixture(t *testing.T, db *store.DB, opts feeds.Options) *pullFixture {
	t.Helper()
	f := &pullFixture{fixture: newFixture(t, db, 2, 5)}
	opts.PullAllowPrivate = true
	opts.TempDir = t.TempDir()
	f.feeds = f.service(opts)
	return f
}

func (f *pullFixture) service(opts feeds.Options) *feeds.Service {
	f.t.Helper()
	s, err := feeds.New(f.DB, f.Inventory, nil, f.Orders, nil, f.Clock.Now, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	feeds.SetOpen(s, openTestCSV)
	feeds.SetPullSleep(s, func(_ context.Context, d time.Duration) error {
		f.waits = append(f.waits, d)
		return nil
	})
	return s
}

func (f *pullFixture) setSource(url string, every time.Duration, auth *feeds.PullAuth) {
	f.t.Helper()
	if _, err := f.feeds.SetPullSource(ctx, f.Supplier, feeds.PullInput{URL: url, Every: every, Timeout: time.Second, Auth: auth}); err != nil {
		f.t.Fatalf("set pull source: %v", err)
	}
}

func (f *pullFixture) pull() *feeds.PullResult {
	f.t.Helper()
	res, err := f.feeds.Pull(ctx, f.Supplier)
	if err != nil {
		f.t.Fatalf("pull: %v", err)
	}
	return res
}

func (f *pullFixture) lastFeedAt() time.Time {
	f.t.Helper()
	var at time.Time
	if err := f.DB.R.QueryRowContext(ctx, `SELECT last_feed_at FROM supplier_stock_rules WHERE supplier_id = $1`, f.Supplier).Scan(&at); err != nil {
		f.t.Fatal(err)
	}
	return at.UTC()
}

func TestPullETagRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newPullFixture(t, db, feeds.Options{})
		var mu sync.Mutex
		var seen []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, r.Header.Get("If-None-Match")+"|"+r.Header.Get("Authorization"))
			mu.Unlock()
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			fmt.Fprint(w, pullFile)
		}))
		defer srv.Close()
		f.setSource(srv.URL+"/stock.csv", time.Hour, &feeds.PullAuth{Value: "Bearer s3cret"})

		res := f.pull()
		if res.Run == nil || res.Run.Status != feeds.StatusApplied || res.Run.Source != feeds.SourceURL || res.Run.Filename != "stock.csv" {
			t.Fatalf("first pull: run %+v", res.Run)
		}
		if s := res.Source; s.LastStatus != feeds.PullFetched || s.ETag != `"v1"` || s.LastHTTPStatus != 200 || *s.LastRunID != res.Run.ID ||
			s.LastError != "" || s.Pulling || !s.AuthSet || s.AuthHeader != "Authorization" {
			t.Fatalf("first pull: source %+v", s)
		}
		if got := f.reported(f.skus[0]); got != 7 {
			t.Fatalf("SUP-1 reported %d, want 7", got)
		}
		fresh := f.lastFeedAt()

		f.Clock.Set(f.Clock.Now().Add(2 * time.Hour))
		res = f.pull()
		if res.Run != nil || res.Source.LastStatus != feeds.PullNotModified || res.Source.LastHTTPStatus != 304 {
			t.Fatalf("second pull: %+v %+v", res.Run, res.Source)
		}
		if !res.Source.LastPullAt.Equal(f.Clock.Now()) || !res.Source.NextPullAt.Equal(f.Clock.Now().Add(time.Hour)) {
			t.Fatalf("second pull at %v, next %v; now %v", res.Source.LastPullAt, res.Source.NextPullAt, f.Clock.Now())
		}
		if got := f.lastFeedAt(); !got.After(fresh) || !got.Equal(f.Clock.Now()) {
			t.Fatalf("a 304 must refresh the feed: last feed at %v, was %v", got, fresh)
		}
		if n := f.count(`SELECT COUNT(*) FROM feed_runs WHERE supplier_id = $1`, f.Supplier); n != 1 {
			t.Fatalf("%d runs, want 1 (a 304 makes none)", n)
		}
		want := []string{`|Bearer s3cret`, `"v1"|Bearer s3cret`}
		if strings.Join(seen, ",") != strings.Join(want, ",") {
			t.Fatalf("requests %q, want %q", seen, want)
		}

		// A mapping saved since the last pull reads the file again: no validators.
		f.Clock.Set(f.Clock.Now().Add(time.Minute))
		if _, err := f.feeds.SaveSettings(ctx, f.Supplier, feeds.Settings{Mapping: testMapping, Guards: feeds.DefaultGuards}); err != nil {
			t.Fatal(err)
		}
		f.Clock.Set(f.Clock.Now().Add(time.Minute))
		res = f.pull()
		if res.Run == nil || res.Source.LastStatus != feeds.PullFetched || seen[2] != "|Bearer s3cret" {
			t.Fatalf("pull after a mapping change: %+v, request %q", res.Source, seen[2])
		}
	})
}

func TestPullLastModified(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newPullFixture(t, db, feeds.Options{})
		mod := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		var ims []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ims = append(ims, r.Header.Get("If-Modified-Since"))
			http.ServeContent(w, r, "stock.csv", mod, strings.NewReader(pullFile))
		}))
		defer srv.Close()
		f.setSource(srv.URL+"/feeds/stock.csv", 0, nil)
		if res := f.pull(); res.Source.LastStatus != feeds.PullFetched || res.Source.LastModified != mod.Format(http.TimeFormat) || res.Source.NextPullAt != nil {
			t.Fatalf("first pull: %+v", res.Source)
		}
		if res := f.pull(); res.Source.LastStatus != feeds.PullNotModified {
			t.Fatalf("second pull: %+v", res.Source)
		}
		if ims[0] != "" || ims[1] != mod.Format(http.TimeFormat) {
			t.Fatalf("If-Modified-Since sent: %q", ims)
		}
		// The supplier updates its file.
		mod = mod.Add(time.Hour)
		if res := f.pull(); res.Source.LastStatus != feeds.PullFetched || res.Run.Status != feeds.StatusUnchanged {
			t.Fatalf("third pull (same bytes, newer date): %+v %+v", res.Source, res.Run)
		}
	})
}

func TestPullRetriesServerErrors(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newPullFixture(t, db, feeds.Options{})
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch n.Add(1) {
			case 1:
				w.Header().Set("Retry-After", "3")
				http.Error(w, "busy", http.StatusTooManyRequests)
			case 2:
				http.Error(w, "oops", http.StatusBadGateway)
			default:
				fmt.Fprint(w, pullFile)
			}
		}))
		defer srv.Close()
		f.setSource(srv.URL, time.Hour, nil)
		res := f.pull()
		if res.Source.LastStatus != feeds.PullFetched || res.Run == nil || res.Run.Status != feeds.StatusApplied || n.Load() != 3 {
			t.Fatalf("pull: %+v, %d requests", res.Source, n.Load())
		}
		if fmt.Sprint(f.waits) != "[3s 4s]" { // Retry-After, then the backoff of the second attempt
			t.Fatalf("waits %v, want [3s 4s]", f.waits)
		}
	})
}

func TestPullGivesUp(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newPullFixture(t, db, feeds.Options{PullAttempts: 3})
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			http.Error(w, "down", http.StatusServiceUnavailable)
		}))
		defer srv.Close()
		f.setSource(srv.URL, time.Hour, nil)
		res := f.pull()
		s := res.Source
		if s.LastStatus != feeds.PullFailed || s.LastHTTPStatus != 503 || n.Load() != 3 || res.Run != nil ||
			s.LastError != "the server answered 503 Service Unavailable (gave up after 3 attempts)" {
			t.Fatalf("pull: %+v (%d requests)", s, n.Load())
		}
		if !s.NextPullAt.Equal(f.Clock.Now().Add(time.Hour)) {
			t.Fatalf("next pull %v", s.NextPullAt)
		}
		// A 404 is not retried; a Retry-After beyond the longest wait stops.
		srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
		if s := f.pull().Source; s.LastError != "the server answered 404 Not Found" {
			t.Fatalf("404: %q", s.LastError)
		}
		srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		})
		if s := f.pull().Source; !strings.Contains(s.LastError, "asks to retry after 1h, longer than a pull waits") {
			t.Fatalf("Retry-After 3600: %q", s.LastError)
		}
	})
}

func TestPullTimeout(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newPullFixture(t, db, feeds.Options{PullAttempts: 2})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Headers and half the file, then nothing until the client gives up.
			w.Header().Set("Content-Length", "1000")
			fmt.Fprint(w, "sku,qty,cost,lead,restock,disc\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}))
		defer srv.Close()
		f.setSource(srv.URL, 0, nil)
		res := f.pull()
		if s := res.Source; s.LastStatus != feeds.PullFailed ||
			s.LastError != "the file could not be received: no complete answer within the timeout (1s) (gave up after 2 attempts)" {
			t.Fatalf("pull: %+v", s)
		}
		if n := f.count(`SELECT COUNT(*) FROM feed_runs`); n != 0 {
			t.Fatalf("%d runs, want none", n)
		}
	})
}

func TestPullOversize(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newPullFixture(t, db, feeds.Options{MaxFileBytes: 1 << 10})
		big := pullFile + strings.Repeat("SUP-9,1,5.00,3,,\n", 100)
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			if r.URL.Path == "/chunked" {
				w.(http.Flusher).Flush() // no Content-Length: the limit is met while reading
			}
			fmt.Fprint(w, big)
		}))
		defer srv.Close()
		f.setSource(srv.URL+"/stock.csv", 0, nil)
		if s := f.pull().Source; s.LastStatus != feeds.PullFailed || s.LastError != fmt.Sprintf("the file is %d bytes, larger than the 0 MiB a feed may be", len(big)) {
			t.Fatalf("with Content-Length: %+v", s)
		}
		f.setSource(srv.URL+"/chunked", 0, nil)
		if s := f.pull().Source; s.LastStatus != feeds.PullFailed || s.LastError != "the file is larger than the 0 MiB a feed may be" {
			t.Fatalf("chunked: %+v", s)
		}
		if n.Load() != 2 || f.count(`SELECT COUNT(*) FROM feed_runs`) != 0 {
			t.Fatalf("%d requests (oversize is not retried), %d runs", n.Load(), f.count(`SELECT COUNT(*) FROM feed_runs`))
		}
	})
}

func TestPullRedirects(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newPullFixture(t, db, feeds.Options{})
		var cdnAuth, cdnKey []string
		cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cdnAuth, cdnKey = append(cdnAuth, r.Header.Get("Authorization")), append(cdnKey, r.Header.Get("X-Api-Key"))
			fmt.Fprint(w, pullFile)
		}))
		defer cdn.Close()
		var originKey string
		origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			originKey = r.Header.Get("X-Api-Key")
			if r.URL.Path == "/loop" {
				http.Redirect(w, r, "/loop", http.StatusFound)
				return
			}
			if r.URL.Path == "/ftp" {
				http.Redirect(w, r, "ftp://files.example/stock.csv", http.StatusFound)
				return
			}
			http.Redirect(w, r, cdn.URL+"/signed/stock.csv", http.StatusFound)
		}))
		defer origin.Close()

		// To another host: followed, the credential stays with the origin.
		f.setSource(origin.URL+"/stock.csv", 0, &feeds.PullAuth{Header: "X-Api-Key", Value: "k1"})
		res := f.pull()
		if res.Source.LastStatus != feeds.PullFetched || res.Run.Status != feeds.StatusApplied || res.Run.Filename != "stock.csv" {
			t.Fatalf("redirect: %+v %+v", res.Source, res.Run)
		}
		if originKey != "k1" || cdnKey[0] != "" {
			t.Fatalf("X-Api-Key: origin %q, other host %q", originKey, cdnKey[0])
		}
		f.setSource(origin.URL+"/stock.csv", 0, &feeds.PullAuth{Username: "ana", Password: "pw"})
		f.pull()
		if cdnAuth[1] != "" {
			t.Fatalf("the other host got Authorization %q", cdnAuth[1])
		}
		// Too many, or to another scheme: not followed.
		f.setSource(origin.URL+"/loop", 0, nil)
		if s := f.pull().Source; s.LastStatus != feeds.PullFailed || !strings.HasPrefix(s.LastError, "stopped after 5 redirects") {
			t.Fatalf("loop: %+v", s)
		}
		f.setSource(origin.URL+"/ftp", 0, nil)
		if s := f.pull().Source; s.LastError != "redirected to ftp://files.example/stock.csv, which is not an http or https URL" {
			t.Fatalf("ftp: %q", s.LastError)
		}
	})
}

func TestPullRefusesPrivateAddresses(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newPullFixture(t, db, feeds.Options{})
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1); fmt.Fprint(w, pullFile) }))
		defer srv.Close()
		f.setSource(srv.URL, 0, nil)
		f.feeds = f.service(feeds.Options{TempDir: t.TempDir()}) // PullAllowPrivate off: the default
		s := f.pull().Source
		if s.LastStatus != feeds.PullFailed || s.LastError != "the host resolves to 127.0.0.1, a private or local address: pulls go to public addresses only" {
			t.Fatalf("pull: %+v", s)
		}
		if n.Load() != 0 || len(f.waits) != 0 {
			t.Fatalf("%d requests reached the server, %d retries", n.Load(), len(f.waits))
		}
	})
}

func TestPullSourceValidation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newPullFixture(t, db, feeds.Options{})
		cases := []struct {
			in    feeds.PullInput
			field string
			msg   string
		}{
			{feeds.PullInput{URL: "ftp://supplier.example/stock.csv"}, "url",
				`must be an http or https URL, got scheme "ftp" (FTP, file and other schemes are not fetched)`},
			{feeds.PullInput{URL: "file:///etc/passwd"}, "url", `must be an http or https URL, got scheme "file" (FTP, file and other schemes are not fetched)`},
			{feeds.PullInput{URL: "supplier.example/stock.csv"}, "url",
				`must be an absolute http or https URL such as https://supplier.example/stock.csv, got "supplier.example/stock.csv"`},
			{feeds.PullInput{URL: "https://ana:pw@supplier.example/x"}, "url",
				"must not hold a user or password: give them as basic auth (username, password), which is kept secret"},
			{feeds.PullInput{URL: ""}, "url", "is required (DELETE the source to stop pulling)"},
			{feeds.PullInput{URL: "https://s.example/x", Every: 30 * time.Second}, "every", "must be 0 (no schedule) or between 1m and 168h, got 30s"},
			{feeds.PullInput{URL: "https://s.example/x", Timeout: time.Hour}, "timeout", "must be between 1s and 10m, got 1h"},
			{feeds.PullInput{URL: "https://s.example/x", Auth: &feeds.PullAuth{Header: "Host", Value: "evil"}}, "auth.header", "cannot be Host: the pull sets it itself"},
			{feeds.PullInput{URL: "https://s.example/x", Auth: &feeds.PullAuth{Value: "a\r\nX: b"}}, "auth.value", "must be one line of at most 4096 characters"},
		}
		for _, c := range cases {
			_, err := f.feeds.SetPullSource(ctx, f.Supplier, c.in)
			var ae *apperr.Error
			if !asApp(err, &ae) || ae.Code != apperr.Invalid || len(ae.Fields) != 1 || ae.Fields[0].Field != c.field || ae.Fields[0].Message != c.msg {
				t.Errorf("%+v: got %v (%+v), want %s: %s", c.in, err, ae, c.field, c.msg)
			}
		}
		// The credential is kept while the host stays, refused silently to move.
		f.setSource("https://s.example/a.csv", time.Hour, &feeds.PullAuth{Value: "Bearer x"})
		f.setSource("https://s.example/b.csv", time.Hour, nil)
		if p, _ := f.feeds.PullSource(ctx, f.Supplier); !p.AuthSet {
			t.Fatalf("credential dropped on the same host: %+v", p)
		}
		_, err := f.feeds.SetPullSource(ctx, f.Supplier, feeds.PullInput{URL: "https://other.example/b.csv"})
		var ae *apperr.Error
		if !asApp(err, &ae) || ae.Fields[0].Field != "auth" {
			t.Fatalf("moving the credential to another host: %v", err)
		}
		if _, err := f.feeds.SetPullSource(ctx, 9999, feeds.PullInput{URL: "https://s.example/x"}); !asApp(err, &ae) || ae.Code != apperr.NotFound {
			t.Fatalf("unknown supplier: %v", err)
		}
		if err := f.feeds.DeletePullSource(ctx, f.Supplier); err != nil {
			t.Fatal(err)
		}
		if _, err := f.feeds.Pull(ctx, f.Supplier); !asApp(err, &ae) || ae.Code != apperr.NotFound {
			t.Fatalf("pull without a source: %v", err)
		}
	})
}

// Scheduled pulls: due ones are found, one instance pulls, the next is an
// interval later; two instances racing for the same supplier pull it once.
func TestPullSchedule(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newPullFixture(t, db, feeds.Options{})
		var n atomic.Int32
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				<-release
			}
			fmt.Fprint(w, pullFile)
		}))
		defer srv.Close()
		f.setSource(srv.URL, 0, nil)
		if due, _ := f.feeds.DuePulls(ctx); len(due) != 0 {
			t.Fatalf("due without a schedule: %v", due)
		}
		f.setSource(srv.URL, 30*time.Minute, nil)
		if due, err := f.feeds.DuePulls(ctx); err != nil || len(due) != 1 || due[0] != f.Supplier {
			t.Fatalf("due: %v %v", due, err)
		}
		other := f.service(feeds.Options{PullAllowPrivate: true, TempDir: t.TempDir()}) // a second instance
		var wg sync.WaitGroup
		var ran [2]bool
		for i, s := range []*feeds.Service{f.feeds, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, ok, err := s.PullDue(ctx, f.Supplier)
				if err != nil {
					t.Error(err)
				}
				ran[i] = ok
			}()
		}
		// The loser sees the claim and returns at once; then the winner finishes.
		for deadline := time.Now().Add(5 * time.Second); n.Load() == 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if _, err := f.feeds.Pull(ctx, f.Supplier); err == nil || !strings.Contains(err.Error(), "is being pulled now") {
			t.Errorf("a manual pull during a pull: %v", err)
		}
		close(release)
		wg.Wait()
		if ran[0] == ran[1] || n.Load() != 1 {
			t.Fatalf("ran %v, %d requests: want exactly one pull", ran, n.Load())
		}
		if due, _ := f.feeds.DuePulls(ctx); len(due) != 0 {
			t.Fatalf("due right after a pull: %v", due)
		}
		if _, ok, _ := f.feeds.PullDue(ctx, f.Supplier); ok {
			t.Fatal("a scheduled pull ran before it was due")
		}
		f.Clock.Set(f.Clock.Now().Add(30 * time.Minute))
		if due, _ := f.feeds.DuePulls(ctx); len(due) != 1 {
			t.Fatalf("not due after the interval: %v", due)
		}
	})
}

// TestPullThroughRiver runs the real queue: the periodic dispatcher finds
// the due source and a feed_pull job pulls it, as the system actor.
func TestPullThroughRiver(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newPullFixture(t, db, feeds.Options{})
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1); fmt.Fprint(w, pullFile) }))
		defer srv.Close()
		workers := river.NewWorkers()
		pw := feeds.AddPullWorkers(workers)
		q, err := jobs.New(db, jobs.Config{Logger: slog.New(slog.DiscardHandler), PollInterval: 50 * time.Millisecond, Workers: workers,
			PeriodicJobs: []*river.PeriodicJob{feeds.PullDispatchJob(200 * time.Millisecond)}})
		if err != nil {
			t.Fatal(err)
		}
		s, err := feeds.New(db, f.Inventory, nil, f.Orders, q, f.Clock.Now, feeds.Options{PullAllowPrivate: true, TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		feeds.SetOpen(s, openTestCSV)
		pw.Bind(s)
		f.feeds = s
		f.setSource(srv.URL+"/stock.csv", time.Hour, nil)
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := q.Stop(sctx); err != nil {
				t.Errorf("stop queue: %v", err)
			}
		})
		var src *feeds.PullSource
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if src, err = s.PullSource(ctx, f.Supplier); err != nil {
				t.Fatal(err)
			}
			if src.LastStatus != "" || time.Now().After(deadline) {
				break
			}
		}
		if src.LastStatus != feeds.PullFetched || src.LastRunID == nil {
			t.Fatalf("source after the scheduled pull: %+v", src)
		}
		run, err := s.Run(ctx, *src.LastRunID)
		if err != nil || run.Status != feeds.StatusApplied || run.Actor != "system:feed-pull" || run.Source != feeds.SourceURL {
			t.Fatalf("run of the scheduled pull: %+v, %v", run, err)
		}
		// Not due again for an hour (of the injected clock): the dispatcher
		// keeps running and pulls nothing more.
		time.Sleep(600 * time.Millisecond)
		if n.Load() != 1 {
			t.Fatalf("%d requests, want 1", n.Load())
		}
	})
}

// A pull job whose source was removed since the dispatch does nothing.
func TestPullWorkerSourceGone(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newPullFixture(t, db, feeds.Options{})
		w := &feeds.PullWorker{Feeds: f.feeds}
		if err := w.Work(ctx, &river.Job[feeds.PullArgs]{Args: feeds.PullArgs{SupplierID: f.Supplier}}); err != nil {
			t.Fatalf("no source: %v", err)
		}
		f.setSource("https://supplier.example/stock.csv", time.Hour, nil)
		f.Clock.Set(f.Clock.Now().Add(-time.Minute)) // not due yet
		if err := w.Work(ctx, &river.Job[feeds.PullArgs]{Args: feeds.PullArgs{SupplierID: f.Supplier}}); err != nil {
			t.Fatalf("not due: %v", err)
		}
		if src, _ := f.feeds.PullSource(ctx, f.Supplier); src.LastPullAt != nil {
			t.Fatalf("a pull that was not due ran: %+v", src)
		}
	})
}
