// Package mail sends email over SMTP. It is a thin edge over github.com/wneessen/go-mail:
// Settings say where the server is, a Message is what to send, and Sender.Send dials,
// sends one message and hangs up. Errors say whether a retry can help (Temporary), so
// callers that retry (the purchase-order sender) stop on permanent failures.
//
// Tests use the in-process SMTP server in internal/mail/mailtest.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// ErrAddress is wrapped by Send's error when a recipient or Reply-To address is malformed.
var ErrAddress = errors.New("mail: invalid address")

// ErrMessage is wrapped by Send's error when the message itself is incomplete or malformed
// (no recipient, no subject or body, a bad attachment or header).
var ErrMessage = errors.New("mail: invalid message")

// Message is one email. To, Cc and ReplyTo take addresses with or without a name
// ("Ana <ana@example.com>"). Subject, bodies and attachment names may be any UTF-8 text.
type Message struct {
	To          []string
	Cc          []string
	ReplyTo     string
	Subject     string
	Text        string // plain-text body
	HTML        string // optional HTML alternative of Text (or the only body when Text is empty)
	Attachments []Attachment
	Headers     map[string]string // extra headers, e.g. "X-Orderly-PO": "PO-5001"
}

// Attachment is a file attached to a Message.
type Attachment struct {
	Name        string // file name shown to the reader, e.g. "PO-5001.csv"
	ContentType string // MIME type, e.g. "text/csv; charset=utf-8"; empty means application/octet-stream
	Data        []byte
}

// Error is the error Send returns. Temporary says whether sending the same message again
// later may succeed: true for SMTP 4xx replies, network failures and a cancelled or expired
// context; false for 5xx replies, invalid addresses or messages, and TLS certificate problems.
type Error struct {
	Op        string // "validate", "dial" or "send"
	Code      int    // the SMTP reply code when the server gave one (451, 550...), else 0
	Temporary bool
	Err       error
}

