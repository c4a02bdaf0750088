package mail_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/mail"
	"github.com/orderly-oms/orderly/internal/mail/mailtest"
)

func newSender(t *testing.T, s mail.Settings) *mail.Sender {
	t.Helper()
	snd, err := mail.New(s)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return snd
}

func TestSendWithCSVAttachment(t *testing.T) {
	srv := mailtest.Start(t)
	snd := newSender(t, srv.Settings())
	csv := []byte("line,sku,qty,unit_cost\n1,SKU-1,2,10.50\n2,\"SKU,2\",1,3.00\n")

	id, err := snd.Send(context.Background(), mail.Message{
		To:      []string{"Supplier A <orders@supplier-a.example>"},
		Cc:      []string{"buyer@shop.example"},
		ReplyTo: "purchasing@shop.example",
		Subject: "Purchase order PO-5001",
		Text:    "Hello,\n\nplease find purchase order PO-5001 attached.\n",
		HTML:    "<p>Please find purchase order <b>PO-5001</b> attached.</p>",
		Attachments: []mail.Attachment{
			{Name: "PO-5001.csv", ContentType: "text/csv; charset=utf-8", Data: csv},
		},
		Headers: map[string]string{"X-Orderly-PO": "PO-5001"},
	})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.com>") {
		t.Errorf("message id = %q, want <...@example.com> (the From domain)", id)
	}

	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.ParseErr != nil {
		t.Fatalf("parse: %v\n%s", m.ParseErr, m.Data)
	}
	if m.From != "orderly@example.com" {
		t.Errorf("envelope from = %q", m.From)
	}
	to := slices.Clone(m.To)
	slices.Sort(to)
	if want := []string{"buyer@shop.example", "orders@supplier-a.example"}; !slices.Equal(to, want) {
		t.Errorf("envelope to = %q, want %q", to, want)
	}
	if m.Subject != "Purchase order PO-5001" {
		t.Errorf("subject = %q", m.Subject)
	}
	if got := m.Header.Get("Message-Id"); got != id {
		t.Errorf("Message-ID header = %q, Send returned %q", got, id)
	}
	if got := m.Header.Get("X-Orderly-PO"); got != "PO-5001" {
		t.Errorf("X-Orderly-PO = %q", got)
	}
	if got := m.Header.Get("Reply-To"); !strings.Contains(got, "purchasing@shop.example") {
		t.Errorf("Reply-To = %q", got)
	}
	if got := m.Header.Get("To"); !strings.Contains(got, "orders@supplier-a.example") || !strings.Contains(got, "Supplier A") {
		t.Errorf("To header = %q", got)
	}
	if got := m.Header.Get("From"); !strings.Contains(got, "Orderly") || !strings.Contains(got, "orderly@example.com") {
		t.Errorf("From header = %q", got)
	}
	if strings.TrimRight(m.Text, "\r\n") != "Hello,\r\n\r\nplease find purchase order PO-5001 attached." &&
		strings.TrimRight(m.Text, "\r\n") != "Hello,\n\nplease find purchase order PO-5001 attached." {
		t.Errorf("text body = %q", m.Text)
	}
	if !strings.Contains(m.HTML, "<b>PO-5001</b>") {
		t.Errorf("html body = %q", m.HTML)
	}
	if len(m.Attachments) != 1 {
		t.Fatalf("attachments = %d, want 1", len(m.Attachments))
	}
	a, ok := m.Attachment("PO-5001.csv")
	if !ok {
		t.Fatalf("no attachment named PO-5001.csv: %+v", m.Attachments)
	}
	if a.ContentType != "text/csv" {
		t.Errorf("attachment content type = %q, want text/csv", a.ContentType)
	}
	if !bytes.Equal(a.Data, csv) {
		t.Errorf("attachment bytes = %q, want %q", a.Data, csv)
	}
}

