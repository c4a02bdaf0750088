package purchasing

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/mail"
	"github.com/orderly-oms/orderly/internal/signature"
)

// Mailer sends one email; *mail.Sender satisfies it.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) (string, error)
}

// SignatureHeader carries a webhook's signature: "t=<unix seconds>,v1=<hex
// HMAC-SHA256 of "<t>.<body>" keyed with the supplier's secret>".
const SignatureHeader = "X-Orderly-Signature"

// Sign returns the SignatureHeader value for body sent at t (the scheme of
// internal/signature).
func Sign(secret string, t time.Time, body []byte) string {
	return signature.Sign([]byte(secret), t, body)
}

// Verify checks a SignatureHeader value against body: the signature must
// match and its timestamp be within tolerance of now (receivers use it, and
// the tests).
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	return signature.Verify([]byte(secret), header, body, now, tolerance)
}

// WebhookPayload is the JSON body of a PO webhook.
type WebhookPayload struct {
	Event         string     `json:"event"` // "purchase_order.sent"
	Attempt       int        `json:"attempt"`
	PurchaseOrder PODocument `json:"purchase_order"`
}

// MaxAutoAttempts bounds the send job's automatic retries of a PO that failed
// with a temporary error; after that it waits for staff (Resend).
const MaxAutoAttempts = 5

// temporaryPrefix marks a last_error the send job will retry by itself.
const temporaryPrefix = "temporary: "

// attempt is one try to transmit a PO, recorded in purchase_order_sends.
type attempt struct {
	ok     bool
	detail string
	at     time.Time
}

