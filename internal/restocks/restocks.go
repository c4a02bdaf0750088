// Package restocks asks suppliers when a backordered SKU comes back. When
// units of a variant are backordered and no restock date is known (no staff
// date on the SKU's stock policy and no date in a supplier's feed), Orderly
// opens a restock question to each supplier with an active offer for it: one
// open question per (supplier, variant), however many orders wait. The
// supplier sees it in its console, its API and its daily digest, and answers
// with a date, "discontinued" or "unknown". A date is recorded as a feed
// restock date is (supplier_offer_restocks), becomes the expected date of
// the backordered lines, and each of their orders gets the event
// order.restock_expected, so the customer is told the date and asked whether
// the wait is acceptable. docs/out-of-stock.md describes the whole flow;
// docs/decisions/0018-restock-questions.md why it is built this way.
package restocks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
)

// Status of a question.
type Status string

// Statuses.
const (
	StatusOpen     Status = "open"     // waiting for the supplier's answer
	StatusAnswered Status = "answered" // the supplier (or staff for it) answered
	StatusClosed   Status = "closed"   // no longer needed: a date became known another way, or no unit waits
)

// Answer is what the supplier said.
type Answer string

// Answers.
const (
	AnswerDate         Answer = "date"         // back in stock on ExpectedAt
	AnswerDiscontinued Answer = "discontinued" // it will not come back
	AnswerUnknown      Answer = "unknown"      // the supplier does not know yet
)

