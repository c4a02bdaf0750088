// Package feedbench measures applying a supplier feed: it seeds a catalog of
// N offers of one supplier (set-based SQL), writes an N-row supplier CSV,
// applies it (the first load), then applies a file in which 5% of the rows
// change, and measures in the same run how long encoding/csv alone takes to
// parse that file: the changed run is judged against it. It reports peak
// RSS (VmHWM) too. See docs/performance.md.
package feedbench

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orderly-oms/orderly/internal/bench"
	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
)

// Config sizes a run.
type Config struct {
	// DSN chooses the engine: empty for a fresh SQLite file in a temporary
	// directory, or a postgres:// DSN in which a fresh schema is made and
	// dropped (bench.NewFresh).
	DSN string
	// Rows is the number of offers and of file rows (default 1,000,000).
	Rows int
	// ChangedPercent is the share of rows the second file changes (default 5).
	ChangedPercent int
	// Progress, if set, gets a line per step.
	Progress io.Writer
	// SQLiteCacheMB, if set, sets SQLite's page cache of the write connection
	// (PRAGMA cache_size) to this many MiB instead of SQLite's 2 MiB, to see
	// what a larger cache would give the writes.
	SQLiteCacheMB int
	// Measure, if set, is called before each measured step ("first",
	// "changed", "parse") and the function it returns after it (profiling).
	Measure func(step string) func()
}

// Report is what a run measured.
type Report struct {
	Engine         string  `json:"engine"`
	Rows           int     `json:"rows"`
	FileMB         float64 `json:"file_mb"`
	ChangedRows    int     `json:"changed_rows"`
	FirstS         float64 `json:"first_s"`
	FirstRowsPerS  float64 `json:"first_rows_per_s"`
	ChangedS       float64 `json:"changed_s"`
	ChangedPerS    float64 `json:"changed_rows_per_s" doc:"file rows per second of the changed run"`
	ParseS         float64 `json:"parse_s"`
	ParseRowsPerS  float64 `json:"parse_rows_per_s"`
	RatioChanged   float64 `json:"ratio_changed"`
	PeakRSSMB      float64 `json:"peak_rss_mb"`
	SeedS          float64 `json:"seed_s"`
	GoalRatio      float64 `json:"goal_ratio"`
	GoalPeakRSSMB  float64 `json:"goal_peak_rss_mb"`
	SQLiteCacheMB  int     `json:"sqlite_cache_mb,omitempty"`
	GOMAXPROCS     int     `json:"gomaxprocs"`
	GoVersion      string  `json:"go_version"`
	ChangedCPUS    float64 `json:"changed_cpu_s" doc:"process CPU time of the changed run"`
	ParseCPUS      float64 `json:"parse_cpu_s"`
	RatioCPU       float64 `json:"ratio_changed_cpu" doc:"changed_cpu_s / parse_cpu_s: less sensitive to other load on the machine"`
	RawS           float64 `json:"raw_s" doc:"the same number of quantity changes written with plain SQL (positions and adjustments, 1000 a transaction)"`
	RatioRaw       float64 `json:"ratio_raw" doc:"raw_s / parse_s: the floor of ratio_changed with Orderly's schema on this engine"`
	FloorS         float64 `json:"floor_s" doc:"the same number of rows of a bare two-column table updated, one integer each, in one transaction, the engine's fastest way: less than any durable apply can write"`
	RatioFloor     float64 `json:"ratio_floor" doc:"floor_s / parse_s: no apply that stores each changed quantity in its own row can get below it"`
	FirstStatus    string  `json:"first_status"`
	ChangedStatus  string  `json:"changed_status"`
	AdjustmentRows int     `json:"adjustments_changed_run"`
}

