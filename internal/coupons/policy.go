package coupons

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/locale"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/store"
)

// Policy is the store's apology-coupon policy: whether a cancelled order (or
// line) earns the customer a coupon, and which. Percent is a whole percent
// (1..100) for kind percent; Amount is in the store's currency for kind
// amount (its currency is kept for kind percent too, as the store's).
type Policy struct {
	Enabled      bool        `json:"enabled"`
	Kind         Kind        `json:"kind" enum:"percent,amount"`
	Percent      int         `json:"percent,omitempty" doc:"Whole percent off (10 is 10 %), for kind percent"`
	Amount       money.Money `json:"amount" doc:"Amount off in the store's currency, for kind amount"`
	ValidityDays int         `json:"validity_days" doc:"Days from issue to expiry"`
	Prefix       string      `json:"prefix" doc:"Codes start with this and a hyphen (A-Z, 0-9, at most 12)"`
	UpdatedBy    string      `json:"updated_by,omitempty"`
	UpdatedAt    *time.Time  `json:"updated_at,omitempty"`
}

// DefaultPolicy is the policy until staff set one: no coupons; once enabled,
// 10 % off for 90 days with codes starting SORRY-.
var DefaultPolicy = Policy{Kind: KindPercent, Percent: 10, ValidityDays: 90, Prefix: "SORRY"}

// ExpiresAt is when a coupon issued at issued and valid for days days
// expires: at the end (23:59:59.999999) of the days-th calendar day after the
// day of issue, both days taken in zone, the store's time zone
// (storesettings.Zone). A coupon shown as "valid until 25/02/2027" is then
// valid for the whole of that day where the store is, not until the hour it
// was issued at, nor until midnight UTC. The result is in UTC, as stored.
func ExpiresAt(issued time.Time, days int, zone *time.Location) time.Time {
	y, m, d := issued.In(zone).Date()
	// Noon of the last day: a day's noon exists in every zone, whatever its
	// clock changes.
	return locale.EndOfDay(time.Date(y, m, d+days, 12, 0, 0, 0, zone), zone).UTC()
}

// policy reads the policy (the default if none was set).
func policy(ctx context.Context, q store.Querier) (Policy, error) {
	var p Policy
	var at time.Time
	err := q.QueryRowContext(ctx, `SELECT enabled, kind, percent, amount, currency, validity_days, prefix, updated_by, updated_at
		FROM coupon_policy WHERE id = 1`).Scan(&p.Enabled, &p.Kind, &p.Percent, &p.Amount.Amount, &p.Amount.Currency,
		&p.ValidityDays, &p.Prefix, &p.UpdatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultPolicy, nil
	}
	if err != nil {
		return Policy{}, fmt.Errorf("read coupon policy: %w", err)
	}
	at = at.UTC()
	p.UpdatedAt = &at
	return p, nil
}

// Policy returns the store's apology-coupon policy.
func (s *Service) Policy(ctx context.Context) (Policy, error) { return policy(ctx, s.db.R) }

// SetPolicy replaces the policy. An enabled policy must give a valid coupon;
// a disabled one keeps its settings for when it is enabled again (checked
// then).
func (s *Service) SetPolicy(ctx context.Context, p Policy) (Policy, error) {
	var fs apperr.Fields
	p.Amount.Currency = strings.ToUpper(strings.TrimSpace(p.Amount.Currency))
	if p.Kind == KindPercent {
		p.Amount.Amount = 0
	}
	if p.Kind == KindAmount {
		p.Percent = 0
	}
	if p.Enabled || p.Kind != KindPercent && p.Kind != KindAmount {
		checkValue(&fs, p.Kind, p.Percent, p.Amount)
	} else if p.Percent < 0 || p.Percent > 100 {
		fs.Add("percent", "must be a whole percent between 1 and 100 (got %d)", p.Percent)
	}
	if p.Amount.Currency != "" && !money.ValidCurrency(p.Amount.Currency) {
		fs.Add("amount.currency", "unknown currency %q (want an ISO 4217 code such as EUR)", p.Amount.Currency)
	}
	if !p.Enabled && (p.Kind == KindPercent || p.Kind == KindAmount) {
		// An enabled policy's amount was checked with its value above.
		switch {
		case p.Amount.Amount < 0:
			fs.Add("amount", "must not be negative (got %s)", p.Amount.Decimal())
		case p.Amount.Amount > money.MaxAmount:
			fs.Add("amount", "must be at most %d in minor units (got %d)", money.MaxAmount, p.Amount.Amount)
		}
	}
	if p.ValidityDays < 1 || p.ValidityDays > MaxValidityDays {
		fs.Add("validity_days", "must be between 1 and %d (got %d)", MaxValidityDays, p.ValidityDays)
	}
	p.Prefix = checkPrefix(&fs, p.Prefix)
	if err := fs.Err(); err != nil {
		return Policy{}, err
	}
	now := s.clock()
	p.UpdatedBy = actor(ctx, "system:coupons")
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO coupon_policy (id, enabled, kind, percent, amount, currency, validity_days, prefix,
			updated_by, updated_at) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, kind = excluded.kind, percent = excluded.percent,
				amount = excluded.amount, currency = excluded.currency, validity_days = excluded.validity_days,
				prefix = excluded.prefix, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			p.Enabled, p.Kind, p.Percent, p.Amount.Amount, p.Amount.Currency, p.ValidityDays, p.Prefix, p.UpdatedBy, now)
		if err != nil {
			return fmt.Errorf("set coupon policy: %w", err)
		}
		return nil
	})
	if err != nil {
		return Policy{}, err
	}
	return s.Policy(ctx)
}
