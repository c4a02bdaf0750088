package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/mail"
)

// sendLease is how long a claimed notification stays with the job that
// claimed it: a job that died mid-send (crash, restart) leaves the row
// "sending", and River's rescuer retries the job after its timeout; after
// the lease that retry may claim it again.
const sendLease = 10 * time.Minute

// State is the delivery state of a notification.
type State string

// States.
const (
	StateQueued  State = "queued"  // waiting for its send job
	StateSending State = "sending" // claimed by a send job
	StateSent    State = "sent"    // the mail server took it
	StateFailed  State = "failed"  // the last attempt failed (retried while attempts remain)
)

// Notification is one message to a customer and its delivery log.
type Notification struct {
	ID        int64      `json:"id"`
	Order     int64      `json:"order"`
	Kind      Kind       `json:"kind"`
	Event     string     `json:"event" doc:"The order event that made it"`
	Entry     int64      `json:"entry" doc:"The timeline entry of that event"`
	Locale    string     `json:"locale"`
	Recipient string     `json:"recipient"`
	Subject   string     `json:"subject"`
	State     State      `json:"state" enum:"queued,sending,sent,failed"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	MessageID string     `json:"message_id,omitempty"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	// Text and HTML are the message as sent (Get only).
	Text string `json:"text,omitempty"`
	HTML string `json:"html,omitempty"`
}

// SendArgs is the job that sends one notification.
type SendArgs struct {
	Notification int64 `json:"notification"`
	MaxAttempts  int   `json:"max_attempts,omitempty"`
	// After holds the first attempt until then (zero: at once).
	After time.Time `json:"after,omitzero"`
}

// Kind is the River job kind.
func (SendArgs) Kind() string { return "send_notification" }

// InsertOpts bounds the attempts; River backs off longer after each.
func (a SendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: a.MaxAttempts, ScheduledAt: a.After}
}

// SendWorker works SendArgs with Notify (set once the service exists).
type SendWorker struct {
	river.WorkerDefaults[SendArgs]
	Notify *Service
}

// Work sends the notification. A temporary failure is returned for River to
// retry with backoff; a permanent one (or the last attempt) is final and
// written on the order's timeline.
func (w *SendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	if w.Notify == nil {
		return fmt.Errorf("send notification: the worker is not bound to the service")
	}
	err := w.Notify.Deliver(ctx, job.Args.Notification, job.Attempt >= job.MaxAttempts)
	if err != nil && !mail.Temporary(err) {
		return river.JobCancel(err)
	}
	return err
}

func (s *Service) enqueue(ctx context.Context, tx *sql.Tx, id int64, after time.Time) error {
	if s.jobs == nil {
		return fmt.Errorf("enqueue notification %d: the service has no job queue", id)
	}
	if _, err := s.jobs.InsertTx(ctx, tx, SendArgs{Notification: id, MaxAttempts: s.opts.MaxAttempts, After: after}); err != nil {
		return fmt.Errorf("enqueue notification %d: %w", id, err)
	}
	return nil
}

// Deliver claims notification id and sends it. It does nothing for a
// notification already sent or being sent by another job. last says this is
// the last attempt: a failure is then final, like a permanent one, and is
// written on the order's timeline. The error is the send's (see
// mail.Temporary).
func (s *Service) Deliver(ctx context.Context, id int64, last bool) error {
	now := s.clock()
	r, err := s.db.W.ExecContext(ctx, `UPDATE notifications SET state = 'sending', attempts = attempts + 1, claimed_at = $1, updated_at = $1
		WHERE id = $2 AND (state IN ('queued', 'failed') OR (state = 'sending' AND claimed_at < $3))`, now, id, now.Add(-sendLease))
	if err != nil {
		return &mail.Error{Op: "send", Temporary: true, Err: fmt.Errorf("claim notification %d: %w", id, err)}
	}
	if n, _ := r.RowsAffected(); n == 0 {
		var st State
		err := s.db.R.QueryRowContext(ctx, `SELECT state FROM notifications WHERE id = $1`, id).Scan(&st)
		switch {
		case errors.Is(err, sql.ErrNoRows), err == nil && st != StateSending:
			return nil // sent
		case err != nil:
			return &mail.Error{Op: "send", Temporary: true, Err: fmt.Errorf("read notification %d: %w", id, err)}
		}
		// Claimed within the lease: by another job now, or by an attempt that
		// could not record its outcome. Try again later rather than end this
		// job: once the lease is over, this job is the one that sends it.
		return &mail.Error{Op: "send", Temporary: true, Err: fmt.Errorf("notification %d is being sent by another attempt", id)}
	}
	n, err := s.Get(ctx, id)
	if err != nil {
		return &mail.Error{Op: "send", Temporary: true, Err: err}
	}
	// Customers' replies go to the store's support address.
	st, err := loadSettings(ctx, s.db.R)
	if err != nil {
		return &mail.Error{Op: "send", Temporary: true, Err: err}
	}
	msgID, sendErr := s.mail.Send(ctx, mail.Message{To: []string{n.Recipient}, Subject: n.Subject, Text: n.Text, HTML: n.HTML,
		ReplyTo: st.Branding.SupportEmail,
		Headers: map[string]string{"X-Orderly-Order": strconv.FormatInt(n.Order, 10), "X-Orderly-Notification": strconv.FormatInt(id, 10)}})
	// What happened is recorded even when ctx ended meanwhile (the job's
	// timeout, a shutdown): a message the server took must not stay
	// "sending" (its lease would let a retry send it again), and a failed
	// one must be retried, not left claimed.
	ctx = context.WithoutCancel(ctx)
	now = s.clock()
	if sendErr == nil {
		if _, err := s.db.W.ExecContext(ctx, `UPDATE notifications SET state = 'sent', message_id = $1, last_error = '', sent_at = $2, updated_at = $2
			WHERE id = $3`, msgID, now, id); err != nil {
			// The message went: do not let a retry send it again.
			s.log.Error("notification sent but not recorded", "notification", id, "message_id", msgID, "err", err)
		}
		return nil
	}
	if _, err := s.db.W.ExecContext(ctx, `UPDATE notifications SET state = 'failed', last_error = $1, updated_at = $2 WHERE id = $3`,
		sendErr.Error(), now, id); err != nil {
		return errors.Join(sendErr, fmt.Errorf("record notification %d: %w", id, err))
	}
	final := last || !mail.Temporary(sendErr)
	s.log.Warn("notification not sent", "notification", id, "order", n.Order, "kind", n.Kind, "final", final, "err", sendErr)
	if final {
		// The reason names no address: every role reading the timeline sees
		// it (the delivery log keeps the full error).
		reason := fmt.Sprintf("%s email not sent after %d attempt(s): %s", n.Kind, n.Attempts, why(sendErr))
		if _, err := s.orders.RecordNotice(ctx, n.Order, "notification_failed", reason,
			map[string]any{"notification": id, "kind": n.Kind, "attempts": n.Attempts}); err != nil {
			return errors.Join(sendErr, err)
		}
		if mail.Temporary(sendErr) {
			// Final all the same: no retry after the last attempt.
			return &mail.Error{Op: "send", Err: sendErr}
		}
	}
	return sendErr
}

