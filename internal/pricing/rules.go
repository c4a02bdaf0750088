package pricing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/store"
)

// Scope is what a rule covers.
type Scope string

const (
	// ScopeStore covers every variant priced in the rule's currency.
	ScopeStore Scope = "store"
	// ScopeCollection covers the variants of products with the rule's tag.
	ScopeCollection Scope = "collection"
	// ScopeSKU covers one variant.
	ScopeSKU Scope = "sku"
)

// Mode is what happens to a new price within the daily limit.
type Mode string

const (
	// ModePropose makes every new price a proposal for staff to approve.
	ModePropose Mode = "propose"
	// ModeApply applies a new price at once when the change is within the
	// rule's daily limit; a larger change waits as a proposal.
	ModeApply Mode = "apply"
)

// Rule is a pricing rule. The most specific rule that covers a variant
// prices it: its SKU rule, else its collection rule (smallest priority,
// then oldest), else the store rule of its price currency.
type Rule struct {
	ID        int64  `json:"id"`
	Scope     Scope  `json:"scope" enum:"store,collection,sku"`
	Tag       string `json:"tag,omitempty" doc:"Collection rules: the product tag"`
	VariantID int64  `json:"variant_id,omitempty" doc:"SKU rules: the variant"`
	SKU       string `json:"sku,omitempty" doc:"SKU rules: the variant's SKU"`
	Currency  string `json:"currency" doc:"The rule covers variants priced in this currency; its amounts are in it"`
	Priority  int    `json:"priority" doc:"Between collection rules covering one variant, the smallest wins"`
	// The formula's inputs (see Settings).
	Margin     Percent      `json:"margin_percent" doc:"Target contribution margin, percent of the price after cost, shipping, packaging and fees"`
	FeePercent Percent      `json:"fee_percent" doc:"Payment fee, percent of the price"`
	FeeFixed   money.Money  `json:"fee_fixed" doc:"Payment fee, fixed per unit"`
	Shipping   money.Money  `json:"shipping" doc:"Estimated shipping cost per unit, paid by the store"`
	Packaging  money.Money  `json:"packaging" doc:"Estimated packaging cost per unit"`
	Ending     Ending       `json:"ending" enum:".99,.90,whole,none" doc:"The computed price is rounded up once to this ending"`
	MinPrice   *money.Money `json:"min_price,omitempty" doc:"The price is never below this; absent: no minimum"`
	MaxPrice   *money.Money `json:"max_price,omitempty" doc:"The price is never above this; absent: no maximum"`
	// MaxDailyChange bounds how far a price may move within 24 hours
	// without approval; nil: no bound.
	MaxDailyChange *Percent  `json:"max_daily_change_percent,omitempty" doc:"A change larger than this within 24 hours waits for approval; absent: no limit"`
	Mode           Mode      `json:"mode" enum:"propose,apply"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	UpdatedBy      string    `json:"updated_by"`
}

// Settings returns the formula's inputs of r.
func (r Rule) Settings() Settings {
	return Settings{Margin: r.Margin, FeePercent: r.FeePercent, FeeFixed: r.FeeFixed, Shipping: r.Shipping,
		Packaging: r.Packaging, Ending: r.Ending, Min: r.MinPrice, Max: r.MaxPrice}
}

// Target names what r covers, for messages: "store (EUR)", "collection
// mugs (EUR)", "SKU MUG-1".
func (r Rule) Target() string {
	switch r.Scope {
	case ScopeCollection:
		return fmt.Sprintf("collection %q (%s)", r.Tag, r.Currency)
	case ScopeSKU:
		return "SKU " + r.SKU
	}
	return "store (" + r.Currency + ")"
}

// name is "rule 3", or "the previewed rule" for an unsaved one.
func (r *Rule) name() string {
	if r.ID == 0 {
		return "the previewed rule"
	}
	return fmt.Sprintf("rule %d", r.ID)
}

// RuleInput creates or replaces a rule. Amounts left nil are zero (fees,
// shipping, packaging) or absent (bounds).
type RuleInput struct {
	Scope    string // store, collection or sku
	Tag      string // collection rules
	SKU      string // SKU rules
	Currency string // required, except for SKU rules (default: the variant's price currency)
	Priority *int   // default 100
	// Percentages as decimal strings ("30", "2.9").
	Margin     string
	FeePercent string
	FeeFixed   *money.Money
	Shipping   *money.Money
	Packaging  *money.Money
	Ending     string // .99, .90, whole, none (default none)
	MinPrice   *money.Money
	MaxPrice   *money.Money
	// MaxDailyChange is a percentage; "" means no limit.
	MaxDailyChange string
	Mode           string // propose (default) or apply
}

// Limits on rules.
const (
	maxPriority = 10_000
	// maxDailyChange is the largest daily-change limit: 1000%.
	maxDailyChange Percent = 100_000
)

// parse checks in and returns the rule it describes (without id or
// variant); variantCurrency is the SKU's price currency for SKU rules.
func (in RuleInput) parse(fs *apperr.Fields) Rule {
	var r Rule
	switch sc := Scope(strings.ToLower(strings.TrimSpace(in.Scope))); sc {
	case ScopeStore, ScopeCollection, ScopeSKU:
		r.Scope = sc
	default:
		fs.Add("scope", "%q is not one of store, collection, sku", in.Scope)
	}
	tag, sku := strings.TrimSpace(in.Tag), strings.TrimSpace(in.SKU)
	switch r.Scope {
	case ScopeCollection:
		if tag == "" {
			fs.Add("tag", "a collection rule names a product tag")
		} else if tags, err := catalog.ParseTags([]string{tag}); err != nil {
			fs.Add("tag", "%v", err)
		} else {
			r.Tag = tags[0]
		}
	case ScopeSKU:
		if sku == "" {
			fs.Add("sku", "a SKU rule names a SKU")
		} else if k, err := catalog.ParseSKU(sku); err != nil {
			fs.Add("sku", "%v", err)
		} else {
			r.SKU = string(k)
		}
	}
	if tag != "" && r.Scope != ScopeCollection && r.Scope != "" {
		fs.Add("tag", "only collection rules name a tag")
	}
	if sku != "" && r.Scope != ScopeSKU && r.Scope != "" {
		fs.Add("sku", "only SKU rules name a SKU")
	}
	r.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	switch {
	case r.Currency == "" && r.Scope == ScopeSKU: // the variant's, filled in later
	case r.Currency == "":
		fs.Add("currency", "must name the currency of the prices the rule sets (e.g. EUR)")
	case !money.ValidCurrency(r.Currency):
		fs.Add("currency", "unknown currency %q (want an ISO 4217 code such as EUR, USD, BRL)", in.Currency)
	}
	r.Priority = 100
	if in.Priority != nil {
		r.Priority = *in.Priority
		if r.Priority < 0 || r.Priority > maxPriority {
			fs.Add("priority", "must be between 0 and %d, got %d", maxPriority, r.Priority)
		}
	}
	var err error
	if r.Margin, err = ParsePercent(in.Margin, hundred-1); err != nil {
		fs.Add("margin_percent", "%v", err)
	}
	if strings.TrimSpace(in.FeePercent) != "" {
		if r.FeePercent, err = ParsePercent(in.FeePercent, hundred-1); err != nil {
			fs.Add("fee_percent", "%v", err)
		}
	}
	if r.Margin+r.FeePercent >= hundred {
		fs.Add("margin_percent", "margin %s%% and fee %s%% must add up to less than 100%%", r.Margin, r.FeePercent)
	}
	if r.Ending, err = ParseEnding(in.Ending); err != nil {
		fs.Add("ending", "%v", err)
	}
	if strings.TrimSpace(in.MaxDailyChange) != "" {
		p, err := ParsePercent(in.MaxDailyChange, maxDailyChange)
		if err != nil {
			fs.Add("max_daily_change_percent", "%v", err)
		}
		r.MaxDailyChange = &p
	}
	switch m := Mode(strings.ToLower(strings.TrimSpace(in.Mode))); m {
	case "":
		r.Mode = ModePropose
	case ModePropose, ModeApply:
		r.Mode = m
	default:
		fs.Add("mode", "%q is not one of propose, apply", in.Mode)
	}
	r.FeeFixed, r.Shipping, r.Packaging = zeroOr(in.FeeFixed), zeroOr(in.Shipping), zeroOr(in.Packaging)
	r.MinPrice, r.MaxPrice = in.MinPrice, in.MaxPrice
	return r
}

func zeroOr(m *money.Money) money.Money {
	if m == nil {
		return money.Money{}
	}
	return *m
}

// checkAmounts checks the rule's amounts once its currency is known: each
// is in the currency, not negative, and the bounds are in order.
func (r *Rule) checkAmounts(fs *apperr.Fields) {
	if r.Currency == "" {
		return
	}
	for _, a := range []struct {
		name string
		m    *money.Money
	}{{"fee_fixed", &r.FeeFixed}, {"shipping", &r.Shipping}, {"packaging", &r.Packaging}, {"min_price", r.MinPrice}, {"max_price", r.MaxPrice}} {
		switch {
		case a.m == nil:
		case a.m.Currency == "" && a.m.Amount == 0:
			a.m.Currency = r.Currency
		case a.m.Currency != r.Currency:
			fs.Add(a.name+".currency", "must be the rule's currency %s, got %s", r.Currency, a.m.Currency)
		case a.m.Amount < 0:
			fs.Add(a.name+".amount", "must not be negative, got %s", a.m.Decimal())
		case a.m.Amount > maxAmount(r.Currency):
			fs.Add(a.name+".amount", "must be at most %d %s, got %s", maxPriceMajor, r.Currency, a.m.Decimal())
		}
	}
	if r.MinPrice != nil && r.MaxPrice != nil && r.MinPrice.Currency == r.MaxPrice.Currency && r.MinPrice.Amount > r.MaxPrice.Amount {
		fs.Add("max_price", "must not be below the minimum %s", r.MinPrice)
	}
	if r.Ending != "" {
		if err := r.Ending.check(r.Currency); err != nil {
			fs.Add("ending", "%v", err)
		}
	}
}

// maxAmount is maxPriceMajor in minor units of currency.
func maxAmount(currency string) int64 {
	exp, _ := money.Exponent(currency)
	n := int64(maxPriceMajor)
	for range exp {
		n *= 10
	}
	return n
}

const ruleColumns = `r.id, r.scope, r.tag, r.variant_id, v.sku, r.currency, r.priority, r.margin_bp, r.fee_bp,
	r.fee_fixed_amount, r.shipping_amount, r.packaging_amount, r.ending, r.min_price_amount, r.max_price_amount,
	r.max_change_bp, r.mode, r.created_at, r.updated_at, r.updated_by`

const ruleFrom = ` FROM pricing_rules r LEFT JOIN variants v ON v.id = r.variant_id`

func scanRule(row interface{ Scan(...any) error }) (Rule, error) {
	var r Rule
	var tag, sku sql.NullString
	var variant, minP, maxP, maxChange sql.NullInt64
	err := row.Scan(&r.ID, &r.Scope, &tag, &variant, &sku, &r.Currency, &r.Priority, &r.Margin, &r.FeePercent,
		&r.FeeFixed.Amount, &r.Shipping.Amount, &r.Packaging.Amount, &r.Ending, &minP, &maxP, &maxChange, &r.Mode,
		&r.CreatedAt, &r.UpdatedAt, &r.UpdatedBy)
	if err != nil {
		return r, err
	}
	r.Tag, r.VariantID, r.SKU = tag.String, variant.Int64, sku.String
	r.FeeFixed.Currency, r.Shipping.Currency, r.Packaging.Currency = r.Currency, r.Currency, r.Currency
	if minP.Valid {
		r.MinPrice = &money.Money{Amount: minP.Int64, Currency: r.Currency}
	}
	if maxP.Valid {
		r.MaxPrice = &money.Money{Amount: maxP.Int64, Currency: r.Currency}
	}
	if maxChange.Valid {
		p := Percent(maxChange.Int64)
		r.MaxDailyChange = &p
	}
	return r, nil
}

func getRule(ctx context.Context, q store.Querier, id int64) (Rule, error) {
	r, err := scanRule(q.QueryRowContext(ctx, `SELECT `+ruleColumns+ruleFrom+` WHERE r.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, apperr.New(apperr.NotFound, "pricing rule %d not found", id)
	}
	if err != nil {
		return r, fmt.Errorf("get pricing rule %d: %w", id, err)
	}
	return r, nil
}

