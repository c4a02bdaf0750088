package suppliers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/store"
)

// Service creates, changes and lists suppliers and their offers.
type Service struct {
	db         *store.DB
	now        func() time.Time
	costChange CostChangeFunc
}

// CostChangeFunc is called inside the transaction of every offer change that
// may change what a variant costs: a new or deleted offer, a changed cost,
// priority or status. reason says what changed. Pricing registers one to
// reprice the variant.
type CostChangeFunc func(ctx context.Context, tx *sql.Tx, variantID int64, reason string) error

// OnCostChange registers fn as the cost-change hook. Call it once, before serving.
func (s *Service) OnCostChange(fn CostChangeFunc) { s.costChange = fn }

// costChanged calls the cost-change hook, if any.
func (s *Service) costChanged(ctx context.Context, tx *sql.Tx, variantID int64, format string, args ...any) error {
	if s.costChange == nil {
		return nil
	}
	return s.costChange(ctx, tx, variantID, fmt.Sprintf(format, args...))
}

// NewService returns a suppliers service on db; now is its clock.
func NewService(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now}
}

// nameKey is the form of a supplier name that must be unique.
func nameKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// nameTaken turns a unique violation on suppliers' name into a Conflict.
func nameTaken(d store.Dialect, err error, name string) error {
	if _, ok := d.UniqueViolation(err); ok {
		e := apperr.New(apperr.Conflict, "a supplier named %q already exists", name)
		e.Fields = []apperr.FieldError{{Field: "name", Message: "already taken", Value: name}}
		return e
	}
	return fmt.Errorf("save supplier %q: %w", name, err)
}

// CreateSupplier creates a supplier with its contacts.
func (s *Service) CreateSupplier(ctx context.Context, in NewSupplier) (Supplier, error) {
	var fs apperr.Fields
	sup := in.parse(&fs)
	if err := fs.Err(); err != nil {
		return Supplier{}, err
	}
	now := s.timestamp()
	var out Supplier
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO suppliers (name, name_key, timezone, country, status, notes, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			sup.Name, nameKey(sup.Name), sup.Timezone, string(sup.Country), string(sup.Status), sup.Notes, now, now).Scan(&id)
		if err != nil {
			return nameTaken(s.db.Dialect, err, sup.Name)
		}
		if err := replaceContacts(ctx, tx, id, sup.Contacts); err != nil {
			return err
		}
		out, err = getSupplier(ctx, tx, id)
		return err
	})
	return out, err
}

// Supplier returns one supplier with its contacts.
func (s *Service) Supplier(ctx context.Context, id int64) (Supplier, error) {
	return getSupplier(ctx, s.db.R, id)
}

// UpdateSupplier changes the fields of a supplier that p sets.
func (s *Service) UpdateSupplier(ctx context.Context, id int64, p SupplierPatch) (Supplier, error) {
	var out Supplier
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		sup, err := getSupplier(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := p.apply(&sup); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE suppliers SET name = $1, name_key = $2, timezone = $3, country = $4, status = $5, notes = $6,
			updated_at = $7 WHERE id = $8`,
			sup.Name, nameKey(sup.Name), sup.Timezone, string(sup.Country), string(sup.Status), sup.Notes, s.timestamp(), id)
		if err != nil {
			return nameTaken(s.db.Dialect, err, sup.Name)
		}
		if p.Contacts != nil {
			if err := replaceContacts(ctx, tx, id, sup.Contacts); err != nil {
				return err
			}
		}
		out, err = getSupplier(ctx, tx, id)
		return err
	})
	return out, err
}

// DeleteSupplier deletes a supplier that has no offers. A supplier with
// offers is refused with a Conflict: pause it instead.
func (s *Service) DeleteSupplier(ctx context.Context, id int64) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		sup, err := getSupplier(ctx, tx, id)
		if err != nil {
			return err
		}
		var offers int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM supplier_offers WHERE supplier_id = $1`, id).Scan(&offers); err != nil {
			return fmt.Errorf("count offers of supplier %d: %w", id, err)
		}
		if offers > 0 {
			return apperr.New(apperr.Conflict, "supplier %q has %d offers; pause it instead (status paused)", sup.Name, offers)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM suppliers WHERE id = $1`, id); err != nil {
			if s.db.Dialect.ForeignKeyViolation(err) {
				return apperr.Wrap(err, apperr.Conflict, "supplier %q is referred to by other records; pause it instead (status paused)", sup.Name)
			}
			return fmt.Errorf("delete supplier %d: %w", id, err)
		}
		return nil
	})
}

// SupplierFilter selects suppliers in a list, ordered by id. Zero fields do
// not filter.
type SupplierFilter struct {
	Status  Status
	Country string
	Query   string // a substring of the name, any case
	After   int64  // the last id of the previous page
	Limit   int    // at most 1000; 0 means 50
}

// ListSuppliers returns one page of suppliers matching f, with contacts.
func (s *Service) ListSuppliers(ctx context.Context, f SupplierFilter) ([]Supplier, error) {
	var w where
	if f.Status != "" {
		w.add("s.status = " + w.arg(string(f.Status)))
	}
	if c := strings.TrimSpace(f.Country); c != "" {
		w.add("s.country = " + w.arg(strings.ToUpper(c)))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		// name_key is lower case on both engines, so a plain LIKE on it is
		// case-insensitive for every script, not only ASCII.
		w.add("COALESCE(s.name_key, lower(s.name)) LIKE " + w.arg("%"+store.LikePattern(nameKey(q))+"%") + ` ESCAPE '\'`)
	}
	if f.After > 0 {
		w.add("s.id > " + w.arg(f.After))
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+supplierColumns+` FROM suppliers s`+w.sql()+
		` ORDER BY s.id LIMIT `+w.arg(limit(f.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list suppliers: %w", err)
	}
	defer rows.Close()
	out := []Supplier{}
	for rows.Next() {
		sup, err := scanSupplier(rows)
		if err != nil {
			return nil, fmt.Errorf("list suppliers: %w", err)
		}
		out = append(out, sup)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list suppliers: %w", err)
	}
	rows.Close()
	if err := loadContacts(ctx, s.db.R, out); err != nil {
		return nil, err
	}
	return out, nil
}

func limit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 1000:
		return 1000
	}
	return n
}

