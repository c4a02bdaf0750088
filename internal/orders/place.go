package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/store"
)

// Limits on what one order may hold: beyond them the input is absurd.
const (
	MaxLines        = 250
	MaxLineQuantity = 100_000
	maxNote         = 2000
	maxExternalID   = 200
)

var channelPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// Placed is the outcome of Place.
type Placed struct {
	Order *Order
	// Created is false when the order already existed: the same channel and
	// external id, or the same webhook delivery, was placed before.
	Created bool
}

// Refusal names a line that cannot be met, and why.
type Refusal struct {
	Line      int    `json:"line"` // index in the input, from 0; for an edit, the line's position
	SKU       string `json:"sku"`
	Wanted    int    `json:"wanted"`
	Available int    `json:"available"`
	Reason    string `json:"reason"`
}

// RefusalError is the cause of a refused order (apperr Unavailable, HTTP 409).
type RefusalError struct{ Lines []Refusal }

func (e *RefusalError) Error() string {
	parts := make([]string, len(e.Lines))
	for i, r := range e.Lines {
		parts[i] = fmt.Sprintf("lines[%d] %s: %s", r.Line, r.SKU, r.Reason)
	}
	return "order refused: " + strings.Join(parts, "; ")
}

// planned is a validated order with its amounts computed, ready to write.
type planned struct {
	in       PlaceInput
	channel  string
	currency string
	addr     customers.Address
	lines    []plannedLine
	subtotal int64
	discount int64
	tax      int64
	shipping int64
	total    int64
	placedAt time.Time
	// existing is the number of the order already placed for the same
	// channel and external id, or the same delivery id; 0 if none.
	existing int64
	// due are the order's variants, in id order, with pre-orders whose
	// release date has come (releaseDue).
	due []int64
}

type plannedLine struct {
	variantID int64
	sku       string
	title     string
	qty       int
	unit      int64
	discount  int64 // own discount + share of the order discount
	tax       int64
	total     int64
}

type variantRow struct {
	id     int64
	sku    string
	title  string
	price  money.Money
	status string
}

