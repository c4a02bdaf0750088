package orders_test

import (
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// Regression cases found by TestOrderProperties, each the shrunk sequence.

// TestRestockWaitsForPreorderRelease: a pre-order SKU ignores stock until its
// release. A restock before the release filled the short line of an order
// placed over the channel's pre-order cap (HoldShort), ahead of the earlier
// pre-orders and before the SKU was on sale. Now the short line waits for the
// release, which serves the pre-orders first and then gives what is left to
// the waiting lines — also for a SKU left with no pre-order at all.
func TestRestockWaitsForPreorderRelease(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{ShortOrders: orders.HoldShort})
		release := orderstest.T0.Add(2 * time.Hour)
		book := f.AddSKU("BOOK-1", 0)
		f.Policy(book, inventory.PolicyInput{PreorderReleaseAt: &release, PreorderCap: 3,
			ChannelCaps: []inventory.ChannelCap{{Channel: "shopify", Cap: 1}}})
		lone := f.AddSKU("BOOK-2", 0)
		f.Policy(lone, inventory.PolicyInput{PreorderReleaseAt: &release, PreorderCap: 1})

		in := orderstest.Input("a@example.com", "BOOK-1", 4)
		in.Channel = "shopify"
		over := place(t, f, in) // over the shopify cap: 4 short, held
		early := place(t, f, orderstest.Input("b@example.com", "BOOK-1", 2))
		loneOrder := place(t, f, orderstest.Input("c@example.com", "BOOK-2", 2)) // over the cap of 1: short
		if over.Lines[0].Short != 4 || early.Lines[0].Preordered != 2 || loneOrder.Lines[0].Short != 2 {
			t.Fatalf("placed: %+v / %+v / %+v", over.Lines[0], early.Lines[0], loneOrder.Lines[0])
		}
		f.Report(book, 5)
		f.Report(lone, 3)
		get := func(n int64) orders.Line {
			o, err := f.Orders.Get(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			return o.Lines[0]
		}
		if l := get(over.Number); l.Reserved != 0 || l.Short != 4 {
			t.Fatalf("a restock before the release filled a line of the unreleased SKU: %+v", l)
		}
		if l := get(loneOrder.Number); l.Reserved != 0 {
			t.Fatalf("a restock before the release filled a line of the unreleased SKU: %+v", l)
		}
		f.Clock.Set(release)
		n, err := f.Orders.ReleaseDuePreorders(ctx)
		if err != nil || n != 2 {
			t.Fatalf("release: %d, %v", n, err)
		}
		if l := get(early.Number); l.Reserved != 2 {
			t.Errorf("pre-order after the release: %+v", l)
		}
		if l := get(over.Number); l.Reserved != 3 || l.Short != 1 {
			t.Errorf("short line after the release: %+v, want the 3 units the pre-orders left", l)
		}
		if l := get(loneOrder.Number); l.Reserved != 2 || l.Short != 0 {
			t.Errorf("short line of a SKU with no pre-order left: %+v", l)
		}
		if f.ATS(book) != 0 || f.ATS(lone) != 1 {
			t.Errorf("ATS %d and %d, want 0 and 1", f.ATS(book), f.ATS(lone))
		}
	})
}
