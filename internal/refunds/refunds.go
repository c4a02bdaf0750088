// Package refunds tracks the refunds Orderly owes customers until they are
// paid back. The orders package records a refund (an order_payments row of
// kind refund, with its parts per line and shipping) in the transaction that
// cancels or shrinks an order; this package gives each refund a state,
// pending then issued (when, by whom, the payment provider's reference),
// lists them and exports them as CSV for the payment provider.
//
// The state lives beside order_payments, in refund_issues: a refund without a
// row there is pending, and the row's primary key makes issuing it a second
// time impossible, on any number of instances. Each refund marked issued is
// recorded on its order's timeline (refund_issued, with event
// order.refund_issued) in the same transaction. See docs/coupons-refunds.md
// and decision 0016.
package refunds

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/store"
)

// State is where a refund is.
type State string

const (
	// Pending: recorded as due, not yet paid back.
	Pending State = "pending"
	// Issued: paid back through the payment provider.
	Issued State = "issued"
)

// Limits.
const (
	MaxProviderRefLen = 200
	MaxBulk           = 500
)

// RefundShare is the share of a refund that comes from one line or from shipping,
// as the orders package records it. SKU and Title are the line's.
type RefundShare struct {
	Line     int         `json:"line,omitempty" doc:"The order line's position (0 for shipping)"`
	Units    int         `json:"units,omitempty"`
	SKU      string      `json:"sku,omitempty"`
	Title    string      `json:"title,omitempty"`
	Amount   money.Money `json:"amount"`
	Shipping bool        `json:"shipping,omitempty"`
}

// Refund is an amount due back to a customer for an order.
type Refund struct {
	ID          int64         `json:"id"`
	Order       int64         `json:"order"`
	Channel     string        `json:"channel"`
	ExternalID  string        `json:"external_id,omitempty" doc:"The storefront's order id"`
	Email       string        `json:"email"`
	Amount      money.Money   `json:"amount"`
	Reason      string        `json:"reason"`
	Parts       []RefundShare `json:"parts"`
	RecordedBy  string        `json:"recorded_by"`
	CreatedAt   time.Time     `json:"created_at"`
	State       State         `json:"state" enum:"pending,issued"`
	IssuedAt    *time.Time    `json:"issued_at,omitempty"`
	IssuedBy    string        `json:"issued_by,omitempty"`
	ProviderRef string        `json:"provider_ref,omitempty" doc:"The payment provider's reference of the refund"`
}

// Timeline records a refund marked issued on its order's timeline inside
// the transaction that marks it; *orders.Service satisfies it.
type Timeline interface {
	RefundIssuedTx(ctx context.Context, tx *sql.Tx, order, payment int64, amount money.Money, providerRef, who string) (int64, error)
}

// Service lists refunds and marks them issued.
type Service struct {
	db       *store.DB
	timeline Timeline
	now      func() time.Time
}

// New returns the service on db. Refunds marked issued are recorded on their
// orders' timelines through tl.
func New(db *store.DB, tl Timeline, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, timeline: tl, now: now}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func actor(ctx context.Context) string {
	if p := auth.FromContext(ctx); p != nil {
		return p.Actor()
	}
	return "system:refunds"
}

// Filter narrows a listing. Zero fields do not filter.
type Filter struct {
	State State
	Order int64
	From  time.Time // created at or after
	To    time.Time // created before
	After int64     // only refunds with a larger id (the next page, oldest first)
	Limit int       // default 100, at most 10000
}

const refundQuery = `SELECT p.id, p.order_id, o.channel, o.external_id, o.email, p.amount, p.currency, p.reason, p.detail, p.actor,
	p.created_at, i.issued_at, i.issued_by, i.provider_ref
	FROM order_payments p JOIN orders o ON o.id = p.order_id LEFT JOIN refund_issues i ON i.payment_id = p.id
	WHERE p.kind = 'refund'`

// List lists refunds oldest first.
func (s *Service) List(ctx context.Context, f Filter) ([]Refund, error) {
	return s.list(ctx, s.db.R, f)
}

