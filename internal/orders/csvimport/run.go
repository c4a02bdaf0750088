package csvimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
)

// Placer places one order; *orders.Service is one. Place runs each order
// in its own transaction, so an order is written whole or not at all.
type Placer interface {
	Place(ctx context.Context, in orders.PlaceInput) (orders.Placed, error)
}

// Checker validates an order against the catalog and stock without writing
// anything. A dry run uses it when the Placer implements it; otherwise it
// makes its own read-only checks (see Importer.check).
type Checker interface {
	Check(ctx context.Context, in orders.PlaceInput) error
}

// Outcome is what became of one order of the file.
type Outcome string

const (
	Created   Outcome = "created"   // placed now
	Duplicate Outcome = "duplicate" // placed before: the same channel and order_ref exists
	Failed    Outcome = "failed"    // not placed; Problems say why
	Valid     Outcome = "valid"     // dry run: passed every check, would be placed
)

// Result is the outcome of one order.
type Result struct {
	Ref       string  `json:"order_ref"`
	Channel   string  `json:"channel"`
	FirstLine int     `json:"first_line"`
	LastLine  int     `json:"last_line"`
	Outcome   Outcome `json:"outcome"`
	// Number is the order's number when it was created or already existed.
	Number int64 `json:"number,omitempty"`
	// State is the created order's state (on_hold, awaiting_stock, ...).
	State orders.State `json:"state,omitempty"`
	// Holds are the reasons a created order is on hold, with their detail.
	Holds []string `json:"holds,omitempty"`
	// Problems say why the order failed.
	Problems []Problem `json:"problems,omitempty"`
	// Warnings are what a dry run expects Place to do with a valid order
	// that is not plain sailing: hold it, backorder or refuse lines.
	Warnings []Problem `json:"warnings,omitempty"`
}

// Progress is how far a run has got.
type Progress struct {
	Rows   int   // data rows read
	Orders int   // orders done (any outcome)
	Bytes  int64 // bytes of the file read
}

// Options tune one run.
type Options struct {
	// Channel is the channel of orders whose row names none (default "csv").
	Channel string
	// DryRun reads and checks every order without placing any.
	DryRun bool
	// OnResult, if set, receives every order's result as it is decided (a
	// report file, say). An error from it stops the run.
	OnResult func(Result) error
	// OnProgress, if set, is called after each order.
	OnProgress func(Progress)
	// KeepResults is how many results the Report keeps (0: none; the
	// counts are always complete). KeepFailures is how many failed results
	// it keeps, default 1000.
	KeepResults  int
	KeepFailures int
}

// Report sums up a run.
type Report struct {
	DryRun     bool `json:"dry_run"`
	Rows       int  `json:"rows"`
	Orders     int  `json:"orders"`
	Created    int  `json:"created"`
	Duplicates int  `json:"duplicates"`
	Failed     int  `json:"failed"`
	Valid      int  `json:"valid"` // dry run only
	// Results holds the first Options.KeepResults results, in file order.
	Results []Result `json:"results,omitempty"`
	// Failures holds the first Options.KeepFailures failed results.
	Failures []Result `json:"failures,omitempty"`
	// Stopped says why the run stopped before the end of the file, if it did
	// (a header that cannot be used, a cancelled context, a database that
	// keeps failing); the orders before it have their outcome.
	Stopped string `json:"stopped,omitempty"`
}

// OK reports whether every order was created, valid or a duplicate and the
// whole file was read.
func (r *Report) OK() bool { return r.Failed == 0 && r.Stopped == "" }

// Importer places the orders of import files.
type Importer struct {
	orders Placer
	db     *store.DB
	inv    *inventory.Service
	now    func() time.Time
	log    *slog.Logger
}

// New returns an importer placing orders through svc. db and inv serve the
// read-only checks of dry runs (inv may be nil: dry runs then skip the
// stock check); now is the clock (nil: time.Now); log receives internal
// errors (nil: slog.Default()).
func New(svc Placer, db *store.DB, inv *inventory.Service, now func() time.Time, log *slog.Logger) *Importer {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Importer{orders: svc, db: db, inv: inv, now: now, log: log}
}

// maxInternalInARow stops a run after this many orders in a row failed with
// an internal error: the database is likely down, and every further order
// would fail the same way.
const maxInternalInARow = 10

