package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/orderly-oms/orderly/internal/mail"
)

// mailSettings say how Orderly sends email (purchase orders to suppliers,
// their daily digests): through an SMTP server, or, without one, into a
// directory of .eml files (the demo's default), or not at all.
type mailSettings struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	TLS      string
	Dir      string
}

// bindMail binds the email settings (serve). The password's flag default is
// empty so that -h never prints it; parseFlags applies ORDERLY_SMTP_PASSWORD.
func bindMail(fs *flag.FlagSet, m *mailSettings) {
	fs.StringVar(&m.Host, "smtp-host", envDefault("ORDERLY_SMTP_HOST", ""), "SMTP server for outgoing email (purchase orders, supplier digests); empty: no SMTP (ORDERLY_SMTP_HOST)")
	fs.IntVar(&m.Port, "smtp-port", envInt("ORDERLY_SMTP_PORT", 0), "SMTP port; 0 picks 587 for starttls, 465 for tls, 25 for none (ORDERLY_SMTP_PORT)")
	fs.StringVar(&m.Username, "smtp-username", envDefault("ORDERLY_SMTP_USERNAME", ""), "SMTP user name; empty: no authentication (ORDERLY_SMTP_USERNAME)")
	fs.StringVar(&m.Password, "smtp-password", "", "SMTP password. Prefer the variable: flags show in ps (ORDERLY_SMTP_PASSWORD)")
	fs.StringVar(&m.From, "smtp-from", envDefault("ORDERLY_SMTP_FROM", "Orderly <orderly@localhost>"), "the From address of outgoing email (ORDERLY_SMTP_FROM)")
	fs.StringVar(&m.TLS, "smtp-tls", envDefault("ORDERLY_SMTP_TLS", mail.TLSStartTLS), "SMTP transport security: starttls, tls or none (ORDERLY_SMTP_TLS)")
	fs.StringVar(&m.Dir, "mail-dir", envDefault("ORDERLY_MAIL_DIR", ""), "without --smtp-host, write outgoing email as .eml files into this directory instead of sending it; "+
		"with --demo it defaults to orderly-mail (ORDERLY_MAIL_DIR)")
}

// mailer is what purchasing and the digests send email through.
type mailer interface {
	Send(ctx context.Context, m mail.Message) (string, error)
}

// newMailer returns the mailer the settings describe and a line saying
// where email goes; nil when email is off (email purchase orders then fail
// to send, visibly, and digests are kept but not sent).
func newMailer(m mailSettings, demo bool) (mailer, string, error) {
	switch {
	case m.Host != "":
		s, err := mail.New(mail.Settings{Host: m.Host, Port: m.Port, Username: m.Username, Password: m.Password, From: m.From, TLS: m.TLS})
		if err != nil {
			return nil, "", usageError{fmt.Sprintf("email settings: %v", err)}
		}
		return s, fmt.Sprintf("smtp %s (%s)", m.Host, m.TLS), nil
	case m.Dir != "" || demo:
		dir := m.Dir
		if dir == "" {
			dir = "orderly-mail"
		}
		d, err := mail.NewDir(dir, m.From)
		if err != nil {
			return nil, "", usageError{fmt.Sprintf("--mail-dir: %v", err)}
		}
		return d, "files in " + dir, nil
	}
	return nil, "off", nil
}
