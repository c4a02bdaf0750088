package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
)

// settings are shared by every command that opens the database.
type settings struct {
	DB                string
	SQLiteSynchronous string
	LogFormat         string
	LogLevel          string
	DBMaxConns        int
	// LowStockThreshold is the default threshold of the low-stock filter;
	// nil (commands other than serve) leaves the inventory default.
	LowStockThreshold *int
	// ShortOrders is the store policy for orders that cannot be met: refuse or hold.
	ShortOrders string
	// Job queue settings; only serve binds them, other commands only enqueue.
	JobWorkers int
	PruneEvery time.Duration
	// StorefrontSyncEvery is the period of the storefront dispatcher, which
	// starts a drain of every storefront target with unpublished changes
	// (0: the default); serve only.
	StorefrontSyncEvery time.Duration
	// ShopifyWebhookSecret verifies Shopify webhook signatures; serve only.
	ShopifyWebhookSecret string
	// TrackingWebhookSecret verifies carrier tracking webhook signatures; serve only.
	TrackingWebhookSecret string
	// FeedPullAllowPrivate lets feed pulls reach private and local
	// addresses (feeds.Options.PullAllowPrivate); serve only.
	FeedPullAllowPrivate bool
	// WebhooksAllowPrivate lets outbound webhooks use http and reach
	// private and local addresses (webhooks.Options.AllowPrivate); serve only.
	WebhooksAllowPrivate bool
	// AtRiskEvery is the period of the at-risk job and AtRisk its options
	// (zero: the defaults); serve only.
	AtRiskEvery time.Duration
	AtRisk      orders.AtRiskOptions
	// Mail says where outgoing email goes (mail.go); Demo makes a
	// directory of .eml files the default when no SMTP server is set.
	Mail mailSettings
	Demo bool
}

// envDefault returns the ORDERLY_* variable's value, or def.
func envDefault(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def
	}
	return b
}

func envInt(name string, def int) int {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def
	}
	return n
}

func envInt64(name string, def int64) int64 {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return def
	}
	return n
}

func envDuration(name string, def time.Duration) time.Duration {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return def
	}
	return d
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("orderly "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// bindCommon binds the database and logging settings to fs.
func bindCommon(fs *flag.FlagSet, s *settings) {
	fs.StringVar(&s.DB, "db", envDefault("ORDERLY_DB", "orderly.db"), "database: a SQLite file path, or a postgres:// DSN (ORDERLY_DB)")
	fs.StringVar(&s.SQLiteSynchronous, "sqlite-synchronous", envDefault("ORDERLY_SQLITE_SYNCHRONOUS", "NORMAL"), "SQLite synchronous pragma: NORMAL or FULL (ORDERLY_SQLITE_SYNCHRONOUS)")
	fs.StringVar(&s.LogFormat, "log-format", envDefault("ORDERLY_LOG_FORMAT", "auto"), "log format: text, json, or auto (text on a terminal) (ORDERLY_LOG_FORMAT)")
	fs.StringVar(&s.LogLevel, "log-level", envDefault("ORDERLY_LOG_LEVEL", "info"), "log level: debug, info, warn, error (ORDERLY_LOG_LEVEL)")
	fs.StringVar(&s.ShortOrders, "short-orders", envDefault("ORDERLY_SHORT_ORDERS", "refuse"), "orders with a line that can be neither reserved, backordered nor pre-ordered: refuse (409) or hold (accepted on hold, reason stock) (ORDERLY_SHORT_ORDERS)")
	fs.IntVar(&s.DBMaxConns, "db-max-conns", envInt("ORDERLY_DB_MAX_CONNS", 20), "PostgreSQL connection pool size per instance; SQLite always writes through one connection (ORDERLY_DB_MAX_CONNS)")
}

// bindWebhooks binds the storefront webhook settings (serve). The secret's
// flag default is empty, not the variable's value, so that -h never prints
// it; parseFlags still applies ORDERLY_SHOPIFY_WEBHOOK_SECRET.
func bindWebhooks(fs *flag.FlagSet, s *settings) {
	fs.StringVar(&s.ShopifyWebhookSecret, "shopify-webhook-secret", "",
		"key Shopify signs webhooks with (X-Shopify-Hmac-Sha256); empty refuses Shopify webhooks with 503. Prefer the variable: flags show in ps (ORDERLY_SHOPIFY_WEBHOOK_SECRET)")
	fs.StringVar(&s.TrackingWebhookSecret, "tracking-webhook-secret", "",
		"key carrier tracking webhooks are signed with (X-Orderly-Signature, HMAC-SHA256 of the body); empty refuses them with 503. Prefer the variable (ORDERLY_TRACKING_WEBHOOK_SECRET)")
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	// Each setting's ORDERLY_* variable was read leniently as its flag's
	// default; set it once more through the flag so that a malformed value
	// (ORDERLY_JOB_WORKERS=ten) fails loudly instead of being ignored.
	var bad []string
	fs.VisitAll(func(f *flag.Flag) {
		env := "ORDERLY_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if !strings.Contains(f.Usage, "("+env+")") {
			return
		}
		if v, ok := os.LookupEnv(env); ok {
			if err := f.Value.Set(v); err != nil {
				bad = append(bad, fmt.Sprintf("%s=%q: %v", env, v, err))
			}
		}
	})
	if len(bad) > 0 {
		return usageError{"invalid environment: " + strings.Join(bad, "; ")}
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected arguments: %s", strings.Join(fs.Args(), " "))}
	}
	return nil
}