// Run reads src and places (or, in a dry run, checks) its orders one by one,
// in file order. A bad order never blocks the others. The error is non-nil
// only when the run stopped early: a *FileError for a header that cannot be
// used, or the reason it stopped; the Report is complete up to there.
func (im *Importer) Run(ctx context.Context, src io.Reader, opts Options) (*Report, error) {
	rep := &Report{DryRun: opts.DryRun}
	if opts.KeepFailures == 0 {
		opts.KeepFailures = 1000
	}
	rd, err := NewReader(src, ReaderOptions{Channel: opts.Channel})
	if err != nil {
		rep.Stopped = err.Error()
		return rep, err
	}
	var dry *dryRun
	if opts.DryRun {
		dry = im.newDryRun()
	}
	internalInARow := 0
	for {
		if err := ctx.Err(); err != nil {
			rep.Stopped = "stopped: " + err.Error()
			return rep, err
		}
		o, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			rep.Rows = rd.Rows()
			rep.Stopped = err.Error()
			return rep, err
		}
		res := Result{Ref: o.Ref, Channel: o.Input.Channel, FirstLine: o.FirstLine, LastLine: o.LastLine}
		var internal error
		switch {
		case len(o.Problems) > 0:
			res.Outcome, res.Problems = Failed, o.Problems
		case opts.DryRun:
			internal = dry.check(ctx, o, &res)
		default:
			internal = im.place(ctx, o, &res)
		}
		if internal != nil {
			if ctx.Err() != nil {
				// Cancelled while placing: the order's transaction
				// rolled back; report where the run stopped.
				rep.Stopped = "stopped: " + ctx.Err().Error()
				return rep, ctx.Err()
			}
			im.log.ErrorContext(ctx, "order import: internal error", "order_ref", o.Ref, "line", o.FirstLine, "err", internal)
			internalInARow++
		} else {
			internalInARow = 0
		}
		rep.Rows = rd.Rows()
		rep.add(res, opts)
		if opts.OnResult != nil {
			if err := opts.OnResult(res); err != nil {
				rep.Stopped = "stopped: " + err.Error()
				return rep, err
			}
		}
		if opts.OnProgress != nil {
			opts.OnProgress(Progress{Rows: rd.Rows(), Orders: rep.Orders, Bytes: rd.BytesRead()})
		}
		if internalInARow >= maxInternalInARow {
			err := fmt.Errorf("stopped after %d orders in a row failed with an internal error; the last: %w", internalInARow, internal)
			rep.Stopped = err.Error()
			return rep, err
		}
	}
	rep.Rows = rd.Rows()
	return rep, nil
}

func (rep *Report) add(res Result, opts Options) {
	rep.Orders++
	switch res.Outcome {
	case Created:
		rep.Created++
	case Duplicate:
		rep.Duplicates++
	case Valid:
		rep.Valid++
	case Failed:
		rep.Failed++
		if len(rep.Failures) < opts.KeepFailures {
			rep.Failures = append(rep.Failures, res)
		}
	}
	if len(rep.Results) < opts.KeepResults {
		rep.Results = append(rep.Results, res)
	}
}

// place places one order and records its outcome in res. It returns the
// error only when it is internal (not the order's fault).
func (im *Importer) place(ctx context.Context, o *Order, res *Result) error {
	placed, err := im.orders.Place(ctx, o.Input)
	if err != nil {
		res.Outcome = Failed
		res.Problems = problemsOf(o, err)
		if isInternal(err) {
			return err
		}
		return nil
	}
	res.Outcome = Duplicate
	if placed.Created {
		res.Outcome = Created
	}
	if ord := placed.Order; ord != nil {
		res.Number, res.State = ord.Number, ord.State
		for _, h := range ord.Holds {
			if h.ReleasedAt == nil {
				res.Holds = append(res.Holds, string(h.Reason)+": "+h.Detail)
			}
		}
	}
	return nil
}

// problemsOf turns an error of Place into problems placed on the file's lines
// and columns: a field error on lines[2].sku is reported on the row of the
// order's third line, in column sku.
func problemsOf(o *Order, err error) []Problem {
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code == apperr.Internal {
		return []Problem{{Line: o.FirstLine, Message: "not placed because of an internal error (it is logged); try again later"}}
	}
	prefix := ""
	if ae.Code == apperr.Unavailable {
		prefix = "refused: "
	}
	if len(ae.Fields) == 0 {
		return []Problem{{Line: o.FirstLine, Message: prefix + ae.Message}}
	}
	out := make([]Problem, 0, len(ae.Fields))
	for _, f := range ae.Fields {
		line, col := o.Locate(f.Field)
		msg := f.Message
		if col == "" && f.Field != "" && !strings.HasPrefix(f.Field, "lines[") {
			msg = f.Field + ": " + msg
		}
		out = append(out, Problem{Line: line, Column: col, Message: prefix + msg})
	}
	return sortProblems(out)
}
