package pricing

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/shopspring/decimal"

	"github.com/orderly-oms/orderly/internal/money"
)

// Percent is a percentage held exactly as basis points: 2.9% is 290. It is
// never a float; its wire form is a decimal string ("2.9").
type Percent int64

// hundred is 100% in basis points.
const hundred Percent = 10000

// ParsePercent reads a percentage such as "30", "2.9" or "0.25": at most two
// decimals, from 0 to max.
func ParsePercent(s string, max Percent) (Percent, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("must not be empty")
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if d.IsNegative() {
		return 0, fmt.Errorf("must not be negative, got %s", s)
	}
	bp := d.Shift(2)
	if !bp.Equal(bp.Truncate(0)) {
		return 0, fmt.Errorf("at most two decimal places, got %s", s)
	}
	if bp.GreaterThan(decimal.NewFromInt(int64(max))) {
		return 0, fmt.Errorf("must be at most %s, got %s", max, s)
	}
	return Percent(bp.IntPart()), nil
}

// String formats p as a plain decimal percentage ("30", "2.9", "-1.25").
func (p Percent) String() string { return decimal.New(int64(p), -2).String() }

// fraction returns p as a fraction of one: 2.9% is 0.029.
func (p Percent) fraction() decimal.Decimal { return decimal.New(int64(p), -4) }

// MarshalJSON writes p as a decimal string.
func (p Percent) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

// UnmarshalJSON reads a decimal string (or a JSON number) of at most two
// decimals. It does not bound the value: the service checks each field's range.
func (p *Percent) UnmarshalJSON(b []byte) error {
	s := string(b)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("percent %s is not a decimal number", string(b))
	}
	bp := d.Shift(2)
	if !bp.Equal(bp.Truncate(0)) {
		return fmt.Errorf("percent %s has more than two decimals", string(b))
	}
	*p = Percent(bp.IntPart())
	return nil
}

// Schema describes Percent's wire form for the OpenAPI document.
func (Percent) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeString, Pattern: `^-?[0-9]+(\.[0-9]{1,2})?$`, Examples: []any{"2.9"},
		Description: "A percentage as a decimal string with at most two decimals"}
}

// Ending is how a computed price is rounded: up to the next price that ends
// in .99, in .90, in a whole unit, or to the next minor unit (none).
type Ending string

const (
	EndingNone  Ending = "none"
	Ending99    Ending = ".99"
	Ending90    Ending = ".90"
	EndingWhole Ending = "whole"
)

// Endings lists the price endings, in the order forms show them.
var Endings = []Ending{Ending99, Ending90, EndingWhole, EndingNone}

// ParseEnding reads an ending; "99" and "90" are read as ".99" and ".90", an
// empty string as none.
func ParseEnding(s string) (Ending, error) {
	switch e := Ending(strings.ToLower(strings.TrimSpace(s))); e {
	case "":
		return EndingNone, nil
	case "99":
		return Ending99, nil
	case "90":
		return Ending90, nil
	case EndingNone, Ending99, Ending90, EndingWhole:
		return e, nil
	}
	return "", fmt.Errorf("ending %q is not one of .99, .90, whole, none", s)
}

// check refuses .99 and .90 in a currency without cents (JPY, KRW...).
func (e Ending) check(currency string) error {
	exp, ok := money.Exponent(currency)
	if !ok {
		return fmt.Errorf("unknown currency %q", currency)
	}
	if (e == Ending99 || e == Ending90) && exp < 2 {
		return fmt.Errorf("ending %s needs a currency with cents; %s has %d decimals (use whole or none)", e, currency, exp)
	}
	return nil
}

// roundUp returns the smallest amount (in minor units) that is at least
// minor and has the ending. minor must not be negative.
func (e Ending) roundUp(minor int64, currency string) int64 {
	exp, _ := money.Exponent(currency)
	unit := int64(1)
	for range exp {
		unit *= 10
	}
	var rest int64 // the minor units the price must end with
	switch e {
	case EndingNone:
		return minor
	case EndingWhole:
		rest = 0
	case Ending99:
		rest = 99 * unit / 100
	case Ending90:
		rest = 90 * unit / 100
	}
	p := minor/unit*unit + rest
	if p < minor {
		p += unit
	}
	return p
}

// Settings are what a rule says about the price of one unit. Every amount is
// in the rule's currency, which is the price's and the cost's currency.
type Settings struct {
	// Margin is the target contribution margin: what is left of the price
	// after cost, shipping, packaging and payment fees, as a percent of the
	// price.
	Margin Percent
	// FeePercent and FeeFixed are the payment provider's fee per order
	// line: a percent of the price plus a fixed amount.
	FeePercent Percent
	FeeFixed   money.Money
	// Shipping and Packaging are the estimated costs per unit the store
	// pays and does not charge separately.
	Shipping  money.Money
	Packaging money.Money
	Ending    Ending
	// Min and Max bound the price; nil: no bound. The bound applies after
	// the ending, so a clamped price may not have the ending.
	Min *money.Money
	Max *money.Money
}

