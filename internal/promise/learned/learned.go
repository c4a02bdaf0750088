// Package learned fits handling and transit times from the orders Orderly
// delivered and hands them to the promise engine (promise.Learned), and
// measures how well past promises were kept (Calibrate).
//
// A delivery is one order's lines from one supplier: purchased when the
// order was placed, handed to the carrier when the last of those lines
// shipped, delivered when the last of them was delivered (times from the
// order's timeline). The supplier of a shipped line is the offer its stock
// was consumed from (the inventory's "consume" adjustment written when the
// line shipped). The origin is the supplier's country and the origin postal
// code of its calendar; the destination is the order's shipping address.
// Orders with shipments recorded by suppliers (internal/shipping) take the
// supplier, the hand-over and the delivery from their parcels instead.
// docs/promise.md, "Learning from deliveries", explains the choices.
package learned

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/promise"
	"github.com/orderly-oms/orderly/internal/promise/estimate"
	"github.com/orderly-oms/orderly/internal/store"
)

// Defaults of Options.
const (
	DefaultWindow      = 365 * 24 * time.Hour
	DefaultHalfLife    = 90 * 24 * time.Hour
	DefaultMinSupplier = 5
	DefaultMinLane     = 5
)

// Options tune what is learned.
type Options struct {
	// Window is how far back deliveries are read, by purchase time
	// (default one year).
	Window time.Duration
	// HalfLife weighs recent deliveries more (default 90 days).
	HalfLife time.Duration
	// MinSupplier is how many deliveries of its own a supplier needs before
	// its learned handling time replaces its calendar's (default 5); below
	// that the configured calendar answers.
	MinSupplier int
	// MinLane is how many deliveries a country-to-country lane needs before
	// learned transit replaces the carriers' tables (default 5).
	MinLane int
	// Model configures the estimator; its HalfLife is set from HalfLife and
	// DaysOff is ignored (the engine wants calendar days).
	Model estimate.Config
}

func (o Options) withDefaults() Options {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.HalfLife <= 0 {
		o.HalfLife = DefaultHalfLife
	}
	if o.MinSupplier <= 0 {
		o.MinSupplier = DefaultMinSupplier
	}
	if o.MinLane <= 0 {
		o.MinLane = DefaultMinLane
	}
	o.Model.HalfLife = o.HalfLife
	o.Model.DaysOff = nil
	return o
}

// Delivery is a delivered order's lines from one supplier.
type Delivery struct {
	Order      int64
	SupplierID int64
	estimate.Delivery
}

