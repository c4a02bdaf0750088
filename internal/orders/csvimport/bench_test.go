package csvimport

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// benchFile returns an import file of n rows, orders of one to four lines.
func benchFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("order_ref,email,name,currency,sku,quantity,unit_price,shipping,ship_name,ship_line1,ship_city,ship_postal_code,ship_country,placed_at\n")
	order := 0
	for row := 0; row < n; {
		order++
		lines := 1 + order%4
		for l := 0; l < lines && row < n; l++ {
			if l == 0 {
				fmt.Fprintf(&b, "W%d,customer%d@example.com,Customer %d,EUR,SKU-%d,%d,%d.%02d,4.90,Customer %d,Rua Augusta %d,Lisboa,1100-053,PT,2026-03-01T10:00:00Z\n",
					order, order%5000, order, row%300, 1+row%3, 5+row%40, row%100, order, order%200)
			} else {
				fmt.Fprintf(&b, "W%d,,,,SKU-%d,%d,%d.%02d,,,,,,,\n", order, row%300, 1+row%3, 5+row%40, row%100)
			}
			row++
		}
	}
	return b.Bytes()
}

// BenchmarkParse100k reads a 100,000-row file into orders; it reports rows
// per second and the bytes per second (MB/s).
func BenchmarkParse100k(b *testing.B) {
	const rows = 100_000
	data := benchFile(rows)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), ReaderOptions{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			o, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil || len(o.Problems) > 0 {
				b.Fatalf("%v %v", err, o.Problems)
			}
			n++
		}
		if r.Rows() != rows {
			b.Fatalf("read %d rows", r.Rows())
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
