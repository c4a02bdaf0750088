package calendars

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/promise"
	"github.com/orderly-oms/orderly/internal/store"
)

const calendarColumns = `c.supplier_id, su.name, su.timezone, su.country, c.processing_days, c.cutoff_minute, c.handling_days,
	c.country_holidays, c.origin_postal_code, c.updated_at`

// queryCalendars reads calendars (with closures and carriers) matching where.
func queryCalendars(ctx context.Context, q store.Querier, where string, args ...any) ([]Calendar, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+calendarColumns+` FROM supplier_calendars c JOIN suppliers su ON su.id = c.supplier_id `+
		where+` ORDER BY c.supplier_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list calendars: %w", err)
	}
	defer rows.Close()
	var list []Calendar
	index := map[int64]int{}
	for rows.Next() {
		var c Calendar
		var days string
		var cutoff int
		if err := rows.Scan(&c.SupplierID, &c.SupplierName, &c.Timezone, &c.Country, &days, &cutoff, &c.HandlingDays,
			&c.CountryHolidays, &c.OriginPostalCode, &c.UpdatedAt); err != nil {
			return nil, fmt.Errorf("read calendar: %w", err)
		}
		w, err := promise.ParseWeekdays(days)
		if err != nil {
			return nil, fmt.Errorf("calendar of supplier %d: processing days: %w", c.SupplierID, err)
		}
		c.ProcessingDays, c.Cutoff = w.Names(), promise.Clock(cutoff).String()
		c.Closures, c.CarrierServiceIDs = []Closure{}, []int64{}
		index[c.SupplierID] = len(list)
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list calendars: %w", err)
	}
	rows.Close()
	if len(list) == 0 {
		return list, nil
	}
	filter, fargs := "", []any(nil)
	if len(list) == 1 {
		filter, fargs = " WHERE supplier_id = $1", []any{list[0].SupplierID}
	}
	rows, err = q.QueryContext(ctx, `SELECT supplier_id, starts_on, ends_on, reason FROM supplier_closures`+filter+
		` ORDER BY supplier_id, starts_on, ends_on`, fargs...)
	if err != nil {
		return nil, fmt.Errorf("list closures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var cl Closure
		if err := rows.Scan(&id, &cl.From, &cl.To, &cl.Reason); err != nil {
			return nil, fmt.Errorf("read closure: %w", err)
		}
		if i, ok := index[id]; ok {
			list[i].Closures = append(list[i].Closures, cl)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list closures: %w", err)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT supplier_id, carrier_service_id FROM supplier_calendar_carriers`+filter+
		` ORDER BY supplier_id, carrier_service_id`, fargs...)
	if err != nil {
		return nil, fmt.Errorf("list calendar carriers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, cs int64
		if err := rows.Scan(&id, &cs); err != nil {
			return nil, fmt.Errorf("read calendar carrier: %w", err)
		}
		if i, ok := index[id]; ok {
			list[i].CarrierServiceIDs = append(list[i].CarrierServiceIDs, cs)
		}
	}
	return list, rows.Err()
}

func getCalendar(ctx context.Context, q store.Querier, supplierID int64) (Calendar, error) {
	list, err := queryCalendars(ctx, q, `WHERE c.supplier_id = $1`, supplierID)
	if err != nil {
		return Calendar{}, err
	}
	if len(list) == 0 {
		return Calendar{}, apperr.New(apperr.NotFound, "supplier %d has no delivery calendar", supplierID)
	}
	return list[0], nil
}

// queryCarriers reads carrier services with their transit rows.
func queryCarriers(ctx context.Context, q store.Querier, where string, args ...any) ([]CarrierService, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, pickup_days, delivery_days, created_at, updated_at FROM carrier_services `+
		where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list carrier services: %w", err)
	}
	defer rows.Close()
	var list []CarrierService
	index := map[int64]int{}
	for rows.Next() {
		var c CarrierService
		var pickup, delivery string
		if err := rows.Scan(&c.ID, &c.Name, &pickup, &delivery, &c.CreatedAt, &c.UpdatedAt); err != nil {
			return nil, fmt.Errorf("read carrier service: %w", err)
		}
		p, err1 := promise.ParseWeekdays(pickup)
		d, err2 := promise.ParseWeekdays(delivery)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("carrier service %d: %w", c.ID, err)
		}
		c.PickupDays, c.DeliveryDays, c.Transit = p.Names(), d.Names(), []TransitRow{}
		index[c.ID] = len(list)
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list carrier services: %w", err)
	}
	rows.Close()
	if len(list) == 0 {
		return list, nil
	}
	filter, fargs := "", []any(nil)
	if len(list) == 1 {
		filter, fargs = " WHERE carrier_service_id = $1", []any{list[0].ID}
	}
	rows, err = q.QueryContext(ctx, `SELECT carrier_service_id, from_zone, to_zone, min_days, max_days FROM carrier_transit`+filter+
		` ORDER BY carrier_service_id, from_zone, to_zone`, fargs...)
	if err != nil {
		return nil, fmt.Errorf("list transit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var r TransitRow
		if err := rows.Scan(&id, &r.FromZone, &r.ToZone, &r.MinDays, &r.MaxDays); err != nil {
			return nil, fmt.Errorf("read transit: %w", err)
		}
		if i, ok := index[id]; ok {
			list[i].Transit = append(list[i].Transit, r)
		}
	}
	return list, rows.Err()
}

func getCarrier(ctx context.Context, q store.Querier, id int64) (CarrierService, error) {
	list, err := queryCarriers(ctx, q, `WHERE id = $1`, id)
	if err != nil {
		return CarrierService{}, err
	}
	if len(list) == 0 {
		return CarrierService{}, apperr.New(apperr.NotFound, "carrier service %d not found", id)
	}
	return list[0], nil
}

func writeTransit(ctx context.Context, tx *sql.Tx, id int64, cs promise.CarrierService) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM carrier_transit WHERE carrier_service_id = $1`, id); err != nil {
		return fmt.Errorf("replace transit of carrier service %d: %w", id, err)
	}
	for zp, r := range cs.Transit {
		if _, err := tx.ExecContext(ctx, `INSERT INTO carrier_transit (carrier_service_id, from_zone, to_zone, min_days, max_days)
			VALUES ($1, $2, $3, $4, $5)`, id, zp.From, zp.To, r.Min, r.Max); err != nil {
			return fmt.Errorf("save transit %s → %s of carrier service %d: %w", zp.From, zp.To, id, err)
		}
	}
	return nil
}