// allRules returns every rule. A store has tens of rules, so repricing reads
// them all once per batch and picks each variant's in memory.
func allRules(ctx context.Context, q store.Querier) ([]Rule, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ruleColumns+ruleFrom+` ORDER BY r.id`)
	if err != nil {
		return nil, fmt.Errorf("load pricing rules: %w", err)
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, fmt.Errorf("load pricing rules: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Rule returns one rule.
func (s *Service) Rule(ctx context.Context, id int64) (Rule, error) {
	return getRule(ctx, s.db.R, id)
}

// RuleFilter selects rules in a list, ordered by id.
type RuleFilter struct {
	Scope    Scope
	Currency string
	After    int64
	Limit    int // at most 1000; 0 means 50
}

// ListRules returns one page of rules.
func (s *Service) ListRules(ctx context.Context, f RuleFilter) ([]Rule, error) {
	var w where
	if f.Scope != "" {
		w.add("r.scope = " + w.arg(string(f.Scope)))
	}
	if c := strings.ToUpper(strings.TrimSpace(f.Currency)); c != "" {
		w.add("r.currency = " + w.arg(c))
	}
	if f.After > 0 {
		w.add("r.id > " + w.arg(f.After))
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+ruleColumns+ruleFrom+w.sql()+` ORDER BY r.id LIMIT `+w.arg(limit(f.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list pricing rules: %w", err)
	}
	defer rows.Close()
	out := []Rule{}
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, fmt.Errorf("list pricing rules: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func limit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 1000:
		return 1000
	}
	return n
}

// resolve parses in, reading on q: it finds the SKU's variant and fills in
// the currency of a SKU rule.
func (s *Service) resolve(ctx context.Context, q store.Querier, in RuleInput) (Rule, error) {
	var fs apperr.Fields
	r := in.parse(&fs)
	if r.Scope == ScopeSKU && r.SKU != "" {
		var cur string
		err := q.QueryRowContext(ctx, `SELECT id, price_currency FROM variants WHERE sku = $1`, r.SKU).Scan(&r.VariantID, &cur)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			fs.Add("sku", "no variant has SKU %q", r.SKU)
		case err != nil:
			return r, fmt.Errorf("find variant %q: %w", r.SKU, err)
		case r.Currency == "":
			r.Currency = cur
		case r.Currency != cur:
			fs.Add("currency", "SKU %s is priced in %s, not %s", r.SKU, cur, r.Currency)
		}
	}
	r.checkAmounts(&fs)
	return r, fs.Err()
}

// CreateRule creates a rule and enqueues the repricing of the variants it
// covers.
func (s *Service) CreateRule(ctx context.Context, in RuleInput) (Rule, error) {
	var out Rule
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := s.resolve(ctx, tx, in)
		if err != nil {
			return err
		}
		now := s.clock()
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO pricing_rules (scope, tag, variant_id, currency, priority, margin_bp, fee_bp,
			fee_fixed_amount, shipping_amount, packaging_amount, ending, min_price_amount, max_price_amount, max_change_bp,
			mode, created_at, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17) RETURNING id`,
			ruleArgs(r, now, actor(ctx, "system"))...).Scan(&id)
		if err != nil {
			return s.ruleConflict(err, r)
		}
		if out, err = getRule(ctx, tx, id); err != nil {
			return err
		}
		return s.repriceCoveredTx(ctx, tx, out, fmt.Sprintf("pricing rule %d (%s) created by %s", id, out.Target(), out.UpdatedBy))
	})
	return out, err
}

// ruleArgs are the bind arguments $1..$17 of an INSERT (or, without
// created_at, of an UPDATE) of r.
func ruleArgs(r Rule, now time.Time, by string) []any {
	return []any{string(r.Scope), nullString(r.Tag), nullID(r.VariantID), r.Currency, r.Priority, int64(r.Margin),
		int64(r.FeePercent), r.FeeFixed.Amount, r.Shipping.Amount, r.Packaging.Amount, string(r.Ending),
		nullAmount(r.MinPrice), nullAmount(r.MaxPrice), nullPercent(r.MaxDailyChange), string(r.Mode), now, by}
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullAmount(m *money.Money) any {
	if m == nil {
		return nil
	}
	return m.Amount
}

func nullPercent(p *Percent) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// ruleConflict turns a unique violation into a Conflict naming the rule that
// already covers the target.
func (s *Service) ruleConflict(err error, r Rule) error {
	if _, ok := s.db.Dialect.UniqueViolation(err); ok {
		field := "scope"
		switch r.Scope {
		case ScopeCollection:
			field = "tag"
		case ScopeSKU:
			field = "sku"
		}
		e := apperr.New(apperr.Conflict, "a pricing rule for %s already exists; change that rule instead", r.Target())
		e.Fields = []apperr.FieldError{{Field: field, Message: "already has a rule"}}
		return e
	}
	return fmt.Errorf("save pricing rule: %w", err)
}

// UpdateRule replaces a rule with in and enqueues the repricing of the
// variants it covered and now covers.
func (s *Service) UpdateRule(ctx context.Context, id int64, in RuleInput) (Rule, error) {
	var out Rule
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		old, err := getRule(ctx, tx, id)
		if err != nil {
			return err
		}
		r, err := s.resolve(ctx, tx, in)
		if err != nil {
			return err
		}
		args := ruleArgs(r, s.clock(), actor(ctx, "system"))
		_, err = tx.ExecContext(ctx, `UPDATE pricing_rules SET scope = $1, tag = $2, variant_id = $3, currency = $4,
			priority = $5, margin_bp = $6, fee_bp = $7, fee_fixed_amount = $8, shipping_amount = $9, packaging_amount = $10,
			ending = $11, min_price_amount = $12, max_price_amount = $13, max_change_bp = $14, mode = $15,
			updated_at = $16, updated_by = $17 WHERE id = $18`, append(args, id)...)
		if err != nil {
			return s.ruleConflict(err, r)
		}
		if out, err = getRule(ctx, tx, id); err != nil {
			return err
		}
		reason := fmt.Sprintf("pricing rule %d (%s) changed by %s", id, out.Target(), out.UpdatedBy)
		if err := s.repriceCoveredTx(ctx, tx, out, reason); err != nil {
			return err
		}
		if old.Scope != out.Scope || old.Tag != out.Tag || old.VariantID != out.VariantID || old.Currency != out.Currency {
			return s.repriceCoveredTx(ctx, tx, old, reason)
		}
		return nil
	})
	return out, err
}

// DeleteRule deletes a rule and enqueues the repricing of the variants it
// covered: a less specific rule prices them now, or none does and their
// prices stay. Open proposals made under it stay open for staff to decide.
func (s *Service) DeleteRule(ctx context.Context, id int64) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getRule(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM pricing_rules WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete pricing rule %d: %w", id, err)
		}
		return s.repriceCoveredTx(ctx, tx, r, fmt.Sprintf("pricing rule %d (%s) deleted by %s", id, r.Target(), actor(ctx, "system")))
	})
}
