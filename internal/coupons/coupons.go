// Package coupons issues, lists and redeems discount coupons: the apology
// coupons Orderly gives a customer when part of an order is cancelled (by the
// store's policy), and coupons staff issue by hand. A coupon has a code that
// is unique, hard to guess and easy to read aloud, a value (a whole percent
// or an amount of money), an expiry, and is used once. Coupons are pushed to
// the storefronts by a job (push.go) so they can be redeemed at checkout.
//
// See docs/coupons-refunds.md and decision 0016.
package coupons

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/storesettings"
)

// Kind is how a coupon discounts.
type Kind string

const (
	// KindPercent takes Percent whole percent off.
	KindPercent Kind = "percent"
	// KindAmount takes a fixed Amount off.
	KindAmount Kind = "amount"
)

// Source says why a coupon exists.
const (
	SourceApology = "apology" // issued by Orderly for an order, by the policy
	SourceManual  = "manual"  // issued by staff
)

// Limits of a coupon's fields.
const (
	MaxReasonLen    = 500
	MaxPrefixLen    = 12
	MaxValidityDays = 3650
	MaxRefLen       = 200
)

// Coupon is a discount code. Percent is a whole percent (10 means 10 % off),
// set for kind percent only; Amount is set for kind amount only (for kind
// percent it is zero in Currency).
type Coupon struct {
	ID        int64       `json:"id"`
	Code      string      `json:"code"`
	Source    string      `json:"source" enum:"apology,manual"`
	Kind      Kind        `json:"kind" enum:"percent,amount"`
	Percent   int         `json:"percent,omitempty" doc:"Whole percent off (10 is 10 %), for kind percent"`
	Amount    money.Money `json:"amount" doc:"Amount off, for kind amount (zero for kind percent)"`
	Currency  string      `json:"currency" doc:"The amount's currency; for kind percent the order's or the store's (may be empty)"`
	ExpiresAt time.Time   `json:"expires_at"`
	Order     int64       `json:"order,omitempty" doc:"The order number it was issued for"`
	Reason    string      `json:"reason"`
	IssuedBy  string      `json:"issued_by"`
	CreatedAt time.Time   `json:"created_at"`
	Used      bool        `json:"used"`
	UsedAt    *time.Time  `json:"used_at,omitempty"`
	UsedRef   string      `json:"used_ref,omitempty" doc:"What it was used on, as reported (e.g. the storefront's order)"`
	UsedBy    string      `json:"used_by,omitempty"`
	Expired   bool        `json:"expired" doc:"Past its expiry and not used"`
}

// Describe is the coupon's value in words, e.g. "10% off" or "5.00 EUR off".
func (c *Coupon) Describe() string {
	if c.Kind == KindPercent {
		return fmt.Sprintf("%d%% off", c.Percent)
	}
	return c.Amount.String() + " off"
}

// Enqueuer inserts a job inside a transaction (jobs.Queue does).
type Enqueuer interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs) (int64, error)
}

// Service issues and redeems coupons.
type Service struct {
	db    *store.DB
	now   func() time.Time
	queue Enqueuer
	rand  io.Reader
}

// New returns the service on db. queue, if not nil, gets a push job for every
// coupon issued (in the issuing transaction).
func New(db *store.DB, now func() time.Time, queue Enqueuer) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now, queue: queue, rand: rand.Reader}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func actor(ctx context.Context, fallback string) string {
	if p := auth.FromContext(ctx); p != nil {
		return p.Actor()
	}
	return fallback
}

// codeAlphabet is 32 characters without the ambiguous 0, O, 1 and I, so each
// character carries 5 random bits and a code read aloud or typed from paper
// cannot be mistaken.
const codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// codeChars is the random part of a code: 12 characters, 60 bits.
const codeChars = 12

// newCode returns prefix-7KQ2-M9XD-4HTP (or 7KQ2-M9XD-4HTP without a prefix): three groups of four
// with 60 random bits from s.rand.
func (s *Service) newCode(prefix string) (string, error) {
	var b [codeChars]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("coupon code: %w", err)
	}
	var sb strings.Builder
	if prefix != "" {
		sb.WriteString(prefix)
		sb.WriteByte('-')
	}
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(codeAlphabet[c&31])
	}
	return sb.String(), nil
}

// NormalizeCode is how a code typed by a person is looked up: trimmed and
// upper-cased.
func NormalizeCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// checkPrefix checks a code prefix, adding a field error to fs if bad.
func checkPrefix(fs *apperr.Fields, p string) string {
	p = strings.ToUpper(strings.TrimSpace(p))
	if len(p) > MaxPrefixLen {
		fs.Add("prefix", "must be at most %d characters (got %d)", MaxPrefixLen, len(p))
		return p
	}
	for _, r := range p {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			fs.Add("prefix", "may hold only letters A-Z and digits (got %q)", p)
			break
		}
	}
	return p
}