func (e *Error) Error() string { return "mail: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether err is a send failure that a later retry may fix. It is false for
// nil, for permanent failures (5xx replies, bad addresses or settings) and for errors that did
// not come from Send.
func Temporary(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Temporary
}

// Code returns the SMTP reply code carried by err (e.g. 451 or 550), or 0 when there is none.
func Code(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// Sender sends messages with fixed Settings. It holds no connection between sends and is
// safe for concurrent use.
type Sender struct {
	settings Settings
	from     *netmail.Address
}

// New returns a Sender after validating the settings (the error wraps ErrSettings).
func New(s Settings) (*Sender, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	from, _ := netmail.ParseAddress(s.From) // checked by Validate
	return &Sender{settings: s, from: from}, nil
}

// Settings returns the sender's settings.
func (s *Sender) Settings() Settings { return s.settings }

// Send delivers m: it validates the message, builds it (UTF-8, quoted-printable text,
// base64 attachments), dials the server, authenticates when a username is set, and sends.
// It returns the Message-ID header it gave the message, angle brackets included
// ("<9f2c...@shop.example>"). Cancelling ctx, or Settings.Timeout passing, aborts the dial
// or the SMTP dialogue.
// Any error is an *Error; see Temporary.
func (s *Sender) Send(ctx context.Context, m Message) (messageID string, err error) {
	msg, err := s.build(m)
	if err != nil {
		return "", &Error{Op: "validate", Err: err}
	}
	messageID = msg.GetMessageID()
	what := fmt.Sprintf("message %s to %s", messageID, strings.Join(m.To, ", "))
	if err := ctx.Err(); err != nil {
		return "", &Error{Op: "send", Temporary: true, Err: fmt.Errorf("%s: %w", what, err)}
	}
	ctx, cancel := context.WithTimeout(ctx, s.settings.timeout())
	defer cancel()

	var (
		mu    sync.Mutex
		stops []func() bool
	)
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, stop := range stops {
			stop()
		}
	}()
	// dial opens the connection go-mail talks over: it applies implicit TLS and ties the
	// connection's life to ctx, so cancelling ctx also interrupts a stalled SMTP dialogue
	// (go-mail itself only uses the context while dialling).
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		var conn net.Conn
		var err error
		if s.settings.tlsMode() == TLSImplicit {
			td := tls.Dialer{NetDialer: &d, Config: s.tlsConfig()}
			conn, err = td.DialContext(dctx, network, addr)
		} else {
			conn, err = d.DialContext(dctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		mu.Lock()
		stops = append(stops, context.AfterFunc(ctx, func() { conn.Close() }))
		mu.Unlock()
		return conn, nil
	}

	client, err := gomail.NewClient(s.settings.Host, s.clientOptions(dial)...)
	if err != nil {
		return "", &Error{Op: "dial", Err: fmt.Errorf("%w: smtp client: %v", ErrSettings, err)}
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if msg.IsDelivered() {
		// The server took the message; a failure after that (QUIT) must not cause a resend.
		return messageID, nil
	}
	if err == nil {
		return "", &Error{Op: "send", Temporary: true, Err: fmt.Errorf("%s: not delivered, no error reported", what)}
	}
	if cerr := ctx.Err(); cerr != nil {
		return "", &Error{Op: "send", Temporary: true, Err: fmt.Errorf("%s: %w (%v)", what, cerr, err)}
	}
	return "", classify(fmt.Errorf("%s via %s:%d: %w", what, s.settings.Host, s.settings.port(), err))
}

func (s *Sender) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: s.settings.Host, MinVersion: tls.VersionTLS12}
}

func (s *Sender) clientOptions(dial gomail.DialContextFunc) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(s.settings.port()),
		// go-mail's own deadline per step comes a second after Send's: the
		// context (Settings.Timeout for the whole Send) ends a stalled
		// dialogue first, so its error is always the context's.
		gomail.WithTimeout(s.settings.timeout() + time.Second),
		gomail.WithDialContextFunc(dial),
		gomail.WithTLSConfig(s.tlsConfig()),
	}
	if s.settings.tlsMode() == TLSStartTLS {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	} else {
		// none, or implicit TLS already applied by dial: no STARTTLS.
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.settings.Username != "" {
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.settings.Username),
			gomail.WithPassword(s.settings.Password))
	}
	return opts
}

// reserved headers are set by Send itself and cannot be given in Message.Headers.
var reserved = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Reply-To": true, "Subject": true,
	"Message-Id": true, "Date": true, "Mime-Version": true, "Content-Type": true,
	"Content-Transfer-Encoding": true, "Content-Disposition": true, "Sender": true, "Return-Path": true,
}