// CreateOffer records that a supplier can ship one of our variants. An
// unknown supplier or variant is an Invalid error naming the input field.
func (s *Service) CreateOffer(ctx context.Context, in NewOffer) (Offer, error) {
	var fs apperr.Fields
	o := Offer{
		SupplierID: in.SupplierID, VariantID: in.VariantID, SupplierSKU: in.SupplierSKU, Cost: in.Cost,
		LeadTimeDays: in.LeadTimeDays, MinOrderQty: in.MinOrderQty, Priority: in.Priority,
	}
	checkOffer(&fs, &o)
	var err error
	if o.Status, err = ParseOfferStatus(in.Status); err != nil {
		fs.Add("status", "%v", err)
	}
	var sku catalog.SKU
	if in.VariantID == 0 {
		if sku, err = catalog.ParseSKU(in.SKU); err != nil {
			fs.Add("sku", "give variant_id or a valid sku: %v", err)
		}
	}
	if in.SupplierID <= 0 {
		fs.Add("supplier_id", "must name a supplier")
	}
	if err := fs.Err(); err != nil {
		return Offer{}, err
	}
	var out Offer
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := getSupplier(ctx, tx, o.SupplierID); apperr.Is(err, apperr.NotFound) {
			return apperr.InvalidField("supplier_id", "supplier %d does not exist", o.SupplierID)
		} else if err != nil {
			return err
		}
		if o.VariantID == 0 {
			err := tx.QueryRowContext(ctx, `SELECT id FROM variants WHERE sku = $1`, string(sku)).Scan(&o.VariantID)
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.InvalidField("sku", "no variant has SKU %q", sku)
			} else if err != nil {
				return fmt.Errorf("find variant %q: %w", sku, err)
			}
		} else {
			err := tx.QueryRowContext(ctx, `SELECT sku FROM variants WHERE id = $1`, o.VariantID).Scan(&sku)
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.InvalidField("variant_id", "variant %d does not exist", o.VariantID)
			} else if err != nil {
				return fmt.Errorf("find variant %d: %w", o.VariantID, err)
			}
		}
		var existing int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM supplier_offers WHERE supplier_id = $1 AND variant_id = $2`,
			o.SupplierID, o.VariantID).Scan(&existing)
		if err == nil {
			return apperr.New(apperr.Conflict, "supplier %d already has an offer for SKU %s (offer %d); change that offer instead",
				o.SupplierID, sku, existing)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find offer: %w", err)
		}
		now := s.timestamp()
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount,
			cost_currency, lead_time_days, min_order_qty, priority, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			o.SupplierID, o.VariantID, o.SupplierSKU, o.Cost.Amount, o.Cost.Currency, o.LeadTimeDays, o.MinOrderQty,
			o.Priority, string(o.Status), now, now).Scan(&id)
		if err != nil {
			return s.offerConflict(ctx, tx, err, o)
		}
		if err := s.costChanged(ctx, tx, o.VariantID, "new offer %d (cost %s)", id, o.Cost); err != nil {
			return err
		}
		out, err = getOffer(ctx, tx, id)
		return err
	})
	return out, err
}

// offerConflict explains a unique violation on supplier_offers: either the
// supplier already offers this variant, or already uses this supplier SKU.
func (s *Service) offerConflict(ctx context.Context, q store.Querier, err error, o Offer) error {
	constraint, ok := s.db.Dialect.UniqueViolation(err)
	if !ok {
		return fmt.Errorf("save offer: %w", err)
	}
	if strings.Contains(constraint, "supplier_sku") {
		e := apperr.New(apperr.Conflict, "supplier %d already uses supplier SKU %q in another offer", o.SupplierID, o.SupplierSKU)
		e.Fields = []apperr.FieldError{{Field: "supplier_sku", Message: "already used by this supplier", Value: o.SupplierSKU}}
		return e
	}
	var existing int64
	var sku string
	// The failed INSERT aborted a PostgreSQL transaction, so look the
	// existing offer up outside it, on the read pool.
	_ = s.db.R.QueryRowContext(ctx, `SELECT o.id, v.sku FROM supplier_offers o JOIN variants v ON v.id = o.variant_id
		WHERE o.supplier_id = $1 AND o.variant_id = $2`, o.SupplierID, o.VariantID).Scan(&existing, &sku)
	return apperr.New(apperr.Conflict, "supplier %d already has an offer for SKU %s (offer %d); change that offer instead", o.SupplierID, sku, existing)
}

// Offer returns one offer.
func (s *Service) Offer(ctx context.Context, id int64) (Offer, error) {
	return getOffer(ctx, s.db.R, id)
}

// UpdateOffer changes the fields of an offer that p sets.
func (s *Service) UpdateOffer(ctx context.Context, id int64, p OfferPatch) (Offer, error) {
	var out Offer
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		o, err := getOffer(ctx, tx, id)
		if err != nil {
			return err
		}
		old := o
		if err := p.apply(&o); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE supplier_offers SET supplier_sku = $1, cost_amount = $2, cost_currency = $3,
			lead_time_days = $4, min_order_qty = $5, priority = $6, status = $7, updated_at = $8 WHERE id = $9`,
			o.SupplierSKU, o.Cost.Amount, o.Cost.Currency, o.LeadTimeDays, o.MinOrderQty, o.Priority, string(o.Status),
			s.timestamp(), id)
		if err != nil {
			return s.offerConflict(ctx, tx, err, o)
		}
		var changed []string
		if o.Cost != old.Cost {
			changed = append(changed, fmt.Sprintf("cost %s → %s", old.Cost, o.Cost))
		}
		if o.Priority != old.Priority {
			changed = append(changed, fmt.Sprintf("priority %d → %d", old.Priority, o.Priority))
		}
		if o.Status != old.Status {
			changed = append(changed, fmt.Sprintf("status %s → %s", old.Status, o.Status))
		}
		if len(changed) > 0 {
			if err := s.costChanged(ctx, tx, o.VariantID, "offer %d of %s: %s", id, o.SupplierName, strings.Join(changed, ", ")); err != nil {
				return err
			}
		}
		out, err = getOffer(ctx, tx, id)
		return err
	})
	return out, err
}

