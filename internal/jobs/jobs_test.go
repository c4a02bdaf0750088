package jobs_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// recordArgs is a test job that records its name when worked.
type recordArgs struct {
	Name string `json:"name"`
}

func (recordArgs) Kind() string { return "test_record" }

type recordWorker struct {
	river.WorkerDefaults[recordArgs]
	mu   sync.Mutex
	seen []string
	done chan string
}

func (w *recordWorker) Work(ctx context.Context, job *river.Job[recordArgs]) error {
	w.mu.Lock()
	w.seen = append(w.seen, job.Args.Name)
	w.mu.Unlock()
	w.done <- job.Args.Name
	return nil
}

// startQueue starts a queue with a short poll interval and stops it when the
// test ends.
func startQueue(t *testing.T, db *store.DB, cfg jobs.Config) *jobs.Queue {
	t.Helper()
	cfg.PollInterval = 50 * time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	q, err := jobs.New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop queue: %v", err)
		}
	})
	return q
}

func TestPeriodicPruneDeletesExpiredRows(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		keys := []struct {
			key     string
			created time.Time
		}{
			{"old", now.Add(-25 * time.Hour)},
			{"just-expired", now.Add(-24*time.Hour - time.Microsecond)},
			{"fresh", now.Add(-23 * time.Hour)},
		}
		for _, k := range keys {
			if _, err := db.W.ExecContext(ctx, `INSERT INTO idempotency_keys (principal, key, method, path, request_hash, status, created_at)
				VALUES ('anonymous', $1, 'POST', '/api/v1/x', 'h', 201, $2)`, k.key, k.created); err != nil {
				t.Fatal(err)
			}
		}
		sessions := []struct {
			token  string
			expiry time.Time
		}{
			{"expired", now.Add(-time.Minute)},
			{"live", now.Add(time.Hour)},
		}
		for _, s := range sessions {
			if _, err := db.W.ExecContext(ctx, `INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)`,
				s.token, []byte("x"), s.expiry); err != nil {
				t.Fatal(err)
			}
		}
		startQueue(t, db, jobs.Config{Now: func() time.Time { return now }, PruneEvery: 200 * time.Millisecond})

		remaining := func() []string {
			rows, err := db.R.QueryContext(ctx, `SELECT key FROM idempotency_keys ORDER BY key`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var k string
				if err := rows.Scan(&k); err != nil {
					t.Fatal(err)
				}
				got = append(got, k)
			}
			return got
		}
		// The job runs through River and is recorded as completed; River
		// marks completions in batches, so poll for both outcomes.
		completed := func() int {
			var n int
			if err := db.R.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND state = 'completed'`,
				jobs.PruneArgs{}.Kind()).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		liveSessions := func() []string {
			var tokens []string
			rows, err := db.R.QueryContext(ctx, `SELECT token FROM sessions ORDER BY token`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var tok string
				if err := rows.Scan(&tok); err != nil {
					t.Fatal(err)
				}
				tokens = append(tokens, tok)
			}
			return tokens
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			got, n, sess := remaining(), completed(), liveSessions()
			if len(got) == 1 && got[0] == "fresh" && n > 0 && len(sess) == 1 && sess[0] == "live" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("prune job did not run in time: keys left %v (want [fresh]), sessions left %v (want [live]), %d completed prune jobs", got, sess, n)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

func TestJobInRolledBackTransactionNeverRuns(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		w := &recordWorker{done: make(chan string, 10)}
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		q := startQueue(t, db, jobs.Config{Workers: workers})

		errRollback := errors.New("business rule failed")
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := q.InsertTx(ctx, tx, recordArgs{Name: "rolled-back"}); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("InTx = %v, want the rollback error", err)
		}
		var committedID int64
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			committedID, err = q.InsertTx(ctx, tx, recordArgs{Name: "committed"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if committedID == 0 {
			t.Fatal("InsertTx returned job id 0")
		}

		select {
		case name := <-w.done:
			if name != "committed" {
				t.Fatalf("worked job %q first, want committed", name)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("the committed job was not worked in time")
		}
		// The rolled-back job was never stored, so no worker can ever see it.
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = $1`, recordArgs{}.Kind()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("%d test jobs stored, want only the committed one", n)
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if len(w.seen) != 1 || w.seen[0] != "committed" {
			t.Fatalf("worked %v, want [committed]", w.seen)
		}
	})
}

func TestCountByState(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q, err := jobs.New(db, jobs.Config{InsertOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := db.InTx(ctx, func(tx *sql.Tx) error {
				_, err := q.InsertTx(ctx, tx, recordArgs{Name: "x"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := jobs.CountByState(ctx, db.R)
		if err != nil {
			t.Fatal(err)
		}
		if got["available"] != 3 || len(got) != 1 {
			t.Fatalf("CountByState = %v, want available:3", got)
		}
	})
}
