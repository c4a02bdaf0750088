package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/store"
)

// Customer choices (issue 8, docs/customer-page.md, decision 0015): when a
// line waits for stock (backordered, or short) or its order is at risk of
// missing its promise, the customer chooses, on their order page or through
// staff, to wait for the expected date, to swap the line to an in-stock
// alternative, or to cancel it with a refund. Each choice is one transaction
// that locks the order (as every change does), writes a "customer_choice"
// timeline entry and enqueues EventCustomerChoice. The latest answer per line
// is kept in order_line_choices; a repeated answer changes nothing, so two
// tabs answering at once cannot cancel or reserve twice.

// EventCustomerChoice: the customer chose wait, swap or cancel for a line;
// the timeline entry's detail says which ("choice"), and for a cancel the
// refund and the coupon. A customer's cancel is announced by this event alone
// (not also order.cancelled), so the customer gets one notice, the answer to
// their choice; a swap also emits order.edited (the lines changed).
const EventCustomerChoice Event = "order.customer_choice"

// Choice is what a customer chose for a waiting or delayed line.
type Choice string

// Choices.
const (
	// ChoiceWait accepts the wait: the expected restock date (if known) is
	// recorded as accepted and the line stays as it is.
	ChoiceWait Choice = "wait"
	// ChoiceSwap replaces the line's open units with as many units of an
	// in-stock alternative (another variant of the same product, no dearer
	// in the catalog), reserved at once. The customer keeps the price they
	// paid: no money moves.
	ChoiceSwap Choice = "swap"
	// ChoiceCancel cancels every open unit of the line, with the refund
	// recorded and, by the store's policy, an apology coupon.
	ChoiceCancel Choice = "cancel"
)

// ApologyFunc issues the apology coupon of a cancellation the customer did
// not cause (their choice to cancel a waiting line, or the consent deadline),
// inside tx, and returns its code; "" when the store's policy gives none.
// internal/coupons provides it (orders does not import coupons); it is wired
// in cmd/orderly.
type ApologyFunc func(ctx context.Context, tx *sql.Tx, order int64, currency, reason string) (code string, err error)

// SetApology sets the apology coupon hook. Call it while wiring, before
// serving.
func (s *Service) SetApology(f ApologyFunc) { s.apology = f }

// ChoiceInput is a customer's answer for one line.
type ChoiceInput struct {
	Line   int    // the line's position, from 1
	Choice Choice // wait, swap or cancel
	SKU    string // swap: the alternative, one of LineChoices.Alternatives
}

// ChoiceResult is the outcome of Choose.
type ChoiceResult struct {
	Order  *Order `json:"order"`
	Line   int    `json:"line"`
	Choice Choice `json:"choice"`
	// Repeated says the same answer had already been applied: nothing changed.
	Repeated bool `json:"repeated"`
	// Refund is what is due back for a cancel (zero otherwise).
	Refund money.Money `json:"refund"`
	// Coupon is the apology coupon of a cancel, if the store gives one.
	Coupon string `json:"coupon,omitempty"`
	// SwapLine is the position of the line a swap added.
	SwapLine int `json:"swap_line,omitempty"`
	// ExpectedAt is the restock date a wait accepted (absent: none known).
	ExpectedAt *time.Time `json:"expected_at,omitempty"`
}

// Answer is the customer's latest answer for a line.
type Answer struct {
	Choice     Choice     `json:"choice"`
	ExpectedAt *time.Time `json:"expected_at,omitempty" doc:"wait: the restock date accepted"`
	SwapLine   int        `json:"swap_line,omitempty" doc:"swap: the position of the new line"`
	Actor      string     `json:"actor"`
	At         time.Time  `json:"at"`
}

// Alternative is an in-stock variant a waiting line may be swapped to.
type Alternative struct {
	SKU       string      `json:"sku"`
	Title     string      `json:"title"`
	Price     money.Money `json:"price" doc:"The alternative's catalog price (the customer keeps the price they paid)"`
	Available int         `json:"available" doc:"Its available-to-sell now"`
}

