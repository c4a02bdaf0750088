package store_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestMigrateIsIdempotentAndCurrent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, nil); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		cur, latest, err := db.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cur != latest || cur < 2 {
			t.Fatalf("migration status = %d/%d, want current == latest >= 2", cur, latest)
		}
		// River's tables exist on both engines.
		var n int
		if err := db.R.QueryRowContext(ctx, "SELECT count(*) FROM river_job").Scan(&n); err != nil {
			t.Fatalf("river_job table: %v", err)
		}
	})
}

func TestInTxRollsBackOnError(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		now := time.Now().UTC()
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (principal, key, method, path, request_hash, created_at) VALUES ($1, $2, 'POST', '/x', 'h', $3)`, "p", "k", now)
			if err != nil {
				t.Fatalf("insert: %v", err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx error = %v, want boom", err)
		}
		var n int
		if err := db.R.QueryRowContext(ctx, "SELECT count(*) FROM idempotency_keys").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("rows after rollback = %d, want 0", n)
		}
	})
}

func TestTimesRoundTripAndCompare(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
		// Times a few microseconds apart must sort and compare in SQL in time order.
		for i, d := range []time.Duration{0, 120 * time.Microsecond, 3 * time.Microsecond, time.Second} {
			_, err := db.W.ExecContext(ctx, `INSERT INTO idempotency_keys (principal, key, method, path, request_hash, created_at) VALUES ('p', $1, 'POST', '/x', 'h', $2)`, string(rune('a'+i)), base.Add(d))
			if err != nil {
				t.Fatal(err)
			}
		}
		rows, err := db.R.QueryContext(ctx, `SELECT key, created_at FROM idempotency_keys WHERE created_at > $1 ORDER BY created_at`, base.Add(2*time.Microsecond))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var k string
			var at time.Time
			if err := rows.Scan(&k, &at); err != nil {
				t.Fatal(err)
			}
			got = append(got, k)
			if k == "b" && !at.Equal(base.Add(120*time.Microsecond)) {
				t.Errorf("created_at of b = %v, want %v", at, base.Add(120*time.Microsecond))
			}
		}
		if want := "cbd"; len(got) != 3 || got[0]+got[1]+got[2] != want {
			t.Fatalf("keys in time order = %v, want %s", got, want)
		}
	})
}

func TestUniqueViolationIsRecognised(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ins := `INSERT INTO idempotency_keys (principal, key, method, path, request_hash, created_at) VALUES ('p', 'k', 'POST', '/x', 'h', $1)`
		if _, err := db.W.ExecContext(ctx, ins, time.Now()); err != nil {
			t.Fatal(err)
		}
		_, err := db.W.ExecContext(ctx, ins, time.Now())
		if _, ok := db.Dialect.UniqueViolation(err); !ok {
			t.Fatalf("second insert error %v not recognised as a unique violation", err)
		}
	})
}

func TestConcurrentWritersDoNotFail(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs <- db.InTx(ctx, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (principal, key, method, path, request_hash, created_at) VALUES ('p', $1, 'POST', '/x', 'h', $2)`, time.Now().String()+string(rune('A'+i)), time.Now())
					return err
				})
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent InTx: %v", err)
			}
		}
		var n int
		db.R.QueryRowContext(ctx, "SELECT count(*) FROM idempotency_keys").Scan(&n)
		if n != 40 {
			t.Fatalf("rows = %d, want 40", n)
		}
	})
}
