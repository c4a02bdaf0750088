package pricing

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/orderly-oms/orderly/internal/money"
)

// Action is what repricing does with one variant.
type Action string

const (
	ActionNone    Action = "none"    // the price is right already (or staff rejected this price)
	ActionApply   Action = "apply"   // the new price is applied at once
	ActionPropose Action = "propose" // the new price waits for approval
	ActionCannot  Action = "cannot"  // the variant cannot be priced (no rule, no cost, currencies differ)
)

// window is how far back the daily change limit looks.
const window = 24 * time.Hour

// Plan is what repricing would do with one variant, and why.
type Plan struct {
	VariantID int64       `json:"variant_id"`
	SKU       string      `json:"sku"`
	Current   money.Money `json:"current_price"`
	// Rule is the rule that prices the variant (nil: none covers it).
	Rule *Rule `json:"rule,omitempty"`
	// OfferID, Supplier and Cost are the preferred active offer's.
	OfferID  int64        `json:"offer_id,omitempty"`
	Supplier string       `json:"supplier,omitempty"`
	Cost     *money.Money `json:"cost,omitempty"`
	Quote    *Quote       `json:"quote,omitempty" doc:"The formula's steps; absent when the variant cannot be priced"`
	// DayAgo is the price 24 hours ago, against which the daily limit is
	// measured.
	DayAgo *money.Money `json:"price_24h_ago,omitempty" doc:"The price before the first change in the last 24 hours; absent when it did not change"`
	// Change is the new price against DayAgo (or Current), signed percent.
	Change Percent `json:"change_percent" doc:"The new price against the price 24 hours ago, signed percent"`
	Action Action  `json:"action" enum:"none,apply,propose,cannot"`
	// Why explains the action in words.
	Why string `json:"why"`
}

// rejected reports whether staff already rejected moving from old to new.
func (h *variantHistory) rejected(old, new int64) bool {
	return h != nil && h.Rejected != nil && h.Rejected[0] == old && h.Rejected[1] == new
}

// pickRule returns the rule that prices t: its SKU rule, else its collection
// rule with the smallest priority (then the oldest), else the store rule of
// its price currency. Collection and store rules cover only variants priced
// in their currency.
func pickRule(rules []Rule, t *target) *Rule {
	var coll, st *Rule
	for i := range rules {
		r := &rules[i]
		switch r.Scope {
		case ScopeSKU:
			if r.VariantID == t.VariantID {
				return r
			}
		case ScopeCollection:
			if r.Currency == t.Price.Currency && slices.Contains(t.Tags, r.Tag) &&
				(coll == nil || r.Priority < coll.Priority || r.Priority == coll.Priority && r.ID < coll.ID) {
				coll = r
			}
		case ScopeStore:
			if r.Currency == t.Price.Currency {
				st = r
			}
		}
	}
	if coll != nil {
		return coll
	}
	return st
}

// plan works out what repricing does with t under rule (nil: none covers
// it), given its recent history.
func plan(t *target, rule *Rule, h *variantHistory) Plan {
	p := Plan{VariantID: t.VariantID, SKU: t.SKU, Current: t.Price, Rule: rule, Action: ActionCannot}
	if t.Offer != nil {
		cost := t.Offer.Cost
		p.OfferID, p.Supplier, p.Cost = t.Offer.ID, t.Offer.Supplier, &cost
	}
	switch {
	case rule == nil:
		p.Why = fmt.Sprintf("cannot price: no pricing rule covers %s (priced in %s)", t.SKU, t.Price.Currency)
		return p
	case rule.Currency != t.Price.Currency:
		p.Why = fmt.Sprintf("cannot price: %s is in %s, the price in %s", rule.name(), rule.Currency, t.Price.Currency)
		return p
	case t.Offer == nil:
		p.Why = fmt.Sprintf("cannot price: %s has no active supplier offer to take the cost from", t.SKU)
		return p
	case t.Offer.Cost.Currency != t.Price.Currency:
		p.Why = fmt.Sprintf("cannot price: cost in %s, price in %s (offer %d of %s); costs are never converted",
			t.Offer.Cost.Currency, t.Price.Currency, t.Offer.ID, t.Offer.Supplier)
		return p
	}
	q, err := Compute(t.Offer.Cost, rule.Settings())
	if err != nil {
		p.Why = err.Error()
		return p
	}
	p.Quote = &q
	ref := t.Price
	if h != nil && h.DayAgo != nil && h.DayAgo.Currency == t.Price.Currency {
		ref = *h.DayAgo
		if ref != t.Price {
			p.DayAgo = h.DayAgo
		}
	}
	p.Change = changeOf(ref.Amount, q.Price.Amount)
	switch {
	case q.Price == t.Price:
		p.Action, p.Why = ActionNone, fmt.Sprintf("the price is already %s", q.Price)
	case h.rejected(t.Price.Amount, q.Price.Amount):
		p.Action, p.Why = ActionNone, fmt.Sprintf("staff rejected %s → %s before", t.Price, q.Price)
	case rule.Mode == ModePropose:
		p.Action, p.Why = ActionPropose, fmt.Sprintf("%s (%s) proposes prices for approval", rule.name(), rule.Target())
	case rule.MaxDailyChange != nil && exceeds(ref.Amount, q.Price.Amount, *rule.MaxDailyChange):
		p.Action = ActionPropose
		p.Why = fmt.Sprintf("a change of %s%% within 24 hours (from %s) exceeds the limit of %s%% of %s",
			signed(p.Change), ref, *rule.MaxDailyChange, rule.name())
	default:
		p.Action, p.Why = ActionApply, fmt.Sprintf("within the limits of %s (mode apply)", rule.name())
	}
	return p
}

