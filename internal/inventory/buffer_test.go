package inventory

import (
	"testing"

	"github.com/orderly-oms/orderly/internal/apperr"
)

func TestParsePercent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Percent
		bad  bool
	}{
		{"", 0, false},
		{"0", 0, false},
		{"12.5", 1250, false},
		{"7", 700, false},
		{"0.01", 1, false},
		{"100", 10000, false},
		{"100.00", 10000, false},
		{"100.01", 0, true},
		{"150", 0, true},
		{"-1", 0, true},
		{"1.005", 0, true},
		{"ten", 0, true},
		{"1e1", 1000, false},
	} {
		got, err := ParsePercent("percent", tc.in)
		if tc.bad {
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("ParsePercent(%q) = %v, %v; want an invalid error", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParsePercent(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if s := Percent(1250).String(); s != "12.5" {
		t.Errorf("Percent(1250).String() = %q, want 12.5", s)
	}
}

func TestPercentOfRoundsUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    Percent
		n    int
		want int
	}{
		{1000, 100, 10},
		{1000, 101, 11}, // 10.1 → 11
		{1250, 8, 1},    // exactly 1
		{1250, 9, 2},    // 1.125 → 2
		{1, 1, 1},       // 0.0001 → 1
		{0, 50, 0},
		{10000, 7, 7},
		{500, 0, 0},
		{3333, 1_000_000_000, 333_300_000},
	} {
		if got := tc.p.Of(tc.n); got != tc.want {
			t.Errorf("%s%% of %d = %d, want %d", tc.p, tc.n, got, tc.want)
		}
	}
}

func TestEffectiveBuffer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		reported int
		sup, vb  Buffer
		want     int
		wantRule BufferRule
	}{
		{"none", 40, Buffer{}, Buffer{}, 0, RuleNone},
		{"supplier units", 40, Buffer{Units: 3}, Buffer{}, 3, RuleSupplierUnits},
		{"supplier percent beats units", 40, Buffer{Units: 3, Percent: 1000}, Buffer{}, 4, RuleSupplierPct},
		{"sku units beat supplier percent", 40, Buffer{Percent: 1000}, Buffer{Units: 5}, 5, RuleVariantUnits},
		{"sku percent rounds up", 41, Buffer{Units: 2}, Buffer{Percent: 1000}, 5, RuleVariantPercent},
		{"tie names the SKU rule", 40, Buffer{Units: 4}, Buffer{Percent: 1000}, 4, RuleVariantPercent},
		{"percent of zero is zero", 0, Buffer{Percent: 5000}, Buffer{}, 0, RuleNone},
		{"units apply to zero stock", 0, Buffer{Units: 2}, Buffer{}, 2, RuleSupplierUnits},
	} {
		got, rule := EffectiveBuffer(tc.reported, tc.sup, tc.vb)
		if got != tc.want || rule != tc.wantRule {
			t.Errorf("%s: EffectiveBuffer = %d (%s), want %d (%s)", tc.name, got, rule, tc.want, tc.wantRule)
		}
	}
}
