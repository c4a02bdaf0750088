package feeds

import (
	"strings"
	"testing"
	"time"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in    string
		comma bool
		want  string // sign, whole, ".", frac; "" for an error
	}{
		{"12", false, "12."},
		{"12.50", false, "12.50"},
		{"1,234.56", false, "1234.56"},
		{"1,234,567", false, "1234567."},
		{"1 234.5", false, "1234.5"},
		{"1\u00a0234.5", false, "1234.5"},
		{"1'234.5", false, "1234.5"},
		{"-0.5", false, "-0.5"},
		{"+3", false, "3."},
		{"−3", false, "-3."},
		{".5", false, ".5"},
		{"5.", false, "5."},
		{"1e2", false, "100."},
		{"1.5E+3", false, "1500."},
		{"25e-1", false, "2.5"},
		{"12,50", false, ""},
		{"1,23", false, ""},
		{"1,2345", false, ""},
		{"1.2.3", false, ""},
		{"1,234 567", false, ""},
		{"12a", false, ""},
		{".", false, ""},
		{"", false, ""},
		{"1e99", false, ""},
		{"1.234,56", true, "1234.56"},
		{"12,5", true, "12.5"},
		{"1.200", true, "1200."},
		{"1 234,56", true, "1234.56"},
		{"12.50", true, ""},
		{"1,2,3", true, ""},
		{"1e2", true, ""},
	}
	for _, tt := range tests {
		n, reason := parseNumber(tt.in, tt.comma)
		got := ""
		if reason == "" {
			if n.neg {
				got = "-"
			}
			got += n.whole + "." + n.frac
		}
		if got != tt.want {
			t.Errorf("parseNumber(%q, comma %v) = %q (%s), want %q", tt.in, tt.comma, got, reason, tt.want)
		}
		if reason != "" && !strings.Contains(reason, "is not a number like") {
			t.Errorf("parseNumber(%q): reason %q", tt.in, reason)
		}
	}
}

func TestParseQuantity(t *testing.T) {
	in, out := normWords([]string{"In Stock", "disponibile"}), normWords([]string{"esaurito", "out of stock"})
	tests := []struct {
		in    string
		comma bool
		want  int
		err   string
	}{
		{"12", false, 12, ""},
		{"12.0", false, 12, ""},
		{"12,0", true, 12, ""},
		{"1.200", true, 1200, ""},
		{"1,200", false, 1200, ""},
		{"0", false, 0, ""},
		{"-0", false, 0, ""},
		{"10+", false, 10, ""},
		{">50", false, 50, ""},
		{"≥ 5", false, 5, ""},
		{"IN  STOCK", false, 7, ""},
		{"Disponibile", false, 7, ""},
		{"Esaurito", false, 0, ""},
		{"1000000000", false, 1000000000, ""},
		{"-1", false, 0, "quantity must not be negative"},
		{"1000000001", false, 0, "is more than 1000000000"},
		{"99999999999999999999", false, 0, "is more than 1000000000"},
		{"2.5", false, 0, "is not a whole number"},
		{"maybe", false, 0, "nor one of the mapping's in-stock or out-of-stock words"},
		{"+", false, 0, "is not a number"},
	}
	for _, tt := range tests {
		got, reason := parseQuantity(tt.in, tt.comma, in, 7, out)
		if tt.err != "" {
			if !strings.Contains(reason, tt.err) {
				t.Errorf("parseQuantity(%q) = %d, %q; want an error saying %q", tt.in, got, reason, tt.err)
			}
			continue
		}
		if reason != "" || got != tt.want {
			t.Errorf("parseQuantity(%q) = %d, %q; want %d", tt.in, got, reason, tt.want)
		}
	}
}

func TestParseCost(t *testing.T) {
	tests := []struct {
		in, cur string
		comma   bool
		want    string // Money.String(), or the error's words
	}{
		{"12.50", "EUR", false, "12.50 EUR"},
		{"12.500", "EUR", false, "12.50 EUR"},
		{"1,234.56", "usd", false, "1234.56 USD"},
		{"1.234,56", "EUR", true, "1234.56 EUR"},
		{"€ 12,50", "", true, "12.50 EUR"},
		{"12,50 €", "EUR", true, "12.50 EUR"},
		{"12.50 EUR", "", false, "12.50 EUR"},
		{"usd 3", "", false, "3.00 USD"},
		{"R$ 10,90", "", true, "10.90 BRL"},
		{"$3.20", "CAD", false, "3.20 CAD"},
		{"¥1200", "JPY", false, "1200 JPY"},
		{"1200", "JPY", false, "1200 JPY"},
		{"0", "EUR", false, "0.00 EUR"},
		{"-0.00", "EUR", false, "0.00 EUR"},
		{"0.123", "KWD", false, "0.123 KWD"},
		{"1e2", "EUR", false, "100.00 EUR"},
		{"12.5", "JPY", false, "more than 0 decimals for JPY"},
		{"$3.20", "", false, "does not say which currency"},
		{"$3.20", "EUR", false, `is not in EUR`},
		{"3.20 GBP", "EUR", false, `is not in EUR`},
		{"3.20 XYZ", "", false, "a currency Orderly does not know"},
		{"3.20", "", false, "the cost has no currency"},
		{"3.20", "EURO", false, "unknown currency"},
		{"-3", "EUR", false, "must not be negative"},
		{"99999999999999", "EUR", false, "too large"},
		{"12,50", "EUR", false, "set \"decimal comma\" in the mapping"},
		{"12.50", "EUR", true, "does the mapping's \"decimal comma\" apply"},
		{"n/a", "EUR", false, "is not an amount"},
	}
	for _, tt := range tests {
		m, reason := parseCost(tt.in, tt.cur, tt.comma)
		got := reason
		if reason == "" {
			got = m.String()
		}
		if !strings.Contains(got, tt.want) || (reason == "" && got != tt.want) {
			t.Errorf("parseCost(%q, %q, comma %v) = %q, want %q", tt.in, tt.cur, tt.comma, got, tt.want)
		}
	}
}

