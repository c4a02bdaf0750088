// Package scorecards measures how each supplier keeps its side of the
// bargain, from the purchase orders it was sent and the shipments it made:
// how fast it answers, how often it rejects, whether it ships by the promised
// ship-by day, and what is open or late now. It is the start of the supplier
// scorecards (docs/followup.md); it reads, never writes.
package scorecards

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/orderly-oms/orderly/internal/store"
)

// Scorecard is one supplier's performance over a window, and its open work now.
type Scorecard struct {
	SupplierID int64  `json:"supplier_id"`
	Supplier   string `json:"supplier"`
	// Sent in the window: the lines of purchase orders sent in it.
	LinesSent int `json:"lines_sent"`
	UnitsSent int `json:"units_sent"`
	// Answers to those lines (accept or reject), and how long they took
	// from the moment the purchase order was sent.
	LinesAnswered   int     `json:"lines_answered"`
	AckMedianMin    int     `json:"ack_median_minutes" doc:"Median minutes from sending to the answer"`
	AckP90Min       int     `json:"ack_p90_minutes" doc:"90th percentile of minutes from sending to the answer"`
	AnsweredOnTime  int     `json:"answered_on_time" doc:"Lines answered by the acknowledgement deadline"`
	AckOnTimeRate   float64 `json:"ack_on_time_rate" doc:"answered_on_time / lines_answered; 0 when none"`
	UnitsRejected   int     `json:"units_rejected"`
	RejectionRate   float64 `json:"rejection_rate" doc:"units_rejected / units_sent; 0 when none"`
	ShippedWithDate int     `json:"shipped_with_date" doc:"Shipment lines in the window whose order carries a ship-by day"`
	ShippedOnTime   int     `json:"shipped_on_time" doc:"Of those, shipped by the end of the ship-by day in the supplier's time zone"`
	ShipOnTimeRate  float64 `json:"ship_on_time_rate" doc:"shipped_on_time / shipped_with_date; 0 when none"`
	// Now: lines waiting for the supplier.
	OpenUnacknowledged int `json:"open_unacknowledged" doc:"Lines of sent purchase orders with units not yet answered"`
	OpenOverdue        int `json:"open_overdue" doc:"Of those, past the acknowledgement deadline"`
	OpenLateToShip     int `json:"open_late_to_ship" doc:"Lines with units not shipped after the order's ship-by day ended"`
}

