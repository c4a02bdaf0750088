package bench_test

import (
	"context"
	"testing"

	"github.com/orderly-oms/orderly/internal/bench"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestSeed checks the bench catalog is what the application would have
// written: every SKU's ATS is its positions' reported minus the buffer, as
// inventory computes it.
func TestSeed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cat, err := bench.Seed(ctx, db, bench.SeedOptions{SKUs: 1000, Stock: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(cat.SKUs) != 1000 || len(cat.Suppliers) != 4 {
			t.Fatalf("seeded %d SKUs over %d suppliers, want 1000 over 4", len(cat.SKUs), len(cat.Suppliers))
		}
		inv := inventory.New(db, nil, inventory.Options{})
		for _, i := range []int{0, 1, 2, 3, 998, 999} {
			s := cat.SKUs[i]
			got, err := inv.ATS(ctx, db.R, s.Variant)
			if err != nil {
				t.Fatal(err)
			}
			// SKU i+1: its first offer is at supplier (i+1)%4 (the first
			// supplier holds back BufferUnits); every third has a second
			// offer of 5 at supplier (i+2)%4.
			n := i + 1
			want := 100
			if n%4 == 0 {
				want -= bench.BufferUnits
			}
			if n%3 == 0 {
				second := 5
				if (n+1)%4 == 0 {
					second -= bench.BufferUnits
				}
				want += second
			}
			if got != want {
				t.Errorf("ATS of %s = %d, want %d", s.SKU, got, want)
			}
		}
		if cat.SKUs[0].SKU != "BENCH-0000001" || cat.SKUs[999].SKU != "BENCH-0001000" {
			t.Errorf("SKUs run %s..%s, want BENCH-0000001..BENCH-0001000", cat.SKUs[0].SKU, cat.SKUs[999].SKU)
		}
	})
}
