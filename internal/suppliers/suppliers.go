// Package suppliers owns the dropshipping suppliers the store buys from,
// their contacts, and their offers: which of our variants a supplier can ship,
// under which supplier SKU, at what cost, lead time and minimum order.
//
// Stock positions, buffers and reservations per offer belong to the inventory
// package; this package only says who can supply what.
package suppliers

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/money"
)

// Status is whether a supplier takes orders now.
type Status string

const (
	StatusActive Status = "active"
	StatusPaused Status = "paused" // temporarily not routed to (holidays, quality problem)
)

// ParseStatus reads a supplier status; an empty string means active.
func ParseStatus(s string) (Status, error) {
	switch st := Status(strings.ToLower(strings.TrimSpace(s))); st {
	case "":
		return StatusActive, nil
	case StatusActive, StatusPaused:
		return st, nil
	}
	return "", fmt.Errorf("status %q is not one of active, paused", s)
}

// OfferStatus is whether an offer may be used.
type OfferStatus string

const (
	OfferActive   OfferStatus = "active"
	OfferInactive OfferStatus = "inactive"
)

// ParseOfferStatus reads an offer status; an empty string means active.
func ParseOfferStatus(s string) (OfferStatus, error) {
	switch st := OfferStatus(strings.ToLower(strings.TrimSpace(s))); st {
	case "":
		return OfferActive, nil
	case OfferActive, OfferInactive:
		return st, nil
	}
	return "", fmt.Errorf("status %q is not one of active, inactive", s)
}

// Country is an ISO 3166-1 alpha-2 code, upper case.
type Country string

// ParseCountry checks s against the ISO 3166-1 list.
func ParseCountry(s string) (Country, error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	if _, ok := countries[c]; !ok {
		return "", fmt.Errorf("%q is not an ISO 3166-1 alpha-2 country code (e.g. PT, IT, CN, US)", s)
	}
	return Country(c), nil
}

// Name returns the country's English short name.
func (c Country) Name() string { return countries[string(c)] }

// ParseTimezone checks that s names an IANA time zone. The binary embeds the
// zone database (time/tzdata), so this works on hosts without one.
func ParseTimezone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "Local" {
		return "", fmt.Errorf("must be an IANA time zone name such as Europe/Lisbon")
	}
	if _, err := time.LoadLocation(s); err != nil {
		return "", fmt.Errorf("%q is not an IANA time zone name (e.g. Europe/Lisbon, Asia/Shanghai)", s)
	}
	return s, nil
}

// Contact is a person at a supplier.
type Contact struct {
	Name  string `json:"name" maxLength:"200" example:"Ana Silva"`
	Email string `json:"email,omitempty" maxLength:"254" example:"ana@example.pt"`
	Phone string `json:"phone,omitempty" maxLength:"32" example:"+351 21 000 0000"`
	Role  string `json:"role,omitempty" maxLength:"64" example:"orders"`
}

