package shipping

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
)

const shipmentColumns = `s.id, s.supplier_id, s.order_id, s.carrier, s.carrier_known, s.tracking_number, s.tracking_url, s.warning,
	s.status, s.shipped_at, s.delivered_at, s.last_event_at, s.created_by, s.created_at, s.updated_at`

func scanShipment(r interface{ Scan(...any) error }) (Shipment, error) {
	var sh Shipment
	var status string
	var delivered, last sql.NullTime
	err := r.Scan(&sh.ID, &sh.SupplierID, &sh.OrderNumber, &sh.Carrier, &sh.CarrierKnown, &sh.TrackingNumber, &sh.TrackingURL,
		&sh.Warning, &status, &sh.ShippedAt, &delivered, &last, &sh.CreatedBy, &sh.CreatedAt, &sh.UpdatedAt)
	if err != nil {
		return sh, err
	}
	sh.Status = Status(status)
	sh.ShippedAt = sh.ShippedAt.UTC()
	sh.CreatedAt = sh.CreatedAt.UTC()
	sh.UpdatedAt = sh.UpdatedAt.UTC()
	sh.DeliveredAt = timePtr(delivered)
	sh.LastEventAt = timePtr(last)
	sh.Lines = []ShipmentLine{}
	return sh, nil
}

// Filter selects shipments. SupplierID 0 means every supplier (staff);
// a supplier's reads always set it.
type Filter struct {
	SupplierID  int64
	OrderNumber int64
	Status      Status
	// Limit is at most 500 (default 100); AfterID pages by id.
	Limit   int
	AfterID int64
}

// List returns shipments matching f, newest first, with their lines.
func (s *Service) List(ctx context.Context, f Filter) ([]Shipment, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.SupplierID != 0 {
		add("s.supplier_id = $%d", f.SupplierID)
	}
	if f.OrderNumber != 0 {
		add("s.order_id = $%d", f.OrderNumber)
	}
	if f.Status != "" {
		add("s.status = $%d", string(f.Status))
	}
	if f.AfterID != 0 {
		add("s.id < $%d", f.AfterID)
	}
	q := `SELECT ` + shipmentColumns + ` FROM shipments s`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(` ORDER BY s.id DESC LIMIT $%d`, len(args))
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list shipments: %w", err)
	}
	out := []Shipment{}
	for rows.Next() {
		sh, err := scanShipment(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list shipments: %w", err)
		}
		out = append(out, sh)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list shipments: %w", err)
	}
	for i := range out {
		if out[i].Lines, err = linesOf(ctx, s.db.R, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Get returns one shipment with its lines and tracking events. supplierID
// 0 reads any shipment (staff); otherwise another supplier's shipment is not
// found.
func (s *Service) Get(ctx context.Context, supplierID, id int64) (*Shipment, error) {
	sh, err := scanShipment(s.db.R.QueryRowContext(ctx, `SELECT `+shipmentColumns+` FROM shipments s WHERE s.id = $1
		AND (CAST($2 AS BIGINT) = 0 OR s.supplier_id = $2)`, id, supplierID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "shipment %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read shipment %d: %w", id, err)
	}
	if sh.Lines, err = linesOf(ctx, s.db.R, id); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT source, event_id, status, description, location, occurred_at, received_at
		FROM tracking_events WHERE shipment_id = $1 ORDER BY occurred_at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("tracking events of shipment %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e StoredEvent
		var st string
		if err := rows.Scan(&e.Source, &e.EventID, &st, &e.Description, &e.Location, &e.OccurredAt, &e.ReceivedAt); err != nil {
			return nil, fmt.Errorf("tracking events of shipment %d: %w", id, err)
		}
		e.Status = Status(st)
		e.OccurredAt, e.ReceivedAt = e.OccurredAt.UTC(), e.ReceivedAt.UTC()
		sh.Events = append(sh.Events, e)
	}
	return &sh, rows.Err()
}

func linesOf(ctx context.Context, q store.Querier, id int64) ([]ShipmentLine, error) {
	rows, err := q.QueryContext(ctx, `SELECT sl.purchase_order_line_id, sl.order_line_id, l.sku, l.supplier_sku, sl.quantity
		FROM shipment_lines sl JOIN purchase_order_lines l ON l.id = sl.purchase_order_line_id
		WHERE sl.shipment_id = $1 ORDER BY sl.purchase_order_line_id`, id)
	if err != nil {
		return nil, fmt.Errorf("lines of shipment %d: %w", id, err)
	}
	defer rows.Close()
	out := []ShipmentLine{}
	for rows.Next() {
		var l ShipmentLine
		if err := rows.Scan(&l.POLineID, &l.OrderLineID, &l.SKU, &l.SupplierSKU, &l.Quantity); err != nil {
			return nil, fmt.Errorf("lines of shipment %d: %w", id, err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
