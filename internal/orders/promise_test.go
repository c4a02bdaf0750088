package orders_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// fakePromiser promises every order the same window, or fails with err.
type fakePromiser struct {
	err  error
	asks []orders.PromiseRequest
}

func (f *fakePromiser) PromiseOrder(_ context.Context, in orders.PromiseRequest) (orders.Promised, error) {
	f.asks = append(f.asks, in)
	if f.err != nil {
		return orders.Promised{}, f.err
	}
	return orders.Promised{ShipBy: "2026-03-04", Earliest: "2026-03-06", Latest: "2026-03-10", Confidence: 0.9, ComputedAt: orderstest.T0}, nil
}

func TestPlaceStoresThePromise(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fp := &fakePromiser{}
		f := orderstest.New(t, db, orders.Options{Promiser: fp})
		f.AddSKU("A-1", 5)
		f.AddSKU("B-1", 5)

		placed, err := f.Orders.Place(ctx, orderstest.Input("ana@example.com", "A-1", 2, "B-1", 1))
		if err != nil {
			t.Fatal(err)
		}
		want := &orders.Promised{ShipBy: "2026-03-04", Earliest: "2026-03-06", Latest: "2026-03-10", Confidence: 0.9, ComputedAt: orderstest.T0}
		if diff := cmp.Diff(want, placed.Order.Promise); diff != "" {
			t.Errorf("placed order's promise (-want +got):\n%s", diff)
		}
		ask := orders.PromiseRequest{Country: "IT", PostalCode: "20121", Lines: []orders.PromiseLine{{SKU: "A-1", Quantity: 2}, {SKU: "B-1", Quantity: 1}}}
		if len(fp.asks) != 1 || !cmp.Equal(fp.asks[0], ask) {
			t.Errorf("the promiser was asked %+v, want once %+v", fp.asks, ask)
		}
		got, err := f.Orders.Get(ctx, placed.Order.Number)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got.Promise); diff != "" {
			t.Errorf("stored promise (-want +got):\n%s", diff)
		}

		// An order placed two days before it arrives (an import) is not promised.
		old := orderstest.Input("old@example.com", "A-1", 1)
		old.PlacedAt = orderstest.T0.Add(-48 * time.Hour)
		placed, err = f.Orders.Place(ctx, old)
		if err != nil {
			t.Fatal(err)
		}
		if placed.Order.Promise != nil || len(fp.asks) != 1 {
			t.Errorf("an order placed two days ago was promised %+v (%d asks)", placed.Order.Promise, len(fp.asks))
		}

		// No promise can be made: the order is placed all the same, without one.
		fp.err = errors.New("supplier 1 has no delivery calendar")
		placed, err = f.Orders.Place(ctx, orderstest.Input("bob@example.com", "A-1", 1))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := f.Orders.Get(ctx, placed.Order.Number); err != nil || got.Promise != nil || placed.Order.Promise != nil {
			t.Errorf("an order that could not be promised has %+v / %+v, %v", placed.Order.Promise, got.Promise, err)
		}
	})
}
