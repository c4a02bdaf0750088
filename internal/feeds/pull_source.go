package feeds

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// Pull outcomes, as PullSource.LastStatus says them.
const (
	PullFetched     = "fetched"      // a file was received and became a run (LastRunID)
	PullNotModified = "not_modified" // 304: the file is the one of the last pull
	PullFailed      = "failed"       // nothing received or applied: LastError says why
)

// Limits of a pull source's settings.
const (
	MinPullEvery       = time.Minute
	MaxPullEvery       = 7 * 24 * time.Hour
	DefaultPullTimeout = 60 * time.Second
	MaxPullTimeout     = 10 * time.Minute
	// MaxPullRedirects is how many redirects a pull follows (to any host;
	// the auth header is sent to the first host only).
	MaxPullRedirects = 5
)

// PullSource is where a supplier's feed is pulled from, and how its last
// pull went. The auth header's value is a secret and never leaves the
// service: AuthSet says whether there is one.
type PullSource struct {
	SupplierID int64         `json:"supplier_id"`
	URL        string        `json:"url"`
	AuthHeader string        `json:"auth_header,omitempty"`
	AuthSet    bool          `json:"auth_set"`
	Every      time.Duration `json:"-"` // 0: no schedule, "pull now" only
	Timeout    time.Duration `json:"-"`

	ETag           string     `json:"etag,omitempty"`
	LastModified   string     `json:"last_modified,omitempty"`
	LastPullAt     *time.Time `json:"last_pull_at,omitempty"`
	LastStatus     string     `json:"last_status,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	LastHTTPStatus int        `json:"last_http_status,omitempty"`
	LastRunID      *int64     `json:"last_run_id,omitempty"`
	NextPullAt     *time.Time `json:"next_pull_at,omitempty"`
	// Pulling: an instance holds the source's claim now.
	Pulling   bool      `json:"pulling"`
	UpdatedAt time.Time `json:"updated_at"`

	authValue    string
	validatorsAt *time.Time
}

// PullAuth is the credential a pull sends: a header (Header, default
// Authorization, with Value such as "Bearer abc"), or HTTP basic auth
// (Username and Password). All empty: none.
type PullAuth struct {
	Header   string
	Value    string
	Username string
	Password string
}

// PullInput sets a supplier's pull source.
type PullInput struct {
	URL string
	// Auth nil keeps the stored credential (only while the URL stays on the
	// same scheme and host); a zero PullAuth removes it.
	Auth    *PullAuth
	Every   time.Duration // 0: no schedule
	Timeout time.Duration // 0: DefaultPullTimeout
}

// forbiddenHeaders are headers a pull's credential may not be sent as: the
// pull sets them itself, or they change how the request is framed.
var forbiddenHeaders = []string{"host", "content-length", "transfer-encoding", "connection", "if-none-match",
	"if-modified-since", "accept-encoding", "te", "upgrade", "range"}

// validatePullURL checks a pull URL; only http and https are fetched.
func validatePullURL(raw string, f *apperr.Fields) *url.URL {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		f.Add("url", "is required (DELETE the source to stop pulling)")
		return nil
	}
	if len(raw) > 2048 {
		f.Add("url", "must be at most 2048 characters")
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		f.Add("url", "is not a URL: %v", err)
		return nil
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "":
		f.Add("url", "must be an absolute http or https URL such as https://supplier.example/stock.csv, got %q", raw)
		return nil
	default:
		f.Add("url", "must be an http or https URL, got scheme %q (FTP, file and other schemes are not fetched)", u.Scheme)
		return nil
	}
	if u.Hostname() == "" {
		f.Add("url", "has no host: %q", raw)
		return nil
	}
	if u.User != nil {
		f.Add("url", "must not hold a user or password: give them as basic auth (username, password), which is kept secret")
		return nil
	}
	u.Fragment = ""
	return u
}

// authHeader turns a PullAuth into the header name and value to send.
func authHeader(a PullAuth, f *apperr.Fields) (string, string) {
	switch {
	case a.Username != "" || a.Password != "":
		if a.Header != "" || a.Value != "" {
			f.Add("auth", "give either a header and value or a username and password, not both")
			return "", ""
		}
		if a.Username == "" || strings.Contains(a.Username, ":") {
			f.Add("auth.username", "is required for basic auth and must not contain a colon")
			return "", ""
		}
		return "Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(a.Username+":"+a.Password))
	case a.Value == "" && a.Header == "":
		return "", ""
	case a.Value == "":
		f.Add("auth.value", "is required with a header, e.g. \"Bearer abc123\"")
		return "", ""
	}
	name := strings.TrimSpace(a.Header)
	if name == "" {
		name = "Authorization"
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			f.Add("auth.header", "must be a header name such as Authorization or X-Api-Key, got %q", name)
			return "", ""
		}
	}
	for _, h := range forbiddenHeaders {
		if strings.EqualFold(name, h) {
			f.Add("auth.header", "cannot be %s: the pull sets it itself", name)
			return "", ""
		}
	}
	if strings.ContainsAny(a.Value, "\r\n\x00") || len(a.Value) > 4096 {
		f.Add("auth.value", "must be one line of at most 4096 characters")
		return "", ""
	}
	return name, a.Value
}

// sameOrigin reports whether two URLs have the same scheme and host.
func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host)
}

const pullColumns = `supplier_id, url, auth_header, auth_value, interval_seconds, timeout_seconds, etag, last_modified, validators_at,
	last_pull_at, last_status, last_error, last_http_status, last_run_id, next_pull_at, claimed_until, updated_at`

func (s *Service) scanPull(row interface{ Scan(...any) error }) (*PullSource, error) {
	var p PullSource
	var every, timeout int64
	var validators, last, next, claimed sql.NullTime
	var run sql.NullInt64
	if err := row.Scan(&p.SupplierID, &p.URL, &p.AuthHeader, &p.authValue, &every, &timeout, &p.ETag, &p.LastModified, &validators,
		&last, &p.LastStatus, &p.LastError, &p.LastHTTPStatus, &run, &next, &claimed, &p.UpdatedAt); err != nil {
		return nil, err
	}
	p.Every, p.Timeout = time.Duration(every)*time.Second, time.Duration(timeout)*time.Second
	p.AuthSet = p.authValue != ""
	p.validatorsAt, p.LastPullAt, p.NextPullAt = timePtr(validators), timePtr(last), timePtr(next)
	if run.Valid {
		p.LastRunID = &run.Int64
	}
	p.Pulling = claimed.Valid && claimed.Time.After(s.clock())
	p.UpdatedAt = p.UpdatedAt.UTC()
	return &p, nil
}

// PullSource returns a supplier's pull source, or nil if it has none.
func (s *Service) PullSource(ctx context.Context, supplierID int64) (*PullSource, error) {
	p, err := s.scanPull(s.db.R.QueryRowContext(ctx, `SELECT `+pullColumns+` FROM feed_sources WHERE supplier_id = $1`, supplierID))
	if errors.Is(err, sql.ErrNoRows) {
		if err := s.supplierExists(ctx, s.db.R, supplierID); err != nil {
			return nil, err
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("feed source of supplier %d: %w", supplierID, err)
	}
	return p, nil
}

// PullSources returns every supplier's pull source, by supplier id (for
// the console's lists).
func (s *Service) PullSources(ctx context.Context) ([]PullSource, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+pullColumns+` FROM feed_sources ORDER BY supplier_id`)
	if err != nil {
		return nil, fmt.Errorf("feed sources: %w", err)
	}
	defer rows.Close()
	var out []PullSource
	for rows.Next() {
		p, err := s.scanPull(rows)
		if err != nil {
			return nil, fmt.Errorf("feed sources: %w", err)
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

func (s *Service) supplierExists(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, supplierID int64) error {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM suppliers WHERE id = $1`, supplierID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.NotFound, "supplier %d not found", supplierID)
	}
	if err != nil {
		return fmt.Errorf("supplier %d: %w", supplierID, err)
	}
	return nil
}

