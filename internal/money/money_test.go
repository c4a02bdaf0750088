package money

import (
	"encoding/json"
	"testing"

	"pgregory.net/rapid"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
		wantErr bool
	}{
		{"12.34", "EUR", 1234, false},
		{"12.3", "EUR", 1230, false},
		{"12", "eur", 1200, false},
		{"-0.05", "USD", -5, false},
		{"0", "BRL", 0, false},
		{"1500", "JPY", 1500, false},
		{"1.234", "KWD", 1234, false},
		{"12.345", "EUR", 0, true},
		{"1.5", "JPY", 0, true},
		{"12,34", "EUR", 0, true},
		{"1e3", "EUR", 0, true},
		{"", "EUR", 0, true},
		{"12.", "EUR", 0, true},
		{"12.00", "XXX", 0, true},
		{"99999999999999999999", "EUR", 0, true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, tt.cur)
		if (err != nil) != tt.wantErr {
			t.Errorf("Parse(%q, %q) error = %v, wantErr %v", tt.in, tt.cur, err, tt.wantErr)
			continue
		}
		if err == nil && got.Amount != tt.want {
			t.Errorf("Parse(%q, %q) = %d, want %d", tt.in, tt.cur, got.Amount, tt.want)
		}
	}
}

func TestDecimalRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cur := rapid.SampledFrom([]string{"EUR", "JPY", "KWD", "BRL"}).Draw(t, "cur")
		n := rapid.Int64Range(-MaxAmount, MaxAmount).Draw(t, "n")
		m := Money{Amount: n, Currency: cur}
		back, err := Parse(m.Decimal(), cur)
		if err != nil {
			t.Fatalf("Parse(%q): %v", m.Decimal(), err)
		}
		if back != m {
			t.Fatalf("round trip %v -> %q -> %v", m, m.Decimal(), back)
		}
	})
}

func TestAllocateSumsToWhole(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.Int64Range(-1e9, 1e9).Draw(t, "amount")
		weights := rapid.SliceOfN(rapid.Int64Range(0, 1e6), 1, 20).Draw(t, "weights")
		parts := Money{Amount: n, Currency: "EUR"}.Allocate(weights)
		var sum int64
		for _, p := range parts {
			sum += p.Amount
		}
		if sum != n {
			t.Fatalf("parts %v sum to %d, want %d", parts, sum, n)
		}
	})
}

func TestAllocateLargestRemainder(t *testing.T) {
	parts := Money{Amount: 100, Currency: "EUR"}.Allocate([]int64{1, 1, 1})
	want := []int64{34, 33, 33}
	for i := range want {
		if parts[i].Amount != want[i] {
			t.Fatalf("Allocate(100, 1:1:1) = %v, want %v", parts, want)
		}
	}
}

func TestJSON(t *testing.T) {
	b, err := json.Marshal(Money{Amount: 1999, Currency: "EUR"})
	if err != nil || string(b) != `{"amount":"19.99","currency":"EUR"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var m Money
	for _, in := range []string{`{"amount":"19.99","currency":"EUR"}`, `{"amount":19.99,"currency":"EUR"}`} {
		if err := json.Unmarshal([]byte(in), &m); err != nil || m.Amount != 1999 {
			t.Fatalf("Unmarshal(%s) = %v, %v", in, m, err)
		}
	}
	for _, bad := range []string{`{"amount":"19.999","currency":"EUR"}`, `{"amount":1e3,"currency":"EUR"}`, `{"currency":"EUR"}`, `"19.99"`, `{"amount":"1","currency":"ZZZ"}`} {
		if err := json.Unmarshal([]byte(bad), &m); err == nil {
			t.Errorf("Unmarshal(%s) succeeded, want error", bad)
		}
	}
}
