package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/purchasing"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/store"
)

// Routing and purchase orders of the demo store (docs/routing.md,
// docs/purchasing.md): Tessuti Milano receives its purchase orders by email
// (a CSV attached; its digests in Italian), the other suppliers work in the
// supplier console; orders to Italy go to Tessuti Milano first, orders to
// the US and Canada to Prairie Goods first, every other order to the lowest
// landed cost, split over at most two suppliers.

// EmailSupplier is the demo supplier that receives purchase orders by email,
// at EmailSupplierTo; its supplier user is EmailSupplierLogin.
const (
	EmailSupplier      = "Tessuti Milano S.r.l."
	EmailSupplierTo    = "ordini@tessuti-milano.example"
	EmailSupplierLogin = "tessuti@example.com"
)

// EmailSupplierSKU is a demo SKU offered by the email supplier alone, with
// stock: an order for it to Italy is routed to Tessuti Milano and its
// purchase order goes out by email.
const EmailSupplierSKU = "85099B-1"

// demoFulfilment follows supplierSpecs: how each supplier receives its
// purchase orders. Every one is sent at once and must be answered within 24
// hours; the shipping estimates (per parcel) count in the lowest landed cost.
var demoFulfilment = []purchasing.FulfilmentInput{
	{Channel: purchasing.ChannelConsole, Locale: "en", ShippingEstimate: gbp(350)},
	{Channel: purchasing.ChannelEmail, EmailTo: EmailSupplierTo, Locale: "it", ShippingEstimate: gbp(400)},
	{Channel: purchasing.ChannelConsole, Locale: "en", ShippingEstimate: gbp(250)},
	{Channel: purchasing.ChannelConsole, Locale: "en", ShippingEstimate: gbp(600)},
}

func gbp(minor int64) money.Money { return money.Money{Amount: minor, Currency: "GBP"} }

// demoRules name their preferred supplier by its index in supplierSpecs.
var demoRules = []struct {
	name      string
	countries []string
	supplier  int
}{
	{"Italy: Tessuti Milano first", []string{"IT"}, 1},
	{"North America: Prairie Goods first", []string{"US", "CA"}, 3},
}

// loadFulfilment gives the demo suppliers their fulfilment settings and the
// store its routing rules and settings.
func loadFulfilment(ctx context.Context, db *store.DB, now func() time.Time, supplierIDs []int64) error {
	po := purchasing.New(db, now, purchasing.Options{})
	for i, in := range demoFulfilment {
		in.Batch = purchasing.BatchImmediate
		in.AckSLAMinutes = 24 * 60
		if _, err := po.PutFulfilment(ctx, supplierIDs[i], in); err != nil {
			return fmt.Errorf("demo fulfilment of %q: %w", supplierSpecs[i].in.Name, err)
		}
	}
	rs := routing.NewService(db, now)
	for _, r := range demoRules {
		if _, err := rs.CreateRule(ctx, routing.RuleInput{Name: r.name, Strategy: routing.Priority,
			Conditions: routing.Conditions{Countries: r.countries}, Suppliers: []int64{supplierIDs[r.supplier]}}); err != nil {
			return fmt.Errorf("demo routing rule %q: %w", r.name, err)
		}
	}
	if _, err := rs.SetSettings(ctx, routing.Settings{DefaultStrategy: routing.LowestCost, MaxParts: 2}); err != nil {
		return fmt.Errorf("demo routing settings: %w", err)
	}
	return nil
}
