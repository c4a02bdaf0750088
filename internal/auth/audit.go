package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/orderly-oms/orderly/internal/store"
)

// Audit events: the security-relevant things Orderly records.
const (
	EventLogin           = "login"
	EventLoginFailed     = "login.failed"
	EventLogout          = "logout"
	EventTokenCreated    = "token.created"
	EventTokenRevoked    = "token.revoked"
	EventUserCreated     = "user.created"
	EventRoleChanged     = "user.role_changed"
	EventUserDisabled    = "user.disabled"
	EventUserEnabled     = "user.enabled"
	EventPasswordChanged = "user.password_changed"
)

// AuditEntry is one recorded security event: who (Actor) did what (Event) to
// whom (Target), from where (IP), when (At), with any detail (never a secret).
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Event  string    `json:"event"`
	Actor  string    `json:"actor" doc:"Who did it, e.g. 'staff:3 ana@example.com' or 'anonymous'"`
	Target string    `json:"target,omitempty" doc:"What it was done to, e.g. 'user:7 bo@example.com' or 'token:2 ci'"`
	IP     string    `json:"ip,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// record writes an audit entry through q (a transaction when the event is
// part of a change, so both commit or neither). Actor and IP default to the
// principal and client IP in ctx.
func (s *Service) record(ctx context.Context, q store.Querier, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.clock()
	}
	if e.Actor == "" {
		e.Actor = FromContext(ctx).Actor()
	}
	if e.IP == "" {
		e.IP = ClientIP(ctx)
	}
	_, err := q.ExecContext(ctx, `INSERT INTO audit_log (at, event, actor, target, ip, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
		e.At.UTC().Truncate(time.Microsecond), e.Event, e.Actor, e.Target, e.IP, e.Detail)
	if err != nil {
		return fmt.Errorf("record audit event %s: %w", e.Event, err)
	}
	return nil
}

// RecordLogout records that the principal in ctx logged out.
func (s *Service) RecordLogout(ctx context.Context) error {
	return s.record(ctx, s.db.W, AuditEntry{Event: EventLogout})
}

// AuditFilter selects audit entries, newest first.
type AuditFilter struct {
	Event    string // only this event, if set
	BeforeID int64  // keyset cursor: entries with a smaller id
	Limit    int    // default 50, at most 1000
}

// ListAudit returns audit entries matching f, newest first.
func (s *Service) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	q := `SELECT id, at, event, actor, target, ip, detail FROM audit_log WHERE 1=1`
	var args []any
	if f.Event != "" {
		args = append(args, f.Event)
		q += fmt.Sprintf(" AND event = $%d", len(args))
	}
	if f.BeforeID > 0 {
		args = append(args, f.BeforeID)
		q += fmt.Sprintf(" AND id < $%d", len(args))
	}
	args = append(args, clampLimit(f.Limit))
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Event, &e.Actor, &e.Target, &e.IP, &e.Detail); err != nil {
			return nil, fmt.Errorf("list audit log: %w", err)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return out, nil
}
