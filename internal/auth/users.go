package auth

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// User is a staff user, or a supplier's user (Role Supplier, SupplierID set).
type User struct {
	ID         int64     `json:"id"`
	Email      string    `json:"email"`
	Name       string    `json:"name"`
	Role       Role      `json:"role"`
	SupplierID int64     `json:"supplier_id,omitempty" doc:"For supplier users: the one supplier they belong to"`
	Disabled   bool      `json:"disabled"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`

	passwordHash       string
	sessionsValidAfter time.Time
}

// Principal returns the principal a logged-in user acts as.
func (u *User) Principal() *Principal {
	p := &Principal{Kind: KindStaff, ID: u.ID, Name: u.Email, Role: u.Role}
	if u.Role == Supplier {
		p.Kind = KindSupplier
		p.SupplierID = u.SupplierID
	}
	return p
}

func (u *User) target() string { return fmt.Sprintf("user:%d %s", u.ID, u.Email) }

// NewUser is the input for CreateUser.
type NewUser struct {
	Email      string
	Name       string
	Role       Role
	SupplierID int64 // required for Role Supplier, zero otherwise
	Password   string
}

// NormalizeEmail trims and lower-cases an email address: emails are unique
// regardless of case.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func checkEmail(email string) bool {
	at := strings.IndexByte(email, '@')
	return at > 0 && at < len(email)-1 && len(email) <= 254 && !strings.ContainsAny(email, " \t\r\n<>,;") &&
		strings.Count(email, "@") == 1
}

// mayManage reports whether the actor may manage a user who has, or would
// get, role. Owners manage everyone; admins (users:write) everyone but owners;
// the system (commands, the demo loader) everyone.
func mayManage(actor *Principal, role Role) error {
	switch {
	case actor == nil:
		return apperr.New(apperr.Unauthenticated, "authentication required")
	case actor.Kind == KindSystem:
		return nil
	case !actor.Can(UsersWrite):
		return apperr.New(apperr.Forbidden, "your role %s lacks permission %s", actor.Role, UsersWrite)
	case role == Owner && actor.Role != Owner:
		return apperr.New(apperr.Forbidden, "only an owner can manage owners or make someone an owner")
	}
	return nil
}

const userColumns = `id, email, name, role, supplier_id, disabled, password_hash, sessions_valid_after, created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var supplierID sql.NullInt64
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &supplierID, &u.Disabled, &u.passwordHash,
		&u.sessionsValidAfter, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return nil, err
	}
	u.SupplierID = supplierID.Int64
	u.CreatedAt, u.UpdatedAt, u.sessionsValidAfter = u.CreatedAt.UTC(), u.UpdatedAt.UTC(), u.sessionsValidAfter.UTC()
	return &u, nil
}

// CreateUser creates a user with a password. The caller in ctx must be
// allowed to manage users of that role.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (*User, error) {
	in.Email = NormalizeEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	var fe apperr.Fields
	if !checkEmail(in.Email) {
		fe.Add("email", "must be an email address like name@example.com")
	}
	if in.Name == "" || len(in.Name) > 200 {
		fe.Add("name", "must be 1 to 200 characters")
	}
	switch {
	case !in.Role.Valid():
		fe.Add("role", "must be one of %s", rolesList(AllRoles))
	case in.Role == Supplier && in.SupplierID <= 0:
		fe.Add("supplier_id", "is required for a supplier user")
	case in.Role != Supplier && in.SupplierID != 0:
		fe.Add("supplier_id", "is only for supplier users (role supplier)")
	}
	if msg := passwordProblem(in.Password, in.Email); msg != "" {
		fe.Add("password", "%s", msg)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if err := mayManage(FromContext(ctx), in.Role); err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	var supplierID sql.NullInt64
	if in.SupplierID != 0 {
		supplierID = sql.NullInt64{Int64: in.SupplierID, Valid: true}
	}
	var u *User
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, role, supplier_id, password_hash, disabled, sessions_valid_after, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7) RETURNING `+userColumns,
			in.Email, in.Name, string(in.Role), supplierID, hash, false, now)
		var err error
		if u, err = scanUser(row); err != nil {
			if _, ok := s.db.Dialect.UniqueViolation(err); ok {
				return apperr.New(apperr.Conflict, "email: a user with email %q already exists", in.Email)
			}
			if s.db.Dialect.ForeignKeyViolation(err) {
				return apperr.InvalidField("supplier_id", "supplier %d does not exist", in.SupplierID)
			}
			return fmt.Errorf("create user: %w", err)
		}
		return s.record(ctx, tx, AuditEntry{Event: EventUserCreated, Target: u.target(), Detail: "role " + string(u.Role)})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// GetUser returns the user with id.
