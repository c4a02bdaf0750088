// Package money holds exact amounts of money: an integer count of a
// currency's minor units (cents, centavos) and its ISO 4217 code. Money is
// never a float anywhere in Orderly; rates and percentages use decimals and
// are rounded once, at a documented point, back into minor units.
package money

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/shopspring/decimal"
)

// Money is an exact amount in a currency's minor units.
type Money struct {
	Amount   int64  // minor units: 1234 EUR means 12.34 EUR
	Currency string // ISO 4217 code, upper case
}

// exponents lists the minor-unit exponent of the currencies Orderly accepts.
// A currency not listed here is rejected rather than guessed.
var exponents = map[string]int{
	"AED": 2, "ARS": 2, "AUD": 2, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
	"COP": 2, "CZK": 2, "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2,
	"ILS": 2, "INR": 2, "ISK": 0, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2,
	"NOK": 2, "NZD": 2, "PEN": 2, "PHP": 2, "PLN": 2, "RON": 2, "SAR": 2, "SEK": 2,
	"SGD": 2, "THB": 2, "TRY": 2, "TWD": 2, "UAH": 2, "USD": 2, "VND": 0, "ZAR": 2,
	"BHD": 3, "JOD": 3, "OMR": 3, "TND": 3, "UYU": 2, "BGN": 2,
}

// MaxAmount bounds the absolute value of any amount, in minor units, so sums of
// many lines cannot overflow int64 and absurd input is refused early.
const MaxAmount = int64(1e15)

// Exponent returns the number of minor-unit digits of currency.
func Exponent(currency string) (int, bool) {
	e, ok := exponents[currency]
	return e, ok
}

// ValidCurrency reports whether code is a currency Orderly accepts.
func ValidCurrency(code string) bool {
	_, ok := exponents[code]
	return ok
}

// New returns amount minor units of currency, checking the currency.
func New(amount int64, currency string) (Money, error) {
	currency = strings.ToUpper(strings.TrimSpace(currency))
	if !ValidCurrency(currency) {
		return Money{}, fmt.Errorf("unknown currency %q (want an ISO 4217 code such as EUR, USD, BRL)", currency)
	}
	if amount > MaxAmount || amount < -MaxAmount {
		return Money{}, fmt.Errorf("amount %d is out of range", amount)
	}
	return Money{Amount: amount, Currency: currency}, nil
}

// Parse reads a decimal amount such as "12.34", "-0.5" or "1200" in currency.
// It accepts a dot as the decimal separator only and refuses more decimals than
// the currency has, so nothing is silently rounded.
func Parse(s, currency string) (Money, error) {
	currency = strings.ToUpper(strings.TrimSpace(currency))
	exp, ok := exponents[currency]
	if !ok {
		return Money{}, fmt.Errorf("unknown currency %q (want an ISO 4217 code such as EUR, USD, BRL)", currency)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return Money{}, fmt.Errorf("empty amount")
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" && frac == "" {
		return Money{}, fmt.Errorf("amount %q has no digits", s)
	}
	if hasDot && frac == "" {
		return Money{}, fmt.Errorf("amount %q ends with a decimal point", s)
	}
	if !allDigits(whole) || !allDigits(frac) {
		return Money{}, fmt.Errorf("amount %q is not a decimal number", s)
	}
	if len(frac) > exp {
		return Money{}, fmt.Errorf("amount %q has more than %d decimals for %s", s, exp, currency)
	}
	frac += strings.Repeat("0", exp-len(frac))
	digits := strings.TrimLeft(whole+frac, "0")
	if digits == "" {
		return Money{Amount: 0, Currency: currency}, nil
	}
	if len(digits) > 16 {
		return Money{}, fmt.Errorf("amount %q is out of range", s)
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > MaxAmount {
		return Money{}, fmt.Errorf("amount %q is out of range", s)
	}
	if neg {
		n = -n
	}
	return Money{Amount: n, Currency: currency}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Decimal returns the amount in major units as a plain decimal string,
// e.g. "12.34" or "-0.05"; it is the form used in the API and in CSV files.
func (m Money) Decimal() string {
	exp := exponents[m.Currency]
	n := m.Amount
	sign := ""
	if n < 0 {
		sign = "-"
		if n == math.MinInt64 {
			return "overflow"
		}
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	if exp == 0 {
		return sign + s
	}
	if len(s) <= exp {
		s = strings.Repeat("0", exp-len(s)+1) + s
	}
	return sign + s[:len(s)-exp] + "." + s[len(s)-exp:]
}

// String returns e.g. "12.34 EUR".
func (m Money) String() string { return m.Decimal() + " " + m.Currency }

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Amount == 0 }

// Add returns m + o; the currencies must match.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("cannot add %s to %s", o.Currency, m.Currency)
	}
	return Money{Amount: m.Amount + o.Amount, Currency: m.Currency}, nil
}

