package orders

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/money"
)

// Line edits: before anything of an order has gone to a supplier (editable),
// staff can change a line's quantity, swap its variant, add a line or remove
// one. Each edit is one transaction with its stock effect, its charge or
// refund (order_payments), a timeline entry with the actor and the reason,
// and an order.edited event.
//
// Money. Units taken away are refunded by the refund arithmetic of
// refund.go, exactly as a cancellation would. Units added are charged at the
// line's unit price plus, when prices exclude tax, their share of tax: a
// line's tax rate is its tax over its value after discount (unit price ×
// quantity − discount), so added units of value v pay tax × v / value,
// rounded half up to the minor unit. With prices that include tax, the same
// share is recorded in the line's tax but not charged on top. Orderly keeps
// no tax tables: an edit keeps the rate the line was placed with. A new line
// (AddLine) takes the tax it is given.

// EditResult is the outcome of a line edit.
type EditResult struct {
	Order *Order `json:"order"`
	// Charge is what the customer owes for units added, Refund what is due
	// back for units taken away; Net is Charge − Refund (negative: money
	// goes back to the customer).
	Charge money.Money `json:"charge"`
	Refund money.Money `json:"refund"`
	Net    money.Money `json:"net"`
	// Charged and Refunded are the parts, per line.
	Charged  []RefundPart `json:"charged"`
	Refunded []RefundPart `json:"refunded"`
}

// lineEdit is the running account of one edit inside its transaction.
type lineEdit struct {
	o      *Order
	who    string
	noop   bool // nothing to change: no entry, no event
	event  string
	lineID int64
	lines  []int64
	detail map[string]any

	charge, refund    int64
	charged, refunded []RefundPart
	freed             map[int64]int
	backordered       bool // the edit made units wait for a restock
	preordered        bool // the edit took pre-order slots
	short             bool // the edit left units with no stock and no pool
}

// line returns the open line of e's order at position, or a 404/409.
func (e *lineEdit) line(position int) (*Line, error) {
	l := e.o.line(position)
	if l == nil {
		return nil, apperr.New(apperr.NotFound, "order %d has no line %d", e.o.Number, position)
	}
	if l.State == LineCancelled {
		return nil, errLineState(e.o.Number, *l, "change it")
	}
	return l, nil
}

func (e *lineEdit) took(d decision) {
	e.backordered = e.backordered || d.backordered > 0
	e.preordered = e.preordered || d.preordered > 0
	e.short = e.short || d.short > 0
}

// cancelLineUnits takes k units of the line at position away, as a
// cancellation does.
func (s *Service) cancelLineUnits(ctx context.Context, tx *sql.Tx, e *lineEdit, position, k int) error {
	refund, parts, freed, err := s.cancelUnits(ctx, tx, e.o, map[int]int{position: k})
	if err != nil {
		return err
	}
	e.refund += refund
	e.refunded = append(e.refunded, parts...)
	for v, n := range freed {
		e.freed[v] += n
	}
	return nil
}