// defaultStorefrontSync is the default period of the storefront dispatcher.
const defaultStorefrontSync = 5 * time.Second

// bindStorefront binds the storefront sync settings (serve).
func bindStorefront(fs *flag.FlagSet, s *settings) {
	fs.DurationVar(&s.StorefrontSyncEvery, "storefront-sync-interval", envDuration("ORDERLY_STOREFRONT_SYNC_INTERVAL", defaultStorefrontSync),
		"how often changed stock and prices are looked for and published to storefront targets; at least 1s (ORDERLY_STOREFRONT_SYNC_INTERVAL)")
	fs.BoolVar(&s.FeedPullAllowPrivate, "feed-pull-allow-private", envBool("ORDERLY_FEED_PULL_ALLOW_PRIVATE", false),
		"let supplier feed pulls reach private, loopback and link-local addresses (a supplier server on your own network); off: public addresses only (ORDERLY_FEED_PULL_ALLOW_PRIVATE)")
}

// bindOutboundWebhooks binds the outbound webhook settings (serve).
func bindOutboundWebhooks(fs *flag.FlagSet, s *settings) {
	fs.BoolVar(&s.WebhooksAllowPrivate, "webhooks-allow-private", envBool("ORDERLY_WEBHOOKS_ALLOW_PRIVATE", false),
		"let webhook subscriptions use http:// and reach private, loopback and link-local addresses (development, a receiver on your own network); off: https to public addresses only (ORDERLY_WEBHOOKS_ALLOW_PRIVATE)")
}

// defaultAtRiskEvery is the default period of the at-risk job.
const defaultAtRiskEvery = 15 * time.Minute

// bindAtRisk binds the at-risk job settings (serve).
func bindAtRisk(fs *flag.FlagSet, s *settings) {
	fs.DurationVar(&s.AtRiskEvery, "at-risk-interval", envDuration("ORDERLY_AT_RISK_INTERVAL", defaultAtRiskEvery),
		"how often open orders are checked against their promised window; at least 1s (ORDERLY_AT_RISK_INTERVAL)")
	fs.DurationVar(&s.AtRisk.NotSentWithin, "at-risk-not-sent-within", envDuration("ORDERLY_AT_RISK_NOT_SENT_WITHIN", 24*time.Hour),
		"an order not yet sent to a supplier is at risk this long before its ship-by day ends (ORDERLY_AT_RISK_NOT_SENT_WITHIN)")
	fs.IntVar(&s.AtRisk.RestockHandlingDays, "at-risk-restock-handling-days", envInt("ORDERLY_AT_RISK_RESTOCK_HANDLING_DAYS", 2),
		"days a supplier takes to ship a line once its restock arrives, for restock_late (ORDERLY_AT_RISK_RESTOCK_HANDLING_DAYS)")
}

// bindStock binds the stock settings (serve).
func bindStock(fs *flag.FlagSet, s *settings) {
	s.LowStockThreshold = fs.Int("low-stock-threshold", envInt("ORDERLY_LOW_STOCK_THRESHOLD", inventory.DefaultLowStockThreshold),
		"a SKU is low on stock when its available-to-sell is at or below this; 0 means only SKUs with none left (ORDERLY_LOW_STOCK_THRESHOLD)")
}