// Compute returns the scorecard of every supplier, by name, for purchase
// orders sent and shipments made in [from, to), and the open work at now.
func Compute(ctx context.Context, q store.Querier, from, to, now time.Time) ([]Scorecard, error) {
	cards := map[int64]*Scorecard{}
	zones := map[int64]*time.Location{}
	rows, err := q.QueryContext(ctx, `SELECT id, name, timezone FROM suppliers ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("scorecards: suppliers: %w", err)
	}
	for rows.Next() {
		var c Scorecard
		var tz string
		if err := rows.Scan(&c.SupplierID, &c.Supplier, &tz); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scorecards: suppliers: %w", err)
		}
		cards[c.SupplierID] = &c
		if zones[c.SupplierID], err = time.LoadLocation(tz); err != nil {
			zones[c.SupplierID] = time.UTC
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scorecards: suppliers: %w", err)
	}

	// Lines sent in the window and their answers.
	acks := map[int64][]time.Duration{}
	rows, err = q.QueryContext(ctx, `SELECT pl.supplier_id, pl.quantity, pl.qty_rejected, pl.answered_at, po.sent_at, po.ack_due_at
		FROM purchase_order_lines pl JOIN purchase_orders po ON po.id = pl.purchase_order_id
		WHERE po.sent_at >= $1 AND po.sent_at < $2`, from, to)
	if err != nil {
		return nil, fmt.Errorf("scorecards: lines sent: %w", err)
	}
	for rows.Next() {
		var sup int64
		var qty, rejected int
		var answered, due sql.NullTime
		var sent time.Time
		if err := rows.Scan(&sup, &qty, &rejected, &answered, &sent, &due); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scorecards: lines sent: %w", err)
		}
		c := cards[sup]
		if c == nil {
			continue
		}
		c.LinesSent++
		c.UnitsSent += qty
		c.UnitsRejected += rejected
		if answered.Valid {
			c.LinesAnswered++
			acks[sup] = append(acks[sup], answered.Time.Sub(sent))
			if due.Valid && !answered.Time.After(due.Time) {
				c.AnsweredOnTime++
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scorecards: lines sent: %w", err)
	}

	// Shipments in the window against the order's ship-by day.
	rows, err = q.QueryContext(ctx, `SELECT sh.supplier_id, sh.shipped_at, o.promised_ship_by
		FROM shipment_lines sl JOIN shipments sh ON sh.id = sl.shipment_id JOIN orders o ON o.id = sh.order_id
		WHERE sh.shipped_at >= $1 AND sh.shipped_at < $2 AND o.promised_ship_by IS NOT NULL`, from, to)
	if err != nil {
		return nil, fmt.Errorf("scorecards: shipments: %w", err)
	}
	for rows.Next() {
		var sup int64
		var shipped time.Time
		var shipBy string
		if err := rows.Scan(&sup, &shipped, &shipBy); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scorecards: shipments: %w", err)
		}
		c := cards[sup]
		end, ok := EndOfDay(shipBy, zones[sup])
		if c == nil || !ok {
			continue
		}
		c.ShippedWithDate++
		if shipped.Before(end) {
			c.ShippedOnTime++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scorecards: shipments: %w", err)
	}

	// Open work now.
	rows, err = q.QueryContext(ctx, `SELECT pl.supplier_id, pl.qty_pending, pl.qty_accepted, po.ack_due_at, COALESCE(o.promised_ship_by, '')
		FROM purchase_order_lines pl JOIN purchase_orders po ON po.id = pl.purchase_order_id JOIN orders o ON o.id = pl.order_id
		WHERE (pl.qty_pending > 0 OR pl.qty_accepted > 0) AND po.sent_at IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("scorecards: open lines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sup int64
		var pending, accepted int
		var due sql.NullTime
		var shipBy string
		if err := rows.Scan(&sup, &pending, &accepted, &due, &shipBy); err != nil {
			return nil, fmt.Errorf("scorecards: open lines: %w", err)
		}
		c := cards[sup]
		if c == nil {
			continue
		}
		if pending > 0 {
			c.OpenUnacknowledged++
			if due.Valid && !now.Before(due.Time) {
				c.OpenOverdue++
			}
		}
		if end, ok := EndOfDay(shipBy, zones[sup]); ok && !now.Before(end) {
			c.OpenLateToShip++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scorecards: open lines: %w", err)
	}

	out := make([]Scorecard, 0, len(cards))
	for id, c := range cards {
		c.AckMedianMin, c.AckP90Min = minutesQuantile(acks[id], 0.5), minutesQuantile(acks[id], 0.9)
		c.AckOnTimeRate = rate(c.AnsweredOnTime, c.LinesAnswered)
		c.RejectionRate = rate(c.UnitsRejected, c.UnitsSent)
		c.ShipOnTimeRate = rate(c.ShippedOnTime, c.ShippedWithDate)
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Supplier != out[j].Supplier {
			return out[i].Supplier < out[j].Supplier
		}
		return out[i].SupplierID < out[j].SupplierID
	})
	return out, nil
}

// EndOfDay is the instant the calendar day (YYYY-MM-DD) ends in loc; false
// when day is not a date.
func EndOfDay(day string, loc *time.Location) (time.Time, bool) {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc), true
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// minutesQuantile is the q-quantile (nearest rank) of ds in whole minutes,
// 0 when ds is empty.
func minutesQuantile(ds []time.Duration, q float64) int {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	i = max(0, min(i, len(s)-1))
	return int(s[i] / time.Minute)
}
