package customers

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// Address is a postal address as given by a customer or a storefront.
type Address struct {
	Name       string `json:"name"`
	Company    string `json:"company,omitempty"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	Region     string `json:"region,omitempty"` // state, province or county
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"` // ISO 3166-1 alpha-2
	Phone      string `json:"phone,omitempty"`
}

// IsZero reports whether a has no field set (after cleaning).
func (a Address) IsZero() bool {
	return NormalizeAddress(a) == Address{}
}

// Key identifies the place and recipient of a, so that the same address
// written twice with different case, spacing or punctuation is recorded once
// per customer: the normalised name, company, lines, city, region, postal
// code and country, lower-cased, with punctuation dropped, hashed (SHA-256,
// hex) to a fixed length. The phone is not part of it.
func (a Address) Key() string {
	n := NormalizeAddress(a)
	parts := []string{n.Name, n.Company, n.Line1, n.Line2, n.City, n.Region, n.PostalCode, n.Country}
	for i, p := range parts {
		p = strings.Map(func(r rune) rune {
			if unicode.IsPunct(r) {
				return ' '
			}
			return unicode.ToLower(r)
		}, p)
		parts[i] = strings.Join(strings.Fields(p), " ")
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x1f")))
	return hex.EncodeToString(sum[:])
}
