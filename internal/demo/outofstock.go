package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/coupons"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
)

// The out-of-stock tour (docs/out-of-stock.md): a SKU that only Lisboa
// Cerâmica offers is out of stock and may be backordered; Olivia Bennett's
// order for two of it waits. Once serve runs its jobs, her backorder email
// is written (the mail directory by default) and Lisboa Cerâmica gets a
// restock question in its console; when its user answers with a date, Olivia
// gets the date and the link to her order page, where she may wait or cancel:
// a cancel records the refund and, by the demo's policy, a 10 % apology
// coupon. Not answering for 72 hours cancels it the same way.

// Backorder names the demo's waiting order.
const (
	BackorderExternalID = "DEMO-BACKORDER-1"
	BackorderCustomer   = "olivia@example.com"
	// BackorderSupplier is the one supplier of the waiting SKU; its user is
	// supplier@example.com.
	BackorderSupplier = "Lisboa Cerâmica Lda"
)

// Backorder is what LoadOutOfStock made.
type Backorder struct {
	Order int64
	SKU   string
	Title string
}

// OutOfStockServices are the services LoadOutOfStock works through: the
// server's own, so the order's events reach their subscribers as any order's.
type OutOfStockServices struct {
	Inventory *inventory.Service
	Orders    *orders.Service
	Coupons   *coupons.Service
}

// LoadOutOfStock sets up the out-of-stock tour on a freshly loaded demo
// store: the SKU's stock goes to 0 with backorders allowed, the store gives
// apology coupons (10 % for 90 days), and the waiting order is placed.
func LoadOutOfStock(ctx context.Context, db *store.DB, svc OutOfStockServices) (Backorder, error) {
	var b Backorder
	ctx = auth.WithPrincipal(ctx, auth.System("demo"))
	// The first single-pack SKU of an active product that only the
	// supplier offers.
	var offer int64
	err := db.R.QueryRowContext(ctx, `SELECT v.sku, p.title, o.id FROM variants v JOIN products p ON p.id = v.product_id
		JOIN supplier_offers o ON o.variant_id = v.id JOIN suppliers su ON su.id = o.supplier_id
		WHERE su.name = $1 AND p.status = 'active' AND v.sku LIKE '%-1'
			AND NOT EXISTS (SELECT 1 FROM supplier_offers x WHERE x.variant_id = v.id AND x.id <> o.id)
		ORDER BY v.sku LIMIT 1`, BackorderSupplier).Scan(&b.SKU, &b.Title, &offer)
	if err != nil {
		return b, fmt.Errorf("demo out-of-stock SKU: %w", err)
	}
	if _, err := svc.Inventory.Report(ctx, offer, 0, time.Time{}, "system:demo"); err != nil {
		return b, fmt.Errorf("demo out-of-stock SKU %s: %w", b.SKU, err)
	}
	if _, err := svc.Inventory.SetPolicy(ctx, b.SKU, inventory.PolicyInput{BackorderLimit: 20}); err != nil {
		return b, fmt.Errorf("demo backorder policy of %s: %w", b.SKU, err)
	}
	if _, err := svc.Coupons.SetPolicy(ctx, coupons.Policy{Enabled: true, Kind: coupons.KindPercent, Percent: 10, ValidityDays: 90,
		Prefix: "SORRY", Amount: money.Money{Currency: "GBP"}}); err != nil {
		return b, fmt.Errorf("demo coupon policy: %w", err)
	}
	placed, err := svc.Orders.Place(ctx, orders.PlaceInput{ExternalID: BackorderExternalID, Currency: "GBP",
		Customer: orders.CustomerInput{Email: BackorderCustomer, Name: "Olivia Bennett", Locale: "en"},
		ShippingAddress: customers.Address{Name: "Olivia Bennett", Line1: "221B Baker Street", City: "London", PostalCode: "NW1 6XE",
			Country: "GB"},
		Lines: []orders.LineInput{{SKU: b.SKU, Quantity: 2}}})
	if err != nil {
		return b, fmt.Errorf("demo backordered order: %w", err)
	}
	b.Order = placed.Order.Number
	if l := placed.Order.Lines[0]; l.Backordered != 2 {
		return b, fmt.Errorf("demo backordered order %d: line %s has %d units backordered, want 2", b.Order, l.SKU, l.Backordered)
	}
	return b, nil
}

// FindBackorder returns the demo's waiting order, if the store has it (a
// restart of serve --demo on the same database).
func FindBackorder(ctx context.Context, db *store.DB) (Backorder, bool, error) {
	var b Backorder
	err := db.R.QueryRowContext(ctx, `SELECT o.id, l.sku, l.title FROM orders o JOIN order_lines l ON l.order_id = o.id
		WHERE o.external_id = $1 ORDER BY l.position LIMIT 1`, BackorderExternalID).Scan(&b.Order, &b.SKU, &b.Title)
	if errors.Is(err, sql.ErrNoRows) {
		return b, false, nil
	}
	if err != nil {
		return b, false, fmt.Errorf("demo backordered order: %w", err)
	}
	return b, true, nil
}