// Sub returns m - o; the currencies must match.
func (m Money) Sub(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("cannot subtract %s from %s", o.Currency, m.Currency)
	}
	return Money{Amount: m.Amount - o.Amount, Currency: m.Currency}, nil
}

// Mul returns m times a whole quantity.
func (m Money) Mul(qty int64) Money { return Money{Amount: m.Amount * qty, Currency: m.Currency} }

// MulRate returns m times rate, rounded half away from zero to a minor unit.
// This is the one rounding point for percentages (fees, margins, discounts).
func (m Money) MulRate(rate decimal.Decimal) Money {
	v := decimal.NewFromInt(m.Amount).Mul(rate).Round(0)
	return Money{Amount: v.IntPart(), Currency: m.Currency}
}

// Allocate splits m over weights with the largest-remainder method: the parts
// are proportional to the weights and always sum exactly to m. Weights must be
// non-negative with a positive sum; otherwise m is split evenly.
func (m Money) Allocate(weights []int64) []Money {
	parts := make([]Money, len(weights))
	if len(weights) == 0 {
		return parts
	}
	var total int64
	for _, w := range weights {
		if w < 0 {
			total = 0
			break
		}
		total += w
	}
	if total <= 0 {
		weights = make([]int64, len(weights))
		for i := range weights {
			weights[i] = 1
		}
		total = int64(len(weights))
	}
	amount := m.Amount
	neg := amount < 0
	if neg {
		amount = -amount
	}
	type rem struct {
		i int
		r decimal.Decimal
	}
	rems := make([]rem, len(weights))
	var given int64
	A, T := decimal.NewFromInt(amount), decimal.NewFromInt(total)
	for i, w := range weights {
		exact := A.Mul(decimal.NewFromInt(w)).Div(T)
		floor := exact.Floor()
		parts[i] = Money{Amount: floor.IntPart(), Currency: m.Currency}
		given += floor.IntPart()
		rems[i] = rem{i, exact.Sub(floor)}
	}
	// Hand the leftover units to the largest remainders, earliest index first on ties.
	for left := amount - given; left > 0; left-- {
		best := -1
		for j := range rems {
			if best == -1 || rems[j].r.GreaterThan(rems[best].r) {
				best = j
			}
		}
		parts[rems[best].i].Amount++
		rems[best].r = decimal.NewFromInt(-1)
	}
	if neg {
		for i := range parts {
			parts[i].Amount = -parts[i].Amount
		}
	}
	return parts
}

// jsonMoney is Money's wire form: a decimal string, never a float.
type jsonMoney struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// MarshalJSON writes {"amount":"12.34","currency":"EUR"}.
func (m Money) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonMoney{Amount: m.Decimal(), Currency: m.Currency})
}

// UnmarshalJSON reads {"amount":"12.34","currency":"EUR"}; the amount may also
// be a JSON number written with at most the currency's decimals.
func (m *Money) UnmarshalJSON(b []byte) error {
	var raw struct {
		Amount   json.RawMessage `json:"amount"`
		Currency string          `json:"currency"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("money must be an object {\"amount\":\"12.34\",\"currency\":\"EUR\"}")
	}
	if len(raw.Amount) == 0 {
		return fmt.Errorf("money.amount is required")
	}
	amt := string(raw.Amount)
	if amt[0] == '"' {
		if err := json.Unmarshal(raw.Amount, &amt); err != nil {
			return fmt.Errorf("money.amount: %w", err)
		}
	} else if strings.ContainsAny(amt, "eE") {
		return fmt.Errorf("money.amount %s must be written without an exponent", amt)
	}
	v, err := Parse(amt, raw.Currency)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Schema describes Money's wire form for the OpenAPI document.
func (Money) Schema(r huma.Registry) *huma.Schema {
	return &huma.Schema{
		Type:        huma.TypeObject,
		Description: "An exact amount of money. The amount is a decimal string in major units with at most the currency's decimals.",
		Properties: map[string]*huma.Schema{
			"amount":   {Type: huma.TypeString, Pattern: `^-?[0-9]+(\.[0-9]+)?$`, Examples: []any{"19.99"}},
			"currency": {Type: huma.TypeString, Pattern: `^[A-Z]{3}$`, Examples: []any{"EUR"}, Description: "ISO 4217 code"},
		},
		Required: []string{"amount", "currency"},
	}
}