// build validates m and turns it into a go-mail message with a fresh Message-ID.
func (s *Sender) build(m Message) (*gomail.Msg, error) {
	if len(m.To) == 0 {
		return nil, fmt.Errorf("%w: no recipient in To", ErrMessage)
	}
	to, err := parseList("to", m.To)
	if err != nil {
		return nil, err
	}
	cc, err := parseList("cc", m.Cc)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(m.Subject) == "" {
		return nil, fmt.Errorf("%w: subject is empty", ErrMessage)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, fmt.Errorf("%w: subject contains a line break", ErrMessage)
	}
	if m.Text == "" && m.HTML == "" {
		return nil, fmt.Errorf("%w: no body (Text and HTML are empty)", ErrMessage)
	}

	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP), gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	msg.ToMailAddress(to...)
	if len(cc) > 0 {
		msg.CcMailAddress(cc...)
	}
	if m.ReplyTo != "" {
		rt, err := netmail.ParseAddress(m.ReplyTo)
		if err != nil {
			return nil, fmt.Errorf("%w: reply-to %q: %v", ErrAddress, m.ReplyTo, err)
		}
		msg.ReplyToMailAddress(rt)
	}
	msg.Subject(m.Subject)
	id, err := newMessageID(s.from.Address)
	if err != nil {
		return nil, err
	}
	msg.SetMessageIDWithValue(id)
	msg.SetDate()
	for name, value := range m.Headers {
		key := textproto.CanonicalMIMEHeaderKey(name)
		if !validHeaderName(name) {
			return nil, fmt.Errorf("%w: header name %q is not a valid field name", ErrMessage, name)
		}
		if reserved[key] {
			return nil, fmt.Errorf("%w: header %q is set by the sender and cannot be given in Headers", ErrMessage, name)
		}
		if strings.ContainsAny(value, "\r\n") {
			return nil, fmt.Errorf("%w: header %q value contains a line break", ErrMessage, name)
		}
		msg.SetGenHeader(gomail.Header(name), value)
	}

	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	default:
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	}

	for i, a := range m.Attachments {
		if strings.TrimSpace(a.Name) == "" {
			return nil, fmt.Errorf("%w: attachment %d has no name", ErrMessage, i+1)
		}
		if strings.ContainsAny(a.Name, "/\\\r\n\"") {
			return nil, fmt.Errorf("%w: attachment name %q contains a path separator, quote or line break", ErrMessage, a.Name)
		}
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		if _, _, err := mime.ParseMediaType(ct); err != nil {
			return nil, fmt.Errorf("%w: attachment %q content type %q: %v", ErrMessage, a.Name, a.ContentType, err)
		}
		msg.AttachReadSeeker(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(ct)))
	}
	return msg, nil
}

func parseList(field string, list []string) ([]*netmail.Address, error) {
	out := make([]*netmail.Address, 0, len(list))
	for _, s := range list {
		a, err := netmail.ParseAddress(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %s %q: %v", ErrAddress, field, s, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// validHeaderName reports whether name is an RFC 5322 field name (printable ASCII, no colon or space).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r <= ' ' || r > '~' || r == ':' {
			return false
		}
	}
	return true
}

// newMessageID returns a random Message-ID (without angle brackets) in the sender's domain,
// so replies and bounces can be matched to what was sent.
func newMessageID(from string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("message id: %w", err)
	}
	domain := "orderly.invalid"
	if at := strings.LastIndexByte(from, '@'); at >= 0 && at < len(from)-1 {
		domain = from[at+1:]
	}
	return hex.EncodeToString(b[:]) + "@" + domain, nil
}

// classify turns a go-mail failure into an *Error with the SMTP code and whether it is temporary.
func classify(err error) *Error {
	e := &Error{Op: "send", Err: err}
	var se *gomail.SendError
	var te *textproto.Error
	switch {
	case errors.As(err, &se):
		e.Code = se.ErrorCode()
		switch {
		case e.Code >= 400 && e.Code < 500:
			e.Temporary = true
		case e.Code >= 500:
			e.Temporary = false
		case se.Reason == gomail.ErrGetSender || se.Reason == gomail.ErrGetRcpts || se.Reason == gomail.ErrNoUnencoded:
			e.Temporary = false // the message, not the network
		default:
			e.Temporary = true // connection lost mid-dialogue
		}
	case errors.As(err, &te):
		// A reply during the greeting, EHLO, STARTTLS or AUTH, e.g. 421 busy or 535 bad credentials.
		e.Op = "dial"
		e.Code = te.Code
		e.Temporary = te.Code/100 == 4
	case isTLSConfigError(err):
		e.Op = "dial"
		e.Temporary = false
	default:
		// Connection refused, DNS, timeouts, a server that hung up: worth another try.
		e.Op = "dial"
		e.Temporary = true
	}
	return e
}

func isTLSConfigError(err error) bool {
	var (
		cv  *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		he  x509.HostnameError
		ci  x509.CertificateInvalidError
		rhe tls.RecordHeaderError
	)
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) ||
		errors.As(err, &rhe) || strings.Contains(err.Error(), "does not support STARTTLS")
}
