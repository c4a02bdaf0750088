package orders_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/bench"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// statementCounter counts the statements a pgx connection sends (BEGIN and
// COMMIT included): each is one round trip to the server.
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TestPlaceRoundTripsPostgres counts the statements Place sends to
// PostgreSQL for the benchmark's 3-line order (all reserved, no hold) and
// holds them to at most what the raw SQL ceiling (bench.Raw) sends for the
// same rows: on PostgreSQL every statement is a round trip, and Place is
// compared with raw at concurrency 32 where the two cores are the limit
// (docs/performance.md, "Fewer round trips on PostgreSQL").
func TestPlaceRoundTripsPostgres(t *testing.T) {
	// Engines fails the test under CI when PostgreSQL is not configured;
	// elsewhere DSN below skips it with a message saying so.
	storetest.Engines(t)
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(storetest.DSN(t, store.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	counter := &statementCounter{}
	cfg.Tracer = counter
	sqlDB := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { sqlDB.Close() })
	sqlDB.SetMaxOpenConns(4)
	db := &store.DB{Engine: store.Postgres, Dialect: store.Dialect{Engine: store.Postgres}, W: sqlDB, R: sqlDB}
	if err := db.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	cat, err := bench.Seed(ctx, db, bench.SeedOptions{SKUs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := bench.Wire(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	as := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindToken, ID: 1, Name: "bench", Role: auth.Admin})
	raw := &bench.Raw{DB: db}

	const n = 20
	perOrder := func(mode string, batch []bench.Order) float64 {
		t.Helper()
		before := counter.n.Load()
		for i := range batch {
			o := &batch[i]
			if mode == "raw" {
				if err := raw.Place(ctx, o); err != nil {
					t.Fatalf("raw order %d: %v", i, err)
				}
				continue
			}
			p, err := svc.Orders.Place(as, o.Input())
			if err != nil || !p.Created {
				t.Fatalf("place order %d: created %v, %v", i, p.Created, err)
			}
			if len(p.Order.Lines) != 3 || p.Order.Lines[0].Reserved != p.Order.Lines[0].Quantity {
				t.Fatalf("order %d: want 3 reserved lines, got %+v", i, p.Order.Lines)
			}
		}
		return float64(counter.n.Load()-before) / float64(len(batch))
	}
	// Warm up: the first use of a statement on a connection prepares it.
	perOrder("raw", bench.Generate(cat, 5, 3, 1, "warm-raw"))
	perOrder("place", bench.Generate(cat, 5, 3, 2, "warm-place"))

	rawN := perOrder("raw", bench.Generate(cat, n, 3, 3, "raw"))
	placeN := perOrder("place", bench.Generate(cat, n, 3, 4, "place"))
	t.Logf("statements per 3-line order on PostgreSQL: raw %.2f, Place %.2f", rawN, placeN)
	if placeN > rawN {
		t.Errorf("Place sends %.2f statements per order, raw %.2f: Place must not need more round trips than raw", placeN, rawN)
	}
}