// edit runs one line edit: it locks the order, checks it is editable, lets
// fn change it, then settles the state, puts a stock hold on the order if the
// edit left short units, and records the entry, the payments and the events.
// Stock the edit freed goes to waiting lines last, like a cancellation's.
func (s *Service) edit(ctx context.Context, number int64, reason string, fn func(ctx context.Context, tx *sql.Tx, e *lineEdit) error) (EditResult, error) {
	reason, err := checkReason("reason", reason, true)
	if err != nil {
		return EditResult{}, err
	}
	var out EditResult
	var currency string
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		out = EditResult{}
		o, err := s.lockOrder(ctx, tx, number)
		if err != nil {
			return err
		}
		currency = o.Currency
		if !o.Editable() {
			switch o.State {
			case OnHold, AwaitingStock, ReadyToRoute:
				return errState(number, o.State, "change its lines: a line has gone to a supplier")
			}
			return errState(number, o.State, "change its lines")
		}
		e := &lineEdit{o: o, who: actor(ctx, "system:orders"), freed: map[int64]int{}, detail: map[string]any{}}
		if err := fn(ctx, tx, e); err != nil {
			return err
		}
		if e.noop {
			return nil
		}
		hold := e.short && o.openHold(HoldStock) == nil
		if hold {
			o.Holds = append(o.Holds, Hold{Reason: HoldStock})
		}
		if o.Total.Amount > money.MaxAmount {
			return apperr.InvalidField("quantity", "the order total would be absurdly large")
		}
		from, to, err := s.settle(ctx, tx, o)
		if err != nil {
			return err
		}
		m := func(v int64) money.Money { return money.Money{Amount: v, Currency: o.Currency} }
		if e.charge > 0 {
			e.detail["charge"] = m(e.charge)
		}
		if e.refund > 0 {
			e.detail["refund"] = m(e.refund)
		}
		entry, err := s.record(ctx, tx, number, e.lineID, e.event, string(from), string(to), e.who, reason, e.detail)
		if err != nil {
			return err
		}
		if hold {
			if _, err := s.hold(ctx, tx, number, holdInput{HoldStock, "an edit left units with no stock that cannot be backordered or pre-ordered"}, e.who); err != nil {
				return err
			}
		}
		if e.refund > 0 {
			if err := s.recordPayment(ctx, tx, o, "refund", e.refund, reason, e.refunded, e.who); err != nil {
				return err
			}
		}
		if e.charge > 0 {
			if err := s.recordPayment(ctx, tx, o, "charge", e.charge, reason, e.charged, e.who); err != nil {
				return err
			}
		}
		if err := s.emit(ctx, tx, EventArgs{Event: EventEdited, Order: number, Lines: e.lines, Entry: entry}); err != nil {
			return err
		}
		if e.backordered {
			if err := s.emit(ctx, tx, EventArgs{Event: EventBackordered, Order: number, Lines: e.lines, Entry: entry}); err != nil {
				return err
			}
		}
		if e.preordered {
			if err := s.emit(ctx, tx, EventArgs{Event: EventPreordered, Order: number, Lines: e.lines, Entry: entry}); err != nil {
				return err
			}
		}
		if err := s.afterChange(ctx, tx, o, from, to, entry); err != nil {
			return err
		}
		for _, v := range sortedKeys(e.freed) {
			if err := s.fillBackorders(ctx, tx, v, e.freed[v]); err != nil {
				return err
			}
		}
		out.Charge, out.Refund, out.Net = m(e.charge), m(e.refund), m(e.charge-e.refund)
		out.Charged, out.Refunded = e.charged, e.refunded
		return nil
	})
	if err != nil {
		return EditResult{}, err
	}
	if out.Order, err = s.Get(ctx, number); err != nil {
		return EditResult{}, err
	}
	if out.Charge.Currency == "" {
		zero := money.Money{Currency: currency}
		out.Charge, out.Refund, out.Net = zero, zero, zero
	}
	if out.Charged == nil {
		out.Charged = []RefundPart{}
	}
	if out.Refunded == nil {
		out.Refunded = []RefundPart{}
	}
	return out, nil
}

// EditQuantity sets how many units of a line the customer gets (its open
// units: quantity less cancelled). Fewer units are cancelled (waiting units
// first, then reserved ones; the refund is exact, freed stock fills waiting
// lines). More units take stock by the rules of Place: reserved if available,
// else backordered or pre-ordered per the SKU's policy, else the edit is
// refused (409) or, under HoldShort, the units are short and the order held;
// they are charged at the line's unit price (and tax share, see above).
// Setting the quantity it already has changes nothing.
func (s *Service) EditQuantity(ctx context.Context, number int64, position, quantity int, reason string) (EditResult, error) {
	if quantity < 1 || quantity > MaxLineQuantity {
		return EditResult{}, apperr.InvalidField("quantity", "must be between 1 and %d, got %d (to take a line away, remove it)", MaxLineQuantity, quantity)
	}
	return s.edit(ctx, number, reason, func(ctx context.Context, tx *sql.Tx, e *lineEdit) error {
		l, err := e.line(position)
		if err != nil {
			return err
		}
		open := l.Quantity - l.Cancelled
		if quantity == open {
			e.noop = true
			return nil
		}
		before := l.State
		e.event, e.lineID, e.lines = "quantity_changed", l.ID, []int64{l.ID}
		if quantity < open {
			if err := s.cancelLineUnits(ctx, tx, e, position, open-quantity); err != nil {
				return err
			}
		} else if err := s.growLine(ctx, tx, e, l, quantity-open); err != nil {
			return err
		}
		e.detail["line"], e.detail["sku"], e.detail["from"], e.detail["to"] = l.Position, l.SKU, open, quantity
		e.detail["line_from"], e.detail["line_to"] = before, l.State
		return nil
	})
}

