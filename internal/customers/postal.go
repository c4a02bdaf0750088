package customers

import (
	"fmt"
	"regexp"
	"strings"
)

// postalRule is how one country writes its postal codes.
type postalRule struct {
	country string // "Brazil", for "required for addresses in Brazil"
	adj     string // "Brazilian", for "does not match the Brazilian format"
	format  string // the shape a person recognises: 00000-000
	re      *regexp.Regexp
	// normalize rewrites an upper-case, space-collapsed code into the
	// canonical form when it can tell what was meant, and returns it
	// unchanged otherwise. It must be idempotent.
	normalize func(string) string
	// explain adds why a code of the right shape is still wrong ("" if not).
	explain func(string) string
}

// postalRules are the countries whose postal codes are checked against their
// format. Sources: each postal operator's own description of its format
// (Correios CEP, Poste Italiane CAP, USPS ZIP, Royal Mail postcode, Deutsche
// Post PLZ, La Poste, Correos, CTT, Canada Post, Australia Post).
var postalRules = map[string]postalRule{
	"BR": {country: "Brazil", adj: "Brazilian", format: "00000-000",
		re: regexp.MustCompile(`^[0-9]{5}-[0-9]{3}$`), normalize: digitsAs(8, 5, "-")},
	"IT": {country: "Italy", adj: "Italian", format: "00000",
		re: regexp.MustCompile(`^[0-9]{5}$`), normalize: digitsAs(5, 0, "", "I", "IT")},
	"US": {country: "the United States", adj: "US ZIP code", format: "00000 or 00000-0000",
		re: regexp.MustCompile(`^[0-9]{5}(-[0-9]{4})?$`), normalize: usZIP},
	// The Royal Mail pattern: outward code (area letters, district digit,
	// optional digit or letter), a space, inward code (sector digit and two
	// unit letters). Letters that are never used in each position are left
	// out: Q, V, X first; I, J, Z second; C, I, K, M, O, V in the unit. GIR
	// 0AA (Girobank) and BFPO numbers (forces post) are also valid.
	"GB": {country: "the United Kingdom", adj: "British", format: "A9 9AA, A99 9AA, A9A 9AA, AA9 9AA, AA99 9AA or AA9A 9AA (e.g. SW1A 1AA)",
		re:        regexp.MustCompile(`^(GIR 0AA|BFPO [0-9]{1,4}|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]([0-9ABEHMNPRV-Y])?|[0-9][A-HJKPS-UW]) [0-9][ABD-HJLNP-UW-Z]{2})$`),
		normalize: gbPostcode},
	"DE": {country: "Germany", adj: "German", format: "00000",
		re: regexp.MustCompile(`^[0-9]{5}$`), normalize: digitsAs(5, 0, "", "D", "DE")},
	"FR": {country: "France", adj: "French", format: "00000",
		re: regexp.MustCompile(`^[0-9]{5}$`), normalize: digitsAs(5, 0, "", "F", "FR")},
	"ES": {country: "Spain", adj: "Spanish", format: "00000",
		re: regexp.MustCompile(`^(0[1-9]|[1-4][0-9]|5[0-2])[0-9]{3}$`), normalize: digitsAs(5, 0, "", "E", "ES"),
		explain: func(c string) string {
			if fiveDigits.MatchString(c) {
				return "its first two digits are the province, 01 to 52"
			}
			return ""
		}},
	// Portuguese codes start at 1000-001; the first digit is never 0.
	"PT": {country: "Portugal", adj: "Portuguese", format: "0000-000",
		re: regexp.MustCompile(`^[1-9][0-9]{3}-[0-9]{3}$`), normalize: digitsAs(7, 4, "-", "P", "PT"),
		explain: func(c string) string {
			if strings.HasPrefix(c, "0") {
				return "Portuguese postal codes never start with 0"
			}
			return ""
		}},
	// Canada Post never uses D, F, I, O, Q or U, nor W or Z as the first
	// letter (the first letter is the province or territory).
	"CA": {country: "Canada", adj: "Canadian", format: "A0A 0A0",
		re: regexp.MustCompile(`^[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z] [0-9][ABCEGHJ-NPRSTV-Z][0-9]$`), normalize: caPostcode,
		explain: func(c string) string {
			if caShape.MatchString(c) {
				return "Canadian postal codes never use D, F, I, O, Q or U, nor W or Z as the first letter"
			}
			return ""
		}},
	"AU": {country: "Australia", adj: "Australian", format: "0000",
		re: regexp.MustCompile(`^[0-9]{4}$`), normalize: digitsAs(4, 0, "")},
}

