package purchasing

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"time"

	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/store"
)

// ShipTo is the customer's shipping address of an order, given to the
// supplier for its own lines only.
type ShipTo struct {
	Name       string `json:"name"`
	Company    string `json:"company,omitempty"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
	Phone      string `json:"phone,omitempty"`
}

// PODocument is a PO as sent to the supplier: the webhook's JSON body, the
// email's CSV attachment, and the supplier console's view.
type PODocument struct {
	ID        int64       `json:"id"`
	Number    string      `json:"number"`
	Supplier  DocSupplier `json:"supplier"`
	Currency  string      `json:"currency"`
	TotalCost money.Money `json:"total_cost"`
	CreatedAt time.Time   `json:"created_at"`
	// AnswerBy is when the supplier must have accepted or rejected each line.
	AnswerBy *time.Time `json:"answer_by,omitempty"`
	Orders   []DocOrder `json:"orders"`
}

// DocSupplier names the supplier a PO is for.
type DocSupplier struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// DocOrder is the part of a PO for one customer order: where to ship and
// which lines.
type DocOrder struct {
	OrderID int64     `json:"order_id"`
	ShipTo  ShipTo    `json:"ship_to"`
	Lines   []DocLine `json:"lines"`
}

// DocLine is one PO line as the supplier sees it.
type DocLine struct {
	LineID      int64       `json:"po_line_id"`
	SupplierSKU string      `json:"supplier_sku"`
	SKU         string      `json:"sku"`
	Title       string      `json:"title"`
	Quantity    int         `json:"quantity"`
	UnitCost    money.Money `json:"unit_cost"`
	LineCost    money.Money `json:"line_cost"`
}

// document builds a PO's document from its lines that are not entirely
// cancelled, with the shipping address of their orders only.
func (s *Service) document(ctx context.Context, q store.Querier, po *PurchaseOrder) (PODocument, error) {
	d := PODocument{ID: po.ID, Number: po.Number, Supplier: DocSupplier{ID: po.SupplierID, Name: po.SupplierName},
		Currency: po.Currency, TotalCost: po.TotalCost, CreatedAt: po.CreatedAt, AnswerBy: po.AckDueAt, Orders: []DocOrder{}}
	index := map[int64]int{}
	for _, l := range po.Lines {
		qty := l.Quantity - l.Cancelled
		if qty <= 0 {
			continue
		}
		i, ok := index[l.OrderID]
		if !ok {
			var a ShipTo
			// The address is read through the PO line, so only orders that
			// have a line on this supplier's PO can be read.
			err := q.QueryRowContext(ctx, `SELECT o.ship_name, o.ship_company, o.ship_line1, o.ship_line2, o.ship_city,
					o.ship_region, o.ship_postal_code, o.ship_country, o.ship_phone
				FROM purchase_order_lines l JOIN orders o ON o.id = l.order_id
				WHERE l.id = $1 AND l.supplier_id = $2`, l.ID, po.SupplierID).Scan(&a.Name, &a.Company, &a.Line1, &a.Line2,
				&a.City, &a.Region, &a.PostalCode, &a.Country, &a.Phone)
			if err != nil {
				return d, fmt.Errorf("shipping address of order %d for %s: %w", l.OrderID, po.Number, err)
			}
			i = len(d.Orders)
			index[l.OrderID] = i
			d.Orders = append(d.Orders, DocOrder{OrderID: l.OrderID, ShipTo: a})
		}
		d.Orders[i].Lines = append(d.Orders[i].Lines, DocLine{LineID: l.ID, SupplierSKU: l.SupplierSKU, SKU: l.SKU,
			Title: l.Title, Quantity: qty, UnitCost: l.UnitCost, LineCost: l.UnitCost.Mul(int64(qty))})
	}
	return d, nil
}

// CSVHeader is the header of a PO's CSV: one row per line, grouped by
// order. The last three columns are empty for the supplier to fill in and
// upload back as its reply (docs/purchasing.md).
var CSVHeader = []string{"po_number", "po_line_id", "order_id", "supplier_sku", "sku", "title", "quantity",
	"unit_cost", "line_cost", "currency", "ship_name", "ship_company", "ship_line1", "ship_line2", "ship_city",
	"ship_region", "ship_postal_code", "ship_country", "ship_phone", "accepted_qty", "rejected_qty", "reason"}

// CSV renders documents as one CSV with CSVHeader.
func CSV(docs ...PODocument) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(CSVHeader)
	for _, d := range docs {
		for _, o := range d.Orders {
			a := o.ShipTo
			for _, l := range o.Lines {
				w.Write([]string{d.Number, strconv.FormatInt(l.LineID, 10), strconv.FormatInt(o.OrderID, 10),
					safeCell(l.SupplierSKU), safeCell(l.SKU), safeCell(l.Title), strconv.Itoa(l.Quantity),
					l.UnitCost.Decimal(), l.LineCost.Decimal(), d.Currency, safeCell(a.Name), safeCell(a.Company),
					safeCell(a.Line1), safeCell(a.Line2), safeCell(a.City), safeCell(a.Region), safeCell(a.PostalCode),
					a.Country, a.Phone, "", "", ""})
			}
		}
	}
	w.Flush()
	return b.Bytes()
}

// safeCell keeps a spreadsheet from reading customer-supplied text as a
// formula.
func safeCell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}
