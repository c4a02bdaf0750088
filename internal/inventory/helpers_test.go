package inventory_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
)

// tb is what the fixture needs from a *testing.T or a *rapid.T.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

// t0 is the fixed clock of every test.
var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func fixedClock() time.Time { return t0 }

// fixture writes catalog and supplier rows with plain SQL: the inventory tests
// must not depend on how the catalog package creates them.
type fixture struct {
	t   tb
	db  *store.DB
	svc *inventory.Service
	n   int
}

func newFixture(t testing.TB, db *store.DB) *fixture {
	return &fixture{t: t, db: db, svc: inventory.New(db, fixedClock, inventory.Options{})}
}

func (f *fixture) insert(q string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.db.W.QueryRowContext(context.Background(), q+" RETURNING id", args...).Scan(&id); err != nil {
		f.t.Fatalf("fixture %q: %v", q, err)
	}
	return id
}

// variant creates a product with one variant of the given SKU.
func (f *fixture) variant(sku string) int64 {
	f.t.Helper()
	p := f.insert(`INSERT INTO products (title, status, created_at, updated_at) VALUES ($1, 'active', $2, $2)`, "Product "+sku, t0)
	return f.insert(`INSERT INTO variants (product_id, sku, title, price_amount, price_currency, status, created_at, updated_at)
		VALUES ($1, $2, '', 1000, 'EUR', 'active', $3, $3)`, p, sku, t0)
}

// supplier creates a supplier with status active or paused.
func (f *fixture) supplier(status string) int64 {
	f.t.Helper()
	f.n++
	return f.insert(`INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at) VALUES ($1, 'Europe/Lisbon', 'PT', $2, $3, $3)`,
		fmt.Sprintf("Supplier %d", f.n), status, t0)
}

// offer links a supplier to a variant with a priority and status active or inactive.
func (f *fixture) offer(supplierID, variantID int64, priority int, status string) int64 {
	f.t.Helper()
	f.n++
	return f.insert(`INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency, lead_time_days, min_order_qty, priority, status, created_at, updated_at)
		VALUES ($1, $2, $3, 500, 'EUR', 3, 1, $4, $5, $6, $6)`, supplierID, variantID, fmt.Sprintf("S-%d", f.n), priority, status, t0)
}

// report sets an offer's reported quantity.
func (f *fixture) report(offerID int64, qty int) {
	f.t.Helper()
	if _, err := f.svc.Report(context.Background(), offerID, qty, time.Time{}, "test"); err != nil {
		f.t.Fatalf("report %d on offer %d: %v", qty, offerID, err)
	}
}

func (f *fixture) ats(variantID int64) int {
	f.t.Helper()
	n, err := f.svc.ATS(context.Background(), f.db.R, variantID)
	if err != nil {
		f.t.Fatalf("ATS of %d: %v", variantID, err)
	}
	return n
}

// reserve runs ReserveMany in its own transaction.
func (f *fixture) reserve(reqs ...inventory.Request) ([]inventory.Reservation, error) {
	var out []inventory.Reservation
	err := f.db.InTx(context.Background(), func(tx *sql.Tx) error {
		var err error
		out, err = f.svc.ReserveMany(context.Background(), tx, reqs)
		return err
	})
	return out, err
}

func (f *fixture) release(ref string) int {
	f.t.Helper()
	var n int
	err := f.db.InTx(context.Background(), func(tx *sql.Tx) error {
		var err error
		n, err = f.svc.Release(context.Background(), tx, ref)
		return err
	})
	if err != nil {
		f.t.Fatalf("release %s: %v", ref, err)
	}
	return n
}

// position reads an offer's stored position.
func (f *fixture) position(offerID int64) (reported, buffer, reserved int) {
	f.t.Helper()
	err := f.db.R.QueryRowContext(context.Background(), `SELECT reported, buffer, reserved FROM stock_positions WHERE offer_id = $1`, offerID).
		Scan(&reported, &buffer, &reserved)
	if err != nil && err != sql.ErrNoRows {
		f.t.Fatalf("position of offer %d: %v", offerID, err)
	}
	return reported, buffer, reserved
}