// growLine adds a units to line l of e's order: stock first, then the
// money. The line keeps its place in the restock queue (lines are filled in
// order of arrival, and the line arrived when it was placed).
func (s *Service) growLine(ctx context.Context, tx *sql.Tx, e *lineEdit, l *Line, a int) error {
	o := e.o
	if l.Quantity+a > MaxLineQuantity {
		return apperr.InvalidField("quantity", "line %d would have %d units counting the %d cancelled; a line may have at most %d",
			l.Position, l.Quantity+a, l.Cancelled, MaxLineQuantity)
	}
	d, err := s.takeUnits(ctx, tx, o, l.Position, l.VariantID, l.SKU, a, "quantity")
	if err != nil {
		return err
	}
	e.took(d)
	unit := l.UnitPrice.Amount
	gross := unit * int64(a)
	tax := share(l.Tax.Amount, gross, unit*int64(l.Quantity)-l.Discount.Amount)
	charge := gross
	if !o.TaxesIncluded {
		charge += tax
	}
	l.Quantity += a
	l.Reserved += d.reserved
	l.Backordered += d.backordered
	l.Preordered += d.preordered
	l.Short += d.short
	if d.expected != nil && (l.ExpectedAt == nil || d.expected.After(*l.ExpectedAt)) {
		l.ExpectedAt = d.expected
	}
	l.Tax.Amount += tax
	l.Total.Amount += charge
	if err := s.saveLine(ctx, tx, o.Number, l); err != nil {
		return err
	}
	o.Subtotal.Amount += gross
	o.Tax.Amount += tax
	o.Charged.Amount += charge
	o.Total.Amount = o.Charged.Amount - o.Refunded.Amount
	e.charge += charge
	e.charged = append(e.charged, RefundPart{Line: l.Position, Units: a, Amount: money.Money{Amount: charge, Currency: o.Currency}})
	return nil
}

// takeUnits takes stock for qty more units of the line of o at position, by
// the rules Place applies to a new line: a pre-order SKU takes pre-order
// slots and no stock; otherwise what is available is reserved and the rest is
// backordered if the SKU allows it. Units nothing can take refuse the edit
// (409, naming field) or, under HoldShort, are short.
func (s *Service) takeUnits(ctx context.Context, tx *sql.Tx, o *Order, position int, variantID int64, sku string, qty int, field string) (decision, error) {
	pols, err := s.inv.Policies(ctx, tx, []int64{variantID})
	if err != nil {
		return decision{}, err
	}
	pol, now := pols[variantID], s.clock()
	var d decision
	if !pol.IsPreorder(now) {
		got, err := s.inv.ReserveMany(ctx, tx, []inventory.Request{{VariantID: variantID, Quantity: qty, Ref: lineRef(o.Number, position), Partial: true}})
		if err != nil {
			return decision{}, err
		}
		d.reserved = got[0].Quantity
	}
	r, err := s.fromPools(ctx, tx, o.Channel, variantID, sku, qty, pol, now, &d)
	if err != nil {
		return decision{}, err
	}
	if r != nil && s.opts.ShortOrders == RefuseShort {
		r.Line = position
		return decision{}, refusalError([]Refusal{*r}, func(Refusal) string { return field })
	}
	return d, nil
}

// addLine takes stock for a new line of e's order and writes it after the
// last line; the customer is charged its total.
func (s *Service) addLine(ctx context.Context, tx *sql.Tx, e *lineEdit, v variantRow, qty int, unit, discount, tax int64, field string) (*Line, error) {
	o := e.o
	if len(o.Lines) >= MaxLines {
		return nil, apperr.New(apperr.Conflict, "order %d has %d lines, the most an order may have", o.Number, MaxLines)
	}
	pos := 1
	if n := len(o.Lines); n > 0 {
		pos = o.Lines[n-1].Position + 1
	}
	d, err := s.takeUnits(ctx, tx, o, pos, v.id, v.sku, qty, field)
	if err != nil {
		return nil, err
	}
	e.took(d)
	m := func(a int64) money.Money { return money.Money{Amount: a, Currency: o.Currency} }
	gross := unit * int64(qty)
	total := gross - discount
	if !o.TaxesIncluded {
		total += tax
	}
	l := Line{Position: pos, VariantID: v.id, SKU: v.sku, Title: v.title, Quantity: qty,
		UnitPrice: m(unit), Discount: m(discount), Tax: m(tax), Total: m(total), Refunded: m(0),
		Reserved: d.reserved, Backordered: d.backordered, Preordered: d.preordered, Short: d.short, ExpectedAt: d.expected}
	l.State = lineState(&l, false, false)
	err = tx.QueryRowContext(ctx, `INSERT INTO order_lines (order_id, position, variant_id, sku, title, state, quantity,
		unit_price_amount, discount_amount, tax_amount, total_amount, qty_reserved, qty_backordered, qty_preordered, qty_short,
		backorder_expected_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) RETURNING id`,
		o.Number, l.Position, l.VariantID, l.SKU, l.Title, l.State, l.Quantity, unit, discount, tax, total,
		l.Reserved, l.Backordered, l.Preordered, l.Short, nullTime(l.ExpectedAt), s.clock()).Scan(&l.ID)
	if err != nil {
		return nil, fmt.Errorf("write line %d of order %d: %w", pos, o.Number, err)
	}
	o.Lines = append(o.Lines, l)
	o.Subtotal.Amount += gross
	o.Discount.Amount += discount
	o.Tax.Amount += tax
	o.Charged.Amount += total
	o.Total.Amount = o.Charged.Amount - o.Refunded.Amount
	if total > 0 {
		e.charge += total
		e.charged = append(e.charged, RefundPart{Line: pos, Units: qty, Amount: m(total)})
	}
	return &o.Lines[len(o.Lines)-1], nil
}

