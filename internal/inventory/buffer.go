package inventory

import (
	"strconv"
	"strings"
	"time"

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
	RuleNone           BufferRule = "none"                  // no buffer applies
	RuleSupplierUnits  BufferRule = "supplier_units"        // the supplier's absolute buffer
	RuleSupplierPct    BufferRule = "supplier_percent"      // the supplier's percentage
	RuleVariantUnits   BufferRule = "sku_units"             // the SKU's absolute buffer
	RuleVariantPercent BufferRule = "sku_percent"           // the SKU's percentage
	RuleSupplierMinQty BufferRule = "supplier_min_quantity" // below the supplier's minimum quantity: counts as 0
	RuleVariantMinQty  BufferRule = "sku_min_quantity"      // below the SKU's minimum quantity: counts as 0
	RuleStaleExcluded  BufferRule = "stale_excluded"        // the supplier's feed is stale: its stock is excluded
	RuleStalePercent   BufferRule = "stale_percent"         // the supplier's feed is stale: its stale percentage is added
)

// BufferRules lists every BufferRule, for documentation and enums.
var BufferRules = []BufferRule{RuleNone, RuleSupplierUnits, RuleSupplierPct, RuleVariantUnits, RuleVariantPercent,
	RuleSupplierMinQty, RuleVariantMinQty, RuleStaleExcluded, RuleStalePercent}

// SupplierRules are the safety rules of one supplier in force for each of its
// offers: its buffer, its minimum quantity and, while its feed is stale, what
// staleness does.
type SupplierRules struct {
	Buffer Buffer
	// MinQuantity: a reported quantity below it counts as 0 (0: no minimum).
	MinQuantity int
	// Stale is the supplier's staleness in force (stored, flipped by the
	// staleness job and by reports; see MarkReported).
	Stale bool
	// StaleMode and StalePercent say what staleness does (Staleness).
	StaleMode    StaleMode
	StalePercent Percent
}

// SKURules are the safety rules of one SKU for each of its offers.
type SKURules struct {
	Buffer      Buffer
	MinQuantity int
}

// EffectiveBuffer is the buffer that applies to an offer reporting reported
// units, with the rule that set it. It is the single definition of what an
// offer holds back: positions store its result (so a reservation is one
// conditional UPDATE), the stock breakdown explains it, and every write path
// (reports, adjustments, rule changes, staleness flips, bulk feeds) calls it.
//
//   - The largest of the supplier's and the SKU's buffers, percentages taken
//     of reported and rounded up.
//   - A reported quantity below the supplier's or the SKU's minimum quantity
//     counts as 0: all of it is held back (the larger minimum decides).
//   - While the supplier is stale, mode exclude holds back all of it; mode
//     buffer adds StalePercent of reported (rounded up) on top of the rest,
//     never holding back more than reported unless the other rules already
//     did.
//
// On a tie the later rule of that list is named (the SKU's before the
// supplier's, the more specific one; staleness last).
func EffectiveBuffer(reported int, supplier SupplierRules, sku SKURules) (int, BufferRule) {
	best, rule := 0, RuleNone
	consider := func(units int, r BufferRule) {
		if units > 0 && units >= best {
			best, rule = units, r
		}
	}
	consider(supplier.Buffer.Units, RuleSupplierUnits)
	consider(supplier.Buffer.Percent.Of(reported), RuleSupplierPct)
	consider(sku.Buffer.Units, RuleVariantUnits)
	consider(sku.Buffer.Percent.Of(reported), RuleVariantPercent)
	if reported < supplier.MinQuantity {
		consider(reported, RuleSupplierMinQty)
	}
	if reported < sku.MinQuantity {
		consider(reported, RuleVariantMinQty)
	}
	if supplier.Stale {
		switch supplier.StaleMode {
		case StaleBuffer:
			if b := min(best+supplier.StalePercent.Of(reported), max(best, reported)); b > best {
				best, rule = b, RuleStalePercent
			}
		default: // exclude, and any mode not known: the safe choice
			consider(reported, RuleStaleExcluded)
		}
	}
	return best, rule
}

// StaleMode says what a stale feed does to its supplier's stock.
type StaleMode string

const (
	// StaleExclude: the supplier's stock stops counting toward ATS.
	StaleExclude StaleMode = "exclude"
	// StaleBuffer: an extra percentage of each reported quantity is held back.
	StaleBuffer StaleMode = "buffer"
)

// Staleness is a supplier's maximum feed age and what happens when its feed
// is older.
type Staleness struct {
	// MaxAge is how old the supplier's last report or feed run may be; 0:
	// never stale.
	MaxAge time.Duration
	Mode   StaleMode
	// Percent is held back on top of the other rules while stale, in mode
	// buffer (ignored in mode exclude).
	Percent Percent
}

// MaxFeedAge bounds Staleness.MaxAge; MinFeedAge is the smallest non-zero
// one (the staleness job runs every minute).
const (
	MaxFeedAge = 366 * 24 * time.Hour
	MinFeedAge = time.Minute
)

// Validate checks a staleness setting, naming the fields max_feed_age,
// stale_mode and stale_buffer_percent.
func (st Staleness) Validate() error {
	var f apperr.Fields
	if st.MaxAge != 0 && (st.MaxAge < MinFeedAge || st.MaxAge > MaxFeedAge) {
		f.Add("max_feed_age", "must be 0 (never stale) or between %s and %s, got %s", FormatFeedAge(MinFeedAge), FormatFeedAge(MaxFeedAge), FormatFeedAge(st.MaxAge))
	}
	if st.MaxAge%time.Second != 0 {
		f.Add("max_feed_age", "must be whole seconds, got %s", st.MaxAge)
	}
	switch st.Mode {
	case StaleExclude:
	case StaleBuffer:
		if st.Percent <= 0 {
			f.Add("stale_buffer_percent", "must be above 0 when stale_mode is buffer")
		}
	default:
		f.Add("stale_mode", "must be exclude or buffer, got %q", st.Mode)
	}
	if st.Percent < 0 || st.Percent > MaxPercent {
		f.Add("stale_buffer_percent", "must be between 0 and 100, got %s", st.Percent)
	}
	return f.Err()
}

// StaleAt reports whether a supplier whose last report or feed run was at
// lastFeed (zero: never) is stale at now. A supplier that never reported is
// stale as soon as it has a maximum age: nothing vouches for its figures.
func (st Staleness) StaleAt(lastFeed, now time.Time) bool {
	if st.MaxAge <= 0 {
		return false
	}
	return lastFeed.IsZero() || now.Sub(lastFeed) > st.MaxAge
}

// ParseFeedAge reads a maximum feed age: a Go duration such as "48h",
// "90m" or "1h30m", a number of days such as "2d", or "0" (never stale).
// field names the input for the error.
func ParseFeedAge(field, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > int(MaxFeedAge/(24*time.Hour)) {
			return 0, apperr.InvalidField(field, "%q is not a number of days (e.g. 2d)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, apperr.InvalidField(field, "%q is not a duration (e.g. 48h, 90m, 2d, or 0 for never)", s)
	}
	return d, nil
}

// FormatFeedAge writes a feed age the way ParseFeedAge reads it, without
// zero units: "48h", "1h30m", "45s", "0".
func FormatFeedAge(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
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