// plan validates in and computes every amount. Amounts: a line's total is
// unit price × quantity − its discount − its share of the order discount
// (+ its tax when prices exclude tax); the order discount is apportioned by
// the lines' value with the largest-remainder method, so the shares sum to it
// exactly, and the order total is the sum of line totals plus shipping.
func (s *Service) plan(ctx context.Context, in PlaceInput) (*planned, error) {
	var f apperr.Fields
	p := &planned{in: in}
	p.channel = strings.TrimSpace(in.Channel)
	if p.channel == "" {
		p.channel = "api"
	}
	if !channelPattern.MatchString(p.channel) {
		f.Add("channel", "must be 1 to 40 lower-case letters, digits, - or _, got %q", in.Channel)
	}
	if len(in.ExternalID) > maxExternalID || strings.TrimSpace(in.ExternalID) != in.ExternalID {
		f.Add("external_id", "must be at most %d characters without surrounding spaces", maxExternalID)
	}
	if len(in.DeliveryID) > maxExternalID {
		f.Add("delivery_id", "must be at most %d characters", maxExternalID)
	}
	p.currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	if !money.ValidCurrency(p.currency) {
		f.Add("currency", "%q is not a currency Orderly accepts (an ISO 4217 code such as EUR, USD, BRL)", in.Currency)
	}
	if strings.TrimSpace(in.Customer.Email) == "" {
		f.Add("customer.email", "is required: customers are matched by email")
	}
	if utf8.RuneCountInString(in.Note) > maxNote {
		f.Add("note", "must be at most %d characters", maxNote)
	}
	switch in.Payment.Status {
	case "", "paid", "authorized", "pending", "partially_paid", "refunded", "partially_refunded", "voided":
	default:
		f.Add("payment.status", "must be paid, authorized, pending, partially_paid, refunded, partially_refunded or voided, got %q", in.Payment.Status)
	}
	switch in.Payment.Risk {
	case "", "low", "medium", "high":
	default:
		f.Add("payment.risk", "must be low, medium or high, got %q", in.Payment.Risk)
	}
	amount := func(field string, m money.Money) int64 {
		if m.Amount == 0 {
			return 0
		}
		if m.Currency != "" && !strings.EqualFold(m.Currency, p.currency) {
			f.Add(field, "is in %s but the order is in %s", m.Currency, p.currency)
		}
		if m.Amount < 0 {
			f.Add(field, "must not be negative, got %s", m.Decimal())
		}
		if m.Amount > money.MaxAmount {
			f.Add(field, "is absurdly large: %s", m.Decimal())
		}
		return m.Amount
	}
	p.shipping = amount("shipping", in.Shipping)
	orderDiscount := amount("discount", in.Discount)

	switch {
	case len(in.Lines) == 0:
		f.Add("lines", "an order needs at least one line")
	case len(in.Lines) > MaxLines:
		f.Add("lines", "an order may have at most %d lines, got %d", MaxLines, len(in.Lines))
	}
	skus := make([]string, 0, len(in.Lines))
	for i, l := range in.Lines {
		sku, err := catalog.ParseSKU(l.SKU)
		if err != nil {
			f.Add(fmt.Sprintf("lines[%d].sku", i), "%v", err)
		}
		if l.Quantity < 1 || l.Quantity > MaxLineQuantity {
			f.Add(fmt.Sprintf("lines[%d].quantity", i), "must be between 1 and %d, got %d", MaxLineQuantity, l.Quantity)
		}
		skus = append(skus, string(sku))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	variants, err := s.intakeRead(ctx, p, skus)
	if err != nil {
		return nil, err
	}
	weights := make([]int64, len(in.Lines))
	for i, l := range in.Lines {
		field := fmt.Sprintf("lines[%d]", i)
		v, ok := variants[skus[i]]
		if !ok {
			f.Add(field+".sku", "unknown SKU %q", l.SKU)
			continue
		}
		if v.status != string(catalog.StatusActive) {
			f.Add(field+".sku", "SKU %s is %s, not for sale", v.sku, v.status)
			continue
		}
		pl := plannedLine{variantID: v.id, sku: v.sku, title: v.title, qty: l.Quantity}
		if l.UnitPrice != nil {
			pl.unit = amount(field+".unit_price", *l.UnitPrice)
		} else {
			if v.price.Currency != p.currency {
				f.Add(field+".unit_price", "is required: the catalog price of %s is in %s, the order in %s", v.sku, v.price.Currency, p.currency)
			}
			pl.unit = v.price.Amount
		}
		pl.discount = amount(field+".discount", l.Discount)
		pl.tax = amount(field+".tax", l.Tax)
		gross := pl.unit * int64(pl.qty)
		if pl.unit > money.MaxAmount/MaxLineQuantity {
			f.Add(field+".unit_price", "is absurdly large: %s", money.Money{Amount: pl.unit, Currency: p.currency}.Decimal())
			gross = 0
		}
		if pl.discount > gross {
			f.Add(field+".discount", "%s is more than the line's value %s", money.Money{Amount: pl.discount, Currency: p.currency}.Decimal(),
				money.Money{Amount: gross, Currency: p.currency}.Decimal())
		}
		weights[i] = max(0, gross-pl.discount)
		p.subtotal += gross
		p.lines = append(p.lines, pl)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var base int64
	for _, w := range weights {
		base += w
	}
	if orderDiscount > base {
		f.Add("discount", "%s is more than the lines' value after their discounts, %s",
			money.Money{Amount: orderDiscount, Currency: p.currency}.Decimal(), money.Money{Amount: base, Currency: p.currency}.Decimal())
		return nil, f.Err()
	}
	shares := money.Money{Amount: orderDiscount, Currency: p.currency}.Allocate(weights)
	for i := range p.lines {
		l := &p.lines[i]
		l.discount += shares[i].Amount
		l.total = l.unit*int64(l.qty) - l.discount
		if !in.TaxesIncluded {
			l.total += l.tax
		}
		p.discount += l.discount
		p.tax += l.tax
		p.total += l.total
	}
	p.total += p.shipping
	if p.total > money.MaxAmount {
		f.Add("lines", "the order total is absurdly large")
		return nil, f.Err()
	}
	p.addr = customers.NormalizeAddress(in.ShippingAddress)
	p.placedAt = in.PlacedAt.UTC().Truncate(time.Microsecond)
	if in.PlacedAt.IsZero() {
		p.placedAt = s.clock()
	}
	return p, nil
}

// variantsBySKU reads the variants named, keyed by SKU.
//
// Each SKU is CAST in the IN list: SQLite built with STAT4 (modernc's is)
// plans "sku IN ($1, ...)" on an analyzed table from the values bound, and
// so parses and plans the statement again at every run with new values
// (sqlite3_prepare on every order, even from the statement cache). A CAST
// hides the value from the planner, which then plans once for any SKUs; the
// unique index on sku is used either way.
func (s *Service) variantsBySKU(ctx context.Context, skus []string) (map[string]variantRow, error) {
	uniq := slices.Compact(slices.Sorted(slices.Values(skus)))
	ph := make([]string, len(uniq))
	args := make([]any, len(uniq))
	for i, k := range uniq {
		ph[i] = fmt.Sprintf("CAST($%d AS TEXT)", i+1)
		args[i] = k
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT v.id, v.sku, p.title || CASE WHEN v.title = '' THEN '' ELSE ' — ' || v.title END,
		v.price_amount, v.price_currency, v.status FROM variants v JOIN products p ON p.id = v.product_id
		WHERE v.sku IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("look up SKUs: %w", err)
	}
	defer rows.Close()
	out := make(map[string]variantRow, len(uniq))
	for rows.Next() {
		var v variantRow
		if err := rows.Scan(&v.id, &v.sku, &v.title, &v.price.Amount, &v.price.Currency, &v.status); err != nil {
			return nil, fmt.Errorf("look up SKUs: %w", err)
		}
		out[v.sku] = v
	}
	return out, rows.Err()
}

// intakeRead reads in one statement everything Place needs before its
// transaction, and sets p.existing and p.due: one round trip on PostgreSQL,
// one read transaction on SQLite, instead of three. It returns the variants
// named, keyed by SKU, as variantsBySKU does (with the same CAST IN list),
// each with a flag for pre-orders whose release date has come (releaseDue)
// from its stock policy, and, as scalar subqueries on every row (each run
// once per statement), the order already placed for p's external id and for
// its delivery id (duplicate). When no SKU is known there is no row, and the
// order is refused for its SKUs before duplicates matter.
func (s *Service) intakeRead(ctx context.Context, p *planned, skus []string) (map[string]variantRow, error) {
	args := []any{s.clock()}
	param := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	byExternal, byDelivery := "NULL", "NULL"
	if p.in.ExternalID != "" {
		byExternal = "(SELECT id FROM orders WHERE channel = " + param(p.channel) + " AND external_id = " + param(p.in.ExternalID) + ")"
	}
	if p.in.DeliveryID != "" {
		byDelivery = "(SELECT order_id FROM webhook_deliveries WHERE source = " + param(p.channel) +
			" AND delivery_id = " + param(p.in.DeliveryID) + ")"
	}
	uniq := slices.Compact(slices.Sorted(slices.Values(skus)))
	ph := make([]string, len(uniq))
	for i, k := range uniq {
		ph[i] = "CAST(" + param(k) + " AS TEXT)"
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT v.id, v.sku, p.title || CASE WHEN v.title = '' THEN '' ELSE ' — ' || v.title END,
		v.price_amount, v.price_currency, v.status,
		CASE WHEN sp.preordered > 0 AND sp.preorder_release_at <= $1 THEN 1 ELSE 0 END, `+byExternal+`, `+byDelivery+`
		FROM variants v JOIN products p ON p.id = v.product_id
		LEFT JOIN variant_stock_policies sp ON sp.variant_id = v.id
		WHERE v.sku IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("look up SKUs: %w", err)
	}
	defer rows.Close()
	out := make(map[string]variantRow, len(uniq))
	var external, delivery sql.NullInt64
	p.due = nil
	for rows.Next() {
		var v variantRow
		var due int
		if err := rows.Scan(&v.id, &v.sku, &v.title, &v.price.Amount, &v.price.Currency, &v.status, &due, &external, &delivery); err != nil {
			return nil, fmt.Errorf("look up SKUs: %w", err)
		}
		out[v.sku] = v
		if due != 0 {
			p.due = append(p.due, v.id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("look up SKUs: %w", err)
	}
	slices.Sort(p.due)
	switch {
	case external.Valid: // as duplicate: the external id first
		p.existing = external.Int64
	case delivery.Valid:
		p.existing = delivery.Int64
	}
	return out, nil
}

// Place accepts an order from any channel. In one transaction it matches or
// creates the customer, decides every line (reserve what is available;
// backorder or pre-order the rest where the SKU's policy allows), checks the
// address and payment signals (holds), writes the order, its lines, its
// timeline and its events. It is all or nothing: a refused order
// (apperr Unavailable wrapping *RefusalError) leaves no trace.
//
// Placing the same channel + external id, or the same delivery id, again
// returns the first order with Created false.
func (s *Service) Place(ctx context.Context, in PlaceInput) (Placed, error) {
	p, err := s.plan(ctx, in)
	if err != nil {
		return Placed{}, err
	}
	if p.existing != 0 {
		return s.existing(ctx, p.existing, nil)
	}
	if err := s.releaseDue(ctx, p.due); err != nil {
		return Placed{}, err
	}
	// The delivery promise is computed before the write transaction, so
	// not under SQLite's write lock (promise.go).
	promised := s.promise(ctx, p)
	var o *Order
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		o, err = s.place(ctx, tx, p)
		if err == nil && promised != nil {
			err = storePromise(ctx, tx, o, promised)
		}
		return err
	})
	if err != nil {
		if _, unique := s.db.Dialect.UniqueViolation(err); unique {
			// The same order was placed meanwhile (another request, another
			// instance): the unique external id or delivery id decided it.
			n, derr := s.duplicate(ctx, s.db.R, p)
			if derr == nil && n != 0 {
				return s.existing(ctx, n, nil)
			}
		}
		return Placed{}, err
	}
	return Placed{Order: o, Created: true}, nil
}

func (s *Service) existing(ctx context.Context, number int64, err error) (Placed, error) {
	if err != nil {
		return Placed{}, err
	}
	o, err := s.Get(ctx, number)
	if err != nil {
		return Placed{}, err
	}
	return Placed{Order: o}, nil
}

// duplicate returns the number of the order already placed for p's external
// id or delivery id, or 0.
func (s *Service) duplicate(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, p *planned) (int64, error) {
	var n sql.NullInt64
	if p.in.ExternalID != "" {
		err := q.QueryRowContext(ctx, `SELECT id FROM orders WHERE channel = $1 AND external_id = $2`, p.channel, p.in.ExternalID).Scan(&n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("look up order %s/%s: %w", p.channel, p.in.ExternalID, err)
		}
		if n.Valid {
			return n.Int64, nil
		}
	}
	if p.in.DeliveryID != "" {
		err := q.QueryRowContext(ctx, `SELECT order_id FROM webhook_deliveries WHERE source = $1 AND delivery_id = $2`, p.channel, p.in.DeliveryID).Scan(&n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("look up delivery %s/%s: %w", p.channel, p.in.DeliveryID, err)
		}
		if n.Valid {
			return n.Int64, nil
		}
	}
	return 0, nil
}

// decision is what Place decided for one line.
type decision struct {
	reserved, backordered, preordered, short int
	expected                                 *time.Time
}

// place writes the order inside tx and returns it as written, so Place
// need not read it back.
func (s *Service) place(ctx context.Context, tx *sql.Tx, p *planned) (*Order, error) {
	now := s.clock()
	cust, err := s.cust.UpsertTx(ctx, tx, customers.Input{
		Email: p.in.Customer.Email, Name: p.in.Customer.Name, Phone: p.in.Customer.Phone, Locale: p.in.Customer.Locale,
	}, p.addr, p.placedAt)
	if err != nil {
		return nil, err
	}
	var external any
	if p.in.ExternalID != "" {
		external = p.in.ExternalID
	}
	status, risk := p.in.Payment.Status, p.in.Payment.Risk
	if status == "" {
		status = "paid"
	}
	if risk == "" {
		risk = "low"
	}
	a := p.addr
	email := strings.TrimSpace(p.in.Customer.Email)
	locale := cust.Locale
	if p.in.Customer.Locale != "" {
		locale = customers.NormalizeLocale(p.in.Customer.Locale)
	}
	var number int64
	err = tx.QueryRowContext(ctx, `INSERT INTO orders (channel, external_id, customer_id, email, email_key, locale, state, currency,
		subtotal_amount, discount_amount, shipping_amount, tax_amount, taxes_included, total_amount, charged_amount,
		ship_name, ship_company, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code, ship_country, ship_phone,
		payment_status, risk, note, placed_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'ready_to_route', $7, $8, $9, $10, $11, $12, $13, $13,
		$14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $27) RETURNING id`,
		p.channel, external, cust.ID, email, customers.EmailKey(email), locale, p.currency,
		p.subtotal, p.discount, p.shipping, p.tax, p.in.TaxesIncluded, p.total,
		a.Name, a.Company, a.Line1, a.Line2, a.City, a.Region, a.PostalCode, a.Country, a.Phone,
		status, risk, p.in.Note, p.placedAt, now).Scan(&number)
	if err != nil {
		return nil, fmt.Errorf("write order: %w", err)
	}

	decisions, err := s.decide(ctx, tx, number, p)
	if err != nil {
		return nil, err
	}

	lines := make([]Line, len(p.lines))
	var backordered, preordered, short bool
	for i, pl := range p.lines {
		d := decisions[i]
		l := Line{Position: i + 1, VariantID: pl.variantID, SKU: pl.sku, Title: pl.title, Quantity: pl.qty,
			Reserved: d.reserved, Backordered: d.backordered, Preordered: d.preordered, Short: d.short}
		l.State = lineState(&l, false, false)
		backordered = backordered || d.backordered > 0
		preordered = preordered || d.preordered > 0
		short = short || d.short > 0
		lines[i] = l
	}
	// Holds: address, payment, stock.
	var holds []holdInput
	if probs := customers.CheckAddress(p.addr); len(probs) > 0 {
		msgs := make([]string, len(probs))
		for i, pr := range probs {
			msgs[i] = pr.Message
		}
		holds = append(holds, holdInput{HoldAddress, strings.Join(msgs, "; ")})
	}
	switch {
	case status == "pending" || status == "voided":
		holds = append(holds, holdInput{HoldPayment, "payment is " + status + " at the storefront"})
	case risk == "high":
		holds = append(holds, holdInput{HoldPayment, "the storefront rates the payment high risk"})
	}
	if short {
		holds = append(holds, holdInput{HoldStock, "some lines have no stock and cannot be backordered or pre-ordered"})
	}
	who := actor(ctx, "channel:"+p.channel)
	state := deriveState(lines, len(holds))
	if state != ReadyToRoute { // the state the row was inserted with
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET state = $1 WHERE id = $2`, state, number); err != nil {
			return nil, fmt.Errorf("write order %d: %w", number, err)
		}
	}
	detail := map[string]any{"channel": p.channel, "lines": placedDetail(lines, decisions)}
	if p.in.ExternalID != "" {
		detail["external_id"] = p.in.ExternalID
	}
	entry, err := s.writePlaced(ctx, tx, number, p, decisions, lines, now, state, who, detail)
	if err != nil {
		return nil, err
	}
	written := make([]Hold, 0, len(holds))
	for _, h := range holds {
		w, err := s.hold(ctx, tx, number, h, who)
		if err != nil {
			return nil, err
		}
		written = append(written, w)
	}
	if backordered {
		if err := s.emit(ctx, tx, EventArgs{Event: EventBackordered, Order: number, Entry: entry}); err != nil {
			return nil, err
		}
	}
	if preordered {
		if err := s.emit(ctx, tx, EventArgs{Event: EventPreordered, Order: number, Entry: entry}); err != nil {
			return nil, err
		}
	}
	if p.channel != "api" && p.channel != "csv" {
		// Only storefront channels keep rejections (see RecordRejection).
		if err := s.resolveRejection(ctx, tx, p.channel, p.in.ExternalID, number); err != nil {
			return nil, err
		}
	}
	if p.in.DeliveryID != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (source, delivery_id, topic, order_id, received_at)
			VALUES ($1, $2, 'orders/create', $3, $4)`, p.channel, p.in.DeliveryID, number, now); err != nil {
			return nil, fmt.Errorf("record delivery %s: %w", p.in.DeliveryID, err)
		}
	}
	m := func(v int64) money.Money { return money.Money{Amount: v, Currency: p.currency} }
	for i := range lines {
		pl, d := p.lines[i], decisions[i]
		lines[i].UnitPrice, lines[i].Discount, lines[i].Tax, lines[i].Total = m(pl.unit), m(pl.discount), m(pl.tax), m(pl.total)
		lines[i].Refunded = m(0)
		if d.expected != nil {
			t := d.expected.UTC().Truncate(time.Microsecond)
			lines[i].ExpectedAt = &t
		}
	}
	return &Order{Number: number, Channel: p.channel, ExternalID: p.in.ExternalID, CustomerID: cust.ID, Email: email,
		Locale: locale, State: state, Currency: p.currency, Subtotal: m(p.subtotal), Discount: m(p.discount),
		Shipping: m(p.shipping), Tax: m(p.tax), TaxesIncluded: p.in.TaxesIncluded, Total: m(p.total), Charged: m(p.total),
		Refunded: m(0), ShippingAddress: a, Payment: PaymentSignal{Status: status, Risk: risk}, Note: p.in.Note,
		Lines: lines, Holds: written, PlacedAt: p.placedAt, CreatedAt: now, UpdatedAt: now}, nil
}

// writePlaced writes the lines of a new order (setting their IDs), its
// "placed" timeline entry and its order.placed event, and returns the entry.
//
// On PostgreSQL, where every statement is a round trip, the three are one
// statement: data-modifying CTEs insert the lines (one multi-row INSERT),
// the timeline entry and the River job, whose args take the line ids and the
// entry id from the other two; what emit and record write, as one. On SQLite
// they are separate statements (insertLines, record, emit), each a call in
// the process.
func (s *Service) writePlaced(ctx context.Context, tx *sql.Tx, number int64, p *planned, ds []decision, lines []Line,
	now time.Time, state State, who string, detail any) (int64, error) {
	if s.db.Engine != store.Postgres {
		if err := insertLines(ctx, tx, number, p, ds, lines, now); err != nil {
			return 0, err
		}
		entry, err := s.record(ctx, tx, number, 0, "placed", "", string(state), who, "", detail)
		if err != nil {
			return 0, err
		}
		ids := make([]int64, len(lines))
		for i, l := range lines {
			ids[i] = l.ID
		}
		return entry, s.emit(ctx, tx, EventArgs{Event: EventPlaced, Order: number, Lines: ids, Entry: entry})
	}
	js, err := json.Marshal(detail)
	if err != nil {
		return 0, fmt.Errorf("timeline of order %d: %w", number, err)
	}
	// The event without its lines and entry, which the statement adds.
	event, err := json.Marshal(EventArgs{Event: EventPlaced, Order: number})
	if err != nil {
		return 0, fmt.Errorf("enqueue %s for order %d: %w", EventPlaced, number, err)
	}
	args := []any{number, now, string(state), who, string(js), s.clock(), string(event)}
	values := lineValues(&args, p, ds, lines, 0, len(lines))
	rows, err := tx.QueryContext(ctx, `WITH l AS (`+insertLinesSQL+values+` RETURNING id, position),
		t AS (INSERT INTO order_timeline (order_id, event, to_state, actor, detail, created_at)
			VALUES ($1, 'placed', $3, $4, $5, $6) RETURNING id),
		j AS (`+eventInsertPostgresFrom+`CAST($7 AS jsonb) || jsonb_build_object(
			'lines', (SELECT jsonb_agg(id ORDER BY position) FROM l), 'entry', t.id)`+eventInsertPostgresRest+` FROM t)
		SELECT l.id, l.position, t.id FROM l, t`, args...)
	if err != nil {
		return 0, fmt.Errorf("write order %d: %w", number, err)
	}
	var entry int64
	n := 0
	for rows.Next() {
		var id int64
		var pos int
		if err := rows.Scan(&id, &pos, &entry); err != nil {
			rows.Close()
			return 0, fmt.Errorf("write order %d: %w", number, err)
		}
		if pos < 1 || pos > len(lines) {
			rows.Close()
			return 0, fmt.Errorf("write order %d: line %d returned, want 1 to %d", number, pos, len(lines))
		}
		lines[pos-1].ID = id
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("write order %d: %w", number, err)
	}
	if n != len(lines) {
		return 0, fmt.Errorf("write order %d: %d of %d lines returned", number, n, len(lines))
	}
	return entry, nil
}

// The order event job as eventInsertPostgres writes it, as INSERT ... SELECT:
// eventInsertPostgresFrom, the args expression, eventInsertPostgresRest, FROM.
var (
	eventInsertPostgresFrom = `INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at) SELECT `
	eventInsertPostgresRest = `, '` + EventArgs{}.Kind() + `', ` + strconv.Itoa(river.MaxAttemptsDefault) + `, ` +
		strconv.Itoa(river.PriorityDefault) + `, '` + river.QueueDefault + `', 'available', now()`
)

const insertLinesSQL = `INSERT INTO order_lines (order_id, position, variant_id, sku, title, state, quantity,
	unit_price_amount, discount_amount, tax_amount, total_amount, qty_reserved, qty_backordered, qty_preordered, qty_short,
	backorder_expected_at, created_at, updated_at) VALUES `

// lineValues appends the values of lines[start:end] to *args and returns
// their VALUES rows; $1 and $2 in *args are the order number and the time.
func lineValues(args *[]any, p *planned, ds []decision, lines []Line, start, end int) string {
	var b strings.Builder
	for i := start; i < end; i++ {
		pl, d, l := p.lines[i], ds[i], lines[i]
		if i > start {
			b.WriteString(", ")
		}
		b.WriteString("($1, " + paramList(len(*args)+1, 15) + ", $2, $2)")
		*args = append(*args, l.Position, pl.variantID, pl.sku, pl.title, l.State, pl.qty, pl.unit, pl.discount, pl.tax, pl.total,
			d.reserved, d.backordered, d.preordered, d.short, nullTime(d.expected))
	}
	return b.String()
}

// linesPerInsert bounds the rows of one multi-row INSERT of order lines on
// SQLite: few orders have more lines, and SQLite finds each parameter of a
// statement by a search through a list of them, so a statement of thousands
// of parameters would cost more to bind than the statements it saves.
const linesPerInsert = 64

// insertLines writes the lines of a new order with one multi-row INSERT per
// linesPerInsert lines and sets each line's ID. RETURNING gives the rows in
// no promised order, so the ids are matched to the lines by position.
func insertLines(ctx context.Context, tx *sql.Tx, number int64, p *planned, ds []decision, lines []Line, now time.Time) error {
	for start := 0; start < len(lines); start += linesPerInsert {
		end := min(start+linesPerInsert, len(lines))
		args := []any{number, now}
		values := lineValues(&args, p, ds, lines, start, end)
		rows, err := tx.QueryContext(ctx, insertLinesSQL+values+` RETURNING id, position`, args...)
		if err != nil {
			return fmt.Errorf("write lines %d to %d of order %d: %w", start+1, end, number, err)
		}
		n := 0
		for rows.Next() {
			var id int64
			var pos int
			if err := rows.Scan(&id, &pos); err != nil {
				rows.Close()
				return fmt.Errorf("write lines of order %d: %w", number, err)
			}
			if pos <= start || pos > end {
				rows.Close()
				return fmt.Errorf("write lines of order %d: line %d returned, want %d to %d", number, pos, start+1, end)
			}
			lines[pos-1].ID = id
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("write lines %d to %d of order %d: %w", start+1, end, number, err)
		}
		if n != end-start {
			return fmt.Errorf("write lines %d to %d of order %d: %d rows returned", start+1, end, number, n)
		}
	}
	return nil
}

// paramList returns "$first, ..., $first+n-1".
func paramList(first, n int) string {
	var b strings.Builder
	for k := range n {
		if k > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", first+k)
	}
	return b.String()
}

func placedDetail(lines []Line, ds []decision) []map[string]any {
	out := make([]map[string]any, len(lines))
	for i, l := range lines {
		m := map[string]any{"line": l.Position, "sku": l.SKU, "quantity": l.Quantity}
		d := ds[i]
		if d.reserved > 0 {
			m["reserved"] = d.reserved
		}
		if d.backordered > 0 {
			m["backordered"] = d.backordered
		}
		if d.preordered > 0 {
			m["preordered"] = d.preordered
		}
		if d.short > 0 {
			m["short"] = d.short
		}
		if d.expected != nil {
			m["expected_at"] = d.expected.Format(time.RFC3339)
		}
		out[i] = m
	}
	return out
}

// decide takes stock for every line of a new order inside tx: pre-order slots
// for a SKU not yet released; otherwise a reservation of what is available
// and a backorder of the rest if the SKU allows it. Lines that cannot be met
// make the order refused, or short (held) under HoldShort.
func (s *Service) decide(ctx context.Context, tx *sql.Tx, number int64, p *planned) ([]decision, error) {
	ids := make([]int64, 0, len(p.lines))
	for _, l := range p.lines {
		ids = append(ids, l.variantID)
	}
	policies, err := s.inv.Policies(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	ds := make([]decision, len(p.lines))
	var reqs []inventory.Request
	var reqLine []int
	for i, l := range p.lines {
		if policies[l.variantID].IsPreorder(now) {
			continue
		}
		reqs = append(reqs, inventory.Request{VariantID: l.variantID, Quantity: l.qty, Ref: lineRef(number, i+1), Partial: true})
		reqLine = append(reqLine, i)
	}
	got, err := s.inv.ReserveMany(ctx, tx, reqs)
	if err != nil {
		return nil, err
	}
	for k, r := range got {
		ds[reqLine[k]].reserved = r.Quantity
	}
	// Pools in variant id order, so two orders cannot deadlock on them.
	order := make([]int, len(p.lines))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp64(p.lines[a].variantID, p.lines[b].variantID) })
	var refused []Refusal
	for _, i := range order {
		l := p.lines[i]
		r, err := s.fromPools(ctx, tx, p.channel, l.variantID, l.sku, l.qty, policies[l.variantID], now, &ds[i])
		if err != nil {
			return nil, err
		}
		if r != nil {
			r.Line = i
			refused = append(refused, *r)
		}
	}
	if len(refused) > 0 && s.opts.ShortOrders == RefuseShort {
		return nil, refusalError(refused, func(r Refusal) string { return fmt.Sprintf("lines[%d].quantity", r.Line) })
	}
	return ds, nil
}

