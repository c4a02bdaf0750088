package customers

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problem is one thing wrong with an address. An order whose shipping
// address has problems is not refused: it is placed on hold (reason
// "address") with these messages, for a person to fix.
type Problem struct {
	Field   string `json:"field"` // name, line1, city, country or postal_code
	Message string `json:"message"`
}

// NormalizeAddress returns a in its canonical form: every field cleaned
// (invalid UTF-8 and control characters replaced, runs of spaces collapsed,
// ends trimmed); the country as its ISO 3166-1 alpha-2 code when it is a
// code in any case or a name NormalizeAddress knows ("Brasil", "Italia",
// "United States", "USA", "UK"); and, for the countries with a postal rule,
// the postal code in its national form ("01310100" → "01310-100" for BR,
// "k1a0b1" → "K1A 0B1" for CA, "sw1a1aa" → "SW1A 1AA" for GB). Other
// countries' postal codes are only cleaned. It is idempotent.
func NormalizeAddress(a Address) Address {
	n := Address{
		Name:       clean(a.Name),
		Company:    clean(a.Company),
		Line1:      clean(a.Line1),
		Line2:      clean(a.Line2),
		City:       clean(a.City),
		Region:     clean(a.Region),
		PostalCode: clean(a.PostalCode),
		Country:    clean(a.Country),
		Phone:      clean(a.Phone),
	}
	if code, ok := lookupCountry(n.Country); ok {
		n.Country = code
	}
	n.PostalCode = normalizePostal(n.Country, n.PostalCode)
	return n
}

// CheckAddress returns what is wrong with a, or nil if nothing is. It checks
// the normalised address, so whatever NormalizeAddress can fix is not a
// problem, and its messages quote the normalised values.
//
// It requires a name, a first address line, a city and a country that is an
// ISO 3166-1 alpha-2 code (or a name NormalizeAddress maps to one); a postal
// code unless the country does not use them; and, for BR, IT, US, GB, DE, FR,
// ES, PT, CA and AU, a postal code in that country's format.
func CheckAddress(a Address) []Problem {
	n := NormalizeAddress(a)
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	required := func(field, value, what string) {
		switch {
		case value == "":
			add(field, "%s is required", what)
		case !hasLetterOrDigit(value):
			add(field, "%s %q has no letters or digits", what, value)
		}
	}
	required("name", n.Name, "the recipient's name")
	required("line1", n.Line1, "the street address (line 1)")
	required("city", n.City, "the city")

	checkCountryPostal(n.Country, n.PostalCode, add)
	return ps
}

// CheckDestination normalises a country and postal code as NormalizeAddress
// does and returns them with what is wrong with them (fields country and
// postal_code), or nil problems. It is CheckAddress for a place to deliver
// to, without the recipient and street (delivery promises use it).
func CheckDestination(country, postalCode string) (normCountry, normPostal string, problems []Problem) {
	n := NormalizeAddress(Address{Country: country, PostalCode: postalCode})
	checkCountryPostal(n.Country, n.PostalCode, func(field, format string, args ...any) {
		problems = append(problems, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	})
	return n.Country, n.PostalCode, problems
}

// checkCountryPostal checks a normalised country and postal code.
func checkCountryPostal(country, postal string, add func(field, format string, args ...any)) {
	switch {
	case country == "":
		add("country", "the country is required (an ISO 3166-1 alpha-2 code such as BR, IT or US)")
	case !knownCountry(country):
		add("country", "country %q is not a known country: use an ISO 3166-1 alpha-2 code such as BR, IT or US", country)
	default:
		rule, hasRule := postalRules[country]
		switch {
		case postal == "" && hasRule:
			add("postal_code", "a postal code is required for addresses in %s (format %s)", rule.country, rule.format)
		case postal == "" && !noPostalCode[country]:
			add("postal_code", "a postal code is required for addresses in %s", countryName(country))
		case postal != "" && hasRule:
			if msg := rule.check(postal); msg != "" {
				add("postal_code", "%s", msg)
			}
		}
	}
}

// clean makes s valid UTF-8 without control characters, collapses runs of
// white space into one space and trims the ends.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, s)
	}
	return strings.Join(strings.Fields(s), " ")
}

func hasLetterOrDigit(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}
