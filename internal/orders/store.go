package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/store"
)

const orderColumns = `id, channel, COALESCE(external_id, ''), customer_id, email, locale, state, currency,
	subtotal_amount, discount_amount, shipping_amount, tax_amount, taxes_included, total_amount, charged_amount, refunded_amount,
	ship_name, ship_company, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code, ship_country, ship_phone,
	payment_status, risk, note, placed_at, created_at, updated_at, ` + promiseColumns

func scanOrder(row interface{ Scan(...any) error }) (*Order, error) {
	var o Order
	var sub, disc, ship, tax, total, charged, refunded int64
	a := &o.ShippingAddress
	var pr promiseScan
	err := row.Scan(append([]any{&o.Number, &o.Channel, &o.ExternalID, &o.CustomerID, &o.Email, &o.Locale, &o.State, &o.Currency,
		&sub, &disc, &ship, &tax, &o.TaxesIncluded, &total, &charged, &refunded,
		&a.Name, &a.Company, &a.Line1, &a.Line2, &a.City, &a.Region, &a.PostalCode, &a.Country, &a.Phone,
		&o.Payment.Status, &o.Payment.Risk, &o.Note, &o.PlacedAt, &o.CreatedAt, &o.UpdatedAt}, pr.dest()...)...)
	if err != nil {
		return nil, err
	}
	o.Promise = pr.promised()
	m := func(v int64) money.Money { return money.Money{Amount: v, Currency: o.Currency} }
	o.Subtotal, o.Discount, o.Shipping, o.Tax, o.Total, o.Charged, o.Refunded = m(sub), m(disc), m(ship), m(tax), m(total), m(charged), m(refunded)
	o.PlacedAt, o.CreatedAt, o.UpdatedAt = o.PlacedAt.UTC(), o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return &o, nil
}

// Get returns an order with its lines and holds.
func (s *Service) Get(ctx context.Context, number int64) (*Order, error) {
	o, err := s.load(ctx, s.db.R, number, "")
	if err != nil {
		return nil, err
	}
	// The open at-risk flags (nil if none, as Place returns them).
	risks, err := s.openRisks(ctx, s.db.R, []int64{number})
	if err != nil {
		return nil, err
	}
	o.AtRisk = risks[number]
	return o, nil
}

