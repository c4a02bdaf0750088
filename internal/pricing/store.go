package pricing

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/store"
)

// where accumulates SQL conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

// arg adds a bind argument and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *where) add(cond string) { w.conds = append(w.conds, cond) }

// in adds "col IN (...)" for ids.
func (w *where) in(col string, ids []int64) {
	ph := make([]string, len(ids))
	for i, id := range ids {
		ph[i] = w.arg(id)
	}
	w.add(col + " IN (" + strings.Join(ph, ", ") + ")")
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// target is a variant as repricing sees it: its price, its product's tags
// and the cost of its preferred active offer.
type target struct {
	VariantID int64
	SKU       string
	Status    string
	Price     money.Money
	Tags      []string
	// Offer is the preferred active offer (smallest priority, then id), or
	// nil when the variant has none.
	Offer *costOffer
}

type costOffer struct {
	ID       int64
	Supplier string
	Cost     money.Money
}

// loadTargets reads the variants ids (those that exist), in id order. With
// lock set it locks their rows first (PostgreSQL), in id order, so two
// repricings or an approval of one variant take turns.
func loadTargets(ctx context.Context, q store.Querier, d store.Dialect, ids []int64, lock bool) ([]*target, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var w where
	w.in("v.id", ids)
	query := `SELECT v.id, v.sku, v.status, v.price_amount, v.price_currency FROM variants v` + w.sql() + ` ORDER BY v.id`
	if lock {
		query += d.ForUpdate()
	}
	rows, err := q.QueryContext(ctx, query, w.args...)
	if err != nil {
		return nil, fmt.Errorf("load variants to price: %w", err)
	}
	var out []*target
	byID := map[int64]*target{}
	for rows.Next() {
		t := &target{}
		if err := rows.Scan(&t.VariantID, &t.SKU, &t.Status, &t.Price.Amount, &t.Price.Currency); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load variants to price: %w", err)
		}
		out = append(out, t)
		byID[t.VariantID] = t
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load variants to price: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}

	var ow where
	ow.in("o.variant_id", ids)
	ow.add("o.status = 'active'")
	rows, err = q.QueryContext(ctx, `SELECT o.variant_id, o.id, s.name, o.cost_amount, o.cost_currency
		FROM supplier_offers o JOIN suppliers s ON s.id = o.supplier_id`+ow.sql()+` ORDER BY o.variant_id, o.priority, o.id`, ow.args...)
	if err != nil {
		return nil, fmt.Errorf("load costs: %w", err)
	}
	for rows.Next() {
		var variant int64
		var o costOffer
		if err := rows.Scan(&variant, &o.ID, &o.Supplier, &o.Cost.Amount, &o.Cost.Currency); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load costs: %w", err)
		}
		if t := byID[variant]; t != nil && t.Offer == nil {
			t.Offer = &o
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load costs: %w", err)
	}

	var tw where
	tw.in("v.id", ids)
	rows, err = q.QueryContext(ctx, `SELECT v.id, t.tag FROM variants v JOIN product_tags t ON t.product_id = v.product_id`+
		tw.sql()+` ORDER BY v.id, t.tag`, tw.args...)
	if err != nil {
		return nil, fmt.Errorf("load tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var variant int64
		var tag string
		if err := rows.Scan(&variant, &tag); err != nil {
			return nil, fmt.Errorf("load tags: %w", err)
		}
		if t := byID[variant]; t != nil {
			t.Tags = append(t.Tags, tag)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load tags: %w", err)
	}
	return out, nil
}

// variantHistory is what repricing needs to know of a variant's past: the
// price it had 24 hours ago and the last price staff rejected.
type variantHistory struct {
	// DayAgo is the price before the first change within the window, or
	// nil when the price did not change in it.
	DayAgo *money.Money
	// Rejected is the last rejected proposal's old and new price.
	Rejected *[2]int64
	// Open is the open proposal, if any.
	Open *Proposal
}

// loadHistory reads the history repricing needs for ids: price changes
// since since, the last rejected proposal and the open proposal of each.
func loadHistory(ctx context.Context, q store.Querier, ids []int64, since time.Time) (map[int64]*variantHistory, error) {
	out := map[int64]*variantHistory{}
	for _, id := range ids {
		out[id] = &variantHistory{}
	}
	if len(ids) == 0 {
		return out, nil
	}
	var w where
	w.in("h.variant_id", ids)
	w.add("h.created_at >= " + w.arg(since))
	rows, err := q.QueryContext(ctx, `SELECT h.variant_id, h.old_amount, h.currency FROM price_history h`+w.sql()+
		` ORDER BY h.variant_id, h.id`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("load price history: %w", err)
	}
	for rows.Next() {
		var variant int64
		var m money.Money
		if err := rows.Scan(&variant, &m.Amount, &m.Currency); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load price history: %w", err)
		}
		if h := out[variant]; h != nil && h.DayAgo == nil {
			h.DayAgo = &m
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load price history: %w", err)
	}

	var pw where
	pw.in("p.variant_id", ids)
	pw.add("p.status IN ('open', 'rejected')")
	rows, err = q.QueryContext(ctx, `SELECT `+proposalColumns+proposalFrom+pw.sql()+` ORDER BY p.variant_id, p.id DESC`, pw.args...)
	if err != nil {
		return nil, fmt.Errorf("load proposals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanProposal(rows)
		if err != nil {
			return nil, fmt.Errorf("load proposals: %w", err)
		}
		h := out[p.VariantID]
		switch {
		case h == nil:
		case p.Status == StatusOpen:
			h.Open = &p
		case h.Rejected == nil:
			h.Rejected = &[2]int64{p.OldPrice.Amount, p.NewPrice.Amount}
		}
	}
	return out, rows.Err()
}
