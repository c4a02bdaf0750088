// Package orderstest builds a small store for tests of code that places
// orders: SKUs with a supplier offer and stock, and an orders.Service over the
// real database.
package orderstest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
)

// T0 is the time of the fixture's fixed clock at start.
var T0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// Clock is a settable clock, safe for concurrent use.
type Clock struct{ ns atomic.Int64 }

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock {
	c := &Clock{}
	c.Set(t)
	return c
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

// Fixture is a store with a supplier, ready to hold SKUs.
type Fixture struct {
	T         testing.TB
	DB        *store.DB
	Clock     *Clock
	Inventory *inventory.Service
	Customers *customers.Service
	Orders    *orders.Service
	Supplier  int64
	n         int
}

// New builds a fixture on db (migrated) with the given order options.
func New(t testing.TB, db *store.DB, opts orders.Options) *Fixture {
	t.Helper()
	f := &Fixture{T: t, DB: db, Clock: NewClock(T0)}
	f.Inventory = inventory.New(db, f.Clock.Now, inventory.Options{})
	f.Customers = customers.NewService(db, f.Clock.Now)
	var err error
	if f.Orders, err = orders.New(db, f.Inventory, f.Customers, nil, f.Clock.Now, opts); err != nil {
		t.Fatalf("orders.New: %v", err)
	}
	f.Supplier = f.insert(`INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
		VALUES ('Fixture Supplier', 'Europe/Lisbon', 'PT', 'active', $1, $1)`, T0)
	return f
}

func (f *Fixture) insert(q string, args ...any) int64 {
	f.T.Helper()
	var id int64
	if err := f.DB.W.QueryRowContext(context.Background(), q+" RETURNING id", args...).Scan(&id); err != nil {
		f.T.Fatalf("fixture %q: %v", q, err)
	}
	return id
}

// SKU is a variant created by the fixture.
type SKU struct {
	SKU     string
	Variant int64
	Offer   int64
}

// AddSKU creates a product with one active variant priced 10.00 EUR, an offer
// from the fixture's supplier (lead time 3 days) and stock reported.
func (f *Fixture) AddSKU(sku string, stock int) SKU {
	f.T.Helper()
	f.n++
	p := f.insert(`INSERT INTO products (title, status, created_at, updated_at) VALUES ($1, 'active', $2, $2)`, "Product "+sku, T0)
	v := f.insert(`INSERT INTO variants (product_id, sku, title, price_amount, price_currency, status, created_at, updated_at)
		VALUES ($1, $2, '', 1000, 'EUR', 'active', $3, $3)`, p, sku, T0)
	o := f.insert(`INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency, lead_time_days,
		min_order_qty, priority, status, created_at, updated_at)
		VALUES ($1, $2, $3, 500, 'EUR', 3, 1, 1, 'active', $4, $4)`, f.Supplier, v, fmt.Sprintf("SUP-%d", f.n), T0)
	if stock > 0 {
		f.Report(SKU{SKU: sku, Variant: v, Offer: o}, stock)
	}
	return SKU{SKU: sku, Variant: v, Offer: o}
}

// Report sets the quantity the supplier reports for s.
func (f *Fixture) Report(s SKU, qty int) {
	f.T.Helper()
	if _, err := f.Inventory.Report(context.Background(), s.Offer, qty, time.Time{}, "test"); err != nil {
		f.T.Fatalf("report %d of %s: %v", qty, s.SKU, err)
	}
}

// ATS returns the available-to-sell of s.
func (f *Fixture) ATS(s SKU) int {
	f.T.Helper()
	n, err := f.Inventory.ATS(context.Background(), f.DB.R, s.Variant)
	if err != nil {
		f.T.Fatalf("ATS of %s: %v", s.SKU, err)
	}
	return n
}

// Policy sets the backorder/pre-order policy of s.
func (f *Fixture) Policy(s SKU, in inventory.PolicyInput) {
	f.T.Helper()
	if _, err := f.Inventory.SetPolicy(context.Background(), s.SKU, in); err != nil {
		f.T.Fatalf("policy of %s: %v", s.SKU, err)
	}
}

// Address is a valid Italian shipping address.
func Address() customers.Address {
	return customers.Address{Name: "Giulia Rossi", Line1: "Via Roma 10", City: "Milano", PostalCode: "20121", Country: "IT"}
}

// Input returns a valid order for the given SKU quantities (sku, qty, sku, qty, ...).
func Input(email string, skuQty ...any) orders.PlaceInput {
	in := orders.PlaceInput{Currency: "EUR", Customer: orders.CustomerInput{Email: email, Name: "Giulia Rossi"},
		ShippingAddress: Address()}
	for i := 0; i+1 < len(skuQty); i += 2 {
		in.Lines = append(in.Lines, orders.LineInput{SKU: skuQty[i].(string), Quantity: skuQty[i+1].(int)})
	}
	return in
}
