package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"hash/crc64"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations
var migrations embed.FS

// riverMigrationVersion is the goose version that creates River's job tables.
// A River upgrade that brings new River migrations adds another Go migration
// that runs riverUp again, so both schemas stay under one version history.
const riverMigrationVersion = 1

func (db *DB) provider(ctx context.Context, logger *slog.Logger) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.Engine))
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", db.Engine, err)
	}
	dialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(db.riverMigration()),
	}
	if logger != nil {
		opts = append(opts, goose.WithSlog(logger))
	}
	if db.Engine == Postgres {
		dialect = goose.DialectPostgres
		// A session-level advisory lock: two instances starting together take
		// turns, and the second finds nothing left to do. Advisory locks are
		// database-wide, so the lock id is derived from the schema: instances
		// on one schema exclude each other, migrations of other schemas (the
		// tests' parallel schemas) do not wait for them. A waiting instance
		// checks every second.
		var schema string
		if err := db.W.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return nil, fmt.Errorf("migration lock: read current schema: %w", err)
		}
		lockID := int64(crc64.Checksum([]byte("orderly-migrate:"+schema), crc64.MakeTable(crc64.ECMA)) >> 1)
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID), lock.WithLockTimeout(1, 600))
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.W, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}

// Migrate brings the schema up to date. It is safe to call from several
// instances at once on PostgreSQL.
func (db *DB) Migrate(ctx context.Context, logger *slog.Logger) error {
	p, err := db.provider(ctx, logger)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", db.Engine, err)
	}
	if logger != nil && len(results) > 0 {
		logger.Info("migrated database", "engine", db.Engine, "applied", len(results))
	}
	return nil
}

// MigrationStatus returns the applied and the latest known schema versions.
func (db *DB) MigrationStatus(ctx context.Context) (current, latest int64, err error) {
	p, err := db.provider(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	current, latest, err = p.GetVersions(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read migration status: %w", err)
	}
	return current, latest, nil
}

func (db *DB) riverMigrator() (*rivermigrate.Migrator[*sql.Tx], error) {
	if db.Engine == Postgres {
		return rivermigrate.New(riverdatabasesql.New(db.W), nil)
	}
	return rivermigrate.New(riversqlite.New(db.W), nil)
}

// riverMigration creates River's tables. On SQLite it runs in goose's
// transaction (goose holds the single write connection, so it must). On
// PostgreSQL it runs outside one transaction: River's migrations add enum
// values that later statements use, which PostgreSQL forbids in one
// transaction; River applies each of its versions in its own transaction, and
// goose's advisory lock keeps other instances out meanwhile.
func (db *DB) riverMigration() *goose.Migration {
	if db.Engine == Postgres {
		return goose.NewGoMigration(riverMigrationVersion, &goose.GoFunc{RunDB: db.riverUp}, &goose.GoFunc{RunDB: db.riverDown})
	}
	return goose.NewGoMigration(riverMigrationVersion, &goose.GoFunc{RunTx: db.riverUpTx}, &goose.GoFunc{RunTx: db.riverDownTx})
}

func (db *DB) riverUpTx(ctx context.Context, tx *sql.Tx) error {
	m, err := db.riverMigrator()
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	//lint:ignore SA1019 on SQLite goose holds the one write connection, so River must migrate inside goose's transaction
	if _, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	return nil
}

func (db *DB) riverDownTx(ctx context.Context, tx *sql.Tx) error {
	m, err := db.riverMigrator()
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	//lint:ignore SA1019 on SQLite goose holds the one write connection, so River must migrate inside goose's transaction
	if _, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionDown, &rivermigrate.MigrateOpts{TargetVersion: -1}); err != nil {
		return fmt.Errorf("river down migrations: %w", err)
	}
	return nil
}

func (db *DB) riverUp(ctx context.Context, _ *sql.DB) error {
	m, err := db.riverMigrator()
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	return nil
}

func (db *DB) riverDown(ctx context.Context, _ *sql.DB) error {
	m, err := db.riverMigrator()
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionDown, &rivermigrate.MigrateOpts{TargetVersion: -1}); err != nil {
		return fmt.Errorf("river down migrations: %w", err)
	}
	return nil
}