func (s *Service) list(ctx context.Context, q store.Querier, f Filter) ([]Refund, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	switch f.State {
	case "":
	case Pending:
		where = append(where, "i.payment_id IS NULL")
	case Issued:
		where = append(where, "i.payment_id IS NOT NULL")
	default:
		return nil, apperr.InvalidField("state", "must be pending or issued (got %q)", f.State)
	}
	if f.Order != 0 {
		where = append(where, "p.order_id = "+arg(f.Order))
	}
	if !f.From.IsZero() {
		where = append(where, "p.created_at >= "+arg(f.From.UTC()))
	}
	if !f.To.IsZero() {
		where = append(where, "p.created_at < "+arg(f.To.UTC()))
	}
	if f.After > 0 {
		where = append(where, "p.id > "+arg(f.After))
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 10000)
	qs := refundQuery
	for _, w := range where {
		qs += " AND " + w
	}
	qs += " ORDER BY p.id LIMIT " + arg(f.Limit)
	return s.query(ctx, q, qs, args...)
}

func (s *Service) query(ctx context.Context, q store.Querier, qs string, args ...any) ([]Refund, error) {
	rows, err := q.QueryContext(ctx, qs, args...)
	if err != nil {
		return nil, fmt.Errorf("list refunds: %w", err)
	}
	defer rows.Close()
	out := []Refund{}
	for rows.Next() {
		var r Refund
		var ext, issuedBy, ref sql.NullString
		var issued sql.NullTime
		var detail string
		if err := rows.Scan(&r.ID, &r.Order, &r.Channel, &ext, &r.Email, &r.Amount.Amount, &r.Amount.Currency, &r.Reason, &detail,
			&r.RecordedBy, &r.CreatedAt, &issued, &issuedBy, &ref); err != nil {
			return nil, fmt.Errorf("list refunds: %w", err)
		}
		r.ExternalID = ext.String
		r.CreatedAt = r.CreatedAt.UTC()
		r.State = Pending
		if issued.Valid {
			t := issued.Time.UTC()
			r.State, r.IssuedAt, r.IssuedBy, r.ProviderRef = Issued, &t, issuedBy.String, ref.String
		}
		if err := json.Unmarshal([]byte(detail), &r.Parts); err != nil || r.Parts == nil {
			// Older or hand-made rows may hold "{}": no breakdown.
			r.Parts = []RefundShare{}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list refunds: %w", err)
	}
	if err := s.lineNames(ctx, q, out); err != nil {
		return nil, err
	}
	return out, nil
}

// lineNames fills the SKU and title of every line part.
func (s *Service) lineNames(ctx context.Context, q store.Querier, rs []Refund) error {
	var orders []int64
	for _, r := range rs {
		if !slices.Contains(orders, r.Order) {
			orders = append(orders, r.Order)
		}
	}
	type key struct {
		order int64
		pos   int
	}
	names := map[key][2]string{}
	for start := 0; start < len(orders); start += 500 {
		chunk := orders[start:min(start+500, len(orders))]
		marks := make([]string, len(chunk))
		args := make([]any, len(chunk))
		for i, o := range chunk {
			marks[i] = fmt.Sprintf("$%d", i+1)
			args[i] = o
		}
		rows, err := q.QueryContext(ctx, `SELECT order_id, position, sku, title FROM order_lines WHERE order_id IN (`+
			strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return fmt.Errorf("lines of refunds: %w", err)
		}
		for rows.Next() {
			var k key
			var n [2]string
			if err := rows.Scan(&k.order, &k.pos, &n[0], &n[1]); err != nil {
				rows.Close()
				return fmt.Errorf("lines of refunds: %w", err)
			}
			names[k] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("lines of refunds: %w", err)
		}
	}
	for i := range rs {
		for j := range rs[i].Parts {
			p := &rs[i].Parts[j]
			if !p.Shipping && p.Line > 0 {
				n := names[key{rs[i].Order, p.Line}]
				p.SKU, p.Title = n[0], n[1]
			}
		}
	}
	return nil
}

// Get returns one refund.
func (s *Service) Get(ctx context.Context, id int64) (*Refund, error) {
	return s.get(ctx, s.db.R, id)
}

func (s *Service) get(ctx context.Context, q store.Querier, id int64) (*Refund, error) {
	rs, err := s.query(ctx, q, refundQuery+" AND p.id = $1", id)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, apperr.New(apperr.NotFound, "refund %d not found", id)
	}
	return &rs[0], nil
}

