package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/orderly-oms/orderly/internal/demo"
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
	a.log.Info("demo store loaded", "products", sum.Products, "variants", sum.Variants, "suppliers", sum.Suppliers,
		"offers", sum.Offers, "users", sum.Users, "duration", time.Since(start).Round(time.Millisecond))
	return true, nil
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
