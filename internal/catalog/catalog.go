// Package catalog owns what the store sells: products and their variants.
// A variant is one sellable thing with its own SKU, price and weight; a
// product groups variants that differ only by options (size, colour).
//
// Input is parsed into value types (SKU, Status, Tags, Options) at the edge of
// the service, so the rest of the code handles only valid values. Every
// validation error names the field it is about.
package catalog

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/money"
)

// Status is the lifecycle state of a product or variant. Archived things stay
// in the database (orders and offers refer to them) but are no longer sold.
type Status string

const (
	StatusActive   Status = "active"
	StatusDraft    Status = "draft"
	StatusArchived Status = "archived"
)

// ParseStatus reads a status; an empty string means active.
func ParseStatus(s string) (Status, error) {
	switch st := Status(strings.ToLower(strings.TrimSpace(s))); st {
	case "":
		return StatusActive, nil
	case StatusActive, StatusDraft, StatusArchived:
		return st, nil
	}
	return "", fmt.Errorf("status %q is not one of active, draft, archived", s)
}

// SKU is a stock keeping unit code: 1–64 characters of A–Z, 0–9 and . _ - /,
// normalised to upper case.
//
// SKUs are stored upper case rather than compared with lower(sku): one plain
// unique index then enforces case-insensitive uniqueness on both engines, the
// same index serves SKU prefix search as a range scan, and the code printed on
// labels and purchase orders is the same everywhere.
type SKU string

// MaxSKULen is the longest SKU accepted.
const MaxSKULen = 64

// ParseSKU trims, checks and upper-cases s.
func ParseSKU(s string) (SKU, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("must not be empty")
	}
	if len(s) > MaxSKULen {
		return "", fmt.Errorf("SKU %q is longer than %d characters", s, MaxSKULen)
	}
	for i := 0; i < len(s); i++ {
		if !skuChar(s[i]) {
			return "", fmt.Errorf("SKU %q contains %q; use only letters A-Z, digits and . _ - /", s, rune(s[i]))
		}
	}
	return SKU(strings.ToUpper(s)), nil
}

func skuChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '-' || c == '/'
}

// Option is one name/value pair that sets a variant apart, e.g. Size=L.
type Option struct {
	Name  string `json:"name" minLength:"1" maxLength:"64" example:"Colour"`
	Value string `json:"value" minLength:"1" maxLength:"128" example:"Red"`
}

// Limits on free text; they keep rows small and refuse pasted garbage.
const (
	maxTitleLen       = 255
	maxDescriptionLen = 20000
	maxVendorLen      = 255
	maxTagLen         = 64
	maxTags           = 50
	maxOptions        = 5
	maxBarcodeLen     = 64
	maxWeightGrams    = 1_000_000 // a tonne: anything heavier is a typo
	maxPriceMajor     = 1_000_000_000
)

// Product is a thing the store sells, with its variants.
type Product struct {
	ID          int64     `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Vendor      string    `json:"vendor"`
	Tags        []string  `json:"tags" nullable:"false"`
	Status      Status    `json:"status" enum:"active,draft,archived"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Variants is filled by Product (one product) and left nil by lists.
	Variants []Variant `json:"variants,omitempty"`
}

// Variant is one sellable version of a product, with its own SKU.
type Variant struct {
	ID           int64       `json:"id"`
	ProductID    int64       `json:"product_id"`
	ProductTitle string      `json:"product_title"`
	SKU          SKU         `json:"sku"`
	Title        string      `json:"title"`
	Options      []Option    `json:"options" nullable:"false"`
	Price        money.Money `json:"price"`
	WeightGrams  int64       `json:"weight_grams"`
	Barcode      string      `json:"barcode,omitempty"`
	Status       Status      `json:"status" enum:"active,draft,archived"`
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
}

// NewProduct is the input for creating a product, optionally with variants.
type NewProduct struct {
	Title       string
	Description string
	Vendor      string
	Tags        []string
	Status      string
	Variants    []NewVariant
}