// Deliveries reads the deliveries of orders placed since since (and
// delivered), in order of delivery.
func Deliveries(ctx context.Context, q store.Querier, since time.Time) ([]Delivery, error) {
	type event struct {
		name  string
		lines []int
		at    time.Time
	}
	type order struct {
		placed                  time.Time
		country, region, postal string
		supplierOf              map[int]int64 // line position → supplier
		shipped, delivered      map[int64]time.Time
		events                  []event
	}
	orders := map[int64]*order{}
	var ids []int64
	rows, err := q.QueryContext(ctx, `SELECT id, placed_at, ship_country, ship_region, ship_postal_code FROM orders
		WHERE state = 'delivered' AND placed_at >= $1 ORDER BY id`, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("read delivered orders: %w", err)
	}
	for rows.Next() {
		var id int64
		o := &order{shipped: map[int64]time.Time{}, delivered: map[int64]time.Time{}}
		if err := rows.Scan(&id, &o.placed, &o.country, &o.region, &o.postal); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read delivered orders: %w", err)
		}
		orders[id] = o
		ids = append(ids, id)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("read delivered orders: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}

	rows, err = q.QueryContext(ctx, `SELECT t.order_id, t.event, t.detail, t.created_at FROM order_timeline t
		JOIN orders o ON o.id = t.order_id
		WHERE o.state = 'delivered' AND o.placed_at >= $1 AND t.event IN ('shipped', 'delivered') ORDER BY t.order_id, t.id`, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("read shipments of delivered orders: %w", err)
	}
	for rows.Next() {
		var id int64
		var e event
		var detail string
		if err := rows.Scan(&id, &e.name, &detail, &e.at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read shipments of delivered orders: %w", err)
		}
		var d struct {
			Lines []int `json:"lines"`
		}
		if err := json.Unmarshal([]byte(detail), &d); err != nil {
			rows.Close()
			return nil, fmt.Errorf("order %d: timeline entry %q: detail: %w", id, e.name, err)
		}
		e.lines = d.Lines
		if o := orders[id]; o != nil {
			o.events = append(o.events, e)
		}
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("read shipments of delivered orders: %w", err)
	}

	from, sups, err := shippedFrom(ctx, q, `o.state = 'delivered' AND o.placed_at >= $1`, since.UTC())
	if err != nil {
		return nil, err
	}
	places := map[int64]estimate.Place{}
	for id, lines := range from {
		if o := orders[id]; o != nil {
			o.supplierOf = lines
		}
	}
	for id, sp := range sups {
		places[id] = estimate.Place{Country: sp.country, Postal: lanePostal(sp.postal)}
	}

	var out []Delivery
	for _, id := range ids {
		o := orders[id]
		for _, e := range o.events {
			for _, p := range e.lines {
				sup, ok := o.supplierOf[p]
				if !ok {
					continue
				}
				m := o.shipped
				if e.name == "delivered" {
					m = o.delivered
				}
				if e.at.After(m[sup]) {
					m[sup] = e.at
				}
			}
		}
		for sup, delivered := range o.delivered {
			shipped, ok := o.shipped[sup]
			if !ok {
				continue
			}
			out = append(out, Delivery{Order: id, SupplierID: sup, Delivery: estimate.Delivery{
				Supplier: supplierKey(sup), From: places[sup],
				To:        estimate.Place{Country: strings.ToUpper(o.country), Postal: lanePostal(o.postal)},
				Purchased: o.placed.UTC(), Shipped: shipped.UTC(), Delivered: delivered.UTC()}})
		}
	}
	// Orders with recorded shipments (internal/shipping) learn from them
	// instead: the supplier, when it handed each parcel to the carrier and
	// when the carrier delivered it. Orders delivered by staff by hand keep
	// the timeline's times above.
	shipped, err := shipmentDeliveries(ctx, q, since)
	if err != nil {
		return nil, err
	}
	if len(shipped) > 0 {
		out = slices.DeleteFunc(out, func(d Delivery) bool { _, ok := shipped[d.Order]; return ok })
		for _, id := range ids {
			o := orders[id]
			for _, sd := range shipped[id] {
				if sd.open > 0 {
					continue // a parcel of this supplier not delivered (returned, lost): no delivery to learn
				}
				out = append(out, Delivery{Order: id, SupplierID: sd.supplier, Delivery: estimate.Delivery{
					Supplier: supplierKey(sd.supplier), From: sd.from,
					To:        estimate.Place{Country: strings.ToUpper(o.country), Postal: lanePostal(o.postal)},
					Purchased: o.placed.UTC(), Shipped: sd.shipped.UTC(), Delivered: sd.delivered.UTC()}})
			}
		}
	}
	sortByDelivered(out)
	return out, nil
}

// shipmentDelivery is one supplier's parcels of one order.
type shipmentDelivery struct {
	supplier           int64
	from               estimate.Place
	shipped, delivered time.Time // the last parcel's
	open               int       // parcels not delivered
}

// shipmentDeliveries reads the shipments of the delivered orders placed
// since since: order → one entry per supplier, in supplier id order.
func shipmentDeliveries(ctx context.Context, q store.Querier, since time.Time) (map[int64][]shipmentDelivery, error) {
	rows, err := q.QueryContext(ctx, `SELECT s.order_id, s.supplier_id, s.shipped_at, s.delivered_at, su.country,
			COALESCE(c.origin_postal_code, '')
		FROM shipments s JOIN orders o ON o.id = s.order_id
		JOIN suppliers su ON su.id = s.supplier_id
		LEFT JOIN supplier_calendars c ON c.supplier_id = su.id
		WHERE o.state = 'delivered' AND o.placed_at >= $1 ORDER BY s.order_id, s.supplier_id, s.id`, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("read shipments of delivered orders: %w", err)
	}
	defer rows.Close()
	out := map[int64][]shipmentDelivery{}
	for rows.Next() {
		var order, supplier int64
		var shippedAt time.Time
		var deliveredAt sql.NullTime
		var country, postal string
		if err := rows.Scan(&order, &supplier, &shippedAt, &deliveredAt, &country, &postal); err != nil {
			return nil, fmt.Errorf("read shipments of delivered orders: %w", err)
		}
		ds := out[order]
		if len(ds) == 0 || ds[len(ds)-1].supplier != supplier {
			ds = append(ds, shipmentDelivery{supplier: supplier,
				from: estimate.Place{Country: strings.ToUpper(country), Postal: lanePostal(postal)}})
		}
		d := &ds[len(ds)-1]
		if shippedAt.After(d.shipped) {
			d.shipped = shippedAt
		}
		if !deliveredAt.Valid {
			d.open++
		} else if deliveredAt.Time.After(d.delivered) {
			d.delivered = deliveredAt.Time
		}
		out[order] = ds
	}
	return out, rows.Err()
}

// supplierInfo is what calibration and learning need of a supplier.
type supplierInfo struct {
	name, country, postal string
}

// shippedFrom returns, for the orders cond selects (on orders o, with $1
// the earliest placement time it allows), the supplier each shipped line's
// stock was consumed from (order → line position → supplier) and those
// suppliers. inventory.Consume writes the reason "shipped for
// order:N/line:P" on the adjustment of each offer a line's reservations
// took stock from; the reservations themselves are deleted when the line
// ships. Only the consume adjustments of the orders' variants since
// placedSince are read (by the variant index), and matched here: linear in
// those adjustments, where matching the reason in SQL was quadratic in the
// orders of a popular variant.
func shippedFrom(ctx context.Context, q store.Querier, cond string, placedSince time.Time) (map[int64]map[int]int64, map[int64]supplierInfo, error) {
	rows, err := q.QueryContext(ctx, `SELECT a.reason, s.id, s.name, s.country, COALESCE(c.origin_postal_code, '')
		FROM stock_adjustments a
		JOIN supplier_offers so ON so.id = a.offer_id
		JOIN suppliers s ON s.id = so.supplier_id
		LEFT JOIN supplier_calendars c ON c.supplier_id = s.id
		WHERE a.kind = 'consume' AND a.created_at >= $1
			AND a.variant_id IN (SELECT DISTINCT l.variant_id FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE `+cond+`)`,
		placedSince.UTC())
	if err != nil {
		return nil, nil, fmt.Errorf("read the suppliers shipped lines came from: %w", err)
	}
	defer rows.Close()
	from := map[int64]map[int]int64{}
	sups := map[int64]supplierInfo{}
	for rows.Next() {
		var reason string
		var sid int64
		var si supplierInfo
		if err := rows.Scan(&reason, &sid, &si.name, &si.country, &si.postal); err != nil {
			return nil, nil, fmt.Errorf("read the suppliers shipped lines came from: %w", err)
		}
		var order int64
		var pos int
		if _, err := fmt.Sscanf(reason, "shipped for order:%d/line:%d", &order, &pos); err != nil {
			continue // not an order line's shipment
		}
		si.country = strings.ToUpper(si.country)
		sups[sid] = si
		if from[order] == nil {
			from[order] = map[int]int64{}
		}
		// A line whose stock came from two suppliers counts for the
		// lowest id: one line, one hand-over.
		if cur, ok := from[order][pos]; !ok || sid < cur {
			from[order][pos] = sid
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read the suppliers shipped lines came from: %w", err)
	}
	return from, sups, nil
}

// lanePostal is the postal key as the engine gives it in a Lane.
func lanePostal(code string) string {
	k := promise.PostalKey(code)
	if len(k) > promise.LanePrefixLen {
		k = k[:promise.LanePrefixLen]
	}
	return k
}

func supplierKey(id int64) string { return fmt.Sprintf("%d", id) }

func laneKey(from, to string) string { return from + ">" + to }

// Model is what was learned, ready for the promise engine. It never changes
// once built and is safe for concurrent use.
type Model struct {
	m         *estimate.Model
	at        time.Time
	places    map[int64]estimate.Place
	suppliers map[int64]int
	lanes     map[string]int
	opts      Options
	count     int
}

var _ promise.Learned = (*Model)(nil)

// Fit learns from deliveries (in order of delivery) as known at time at.
// Deliveries the estimator refuses (times out of order) are skipped and
// counted in skipped.
func Fit(ds []Delivery, at time.Time, opts Options) (m *Model, skipped int) {
	opts = opts.withDefaults()
	m = &Model{m: estimate.New(opts.Model), at: at, places: map[int64]estimate.Place{},
		suppliers: map[int64]int{}, lanes: map[string]int{}, opts: opts}
	for _, d := range ds {
		if err := m.m.Add(d.Delivery); err != nil {
			skipped++
			continue
		}
		m.places[d.SupplierID] = d.From
		m.suppliers[d.SupplierID]++
		m.lanes[laneKey(d.From.Country, d.To.Country)]++
		m.count++
	}
	return m, skipped
}

// Count returns how many deliveries the model learned from.
func (m *Model) Count() int { return m.count }

// At returns the time the model answers as of.
func (m *Model) At() time.Time { return m.at }

// Handling implements promise.Learned: the supplier's handling time at
// quantile q, when it has at least MinSupplier deliveries of its own.
func (m *Model) Handling(supplierID int64, q float64) (float64, bool) {
	if m.suppliers[supplierID] < m.opts.MinSupplier {
		return 0, false
	}
	return m.m.HandlingQuantile(supplierKey(supplierID), m.places[supplierID], m.at, q)
}

// Transit implements promise.Learned: the lane's transit time at quantile
// q, when its countries have at least MinLane deliveries. The estimator
// shrinks the postal-prefix and region lanes toward the country lane.
func (m *Model) Transit(l promise.Lane, q float64) (float64, bool) {
	if m.lanes[laneKey(l.FromCountry, l.ToCountry)] < m.opts.MinLane {
		return 0, false
	}
	return m.m.TransitQuantile(estimate.Place{Country: l.FromCountry, Postal: l.FromPostal},
		estimate.Place{Country: l.ToCountry, Postal: l.ToPostal}, m.at, q)
}

func sortByDelivered(ds []Delivery) {
	slices.SortStableFunc(ds, func(a, b Delivery) int { return a.Delivered.Compare(b.Delivered) })
}
