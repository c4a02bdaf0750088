package inventory_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func placeOrder(t *testing.T, f *orderstest.Fixture, in orders.PlaceInput) *orders.Order {
	t.Helper()
	p, err := f.Orders.Place(context.Background(), in)
	if err != nil {
		t.Fatalf("place: %v", err)
	}
	return p.Order
}

func getOrder(t *testing.T, f *orderstest.Fixture, n int64) *orders.Order {
	t.Helper()
	o, err := f.Orders.Get(context.Background(), n)
	if err != nil {
		t.Fatalf("get order %d: %v", n, err)
	}
	return o
}

// TestFreshAgainFillsBackorders: while the only supplier is stale an order
// is backordered; when the supplier is fresh again (by the staleness job, a
// feed run, or a report) the waiting units are reserved in the same
// transaction, up to what became available and no further.
func TestFreshAgainFillsBackorders(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"feed run", "report", "setting"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				f := orderstest.New(t, db, orders.Options{})
				lamp := f.AddSKU("LAMP-1", 5)
				f.Policy(lamp, inventory.PolicyInput{BackorderLimit: 20})
				if _, err := f.Inventory.SetStaleness(ctx, f.Supplier, inventory.Staleness{MaxAge: 24 * time.Hour, Mode: inventory.StaleExclude}); err != nil {
					t.Fatal(err)
				}
				first := placeOrder(t, f, orderstest.Input("a@example.com", "LAMP-1", 2))
				if first.Lines[0].Reserved != 2 {
					t.Fatalf("fresh: line %+v, want 2 reserved", first.Lines[0])
				}

				f.Clock.Set(orderstest.T0.Add(25 * time.Hour))
				if c, err := f.Inventory.RefreshStaleness(ctx); err != nil || len(c) != 1 || !c[0].Stale {
					t.Fatalf("refresh: %+v, %v", c, err)
				}
				checkLevels(t, db, f.Inventory, "stale")
				if got := f.ATS(lamp); got != 0 {
					t.Fatalf("stale: ATS %d, want 0", got)
				}
				// The earlier order keeps its units; a new one waits.
				if o := getOrder(t, f, first.Number); o.Lines[0].Reserved != 2 {
					t.Errorf("stale: the earlier order has %+v, want its 2 units still reserved", o.Lines[0])
				}
				second := placeOrder(t, f, orderstest.Input("b@example.com", "LAMP-1", 4))
				third := placeOrder(t, f, orderstest.Input("c@example.com", "LAMP-1", 2))
				if l := second.Lines[0]; l.Reserved != 0 || l.Backordered != 4 || second.State != orders.AwaitingStock {
					t.Fatalf("stale: second order %+v (%s), want 4 backordered", l, second.State)
				}

				switch how {
				case "feed run": // an applied feed run that changed nothing
					inTx(t, db, func(tx *sql.Tx) error { return f.Inventory.MarkReported(ctx, tx, f.Supplier, time.Time{}) })
				case "report":
					f.Report(lamp, 5)
				case "setting": // staff lift the maximum age
					if _, err := f.Inventory.SetStaleness(ctx, f.Supplier, inventory.Staleness{Mode: inventory.StaleExclude}); err != nil {
						t.Fatal(err)
					}
				}
				checkLevels(t, db, f.Inventory, "fresh")
				// 3 units became sellable: the second order (first in line)
				// gets 3 of its 4, the third nothing.
				s, th := getOrder(t, f, second.Number).Lines[0], getOrder(t, f, third.Number).Lines[0]
				if s.Reserved != 3 || s.Backordered != 1 || th.Reserved != 0 || th.Backordered != 2 || f.ATS(lamp) != 0 {
					t.Errorf("fresh: second %+v, third %+v, ATS %d; want 3+1 waiting, 0+2 waiting, ATS 0", s, th, f.ATS(lamp))
				}
				if o := getOrder(t, f, first.Number); o.Lines[0].Reserved != 2 {
					t.Errorf("fresh: the earlier order has %+v", o.Lines[0])
				}
			})
		})
	}
}

// TestMinQuantityCrossingFillsBackorders: a report that crosses the minimum
// quantity frees all of the reported units, not only its delta, and they go
// to the waiting lines.
func TestMinQuantityCrossingFillsBackorders(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := orderstest.New(t, db, orders.Options{})
		lamp := f.AddSKU("LAMP-1", 2)
		f.Policy(lamp, inventory.PolicyInput{BackorderLimit: 20})
		if err := f.Inventory.SetSupplierMinQuantity(ctx, f.Supplier, 3); err != nil {
			t.Fatal(err)
		}
		if got := f.ATS(lamp); got != 0 {
			t.Fatalf("reported 2 under a minimum of 3: ATS %d, want 0", got)
		}
		o := placeOrder(t, f, orderstest.Input("a@example.com", "LAMP-1", 4))
		if l := o.Lines[0]; l.Reserved != 0 || l.Backordered != 4 {
			t.Fatalf("line %+v, want 4 backordered", l)
		}
		f.Report(lamp, 5) // +3 reported, +5 sellable
		checkLevels(t, db, f.Inventory, "reported 5")
		if l := getOrder(t, f, o.Number).Lines[0]; l.Reserved != 4 || l.Backordered != 0 || f.ATS(lamp) != 1 {
			t.Errorf("after reporting 5: line %+v, ATS %d; want 4 reserved, ATS 1", l, f.ATS(lamp))
		}
	})
}
