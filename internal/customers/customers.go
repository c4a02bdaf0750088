// Package customers keeps the people who order: one customer per email
// address (matched case-insensitively), created or updated as their orders
// arrive, with the addresses they have shipped to. It also checks and
// normalises postal addresses (CheckAddress, NormalizeAddress), which the
// orders package uses to hold orders whose address would not arrive.
package customers

import (
	"net/mail"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// Customer is a person who has ordered, identified by their email address.
type Customer struct {
	ID    int64  `json:"id"`
	Email string `json:"email"` // as first given; matching uses its lower-cased form
	Name  string `json:"name"`
	Phone string `json:"phone"`
	// Locale is the language of customer-facing text: en, pt-BR or it.
	Locale       string     `json:"locale"`
	OrdersCount  int        `json:"orders_count"`
	FirstOrderAt *time.Time `json:"first_order_at,omitempty"`
	LastOrderAt  *time.Time `json:"last_order_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	// Addresses are the addresses the customer has shipped to, most
	// recently used first. Get and ByEmail fill them; List and UpsertTx
	// leave them nil.
	Addresses []SavedAddress `json:"addresses,omitempty"`
}

// SavedAddress is an address a customer has shipped to.
type SavedAddress struct {
	ID         int64     `json:"id"`
	Address    Address   `json:"address"`
	LastUsedAt time.Time `json:"last_used_at"`
}

// Input is what an order says about its customer.
type Input struct {
	Email string // required
	// Name, Phone and Locale replace the stored ones when set (and when the
	// order is not older than the customer's latest one).
	Name   string
	Phone  string
	Locale string // en, pt-BR or it; variants such as pt_BR, it-IT or en-US are accepted
}

// Locales are the languages Orderly writes to customers in. DefaultLocale is
// used when an order names none or one not listed.
var Locales = []string{"en", "pt-BR", "it"}

// DefaultLocale is the locale of customers whose order names no known one.
const DefaultLocale = "en"

// NormalizeLocale maps a language tag to one of Locales: "pt_BR", "pt-br",
// "pt-PT" and "pt" give pt-BR (the only Portuguese Orderly writes), "it-IT",
// "it_CH" and "IT" give it, "en-US" gives en, and anything else (including
// "") gives en. Encodings and modifiers ("pt_BR.UTF-8", "it_IT@euro") are
// ignored.
func NormalizeLocale(tag string) string {
	lang, ok := localeLanguage(tag)
	if !ok {
		return DefaultLocale
	}
	return lang
}

// localeLanguage is NormalizeLocale that also says whether tag named a
// supported language (false for "" and unknown languages).
func localeLanguage(tag string) (string, bool) {
	t := strings.TrimSpace(tag)
	if i := strings.IndexAny(t, ".@"); i >= 0 {
		t = t[:i]
	}
	t = strings.ToLower(strings.ReplaceAll(t, "_", "-"))
	lang, _, _ := strings.Cut(t, "-")
	switch lang {
	case "en":
		return "en", true
	case "pt":
		return "pt-BR", true
	case "it":
		return "it", true
	}
	return DefaultLocale, false
}

// EmailKey is the form of an email address that identifies a customer: the
// trimmed address, lower-cased (Unicode-aware). Ana@Example.com and
// ana@example.COM are one customer.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// maxEmailLen is the longest address SMTP can carry (RFC 5321's path limit
// less the angle brackets).
const maxEmailLen = 254

// parseEmail checks that s is one bare email address (no display name) with
// a domain that has a dot, and returns it trimmed. field names the input
// field in the error.
func parseEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", apperr.InvalidField(field, "an email address is required")
	}
	if len(s) > maxEmailLen {
		return "", apperr.InvalidField(field, "email address is longer than %d characters", maxEmailLen)
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", apperr.InvalidField(field, "%q is not an email address like ana@example.com", s)
	}
	_, domain, _ := strings.Cut(s[strings.LastIndexByte(s, '@'):], "@")
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", apperr.InvalidField(field, "%q has no valid domain (like example.com) after the @", s)
	}
	return s, nil
}