// LineChoices is what the customer may choose for one waiting or delayed line.
type LineChoices struct {
	Line    int    `json:"line"`
	LineID  int64  `json:"line_id"`
	SKU     string `json:"sku"`
	Title   string `json:"title"`
	Units   int    `json:"units" doc:"The line's open units (what a swap moves and a cancel cancels)"`
	Waiting int    `json:"waiting" doc:"Units waiting for stock"`
	// Delayed: the order is late or a restock lands after its window (Delayed).
	Delayed    bool       `json:"delayed" doc:"The order is late, or a restock lands after its promised window"`
	ExpectedAt *time.Time `json:"expected_at,omitempty"`
	// Choices are what may be chosen now, in the order wait, swap, cancel.
	Choices      []Choice      `json:"choices"`
	Alternatives []Alternative `json:"alternatives"`
	// Answer is the customer's answer about this wait, if any.
	Answer *Answer `json:"answer,omitempty"`
	// DueAt: waiting units whose wait is not accepted by then are cancelled
	// (absent: the store does not ask, or the wait began before it did).
	DueAt *time.Time `json:"due_at,omitempty"`
}

// Choices returns, for each line of an order that waits for stock or whose
// order is at risk, what the customer may choose. Lines with nothing to
// choose are left out; an order with none gives an empty list.
func (s *Service) Choices(ctx context.Context, number int64) ([]LineChoices, error) {
	out := []LineChoices{}
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		o, err := s.load(ctx, tx, number, "")
		if err != nil {
			return err
		}
		risks, err := s.openRisks(ctx, tx, []int64{number})
		if err != nil {
			return err
		}
		delayed := Delayed(risks[number])
		consent, err := s.consentSettings(ctx, tx)
		if err != nil {
			return err
		}
		for i := range o.Lines {
			l := &o.Lines[i]
			if !choosable(l, delayed) {
				continue
			}
			lc, err := s.lineChoices(ctx, tx, o, l, delayed, consent)
			if err != nil {
				return err
			}
			out = append(out, lc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readTx runs fn in a read transaction on the read pool, for a consistent
// view across several queries.
func (s *Service) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.R.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin read transaction: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

func (s *Service) lineChoices(ctx context.Context, tx *sql.Tx, o *Order, l *Line, delayed bool, consent ConsentSettings) (LineChoices, error) {
	lc := LineChoices{Line: l.Position, LineID: l.ID, SKU: l.SKU, Title: l.Title, Units: l.Quantity - l.Cancelled - l.Shipped,
		Waiting: l.Backordered + l.Short, Delayed: delayed, ExpectedAt: l.ExpectedAt, Alternatives: []Alternative{}}
	since, err := s.waitingSince(ctx, tx, l.ID)
	if err != nil {
		return lc, err
	}
	prev, err := s.answer(ctx, tx, o, l.ID)
	if err != nil {
		return lc, err
	}
	if prev != nil && !prev.At.Before(since) {
		lc.Answer = prev
	}
	if l.Backordered > 0 && l.Preordered == 0 {
		lc.DueAt = consent.due(since)
	}
	lc.Choices = []Choice{ChoiceWait}
	if o.Editable() {
		if lc.Alternatives, err = s.alternatives(ctx, tx, l, lc.Units); err != nil {
			return lc, err
		}
		if len(lc.Alternatives) > 0 {
			lc.Choices = append(lc.Choices, ChoiceSwap)
		}
	}
	lc.Choices = append(lc.Choices, ChoiceCancel)
	return lc, nil
}

// Delayed reports whether open at-risk flags make a delay the customer is
// told about: the promised window has ended (late) or a restock lands after
// it (restock_late). The other reasons (not sent, not shipped, not
// acknowledged, tracking stalled) are the store's follow-ups: the order may
// still arrive in time, so the customer is not offered to cancel for them.
func Delayed(risks []Risk) bool {
	for _, r := range risks {
		if r.Reason == RiskLate || r.Reason == RiskRestockLate {
			return true
		}
	}
	return false
}

// choosable reports whether the customer may choose for l: some of its
// units wait for stock, or the order is delayed (Delayed) and some of the
// line's units can still be cancelled.
func choosable(l *Line, delayed bool) bool {
	if l.Cancellable() == 0 {
		return false
	}
	return l.Backordered+l.Short > 0 || delayed
}

// waitingSince is when line id's units started waiting: its backordered_at,
// or its creation for a line placed backordered (saveLine).
func (s *Service) waitingSince(ctx context.Context, tx store.Querier, id int64) (time.Time, error) {
	// Two columns, not COALESCE: SQLite gives an expression no declared
	// type, so the driver could not read it as a time.
	var at sql.NullTime
	var created time.Time
	if err := tx.QueryRowContext(ctx, `SELECT backordered_at, created_at FROM order_lines WHERE id = $1`, id).Scan(&at, &created); err != nil {
		return created, fmt.Errorf("read line %d: %w", id, err)
	}
	if at.Valid {
		return at.Time.UTC(), nil
	}
	return created.UTC(), nil
}

// answer reads the latest answer for line id of o, or nil.
func (s *Service) answer(ctx context.Context, tx store.Querier, o *Order, id int64) (*Answer, error) {
	var a Answer
	var exp sql.NullTime
	var swap sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT choice, expected_at, swap_line_id, actor, chosen_at FROM order_line_choices WHERE line_id = $1`, id).
		Scan(&a.Choice, &exp, &swap, &a.Actor, &a.At)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("answer for line %d: %w", id, err)
	}
	a.At = a.At.UTC()
	if exp.Valid {
		t := exp.Time.UTC()
		a.ExpectedAt = &t
	}
	if swap.Valid {
		for _, l := range o.Lines {
			if l.ID == swap.Int64 {
				a.SwapLine = l.Position
			}
		}
	}
	return &a, nil
}

// saveAnswer writes the latest answer for line l of o.
func (s *Service) saveAnswer(ctx context.Context, tx *sql.Tx, o *Order, l *Line, c Choice, expected *time.Time, swapLine int64, who string) error {
	var swap any
	if swapLine != 0 {
		swap = swapLine
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO order_line_choices (line_id, order_id, choice, expected_at, swap_line_id, actor, chosen_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (line_id) DO UPDATE SET choice = excluded.choice, expected_at = excluded.expected_at,
			swap_line_id = excluded.swap_line_id, actor = excluded.actor, chosen_at = excluded.chosen_at`,
		l.ID, o.Number, c, nullTime(expected), swap, who, s.clock())
	if err != nil {
		return fmt.Errorf("record the choice for line %d of order %d: %w", l.Position, o.Number, err)
	}
	return nil
}

// alternatives lists the variants line l may be swapped to: the other
// active variants of its product whose catalog price, in the same currency,
// is no more than its own variant's, that are not on pre-order and whose
// available-to-sell covers units. Sorted by SKU.
func (s *Service) alternatives(ctx context.Context, tx store.Querier, l *Line, units int) ([]Alternative, error) {
	vs, err := s.alternativeRows(ctx, tx, l.VariantID)
	if err != nil || len(vs) == 0 {
		return []Alternative{}, err
	}
	ids := make([]int64, len(vs))
	for i, v := range vs {
		ids[i] = v.id
	}
	pols, err := s.inv.Policies(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	out := []Alternative{}
	for _, v := range vs {
		if pols[v.id].IsPreorder(now) {
			continue
		}
		ats, err := s.inv.ATS(ctx, tx, v.id)
		if err != nil {
			return nil, err
		}
		if ats < units || units <= 0 {
			continue
		}
		out = append(out, Alternative{SKU: v.sku, Title: v.title, Price: v.price, Available: ats})
	}
	slices.SortFunc(out, func(a, b Alternative) int {
		switch {
		case a.SKU < b.SKU:
			return -1
		case a.SKU > b.SKU:
			return 1
		}
		return 0
	})
	return out, nil
}

// alternativeRows reads the candidate variants for variant id: same
// product, active (product too), priced no higher in the same currency.
func (s *Service) alternativeRows(ctx context.Context, tx store.Querier, id int64) ([]variantRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT v.id, v.sku, p.title || CASE WHEN v.title = '' THEN '' ELSE ' — ' || v.title END,
		v.price_amount, v.price_currency, v.status
		FROM variants o JOIN variants v ON v.product_id = o.product_id JOIN products p ON p.id = v.product_id
		WHERE o.id = $1 AND v.id <> o.id AND v.status = 'active' AND p.status = 'active'
			AND v.price_currency = o.price_currency AND v.price_amount <= o.price_amount
		ORDER BY v.sku`, id)
	if err != nil {
		return nil, fmt.Errorf("alternatives of variant %d: %w", id, err)
	}
	defer rows.Close()
	var out []variantRow
	for rows.Next() {
		var v variantRow
		if err := rows.Scan(&v.id, &v.sku, &v.title, &v.price.Amount, &v.price.Currency, &v.status); err != nil {
			return nil, fmt.Errorf("alternatives of variant %d: %w", id, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Choose applies a customer's choice for one line of an order, in one
// transaction: wait records the accepted date; swap moves the line's open
// units to an alternative (reserved at once, same price: no money moves);
// cancel cancels them with the refund recorded, the apology coupon (by
// policy) and the freed stock given to waiting lines. The timeline entry's
// actor is the caller (staff acting for the customer) or "customer:<email>".
// The same answer again changes nothing (Repeated); a line with nothing to
// choose is a 409.
func (s *Service) Choose(ctx context.Context, number int64, in ChoiceInput) (ChoiceResult, error) {
	var fe apperr.Fields
	switch in.Choice {
	case ChoiceWait, ChoiceCancel:
	case ChoiceSwap:
		if in.SKU == "" {
			fe.Add("sku", "is required to swap: one of the line's alternatives")
		}
	default:
		fe.Add("choice", "must be wait, swap or cancel, got %q", in.Choice)
	}
	if in.Line < 1 {
		fe.Add("line", "must be a line number from 1, got %d", in.Line)
	}
	if err := fe.Err(); err != nil {
		return ChoiceResult{}, err
	}
	var out ChoiceResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = ChoiceResult{Line: in.Line, Choice: in.Choice}
		o, err := s.lockOrder(ctx, tx, number)
		if err != nil {
			return err
		}
		out.Refund = money.Money{Currency: o.Currency}
		l := o.line(in.Line)
		if l == nil {
			return apperr.New(apperr.NotFound, "order %d has no line %d", number, in.Line)
		}
		prev, err := s.answer(ctx, tx, o, l.ID)
		if err != nil {
			return err
		}
		since, err := s.waitingSince(ctx, tx, l.ID)
		if err != nil {
			return err
		}
		if repeated(in, prev, l, since, o) {
			out.Repeated, out.SwapLine, out.ExpectedAt = true, prev.SwapLine, prev.ExpectedAt
			return nil
		}
		risks, err := s.openRisks(ctx, tx, []int64{number})
		if err != nil {
			return err
		}
		if !choosable(l, Delayed(risks[number])) {
			return apperr.New(apperr.Conflict, "line %d (%s) of order %d is %s and neither waits for stock nor is delayed: there is nothing to choose",
				l.Position, l.SKU, number, l.State)
		}
		who := actor(ctx, "customer:"+o.Email)
		switch in.Choice {
		case ChoiceWait:
			return s.chooseWait(ctx, tx, o, l, who, &out)
		case ChoiceSwap:
			return s.chooseSwap(ctx, tx, o, l, in.SKU, who, &out)
		}
		return s.chooseCancel(ctx, tx, o, l, who, &out)
	})
	if err != nil {
		return ChoiceResult{}, err
	}
	if out.Order, err = s.Get(ctx, number); err != nil {
		return ChoiceResult{}, err
	}
	return out, nil
}

// repeated reports whether in is the answer already applied for l: a wait
// for this same wait and date, or the cancel or swap that closed the line.
func repeated(in ChoiceInput, prev *Answer, l *Line, since time.Time, o *Order) bool {
	if prev == nil || prev.Choice != in.Choice {
		return false
	}
	switch in.Choice {
	case ChoiceWait:
		return !prev.At.Before(since) && sameTime(prev.ExpectedAt, l.ExpectedAt) && l.State != LineCancelled
	case ChoiceCancel:
		return l.State == LineCancelled
	case ChoiceSwap:
		nl := o.line(prev.SwapLine)
		return l.State == LineCancelled && nl != nil && nl.SKU == normalSKU(in.SKU)
	}
	return false
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func (s *Service) chooseWait(ctx context.Context, tx *sql.Tx, o *Order, l *Line, who string, out *ChoiceResult) error {
	if err := s.saveAnswer(ctx, tx, o, l, ChoiceWait, l.ExpectedAt, 0, who); err != nil {
		return err
	}
	detail := map[string]any{"choice": ChoiceWait, "line": l.Position, "sku": l.SKU, "waiting": l.Backordered + l.Short}
	reason := fmt.Sprintf("the customer will wait for line %d (%s)", l.Position, l.SKU)
	if l.ExpectedAt != nil {
		detail["expected_at"] = *l.ExpectedAt
		reason += " until " + l.ExpectedAt.UTC().Format(time.DateOnly)
	}
	entry, err := s.record(ctx, tx, o.Number, l.ID, "customer_choice", string(o.State), string(o.State), who, reason, detail)
	if err != nil {
		return err
	}
	out.ExpectedAt = l.ExpectedAt
	return s.emit(ctx, tx, EventArgs{Event: EventCustomerChoice, Order: o.Number, Lines: []int64{l.ID}, Entry: entry})
}

func (s *Service) chooseCancel(ctx context.Context, tx *sql.Tx, o *Order, l *Line, who string, out *ChoiceResult) error {
	if err := s.saveAnswer(ctx, tx, o, l, ChoiceCancel, nil, 0, who); err != nil {
		return err
	}
	reason := fmt.Sprintf("the customer chose to cancel line %d (%s) rather than wait", l.Position, l.SKU)
	detail := map[string]any{"choice": ChoiceCancel, "line": l.Position, "sku": l.SKU}
	// order.cancelled too, as for every cancellation: whoever follows
	// cancellations (an ERP, the payment provider's refunds) must see this
	// one. The customer hears of it once, by the answer to their choice
	// (notify leaves order.cancelled of a customer_choice entry alone).
	refund, code, err := s.cancelWaiting(ctx, tx, o, map[int]int{l.Position: l.Cancellable()}, "customer_choice", who, reason, detail,
		EventCustomerChoice, EventCancelled)
	if err != nil {
		return err
	}
	out.Refund.Amount, out.Coupon = refund, code
	return nil
}

// cancelWaiting cancels want[position] units of lines of o for the
// customer (their choice, or the consent deadline) inside tx, as Cancel
// does: the units' slots and reservations are given back, the refund is
// recorded, the apology coupon is issued by the store's policy (its code in
// the entry's detail), the entry (event, who, reason, detail + the refund
// parts) is written with the events, and freed stock fills waiting lines.
// It returns the refund and the coupon code.
func (s *Service) cancelWaiting(ctx context.Context, tx *sql.Tx, o *Order, want map[int]int, event, who, reason string,
	detail map[string]any, events ...Event) (int64, string, error) {
	refund, parts, freed, err := s.cancelUnits(ctx, tx, o, want)
	if err != nil {
		return 0, "", err
	}
	from, to, err := s.settle(ctx, tx, o)
	if err != nil {
		return 0, "", err
	}
	var code string
	if s.apology != nil {
		if code, err = s.apology(ctx, tx, o.Number, o.Currency, reason); err != nil {
			return 0, "", fmt.Errorf("apology coupon for order %d: %w", o.Number, err)
		}
	}
	detail["lines"] = parts
	detail["refund"] = money.Money{Amount: refund, Currency: o.Currency}
	if code != "" {
		detail["coupon"] = code
	}
	var lineIDs []int64
	for pos := range want {
		lineIDs = append(lineIDs, o.line(pos).ID)
	}
	slices.Sort(lineIDs)
	var lineID int64
	if len(lineIDs) == 1 {
		lineID = lineIDs[0]
	}
	entry, err := s.record(ctx, tx, o.Number, lineID, event, string(from), string(to), who, reason, detail)
	if err != nil {
		return 0, "", err
	}
	if refund > 0 {
		if err := s.recordPayment(ctx, tx, o, "refund", refund, reason, parts, who); err != nil {
			return 0, "", err
		}
	}
	for _, ev := range events {
		if err := s.emit(ctx, tx, EventArgs{Event: ev, Order: o.Number, Lines: lineIDs, Entry: entry}); err != nil {
			return 0, "", err
		}
	}
	if err := s.afterChange(ctx, tx, o, from, to, entry); err != nil {
		return 0, "", err
	}
	for _, v := range sortedKeys(freed) {
		if err := s.fillBackorders(ctx, tx, v, freed[v]); err != nil {
			return 0, "", err
		}
	}
	return refund, code, nil
}

// chooseSwap moves the open units of l to the alternative sku: a new line
// after the last, its units reserved at once (all of them, or the swap is
// refused), and l's open units cancelled. The customer keeps the price they
// paid: the new line is worth exactly what l's open units were (unit price
// kept, tax share kept, the discount making up the rest), so the value moves
// from one line to the other and no payment is recorded.
func (s *Service) chooseSwap(ctx context.Context, tx *sql.Tx, o *Order, l *Line, sku, who string, out *ChoiceResult) error {
	if !o.Editable() {
		return apperr.New(apperr.Conflict, "order %d has gone to a supplier: line %d can no longer be swapped (wait or cancel it)", o.Number, l.Position)
	}
	open := l.Quantity - l.Cancelled
	alts, err := s.alternativeRows(ctx, tx, l.VariantID)
	if err != nil {
		return err
	}
	k := normalSKU(sku)
	i := slices.IndexFunc(alts, func(v variantRow) bool { return v.sku == k })
	if i < 0 {
		return apperr.InvalidField("sku", "%s is not an alternative to line %d (%s)", sku, l.Position, l.SKU)
	}
	v := alts[i]
	if ats, err := s.inv.ATS(ctx, tx, v.id); err != nil {
		return err
	} else if ats < open {
		return apperr.New(apperr.Conflict, "%s has %d units in stock, line %d needs %d: choose another alternative, wait or cancel", v.sku, ats, l.Position, open)
	}
	if pols, err := s.inv.Policies(ctx, tx, []int64{v.id}); err != nil {
		return err
	} else if pols[v.id].IsPreorder(s.clock()) {
		return apperr.InvalidField("sku", "%s is on pre-order, not in stock", v.sku)
	}
	// What l's open units are worth moves to the new line.
	worth := refundFor(l, open)
	unit := l.UnitPrice.Amount
	gross := unit * int64(open)
	tax := unitsWorth(l.Tax.Amount, l.Quantity, 0, open)
	excl := !o.TaxesIncluded
	discount := gross - worth
	if excl {
		discount += tax
	}
	switch {
	case discount > gross: // tax alone would pass the worth
		discount = gross
		if excl {
			tax = worth
		}
	case discount < 0: // worth more than the new line at full price: the rest is refunded
		discount = 0
	}
	before, oldID, position := l.State, l.ID, l.Position
	e := &lineEdit{o: o, who: who, freed: map[int64]int{}, detail: map[string]any{}}
	nl, err := s.addLine(ctx, tx, e, v, open, unit, discount, tax, "sku")
	if err != nil {
		return err
	}
	if nl.Reserved != open {
		return apperr.New(apperr.Conflict, "%s is no longer in stock for %d units: choose again", v.sku, open)
	}
	newPos, newID, newState, moved := nl.Position, nl.ID, nl.State, nl.Total.Amount
	// l may point into the array addLine grew: cancel by position.
	if err := s.cancelLineUnits(ctx, tx, e, position, open); err != nil {
		return err
	}
	// The value moved, it was not refunded and charged again.
	o.Charged.Amount -= moved
	o.Refunded.Amount -= moved
	o.Total.Amount = o.Charged.Amount - o.Refunded.Amount
	rest := e.refund - moved
	from, to, err := s.settle(ctx, tx, o)
	if err != nil {
		return err
	}
	old := o.line(position)
	if err := s.saveAnswer(ctx, tx, o, old, ChoiceSwap, nil, newID, who); err != nil {
		return err
	}
	reason := fmt.Sprintf("the customer chose to swap line %d (%s) to %s rather than wait", position, old.SKU, v.sku)
	detail := map[string]any{"choice": ChoiceSwap, "line": position, "sku": old.SKU, "quantity": open,
		"to_line": newPos, "to_sku": v.sku, "to_line_state": newState, "line_from": before, "line_to": LineCancelled,
		"moved": money.Money{Amount: moved, Currency: o.Currency}}
	if rest > 0 {
		detail["refund"] = money.Money{Amount: rest, Currency: o.Currency}
	}
	entry, err := s.record(ctx, tx, o.Number, oldID, "customer_choice", string(from), string(to), who, reason, detail)
	if err != nil {
		return err
	}
	if rest > 0 {
		if err := s.recordPayment(ctx, tx, o, "refund", rest, reason, []RefundPart{{Line: position, Units: open,
			Amount: money.Money{Amount: rest, Currency: o.Currency}}}, who); err != nil {
			return err
		}
		out.Refund.Amount = rest
	}
	lines := []int64{oldID, newID}
	for _, ev := range []Event{EventCustomerChoice, EventEdited} {
		if err := s.emit(ctx, tx, EventArgs{Event: ev, Order: o.Number, Lines: lines, Entry: entry}); err != nil {
			return err
		}
	}
	if err := s.afterChange(ctx, tx, o, from, to, entry); err != nil {
		return err
	}
	for _, vid := range sortedKeys(e.freed) {
		if err := s.fillBackorders(ctx, tx, vid, e.freed[vid]); err != nil {
			return err
		}
	}
	out.SwapLine = newPos
	return nil
}

// normalSKU is sku as stored (upper case, trimmed), or sku itself if it is
// not a valid SKU (then it matches nothing).
func normalSKU(sku string) string {
	k, err := catalog.ParseSKU(sku)
	if err != nil {
		return sku
	}
	return string(k)
}
