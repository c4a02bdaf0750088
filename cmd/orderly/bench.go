package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/orderly-oms/orderly/internal/bench"
)

const benchUsage = `usage:
  orderly bench intake [--db DSN] [--orders N] [--concurrency 1,8,32] [--skus 100000] [--lines 3] [--json]

Measures order intake on a fresh store (a new SQLite file in a temporary
directory, or with --db postgres://... a new schema that is dropped
afterwards; existing data is never touched): orders/s and latency through
the HTTP API, through orders.Service.Place in-process, and with plain SQL
writing the same rows (the ceiling). See docs/performance.md.
` + benchFeedUsage

// cmdBench runs a benchmark; "intake" is the only one.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "feed" {
		return cmdBenchFeed(ctx, args[1:], stdout, stderr) // bench_feed.go
	}
	if len(args) == 0 || args[0] != "intake" {
		fmt.Fprintln(stderr, benchUsage)
		if len(args) == 0 {
			return usageError{"bench: no benchmark given"}
		}
		if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			return nil
		}
		return usageError{fmt.Sprintf("bench: unknown benchmark %q", args[0])}
	}
	fs := newFlagSet("bench intake", stderr)
	dsn := fs.String("db", "", "engine: empty for a fresh SQLite file in a temporary directory, or a postgres:// DSN in which a fresh schema is made and dropped")
	maxConns := fs.Int("db-max-conns", 20, "PostgreSQL pool size (as serve's --db-max-conns)")
	n := fs.Int("orders", 2000, "orders per mode and concurrency level")
	conc := fs.String("concurrency", "1,8,32", "comma-separated concurrency levels; each is run")
	skus := fs.Int("skus", 100_000, "SKUs in the seeded catalog")
	lines := fs.Int("lines", 3, "lines per order")
	modes := fs.String("modes", strings.Join(bench.AllModes, ","), "modes to run: raw, raw-nojob, inprocess, http, and raw-prepared (raw with prepared statements)")
	seed := fs.Uint64("seed", 1, "seed of the generated orders")
	rounds := fs.Int("rounds", 3, "rounds per level: the modes take turns, a round each, so noise on the machine hits them alike")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the table")
	profDir := fs.String("cpuprofile", "", "write a CPU profile of each measured batch to DIR/<mode>-c<concurrency>-r<round>.pprof (go tool pprof merges several)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	levels, err := parseLevels(*conc)
	if err != nil {
		return err
	}
	if *n < 1 || *skus < *lines || *lines < 1 {
		return usageError{"bench intake: --orders and --lines must be positive and --skus at least --lines"}
	}
	cfg := bench.Config{DSN: *dsn, MaxConns: *maxConns, Orders: *n, Concurrency: levels, SKUs: *skus, Lines: *lines,
		Modes: strings.Split(*modes, ","), Seed: *seed, Rounds: *rounds}
	if !*quiet {
		cfg.Progress = stderr
	}
	if *profDir != "" {
		if err := os.MkdirAll(*profDir, 0o755); err != nil {
			return err
		}
		cfg.Measure = func(mode string, c, round int) func() {
			f, err := os.Create(filepath.Join(*profDir, fmt.Sprintf("%s-c%d-r%d.pprof", mode, c, round)))
			if err != nil {
				fmt.Fprintln(stderr, "cpuprofile:", err)
				return nil
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				fmt.Fprintln(stderr, "cpuprofile:", err)
				f.Close()
				return nil
			}
			return func() {
				pprof.StopCPUProfile()
				f.Close()
			}
		}
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("bench intake: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printBench(stdout, rep)
	return nil
}

func parseLevels(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 {
			return nil, usageError{fmt.Sprintf("bench intake: --concurrency %q: want positive integers separated by commas", s)}
		}
		out = append(out, c)
	}
	return out, nil
}

func printBench(w io.Writer, r *bench.Report) {
	fmt.Fprintf(w, "order intake on %s (%s): %d SKUs, %d lines per order, %d orders per mode and level, GOMAXPROCS %d, %s\n",
		r.Engine, r.Store, r.SKUs, r.LinesPerOrder, r.OrdersPerLevel, r.GOMAXPROCS, r.GoVersion)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "concurrency\torders/s\tp50_ms\tp99_ms\traw_per_s\traw_nojob_per_s\tinprocess_per_s\tratio_http\tratio_inprocess\t")
	for _, l := range r.Levels {
		fmt.Fprintf(tw, "%d\t%.0f\t%.2f\t%.2f\t%.0f\t%.0f\t%.0f\t%.2f\t%.2f\t\n", l.Concurrency, l.OrdersPerS, l.P50ms, l.P99ms,
			l.RawPerS, l.RawNoJobPerS, l.InProcessPerS, l.RatioHTTP, l.RatioInProcess)
	}
	tw.Flush()
	fmt.Fprintln(w, "orders/s, p50_ms, p99_ms: POST /api/v1/orders over loopback; raw: the same rows in plain SQL, one transaction per order (with the river_job row; raw_nojob without it); ratios: throughput / raw_per_s.")
}
