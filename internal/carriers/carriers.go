// Package carriers knows the tracking-number formats and public tracking pages of the
// carriers Orderly's suppliers ship with. It is pure: no I/O, no state.
//
// Check is the one call shipping uses: it names the carrier, normalises the number,
// validates it against the carrier's formats (check digits included where the carrier
// publishes one) and gives the tracking link. A number for an unknown carrier is accepted
// unchecked, with a warning.
package carriers

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// Code identifies a known carrier. The values are stored and appear in the API.
type Code string

// Known carriers.
const (
	UPS           Code = "ups"
	USPS          Code = "usps"
	FedEx         Code = "fedex"
	DHLExpress    Code = "dhl_express"
	Correios      Code = "correios"
	PosteItaliane Code = "poste_italiane"
	RoyalMail     Code = "royal_mail"
)

// MaxNumberLen bounds a tracking number of an unknown carrier (known carriers' formats are
// all shorter).
const MaxNumberLen = 64

type carrier struct {
	name    string   // display name
	aliases []string // spellings Parse accepts, in squashed form (see squash)
	url     string   // public tracking page, %s is the escaped number
	formats []format
}

// format is one shape of tracking number. match says whether a normalised number has the
// shape; check, when the carrier defines a check digit (or a country), explains what is wrong,
// or returns "".
type format struct {
	desc  string
	match func(n string) bool
	check func(n string) string
}

var carriers = map[Code]carrier{
	UPS: {
		name:    "UPS",
		aliases: []string{"ups", "unitedparcelservice"},
		url:     "https://www.ups.com/track?tracknum=%s",
		formats: []format{
			{desc: "1Z followed by 16 letters and digits", match: re(`^1Z[A-Z0-9]{16}$`), check: checkUPS},
		},
	},
	USPS: {
		name:    "USPS",
		aliases: []string{"usps", "unitedstatespostalservice", "uspostalservice", "usmail", "uspost"},
		url:     "https://tools.usps.com/go/TrackConfirmAction?tLabels=%s",
		formats: []format{
			{desc: "20, 21, 22 or 26 digits (IMpb)", match: re(`^(\d{20,22}|\d{26})$`), check: checkIMpb},
			s10("US"),
		},
	},
	FedEx: {
		name:    "FedEx",
		aliases: []string{"fedex", "federalexpress", "fedexexpress", "fedexground", "fdx"},
		url:     "https://www.fedex.com/fedextrack/?trknbr=%s",
		formats: []format{
			{desc: "12 digits (Express)", match: re(`^\d{12}$`), check: checkFedEx12},
			{desc: "15 digits (Ground)", match: re(`^\d{15}$`), check: checkFedExGround},
			{desc: "20 digits (Ground Economy/SmartPost)", match: re(`^\d{20}$`), check: func(n string) string { return checkIMpb("92" + n) }},
			{desc: "22 digits (Ground 96 or SmartPost 92)", match: re(`^\d{22}$`), check: checkFedEx22},
		},
	},
	DHLExpress: {
		name:    "DHL Express",
		aliases: []string{"dhl", "dhlexpress", "dhlexp", "dhlworldwideexpress"},
		url:     "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id=%s",
		formats: []format{
			{desc: "10 digits (waybill)", match: re(`^\d{10}$`), check: checkDHL},
			// Piece IDs: no check digit is published, so only the shape is checked.
			{desc: "JJD or JVGL followed by 10 to 21 digits (piece ID)", match: re(`^(JJD|JVGL)\d{10,21}$`)},
		},
	},
	Correios: {
		name:    "Correios",
		aliases: []string{"correios", "correiosbrasil", "correiosdobrasil", "correiosbr", "brazilpost", "brazilianpost"},
		url:     "https://rastreamento.correios.com.br/app/index.php?objetos=%s",
		formats: []format{s10("BR")},
	},
	PosteItaliane: {
		name:    "Poste Italiane",
		aliases: []string{"posteitaliane", "posteit", "italianpost", "italypost"},
		url:     "https://www.poste.it/cerca/index.html#/risultati-spedizioni/%s",
		formats: []format{
			s10("IT"),
			// Domestic registered mail and parcels: no public check-digit definition, so
			// length and digits only.
			{desc: "12 or 13 digits (domestic)", match: re(`^\d{12,13}$`)},
		},
	},
	RoyalMail: {
		name:    "Royal Mail",
		aliases: []string{"royalmail", "royalmailgroup", "royalmailuk", "rm"},
		url:     "https://www.royalmail.com/track-your-item#/tracking-results/%s",
		formats: []format{
			s10("GB"),
			// Domestic formats: no public check-digit definition, so only the shape is checked.
			{desc: "2 letters and 9 digits (domestic)", match: re(`^[A-Z]{2}\d{9}$`)},
			{desc: "21 letters and digits (domestic barcode)", match: re(`^[A-Z0-9]{21}$`)},
		},
	},
}

// order is the order Codes lists the carriers in.
var order = []Code{UPS, USPS, FedEx, DHLExpress, Correios, PosteItaliane, RoyalMail}

