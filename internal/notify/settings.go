package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/mail"
	"github.com/orderly-oms/orderly/internal/store"
)

// DefaultLinkDays is how long the customer's order link in a message stays
// valid when the store has not said.
const DefaultLinkDays = 60

// Settings are the store's email settings: its own SMTP server (used instead
// of the --smtp-* flags when Host is set) and its branding.
type Settings struct {
	SMTP      SMTP      `json:"smtp"`
	Branding  Branding  `json:"branding"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// SMTP is the stored SMTP server. The password is never read back:
// PasswordSet says whether one is stored.
type SMTP struct {
	Host        string `json:"host" doc:"SMTP server; empty: the server's --smtp-* flags (or its mail directory) are used"`
	Port        int    `json:"port" doc:"0 picks 587 for starttls, 465 for tls, 25 for none"`
	Username    string `json:"username"`
	TLS         string `json:"tls" enum:"starttls,tls,none," doc:"Transport security; empty means starttls"`
	PasswordSet bool   `json:"password_set"`
}

// Branding is how the store presents itself in customer email.
type Branding struct {
	StoreName    string `json:"store_name,omitempty" doc:"The store's name, in subjects and the message header"`
	LogoURL      string `json:"logo_url,omitempty" doc:"An https URL of the logo shown at the top of HTML messages"`
	AccentColor  string `json:"accent_color,omitempty" doc:"A colour #rrggbb for the header line and buttons"`
	SupportEmail string `json:"support_email,omitempty" doc:"Where customers write with questions (Reply-To of every notification)"`
	From         string `json:"from,omitempty" doc:"The From address of all outgoing email; empty: the --smtp-from flag"`
	BaseURL      string `json:"base_url,omitempty" doc:"The public address of this Orderly (https://orders.shop.example): customer links start with it"`
	LinkDays     int    `json:"link_days,omitempty" doc:"Days a customer link stays valid; 0 means 60"`
}

// SettingsInput changes the settings. An empty Password keeps the stored
// one; ClearPassword removes it.
type SettingsInput struct {
	SMTPHost      string
	SMTPPort      int
	SMTPUsername  string
	SMTPTLS       string
	Password      string
	ClearPassword bool
	Branding      Branding
}

type storedSettings struct {
	Settings
	password string
}

func (b Branding) linkDays() int {
	if b.LinkDays <= 0 {
		return DefaultLinkDays
	}
	return b.LinkDays
}

func (b Branding) storeName() string {
	if strings.TrimSpace(b.StoreName) == "" {
		return "Orderly"
	}
	return b.StoreName
}

// loadSettings reads the stored settings; none stored is the zero value.
func loadSettings(ctx context.Context, q store.Querier) (storedSettings, error) {
	var s storedSettings
	b := &s.Branding
	err := q.QueryRowContext(ctx, `SELECT smtp_host, smtp_port, smtp_username, smtp_password, smtp_tls, store_name, logo_url,
		accent_color, support_email, from_address, base_url, link_days, updated_by, updated_at FROM notification_settings WHERE id = 1`).
		Scan(&s.SMTP.Host, &s.SMTP.Port, &s.SMTP.Username, &s.password, &s.SMTP.TLS, &b.StoreName, &b.LogoURL, &b.AccentColor,
			&b.SupportEmail, &b.From, &b.BaseURL, &b.LinkDays, &s.UpdatedBy, &s.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return storedSettings{}, nil
	}
	if err != nil {
		return storedSettings{}, fmt.Errorf("read notification settings: %w", err)
	}
	s.SMTP.PasswordSet = s.password != ""
	s.UpdatedAt = s.UpdatedAt.UTC()
	return s, nil
}

// Settings returns the stored settings (the password never).
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	st, err := loadSettings(ctx, s.db.R)
	return st.Settings, err
}

var accentRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// SaveSettings validates and stores the settings; who is the actor.
func (s *Service) SaveSettings(ctx context.Context, in SettingsInput, who string) (Settings, error) {
	old, err := loadSettings(ctx, s.db.R)
	if err != nil {
		return Settings{}, err
	}
	b := in.Branding
	trim := func(p *string) { *p = strings.TrimSpace(*p) }
	for _, p := range []*string{&in.SMTPHost, &in.SMTPUsername, &in.SMTPTLS, &b.StoreName, &b.LogoURL, &b.AccentColor, &b.SupportEmail, &b.From, &b.BaseURL} {
		trim(p)
	}
	b.BaseURL = strings.TrimRight(b.BaseURL, "/")
	password := old.password
	switch {
	case in.ClearPassword:
		password = ""
	case in.Password != "":
		password = in.Password
	}
	var fe apperr.Fields
	if len(b.StoreName) > 100 {
		fe.Add("store_name", "must be at most 100 characters")
	} else if strings.IndexFunc(b.StoreName, unicode.IsControl) >= 0 {
		// It goes into every subject: a line break would end the header.
		fe.Add("store_name", "must be one line without control characters")
	}
	if b.LogoURL != "" && !webURL(b.LogoURL, false) {
		fe.Add("logo_url", "must be an absolute http or https URL, not %q", b.LogoURL)
	}
	if b.AccentColor != "" && !accentRE.MatchString(b.AccentColor) {
		fe.Add("accent_color", "must be a colour written #rrggbb (e.g. #0b6e4f), not %q", b.AccentColor)
	}
	if b.SupportEmail != "" {
		if a, err := netmail.ParseAddress(b.SupportEmail); err != nil || a.Name != "" {
			fe.Add("support_email", "must be one email address such as help@shop.example, not %q", b.SupportEmail)
		}
	}
	fromOK := true
	if b.From != "" {
		if _, err := netmail.ParseAddress(b.From); err != nil {
			fromOK = false
			fe.Add("from", "must be an address such as \"My Shop <orders@shop.example>\", not %q", b.From)
		}
	}
	if b.BaseURL != "" && !webURL(b.BaseURL, true) {
		fe.Add("base_url", "must be the public http or https address of Orderly without query (https://orders.shop.example), not %q", b.BaseURL)
	}
	if b.LinkDays < 0 || b.LinkDays > 365 {
		fe.Add("link_days", "must be between 0 (the default, %d) and 365, got %d", DefaultLinkDays, b.LinkDays)
	}
	if in.SMTPHost != "" {
		from := b.From
		if from == "" || !fromOK {
			from = "check@example.com"
		}
		ms := mail.Settings{Host: in.SMTPHost, Port: in.SMTPPort, Username: in.SMTPUsername, Password: password, TLS: in.SMTPTLS, From: from}
		if err := ms.Validate(); err != nil {
			fe.Add("smtp", "%s", strings.TrimPrefix(strings.TrimPrefix(err.Error(), mail.ErrSettings.Error()), ": "))
		}
	}
	if err := fe.Err(); err != nil {
		return Settings{}, err
	}
	now := s.clock()
	_, err = s.db.W.ExecContext(ctx, `INSERT INTO notification_settings (id, smtp_host, smtp_port, smtp_username, smtp_password, smtp_tls,
		store_name, logo_url, accent_color, support_email, from_address, base_url, link_days, updated_by, updated_at)
		VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (id) DO UPDATE SET smtp_host = excluded.smtp_host, smtp_port = excluded.smtp_port, smtp_username = excluded.smtp_username,
		smtp_password = excluded.smtp_password, smtp_tls = excluded.smtp_tls, store_name = excluded.store_name, logo_url = excluded.logo_url,
		accent_color = excluded.accent_color, support_email = excluded.support_email, from_address = excluded.from_address,
		base_url = excluded.base_url, link_days = excluded.link_days, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		in.SMTPHost, in.SMTPPort, in.SMTPUsername, password, in.SMTPTLS, b.StoreName, b.LogoURL, b.AccentColor, b.SupportEmail, b.From,
		b.BaseURL, b.LinkDays, who, now)
	if err != nil {
		return Settings{}, fmt.Errorf("save notification settings: %w", err)
	}
	return s.Settings(ctx)
}

// webURL reports whether raw is an absolute http(s) URL; bare also refuses
// a query or fragment.
func webURL(raw string, bare bool) bool {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	return !bare || (u.RawQuery == "" && u.Fragment == "")
}
