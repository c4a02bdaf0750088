package routing

import (
	"slices"
	"strings"
	"time"
)

// Rule is one routing rule. Rules are tried in Position order; the first
// enabled rule whose conditions all hold decides the strategy and the
// supplier preference list.
type Rule struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Position   int        `json:"position"`
	Enabled    bool       `json:"enabled"`
	Conditions Conditions `json:"conditions"`
	Strategy   Strategy   `json:"strategy" enum:"lowest_cost,fastest,priority,fewest_shipments"`
	// Suppliers is the preference list, most preferred first; empty: every
	// supplier with an offer.
	Suppliers []int64 `json:"suppliers" nullable:"false"`
	// OnlyListed: suppliers not in Suppliers are never used (else they are
	// the last alternates).
	OnlyListed bool      `json:"only_listed"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Conditions say which orders a rule applies to. Every non-empty condition
// must hold; an empty one holds for every order. List conditions hold when
// the order matches any entry.
type Conditions struct {
	// Countries: the destination country (ISO 3166-1 alpha-2).
	Countries []string `json:"countries,omitempty" doc:"Destination countries (ISO 3166-1 alpha-2)"`
	// Regions: the destination region as written in the address (state,
	// province), compared case-insensitively.
	Regions []string `json:"regions,omitempty" doc:"Destination regions (state or province), case-insensitive"`
	// SKUs: some line to route has one of these SKUs.
	SKUs []string `json:"skus,omitempty" doc:"Some line has one of these SKUs"`
	// Tags: some line's product has one of these tags.
	Tags []string `json:"tags,omitempty" doc:"Some line's product has one of these tags"`
	// Collections: the catalog has no collections; must be empty (use tags).
	Collections []string `json:"collections,omitempty" doc:"Not supported: the catalog has no collections (use tags); must be empty"`
	// Channels: the order's sales channel.
	Channels []string `json:"channels,omitempty" doc:"Sales channels (api, csv, shopify, ...)"`
	// MinTotal and MaxTotal bound the order total in minor units of its
	// currency (inclusive).
	MinTotal *int64 `json:"min_total,omitempty" doc:"Order total at least this (minor units)"`
	MaxTotal *int64 `json:"max_total,omitempty" doc:"Order total at most this (minor units)"`
}

// Match reports whether the conditions hold for the order.
func (c Conditions) Match(o *Order) bool {
	if len(c.Countries) > 0 && !slices.Contains(c.Countries, strings.ToUpper(o.Country)) {
		return false
	}
	if len(c.Regions) > 0 && !slices.ContainsFunc(c.Regions, func(r string) bool { return strings.EqualFold(r, strings.TrimSpace(o.Region)) }) {
		return false
	}
	if len(c.Channels) > 0 && !slices.Contains(c.Channels, o.Channel) {
		return false
	}
	if c.MinTotal != nil && o.Total.Amount < *c.MinTotal {
		return false
	}
	if c.MaxTotal != nil && o.Total.Amount > *c.MaxTotal {
		return false
	}
	if len(c.SKUs) > 0 && !slices.ContainsFunc(o.Lines, func(l Line) bool { return slices.Contains(c.SKUs, l.SKU) }) {
		return false
	}
	if len(c.Tags) > 0 && !slices.ContainsFunc(o.Lines, func(l Line) bool {
		return slices.ContainsFunc(l.Tags, func(t string) bool { return slices.Contains(c.Tags, t) })
	}) {
		return false
	}
	return true
}
