package bench

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/store"
)

// Raw places orders with plain SQL, one transaction per order: the ceiling
// that orders.Service.Place is compared with. It writes the rows Place writes
// for an order whose lines are all reserved (no hold, no backorder), with no
// reads besides the ids INSERT ... RETURNING gives back: prices, titles and
// offers come from the in-memory catalog, and nothing is validated.
//
// Per order, in one transaction:
//
//	customers            1 upsert (INSERT ... ON CONFLICT (email_key) DO UPDATE ... RETURNING id)
//	customer_addresses   1 upsert
//	orders               1 INSERT ... RETURNING id (in its final state)
//	stock_positions      1 conditional UPDATE per line (reserved + qty where enough is left), in offer id order
//	order_lines          1 INSERT per line
//	stock_reservations   1 INSERT per line
//	order_timeline       1 INSERT (the "placed" entry, with a JSON detail)
//	river_job            1 INSERT (the order.placed event), unless WithoutJob
//
// Place additionally reads the variants and their stock policies and
// positions, checks for a duplicate external id, and updates the order's
// state once its lines are decided.
type Raw struct {
	DB *store.DB
	// WithoutJob leaves out the river_job row, to show what the outbox costs.
	WithoutJob bool
	// Prepared runs every statement as a prepared statement, parsed once
	// (database/sql's Stmt through Tx.StmtContext). SQLite connections
	// cache their prepared statements anyway (store's statement cache), so
	// this should place about as many orders as without: it checks that.
	Prepared bool
	Now      func() time.Time

	once  sync.Once
	err   error
	stmts map[string]*sql.Stmt
}

// prepare prepares every statement of Place on the database, outside any
// transaction (on SQLite a transaction holds the only write connection).
func (r *Raw) prepare(ctx context.Context) error {
	r.once.Do(func() {
		r.stmts = map[string]*sql.Stmt{}
		for _, q := range []string{qCustomer, qAddress, qOrder, qReserve, qLine, qReservation, qTimeline, r.jobSQL()} {
			st, err := r.DB.W.PrepareContext(ctx, q)
			if err != nil {
				r.err = fmt.Errorf("raw: prepare: %w", err)
				return
			}
			r.stmts[q] = st
		}
	})
	return r.err
}

