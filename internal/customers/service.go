package customers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
)

// Service creates, updates and reads customers.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// NewService returns a customers service on db; now is its clock.
func NewService(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now}
}

func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// UpsertTx records one order by the customer in, inside the caller's
// transaction tx (the order's own): it finds the customer by email,
// case-insensitively, or creates them; counts the order (orders_count,
// first_order_at, last_order_at); and records addr, normalised, among the
// customer's addresses (once per Address.Key, its last_used_at moved on).
//
// Name, phone and locale are replaced when the input sets them, unless
// orderedAt is older than the customer's latest order (an import of old
// orders does not overwrite newer details). A zero orderedAt is now. An
// empty addr records no address.
//
// It is one INSERT ... ON CONFLICT (email_key) DO UPDATE, so two orders by a
// new customer placed at once both succeed on PostgreSQL: the second waits
// for the first to commit and then counts itself against the same row.
//
// A missing or malformed email is apperr.Invalid on field customer.email.
func (s *Service) UpsertTx(ctx context.Context, tx *sql.Tx, in Input, addr Address, orderedAt time.Time) (Customer, error) {
	email, err := parseEmail("customer.email", in.Email)
	if err != nil {
		return Customer{}, err
	}
	now := s.timestamp()
	if orderedAt.IsZero() {
		orderedAt = now
	}
	orderedAt = orderedAt.UTC().Truncate(time.Microsecond)
	name, phone := clean(in.Name), clean(in.Phone)
	locale, localeGiven := localeLanguage(in.Locale)
	newLocale := ""
	if localeGiven {
		newLocale = locale
	}

	// In DO UPDATE, "excluded" is the row that was to be inserted; a detail
	// from it wins only if set and the order is not older than the latest.
	const newer = `(customers.last_order_at IS NULL OR excluded.last_order_at >= customers.last_order_at)`
	row := tx.QueryRowContext(ctx, `INSERT INTO customers (email, email_key, name, name_key, phone, locale,
			orders_count, first_order_at, last_order_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8, $8)
		ON CONFLICT (email_key) DO UPDATE SET
			name = CASE WHEN excluded.name <> '' AND `+newer+` THEN excluded.name ELSE customers.name END,
			name_key = CASE WHEN excluded.name <> '' AND `+newer+` THEN excluded.name_key ELSE customers.name_key END,
			phone = CASE WHEN excluded.phone <> '' AND `+newer+` THEN excluded.phone ELSE customers.phone END,
			locale = CASE WHEN $9 <> '' AND `+newer+` THEN excluded.locale ELSE customers.locale END,
			orders_count = customers.orders_count + 1,
			first_order_at = CASE WHEN customers.first_order_at IS NULL OR excluded.first_order_at < customers.first_order_at
				THEN excluded.first_order_at ELSE customers.first_order_at END,
			last_order_at = CASE WHEN `+newer+` THEN excluded.last_order_at ELSE customers.last_order_at END,
			updated_at = excluded.updated_at
		RETURNING `+customerColumns,
		email, EmailKey(email), name, strings.ToLower(name), phone, locale, orderedAt, now, newLocale)
	c, err := scanCustomer(row)
	if err != nil {
		return Customer{}, fmt.Errorf("save customer %q: %w", email, err)
	}
	if err := s.recordAddress(ctx, tx, c.ID, addr, orderedAt); err != nil {
		return Customer{}, err
	}
	return c, nil
}

