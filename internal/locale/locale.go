// Package locale formats what customers read — amounts of money and dates —
// in the languages Orderly speaks to customers: English, Brazilian Portuguese
// and Italian. It also maps whatever language tag an order, a customer or a
// browser carries onto one of those three.
//
// The formats are fixed tables rather than a general CLDR engine: three
// languages, a handful of currency symbols, and results that tests can spell
// out exactly (R$ 1.234,56, 1.234,56 €, €1,234.56). Spaces are plain ASCII
// spaces so that text and HTML renderings compare equal.
package locale

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/orderly-oms/orderly/internal/money"
)

// The supported locales. Every customer-facing text exists in each.
const (
	English             = "en"
	BrazilianPortuguese = "pt-BR"
	Italian             = "it"
)

// Supported lists the supported locales, the fallback (English) first.
var Supported = []string{English, BrazilianPortuguese, Italian}

var matcher = language.NewMatcher([]language.Tag{
	language.English, language.BrazilianPortuguese, language.Italian,
})

// Match returns the supported locale closest to tag, a BCP 47 tag in any
// common spelling ("pt_BR", "pt-br", "it-IT", "pt-PT"), or English when none
// is close or tag does not parse.
func Match(tag string) string {
	tag = strings.ReplaceAll(strings.TrimSpace(tag), "_", "-")
	if tag == "" {
		return English
	}
	t, err := language.Parse(tag)
	if err != nil {
		return English
	}
	return matched(t)
}

// MatchAccept returns the supported locale that best fits an HTTP
// Accept-Language header, or English.
func MatchAccept(header string) string {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return English
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return English
	}
	return Supported[i]
}

func matched(t language.Tag) string {
	_, i, conf := matcher.Match(t)
	if conf == language.No {
		return English
	}
	return Supported[i]
}

// Valid reports whether loc is exactly one of the supported locales.
func Valid(loc string) bool {
	for _, s := range Supported {
		if s == loc {
			return true
		}
	}
	return false
}

// format is how one locale writes numbers, amounts and dates.
type format struct {
	group, decimal string
	// symbolAfter puts the symbol after the amount ("1.234,56 €").
	symbolAfter bool
	// spaced puts a space between symbol and amount ("R$ 1.234,56").
	spaced   bool
	symbols  map[string]string // currency code → symbol in this locale
	date     string            // time layout of a day
	dateTime string
}

var formats = map[string]format{
	English: {
		group: ",", decimal: ".",
		symbols:  map[string]string{"USD": "$", "EUR": "€", "GBP": "£", "BRL": "R$", "JPY": "¥", "CAD": "CA$", "AUD": "A$"},
		date:     "2 Jan 2006",
		dateTime: "2 Jan 2006, 15:04",
	},
	BrazilianPortuguese: {
		group: ".", decimal: ",", spaced: true,
		symbols:  map[string]string{"BRL": "R$", "USD": "US$", "EUR": "€", "GBP": "£", "JPY": "JP¥"},
		date:     "02/01/2006",
		dateTime: "02/01/2006 15:04",
	},
	Italian: {
		group: ".", decimal: ",", spaced: true, symbolAfter: true,
		symbols:  map[string]string{"EUR": "€", "USD": "USD", "GBP": "£", "BRL": "BRL", "JPY": "JPY"},
		date:     "02/01/2006",
		dateTime: "02/01/2006 15:04",
	},
}

func formatOf(loc string) format {
	if f, ok := formats[loc]; ok {
		return f
	}
	return formats[Match(loc)]
}

// Money writes m for a reader of loc (any tag; see Match): R$ 1.234,56 in
// pt-BR, 1.234,56 € in it, €1,234.56 in en. Currencies without a symbol in
// loc are written with their ISO code (CHF 1,234.56; 1.234,56 CHF).
func Money(m money.Money, loc string) string {
	f := formatOf(loc)
	digits := m.Decimal() // e.g. "-1234.56"; exact, from minor units
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimPrefix(digits, "-")
	whole, frac, _ := strings.Cut(digits, ".")
	num := group(whole, f.group)
	if frac != "" {
		num += f.decimal + frac
	}
	sym, ok := f.symbols[m.Currency]
	if !ok {
		sym = m.Currency
	}
	sep := ""
	if f.spaced || !ok || isCode(sym) {
		sep = " "
	}
	var s string
	if f.symbolAfter {
		s = num + sep + sym
	} else {
		s = sym + sep + num
	}
	if neg {
		return "-" + s
	}
	return s
}