// rawTx runs the statements of one order, prepared or not.
type rawTx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (t rawTx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st, ok := t.stmts[q]; ok {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

func (t rawTx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st, ok := t.stmts[q]; ok {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

func (r *Raw) jobSQL() string {
	if r.DB.Engine == store.SQLite {
		return `INSERT INTO river_job (args, kind, max_attempts, metadata, priority, queue, state, scheduled_at, created_at, tags)
			VALUES (jsonb($1), 'order_event', 25, jsonb('{}'), 1, 'default', 'available',
				datetime('now', 'subsec'), datetime('now', 'subsec'), jsonb('[]'))`
	}
	return `INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at)
			VALUES ($1, 'order_event', 25, 1, 'default', 'available', now())`
}

const (
	qCustomer = `INSERT INTO customers (email, email_key, name, name_key, phone, locale,
				orders_count, first_order_at, last_order_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, '', 'it', 1, $5, $5, $5, $5)
			ON CONFLICT (email_key) DO UPDATE SET orders_count = customers.orders_count + 1,
				last_order_at = excluded.last_order_at, updated_at = excluded.updated_at
			RETURNING id`
	qAddress = `INSERT INTO customer_addresses (customer_id, name, company, line1, line2, city, region,
				postal_code, country, phone, address_key, last_used_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (customer_id, address_key) DO UPDATE SET last_used_at = excluded.last_used_at`
	qOrder = `INSERT INTO orders (channel, external_id, customer_id, email, email_key, locale, state, currency,
				subtotal_amount, discount_amount, shipping_amount, tax_amount, taxes_included, total_amount, charged_amount,
				ship_name, ship_company, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code, ship_country, ship_phone,
				payment_status, risk, note, placed_at, created_at, updated_at)
			VALUES ('api', $1, $2, $3, $4, 'it', 'ready_to_route', 'EUR', $5, 0, 0, 0, false, $5, $5,
				$6, $7, $8, $9, $10, $11, $12, $13, $14, 'paid', 'low', '', $15, $15, $15) RETURNING id`
	qReserve = `UPDATE stock_positions SET reserved = reserved + $1, updated_at = $2
				WHERE offer_id = $3 AND reported - buffer - reserved >= $1`
	qLine = `INSERT INTO order_lines (order_id, position, variant_id, sku, title, state, quantity,
					unit_price_amount, discount_amount, tax_amount, total_amount, qty_reserved, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, 'allocated', $6, $7, 0, 0, $8, $6, $9, $9) RETURNING id`
	qReservation = `INSERT INTO stock_reservations (ref, variant_id, offer_id, quantity, created_at)
				VALUES ($1, $2, $3, $4, $5)`
	qTimeline = `INSERT INTO order_timeline (order_id, event, to_state, actor, detail, created_at)
			VALUES ($1, 'placed', 'ready_to_route', 'token:bench', $2, $3) RETURNING id`
)

// Place writes one order.
func (r *Raw) Place(ctx context.Context, o *Order) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	if r.Now != nil {
		now = r.Now().UTC().Truncate(time.Microsecond)
	}
	addr := customers.NormalizeAddress(address(o.Name))
	email := o.Email
	emailKey := customers.EmailKey(email)
	var subtotal int64
	for _, l := range o.Lines {
		subtotal += l.SKU.Price * int64(l.Qty)
	}
	byOffer := slices.Clone(o.Lines)
	slices.SortFunc(byOffer, func(a, b Line) int { return cmp.Compare(a.SKU.Offer, b.SKU.Offer) })
	var stmts map[string]*sql.Stmt
	if r.Prepared {
		if err := r.prepare(ctx); err != nil {
			return err
		}
		stmts = r.stmts
	}
	return r.DB.InTx(ctx, func(sqlTx *sql.Tx) error {
		tx := rawTx{tx: sqlTx, stmts: stmts}
		var cust int64
		err := tx.queryRow(ctx, qCustomer, email, emailKey, o.Name, strings.ToLower(o.Name), now).Scan(&cust)
		if err != nil {
			return fmt.Errorf("raw: customer: %w", err)
		}
		if _, err := tx.exec(ctx, qAddress,
			cust, addr.Name, addr.Company, addr.Line1, addr.Line2, addr.City, addr.Region, addr.PostalCode, addr.Country, addr.Phone,
			addr.Key(), now); err != nil {
			return fmt.Errorf("raw: address: %w", err)
		}
		var number int64
		err = tx.queryRow(ctx, qOrder, o.ExternalID, cust, email, emailKey, subtotal,
			addr.Name, addr.Company, addr.Line1, addr.Line2, addr.City, addr.Region, addr.PostalCode, addr.Country, addr.Phone,
			now).Scan(&number)
		if err != nil {
			return fmt.Errorf("raw: order: %w", err)
		}
		for _, l := range byOffer {
			res, err := tx.exec(ctx, qReserve, l.Qty, now, l.SKU.Offer)
			if err != nil {
				return fmt.Errorf("raw: reserve: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return fmt.Errorf("raw: offer %d has not %d units left", l.SKU.Offer, l.Qty)
			}
		}
		lineIDs := make([]int64, len(o.Lines))
		detail := make([]map[string]any, len(o.Lines))
		for i, l := range o.Lines {
			total := l.SKU.Price * int64(l.Qty)
			if err := tx.queryRow(ctx, qLine, number, i+1, l.SKU.Variant, l.SKU.SKU, l.SKU.Title, l.Qty, l.SKU.Price, total, now).
				Scan(&lineIDs[i]); err != nil {
				return fmt.Errorf("raw: line: %w", err)
			}
			if _, err := tx.exec(ctx, qReservation, fmt.Sprintf("order:%d/line:%d", number, i+1), l.SKU.Variant, l.SKU.Offer, l.Qty, now); err != nil {
				return fmt.Errorf("raw: reservation: %w", err)
			}
			detail[i] = map[string]any{"line": i + 1, "sku": l.SKU.SKU, "quantity": l.Qty, "reserved": l.Qty}
		}
		js, err := json.Marshal(map[string]any{"channel": "api", "external_id": o.ExternalID, "lines": detail})
		if err != nil {
			return err
		}
		var entry int64
		if err := tx.queryRow(ctx, qTimeline, number, string(js), now).Scan(&entry); err != nil {
			return fmt.Errorf("raw: timeline: %w", err)
		}
		if r.WithoutJob {
			return nil
		}
		args, err := json.Marshal(map[string]any{"event": "order.placed", "order": number, "lines": lineIDs, "entry": entry})
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, r.jobSQL(), string(args)); err != nil {
			return fmt.Errorf("raw: job: %w", err)
		}
		return nil
	})
}
