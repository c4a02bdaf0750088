package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
)

// Service creates, changes and lists products and variants.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// NewService returns a catalog service on db; now is its clock.
func NewService(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now}
}

func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// CreateProduct creates a product and its variants in one transaction: if
// any variant is refused, nothing is created.
func (s *Service) CreateProduct(ctx context.Context, in NewProduct) (Product, error) {
	var fs apperr.Fields
	pf := in.parse(&fs)
	variants := make([]Variant, len(in.Variants))
	firstIndex := map[SKU]int{}
	for i, nv := range in.Variants {
		prefix := fmt.Sprintf("variants[%d]", i)
		variants[i] = nv.parse(&fs, prefix)
		if sku := variants[i].SKU; sku != "" {
			if j, dup := firstIndex[sku]; dup {
				fs.Add(prefix+".sku", "SKU %q is also given in variants[%d]", sku, j)
			} else {
				firstIndex[sku] = i
			}
		}
	}
	if err := fs.Err(); err != nil {
		return Product{}, err
	}
	now := s.timestamp()
	var out Product
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO products (title, description, vendor, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			pf.title, pf.description, pf.vendor, string(pf.status), now, now).Scan(&id)
		if err != nil {
			return fmt.Errorf("insert product: %w", err)
		}
		if err := replaceTags(ctx, tx, id, pf.tags); err != nil {
			return err
		}
		for i, v := range variants {
			v.ProductID, v.CreatedAt, v.UpdatedAt = id, now, now
			if _, err := insertVariant(ctx, tx, s.db.Dialect, v, fmt.Sprintf("variants[%d].sku", i)); err != nil {
				return err
			}
		}
		out, err = productWithVariants(ctx, tx, id)
		return err
	})
	return out, err
}

func productWithVariants(ctx context.Context, q store.Querier, id int64) (Product, error) {
	p, err := getProduct(ctx, q, id)
	if err != nil {
		return p, err
	}
	p.Variants, err = queryVariants(ctx, q, `SELECT `+variantColumns+variantFrom+` WHERE v.product_id = $1 ORDER BY v.id`, id)
	return p, err
}

// Product returns a product with its tags and variants.
func (s *Service) Product(ctx context.Context, id int64) (Product, error) {
	return productWithVariants(ctx, s.db.R, id)
}

// UpdateProduct changes the fields of a product that p sets.
func (s *Service) UpdateProduct(ctx context.Context, id int64, p ProductPatch) (Product, error) {
	var out Product
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		pr, err := getProduct(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := p.apply(&pr); err != nil {
			return err
		}
		pr.UpdatedAt = s.timestamp()
		_, err = tx.ExecContext(ctx, `UPDATE products SET title = $1, description = $2, vendor = $3, status = $4,
			updated_at = $5 WHERE id = $6`, pr.Title, pr.Description, pr.Vendor, string(pr.Status), pr.UpdatedAt, id)
		if err != nil {
			return fmt.Errorf("update product %d: %w", id, err)
		}
		if p.Tags != nil {
			if err := replaceTags(ctx, tx, id, pr.Tags); err != nil {
				return err
			}
		}
		out, err = productWithVariants(ctx, tx, id)
		return err
	})
	return out, err
}