var (
	fiveDigits = regexp.MustCompile(`^[0-9]{5}$`)
	caShape    = regexp.MustCompile(`^[A-Z][0-9][A-Z] [0-9][A-Z][0-9]$`)
	// gbShape is a British postcode's shape with any letters: normalising
	// puts the space only where it makes one of these.
	gbShape = regexp.MustCompile(`^([A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}|GIR 0AA)$`)
)

// check returns a message if code (normalised, not empty) breaks the rule.
func (r postalRule) check(code string) string {
	if r.re.MatchString(code) {
		return ""
	}
	msg := fmt.Sprintf("postal code %q does not match the %s format %s", code, r.adj, r.format)
	if r.explain != nil {
		if why := r.explain(code); why != "" {
			msg += ": " + why
		}
	}
	return msg
}

// noPostalCode lists the countries where postal codes are not used, or not
// used widely enough to demand one (Ireland's Eircode is often left out,
// Hong Kong and the Gulf states have none). An address in one of them needs
// no postal code; one that is given is kept as written.
var noPostalCode = map[string]bool{
	"AE": true, "AG": true, "AN": true, "AO": true, "AW": true, "BF": true, "BI": true, "BJ": true, "BO": true,
	"BQ": true, "BS": true, "BW": true, "BZ": true, "CD": true, "CF": true, "CG": true, "CI": true, "CK": true,
	"CM": true, "CW": true, "DJ": true, "DM": true, "ER": true, "FJ": true, "GA": true, "GD": true, "GH": true,
	"GM": true, "GQ": true, "GY": true, "HK": true, "HM": true, "IE": true, "JM": true, "KI": true, "KM": true,
	"KN": true, "KP": true, "LY": true, "ML": true, "MO": true, "MR": true, "MW": true, "NR": true, "NU": true,
	"QA": true, "RW": true, "SB": true, "SC": true, "SL": true, "SO": true, "SR": true, "SS": true, "ST": true,
	"SX": true, "SY": true, "TD": true, "TF": true, "TG": true, "TK": true, "TL": true, "TO": true, "TT": true,
	"TV": true, "UG": true, "VU": true, "YE": true, "ZW": true,
}

// normalizePostal puts a (cleaned) postal code into its country's canonical
// form. Countries without a rule only get the cleaning.
func normalizePostal(country, code string) string {
	r, ok := postalRules[country]
	if !ok || code == "" {
		return code
	}
	return r.normalize(strings.ToUpper(code))
}

// compact removes the separators people put inside postal codes.
func compact(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.':
			return -1
		}
		return r
	}, s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func allAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return s != ""
}

// digitsAs returns a normaliser for all-digit codes of length n: it drops
// separators and an old-style country prefix ("D-10115", "I-00184"), and
// when n digits remain, puts sep after the first at digits (at 0: none).
// Anything else is left as it was, for the check to report.
func digitsAs(n, at int, sep string, prefixes ...string) func(string) string {
	return func(s string) string {
		t := s
		for _, p := range prefixes {
			if rest, ok := strings.CutPrefix(t, p+"-"); ok {
				t = rest
				break
			}
			if rest, ok := strings.CutPrefix(t, p+" "); ok {
				t = rest
				break
			}
		}
		c := compact(t)
		if len(c) != n || !allDigits(c) {
			return s
		}
		if at == 0 {
			return c
		}
		return c[:at] + sep + c[at:]
	}
}

// usZIP accepts ZIP (5 digits) and ZIP+4 (9 digits) with any separators.
func usZIP(s string) string {
	c := compact(s)
	switch {
	case len(c) == 5 && allDigits(c):
		return c
	case len(c) == 9 && allDigits(c):
		return c[:5] + "-" + c[5:]
	}
	return s
}

// gbPostcode puts the one space before the inward code (its last three
// characters): "sw1a1aa" and "SW1A  1AA" both become "SW1A 1AA".
func gbPostcode(s string) string {
	c := compact(s)
	if !allAlnum(c) {
		return s
	}
	if rest, ok := strings.CutPrefix(c, "BFPO"); ok && allDigits(rest) {
		return "BFPO " + rest
	}
	if len(c) < 5 || len(c) > 7 {
		return s
	}
	if spaced := c[:len(c)-3] + " " + c[len(c)-3:]; gbShape.MatchString(spaced) {
		return spaced
	}
	return s
}

// caPostcode writes a Canadian code as A0A 0A0.
func caPostcode(s string) string {
	c := compact(s)
	if len(c) != 6 || !allAlnum(c) {
		return s
	}
	if spaced := c[:3] + " " + c[3:]; caShape.MatchString(spaced) {
		return spaced
	}
	return s
}
