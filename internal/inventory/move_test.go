package inventory_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestMove(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := orderstest.New(t, db, orders.Options{})
		a := f.AddSKU("MOVE-1", 10)
		var sup2, offer2 int64
		if err := db.W.QueryRowContext(ctx, `INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
			VALUES ('Second', 'Europe/Rome', 'IT', 'active', $1, $1) RETURNING id`, orderstest.T0).Scan(&sup2); err != nil {
			t.Fatal(err)
		}
		if err := db.W.QueryRowContext(ctx, `INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency, lead_time_days,
			min_order_qty, priority, status, created_at, updated_at) VALUES ($1, $2, 'S2', 400, 'EUR', 2, 1, 2, 'active', $3, $3) RETURNING id`,
			sup2, a.Variant, orderstest.T0).Scan(&offer2); err != nil {
			t.Fatal(err)
		}
		b := orderstest.SKU{SKU: a.SKU, Variant: a.Variant, Offer: offer2}
		f.Report(b, 3)
		inv := f.Inventory
		ref := "order:1/line:1"
		tx := func(fn func(tx *sql.Tx) error) error { return db.InTx(ctx, fn) }
		if err := tx(func(tx *sql.Tx) error { _, err := inv.Reserve(ctx, tx, a.Variant, 5, ref); return err }); err != nil {
			t.Fatal(err)
		}
		held := func() map[int64]int {
			t.Helper()
			hs, err := inv.Reserved(ctx, db.R, ref)
			if err != nil {
				t.Fatal(err)
			}
			m := map[int64]int{}
			for _, h := range hs {
				m[h.OfferID] = h.Quantity
			}
			return m
		}
		if h := held(); h[a.Offer] != 5 {
			t.Fatalf("reserved %v", h)
		}
		// The target has 3: moving 4 fails and changes nothing.
		err := tx(func(tx *sql.Tx) error { return inv.Move(ctx, tx, ref, a.Offer, offer2, 4) })
		if !errors.Is(err, inventory.ErrMoveShort) {
			t.Fatalf("want ErrMoveShort, got %v", err)
		}
		if h := held(); h[a.Offer] != 5 || h[offer2] != 0 || f.ATS(a) != 8 {
			t.Fatalf("after a short move: %v ATS %d", h, f.ATS(a))
		}
		if err := tx(func(tx *sql.Tx) error { return inv.Move(ctx, tx, ref, a.Offer, offer2, 3) }); err != nil {
			t.Fatal(err)
		}
		if h := held(); h[a.Offer] != 2 || h[offer2] != 3 || f.ATS(a) != 8 {
			t.Fatalf("after the move: %v ATS %d", h, f.ATS(a))
		}
		// Moving more than held on the source is refused.
		if err := tx(func(tx *sql.Tx) error { return inv.Move(ctx, tx, ref, a.Offer, offer2, 3) }); err == nil {
			t.Fatal("moved more than held")
		}
		if err := tx(func(tx *sql.Tx) error { return inv.ReleaseOffer(ctx, tx, ref, offer2, 2) }); err != nil {
			t.Fatal(err)
		}
		if h := held(); h[offer2] != 1 || f.ATS(a) != 10 {
			t.Fatalf("after release on one offer: %v ATS %d", h, f.ATS(a))
		}
		if err := tx(func(tx *sql.Tx) error { return inv.ReserveOffer(ctx, tx, ref, a.Variant, offer2, 3) }); !errors.Is(err, inventory.ErrMoveShort) {
			t.Fatalf("reserve beyond available: %v", err)
		}
		if err := tx(func(tx *sql.Tx) error { return inv.ReserveOffer(ctx, tx, ref, a.Variant, offer2, 2) }); err != nil {
			t.Fatal(err)
		}
		if h := held(); h[offer2] != 3 || f.ATS(a) != 8 {
			t.Fatalf("after reserve on one offer: %v ATS %d", h, f.ATS(a))
		}
	})
}
