package shipping_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/purchasing"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/shipping"
	"github.com/orderly-oms/orderly/internal/store"
)

var ctx = context.Background()

// fixture is an orders fixture with purchasing and shipping on its clock,
// and two suppliers: the fixture's (A) and B.
type fixture struct {
	*orderstest.Fixture
	t    *testing.T
	po   *purchasing.Service
	svc  *shipping.Service
	A, B int64
	n    int
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{Fixture: orderstest.New(t, db, orders.Options{}), t: t}
	f.A = f.Supplier
	if err := db.W.QueryRow(`INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
		VALUES ('Supplier B', 'Europe/Rome', 'IT', 'active', $1, $1) RETURNING id`, orderstest.T0).Scan(&f.B); err != nil {
		t.Fatal(err)
	}
	f.po = purchasing.New(db, f.Clock.Now, purchasing.Options{Timeline: f.Orders})
	f.svc = shipping.New(db, f.po, f.Orders, f.Clock.Now, shipping.Options{})
	return f
}

// sku adds a SKU with stock only at supplier (A or B).
func (f *fixture) sku(supplier int64, stock int) orderstest.SKU {
	f.t.Helper()
	f.n++
	s := f.AddSKU(fmt.Sprintf("SKU-%d", f.n), 0)
	if supplier != f.A {
		if _, err := f.DB.W.Exec(`UPDATE supplier_offers SET supplier_id = $1 WHERE id = $2`, supplier, s.Offer); err != nil {
			f.t.Fatal(err)
		}
	}
	f.Report(s, stock)
	return s
}

// placed is an order with its lines routed to purchase orders.
type placed struct {
	number  int64
	lines   []int64 // order line ids
	poLines []int64 // PO line ids, one per order line
}

// order places an order of the SKUs (sku, qty, ...), sends it to its
// suppliers and puts each line on its supplier's PO.
func (f *fixture) order(items ...any) placed {
	f.t.Helper()
	var in []any
	for i := 0; i < len(items); i += 2 {
		in = append(in, items[i].(orderstest.SKU).SKU, items[i+1])
	}
	f.n++
	p, err := f.Orders.Place(ctx, orderstest.Input(fmt.Sprintf("c%d@example.com", f.n), in...))
	if err != nil {
		f.t.Fatalf("place: %v", err)
	}
	o := p.Order
	if _, err := f.Orders.SendToSupplier(ctx, o.Number, nil, ""); err != nil {
		f.t.Fatalf("send: %v", err)
	}
	var as []routing.Assignment
	for i, l := range o.Lines {
		s := items[2*i].(orderstest.SKU)
		var sup int64
		var supSKU string
		if err := f.DB.R.QueryRow(`SELECT supplier_id, supplier_sku FROM supplier_offers WHERE id = $1`, s.Offer).Scan(&sup, &supSKU); err != nil {
			f.t.Fatal(err)
		}
		as = append(as, routing.Assignment{OrderID: o.Number, OrderLineID: l.ID, Position: l.Position, SupplierID: sup,
			OfferID: s.Offer, VariantID: s.Variant, SKU: s.SKU, SupplierSKU: supSKU, Title: l.Title, Quantity: l.Quantity,
			UnitCost: money.Money{Amount: 500, Currency: "EUR"}})
	}
	if err := f.DB.InTx(ctx, func(tx *sql.Tx) error { return f.po.AddTx(ctx, tx, as) }); err != nil {
		f.t.Fatalf("AddTx: %v", err)
	}
	out := placed{number: o.Number}
	for _, l := range o.Lines {
		var id int64
		if err := f.DB.R.QueryRow(`SELECT id FROM purchase_order_lines WHERE order_line_id = $1`, l.ID).Scan(&id); err != nil {
			f.t.Fatal(err)
		}
		out.lines = append(out.lines, l.ID)
		out.poLines = append(out.poLines, id)
	}
	return out
}

func (f *fixture) get(number int64) *orders.Order {
	f.t.Helper()
	o, err := f.Orders.Get(ctx, number)
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

// poLine reads a PO line's shipped and open units.
func (f *fixture) poLine(id int64) (shipped, open int, state string) {
	f.t.Helper()
	if err := f.DB.R.QueryRow(`SELECT qty_shipped, qty_pending + qty_accepted, state FROM purchase_order_lines WHERE id = $1`, id).
		Scan(&shipped, &open, &state); err != nil {
		f.t.Fatal(err)
	}
	return shipped, open, state
}