// Codes returns the known carriers.
func Codes() []Code { return append([]Code(nil), order...) }

// Name returns the carrier's display name ("DHL Express"), or the code itself when unknown.
func (c Code) Name() string {
	if k, ok := carriers[c]; ok {
		return k.name
	}
	return string(c)
}

// Known reports whether c is one of the known carriers.
func (c Code) Known() bool {
	_, ok := carriers[c]
	return ok
}

// Parse returns the carrier a name designates. It ignores case, spaces, dashes, dots and
// underscores, so "DHL Express", "dhl_express", "PosteItaliane", "Royal Mail" and the codes
// themselves are all accepted; "DHL" alone means DHL Express.
func Parse(name string) (Code, bool) {
	s := squash(name)
	if s == "" {
		return "", false
	}
	for _, c := range order {
		for _, a := range carriers[c].aliases {
			if s == a {
				return c, true
			}
		}
	}
	return "", false
}

// squash lowers s and drops everything but letters and digits.
func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Normalize returns number in upper case without spaces or dashes, the form Validate,
// TrackingURL and storage use: " 1z 999-aa1 " becomes "1Z999AA1".
func Normalize(number string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(number) {
		if unicode.IsSpace(r) || r == '-' || r == '‐' || r == '–' || r == '—' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Validate checks number (normalised first) against the carrier's formats. The error is an
// apperr Invalid error on the tracking_number field that names the carrier and what is
// wrong. An unknown code is an Invalid error on the carrier field.
func Validate(code Code, number string) error {
	k, ok := carriers[code]
	if !ok {
		return apperr.InvalidField("carrier", "unknown carrier code %q", string(code))
	}
	n := Normalize(number)
	if n == "" {
		return apperr.InvalidField("tracking_number", "is empty")
	}
	for _, f := range k.formats {
		if !f.match(n) {
			continue
		}
		if f.check != nil {
			if msg := f.check(n); msg != "" {
				return apperr.InvalidField("tracking_number", "%s tracking numbers are %s; %s", k.name, f.desc, msg)
			}
		}
		return nil
	}
	descs := make([]string, len(k.formats))
	for i, f := range k.formats {
		descs[i] = f.desc
	}
	return apperr.InvalidField("tracking_number", "%s tracking numbers are %s; got %q (%d characters)",
		k.name, strings.Join(descs, ", or "), clip(n), utf8.RuneCountInString(n))
}

// TrackingURL returns the carrier's public tracking page for number, or "" for an unknown
// carrier or an empty number.
func TrackingURL(code Code, number string) string {
	k, ok := carriers[code]
	n := Normalize(number)
	if !ok || n == "" {
		return ""
	}
	return fmt.Sprintf(k.url, url.PathEscape(n))
}

// Result is what Check found.
type Result struct {
	Code    Code   // the carrier; for an unknown one, its name trimmed and in lower case ("speedy")
	Known   bool   // whether the carrier is known and the number was validated
	Number  string // the number to store: Normalize'd for a known carrier; upper case without whitespace otherwise
	URL     string // public tracking page; empty for an unknown carrier
	Warning string // set when the number could not be checked
}

// Check is how shipping takes a carrier name and tracking number from a supplier. For a
// known carrier the number must be valid (else an apperr Invalid error saying what is
// wrong); an unknown carrier is accepted with Known false and a Warning, its name lower-cased
// and its number upper-cased without whitespace (dashes kept: the carrier's format is not
// known), so the same carrier and number always come out the same.
func Check(name, number string) (Result, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Result{}, apperr.InvalidField("carrier", "is empty")
	}
	if code, ok := Parse(name); ok {
		if err := Validate(code, number); err != nil {
			return Result{}, err
		}
		n := Normalize(number)
		return Result{Code: code, Known: true, Number: n, URL: TrackingURL(code, n)}, nil
	}
	if utf8.RuneCountInString(name) > MaxNumberLen || !printable(name) {
		return Result{}, apperr.InvalidField("carrier", "must be at most %d printable characters", MaxNumberLen)
	}
	if !utf8.ValidString(number) {
		return Result{}, apperr.InvalidField("tracking_number", "contains control or invalid characters")
	}
	n := strings.ToUpper(strings.Join(strings.Fields(number), ""))
	switch {
	case n == "":
		return Result{}, apperr.InvalidField("tracking_number", "is empty")
	case utf8.RuneCountInString(n) > MaxNumberLen:
		return Result{}, apperr.InvalidField("tracking_number", "is longer than %d characters", MaxNumberLen)
	case !printable(n):
		return Result{}, apperr.InvalidField("tracking_number", "contains control or invalid characters")
	}
	return Result{
		Code:    Code(strings.ToLower(name)),
		Number:  n,
		Warning: fmt.Sprintf("unknown carrier %q: tracking number not checked", name),
	}, nil
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// clip shortens a number quoted in an error message.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	r := []rune(s)
	return string(r[:40]) + "…"
}
