package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// TokenPrefix starts every API token, so leaked tokens are easy to spot.
const TokenPrefix = "oy_"

// lastUsedGranularity bounds how often a token's last_used_at is written: at
// most once a minute per token, instead of a write per request.
const lastUsedGranularity = time.Minute

// Token is an API token's record. The secret itself is shown once, at
// creation, and only its SHA-256 hash is stored.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty" doc:"Last use, to the minute"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// SupplierID binds a token of role supplier to one supplier: it acts as
	// that supplier on the supplier endpoints, and on nothing else.
	SupplierID *int64 `json:"supplier_id,omitempty" doc:"The supplier a supplier token acts for"`
}

func (t *Token) target() string { return fmt.Sprintf("token:%d %s", t.ID, t.Name) }

// supplier is the token's supplier, or 0 for a staff token.
func (t *Token) supplier() int64 {
	if t.SupplierID == nil {
		return 0
	}
	return *t.SupplierID
}

// NewToken is the input for CreateToken.
type NewToken struct {
	Name      string
	Role      Role       // a staff role, or Supplier with SupplierID
	ExpiresAt *time.Time // optional
	// SupplierID makes a supplier token (role Supplier, which may be left
	// empty): usable only on the supplier endpoints, for this supplier.
	SupplierID int64
}

func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

const tokenColumns = `id, name, role, created_by, created_at, last_used_at, expires_at, revoked_at, supplier_id`

func scanToken(row interface{ Scan(...any) error }) (*Token, error) {
	var t Token
	var used, expires, revoked sql.NullTime
	var supplier sql.NullInt64
	if err := row.Scan(&t.ID, &t.Name, &t.Role, &t.CreatedBy, &t.CreatedAt, &used, &expires, &revoked, &supplier); err != nil {
		return nil, err
	}
	if supplier.Valid {
		t.SupplierID = &supplier.Int64
	}
	t.CreatedAt = t.CreatedAt.UTC()
	t.LastUsedAt, t.ExpiresAt, t.RevokedAt = nullTime(used), nullTime(expires), nullTime(revoked)
	return &t, nil
}

// CreateToken creates an API token and returns its secret ("oy_" followed by
// 32 random bytes in base64url), shown this once. Only owners may create
// owner tokens. A supplier token (SupplierID set) is created by staff who
// manage tokens, or by the supplier's own user for its supplier.
func (s *Service) CreateToken(ctx context.Context, in NewToken) (string, *Token, error) {
	actor := FromContext(ctx)
	in.Name = strings.TrimSpace(in.Name)
	now := s.clock()
	var fe apperr.Fields
	if in.Name == "" || len(in.Name) > 100 {
		fe.Add("name", "must be 1 to 100 characters")
	}
	switch {
	case in.SupplierID < 0:
		fe.Add("supplier_id", "must be a supplier id")
	case in.SupplierID > 0 && in.Role == "":
		in.Role = Supplier
	case in.SupplierID > 0 && in.Role != Supplier:
		fe.Add("role", "a token bound to a supplier has role supplier, got %s", in.Role)
	case in.SupplierID > 0: // a supplier token
	case in.Role == Supplier:
		fe.Add("supplier_id", "is required for a supplier token: the supplier it acts for")
	case !IsStaffRole(in.Role):
		fe.Add("role", "must be one of %s, or supplier with a supplier_id", rolesList(StaffRoles))
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		fe.Add("expires_at", "must be in the future")
	}
	if err := fe.Err(); err != nil {
		return "", nil, err
	}
	if err := mayManageTokens(actor, in.Role, in.SupplierID); err != nil {
		return "", nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("token secret: %w", err)
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	var expires sql.NullTime
	if in.ExpiresAt != nil {
		expires = sql.NullTime{Time: in.ExpiresAt.UTC().Truncate(time.Microsecond), Valid: true}
	}
	var supplier sql.NullInt64
	detail := "role " + string(in.Role)
	if in.SupplierID > 0 {
		supplier = sql.NullInt64{Int64: in.SupplierID, Valid: true}
		detail += fmt.Sprintf(", supplier %d", in.SupplierID)
	}
	var t *Token
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if supplier.Valid {
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM suppliers WHERE id = $1`, in.SupplierID).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.New(apperr.NotFound, "supplier %d not found", in.SupplierID)
			}
			if err != nil {
				return fmt.Errorf("create token: supplier %d: %w", in.SupplierID, err)
			}
		}
		var err error
		t, err = scanToken(tx.QueryRowContext(ctx, `INSERT INTO api_tokens (name, role, token_hash, created_by, created_at, expires_at, supplier_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+tokenColumns, in.Name, string(in.Role), hashToken(secret), actor.Actor(), now, expires, supplier))
		if err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		return s.record(ctx, tx, AuditEntry{Event: EventTokenCreated, Target: t.target(), Detail: detail})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// mayManageTokens says whether actor may create or revoke a token of role
// (for supplier, when it is a supplier token): staff who hold TokensWrite,
// or a supplier's own user (logged in, not through a token) for its supplier.
func mayManageTokens(actor *Principal, role Role, supplier int64) error {
	switch {
	case actor == nil:
		return apperr.New(apperr.Unauthenticated, "authentication required")
	case actor.Kind == KindSystem:
		return nil
	case actor.Role == Supplier && actor.Kind != KindSupplier:
		return apperr.New(apperr.Forbidden, "a supplier API token cannot create or revoke tokens: the supplier's user does, logged in")
	case actor.Role == Supplier:
		if supplier == 0 || supplier != actor.SupplierID {
			return apperr.New(apperr.Forbidden, "a supplier's user manages only its own supplier's tokens")
		}
		return nil
	case !actor.Can(TokensWrite):
		return apperr.New(apperr.Forbidden, "your role %s lacks permission %s", actor.Role, TokensWrite)
	case role == Owner && actor.Role != Owner:
		return apperr.New(apperr.Forbidden, "only an owner can create or revoke owner tokens")
	}
	return nil
}

// GetToken returns the token with id.
func (s *Service) GetToken(ctx context.Context, id int64) (*Token, error) {
	t, err := scanToken(s.db.R.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "token %d not found", id)
	}
	return t, nil
}

// SupplierTokens returns the tokens of one supplier (revoked ones too), in
// id order after afterID. Staff who manage tokens, and the supplier's own
// user or tokens, may list them.
func (s *Service) SupplierTokens(ctx context.Context, supplierID, afterID int64, limit int) ([]Token, error) {
	actor := FromContext(ctx)
	switch {
	case actor == nil:
		return nil, apperr.New(apperr.Unauthenticated, "authentication required")
	case actor.Kind == KindSystem || actor.Can(TokensWrite):
	case actor.Role == Supplier && actor.SupplierID == supplierID:
	default:
		return nil, apperr.New(apperr.Forbidden, "only staff who manage tokens, or the supplier itself, list a supplier's tokens")
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE supplier_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		supplierID, afterID, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list tokens of supplier %d: %w", supplierID, err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens of supplier %d: %w", supplierID, err)
		}
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens of supplier %d: %w", supplierID, err)
	}
	return out, nil
}