// Quote is what the formula makes of one unit cost under one rule.
type Quote struct {
	// Base is cost + shipping + packaging + fixed fee.
	Base money.Money `json:"base" doc:"Cost + shipping + packaging + fixed fee"`
	// Unrounded is Base / (1 − margin − fee percent), in major units, shown
	// to 4 decimals (it is exact inside the computation).
	Unrounded string `json:"unrounded" doc:"base / (1 − margin − fee%), in major units to 4 decimals, before rounding" example:"12.4441"`
	// Rounded is Unrounded rounded up, once, to the rule's price ending.
	Rounded money.Money `json:"rounded" doc:"The unrounded price rounded up once to the rule's ending"`
	// Price is Rounded clamped to the rule's minimum and maximum.
	Price money.Money `json:"price" doc:"The rounded price clamped to the rule's minimum and maximum"`
	// Clamped is "min" or "max" when a bound changed the price, else "".
	Clamped string `json:"clamped,omitempty" enum:"min,max" doc:"Which bound changed the price, if any"`
	// Margin is the contribution margin the price leaves, in percent of the
	// price, rounded half away from zero to two decimals. It is at least the
	// target unless the maximum clamped the price.
	Margin Percent `json:"margin_percent" doc:"The contribution margin the price leaves, percent of price"`
}

// maxPriceMajor bounds a computed price, as the catalog bounds prices.
const maxPriceMajor = 1_000_000_000

// Compute applies the pricing formula to one unit cost:
//
//	price = (cost + shipping + packaging + fixed fee) / (1 − margin − fee%)
//
// rounded up once to the ending, then clamped to the minimum and maximum.
// The division is exact: the price is the smallest amount with the ending
// that is at least the exact quotient. cost and every amount of s must be in
// one currency.
func Compute(cost money.Money, s Settings) (Quote, error) {
	cur := cost.Currency
	for _, m := range []money.Money{s.FeeFixed, s.Shipping, s.Packaging} {
		if m.Currency != cur {
			return Quote{}, fmt.Errorf("cannot price: cost in %s, rule amounts in %s", cur, m.Currency)
		}
	}
	if s.Min != nil && s.Min.Currency != cur || s.Max != nil && s.Max.Currency != cur {
		return Quote{}, fmt.Errorf("cannot price: cost in %s, price bounds in another currency", cur)
	}
	if err := s.Ending.check(cur); err != nil {
		return Quote{}, fmt.Errorf("cannot price: %w", err)
	}
	keep := hundred - s.Margin - s.FeePercent // (1 − margin − fee%) in basis points
	if keep <= 0 {
		return Quote{}, fmt.Errorf("cannot price: margin %s%% and fee %s%% leave nothing of the price", s.Margin, s.FeePercent)
	}
	base := cost.Amount + s.Shipping.Amount + s.Packaging.Amount + s.FeeFixed.Amount
	if base < 0 {
		return Quote{}, fmt.Errorf("cannot price: negative cost")
	}
	// base / (keep / 10000) = base × 10000 / keep, in minor units: an exact
	// quotient and remainder of integers, so rounding up needs no precision.
	num := decimal.NewFromInt(base).Mul(decimal.NewFromInt(int64(hundred)))
	den := decimal.NewFromInt(int64(keep))
	quo, rem := num.QuoRem(den, 0)
	exp, _ := money.Exponent(cur)
	limit := decimal.New(maxPriceMajor, int32(exp))
	if quo.GreaterThanOrEqual(limit) {
		return Quote{}, fmt.Errorf("cannot price: the price would be above %d %s", maxPriceMajor, cur)
	}
	ceil := quo.IntPart()
	if rem.Sign() > 0 {
		ceil++
	}
	q := Quote{Base: money.Money{Amount: base, Currency: cur}}
	q.Unrounded = num.Shift(-int32(exp)).DivRound(den, 4).StringFixed(4)
	q.Rounded = money.Money{Amount: s.Ending.roundUp(ceil, cur), Currency: cur}
	q.Price = q.Rounded
	switch {
	case s.Min != nil && q.Price.Amount < s.Min.Amount:
		q.Price, q.Clamped = *s.Min, "min"
	case s.Max != nil && q.Price.Amount > s.Max.Amount:
		q.Price, q.Clamped = *s.Max, "max"
	}
	q.Margin = MarginOf(q.Price, cost, s)
	return q, nil
}

// MarginOf returns the contribution margin that price leaves after cost,
// shipping, packaging and fees, in percent of the price rounded half away
// from zero to two decimals. A price of zero has no margin (0).
func MarginOf(price, cost money.Money, s Settings) Percent {
	if price.Amount <= 0 {
		return 0
	}
	p := decimal.NewFromInt(price.Amount)
	contribution := p.Sub(p.Mul(s.FeePercent.fraction())).
		Sub(decimal.NewFromInt(cost.Amount + s.Shipping.Amount + s.Packaging.Amount + s.FeeFixed.Amount))
	return Percent(divRoundHalfAway(contribution.Mul(decimal.NewFromInt(int64(hundred))), p))
}

// divRoundHalfAway returns n / d rounded half away from zero to an integer,
// exactly (d > 0).
func divRoundHalfAway(n, d decimal.Decimal) int64 {
	q, r := n.QuoRem(d, 0)
	if r.Abs().Mul(decimal.NewFromInt(2)).GreaterThanOrEqual(d) {
		if r.Sign() < 0 {
			return q.IntPart() - 1
		}
		return q.IntPart() + 1
	}
	return q.IntPart()
}
