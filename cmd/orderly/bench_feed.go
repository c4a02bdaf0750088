package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"text/tabwriter"

	"github.com/orderly-oms/orderly/internal/feeds/feedbench"
)

const benchFeedUsage = `
  orderly bench feed [--db DSN] [--rows 1000000] [--json]

Measures applying a supplier feed on a fresh store: an N-row CSV against an
N-offer catalog, applied twice (the first load, then a file in which 5% of
the rows change), against the time encoding/csv alone takes to parse the
file, measured in the same run; and the peak RSS. Goals: the changed run
within 3x the bare parse, peak RSS under 256 MB. See docs/performance.md.`

// cmdBenchFeed runs "orderly bench feed".
func cmdBenchFeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench feed", stderr)
	dsn := fs.String("db", "", "engine: empty for a fresh SQLite file in a temporary directory, or a postgres:// DSN in which a fresh schema is made and dropped")
	rows := fs.Int("rows", 1_000_000, "rows of the feed file, and offers in the catalog")
	pct := fs.Int("changed", 5, "percent of the rows the second file changes")
	cacheMB := fs.Int("sqlite-cache-mb", 0, "SQLite page cache of the write connection in MiB (0: SQLite's 2 MiB), to see what a larger one gives")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the table")
	profDir := fs.String("cpuprofile", "", "write a CPU profile of each measured step to DIR/<step>.pprof")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *rows < 100 || *pct < 1 || *pct > 100 {
		return usageError{"bench feed: --rows must be at least 100 and --changed between 1 and 100"}
	}
	cfg := feedbench.Config{DSN: *dsn, Rows: *rows, ChangedPercent: *pct, SQLiteCacheMB: *cacheMB}
	if !*quiet {
		cfg.Progress = stderr
	}
	if *profDir != "" {
		if err := os.MkdirAll(*profDir, 0o755); err != nil {
			return err
		}
		cfg.Measure = func(step string) func() {
			f, err := os.Create(filepath.Join(*profDir, step+".pprof"))
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
	rep, err := feedbench.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("bench feed: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(stdout, "feed apply on %s: %d rows (%.1f MB CSV), %d changed in the second file, GOMAXPROCS %d, %s\n",
		rep.Engine, rep.Rows, rep.FileMB, rep.ChangedRows, rep.GOMAXPROCS, rep.GoVersion)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tseconds\trows/s\t")
	fmt.Fprintf(tw, "first load\t%.2f\t%.0f\t\n", rep.FirstS, rep.FirstRowsPerS)
	fmt.Fprintf(tw, "5%% changed\t%.2f\t%.0f\t\n", rep.ChangedS, rep.ChangedPerS)
	fmt.Fprintf(tw, "encoding/csv parse\t%.2f\t%.0f\t\n", rep.ParseS, rep.ParseRowsPerS)
	fmt.Fprintf(tw, "raw SQL, same changes\t%.2f\t\t\n", rep.RawS)
	fmt.Fprintf(tw, "bare floor, same count\t%.2f\t\t\n", rep.FloorS)
	tw.Flush()
	fmt.Fprintf(stdout, "ratio_changed %.2f (goal ≤ %.0f; in CPU time %.2f; raw SQL floor %.2f; bare floor %.2f), peak RSS %.0f MB (goal < %.0f)\n",
		rep.RatioChanged, rep.GoalRatio, rep.RatioCPU, rep.RatioRaw, rep.RatioFloor, rep.PeakRSSMB, rep.GoalPeakRSSMB)
	return nil
}