// ListTokens returns tokens (revoked ones too) in id order after afterID.
func (s *Service) ListTokens(ctx context.Context, afterID int64, limit int) ([]Token, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id > $1 ORDER BY id LIMIT $2`, afterID, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken revokes a token: from now on it authenticates nothing.
// Revoking an already revoked token is a no-op.
func (s *Service) RevokeToken(ctx context.Context, id int64) (*Token, error) {
	actor := FromContext(ctx)
	var out *Token
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		t, err := scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`+s.db.Dialect.ForUpdate(), id))
		if err != nil {
			return notFound(err, "token %d not found", id)
		}
		if err := mayManageTokens(actor, t.Role, t.supplier()); err != nil {
			return err
		}
		if t.RevokedAt != nil {
			out = t
			return nil
		}
		out, err = scanToken(tx.QueryRowContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 RETURNING `+tokenColumns, s.clock(), id))
		if err != nil {
			return fmt.Errorf("revoke token %d: %w", id, err)
		}
		return s.record(ctx, tx, AuditEntry{Event: EventTokenRevoked, Target: t.target()})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AuthenticateToken returns the principal for an API token secret, or an
// Unauthenticated error for an unknown, revoked or expired token.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (*Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return nil, apperr.New(apperr.Unauthenticated, "not an Orderly API token")
	}
	t, err := scanToken(s.db.R.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = $1`, hashToken(secret)))
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, apperr.New(apperr.Unauthenticated, "unknown API token")
		}
		return nil, fmt.Errorf("look up token: %w", err)
	}
	now := s.clock()
	switch {
	case t.RevokedAt != nil:
		return nil, apperr.New(apperr.Unauthenticated, "API token %q was revoked", t.Name)
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return nil, apperr.New(apperr.Unauthenticated, "API token %q expired", t.Name)
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= lastUsedGranularity {
		// The condition repeats the check so that concurrent requests on
		// several instances write at most once per minute between them.
		if _, err := s.db.W.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)`,
			now, t.ID, now.Add(-lastUsedGranularity)); err != nil {
			return nil, fmt.Errorf("note token use: %w", err)
		}
	}
	return &Principal{Kind: KindToken, ID: t.ID, Name: t.Name, Role: t.Role, SupplierID: t.supplier()}, nil
}