// variant looks up an active variant by SKU for an edit, naming field when
// the SKU is bad, unknown or not for sale.
func (s *Service) variant(ctx context.Context, field, sku string) (variantRow, error) {
	k, err := catalog.ParseSKU(sku)
	if err != nil {
		return variantRow{}, apperr.InvalidField(field, "%v", err)
	}
	vs, err := s.variantsBySKU(ctx, []string{string(k)})
	if err != nil {
		return variantRow{}, err
	}
	v, ok := vs[string(k)]
	if !ok {
		return variantRow{}, apperr.InvalidField(field, "unknown SKU %q", sku)
	}
	if v.status != string(catalog.StatusActive) {
		return variantRow{}, apperr.InvalidField(field, "SKU %s is %s, not for sale", v.sku, v.status)
	}
	return v, nil
}

// priceOf is the unit price of a new line of o: the one given, or the
// variant's catalog price if it is in the order's currency.
func priceOf(f *apperr.Fields, field string, o *Order, v variantRow, given *money.Money) int64 {
	if given == nil {
		if v.price.Currency != o.Currency {
			f.Add(field, "is required: the catalog price of %s is in %s, the order in %s", v.sku, v.price.Currency, o.Currency)
			return 0
		}
		return v.price.Amount
	}
	u := orderAmount(f, field, o.Currency, *given)
	if u > money.MaxAmount/MaxLineQuantity {
		f.Add(field, "is absurdly large: %s", given.Decimal())
	}
	return u
}

// orderAmount checks an amount given for an order in currency: same
// currency (or none), not negative, not absurd.
func orderAmount(f *apperr.Fields, field, currency string, m money.Money) int64 {
	if m.Amount == 0 {
		return 0
	}
	if m.Currency != "" && !strings.EqualFold(m.Currency, currency) {
		f.Add(field, "is in %s but the order is in %s", m.Currency, currency)
	}
	if m.Amount < 0 {
		f.Add(field, "must not be negative, got %s", m.Decimal())
	}
	if m.Amount > money.MaxAmount {
		f.Add(field, "is absurdly large: %s", m.Decimal())
	}
	return m.Amount
}

