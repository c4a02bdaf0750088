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