// SetPullSource saves where a supplier's feed is pulled from. A scheduled
// source is pulled at the next dispatch (within a minute), then every
// Every. The validators of the previous file are kept only while the URL
// stays the same.
func (s *Service) SetPullSource(ctx context.Context, supplierID int64, in PullInput) (*PullSource, error) {
	var f apperr.Fields
	u := validatePullURL(in.URL, &f)
	var header, value string
	if in.Auth != nil {
		header, value = authHeader(*in.Auth, &f)
	}
	if in.Every != 0 && (in.Every < MinPullEvery || in.Every > MaxPullEvery) {
		f.Add("every", "must be 0 (no schedule) or between %s and %s, got %s", fmtDuration(MinPullEvery), fmtDuration(MaxPullEvery), fmtDuration(in.Every))
	}
	if in.Timeout == 0 {
		in.Timeout = DefaultPullTimeout
	}
	if in.Timeout < time.Second || in.Timeout > MaxPullTimeout {
		f.Add("timeout", "must be between 1s and %s, got %s", fmtDuration(MaxPullTimeout), fmtDuration(in.Timeout))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	raw := u.String()
	now := s.clock()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.supplierExists(ctx, tx, supplierID); err != nil {
			return err
		}
		old, err := s.scanPull(tx.QueryRowContext(ctx, `SELECT `+pullColumns+` FROM feed_sources WHERE supplier_id = $1`, supplierID))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("feed source of supplier %d: %w", supplierID, err)
		}
		if in.Auth == nil && old != nil && old.authValue != "" {
			if !sameOrigin(old.URL, raw) {
				return apperr.InvalidField("auth", "the URL now points to another host (%s): give the credential again, or an empty auth to send none", u.Host)
			}
			header, value = old.AuthHeader, old.authValue
		}
		var next any
		if in.Every > 0 {
			next = now
		}
		keep := old != nil && old.URL == raw
		_, err = tx.ExecContext(ctx, `INSERT INTO feed_sources (supplier_id, url, auth_header, auth_value, interval_seconds, timeout_seconds,
			next_pull_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (supplier_id) DO UPDATE SET url = excluded.url, auth_header = excluded.auth_header, auth_value = excluded.auth_value,
				interval_seconds = excluded.interval_seconds, timeout_seconds = excluded.timeout_seconds, next_pull_at = excluded.next_pull_at,
				updated_at = excluded.updated_at`,
			supplierID, raw, header, value, int64(in.Every/time.Second), int64(in.Timeout/time.Second), next, now)
		if err != nil {
			return fmt.Errorf("save feed source of supplier %d: %w", supplierID, err)
		}
		if !keep {
			if _, err := tx.ExecContext(ctx, `UPDATE feed_sources SET etag = '', last_modified = '', validators_at = NULL WHERE supplier_id = $1`,
				supplierID); err != nil {
				return fmt.Errorf("save feed source of supplier %d: %w", supplierID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.PullSource(ctx, supplierID)
}

// DeletePullSource removes a supplier's pull source: it is no longer
// pulled. Removing none is not an error.
func (s *Service) DeletePullSource(ctx context.Context, supplierID int64) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.supplierExists(ctx, tx, supplierID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM feed_sources WHERE supplier_id = $1`, supplierID); err != nil {
			return fmt.Errorf("delete feed source of supplier %d: %w", supplierID, err)
		}
		return nil
	})
}

// fmtDuration writes a duration the short way: 1h, 90m, 30s, 1h30m.
func fmtDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// FormatDuration writes a pull interval or timeout as the API shows it
// ("1h", "90m", "30s").
func FormatDuration(d time.Duration) string { return fmtDuration(d) }