// DeleteOffer deletes an offer. When stock positions or purchase orders
// refer to it, it is refused with a Conflict: set it inactive instead.
func (s *Service) DeleteOffer(ctx context.Context, id int64) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		o, err := getOffer(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM supplier_offers WHERE id = $1`, id); err != nil {
			if s.db.Dialect.ForeignKeyViolation(err) {
				return apperr.Wrap(err, apperr.Conflict, "offer %d has stock or orders that refer to it; set it inactive instead (status inactive)", id)
			}
			return fmt.Errorf("delete offer %d: %w", id, err)
		}
		return s.costChanged(ctx, tx, o.VariantID, "offer %d of %s deleted", id, o.SupplierName)
	})
}

// OfferFilter selects offers in a list, ordered by id. Zero fields do not
// filter.
type OfferFilter struct {
	SupplierID int64
	VariantID  int64
	SKU        string // our SKU, exact (any case)
	Status     OfferStatus
	After      int64
	Limit      int
}

// ListOffers returns one page of offers matching f.
func (s *Service) ListOffers(ctx context.Context, f OfferFilter) ([]Offer, error) {
	var w where
	if f.SupplierID != 0 {
		w.add("o.supplier_id = " + w.arg(f.SupplierID))
	}
	if f.VariantID != 0 {
		w.add("o.variant_id = " + w.arg(f.VariantID))
	}
	if strings.TrimSpace(f.SKU) != "" {
		sku, err := catalog.ParseSKU(f.SKU)
		if err != nil {
			return nil, apperr.InvalidField("sku", "%v", err)
		}
		w.add("v.sku = " + w.arg(string(sku)))
	}
	if f.Status != "" {
		w.add("o.status = " + w.arg(string(f.Status)))
	}
	if f.After > 0 {
		w.add("o.id > " + w.arg(f.After))
	}
	return queryOffers(ctx, s.db.R, `SELECT `+offerColumns+offerFrom+w.sql()+` ORDER BY o.id LIMIT `+w.arg(limit(f.Limit)), w.args...)
}

// OffersForVariant returns a variant's offers, preferred first (by priority,
// then id). Routing and inventory use this order.
func (s *Service) OffersForVariant(ctx context.Context, q store.Querier, variantID int64) ([]Offer, error) {
	return queryOffers(ctx, q, `SELECT `+offerColumns+offerFrom+` WHERE o.variant_id = $1 ORDER BY o.priority, o.id`, variantID)
}
