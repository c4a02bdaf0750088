package routing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/store"
)

// MaxRules bounds the rules of a store; MaxListed the suppliers of a rule
// and the entries of each condition list.
const (
	MaxRules  = 200
	MaxListed = 200
)

// RuleInput creates or replaces a rule. Position is where it goes (1 =
// first; 0 or beyond the end: last).
type RuleInput struct {
	Name       string     `json:"name" minLength:"1" maxLength:"100"`
	Position   int        `json:"position,omitempty" minimum:"0" doc:"Where the rule goes: 1 is tried first; 0 or beyond the end: last"`
	Enabled    *bool      `json:"enabled,omitempty" doc:"Default true"`
	Conditions Conditions `json:"conditions,omitempty" doc:"Every condition given must hold; none: every order"`
	Strategy   Strategy   `json:"strategy" enum:"lowest_cost,fastest,priority,fewest_shipments"`
	Suppliers  []int64    `json:"suppliers,omitempty" doc:"Supplier ids, most preferred first; empty: every supplier with an offer"`
	OnlyListed bool       `json:"only_listed,omitempty" doc:"Suppliers not listed are never used (else they are the last alternates)"`
}

// parsed checks the input and returns it normalised; unknown suppliers are
// checked against the database by the caller.
func (in RuleInput) parsed() (RuleInput, error) {
	var fs apperr.Fields
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len([]rune(in.Name)) > 100 {
		fs.Add("name", "must be 1 to 100 characters")
	}
	if in.Position < 0 {
		fs.Add("position", "must be 0 or more, got %d", in.Position)
	}
	if !in.Strategy.Valid() {
		fs.Add("strategy", "unknown strategy %q: want lowest_cost, fastest, priority or fewest_shipments", in.Strategy)
	}
	if len(in.Suppliers) > MaxListed {
		fs.Add("suppliers", "at most %d suppliers", MaxListed)
	}
	for i, id := range in.Suppliers {
		if slices.Contains(in.Suppliers[:i], id) {
			fs.Add(fmt.Sprintf("suppliers[%d]", i), "supplier %d is listed twice", id)
		}
	}
	if in.OnlyListed && len(in.Suppliers) == 0 {
		fs.Add("only_listed", "needs a supplier list")
	}
	c := &in.Conditions
	list := func(name string, vs []string, norm func(int, string) string) []string {
		if len(vs) > MaxListed {
			fs.Add("conditions."+name, "at most %d entries", MaxListed)
			return vs
		}
		out := make([]string, 0, len(vs))
		for i, v := range vs {
			if n := norm(i, v); n != "" && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	c.Countries = list("countries", c.Countries, func(i int, v string) string {
		code := strings.ToUpper(strings.TrimSpace(v))
		n, _, problems := customers.CheckDestination(code, "")
		for _, p := range problems {
			if p.Field == "country" {
				fs.Add(fmt.Sprintf("conditions.countries[%d]", i), "%q is not an ISO 3166-1 alpha-2 country code", v)
				return ""
			}
		}
		if len(code) != 2 || n != code {
			fs.Add(fmt.Sprintf("conditions.countries[%d]", i), "%q is not an ISO 3166-1 alpha-2 country code", v)
			return ""
		}
		return code
	})
	c.Regions = list("regions", c.Regions, func(i int, v string) string {
		v = strings.TrimSpace(v)
		if v == "" || len(v) > 100 {
			fs.Add(fmt.Sprintf("conditions.regions[%d]", i), "must be 1 to 100 characters")
		}
		return v
	})
	c.SKUs = list("skus", c.SKUs, func(i int, v string) string {
		sku, err := catalog.ParseSKU(v)
		if err != nil {
			fs.Add(fmt.Sprintf("conditions.skus[%d]", i), "%s", err)
		}
		return string(sku)
	})
	if tags, err := catalog.ParseTags(c.Tags); err != nil {
		fs.Add("conditions.tags", "%s", err)
	} else if len(tags) > 0 {
		c.Tags = tags
	} else {
		c.Tags = nil
	}
	if len(c.Collections) > 0 {
		fs.Add("conditions.collections", "the catalog has no collections: use tags")
	}
	c.Channels = list("channels", c.Channels, func(i int, v string) string {
		v = strings.ToLower(strings.TrimSpace(v))
		if v == "" || len(v) > 50 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			fs.Add(fmt.Sprintf("conditions.channels[%d]", i), "channel %q: lower-case letters, digits, - and _", v)
		}
		return v
	})
	if c.MinTotal != nil && *c.MinTotal < 0 {
		fs.Add("conditions.min_total", "must not be negative, got %d", *c.MinTotal)
	}
	if c.MaxTotal != nil && *c.MaxTotal < 0 {
		fs.Add("conditions.max_total", "must not be negative, got %d", *c.MaxTotal)
	}
	if c.MinTotal != nil && c.MaxTotal != nil && *c.MinTotal > *c.MaxTotal {
		fs.Add("conditions.max_total", "must be at least min_total (%d), got %d", *c.MinTotal, *c.MaxTotal)
	}
	return in, fs.Err()
}

// Service stores the routing rules and settings and routes orders (Router).
type Service struct {
	db  *store.DB
	now func() time.Time
}

// NewService returns the rules and settings service.
func NewService(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

const ruleColumns = `id, name, position, enabled, conditions, strategy, suppliers, only_listed, created_at, updated_at`

func scanRule(row interface{ Scan(...any) error }) (Rule, error) {
	var r Rule
	var conds, sups string
	if err := row.Scan(&r.ID, &r.Name, &r.Position, &r.Enabled, &conds, &r.Strategy, &sups, &r.OnlyListed, &r.CreatedAt, &r.UpdatedAt); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(conds), &r.Conditions); err != nil {
		return r, fmt.Errorf("rule %d conditions: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(sups), &r.Suppliers); err != nil {
		return r, fmt.Errorf("rule %d suppliers: %w", r.ID, err)
	}
	if r.Suppliers == nil {
		r.Suppliers = []int64{}
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return r, nil
}

// Rules lists the rules in the order they are tried.
func (s *Service) Rules(ctx context.Context) ([]Rule, error) { return rules(ctx, s.db.R) }

func rules(ctx context.Context, q store.Querier) ([]Rule, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ruleColumns+` FROM routing_rules ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("routing rules: %w", err)
	}
	defer rows.Close()
	out := []Rule{}
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, fmt.Errorf("routing rules: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Rule returns one rule.
func (s *Service) Rule(ctx context.Context, id int64) (Rule, error) { return getRule(ctx, s.db.R, id) }

func getRule(ctx context.Context, q store.Querier, id int64) (Rule, error) {
	r, err := scanRule(q.QueryRowContext(ctx, `SELECT `+ruleColumns+` FROM routing_rules WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, apperr.New(apperr.NotFound, "routing rule %d not found", id)
	}
	if err != nil {
		return r, fmt.Errorf("routing rule %d: %w", id, err)
	}
	return r, nil
}

// checkSuppliers returns an invalid-field error naming the ids that are not suppliers.
func checkSuppliers(ctx context.Context, tx *sql.Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	ph, args := inList(ids)
	rows, err := tx.QueryContext(ctx, `SELECT id FROM suppliers WHERE id IN (`+ph+`)`, args...)
	if err != nil {
		return fmt.Errorf("check suppliers: %w", err)
	}
	defer rows.Close()
	found := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("check suppliers: %w", err)
		}
		found[id] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check suppliers: %w", err)
	}
	var fs apperr.Fields
	for i, id := range ids {
		if !found[id] {
			fs.Add(fmt.Sprintf("suppliers[%d]", i), "unknown supplier id %d", id)
		}
	}
	return fs.Err()
}

