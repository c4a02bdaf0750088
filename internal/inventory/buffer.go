package inventory

import (
	"strings"

	"github.com/shopspring/decimal"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// Percent is a percentage held exactly as basis points: 1250 is 12.5%.
// It is never a float, so 12.5% of 8 units is always 1 unit (rounded up).
type Percent int

// MaxPercent is 100%.
const MaxPercent Percent = 10000

// ParsePercent reads a percentage such as "12.5" or "7" (at most two decimal
// places, 0 to 100). field names the input for the error.
func ParsePercent(field, s string) (Percent, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return 0, apperr.InvalidField(field, "%q is not a number", s)
	}
	if d.IsNegative() {
		return 0, apperr.InvalidField(field, "must not be negative, got %s", s)
	}
	if d.GreaterThan(decimal.NewFromInt(100)) {
		return 0, apperr.InvalidField(field, "must be at most 100, got %s", s)
	}
	bp := d.Shift(2)
	if !bp.Equal(bp.Truncate(0)) {
		return 0, apperr.InvalidField(field, "at most two decimal places, got %s", s)
	}
	return Percent(bp.IntPart()), nil
}

// String formats p as a plain decimal percentage ("12.5", "7", "0.25").
func (p Percent) String() string {
	return decimal.New(int64(p), -2).String()
}

// Of returns p of n units, rounded up to a whole unit: a buffer never holds
// back less than the percentage asks for.
func (p Percent) Of(n int) int {
	if n <= 0 || p <= 0 {
		return 0
	}
	return int((int64(n)*int64(p) + int64(MaxPercent) - 1) / int64(MaxPercent))
}

// Buffer is one safety-buffer rule: units and a percentage of the reported
// quantity held back from sale. Either or both may be zero.
type Buffer struct {
	Units   int
	Percent Percent
}

// Validate checks a buffer rule, naming the fields units and percent.
func (b Buffer) Validate() error {
	var f apperr.Fields
	if b.Units < 0 {
		f.Add("units", "must not be negative, got %d", b.Units)
	}
	if b.Units > maxQuantity {
		f.Add("units", "must be at most %d, got %d", maxQuantity, b.Units)
	}
	if b.Percent < 0 || b.Percent > MaxPercent {
		f.Add("percent", "must be between 0 and 100, got %s", b.Percent)
	}
	return f.Err()
}

// BufferRule names the rule that set an offer's effective buffer.
type BufferRule string

const (
	RuleNone           BufferRule = "none"             // no buffer applies
	RuleSupplierUnits  BufferRule = "supplier_units"   // the supplier's absolute buffer
	RuleSupplierPct    BufferRule = "supplier_percent" // the supplier's percentage
	RuleVariantUnits   BufferRule = "sku_units"        // the SKU's absolute buffer
	RuleVariantPercent BufferRule = "sku_percent"      // the SKU's percentage
)

// EffectiveBuffer is the buffer that applies to an offer reporting reported
// units: the largest of the supplier's and the SKU's rules, with percentages
// taken of reported and rounded up. On a tie the SKU rule is named, as the
// more specific one. It is the single definition of the buffer: positions
// store its result, and the stock breakdown explains it.
func EffectiveBuffer(reported int, supplier, variant Buffer) (int, BufferRule) {
	best, rule := 0, RuleNone
	for _, c := range []struct {
		units int
		rule  BufferRule
	}{
		{supplier.Units, RuleSupplierUnits},
		{supplier.Percent.Of(reported), RuleSupplierPct},
		{variant.Units, RuleVariantUnits},
		{variant.Percent.Of(reported), RuleVariantPercent},
	} {
		if c.units > 0 && c.units >= best {
			best, rule = c.units, c.rule
		}
	}
	return best, rule
}

// maxQuantity bounds every quantity Orderly accepts: a billion units is far
// beyond any real stock and keeps sums inside 64 bits and 32-bit columns.
const maxQuantity = 1_000_000_000

func checkQuantity(field string, n int) error {
	if n < 0 {
		return apperr.InvalidField(field, "must not be negative, got %d", n)
	}
	if n > maxQuantity {
		return apperr.InvalidField(field, "must be at most %d, got %d", maxQuantity, n)
	}
	return nil
}

// normSKU mirrors the catalog's normal form: SKUs are stored upper case.
func normSKU(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

func errUnknownSKU(sku string) error {
	return apperr.New(apperr.NotFound, "SKU %q not found", sku)
}

func errUnknownOffer(id int64) error {
	return apperr.New(apperr.NotFound, "supplier offer %d not found", id)
}
