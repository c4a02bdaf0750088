package inventory

import (
	"errors"
	"slices"
	"testing"
	"time"

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
	stale := func(r SupplierRules, mode StaleMode, p Percent) SupplierRules {
		r.Stale, r.StaleMode, r.StalePercent = true, mode, p
		return r
	}
	for _, tc := range []struct {
		name     string
		reported int
		sup      SupplierRules
		sku      SKURules
		want     int
		wantRule BufferRule
	}{
		{"none", 40, SupplierRules{}, SKURules{}, 0, RuleNone},
		{"supplier units", 40, SupplierRules{Buffer: Buffer{Units: 3}}, SKURules{}, 3, RuleSupplierUnits},
		{"supplier percent beats units", 40, SupplierRules{Buffer: Buffer{Units: 3, Percent: 1000}}, SKURules{}, 4, RuleSupplierPct},
		{"sku units beat supplier percent", 40, SupplierRules{Buffer: Buffer{Percent: 1000}}, SKURules{Buffer: Buffer{Units: 5}}, 5, RuleVariantUnits},
		{"sku percent rounds up", 41, SupplierRules{Buffer: Buffer{Units: 2}}, SKURules{Buffer: Buffer{Percent: 1000}}, 5, RuleVariantPercent},
		{"tie names the SKU rule", 40, SupplierRules{Buffer: Buffer{Units: 4}}, SKURules{Buffer: Buffer{Percent: 1000}}, 4, RuleVariantPercent},
		{"percent of zero is zero", 0, SupplierRules{Buffer: Buffer{Percent: 5000}}, SKURules{}, 0, RuleNone},
		{"units apply to zero stock", 0, SupplierRules{Buffer: Buffer{Units: 2}}, SKURules{}, 2, RuleSupplierUnits},

		// A reported quantity below a minimum counts as 0.
		{"below the supplier's minimum", 2, SupplierRules{MinQuantity: 3}, SKURules{}, 2, RuleSupplierMinQty},
		{"at the supplier's minimum", 3, SupplierRules{MinQuantity: 3}, SKURules{}, 0, RuleNone},
		{"below the SKU's minimum", 4, SupplierRules{MinQuantity: 3}, SKURules{MinQuantity: 5}, 4, RuleVariantMinQty},
		{"the larger minimum applies", 4, SupplierRules{MinQuantity: 5}, SKURules{MinQuantity: 3}, 4, RuleSupplierMinQty},
		{"both minimums: the SKU's is named", 2, SupplierRules{MinQuantity: 3}, SKURules{MinQuantity: 3}, 2, RuleVariantMinQty},
		{"minimum with a larger buffer", 2, SupplierRules{MinQuantity: 3}, SKURules{Buffer: Buffer{Units: 3}}, 3, RuleVariantUnits},
		{"minimum of zero stock", 0, SupplierRules{MinQuantity: 3}, SKURules{}, 0, RuleNone},

		// Staleness.
		{"stale, excluded", 40, stale(SupplierRules{Buffer: Buffer{Units: 3}}, StaleExclude, 0), SKURules{}, 40, RuleStaleExcluded},
		{"stale, excluded, buffer already larger", 2, stale(SupplierRules{Buffer: Buffer{Units: 3}}, StaleExclude, 0), SKURules{}, 3, RuleSupplierUnits},
		{"stale, unknown mode excludes", 40, stale(SupplierRules{}, "", 0), SKURules{}, 40, RuleStaleExcluded},
		{"stale, buffer adds", 40, stale(SupplierRules{Buffer: Buffer{Units: 2, Percent: 1250}}, StaleBuffer, 2500), SKURules{}, 15, RuleStalePercent},
		{"stale, buffer rounds up", 41, stale(SupplierRules{}, StaleBuffer, 2500), SKURules{}, 11, RuleStalePercent},
		{"stale, buffer capped at reported", 10, stale(SupplierRules{}, StaleBuffer, 10000), SKURules{Buffer: Buffer{Units: 8}}, 10, RuleStalePercent},
		{"stale, buffer past a larger rule", 2, stale(SupplierRules{}, StaleBuffer, 5000), SKURules{Buffer: Buffer{Units: 5}}, 5, RuleVariantUnits},
		{"stale, buffer of zero stock", 0, stale(SupplierRules{Buffer: Buffer{Units: 1}}, StaleBuffer, 5000), SKURules{}, 1, RuleSupplierUnits},
		{"not stale: mode ignored", 40, SupplierRules{StaleMode: StaleExclude, StalePercent: 5000}, SKURules{}, 0, RuleNone},
	} {
		got, rule := EffectiveBuffer(tc.reported, tc.sup, tc.sku)
		if got != tc.want || rule != tc.wantRule {
			t.Errorf("%s: EffectiveBuffer = %d (%s), want %d (%s)", tc.name, got, rule, tc.want, tc.wantRule)
		}
	}
}

