package csvimport_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/csvimport"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// importFile returns an import file of n orders of one to four lines over
// 50 SKUs, for 2,000 customers, with refs prefixed by prefix.
func importFile(prefix string, n int) []byte {
	var b bytes.Buffer
	b.WriteString("order_ref,email,name,currency,sku,quantity,unit_price,shipping,ship_name,ship_line1,ship_city,ship_postal_code,ship_country,placed_at\n")
	for o := range n {
		for l := range 1 + o%4 {
			sku := fmt.Sprintf("SKU-%02d", (o*7+l*13)%50)
			if l == 0 {
				fmt.Fprintf(&b, "%s%d,c%d@example.com,Customer %d,EUR,%s,%d,%d.%02d,4.90,Customer %d,Via Roma %d,Milano,20121,IT,2026-03-01T10:00:00Z\n",
					prefix, o, o%2000, o%2000, sku, 1+o%3, 5+o%40, o%100, o%2000, 1+o%200)
			} else {
				fmt.Fprintf(&b, "%s%d,,,,%s,%d,%d.%02d,,,,,,,\n", prefix, o, sku, 1+l%3, 5+l*7, l*11)
			}
		}
	}
	return b.Bytes()
}

// BenchmarkImport10k imports 10,000 orders into SQLite (a file in a temp
// dir, synchronous=NORMAL) and, as the baseline measured in the same run,
// places the same 10,000 parsed orders by calling Place directly: the ratio
// is the cost of the import on top of placing. Run it with -benchtime 1x.
func BenchmarkImport10k(b *testing.B) {
	n := benchOrders
	setup := func(b *testing.B) *orderstest.Fixture {
		db := storetest.Open(b, store.SQLite)
		f := orderstest.New(b, db, orders.Options{})
		for i := range 50 {
			f.AddSKU(fmt.Sprintf("SKU-%02d", i), 10_000_000)
		}
		return f
	}
	var importRate, placeRate float64
	b.Run("import", func(b *testing.B) {
		f := setup(b)
		im := csvimport.New(f.Orders, f.DB, f.Inventory, f.Clock.Now, nil)
		round := 0
		for b.Loop() {
			round++
			rep, err := im.Run(ctx, bytes.NewReader(importFile(fmt.Sprintf("R%d-", round), n)), csvimport.Options{})
			if err != nil || rep.Created != n {
				b.Fatalf("%v: %+v %v", err, rep, rep.Failures)
			}
		}
		importRate = float64(n*b.N) / b.Elapsed().Seconds()
		b.ReportMetric(importRate, "orders/s")
	})
	b.Run("place", func(b *testing.B) {
		f := setup(b)
		round := 0
		for b.Loop() {
			round++
			b.StopTimer()
			rd, err := csvimport.NewReader(bytes.NewReader(importFile(fmt.Sprintf("P%d-", round), n)), csvimport.ReaderOptions{})
			if err != nil {
				b.Fatal(err)
			}
			var ins []orders.PlaceInput
			for {
				o, err := rd.Next()
				if err == io.EOF {
					break
				}
				ins = append(ins, o.Input)
			}
			b.StartTimer()
			for _, in := range ins {
				if p, err := f.Orders.Place(ctx, in); err != nil || !p.Created {
					b.Fatal(err)
				}
			}
		}
		placeRate = float64(n*b.N) / b.Elapsed().Seconds()
		b.ReportMetric(placeRate, "orders/s")
	})
	if importRate > 0 && placeRate > 0 {
		b.Logf("import %.0f orders/s, Place alone %.0f orders/s: import/Place time ratio %.2f", importRate, placeRate, placeRate/importRate)
	}
}

// benchOrders is the size of BenchmarkImport10k's file (smaller for profiling).
var benchOrders = 10_000