// recordAddress adds addr to the customer's addresses, or moves the
// last_used_at of the same address on (and takes its newest spelling).
func (s *Service) recordAddress(ctx context.Context, tx *sql.Tx, customerID int64, addr Address, usedAt time.Time) error {
	a := NormalizeAddress(addr)
	if a == (Address{}) {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO customer_addresses (customer_id, name, company, line1, line2, city, region,
			postal_code, country, phone, address_key, last_used_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (customer_id, address_key) DO UPDATE SET
			name = excluded.name, company = excluded.company, line1 = excluded.line1, line2 = excluded.line2,
			city = excluded.city, region = excluded.region, postal_code = excluded.postal_code,
			country = excluded.country, phone = excluded.phone, last_used_at = excluded.last_used_at
		WHERE excluded.last_used_at >= customer_addresses.last_used_at`,
		customerID, a.Name, a.Company, a.Line1, a.Line2, a.City, a.Region, a.PostalCode, a.Country, a.Phone, a.Key(), usedAt)
	if err != nil {
		return fmt.Errorf("save address of customer %d: %w", customerID, err)
	}
	return nil
}

const customerColumns = `id, email, name, phone, locale, orders_count, first_order_at, last_order_at, created_at, updated_at`

func scanCustomer(row interface{ Scan(...any) error }) (Customer, error) {
	var c Customer
	var first, last sql.NullTime
	if err := row.Scan(&c.ID, &c.Email, &c.Name, &c.Phone, &c.Locale, &c.OrdersCount, &first, &last, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return Customer{}, err
	}
	if first.Valid {
		t := first.Time.UTC()
		c.FirstOrderAt = &t
	}
	if last.Valid {
		t := last.Time.UTC()
		c.LastOrderAt = &t
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

// Get returns a customer with their addresses. An unknown id is NotFound.
func (s *Service) Get(ctx context.Context, id int64) (*Customer, error) {
	return s.getWhere(ctx, "id = $1", id, fmt.Sprintf("customer %d", id))
}

// ByEmail returns the customer with this email address, matched
// case-insensitively, with their addresses. An unknown address is NotFound.
func (s *Service) ByEmail(ctx context.Context, email string) (*Customer, error) {
	return s.getWhere(ctx, "email_key = $1", EmailKey(email), fmt.Sprintf("customer with email %q", strings.TrimSpace(email)))
}

func (s *Service) getWhere(ctx context.Context, cond string, arg any, what string) (*Customer, error) {
	c, err := scanCustomer(s.db.R.QueryRowContext(ctx, `SELECT `+customerColumns+` FROM customers WHERE `+cond, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "%s not found", what)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", what, err)
	}
	if c.Addresses, err = s.addresses(ctx, c.ID); err != nil {
		return nil, err
	}
	return &c, nil
}

func (s *Service) addresses(ctx context.Context, customerID int64) ([]SavedAddress, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, name, company, line1, line2, city, region, postal_code, country, phone, last_used_at
		FROM customer_addresses WHERE customer_id = $1 ORDER BY last_used_at DESC, id DESC`, customerID)
	if err != nil {
		return nil, fmt.Errorf("addresses of customer %d: %w", customerID, err)
	}
	defer rows.Close()
	out := []SavedAddress{}
	for rows.Next() {
		var sa SavedAddress
		a := &sa.Address
		if err := rows.Scan(&sa.ID, &a.Name, &a.Company, &a.Line1, &a.Line2, &a.City, &a.Region, &a.PostalCode, &a.Country, &a.Phone, &sa.LastUsedAt); err != nil {
			return nil, fmt.Errorf("addresses of customer %d: %w", customerID, err)
		}
		sa.LastUsedAt = sa.LastUsedAt.UTC()
		out = append(out, sa)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("addresses of customer %d: %w", customerID, err)
	}
	return out, nil
}

// ListFilter selects customers for a list, ordered by id.
type ListFilter struct {
	// Q matches a part (prefix or any substring) of the email address or
	// the name, in any case.
	Q     string
	After int64 // keyset: customers with an id above this one
	Limit int   // 1–200; 0 means 50, more means 200
}

// MaxListLimit is the largest page List returns.
const MaxListLimit = 200

// List returns one page of customers (without addresses) ordered by id, and
// whether more follow.
func (s *Service) List(ctx context.Context, f ListFilter) ([]Customer, bool, error) {
	switch {
	case f.Limit <= 0:
		f.Limit = 50
	case f.Limit > MaxListLimit:
		f.Limit = MaxListLimit
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		// email_key and name_key are lower-cased in Go (Unicode-aware), so a
		// plain LIKE on them is case-insensitive on both engines.
		p := arg("%" + store.LikePattern(strings.ToLower(q)) + "%")
		where = append(where, fmt.Sprintf(`(email_key LIKE %s ESCAPE '\' OR name_key LIKE %s ESCAPE '\')`, p, p))
	}
	if f.After > 0 {
		where = append(where, "id > "+arg(f.After))
	}
	query := `SELECT ` + customerColumns + ` FROM customers`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id LIMIT " + arg(f.Limit+1)
	rows, err := s.db.R.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list customers: %w", err)
	}
	defer rows.Close()
	out := []Customer{}
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, false, fmt.Errorf("list customers: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list customers: %w", err)
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	return out, more, nil
}