// why says in a few words why a send failed.
func why(err error) string {
	switch {
	case errors.Is(err, ErrMailOff):
		return "email is off"
	case mail.Code(err) != 0:
		return fmt.Sprintf("the mail server answered %d", mail.Code(err))
	case errors.Is(err, mail.ErrAddress):
		return "the address is not valid"
	case errors.Is(err, mail.ErrSettings):
		return "the email settings are not valid"
	case mail.Temporary(err):
		return "the mail server could not be reached"
	}
	return "the message was refused"
}

const notificationColumns = `id, order_id, kind, event, entry_id, locale, recipient, subject, state, attempts, last_error, message_id,
	sent_at, created_at, updated_at`

func scanNotification(row interface{ Scan(...any) error }, extra ...any) (Notification, error) {
	var n Notification
	var sent sql.NullTime
	err := row.Scan(append([]any{&n.ID, &n.Order, &n.Kind, &n.Event, &n.Entry, &n.Locale, &n.Recipient, &n.Subject, &n.State, &n.Attempts,
		&n.LastError, &n.MessageID, &sent, &n.CreatedAt, &n.UpdatedAt}, extra...)...)
	if err != nil {
		return n, err
	}
	if sent.Valid {
		t := sent.Time.UTC()
		n.SentAt = &t
	}
	n.CreatedAt, n.UpdatedAt = n.CreatedAt.UTC(), n.UpdatedAt.UTC()
	return n, nil
}

// Get returns one notification with its message.
func (s *Service) Get(ctx context.Context, id int64) (Notification, error) {
	var text, html string
	n, err := scanNotification(s.db.R.QueryRowContext(ctx, `SELECT `+notificationColumns+`, body_text, body_html FROM notifications WHERE id = $1`, id),
		&text, &html)
	n.Text, n.HTML = text, html
	if errors.Is(err, sql.ErrNoRows) {
		return n, apperr.New(apperr.NotFound, "notification %d not found", id)
	}
	if err != nil {
		return n, fmt.Errorf("read notification %d: %w", id, err)
	}
	return n, nil
}

// ForOrder returns the notifications of an order, oldest first (the
// delivery log), without their bodies.
func (s *Service) ForOrder(ctx context.Context, order int64) ([]Notification, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+notificationColumns+` FROM notifications WHERE order_id = $1 ORDER BY id`, order)
	if err != nil {
		return nil, fmt.Errorf("notifications of order %d: %w", order, err)
	}
	defer rows.Close()
	out := []Notification{}
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, fmt.Errorf("notifications of order %d: %w", order, err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Resend queues a failed notification again (a new send job), for example
// once the SMTP settings are fixed. who is the actor, kept in the log.
func (s *Service) Resend(ctx context.Context, id int64, who string) (Notification, error) {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var st State
		err := tx.QueryRowContext(ctx, `SELECT state FROM notifications WHERE id = $1`, id).Scan(&st)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.NotFound, "notification %d not found", id)
		}
		if err != nil {
			return fmt.Errorf("resend notification %d: %w", id, err)
		}
		if st != StateFailed {
			return apperr.New(apperr.Conflict, "notification %d is %s: only a failed notification can be sent again", id, st)
		}
		r, err := tx.ExecContext(ctx, `UPDATE notifications SET state = 'queued', last_error = $1, updated_at = $2 WHERE id = $3 AND state = 'failed'`,
			"queued again by "+who, s.clock(), id)
		if err != nil {
			return fmt.Errorf("resend notification %d: %w", id, err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "notification %d changed meanwhile: try again", id)
		}
		return s.enqueue(ctx, tx, id, time.Time{})
	})
	if err != nil {
		return Notification{}, err
	}
	return s.Get(ctx, id)
}
