package suppliers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
)

// The SQL of suppliers and offers. Every list filter has an index in
// migration 00004.

const supplierColumns = `s.id, s.name, s.timezone, s.country, s.status, s.notes, s.created_at, s.updated_at`

func scanSupplier(row interface{ Scan(...any) error }) (Supplier, error) {
	var s Supplier
	err := row.Scan(&s.ID, &s.Name, &s.Timezone, &s.Country, &s.Status, &s.Notes, &s.CreatedAt, &s.UpdatedAt)
	return s, err
}

func getSupplier(ctx context.Context, q store.Querier, id int64) (Supplier, error) {
	s, err := scanSupplier(q.QueryRowContext(ctx, `SELECT `+supplierColumns+` FROM suppliers s WHERE s.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, apperr.New(apperr.NotFound, "supplier %d not found", id)
	}
	if err != nil {
		return s, fmt.Errorf("get supplier %d: %w", id, err)
	}
	list := []Supplier{s}
	if err := loadContacts(ctx, q, list); err != nil {
		return s, err
	}
	return list[0], nil
}

// loadContacts fills in the contacts of each supplier, in the order given.
func loadContacts(ctx context.Context, q store.Querier, list []Supplier) error {
	if len(list) == 0 {
		return nil
	}
	index := map[int64]int{}
	ph := make([]string, len(list))
	args := make([]any, len(list))
	for i := range list {
		list[i].Contacts = []Contact{}
		index[list[i].ID] = i
		ph[i] = "$" + strconv.Itoa(i+1)
		args[i] = list[i].ID
	}
	rows, err := q.QueryContext(ctx, `SELECT supplier_id, name, email, phone, role FROM supplier_contacts
		WHERE supplier_id IN (`+strings.Join(ph, ", ")+`) ORDER BY supplier_id, id`, args...)
	if err != nil {
		return fmt.Errorf("load contacts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c Contact
		if err := rows.Scan(&id, &c.Name, &c.Email, &c.Phone, &c.Role); err != nil {
			return fmt.Errorf("load contacts: %w", err)
		}
		i := index[id]
		list[i].Contacts = append(list[i].Contacts, c)
	}
	return rows.Err()
}

func replaceContacts(ctx context.Context, tx *sql.Tx, supplierID int64, contacts []Contact) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM supplier_contacts WHERE supplier_id = $1`, supplierID); err != nil {
		return fmt.Errorf("replace contacts of supplier %d: %w", supplierID, err)
	}
	for _, c := range contacts {
		_, err := tx.ExecContext(ctx, `INSERT INTO supplier_contacts (supplier_id, name, email, phone, role)
			VALUES ($1, $2, $3, $4, $5)`, supplierID, c.Name, c.Email, c.Phone, c.Role)
		if err != nil {
			return fmt.Errorf("add contact to supplier %d: %w", supplierID, err)
		}
	}
	return nil
}

const offerColumns = `o.id, o.supplier_id, s.name, o.variant_id, v.sku, o.supplier_sku, o.cost_amount, o.cost_currency,
	o.lead_time_days, o.min_order_qty, o.priority, o.status, o.created_at, o.updated_at`

const offerFrom = ` FROM supplier_offers o JOIN suppliers s ON s.id = o.supplier_id JOIN variants v ON v.id = o.variant_id`

func scanOffer(row interface{ Scan(...any) error }) (Offer, error) {
	var o Offer
	err := row.Scan(&o.ID, &o.SupplierID, &o.SupplierName, &o.VariantID, &o.SKU, &o.SupplierSKU, &o.Cost.Amount,
		&o.Cost.Currency, &o.LeadTimeDays, &o.MinOrderQty, &o.Priority, &o.Status, &o.CreatedAt, &o.UpdatedAt)
	return o, err
}

func getOffer(ctx context.Context, q store.Querier, id int64) (Offer, error) {
	o, err := scanOffer(q.QueryRowContext(ctx, `SELECT `+offerColumns+offerFrom+` WHERE o.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return o, apperr.New(apperr.NotFound, "offer %d not found", id)
	}
	if err != nil {
		return o, fmt.Errorf("get offer %d: %w", id, err)
	}
	return o, nil
}

func queryOffers(ctx context.Context, q store.Querier, query string, args ...any) ([]Offer, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list offers: %w", err)
	}
	defer rows.Close()
	out := []Offer{}
	for rows.Next() {
		o, err := scanOffer(rows)
		if err != nil {
			return nil, fmt.Errorf("list offers: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// where accumulates SQL conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *where) add(cond string) { w.conds = append(w.conds, cond) }

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}
