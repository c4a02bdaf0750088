package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
)

// The SQL of the catalog. Every list filter and sort here has an index in
// migration 00003 (and 00004 for the supplier filter).

const productColumns = `p.id, p.title, p.description, p.vendor, p.status, p.created_at, p.updated_at`

func scanProduct(row interface{ Scan(...any) error }) (Product, error) {
	var p Product
	err := row.Scan(&p.ID, &p.Title, &p.Description, &p.Vendor, &p.Status, &p.CreatedAt, &p.UpdatedAt)
	return p, err
}

const variantColumns = `v.id, v.product_id, p.title, v.sku, v.title, v.options, v.price_amount, v.price_currency,
	v.weight_grams, v.barcode, v.status, v.created_at, v.updated_at`

const variantFrom = ` FROM variants v JOIN products p ON p.id = v.product_id`

func scanVariant(row interface{ Scan(...any) error }) (Variant, error) {
	var v Variant
	var options string
	err := row.Scan(&v.ID, &v.ProductID, &v.ProductTitle, &v.SKU, &v.Title, &options, &v.Price.Amount, &v.Price.Currency,
		&v.WeightGrams, &v.Barcode, &v.Status, &v.CreatedAt, &v.UpdatedAt)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal([]byte(options), &v.Options); err != nil {
		return v, fmt.Errorf("variant %d options: %w", v.ID, err)
	}
	if v.Options == nil {
		v.Options = []Option{}
	}
	return v, nil
}

func getProduct(ctx context.Context, q store.Querier, id int64) (Product, error) {
	p, err := scanProduct(q.QueryRowContext(ctx, `SELECT `+productColumns+` FROM products p WHERE p.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, apperr.New(apperr.NotFound, "product %d not found", id)
	}
	if err != nil {
		return p, fmt.Errorf("get product %d: %w", id, err)
	}
	tags, err := loadTags(ctx, q, []int64{id})
	if err != nil {
		return p, err
	}
	p.Tags = tags[id]
	if p.Tags == nil {
		p.Tags = []string{}
	}
	return p, nil
}

// loadTags returns the tags of each product, sorted.
func loadTags(ctx context.Context, q store.Querier, ids []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i] = "$" + strconv.Itoa(i+1)
		args[i] = id
	}
	rows, err := q.QueryContext(ctx, `SELECT product_id, tag FROM product_tags WHERE product_id IN (`+
		strings.Join(ph, ", ")+`) ORDER BY product_id, tag`, args...)
	if err != nil {
		return nil, fmt.Errorf("load tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var tag string
		if err := rows.Scan(&id, &tag); err != nil {
			return nil, fmt.Errorf("load tags: %w", err)
		}
		out[id] = append(out[id], tag)
	}
	return out, rows.Err()
}

func replaceTags(ctx context.Context, tx *sql.Tx, productID int64, tags []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM product_tags WHERE product_id = $1`, productID); err != nil {
		return fmt.Errorf("replace tags of product %d: %w", productID, err)
	}
	for _, t := range tags {
		if _, err := tx.ExecContext(ctx, `INSERT INTO product_tags (product_id, tag) VALUES ($1, $2)`, productID, t); err != nil {
			return fmt.Errorf("tag product %d: %w", productID, err)
		}
	}
	return nil
}

func getVariant(ctx context.Context, q store.Querier, id int64) (Variant, error) {
	v, err := scanVariant(q.QueryRowContext(ctx, `SELECT `+variantColumns+variantFrom+` WHERE v.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return v, apperr.New(apperr.NotFound, "variant %d not found", id)
	}
	if err != nil {
		return v, fmt.Errorf("get variant %d: %w", id, err)
	}
	return v, nil
}

func getVariantBySKU(ctx context.Context, q store.Querier, sku SKU) (Variant, error) {
	v, err := scanVariant(q.QueryRowContext(ctx, `SELECT `+variantColumns+variantFrom+` WHERE v.sku = $1`, string(sku)))
	if errors.Is(err, sql.ErrNoRows) {
		return v, apperr.New(apperr.NotFound, "no variant has SKU %q", sku)
	}
	if err != nil {
		return v, fmt.Errorf("get variant %q: %w", sku, err)
	}
	return v, nil
}

func queryVariants(ctx context.Context, q store.Querier, query string, args ...any) ([]Variant, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list variants: %w", err)
	}
	defer rows.Close()
	out := []Variant{}
	for rows.Next() {
		v, err := scanVariant(rows)
		if err != nil {
			return nil, fmt.Errorf("list variants: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// insertVariant inserts v; a duplicate SKU is a Conflict naming fieldName.
func insertVariant(ctx context.Context, tx *sql.Tx, d store.Dialect, v Variant, fieldName string) (int64, error) {
	opts, err := json.Marshal(v.Options)
	if err != nil {
		return 0, fmt.Errorf("encode options: %w", err)
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO variants (product_id, sku, title, options, price_amount, price_currency,
		weight_grams, barcode, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		v.ProductID, string(v.SKU), v.Title, string(opts), v.Price.Amount, v.Price.Currency,
		v.WeightGrams, v.Barcode, string(v.Status), v.CreatedAt, v.UpdatedAt).Scan(&id)
	if err != nil {
		return 0, skuError(d, err, v.SKU, fieldName, "insert variant")
	}
	return id, nil
}

func updateVariantRow(ctx context.Context, tx *sql.Tx, d store.Dialect, v Variant) error {
	opts, err := json.Marshal(v.Options)
	if err != nil {
		return fmt.Errorf("encode options: %w", err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE variants SET sku = $1, title = $2, options = $3, price_amount = $4,
		price_currency = $5, weight_grams = $6, barcode = $7, status = $8, updated_at = $9 WHERE id = $10`,
		string(v.SKU), v.Title, string(opts), v.Price.Amount, v.Price.Currency, v.WeightGrams, v.Barcode,
		string(v.Status), v.UpdatedAt, v.ID)
	if err != nil {
		return skuError(d, err, v.SKU, "sku", "update variant")
	}
	return nil
}

// skuError turns a unique violation on variants.sku into a Conflict that
// names the SKU and the input field; other errors are wrapped.
func skuError(d store.Dialect, err error, sku SKU, fieldName, what string) error {
	if _, ok := d.UniqueViolation(err); ok {
		e := apperr.New(apperr.Conflict, "SKU %q already exists", sku)
		e.Fields = []apperr.FieldError{{Field: fieldName, Message: fmt.Sprintf("SKU %q already exists", sku), Value: string(sku)}}
		return e
	}
	return fmt.Errorf("%s %q: %w", what, sku, err)
}

// where accumulates SQL conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

// arg adds a bind argument and returns its placeholder.
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

// skuPrefixRange returns the bounds of a SKU prefix search, or ok=false when
// q cannot be the start of a SKU. SKUs hold only ASCII below '~', so every SKU
// that starts with p sorts in [p, p+"~"). Both engines compare SKUs in byte
// order (SQLite BINARY, PostgreSQL COLLATE "C"), so this is an index range.
func skuPrefixRange(q string) (lo, hi string, ok bool) {
	if q == "" || len(q) > MaxSKULen {
		return "", "", false
	}
	for i := 0; i < len(q); i++ {
		if !skuChar(q[i]) {
			return "", "", false
		}
	}
	lo = strings.ToUpper(q)
	return lo, lo + "~", true
}
