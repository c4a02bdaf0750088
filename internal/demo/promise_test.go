package demo_test

import (
	"context"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/demo"
	"github.com/orderly-oms/orderly/internal/promise/calendars"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestDemoPromises: every demo SKU with stock can be promised to Italy, to
// Manaus (a remote area) and to Anchorage, whichever supplier ships it.
func TestDemoPromises(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := demo.Load(ctx, db, clock); err != nil {
			t.Fatal(err)
		}
		svc := calendars.New(db, clock, calendars.Options{})
		rows, err := db.R.QueryContext(ctx, `SELECT sku FROM variants ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		var skus []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			skus = append(skus, s)
		}
		rows.Close()
		promised := 0
		for _, sku := range skus {
			for _, dest := range [][2]string{{"IT", "20121"}, {"BR", "69005-000"}, {"US", "99501"}} {
				p, err := svc.Promise(ctx, calendars.Request{Lines: []calendars.CartLine{{SKU: sku, Quantity: 1}}, Country: dest[0], PostalCode: dest[1]})
				if err != nil {
					if !apperr.Is(err, apperr.Unavailable) || !strings.Contains(err.Error(), "available") {
						t.Fatalf("%s to %s: %v", sku, dest[0], err)
					}
					continue
				}
				promised++
				if p.Latest.Before(p.Earliest) || p.Earliest.Before(p.ShipBy) || p.Cutoff.At.IsZero() {
					t.Errorf("%s to %s: %+v", sku, dest[0], p)
				}
				if remote := p.Shipments[0].RemoteDays > 0; remote != (dest[0] != "IT") {
					t.Errorf("%s to %s %s: remote area %q (%d days)", sku, dest[0], dest[1], p.Shipments[0].Remote, p.Shipments[0].RemoteDays)
				}
			}
		}
		if promised < len(skus)*3*9/10 {
			t.Errorf("%d of %d promised", promised, len(skus)*3)
		}
	})
}
