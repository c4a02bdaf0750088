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

// ProposalStatus is where a proposal stands.
type ProposalStatus string

const (
	StatusOpen     ProposalStatus = "open"     // waiting for staff
	StatusApproved ProposalStatus = "approved" // applied
	StatusRejected ProposalStatus = "rejected" // not applied; the same price is not proposed again
	// StatusSuperseded: a later repricing applied another price or found the
	// price already right.
	StatusSuperseded ProposalStatus = "superseded"
)

// Proposal is a new price waiting for staff, or the record of one decided.
type Proposal struct {
	ID        int64          `json:"id"`
	VariantID int64          `json:"variant_id"`
	SKU       string         `json:"sku"`
	Title     string         `json:"title" doc:"Product and variant title"`
	RuleID    int64          `json:"rule_id,omitempty" doc:"The rule that computed the price; absent if deleted since"`
	OldPrice  money.Money    `json:"old_price" doc:"The price when proposed"`
	NewPrice  money.Money    `json:"new_price"`
	Cost      money.Money    `json:"cost" doc:"The unit cost the new price was computed from"`
	Margin    Percent        `json:"margin_percent" doc:"The contribution margin the new price leaves"`
	Change    Percent        `json:"change_percent" doc:"New price against the old, in percent (signed)"`
	Reason    string         `json:"reason" doc:"What triggered the repricing"`
	Why       string         `json:"why" doc:"Why the price waits for approval"`
	Status    ProposalStatus `json:"status" enum:"open,approved,rejected,superseded"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	DecidedAt *time.Time     `json:"decided_at,omitempty"`
	DecidedBy string         `json:"decided_by,omitempty"`
	Note      string         `json:"note,omitempty"`
}

const proposalColumns = `p.id, p.variant_id, v.sku, pr.title, v.title, p.rule_id, p.currency, p.old_amount, p.new_amount,
	p.cost_amount, p.margin_bp, p.reason, p.why, p.status, p.created_at, p.updated_at, p.decided_at, p.decided_by, p.note`

const proposalFrom = ` FROM price_proposals p JOIN variants v ON v.id = p.variant_id JOIN products pr ON pr.id = v.product_id`

func scanProposal(row interface{ Scan(...any) error }) (Proposal, error) {
	var p Proposal
	var product, variant, cur string
	var rule sql.NullInt64
	var decidedAt sql.NullTime
	var decidedBy sql.NullString
	err := row.Scan(&p.ID, &p.VariantID, &p.SKU, &product, &variant, &rule, &cur, &p.OldPrice.Amount, &p.NewPrice.Amount,
		&p.Cost.Amount, &p.Margin, &p.Reason, &p.Why, &p.Status, &p.CreatedAt, &p.UpdatedAt, &decidedAt, &decidedBy, &p.Note)
	if err != nil {
		return p, err
	}
	p.Title = product
	if variant != "" && variant != "Default" {
		p.Title += " · " + variant
	}
	p.RuleID = rule.Int64
	p.OldPrice.Currency, p.NewPrice.Currency, p.Cost.Currency = cur, cur, cur
	p.Change = changeOf(p.OldPrice.Amount, p.NewPrice.Amount)
	if decidedAt.Valid {
		t := decidedAt.Time
		p.DecidedAt = &t
	}
	p.DecidedBy = decidedBy.String
	return p, nil
}

func getProposal(ctx context.Context, q store.Querier, id int64) (Proposal, error) {
	p, err := scanProposal(q.QueryRowContext(ctx, `SELECT `+proposalColumns+proposalFrom+` WHERE p.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, apperr.New(apperr.NotFound, "price proposal %d not found", id)
	}
	if err != nil {
		return p, fmt.Errorf("get price proposal %d: %w", id, err)
	}
	return p, nil
}

// Proposal returns one proposal.
func (s *Service) Proposal(ctx context.Context, id int64) (Proposal, error) {
	return getProposal(ctx, s.db.R, id)
}

// ProposalFilter selects proposals in a list, newest first. Zero fields do
// not filter.
type ProposalFilter struct {
	Status ProposalStatus
	SKU    string
	// Before is the id of the last proposal of the previous page.
	Before int64
	Limit  int // at most 1000; 0 means 50
}