// Number writes a whole number with loc's digit grouping (1,234 or 1.234).
func Number(n int64, loc string) string {
	f := formatOf(loc)
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + group(s[1:], f.group)
	}
	return group(s, f.group)
}

func isCode(sym string) bool {
	for _, r := range sym {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// group inserts sep between groups of three digits of a run of digits.
func group(digits, sep string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// Date writes the calendar day of t (in t's own location): 23/11/2026 in
// pt-BR and it, 23 Nov 2026 in en. Callers convert t to the zone the reader
// should see first.
func Date(t time.Time, loc string) string { return t.Format(formatOf(loc).date) }

// DateTime writes t to the minute: 23/11/2026 14:05 in pt-BR and it,
// 23 Nov 2026, 14:05 in en.
func DateTime(t time.Time, loc string) string { return t.Format(formatOf(loc).dateTime) }

// DateTimeZone writes t to the minute in t's own location followed by the
// zone, so that a reader knows which clock it is on: 01/12/2026 23:00 UTC-03
// in pt-BR for America/Sao_Paulo, 1 Dec 2026, 14:05 CET in en for
// Europe/Rome in winter. See ZoneName.
func DateTimeZone(t time.Time, loc string) string { return DateTime(t, loc) + " " + ZoneName(t) }

// ZoneName names the zone of t's location at t: its abbreviation where the
// time zone database has one in letters (UTC, CET, CEST, EST, GMT), else the
// offset from UTC (UTC-03, UTC+05:30), which is how the database spells
// zones without a customary abbreviation (America/Sao_Paulo is "-03").
func ZoneName(t time.Time) string {
	name, offset := t.Zone()
	if name != "" && strings.IndexFunc(name, func(r rune) bool { return r < 'A' || r > 'Z' }) < 0 {
		return name
	}
	if offset == 0 {
		return "UTC"
	}
	sign := "+"
	if offset < 0 {
		sign, offset = "-", -offset
	}
	h, m := offset/3600, offset%3600/60
	s := "UTC" + sign + fmt.Sprintf("%02d", h)
	if m != 0 {
		s += fmt.Sprintf(":%02d", m)
	}
	return s
}

// CalendarDay returns t ready to be written as a day (Date) for a reader in
// zone. Orderly stores a calendar day (a restock date from a supplier's feed
// or answer, a release date) as midnight UTC: that day is the same wherever
// the reader is, so it is returned in UTC. Any other time is an instant (a
// restock estimated from a lead time, a staff estimate with a time of day),
// and its day is the one on zone's clock.
func CalendarDay(t time.Time, zone *time.Location) time.Time {
	u := t.UTC()
	if u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 && u.Nanosecond() == 0 {
		return u
	}
	return t.In(zone)
}

// EndOfDay is the last instant (to the microsecond, the precision Orderly
// stores) of the calendar day that contains t in zone: 23:59:59.999999 there.
// On a day whose midnight the clock skips, it still ends where the next day
// begins.
func EndOfDay(t time.Time, zone *time.Location) time.Time {
	y, m, d := t.In(zone).Date()
	next := time.Date(y, m, d+1, 0, 0, 0, 0, zone)
	// Where midnight does not exist, Date may answer an instant still in
	// day d: the next day begins at the first hour that is in it.
	for i := 0; i < 4 && next.In(zone).Day() == d; i++ {
		next = next.Add(time.Hour)
	}
	return next.Add(-time.Microsecond)
}

// Window writes a delivery window of two calendar days, or one day when both
// fall on the same date: "25/11/2026 – 28/11/2026".
func Window(earliest, latest time.Time, loc string) string {
	a, b := Date(earliest, loc), Date(latest, loc)
	if a == b {
		return a
	}
	return a + " – " + b
}
