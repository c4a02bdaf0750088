package purchasing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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
