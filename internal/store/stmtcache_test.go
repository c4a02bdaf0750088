package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// openCached opens a SQLite store in a temp dir with a statement cache of
// size per connection, and one connection of its write pool held for the test.
func openCached(t *testing.T, size int) (*DB, *sql.Conn, *cachedConn) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "cache.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.W.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	cc := rawConn(t, conn)
	cc.mu.Lock()
	cc.size = size
	cc.mu.Unlock()
	return db, conn, cc
}

func rawConn(t *testing.T, conn *sql.Conn) *cachedConn {
	t.Helper()
	var cc *cachedConn
	if err := conn.Raw(func(dc any) error {
		var ok bool
		cc, ok = dc.(*cachedConn)
		if !ok {
			return fmt.Errorf("connection is %T, not a caching one", dc)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return cc
}

func stats(cc *cachedConn) (cacheStats, int) { return cc.cacheStats() }

func TestStmtCacheSameAnswers(t *testing.T) {
	ctx := context.Background()
	_, conn, cc := openCached(t, 16)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, at TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for i := range 50 {
		var id int64
		err := conn.QueryRowContext(ctx, `INSERT INTO t (name, at) VALUES ($1, $2) RETURNING id`, fmt.Sprintf("n%d", i), at.Add(time.Duration(i)*time.Second)).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		if id != int64(i+1) {
			t.Fatalf("insert %d returned id %d", i, id)
		}
	}
	for i := range 50 {
		var name string
		var got time.Time
		if err := conn.QueryRowContext(ctx, `SELECT name, at FROM t WHERE id = $1`, i+1).Scan(&name, &got); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("n%d", i); name != want || !got.Equal(at.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("row %d = %q %v, want %q %v", i+1, name, got, want, at.Add(time.Duration(i)*time.Second))
		}
	}
	// An UPDATE run many times with different arguments affects the right rows.
	for i := range 50 {
		res, err := conn.ExecContext(ctx, `UPDATE t SET name = name || $1 WHERE id = $2`, "!", i+1)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("update %d affected %d rows", i+1, n)
		}
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM t WHERE name LIKE '%!'`).Scan(&n); err != nil || n != 50 {
		t.Fatalf("updated rows = %d, %v; want 50", n, err)
	}
	// A text argument is not kept bound: a later run with a NULL sees NULL.
	if _, err := conn.ExecContext(ctx, `INSERT INTO t (name, at) VALUES ($1, $2)`, "x", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO t (name, at) VALUES ($1, $2)`, "y", nil); err != nil {
		t.Fatal(err)
	}
	st, size := stats(cc)
	if st.hits < 49*3 {
		t.Fatalf("cache hits = %d, want at least %d (stats %+v)", st.hits, 49*3, st)
	}
	if size == 0 || size > 16 {
		t.Fatalf("cache holds %d statements", size)
	}
}

func TestStmtCacheEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	_, conn, cc := openCached(t, 3)
	q := func(i int) string { return fmt.Sprintf("SELECT %d + $1", i) }
	for round := range 3 {
		for i := range 5 {
			var got int
			if err := conn.QueryRowContext(ctx, q(i), 100).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != 100+i {
				t.Fatalf("round %d: %s = %d", round, q(i), got)
			}
		}
	}
	st, size := stats(cc)
	if size != 3 {
		t.Fatalf("cache holds %d statements, want 3", size)
	}
	if st.evictions < 12 {
		t.Fatalf("evictions = %d, want at least 12 (stats %+v)", st.evictions, st)
	}
	// The three most recent are cached: running them again only hits.
	before := st.hits
	for i := 2; i < 5; i++ {
		var got int
		if err := conn.QueryRowContext(ctx, q(i), 1).Scan(&got); err != nil {
			t.Fatal(err)
		}
	}
	if st, _ := stats(cc); st.hits != before+3 {
		t.Fatalf("hits = %d, want %d", st.hits, before+3)
	}
}

func TestStmtCacheBusyStatement(t *testing.T) {
	ctx := context.Background()
	_, conn, cc := openCached(t, 2)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := conn.ExecContext(ctx, `INSERT INTO t (id) VALUES ($1)`, i); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT id FROM t WHERE id >= $1 ORDER BY id`
	outer, err := conn.QueryContext(ctx, q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var seen []int
	for outer.Next() {
		var a int
		if err := outer.Scan(&a); err != nil {
			t.Fatal(err)
		}
		// The same statement while the outer one is stepping runs uncached,
		// and other statements push the busy one towards eviction.
		inner, err := conn.QueryContext(ctx, q, a)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for inner.Next() {
			n++
		}
		if err := inner.Close(); err != nil {
			t.Fatal(err)
		}
		if n != 4-a {
			t.Fatalf("inner query from %d saw %d rows, want %d", a, n, 4-a)
		}
		for j := range 3 {
			var x int
			if err := conn.QueryRowContext(ctx, fmt.Sprintf("SELECT %d", j)).Scan(&x); err != nil {
				t.Fatal(err)
			}
		}
		seen = append(seen, a)
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	if err := outer.Close(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seen) != "[1 2 3]" {
		t.Fatalf("outer rows = %v", seen)
	}
	st, size := stats(cc)
	if st.uncached < 3 {
		t.Fatalf("uncached runs = %d, want at least 3 (stats %+v)", st.uncached, st)
	}
	if size > 2 {
		t.Fatalf("cache holds %d statements after the busy one was released, want at most 2", size)
	}
	// The evicted statement was closed on release; the query still works.
	rows, err := conn.QueryContext(ctx, q, 2)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	if n != 2 {
		t.Fatalf("rows = %d, want 2", n)
	}
}

func TestStmtCacheSchemaChange(t *testing.T) {
	ctx := context.Background()
	db, conn, _ := openCached(t, 16)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE t (a INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO t (a) VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	cols := func(c interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}) []string {
		t.Helper()
		rows, err := c.QueryContext(ctx, `SELECT * FROM t`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		names, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return names
	}
	if got := fmt.Sprint(cols(conn)); got != "[a]" {
		t.Fatalf("columns = %s", got)
	}
	if got := fmt.Sprint(cols(db.R)); got != "[a]" {
		t.Fatalf("columns on the read pool = %s", got)
	}
	// A migration on the writer: the cached statements of both pools are
	// prepared again by SQLite and see the new schema.
	if _, err := conn.ExecContext(ctx, `ALTER TABLE t ADD COLUMN b TEXT NOT NULL DEFAULT 'x'`); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(cols(conn)); got != "[a b]" {
		t.Fatalf("columns after ALTER = %s", got)
	}
	if got := fmt.Sprint(cols(db.R)); got != "[a b]" {
		t.Fatalf("columns on the read pool after ALTER = %s", got)
	}
	// Dropped: the cached statement fails as an uncached one would.
	if _, err := conn.ExecContext(ctx, `DROP TABLE t`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO t (a) VALUES (1)`); err == nil {
		t.Fatal("insert into a dropped table succeeded")
	}
	// Made again with other columns: the same text works on the new table.
	if _, err := conn.ExecContext(ctx, `CREATE TABLE t (c TEXT, a INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO t (a) VALUES (1)`); err != nil {
		t.Fatalf("insert into the new table: %v", err)
	}
	if got := fmt.Sprint(cols(conn)); got != "[c a]" {
		t.Fatalf("columns of the new table = %s", got)
	}
}