func cleanReason(r string) string {
	r = strings.TrimSpace(r)
	if !utf8.ValidString(r) {
		r = strings.ToValidUTF8(r, "?")
	}
	if utf8.RuneCountInString(r) > MaxReasonLen {
		r = string([]rune(r)[:MaxReasonLen])
	}
	return r
}

// draft is a coupon about to be inserted.
type draft struct {
	source    string
	kind      Kind
	percent   int
	amount    int64
	currency  string
	expiresAt time.Time
	order     int64
	reason    string
	issuedBy  string
	prefix    string
}

// insert stores d under a fresh code inside tx and enqueues its push. With
// conflict set (an apology), an existing apology for the same order and
// reason is returned instead (nil, nil when d collided with nothing but a
// code). A code that collides with another coupon's is drawn again.
func (s *Service) insert(ctx context.Context, tx *sql.Tx, d draft) (*Coupon, error) {
	now := s.clock()
	for range 5 {
		code, err := s.newCode(d.prefix)
		if err != nil {
			return nil, err
		}
		var order any
		if d.order != 0 {
			order = d.order
		}
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO coupons (code, source, kind, percent, amount, currency, expires_at, order_id, reason,
			issued_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING RETURNING id`,
			code, d.source, d.kind, d.percent, d.amount, d.currency, d.expiresAt, order, d.reason, d.issuedBy, now).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// A conflict: the apology exists already, or the code is taken.
			if d.source == SourceApology {
				c, err := s.apology(ctx, tx, d.order, d.reason)
				if err != nil || c != nil {
					return c, err
				}
			}
			continue
		case err != nil:
			return nil, fmt.Errorf("issue coupon: %w", err)
		}
		if s.queue != nil {
			if _, err := s.queue.InsertTx(ctx, tx, PushArgs{CouponID: id}); err != nil {
				return nil, fmt.Errorf("issue coupon %s: %w", code, err)
			}
		}
		return s.get(ctx, tx, `c.id = $1`, id)
	}
	return nil, errors.New("issue coupon: five codes drawn in a row were taken (is the random source broken?)")
}

// IssueApologyTx issues, inside tx, the apology coupon the store's policy
// gives for order (whose currency is currency) and reason; it returns nil,
// nil when the policy gives none. An order gets at most one apology coupon
// per reason: called again (a retried job, a replayed transaction) it
// returns the coupon issued before. An amount coupon is in the policy's
// currency (the store's), whatever the order's; a percent coupon is in the
// order's currency.
func (s *Service) IssueApologyTx(ctx context.Context, tx *sql.Tx, order int64, currency string, reason string) (*Coupon, error) {
	reason = cleanReason(reason)
	if reason == "" {
		reason = "apology"
	}
	if c, err := s.apology(ctx, tx, order, reason); err != nil || c != nil {
		return c, err
	}
	p, err := policy(ctx, tx)
	if err != nil {
		return nil, err
	}
	if !p.Enabled {
		return nil, nil
	}
	zone, err := storesettings.Zone(ctx, tx)
	if err != nil {
		return nil, err
	}
	d := draft{source: SourceApology, kind: p.Kind, order: order, reason: reason, prefix: p.Prefix,
		issuedBy: actor(ctx, "system:coupons"), expiresAt: ExpiresAt(s.clock(), p.ValidityDays, zone)}
	switch p.Kind {
	case KindPercent:
		d.percent = p.Percent
		d.currency = strings.ToUpper(strings.TrimSpace(currency))
	case KindAmount:
		d.amount, d.currency = p.Amount.Amount, p.Amount.Currency
	}
	if !money.ValidCurrency(d.currency) {
		return nil, apperr.InvalidField("currency", "unknown currency %q for the apology coupon of order %d", d.currency, order)
	}
	return s.insert(ctx, tx, d)
}

// ApologyCode is IssueApologyTx returning only the code ("" when the policy
// gives no coupon): it has the shape of orders.ApologyFunc, so cmd/orderly
// wires it with orders.(*Service).SetApology(coupons.ApologyCode).
func (s *Service) ApologyCode(ctx context.Context, tx *sql.Tx, order int64, currency, reason string) (string, error) {
	c, err := s.IssueApologyTx(ctx, tx, order, currency, reason)
	if err != nil || c == nil {
		return "", err
	}
	return c.Code, nil
}

// apology returns the apology coupon of order and reason, or nil.
func (s *Service) apology(ctx context.Context, q store.Querier, order int64, reason string) (*Coupon, error) {
	c, err := s.get(ctx, q, `c.order_id = $1 AND c.reason = $2 AND c.source = 'apology'`, order, reason)
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil
	}
	return c, err
}

// NewCoupon is a coupon staff issue by hand. Percent is a whole percent
// (1..100) for kind percent; Amount is for kind amount. ValidityDays 0 takes
// the policy's. Order is optional.
type NewCoupon struct {
	Kind         Kind
	Percent      int
	Amount       money.Money
	ValidityDays int
	Order        int64
	Reason       string
	Prefix       string // default: the policy's
}

// Issue issues a coupon by hand, recording who issued it.
func (s *Service) Issue(ctx context.Context, in NewCoupon) (*Coupon, error) {
	var c *Coupon
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		p, err := policy(ctx, tx)
		if err != nil {
			return err
		}
		var fs apperr.Fields
		d := draft{source: SourceManual, kind: in.Kind, order: in.Order, reason: strings.TrimSpace(in.Reason),
			issuedBy: actor(ctx, "system:coupons")}
		checkValue(&fs, in.Kind, in.Percent, in.Amount)
		d.percent, d.amount, d.currency = in.Percent, in.Amount.Amount, in.Amount.Currency
		if in.Kind == KindPercent {
			// A percent coupon's currency only says where it applies: the
			// order's, else the store's (empty if the policy has none).
			d.amount, d.currency = 0, p.Amount.Currency
		}
		if d.reason == "" {
			fs.Add("reason", "is required: say why the coupon is given")
		} else if utf8.RuneCountInString(d.reason) > MaxReasonLen || !utf8.ValidString(d.reason) {
			fs.Add("reason", "must be valid text of at most %d characters", MaxReasonLen)
		}
		days := in.ValidityDays
		if days == 0 {
			days = p.ValidityDays
		}
		if days < 1 || days > MaxValidityDays {
			fs.Add("validity_days", "must be between 1 and %d (got %d)", MaxValidityDays, days)
		}
		zone, err := storesettings.Zone(ctx, tx)
		if err != nil {
			return err
		}
		d.expiresAt = ExpiresAt(s.clock(), days, zone)
		d.prefix = p.Prefix
		if in.Prefix != "" {
			d.prefix = checkPrefix(&fs, in.Prefix)
		}
		if err := fs.Err(); err != nil {
			return err
		}
		if in.Order != 0 {
			var cur string
			err := tx.QueryRowContext(ctx, `SELECT currency FROM orders WHERE id = $1`, in.Order).Scan(&cur)
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.InvalidField("order", "order %d not found", in.Order)
			}
			if err != nil {
				return fmt.Errorf("issue coupon for order %d: %w", in.Order, err)
			}
			if in.Kind == KindPercent {
				d.currency = cur
			}
		}
		c, err = s.insert(ctx, tx, d)
		return err
	})
	return c, err
}

// checkValue checks a coupon's or policy's value.
func checkValue(fs *apperr.Fields, kind Kind, percent int, amount money.Money) {
	switch kind {
	case KindPercent:
		if percent < 1 || percent > 100 {
			fs.Add("percent", "must be a whole percent between 1 and 100 (got %d)", percent)
		}
	case KindAmount:
		if !money.ValidCurrency(amount.Currency) {
			fs.Add("amount.currency", "unknown currency %q", amount.Currency)
		}
		switch {
		case amount.Amount <= 0:
			fs.Add("amount", "must be more than zero (got %s)", amount.Decimal())
		case amount.Amount > money.MaxAmount:
			fs.Add("amount", "must be at most %d in minor units (got %d)", money.MaxAmount, amount.Amount)
		}
	default:
		fs.Add("kind", "must be percent or amount (got %q)", kind)
	}
}

const couponColumns = `c.id, c.code, c.source, c.kind, c.percent, c.amount, c.currency, c.expires_at, c.order_id, c.reason,
	c.issued_by, c.created_at, c.used_at, c.used_ref, c.used_by`

func (s *Service) scan(sc interface{ Scan(...any) error }) (*Coupon, error) {
	var c Coupon
	var order sql.NullInt64
	var used sql.NullTime
	if err := sc.Scan(&c.ID, &c.Code, &c.Source, &c.Kind, &c.Percent, &c.Amount.Amount, &c.Currency, &c.ExpiresAt, &order,
		&c.Reason, &c.IssuedBy, &c.CreatedAt, &used, &c.UsedRef, &c.UsedBy); err != nil {
		return nil, err
	}
	c.Amount.Currency = c.Currency
	c.Order = order.Int64
	c.ExpiresAt, c.CreatedAt = c.ExpiresAt.UTC(), c.CreatedAt.UTC()
	if used.Valid {
		t := used.Time.UTC()
		c.Used, c.UsedAt = true, &t
	}
	c.Expired = !c.Used && !c.ExpiresAt.After(s.clock())
	return &c, nil
}

// get reads the one coupon matching where.
func (s *Service) get(ctx context.Context, q store.Querier, where string, args ...any) (*Coupon, error) {
	c, err := s.scan(q.QueryRowContext(ctx, `SELECT `+couponColumns+` FROM coupons c WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "coupon not found")
	}
	if err != nil {
		return nil, fmt.Errorf("read coupon: %w", err)
	}
	return c, nil
}