// Run seeds a fresh store and measures.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Rows <= 0 {
		cfg.Rows = 1_000_000
	}
	if cfg.ChangedPercent <= 0 {
		cfg.ChangedPercent = 5
	}
	say := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format+"\n", args...)
		}
	}
	measure := func(step string) func() {
		if cfg.Measure == nil {
			return func() {}
		}
		if stop := cfg.Measure(step); stop != nil {
			return stop
		}
		return func() {}
	}
	fresh, err := bench.NewFresh(ctx, cfg.DSN, store.Options{})
	if err != nil {
		return nil, err
	}
	defer fresh.Close()
	db := fresh.DB
	if cfg.SQLiteCacheMB > 0 && db.Engine == store.SQLite {
		if _, err := db.W.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, cfg.SQLiteCacheMB*1024)); err != nil {
			return nil, err
		}
	}
	rep := &Report{Engine: string(db.Engine), Rows: cfg.Rows, SQLiteCacheMB: cfg.SQLiteCacheMB, GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
		GoalRatio: 3, GoalPeakRSSMB: 256}

	dir, err := os.MkdirTemp("", "orderly-feedbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	say("seeding %d offers on %s (%s)", cfg.Rows, db.Engine, fresh.Where)
	t0 := time.Now()
	supplierID, err := Seed(ctx, db, cfg.Rows)
	if err != nil {
		return nil, err
	}
	rep.SeedS = time.Since(t0).Seconds()
	first := filepath.Join(dir, "first.csv")
	changed := filepath.Join(dir, "changed.csv")
	size, err := writeFile(first, cfg.Rows, 0)
	if err != nil {
		return nil, err
	}
	rep.FileMB = float64(size) / (1 << 20)
	if _, err := writeFile(changed, cfg.Rows, cfg.ChangedPercent); err != nil {
		return nil, err
	}
	rep.ChangedRows = cfg.Rows * cfg.ChangedPercent / 100

	inv := inventory.New(db, time.Now, inventory.Options{})
	svc, err := feeds.New(db, inv, nil, nil, nil, time.Now, feeds.Options{TempDir: dir})
	if err != nil {
		return nil, err
	}
	m := feeds.Mapping{Format: "csv", Encoding: "utf-8", Delimiter: ",", SKU: "sku", Quantity: "qty", Cost: "cost", DefaultCurrency: "EUR", LeadTime: "lead_time"}
	if _, err := svc.SaveSettings(ctx, supplierID, feeds.Settings{Mapping: m, Guards: feeds.DefaultGuards}); err != nil {
		return nil, err
	}

	var changedCPU float64
	apply := func(step, path string) (*feeds.Run, float64, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, 0, err
		}
		defer f.Close()
		stop := measure(step)
		start := time.Now()
		c0 := cpuTime()
		run, err := svc.Apply(ctx, supplierID, f, feeds.ApplyInput{Source: feeds.SourceUpload, Filename: filepath.Base(path)})
		d := time.Since(start).Seconds()
		changedCPU = cpuTime() - c0
		stop()
		if err != nil {
			return nil, 0, fmt.Errorf("%s run: %w", step, err)
		}
		if run.Status != feeds.StatusApplied {
			return run, d, fmt.Errorf("%s run: %s: %s", step, run.Status, run.Reason)
		}
		return run, d, nil
	}
	say("first load: %s (%.1f MB)", first, rep.FileMB)
	run, d, err := apply("first", first)
	if err != nil {
		return nil, err
	}
	rep.FirstS, rep.FirstStatus = d, string(run.Status)
	rep.FirstRowsPerS = float64(cfg.Rows) / d
	say("  %.2f s, %d rows changed", d, run.RowsChanged)

	say("changed file (%d%% of rows)", cfg.ChangedPercent)
	run, d, err = apply("changed", changed)
	if err != nil {
		return nil, err
	}
	rep.ChangedS, rep.ChangedStatus, rep.AdjustmentRows = d, string(run.Status), run.Detail.Adjustments
	rep.ChangedPerS = float64(cfg.Rows) / d
	if run.RowsChanged != rep.ChangedRows {
		return nil, fmt.Errorf("changed run: %d rows changed, want %d", run.RowsChanged, rep.ChangedRows)
	}
	say("  %.2f s, %d rows changed", d, run.RowsChanged)

	rep.ChangedCPUS = changedCPU
	stop := measure("parse")
	start := time.Now()
	c0 := cpuTime()
	n, err := parse(changed)
	rep.ParseS = time.Since(start).Seconds()
	rep.ParseCPUS = cpuTime() - c0
	stop()
	if err != nil {
		return nil, err
	}
	if n != cfg.Rows {
		return nil, fmt.Errorf("parse: %d rows, want %d", n, cfg.Rows)
	}
	rep.ParseRowsPerS = float64(n) / rep.ParseS
	rep.RatioChanged = rep.ChangedS / rep.ParseS
	if rep.ParseCPUS > 0 {
		rep.RatioCPU = rep.ChangedCPUS / rep.ParseCPUS
	}
	say("  encoding/csv alone: %.2f s", rep.ParseS)
	say("raw SQL ceiling: %d quantity changes", rep.ChangedRows)
	if rep.RawS, err = rawWrites(ctx, db, supplierID, cfg.Rows, rep.ChangedRows); err != nil {
		return nil, err
	}
	rep.RatioRaw = rep.RawS / rep.ParseS
	say("  %.2f s", rep.RawS)
	say("bare floor: %d one-integer updates of a bare %d-row table", rep.ChangedRows, cfg.Rows)
	if rep.FloorS, err = floorWrites(ctx, db, cfg.Rows, rep.ChangedRows); err != nil {
		return nil, err
	}
	rep.RatioFloor = rep.FloorS / rep.ParseS
	say("  %.2f s", rep.FloorS)
	rep.PeakRSSMB, err = PeakRSSMB()
	if err != nil {
		say("peak RSS: %v", err)
	}
	return rep, nil
}