func TestStmtCacheMultiStatementAndErrors(t *testing.T) {
	ctx := context.Background()
	_, conn, cc := openCached(t, 16)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE); INSERT INTO t (v) VALUES ('a'); INSERT INTO t (v) VALUES ('b');`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("count = %d, %v; want 2 (both statements of the script ran)", n, err)
	}
	if st, _ := stats(cc); st.uncached != 1 {
		t.Fatalf("uncached = %d, want 1 (the script)", st.uncached)
	}
	// A constraint error leaves the statement usable.
	const ins = `INSERT INTO t (v) VALUES ($1)`
	if _, err := conn.ExecContext(ctx, ins, "a"); err == nil {
		t.Fatal("duplicate insert succeeded")
	}
	if _, err := conn.ExecContext(ctx, ins, "c"); err != nil {
		t.Fatalf("insert after a failed one: %v", err)
	}
	// A syntax error is reported, and nothing is cached for it.
	_, size := stats(cc)
	if _, err := conn.ExecContext(ctx, `INSERT INTO nowhere VALUES (`); err == nil {
		t.Fatal("bad SQL succeeded")
	}
	if _, after := stats(cc); after != size {
		t.Fatalf("cache size %d -> %d after a failed prepare", size, after)
	}
	// A cancelled context ends the query; the statement runs again afterwards.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := conn.QueryRowContext(cctx, `SELECT count(*) FROM t`).Scan(&n); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled query: %v", err)
	}
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("count = %d, %v; want 3", n, err)
	}
}

// TestStmtCacheTransactions runs transactions on the one write connection
// from many goroutines with the read pool busy alongside (run with -race).
func TestStmtCacheTransactions(t *testing.T) {
	ctx := context.Background()
	db, conn, _ := openCached(t, stmtCacheSize)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE c (k INTEGER PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO c (k, n) VALUES (1, 0), (2, 0)`); err != nil {
		t.Fatal(err)
	}
	conn.Close() // give the writer back to the pool
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				err := db.InTx(ctx, func(tx *sql.Tx) error {
					var n int
					if err := tx.QueryRowContext(ctx, `SELECT n FROM c WHERE k = $1`, 1).Scan(&n); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, `UPDATE c SET n = $1 WHERE k = $2`, n+1, 1); err != nil {
						return err
					}
					if i%5 == 0 {
						return errors.New("roll back")
					}
					_, err := tx.ExecContext(ctx, `UPDATE c SET n = n + 1 WHERE k = $1`, 2)
					return err
				})
				if err != nil && err.Error() != "roll back" {
					errs <- err
					return
				}
				var n int
				if err := db.R.QueryRowContext(ctx, `SELECT n FROM c WHERE k = $1`, 1+g%2).Scan(&n); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var a, b int
	if err := db.R.QueryRowContext(ctx, `SELECT (SELECT n FROM c WHERE k = 1), (SELECT n FROM c WHERE k = 2)`).Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	if a != 8*20 || b != 8*20 {
		t.Fatalf("counters = %d, %d; want %d each (committed transactions only)", a, b, 8*20)
	}
}
