package shipping

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/purchasing"
)

// NewShipment is a parcel a supplier shipped.
type NewShipment struct {
	// OrderNumber is optional: the PO lines imply the order. When given it
	// must be theirs.
	OrderNumber    int64
	Carrier        string
	TrackingNumber string
	// ShippedAt defaults to now; it may not be in the future (5 minutes of
	// clock skew allowed).
	ShippedAt time.Time
	Lines     []NewLine
}

// NewLine is some units of one of the supplier's PO lines in a parcel.
type NewLine struct {
	POLineID int64
	Quantity int
}

// maxSkew is how far in the future a shipped_at may be (a supplier's clock).
const maxSkew = 5 * time.Minute

// Added is the result of AddShipment.
type Added struct {
	Shipment *Shipment `json:"shipment"`
	// Merged is true when the parcel was already recorded (same order,
	// carrier and tracking number) and the units were added to it.
	Merged bool `json:"merged"`
}

// AddShipment records that supplierID shipped a parcel: in one transaction
// the PO lines' units move to shipped (accepted first, then pending), the
// order lines' reservations on those offers are consumed for those units,
// the order moves to partially_shipped or shipped with a timeline entry, and
// the shipment and its lines are stored.
//
// The carrier and tracking number are checked first (carriers.Check): a
// known carrier with a malformed number is invalid (422 naming the carrier);
// an unknown carrier is accepted and the shipment keeps a warning. Every PO
// line must be the supplier's (else not found, so a supplier cannot probe
// another's lines) and all of one order.
//
// The same parcel reported again (same order, carrier and tracking number)
// adds the units to the existing shipment instead of failing (Merged), so a
// parcel with several lines can be reported line by line, as a tracking CSV
// does; a delivered or returned parcel, or another supplier's, is a conflict.
// Staff add shipments on a supplier's behalf by passing its id.
func (s *Service) AddShipment(ctx context.Context, supplierID int64, in NewShipment) (*Added, error) {
	var out *Added
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.addTx(ctx, tx, supplierID, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	sh, err := s.Get(ctx, supplierID, out.Shipment.ID)
	if err != nil {
		return nil, err
	}
	out.Shipment = sh
	return out, nil
}

// checked is a carrier and tracking number after carriers.Check.
type checked struct {
	carrier, number, url, warning string
	known                         bool
}

func (s *Service) checkCarrier(carrier, number string) (checked, error) {
	carrier, number = strings.TrimSpace(carrier), strings.TrimSpace(number)
	var fe apperr.Fields
	if carrier == "" || len(carrier) > 100 {
		fe.Add("carrier", "must be 1 to 100 characters")
	}
	if number == "" || len(number) > 100 {
		fe.Add("tracking_number", "must be 1 to 100 characters")
	}
	if err := fe.Err(); err != nil {
		return checked{}, err
	}
	r, err := s.opts.Carriers(carrier, number)
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) {
			return checked{}, err
		}
		return checked{}, apperr.InvalidField("tracking_number", "%v", err)
	}
	c := checked{carrier: r.Code, number: r.Number, url: r.URL, warning: r.Warning, known: r.Known}
	if c.carrier == "" {
		c.carrier = strings.ToLower(carrier)
	}
	if c.number == "" {
		c.number = normaliseNumber(number)
	}
	return c, nil
}

// normaliseNumber is a tracking number as stored: upper case, no spaces.
func normaliseNumber(n string) string {
	return strings.ToUpper(strings.Join(strings.Fields(n), ""))
}