func TestSendUTF8(t *testing.T) {
	srv := mailtest.Start(t)
	snd := newSender(t, srv.Settings())
	subject := "Pedido de compra nº 5001 — confirmação"
	body := "Olá, segue o pedido nº 5001. Preço unitário: 12,50 €\n"
	if _, err := snd.Send(context.Background(), mail.Message{
		To:          []string{"João Araújo <joao@fornecedor.example>"},
		Subject:     subject,
		Text:        body,
		Attachments: []mail.Attachment{{Name: "pedido-nº-5001.csv", ContentType: "text/csv", Data: []byte("ação;quantidade\n")}},
	}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	m := srv.WaitFor(1, 5*time.Second)[0]
	if m.ParseErr != nil {
		t.Fatalf("parse: %v", m.ParseErr)
	}
	if m.Subject != subject {
		t.Errorf("subject = %q, want %q", m.Subject, subject)
	}
	if raw := m.Header.Get("Subject"); raw == subject {
		t.Errorf("subject header sent unencoded: %q", raw)
	}
	if got := strings.ReplaceAll(m.Text, "\r\n", "\n"); got != body {
		t.Errorf("text = %q, want %q", got, body)
	}
	a, ok := m.Attachment("pedido-nº-5001.csv")
	if !ok {
		t.Fatalf("attachment not found by its UTF-8 name: %+v", m.Attachments)
	}
	if string(a.Data) != "ação;quantidade\n" {
		t.Errorf("attachment = %q", a.Data)
	}
}

func TestSendHTMLOnlyAndAuth(t *testing.T) {
	srv := mailtest.Start(t)
	srv.RequireAuth("orderly", "s3cret")
	snd := newSender(t, srv.Settings())
	if _, err := snd.Send(context.Background(), mail.Message{To: []string{"a@example.net"}, Subject: "Digest", HTML: "<h1>Today</h1>"}); err != nil {
		t.Fatalf("Send with auth: %v", err)
	}
	m := srv.WaitFor(1, 5*time.Second)[0]
	if !strings.Contains(m.HTML, "<h1>Today</h1>") || m.Text != "" {
		t.Errorf("html = %q text = %q", m.HTML, m.Text)
	}

	bad := srv.Settings()
	bad.Password = "wrong"
	_, err := newSender(t, bad).Send(context.Background(), mail.Message{To: []string{"a@example.net"}, Subject: "x", Text: "y"})
	if err == nil {
		t.Fatal("Send with a wrong password succeeded")
	}
	if mail.Temporary(err) || mail.Code(err) != 535 {
		t.Errorf("wrong password: Temporary=%v Code=%d, want permanent 535: %v", mail.Temporary(err), mail.Code(err), err)
	}

	noAuth := srv.Settings()
	noAuth.Username, noAuth.Password = "", ""
	_, err = newSender(t, noAuth).Send(context.Background(), mail.Message{To: []string{"a@example.net"}, Subject: "x", Text: "y"})
	if err == nil || mail.Temporary(err) || mail.Code(err) != 530 {
		t.Errorf("unauthenticated send: err=%v Code=%d, want permanent 530", err, mail.Code(err))
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server has %d messages, want only the authenticated one", n)
	}
}

func TestRejections(t *testing.T) {
	srv := mailtest.Start(t)
	snd := newSender(t, srv.Settings())
	msg := mail.Message{To: []string{"orders@supplier.example"}, Subject: "PO-1", Text: "hi"}

	srv.RejectNext(1, 451)
	_, err := snd.Send(context.Background(), msg)
	if err == nil {
		t.Fatal("451: Send succeeded")
	}
	if !mail.Temporary(err) || mail.Code(err) != 451 {
		t.Errorf("451: Temporary=%v Code=%d, want temporary 451: %v", mail.Temporary(err), mail.Code(err), err)
	}
	var me *mail.Error
	if !errors.As(err, &me) || me.Op != "send" {
		t.Errorf("451: error %T %v, want *mail.Error op send", err, err)
	}

	srv.RejectNext(1, 550)
	_, err = snd.Send(context.Background(), msg)
	if err == nil {
		t.Fatal("550: Send succeeded")
	}
	if mail.Temporary(err) || mail.Code(err) != 550 {
		t.Errorf("550: Temporary=%v Code=%d, want permanent 550: %v", mail.Temporary(err), mail.Code(err), err)
	}
	if !strings.Contains(err.Error(), "orders@supplier.example") {
		t.Errorf("550: error does not say which recipient: %v", err)
	}

	if len(srv.Messages()) != 0 {
		t.Fatalf("rejected messages were recorded: %d", len(srv.Messages()))
	}
	// The rejections are used up: the next one goes through.
	if _, err := snd.Send(context.Background(), msg); err != nil {
		t.Fatalf("after rejections: %v", err)
	}
	if len(srv.Messages()) != 1 {
		t.Errorf("messages = %d, want 1", len(srv.Messages()))
	}
}

func TestNetworkFailureIsTemporary(t *testing.T) {
	// A port nobody listens on: take a free one and close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	snd := newSender(t, mail.Settings{Host: "127.0.0.1", Port: port, From: "a@example.com", TLS: "none", Timeout: 5 * time.Second})
	_, err = snd.Send(context.Background(), mail.Message{To: []string{"b@example.com"}, Subject: "s", Text: "t"})
	if err == nil {
		t.Fatal("Send to a closed port succeeded")
	}
	if !mail.Temporary(err) || mail.Code(err) != 0 {
		t.Errorf("connection refused: Temporary=%v Code=%d, want temporary without code: %v", mail.Temporary(err), mail.Code(err), err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:"+strconv.Itoa(port)) {
		t.Errorf("error does not name the server: %v", err)
	}
}

func TestStartTLSRequired(t *testing.T) {
	srv := mailtest.Start(t) // offers no STARTTLS
	s := srv.Settings()
	s.TLS = mail.TLSStartTLS
	_, err := newSender(t, s).Send(context.Background(), mail.Message{To: []string{"b@example.com"}, Subject: "s", Text: "t"})
	if err == nil {
		t.Fatal("starttls mode sent over a server without STARTTLS")
	}
	if mail.Temporary(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("err = %v (temporary %v), want a permanent STARTTLS error", err, mail.Temporary(err))
	}
	if len(srv.Messages()) != 0 {
		t.Error("message delivered in clear text")
	}
}

func TestSettingsValidate(t *testing.T) {
	ok := mail.Settings{Host: "smtp.example.com", Port: 587, Username: "u", Password: "p", From: "Shop <po@shop.example>", TLS: "starttls", Timeout: time.Second}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid settings: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*mail.Settings)
		want string
	}{
		{"no host", func(s *mail.Settings) { s.Host = "" }, "host is empty"},
		{"host with port", func(s *mail.Settings) { s.Host = "smtp.example.com:25" }, `host "smtp.example.com:25"`},
		{"port negative", func(s *mail.Settings) { s.Port = -1 }, "port -1 is out of range"},
		{"port too big", func(s *mail.Settings) { s.Port = 70000 }, "port 70000 is out of range"},
		{"unknown tls", func(s *mail.Settings) { s.TLS = "ssl" }, `TLS mode "ssl" is unknown`},
		{"no from", func(s *mail.Settings) { s.From = " " }, "from address is empty"},
		{"bad from", func(s *mail.Settings) { s.From = "po at shop" }, `from address "po at shop"`},
		{"negative timeout", func(s *mail.Settings) { s.Timeout = -time.Second }, "timeout -1s is negative"},
		{"password without user", func(s *mail.Settings) { s.Username = "" }, "password is set but username is empty"},
		{"credentials in clear", func(s *mail.Settings) { s.TLS = "none" }, "clear text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.edit(&s)
			err := s.Validate()
			if !errors.Is(err, mail.ErrSettings) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v, want ErrSettings mentioning %q", err, tc.want)
			}
			if _, nerr := mail.New(s); !errors.Is(nerr, mail.ErrSettings) {
				t.Errorf("New = %v, want ErrSettings", nerr)
			}
		})
	}
	// Defaults: empty TLS, port 0, IPv6 literal and clear-text credentials to localhost are fine.
	for _, s := range []mail.Settings{
		{Host: "smtp.example.com", From: "po@shop.example"},
		{Host: "::1", From: "po@shop.example", TLS: "none", Username: "u", Password: "p"},
		{Host: "localhost", Port: 2525, From: "po@shop.example", TLS: "tls"},
	} {
		if err := s.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", s, err)
		}
	}
}

