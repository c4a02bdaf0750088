// Package storesettings keeps the store-wide settings that belong to no one
// domain. For now that is the store's time zone: the IANA zone in which
// customers read dates and times (notifications, their order page) and in
// which a coupon's last day ends. Instants are stored in UTC everywhere; the
// zone only decides how they are shown and where a calendar day ends.
//
// The settings are one row of store_settings; without a row the store is on
// UTC. docs/customer-page.md and docs/notifications.md say what it changes.
package storesettings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	// The zone database is embedded so that a zone named here loads on hosts
	// without /usr/share/zoneinfo (the orderly binary embeds it too).
	_ "time/tzdata"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
)

// DefaultTimeZone is the time zone of a store that has not set one.
const DefaultTimeZone = "UTC"

// Settings are the store-wide settings.
type Settings struct {
	TimeZone  string    `json:"time_zone" example:"America/Sao_Paulo" doc:"The store's IANA time zone: customers read dates and times in it; UTC until set"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Location is the store's time zone, UTC when the stored name no longer
// loads (it was checked when saved, and the zone database is embedded).
func (s Settings) Location() *time.Location {
	z, err := ParseTimeZone(s.TimeZone)
	if err != nil {
		return time.UTC
	}
	return z
}

// ParseTimeZone loads an IANA time zone name (America/Sao_Paulo,
// Europe/Rome, UTC). It refuses an empty name and "Local", which would mean
// whatever zone the server happens to run in.
func ParseTimeZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("must be an IANA time zone name such as America/Sao_Paulo or Europe/Rome")
	}
	z, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not an IANA time zone name (e.g. America/Sao_Paulo, Europe/Rome, UTC)", name)
	}
	return z, nil
}

// Load reads the settings through q (a transaction or a pool); none stored
// gives the defaults.
func Load(ctx context.Context, q store.Querier) (Settings, error) {
	var s Settings
	err := q.QueryRowContext(ctx, `SELECT time_zone, updated_by, updated_at FROM store_settings WHERE id = 1`).
		Scan(&s.TimeZone, &s.UpdatedBy, &s.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Settings{TimeZone: DefaultTimeZone}, nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("read store settings: %w", err)
	}
	s.UpdatedAt = s.UpdatedAt.UTC()
	return s, nil
}

// Zone reads the store's time zone through q.
func Zone(ctx context.Context, q store.Querier) (*time.Location, error) {
	s, err := Load(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.Location(), nil
}

// Service reads and changes the settings.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// New returns the settings service; now is its clock (nil: time.Now).
func New(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now}
}

// Get returns the settings.
func (s *Service) Get(ctx context.Context) (Settings, error) { return Load(ctx, s.db.R) }

// Input changes the settings.
type Input struct {
	TimeZone string
}

// Set validates and stores the settings; who is the actor. A time zone that
// does not load is refused with a field error on time_zone.
func (s *Service) Set(ctx context.Context, in Input, who string) (Settings, error) {
	name := strings.TrimSpace(in.TimeZone)
	if _, err := ParseTimeZone(name); err != nil {
		return Settings{}, apperr.InvalidField("time_zone", "%v", err)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO store_settings (id, time_zone, updated_by, updated_at) VALUES (1, $1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET time_zone = excluded.time_zone, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		name, who, now)
	if err != nil {
		return Settings{}, fmt.Errorf("save store settings: %w", err)
	}
	return s.Get(ctx)
}
