package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/store"
)

// At-risk detection (issue 6, docs/promise.md "At-risk orders"): a periodic
// job compares each open order that carries a promise with what has happened
// to it and flags those that will miss their window. A flag is raised once per
// order and reason: the timeline entry and the event are written in the
// transaction that opens it, and a unique index on the open flags makes a
// second run (or a second instance) a no-op. A flag whose condition no longer
// holds is cleared, with its own timeline entry and event.

// RiskReason says why an order is at risk of missing its promised window.
type RiskReason string

// Risk reasons. The column is free text so that new reasons need no
// migration.
const (
	// RiskNotSent: some open line is not with a supplier yet and the end of
	// the promised ship-by day is within AtRiskOptions.NotSentWithin (or past).
	RiskNotSent RiskReason = "not_sent"
	// RiskNotShipped: the promised ship-by day has ended and some open line
	// has not shipped.
	RiskNotShipped RiskReason = "not_shipped"
	// RiskRestockLate: a line waits for stock whose expected date, plus the
	// days to ship it and the transit the promise allowed, lands after the
	// promised latest day.
	RiskRestockLate RiskReason = "restock_late"
	// RiskLate: the promised latest day has ended and the order is not
	// delivered (nor shipped in full: see docs/promise.md).
	RiskLate RiskReason = "late"
	// RiskNotAcknowledged: a purchase order was sent and its supplier has
	// not accepted or rejected some of the order's lines by the deadline of
	// its acknowledgement SLA.
	RiskNotAcknowledged RiskReason = "not_acknowledged"
	// RiskTrackingStalled: a shipment of the order is not delivered and its
	// tracking has not moved for AtRiskOptions.TrackingStalledAfter, or the
	// carrier reported an exception or a return.
	RiskTrackingStalled RiskReason = "tracking_stalled"
	// RiskDiscontinued: units of a line wait for stock (backordered) that no
	// source will restock: every active offer of the variant is from a
	// supplier whose latest answer to the restock question about it is
	// "discontinued", or the variant has no active offer at all.
	RiskDiscontinued RiskReason = "discontinued"
)

// Events of the at-risk job.
const (
	EventAtRisk        Event = "order.at_risk"         // a flag was raised (one event per order and reason)
	EventAtRiskCleared Event = "order.at_risk_cleared" // a flag's condition no longer holds
)

// RiskReasons lists the reasons the built-in checks raise.
func RiskReasons() []RiskReason {
	return []RiskReason{RiskNotSent, RiskNotShipped, RiskRestockLate, RiskLate, RiskNotAcknowledged, RiskTrackingStalled, RiskDiscontinued}
}

// Risk is an open at-risk flag of an order.
type Risk struct {
	Reason RiskReason `json:"reason" doc:"not_sent, not_shipped, restock_late, late, not_acknowledged, tracking_stalled or discontinued" example:"not_shipped"`
	Detail string     `json:"detail" doc:"What is wrong, for people" example:"not shipped by the promised ship-by day 2026-03-04"`
	Since  time.Time  `json:"since" doc:"When the flag was raised"`
}

// AtRiskOptions tune the at-risk checks.
type AtRiskOptions struct {
	// NotSentWithin: an order not sent to a supplier is at risk once the end
	// of its ship-by day is this close (default 24 h).
	NotSentWithin time.Duration
	// RestockHandlingDays is the calendar days a supplier takes to ship a
	// line once its stock arrives, for restock_late (default 2).
	RestockHandlingDays int
	// Location is the store's time zone: the days of the promise end at its
	// midnight when the order's supplier is not known (default UTC).
	Location *time.Location
	// TrackingStalledAfter: a shipment not delivered whose tracking has not
	// moved for this long is stalled (default 4 days).
	TrackingStalledAfter time.Duration
	// Checks are further checks run after the built-in ones.
	Checks []RiskCheck
}