// CreateRule adds a rule at in.Position (last by default) and returns it.
func (s *Service) CreateRule(ctx context.Context, in RuleInput) (Rule, error) {
	in, err := in.parsed()
	if err != nil {
		return Rule{}, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		ids, err := s.lockOrder(ctx, tx)
		if err != nil {
			return err
		}
		if len(ids) >= MaxRules {
			return apperr.New(apperr.Conflict, "at most %d routing rules", MaxRules)
		}
		if err := checkSuppliers(ctx, tx, in.Suppliers); err != nil {
			return err
		}
		conds, sups := marshal(in)
		now := s.clock()
		if err := tx.QueryRowContext(ctx, `INSERT INTO routing_rules (name, position, enabled, conditions, strategy, suppliers, only_listed, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
			in.Name, len(ids)+1, in.Enabled == nil || *in.Enabled, conds, in.Strategy, sups, in.OnlyListed, now).Scan(&id); err != nil {
			return fmt.Errorf("create routing rule: %w", err)
		}
		return s.place(ctx, tx, ids, id, in.Position)
	})
	if err != nil {
		return Rule{}, err
	}
	return s.Rule(ctx, id)
}

// UpdateRule replaces a rule; a Position of 0 keeps its place.
func (s *Service) UpdateRule(ctx context.Context, id int64, in RuleInput) (Rule, error) {
	in, err := in.parsed()
	if err != nil {
		return Rule{}, err
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		ids, err := s.lockOrder(ctx, tx)
		if err != nil {
			return err
		}
		if !slices.Contains(ids, id) {
			return apperr.New(apperr.NotFound, "routing rule %d not found", id)
		}
		if err := checkSuppliers(ctx, tx, in.Suppliers); err != nil {
			return err
		}
		conds, sups := marshal(in)
		if _, err := tx.ExecContext(ctx, `UPDATE routing_rules SET name = $1, enabled = $2, conditions = $3, strategy = $4, suppliers = $5,
			only_listed = $6, updated_at = $7 WHERE id = $8`,
			in.Name, in.Enabled == nil || *in.Enabled, conds, in.Strategy, sups, in.OnlyListed, s.clock(), id); err != nil {
			return fmt.Errorf("update routing rule %d: %w", id, err)
		}
		if in.Position == 0 {
			return nil
		}
		return s.place(ctx, tx, ids, id, in.Position)
	})
	if err != nil {
		return Rule{}, err
	}
	return s.Rule(ctx, id)
}

// DeleteRule removes a rule; the others close up.
func (s *Service) DeleteRule(ctx context.Context, id int64) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		ids, err := s.lockOrder(ctx, tx)
		if err != nil {
			return err
		}
		if !slices.Contains(ids, id) {
			return apperr.New(apperr.NotFound, "routing rule %d not found", id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM routing_rules WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete routing rule %d: %w", id, err)
		}
		return s.renumber(ctx, tx, slices.DeleteFunc(ids, func(x int64) bool { return x == id }))
	})
}

// Reorder sets the order the rules are tried in: ids must list every rule once.
func (s *Service) Reorder(ctx context.Context, ids []int64) ([]Rule, error) {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		have, err := s.lockOrder(ctx, tx)
		if err != nil {
			return err
		}
		var fs apperr.Fields
		for i, id := range ids {
			switch {
			case !slices.Contains(have, id):
				fs.Add(fmt.Sprintf("ids[%d]", i), "routing rule %d not found", id)
			case slices.Contains(ids[:i], id):
				fs.Add(fmt.Sprintf("ids[%d]", i), "rule %d is listed twice", id)
			}
		}
		if len(ids) != len(have) && fs.Err() == nil {
			fs.Add("ids", "must list every rule (%d), got %d", len(have), len(ids))
		}
		if err := fs.Err(); err != nil {
			return err
		}
		return s.renumber(ctx, tx, ids)
	})
	if err != nil {
		return nil, err
	}
	return s.Rules(ctx)
}

// lockOrder returns the rule ids in their order, locking the rows on
// PostgreSQL so rule changes are serialised (SQLite has one writer).
func (s *Service) lockOrder(ctx context.Context, tx *sql.Tx) ([]int64, error) {
	if s.db.Engine == store.Postgres {
		// An empty table has no row to lock: take the settings row's place.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7007001)`); err != nil {
			return nil, fmt.Errorf("lock routing rules: %w", err)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM routing_rules ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("routing rules: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("routing rules: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// place moves rule id to position pos (1-based; 0 or past the end: last)
// among ids and renumbers them.
func (s *Service) place(ctx context.Context, tx *sql.Tx, ids []int64, id int64, pos int) error {
	ids = slices.DeleteFunc(slices.Clone(ids), func(x int64) bool { return x == id })
	if pos <= 0 || pos > len(ids) {
		ids = append(ids, id)
	} else {
		ids = slices.Insert(ids, pos-1, id)
	}
	return s.renumber(ctx, tx, ids)
}

// renumber gives the rules positions 1..n in the order of ids.
func (s *Service) renumber(ctx context.Context, tx *sql.Tx, ids []int64) error {
	for i, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE routing_rules SET position = $1 WHERE id = $2 AND position <> $1`, i+1, id); err != nil {
			return fmt.Errorf("order routing rules: %w", err)
		}
	}
	return nil
}

func marshal(in RuleInput) (string, string) {
	c, _ := json.Marshal(in.Conditions)
	sups := in.Suppliers
	if sups == nil {
		sups = []int64{}
	}
	s, _ := json.Marshal(sups)
	return string(c), string(s)
}

// Settings returns the store's routing settings (the defaults if never set).
func (s *Service) Settings(ctx context.Context) (Settings, error) { return settings(ctx, s.db.R) }

func settings(ctx context.Context, q store.Querier) (Settings, error) {
	st := DefaultSettings()
	err := q.QueryRowContext(ctx, `SELECT default_strategy, max_parts FROM routing_settings WHERE id = 1`).Scan(&st.DefaultStrategy, &st.MaxParts)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("routing settings: %w", err)
	}
	return st, nil
}

// SetSettings replaces the routing settings.
func (s *Service) SetSettings(ctx context.Context, st Settings) (Settings, error) {
	var fs apperr.Fields
	if !st.DefaultStrategy.Valid() {
		fs.Add("default_strategy", "unknown strategy %q: want lowest_cost, fastest, priority or fewest_shipments", st.DefaultStrategy)
	}
	if st.MaxParts < 1 || st.MaxParts > 10 {
		fs.Add("max_parts", "must be between 1 and 10, got %d", st.MaxParts)
	}
	if err := fs.Err(); err != nil {
		return Settings{}, err
	}
	if _, err := s.db.W.ExecContext(ctx, `INSERT INTO routing_settings (id, default_strategy, max_parts, updated_at) VALUES (1, $1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET default_strategy = excluded.default_strategy, max_parts = excluded.max_parts, updated_at = excluded.updated_at`,
		st.DefaultStrategy, st.MaxParts, s.clock()); err != nil {
		return Settings{}, fmt.Errorf("set routing settings: %w", err)
	}
	return s.Settings(ctx)
}

// inList returns the placeholders and arguments of an IN list of ids (CAST:
// see inventory's inList), numbered from $start.
func inList(ids []int64) (string, []any) { return inListFrom(1, ids) }

func inListFrom(start int, ids []int64) (string, []any) {
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i] = fmt.Sprintf("CAST($%d AS BIGINT)", start+i)
		args[i] = id
	}
	return strings.Join(ph, ", "), args
}
