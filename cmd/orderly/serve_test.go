package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// orderlyBinary builds the orderly binary once for the tests in this package.
func orderlyBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "orderly-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "orderly")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = &buildError{err: err, out: string(out)}
		}
	})
	if buildErr != nil {
		t.Fatalf("build orderly: %v", buildErr)
	}
	return binPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// proc is a running "orderly serve".
type proc struct {
	cmd    *exec.Cmd
	url    chan string // the base URL, once the server listens
	mu     sync.Mutex
	stderr strings.Builder
	lines  chan string // stderr lines, for waiting on log messages
	done   chan error
}

// startServe starts "orderly serve" on a free port with the database dsn.
func startServe(t *testing.T, bin, dsn string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "ORDERLY_DB="+dsn)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, url: make(chan string, 1), lines: make(chan string, 1000), done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pipes sync.WaitGroup
	pipes.Go(func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if _, rest, ok := strings.Cut(line, "Orderly is running: open "); ok {
				p.url <- strings.TrimSuffix(rest, "/")
			}
		}
	})
	pipes.Go(func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
	})
	go func() {
		pipes.Wait() // all output read before Wait closes the pipes
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("orderly serve %v stderr:\n%s", args, p.log())
		}
	})
	return p
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// baseURL waits for the server to listen and returns its URL.
func (p *proc) baseURL(t *testing.T) string {
	t.Helper()
	select {
	case u := <-p.url:
		p.url <- u
		return u
	case err := <-p.done:
		p.done <- err
		t.Fatalf("orderly serve exited before listening: %v\n%s", err, p.log())
	case <-time.After(2 * time.Minute):
		t.Fatalf("orderly serve did not start listening\n%s", p.log())
	}
	return ""
}

// waitLog waits until the server logs a line containing msg.
func (p *proc) waitLog(t *testing.T, msg string) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case line := <-p.lines:
			if strings.Contains(line, msg) {
				return
			}
		case <-deadline:
			t.Fatalf("orderly serve never logged %q\n%s", msg, p.log())
		}
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestTwoInstancesOnOnePostgres starts two servers at the same moment on one
// fresh PostgreSQL database: both must migrate safely (each migration applied
// once), become ready and serve the API from the shared database.
func TestTwoInstancesOnOnePostgres(t *testing.T) {
	dsn := storetest.DSN(t, store.Postgres) // skips without ORDERLY_TEST_POSTGRES
	bin := orderlyBinary(t)
	procs := []*proc{startServe(t, bin, dsn), startServe(t, bin, dsn)}
	var urls []string
	for _, p := range procs {
		urls = append(urls, p.baseURL(t))
	}

	for i, u := range urls {
		status, body := httpGet(t, u+"/readyz")
		if status != http.StatusOK {
			t.Fatalf("instance %d /readyz = %d %s", i, status, body)
		}
		status, body = httpGet(t, u+"/api/v1/openapi.json")
		var doc struct {
			OpenAPI string         `json:"openapi"`
			Paths   map[string]any `json:"paths"`
		}
		if status != http.StatusOK || json.Unmarshal([]byte(body), &doc) != nil || doc.OpenAPI == "" {
			t.Fatalf("instance %d /api/v1/openapi.json = %d, not an OpenAPI document", i, status)
		}
	}

	// Each migration was applied exactly once.
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var dups int
	if err := db.QueryRow(`SELECT count(*) FROM (SELECT version_id FROM goose_db_version WHERE is_applied
		GROUP BY version_id HAVING count(*) > 1) d`).Scan(&dups); err != nil {
		t.Fatal(err)
	}
	if dups != 0 {
		t.Fatalf("%d migrations were applied more than once", dups)
	}

	// Both serve the API from the one database: a token created by the CLI
	// on that database authenticates on both instances.
	out, err := exec.Command(bin, "token", "create", "--role", "read_only", "--name", "two-instances", "--db", dsn, "--log-format", "json").Output()
	if err != nil {
		t.Fatalf("orderly token create: %v", err)
	}
	token := strings.TrimSpace(string(out))
	for i, u := range urls {
		req, _ := http.NewRequest(http.MethodGet, u+"/api/v1/products", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var page struct {
			Items []any `json:"items"`
		}
		if res.StatusCode != http.StatusOK || json.Unmarshal(b, &page) != nil || page.Items == nil {
			t.Fatalf("instance %d GET /api/v1/products with the CLI's token = %d %s", i, res.StatusCode, b)
		}
	}

	// A POST with an
	// Idempotency-Key answered by the first instance is replayed by the second.
	var first string
	for i, u := range urls {
		req, _ := http.NewRequest(http.MethodPost, u+"/api/v1/no-such-operation", strings.NewReader(`{"a":1}`))
		req.Header.Set("Idempotency-Key", "two-instances")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		replayed := res.Header.Get("Idempotent-Replayed") == "true"
		if replayed != (i == 1) {
			t.Fatalf("instance %d: Idempotent-Replayed=%v, want %v (%d %s)", i, replayed, i == 1, res.StatusCode, b)
		}
		if i == 0 {
			first = string(b)
		} else if string(b) != first {
			t.Fatalf("instance 1 replayed %s, want %s", b, first)
		}
	}

	for i, p := range procs {
		p.cmd.Process.Signal(syscall.SIGTERM)
		if err := waitExit(t, p); err != nil {
			t.Fatalf("instance %d exit: %v", i, err)
		}
	}
}

func waitExit(t *testing.T, p *proc) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(time.Minute):
		t.Fatalf("orderly serve did not exit after SIGTERM\n%s", p.log())
	}
	return nil
}

// TestSIGTERMDrainsInFlightRequest sends SIGTERM while a request is being
// read by the server: the request must still get its full answer, and the
// process must exit 0.
func TestSIGTERMDrainsInFlightRequest(t *testing.T) {
	t.Parallel()
	bin := orderlyBinary(t)
	p := startServe(t, bin, filepath.Join(t.TempDir(), "orderly.db"))
	url := p.baseURL(t)

	// The body is sent in two parts. "Expect: 100-continue" tells us when
	// the server's handler has started reading it: the request is in flight.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/drain-check", pr)
	req.Header.Set("Expect", "100-continue")
	req.Header.Set("Idempotency-Key", "drain")
	reading := make(chan struct{})
	req = req.WithContext(httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		Got100Continue: func() { close(reading) },
	}))
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
	type result struct {
		status int
		body   string
		err    error
	}
	resc := make(chan result, 1)
	go func() {
		res, err := client.Do(req)
		if err != nil {
			resc <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		resc <- result{status: res.StatusCode, body: string(b), err: err}
	}()
	select {
	case <-reading:
	case <-time.After(time.Minute):
		t.Fatal("server never started reading the request body")
	}
	io.WriteString(pw, `{"first":"half",`)

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitLog(t, "shutting down")
	io.WriteString(pw, `"second":"half"}`)
	pw.Close()

	r := <-resc
	if r.err != nil {
		t.Fatalf("in-flight request failed during shutdown: %v", r.err)
	}
	// No operation has this path: a complete answer is a 404 with its body.
	if r.status != http.StatusNotFound || !strings.Contains(strings.ToLower(r.body), "not found") {
		t.Fatalf("in-flight request answered %d %q, want a complete 404 answer", r.status, r.body)
	}
	if err := waitExit(t, p); err != nil {
		t.Fatalf("orderly serve exit after SIGTERM: %v, want exit status 0\n%s", err, p.log())
	}
	if !strings.Contains(p.log(), `"msg":"stopped"`) {
		t.Fatalf("no clean stop logged\n%s", p.log())
	}
}