func (o AtRiskOptions) withDefaults() AtRiskOptions {
	if o.NotSentWithin <= 0 {
		o.NotSentWithin = 24 * time.Hour
	}
	if o.RestockHandlingDays <= 0 {
		o.RestockHandlingDays = 2
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.TrackingStalledAfter <= 0 {
		o.TrackingStalledAfter = 4 * 24 * time.Hour
	}
	return o
}

// RiskOrder is what the checks see of an open order with a promise.
type RiskOrder struct {
	Number int64
	State  State
	Lines  []Line
	// ShipBy, Earliest and Latest are the promised days (midnight UTC of
	// the calendar day).
	ShipBy, Earliest, Latest time.Time
	// ShipByEnd is the instant the ship-by day ends: midnight after it in
	// the supplier's time zone (the latest of the order's suppliers), or in
	// the store's when no supplier holds stock for it.
	ShipByEnd time.Time
	// LatestEnd is the instant the latest day ends in the store's time zone.
	LatestEnd time.Time
	// Unacknowledged are the sent purchase orders holding lines of the
	// order that their supplier has not answered yet.
	Unacknowledged []RiskAck
	// Shipments are the order's parcels.
	Shipments []RiskShipment
	// Sources are the active offers of the variants that the order's
	// backordered units wait for, one per line SKU and supplier.
	Sources []RiskSource
}

// RiskSource is an active supplier offer of a variant some of the order's
// units wait for, with what the supplier last answered about its restock.
type RiskSource struct {
	SKU      string // the order line's SKU
	Supplier string // the supplier's name
	// Answer is the supplier's latest answer to the restock question about
	// the variant (internal/restocks): "date", "discontinued" or "unknown";
	// empty if it never answered one.
	Answer string
}

// RiskAck is a sent purchase order with lines of the order not yet accepted
// or rejected by its supplier.
type RiskAck struct {
	PurchaseOrder int64
	Supplier      string
	Lines         int       // the order's lines on it with units pending
	DueAt         time.Time // the acknowledgement deadline
}

// RiskShipment is what the checks see of one parcel.
type RiskShipment struct {
	ID             int64
	Carrier        string
	TrackingNumber string
	Status         string // shipped, in_transit, out_for_delivery, delivered, exception, returned
	ShippedAt      time.Time
	LastEventAt    time.Time // zero if no tracking event came yet
	Delivered      bool
}

// RiskCheck reports whether o is at risk for one reason at now, and why.
// detail must not depend on now (only on o), so that re-running the job
// leaves a flag as it is.
type RiskCheck func(o *RiskOrder, now time.Time, opts AtRiskOptions) (reason RiskReason, detail string, at bool)

func day(t time.Time) string { return t.Format(time.DateOnly) }

// unsent reports whether a line has open units not yet with a supplier.
func unsent(l Line) bool {
	switch l.State {
	case LineAllocated, LineBackordered, LinePreordered, LineShort:
		return true
	}
	return false
}

func checkNotSent(o *RiskOrder, now time.Time, opts AtRiskOptions) (RiskReason, string, bool) {
	var n int
	for _, l := range o.Lines {
		if unsent(l) {
			n++
		}
	}
	if n == 0 || now.Before(o.ShipByEnd.Add(-opts.NotSentWithin)) {
		return RiskNotSent, "", false
	}
	return RiskNotSent, fmt.Sprintf("%s not sent to a supplier; promised to ship by %s", plural(n, "line"), day(o.ShipBy)), true
}

func checkNotShipped(o *RiskOrder, now time.Time, _ AtRiskOptions) (RiskReason, string, bool) {
	var n int
	for _, l := range o.Lines {
		if unsent(l) || l.State == LineSentToSupplier {
			n++
		}
	}
	if n == 0 || now.Before(o.ShipByEnd) {
		return RiskNotShipped, "", false
	}
	return RiskNotShipped, fmt.Sprintf("%s not shipped by the promised ship-by day %s", plural(n, "line"), day(o.ShipBy)), true
}

// checkRestockLate estimates the delivery of each line waiting for stock as
// its expected restock day + RestockHandlingDays + the transit the promise
// itself allowed (latest − ship-by), and compares it with the latest day.
func checkRestockLate(o *RiskOrder, _ time.Time, opts AtRiskOptions) (RiskReason, string, bool) {
	transit := max(0, int(o.Latest.Sub(o.ShipBy).Hours()/24))
	var worst *Line
	var worstDay time.Time
	for i, l := range o.Lines {
		if (l.State != LineBackordered && l.State != LineShort) || l.ExpectedAt == nil {
			continue
		}
		e := l.ExpectedAt.In(opts.Location)
		restock := time.Date(e.Year(), e.Month(), e.Day(), 0, 0, 0, 0, time.UTC)
		arrives := restock.AddDate(0, 0, opts.RestockHandlingDays+transit)
		if arrives.After(o.Latest) && (worst == nil || arrives.After(worstDay)) {
			worst, worstDay = &o.Lines[i], arrives
		}
	}
	if worst == nil {
		return RiskRestockLate, "", false
	}
	e := worst.ExpectedAt.In(opts.Location)
	return RiskRestockLate, fmt.Sprintf("line %d (%s) expects stock on %s: with %d days to ship and %d in transit it arrives about %s, after the promised %s",
		worst.Position, worst.SKU, e.Format(time.DateOnly), opts.RestockHandlingDays, transit, day(worstDay), day(o.Latest)), true
}

func checkLate(o *RiskOrder, now time.Time, _ AtRiskOptions) (RiskReason, string, bool) {
	if now.Before(o.LatestEnd) || o.State == Delivered || o.State == Cancelled {
		return RiskLate, "", false
	}
	// Shipped in full: late only if tracking says so. Lines shipped by hand
	// (no shipment) are never heard of again, so they cannot be judged.
	if o.State == Shipped && !slices.ContainsFunc(o.Shipments, func(sh RiskShipment) bool { return !sh.Delivered }) {
		return RiskLate, "", false
	}
	return RiskLate, fmt.Sprintf("not delivered by the end of the promised window (%s to %s)", day(o.Earliest), day(o.Latest)), true
}

func checkNotAcknowledged(o *RiskOrder, now time.Time, _ AtRiskOptions) (RiskReason, string, bool) {
	var parts []string
	for _, a := range o.Unacknowledged {
		if now.Before(a.DueAt) {
			continue
		}
		parts = append(parts, fmt.Sprintf("PO-%d (%s): %s not acknowledged by %s", a.PurchaseOrder, a.Supplier,
			plural(a.Lines, "line"), a.DueAt.UTC().Format("2006-01-02 15:04 UTC")))
	}
	if len(parts) == 0 {
		return RiskNotAcknowledged, "", false
	}
	return RiskNotAcknowledged, strings.Join(parts, "; "), true
}

func checkTrackingStalled(o *RiskOrder, now time.Time, opts AtRiskOptions) (RiskReason, string, bool) {
	var parts []string
	for _, sh := range o.Shipments {
		if sh.Delivered {
			continue
		}
		parcel := sh.Carrier + " " + sh.TrackingNumber
		switch last := sh.LastEventAt; {
		case sh.Status == "exception" || sh.Status == "returned":
			parts = append(parts, fmt.Sprintf("shipment %s: the carrier reports %s", parcel, sh.Status))
		case last.IsZero() && !now.Before(sh.ShippedAt.Add(opts.TrackingStalledAfter)):
			parts = append(parts, fmt.Sprintf("shipment %s: no tracking event since it shipped on %s", parcel, day(sh.ShippedAt.UTC())))
		case !last.IsZero() && !now.Before(last.Add(opts.TrackingStalledAfter)):
			parts = append(parts, fmt.Sprintf("shipment %s: no tracking update since %s", parcel, day(last.UTC())))
		}
	}
	if len(parts) == 0 {
		return RiskTrackingStalled, "", false
	}
	return RiskTrackingStalled, strings.Join(parts, "; "), true
}

// answerDiscontinued is restocks.AnswerDiscontinued (internal/restocks
// imports this package, so the value is repeated here).
const answerDiscontinued = "discontinued"

// checkDiscontinued flags lines whose backordered units wait for a variant
// no source will restock: each of its active offers is from a supplier that
// last answered "discontinued", or it has no active offer at all.
func checkDiscontinued(o *RiskOrder, _ time.Time, _ AtRiskOptions) (RiskReason, string, bool) {
	var parts []string
	for _, l := range o.Lines {
		if l.Backordered <= 0 {
			continue
		}
		var offers int
		var gone []string
		for _, src := range o.Sources {
			if src.SKU != l.SKU {
				continue
			}
			offers++
			if src.Answer == answerDiscontinued {
				gone = append(gone, src.Supplier)
			}
		}
		switch {
		case offers == 0:
			parts = append(parts, fmt.Sprintf("line %d (%s): %s for stock and no supplier offers %s any more",
				l.Position, l.SKU, unitsWait(l.Backordered), l.SKU))
		case len(gone) == offers:
			parts = append(parts, fmt.Sprintf("line %d (%s): %s for stock but %s answered that %s is discontinued, and no other supplier offers it",
				l.Position, l.SKU, unitsWait(l.Backordered), andList(gone), l.SKU))
		}
	}
	if len(parts) == 0 {
		return RiskDiscontinued, "", false
	}
	return RiskDiscontinued, strings.Join(parts, "; "), true
}

// unitsWait is "1 unit waits" or "n units wait".
func unitsWait(n int) string {
	if n == 1 {
		return "1 unit waits"
	}
	return plural(n, "unit") + " wait"
}

// andList joins names as "A", "A and B", "A, B and C".
func andList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// Assess returns the reasons o is at risk at now, with their details.
func Assess(o *RiskOrder, now time.Time, opts AtRiskOptions) map[RiskReason]string {
	opts = opts.withDefaults()
	out := map[RiskReason]string{}
	if o == nil || !slices.Contains(openForRisk, o.State) {
		return out
	}
	checks := append([]RiskCheck{checkNotSent, checkNotShipped, checkRestockLate, checkLate, checkNotAcknowledged, checkTrackingStalled, checkDiscontinued}, opts.Checks...)
	for _, c := range checks {
		if r, d, at := c(o, now, opts); at {
			out[r] = d
		}
	}
	return out
}

// openForRisk are the states the job looks at: not yet delivered or
// cancelled. A shipped order is looked at for its tracking.
var openForRisk = []State{OnHold, AwaitingStock, ReadyToRoute, SentToSupplier, PartiallyShipped, Shipped}

// AtRiskResult counts what a run of the at-risk job changed.
type AtRiskResult struct {
	Orders  int // orders looked at
	Flagged int // flags raised
	Cleared int // flags cleared
}

// CheckAtRisk raises and clears the at-risk flags of every open order with a
// promise (and of every other order with an open flag) at the service's clock.
// Orders are read in pages of 500 along an index (each open state by number,
// then the open flags of orders no longer open); only an order whose flags
// change takes a write transaction, which locks it and checks again.
func (s *Service) CheckAtRisk(ctx context.Context, opts AtRiskOptions) (AtRiskResult, error) {
	opts = opts.withDefaults()
	var res AtRiskResult
	states := make([]string, len(openForRisk))
	for i, st := range openForRisk {
		states[i] = "'" + string(st) + "'"
	}
	var pages []string
	for _, st := range states {
		pages = append(pages, `SELECT id FROM orders WHERE state = `+st+` AND promised_ship_by IS NOT NULL AND id > $1 ORDER BY id LIMIT 500`)
	}
	pages = append(pages, `SELECT DISTINCT r.order_id FROM order_risks r JOIN orders o ON o.id = r.order_id
		WHERE r.cleared_at IS NULL AND r.order_id > $1 AND (o.state NOT IN (`+strings.Join(states, ", ")+`) OR o.promised_ship_by IS NULL)
		ORDER BY r.order_id LIMIT 500`)
	for _, q := range pages {
		var after int64
		for {
			ids, err := s.riskPage(ctx, q, after)
			if err != nil {
				return res, err
			}
			if len(ids) == 0 {
				break
			}
			after = ids[len(ids)-1]
			if err := s.checkRisks(ctx, ids, opts, &res); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// riskPage reads one page of order ids with q (its $1 is the last id seen).
func (s *Service) riskPage(ctx context.Context, q string, after int64) ([]int64, error) {
	rows, err := s.db.R.QueryContext(ctx, q, after)
	if err != nil {
		return nil, fmt.Errorf("at-risk orders: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("at-risk orders: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("at-risk orders: %w", err)
	}
	return ids, nil
}

// checkRisks assesses a page of orders and applies the changed ones.
func (s *Service) checkRisks(ctx context.Context, ids []int64, opts AtRiskOptions, res *AtRiskResult) error {
	res.Orders += len(ids)
	now := s.clock()
	ros, err := s.riskOrders(ctx, s.db.R, ids, opts)
	if err != nil {
		return err
	}
	open, err := s.openRisks(ctx, s.db.R, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if sameRisks(Assess(ros[id], now, opts), open[id]) {
			continue
		}
		var f, c int
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			f, c, err = s.applyRisks(ctx, tx, id, opts)
			return err
		})
		if err != nil {
			return err
		}
		res.Flagged += f
		res.Cleared += c
	}
	return nil
}

// sameRisks reports whether the open flags are exactly the wanted ones.
func sameRisks(want map[RiskReason]string, open []Risk) bool {
	if len(want) != len(open) {
		return false
	}
	for _, r := range open {
		if d, ok := want[r.Reason]; !ok || d != r.Detail {
			return false
		}
	}
	return true
}

// applyRisks locks an order, assesses it again and brings its open flags in
// line, recording each raised and cleared flag on the timeline with an event.
func (s *Service) applyRisks(ctx context.Context, tx *sql.Tx, number int64, opts AtRiskOptions) (flagged, cleared int, err error) {
	var st State
	if err := tx.QueryRowContext(ctx, `SELECT state FROM orders WHERE id = $1`+s.db.Dialect.ForUpdate(), number).Scan(&st); err != nil {
		return 0, 0, fmt.Errorf("at-risk order %d: %w", number, err)
	}
	now := s.clock()
	ros, err := s.riskOrders(ctx, tx, []int64{number}, opts)
	if err != nil {
		return 0, 0, err
	}
	want := Assess(ros[number], now, opts)
	openAll, err := s.openRisks(ctx, tx, []int64{number})
	if err != nil {
		return 0, 0, err
	}
	open := openAll[number]
	const who = "system:at_risk"
	for _, r := range open {
		d, still := want[r.Reason]
		switch {
		case still && d != r.Detail:
			// Same reason, new facts (e.g. a later restock date): the
			// flag's text follows without a new entry or event.
			if _, err := tx.ExecContext(ctx, `UPDATE order_risks SET detail = $1 WHERE order_id = $2 AND reason = $3 AND cleared_at IS NULL`,
				d, number, r.Reason); err != nil {
				return 0, 0, fmt.Errorf("at-risk order %d: %w", number, err)
			}
		case !still:
			res, err := tx.ExecContext(ctx, `UPDATE order_risks SET cleared_at = $1 WHERE order_id = $2 AND reason = $3 AND cleared_at IS NULL`,
				now, number, r.Reason)
			if err != nil {
				return 0, 0, fmt.Errorf("at-risk order %d: %w", number, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			entry, err := s.record(ctx, tx, number, 0, "at_risk_cleared", "", "", who, "no longer at risk ("+string(r.Reason)+")",
				map[string]any{"reason": r.Reason, "was": r.Detail, "since": r.Since})
			if err != nil {
				return 0, 0, err
			}
			if err := s.emit(ctx, tx, EventArgs{Event: EventAtRiskCleared, Order: number, Entry: entry}); err != nil {
				return 0, 0, err
			}
			cleared++
		}
	}
	reasons := make([]RiskReason, 0, len(want))
	for r := range want {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	for _, r := range reasons {
		if slices.ContainsFunc(open, func(o Risk) bool { return o.Reason == r }) {
			continue
		}
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO order_risks (order_id, reason, detail, flagged_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (order_id, reason) WHERE cleared_at IS NULL DO NOTHING RETURNING id`, number, r, want[r], now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			continue // raised meanwhile by another run
		}
		if err != nil {
			return 0, 0, fmt.Errorf("at-risk order %d: %w", number, err)
		}
		entry, err := s.record(ctx, tx, number, 0, "at_risk", "", "", who, want[r], map[string]any{"reason": r})
		if err != nil {
			return 0, 0, err
		}
		if err := s.emit(ctx, tx, EventArgs{Event: EventAtRisk, Order: number, Entry: entry}); err != nil {
			return 0, 0, err
		}
		flagged++
	}
	return flagged, cleared, nil
}

// riskOrders reads what the checks need of the given orders: state, promise,
// lines, the time zones of the suppliers holding their stock, purchase
// orders, shipments and the restock sources of backordered lines. An order
// without a promise, or no longer open, is a RiskOrder with no lines and a
// state the checks skip.
func (s *Service) riskOrders(ctx context.Context, q store.Querier, ids []int64, opts AtRiskOptions) (map[int64]*RiskOrder, error) {
	in, args := idList(ids)
	out := make(map[int64]*RiskOrder, len(ids))
	rows, err := q.QueryContext(ctx, `SELECT id, state, COALESCE(promised_ship_by, ''), COALESCE(promised_earliest, ''), COALESCE(promised_latest, '')
		FROM orders WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("at-risk orders: %w", err)
	}
	for rows.Next() {
		o := &RiskOrder{}
		var shipBy, earliest, latest string
		if err := rows.Scan(&o.Number, &o.State, &shipBy, &earliest, &latest); err != nil {
			rows.Close()
			return nil, fmt.Errorf("at-risk orders: %w", err)
		}
		out[o.Number] = o
		if !slices.Contains(openForRisk, o.State) {
			continue
		}
		var e1, e2, e3 error
		o.ShipBy, e1 = time.Parse(time.DateOnly, shipBy)
		o.Earliest, e2 = time.Parse(time.DateOnly, earliest)
		o.Latest, e3 = time.Parse(time.DateOnly, latest)
		if e1 != nil || e2 != nil || e3 != nil {
			o.State = "" // no usable promise: nothing to check
			continue
		}
		o.ShipByEnd = endOfDay(o.ShipBy, opts.Location)
		o.LatestEnd = endOfDay(o.Latest, opts.Location)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("at-risk orders: %w", err)
	}
	for _, id := range ids {
		if out[id] == nil {
			out[id] = &RiskOrder{Number: id}
		}
	}
	rows, err = q.QueryContext(ctx, `SELECT order_id, id, position, sku, state, qty_backordered, qty_short, backorder_expected_at
		FROM order_lines WHERE order_id IN (`+in+`) ORDER BY order_id, position`, args...)
	if err != nil {
		return nil, fmt.Errorf("at-risk order lines: %w", err)
	}
	for rows.Next() {
		var id int64
		var l Line
		var exp sql.NullTime
		if err := rows.Scan(&id, &l.ID, &l.Position, &l.SKU, &l.State, &l.Backordered, &l.Short, &exp); err != nil {
			rows.Close()
			return nil, fmt.Errorf("at-risk order lines: %w", err)
		}
		if exp.Valid {
			t := exp.Time.UTC()
			l.ExpectedAt = &t
		}
		out[id].Lines = append(out[id].Lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("at-risk order lines: %w", err)
	}
	if err := s.riskPurchasing(ctx, q, in, args, out); err != nil {
		return nil, err
	}
	if err := s.riskSources(ctx, q, in, args, out); err != nil {
		return nil, err
	}
	// The suppliers holding the orders' stock: the ship-by day ends at
	// midnight in their time zone (the latest of them if several).
	rows, err = q.QueryContext(ctx, `SELECT DISTINCT l.order_id, su.timezone FROM order_lines l
		JOIN stock_reservations r ON r.ref = 'order:' || l.order_id || '/line:' || l.position
		JOIN supplier_offers so ON so.id = r.offer_id JOIN suppliers su ON su.id = so.supplier_id
		WHERE l.order_id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("at-risk supplier time zones: %w", err)
	}
	defer rows.Close()
	zoned := map[int64]bool{}
	for rows.Next() {
		var id int64
		var tz string
		if err := rows.Scan(&id, &tz); err != nil {
			return nil, fmt.Errorf("at-risk supplier time zones: %w", err)
		}
		o := out[id]
		loc, err := time.LoadLocation(tz)
		if err != nil || o.ShipBy.IsZero() {
			continue // an unknown zone keeps the store's
		}
		end := endOfDay(o.ShipBy, loc)
		if !zoned[id] || end.After(o.ShipByEnd) {
			o.ShipByEnd = end
		}
		zoned[id] = true
	}
	return out, rows.Err()
}

// riskPurchasing reads the unanswered purchase orders and the shipments of
// the orders in out (issue 7's tables) into their RiskOrders.
func (s *Service) riskPurchasing(ctx context.Context, q store.Querier, in string, args []any, out map[int64]*RiskOrder) error {
	rows, err := q.QueryContext(ctx, `SELECT pl.order_id, po.id, su.name, COUNT(*), po.ack_due_at
		FROM purchase_order_lines pl JOIN purchase_orders po ON po.id = pl.purchase_order_id JOIN suppliers su ON su.id = po.supplier_id
		WHERE pl.order_id IN (`+in+`) AND pl.qty_pending > 0 AND po.ack_due_at IS NOT NULL
		GROUP BY pl.order_id, po.id, su.name, po.ack_due_at ORDER BY pl.order_id, po.id`, args...)
	if err != nil {
		return fmt.Errorf("at-risk purchase orders: %w", err)
	}
	for rows.Next() {
		var id int64
		var a RiskAck
		if err := rows.Scan(&id, &a.PurchaseOrder, &a.Supplier, &a.Lines, &a.DueAt); err != nil {
			rows.Close()
			return fmt.Errorf("at-risk purchase orders: %w", err)
		}
		a.DueAt = a.DueAt.UTC()
		out[id].Unacknowledged = append(out[id].Unacknowledged, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("at-risk purchase orders: %w", err)
	}
	rows, err = q.QueryContext(ctx, `SELECT order_id, id, carrier, tracking_number, status, shipped_at, last_event_at, delivered_at IS NOT NULL
		FROM shipments WHERE order_id IN (`+in+`) ORDER BY order_id, id`, args...)
	if err != nil {
		return fmt.Errorf("at-risk shipments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var sh RiskShipment
		var last sql.NullTime
		if err := rows.Scan(&id, &sh.ID, &sh.Carrier, &sh.TrackingNumber, &sh.Status, &sh.ShippedAt, &last, &sh.Delivered); err != nil {
			return fmt.Errorf("at-risk shipments: %w", err)
		}
		sh.ShippedAt = sh.ShippedAt.UTC()
		if last.Valid {
			sh.LastEventAt = last.Time.UTC()
		}
		out[id].Shipments = append(out[id].Shipments, sh)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("at-risk shipments: %w", err)
	}
	return nil
}

// riskSources reads, in one query for the whole page, the active offers of
// the variants the orders' backordered units wait for, each with its
// supplier's latest answer to the restock question about the variant (the
// latest answered, by answered_at then id).
func (s *Service) riskSources(ctx context.Context, q store.Querier, in string, args []any, out map[int64]*RiskOrder) error {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT l.order_id, l.sku, su.name, COALESCE((SELECT rq.answer FROM restock_questions rq
			WHERE rq.supplier_id = so.supplier_id AND rq.variant_id = so.variant_id AND rq.status = 'answered'
			ORDER BY rq.answered_at DESC, rq.id DESC LIMIT 1), '')
		FROM order_lines l JOIN supplier_offers so ON so.variant_id = l.variant_id AND so.status = 'active'
		JOIN suppliers su ON su.id = so.supplier_id
		WHERE l.order_id IN (`+in+`) AND l.qty_backordered > 0
		ORDER BY 1, 2, 3`, args...)
	if err != nil {
		return fmt.Errorf("at-risk restock sources: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var src RiskSource
		if err := rows.Scan(&id, &src.SKU, &src.Supplier, &src.Answer); err != nil {
			return fmt.Errorf("at-risk restock sources: %w", err)
		}
		out[id].Sources = append(out[id].Sources, src)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("at-risk restock sources: %w", err)
	}
	return nil
}

// endOfDay is the instant the calendar day d ends in loc.
func endOfDay(d time.Time, loc *time.Location) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc).UTC()
}

// openRisks returns the open flags of the given orders, oldest first.
func (s *Service) openRisks(ctx context.Context, q store.Querier, ids []int64) (map[int64][]Risk, error) {
	out := map[int64][]Risk{}
	if len(ids) == 0 {
		return out, nil
	}
	in, args := idList(ids)
	rows, err := q.QueryContext(ctx, `SELECT order_id, reason, detail, flagged_at FROM order_risks
		WHERE cleared_at IS NULL AND order_id IN (`+in+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("at-risk flags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var r Risk
		if err := rows.Scan(&id, &r.Reason, &r.Detail, &r.Since); err != nil {
			return nil, fmt.Errorf("at-risk flags: %w", err)
		}
		r.Since = r.Since.UTC()
		out[id] = append(out[id], r)
	}
	return out, rows.Err()
}

// Risks returns the open at-risk flags of an order, oldest first.
func (s *Service) Risks(ctx context.Context, number int64) ([]Risk, error) {
	m, err := s.openRisks(ctx, s.db.R, []int64{number})
	if err != nil {
		return nil, err
	}
	if m[number] == nil {
		return []Risk{}, nil
	}
	return m[number], nil
}

func idList(ids []int64) (string, []any) {
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i], args[i] = "$"+strconv.Itoa(i+1), id
	}
	return strings.Join(ph, ", "), args
}

// AtRiskArgs is the periodic job that checks open orders against their
// promise.
type AtRiskArgs struct{}

// Kind is the River job kind.
func (AtRiskArgs) Kind() string { return "check_at_risk" }

// AtRiskWorker works AtRiskArgs with Orders (set once the service exists).
type AtRiskWorker struct {
	river.WorkerDefaults[AtRiskArgs]
	Orders  *Service
	Options AtRiskOptions
}

// Work runs the at-risk checks.
func (w *AtRiskWorker) Work(ctx context.Context, _ *river.Job[AtRiskArgs]) error {
	if w.Orders == nil {
		return fmt.Errorf("at-risk check: the worker is not bound to the order service")
	}
	res, err := w.Orders.CheckAtRisk(ctx, w.Options)
	if res.Flagged > 0 || res.Cleared > 0 {
		w.Orders.log.Info("at-risk orders", "orders", res.Orders, "flagged", res.Flagged, "cleared", res.Cleared)
	}
	return err
}

// AtRiskJob is the periodic job that checks open orders every period (and
// once at start). River's leader alone enqueues periodic jobs, so one
// instance runs it at a time; the unique open flag makes overlaps harmless.
func AtRiskJob(period time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(period),
		func() (river.JobArgs, *river.InsertOpts) { return AtRiskArgs{}, nil },
		&river.PeriodicJobOpts{ID: AtRiskArgs{}.Kind(), RunOnStart: true})
}
