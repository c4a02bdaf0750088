package csvimport

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the reader: it must never panic, never
// loop, and every order it returns must be consistent.
func FuzzReader(f *testing.F) {
	if b, err := os.ReadFile("testdata/example.csv"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("order_ref;email;currency;sku;quantity;unit_price\nA;a@x.io;EUR;MUG-1;1;1,50\nA;;;MUG-2;2;\n"))
	f.Add([]byte("order_ref,email,currency,sku,quantity,note\nA,a@x.io,EUR,MUG-1,1,\"open\nB,b@x.io,EUR,MUG-1,1,x\"y\n"))
	f.Add([]byte("\ufefforder_ref\temail\tcurrency\tsku\tquantity\tplaced_at\tshipping\nA\ta@x.io\tJPY\tM\t9\t2026-01-01\t5\n"))
	f.Add([]byte("order_ref,email,currency,sku,quantity,,\n,,,,,,x\nA,,,,,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), ReaderOptions{})
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("NewReader: %v is not a FileError", err)
			}
			return
		}
		for n := 0; ; n++ {
			if n > len(data)+1 {
				t.Fatalf("more orders (%d) than bytes (%d)", n, len(data))
			}
			o, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if len(o.Problems) == 0 {
				if len(o.Input.Lines) == 0 || o.Ref == "" || o.Input.Currency == "" || o.Input.Customer.Email == "" {
					t.Fatalf("order without problems is incomplete: %+v", o)
				}
				for _, l := range o.Input.Lines {
					if l.Quantity < 1 || l.SKU == "" {
						t.Fatalf("bad line without a problem: %+v", l)
					}
				}
			}
			if len(o.lineRows) != len(o.Input.Lines) || o.FirstLine > o.LastLine {
				t.Fatalf("inconsistent order: %d rows for %d lines, lines %d–%d", len(o.lineRows), len(o.Input.Lines), o.FirstLine, o.LastLine)
			}
			for _, p := range o.Problems {
				if p.Line < 1 || p.Message == "" {
					t.Fatalf("problem without a line or message: %+v", p)
				}
			}
			for _, f := range []string{"lines[0].sku", "lines[99].quantity", "lines[-1]", "lines[", "customer.email", "x"} {
				if l, _ := o.Locate(f); l < 1 && o.FirstLine > 0 {
					t.Fatalf("Locate(%s) = %d", f, l)
				}
			}
		}
	})
}
