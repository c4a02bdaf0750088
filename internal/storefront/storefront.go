// Package storefront publishes each variant's available-to-sell (ATS) and
// price to the storefronts that sell it: a Shopify store (GraphQL Admin API)
// or any system behind a generic signed webhook.
//
// Change capture is done by the database, not by the code paths that change
// stock or prices: triggers on stock_levels.ats and variants.price_* upsert
// an outbox row per (target, variant) in the same transaction as the change
// (migration 00013_storefront). Whatever wrote the change (an order, a feed
// run, an adjustment, a buffer, a staleness rule, a paused supplier), it is
// captured if and only if it committed, and repeated changes coalesce into
// one row.
//
// Publishing is done by River jobs (jobs.go): a periodic dispatcher enqueues
// one drain job per target with due rows, and the drain job claims rows in
// batches, reads the values current at the claim, sends them (rate-limited,
// with retries), and deletes each row only if it did not change again while
// the send was in flight. Values, not deltas, are sent, so a duplicate send
// is harmless: delivery is at least once.
package storefront

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/money"
)

// Kind is how a target is published to.
type Kind string

const (
	// KindShopify calls a Shopify store's GraphQL Admin API.
	KindShopify Kind = "shopify"
	// KindWebhook POSTs signed JSON batches to a URL.
	KindWebhook Kind = "webhook"
)

// Defaults and limits of a target's settings.
const (
	DefaultRatePerSecond = 2.0
	DefaultBatchSize     = 50
	MaxBatchSize         = 250 // Shopify's inventorySetQuantities takes at most 250 quantities
	DefaultAPIVersion    = "2026-01"
	minAPIVersion        = "2026-01"
	minWebhookSecret     = 16
	maxNameLen           = 100
	maxURLLen            = 2000
	maxSecretLen         = 500
)

// Target is a storefront that ATS and prices are published to. Its secret
// (Shopify access token or webhook signing key) is never part of it: it is
// stored, used to call out, and never shown again.
type Target struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Kind Kind   `json:"kind" enum:"shopify,webhook"`
	URL  string `json:"url" doc:"Shopify: the store's base URL (https://example.myshopify.com); webhook: the endpoint"`
	// Shopify settings.
	LocationID string `json:"location_id,omitempty" doc:"Shopify: the location whose available quantity is set (gid://shopify/Location/...)"`
	APIVersion string `json:"api_version,omitempty" doc:"Shopify: the Admin API version"`
	Currency   string `json:"currency,omitempty" doc:"Shopify: the store's currency; a price in another currency is not sent"`

	RatePerSecond float64 `json:"rate_per_second" doc:"Requests per second at most (a token bucket per target)"`
	BatchSize     int     `json:"batch_size" doc:"Variants per request at most"`
	Enabled       bool    `json:"enabled" doc:"Disabled targets still collect changes, and send them once enabled again"`
	SecretSet     bool    `json:"secret_set" doc:"A secret is stored (it is never returned)"`

	// Status.
	Pending      int        `json:"pending" doc:"Variants with a change not yet published"`
	SetAside     int        `json:"set_aside" doc:"Of those, variants the storefront refused, waiting before a retry"`
	OldestChange *time.Time `json:"oldest_change,omitempty" doc:"When the oldest unpublished change was made"`
	SentVariants int64      `json:"sent_variants" doc:"Variant updates delivered, in all"`
	LastSentAt   *time.Time `json:"last_sent_at,omitempty"`
	LastError    string     `json:"last_error,omitempty"`
	LastErrorAt  *time.Time `json:"last_error_at,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NewTarget is the input for creating a target. Zero values take defaults.
type NewTarget struct {
	Name          string
	Kind          Kind
	URL           string
	Secret        string
	LocationID    string
	APIVersion    string
	Currency      string
	RatePerSecond float64
	BatchSize     int
	Disabled      bool
}

// TargetPatch changes the fields that are not nil.
type TargetPatch struct {
	Name          *string
	URL           *string
	Secret        *string
	LocationID    *string
	APIVersion    *string
	Currency      *string
	RatePerSecond *float64
	BatchSize     *int
	Enabled       *bool
}

// targetConfig is a target's settings with its secret: what a sender needs.
type targetConfig struct {
	id            int64
	name          string
	kind          Kind
	url           string
	secret        string
	locationID    string
	apiVersion    string
	currency      string
	ratePerSecond float64
	batchSize     int
	enabled       bool
}

var apiVersionRE = regexp.MustCompile(`^(20[0-9]{2}-(01|04|07|10)|unstable)$`)

// check validates c, naming each bad field.
func (c *targetConfig) check() error {
	var fs apperr.Fields
	c.name = strings.TrimSpace(c.name)
	switch n := utf8.RuneCountInString(c.name); {
	case n == 0:
		fs.Add("name", "must not be empty")
	case n > maxNameLen || !utf8.ValidString(c.name):
		fs.Add("name", "must be valid text of at most %d characters", maxNameLen)
	}
	if c.kind != KindShopify && c.kind != KindWebhook {
		fs.Add("kind", "must be shopify or webhook (got %q)", c.kind)
	}
	c.url = strings.TrimSpace(c.url)
	if u, err := url.Parse(c.url); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(c.url) > maxURLLen {
		fs.Add("url", "must be an absolute http(s) URL of at most %d characters", maxURLLen)
	} else if u.User != nil {
		fs.Add("url", "must not carry credentials; give them as the secret")
	}
	switch {
	case c.secret == "":
		fs.Add("secret", "is required (%s)", map[Kind]string{KindShopify: "the Admin API access token", KindWebhook: "the signing key"}[c.kind])
	case len(c.secret) > maxSecretLen:
		fs.Add("secret", "must be at most %d characters", maxSecretLen)
	case c.kind == KindWebhook && len(c.secret) < minWebhookSecret:
		fs.Add("secret", "must be at least %d characters: it signs every delivery", minWebhookSecret)
	}
	if c.ratePerSecond == 0 {
		c.ratePerSecond = DefaultRatePerSecond
	}
	if c.ratePerSecond < 0.01 || c.ratePerSecond > 1000 {
		fs.Add("rate_per_second", "must be between 0.01 and 1000 (got %g)", c.ratePerSecond)
	}
	if c.batchSize == 0 {
		c.batchSize = DefaultBatchSize
	}
	if c.batchSize < 1 || c.batchSize > MaxBatchSize {
		fs.Add("batch_size", "must be between 1 and %d (got %d)", MaxBatchSize, c.batchSize)
	}
	c.currency = strings.ToUpper(strings.TrimSpace(c.currency))
	if c.currency != "" && !money.ValidCurrency(c.currency) {
		fs.Add("currency", "unknown currency %q (want an ISO 4217 code such as EUR)", c.currency)
	}
	c.apiVersion = strings.TrimSpace(c.apiVersion)
	c.locationID = strings.TrimSpace(c.locationID)
	if c.kind == KindShopify {
		if c.apiVersion == "" {
			c.apiVersion = DefaultAPIVersion
		}
		// 2026-01 brought changeFromQuantity, which the inventory call
		// sets to null (no compare-and-swap: Orderly is the source of truth).
		if !apiVersionRE.MatchString(c.apiVersion) || c.apiVersion < minAPIVersion {
			fs.Add("api_version", "must be a Shopify API version from %s on, such as %s, or unstable (got %q)", minAPIVersion, DefaultAPIVersion, c.apiVersion)
		}
		if c.locationID == "" {
			fs.Add("location_id", "is required for Shopify: the location whose available quantity is set")
		} else if gid, err := shopifyGID("Location", c.locationID); err != nil {
			fs.Add("location_id", "%v", err)
		} else {
			c.locationID = gid
		}
	} else {
		for name, v := range map[string]string{"location_id": c.locationID, "api_version": c.apiVersion, "currency": c.currency} {
			if v != "" {
				fs.Add(name, "applies to Shopify targets only")
			}
		}
	}
	return fs.Err()
}

// gidRE matches a Shopify global id of any type.
var gidRE = regexp.MustCompile(`^gid://shopify/([A-Za-z]+)/([0-9]+)$`)