// ForOrder returns an order's refunds, oldest first.
func (s *Service) ForOrder(ctx context.Context, order int64) ([]Refund, error) {
	return s.List(ctx, Filter{Order: order, Limit: 10000})
}

// MarkIssued records that refund id was paid back, with the payment
// provider's reference (optional). A refund is issued once: a second time is
// a conflict that says when and by whom it was.
func (s *Service) MarkIssued(ctx context.Context, id int64, providerRef string) (*Refund, error) {
	rs, err := s.MarkIssuedBulk(ctx, []int64{id}, providerRef)
	if err != nil {
		return nil, err
	}
	return &rs[0], nil
}

// MarkIssuedBulk marks several refunds issued in one transaction, all or
// none: if any is unknown or issued already, nothing changes and the error
// names them. Each refund marked gets an entry on its order's timeline
// (refund_issued: who, the amount, the provider's reference) in the same
// transaction. The refunds come back in id order.
func (s *Service) MarkIssuedBulk(ctx context.Context, ids []int64, providerRef string) ([]Refund, error) {
	if s.timeline == nil {
		return nil, fmt.Errorf("mark refunds issued: the refunds service has no order timeline")
	}
	providerRef = strings.TrimSpace(providerRef)
	if utf8.RuneCountInString(providerRef) > MaxProviderRefLen || !utf8.ValidString(providerRef) {
		return nil, apperr.InvalidField("provider_ref", "must be valid text of at most %d characters", MaxProviderRefLen)
	}
	if len(ids) == 0 || len(ids) > MaxBulk {
		return nil, apperr.InvalidField("ids", "give between 1 and %d refunds (got %d)", MaxBulk, len(ids))
	}
	// In id order, so that two bulk marks on PostgreSQL take their rows in
	// the same order and never deadlock.
	ids = slices.Sorted(slices.Values(ids))
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			return nil, apperr.InvalidField("ids", "refund %d is listed twice", id)
		}
		seen[id] = true
	}
	now := s.clock()
	who := actor(ctx)
	var out []Refund
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		var missing, issued []string
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `INSERT INTO refund_issues (payment_id, issued_at, issued_by, provider_ref)
				SELECT id, $2, $3, $4 FROM order_payments WHERE id = $1 AND kind = 'refund'
				ON CONFLICT (payment_id) DO NOTHING`, id, now, who, providerRef)
			if err != nil {
				return fmt.Errorf("mark refund %d issued: %w", id, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("mark refund %d issued: %w", id, err)
			}
			if n == 1 {
				continue
			}
			r, err := s.get(ctx, tx, id)
			switch {
			case apperr.Is(err, apperr.NotFound):
				missing = append(missing, fmt.Sprint(id))
			case err != nil:
				return err
			default:
				issued = append(issued, fmt.Sprintf("%d (at %s by %s)", id, r.IssuedAt.Format(time.RFC3339), r.IssuedBy))
			}
		}
		if len(missing) > 0 {
			return apperr.New(apperr.NotFound, "no refund %s: nothing was marked issued", strings.Join(missing, ", "))
		}
		if len(issued) > 0 {
			return apperr.New(apperr.Conflict, "refund %s was issued already: a refund is issued once, nothing was marked",
				strings.Join(issued, ", "))
		}
		for _, id := range ids {
			r, err := s.get(ctx, tx, id)
			if err != nil {
				return err
			}
			if _, err := s.timeline.RefundIssuedTx(ctx, tx, r.Order, r.ID, r.Amount, r.ProviderRef, who); err != nil {
				return fmt.Errorf("mark refund %d issued: %w", id, err)
			}
			out = append(out, *r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