// load reads an order, its lines and its holds with q; lock is appended to
// the order's SELECT (FOR UPDATE on PostgreSQL when changing it).
func (s *Service) load(ctx context.Context, q store.Querier, number int64, lock string) (*Order, error) {
	o, err := scanOrder(q.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`+lock, number))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "order %d not found", number)
	}
	if err != nil {
		return nil, fmt.Errorf("read order %d: %w", number, err)
	}
	if o.Lines, err = s.lines(ctx, q, number); err != nil {
		return nil, err
	}
	if o.Holds, err = s.holds(ctx, q, number); err != nil {
		return nil, err
	}
	return o, nil
}

func (s *Service) lines(ctx context.Context, q store.Querier, number int64) ([]Line, error) {
	rows, err := q.QueryContext(ctx, `SELECT l.id, l.position, l.variant_id, l.sku, l.title, l.state, l.quantity, l.unit_price_amount,
		l.discount_amount, l.tax_amount, l.total_amount, l.refunded_amount, l.qty_reserved, l.qty_backordered, l.qty_preordered,
		l.qty_short, l.qty_shipped, l.qty_cancelled, l.backorder_expected_at, o.currency
		FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.order_id = $1 ORDER BY l.position`, number)
	if err != nil {
		return nil, fmt.Errorf("read lines of order %d: %w", number, err)
	}
	defer rows.Close()
	var out []Line
	for rows.Next() {
		var l Line
		var unit, disc, tax, total, refunded int64
		var cur string
		var expected sql.NullTime
		if err := rows.Scan(&l.ID, &l.Position, &l.VariantID, &l.SKU, &l.Title, &l.State, &l.Quantity, &unit, &disc, &tax, &total,
			&refunded, &l.Reserved, &l.Backordered, &l.Preordered, &l.Short, &l.Shipped, &l.Cancelled, &expected, &cur); err != nil {
			return nil, fmt.Errorf("read lines of order %d: %w", number, err)
		}
		m := func(v int64) money.Money { return money.Money{Amount: v, Currency: cur} }
		l.UnitPrice, l.Discount, l.Tax, l.Total, l.Refunded = m(unit), m(disc), m(tax), m(total), m(refunded)
		if expected.Valid {
			t := expected.Time.UTC()
			l.ExpectedAt = &t
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

func (s *Service) holds(ctx context.Context, q store.Querier, number int64) ([]Hold, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, reason, detail, created_by, created_at, COALESCE(released_by, ''), released_at
		FROM order_holds WHERE order_id = $1 ORDER BY id`, number)
	if err != nil {
		return nil, fmt.Errorf("read holds of order %d: %w", number, err)
	}
	defer rows.Close()
	out := []Hold{}
	for rows.Next() {
		var h Hold
		var rel sql.NullTime
		if err := rows.Scan(&h.ID, &h.Reason, &h.Detail, &h.CreatedBy, &h.CreatedAt, &h.ReleasedBy, &rel); err != nil {
			return nil, fmt.Errorf("read holds of order %d: %w", number, err)
		}
		h.CreatedAt = h.CreatedAt.UTC()
		if rel.Valid {
			t := rel.Time.UTC()
			h.ReleasedAt = &t
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// OpenHolds returns the holds of o not yet released.
func (o *Order) OpenHolds() []Hold {
	var out []Hold
	for _, h := range o.Holds {
		if h.ReleasedAt == nil {
			out = append(out, h)
		}
	}
	return out
}

// Timeline returns every entry of an order's timeline, oldest first.
func (s *Service) Timeline(ctx context.Context, number int64) ([]Entry, error) {
	var exists int
	if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE id = $1`, number).Scan(&exists); err != nil {
		return nil, fmt.Errorf("read order %d: %w", number, err)
	}
	if exists == 0 {
		return nil, apperr.New(apperr.NotFound, "order %d not found", number)
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, COALESCE(line_id, 0), event, from_state, to_state, actor, reason, detail, created_at
		FROM order_timeline WHERE order_id = $1 ORDER BY id`, number)
	if err != nil {
		return nil, fmt.Errorf("read timeline of order %d: %w", number, err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.LineID, &e.Event, &e.FromState, &e.ToState, &e.Actor, &e.Reason, &e.Detail, &e.At); err != nil {
			return nil, fmt.Errorf("read timeline of order %d: %w", number, err)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// Summary is an order as listed.
type Summary struct {
	Number     int64        `json:"number"`
	Channel    string       `json:"channel"`
	ExternalID string       `json:"external_id,omitempty"`
	CustomerID int64        `json:"customer_id"`
	Email      string       `json:"email"`
	State      State        `json:"state"`
	Total      money.Money  `json:"total"`
	Lines      int          `json:"lines"`
	Units      int          `json:"units"`
	Holds      []HoldReason `json:"holds"`
	AtRisk     []Risk       `json:"at_risk" doc:"Open at-risk flags: the order may miss its promised window"`
	PlacedAt   time.Time    `json:"placed_at"`
}

// ListFilter selects orders. Orders are listed newest first (by number).
type ListFilter struct {
	State       State
	HoldReason  HoldReason
	Backordered bool // some line has units waiting for a restock
	Preordered  bool // some line has pre-ordered units
	AtRisk      bool // an open at-risk flag (any reason, or AtRiskReason)
	// AtRiskReason keeps orders with an open at-risk flag of this reason.
	AtRiskReason RiskReason
	Channel      string
	CustomerID   int64
	From, To     time.Time // placed at or after From, before To
	// Q searches by order number, external id, email (prefix) or SKU.
	Q string
	// Before is the keyset cursor: list orders numbered below it.
	Before int64
	Limit  int // default 50, at most 200
}

// List returns a page of orders and whether there are more.
func (s *Service) List(ctx context.Context, f ListFilter) ([]Summary, bool, error) {
	var fe apperr.Fields
	if f.State != "" && !ValidState(f.State) {
		fe.Add("state", "unknown state %q", f.State)
	}
	switch f.HoldReason {
	case "", HoldAddress, HoldPayment, HoldStock, HoldManual:
	default:
		fe.Add("hold", "unknown hold reason %q: want address, payment, stock or manual", f.HoldReason)
	}
	if f.AtRiskReason != "" && !slices.Contains(RiskReasons(), f.AtRiskReason) {
		fe.Add("at_risk_reason", "unknown at-risk reason %q: want not_sent, not_shipped, restock_late, late, not_acknowledged, tracking_stalled or discontinued", f.AtRiskReason)
	}
	if f.Limit < 0 || f.Limit > 200 {
		fe.Add("limit", "must be between 1 and 200, got %d", f.Limit)
	}
	if err := fe.Err(); err != nil {
		return nil, false, err
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.State != "" {
		where = append(where, "o.state = "+arg(f.State))
	}
	if f.HoldReason != "" {
		where = append(where, "o.id IN (SELECT h.order_id FROM order_holds h WHERE h.released_at IS NULL AND h.reason = "+arg(f.HoldReason)+")")
	}
	if f.Backordered {
		where = append(where, "o.id IN (SELECT l.order_id FROM order_lines l WHERE l.qty_backordered > 0)")
	}
	if f.Preordered {
		where = append(where, "o.id IN (SELECT l.order_id FROM order_lines l WHERE l.qty_preordered > 0)")
	}
	if f.AtRisk || f.AtRiskReason != "" {
		q := "o.id IN (SELECT r.order_id FROM order_risks r WHERE r.cleared_at IS NULL"
		if f.AtRiskReason != "" {
			q += " AND r.reason = " + arg(f.AtRiskReason)
		}
		where = append(where, q+")")
	}
	if f.Channel != "" {
		where = append(where, "o.channel = "+arg(f.Channel))
	}
	if f.CustomerID != 0 {
		where = append(where, "o.customer_id = "+arg(f.CustomerID))
	}
	if !f.From.IsZero() {
		where = append(where, "o.placed_at >= "+arg(f.From.UTC()))
	}
	if !f.To.IsZero() {
		where = append(where, "o.placed_at < "+arg(f.To.UTC()))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		q = strings.TrimPrefix(q, "#")
		// The matching ids come from a UNION of indexed lookups: an OR of
		// them would make the planner walk every order and filter.
		var alts []string
		if n, err := strconv.ParseInt(q, 10, 64); err == nil {
			alts = append(alts, "SELECT id FROM orders WHERE id = "+arg(n))
		}
		alts = append(alts, "SELECT id FROM orders WHERE external_id = "+arg(q))
		if !strings.ContainsAny(q, " ") {
			lq := strings.ToLower(q)
			alts = append(alts, "SELECT id FROM orders WHERE email_key >= "+arg(lq)+" AND email_key < "+arg(lq+"\U0010FFFF"))
		}
		alts = append(alts, "SELECT order_id FROM order_lines WHERE sku = "+arg(strings.ToUpper(q)))
		// PostgreSQL: ANY(ARRAY(...)) computes the few ids once; as a join
		// or an IN it merges them with a backward walk of every order.
		if s.db.Engine == store.Postgres {
			where = append(where, "o.id = ANY(ARRAY("+strings.Join(alts, " UNION ")+"))")
		} else {
			where = append(where, "o.id IN ("+strings.Join(alts, " UNION ")+")")
		}
	}
	if f.Before > 0 {
		where = append(where, "o.id < "+arg(f.Before))
	}
	sqlWhere := ""
	if len(where) > 0 {
		sqlWhere = " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT o.id, o.channel, COALESCE(o.external_id, ''), o.customer_id, o.email, o.state,
		o.total_amount, o.currency, o.placed_at FROM orders o`+sqlWhere+` ORDER BY o.id DESC LIMIT `+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, false, fmt.Errorf("list orders: %w", err)
	}
	var out []Summary
	for rows.Next() {
		var m Summary
		if err := rows.Scan(&m.Number, &m.Channel, &m.ExternalID, &m.CustomerID, &m.Email, &m.State, &m.Total.Amount, &m.Total.Currency, &m.PlacedAt); err != nil {
			rows.Close()
			return nil, false, fmt.Errorf("list orders: %w", err)
		}
		m.PlacedAt = m.PlacedAt.UTC()
		m.Holds = []HoldReason{}
		m.AtRisk = []Risk{}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list orders: %w", err)
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	if len(out) == 0 {
		return out, false, nil
	}
	// Line counts and open holds of the page, in two queries.
	ids := make([]any, len(out))
	ph := make([]string, len(out))
	idx := make(map[int64]int, len(out))
	for i, m := range out {
		ids[i], ph[i], idx[m.Number] = m.Number, "$"+strconv.Itoa(i+1), i
	}
	in := strings.Join(ph, ", ")
	rows, err = s.db.R.QueryContext(ctx, `SELECT order_id, COUNT(*), SUM(quantity - qty_cancelled) FROM order_lines WHERE order_id IN (`+in+`) GROUP BY order_id`, ids...)
	if err != nil {
		return nil, false, fmt.Errorf("list orders: %w", err)
	}
	for rows.Next() {
		var id int64
		var n, u int
		if err := rows.Scan(&id, &n, &u); err != nil {
			rows.Close()
			return nil, false, fmt.Errorf("list orders: %w", err)
		}
		out[idx[id]].Lines, out[idx[id]].Units = n, u
	}
	rows.Close()
	risks, err := s.openRisks(ctx, s.db.R, sortedIDs(func() []int64 {
		ns := make([]int64, len(out))
		for i, m := range out {
			ns[i] = m.Number
		}
		return ns
	}()))
	if err != nil {
		return nil, false, fmt.Errorf("list orders: %w", err)
	}
	for id, rs := range risks {
		out[idx[id]].AtRisk = rs
	}
	rows, err = s.db.R.QueryContext(ctx, `SELECT order_id, reason FROM order_holds WHERE released_at IS NULL AND order_id IN (`+in+`) ORDER BY id`, ids...)
	if err != nil {
		return nil, false, fmt.Errorf("list orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var r HoldReason
		if err := rows.Scan(&id, &r); err != nil {
			return nil, false, fmt.Errorf("list orders: %w", err)
		}
		out[idx[id]].Holds = append(out[idx[id]].Holds, r)
	}
	return out, more, rows.Err()
}
