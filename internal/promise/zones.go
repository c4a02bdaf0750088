package promise

import (
	"fmt"
	"strings"
)

// RemoteRule adds days to deliveries into a range of postal codes that
// carriers reach slowly: Brazil's Norte region, Italy's islands, Alaska and
// Hawaii. Codes are compared on their letters and digits only ("69000-000"
// and "69000000" are the same), From and To as prefixes: From "69000" To
// "69299" covers 69000-000 to 69299-999.
type RemoteRule struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Country   string `json:"country"`
	From      string `json:"postal_from"`
	To        string `json:"postal_to"`
	ExtraDays int    `json:"extra_days"`
}

// MaxExtraDays bounds the days one remote rule adds.
const MaxExtraDays = 60

// Check returns what is wrong with the rule, or nil.
func (r RemoteRule) Check() error {
	from, to := PostalKey(r.From), PostalKey(r.To)
	switch {
	case len(r.Country) != 2:
		return fmt.Errorf("remote rule %q: country %q is not an ISO 3166-1 alpha-2 code", r.Name, r.Country)
	case from == "" || to == "":
		return fmt.Errorf("remote rule %q: postal_from and postal_to are required (letters and digits)", r.Name)
	case prefix(to, len(from)) < from:
		return fmt.Errorf("remote rule %q: postal_to %q comes before postal_from %q", r.Name, r.To, r.From)
	case r.ExtraDays < 1 || r.ExtraDays > MaxExtraDays:
		return fmt.Errorf("remote rule %q: extra_days must be between 1 and %d", r.Name, MaxExtraDays)
	}
	return nil
}

// Matches reports whether the rule covers postal code key (a PostalKey) in
// country.
func (r RemoteRule) Matches(country, key string) bool {
	if country != r.Country || key == "" {
		return false
	}
	from, to := PostalKey(r.From), PostalKey(r.To)
	return prefix(key, len(from)) >= from && prefix(key, len(to)) <= to
}

// PostalKey is a postal code's letters and digits, upper case: the form
// remote rules and lanes compare.
func PostalKey(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		if r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// LanePrefixLen is how many characters of the postal key a Lane carries. A
// learned source may shorten them further (to a state or a region).
const LanePrefixLen = 5

// Lane is a route from a supplier's place to a destination, for learned
// transit times.
type Lane struct {
	FromCountry, FromPostal string // FromPostal: up to LanePrefixLen characters of the postal key, or ""
	ToCountry, ToPostal     string
}

func (l Lane) String() string {
	return fmt.Sprintf("%s %s → %s %s", l.FromCountry, l.FromPostal, l.ToCountry, l.ToPostal)
}
