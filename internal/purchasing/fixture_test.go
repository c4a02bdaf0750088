package purchasing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/orderly-oms/orderly/internal/apperr"
	"sync"
	"testing"

	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/store"
)

// fixture is an orders fixture with a purchasing service on the same clock.
type fixture struct {
	*orderstest.Fixture
	t   *testing.T
	svc *Service
	rr  *fakeRerouter
	n   int
}

// fakeRerouter records the reroute requests it is given.
type fakeRerouter struct {
	mu  sync.Mutex
	got []RerouteRequest
	err error
}

func (f *fakeRerouter) RerouteTx(_ context.Context, _ *sql.Tx, r RerouteRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.got = append(f.got, r)
	return nil
}

func newFixture(t *testing.T, db *store.DB, opts Options) *fixture {
	t.Helper()
	f := &fixture{Fixture: orderstest.New(t, db, orders.Options{}), t: t, rr: &fakeRerouter{}}
	if opts.Rerouter == nil {
		opts.Rerouter = f.rr
	}
	if opts.Timeline == nil {
		opts.Timeline = f.Orders
	}
	f.svc = New(db, f.Clock.Now, opts)
	return f
}

// supplier adds another supplier.
func (f *fixture) supplier(name, tz string) int64 {
	f.t.Helper()
	var id int64
	err := f.DB.W.QueryRow(`INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
		VALUES ($1, $2, 'PT', 'active', $3, $3) RETURNING id`, name, tz, orderstest.T0).Scan(&id)
	if err != nil {
		f.t.Fatalf("add supplier: %v", err)
	}
	return id
}

// order places an order of qty units of a new SKU and returns the
// assignment of all its units to the given supplier (the fixture's offer
// when supplier is the fixture's, else a new offer of that supplier).
func (f *fixture) order(supplier int64, qty int, cost money.Money) routing.Assignment {
	f.t.Helper()
	f.n++
	sku := f.AddSKU(fmt.Sprintf("SKU-%d", f.n), 100)
	placed, err := f.Orders.Place(context.Background(), orderstest.Input(fmt.Sprintf("c%d@example.com", f.n), sku.SKU, qty))
	if err != nil {
		f.t.Fatalf("place: %v", err)
	}
	o := placed.Order
	offer := sku.Offer
	supSKU := fmt.Sprintf("SUP-%d", f.n)
	if supplier != f.Supplier {
		supSKU = fmt.Sprintf("X-%d", f.n)
		if err := f.DB.W.QueryRow(`INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount,
				cost_currency, lead_time_days, min_order_qty, priority, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 3, 1, 2, 'active', $6, $6) RETURNING id`,
			supplier, sku.Variant, supSKU, cost.Amount, cost.Currency, orderstest.T0).Scan(&offer); err != nil {
			f.t.Fatalf("add offer: %v", err)
		}
	}
	return routing.Assignment{OrderID: o.Number, OrderLineID: o.Lines[0].ID, Position: 1, SupplierID: supplier,
		OfferID: offer, VariantID: sku.Variant, SKU: sku.SKU, SupplierSKU: supSKU, Title: o.Lines[0].Title,
		Quantity: qty, UnitCost: cost}
}

// add hands assignments to AddTx in one transaction.
func (f *fixture) add(as ...routing.Assignment) {
	f.t.Helper()
	if err := f.DB.InTx(context.Background(), func(tx *sql.Tx) error { return f.svc.AddTx(context.Background(), tx, as) }); err != nil {
		f.t.Fatalf("AddTx: %v", err)
	}
}

// setFulfilment writes a settings row directly.
func (f *fixture) setFulfilment(supplier int64, channel Channel, batch Batch, cutoffs string, slaMinutes int, reroute bool) {
	f.t.Helper()
	_, err := f.DB.W.Exec(`INSERT INTO supplier_fulfilment (supplier_id, channel, email_to, webhook_url, webhook_secret,
			batch, cutoff_minutes, ack_sla_minutes, reroute_on_timeout, updated_at)
		VALUES ($1, $2, 'orders@supplier.example', '', '', $3, $4, $5, $6, $7)`,
		supplier, string(channel), string(batch), cutoffs, slaMinutes, reroute, orderstest.T0)
	if err != nil {
		f.t.Fatalf("set fulfilment: %v", err)
	}
}

func eur(n int64) money.Money { return money.Money{Amount: n, Currency: "EUR"} }

func cost(cur string, n int64) money.Money { return money.Money{Amount: n, Currency: cur} }

func errorsAs(err error, target **apperr.Error) bool { return errors.As(err, target) }

func hasEvent(tl []orders.Entry, event string) bool {
	for _, e := range tl {
		if e.Event == event {
			return true
		}
	}
	return false
}
