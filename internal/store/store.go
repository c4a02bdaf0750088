// Package store opens Orderly's database (SQLite by default, PostgreSQL for
// several instances), runs migrations, and runs functions in transactions. It
// holds no business rules: domain packages own their SQL and take a Querier.
//
// SQL is written once with $1-style placeholders, which both drivers accept.
// The few places where the engines differ go through Dialect.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// Engine names a database engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Querier is what domain code needs to run SQL: a *sql.DB, *sql.Tx or *sql.Conn.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Options tune how the database is opened.
type Options struct {
	// SQLiteSynchronous is SQLite's synchronous pragma: NORMAL (default) or FULL.
	// With WAL, NORMAL never corrupts the database but the last transactions
	// before a power loss (not a process crash) may roll back; FULL fsyncs
	// every commit.
	SQLiteSynchronous string
	// MaxOpenConns bounds the PostgreSQL pool (default 20). SQLite always
	// writes through one connection.
	MaxOpenConns int
}

// DB is an open Orderly database.
type DB struct {
	Engine  Engine
	Dialect Dialect
	// W runs writes and transactions. On SQLite it has a single connection and
	// begins transactions IMMEDIATE, so writers queue instead of failing.
	W *sql.DB
	// R runs reads that need no transaction. On SQLite it is a separate pool
	// that reads the WAL concurrently with the writer; on PostgreSQL it is W.
	R *sql.DB
}

// IsPostgresDSN reports whether dsn selects PostgreSQL.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the database named by dsn: a postgres:// URL for PostgreSQL,
// otherwise a SQLite file path (optionally prefixed with "sqlite:" or "file:").
// It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if IsPostgresDSN(dsn) {
		return openPostgres(ctx, dsn, opts)
	}
	return openSQLite(ctx, dsn, opts)
}

func openPostgres(ctx context.Context, dsn string, opts Options) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	n := opts.MaxOpenConns
	if n <= 0 {
		n = 20
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return &DB{Engine: Postgres, Dialect: Dialect{Engine: Postgres}, W: db, R: db}, nil
}

func openSQLite(ctx context.Context, dsn string, opts Options) (*DB, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("open sqlite: a file path is required (got %q); the read and write pools must share one file", dsn)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	sync := strings.ToUpper(opts.SQLiteSynchronous)
	if sync == "" {
		sync = "NORMAL"
	}
	if sync != "NORMAL" && sync != "FULL" {
		return nil, fmt.Errorf("open sqlite: synchronous must be NORMAL or FULL, got %q", opts.SQLiteSynchronous)
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(ON)", "synchronous(" + sync + ")"} {
		q.Add("_pragma", p)
	}
	// Times are stored as integer microseconds since the epoch, so they compare
	// and sort correctly in SQL and read back as time.Time.
	q.Set("_time_integer_format", "unix_micro")
	q.Set("_inttotime", "1")
	base := "file:" + abs + "?"

	wq := url.Values{}
	for k, v := range q {
		wq[k] = v
	}
	wq.Set("_txlock", "immediate")
	w, err := openSQLitePool(base + wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The first connection creates the file and switches it to WAL before the
	// read pool opens it.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", abs, err)
	}

	rq := url.Values{}
	for k, v := range q {
		rq[k] = v
	}
	rq.Add("_pragma", "query_only(1)")
	r, err := openSQLitePool(base + rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %q for reading: %w", abs, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	return &DB{Engine: SQLite, Dialect: Dialect{Engine: SQLite}, W: w, R: r}, nil
}

// openSQLitePool opens a pool of SQLite connections, each keeping its
// prepared statements (see stmtcache.go).
func openSQLitePool(dsn string) (*sql.DB, error) {
	c, err := newCachingConnector(dsn, stmtCacheSize)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

// Close closes both pools.
func (db *DB) Close() error {
	err := db.W.Close()
	if db.R != db.W {
		err = errors.Join(err, db.R.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.W.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", db.Engine, err)
	}
	return nil
}

// InTx runs fn in one transaction on the write pool and commits if fn returns
// nil. On PostgreSQL a serialization failure or deadlock is retried a few
// times, so fn must be safe to run again (no side effects outside tx).
func (db *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	const attempts = 5
	var err error
	for i := 0; i < attempts; i++ {
		err = db.inTxOnce(ctx, fn)
		if err == nil || !db.Dialect.IsRetryable(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(i+1) * 5 * time.Millisecond)
	}
	return err
}

func (db *DB) inTxOnce(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}
