// Package mailtest runs an in-process SMTP server (github.com/emersion/go-smtp) for tests:
// Start gives a server on 127.0.0.1 whose Settings a mail.Sender can use, and the server
// records every message it accepts, raw and parsed (subject, bodies, attachments). It can
// also reject messages with a chosen SMTP code, require authentication, or stall, so tests
// can exercise temporary and permanent failures and context cancellation.
//
// It is a normal package so that any package's tests can import it; production code must not.
package mailtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/orderly-oms/orderly/internal/mail"
)

// Message is one message the server accepted.
type Message struct {
	From string   // envelope sender (MAIL FROM)
	To   []string // envelope recipients (RCPT TO), Cc included
	Data []byte   // the raw message as received, headers and body

	// The parsed view. ParseErr is set when Data is not a well-formed MIME message.
	Header      netmail.Header
	Subject     string // decoded (RFC 2047) subject
	Text        string // the text/plain body, decoded
	HTML        string // the text/html body, decoded
	Attachments []Attachment
	ParseErr    error
}

// Attachment is an attached file of a received message.
type Attachment struct {
	Name        string // decoded file name
	ContentType string // the media type without parameters, e.g. "text/csv"
	Params      map[string]string
	Data        []byte // decoded bytes
}

// Attachment returns the attachment with the given file name.
func (m Message) Attachment(name string) (Attachment, bool) {
	for _, a := range m.Attachments {
		if a.Name == name {
			return a, true
		}
	}
	return Attachment{}, false
}

// Server is a running test SMTP server.
type Server struct {
	t    testing.TB
	srv  *smtp.Server
	addr *net.TCPAddr

	mu       sync.Mutex
	messages []Message
	changed  chan struct{} // closed and replaced whenever a message arrives
	reject   int           // how many of the next messages to reject
	code     int           // with this SMTP code
	user     string        // required AUTH PLAIN user, when set
	pass     string
	stall    *stall
	closed   chan struct{}
}

type stall struct {
	reached chan struct{}
	release chan struct{}
	once    sync.Once
}

// Start starts a server on 127.0.0.1 with a free port; t.Cleanup closes it.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s := &Server{t: t, addr: ln.Addr().(*net.TCPAddr), changed: make(chan struct{}), closed: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{s: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.EnableSMTPUTF8 = true
	srv.MaxMessageBytes = 32 << 20
	srv.MaxRecipients = 100
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.ErrorLog = discardLogger{}
	s.srv = srv
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // returns ErrServerClosed after Close
	}()
	t.Cleanup(func() {
		s.mu.Lock()
		close(s.closed)
		s.mu.Unlock()
		_ = ln.Close() // Close alone misses a listener that Serve has not registered yet
		_ = srv.Close()
		<-done
	})
	return s
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return s.addr.String() }

// Settings returns sender settings for this server: plain SMTP (TLS "none"), a short
// timeout, From "Orderly <orderly@example.com>", and the credentials set by RequireAuth.
func (s *Server) Settings() mail.Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return mail.Settings{
		Host:     "127.0.0.1",
		Port:     s.addr.Port,
		Username: s.user,
		Password: s.pass,
		From:     "Orderly <orderly@example.com>",
		TLS:      mail.TLSNone,
		Timeout:  10 * time.Second,
	}
}

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// WaitFor waits until at least n messages have been accepted and returns them all; it fails
// the test if that takes longer than timeout. For a message sent by a background job.
func (s *Server) WaitFor(n int, timeout time.Duration) []Message {
	s.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if len(s.messages) >= n {
			out := append([]Message(nil), s.messages...)
			s.mu.Unlock()
			return out
		}
		changed, got := s.changed, len(s.messages)
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			s.t.Fatalf("mailtest: waited %s for %d messages, got %d", timeout, n, got)
			return nil
		}
	}
}

// RejectNext makes the server refuse the next n messages with the SMTP reply code (e.g. 451
// for a temporary failure, 550 for a permanent one). The refusal comes at the end of DATA,
// after the message was transmitted; refused messages are not recorded.
func (s *Server) RejectNext(n, code int) {
	if code < 400 || code > 599 {
		s.t.Fatalf("mailtest: RejectNext: code %d is not a 4xx or 5xx reply", code)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject, s.code = n, code
}

// RequireAuth makes the server offer AUTH PLAIN and refuse mail from clients that have not
// authenticated with this user and password. Settings includes them from then on.
func (s *Server) RequireAuth(user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.pass = user, pass
}

// Stall makes the server hold the next message at the start of DATA without answering.
// reached is closed when a client is being held; the client stays stuck until release is
// called or the server closes. Use it to test cancellation while the SMTP dialogue is in
// progress. After release the message is accepted normally.
func (s *Server) Stall() (reached <-chan struct{}, release func()) {
	st := &stall{reached: make(chan struct{}), release: make(chan struct{})}
	s.mu.Lock()
	s.stall = st
	s.mu.Unlock()
	return st.reached, func() { st.once.Do(func() { close(st.release) }) }
}

func (s *Server) record(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

// session is one SMTP connection.
type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

var errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

func (ss *session) needAuth() bool {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	return ss.s.user != "" && !ss.authed
}

func (ss *session) AuthMechanisms() []string {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		ss.s.mu.Lock()
		ok := ss.s.user != "" && username == ss.s.user && password == ss.s.pass
		ss.s.mu.Unlock()
		if !ok {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.needAuth() {
		return errAuthRequired
	}
	ss.from, ss.to = from, nil
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	s := ss.s
	s.mu.Lock()
	st := s.stall
	s.stall = nil
	s.mu.Unlock()
	if st != nil {
		close(st.reached)
		select {
		case <-st.release:
		case <-s.closed:
			return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Server closing"}
		}
	}

	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	reject, code := s.reject > 0, s.code
	if reject {
		s.reject--
	}
	s.mu.Unlock()
	if reject {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: fmt.Sprintf("Rejected by mailtest (%d)", code)}
	}
	m := Message{From: ss.from, To: append([]string(nil), ss.to...), Data: data}
	m.ParseErr = parse(&m)
	s.record(m)
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

var decoder = mime.WordDecoder{}

// parse fills the parsed view of m from m.Data.
func parse(m *Message) error {
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return fmt.Errorf("read message: %w", err)
	}
	m.Header = msg.Header
	if m.Subject, err = decoder.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return fmt.Errorf("subject: %w", err)
	}
	return m.walk(msg.Header, msg.Body)
}

// header is what walk needs of net/mail.Header and textproto.MIMEHeader.
type header interface{ Get(string) string }

// walk visits one MIME entity: a multipart container is walked part by part; a leaf is a
// body or an attachment.
func (m *Message) walk(h header, body io.Reader) error {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("content type %q: %w", ct, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s part: %w", mediaType, err)
			}
			if err := m.walk(p.Header, p); err != nil {
				return err
			}
		}
	}
	data, err := decode(h.Get("Content-Transfer-Encoding"), body)
	if err != nil {
		return err
	}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	if disp == "attachment" || (disp == "inline" && name != "") || (name != "" && !strings.HasPrefix(mediaType, "text/")) {
		if dec, err := decoder.DecodeHeader(name); err == nil {
			name = dec
		}
		m.Attachments = append(m.Attachments, Attachment{Name: name, ContentType: mediaType, Params: params, Data: data})
		return nil
	}
	switch mediaType {
	case "text/plain":
		m.Text += string(data)
	case "text/html":
		m.HTML += string(data)
	}
	return nil
}

func decode(cte string, r io.Reader) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r) // skips line breaks
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("decode %s body: %w", cte, err)
	}
	return data, nil
}
