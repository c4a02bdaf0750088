package inventory_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestConsumeUnits consumes part of a reference's reservation on one offer
// only: the other offer's units stay reserved, reported and reserved drop on
// the offer shipped from, and asking for more than is held there changes
// nothing.
func TestConsumeUnits(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		v, first, second := twoOffers(f, "PART-1", 5, 6)
		ref := "order:9/line:1"
		if _, err := f.reserve(inventory.Request{VariantID: v, Quantity: 7, Ref: ref}); err != nil {
			t.Fatal(err)
		}
		consume := func(offer int64, qty int) error {
			return db.InTx(ctx, func(tx *sql.Tx) error { return f.svc.ConsumeUnits(ctx, tx, ref, offer, qty) })
		}
		if err := consume(first, 2); err != nil {
			t.Fatalf("consume 2 on first: %v", err)
		}
		if rep, _, res := f.position(first); rep != 3 || res != 3 {
			t.Errorf("first after consuming 2 = reported %d, reserved %d; want 3, 3", rep, res)
		}
		if rep, _, res := f.position(second); rep != 6 || res != 2 {
			t.Errorf("second untouched = reported %d, reserved %d; want 6, 2", rep, res)
		}
		if n := f.ats(v); n != 4 { // (3-3) + (6-2)
			t.Errorf("ATS = %d, want 4", n)
		}
		err := consume(second, 3)
		if !apperr.Is(err, apperr.Conflict) || !inventory.IsNotReserved(err) {
			t.Fatalf("consume 3 of 2 held on second = %v; want a conflict NotReservedError", err)
		}
		if e := err.(*apperr.Error); e.Err.(*inventory.NotReservedError).Held != 2 {
			t.Errorf("held in error = %+v, want 2", e.Err)
		}
		if rep, _, res := f.position(second); rep != 6 || res != 2 {
			t.Errorf("second after refused consume = reported %d, reserved %d; want 6, 2", rep, res)
		}
		if err := consume(first, 3); err != nil {
			t.Fatalf("consume the rest on first: %v", err)
		}
		held, err := f.svc.Reserved(ctx, db.R, ref)
		if err != nil || len(held) != 1 || held[0].OfferID != second || held[0].Quantity != 2 {
			t.Errorf("reserved after consuming first = %+v, %v; want only 2 on second", held, err)
		}
		adj, _, err := f.svc.Adjustments(ctx, inventory.AdjustmentFilter{OfferID: first})
		if err != nil || len(adj) != 3 || adj[0].Kind != inventory.KindConsume || adj[0].Delta != -3 || adj[0].Reason != "shipped for "+ref {
			t.Errorf("adjustments of first = %+v, %v; want consumes of -3 then -2 and the report", adj, err)
		}
		if err := consume(first, 1); !inventory.IsNotReserved(err) {
			t.Errorf("consume on an offer with nothing held = %v, want NotReservedError", err)
		}
		if err := consume(second, 0); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("consume 0 = %v, want invalid", err)
		}
		if n := f.release(ref); n != 2 {
			t.Errorf("release of the rest freed %d, want 2", n)
		}
	})
}
