package inventory_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestReportBulkMatchesReport applies the same reports one by one with
// ReportTx and at once with ReportBulk on two twin sets of offers (same
// buffer rules, same reservations) and checks that positions, buffers, ATS
// and the restock hook end up the same; ReportBulk records adjustments only
// for the positions it changed.
func TestReportBulkMatchesReport(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		supA, supB := f.supplier("active"), f.supplier("active")
		if err := f.svc.SetSupplierBuffer(ctx, supA, inventory.Buffer{Units: 2}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetSupplierBuffer(ctx, supB, inventory.Buffer{Units: 2}); err != nil {
			t.Fatal(err)
		}
		// A minimum quantity: 2 → 5 frees more than its delta (the hook's budget).
		for _, s := range []int64{supA, supB} {
			if err := f.svc.SetSupplierMinQuantity(ctx, s, 3); err != nil {
				t.Fatal(err)
			}
		}
		type twin struct {
			a, b       int64 // offers
			va, vb     int64 // variants
			start, end int
		}
		quantities := [][2]int{{0, 10}, {10, 10}, {10, 3}, {5, 0}, {0, 0}, {7, 100}, {100, 40}, {-1, 12}, {2, 5}, {1, 2}} // -1: never reported
		var twins []twin
		for i, q := range quantities {
			va, vb := f.variant(fmt.Sprintf("BULK-A%d", i)), f.variant(fmt.Sprintf("BULK-B%d", i))
			tw := twin{a: f.offer(supA, va, 1, "active"), b: f.offer(supB, vb, 1, "active"), va: va, vb: vb, start: q[0], end: q[1]}
			if i%3 == 0 {
				// A SKU rule of 25% beats the supplier's 2 units on large quantities.
				for _, sku := range []string{fmt.Sprintf("BULK-A%d", i), fmt.Sprintf("BULK-B%d", i)} {
					if err := f.svc.SetSKUBuffer(ctx, sku, inventory.Buffer{Percent: 2500}); err != nil {
						t.Fatal(err)
					}
				}
			}
			if q[0] >= 0 {
				f.report(tw.a, q[0])
				f.report(tw.b, q[0])
			}
			twins = append(twins, tw)
		}
		hooked := map[int64]int{}
		f.svc.OnRestock(func(ctx context.Context, tx *sql.Tx, variantID int64, increase int) error {
			hooked[variantID] += increase
			return nil
		})
		var before int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM stock_adjustments`).Scan(&before); err != nil {
			t.Fatal(err)
		}
		at := t0.Add(-time.Minute)
		var bulk []inventory.BulkReport
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			for _, tw := range twins {
				if _, err := f.svc.ReportTx(ctx, tx, tw.a, tw.end, at, "feed:1"); err != nil {
					return err
				}
				bulk = append(bulk, inventory.BulkReport{OfferID: tw.b, Quantity: tw.end})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var changes []inventory.BulkChange
		err = db.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			changes, err = f.svc.ReportBulk(ctx, tx, inventory.BulkInput{Reports: bulk, At: at, Actor: "feed:2"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		wantChanged := 0
		for _, tw := range twins {
			ra, ba, _ := f.position(tw.a)
			rb, bb, _ := f.position(tw.b)
			if ra != rb || ba != bb || rb != tw.end {
				t.Errorf("%d→%d: ReportTx gave reported %d buffer %d, ReportBulk reported %d buffer %d", tw.start, tw.end, ra, ba, rb, bb)
			}
			if a, b := f.ats(tw.va), f.ats(tw.vb); a != b {
				t.Errorf("%d→%d: ATS %d after ReportTx, %d after ReportBulk", tw.start, tw.end, a, b)
			}
			if hooked[tw.va] != hooked[tw.vb] {
				t.Errorf("%d→%d: restock hook got %d after ReportTx, %d after ReportBulk", tw.start, tw.end, hooked[tw.va], hooked[tw.vb])
			}
			if max(tw.start, 0) != tw.end {
				wantChanged++
			}
			var n int
			if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM stock_adjustments WHERE offer_id = $1 AND actor = 'feed:2' AND kind = 'report'`, tw.b).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{true: 1, false: 0}[max(tw.start, 0) != tw.end]; n != want {
				t.Errorf("%d→%d: %d adjustments recorded by the bulk report, want %d", tw.start, tw.end, n, want)
			}
		}
		if len(changes) != wantChanged {
			t.Errorf("ReportBulk changed %d positions, want %d: %+v", len(changes), wantChanged, changes)
		}

		// Waiting narrows the hook to the variants it names.
		hooked = map[int64]int{}
		err = db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := f.svc.ReportBulk(ctx, tx, inventory.BulkInput{Actor: "feed:3",
				Reports: []inventory.BulkReport{{OfferID: twins[0].b, Quantity: 50}, {OfferID: twins[1].b, Quantity: 60}},
				Waiting: func(_ context.Context, _ *sql.Tx, ids []int64) ([]int64, error) { return []int64{twins[1].vb}, nil }})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(hooked) != 1 || hooked[twins[1].vb] != 50 {
			t.Errorf("restock hook with Waiting: %v, want only variant %d +50", hooked, twins[1].vb)
		}

		// Bad input changes nothing.
		for _, in := range [][]inventory.BulkReport{
			{{OfferID: twins[0].b, Quantity: -1}},
			{{OfferID: twins[0].b, Quantity: 1}, {OfferID: twins[0].b, Quantity: 2}},
			{{OfferID: 999999, Quantity: 1}},
		} {
			err := db.InTx(ctx, func(tx *sql.Tx) error {
				_, err := f.svc.ReportBulk(ctx, tx, inventory.BulkInput{Reports: in, Actor: "feed:4"})
				return err
			})
			if !apperr.Is(err, apperr.Invalid) && !apperr.Is(err, apperr.NotFound) {
				t.Errorf("ReportBulk(%+v) = %v, want invalid or not found", in, err)
			}
		}
		if r, _, _ := f.position(twins[0].b); r != 50 {
			t.Errorf("position after refused bulk reports: %d, want 50", r)
		}
	})
}
