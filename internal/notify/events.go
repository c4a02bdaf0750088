package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/carriers"
	"github.com/orderly-oms/orderly/internal/locale"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/storesettings"
)

// delayQuiet is how long after a delay notice another one for the same order
// is not sent: a restock moved later and the at-risk flag it causes are one
// piece of news.
const delayQuiet = 24 * time.Hour

// OnEvent is the order event subscriber (subscribe it to every event of
// Events). For an event the customer hears about it renders the message in
// the order's locale and, in one transaction, inserts the notification and
// its send job; the unique (order, kind, timeline entry) makes a repeated
// event a no-op, so it is safe under retries, restarts and several instances.
func (s *Service) OnEvent(ctx context.Context, e orders.EventArgs) error {
	kind, ok := eventKinds[e.Event]
	if !ok {
		return nil
	}
	o, err := s.orders.Get(ctx, e.Order)
	if err != nil {
		return wrap(err, "notify %s of order %d", e.Event, e.Order)
	}
	if strings.TrimSpace(o.Email) == "" {
		return nil
	}
	entry, err := s.entry(ctx, e.Order, e.Entry)
	if err != nil {
		return err
	}
	switch e.Event {
	case orders.EventCancelled:
		// A customer's own cancellation is answered by the choice notice
		// of the same entry: one email, not two.
		if entry != nil && entry.Event == "customer_choice" {
			return nil
		}
	case orders.EventPreordered:
		// At placement the confirmation already gives the release dates.
		if entry != nil && entry.Event == "placed" {
			return nil
		}
	case orders.EventAtRisk:
		// Only a delay the customer will see: not an internal follow-up
		// (a PO not sent or not shipped yet may still make it).
		if entry == nil || !slices.Contains([]string{string(orders.RiskLate), string(orders.RiskRestockLate)}, entry.str("reason")) {
			return nil
		}
	}
	if kind == KindDelayed {
		var recent int
		if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE order_id = $1 AND kind = $2 AND entry_id <> $3 AND created_at > $4`,
			o.Number, kind, e.Entry, s.clock().Add(-delayQuiet)).Scan(&recent); err != nil {
			return fmt.Errorf("notify %s of order %d: %w", e.Event, e.Order, err)
		}
		if recent > 0 {
			return nil
		}
	}
	loc := locale.Match(o.Locale)
	settings, err := loadSettings(ctx, s.db.R)
	if err != nil {
		return err
	}
	zone, err := storesettings.Zone(ctx, s.db.R)
	if err != nil {
		return err
	}
	d, err := s.data(ctx, o, kind, &e, entry, loc, zone, settings.Branding)
	if err != nil {
		return err
	}
	st, err := s.template(ctx, s.db.R, kind, loc)
	if err != nil {
		return err
	}
	msg, err := render(st.Template, d, loc, brandOf(settings.Branding))
	if err != nil && st.Custom {
		// A stored template was validated when saved; should it still fail
		// on this order, the customer gets the built-in one.
		s.log.Warn("notification template failed, using the built-in one", "kind", kind, "locale", loc, "order", o.Number, "err", err)
		msg, err = render(st.Builtin, d, loc, brandOf(settings.Branding))
	}
	if err != nil {
		return wrap(err, "render %s for order %d", kind, o.Number)
	}
	// A notice that comes with the order (units backordered when placed)
	// follows the confirmation rather than racing it to the inbox.
	var after time.Time
	if kind != KindConfirmed && entry != nil && entry.Event == "placed" {
		after = s.clock().Add(placedDelay)
	}
	return s.create(ctx, o.Number, kind, e, loc, o.Email, msg, after)
}

// placedDelay holds the notices made at placement besides the confirmation.
const placedDelay = 5 * time.Second

// create inserts the notification and its send job, once per key.
func (s *Service) create(ctx context.Context, order int64, kind Kind, e orders.EventArgs, loc, to string, msg Message, after time.Time) error {
	now := s.clock()
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if kind == KindDelayed {
			// The quiet period, checked again under the order's lock: two
			// delay events worked at once (two instances) make one notice.
			var n int64
			if err := tx.QueryRowContext(ctx, `SELECT id FROM orders WHERE id = $1`+s.db.Dialect.ForUpdate(), order).Scan(&n); err != nil {
				return fmt.Errorf("lock order %d: %w", order, err)
			}
			var recent int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE order_id = $1 AND kind = $2 AND entry_id <> $3 AND created_at > $4`,
				order, kind, e.Entry, now.Add(-delayQuiet)).Scan(&recent); err != nil {
				return fmt.Errorf("create %s notification for order %d: %w", kind, order, err)
			}
			if recent > 0 {
				return nil
			}
		}
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO notifications (order_id, kind, event, entry_id, locale, recipient, subject, body_text, body_html,
			state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', $10, $10)
			ON CONFLICT (order_id, kind, entry_id) DO NOTHING RETURNING id`,
			order, kind, e.Event, e.Entry, loc, to, msg.Subject, msg.Text, msg.HTML, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // made by an earlier run of this event
		}
		if err != nil {
			return fmt.Errorf("create %s notification for order %d: %w", kind, order, err)
		}
		return s.enqueue(ctx, tx, id, after)
	})
}

// entryView is a timeline entry with its detail decoded.
type entryView struct {
	orders.Entry
	detail map[string]any
}

func (e *entryView) decode() {
	if e.detail == nil {
		e.detail = map[string]any{}
		_ = json.Unmarshal([]byte(e.Detail), &e.detail)
	}
}

func (e *entryView) str(key string) string {
	if e == nil {
		return ""
	}
	e.decode()
	v, _ := e.detail[key].(string)
	return v
}

func (e *entryView) raw(key string) json.RawMessage {
	if e == nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(e.Detail), &m) != nil {
		return nil
	}
	return m[key]
}

// entry reads the event's timeline entry (nil when there is none).
func (s *Service) entry(ctx context.Context, order, id int64) (*entryView, error) {
	if id == 0 {
		return nil, nil
	}
	tl, err := s.orders.Timeline(ctx, order)
	if err != nil {
		return nil, wrap(err, "timeline of order %d", order)
	}
	for _, en := range tl {
		if en.ID == id {
			return &entryView{Entry: en}, nil
		}
	}
	return nil, nil
}

// data builds what the template of kind sees for order o and the event.
// Instants are shown in zone, the store's time zone; calendar days (the
// delivery window, restock and release dates stored as midnight UTC) as
// they are (locale.CalendarDay).
func (s *Service) data(ctx context.Context, o *orders.Order, kind Kind, e *orders.EventArgs, entry *entryView, loc string,
	zone *time.Location, b Branding) (Data, error) {
	d := Data{
		Store:    StoreData{Name: b.storeName(), SupportEmail: b.SupportEmail},
		Customer: CustomerData{Name: o.ShippingAddress.Name, Email: o.Email},
		Order: OrderData{Number: o.Number, Total: locale.Money(o.Total, loc), Placed: locale.Date(o.PlacedAt.In(zone), loc),
			Cancelled: o.State == orders.Cancelled},
	}
	if entry != nil {
		d.Date = locale.Date(entry.At.In(zone), loc)
	}
	if p := o.Promise; p != nil {
		a, errA := time.Parse(time.DateOnly, p.Earliest)
		z, errZ := time.Parse(time.DateOnly, p.Latest)
		if errA == nil && errZ == nil {
			d.Order.Window = locale.Window(a, z, loc)
		}
	}
	link, err := s.link(ctx, o.Number, b)
	if err != nil {
		return Data{}, err
	}
	d.Link = link

	// The lines the event names (ids), else those the entry names.
	var ids []int64
	if e != nil {
		ids = e.Lines
	}
	if entry != nil && entry.LineID != 0 && len(ids) == 0 {
		ids = []int64{entry.LineID}
	}
	named := func(l orders.Line) bool { return len(ids) == 0 || slices.Contains(ids, l.ID) }
	units := map[int]int{} // position → units, from the entry's detail
	var refund int64
	var refundParts bool
	switch kind {
	case KindShipped:
		var shipped []struct{ Position, Quantity int }
		_ = json.Unmarshal(entry.raw("units"), &shipped)
		for _, u := range shipped {
			units[u.Position] += u.Quantity
		}
	case KindCancelled, KindChoice:
		var parts []orders.RefundPart
		if json.Unmarshal(entry.raw("lines"), &parts) == nil {
			for _, p := range parts {
				if p.Line > 0 {
					units[p.Line] += p.Units
				}
				refund += p.Amount.Amount
				refundParts = true
			}
		}
	}
	var latestAt time.Time
	add := func(l orders.Line, qty int) {
		ld := LineData{Title: l.Title, SKU: l.SKU, Quantity: qty}
		if ld.Title == "" {
			ld.Title = l.SKU
		}
		if l.ExpectedAt != nil && (l.Backordered > 0 || l.Preordered > 0) {
			ld.Expected = locale.Date(locale.CalendarDay(*l.ExpectedAt, zone), loc)
			if l.ExpectedAt.After(latestAt) {
				latestAt, d.Expected = *l.ExpectedAt, ld.Expected
			}
		}
		d.Lines = append(d.Lines, ld)
	}
	for _, l := range o.Lines {
		waiting := l.Backordered + l.Preordered
		switch kind {
		case KindConfirmed:
			add(l, l.Quantity)
		case KindBackordered, KindRestockExpected:
			if l.Backordered > 0 && named(l) {
				add(l, l.Backordered)
			}
		case KindPreordered:
			if l.Preordered > 0 && named(l) {
				add(l, l.Preordered)
			}
		case KindDelayed:
			if len(ids) > 0 && named(l) || len(ids) == 0 && waiting > 0 {
				add(l, max(waiting, l.Quantity-l.Cancelled-l.Shipped))
			}
		case KindShipped:
			if n := units[l.Position]; n > 0 {
				add(l, n)
			} else if len(units) == 0 && len(ids) > 0 && named(l) {
				add(l, l.Shipped)
			}
		case KindDelivered:
			if len(ids) > 0 && named(l) || len(ids) == 0 && l.State == orders.LineDelivered {
				add(l, l.Quantity-l.Cancelled)
			}
		case KindCancelled:
			if n := units[l.Position]; n > 0 {
				add(l, n)
			} else if len(units) == 0 && len(ids) > 0 && named(l) {
				add(l, l.Cancelled)
			}
		case KindChoice:
			if n := units[l.Position]; n > 0 {
				add(l, n)
			} else if len(units) == 0 && len(ids) > 0 && named(l) {
				n := l.Quantity - l.Cancelled - l.Shipped
				var q int
				if raw := entry.raw("quantity"); raw != nil && json.Unmarshal(raw, &q) == nil && q > 0 {
					n = q
				}
				add(l, n)
			}
		}
	}
	// The whole order, when the event names no line of the kind (a delay of
	// an order whose lines all have stock, a preview on any order).
	if len(d.Lines) == 0 && kind != KindConfirmed {
		for _, l := range o.Lines {
			if l.Cancelled < l.Quantity || kind == KindCancelled {
				add(l, l.Quantity-l.Cancelled)
			}
		}
	}

	switch kind {
	case KindBackordered, KindDelayed, KindRestockExpected:
		due, err := s.deadline(ctx, o.Number, ids)
		if err != nil {
			return Data{}, err
		}
		if due != nil {
			d.Deadline = locale.DateTimeZone(due.In(zone), loc)
		}
	case KindShipped:
		number := entry.str("tracking_number")
		c := carriers.Code(entry.str("carrier"))
		if code, ok := carriers.Parse(string(c)); ok {
			c = code
		}
		d.Shipment = ShipmentData{Carrier: c.Name(), TrackingNumber: number, TrackingURL: entry.str("tracking_url")}
		if d.Shipment.TrackingURL == "" {
			d.Shipment.TrackingURL = carriers.TrackingURL(c, number)
		}
	case KindCancelled, KindChoice:
		if kind == KindChoice {
			d.Choice = firstString(entry, "choice", "option")
			if to := entry.raw("to_line"); to != nil {
				var pos int
				if json.Unmarshal(to, &pos) == nil {
					for _, l := range o.Lines {
						if l.Position == pos {
							d.SwapTitle = l.Title
						}
					}
				}
			}
			if d.SwapTitle == "" {
				d.SwapTitle = firstString(entry, "to_sku")
			}
		}
		// The refund: as the entry records it, else the sum of its parts,
		// else the refund recorded with the change (orders.Payments).
		var m money.Money
		if raw := entry.raw("refund"); raw != nil && json.Unmarshal(raw, &m) == nil && m.Amount > 0 {
			refund, refundParts = m.Amount, true
		}
		if !refundParts && entry != nil && (kind == KindCancelled || d.Choice == "cancel") {
			amount, err := s.refundAfter(ctx, o.Number, entry.At)
			if err != nil {
				return Data{}, err
			}
			refund = amount
		}
		if refund > 0 {
			d.Refund = locale.Money(money.Money{Amount: refund, Currency: o.Currency}, loc)
		}
		// The apology coupon the change issued, when its entry names one.
		if code := entry.str("coupon"); code != "" {
			d.Coupon = CouponData{Code: code}
			if s.opts.Coupons != nil {
				cs, err := s.opts.Coupons(ctx, o.Number)
				if err != nil {
					return Data{}, wrap(err, "coupons of order %d", o.Number)
				}
				for _, c := range cs {
					if c.Code != code {
						continue
					}
					if c.Percent > 0 {
						d.Coupon.Value = fmt.Sprintf("%d%%", c.Percent)
					} else if c.Amount.Amount > 0 {
						d.Coupon.Value = locale.Money(c.Amount, loc)
					}
					if !c.ExpiresAt.IsZero() {
						d.Coupon.Expires = locale.Date(c.ExpiresAt.In(zone), loc)
					}
				}
			}
		}
	}
	return d, nil
}

// deadline is the earliest time by which the customer must accept the wait
// of a line the message names (ids; every line when empty) and has not
// answered yet, or nil when none has one (the store does not ask).
func (s *Service) deadline(ctx context.Context, order int64, ids []int64) (*time.Time, error) {
	cs, err := s.orders.Choices(ctx, order)
	if err != nil {
		return nil, wrap(err, "choices of order %d", order)
	}
	var due *time.Time
	for _, c := range cs {
		if c.DueAt == nil || c.Answer != nil || len(ids) > 0 && !slices.Contains(ids, c.LineID) {
			continue
		}
		if due == nil || c.DueAt.Before(*due) {
			due = c.DueAt
		}
	}
	return due, nil
}

func firstString(e *entryView, keys ...string) string {
	for _, k := range keys {
		if v := e.str(k); v != "" {
			return v
		}
	}
	return ""
}

// refundAfter is the first refund recorded for the order at or after at
// (orders.Payments), for a cancellation whose entry has no refund parts.
func (s *Service) refundAfter(ctx context.Context, order int64, at time.Time) (int64, error) {
	ps, err := s.orders.Payments(ctx, order)
	if err != nil {
		return 0, wrap(err, "payments of order %d", order)
	}
	for _, p := range ps {
		if p.Kind == "refund" && !p.At.Before(at) {
			return p.Amount.Amount, nil
		}
	}
	return 0, nil
}

// link is the customer's signed order page, or "" without a signer.
func (s *Service) link(ctx context.Context, order int64, b Branding) (string, error) {
	if s.opts.Links == nil {
		return "", nil
	}
	s.mu.Lock()
	signer := s.linker
	s.mu.Unlock()
	if signer == nil {
		var err error
		if signer, err = s.opts.Links(ctx); err != nil {
			return "", wrap(err, "customer link of order %d", order)
		}
		s.mu.Lock()
		s.linker = signer
		s.mu.Unlock()
	}
	base := b.BaseURL
	if base == "" {
		base = strings.TrimRight(s.opts.BaseURL, "/")
	}
	token := signer.Token(order, s.clock().Add(time.Duration(b.linkDays())*24*time.Hour))
	return base + s.opts.LinkPath(token), nil
}