// parse reads the file with encoding/csv and nothing else: the floor any
// feed run stands on.
func parse(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	r.ReuseRecord = true
	n := -1 // the header
	for {
		_, err := r.Read()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// PeakRSSMB reads the process's peak resident set size (VmHWM) in MiB.
func PeakRSSMB() (float64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err != nil {
				return 0, err
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}

// writeFile writes rows rows: row i reports qty 10 + i%90, cost 12.34 EUR
// and lead time 5, except that in the changed file every (100/pct)-th row
// reports 3 more units and every fifth changed row also a cost 2% higher.
func writeFile(path string, rows, pct int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("sku,qty,cost,lead_time\n")
	every := 0
	if pct > 0 {
		every = 100 / pct
	}
	buf := make([]byte, 0, 64)
	for i := 1; i <= rows; i++ {
		qty, cost := 10+i%90, "12.34"
		if every > 0 && i%every == 0 {
			qty += 3
			if (i/every)%5 == 0 {
				cost = "12.59"
			}
		}
		buf = append(buf[:0], "S-"...)
		buf = append(buf, fmt.Sprintf("%07d", i)...)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(qty), 10)
		buf = append(buf, ',')
		buf = append(buf, cost...)
		buf = append(buf, ",5\n"...)
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return st.Size(), f.Close()
}

// Seed writes one active supplier with n active offers (supplier SKUs
// S-0000001..), each on its own variant (10 per product), at cost 12.34 EUR,
// lead time 5, never reported. It returns the supplier's id.
func Seed(ctx context.Context, db *store.DB, n int) (int64, error) {
	at := time.Now().UTC().Truncate(time.Microsecond)
	seq := func(k int) string {
		return fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %d) `, k)
	}
	pad := `substr('000000' || i, -7, 7)`
	if db.Engine == store.Postgres {
		pad = `lpad(i::text, 7, '0')`
	}
	var supplierID int64
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO suppliers (name, name_key, timezone, country, status, created_at, updated_at)
			VALUES ('Feed Bench', 'feed bench', 'Europe/Lisbon', 'PT', 'active', $1, $1) RETURNING id`, at).Scan(&supplierID); err != nil {
			return fmt.Errorf("seed supplier: %w", err)
		}
		var p0, v0 int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM products`).Scan(&p0); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM variants`).Scan(&v0); err != nil {
			return err
		}
		for _, s := range []struct {
			what string
			q    string
			args []any
		}{
			{"products", seq((n+9)/10) + `INSERT INTO products (title, vendor, status, created_at, updated_at)
				SELECT 'Feed bench product ' || i, 'Bench', 'active', $1, $1 FROM seq`, []any{at}},
			{"variants", seq(n) + `INSERT INTO variants (product_id, sku, title, price_amount, price_currency, status, created_at, updated_at)
				SELECT CAST($2 AS BIGINT) + (i - 1) / 10 + 1, 'FB-' || ` + pad + `, 'Colour ' || (i % 10), 2500, 'EUR', 'active', $1, $1 FROM seq`,
				[]any{at, p0}},
			{"offers", `INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency, lead_time_days,
				min_order_qty, priority, status, created_at, updated_at)
				SELECT CAST($2 AS BIGINT), v.id, 'S-' || substr(v.sku, 4), 1234, 'EUR', 5, 1, 1, 'active', $1, $1
				FROM variants v WHERE v.id > CAST($3 AS BIGINT)`, []any{at, supplierID, v0}},
		} {
			if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
				return fmt.Errorf("seed %s: %w", s.what, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, t := range []string{"products", "variants", "supplier_offers", "stock_levels"} {
		q := `ANALYZE ` + t
		if db.Engine == store.Postgres {
			q = `VACUUM ANALYZE ` + t
		}
		if _, err := db.W.ExecContext(ctx, q); err != nil {
			return 0, fmt.Errorf("seed: %s: %w", q, err)
		}
	}
	return supplierID, nil
}

// cpuTime is the process's user and system CPU time so far, in seconds.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// rawWrites writes n quantity changes (every rows/n-th offer, ones the
// changed file left alone) with nothing but the SQL they need — the
// positions (the stock_levels trigger fires) and the adjustments, 1000 a
// transaction in multi-row statements — and returns the seconds it took:
// the floor under the changed run's writes on this engine.
func rawWrites(ctx context.Context, db *store.DB, supplierID int64, rows, n int) (float64, error) {
	type offer struct{ id, variant int64 }
	var offers []offer
	r, err := db.R.QueryContext(ctx, `SELECT id, variant_id FROM supplier_offers WHERE supplier_id = $1 ORDER BY id`, supplierID)
	if err != nil {
		return 0, err
	}
	every := max(1, rows/n)
	for i := 0; r.Next(); i++ {
		var o offer
		if err := r.Scan(&o.id, &o.variant); err != nil {
			r.Close()
			return 0, err
		}
		if i%every == every/2 && len(offers) < n {
			offers = append(offers, o)
		}
	}
	r.Close()
	start := time.Now()
	now := time.Now().UTC()
	for b := 0; b < len(offers); b += 1000 {
		part := offers[b:min(b+1000, len(offers))]
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			if db.Engine == store.SQLite {
				// SQLite: one-row statements prepared once per
				// transaction, its fastest way (a multi-row statement is
				// parsed each time it runs).
				upd, err := tx.PrepareContext(ctx, `UPDATE stock_positions SET reported = $1, updated_at = $2 WHERE offer_id = $3`)
				if err != nil {
					return err
				}
				defer upd.Close()
				adj, err := tx.PrepareContext(ctx, `INSERT INTO stock_adjustments (offer_id, variant_id, kind, before_qty, after_qty, delta, reason, actor, created_at)
					VALUES ($1, $2, 'report', 0, 1000, 1000, 'raw', 'bench', $3)`)
				if err != nil {
					return err
				}
				defer adj.Close()
				for _, o := range part {
					if _, err := upd.ExecContext(ctx, 1000, now, o.id); err != nil {
						return err
					}
					if _, err := adj.ExecContext(ctx, o.id, o.variant, now); err != nil {
						return err
					}
				}
				return nil
			}
			// PostgreSQL: 500-row statements (each statement is a round
			// trip).
			for c := 0; c < len(part); c += 500 {
				chunk := part[c:min(c+500, len(part))]
				var upd, adj strings.Builder
				uargs := []any{now}
				aargs := []any{now}
				for i, o := range chunk {
					if i > 0 {
						upd.WriteString(", ")
						adj.WriteString(", ")
					}
					k := len(uargs)
					fmt.Fprintf(&upd, "(CAST($%d AS BIGINT), CAST($%d AS INTEGER))", k+1, k+2)
					uargs = append(uargs, o.id, 1000)
					k = len(aargs)
					fmt.Fprintf(&adj, "($%d, $%d, 'report', 0, 1000, 1000, 'raw', 'bench', $1)", k+1, k+2)
					aargs = append(aargs, o.id, o.variant)
				}
				if _, err := tx.ExecContext(ctx, `UPDATE stock_positions SET reported = v.column2, updated_at = $1
					FROM (VALUES `+upd.String()+`) AS v WHERE stock_positions.offer_id = v.column1`, uargs...); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO stock_adjustments (offer_id, variant_id, kind, before_qty, after_qty, delta, reason, actor, created_at)
					VALUES `+adj.String(), aargs...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("raw writes: %w", err)
		}
	}
	return time.Since(start).Seconds(), nil
}

// floorWrites makes a bare table of rows (id, qty) — no trigger, no other
// index, nothing else in the transaction — and returns the seconds it takes
// to update the qty of n of them (every rows/n-th) in one transaction, the
// engine's fastest way: on SQLite a one-row UPDATE prepared once (faster than
// one UPDATE … FROM json_each of all n, or n rows through a temporary table,
// measured with modernc.org/sqlite: 0.28 s against 0.37 s and 0.51 s for
// 50,000 of 1,000,000 rows); on PostgreSQL one UPDATE … FROM unnest of two
// arrays (one round trip). Writing each changed quantity to its own row, as
// any apply must for reservations to lock it, cannot cost less.
func floorWrites(ctx context.Context, db *store.DB, rows, n int) (float64, error) {
	if _, err := db.W.ExecContext(ctx, `CREATE TABLE bench_floor (id BIGINT PRIMARY KEY, qty INTEGER NOT NULL)`); err != nil {
		return 0, fmt.Errorf("floor: %w", err)
	}
	fill := `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $1) INSERT INTO bench_floor (id, qty) SELECT i, 10 FROM c`
	if db.Engine != store.SQLite {
		fill = `INSERT INTO bench_floor (id, qty) SELECT i, 10 FROM generate_series(1, $1::bigint) AS i`
	}
	if _, err := db.W.ExecContext(ctx, fill, rows); err != nil {
		return 0, fmt.Errorf("floor: fill: %w", err)
	}
	every := max(1, rows/n)
	ids := make([]int64, 0, n)
	qtys := make([]int32, 0, n)
	for id := every/2 + 1; id <= rows && len(ids) < n; id += every {
		ids = append(ids, int64(id))
		qtys = append(qtys, 13)
	}
	start := time.Now()
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		if db.Engine != store.SQLite {
			_, err := tx.ExecContext(ctx, `UPDATE bench_floor SET qty = v.qty FROM unnest($1::bigint[], $2::integer[]) AS v(id, qty)
				WHERE bench_floor.id = v.id`, ids, qtys)
			return err
		}
		st, err := tx.PrepareContext(ctx, `UPDATE bench_floor SET qty = $1 WHERE id = $2`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i, id := range ids {
			if _, err := st.ExecContext(ctx, qtys[i], id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("floor: update: %w", err)
	}
	return time.Since(start).Seconds(), nil
}
