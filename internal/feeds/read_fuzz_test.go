package feeds

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/orderly-oms/orderly/internal/money"
)

// The seed corpora are in testdata/fuzz/<target>. Run a target with e.g.
//
//	go test ./internal/feeds -run '^$' -fuzz '^FuzzReader$' -fuzztime 60s

// fuzzMapping reads every field, with words, a date layout and the decimal
// comma when asked.
func fuzzMapping(comma bool) Mapping {
	return Mapping{SKU: "sku", Quantity: "qty", Cost: "cost", Currency: "cur", LeadTime: "lead", RestockDate: "eta",
		Discontinued: "disc", DefaultCurrency: "EUR", DecimalComma: comma, DateFormat: "02/01/2006",
		InStockWords: []string{"disponibile", "in stock"}, InStockQuantity: 5, OutOfStockWords: []string{"esaurito"}}
}

// FuzzReader feeds any bytes through the mapped reader: it must not panic
// or loop, and every row it gives must hold values Orderly can store.
func FuzzReader(f *testing.F) {
	f.Add([]byte("sku;qty;cost\nA;1;1,50\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, comma bool) {
		rd, err := NewReader(bytes.NewReader(data), fuzzMapping(comma))
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("NewReader: %v (%T) is not a FileError", err, err)
			}
			return
		}
		defer rd.Close()
		skus := map[string]int{}
		for n := 0; ; n++ {
			if n > len(data)+1 {
				t.Fatalf("more rows (%d) than bytes (%d)", n, len(data))
			}
			row, err := rd.Next()
			if err == io.EOF {
				return
			}
			var re *RowError
			if errors.As(err, &re) {
				if re.Line < 1 || re.Reason == "" || re.Line != row.Line {
					t.Fatalf("row error without a line or reason: %+v (row line %d)", re, row.Line)
				}
				continue
			}
			if err != nil {
				var fe *FileError
				if !errors.As(err, &fe) {
					t.Fatalf("Next: %v (%T) is not a FileError", err, err)
				}
				return
			}
			checkRowValues(t, row)
			if first, dup := skus[row.SupplierSKU]; dup {
				t.Fatalf("supplier SKU %q on lines %d and %d without an error", row.SupplierSKU, first, row.Line)
			}
			skus[row.SupplierSKU] = row.Line
		}
	})
}

func checkRowValues(t *testing.T, row Row) {
	t.Helper()
	switch {
	case row.Line < 1:
		t.Fatalf("row without a line: %+v", row)
	case row.SupplierSKU == "" || row.SupplierSKU != strings.TrimSpace(row.SupplierSKU) || !utf8.ValidString(row.SupplierSKU) || utf8.RuneCountInString(row.SupplierSKU) > MaxSKULength:
		t.Fatalf("bad supplier SKU %q", row.SupplierSKU)
	case row.Quantity != nil && (*row.Quantity < 0 || *row.Quantity > MaxQuantity):
		t.Fatalf("quantity %d", *row.Quantity)
	case row.LeadTimeDays != nil && (*row.LeadTimeDays < 0 || *row.LeadTimeDays > MaxLeadTimeDays):
		t.Fatalf("lead time %d", *row.LeadTimeDays)
	case row.Cost != nil && (row.Cost.Amount < 0 || row.Cost.Amount > money.MaxAmount || !money.ValidCurrency(row.Cost.Currency)):
		t.Fatalf("cost %+v", *row.Cost)
	case row.RestockDate != nil && (row.RestockDate.Year() < 2000 || row.RestockDate.Year() > 2200):
		t.Fatalf("restock date %v", *row.RestockDate)
	}
}

// FuzzValues throws any text at the value parsers: no panic, results in
// range, and agreement with money.Parse and between the two decimal
// conventions where they must agree.
func FuzzValues(f *testing.F) {
	f.Add("1.234,56", true)
	f.Fuzz(func(t *testing.T, s string, comma bool) {
		in, out := normWords([]string{"in stock"}), normWords([]string{"esaurito"})
		if q, reason := parseQuantity(s, comma, in, 7, out); reason == "" && (q < 0 || q > MaxQuantity) {
			t.Fatalf("parseQuantity(%q) = %d", s, q)
		}
		if d, reason := parseLeadTime(s, comma); reason == "" && (d < 0 || d > MaxLeadTimeDays) {
			t.Fatalf("parseLeadTime(%q) = %d", s, d)
		}
		if d, ok, reason := parseDate(s, []string{"02/01/2006", "2006-01-02", time.RFC3339}); reason == "" && ok && (d.Year() < 2000 || d.Year() > 2200) {
			t.Fatalf("parseDate(%q) = %v", s, d)
		}
		for _, cur := range []string{"EUR", "JPY", "KWD", ""} {
			m, reason := parseCost(s, cur, comma)
			if reason != "" {
				continue
			}
			if m.Amount < 0 || m.Amount > money.MaxAmount || !money.ValidCurrency(m.Currency) || (cur != "" && m.Currency != cur) {
				t.Fatalf("parseCost(%q, %q) = %+v", s, cur, m)
			}
			// A plain decimal money.Parse reads must read the same here.
			if cur != "" && !comma && !strings.ContainsAny(s, "-+ ") {
				if want, err := money.Parse(s, cur); err == nil && want != m {
					t.Fatalf("parseCost(%q, %q) = %v, money.Parse %v", s, cur, m, want)
				}
			}
		}
		n, reason := parseNumber(s, comma)
		if reason == "" {
			if !allDigits(n.whole) || !allDigits(n.frac) {
				t.Fatalf("parseNumber(%q) = %+v", s, n)
			}
			// Without separators, both conventions read the same.
			if !strings.ContainsAny(s, ".,'’ \u00a0\u202feE") {
				if other, r := parseNumber(s, !comma); r != "" || other != n {
					t.Fatalf("parseNumber(%q): %+v with comma %v, %+v %q without", s, n, comma, other, r)
				}
			}
		}
	})
}