// SendDue claims and sends every PO whose send_after has come, and retries
// POs whose last send failed with a temporary error once their backoff has
// passed. Each PO is claimed with a conditional UPDATE, so two instances
// never send one PO twice. It returns how many POs it sent.
func (s *Service) SendDue(ctx context.Context) (int, error) {
	now := s.clock()
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, state, send_attempts, updated_at FROM purchase_orders
		WHERE (state = 'open' AND send_after <= $1)
		   OR (state = 'sending' AND last_error LIKE 'temporary: %' AND send_attempts < $2)
		ORDER BY send_after, id LIMIT 100`, now, MaxAutoAttempts)
	if err != nil {
		return 0, fmt.Errorf("due purchase orders: %w", err)
	}
	type due struct {
		id       int64
		state    string
		attempts int
		updated  time.Time
	}
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.state, &d.attempts, &d.updated); err != nil {
			rows.Close()
			return 0, fmt.Errorf("due purchase orders: %w", err)
		}
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("due purchase orders: %w", err)
	}
	sent := 0
	var errs []error
	for _, d := range list {
		if d.state == string(POSending) && now.Before(d.updated.Add(s.retryDelay(d.attempts))) {
			continue
		}
		ok, err := s.claim(ctx, d.id, POState(d.state), d.attempts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue // another instance has it, or it changed meanwhile
		}
		done, err := s.transmit(ctx, d.id)
		if err != nil {
			errs = append(errs, err)
		}
		if done {
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

// retryDelay is the wait after a PO's attempts-th failed send.
func (s *Service) retryDelay(attempts int) time.Duration {
	d := time.Minute
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return d
}

// claim takes a PO for sending: open → sending, or a temporarily failed
// sending PO whose attempt count is unchanged. It reports whether this call
// won the claim.
func (s *Service) claim(ctx context.Context, id int64, from POState, attempts int) (bool, error) {
	var res sql.Result
	var err error
	now := s.clock()
	if from == POOpen {
		res, err = s.db.W.ExecContext(ctx, `UPDATE purchase_orders SET state = 'sending', last_error = '', updated_at = $1
			WHERE id = $2 AND state = 'open'`, now, id)
	} else {
		res, err = s.db.W.ExecContext(ctx, `UPDATE purchase_orders SET last_error = '', updated_at = $1
			WHERE id = $2 AND state = 'sending' AND send_attempts = $3 AND last_error LIKE 'temporary: %'`, now, id, attempts)
	}
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", Number(id), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", Number(id), err)
	}
	return n == 1, nil
}

// Resend sends again a PO whose last send failed (staff). Conflict when the
// PO is not waiting in sending with an error.
func (s *Service) Resend(ctx context.Context, id int64) (*PurchaseOrder, error) {
	res, err := s.db.W.ExecContext(ctx, `UPDATE purchase_orders SET last_error = '', updated_at = $1
		WHERE id = $2 AND state = 'sending' AND last_error <> ''`, s.clock(), id)
	if err != nil {
		return nil, fmt.Errorf("resend %s: %w", Number(id), err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("resend %s: %w", Number(id), err)
	} else if n != 1 {
		po, err := s.Get(ctx, 0, id)
		if err != nil {
			return nil, err
		}
		return nil, apperr.New(apperr.Conflict, "%s is %s, not failed: only a PO whose send failed can be sent again", po.Number, po.State)
	}
	if _, err := s.transmit(ctx, id); err != nil {
		return nil, err
	}
	return s.Get(ctx, 0, id)
}

// transmit sends a claimed PO by its supplier's current channel and records
// the outcome. It reports whether the PO is now sent; a failed send is not an
// error of transmit (it is recorded on the PO).
func (s *Service) transmit(ctx context.Context, id int64) (bool, error) {
	po, err := s.Get(ctx, 0, id)
	if err != nil {
		return false, err
	}
	f, err := s.loadFulfilment(ctx, s.db.R, po.SupplierID)
	if err != nil {
		return false, err
	}
	doc, err := s.document(ctx, s.db.R, po)
	if err != nil {
		return false, err
	}
	if doc.AnswerBy == nil {
		// A first send: the deadline recordSend will store is the send time
		// plus the SLA; the supplier is told this one, a moment earlier.
		due := s.clock().Add(f.SLA())
		doc.AnswerBy = &due
	}
	var (
		tries     []attempt
		permanent bool
	)
	switch f.Channel {
	case ChannelEmail:
		tries, permanent = s.sendEmail(ctx, f, doc)
	case ChannelWebhook:
		tries, permanent = s.sendWebhook(ctx, f, doc, po.SendAttempts)
	default:
		tries = []attempt{{ok: true, detail: "available in the supplier console", at: s.clock()}}
	}
	return s.recordSend(ctx, po, f, tries, permanent)
}

// recordSend writes the attempts and, on success, marks the PO sent with its
// answer deadline and puts "po_sent" on each order line's timeline.
func (s *Service) recordSend(ctx context.Context, po *PurchaseOrder, f Fulfilment, tries []attempt, permanent bool) (bool, error) {
	last := tries[len(tries)-1]
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		for i, a := range tries {
			if _, err := tx.ExecContext(ctx, `INSERT INTO purchase_order_sends (purchase_order_id, channel, attempt, ok, detail, created_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, po.ID, string(f.Channel), po.SendAttempts+i+1, a.ok, a.detail, a.at); err != nil {
				return fmt.Errorf("record send of %s: %w", po.Number, err)
			}
		}
		attempts := po.SendAttempts + len(tries)
		now := s.clock()
		if !last.ok {
			msg := last.detail
			if !permanent && attempts < MaxAutoAttempts {
				msg = temporaryPrefix + msg
			}
			_, err := tx.ExecContext(ctx, `UPDATE purchase_orders SET send_attempts = $1, last_error = $2, channel = $3,
				updated_at = $4 WHERE id = $5 AND state = 'sending'`, attempts, msg, string(f.Channel), now, po.ID)
			if err != nil {
				return fmt.Errorf("record send of %s: %w", po.Number, err)
			}
			return nil
		}
		due := now.Add(f.SLA())
		res, err := tx.ExecContext(ctx, `UPDATE purchase_orders SET state = 'sent', sent_at = $1, ack_due_at = $2,
			send_attempts = $3, last_error = '', channel = $4, updated_at = $1 WHERE id = $5 AND state = 'sending'`,
			now, due, attempts, string(f.Channel), po.ID)
		if err != nil {
			return fmt.Errorf("mark %s sent: %w", po.Number, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "%s is no longer being sent", po.Number)
		}
		if _, err := s.settlePO(ctx, tx, po.ID); err != nil {
			return err
		}
		return s.noteLines(ctx, tx, po.Lines, "po_sent", "system:purchasing", "", func(l Line) any {
			return map[string]any{"purchase_order": po.Number, "supplier_id": po.SupplierID, "channel": f.Channel,
				"po_line_id": l.ID, "quantity": l.Quantity - l.Cancelled, "answer_by": due}
		})
	})
	if err != nil {
		return false, err
	}
	if !last.ok {
		s.log.Warn("purchase order not sent", "po", po.Number, "channel", f.Channel, "error", last.detail, "permanent", permanent)
	}
	return last.ok, nil
}

