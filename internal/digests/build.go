package digests

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/scorecards"
)

// Digest is what one supplier is told on one day.
type Digest struct {
	SupplierID int64
	Supplier   string
	Locale     string // en, pt-BR or it
	Day        time.Time
	Location   *time.Location
	// New are the lines of purchase orders sent in the last 24 hours.
	New []Line
	// Unacknowledged are lines of sent purchase orders with units not yet
	// accepted or rejected, oldest deadline first.
	Unacknowledged []Line
	// LateToShip are lines with units not shipped after the end of the
	// order's ship-by day (in the supplier's time zone).
	LateToShip []Line
	// Issues are answers past their deadline and parcels in trouble.
	Issues []Issue
	// Reconciliation has one row per open purchase order.
	Reconciliation []POBalance
	// Questions are the supplier's open restock questions (internal/restocks):
	// SKUs customers wait for, whose restock date Orderly does not know.
	Questions []Question
}

// Question is one open restock question to the supplier.
type Question struct {
	ID          int64
	SupplierSKU string
	Title       string
	Waiting     int // backordered units now
	AskedAt     time.Time
}

// Line is one purchase-order line as the supplier knows it.
type Line struct {
	PurchaseOrder int64
	LineID        int64
	OrderNumber   int64
	SupplierSKU   string
	Title         string
	Quantity      int // units on the line
	Open          int // units pending or accepted, not shipped
	Pending       int
	DueAt         time.Time // acknowledgement deadline (zero if not sent)
	ShipBy        string    // the order's ship-by day, YYYY-MM-DD, or ""
}

// IssueKind says what an issue is about.
type IssueKind string

// Issue kinds.
const (
	IssueOverdue  IssueKind = "overdue"  // a line not answered by its deadline
	IssueShipment IssueKind = "shipment" // the carrier reports an exception or a return
)

// Issue is one open problem.
type Issue struct {
	Kind          IssueKind
	PurchaseOrder int64
	OrderNumber   int64
	SupplierSKU   string
	Carrier       string
	Tracking      string
	Status        string
	DueAt         time.Time
}

// POBalance is one open purchase order's units: what we sent, and where
// they are now.
type POBalance struct {
	PurchaseOrder int64
	SentAt        time.Time
	Sent          int
	Shipped       int
	Rejected      int
	Cancelled     int
	Open          int
}

// Empty reports whether there is nothing to tell the supplier.
func (d *Digest) Empty() bool {
	return len(d.New) == 0 && len(d.Unacknowledged) == 0 && len(d.LateToShip) == 0 && len(d.Issues) == 0 && len(d.Reconciliation) == 0 &&
		len(d.Questions) == 0
}