func TestMessageValidation(t *testing.T) {
	srv := mailtest.Start(t)
	snd := newSender(t, srv.Settings())
	good := mail.Message{To: []string{"a@example.com"}, Subject: "s", Text: "t"}
	for _, tc := range []struct {
		name string
		edit func(*mail.Message)
		is   error
		want string
	}{
		{"no recipient", func(m *mail.Message) { m.To = nil }, mail.ErrMessage, "no recipient"},
		{"bad to", func(m *mail.Message) { m.To = []string{"a@example.com", "not an address"} }, mail.ErrAddress, `to "not an address"`},
		{"bad cc", func(m *mail.Message) { m.Cc = []string{"x@"} }, mail.ErrAddress, `cc "x@"`},
		{"bad reply-to", func(m *mail.Message) { m.ReplyTo = "nobody" }, mail.ErrAddress, `reply-to "nobody"`},
		{"no subject", func(m *mail.Message) { m.Subject = " " }, mail.ErrMessage, "subject is empty"},
		{"subject injection", func(m *mail.Message) { m.Subject = "hi\r\nBcc: x@example.com" }, mail.ErrMessage, "line break"},
		{"no body", func(m *mail.Message) { m.Text = "" }, mail.ErrMessage, "no body"},
		{"attachment without name", func(m *mail.Message) { m.Attachments = []mail.Attachment{{Data: []byte("x")}} }, mail.ErrMessage, "attachment 1 has no name"},
		{"attachment path", func(m *mail.Message) { m.Attachments = []mail.Attachment{{Name: "../po.csv"}} }, mail.ErrMessage, "path separator"},
		{"attachment type", func(m *mail.Message) { m.Attachments = []mail.Attachment{{Name: "po.csv", ContentType: "text/"}} }, mail.ErrMessage, `content type "text/"`},
		{"reserved header", func(m *mail.Message) { m.Headers = map[string]string{"bcc": "x@example.com"} }, mail.ErrMessage, "set by the sender"},
		{"bad header name", func(m *mail.Message) { m.Headers = map[string]string{"X Orderly": "1"} }, mail.ErrMessage, "not a valid field name"},
		{"header injection", func(m *mail.Message) { m.Headers = map[string]string{"X-Orderly-PO": "1\r\nBcc: x@example.com"} }, mail.ErrMessage, "line break"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := good
			tc.edit(&m)
			_, err := snd.Send(context.Background(), m)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Send = %v, want %v mentioning %q", err, tc.is, tc.want)
			}
			if mail.Temporary(err) {
				t.Errorf("invalid message reported as temporary: %v", err)
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server received %d invalid messages", n)
	}
}

func TestSendContextCancelled(t *testing.T) {
	srv := mailtest.Start(t)
	snd := newSender(t, srv.Settings())
	msg := mail.Message{To: []string{"a@example.com"}, Subject: "s", Text: "t"}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := snd.Send(ctx, msg); !errors.Is(err, context.Canceled) || !mail.Temporary(err) {
		t.Errorf("cancelled before send: %v, want context.Canceled, temporary", err)
	}

	// Cancel while the server holds the message in DATA without answering.
	reached, release := srv.Stall()
	defer release()
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := snd.Send(ctx, msg)
		done <- err
	}()
	<-reached
	cancel()
	err := <-done // without the cancellation this would wait for the 10 s timeout
	if !errors.Is(err, context.Canceled) || !mail.Temporary(err) {
		t.Errorf("cancelled during DATA: %v, want context.Canceled, temporary", err)
	}
}

func TestSendTimeout(t *testing.T) {
	srv := mailtest.Start(t)
	s := srv.Settings()
	s.Timeout = 200 * time.Millisecond
	_, release := srv.Stall() // the server never answers DATA
	defer release()
	_, err := newSender(t, s).Send(context.Background(), mail.Message{To: []string{"a@example.com"}, Subject: "s", Text: "t"})
	if !errors.Is(err, context.DeadlineExceeded) || !mail.Temporary(err) {
		t.Errorf("stalled server: %v, want context.DeadlineExceeded, temporary", err)
	}
}

func TestTemporaryAndCodeOnOtherErrors(t *testing.T) {
	if mail.Temporary(nil) || mail.Code(nil) != 0 {
		t.Error("nil error is temporary or has a code")
	}
	if mail.Temporary(errors.New("x")) {
		t.Error("foreign error is temporary")
	}
}
