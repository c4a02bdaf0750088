package purchasing

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mailaddr "net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/store"
)

// Fulfilment is how a supplier receives purchase orders and how fast it must
// answer. A supplier without settings gets DefaultFulfilment.
type Fulfilment struct {
	SupplierID int64   `json:"supplier_id"`
	Channel    Channel `json:"channel"`
	EmailTo    string  `json:"email_to,omitempty"`
	WebhookURL string  `json:"webhook_url,omitempty"`
	// WebhookSecret signs webhooks. It is shown once, when generated or
	// changed (PutFulfilment's result); reads leave it empty.
	WebhookSecret string `json:"webhook_secret,omitempty"`
	Batch         Batch  `json:"batch"`
	// CutoffMinutes are the batch times, minutes after midnight in the
	// supplier's time zone, sorted.
	CutoffMinutes    []int       `json:"cutoff_minutes"`
	AckSLAMinutes    int         `json:"ack_sla_minutes"`
	RerouteOnTimeout bool        `json:"reroute_on_timeout"`
	ShippingEstimate money.Money `json:"shipping_estimate"`
	Locale           string      `json:"locale"`
	// Timezone is the supplier's IANA time zone (from the supplier), read only.
	Timezone  string     `json:"timezone"`
	Default   bool       `json:"default" doc:"True when the supplier has no settings and these are the defaults"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// DefaultFulfilment is what a supplier without settings gets: console only,
// sent at once, 24 hours to answer, no re-routing on timeout.
func DefaultFulfilment(supplierID int64) Fulfilment {
	return Fulfilment{SupplierID: supplierID, Channel: ChannelConsole, Batch: BatchImmediate, CutoffMinutes: []int{},
		AckSLAMinutes: 24 * 60, Locale: "en", Default: true}
}

// SLA is the time the supplier has to answer a sent line.
func (f Fulfilment) SLA() time.Duration { return time.Duration(f.AckSLAMinutes) * time.Minute }

// Fulfilment returns a supplier's settings (the defaults when it has none),
// without the webhook secret. NotFound if the supplier does not exist.
func (s *Service) Fulfilment(ctx context.Context, supplierID int64) (Fulfilment, error) {
	f, err := s.loadFulfilment(ctx, s.db.R, supplierID)
	f.WebhookSecret = ""
	return f, err
}

// loadFulfilment reads a supplier's settings, with its secret.
func (s *Service) loadFulfilment(ctx context.Context, q store.Querier, supplierID int64) (Fulfilment, error) {
	f := DefaultFulfilment(supplierID)
	var (
		tz                                                    string
		channel, emailTo, url, secret, batch, cutoffs, estCur sql.NullString
		locale                                                sql.NullString
		sla, estAmount                                        sql.NullInt64
		reroute                                               sql.NullBool
		updated                                               sql.NullTime
	)
	err := q.QueryRowContext(ctx, `SELECT s.timezone, f.channel, f.email_to, f.webhook_url, f.webhook_secret, f.batch,
			f.cutoff_minutes, f.ack_sla_minutes, f.reroute_on_timeout, f.shipping_estimate_amount,
			f.shipping_estimate_currency, f.locale, f.updated_at
		FROM suppliers s LEFT JOIN supplier_fulfilment f ON f.supplier_id = s.id
		WHERE s.id = $1`, supplierID).Scan(&tz, &channel, &emailTo, &url, &secret, &batch,
		&cutoffs, &sla, &reroute, &estAmount, &estCur, &locale, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return f, apperr.New(apperr.NotFound, "supplier %d not found", supplierID)
	}
	if err != nil {
		return f, fmt.Errorf("read fulfilment settings of supplier %d: %w", supplierID, err)
	}
	f.Timezone = tz
	if !channel.Valid {
		return f, nil
	}
	f.Default = false
	f.Channel = Channel(channel.String)
	f.EmailTo = emailTo.String
	f.WebhookURL = url.String
	f.WebhookSecret = secret.String
	f.Batch = Batch(batch.String)
	f.CutoffMinutes = []int{}
	if cutoffs.String != "" {
		if err := json.Unmarshal([]byte(cutoffs.String), &f.CutoffMinutes); err != nil {
			return f, fmt.Errorf("fulfilment settings of supplier %d: cutoff minutes: %w", supplierID, err)
		}
	}
	f.AckSLAMinutes = int(sla.Int64)
	f.RerouteOnTimeout = reroute.Bool
	f.ShippingEstimate = money.Money{Amount: estAmount.Int64, Currency: estCur.String}
	f.Locale = locale.String
	if updated.Valid {
		t := updated.Time.UTC()
		f.UpdatedAt = &t
	}
	return f, nil
}

// location loads a supplier's time zone, UTC when unknown.
func location(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// nextCutoff returns the first of cutoffs (minutes after local midnight in
// loc) strictly after now. With no cutoffs it returns now.
func nextCutoff(now time.Time, loc *time.Location, cutoffs []int) time.Time {
	if len(cutoffs) == 0 {
		return now
	}
	local := now.In(loc)
	for day := 0; day <= 2; day++ {
		y, m, d := local.AddDate(0, 0, day).Date()
		for _, c := range cutoffs {
			t := time.Date(y, m, d, c/60, c%60, 0, 0, loc)
			if t.After(now) {
				return t.UTC()
			}
		}
	}
	return now
}

// FulfilmentInput is what staff set for a supplier.
type FulfilmentInput struct {
	Channel    Channel `json:"channel" enum:"email,webhook,console"`
	EmailTo    string  `json:"email_to,omitempty"`
	WebhookURL string  `json:"webhook_url,omitempty"`
	// WebhookSecret signs webhooks; empty keeps the current one, or
	// generates one for a supplier that has none.
	WebhookSecret    string      `json:"webhook_secret,omitempty"`
	Batch            Batch       `json:"batch" enum:"immediate,cutoffs"`
	CutoffMinutes    []int       `json:"cutoff_minutes,omitempty"`
	AckSLAMinutes    int         `json:"ack_sla_minutes"`
	RerouteOnTimeout bool        `json:"reroute_on_timeout,omitempty"`
	ShippingEstimate money.Money `json:"shipping_estimate"`
	Locale           string      `json:"locale,omitempty"`
}

// Locales a supplier can receive POs and digests in.
var Locales = []string{"en", "pt-BR", "it"}

// validate checks and normalises the input.
func (s *Service) validate(in *FulfilmentInput) error {
	var fe apperr.Fields
	in.EmailTo = strings.TrimSpace(in.EmailTo)
	in.WebhookURL = strings.TrimSpace(in.WebhookURL)
	switch in.Channel {
	case ChannelEmail:
		if a, err := mailaddr.ParseAddress(in.EmailTo); err != nil || a.Address != in.EmailTo {
			fe.Add("email_to", "must be one email address such as orders@supplier.example, got %q", in.EmailTo)
		}
	case ChannelWebhook:
		if err := s.checkWebhookURL(in.WebhookURL); err != nil {
			fe.Add("webhook_url", "%s", err)
		}
	case ChannelConsole:
	default:
		fe.Add("channel", "must be email, webhook or console, got %q", in.Channel)
	}
	switch in.Batch {
	case BatchImmediate:
	case BatchCutoffs:
		if len(in.CutoffMinutes) == 0 {
			fe.Add("cutoff_minutes", "at least one cutoff is required to batch at cutoffs")
		}
	default:
		fe.Add("batch", "must be immediate or cutoffs, got %q", in.Batch)
	}
	for _, m := range in.CutoffMinutes {
		if m < 0 || m > 1439 {
			fe.Add("cutoff_minutes", "each cutoff is minutes after local midnight, 0 to 1439, got %d", m)
			break
		}
	}
	in.CutoffMinutes = slices.Compact(slices.Sorted(slices.Values(in.CutoffMinutes)))
	if in.CutoffMinutes == nil {
		in.CutoffMinutes = []int{}
	}
	if in.AckSLAMinutes < 15 || in.AckSLAMinutes > 20160 {
		fe.Add("ack_sla_minutes", "must be between 15 minutes and 14 days (20160), got %d", in.AckSLAMinutes)
	}
	if in.ShippingEstimate.Amount < 0 {
		fe.Add("shipping_estimate", "must not be negative")
	}
	if in.ShippingEstimate.Currency != "" || in.ShippingEstimate.Amount != 0 {
		if !money.ValidCurrency(in.ShippingEstimate.Currency) {
			fe.Add("shipping_estimate.currency", "unknown currency %q", in.ShippingEstimate.Currency)
		}
	}
	if in.Locale == "" {
		in.Locale = "en"
	}
	if !slices.Contains(Locales, in.Locale) {
		fe.Add("locale", "must be en, pt-BR or it, got %q", in.Locale)
	}
	return fe.Err()
}

// checkWebhookURL accepts https URLs, and http on localhost when the
// service allows it (tests).
func (s *Service) checkWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("must be an https URL, got %q", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if s.opts.AllowLocalHTTP && (h == "127.0.0.1" || h == "localhost" || h == "::1") {
			return nil
		}
	}
	return fmt.Errorf("must be an https URL, got %q", raw)
}

// PutFulfilment sets a supplier's fulfilment settings. The result carries the
// webhook secret when it was generated or changed by this call (show it once);
// otherwise the secret is left out.
func (s *Service) PutFulfilment(ctx context.Context, supplierID int64, in FulfilmentInput) (Fulfilment, error) {
	if err := s.validate(&in); err != nil {
		return Fulfilment{}, err
	}
	var out Fulfilment
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.loadFulfilment(ctx, tx, supplierID)
		if err != nil {
			return err
		}
		secret, shown := cur.WebhookSecret, ""
		if in.WebhookSecret != "" {
			if len(in.WebhookSecret) < 16 {
				return apperr.InvalidField("webhook_secret", "must be at least 16 characters (leave it empty to generate one)")
			}
			secret, shown = in.WebhookSecret, in.WebhookSecret
		} else if secret == "" && in.Channel == ChannelWebhook {
			secret = newSecret()
			shown = secret
		}
		cutoffs, _ := json.Marshal(in.CutoffMinutes)
		now := s.clock()
		_, err = tx.ExecContext(ctx, `INSERT INTO supplier_fulfilment (supplier_id, channel, email_to, webhook_url,
				webhook_secret, batch, cutoff_minutes, ack_sla_minutes, reroute_on_timeout, shipping_estimate_amount,
				shipping_estimate_currency, locale, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (supplier_id) DO UPDATE SET channel = excluded.channel, email_to = excluded.email_to,
				webhook_url = excluded.webhook_url, webhook_secret = excluded.webhook_secret, batch = excluded.batch,
				cutoff_minutes = excluded.cutoff_minutes, ack_sla_minutes = excluded.ack_sla_minutes,
				reroute_on_timeout = excluded.reroute_on_timeout,
				shipping_estimate_amount = excluded.shipping_estimate_amount,
				shipping_estimate_currency = excluded.shipping_estimate_currency, locale = excluded.locale,
				updated_at = excluded.updated_at`,
			supplierID, string(in.Channel), in.EmailTo, in.WebhookURL, secret, string(in.Batch), string(cutoffs),
			in.AckSLAMinutes, in.RerouteOnTimeout, in.ShippingEstimate.Amount, in.ShippingEstimate.Currency, in.Locale, now)
		if err != nil {
			return fmt.Errorf("save fulfilment settings of supplier %d: %w", supplierID, err)
		}
		out, err = s.loadFulfilment(ctx, tx, supplierID)
		out.WebhookSecret = shown
		return err
	})
	return out, err
}

// newSecret returns a random webhook signing secret.
func newSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return "whsec_" + hex.EncodeToString(b[:])
}
