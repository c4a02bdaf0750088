// Package bench measures order intake end to end: it builds a fresh store
// with a large catalog, places orders through the HTTP API, through
// orders.Service.Place in-process, and with plain SQL that writes the same
// rows (the ceiling), and reports throughput and latency per concurrency.
//
// It never touches existing data: SQLite runs on a new file in a temporary
// directory, PostgreSQL in a new schema that is dropped afterwards.
package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/orderly-oms/orderly/internal/store"
)

// Fresh is a new, migrated, empty database for one bench run.
type Fresh struct {
	DB *store.DB
	// DSN opens the same database (for a server in another process).
	DSN string
	// Where says where it lives, for the report: a file path or a schema.
	Where   string
	cleanup func() error
}

// Close closes the database and removes it: the SQLite directory, or the
// PostgreSQL schema.
func (f *Fresh) Close() error {
	err := f.DB.Close()
	if f.cleanup != nil {
		if cerr := f.cleanup(); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}

// NewFresh creates a fresh, migrated database: with a postgres:// DSN, a new
// schema orderly_bench_<random> in that database, reached through
// search_path; otherwise a new SQLite file in a new temporary directory (dsn
// only chooses the engine).
func NewFresh(ctx context.Context, dsn string, opts store.Options) (*Fresh, error) {
	if store.IsPostgresDSN(dsn) {
		return freshPostgres(ctx, dsn, opts)
	}
	dir, err := os.MkdirTemp("", "orderly-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench store: %w", err)
	}
	path := filepath.Join(dir, "bench.db")
	db, err := store.Open(ctx, path, opts)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := db.Migrate(ctx, nil); err != nil {
		db.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	return &Fresh{DB: db, DSN: path, Where: path, cleanup: func() error { return os.RemoveAll(dir) }}, nil
}

func freshPostgres(ctx context.Context, base string, opts store.Options) (*Fresh, error) {
	var b [6]byte
	rand.Read(b[:])
	schema := "orderly_bench_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return nil, fmt.Errorf("bench store: %w", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return nil, fmt.Errorf("bench store: create schema: %w", err)
	}
	drop := func() error {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return err
		}
		defer admin.Close()
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			return fmt.Errorf("drop bench schema %s: %w", schema, err)
		}
		return nil
	}
	u, err := url.Parse(base)
	if err != nil {
		drop()
		return nil, fmt.Errorf("bench store: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	dsn := u.String()
	db, err := store.Open(ctx, dsn, opts)
	if err != nil {
		drop()
		return nil, err
	}
	if err := db.Migrate(ctx, nil); err != nil {
		db.Close()
		drop()
		return nil, err
	}
	return &Fresh{DB: db, DSN: dsn, Where: "schema " + schema, cleanup: drop}, nil
}