// DeleteProduct deletes a product and its variants. It is refused with a
// Conflict when any variant has supplier offers (or anything else refers to
// it, such as stock or orders): archive the product instead.
func (s *Service) DeleteProduct(ctx context.Context, id int64) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := getProduct(ctx, tx, id); err != nil {
			return err
		}
		var offers int
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM supplier_offers o JOIN variants v ON v.id = o.variant_id
			WHERE v.product_id = $1`, id).Scan(&offers)
		if err != nil {
			return fmt.Errorf("count offers of product %d: %w", id, err)
		}
		if offers > 0 {
			return apperr.New(apperr.Conflict, "product %d has variants with %d supplier offers; archive it instead (status archived)", id, offers)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM variants WHERE product_id = $1`, id); err != nil {
			return s.referenced(err, "product %d has variants that stock or orders refer to; archive it instead (status archived)", id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM products WHERE id = $1`, id); err != nil {
			return s.referenced(err, "product %d is referred to elsewhere; archive it instead (status archived)", id)
		}
		return nil
	})
}

// referenced turns a foreign-key violation into a Conflict with msg.
func (s *Service) referenced(err error, format string, args ...any) error {
	if s.db.Dialect.ForeignKeyViolation(err) {
		return apperr.Wrap(err, apperr.Conflict, format, args...)
	}
	return fmt.Errorf("delete: %w", err)
}

// CreateVariant adds a variant to an existing product.
func (s *Service) CreateVariant(ctx context.Context, productID int64, in NewVariant) (Variant, error) {
	var fs apperr.Fields
	v := in.parse(&fs, "")
	if err := fs.Err(); err != nil {
		return Variant{}, err
	}
	var out Variant
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := getProduct(ctx, tx, productID); err != nil {
			return err
		}
		now := s.timestamp()
		v.ProductID, v.CreatedAt, v.UpdatedAt = productID, now, now
		id, err := insertVariant(ctx, tx, s.db.Dialect, v, "sku")
		if err != nil {
			return err
		}
		out, err = getVariant(ctx, tx, id)
		return err
	})
	return out, err
}

// Variant returns one variant.
func (s *Service) Variant(ctx context.Context, id int64) (Variant, error) {
	return getVariant(ctx, s.db.R, id)
}

// VariantBySKU returns the variant with the given SKU (any case).
func (s *Service) VariantBySKU(ctx context.Context, sku string) (Variant, error) {
	k, err := ParseSKU(sku)
	if err != nil {
		return Variant{}, apperr.InvalidField("sku", "%v", err)
	}
	return getVariantBySKU(ctx, s.db.R, k)
}

// UpdateVariant changes the fields of a variant that p sets.
func (s *Service) UpdateVariant(ctx context.Context, id int64, p VariantPatch) (Variant, error) {
	var out Variant
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		v, err := getVariant(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := p.apply(&v); err != nil {
			return err
		}
		v.UpdatedAt = s.timestamp()
		if err := updateVariantRow(ctx, tx, s.db.Dialect, v); err != nil {
			return err
		}
		out, err = getVariant(ctx, tx, id)
		return err
	})
	return out, err
}

// DeleteVariant deletes a variant that nothing refers to. A variant with
// supplier offers, stock or orders is refused with a Conflict: archive it.
func (s *Service) DeleteVariant(ctx context.Context, id int64) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		v, err := getVariant(ctx, tx, id)
		if err != nil {
			return err
		}
		var offers int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM supplier_offers WHERE variant_id = $1`, id).Scan(&offers); err != nil {
			return fmt.Errorf("count offers of variant %d: %w", id, err)
		}
		if offers > 0 {
			return apperr.New(apperr.Conflict, "variant %d (SKU %s) has %d supplier offers; archive it instead (status archived)", id, v.SKU, offers)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM variants WHERE id = $1`, id); err != nil {
			return s.referenced(err, "variant %d (SKU %s) is referred to by stock or orders; archive it instead (status archived)", id, v.SKU)
		}
		return nil
	})
}

// selectiveThreshold is the number of matching rows below which a search is
// answered from the title and SKU indexes rather than by walking the table.
// Tests lower it to exercise the walk.
var selectiveThreshold = 300

// selectiveSearch reports whether a title/SKU search for q matches few rows
// (fewer than selectiveThreshold), counted cheaply from the indexes. Only
// SQLite has the title indexes (FTS5 trigram tables, migration 00003), and
// they answer LIKE from the index only without an ESCAPE clause, so a q with
// LIKE wildcards is never selective. Rare matches are the slow case of the
// table walk; common ones are fast there, because a page fills quickly.
func (s *Service) selectiveSearch(ctx context.Context, q string, variants bool) (bool, error) {
	if s.db.Engine != store.SQLite || strings.ContainsAny(q, `%_\`) {
		return false, nil
	}
	lo, hi, isSKU := skuPrefixRange(q)
	if !isSKU {
		lo, hi = "", "" // an empty range: no SKU matches
	}
	pat := "%" + q + "%"
	query := `SELECT
		(SELECT COUNT(*) FROM (SELECT 1 FROM variants WHERE sku >= $1 AND sku < $2 LIMIT $4)) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM product_title_search WHERE title LIKE $3 LIMIT $4))`
	if variants {
		query = `SELECT
		(SELECT COUNT(*) FROM (SELECT 1 FROM variants WHERE sku >= $1 AND sku < $2 LIMIT $4)) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM variant_title_search WHERE title LIKE $3 LIMIT $4)) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM variants WHERE product_id IN
			(SELECT rowid FROM product_title_search WHERE title LIKE $3 LIMIT $4) LIMIT $4))`
	}
	var n int
	if err := s.db.R.QueryRowContext(ctx, query, lo, hi, pat, selectiveThreshold).Scan(&n); err != nil {
		return false, fmt.Errorf("estimate search %q: %w", q, err)
	}
	return n < selectiveThreshold, nil
}

// Filter selects products or variants in a list. Zero fields do not filter.
// Lists are ordered by id and paginated by keyset: After is the last id of
// the previous page.
type Filter struct {
	Status     Status
	Tag        string
	SupplierID int64 // products/variants offered by this supplier
	ProductID  int64 // variants only
	// Query matches a SKU prefix or a substring of the title (case-insensitive).
	Query string
	After int64
	Limit int // at most 1000; 0 means 50
}

func (f Filter) limit() int {
	switch {
	case f.Limit <= 0:
		return 50
	case f.Limit > 1000:
		return 1000
	}
	return f.Limit
}

// ListProducts returns one page of products (without variants) matching f.
func (s *Service) ListProducts(ctx context.Context, f Filter) ([]Product, error) {
	var w where
	if f.Status != "" {
		w.add("p.status = " + w.arg(string(f.Status)))
	}
	if tag := strings.ToLower(strings.TrimSpace(f.Tag)); tag != "" {
		w.add("(SELECT 1 FROM product_tags t WHERE t.product_id = p.id AND t.tag = " + w.arg(tag) + ") = 1") // see ListVariants
	}
	if f.SupplierID != 0 {
		w.add(`(SELECT 1 FROM variants sv JOIN supplier_offers so ON so.variant_id = sv.id
			WHERE sv.product_id = p.id AND so.supplier_id = ` + w.arg(f.SupplierID) + " LIMIT 1) = 1")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		selective, err := s.selectiveSearch(ctx, q, false)
		if err != nil {
			return nil, err
		}
		lo, hi, isSKU := skuPrefixRange(q)
		if selective {
			cond := "p.id IN (SELECT rowid FROM product_title_search WHERE title LIKE " + w.arg("%"+q+"%")
			if isSKU {
				cond += " UNION SELECT product_id FROM variants WHERE sku >= " + w.arg(lo) + " AND sku < " + w.arg(hi)
			}
			w.add(cond + ")")
		} else {
			cond := "p.title " + s.db.Dialect.ILike() + " " + w.arg("%"+store.LikePattern(q)+"%") + ` ESCAPE '\'`
			if isSKU {
				cond += " OR p.id IN (SELECT qv.product_id FROM variants qv WHERE qv.sku >= " + w.arg(lo) +
					" AND qv.sku < " + w.arg(hi) + ")"
			}
			w.add("(" + cond + ")")
		}
	}
	if f.After > 0 {
		w.add("p.id > " + w.arg(f.After))
	}
	query := `SELECT ` + productColumns + ` FROM products p` + w.sql() + ` ORDER BY p.id LIMIT ` + w.arg(f.limit())
	rows, err := s.db.R.QueryContext(ctx, query, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	defer rows.Close()
	out := []Product{}
	var ids []int64
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, fmt.Errorf("list products: %w", err)
		}
		out = append(out, p)
		ids = append(ids, p.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	rows.Close()
	tags, err := loadTags(ctx, s.db.R, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Tags = tags[out[i].ID]
		if out[i].Tags == nil {
			out[i].Tags = []string{}
		}
	}
	return out, nil
}

