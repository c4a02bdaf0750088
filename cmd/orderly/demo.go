package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/orderly-oms/orderly/internal/demo"
	"github.com/orderly-oms/orderly/internal/orderlinks"
)

// loadDemo loads the demo store for serve --demo when the database has no
// products yet. A database that has products is left alone: --demo on a
// restart must not fail, nor touch real data.
func loadDemo(ctx context.Context, a *app) (loaded bool, err error) {
	empty, err := demo.Empty(ctx, a.db)
	if err != nil {
		return false, err
	}
	if !empty {
		a.log.Info("demo store not loaded: the database already has products")
		return false, nil
	}
	start := time.Now()
	sum, err := demo.Load(ctx, a.db, a.now)
	if err != nil {
		return false, fmt.Errorf("load demo store: %w", err)
	}
	// The out-of-stock tour: an order waits for a SKU that is out
	// (docs/out-of-stock.md); it goes through the app's own services, so its
	// events reach notifications and the restock questions.
	bo, err := demo.LoadOutOfStock(ctx, a.db, demo.OutOfStockServices{Inventory: a.inventory, Orders: a.orders, Coupons: a.coupons})
	if err != nil {
		return false, fmt.Errorf("load demo store: %w", err)
	}
	a.log.Info("demo store loaded", "products", sum.Products, "variants", sum.Variants, "suppliers", sum.Suppliers,
		"offers", sum.Offers, "users", sum.Users, "backordered_order", bo.Order, "duration", time.Since(start).Round(time.Millisecond))
	return true, nil
}

// printDemoBackorder tells the person who started serve --demo where the
// out-of-stock tour starts: the waiting order, where its email goes, and
// the customer's order page (a signed link, valid 60 days).
func printDemoBackorder(ctx context.Context, w io.Writer, a *app, base string) error {
	bo, ok, err := demo.FindBackorder(ctx, a.db)
	if err != nil || !ok {
		return err
	}
	signer, err := orderlinks.Load(ctx, a.db)
	if err != nil {
		return err
	}
	link := base + orderlinks.Path(signer.Token(bo.Order, a.now().AddDate(0, 0, 60)))
	a.log.Info("demo backordered order", "order", bo.Order, "sku", bo.SKU, "customer_link", link)
	fmt.Fprintf(w, "Out of stock: order %d waits for 2 × %s (%s). Its customer's emails go to %s (%s);\n"+
		"  her order page: %s\n  %s (%s) is asked for a restock date at %s/console/supplier/restock-questions.\n",
		bo.Order, bo.SKU, bo.Title, demo.BackorderCustomer, a.mailWhere, link, demo.BackorderSupplier, "supplier@example.com", base)
	return nil
}

// printDemoLogins tells the person who started serve --demo how to log in.
func printDemoLogins(w io.Writer, consoleURL string) {
	fmt.Fprintf(w, "Demo store: log in at %s with one of these users (password %q), then search for SKU %s.\n",
		consoleURL, demo.Password, demo.FirstSKU)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, l := range demo.Logins {
		switch {
		case l.Supplier == demo.EmailSupplier:
			fmt.Fprintf(tw, "  %s\t%s\t%s (purchase orders by email to %s)\n", l.Role, l.Email, l.Supplier, demo.EmailSupplierTo)
		case l.Supplier != "":
			fmt.Fprintf(tw, "  %s\t%s\t%s (purchase orders in the supplier console)\n", l.Role, l.Email, l.Supplier)
		default:
			fmt.Fprintf(tw, "  %s\t%s\n", l.Role, l.Email)
		}
	}
	tw.Flush()
}