// Get returns the coupon with the code.
func (s *Service) Get(ctx context.Context, code string) (*Coupon, error) {
	code = NormalizeCode(code)
	c, err := s.get(ctx, s.db.R, `c.code = $1`, code)
	if apperr.Is(err, apperr.NotFound) {
		return nil, apperr.New(apperr.NotFound, "coupon %q not found", code)
	}
	return c, err
}

// ForOrder returns the coupons issued for an order, oldest first.
func (s *Service) ForOrder(ctx context.Context, order int64) ([]Coupon, error) {
	return s.List(ctx, Filter{Order: order, Oldest: true, Limit: 1000})
}

// Coupon states a listing filters on.
const (
	StateUnused  = "unused"  // neither used nor expired
	StateUsed    = "used"    // used once
	StateExpired = "expired" // past its expiry, not used
)

// Filter narrows a listing. Zero fields do not filter.
type Filter struct {
	State  string // unused, used or expired
	Source string // apology or manual
	Order  int64
	Code   string // a code, or its start
	Before int64  // only coupons with a smaller id (the next page, newest first)
	Limit  int    // default 50, at most 1000
	Oldest bool   // oldest first (Before is then ignored)
}

// List lists coupons, newest first.
func (s *Service) List(ctx context.Context, f Filter) ([]Coupon, error) {
	now := s.clock()
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	switch f.State {
	case "":
	case StateUnused:
		where = append(where, "c.used_at IS NULL AND c.expires_at > "+arg(now))
	case StateUsed:
		where = append(where, "c.used_at IS NOT NULL")
	case StateExpired:
		where = append(where, "c.used_at IS NULL AND c.expires_at <= "+arg(now))
	default:
		return nil, apperr.InvalidField("state", "must be unused, used or expired (got %q)", f.State)
	}
	switch f.Source {
	case "":
	case SourceApology, SourceManual:
		where = append(where, "c.source = "+arg(f.Source))
	default:
		return nil, apperr.InvalidField("source", "must be apology or manual (got %q)", f.Source)
	}
	if f.Order != 0 {
		where = append(where, "c.order_id = "+arg(f.Order))
	}
	if code := NormalizeCode(f.Code); code != "" {
		where = append(where, "c.code LIKE "+arg(store.LikePattern(code)+"%")+` ESCAPE '\'`)
	}
	order := " ORDER BY c.id DESC"
	if f.Oldest {
		order = " ORDER BY c.id"
	} else if f.Before > 0 {
		where = append(where, "c.id < "+arg(f.Before))
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 1000)
	q := `SELECT ` + couponColumns + ` FROM coupons c`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += order + " LIMIT " + arg(f.Limit)
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list coupons: %w", err)
	}
	defer rows.Close()
	out := []Coupon{}
	for rows.Next() {
		c, err := s.scan(rows)
		if err != nil {
			return nil, fmt.Errorf("list coupons: %w", err)
		}
		out = append(out, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list coupons: %w", err)
	}
	return out, nil
}