// SwapVariant replaces the variant of a line (a size or colour change): the
// line's open units are cancelled (refunded exactly; the line stays, as
// history) and a new line of the new SKU with as many units is added after
// the last line, taking stock by the rules of Place, at unitPrice or, if
// nil, the new variant's catalog price (charged). The new line keeps the
// discount the old line's open units carried and the old line's tax rate, so
// a swap between variants of one price nets to zero up to a minor unit of
// rounding. The result has the refund, the charge and the net.
func (s *Service) SwapVariant(ctx context.Context, number int64, position int, newSKU string, unitPrice *money.Money, reason string) (EditResult, error) {
	v, err := s.variant(ctx, "sku", newSKU)
	if err != nil {
		return EditResult{}, err
	}
	return s.edit(ctx, number, reason, func(ctx context.Context, tx *sql.Tx, e *lineEdit) error {
		old, err := e.line(position)
		if err != nil {
			return err
		}
		if old.VariantID == v.id {
			return apperr.InvalidField("sku", "line %d is already %s: change its quantity instead", position, v.sku)
		}
		var f apperr.Fields
		unit := priceOf(&f, "unit_price", e.o, v, unitPrice)
		if err := f.Err(); err != nil {
			return err
		}
		n, open := old.Quantity, old.Quantity-old.Cancelled
		gross := unit * int64(open)
		discount := min(unitsWorth(old.Discount.Amount, n, 0, open), gross)
		tax := share(old.Tax.Amount, gross-discount, old.UnitPrice.Amount*int64(n)-old.Discount.Amount)
		before, oldID, oldSKU := old.State, old.ID, old.SKU
		nl, err := s.addLine(ctx, tx, e, v, open, unit, discount, tax, "sku")
		if err != nil {
			return err
		}
		newPos, newID, newState := nl.Position, nl.ID, nl.State
		// old may point into the array addLine grew: cancel by position.
		if err := s.cancelLineUnits(ctx, tx, e, position, open); err != nil {
			return err
		}
		e.event, e.lineID, e.lines = "variant_swapped", oldID, []int64{oldID, newID}
		e.detail["line"], e.detail["sku"], e.detail["quantity"] = position, oldSKU, open
		e.detail["to_line"], e.detail["to_sku"], e.detail["to_line_state"] = newPos, v.sku, newState
		e.detail["line_from"], e.detail["line_to"] = before, LineCancelled
		return nil
	})
}

// AddLine adds a line to an order not yet sent to a supplier. The line takes
// stock by the rules of Place and the customer is charged its total: unit
// price (in.UnitPrice, or the catalog price) × quantity − in.Discount, plus
// in.Tax when the order's prices exclude tax.
func (s *Service) AddLine(ctx context.Context, number int64, in LineInput, reason string) (EditResult, error) {
	if in.Quantity < 1 || in.Quantity > MaxLineQuantity {
		return EditResult{}, apperr.InvalidField("quantity", "must be between 1 and %d, got %d", MaxLineQuantity, in.Quantity)
	}
	v, err := s.variant(ctx, "sku", in.SKU)
	if err != nil {
		return EditResult{}, err
	}
	return s.edit(ctx, number, reason, func(ctx context.Context, tx *sql.Tx, e *lineEdit) error {
		var f apperr.Fields
		unit := priceOf(&f, "unit_price", e.o, v, in.UnitPrice)
		discount := orderAmount(&f, "discount", e.o.Currency, in.Discount)
		tax := orderAmount(&f, "tax", e.o.Currency, in.Tax)
		if gross := unit * int64(in.Quantity); f.Err() == nil && discount > gross {
			f.Add("discount", "%s is more than the line's value %s", in.Discount.Decimal(),
				money.Money{Amount: gross, Currency: e.o.Currency}.Decimal())
		}
		if err := f.Err(); err != nil {
			return err
		}
		l, err := s.addLine(ctx, tx, e, v, in.Quantity, unit, discount, tax, "quantity")
		if err != nil {
			return err
		}
		e.event, e.lineID, e.lines = "line_added", l.ID, []int64{l.ID}
		e.detail["line"], e.detail["sku"], e.detail["quantity"], e.detail["line_to"] = l.Position, l.SKU, l.Quantity, l.State
		return nil
	})
}

// RemoveLine cancels every open unit of a line (refunded exactly; freed
// stock fills waiting lines). The line stays on the order as cancelled: it is
// history. The last open line cannot be removed: cancel the order instead.
func (s *Service) RemoveLine(ctx context.Context, number int64, position int, reason string) (EditResult, error) {
	return s.edit(ctx, number, reason, func(ctx context.Context, tx *sql.Tx, e *lineEdit) error {
		l, err := e.line(position)
		if err != nil {
			return err
		}
		others := 0
		for _, o := range e.o.Lines {
			if o.Position != position && o.State != LineCancelled {
				others++
			}
		}
		if others == 0 {
			return apperr.New(apperr.Conflict, "line %d is the last open line of order %d: cancel the order instead", position, e.o.Number)
		}
		before, id, sku, open := l.State, l.ID, l.SKU, l.Quantity-l.Cancelled
		if err := s.cancelLineUnits(ctx, tx, e, position, open); err != nil {
			return err
		}
		e.event, e.lineID, e.lines = "line_removed", id, []int64{id}
		e.detail["line"], e.detail["sku"], e.detail["quantity"] = position, sku, open
		e.detail["line_from"], e.detail["line_to"] = before, LineCancelled
		return nil
	})
}
