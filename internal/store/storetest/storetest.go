// Package storetest gives tests a real, migrated, empty database: SQLite in
// the test's temp dir always, and PostgreSQL (a schema of its own, dropped
// after the test) when ORDERLY_TEST_POSTGRES holds a DSN.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/orderly-oms/orderly/internal/store"
)

// PostgresEnv names the variable that holds the test PostgreSQL DSN.
const PostgresEnv = "ORDERLY_TEST_POSTGRES"

// Engines returns the engines tests run on here: SQLite, and PostgreSQL when
// configured. With CI set, a missing PostgreSQL DSN fails the test.
func Engines(t testing.TB) []store.Engine {
	t.Helper()
	engines := []store.Engine{store.SQLite}
	if os.Getenv(PostgresEnv) != "" {
		engines = append(engines, store.Postgres)
	} else if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but %s is empty: PostgreSQL tests must run in CI", PostgresEnv)
	}
	return engines
}

// Run runs fn as a subtest once per engine, each with its own fresh database.
func Run(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			fn(t, Open(t, e))
		})
	}
}

// DSN returns a DSN for a fresh, empty (unmigrated) database of engine e,
// removed when the test ends. It skips the test if e is PostgreSQL and no DSN
// is configured.
func DSN(t testing.TB, e store.Engine) string {
	t.Helper()
	if e == store.SQLite {
		return filepath.Join(t.TempDir(), "orderly.db")
	}
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a DSN to run them", PostgresEnv)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", PostgresEnv, err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Logf("drop test schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated, empty database of engine e, closed when the test ends.
func Open(t testing.TB, e store.Engine) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, DSN(t, e), store.Options{MaxOpenConns: 10})
	if err != nil {
		t.Fatalf("open %s: %v", e, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, nil); err != nil {
		t.Fatalf("migrate %s: %v", e, err)
	}
	return db
}
