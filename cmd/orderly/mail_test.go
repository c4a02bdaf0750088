package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/mail"
)

func TestNewMailer(t *testing.T) {
	m, where, err := newMailer(mailSettings{From: "Orderly <orderly@localhost>"}, false)
	if err != nil || m != nil || where != "off" {
		t.Errorf("no settings: %v, %q, %v; want email off", m, where, err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	m, where, err = newMailer(mailSettings{From: "Orderly <orderly@localhost>", Dir: dir}, false)
	if _, ok := m.(*mail.Dir); !ok || err != nil || where != "files in "+dir {
		t.Errorf("--mail-dir: %T, %q, %v", m, where, err)
	}
	m, where, err = newMailer(mailSettings{Host: "smtp.example.com", From: "Orderly <orderly@shop.example>", TLS: mail.TLSStartTLS}, true)
	if _, ok := m.(*mail.Sender); !ok || err != nil || where != "smtp smtp.example.com (starttls)" {
		t.Errorf("--smtp-host wins over the demo's directory: %T, %q, %v", m, where, err)
	}
	_, _, err = newMailer(mailSettings{Host: "smtp.example.com", From: "not an address", TLS: mail.TLSStartTLS}, false)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "email settings") {
		t.Errorf("a bad From: %v, want a usage error naming the email settings", err)
	}
}