// Build gathers the digest of a supplier at now.
func (s *Service) Build(ctx context.Context, supplierID int64, now time.Time) (*Digest, error) {
	d := &Digest{SupplierID: supplierID}
	var tz string
	err := s.db.R.QueryRowContext(ctx, `SELECT su.name, su.timezone, COALESCE(f.locale, 'en') FROM suppliers su
		LEFT JOIN supplier_fulfilment f ON f.supplier_id = su.id WHERE su.id = $1`, supplierID).Scan(&d.Supplier, &tz, &d.Locale)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "supplier %d does not exist", supplierID)
	}
	if err != nil {
		return nil, fmt.Errorf("digest of supplier %d: %w", supplierID, err)
	}
	if d.Location, err = time.LoadLocation(tz); err != nil {
		d.Location = time.UTC
	}
	local := now.In(d.Location)
	d.Day = time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, d.Location)

	rows, err := s.db.R.QueryContext(ctx, `SELECT pl.purchase_order_id, pl.id, pl.order_id, pl.supplier_sku, pl.title, pl.quantity,
		pl.qty_pending, pl.qty_accepted, po.sent_at, po.ack_due_at, COALESCE(o.promised_ship_by, '')
		FROM purchase_order_lines pl JOIN purchase_orders po ON po.id = pl.purchase_order_id JOIN orders o ON o.id = pl.order_id
		WHERE pl.supplier_id = $1 AND po.sent_at IS NOT NULL AND (po.sent_at >= $2 OR pl.qty_pending > 0 OR pl.qty_accepted > 0)
		ORDER BY pl.purchase_order_id, pl.id`, supplierID, now.Add(-24*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("digest of supplier %d: lines: %w", supplierID, err)
	}
	for rows.Next() {
		var l Line
		var accepted int
		var sent time.Time
		var due sql.NullTime
		if err := rows.Scan(&l.PurchaseOrder, &l.LineID, &l.OrderNumber, &l.SupplierSKU, &l.Title, &l.Quantity, &l.Pending, &accepted,
			&sent, &due, &l.ShipBy); err != nil {
			rows.Close()
			return nil, fmt.Errorf("digest of supplier %d: lines: %w", supplierID, err)
		}
		l.Open = l.Pending + accepted
		if due.Valid {
			l.DueAt = due.Time.UTC()
		}
		if !sent.Before(now.Add(-24 * time.Hour)) {
			d.New = append(d.New, l)
		}
		if l.Pending > 0 {
			d.Unacknowledged = append(d.Unacknowledged, l)
			if !l.DueAt.IsZero() && !now.Before(l.DueAt) {
				d.Issues = append(d.Issues, Issue{Kind: IssueOverdue, PurchaseOrder: l.PurchaseOrder, OrderNumber: l.OrderNumber,
					SupplierSKU: l.SupplierSKU, DueAt: l.DueAt})
			}
		}
		if end, ok := scorecards.EndOfDay(l.ShipBy, d.Location); ok && l.Open > 0 && !now.Before(end) {
			d.LateToShip = append(d.LateToShip, l)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("digest of supplier %d: lines: %w", supplierID, err)
	}

	rows, err = s.db.R.QueryContext(ctx, `SELECT order_id, carrier, tracking_number, status FROM shipments
		WHERE supplier_id = $1 AND delivered_at IS NULL AND status IN ('exception', 'returned') ORDER BY id`, supplierID)
	if err != nil {
		return nil, fmt.Errorf("digest of supplier %d: shipments: %w", supplierID, err)
	}
	for rows.Next() {
		is := Issue{Kind: IssueShipment}
		if err := rows.Scan(&is.OrderNumber, &is.Carrier, &is.Tracking, &is.Status); err != nil {
			rows.Close()
			return nil, fmt.Errorf("digest of supplier %d: shipments: %w", supplierID, err)
		}
		d.Issues = append(d.Issues, is)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("digest of supplier %d: shipments: %w", supplierID, err)
	}

	rows, err = s.db.R.QueryContext(ctx, `SELECT q.id, o.supplier_sku, p.title || CASE WHEN v.title = '' THEN '' ELSE ' — ' || v.title END,
		(SELECT COALESCE(SUM(l.qty_backordered), 0) FROM order_lines l WHERE l.variant_id = q.variant_id AND l.qty_backordered > 0), q.asked_at
		FROM restock_questions q JOIN supplier_offers o ON o.id = q.offer_id JOIN variants v ON v.id = q.variant_id
		JOIN products p ON p.id = v.product_id
		WHERE q.supplier_id = $1 AND q.status = 'open' ORDER BY q.id`, supplierID)
	if err != nil {
		return nil, fmt.Errorf("digest of supplier %d: restock questions: %w", supplierID, err)
	}
	for rows.Next() {
		var q Question
		if err := rows.Scan(&q.ID, &q.SupplierSKU, &q.Title, &q.Waiting, &q.AskedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("digest of supplier %d: restock questions: %w", supplierID, err)
		}
		q.AskedAt = q.AskedAt.UTC()
		d.Questions = append(d.Questions, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("digest of supplier %d: restock questions: %w", supplierID, err)
	}

	rows, err = s.db.R.QueryContext(ctx, `SELECT po.id, po.sent_at, SUM(pl.quantity), SUM(pl.qty_shipped), SUM(pl.qty_rejected),
		SUM(pl.qty_cancelled), SUM(pl.qty_pending + pl.qty_accepted)
		FROM purchase_orders po JOIN purchase_order_lines pl ON pl.purchase_order_id = po.id
		WHERE po.supplier_id = $1 AND po.sent_at IS NOT NULL AND po.state IN ('sent', 'acknowledged')
		GROUP BY po.id, po.sent_at ORDER BY po.id`, supplierID)
	if err != nil {
		return nil, fmt.Errorf("digest of supplier %d: purchase orders: %w", supplierID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var b POBalance
		if err := rows.Scan(&b.PurchaseOrder, &b.SentAt, &b.Sent, &b.Shipped, &b.Rejected, &b.Cancelled, &b.Open); err != nil {
			return nil, fmt.Errorf("digest of supplier %d: purchase orders: %w", supplierID, err)
		}
		b.SentAt = b.SentAt.UTC()
		if b.Open > 0 {
			d.Reconciliation = append(d.Reconciliation, b)
		}
	}
	return d, rows.Err()
}
