package pricing

import (
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/orderly-oms/orderly/internal/money"
)

func eur(a int64) money.Money { return money.Money{Amount: a, Currency: "EUR"} }

func ptr[T any](v T) *T { return &v }

// workedExample is the example of docs/pricing.md.
func workedExample() Settings {
	return Settings{Margin: 3000, FeePercent: 290, FeeFixed: eur(25), Shipping: eur(350), Packaging: eur(40),
		Ending: Ending99, Min: ptr(eur(999)), Max: ptr(eur(4999))}
}

func TestComputeExact(t *testing.T) {
	t.Parallel()
	with := func(s Settings, f func(*Settings)) Settings { f(&s); return s }
	cases := []struct {
		name      string
		cost      money.Money
		s         Settings
		unrounded string
		rounded   int64
		price     int64
		clamped   string
		margin    string
	}{
		// (4.20 + 3.50 + 0.40 + 0.25) / (1 − 0.30 − 0.029) = 8.35 / 0.671 = 12.44411...
		{"worked example, .99", eur(420), workedExample(), "12.4441", 1299, 1299, "", "32.82"},
		{"ending none: the next cent", eur(420), with(workedExample(), func(s *Settings) { s.Ending = EndingNone }), "12.4441", 1245, 1245, "", "30.03"},
		{"ending .90", eur(420), with(workedExample(), func(s *Settings) { s.Ending = Ending90 }), "12.4441", 1290, 1290, "", "32.37"},
		{"ending whole", eur(420), with(workedExample(), func(s *Settings) { s.Ending = EndingWhole }), "12.4441", 1300, 1300, "", "32.87"},
		// 7.00 / 0.70 is exactly 10.00: no rounding up past an exact quotient.
		{"exact quotient stays", eur(700), Settings{Margin: 3000, Ending: EndingWhole}, "10.0000", 1000, 1000, "", "30"},
		{"exact quotient, none", eur(700), Settings{Margin: 3000, Ending: EndingNone}, "10.0000", 1000, 1000, "", "30"},
		// 12.99 already ends in .99 and stays; 13.00 goes to 13.99.
		{".99 already there", eur(909), Settings{Margin: 3000, Ending: Ending99}, "12.9857", 1299, 1299, "", "30.02"},
		{".99 from a whole amount", eur(910), Settings{Margin: 3000, Ending: Ending99}, "13.0000", 1399, 1399, "", "34.95"},
		// 3.33 / (1 − 0.3333) = 4.99475... → 5.00: the margin rounds to 33.40%.
		{"repeating quotient", eur(333), Settings{Margin: 3333, Ending: EndingNone}, "4.9948", 500, 500, "", "33.4"},
		{"minimum clamps", eur(1000), Settings{Margin: 5000, Ending: Ending99, Min: ptr(eur(2500))}, "20.0000", 2099, 2500, "min", "60"},
		{"maximum clamps below the target margin", eur(5000),
			Settings{Margin: 4000, FeePercent: 300, FeeFixed: eur(30), Shipping: eur(500), Packaging: eur(100), Ending: Ending99, Max: ptr(eur(8999))},
			"98.7719", 9899, 8999, "max", "34.44"},
		{"fees only", eur(1000), Settings{FeePercent: 290, FeeFixed: eur(30), Ending: EndingNone}, "10.6076", 1061, 1061, "", "0.02"},
		{"zero cost, .99", eur(0), Settings{Margin: 5000, Ending: Ending99}, "0.0000", 99, 99, "", "100"},
		{"JPY whole", money.Money{Amount: 1234, Currency: "JPY"}, Settings{Margin: 2500, FeeFixed: money.Money{Currency: "JPY"},
			Shipping: money.Money{Currency: "JPY"}, Packaging: money.Money{Currency: "JPY"}, Ending: EndingWhole}, "1645.3333", 1646, 1646, "", "25.03"},
		{"KWD .99 has three decimals", money.Money{Amount: 1000, Currency: "KWD"}, Settings{Margin: 5000, FeeFixed: money.Money{Currency: "KWD"},
			Shipping: money.Money{Currency: "KWD"}, Packaging: money.Money{Currency: "KWD"}, Ending: Ending99}, "2.0000", 2990, 2990, "", "66.56"},
	}
	for _, c := range cases {
		s := c.s
		for _, m := range []*money.Money{&s.FeeFixed, &s.Shipping, &s.Packaging} {
			if m.Currency == "" {
				m.Currency = c.cost.Currency
			}
		}
		q, err := Compute(c.cost, s)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		cur := c.cost.Currency
		if q.Unrounded != c.unrounded || q.Rounded != (money.Money{Amount: c.rounded, Currency: cur}) ||
			q.Price != (money.Money{Amount: c.price, Currency: cur}) || q.Clamped != c.clamped || q.Margin.String() != c.margin {
			t.Errorf("%s: got unrounded %s, rounded %s, price %s, clamped %q, margin %s%%; want %s, %d, %d, %q, %s%%",
				c.name, q.Unrounded, q.Rounded, q.Price, q.Clamped, q.Margin, c.unrounded, c.rounded, c.price, c.clamped, c.margin)
		}
		// Unless a maximum cut it, the price keeps at least the target margin.
		if q.Clamped != "max" && q.Margin < s.Margin {
			t.Errorf("%s: margin %s%% below the target %s%%", c.name, q.Margin, s.Margin)
		}
	}
}

func TestComputeRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cost money.Money
		s    Settings
		want string
	}{
		{"margin and fee take everything", eur(100), Settings{Margin: 9000, FeePercent: 1000, FeeFixed: eur(0), Shipping: eur(0), Packaging: eur(0), Ending: EndingNone}, "leave nothing"},
		{"cost in another currency", money.Money{Amount: 650, Currency: "CNY"}, workedExample(), "cost in CNY, rule amounts in EUR"},
		{".99 in yen", money.Money{Amount: 650, Currency: "JPY"}, Settings{FeeFixed: money.Money{Currency: "JPY"}, Shipping: money.Money{Currency: "JPY"},
			Packaging: money.Money{Currency: "JPY"}, Ending: Ending99}, "needs a currency with cents"},
		{"beyond a billion", eur(money.MaxAmount / 2), Settings{Margin: 9900, FeeFixed: eur(0), Shipping: eur(0), Packaging: eur(0), Ending: EndingNone}, "above 1000000000 EUR"},
	}
	for _, c := range cases {
		_, err := Compute(c.cost, c.s)
		if err == nil || !strings.HasPrefix(err.Error(), "cannot price: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want cannot price ... %q", c.name, err, c.want)
		}
	}
}

func TestParsePercent(t *testing.T) {
	t.Parallel()
	good := map[string]Percent{"30": 3000, "2.9": 290, "0.25": 25, " 99.99 ": 9999, "0": 0}
	for in, want := range good {
		if got, err := ParsePercent(in, hundred-1); err != nil || got != want {
			t.Errorf("ParsePercent(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "2.999", "100", "abc", "1e2"} {
		if got, err := ParsePercent(in, hundred-1); err == nil && in != "1e2" {
			t.Errorf("ParsePercent(%q) = %d, want an error", in, got)
		} else if in == "1e2" && err == nil {
			t.Errorf("ParsePercent(%q) = %d, want an error (100 is out of range)", in, got)
		}
	}
}

func TestDailyChange(t *testing.T) {
	t.Parallel()
	cases := []struct {
		ref, new int64
		limit    Percent
		exceeds  bool
		change   string
	}{
		{1000, 1100, 1000, false, "10"}, // exactly the limit is within it
		{1000, 1101, 1000, true, "10.1"},
		{1000, 900, 1000, false, "-10"},
		{1000, 899, 1000, true, "-10.1"},
		{1299, 1399, 500, true, "7.7"},
		{0, 100, 100000, true, "0"}, // from zero there is no base: any change needs approval
		{1000, 1000, 0, false, "0"},
	}
	for _, c := range cases {
		if got := exceeds(c.ref, c.new, c.limit); got != c.exceeds {
			t.Errorf("exceeds(%d → %d, %s%%) = %v, want %v", c.ref, c.new, c.limit, got, c.exceeds)
		}
		if got := changeOf(c.ref, c.new).String(); got != c.change {
			t.Errorf("changeOf(%d → %d) = %s, want %s", c.ref, c.new, got, c.change)
		}
	}
}

// TestComputeRoundsOnceUp checks on random inputs that the rounded price is
// the smallest amount with the ending that is at least the exact quotient:
// it covers the costs at the target margin, and one ending step less would not.
func TestComputeRoundsOnceUp(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		cost := eur(rapid.Int64Range(0, 10_000_000).Draw(t, "cost"))
		s := Settings{
			Margin:     Percent(rapid.Int64Range(0, 8000).Draw(t, "margin")),
			FeePercent: Percent(rapid.Int64Range(0, 1500).Draw(t, "fee")),
			FeeFixed:   eur(rapid.Int64Range(0, 500).Draw(t, "fixed")),
			Shipping:   eur(rapid.Int64Range(0, 5000).Draw(t, "shipping")),
			Packaging:  eur(rapid.Int64Range(0, 500).Draw(t, "packaging")),
			Ending:     rapid.SampledFrom(Endings).Draw(t, "ending"),
		}
		q, err := Compute(cost, s)
		if err != nil {
			t.Fatal(err)
		}
		keep := int64(hundred - s.Margin - s.FeePercent)
		need := q.Base.Amount * int64(hundred) // rounded × keep must reach it
		step := int64(100)
		if s.Ending == EndingNone {
			step = 1
		}
		if q.Rounded.Amount*keep < need {
			t.Fatalf("rounded %s is below the exact price %s", q.Rounded, q.Unrounded)
		}
		if q.Rounded.Amount-step >= 0 && (q.Rounded.Amount-step)*keep >= need {
			t.Fatalf("rounded %s is not the smallest: %d minor units less also covers %s", q.Rounded, step, q.Unrounded)
		}
		if q.Margin < s.Margin {
			t.Fatalf("margin %s%% below the target %s%%", q.Margin, s.Margin)
		}
	})
}
