package feeds

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

// RowSource yields the rows of a feed file: a *Reader does. Next returns a
// *RowError for a bad row (skipped, the run goes on), io.EOF at the end, and
// any other error when the file cannot be read further (the run fails).
type RowSource interface {
	Next() (Row, error)
}

// Orders is what applying a feed needs from the order service: which
// variants have lines waiting for stock (so the restock hook runs only for
// them), and moving the expected date of backordered lines.
// *orders.Service implements it.
type Orders interface {
	WaitingVariants(ctx context.Context, tx *sql.Tx, variantIDs []int64) ([]int64, error)
	MoveExpectedRestock(ctx context.Context, tx *sql.Tx, variantID int64, at time.Time, why string) (int, error)
}

// Options tune the service. Zero values take the defaults.
type Options struct {
	// MaxFileBytes bounds a feed file (default 64 MiB): quarantined files are
	// kept in the database, and a larger file is refused with a clear error.
	MaxFileBytes int64
	// BatchSize is the number of changed rows written per transaction
	// (default 1000). See docs/decisions/0009-feed-apply.md.
	BatchSize int
	// MaxErrorsKept bounds the row errors stored per run (default 10,000);
	// all are counted.
	MaxErrorsKept int
	// MaxUnlinkedPerRun bounds the unknown supplier SKUs one run records
	// (default 100,000); all are counted.
	MaxUnlinkedPerRun int
	// StaleAfter is how long a run may go without writing a batch before
	// another apply of the same supplier takes it for interrupted (default
	// 10 minutes).
	StaleAfter time.Duration
	// TempDir holds uploaded files while they are applied (default os.TempDir()).
	TempDir string
	Logger  *slog.Logger

	// PullAttempts is how many times a pull tries a URL that fails with a
	// network error, 5xx or 429 (default 4).
	PullAttempts int
	// PullBackoff is the wait before the second attempt, doubling after
	// (default 2s); a Retry-After header replaces it.
	PullBackoff time.Duration
	// PullMaxWait is the longest a pull waits between attempts (default 2
	// minutes): a server asking for longer fails the pull until the next.
	PullMaxWait time.Duration
	// PullAllowPrivate lets pulls reach private, loopback and link-local
	// addresses (an on-premises supplier server; tests). Off by default: see
	// docs/feeds.md on SSRF.
	PullAllowPrivate bool
}

// Service applies supplier feeds and keeps their runs.
type Service struct {
	db     *store.DB
	inv    *inventory.Service
	sup    *suppliers.Service
	orders Orders
	jobs   *jobs.Queue
	now    func() time.Time
	opts   Options
	// open makes the rows of a file with a mapping (NewReader).
	open func(r io.Reader, m Mapping) (RowSource, error)
	// sleep waits between pull attempts (tests replace it).
	sleep         func(ctx context.Context, d time.Duration) error
	pullTransport *http.Transport
}

// New returns the feed service. orders may be nil (then every increase calls
// the restock hook, and restock dates are stored but move no order line); q
// enqueues the repricing jobs (nil: an insert-only queue on db).
func New(db *store.DB, inv *inventory.Service, sup *suppliers.Service, orders Orders, q *jobs.Queue, now func() time.Time, opts Options) (*Service, error) {
	if now == nil {
		now = time.Now
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = 64 << 20
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.MaxErrorsKept <= 0 {
		opts.MaxErrorsKept = 10_000
	}
	if opts.MaxUnlinkedPerRun <= 0 {
		opts.MaxUnlinkedPerRun = 100_000
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 10 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.PullAttempts <= 0 {
		opts.PullAttempts = 4
	}
	if opts.PullBackoff <= 0 {
		opts.PullBackoff = 2 * time.Second
	}
	if opts.PullMaxWait <= 0 {
		opts.PullMaxWait = 2 * time.Minute
	}
	if sup == nil {
		sup = suppliers.NewService(db, now)
	}
	if q == nil {
		var err error
		if q, err = jobs.New(db, jobs.Config{InsertOnly: true, Logger: opts.Logger}); err != nil {
			return nil, err
		}
	}
	s := &Service{db: db, inv: inv, sup: sup, orders: orders, jobs: q, now: now, opts: opts}
	s.open = openReader
	s.sleep = sleepCtx
	s.pullTransport = newPullTransport(opts.PullAllowPrivate)
	return s, nil
}

// MaxFileBytes is the largest feed file the service takes.
func (s *Service) MaxFileBytes() int64 { return s.opts.MaxFileBytes }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// actor is who is making the change in ctx.
func actor(ctx context.Context, fallback string) string {
	if p := auth.FromContext(ctx); p != nil {
		return p.Actor()
	}
	return fallback
}

// numbered rewrites the $N placeholders of a statement with many of them as
// ?N for SQLite: it takes $N for a named parameter and finds each by a
// linear search when preparing, which made multi-row statements of a few
// thousand parameters spend most of their time in the parser.
func (s *Service) numbered(q string) string {
	if s.db.Engine != store.SQLite {
		return q
	}
	return strings.ReplaceAll(q, "$", "?") // these statements hold no other $
}
