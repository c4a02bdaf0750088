package store

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect hides the few differences between SQLite and PostgreSQL SQL. Keep it
// small: most SQL is written once and runs on both.
type Dialect struct{ Engine Engine }

// ForUpdate returns " FOR UPDATE" on PostgreSQL and "" on SQLite, where the
// single writer connection already serialises transactions.
func (d Dialect) ForUpdate() string {
	if d.Engine == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// SkipLocked returns " FOR UPDATE SKIP LOCKED" on PostgreSQL and "" on SQLite.
func (d Dialect) SkipLocked() string {
	if d.Engine == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// ILike returns the case-insensitive LIKE operator: ILIKE on PostgreSQL, LIKE
// on SQLite (which folds ASCII case).
func (d Dialect) ILike() string {
	if d.Engine == Postgres {
		return "ILIKE"
	}
	return "LIKE"
}

// LikePattern escapes s for use inside a LIKE pattern with ESCAPE '\'.
func LikePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// UniqueViolation reports whether err is a unique-constraint violation and,
// where the engine says, which constraint or columns it names.
func (d Dialect) UniqueViolation(err error) (string, bool) {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23505" {
		return pg.ConstraintName, true
	}
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		// "UNIQUE constraint failed: variants.sku"
		msg := se.Error()
		if i := strings.LastIndex(msg, "failed: "); i >= 0 {
			return strings.TrimRight(msg[i+len("failed: "):], ")"), true
		}
		return "", true
	}
	return "", false
}

// ForeignKeyViolation reports whether err is a foreign-key violation.
func (d Dialect) ForeignKeyViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23503" {
		return true
	}
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// CheckViolation reports whether err is a CHECK-constraint violation.
func (d Dialect) CheckViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23514" {
		return true
	}
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_CHECK
}

// IsRetryable reports whether a transaction failed only because of
// concurrency (PostgreSQL serialization failure or deadlock; SQLite busy) and
// may be run again.
func (d Dialect) IsRetryable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}
