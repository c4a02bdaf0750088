package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders/csvimport"
)

const importUsage = `usage:
  orderly import orders FILE [--dry-run] [--channel csv] [--report REPORT.csv]

Imports orders from a CSV file (FILE "-" reads standard input): one row per
order line, the rows of one order next to each other and sharing an
order_ref. See docs/import.md for the columns.

Each order is placed on its own: a bad order is reported with its line
numbers and never blocks the others, and an order goes in whole or not at
all. Orders imported before (same channel and order_ref) are reported as
duplicates, so a fixed file can simply be imported again.

  --dry-run         check every order against the catalog and stock, write nothing
  --channel NAME    channel of orders whose row has no channel column value (default csv)
  --report FILE     write each order's outcome to FILE as CSV

The exit status is 0 when every order was created (or was a duplicate, or is
valid in a dry run), 1 otherwise.`

// importStdin is what FILE "-" reads (a variable for tests).
var importStdin io.Reader = os.Stdin

// maxPrintedProblems bounds the failures and warnings printed; --report has
// them all.
const maxPrintedProblems = 200

// cmdImport imports data files; "orders" is the one kind so far.
func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, importUsage)
		return usageError{"import: say what to import: orderly import orders FILE"}
	}
	switch args[0] {
	case "orders":
		return cmdImportOrders(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, importUsage)
		return nil
	}
	fmt.Fprintln(stderr, importUsage)
	return usageError{fmt.Sprintf("import: unknown kind %q (only orders can be imported)", args[0])}
}

func cmdImportOrders(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var s settings
	fs := newFlagSet("import orders", stderr)
	bindCommon(fs, &s)
	dryRun := fs.Bool("dry-run", false, "check every order, write nothing")
	channel := fs.String("channel", csvimport.DefaultChannel, "channel of orders whose row names none")
	reportPath := fs.String("report", "", "write each order's outcome to this CSV file")
	flags, files := splitArgs(fs, args)
	if err := parseFlags(fs, flags); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if len(files) != 1 {
		return usageError{"import orders: give exactly one FILE (or - for standard input)"}
	}
	path := files[0]
	if !csvimport.ValidChannel(*channel) {
		return usageError{fmt.Sprintf("import orders: --channel %q: want 1 to 40 lower-case letters, digits, - or _", *channel)}
	}

	var src = importStdin
	var size int64
	name := "standard input"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("import orders: %w", err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
		src, name = f, path
	}

	var report *csvimport.ReportWriter
	if *reportPath != "" {
		rf, err := os.Create(*reportPath)
		if err != nil {
			return fmt.Errorf("import orders: report: %w", err)
		}
		defer rf.Close()
		if report, err = csvimport.NewReportWriter(rf); err != nil {
			return fmt.Errorf("import orders: report: %w", err)
		}
	}

	a, err := openApp(ctx, s, stderr, true)
	if err != nil {
		return err
	}
	defer a.close()
	ctx = auth.WithPrincipal(ctx, auth.System("cli"))

	var warnings []string
	warned := 0
	opts := csvimport.Options{Channel: *channel, DryRun: *dryRun, KeepFailures: maxPrintedProblems,
		OnResult: func(r csvimport.Result) error {
			for _, w := range r.Warnings {
				warned++
				if len(warnings) < maxPrintedProblems {
					warnings = append(warnings, fmt.Sprintf("  %s: %s", r.Ref, w))
				}
			}
			if report != nil {
				return report.Write(r)
			}
			return nil
		}}
	var prog *progressLine
	if f, ok := stderr.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		prog = &progressLine{w: stderr, size: size, start: time.Now()}
		opts.OnProgress = prog.update
	}

	im := csvimport.New(a.orders, a.db, a.inventory, a.now, a.log)
	rep, runErr := im.Run(ctx, src, opts)
	if prog != nil {
		prog.clear()
	}
	if report != nil {
		if err := report.Flush(); err != nil && runErr == nil {
			runErr = fmt.Errorf("write report: %w", err)
		}
	}
	printImportSummary(stdout, name, rep, warnings, warned)
	var fe *csvimport.FileError
	switch {
	case errors.As(runErr, &fe):
		return fmt.Errorf("import orders: %s: %w", name, runErr)
	case runErr != nil:
		return fmt.Errorf("import orders: stopped early: %w", runErr)
	case rep.Failed > 0:
		return fmt.Errorf("import orders: %d of %d orders failed", rep.Failed, rep.Orders)
	}
	return nil
}

// splitArgs separates FILE arguments from flags, so that flags may follow
// the file name: "import orders x.csv --dry-run".
func splitArgs(fs *flag.FlagSet, args []string) (flags, files []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-" || !strings.HasPrefix(a, "-") {
			files = append(files, a)
			continue
		}
		if a == "--" {
			files = append(files, args[i+1:]...)
			break
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return flags, files
}

func printImportSummary(w io.Writer, name string, rep *csvimport.Report, warnings []string, warned int) {
	if rep.DryRun {
		fmt.Fprintf(w, "Dry run of %s: %d orders in %d rows: %d valid, %d duplicates, %d failed. Nothing was written.\n",
			name, rep.Orders, rep.Rows, rep.Valid, rep.Duplicates, rep.Failed)
	} else {
		fmt.Fprintf(w, "Imported %s: %d orders in %d rows: %d created, %d duplicates, %d failed.\n",
			name, rep.Orders, rep.Rows, rep.Created, rep.Duplicates, rep.Failed)
	}
	if rep.Stopped != "" {
		fmt.Fprintf(w, "The import stopped before the end of the file: %s\n", rep.Stopped)
	}
	if len(rep.Failures) > 0 {
		if rep.DryRun {
			fmt.Fprintln(w, "\nFailed orders (fix the lines named and check the file again):")
		} else {
			fmt.Fprintln(w, "\nFailed orders (fix the lines named and import the file again; orders already created count as duplicates):")
		}
		for _, r := range rep.Failures {
			ref := r.Ref
			if ref == "" {
				ref = "(no order_ref)"
			}
			for _, p := range r.Problems {
				fmt.Fprintf(w, "  %s: %s\n", ref, p)
			}
		}
		if more := rep.Failed - len(rep.Failures); more > 0 {
			fmt.Fprintf(w, "  … and %d more failed orders (--report FILE lists them all)\n", more)
		}
	}
	if len(warnings) > 0 {
		fmt.Fprintln(w, "\nWarnings (these orders are valid, but Place may hold them, backorder or refuse lines):")
		for _, s := range warnings {
			fmt.Fprintln(w, s)
		}
		if more := warned - len(warnings); more > 0 {
			fmt.Fprintf(w, "  … and %d more warnings (--report FILE lists them all)\n", more)
		}
	}
}

// progressLine shows a run's progress on one terminal line, redrawn at most
// five times a second.
type progressLine struct {
	w     io.Writer
	size  int64
	start time.Time
	last  time.Time
	drawn bool
}

func (p *progressLine) update(pr csvimport.Progress) {
	now := time.Now()
	if now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last = now
	secs := now.Sub(p.start).Seconds()
	line := fmt.Sprintf("%d rows, %d orders", pr.Rows, pr.Orders)
	if secs > 0 {
		line += fmt.Sprintf(", %.0f rows/s", float64(pr.Rows)/secs)
	}
	if p.size > 0 {
		line += fmt.Sprintf(", %d%%", min(100, pr.Bytes*100/p.size))
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	p.drawn = true
}

func (p *progressLine) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
