package store

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"sync"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// stmtCacheSize is how many prepared statements each SQLite connection keeps.
// Orderly's hot paths use a few dozen distinct statements; the rest are rare
// and may be parsed again.
const stmtCacheSize = 256

// SQLite (modernc.org/sqlite) parses and plans a statement on every Exec and
// Query that is not run through a prepared statement, which is how all of
// Orderly's SQL and River's runs: about a third of the CPU of placing an
// order went to sqlite3_prepare. database/sql's own Stmt would need every
// caller to prepare its statements and pass them around. Instead, each SQLite
// connection keeps its recently used statements, keyed by their text, and
// runs a statement it already holds by binding, stepping and resetting it:
// nothing changes for the callers, and every user of a store.DB (the
// services, River, the benchmark's raw SQL) gains alike.
//
// SQLite re-prepares a statement by itself when the schema changed since it
// was prepared (sqlite3_prepare_v2), so a migration does not leave stale
// statements behind.

// cachingConnector opens SQLite connections that cache prepared statements.
type cachingConnector struct {
	base driver.Connector
	size int
}

func newCachingConnector(dsn string, size int) (*cachingConnector, error) {
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConnector{base: base, size: size}, nil
}

// sqliteConn is what a modernc.org/sqlite connection implements and
// database/sql looks for.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// Connect opens a connection with its own statement cache.
func (c *cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	inner, ok := dc.(sqliteConn)
	if !ok {
		return dc, nil // not the driver this was written for: no cache
	}
	return &cachedConn{sqliteConn: inner, size: c.size, byQuery: map[string]*list.Element{}, lru: list.New()}, nil
}

// Driver returns the SQLite driver.
func (c *cachingConnector) Driver() driver.Driver { return c.base.Driver() }

// cachedConn is a SQLite connection with a cache of prepared statements.
// database/sql uses a connection from one goroutine at a time; the mutex
// guards the cache against the exceptions (a Rows closed from another
// goroutine when its context ends) and keeps the race detector honest.
type cachedConn struct {
	sqliteConn
	size int

	mu      sync.Mutex
	byQuery map[string]*list.Element // of *cachedStmt
	lru     *list.List               // most recently used first
	stats   cacheStats
}

// cachedStmt is one prepared statement of a connection.
type cachedStmt struct {
	query string
	stmt  interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	// busy is set while a Rows of the statement is open: the statement is
	// stepping and cannot run again until the Rows is closed. A second use
	// meanwhile runs uncached.
	busy bool
	// evicted is set when the statement left the cache while busy: closing
	// the Rows closes it.
	evicted bool
}

// cacheStats counts what the cache did, for tests.
type cacheStats struct {
	hits, misses, uncached, evictions int
}

// cacheable reports whether query may be cached: a single statement. A string
// of several statements is run by the driver statement by statement, parsing
// each, and gains nothing from the cache.
func cacheable(query string) bool {
	q := strings.TrimRight(query, " \t\r\n;")
	return q != "" && !strings.Contains(q, ";")
}

// acquire returns the cached statement for query, preparing and caching it if
// needed, marked busy when forRows. It returns nil when the statement should
// run uncached: not cacheable, or busy with an open Rows.
func (c *cachedConn) acquire(ctx context.Context, query string, forRows bool) (*cachedStmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !cacheable(query) {
		c.stats.uncached++
		return nil, nil
	}
	if el, ok := c.byQuery[query]; ok {
		cs := el.Value.(*cachedStmt)
		if cs.busy {
			c.stats.uncached++
			return nil, nil
		}
		c.lru.MoveToFront(el)
		cs.busy = forRows
		c.stats.hits++
		return cs, nil
	}
	c.stats.misses++
	ds, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := ds.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		ds.Close()
		c.stats.uncached++
		return nil, nil
	}
	cs := &cachedStmt{query: query, stmt: st, busy: forRows}
	c.byQuery[query] = c.lru.PushFront(cs)
	for el := c.lru.Back(); el != nil && c.lru.Len() > c.size; {
		prev := el.Prev()
		if old := el.Value.(*cachedStmt); !old.busy {
			c.lru.Remove(el)
			delete(c.byQuery, old.query)
			old.stmt.Close()
			c.stats.evictions++
		}
		el = prev
	}
	return cs, nil
}

// forget drops cs from the cache after an error that may mean the statement
// can no longer run (the schema changed beyond what SQLite re-prepares).
func (c *cachedConn) forget(cs *cachedStmt, err error) {
	var se *sqlite.Error
	if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_SCHEMA {
		return
	}
	c.mu.Lock()
	el, ok := c.byQuery[cs.query]
	drop := ok && el.Value.(*cachedStmt) == cs
	if drop {
		c.lru.Remove(el)
		delete(c.byQuery, cs.query)
		c.stats.evictions++
		if cs.busy {
			cs.evicted = true
			drop = false
		}
	}
	c.mu.Unlock()
	if drop {
		cs.stmt.Close()
	}
}

// release marks cs idle again once its Rows is closed, closing it if it was
// evicted meanwhile.
func (c *cachedConn) release(cs *cachedStmt) {
	c.mu.Lock()
	cs.busy = false
	closeIt := cs.evicted
	c.mu.Unlock()
	if closeIt {
		cs.stmt.Close()
	}
}

// ExecContext runs query through its cached statement.
func (c *cachedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.acquire(ctx, query, false)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	res, err := cs.stmt.ExecContext(ctx, args)
	if err != nil {
		c.forget(cs, err)
	}
	return res, err
}

// QueryContext runs query through its cached statement; the statement stays
// busy until the Rows is closed.
func (c *cachedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.acquire(ctx, query, true)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.QueryContext(ctx, args)
	if err != nil {
		c.release(cs)
		c.forget(cs, err)
		return nil, err
	}
	r, ok := rows.(sqliteRows)
	if !ok {
		rows.Close()
		c.release(cs)
		return nil, errors.New("sqlite statement cache: the driver's rows lack column types")
	}
	return &cachedRows{sqliteRows: r, conn: c, stmt: cs}, nil
}

// Close closes the cached statements, then the connection. database/sql
// closes a connection only once its Rows are closed; a statement still busy
// is closed by its Rows anyway.
func (c *cachedConn) Close() error {
	c.mu.Lock()
	var errs []error
	for el := c.lru.Front(); el != nil; el = el.Next() {
		cs := el.Value.(*cachedStmt)
		if cs.busy {
			cs.evicted = true
			continue
		}
		errs = append(errs, cs.stmt.Close())
	}
	c.lru.Init()
	clear(c.byQuery)
	c.mu.Unlock()
	errs = append(errs, c.sqliteConn.Close())
	return errors.Join(errs...)
}

// sqliteRows is what modernc.org/sqlite's rows implement: the column type
// methods let database/sql's ColumnTypes work through the cache too.
type sqliteRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// cachedRows is the Rows of a cached statement.
type cachedRows struct {
	sqliteRows
	conn *cachedConn
	stmt *cachedStmt
	once sync.Once
}

// Close resets the statement (the driver does) and returns it to the cache.
func (r *cachedRows) Close() error {
	err := r.sqliteRows.Close()
	r.once.Do(func() { r.conn.release(r.stmt) })
	return err
}

// stats returns what the statement cache of the connection did.
func (c *cachedConn) cacheStats() (cacheStats, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats, c.lru.Len()
}