func (s *Service) GetUser(ctx context.Context, id int64) (*User, error) {
	u, err := scanUser(s.db.R.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "user %d not found", id)
	}
	return u, nil
}

// UserByEmail returns the user with email (any case).
func (s *Service) UserByEmail(ctx context.Context, email string) (*User, error) {
	email = NormalizeEmail(email)
	u, err := scanUser(s.db.R.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, email))
	if err != nil {
		return nil, notFound(err, "user %q not found", email)
	}
	return u, nil
}

// UserFilter selects users for ListUsers, ordered by id.
type UserFilter struct {
	Role       Role  // only this role, if set
	SupplierID int64 // only this supplier's users, if set
	AfterID    int64 // keyset cursor
	Limit      int   // default 50, at most 1000
}

// ListUsers returns users matching f in id order.
func (s *Service) ListUsers(ctx context.Context, f UserFilter) ([]User, error) {
	q := `SELECT ` + userColumns + ` FROM users WHERE id > $1`
	args := []any{f.AfterID}
	if f.Role != "" {
		args = append(args, string(f.Role))
		q += fmt.Sprintf(" AND role = $%d", len(args))
	}
	if f.SupplierID != 0 {
		args = append(args, f.SupplierID)
		q += fmt.Sprintf(" AND supplier_id = $%d", len(args))
	}
	args = append(args, clampLimit(f.Limit))
	q += fmt.Sprintf(" ORDER BY id LIMIT $%d", len(args))
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := []User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// UserUpdate changes some of a user's fields; nil fields stay as they are.
type UserUpdate struct {
	Name     *string
	Role     *Role
	Disabled *bool
}

// UpdateUser changes a user's name, role or disabled flag. Admins cannot
// change owners or make anyone an owner; nobody can demote or disable the
// last active owner. Role changes and disabling are audited; disabling (and
// re-enabling) ends the user's existing sessions.
func (s *Service) UpdateUser(ctx context.Context, id int64, in UserUpdate) (*User, error) {
	actor := FromContext(ctx)
	var fe apperr.Fields
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		in.Name = &n
		if n == "" || len(n) > 200 {
			fe.Add("name", "must be 1 to 200 characters")
		}
	}
	if in.Role != nil && !in.Role.Valid() {
		fe.Add("role", "must be one of %s", rolesList(AllRoles))
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out *User
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		// Lock the active owners first, always in id order and before the
		// target row, so that concurrent demotions queue instead of each
		// counting the other as the remaining owner (or deadlocking).
		var owners []int64
		if in.Role != nil || in.Disabled != nil {
			var err error
			if owners, err = s.lockActiveOwners(ctx, tx); err != nil {
				return err
			}
		}
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`+s.db.Dialect.ForUpdate(), id))
		if err != nil {
			return notFound(err, "user %d not found", id)
		}
		if err := mayManage(actor, u.Role); err != nil {
			return err
		}
		newRole, disabled, name := u.Role, u.Disabled, u.Name
		if in.Name != nil {
			name = *in.Name
		}
		if in.Disabled != nil {
			disabled = *in.Disabled
		}
		if in.Role != nil && *in.Role != u.Role {
			if u.Role == Supplier || *in.Role == Supplier {
				return apperr.InvalidField("role", "a supplier user stays a supplier user and a staff user stays staff; create a new user instead")
			}
			if err := mayManage(actor, *in.Role); err != nil {
				return err
			}
			newRole = *in.Role
		}
		if u.Role == Owner && !u.Disabled && (newRole != Owner || disabled) && !slices.ContainsFunc(owners, func(o int64) bool { return o != u.ID }) {
			return apperr.New(apperr.Conflict, "user %d is the last active owner; make someone else owner first", u.ID)
		}
		now := s.clock()
		validAfter := u.sessionsValidAfter
		if disabled != u.Disabled {
			validAfter = now
		}
		out, err = scanUser(tx.QueryRowContext(ctx, `UPDATE users SET name = $1, role = $2, disabled = $3, sessions_valid_after = $4, updated_at = $5
			WHERE id = $6 RETURNING `+userColumns, name, string(newRole), disabled, validAfter, now, u.ID))
		if err != nil {
			return fmt.Errorf("update user %d: %w", u.ID, err)
		}
		if newRole != u.Role {
			if err := s.record(ctx, tx, AuditEntry{Event: EventRoleChanged, Target: u.target(), Detail: fmt.Sprintf("%s -> %s", u.Role, newRole)}); err != nil {
				return err
			}
		}
		if disabled != u.Disabled {
			ev := EventUserEnabled
			if disabled {
				ev = EventUserDisabled
			}
			if err := s.record(ctx, tx, AuditEntry{Event: ev, Target: u.target()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lockActiveOwners returns the ids of the active owners, locking their rows
// on PostgreSQL (SQLite's single writer already serialises transactions).
func (s *Service) lockActiveOwners(ctx context.Context, tx *sql.Tx) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM users WHERE role = 'owner' AND disabled = $1 ORDER BY id`+s.db.Dialect.ForUpdate(), false)
	if err != nil {
		return nil, fmt.Errorf("lock owners: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("lock owners: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lock owners: %w", err)
	}
	return ids, nil
}

// SetPassword sets a user's password. Users may change their own; otherwise
// the caller must be allowed to manage the user. Existing sessions of the user
// end.
func (s *Service) SetPassword(ctx context.Context, id int64, password string) error {
	actor := FromContext(ctx)
	u, err := s.GetUser(ctx, id)
	if err != nil {
		return err
	}
	self := actor != nil && (actor.Kind == KindStaff || actor.Kind == KindSupplier) && actor.ID == u.ID
	if !self {
		if err := mayManage(actor, u.Role); err != nil {
			return err
		}
	}
	if err := CheckPassword(password, u.Email); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		now := s.clock()
		// A manager must not be able to reset an owner's password after the
		// target was made an owner between the check above and now.
		var role string
		if err := tx.QueryRowContext(ctx, `SELECT role FROM users WHERE id = $1`+s.db.Dialect.ForUpdate(), id).Scan(&role); err != nil {
			return notFound(err, "user %d not found", id)
		}
		if !self {
			if err := mayManage(actor, Role(role)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, sessions_valid_after = $2, updated_at = $2 WHERE id = $3`, hash, now, id); err != nil {
			return fmt.Errorf("set password of user %d: %w", id, err)
		}
		return s.record(ctx, tx, AuditEntry{Event: EventPasswordChanged, Target: u.target()})
	})
}

// ChangeOwnPassword changes the password of the user in ctx after checking
// the current one. Wrong current passwords count as failed logins (and are
// throttled the same way), so it cannot be used to guess a password. The
// user's other sessions end.
func (s *Service) ChangeOwnPassword(ctx context.Context, current, next string) error {
	actor := FromContext(ctx)
	if actor == nil || (actor.Kind != KindStaff && actor.Kind != KindSupplier) {
		return apperr.InvalidField("current_password", "only a user logged in with a password can change it; API tokens have none")
	}
	u, err := s.GetUser(ctx, actor.ID)
	if err != nil {
		return err
	}
	if _, err := s.checkPassword(ctx, u.Email, current); err != nil {
		if apperr.Is(err, apperr.Unauthenticated) {
			return apperr.InvalidField("current_password", "is not your current password")
		}
		return err
	}
	return s.SetPassword(ctx, u.ID, next)
}

// SessionPrincipal returns the principal for a console session of userID that
// began at loginAt. It fails with Unauthenticated if the user is gone or
// disabled, or changed password after loginAt, so such sessions stop working
// at once. The role is read fresh, so role changes apply immediately.
func (s *Service) SessionPrincipal(ctx context.Context, userID int64, loginAt time.Time) (*Principal, error) {
	u, err := s.GetUser(ctx, userID)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return nil, apperr.New(apperr.Unauthenticated, "session user no longer exists")
		}
		return nil, err
	}
	if u.Disabled || loginAt.Before(u.sessionsValidAfter) {
		return nil, apperr.New(apperr.Unauthenticated, "session has ended; log in again")
	}
	return u.Principal(), nil
}

func rolesList(roles []Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// IsStaffRole reports whether r is a role staff users and API tokens can hold.
func IsStaffRole(r Role) bool { return slices.Contains(StaffRoles, r) }
