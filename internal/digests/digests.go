// Package digests sends each supplier its daily summary, in its language: the
// lines sent to it in the last day, those it has not answered, those late to
// ship, open issues (answers past the deadline, parcels the carrier reports
// in trouble), and a reconciliation of each open purchase order — units we
// sent against units it shipped, rejected, or still has open. One digest per
// supplier and local day, claimed by inserting its row (migration 00020), so
// several instances never send it twice. docs/followup.md describes it.
package digests

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	orderlymail "github.com/orderly-oms/orderly/internal/mail"
	"github.com/orderly-oms/orderly/internal/store"
)

// Mailer sends one email; *mail.Sender is one.
type Mailer interface {
	Send(ctx context.Context, m orderlymail.Message) (string, error)
}

// Options tune the service.
type Options struct {
	// Hour is the supplier's local hour from which its digest of the day
	// goes out (default 7).
	Hour int
	// MaxAttempts bounds the sends of one digest that failed for a
	// temporary reason (default 5); the job retries at each run.
	MaxAttempts int
	Logger      *slog.Logger
}

// Service builds and sends the digests.
type Service struct {
	db     *store.DB
	mailer Mailer
	now    func() time.Time
	opts   Options
}

// New returns the digest service. mailer may be nil: digests are then built
// and kept (the supplier console shows them) with status no_recipient.
func New(db *store.DB, mailer Mailer, now func() time.Time, opts Options) *Service {
	if now == nil {
		now = time.Now
	}
	if opts.Hour <= 0 || opts.Hour > 23 {
		opts.Hour = 7
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{db: db, mailer: mailer, now: now, opts: opts}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Status of a stored digest.
type Status string

// Statuses.
const (
	StatusSending     Status = "sending"      // claimed by a run
	StatusSent        Status = "sent"         // accepted by the mail server
	StatusFailed      Status = "failed"       // the last send failed; retried while attempts remain
	StatusNoRecipient Status = "no_recipient" // built and kept, but the supplier has no email address
	StatusEmpty       Status = "empty"        // nothing to report: not sent
)

// Stored is a digest as kept for the supplier console.
type Stored struct {
	SupplierID int64     `json:"supplier_id"`
	Day        string    `json:"day" doc:"The supplier's local day, YYYY-MM-DD"`
	Locale     string    `json:"locale"`
	Status     Status    `json:"status" enum:"sending,sent,failed,no_recipient,empty"`
	Recipients string    `json:"recipients"`
	Subject    string    `json:"subject"`
	Body       string    `json:"body"`
	Error      string    `json:"error,omitempty"`
	Attempts   int       `json:"attempts"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Result counts what a run did.
type Result struct {
	Suppliers int // suppliers whose day had come
	Sent      int
	Failed    int
	Skipped   int // empty, or no recipient
}

type supplier struct {
	id     int64
	name   string
	loc    *time.Location
	locale string
	to     []string
}

// Run sends the digest of the day to every active supplier whose local hour
// has come and who has none yet for its local day (or whose last attempt
// failed for a temporary reason and has attempts left).
func (s *Service) Run(ctx context.Context) (Result, error) {
	var res Result
	sups, err := s.suppliers(ctx)
	if err != nil {
		return res, err
	}
	now := s.clock()
	var errs []error
	for _, sup := range sups {
		local := now.In(sup.loc)
		if local.Hour() < s.opts.Hour {
			continue
		}
		res.Suppliers++
		day := local.Format(time.DateOnly)
		claimed, err := s.claim(ctx, sup, day, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !claimed {
			continue
		}
		st, err := s.deliver(ctx, sup, day, now)
		if err != nil {
			errs = append(errs, err)
		}
		switch st {
		case StatusSent:
			res.Sent++
		case StatusFailed:
			res.Failed++
		case StatusEmpty, StatusNoRecipient:
			res.Skipped++
		}
	}
	return res, errors.Join(errs...)
}

// claim takes the supplier's digest of day for this run: a new row, or a
// failed one with attempts left. false: another run has it or it is done.
func (s *Service) claim(ctx context.Context, sup supplier, day string, now time.Time) (bool, error) {
	r, err := s.db.W.ExecContext(ctx, `INSERT INTO supplier_digests (supplier_id, local_day, locale, status, attempts, created_at, updated_at)
		VALUES ($1, $2, $3, 'sending', 1, $4, $4) ON CONFLICT (supplier_id, local_day) DO NOTHING`, sup.id, day, sup.locale, now)
	if err != nil {
		return false, fmt.Errorf("claim digest of supplier %d for %s: %w", sup.id, day, err)
	}
	if n, _ := r.RowsAffected(); n == 1 {
		return true, nil
	}
	r, err = s.db.W.ExecContext(ctx, `UPDATE supplier_digests SET status = 'sending', attempts = attempts + 1, updated_at = $1
		WHERE supplier_id = $2 AND local_day = $3 AND status = 'failed' AND attempts < $4`, now, sup.id, day, s.opts.MaxAttempts)
	if err != nil {
		return false, fmt.Errorf("claim digest of supplier %d for %s: %w", sup.id, day, err)
	}
	n, _ := r.RowsAffected()
	return n == 1, nil
}

// deliver builds the claimed digest, sends it and records the outcome.
func (s *Service) deliver(ctx context.Context, sup supplier, day string, now time.Time) (Status, error) {
	d, err := s.Build(ctx, sup.id, now)
	if err != nil {
		s.finish(ctx, sup.id, day, StatusFailed, "", "", "", err.Error())
		return StatusFailed, err
	}
	subject, body := Render(d)
	to := strings.Join(sup.to, ", ")
	switch {
	case d.Empty():
		return StatusEmpty, s.finish(ctx, sup.id, day, StatusEmpty, to, subject, body, "")
	case len(sup.to) == 0 || s.mailer == nil:
		return StatusNoRecipient, s.finish(ctx, sup.id, day, StatusNoRecipient, to, subject, body, "")
	}
	id, err := s.mailer.Send(ctx, orderlymail.Message{To: sup.to, Subject: subject, Text: body,
		Headers: map[string]string{"X-Orderly-Digest": fmt.Sprintf("%d/%s", sup.id, day)}})
	if err != nil {
		st := StatusFailed
		if !orderlymail.Temporary(err) {
			// A permanent refusal (bad address): keep it visible, do not retry.
			if _, e := s.db.W.ExecContext(ctx, `UPDATE supplier_digests SET attempts = $1 WHERE supplier_id = $2 AND local_day = $3`,
				s.opts.MaxAttempts, sup.id, day); e != nil {
				err = errors.Join(err, e)
			}
		}
		s.opts.Logger.Warn("supplier digest not sent", "supplier", sup.id, "day", day, "err", err)
		return st, errors.Join(fmt.Errorf("send digest of supplier %d for %s: %w", sup.id, day, err),
			s.finish(ctx, sup.id, day, st, to, subject, body, err.Error()))
	}
	if e := s.finish(ctx, sup.id, day, StatusSent, to, subject, body, ""); e != nil {
		return StatusSent, e
	}
	if _, e := s.db.W.ExecContext(ctx, `UPDATE supplier_digests SET message_id = $1 WHERE supplier_id = $2 AND local_day = $3`, id, sup.id, day); e != nil {
		return StatusSent, fmt.Errorf("record digest of supplier %d for %s: %w", sup.id, day, e)
	}
	return StatusSent, nil
}

func (s *Service) finish(ctx context.Context, supplierID int64, day string, st Status, to, subject, body, errText string) error {
	_, err := s.db.W.ExecContext(ctx, `UPDATE supplier_digests SET status = $1, recipients = $2, subject = $3, body = $4, error = $5, updated_at = $6
		WHERE supplier_id = $7 AND local_day = $8`, st, to, subject, body, errText, s.clock(), supplierID, day)
	if err != nil {
		return fmt.Errorf("record digest of supplier %d for %s: %w", supplierID, day, err)
	}
	return nil
}

// suppliers reads the active suppliers with their zone, language and the
// addresses their digest goes to: the purchase-order address of their
// fulfilment settings, else every contact with an email.
func (s *Service) suppliers(ctx context.Context) ([]supplier, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT su.id, su.name, su.timezone, COALESCE(f.locale, 'en'), COALESCE(f.email_to, ''),
		COALESCE((SELECT `+s.aggEmails()+` FROM supplier_contacts c WHERE c.supplier_id = su.id AND c.email <> ''), '')
		FROM suppliers su LEFT JOIN supplier_fulfilment f ON f.supplier_id = su.id
		WHERE su.status = 'active' ORDER BY su.id`)
	if err != nil {
		return nil, fmt.Errorf("digest suppliers: %w", err)
	}
	defer rows.Close()
	var out []supplier
	for rows.Next() {
		var sup supplier
		var tz, emailTo, contacts string
		if err := rows.Scan(&sup.id, &sup.name, &tz, &sup.locale, &emailTo, &contacts); err != nil {
			return nil, fmt.Errorf("digest suppliers: %w", err)
		}
		if sup.loc, err = time.LoadLocation(tz); err != nil {
			sup.loc = time.UTC
		}
		list := emailTo
		if strings.TrimSpace(list) == "" {
			list = contacts
		}
		for _, a := range strings.Split(list, ",") {
			if addr, err := mail.ParseAddress(strings.TrimSpace(a)); err == nil {
				sup.to = append(sup.to, addr.Address)
			}
		}
		out = append(out, sup)
	}
	return out, rows.Err()
}

func (s *Service) aggEmails() string {
	if s.db.Engine == store.Postgres {
		return "string_agg(c.email, ',' ORDER BY c.id)"
	}
	return "group_concat(c.email, ',')"
}

// List returns a supplier's stored digests, newest first.
func (s *Service) List(ctx context.Context, supplierID int64, limit int) ([]Stored, error) {
	if limit <= 0 || limit > 100 {
		limit = 30
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT supplier_id, local_day, locale, status, recipients, subject, body, error, attempts, created_at, updated_at
		FROM supplier_digests WHERE supplier_id = $1 ORDER BY local_day DESC LIMIT $2`, supplierID, limit)
	if err != nil {
		return nil, fmt.Errorf("digests of supplier %d: %w", supplierID, err)
	}
	defer rows.Close()
	out := []Stored{}
	for rows.Next() {
		var d Stored
		if err := rows.Scan(&d.SupplierID, &d.Day, &d.Locale, &d.Status, &d.Recipients, &d.Subject, &d.Body, &d.Error, &d.Attempts,
			&d.CreatedAt, &d.UpdatedAt); err != nil {
			return nil, fmt.Errorf("digests of supplier %d: %w", supplierID, err)
		}
		d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}