// fromPools decides the units of one line that stock did not cover: wanted
// units were asked and d.reserved of them are reserved. The rest take
// pre-order slots if the SKU is not released yet, else a backorder if the SKU
// takes them; each pool takes all of the rest or none of it. When no pool
// takes them it returns why (a Refusal, Line left to the caller), and under
// HoldShort the units are short.
func (s *Service) fromPools(ctx context.Context, tx *sql.Tx, channel string, variantID int64, sku string, wanted int,
	pol inventory.Policy, now time.Time, d *decision) (*Refusal, error) {
	rest := wanted - d.reserved
	if rest == 0 {
		return nil, nil
	}
	var r Refusal
	switch {
	case pol.IsPreorder(now):
		ok, err := s.inv.TakePreorder(ctx, tx, variantID, channel, rest)
		if err != nil {
			return nil, err
		}
		if ok {
			d.preordered, d.expected = rest, pol.PreorderReleaseAt
			return nil, nil
		}
		r = Refusal{SKU: sku, Wanted: wanted, Available: preorderRoom(pol, channel),
			Reason: fmt.Sprintf("pre-order cap reached: %d of %d slots left", preorderRoom(pol, channel), pol.PreorderCap)}
	case pol.BackorderLimit > 0:
		ok, err := s.inv.TakeBackorder(ctx, tx, variantID, rest)
		if err != nil {
			return nil, err
		}
		if ok {
			d.backordered = rest
			if d.expected, err = s.inv.ExpectedRestock(ctx, tx, pol, now); err != nil {
				return nil, err
			}
			return nil, nil
		}
		r = Refusal{SKU: sku, Wanted: wanted, Available: d.reserved,
			Reason: fmt.Sprintf("%d available and the backorder limit is reached (%d of %d units waiting)",
				d.reserved, pol.Backordered, pol.BackorderLimit)}
	default:
		r = Refusal{SKU: sku, Wanted: wanted, Available: d.reserved,
			Reason: fmt.Sprintf("wanted %d, %d available, and the SKU takes no backorders", wanted, d.reserved)}
	}
	if s.opts.ShortOrders == HoldShort {
		d.short = rest
	}
	return &r, nil
}

