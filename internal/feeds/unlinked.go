package feeds

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

// errorSink stores a run's row errors in batches as they come, so a file
// full of errors does not fill memory; past max it only counts.
type errorSink struct {
	s     *Service
	run   int64
	max   int
	count int
	kept  int
	buf   []RowError
}

func (e *errorSink) add(ctx context.Context, re RowError) error {
	e.count++
	if e.kept+len(e.buf) >= e.max {
		return nil
	}
	re.Value = shorten(re.Value)
	if len(re.Reason) > 500 {
		re.Reason = shorten(re.Reason)
	}
	e.buf = append(e.buf, re)
	if len(e.buf) == 500 {
		return e.flush(ctx)
	}
	return nil
}

func (e *errorSink) flush(ctx context.Context) error {
	if len(e.buf) == 0 {
		return nil
	}
	var vals strings.Builder
	args := []any{e.run}
	for i, re := range e.buf {
		if i > 0 {
			vals.WriteString(", ")
		}
		k := len(args)
		fmt.Fprintf(&vals, "($1, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4)
		args = append(args, re.Line, re.Column, re.Value, re.Reason)
	}
	if _, err := e.s.db.W.ExecContext(ctx, e.s.numbered(`INSERT INTO feed_run_errors (run_id, line, column_name, value, reason) VALUES `+vals.String()), args...); err != nil {
		return fmt.Errorf("record row errors of feed run %d: %w", e.run, err)
	}
	e.kept += len(e.buf)
	e.buf = e.buf[:0]
	return nil
}

// unknowns are the rows of supplier SKUs no offer uses, held compactly (the
// first row of each SKU), up to max.
type unknowns struct {
	max   int
	count int // rows with an unknown SKU
	rows  []unknownRow
	arena []byte
	seen  map[string]int // SKU → its first line
}

type unknownRow struct {
	skuOff uint32
	skuLen uint16
	cur    uint8
	hasQty bool
	qty    int32
	cost   int64 // -1: none
	lead   int16 // -1: none
}

// add records an unknown SKU's row; it reports the line of an earlier row of
// the same SKU (0 if none, or if the list is full and no longer tracks them).
func (u *unknowns) add(sn *snapshot, r *Row) int {
	if u.seen == nil {
		u.seen = map[string]int{}
	}
	if line, dup := u.seen[r.SupplierSKU]; dup {
		return line
	}
	u.count++
	if len(u.rows) >= u.max {
		return 0
	}
	u.seen[r.SupplierSKU] = r.Line
	x := unknownRow{skuOff: uint32(len(u.arena)), skuLen: uint16(len(r.SupplierSKU)), cost: -1, lead: -1}
	u.arena = append(u.arena, r.SupplierSKU...)
	if r.Quantity != nil {
		x.hasQty, x.qty = true, int32(*r.Quantity)
	}
	if r.Cost != nil {
		if c, ok := sn.currency(r.Cost.Currency); ok {
			x.cost, x.cur = r.Cost.Amount, c
		}
	}
	if r.LeadTimeDays != nil {
		x.lead = int16(*r.LeadTimeDays)
	}
	u.rows = append(u.rows, x)
	return 0
}

// recordUnlinked adds the run's unknown SKUs to the unlinked list, or
// refreshes their last-seen figures (an ignored SKU stays ignored; one that
// was linked but whose offer is gone opens again).
func (s *Service) recordUnlinked(ctx context.Context, run *Run, rd *reading) error {
	u := &rd.unknown
	now := s.clock()
	for start := 0; start < len(u.rows); start += 200 {
		part := u.rows[start:min(start+200, len(u.rows))]
		var vals strings.Builder
		args := []any{run.SupplierID, now, run.ID}
		for i, x := range part {
			if i > 0 {
				vals.WriteString(", ")
			}
			var qty, cost, lead any
			cur := ""
			if x.hasQty {
				qty = int(x.qty)
			}
			if x.cost >= 0 {
				cost, cur = x.cost, rd.sn.currencies[x.cur]
			}
			if x.lead >= 0 {
				lead = int(x.lead)
			}
			k := len(args)
			fmt.Fprintf(&vals, "($1, $%d, 'open', $2, $2, $3, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5)
			args = append(args, string(u.arena[x.skuOff:x.skuOff+uint32(x.skuLen)]), qty, cost, cur, lead)
		}
		_, err := s.db.W.ExecContext(ctx, s.numbered(`INSERT INTO feed_unlinked_skus (supplier_id, supplier_sku, status, first_seen_at, last_seen_at,
			last_run_id, last_quantity, last_cost_amount, last_cost_currency, last_lead_time_days) VALUES `+vals.String()+`
			ON CONFLICT (supplier_id, supplier_sku) DO UPDATE SET last_seen_at = excluded.last_seen_at, last_run_id = excluded.last_run_id,
				last_quantity = excluded.last_quantity, last_cost_amount = excluded.last_cost_amount,
				last_cost_currency = excluded.last_cost_currency, last_lead_time_days = excluded.last_lead_time_days,
				status = CASE WHEN feed_unlinked_skus.status = 'linked' AND NOT EXISTS (SELECT 1 FROM supplier_offers o
					WHERE o.supplier_id = feed_unlinked_skus.supplier_id AND o.supplier_sku = feed_unlinked_skus.supplier_sku)
					THEN 'open' ELSE feed_unlinked_skus.status END`), args...)
		if err != nil {
			return fmt.Errorf("record unlinked SKUs of feed run %d: %w", run.ID, err)
		}
	}
	run.Detail.UnlinkedKept = len(u.rows)
	rd.detail.UnlinkedKept = len(u.rows)
	return nil
}

// UnlinkedStatus is the state of an unlinked supplier SKU.
type UnlinkedStatus string

const (
	UnlinkedOpen    UnlinkedStatus = "open"
	UnlinkedIgnored UnlinkedStatus = "ignored"
	UnlinkedLinked  UnlinkedStatus = "linked"
)

// Unlinked is a supplier SKU seen in a feed that no offer uses.
type Unlinked struct {
	ID           int64          `json:"id"`
	SupplierID   int64          `json:"supplier_id"`
	SupplierSKU  string         `json:"supplier_sku"`
	Status       UnlinkedStatus `json:"status" enum:"open,ignored,linked"`
	FirstSeenAt  time.Time      `json:"first_seen_at"`
	LastSeenAt   time.Time      `json:"last_seen_at"`
	LastRunID    int64          `json:"last_run_id,omitempty"`
	LastQuantity *int           `json:"last_quantity,omitempty"`
	LastCost     *money.Money   `json:"last_cost,omitempty"`
	LastLeadTime *int           `json:"last_lead_time_days,omitempty"`
	OfferID      int64          `json:"offer_id,omitempty" doc:"The offer made when it was linked"`
	DecidedBy    string         `json:"decided_by,omitempty"`
	DecidedAt    *time.Time     `json:"decided_at,omitempty"`
}

const unlinkedColumns = `id, supplier_id, supplier_sku, status, first_seen_at, last_seen_at, last_run_id, last_quantity,
	last_cost_amount, last_cost_currency, last_lead_time_days, offer_id, decided_by, decided_at`

func scanUnlinked(row interface{ Scan(...any) error }) (*Unlinked, error) {
	var u Unlinked
	var run, qty, cost, lead, offer sql.NullInt64
	var cur string
	var decided sql.NullTime
	if err := row.Scan(&u.ID, &u.SupplierID, &u.SupplierSKU, &u.Status, &u.FirstSeenAt, &u.LastSeenAt, &run, &qty, &cost, &cur,
		&lead, &offer, &u.DecidedBy, &decided); err != nil {
		return nil, err
	}
	u.FirstSeenAt, u.LastSeenAt = u.FirstSeenAt.UTC(), u.LastSeenAt.UTC()
	u.LastRunID, u.OfferID = run.Int64, offer.Int64
	if qty.Valid {
		n := int(qty.Int64)
		u.LastQuantity = &n
	}
	if cost.Valid {
		u.LastCost = &money.Money{Amount: cost.Int64, Currency: cur}
	}
	if lead.Valid {
		n := int(lead.Int64)
		u.LastLeadTime = &n
	}
	u.DecidedAt = timePtr(decided)
	return &u, nil
}

// UnlinkedFilter selects unlinked SKUs, in id order.
type UnlinkedFilter struct {
	SupplierID int64          // 0: any
	Status     UnlinkedStatus // "": open
	Query      string         // "": any; else supplier SKUs containing it, any case
	AfterID    int64
	Limit      int // 1–200 (default 50)
}

// UnlinkedSKUs lists unlinked supplier SKUs and whether more follow.
func (s *Service) UnlinkedSKUs(ctx context.Context, f UnlinkedFilter) ([]Unlinked, bool, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	if f.Status == "" {
		f.Status = UnlinkedOpen
	}
	args := []any{string(f.Status), f.AfterID}
	q := `SELECT ` + unlinkedColumns + ` FROM feed_unlinked_skus WHERE status = $1 AND id > $2`
	if f.SupplierID != 0 {
		args = append(args, f.SupplierID)
		q += ` AND supplier_id = $` + strconv.Itoa(len(args))
	}
	if f.Query != "" {
		args = append(args, "%"+store.LikePattern(f.Query)+"%")
		q += ` AND supplier_sku ` + s.db.Dialect.ILike() + ` $` + strconv.Itoa(len(args)) + ` ESCAPE '\'`
	}
	args = append(args, f.Limit+1)
	q += ` ORDER BY id LIMIT $` + strconv.Itoa(len(args))
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list unlinked SKUs: %w", err)
	}
	defer rows.Close()
	var out []Unlinked
	for rows.Next() {
		u, err := scanUnlinked(rows)
		if err != nil {
			return nil, false, fmt.Errorf("list unlinked SKUs: %w", err)
		}
		out = append(out, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list unlinked SKUs: %w", err)
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	return out, more, nil
}

// UnlinkedSKU returns one unlinked SKU.
func (s *Service) UnlinkedSKU(ctx context.Context, id int64) (*Unlinked, error) {
	u, err := scanUnlinked(s.db.R.QueryRowContext(ctx, `SELECT `+unlinkedColumns+` FROM feed_unlinked_skus WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "unlinked supplier SKU %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("unlinked supplier SKU %d: %w", id, err)
	}
	return u, nil
}

// IgnoreUnlinked marks an unlinked SKU as ignored: it stays out of the open
// list even when later feeds name it again.
func (s *Service) IgnoreUnlinked(ctx context.Context, id int64) (*Unlinked, error) {
	res, err := s.db.W.ExecContext(ctx, `UPDATE feed_unlinked_skus SET status = 'ignored', decided_by = $1, decided_at = $2
		WHERE id = $3 AND status <> 'linked'`, actor(ctx, "system"), s.clock(), id)
	if err != nil {
		return nil, fmt.Errorf("ignore unlinked SKU %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		u, err := s.UnlinkedSKU(ctx, id)
		if err != nil {
			return nil, err
		}
		return nil, apperr.New(apperr.Conflict, "supplier SKU %q is already linked (offer %d)", u.SupplierSKU, u.OfferID)
	}
	return s.UnlinkedSKU(ctx, id)
}

// LinkInput links an unlinked supplier SKU to one of our variants: an offer
// is created with the feed's last cost and lead time unless given here, and
// the last reported quantity becomes its stock.
type LinkInput struct {
	SKU          string       // our SKU of the variant
	Cost         *money.Money // default: the last cost the feed gave (required if it gave none)
	LeadTimeDays *int         // default: the feed's, else 7
	MinOrderQty  int          // default 1
	Priority     int          // default 1
}

// Link creates the offer for an unlinked supplier SKU and marks it linked.
// The feed's last quantity is reported for the new offer, so its stock
// counts at once (later runs keep it true).
func (s *Service) Link(ctx context.Context, id int64, in LinkInput) (*Unlinked, error) {
	u, err := s.UnlinkedSKU(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.Status == UnlinkedLinked {
		return nil, apperr.New(apperr.Conflict, "supplier SKU %q is already linked (offer %d)", u.SupplierSKU, u.OfferID)
	}
	var f apperr.Fields
	if _, err := catalog.ParseSKU(in.SKU); err != nil {
		f.Add("sku", "%v", err)
	}
	cost := in.Cost
	if cost == nil {
		cost = u.LastCost
	}
	if cost == nil {
		f.Add("cost", "is required: the feed gave no cost for %q", u.SupplierSKU)
	}
	lead := 7
	if u.LastLeadTime != nil {
		lead = *u.LastLeadTime
	}
	if in.LeadTimeDays != nil {
		lead = *in.LeadTimeDays
	}
	if in.MinOrderQty == 0 {
		in.MinOrderQty = 1
	}
	if in.Priority == 0 {
		in.Priority = 1
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	offer, err := s.sup.CreateOffer(ctx, suppliers.NewOffer{SupplierID: u.SupplierID, SKU: in.SKU, SupplierSKU: u.SupplierSKU,
		Cost: *cost, LeadTimeDays: lead, MinOrderQty: in.MinOrderQty, Priority: in.Priority})
	if err != nil {
		return nil, err
	}
	if u.LastQuantity != nil && *u.LastQuantity > 0 {
		if _, err := s.inv.Report(ctx, offer.ID, *u.LastQuantity, u.LastSeenAt, fmt.Sprintf("feed:%d", u.LastRunID)); err != nil {
			return nil, fmt.Errorf("report the feed's quantity for offer %d: %w", offer.ID, err)
		}
	}
	if _, err := s.db.W.ExecContext(ctx, `UPDATE feed_unlinked_skus SET status = 'linked', offer_id = $1, decided_by = $2, decided_at = $3
		WHERE id = $4`, offer.ID, actor(ctx, "system"), s.clock(), id); err != nil {
		return nil, fmt.Errorf("link supplier SKU %d: %w", id, err)
	}
	return s.UnlinkedSKU(ctx, id)
}
