package mail

import (
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"strings"
	"time"
)

// TLS modes for Settings.TLS.
const (
	TLSNone     = "none"     // plain SMTP; for a local relay or tests only
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which the server must offer (port 587)
	TLSImplicit = "tls"      // TLS from the first byte, "SMTPS" (port 465)
)

// DefaultTimeout bounds one Send (dial, TLS, authentication and the SMTP dialogue)
// when Settings.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// ErrSettings is wrapped by every error Validate and New return.
var ErrSettings = errors.New("mail: invalid settings")

// Settings say how to reach the SMTP server and who the mail is from.
type Settings struct {
	Host     string // server host name or IP address
	Port     int    // 1–65535; 0 means the mode's usual port: 25 (none), 587 (starttls), 465 (tls)
	Username string // SMTP AUTH user; empty sends without authentication
	Password string
	From     string        // sender address, optionally with a name: "Orderly <po@shop.example>"
	TLS      string        // "none", "starttls" or "tls"; empty means "starttls"
	Timeout  time.Duration // bounds one Send, all steps together; 0 means DefaultTimeout
}

// Validate reports the first problem with the settings, as an error wrapping ErrSettings
// that names the field and the bad value.
func (s Settings) Validate() error {
	if strings.TrimSpace(s.Host) == "" {
		return settingsErr("host is empty")
	}
	if net.ParseIP(s.Host) == nil && strings.ContainsAny(s.Host, " /:@") {
		return settingsErr("host %q is not a host name or IP address (no port, scheme or user)", s.Host)
	}
	if s.Port < 0 || s.Port > 65535 {
		return settingsErr("port %d is out of range 1–65535", s.Port)
	}
	switch s.TLS {
	case "", TLSNone, TLSStartTLS, TLSImplicit:
	default:
		return settingsErr("TLS mode %q is unknown (want %q, %q or %q)", s.TLS, TLSNone, TLSStartTLS, TLSImplicit)
	}
	if s.Timeout < 0 {
		return settingsErr("timeout %s is negative", s.Timeout)
	}
	if strings.TrimSpace(s.From) == "" {
		return settingsErr("from address is empty")
	}
	if _, err := netmail.ParseAddress(s.From); err != nil {
		return settingsErr("from address %q: %v", s.From, err)
	}
	if s.Username == "" && s.Password != "" {
		return settingsErr("password is set but username is empty")
	}
	if s.Username != "" && s.tlsMode() == TLSNone && !isLocalhost(s.Host) {
		return settingsErr("username is set with TLS %q: credentials would cross the network in clear text to %s", TLSNone, s.Host)
	}
	return nil
}

func settingsErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSettings, fmt.Sprintf(format, args...))
}

func (s Settings) tlsMode() string {
	if s.TLS == "" {
		return TLSStartTLS
	}
	return s.TLS
}

func (s Settings) port() int {
	if s.Port != 0 {
		return s.Port
	}
	switch s.tlsMode() {
	case TLSNone:
		return 25
	case TLSImplicit:
		return 465
	default:
		return 587
	}
}

func (s Settings) timeout() time.Duration {
	if s.Timeout == 0 {
		return DefaultTimeout
	}
	return s.Timeout
}

func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