// ListVariants returns one page of variants matching f.
func (s *Service) ListVariants(ctx context.Context, f Filter) ([]Variant, error) {
	var w where
	if f.Status != "" {
		w.add("v.status = " + w.arg(string(f.Status)))
	}
	if f.ProductID != 0 {
		w.add("v.product_id = " + w.arg(f.ProductID))
	}
	// Tag and supplier filters are correlated probes on primary or unique
	// keys: the list walks variants in id order and stops after one page, so
	// a filter that many rows match costs one page of probes. They are
	// written as "(SELECT 1 ...) = 1" rather than EXISTS because SQLite turns
	// EXISTS into a join that first reads every matching tag or offer into a
	// Bloom filter (25 ms instead of 0.6 ms at 100k variants; see
	// BenchmarkListVariants).
	if tag := strings.ToLower(strings.TrimSpace(f.Tag)); tag != "" {
		w.add("(SELECT 1 FROM product_tags t WHERE t.product_id = v.product_id AND t.tag = " + w.arg(tag) + ") = 1")
	}
	if f.SupplierID != 0 {
		w.add("(SELECT 1 FROM supplier_offers so WHERE so.supplier_id = " + w.arg(f.SupplierID) + " AND so.variant_id = v.id) = 1")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		selective, err := s.selectiveSearch(ctx, q, true)
		if err != nil {
			return nil, err
		}
		lo, hi, isSKU := skuPrefixRange(q)
		if selective {
			// Few matches: collect them from the indexes, then sort that
			// handful by id.
			pat := w.arg("%" + q + "%")
			cond := "v.id IN (SELECT rowid FROM variant_title_search WHERE title LIKE " + pat +
				" UNION SELECT id FROM variants WHERE product_id IN (SELECT rowid FROM product_title_search WHERE title LIKE " + pat + ")"
			if isSKU {
				cond += " UNION SELECT id FROM variants WHERE sku >= " + w.arg(lo) + " AND sku < " + w.arg(hi)
			}
			w.add(cond + ")")
		} else {
			// Many matches (or no search index): walk variants in id order;
			// a page fills after a few rows.
			pat := w.arg("%" + store.LikePattern(q) + "%")
			ilike := s.db.Dialect.ILike()
			cond := "v.title " + ilike + " " + pat + ` ESCAPE '\' OR p.title ` + ilike + " " + pat + ` ESCAPE '\'`
			if isSKU {
				cond = "(v.sku >= " + w.arg(lo) + " AND v.sku < " + w.arg(hi) + ") OR " + cond
			}
			w.add("(" + cond + ")")
		}
	}
	if f.After > 0 {
		w.add("v.id > " + w.arg(f.After))
	}
	query := `SELECT ` + variantColumns + variantFrom + w.sql() + ` ORDER BY v.id LIMIT ` + w.arg(f.limit())
	return queryVariants(ctx, s.db.R, query, w.args...)
}