func carrierNameTaken(d store.Dialect, err error, name string) error {
	if _, ok := d.UniqueViolation(err); ok {
		return apperr.InvalidField("name", "a carrier service named %q already exists", name)
	}
	return fmt.Errorf("save carrier service %q: %w", name, err)
}

func queryRemote(ctx context.Context, q store.Querier, where string, args ...any) ([]RemoteRule, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, country, postal_from, postal_to, extra_days, created_at, updated_at
		FROM remote_area_rules `+where+` ORDER BY country, postal_from, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list remote-area rules: %w", err)
	}
	defer rows.Close()
	list := []RemoteRule{}
	for rows.Next() {
		var r RemoteRule
		if err := rows.Scan(&r.ID, &r.Name, &r.Country, &r.PostalFrom, &r.PostalTo, &r.ExtraDays, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, fmt.Errorf("read remote-area rule: %w", err)
		}
		list = append(list, r)
	}
	return list, rows.Err()
}

func getRemote(ctx context.Context, q store.Querier, id int64) (RemoteRule, error) {
	list, err := queryRemote(ctx, q, `WHERE id = $1`, id)
	if err != nil {
		return RemoteRule{}, err
	}
	if len(list) == 0 {
		return RemoteRule{}, apperr.New(apperr.NotFound, "remote-area rule %d not found", id)
	}
	return list[0], nil
}

func queryZones(ctx context.Context, q store.Querier) ([]Zone, error) {
	rows, err := q.QueryContext(ctx, `SELECT country, zone FROM shipping_zones ORDER BY zone, country`)
	if err != nil {
		return nil, fmt.Errorf("list zones: %w", err)
	}
	defer rows.Close()
	list := []Zone{}
	for rows.Next() {
		var z Zone
		if err := rows.Scan(&z.Country, &z.Zone); err != nil {
			return nil, fmt.Errorf("read zone: %w", err)
		}
		list = append(list, z)
	}
	return list, rows.Err()
}

func querySettings(ctx context.Context, q store.Querier) (Settings, error) {
	var bp int
	var at time.Time
	err := q.QueryRowContext(ctx, `SELECT confidence_bp, updated_at FROM promise_settings WHERE id = 1`).Scan(&bp, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Settings{Confidence: promise.DefaultConfidence}, nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("read promise settings: %w", err)
	}
	return Settings{Confidence: float64(bp) / 10000, UpdatedAt: at}, nil
}

// candidate is a supplier that can ship a line: an active offer of an active
// supplier with the quantity available.
type candidateRow struct {
	supplierID int64
	available  int
}

// candidates returns the suppliers able to ship qty of sku, in offer
// priority order, and whether the SKU exists.
func candidates(ctx context.Context, q store.Querier, sku string) (found bool, list []candidateRow, err error) {
	rows, err := q.QueryContext(ctx, `SELECT o.supplier_id, COALESCE(sp.available, 0)
		FROM variants v
		LEFT JOIN supplier_offers o ON o.variant_id = v.id AND o.status = 'active'
		LEFT JOIN suppliers su ON su.id = o.supplier_id
		LEFT JOIN stock_positions sp ON sp.offer_id = o.id
		WHERE v.sku = $1 AND (o.id IS NULL OR su.status = 'active')
		ORDER BY o.priority, o.id`, sku)
	if err != nil {
		return false, nil, fmt.Errorf("find suppliers of %s: %w", sku, err)
	}
	defer rows.Close()
	for rows.Next() {
		found = true
		var id sql.NullInt64
		var c candidateRow
		if err := rows.Scan(&id, &c.available); err != nil {
			return false, nil, fmt.Errorf("read supplier of %s: %w", sku, err)
		}
		if id.Valid {
			c.supplierID = id.Int64
			list = append(list, c)
		}
	}
	return found, list, rows.Err()
}

// skuKnown reports whether a variant has sku (for a SKU whose every offer
// is of a paused supplier, which the candidates query filters out).
func skuKnown(ctx context.Context, q store.Querier, sku string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM variants WHERE sku = $1`, sku).Scan(&n); err != nil {
		return false, fmt.Errorf("find SKU %s: %w", sku, err)
	}
	return n > 0, nil
}
