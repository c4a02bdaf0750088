package bench_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/bench"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestRun runs a small bench on every engine: every mode places every
// order (over HTTP too), and the fresh store is removed afterwards.
func TestRun(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			dsn := ""
			if e == store.Postgres {
				dsn = os.Getenv(storetest.PostgresEnv)
			}
			var batches int
			rep, err := bench.Run(context.Background(), bench.Config{DSN: dsn, Orders: 20, Concurrency: []int{3}, SKUs: 200,
				Lines: 3, Rounds: 2, Modes: bench.KnownModes, Measure: func(string, int, int) func() { batches++; return nil }})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Engine != string(e) || len(rep.Levels) != 1 {
				t.Fatalf("report on %s with %d levels, want %s with 1", rep.Engine, len(rep.Levels), e)
			}
			if want := len(bench.KnownModes) * 2; batches != want {
				t.Errorf("%d measured batches, want %d (modes × rounds)", batches, want)
			}
			for _, lv := range rep.Levels {
				for _, m := range bench.KnownModes {
					st := lv.Modes[m]
					if st.Orders != 20 || st.Errors != 0 || st.PerSecond <= 0 || st.P99ms < st.P50ms {
						t.Errorf("concurrency %d %s: %+v, want 20 orders placed without error", lv.Concurrency, m, st)
					}
				}
				if lv.RatioHTTP <= 0 || lv.RatioInProcess <= 0 {
					t.Errorf("concurrency %d: ratios %v %v", lv.Concurrency, lv.RatioHTTP, lv.RatioInProcess)
				}
			}
			if e == store.SQLite {
				if _, err := os.Stat(rep.Store); !os.IsNotExist(err) {
					t.Errorf("bench store %s left behind (%v)", rep.Store, err)
				}
				return
			}
			schema, ok := strings.CutPrefix(rep.Store, "schema ")
			if !ok {
				t.Fatalf("store %q does not name a schema", rep.Store)
			}
			admin, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			var n int
			if err := admin.QueryRow(`SELECT COUNT(*) FROM pg_namespace WHERE nspname = $1`, schema).Scan(&n); err != nil || n != 0 {
				t.Errorf("bench schema %s left behind (%d, %v)", schema, n, err)
			}
		})
	}
}