func signed(p Percent) string {
	if p > 0 {
		return "+" + p.String()
	}
	return p.String()
}

// changeOf returns (new − old) / old in percent, rounded half away from
// zero to two decimals; from zero it is 0 (no base to measure against).
func changeOf(old, new int64) Percent {
	if old == 0 {
		return 0
	}
	return Percent(divRoundHalfAway(decimal.NewFromInt(new-old).Mul(decimal.NewFromInt(int64(hundred))), decimal.NewFromInt(old).Abs()))
}

// exceeds reports whether moving from ref to new is more than limit percent
// of ref, exactly. From a price of zero any change exceeds a limit.
func exceeds(ref, new int64, limit Percent) bool {
	if ref == new {
		return false
	}
	if ref <= 0 {
		return true
	}
	diff := decimal.NewFromInt(new - ref).Abs().Mul(decimal.NewFromInt(int64(hundred)))
	return diff.GreaterThan(decimal.NewFromInt(ref).Mul(decimal.NewFromInt(int64(limit))))
}

// Summary counts what one repricing did.
type Summary struct {
	Applied   int
	Proposed  int
	Unchanged int
	Cannot    int
	// Problems are the first few reasons variants could not be priced.
	Problems []string
}

func (s *Summary) add(o Summary) {
	s.Applied += o.Applied
	s.Proposed += o.Proposed
	s.Unchanged += o.Unchanged
	s.Cannot += o.Cannot
	for _, p := range o.Problems {
		if len(s.Problems) < maxProblems {
			s.Problems = append(s.Problems, p)
		}
	}
}

const maxProblems = 10

// systemActor is the actor of prices applied by repricing jobs.
const systemActor = "system:reprice"

// Reprice recomputes the prices of variantIDs and applies or proposes them
// by rule, in transactions of BatchSize variants. reason says what changed
// (for the history and proposals). Archived and unknown variants are skipped.
func (s *Service) Reprice(ctx context.Context, variantIDs []int64, reason string) (Summary, error) {
	ids := slices.Clone(variantIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var sum Summary
	for chunk := range slices.Chunk(ids, s.batch) {
		var one Summary
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			one, err = s.repriceTx(ctx, tx, chunk, reason)
			return err
		})
		if err != nil {
			return sum, err
		}
		sum.add(one)
	}
	return sum, nil
}

// repriceTx reprices ids inside tx.
func (s *Service) repriceTx(ctx context.Context, tx *sql.Tx, ids []int64, reason string) (Summary, error) {
	var sum Summary
	targets, err := loadTargets(ctx, tx, s.db.Dialect, ids, true)
	if err != nil {
		return sum, err
	}
	rules, err := allRules(ctx, tx)
	if err != nil {
		return sum, err
	}
	now := s.clock()
	hist, err := loadHistory(ctx, tx, ids, now.Add(-window))
	if err != nil {
		return sum, err
	}
	for _, t := range targets {
		if t.Status == "archived" {
			continue
		}
		h := hist[t.VariantID]
		p := plan(t, pickRule(rules, t), h)
		switch p.Action {
		case ActionCannot:
			sum.Cannot++
			if len(sum.Problems) < maxProblems {
				sum.Problems = append(sum.Problems, t.SKU+": "+p.Why)
			}
		case ActionNone:
			sum.Unchanged++
			if h.Open != nil && p.Quote != nil && p.Quote.Price == t.Price {
				if err := closeProposal(ctx, tx, h.Open.ID, StatusSuperseded, systemActor, p.Why, now); err != nil {
					return sum, err
				}
			}
		case ActionApply:
			sum.Applied++
			err := s.setPrice(ctx, tx, t, p.Quote.Price, change{cost: *p.Cost, ruleID: p.Rule.ID, reason: reason,
				actor: systemActor, at: now})
			if err != nil {
				return sum, err
			}
			if h.Open != nil {
				if err := closeProposal(ctx, tx, h.Open.ID, StatusSuperseded, systemActor, "applied "+p.Quote.Price.String()+" by rule", now); err != nil {
					return sum, err
				}
			}
		case ActionPropose:
			sum.Proposed++
			if err := s.propose(ctx, tx, p, h.Open, reason, now); err != nil {
				return sum, err
			}
		}
	}
	return sum, nil
}

// propose opens a proposal for p, or refreshes the open one in place.
func (s *Service) propose(ctx context.Context, tx *sql.Tx, p Plan, open *Proposal, reason string, now time.Time) error {
	q := p.Quote
	if open != nil {
		if open.OldPrice == p.Current && open.NewPrice == q.Price && open.Cost == *p.Cost && open.RuleID == p.Rule.ID && open.Why == p.Why {
			return nil // nothing new to say
		}
		_, err := tx.ExecContext(ctx, `UPDATE price_proposals SET rule_id = $1, currency = $2, old_amount = $3,
			new_amount = $4, cost_amount = $5, margin_bp = $6, reason = $7, why = $8, updated_at = $9 WHERE id = $10`,
			p.Rule.ID, q.Price.Currency, p.Current.Amount, q.Price.Amount, p.Cost.Amount, int64(q.Margin), reason, p.Why, now, open.ID)
		if err != nil {
			return fmt.Errorf("refresh price proposal %d: %w", open.ID, err)
		}
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO price_proposals (variant_id, rule_id, currency, old_amount, new_amount,
		cost_amount, margin_bp, reason, why, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $10)`,
		p.VariantID, p.Rule.ID, q.Price.Currency, p.Current.Amount, q.Price.Amount, p.Cost.Amount, int64(q.Margin), reason, p.Why, now)
	if err != nil {
		return fmt.Errorf("propose a price for %s: %w", p.SKU, err)
	}
	return nil
}
