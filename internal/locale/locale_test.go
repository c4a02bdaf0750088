package locale

import (
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/money"
)

func TestMatch(t *testing.T) {
	for in, want := range map[string]string{
		"":           English,
		"en":         English,
		"en-US":      English,
		"pt-BR":      BrazilianPortuguese,
		"pt_BR":      BrazilianPortuguese,
		"pt-br":      BrazilianPortuguese,
		"pt":         BrazilianPortuguese,
		"pt-PT":      BrazilianPortuguese,
		"it":         Italian,
		"it-IT":      Italian,
		"it_CH":      Italian,
		"de":         English,
		"ja-JP":      English,
		"not a tag!": English,
	} {
		if got := Match(in); got != want {
			t.Errorf("Match(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatchAccept(t *testing.T) {
	for in, want := range map[string]string{
		"":                             English,
		"pt-BR,pt;q=0.9,en;q=0.8":      BrazilianPortuguese,
		"it-IT,it;q=0.9,en-US;q=0.8":   Italian,
		"de-DE,de;q=0.9":               English,
		"fr;q=0.9, it;q=0.5, en;q=0.1": Italian,
		"en-GB,en;q=0.9,pt-BR;q=0.5":   English,
		";;;garbage":                   English,
		"es-ES,es;q=0.9,pt-BR;q=0.8":   BrazilianPortuguese,
	} {
		if got := MatchAccept(in); got != want {
			t.Errorf("MatchAccept(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMoney(t *testing.T) {
	m := func(a int64, c string) money.Money { return money.Money{Amount: a, Currency: c} }
	for _, c := range []struct {
		m    money.Money
		loc  string
		want string
	}{
		{m(123456, "BRL"), "pt-BR", "R$ 1.234,56"},
		{m(123456, "EUR"), "it", "1.234,56 €"},
		{m(123456, "EUR"), "en", "€1,234.56"},
		{m(123456, "USD"), "en", "$1,234.56"},
		{m(123456, "USD"), "pt-BR", "US$ 1.234,56"},
		{m(123456, "BRL"), "en", "R$1,234.56"},
		{m(123456, "CHF"), "en", "CHF 1,234.56"},
		{m(123456, "CHF"), "it", "1.234,56 CHF"},
		{m(5, "EUR"), "it", "0,05 €"},
		{m(0, "BRL"), "pt-BR", "R$ 0,00"},
		{m(-1999, "BRL"), "pt-BR", "-R$ 19,99"},
		{m(123456789012, "EUR"), "en", "€1,234,567,890.12"},
		{m(1500, "JPY"), "en", "¥1,500"},
		{m(1234567, "KWD"), "it", "1.234,567 KWD"},
		{m(123456, "BRL"), "pt_BR", "R$ 1.234,56"}, // any spelling of the tag
		{m(123456, "EUR"), "fr", "€1,234.56"},      // unsupported: English
	} {
		if got := Money(c.m, c.loc); got != c.want {
			t.Errorf("Money(%v, %q) = %q, want %q", c.m, c.loc, got, c.want)
		}
	}
}

func TestNumber(t *testing.T) {
	for _, c := range []struct {
		n    int64
		loc  string
		want string
	}{
		{0, "en", "0"}, {999, "it", "999"}, {1000, "en", "1,000"}, {1234567, "pt-BR", "1.234.567"}, {-1234, "it", "-1.234"},
	} {
		if got := Number(c.n, c.loc); got != c.want {
			t.Errorf("Number(%d, %q) = %q, want %q", c.n, c.loc, got, c.want)
		}
	}
}

func TestDates(t *testing.T) {
	at := time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC)
	later := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct{ loc, date, dateTime, window string }{
		{"en", "23 Nov 2026", "23 Nov 2026, 14:05", "23 Nov 2026 – 28 Nov 2026"},
		{"pt-BR", "23/11/2026", "23/11/2026 14:05", "23/11/2026 – 28/11/2026"},
		{"it", "23/11/2026", "23/11/2026 14:05", "23/11/2026 – 28/11/2026"},
	} {
		if got := Date(at, c.loc); got != c.date {
			t.Errorf("Date(%s) = %q, want %q", c.loc, got, c.date)
		}
		if got := DateTime(at, c.loc); got != c.dateTime {
			t.Errorf("DateTime(%s) = %q, want %q", c.loc, got, c.dateTime)
		}
		if got := Window(at, later, c.loc); got != c.window {
			t.Errorf("Window(%s) = %q, want %q", c.loc, got, c.window)
		}
		if got := Window(at, at.Add(time.Hour), c.loc); got != c.date {
			t.Errorf("Window of one day (%s) = %q, want %q", c.loc, got, c.date)
		}
	}
}

func TestValid(t *testing.T) {
	for _, l := range Supported {
		if !Valid(l) {
			t.Errorf("Valid(%q) = false", l)
		}
	}
	if Valid("pt") || Valid("EN") {
		t.Error("Valid accepts a tag that is not exactly a supported locale")
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	z, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return z
}

func TestDateTimeZone(t *testing.T) {
	// 02:00 UTC on 2 Dec is 23:00 on 1 Dec in São Paulo (UTC-03, no DST).
	at := time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)
	for _, c := range []struct{ zone, loc, want string }{
		{"America/Sao_Paulo", "pt-BR", "01/12/2026 23:00 UTC-03"},
		{"America/Sao_Paulo", "en", "1 Dec 2026, 23:00 UTC-03"},
		{"UTC", "pt-BR", "02/12/2026 02:00 UTC"},
		{"Europe/Rome", "it", "02/12/2026 03:00 CET"},
		{"Europe/London", "en", "2 Dec 2026, 02:00 GMT"},
		{"Asia/Kolkata", "en", "2 Dec 2026, 07:30 IST"},
		{"Asia/Kathmandu", "en", "2 Dec 2026, 07:45 UTC+05:45"},
	} {
		if got := DateTimeZone(at.In(mustZone(t, c.zone)), c.loc); got != c.want {
			t.Errorf("DateTimeZone(%s, %s) = %q, want %q", c.zone, c.loc, got, c.want)
		}
	}
	if got := Date(at.In(mustZone(t, "America/Sao_Paulo")), "pt-BR"); got != "01/12/2026" {
		t.Errorf("Date in São Paulo = %q, want 01/12/2026", got)
	}
}

func TestEndOfDay(t *testing.T) {
	sp := mustZone(t, "America/Sao_Paulo")
	for _, c := range []struct {
		name string
		at   time.Time
		zone *time.Location
		want time.Time
	}{
		// 02:00 UTC on 2 Dec is still 1 Dec in São Paulo: the day ends at 02:59:59.999999 UTC on 2 Dec.
		{"late evening in São Paulo", time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC), sp, time.Date(2026, 12, 2, 2, 59, 59, 999999000, time.UTC)},
		{"morning in São Paulo", time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC), sp, time.Date(2026, 12, 3, 2, 59, 59, 999999000, time.UTC)},
		{"UTC", time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC), time.UTC, time.Date(2026, 12, 2, 23, 59, 59, 999999000, time.UTC)},
		// Brazil's DST began at midnight: on 4 Nov 2018 the clock went from 23:59:59 on 3 Nov to 01:00.
		{"skipped midnight", time.Date(2018, 11, 3, 15, 0, 0, 0, time.UTC), sp, time.Date(2018, 11, 4, 2, 59, 59, 999999000, time.UTC)},
		// Rome's spring-forward day is 23 hours long.
		{"spring forward", time.Date(2026, 3, 29, 10, 0, 0, 0, time.UTC), mustZone(t, "Europe/Rome"), time.Date(2026, 3, 29, 21, 59, 59, 999999000, time.UTC)},
	} {
		got := EndOfDay(c.at, c.zone)
		if !got.Equal(c.want) {
			t.Errorf("%s: EndOfDay = %s, want %s", c.name, got.UTC(), c.want)
		}
		if y, m, d := got.In(c.zone).Date(); got.Add(time.Microsecond).In(c.zone).Day() == d {
			t.Errorf("%s: %d-%02d-%02d does not end at %s", c.name, y, m, d, got.In(c.zone))
		}
	}
}

func TestCalendarDay(t *testing.T) {
	sp := mustZone(t, "America/Sao_Paulo")
	// A day stored as midnight UTC stays that day in São Paulo (not 29/11 21:00).
	if got := Date(CalendarDay(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), sp), "pt-BR"); got != "30/11/2026" {
		t.Errorf("calendar day = %q, want 30/11/2026", got)
	}
	// An instant is on São Paulo's clock: 02:00 UTC on 1 Dec is 30 Nov there.
	if got := Date(CalendarDay(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC), sp), "pt-BR"); got != "30/11/2026" {
		t.Errorf("instant = %q, want 30/11/2026", got)
	}
	if got := Date(CalendarDay(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC), time.UTC), "pt-BR"); got != "01/12/2026" {
		t.Errorf("instant on UTC = %q, want 01/12/2026", got)
	}
}