// noteLines records one timeline entry per PO line on its order.
func (s *Service) noteLines(ctx context.Context, tx *sql.Tx, lines []Line, event, who, reason string, detail func(Line) any) error {
	if s.opts.Timeline == nil {
		return nil
	}
	for _, l := range lines {
		if l.Quantity == l.Cancelled {
			continue
		}
		if err := s.opts.Timeline.NoteTx(ctx, tx, l.OrderID, l.OrderLineID, event, who, reason, detail(l)); err != nil {
			return err
		}
	}
	return nil
}

// sendEmail mails the PO with its CSV attached. A temporary SMTP failure
// is retried by the send job; any other failure is permanent.
func (s *Service) sendEmail(ctx context.Context, f Fulfilment, doc PODocument) ([]attempt, bool) {
	if s.opts.Mailer == nil {
		return []attempt{{detail: "email is not configured (no SMTP settings)", at: s.clock()}}, true
	}
	id, err := s.opts.Mailer.Send(ctx, mail.Message{
		To:      []string{f.EmailTo},
		Subject: emailSubject(f, doc),
		Text:    emailText(f, doc),
		Headers: map[string]string{"X-Orderly-PO": doc.Number},
		Attachments: []mail.Attachment{{Name: doc.Number + ".csv", ContentType: "text/csv; charset=utf-8",
			Data: CSV(doc)}},
	})
	if err != nil {
		return []attempt{{detail: err.Error(), at: s.clock()}}, !mail.Temporary(err)
	}
	return []attempt{{ok: true, detail: "email " + id + " to " + f.EmailTo, at: s.clock()}}, false
}

func docLines(d PODocument) int {
	n := 0
	for _, o := range d.Orders {
		n += len(o.Lines)
	}
	return n
}

// sendWebhook POSTs the signed PO document, retrying with backoff on 5xx,
// 429 and network errors (not on other 4xx, which are permanent).
func (s *Service) sendWebhook(ctx context.Context, f Fulfilment, doc PODocument, prior int) ([]attempt, bool) {
	if err := s.checkWebhookURL(f.WebhookURL); err != nil {
		return []attempt{{detail: "webhook_url " + err.Error(), at: s.clock()}}, true
	}
	var tries []attempt
	wait := s.opts.Backoff
	for i := 0; ; i++ {
		body, _ := json.Marshal(WebhookPayload{Event: "purchase_order.sent", Attempt: prior + i + 1, PurchaseOrder: doc})
		a, retry := s.postWebhook(ctx, f, doc.Number, body)
		tries = append(tries, a)
		if a.ok {
			return tries, false
		}
		if !retry {
			return tries, true
		}
		if i >= s.opts.WebhookRetries {
			return tries, false
		}
		if err := s.opts.Sleep(ctx, wait); err != nil {
			return tries, false
		}
		wait *= 2
	}
}

func (s *Service) postWebhook(ctx context.Context, f Fulfilment, number string, body []byte) (attempt, bool) {
	now := s.now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return attempt{detail: err.Error(), at: s.clock()}, false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Orderly")
	req.Header.Set("X-Orderly-Event", "purchase_order.sent")
	req.Header.Set("X-Orderly-PO", number)
	req.Header.Set(SignatureHeader, Sign(f.WebhookSecret, now, body))
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return attempt{detail: "POST " + f.WebhookURL + ": " + err.Error(), at: s.clock()}, true
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	detail := "HTTP " + strconv.Itoa(resp.StatusCode)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return attempt{ok: true, detail: detail, at: s.clock()}, false
	}
	if len(snippet) > 0 {
		detail += ": " + strings.TrimSpace(string(snippet))
	}
	retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
	return attempt{detail: detail, at: s.clock()}, retry
}