// ListProposals returns one page of proposals, newest first.
func (s *Service) ListProposals(ctx context.Context, f ProposalFilter) ([]Proposal, error) {
	var w where
	if f.Status != "" {
		w.add("p.status = " + w.arg(string(f.Status)))
	}
	if strings.TrimSpace(f.SKU) != "" {
		k, err := catalog.ParseSKU(f.SKU)
		if err != nil {
			return nil, apperr.InvalidField("sku", "%v", err)
		}
		w.add("v.sku = " + w.arg(string(k)))
	}
	if f.Before > 0 {
		w.add("p.id < " + w.arg(f.Before))
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+proposalColumns+proposalFrom+w.sql()+` ORDER BY p.id DESC LIMIT `+
		w.arg(limit(f.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list price proposals: %w", err)
	}
	defer rows.Close()
	out := []Proposal{}
	for rows.Next() {
		p, err := scanProposal(rows)
		if err != nil {
			return nil, fmt.Errorf("list price proposals: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CountOpen returns the number of open proposals.
func (s *Service) CountOpen(ctx context.Context) (int, error) {
	var n int
	if err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM price_proposals WHERE status = 'open'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count open proposals: %w", err)
	}
	return n, nil
}

// maxNote bounds a decision's note.
const maxNote = 500

// decide locks the proposal's variant and checks that the proposal is open.
func (s *Service) decide(ctx context.Context, tx *sql.Tx, id int64, note string) (Proposal, *target, error) {
	if len([]rune(note)) > maxNote {
		return Proposal{}, nil, apperr.InvalidField("note", "must be at most %d characters", maxNote)
	}
	p, err := getProposal(ctx, tx, id)
	if err != nil {
		return p, nil, err
	}
	ts, err := loadTargets(ctx, tx, s.db.Dialect, []int64{p.VariantID}, true)
	if err != nil {
		return p, nil, err
	}
	if len(ts) == 0 {
		return p, nil, apperr.New(apperr.NotFound, "variant %d not found", p.VariantID)
	}
	// Re-read under the lock: a repricing may have refreshed or closed it.
	if p, err = getProposal(ctx, tx, id); err != nil {
		return p, nil, err
	}
	if p.Status != StatusOpen {
		return p, nil, apperr.New(apperr.Conflict, "price proposal %d is %s, not open", id, p.Status)
	}
	return p, ts[0], nil
}

// Approve applies an open proposal's price, with a price history entry
// naming the approver. It is refused with a Conflict when the price changed
// since the proposal was made: reprice again instead.
func (s *Service) Approve(ctx context.Context, id int64, note string) (Proposal, error) {
	note = strings.TrimSpace(note)
	var out Proposal
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		p, t, err := s.decide(ctx, tx, id, note)
		if err != nil {
			return err
		}
		if t.Price != p.OldPrice {
			return apperr.New(apperr.Conflict, "the price of %s is %s now, not %s as when proposal %d was made; it will be repriced again",
				p.SKU, t.Price, p.OldPrice, id)
		}
		now, by := s.clock(), actor(ctx, "system")
		reason := fmt.Sprintf("proposal %d approved: %s", id, p.Reason)
		if note != "" {
			reason += " (" + note + ")"
		}
		if err := s.setPrice(ctx, tx, t, p.NewPrice, change{cost: p.Cost, ruleID: p.RuleID, proposalID: id, reason: reason, actor: by, at: now}); err != nil {
			return err
		}
		if err := closeProposal(ctx, tx, id, StatusApproved, by, note, now); err != nil {
			return err
		}
		out, err = getProposal(ctx, tx, id)
		return err
	})
	return out, err
}

// Reject closes an open proposal without applying it. Repricing does not
// propose the same price from the same old price again.
func (s *Service) Reject(ctx context.Context, id int64, note string) (Proposal, error) {
	note = strings.TrimSpace(note)
	var out Proposal
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, _, err := s.decide(ctx, tx, id, note); err != nil {
			return err
		}
		if err := closeProposal(ctx, tx, id, StatusRejected, actor(ctx, "system"), note, s.clock()); err != nil {
			return err
		}
		var err error
		out, err = getProposal(ctx, tx, id)
		return err
	})
	return out, err
}

func closeProposal(ctx context.Context, tx *sql.Tx, id int64, st ProposalStatus, by, note string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE price_proposals SET status = $1, decided_at = $2, decided_by = $3, note = $4,
		updated_at = $2 WHERE id = $5`, string(st), now, by, note, id)
	if err != nil {
		return fmt.Errorf("close price proposal %d: %w", id, err)
	}
	return nil
}

// change describes one price change for the history.
type change struct {
	cost       money.Money
	ruleID     int64
	proposalID int64
	reason     string
	actor      string
	at         time.Time
}

// setPrice changes t's price to price inside tx and records it in the price
// history. t must be locked (loadTargets with lock) and hold the current
// price. (The storefront sync sees the change through its trigger on
// variants.)
func (s *Service) setPrice(ctx context.Context, tx *sql.Tx, t *target, price money.Money, c change) error {
	res, err := tx.ExecContext(ctx, `UPDATE variants SET price_amount = $1, updated_at = $2
		WHERE id = $3 AND price_amount = $4 AND price_currency = $5`, price.Amount, c.at, t.VariantID, t.Price.Amount, price.Currency)
	if err != nil {
		return fmt.Errorf("set price of %s: %w", t.SKU, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set price of %s: %w", t.SKU, err)
	} else if n != 1 {
		return apperr.New(apperr.Conflict, "the price of %s changed while it was being repriced; try again", t.SKU)
	}
	var cost any
	if c.cost.Currency != "" {
		cost = c.cost.Amount
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO price_history (variant_id, currency, old_amount, new_amount, cost_amount,
		rule_id, proposal_id, reason, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		t.VariantID, price.Currency, t.Price.Amount, price.Amount, cost, nullID(c.ruleID), nullID(c.proposalID),
		c.reason, c.actor, c.at)
	if err != nil {
		return fmt.Errorf("record price of %s: %w", t.SKU, err)
	}
	t.Price = price
	return nil
}

// Change is one entry of a SKU's price history.
type Change struct {
	ID         int64        `json:"id"`
	VariantID  int64        `json:"variant_id"`
	OldPrice   money.Money  `json:"old_price"`
	NewPrice   money.Money  `json:"new_price"`
	Cost       *money.Money `json:"cost,omitempty" doc:"The unit cost the price was computed from"`
	RuleID     int64        `json:"rule_id,omitempty"`
	ProposalID int64        `json:"proposal_id,omitempty"`
	Reason     string       `json:"reason"`
	Actor      string       `json:"actor" doc:"Who made the change: a staff user (approval) or system:reprice"`
	At         time.Time    `json:"at"`
}

// HistoryFilter pages a SKU's price history, newest first.
type HistoryFilter struct {
	Before int64 // the id of the last entry of the previous page
	Limit  int
}

// History returns one page of a SKU's price history, newest first.
func (s *Service) History(ctx context.Context, sku string, f HistoryFilter) ([]Change, error) {
	k, err := catalog.ParseSKU(sku)
	if err != nil {
		return nil, apperr.InvalidField("sku", "%v", err)
	}
	var variant int64
	err = s.db.R.QueryRowContext(ctx, `SELECT id FROM variants WHERE sku = $1`, string(k)).Scan(&variant)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "no variant has SKU %q", k)
	} else if err != nil {
		return nil, fmt.Errorf("find variant %q: %w", k, err)
	}
	var w where
	w.add("h.variant_id = " + w.arg(variant))
	if f.Before > 0 {
		w.add("h.id < " + w.arg(f.Before))
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT h.id, h.variant_id, h.currency, h.old_amount, h.new_amount, h.cost_amount,
		h.rule_id, h.proposal_id, h.reason, h.actor, h.created_at FROM price_history h`+w.sql()+
		` ORDER BY h.id DESC LIMIT `+w.arg(limit(f.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("price history of %s: %w", k, err)
	}
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		var c Change
		var cur string
		var cost, rule, proposal sql.NullInt64
		if err := rows.Scan(&c.ID, &c.VariantID, &cur, &c.OldPrice.Amount, &c.NewPrice.Amount, &cost, &rule, &proposal,
			&c.Reason, &c.Actor, &c.At); err != nil {
			return nil, fmt.Errorf("price history of %s: %w", k, err)
		}
		c.OldPrice.Currency, c.NewPrice.Currency = cur, cur
		if cost.Valid {
			c.Cost = &money.Money{Amount: cost.Int64, Currency: cur}
		}
		c.RuleID, c.ProposalID = rule.Int64, proposal.Int64
		out = append(out, c)
	}
	return out, rows.Err()
}