func (s *Service) addTx(ctx context.Context, tx *sql.Tx, supplierID int64, in NewShipment) (*Added, error) {
	if supplierID <= 0 {
		return nil, apperr.InvalidField("supplier_id", "a supplier is required")
	}
	now := s.clock()
	shippedAt := in.ShippedAt.UTC().Truncate(time.Microsecond)
	if in.ShippedAt.IsZero() {
		shippedAt = now
	}
	var fe apperr.Fields
	if shippedAt.After(now.Add(maxSkew)) {
		fe.Add("shipped_at", "is in the future (%s)", shippedAt.Format(time.RFC3339))
	}
	if len(in.Lines) == 0 {
		fe.Add("lines", "at least one PO line is required")
	}
	if len(in.Lines) > 500 {
		fe.Add("lines", "at most 500 lines per shipment")
	}
	var ids []int64
	for i, l := range in.Lines {
		if l.Quantity <= 0 || l.Quantity > 100000 {
			fe.Add(fmt.Sprintf("lines[%d].quantity", i), "must be between 1 and 100000, got %d", l.Quantity)
		}
		if slices.Contains(ids, l.POLineID) {
			fe.Add(fmt.Sprintf("lines[%d].po_line_id", i), "PO line %d is listed twice", l.POLineID)
		}
		ids = append(ids, l.POLineID)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	c, err := s.checkCarrier(in.Carrier, in.TrackingNumber)
	if err != nil {
		return nil, err
	}

	// The order the lines belong to, read first so its row is locked before
	// the PO lines (the order service's lock order).
	number, err := s.orderOf(ctx, tx, supplierID, ids)
	if err != nil {
		return nil, err
	}
	if in.OrderNumber != 0 && in.OrderNumber != number {
		return nil, apperr.InvalidField("order_number", "the PO lines are of order %d, not %d", number, in.OrderNumber)
	}
	if _, err := tx.ExecContext(ctx, `SELECT id FROM orders WHERE id = $1`+s.db.Dialect.ForUpdate(), number); err != nil {
		return nil, fmt.Errorf("lock order %d: %w", number, err)
	}
	units := make([]purchasing.Shipped, len(in.Lines))
	for i, l := range in.Lines {
		units[i] = purchasing.Shipped{LineID: l.POLineID, Quantity: l.Quantity}
	}
	pls, err := s.po.ShipTx(ctx, tx, supplierID, units)
	if err != nil {
		return nil, err
	}
	su := make([]orders.ShippedUnits, len(pls))
	for i, l := range pls {
		if l.OrderID != number {
			return nil, fmt.Errorf("PO line %d moved to order %d while shipping", l.ID, l.OrderID)
		}
		su[i] = orders.ShippedUnits{LineID: l.OrderLineID, OfferID: l.OfferID, Quantity: in.Lines[i].Quantity}
	}
	detail := map[string]any{"carrier": c.carrier, "tracking_number": c.number, "supplier_id": supplierID}
	if c.url != "" {
		detail["tracking_url"] = c.url
	}
	if c.warning != "" {
		detail["warning"] = c.warning
	}
	if err := s.ord.ShipUnitsTx(ctx, tx, number, su, detail); err != nil {
		return nil, err
	}

	who := "system:shipping"
	if p := auth.FromContext(ctx); p != nil {
		who = p.Actor()
	}
	var id, owner int64
	var status string
	merged := true
	err = tx.QueryRowContext(ctx, `SELECT id, supplier_id, status FROM shipments WHERE order_id = $1 AND carrier = $2 AND tracking_number = $3`,
		number, c.carrier, c.number).Scan(&id, &owner, &status)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		merged = false
		err = tx.QueryRowContext(ctx, `INSERT INTO shipments (supplier_id, order_id, carrier, carrier_known, tracking_number, tracking_url,
				warning, status, shipped_at, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'shipped', $8, $9, $10, $10) RETURNING id`,
			supplierID, number, c.carrier, c.known, c.number, c.url, c.warning, shippedAt, who, now).Scan(&id)
		if err != nil {
			return nil, fmt.Errorf("add shipment of order %d: %w", number, err)
		}
	case err != nil:
		return nil, fmt.Errorf("find shipment %s %s of order %d: %w", c.carrier, c.number, number, err)
	case owner != supplierID:
		return nil, apperr.New(apperr.Conflict, "tracking number %s (%s) is already recorded for order %d by another supplier", c.number, c.carrier, number)
	case status == string(StatusDelivered) || status == string(StatusReturned):
		return nil, apperr.New(apperr.Conflict, "shipment %d (%s %s) is already %s: report the new units in a new parcel", id, c.carrier, c.number, status)
	default:
		if _, err := tx.ExecContext(ctx, `UPDATE shipments SET updated_at = $1 WHERE id = $2`, now, id); err != nil {
			return nil, fmt.Errorf("update shipment %d: %w", id, err)
		}
	}
	for i, l := range pls {
		if _, err := tx.ExecContext(ctx, `INSERT INTO shipment_lines (shipment_id, purchase_order_line_id, order_line_id, quantity)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (shipment_id, purchase_order_line_id) DO UPDATE SET quantity = shipment_lines.quantity + excluded.quantity`,
			id, l.ID, l.OrderLineID, in.Lines[i].Quantity); err != nil {
			return nil, fmt.Errorf("add PO line %d to shipment %d: %w", l.ID, id, err)
		}
	}
	return &Added{Shipment: &Shipment{ID: id}, Merged: merged}, nil
}

// orderOf returns the one order the supplier's PO lines belong to: not found
// for a line that is not the supplier's, invalid when they span orders.
func (s *Service) orderOf(ctx context.Context, tx *sql.Tx, supplierID int64, ids []int64) (int64, error) {
	var number int64
	for i, id := range ids {
		var o int64
		err := tx.QueryRowContext(ctx, `SELECT order_id FROM purchase_order_lines WHERE id = $1 AND supplier_id = $2`, id, supplierID).Scan(&o)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, apperr.New(apperr.NotFound, "purchase order line %d not found", id)
		}
		if err != nil {
			return 0, fmt.Errorf("read PO line %d: %w", id, err)
		}
		if i > 0 && o != number {
			return 0, apperr.InvalidField(fmt.Sprintf("lines[%d].po_line_id", i), "PO line %d is of order %d, the others of order %d: one shipment carries one order", id, o, number)
		}
		number = o
	}
	return number, nil
}