// shopifyGID returns s as a global id of the given type: s is either that
// GID or the bare numeric id (as the REST API and the admin URLs show it).
func shopifyGID(typ, s string) (string, error) {
	s = strings.TrimSpace(s)
	if m := gidRE.FindStringSubmatch(s); m != nil {
		if m[1] != typ {
			return "", fmt.Errorf("%q is a %s id, want a %s id", s, m[1], typ)
		}
		return s, nil
	}
	if s != "" && len(s) <= 20 && strings.Trim(s, "0123456789") == "" {
		return "gid://shopify/" + typ + "/" + s, nil
	}
	return "", fmt.Errorf("%q is not a Shopify %s id (gid://shopify/%s/123 or 123)", s, typ, typ)
}

// Mapping says which storefront ids one of our SKUs has on a target.
type Mapping struct {
	SKU             string    `json:"sku"`
	VariantID       string    `json:"variant_id,omitempty" doc:"The storefront's variant id (gid://shopify/ProductVariant/...)"`
	InventoryItemID string    `json:"inventory_item_id,omitempty" doc:"The storefront's inventory item id (gid://shopify/InventoryItem/...)"`
	ProductID       string    `json:"product_id,omitempty" doc:"The storefront's product id (gid://shopify/Product/...)"`
	Source          string    `json:"source" enum:"upload,lookup" doc:"upload: given over the API; lookup: found by SKU on the storefront"`
	Found           bool      `json:"found" doc:"false: a lookup by SKU found no variant; the SKU is skipped until looked up again"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// MappingInput is one row of a mapping upload.
type MappingInput struct {
	SKU             string
	VariantID       string
	InventoryItemID string
	ProductID       string
}

// Pending is one unpublished variant of a target's outbox.
type Pending struct {
	VariantID    int64      `json:"variant_id"`
	SKU          string     `json:"sku"`
	Stock        bool       `json:"stock" doc:"ATS changed"`
	Price        bool       `json:"price" doc:"The price changed"`
	Version      int64      `json:"version" doc:"Changes coalesced into this row, counting from 1"`
	QueuedAt     time.Time  `json:"queued_at"`
	ChangedAt    time.Time  `json:"changed_at"`
	InFlight     bool       `json:"in_flight" doc:"Claimed by a sender now"`
	NotBefore    *time.Time `json:"not_before,omitempty" doc:"Set aside after the storefront refused it: not retried before then"`
	Attempts     int        `json:"attempts"`
	LastError    string     `json:"last_error,omitempty"`
	ClaimedUntil *time.Time `json:"-"`
}