func TestParseLeadTime(t *testing.T) {
	tests := []struct {
		in   string
		want int
		err  string
	}{
		{"5", 5, ""},
		{"5.0", 5, ""},
		{"0", 0, ""},
		{"365", 365, ""},
		{"5 days", 5, ""},
		{"1 day", 1, ""},
		{"7gg", 7, ""},
		{"10 giorni", 10, ""},
		{"3d", 3, ""},
		{"3-5", 5, ""},
		{"3 – 5 days", 5, ""},
		{"2 to 4 business days", 4, ""},
		{"366", 0, "must be between 0 and 365"},
		{"-1", 0, "must be between 0 and 365"},
		{"5-3", 0, "is not a number like"},
		{"1.5", 0, "not a whole number of days"},
		{"asap", 0, "not a number of days"},
		{"days", 0, "not a number of days"},
	}
	for _, tt := range tests {
		got, reason := parseLeadTime(tt.in, false)
		if tt.err != "" {
			if !strings.Contains(reason, tt.err) {
				t.Errorf("parseLeadTime(%q) = %d, %q; want an error saying %q", tt.in, got, reason, tt.err)
			}
			continue
		}
		if reason != "" || got != tt.want {
			t.Errorf("parseLeadTime(%q) = %d, %q; want %d", tt.in, got, reason, tt.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	it := []string{"02/01/2006", "2006-01-02", time.RFC3339}
	iso := []string{"2006-01-02", time.RFC3339}
	tests := []struct {
		in      string
		layouts []string
		want    string // RFC 3339, "none", or the error's words
	}{
		{"2026-03-15", iso, "2026-03-15T00:00:00Z"},
		{"2026-03-15T10:30:00+01:00", iso, "2026-03-15T10:30:00+01:00"},
		{"15/03/2026", it, "2026-03-15T00:00:00Z"},
		{"2026-03-15", it, "2026-03-15T00:00:00Z"},
		{"03/15/2026", it, `is not a date like 02/01/2006 (the mapping's date format) or 2006-01-02`},
		{"15/03/2026", iso, "is not a date like 2006-01-02"},
		{"0000-00-00", iso, "none"},
		{"N/A", iso, "none"},
		{"1999-12-31", iso, "out of range"},
		{"2201-01-01", iso, "out of range"},
	}
	for _, tt := range tests {
		d, ok, reason := parseDate(tt.in, tt.layouts)
		got := reason
		switch {
		case reason == "" && ok:
			got = d.Format(time.RFC3339)
		case reason == "":
			got = "none"
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("parseDate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidLayout(t *testing.T) {
	for layout, want := range map[string]bool{
		"02/01/2006": true, "2006-01-02": true, "01/02/06": true, "2 Jan 2006": true, "02.01.2006": true,
		"dd/mm/yyyy": false, "2006-01": false, "": false, "hello": false,
	} {
		if got := validLayout(layout); got != want {
			t.Errorf("validLayout(%q) = %v, want %v", layout, got, want)
		}
	}
}

func TestSKUIndex(t *testing.T) {
	var x skuIndex
	for i := range 100_000 {
		h := uint64(i) * 0x9E3779B97F4A7C15 // spread, with 0 among them
		if line, dup := x.add(h, i+2); dup {
			t.Fatalf("hash %d: duplicate of line %d on first add", i, line)
		}
	}
	for _, i := range []int{0, 1, 777, 99_999} {
		if line, dup := x.add(uint64(i)*0x9E3779B97F4A7C15, 1); !dup || line != i+2 {
			t.Errorf("hash %d again: line %d, dup %v; want line %d", i, line, dup, i+2)
		}
	}
	if x.n != 100_000 {
		t.Errorf("%d entries", x.n)
	}
}
