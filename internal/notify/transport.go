package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/mail"
	"github.com/orderly-oms/orderly/internal/store"
)

// Mailer sends one email; *mail.Sender and *mail.Dir are mailers.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) (string, error)
}

// ErrMailOff is wrapped by the error of a send when the store has no SMTP
// server stored and the server was started without one (nor a mail
// directory).
var ErrMailOff = errors.New("email is off: set an SMTP server in the console (Settings → Notifications) or start with --smtp-host")

// Transport is Orderly's one way out for email: customer notifications,
// purchase orders and supplier digests all send through it. At each send it
// reads the store's settings: the SMTP server stored in the console when
// there is one, else the fallback the server was started with (the --smtp-*
// flags, or --mail-dir's directory of .eml files), else nothing (ErrMailOff).
// The From address is the branding's when set, else the fallback's. Reading
// the settings per send keeps every instance on what the console last saved.
type Transport struct {
	db       *store.DB
	fallback Mailer
	from     string

	mu   sync.Mutex
	dirs map[string]*mail.Dir // a mail directory per From address
}

// NewTransport returns a transport on db. fallback (nil when email is off)
// sends when nothing is stored; from is its From address (--smtp-from).
func NewTransport(db *store.DB, fallback Mailer, from string) *Transport {
	return &Transport{db: db, fallback: fallback, from: from, dirs: map[string]*mail.Dir{}}
}

// Send sends m with the current settings and returns its Message-ID. Errors
// are *mail.Error (see mail.Temporary): a failure to read the settings is
// temporary, email being off is not.
func (t *Transport) Send(ctx context.Context, m mail.Message) (string, error) {
	st, err := loadSettings(ctx, t.db.R)
	if err != nil {
		return "", &mail.Error{Op: "dial", Temporary: true, Err: err}
	}
	mlr, _, err := t.mailer(st)
	if err != nil {
		return "", err
	}
	return mlr.Send(ctx, m)
}

// Where says where email goes with the current settings, for the console
// and the startup log: "smtp host (tls)", "files in DIR" or "off".
func (t *Transport) Where(ctx context.Context) (string, error) {
	st, err := loadSettings(ctx, t.db.R)
	if err != nil {
		return "", err
	}
	_, where, err := t.mailer(st)
	if errors.Is(err, ErrMailOff) {
		return "off", nil
	}
	return where, err
}

// mailer picks the sender for the settings.
func (t *Transport) mailer(st storedSettings) (Mailer, string, error) {
	from := st.Branding.From
	if from == "" {
		from = t.from
	}
	if st.SMTP.Host != "" {
		tls := st.SMTP.TLS
		if tls == "" {
			tls = mail.TLSStartTLS
		}
		s, err := mail.New(mail.Settings{Host: st.SMTP.Host, Port: st.SMTP.Port, Username: st.SMTP.Username, Password: st.password,
			TLS: st.SMTP.TLS, From: from})
		if err != nil {
			return nil, "", &mail.Error{Op: "dial", Err: fmt.Errorf("the SMTP settings stored in the console: %w", err)}
		}
		return s, fmt.Sprintf("smtp %s (%s, from the console)", st.SMTP.Host, tls), nil
	}
	switch f := t.fallback.(type) {
	case nil:
		return nil, "", &mail.Error{Op: "dial", Err: ErrMailOff}
	case *mail.Sender:
		set := f.Settings()
		where := fmt.Sprintf("smtp %s (%s)", set.Host, set.TLS)
		if from == "" || from == set.From {
			return f, where, nil
		}
		set.From = from
		s, err := mail.New(set)
		if err != nil {
			return nil, "", &mail.Error{Op: "dial", Err: err}
		}
		return s, where, nil
	case *mail.Dir:
		where := "files in " + f.Path()
		if from == "" || from == t.from {
			return f, where, nil
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		d, ok := t.dirs[from]
		if !ok {
			var err error
			if d, err = mail.NewDir(f.Path(), from); err != nil {
				return nil, "", err
			}
			t.dirs[from] = d
		}
		return d, where, nil
	default:
		return t.fallback, "email", nil
	}
}

// SendTest sends a short test message to to with the current settings.
func (s *Service) SendTest(ctx context.Context, to string) (string, error) {
	st, err := loadSettings(ctx, s.db.R)
	if err != nil {
		return "", err
	}
	name := st.Branding.storeName()
	id, err := s.mail.Send(ctx, mail.Message{To: []string{to}, Subject: name + ": test email from Orderly",
		Text:    "This is a test message from Orderly. If you can read it, " + name + "'s email settings work.\n",
		Headers: map[string]string{"X-Orderly-Test": "1"}})
	switch {
	case errors.Is(err, mail.ErrAddress):
		return "", apperr.InvalidField("to", "%q is not an email address", to)
	case err != nil:
		return "", apperr.Wrap(err, apperr.Unavailable, "the test email to %s was not sent: %v", to, err)
	}
	return id, nil
}