// NewVariant is the input for creating a variant.
type NewVariant struct {
	SKU         string
	Title       string
	Options     []Option
	Price       money.Money
	WeightGrams int64
	Barcode     string
	Status      string
}

// ProductPatch changes the fields that are not nil.
type ProductPatch struct {
	Title       *string
	Description *string
	Vendor      *string
	Tags        *[]string
	Status      *string
}

// VariantPatch changes the fields that are not nil.
type VariantPatch struct {
	SKU         *string
	Title       *string
	Options     *[]Option
	Price       *money.Money
	WeightGrams *int64
	Barcode     *string
	Status      *string
}

// field joins a field prefix ("variants[2]") and a name ("sku").
func field(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// checkText trims s and checks its length; required text must not be empty.
func checkText(fs *apperr.Fields, name, s string, max int, required bool) string {
	s = strings.TrimSpace(s)
	switch {
	case required && s == "":
		fs.Add(name, "must not be empty")
	case !utf8.ValidString(s):
		fs.Add(name, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		fs.Add(name, "must be at most %d characters (got %d)", max, utf8.RuneCountInString(s))
	}
	return s
}

// ParseTags trims, lower-cases and de-duplicates tags, keeping their order.
func ParseTags(tags []string) ([]string, error) {
	if len(tags) > maxTags {
		return nil, fmt.Errorf("at most %d tags (got %d)", maxTags, len(tags))
	}
	out := make([]string, 0, len(tags))
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			return nil, fmt.Errorf("tags must not be empty")
		}
		if utf8.RuneCountInString(t) > maxTagLen || !utf8.ValidString(t) {
			return nil, fmt.Errorf("tag %q must be valid text of at most %d characters", t, maxTagLen)
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

func parseTags(fs *apperr.Fields, name string, tags []string) []string {
	out, err := ParseTags(tags)
	if err != nil {
		fs.Add(name, "%v", err)
	}
	return out
}

func parseStatus(fs *apperr.Fields, name, s string) Status {
	st, err := ParseStatus(s)
	if err != nil {
		fs.Add(name, "%v", err)
	}
	return st
}

func parseSKU(fs *apperr.Fields, name, s string) SKU {
	sku, err := ParseSKU(s)
	if err != nil {
		fs.Add(name, "%v", err)
	}
	return sku
}

func parseOptions(fs *apperr.Fields, name string, opts []Option) []Option {
	if len(opts) > maxOptions {
		fs.Add(name, "at most %d options (got %d)", maxOptions, len(opts))
		return nil
	}
	out := make([]Option, 0, len(opts))
	seen := map[string]bool{}
	for i, o := range opts {
		p := fmt.Sprintf("%s[%d]", name, i)
		o.Name = checkText(fs, p+".name", o.Name, 64, true)
		o.Value = checkText(fs, p+".value", o.Value, 128, true)
		key := strings.ToLower(o.Name)
		if o.Name != "" && seen[key] {
			fs.Add(p+".name", "option %q appears twice", o.Name)
		}
		seen[key] = true
		out = append(out, o)
	}
	return out
}

// checkPrice refuses unknown currencies, negative prices and absurd ones
// (over a billion major units, which is always a typo in a shop).
func checkPrice(fs *apperr.Fields, name string, m money.Money) {
	exp, ok := money.Exponent(m.Currency)
	if !ok {
		fs.Add(name+".currency", "unknown currency %q (want an ISO 4217 code such as EUR, USD, BRL)", m.Currency)
		return
	}
	max := int64(maxPriceMajor)
	for range exp {
		max *= 10
	}
	switch {
	case m.Amount < 0:
		fs.Add(name+".amount", "must not be negative (got %s)", m.Decimal())
	case m.Amount > max:
		fs.Add(name+".amount", "must be at most %d %s (got %s)", maxPriceMajor, m.Currency, m.Decimal())
	}
}

func checkWeight(fs *apperr.Fields, name string, g int64) {
	if g < 0 || g > maxWeightGrams {
		fs.Add(name, "must be between 0 and %d grams (got %d)", maxWeightGrams, g)
	}
}

// productFields is a parsed NewProduct without its variants.
type productFields struct {
	title, description, vendor string
	tags                       []string
	status                     Status
}

func (in NewProduct) parse(fs *apperr.Fields) productFields {
	return productFields{
		title:       checkText(fs, "title", in.Title, maxTitleLen, true),
		description: checkText(fs, "description", in.Description, maxDescriptionLen, false),
		vendor:      checkText(fs, "vendor", in.Vendor, maxVendorLen, false),
		tags:        parseTags(fs, "tags", in.Tags),
		status:      parseStatus(fs, "status", in.Status),
	}
}

// parse checks a new variant; prefix names it within a larger input.
func (in NewVariant) parse(fs *apperr.Fields, prefix string) Variant {
	v := Variant{
		SKU:         parseSKU(fs, field(prefix, "sku"), in.SKU),
		Title:       checkText(fs, field(prefix, "title"), in.Title, maxTitleLen, false),
		Options:     parseOptions(fs, field(prefix, "options"), in.Options),
		Price:       in.Price,
		WeightGrams: in.WeightGrams,
		Barcode:     checkText(fs, field(prefix, "barcode"), in.Barcode, maxBarcodeLen, false),
		Status:      parseStatus(fs, field(prefix, "status"), in.Status),
	}
	checkPrice(fs, field(prefix, "price"), in.Price)
	checkWeight(fs, field(prefix, "weight_grams"), in.WeightGrams)
	if v.Title == "" {
		v.Title = defaultVariantTitle(v.Options)
	}
	return v
}

// defaultVariantTitle is "Red / L" from the option values, or "Default".
func defaultVariantTitle(opts []Option) string {
	if len(opts) == 0 {
		return "Default"
	}
	vals := make([]string, len(opts))
	for i, o := range opts {
		vals[i] = o.Value
	}
	return strings.Join(vals, " / ")
}

// apply checks p and applies it to pr.
func (p ProductPatch) apply(pr *Product) error {
	var fs apperr.Fields
	if p.Title != nil {
		pr.Title = checkText(&fs, "title", *p.Title, maxTitleLen, true)
	}
	if p.Description != nil {
		pr.Description = checkText(&fs, "description", *p.Description, maxDescriptionLen, false)
	}
	if p.Vendor != nil {
		pr.Vendor = checkText(&fs, "vendor", *p.Vendor, maxVendorLen, false)
	}
	if p.Tags != nil {
		pr.Tags = parseTags(&fs, "tags", *p.Tags)
	}
	if p.Status != nil {
		if s := strings.TrimSpace(*p.Status); s == "" {
			fs.Add("status", "must not be empty")
		} else {
			pr.Status = parseStatus(&fs, "status", s)
		}
	}
	return fs.Err()
}

// apply checks p and applies it to v.
func (p VariantPatch) apply(v *Variant) error {
	var fs apperr.Fields
	if p.SKU != nil {
		v.SKU = parseSKU(&fs, "sku", *p.SKU)
	}
	if p.Title != nil {
		v.Title = checkText(&fs, "title", *p.Title, maxTitleLen, false)
	}
	if p.Options != nil {
		v.Options = parseOptions(&fs, "options", *p.Options)
	}
	if p.Price != nil {
		checkPrice(&fs, "price", *p.Price)
		v.Price = *p.Price
	}
	if p.WeightGrams != nil {
		checkWeight(&fs, "weight_grams", *p.WeightGrams)
		v.WeightGrams = *p.WeightGrams
	}
	if p.Barcode != nil {
		v.Barcode = checkText(&fs, "barcode", *p.Barcode, maxBarcodeLen, false)
	}
	if p.Status != nil {
		if s := strings.TrimSpace(*p.Status); s == "" {
			fs.Add("status", "must not be empty")
		} else {
			v.Status = parseStatus(&fs, "status", s)
		}
	}
	if v.Title == "" {
		v.Title = defaultVariantTitle(v.Options)
	}
	return fs.Err()
}
