package storefront

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/store"
)

// Enqueuer inserts a job inside a transaction (jobs.Queue does).
type Enqueuer interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs) (int64, error)
}

// Service manages targets, mappings and the outbox. Sending is the Sender's.
type Service struct {
	db    *store.DB
	now   func() time.Time
	queue Enqueuer
}

// New returns the service on db. queue may be nil: changes are then only
// picked up by the periodic dispatcher, never kicked.
func New(db *store.DB, now func() time.Time, queue Enqueuer) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now, queue: queue}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// MaxMappingsPerUpload bounds one mapping upload.
const MaxMappingsPerUpload = 1000

const targetColumns = `t.id, t.name, t.kind, t.url, t.secret, t.location_id, t.api_version, t.currency, t.rate_per_second,
	t.batch_size, t.enabled, t.sent_variants, t.last_sent_at, t.last_error, t.last_error_at, t.created_at, t.updated_at`

func scanTarget(sc interface{ Scan(...any) error }) (*Target, *targetConfig, error) {
	var t Target
	var c targetConfig
	var lastSent, lastErr sql.NullTime
	if err := sc.Scan(&t.ID, &t.Name, &t.Kind, &t.URL, &c.secret, &t.LocationID, &t.APIVersion, &t.Currency, &t.RatePerSecond,
		&t.BatchSize, &t.Enabled, &t.SentVariants, &lastSent, &t.LastError, &lastErr, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return nil, nil, err
	}
	t.SecretSet = c.secret != ""
	t.LastSentAt = timePtr(lastSent)
	t.LastErrorAt = timePtr(lastErr)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	c.id, c.name, c.kind, c.url, c.locationID, c.apiVersion, c.currency = t.ID, t.Name, t.Kind, t.URL, t.LocationID, t.APIVersion, t.Currency
	c.ratePerSecond, c.batchSize, c.enabled = t.RatePerSecond, t.BatchSize, t.Enabled
	return &t, &c, nil
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// loadTarget reads one target with its secret.
func loadTarget(ctx context.Context, q store.Querier, id int64) (*Target, *targetConfig, error) {
	t, c, err := scanTarget(q.QueryRowContext(ctx, `SELECT `+targetColumns+` FROM storefront_targets t WHERE t.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, apperr.New(apperr.NotFound, "storefront target %d not found", id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read storefront target %d: %w", id, err)
	}
	return t, c, nil
}

// CreateTarget stores a new target. Every variant is queued for it at once,
// so the storefront starts from Orderly's values (a full sync).
func (s *Service) CreateTarget(ctx context.Context, in NewTarget) (*Target, error) {
	c := targetConfig{name: in.Name, kind: in.Kind, url: in.URL, secret: in.Secret, locationID: in.LocationID,
		apiVersion: in.APIVersion, currency: in.Currency, ratePerSecond: in.RatePerSecond, batchSize: in.BatchSize, enabled: !in.Disabled}
	if err := c.check(); err != nil {
		return nil, err
	}
	now := s.clock()
	var id int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO storefront_targets (name, kind, url, secret, location_id, api_version, currency,
			rate_per_second, batch_size, enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
			c.name, c.kind, c.url, c.secret, c.locationID, c.apiVersion, c.currency, c.ratePerSecond, c.batchSize, c.enabled, now).Scan(&id)
		if _, dup := s.db.Dialect.UniqueViolation(err); dup {
			return apperr.InvalidField("name", "a storefront target named %q exists already", c.name)
		}
		if err != nil {
			return fmt.Errorf("create storefront target: %w", err)
		}
		if _, err := queueVariants(ctx, tx, id, now, nil); err != nil {
			return err
		}
		return s.kick(ctx, tx, id, c.enabled)
	})
	if err != nil {
		return nil, err
	}
	return s.Target(ctx, id)
}

// Targets lists every target with its outbox status, in id order.
func (s *Service) Targets(ctx context.Context) ([]Target, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+targetColumns+` FROM storefront_targets t ORDER BY t.id`)
	if err != nil {
		return nil, fmt.Errorf("list storefront targets: %w", err)
	}
	defer rows.Close()
	out := []Target{}
	for rows.Next() {
		t, _, err := scanTarget(rows)
		if err != nil {
			return nil, fmt.Errorf("list storefront targets: %w", err)
		}
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list storefront targets: %w", err)
	}
	for i := range out {
		if err := s.status(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Target returns one target with its outbox status.
func (s *Service) Target(ctx context.Context, id int64) (*Target, error) {
	t, _, err := loadTarget(ctx, s.db.R, id)
	if err != nil {
		return nil, err
	}
	if err := s.status(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// status fills t's outbox counts.
func (s *Service) status(ctx context.Context, t *Target) error {
	now := s.clock()
	err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN not_before > $2 THEN 1 ELSE 0 END), 0)
		FROM storefront_outbox WHERE target_id = $1`, t.ID, now).Scan(&t.Pending, &t.SetAside)
	if err != nil {
		return fmt.Errorf("status of storefront target %d: %w", t.ID, err)
	}
	var oldest time.Time
	err = s.db.R.QueryRowContext(ctx, `SELECT queued_at FROM storefront_outbox WHERE target_id = $1
		ORDER BY queued_at LIMIT 1`, t.ID).Scan(&oldest)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("status of storefront target %d: %w", t.ID, err)
	default:
		oldest = oldest.UTC()
		t.OldestChange = &oldest
	}
	return nil
}

// UpdateTarget changes a target. Enabling it kicks a drain, which sends
// what changed while it was disabled.
func (s *Service) UpdateTarget(ctx context.Context, id int64, p TargetPatch) (*Target, error) {
	now := s.clock()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, c, err := loadTarget(ctx, tx, id)
		if err != nil {
			return err
		}
		wasEnabled := c.enabled
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&c.name, p.Name)
		set(&c.url, p.URL)
		set(&c.secret, p.Secret)
		set(&c.locationID, p.LocationID)
		set(&c.apiVersion, p.APIVersion)
		set(&c.currency, p.Currency)
		if p.RatePerSecond != nil {
			c.ratePerSecond = *p.RatePerSecond
			if c.ratePerSecond == 0 {
				c.ratePerSecond = -1 // zero is "default" only when creating
			}
		}
		if p.BatchSize != nil {
			c.batchSize = *p.BatchSize
			if c.batchSize == 0 {
				c.batchSize = -1
			}
		}
		if p.Enabled != nil {
			c.enabled = *p.Enabled
		}
		if err := c.check(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE storefront_targets SET name = $2, url = $3, secret = $4, location_id = $5, api_version = $6,
			currency = $7, rate_per_second = $8, batch_size = $9, enabled = $10, updated_at = $11 WHERE id = $1`,
			id, c.name, c.url, c.secret, c.locationID, c.apiVersion, c.currency, c.ratePerSecond, c.batchSize, c.enabled, now)
		if _, dup := s.db.Dialect.UniqueViolation(err); dup {
			return apperr.InvalidField("name", "a storefront target named %q exists already", c.name)
		}
		if err != nil {
			return fmt.Errorf("update storefront target %d: %w", id, err)
		}
		return s.kick(ctx, tx, id, c.enabled && !wasEnabled)
	})
	if err != nil {
		return nil, err
	}
	return s.Target(ctx, id)
}

// DeleteTarget removes a target with its mappings and outbox.
func (s *Service) DeleteTarget(ctx context.Context, id int64) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM storefront_targets WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("delete storefront target %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "storefront target %d not found", id)
		}
		return nil
	})
}

// Resync queues every variant for the target (stock and price), e.g. after
// products were added on the storefront. It returns how many were queued.
func (s *Service) Resync(ctx context.Context, id int64) (int, error) {
	now := s.clock()
	var n int
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, c, err := loadTarget(ctx, tx, id)
		if err != nil {
			return err
		}
		// A resync looks SKUs up again that were not found before.
		if _, err := tx.ExecContext(ctx, `DELETE FROM storefront_mappings WHERE target_id = $1 AND NOT found`, id); err != nil {
			return fmt.Errorf("resync storefront target %d: %w", id, err)
		}
		if n, err = queueVariants(ctx, tx, id, now, nil); err != nil {
			return err
		}
		return s.kick(ctx, tx, id, c.enabled)
	})
	return n, err
}

// queueVariants upserts outbox rows (stock and price) for the target's
// variants: all of them (skus nil) or those with the given SKUs. Rows set
// aside are due again.
func queueVariants(ctx context.Context, tx *sql.Tx, target int64, now time.Time, skus []string) (int, error) {
	q := `INSERT INTO storefront_outbox (target_id, variant_id, stock, price, queued_at, changed_at)
		SELECT $1, v.id, TRUE, TRUE, $2, $2 FROM variants v WHERE TRUE`
	args := []any{target, now}
	if skus != nil {
		marks := make([]string, len(skus))
		for i, sku := range skus {
			args = append(args, sku)
			marks[i] = "$" + strconv.Itoa(i+3)
		}
		q += ` AND v.sku IN (` + strings.Join(marks, ", ") + `)`
	}
	q += ` ON CONFLICT (target_id, variant_id) DO UPDATE SET version = storefront_outbox.version + 1, stock = TRUE, price = TRUE,
		not_before = NULL, changed_at = excluded.changed_at`
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("queue variants for storefront target %d: %w", target, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// kick enqueues a drain of the target now (if do), instead of waiting for
// the periodic dispatcher.
func (s *Service) kick(ctx context.Context, tx *sql.Tx, target int64, do bool) error {
	if !do || s.queue == nil {
		return nil
	}
	if _, err := s.queue.InsertTx(ctx, tx, DrainArgs{TargetID: target}); err != nil {
		return err
	}
	return nil
}

// Kick enqueues, inside tx, a drain of every enabled target with something
// to send. Nothing needs to call it (the dispatcher drains every few
// seconds), but a code path that wants its change out sooner may.
func (s *Service) Kick(ctx context.Context, tx *sql.Tx) error {
	ids, err := dueTargets(ctx, tx, s.clock())
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.kick(ctx, tx, id, true); err != nil {
			return err
		}
	}
	return nil
}

// PutMappings stores (replaces) mappings of SKUs to a Shopify target's ids
// and queues those SKUs' variants, so the storefront gets their values.
// It returns how many variants were queued.
func (s *Service) PutMappings(ctx context.Context, id int64, in []MappingInput) (int, error) {
	if len(in) == 0 || len(in) > MaxMappingsPerUpload {
		return 0, apperr.InvalidField("items", "give between 1 and %d mappings (got %d)", MaxMappingsPerUpload, len(in))
	}
	type row struct{ sku, variant, item, product string }
	rows := make([]row, len(in))
	var fs apperr.Fields
	seen := map[string]int{}
	for i, m := range in {
		p := fmt.Sprintf("items[%d]", i)
		sku, err := catalog.ParseSKU(m.SKU)
		if err != nil {
			fs.Add(p+".sku", "%v", err)
		} else if j, dup := seen[string(sku)]; dup {
			fs.Add(p+".sku", "SKU %s is also in items[%d]", sku, j)
		}
		seen[string(sku)] = i
		r := row{sku: string(sku)}
		for _, f := range []struct {
			name, typ, v string
			dst          *string
		}{{"variant_id", "ProductVariant", m.VariantID, &r.variant}, {"inventory_item_id", "InventoryItem", m.InventoryItemID, &r.item},
			{"product_id", "Product", m.ProductID, &r.product}} {
			gid, err := shopifyGID(f.typ, f.v)
			if err != nil {
				fs.Add(p+"."+f.name, "%v", err)
			}
			*f.dst = gid
		}
		rows[i] = r
	}
	if err := fs.Err(); err != nil {
		return 0, err
	}
	now := s.clock()
	var n int
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, c, err := loadTarget(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.kind != KindShopify {
			return apperr.New(apperr.Invalid, "storefront target %d is a %s target: it publishes by SKU and needs no mapping", id, c.kind)
		}
		for _, r := range rows {
			if _, err := tx.ExecContext(ctx, `INSERT INTO storefront_mappings (target_id, sku, remote_variant_id, inventory_item_id, product_id,
				source, found, updated_at) VALUES ($1, $2, $3, $4, $5, 'upload', TRUE, $6)
				ON CONFLICT (target_id, sku) DO UPDATE SET remote_variant_id = excluded.remote_variant_id, inventory_item_id = excluded.inventory_item_id,
					product_id = excluded.product_id, source = 'upload', found = TRUE, updated_at = excluded.updated_at`,
				id, r.sku, r.variant, r.item, r.product, now); err != nil {
				return fmt.Errorf("store mapping of %s: %w", r.sku, err)
			}
		}
		skus := make([]string, len(rows))
		for i, r := range rows {
			skus[i] = r.sku
		}
		if n, err = queueVariants(ctx, tx, id, now, skus); err != nil {
			return err
		}
		return s.kick(ctx, tx, id, c.enabled)
	})
	return n, err
}

// Mappings lists a target's mappings in SKU order, after the SKU after.
func (s *Service) Mappings(ctx context.Context, id int64, after string, limit int) ([]Mapping, error) {
	if _, _, err := loadTarget(ctx, s.db.R, id); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT sku, remote_variant_id, inventory_item_id, product_id, source, found, updated_at
		FROM storefront_mappings WHERE target_id = $1 AND sku > $2 ORDER BY sku LIMIT $3`, id, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list mappings of storefront target %d: %w", id, err)
	}
	defer rows.Close()
	out := []Mapping{}
	for rows.Next() {
		var m Mapping
		if err := rows.Scan(&m.SKU, &m.VariantID, &m.InventoryItemID, &m.ProductID, &m.Source, &m.Found, &m.UpdatedAt); err != nil {
			return nil, fmt.Errorf("list mappings of storefront target %d: %w", id, err)
		}
		m.UpdatedAt = m.UpdatedAt.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// Outbox lists a target's unpublished variants in variant id order, after
// the variant id after.
func (s *Service) Outbox(ctx context.Context, id int64, after int64, limit int) ([]Pending, error) {
	if _, _, err := loadTarget(ctx, s.db.R, id); err != nil {
		return nil, err
	}
	now := s.clock()
	rows, err := s.db.R.QueryContext(ctx, `SELECT o.variant_id, v.sku, o.stock, o.price, o.version, o.queued_at, o.changed_at,
		o.claimed_until, o.not_before, o.attempts, o.last_error
		FROM storefront_outbox o JOIN variants v ON v.id = o.variant_id
		WHERE o.target_id = $1 AND o.variant_id > $2 ORDER BY o.variant_id LIMIT $3`, id, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list outbox of storefront target %d: %w", id, err)
	}
	defer rows.Close()
	out := []Pending{}
	for rows.Next() {
		var p Pending
		var claimed, notBefore sql.NullTime
		if err := rows.Scan(&p.VariantID, &p.SKU, &p.Stock, &p.Price, &p.Version, &p.QueuedAt, &p.ChangedAt, &claimed, &notBefore,
			&p.Attempts, &p.LastError); err != nil {
			return nil, fmt.Errorf("list outbox of storefront target %d: %w", id, err)
		}
		p.QueuedAt, p.ChangedAt = p.QueuedAt.UTC(), p.ChangedAt.UTC()
		p.ClaimedUntil = timePtr(claimed)
		p.InFlight = claimed.Valid && claimed.Time.After(now)
		if notBefore.Valid && notBefore.Time.After(now) {
			p.NotBefore = timePtr(notBefore)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