// Question is one restock question to one supplier about one variant.
type Question struct {
	ID          int64      `json:"id"`
	SupplierID  int64      `json:"supplier_id"`
	Supplier    string     `json:"supplier"`
	VariantID   int64      `json:"variant_id"`
	OfferID     int64      `json:"offer_id"`
	SKU         string     `json:"sku" doc:"The store's SKU"`
	SupplierSKU string     `json:"supplier_sku" doc:"The supplier's own SKU of the offer"`
	Title       string     `json:"title"`
	Status      Status     `json:"status" enum:"open,answered,closed"`
	Answer      Answer     `json:"answer,omitempty" doc:"date, discontinued or unknown; empty until answered"`
	ExpectedAt  *time.Time `json:"expected_at,omitempty" doc:"The restock day the supplier gave (midnight UTC)"`
	Note        string     `json:"note,omitempty"`
	AnsweredBy  string     `json:"answered_by,omitempty"`
	Closed      string     `json:"closed_reason,omitempty" doc:"Why a question was closed without an answer"`
	// Waiting and Orders are the backordered units of the variant, and the
	// orders they belong to, now.
	Waiting    int        `json:"waiting_units"`
	Orders     int        `json:"waiting_orders"`
	AskedAt    time.Time  `json:"asked_at"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Options tune the service.
type Options struct {
	// AskAgainAfter is how long after an "unknown" answer a supplier may be
	// asked again about the same variant (default 7 days).
	AskAgainAfter time.Duration
	Logger        *slog.Logger
}

// Service opens, lists, answers and closes restock questions.
type Service struct {
	db     *store.DB
	inv    *inventory.Service
	orders *orders.Service
	now    func() time.Time
	opts   Options
	log    *slog.Logger
}

// New returns the restock question service.
func New(db *store.DB, inv *inventory.Service, ord *orders.Service, now func() time.Time, opts Options) *Service {
	if now == nil {
		now = time.Now
	}
	if opts.AskAgainAfter <= 0 {
		opts.AskAgainAfter = 7 * 24 * time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{db: db, inv: inv, orders: ord, now: now, opts: opts, log: opts.Logger}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// today is the start of the current UTC day: a restock date before it is
// past.
func (s *Service) today() time.Time { return s.clock().Truncate(24 * time.Hour) }

// OnBackordered is the order.backordered subscriber: it asks about every
// variant of the order that has backordered units and no known restock date.
// It runs in the event's job and may be retried: the open-question index
// makes a second run insert nothing.
func (s *Service) OnBackordered(ctx context.Context, e orders.EventArgs) error {
	o, err := s.orders.Get(ctx, e.Order)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return nil
		}
		return fmt.Errorf("restock questions for order %d: %w", e.Order, err)
	}
	var variants []int64
	for _, l := range o.Lines {
		if l.Backordered == 0 || (len(e.Lines) > 0 && !slices.Contains(e.Lines, l.ID)) {
			continue
		}
		if !slices.Contains(variants, l.VariantID) {
			variants = append(variants, l.VariantID)
		}
	}
	for _, v := range variants {
		if _, err := s.Ask(ctx, v); err != nil {
			return fmt.Errorf("restock questions for order %d: %w", e.Order, err)
		}
	}
	return nil
}

// Ask opens a question to each supplier with an active offer for the
// variant, if some of its units are backordered and no restock date is
// known. A supplier already asked (an open question), one that answered
// "discontinued", or one that answered "unknown" less than AskAgainAfter ago
// is not asked. It returns the number of questions opened.
func (s *Service) Ask(ctx context.Context, variantID int64) (int, error) {
	opened := 0
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		opened = 0
		need, err := s.needsAnswer(ctx, tx, variantID)
		if err != nil || !need {
			return err
		}
		now := s.clock()
		res, err := tx.ExecContext(ctx, `INSERT INTO restock_questions (supplier_id, variant_id, offer_id, status, asked_at, updated_at)
			SELECT o.supplier_id, o.variant_id, MIN(o.id), 'open', $2, $2 FROM supplier_offers o JOIN suppliers su ON su.id = o.supplier_id
			WHERE o.variant_id = $1 AND o.status = 'active' AND su.status = 'active'
				AND NOT EXISTS (SELECT 1 FROM restock_questions q WHERE q.supplier_id = o.supplier_id AND q.variant_id = o.variant_id
					AND (q.status = 'open' OR (q.status = 'answered' AND (q.answer = 'discontinued'
						OR (q.answer = 'unknown' AND q.answered_at > $3)))))
			GROUP BY o.supplier_id, o.variant_id
			ON CONFLICT DO NOTHING`, variantID, now, now.Add(-s.opts.AskAgainAfter))
		if err != nil {
			return fmt.Errorf("ask about variant %d: %w", variantID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("ask about variant %d: %w", variantID, err)
		}
		opened = int(n)
		return nil
	})
	if opened > 0 {
		s.log.Info("restock questions opened", "variant", variantID, "questions", opened)
	}
	return opened, err
}

// needsAnswer reports whether the variant has backordered units and no
// known restock date: none set by staff on its stock policy, none from a
// supplier (feed or answer) that is not past.
func (s *Service) needsAnswer(ctx context.Context, q store.Querier, variantID int64) (bool, error) {
	var waiting int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_lines WHERE variant_id = $1 AND qty_backordered > 0`,
		variantID).Scan(&waiting); err != nil {
		return false, fmt.Errorf("backordered lines of variant %d: %w", variantID, err)
	}
	if waiting == 0 {
		return false, nil
	}
	known, err := s.knownDate(ctx, q, variantID)
	return known == nil, err
}

// knownDate is the variant's known restock date: the staff's, else the
// earliest a supplier of an active offer gave that is not past; nil if none.
func (s *Service) knownDate(ctx context.Context, q store.Querier, variantID int64) (*time.Time, error) {
	pols, err := s.inv.Policies(ctx, q, []int64{variantID})
	if err != nil {
		return nil, err
	}
	if at := pols[variantID].RestockExpectedAt; at != nil {
		return at, nil
	}
	var at time.Time
	err = q.QueryRowContext(ctx, `SELECT r.expected_at FROM supplier_offer_restocks r
		JOIN supplier_offers o ON o.id = r.offer_id JOIN suppliers su ON su.id = o.supplier_id
		WHERE o.variant_id = $1 AND o.status = 'active' AND su.status = 'active' AND r.expected_at >= $2
		ORDER BY r.expected_at LIMIT 1`, variantID, s.today()).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("restock date of variant %d: %w", variantID, err)
	}
	at = at.UTC()
	return &at, nil
}

