package pricing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/catalog"
)

// PreviewInput asks what a rule would do to one SKU's price now.
type PreviewInput struct {
	SKU string
	// RuleID names a saved rule; Rule describes an unsaved one (its scope
	// defaults to the SKU itself). With neither, the rule that covers the
	// SKU now is used.
	RuleID int64
	Rule   *RuleInput
}

// Preview works out, without changing anything, what repricing would do to
// the SKU's price under the rule: the formula's steps, the resulting margin,
// and whether it would apply, propose or leave the price.
func (s *Service) Preview(ctx context.Context, in PreviewInput) (Plan, error) {
	k, err := catalog.ParseSKU(in.SKU)
	if err != nil {
		return Plan{}, apperr.InvalidField("sku", "%v", err)
	}
	var id int64
	err = s.db.R.QueryRowContext(ctx, `SELECT id FROM variants WHERE sku = $1`, string(k)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Plan{}, apperr.New(apperr.NotFound, "no variant has SKU %q", k)
	} else if err != nil {
		return Plan{}, fmt.Errorf("find variant %q: %w", k, err)
	}
	ts, err := loadTargets(ctx, s.db.R, s.db.Dialect, []int64{id}, false)
	if err != nil {
		return Plan{}, err
	}
	if len(ts) == 0 {
		return Plan{}, apperr.New(apperr.NotFound, "no variant has SKU %q", k)
	}
	t := ts[0]
	var rule *Rule
	switch {
	case in.Rule != nil:
		ri := *in.Rule
		if strings.TrimSpace(ri.Scope) == "" {
			ri.Scope, ri.SKU, ri.Tag = string(ScopeSKU), string(k), ""
		}
		r, err := s.resolve(ctx, s.db.R, ri)
		if err != nil {
			return Plan{}, err
		}
		r.ID = 0
		rule = &r
	case in.RuleID != 0:
		r, err := getRule(ctx, s.db.R, in.RuleID)
		if err != nil {
			return Plan{}, err
		}
		rule = &r
	default:
		rules, err := allRules(ctx, s.db.R)
		if err != nil {
			return Plan{}, err
		}
		rule = pickRule(rules, t)
	}
	hist, err := loadHistory(ctx, s.db.R, []int64{t.VariantID}, s.clock().Add(-window))
	if err != nil {
		return Plan{}, err
	}
	return plan(t, rule, hist[t.VariantID]), nil
}