func TestStaleness(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	day := Staleness{MaxAge: 48 * time.Hour, Mode: StaleExclude}
	for _, tc := range []struct {
		name string
		st   Staleness
		last time.Time
		want bool
	}{
		{"never stale", Staleness{}, now.Add(-1000 * time.Hour), false},
		{"never stale, never reported", Staleness{}, time.Time{}, false},
		{"fresh", day, now.Add(-47 * time.Hour), false},
		{"exactly the maximum age", day, now.Add(-48 * time.Hour), false},
		{"a microsecond past it", day, now.Add(-48*time.Hour - time.Microsecond), true},
		{"never reported", day, time.Time{}, true},
		{"reported in the future", day, now.Add(time.Hour), false},
	} {
		if got := tc.st.StaleAt(tc.last, now); got != tc.want {
			t.Errorf("%s: StaleAt = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestStalenessValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		st    Staleness
		field string // "" = valid
	}{
		{Staleness{Mode: StaleExclude}, ""},
		{Staleness{MaxAge: 48 * time.Hour, Mode: StaleExclude}, ""},
		{Staleness{MaxAge: 48 * time.Hour, Mode: StaleBuffer, Percent: 2500}, ""},
		{Staleness{MaxAge: 48 * time.Hour, Mode: StaleBuffer}, "stale_buffer_percent"},
		{Staleness{MaxAge: 48 * time.Hour, Mode: "drop"}, "stale_mode"},
		{Staleness{MaxAge: 30 * time.Second, Mode: StaleExclude}, "max_feed_age"},
		{Staleness{MaxAge: -time.Hour, Mode: StaleExclude}, "max_feed_age"},
		{Staleness{MaxAge: 400 * 24 * time.Hour, Mode: StaleExclude}, "max_feed_age"},
		{Staleness{MaxAge: 90*time.Minute + time.Millisecond, Mode: StaleExclude}, "max_feed_age"},
		{Staleness{MaxAge: time.Hour, Mode: StaleBuffer, Percent: 10001}, "stale_buffer_percent"},
	} {
		err := tc.st.Validate()
		if tc.field == "" {
			if err != nil {
				t.Errorf("%+v: %v, want valid", tc.st, err)
			}
			continue
		}
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.Invalid || !slices.ContainsFunc(ae.Fields, func(f apperr.FieldError) bool { return f.Field == tc.field }) {
			t.Errorf("%+v: %v, want an invalid %s", tc.st, err, tc.field)
		}
	}
}

func TestFeedAge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
		out  string
		bad  bool
	}{
		{"", 0, "0", false},
		{"0", 0, "0", false},
		{"48h", 48 * time.Hour, "48h", false},
		{" 90m ", 90 * time.Minute, "1h30m", false},
		{"2d", 48 * time.Hour, "48h", false},
		{"1h30m", 90 * time.Minute, "1h30m", false},
		{"45s", 45 * time.Second, "45s", false},
		{"2 days", 0, "", true},
		{"xd", 0, "", true},
		{"-1d", 0, "", true},
	} {
		got, err := ParseFeedAge("max_feed_age", tc.in)
		if tc.bad {
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("ParseFeedAge(%q) = %v, %v; want invalid", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want || FormatFeedAge(got) != tc.out {
			t.Errorf("ParseFeedAge(%q) = %v (%s), %v; want %v (%s)", tc.in, got, FormatFeedAge(got), err, tc.want, tc.out)
		}
	}
}