// Supplier is a business that ships our products to our customers.
type Supplier struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Contacts  []Contact `json:"contacts" nullable:"false"`
	Timezone  string    `json:"timezone" example:"Europe/Lisbon"`
	Country   Country   `json:"country" example:"PT"`
	Status    Status    `json:"status" enum:"active,paused"`
	Notes     string    `json:"notes"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Offer says a supplier can ship one of our variants.
type Offer struct {
	ID           int64       `json:"id"`
	SupplierID   int64       `json:"supplier_id"`
	SupplierName string      `json:"supplier_name"`
	VariantID    int64       `json:"variant_id"`
	SKU          string      `json:"sku" doc:"Our SKU of the variant"`
	SupplierSKU  string      `json:"supplier_sku"`
	Cost         money.Money `json:"cost"`
	LeadTimeDays int         `json:"lead_time_days"`
	MinOrderQty  int         `json:"min_order_qty"`
	Priority     int         `json:"priority" doc:"Smaller is preferred"`
	Status       OfferStatus `json:"status" enum:"active,inactive"`
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
}

// NewSupplier is the input for creating a supplier.
type NewSupplier struct {
	Name     string
	Contacts []Contact
	Timezone string
	Country  string
	Status   string
	Notes    string
}

// SupplierPatch changes the fields that are not nil. Contacts, when set,
// replace the whole list.
type SupplierPatch struct {
	Name     *string
	Contacts *[]Contact
	Timezone *string
	Country  *string
	Status   *string
	Notes    *string
}

// NewOffer is the input for creating an offer. The variant is named by
// VariantID or, when that is zero, by SKU.
type NewOffer struct {
	SupplierID   int64
	VariantID    int64
	SKU          string
	SupplierSKU  string
	Cost         money.Money
	LeadTimeDays int
	MinOrderQty  int
	Priority     int
	Status       string
}

// OfferPatch changes the fields that are not nil. The supplier and variant of
// an offer never change: create another offer instead.
type OfferPatch struct {
	SupplierSKU  *string
	Cost         *money.Money
	LeadTimeDays *int
	MinOrderQty  *int
	Priority     *int
	Status       *string
}

// Limits on input; larger values are typos, not business.
const (
	maxNameLen     = 200
	maxNotesLen    = 10000
	maxContacts    = 20
	maxSupplierSKU = 100
	maxLeadTime    = 365
	maxMOQ         = 1_000_000
	maxPriority    = 10_000
	maxCostMajor   = 1_000_000_000
)

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

func parseContacts(fs *apperr.Fields, contacts []Contact) []Contact {
	if len(contacts) > maxContacts {
		fs.Add("contacts", "at most %d contacts (got %d)", maxContacts, len(contacts))
		return nil
	}
	out := make([]Contact, 0, len(contacts))
	for i, c := range contacts {
		p := fmt.Sprintf("contacts[%d].", i)
		c.Name = checkText(fs, p+"name", c.Name, maxNameLen, true)
		c.Email = checkText(fs, p+"email", c.Email, 254, false)
		if c.Email != "" {
			if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
				fs.Add(p+"email", "%q is not an email address like name@example.com", c.Email)
			}
		}
		c.Phone = checkText(fs, p+"phone", c.Phone, 32, false)
		if strings.Trim(c.Phone, "0123456789+-() .") != "" {
			fs.Add(p+"phone", "%q may hold only digits, spaces and + - ( ) .", c.Phone)
		}
		c.Role = checkText(fs, p+"role", c.Role, 64, false)
		out = append(out, c)
	}
	return out
}

func (in NewSupplier) parse(fs *apperr.Fields) Supplier {
	s := Supplier{
		Name:     checkText(fs, "name", in.Name, maxNameLen, true),
		Contacts: parseContacts(fs, in.Contacts),
		Notes:    checkText(fs, "notes", in.Notes, maxNotesLen, false),
	}
	var err error
	if s.Timezone, err = ParseTimezone(in.Timezone); err != nil {
		fs.Add("timezone", "%v", err)
	}
	if s.Country, err = ParseCountry(in.Country); err != nil {
		fs.Add("country", "%v", err)
	}
	if s.Status, err = ParseStatus(in.Status); err != nil {
		fs.Add("status", "%v", err)
	}
	return s
}

func (p SupplierPatch) apply(s *Supplier) error {
	var fs apperr.Fields
	var err error
	if p.Name != nil {
		s.Name = checkText(&fs, "name", *p.Name, maxNameLen, true)
	}
	if p.Contacts != nil {
		s.Contacts = parseContacts(&fs, *p.Contacts)
	}
	if p.Timezone != nil {
		if s.Timezone, err = ParseTimezone(*p.Timezone); err != nil {
			fs.Add("timezone", "%v", err)
		}
	}
	if p.Country != nil {
		if s.Country, err = ParseCountry(*p.Country); err != nil {
			fs.Add("country", "%v", err)
		}
	}
	if p.Status != nil {
		if strings.TrimSpace(*p.Status) == "" {
			fs.Add("status", "must not be empty")
		} else if s.Status, err = ParseStatus(*p.Status); err != nil {
			fs.Add("status", "%v", err)
		}
	}
	if p.Notes != nil {
		s.Notes = checkText(&fs, "notes", *p.Notes, maxNotesLen, false)
	}
	return fs.Err()
}

// checkCost refuses unknown currencies, negative costs and absurd ones.
func checkCost(fs *apperr.Fields, m money.Money) {
	exp, ok := money.Exponent(m.Currency)
	if !ok {
		fs.Add("cost.currency", "unknown currency %q (want an ISO 4217 code such as EUR, USD, CNY)", m.Currency)
		return
	}
	max := int64(maxCostMajor)
	for range exp {
		max *= 10
	}
	switch {
	case m.Amount < 0:
		fs.Add("cost.amount", "must not be negative (got %s)", m.Decimal())
	case m.Amount > max:
		fs.Add("cost.amount", "must be at most %d %s (got %s)", maxCostMajor, m.Currency, m.Decimal())
	}
}

func checkRange(fs *apperr.Fields, name string, v, lo, hi int) {
	if v < lo || v > hi {
		fs.Add(name, "must be between %d and %d (got %d)", lo, hi, v)
	}
}

// checkOffer checks the changeable fields of an offer.
func checkOffer(fs *apperr.Fields, o *Offer) {
	o.SupplierSKU = checkText(fs, "supplier_sku", o.SupplierSKU, maxSupplierSKU, true)
	checkCost(fs, o.Cost)
	checkRange(fs, "lead_time_days", o.LeadTimeDays, 0, maxLeadTime)
	checkRange(fs, "min_order_qty", o.MinOrderQty, 1, maxMOQ)
	checkRange(fs, "priority", o.Priority, 0, maxPriority)
}

func (p OfferPatch) apply(o *Offer) error {
	var fs apperr.Fields
	if p.SupplierSKU != nil {
		o.SupplierSKU = *p.SupplierSKU
	}
	if p.Cost != nil {
		o.Cost = *p.Cost
	}
	if p.LeadTimeDays != nil {
		o.LeadTimeDays = *p.LeadTimeDays
	}
	if p.MinOrderQty != nil {
		o.MinOrderQty = *p.MinOrderQty
	}
	if p.Priority != nil {
		o.Priority = *p.Priority
	}
	if p.Status != nil {
		st, err := ParseOfferStatus(*p.Status)
		if err != nil || strings.TrimSpace(*p.Status) == "" {
			fs.Add("status", "must be one of active, inactive")
		}
		o.Status = st
	}
	checkOffer(&fs, o)
	return fs.Err()
}