// Redeem marks the coupon used, once: ref says what it was used on (the
// storefront's order, optional). A coupon already used, or expired, is a
// conflict that says so.
func (s *Service) Redeem(ctx context.Context, code, ref string) (*Coupon, error) {
	code = NormalizeCode(code)
	ref = strings.TrimSpace(ref)
	if utf8.RuneCountInString(ref) > MaxRefLen || !utf8.ValidString(ref) {
		return nil, apperr.InvalidField("ref", "must be valid text of at most %d characters", MaxRefLen)
	}
	now := s.clock()
	who := actor(ctx, "system:coupons")
	var c *Coupon
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE coupons SET used_at = $2, used_ref = $3, used_by = $4
			WHERE code = $1 AND used_at IS NULL AND expires_at > $2`, code, now, ref, who)
		if err != nil {
			return fmt.Errorf("redeem coupon %s: %w", code, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("redeem coupon %s: %w", code, err)
		}
		c, err = s.get(ctx, tx, `c.code = $1`, code)
		if apperr.Is(err, apperr.NotFound) {
			return apperr.New(apperr.NotFound, "coupon %q not found", code)
		}
		if err != nil || n == 1 {
			return err
		}
		if c.Used {
			on := ""
			if c.UsedRef != "" {
				on = " on " + c.UsedRef
			}
			return apperr.New(apperr.Conflict, "coupon %s was already used%s at %s: a coupon is used once", code, on, c.UsedAt.Format(time.RFC3339))
		}
		return apperr.New(apperr.Conflict, "coupon %s expired at %s", code, c.ExpiresAt.Format(time.RFC3339))
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