// refusalError is the 409 (apperr Unavailable wrapping *RefusalError) for
// refused lines, each named by field(r).
func refusalError(refused []Refusal, field func(Refusal) string) error {
	slices.SortFunc(refused, func(a, b Refusal) int { return a.Line - b.Line })
	re := &RefusalError{Lines: refused}
	e := apperr.Wrap(re, apperr.Unavailable, "%s", re.Error())
	for _, r := range refused {
		e.Fields = append(e.Fields, apperr.FieldError{Field: field(r), Message: r.Reason})
	}
	return e
}

func preorderRoom(p inventory.Policy, channel string) int {
	room := max(0, p.PreorderCap-p.Preordered)
	for _, c := range p.ChannelCaps {
		if c.Channel == channel {
			room = min(room, max(0, c.Cap-c.Taken))
		}
	}
	return room
}

// releaseDue releases, each in its own transaction, the pre-orders of the
// variants due (the order's SKUs whose release date has come but which the
// periodic job has not released yet, as intakeRead found them): they were
// promised first, so a new order must not take the stock they wait for (and
// the release must stand even if this order is refused).
func (s *Service) releaseDue(ctx context.Context, due []int64) error {
	for _, id := range due {
		if err := s.inTx(ctx, func(tx *sql.Tx) error { _, err := s.releasePreorders(ctx, tx, id); return err }); err != nil {
			return err
		}
	}
	return nil
}

// sortedIDs returns the distinct ids in ascending order.
func sortedIDs(ids []int64) []int64 {
	return slices.Compact(slices.Sorted(slices.Values(ids)))
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}

// record writes a timeline entry inside tx and returns its id.
func (s *Service) record(ctx context.Context, tx *sql.Tx, number, lineID int64, event, from, to, who, reason string, detail any) (int64, error) {
	js := []byte("{}")
	if detail != nil {
		var err error
		if js, err = json.Marshal(detail); err != nil {
			return 0, fmt.Errorf("timeline of order %d: %w", number, err)
		}
	}
	var line any
	if lineID != 0 {
		line = lineID
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO order_timeline (order_id, line_id, event, from_state, to_state, actor, reason, detail, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		number, line, event, from, to, who, reason, string(js), s.clock()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("timeline of order %d: %w", number, err)
	}
	return id, nil
}