// Filter selects questions. SupplierID 0 is every supplier's (staff).
type Filter struct {
	SupplierID int64
	Status     Status // "" is any
	VariantID  int64
	Before     int64 // ids below this, for paging
	Limit      int   // default 50, at most 200
}

const questionColumns = `q.id, q.supplier_id, su.name, q.variant_id, q.offer_id, v.sku, o.supplier_sku,
	p.title || CASE WHEN v.title = '' THEN '' ELSE ' — ' || v.title END, q.status, q.answer, q.expected_at, q.note, q.answered_by,
	q.closed_reason, q.asked_at, q.answered_at, q.updated_at,
	(SELECT COALESCE(SUM(l.qty_backordered), 0) FROM order_lines l WHERE l.variant_id = q.variant_id AND l.qty_backordered > 0),
	(SELECT COUNT(DISTINCT l.order_id) FROM order_lines l WHERE l.variant_id = q.variant_id AND l.qty_backordered > 0)
	FROM restock_questions q JOIN suppliers su ON su.id = q.supplier_id JOIN variants v ON v.id = q.variant_id
	JOIN products p ON p.id = v.product_id JOIN supplier_offers o ON o.id = q.offer_id`

func scanQuestion(row interface{ Scan(...any) error }) (*Question, error) {
	var q Question
	var expected, answered sql.NullTime
	var status, answer string
	if err := row.Scan(&q.ID, &q.SupplierID, &q.Supplier, &q.VariantID, &q.OfferID, &q.SKU, &q.SupplierSKU, &q.Title, &status, &answer,
		&expected, &q.Note, &q.AnsweredBy, &q.Closed, &q.AskedAt, &answered, &q.UpdatedAt, &q.Waiting, &q.Orders); err != nil {
		return nil, err
	}
	q.Status, q.Answer = Status(status), Answer(answer)
	if expected.Valid {
		t := expected.Time.UTC()
		q.ExpectedAt = &t
	}
	if answered.Valid {
		t := answered.Time.UTC()
		q.AnsweredAt = &t
	}
	q.AskedAt, q.UpdatedAt = q.AskedAt.UTC(), q.UpdatedAt.UTC()
	return &q, nil
}

// List returns questions, newest first, and whether there are more.
func (s *Service) List(ctx context.Context, f Filter) ([]Question, bool, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 200)
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.SupplierID != 0 {
		where = append(where, "q.supplier_id = "+arg(f.SupplierID))
	}
	switch f.Status {
	case "":
	case StatusOpen, StatusAnswered, StatusClosed:
		where = append(where, "q.status = "+arg(string(f.Status)))
	default:
		return nil, false, apperr.InvalidField("status", "status must be open, answered or closed, not %q", f.Status)
	}
	if f.VariantID != 0 {
		where = append(where, "q.variant_id = "+arg(f.VariantID))
	}
	if f.Before > 0 {
		where = append(where, "q.id < "+arg(f.Before))
	}
	query := `SELECT ` + questionColumns
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY q.id DESC LIMIT " + arg(f.Limit+1)
	rows, err := s.db.R.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list restock questions: %w", err)
	}
	defer rows.Close()
	var out []Question
	for rows.Next() {
		q, err := scanQuestion(rows)
		if err != nil {
			return nil, false, fmt.Errorf("list restock questions: %w", err)
		}
		out = append(out, *q)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list restock questions: %w", err)
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	return out, more, nil
}

// Get returns one question; supplierID (0 for staff) scopes it: another
// supplier's question is NotFound.
func (s *Service) Get(ctx context.Context, supplierID, id int64) (*Question, error) {
	return s.get(ctx, s.db.R, supplierID, id, "")
}

