package mailtest_test

import (
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/mail/mailtest"
)

// raw is a hand-written message, independent of go-mail: an encoded subject, a base64 text
// body in multipart/alternative, and an attachment whose name uses RFC 2231.
const raw = "From: a@example.com\r\n" +
	"To: b@example.com\r\n" +
	"Subject: =?UTF-8?B?Q29uZmlybWHDp8Ojbw==?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=OUT\r\n" +
	"\r\n" +
	"--OUT\r\n" +
	"Content-Type: multipart/alternative; boundary=IN\r\n" +
	"\r\n" +
	"--IN\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"T2zDoSwgbXVuZG8=\r\n" +
	"--IN\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"<p>Ol=C3=A1</p>\r\n" +
	"--IN--\r\n" +
	"--OUT\r\n" +
	"Content-Type: text/csv\r\n" +
	"Content-Disposition: attachment; filename*=UTF-8''pedido%20n%C2%BA%201.csv\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"c2t1LHF0eQpBLDIK\r\n" +
	"--OUT--\r\n"

func send(t *testing.T, srv *mailtest.Server, to ...string) error {
	t.Helper()
	return smtp.SendMail(srv.Addr(), nil, "a@example.com", to, []byte(raw))
}

func TestParseHandWrittenMessage(t *testing.T) {
	srv := mailtest.Start(t)
	if err := send(t, srv, "b@example.com", "c@example.com"); err != nil {
		t.Fatalf("send: %v", err)
	}
	m := srv.WaitFor(1, 5*time.Second)[0]
	if m.ParseErr != nil {
		t.Fatalf("parse: %v", m.ParseErr)
	}
	if m.From != "a@example.com" || strings.Join(m.To, ",") != "b@example.com,c@example.com" {
		t.Errorf("envelope %q → %q", m.From, m.To)
	}
	if m.Subject != "Confirmação" {
		t.Errorf("subject = %q", m.Subject)
	}
	if m.Text != "Olá, mundo" {
		t.Errorf("text = %q", m.Text)
	}
	if strings.TrimSpace(m.HTML) != "<p>Olá</p>" {
		t.Errorf("html = %q", m.HTML)
	}
	a, ok := m.Attachment("pedido nº 1.csv")
	if !ok || a.ContentType != "text/csv" || string(a.Data) != "sku,qty\nA,2\n" {
		t.Errorf("attachment = %+v, %v (all: %+v)", a, ok, m.Attachments)
	}
	if !strings.Contains(string(m.Data), "Subject: =?UTF-8?B?") {
		t.Errorf("raw data not kept: %q", m.Data)
	}
}

func TestRejectNextAndWaitFor(t *testing.T) {
	srv := mailtest.Start(t)
	srv.RejectNext(2, 451)
	for i := 0; i < 2; i++ {
		err := send(t, srv, "b@example.com")
		if err == nil || !strings.Contains(err.Error(), "451") {
			t.Fatalf("send %d: %v, want a 451 rejection", i+1, err)
		}
	}
	if err := send(t, srv, "b@example.com"); err != nil {
		t.Fatalf("third send: %v", err)
	}
	if got := srv.WaitFor(1, 5*time.Second); len(got) != 1 {
		t.Errorf("messages = %d, want 1 (rejected ones are not recorded)", len(got))
	}

	// WaitFor returns as soon as a later message arrives.
	go func() { _ = smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"d@example.com"}, []byte(raw)) }()
	if got := srv.WaitFor(2, 10*time.Second); len(got) != 2 || got[1].To[0] != "d@example.com" {
		t.Errorf("WaitFor(2) = %d messages", len(got))
	}
}

func TestRequireAuth(t *testing.T) {
	srv := mailtest.Start(t)
	srv.RequireAuth("u", "p")
	if err := send(t, srv, "b@example.com"); err == nil || !strings.Contains(err.Error(), "530") {
		t.Errorf("unauthenticated send: %v, want 530", err)
	}
	auth := smtp.PlainAuth("", "u", "p", "127.0.0.1")
	if err := smtp.SendMail(srv.Addr(), auth, "a@example.com", []string{"b@example.com"}, []byte(raw)); err != nil {
		t.Errorf("authenticated send: %v", err)
	}
	if s := srv.Settings(); s.Username != "u" || s.Password != "p" {
		t.Errorf("Settings = %+v, want the credentials", s)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("messages = %d, want 1", n)
	}
}