func (s *Service) get(ctx context.Context, q store.Querier, supplierID, id int64, lock string) (*Question, error) {
	query := `SELECT ` + questionColumns + ` WHERE q.id = $1`
	args := []any{id}
	if supplierID != 0 {
		query += ` AND q.supplier_id = $2`
		args = append(args, supplierID)
	}
	qu, err := scanQuestion(q.QueryRowContext(ctx, query+lock, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "restock question %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("restock question %d: %w", id, err)
	}
	return qu, nil
}

// AnswerInput is a supplier's answer.
type AnswerInput struct {
	Answer Answer `json:"answer" enum:"date,discontinued,unknown" doc:"date: back in stock on expected_on; discontinued: it will not come back; unknown: not known yet"`
	// ExpectedOn is the restock day, YYYY-MM-DD, for the answer "date".
	ExpectedOn string `json:"expected_on,omitempty" doc:"The day it is back in stock, YYYY-MM-DD (answer date only)"`
	Note       string `json:"note,omitempty" maxLength:"500"`
}

// maxAhead bounds a restock date: further than this is a typing mistake.
const maxAhead = 2 * 366 * 24 * time.Hour

// Answer records the answer to an open question of the supplier's
// (supplierID 0: staff answering for the supplier), in one transaction. A
// date is stored as the offer's restock date (the table a feed writes),
// becomes the expected date of the variant's backordered lines, emits
// order.restock_expected for each of their orders, and closes the other
// suppliers' open questions about the variant.
func (s *Service) Answer(ctx context.Context, supplierID, id int64, in AnswerInput) (*Question, error) {
	var day time.Time
	switch in.Answer {
	case AnswerDate:
		var err error
		if day, err = time.Parse(time.DateOnly, strings.TrimSpace(in.ExpectedOn)); err != nil {
			return nil, apperr.InvalidField("expected_on", "the restock day must be a date like 2026-12-24, not %q", in.ExpectedOn)
		}
		if day.Before(s.today()) {
			return nil, apperr.InvalidField("expected_on", "the restock day %s is in the past", in.ExpectedOn)
		}
		if day.After(s.today().Add(maxAhead)) {
			return nil, apperr.InvalidField("expected_on", "the restock day %s is more than two years ahead", in.ExpectedOn)
		}
	case AnswerDiscontinued, AnswerUnknown:
		if strings.TrimSpace(in.ExpectedOn) != "" {
			return nil, apperr.InvalidField("expected_on", "give a restock day only with the answer \"date\"")
		}
	default:
		return nil, apperr.InvalidField("answer", "the answer must be date, discontinued or unknown, not %q", in.Answer)
	}
	note := strings.TrimSpace(in.Note)
	if len(note) > 500 {
		return nil, apperr.InvalidField("note", "the note is longer than 500 characters")
	}
	who := "system"
	if p := principal(ctx); p != "" {
		who = p
	}
	var told []int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		q, err := s.get(ctx, tx, supplierID, id, s.db.Dialect.ForUpdate())
		if err != nil {
			return err
		}
		if q.Status != StatusOpen {
			return apperr.New(apperr.Conflict, "restock question %d is already %s", id, q.Status)
		}
		now := s.clock()
		var expected any
		if in.Answer == AnswerDate {
			expected = day
		}
		res, err := tx.ExecContext(ctx, `UPDATE restock_questions SET status = 'answered', answer = $1, expected_at = $2, note = $3,
			answered_by = $4, answered_at = $5, updated_at = $5 WHERE id = $6 AND status = 'open'`,
			string(in.Answer), expected, note, who, now, id)
		if err != nil {
			return fmt.Errorf("answer restock question %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "restock question %d was answered meanwhile", id)
		}
		if in.Answer != AnswerDate {
			return nil
		}
		// As a feed records it: the offer's restock date. The feed's
		// snapshot no longer matches the table: the next run reads it back.
		if _, err := tx.ExecContext(ctx, `INSERT INTO supplier_offer_restocks (offer_id, expected_at, run_id, updated_at) VALUES ($1, $2, NULL, $3)
			ON CONFLICT (offer_id) DO UPDATE SET expected_at = excluded.expected_at, run_id = excluded.run_id, updated_at = excluded.updated_at`,
			q.OfferID, day, now); err != nil {
			return fmt.Errorf("store the restock date of offer %d: %w", q.OfferID, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE feed_settings SET offers_version = offers_version + 1 WHERE supplier_id = $1`, q.SupplierID); err != nil {
			return fmt.Errorf("store the restock date of offer %d: %w", q.OfferID, err)
		}
		// The earliest known date wins (another supplier's, or the staff's).
		at, err := s.knownDate(ctx, tx, q.VariantID)
		if err != nil {
			return err
		}
		if at == nil {
			at = &day
		}
		why := fmt.Sprintf("%s answered the restock question", q.Supplier)
		if told, err = s.orders.SetKnownRestock(ctx, tx, q.VariantID, *at, why); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE restock_questions SET status = 'closed', closed_reason = $1, updated_at = $2
			WHERE variant_id = $3 AND status = 'open'`, "a restock date is known: "+why, now, q.VariantID); err != nil {
			return fmt.Errorf("close the other questions of variant %d: %w", q.VariantID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("restock question answered", "question", id, "answer", in.Answer, "orders_told", len(told))
	return s.Get(ctx, supplierID, id)
}

// CloseSettled closes the open questions no longer needed: the variant has
// no backordered units, or a restock date became known another way (a feed,
// or staff). In the latter case the waiting lines get the date and their
// orders order.restock_expected, in the same transaction, as an answer
// would: their customers had only an estimate. It returns how many questions
// it closed.
func (s *Service) CloseSettled(ctx context.Context) (int, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT DISTINCT variant_id FROM restock_questions WHERE status = 'open' ORDER BY variant_id`)
	if err != nil {
		return 0, fmt.Errorf("open restock questions: %w", err)
	}
	var variants []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return 0, fmt.Errorf("open restock questions: %w", err)
		}
		variants = append(variants, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("open restock questions: %w", err)
	}
	closed := 0
	for _, v := range variants {
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			var waiting int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_lines WHERE variant_id = $1 AND qty_backordered > 0`, v).Scan(&waiting); err != nil {
				return fmt.Errorf("backordered lines of variant %d: %w", v, err)
			}
			reason := ""
			if waiting == 0 {
				reason = "no unit waits for a restock any more"
			} else {
				at, err := s.knownDate(ctx, tx, v)
				if err != nil {
					return err
				}
				if at != nil {
					reason = "a restock date is known: " + at.Format(time.DateOnly)
					// The question was open, so the waiting customers have
					// only an estimate: they are told the date now, as an
					// answer would tell them.
					if _, err := s.orders.SetKnownRestock(ctx, tx, v, *at, "a restock date became known"); err != nil {
						return err
					}
				}
			}
			if reason == "" {
				return nil
			}
			res, err := tx.ExecContext(ctx, `UPDATE restock_questions SET status = 'closed', closed_reason = $1, updated_at = $2
				WHERE variant_id = $3 AND status = 'open'`, reason, s.clock(), v)
			if err != nil {
				return fmt.Errorf("close questions of variant %d: %w", v, err)
			}
			n, _ := res.RowsAffected()
			closed += int(n)
			return nil
		})
		if err != nil {
			return closed, err
		}
	}
	return closed, nil
}

// principal is who is acting in ctx, for answered_by and the timeline.
func principal(ctx context.Context) string {
	if p := auth.FromContext(ctx); p != nil {
		return p.Actor()
	}
	return ""
}
