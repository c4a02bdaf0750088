package feeds

import (
	"context"
	"database/sql"
	"fmt"
	"hash/maphash"
	"time"
)

// snapshot is a supplier's current offers, held compactly for comparing a
// feed with: one fixed-size entry per offer, the supplier SKUs in one byte
// arena, and an open-addressing index from SKU to entry. A million offers
// take about 100 MB (a map[string]*struct would take twice that), and the
// changes a feed makes are marked on the entries themselves, so nothing else
// grows with the file.
type snapshot struct {
	entries    []entry
	arena      []byte
	index      []uint32 // entry index + 1; 0 is empty
	mask       uint64
	seed       maphash.Seed
	currencies []string // entry.cur indexes it
}

// entry is one offer and what the feed says about it.
type entry struct {
	offerID    int64
	variantID  int64
	cost       int64
	newCost    int64
	qty        int32
	newQty     int32
	restock    int32 // days since 1970-01-01 (UTC); 0: none
	newRestock int32
	line       int32 // the file line that named it; 0: not named
	skuOff     uint32
	skuLen     uint16
	lead       int16
	newLead    int16
	cur        uint8
	newCur     uint8
	flags      uint8
}

// entry flags.
const (
	markActive      = 1 << iota // the offer is active
	markQty                     // the quantity changes
	markCost                    // the cost (amount or currency) changes
	markLead                    // the lead time changes
	markRestock                 // the restock date changes
	markDiscontinue             // the feed says discontinued: deactivate the offer
)

const markChanges = markQty | markCost | markLead | markRestock | markDiscontinue

func (e *entry) changed() bool { return e.flags&markChanges != 0 }

func (sn *snapshot) sku(e *entry) string {
	return string(sn.arena[e.skuOff : e.skuOff+uint32(e.skuLen)])
}

// currency returns the index of code, adding it (at most 255 codes).
func (sn *snapshot) currency(code string) (uint8, bool) {
	for i, c := range sn.currencies {
		if c == code {
			return uint8(i), true
		}
	}
	if len(sn.currencies) == 255 {
		return 0, false
	}
	sn.currencies = append(sn.currencies, code)
	return uint8(len(sn.currencies) - 1), true
}

func (sn *snapshot) hash(b []byte) uint64 { return maphash.Bytes(sn.seed, b) }

// find returns the entry of a supplier SKU, or nil.
func (sn *snapshot) find(sku string) *entry {
	if len(sn.index) == 0 {
		return nil
	}
	h := maphash.String(sn.seed, sku)
	for i := h & sn.mask; ; i = (i + 1) & sn.mask {
		k := sn.index[i]
		if k == 0 {
			return nil
		}
		e := &sn.entries[k-1]
		if int(e.skuLen) == len(sku) && string(sn.arena[e.skuOff:e.skuOff+uint32(e.skuLen)]) == sku {
			return e
		}
	}
}

func (sn *snapshot) buildIndex() {
	size := uint64(16)
	for size < uint64(len(sn.entries))*2 {
		size <<= 1
	}
	sn.index = make([]uint32, size)
	sn.mask = size - 1
	for n := range sn.entries {
		e := &sn.entries[n]
		h := sn.hash(sn.arena[e.skuOff : e.skuOff+uint32(e.skuLen)])
		i := h & sn.mask
		for sn.index[i] != 0 {
			i = (i + 1) & sn.mask
		}
		sn.index[i] = uint32(n + 1)
	}
}

// days converts a date to days since the epoch (UTC), and back.
func days(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func dateOf(d int32) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// loadSnapshot reads the supplier's offers, their reported quantities and
// the restock dates a feed gave, in offer id order.
func loadSnapshot(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, supplierID int64) (*snapshot, error) {
	sn := &snapshot{seed: maphash.MakeSeed()}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM supplier_offers WHERE supplier_id = $1`, supplierID).Scan(&n); err != nil {
		return nil, fmt.Errorf("count offers of supplier %d: %w", supplierID, err)
	}
	sn.entries = make([]entry, 0, n)
	sn.arena = make([]byte, 0, n*12)
	rows, err := q.QueryContext(ctx, `SELECT o.id, o.variant_id, o.supplier_sku, o.cost_amount, o.cost_currency, o.lead_time_days,
		CASE WHEN o.status = 'active' THEN 1 ELSE 0 END, COALESCE(sp.reported, 0), r.expected_at
		FROM supplier_offers o LEFT JOIN stock_positions sp ON sp.offer_id = o.id
		LEFT JOIN supplier_offer_restocks r ON r.offer_id = o.id
		WHERE o.supplier_id = $1 ORDER BY o.id`, supplierID)
	if err != nil {
		return nil, fmt.Errorf("offers of supplier %d: %w", supplierID, err)
	}
	defer rows.Close()
	var sku, cur sql.RawBytes
	var active, lead int
	var reported int64
	var restock sql.NullTime
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.offerID, &e.variantID, &sku, &e.cost, &cur, &lead, &active, &reported, &restock); err != nil {
			return nil, fmt.Errorf("offers of supplier %d: %w", supplierID, err)
		}
		if len(sku) > 65535 {
			return nil, fmt.Errorf("offer %d: supplier SKU longer than 65535 bytes", e.offerID)
		}
		e.skuOff, e.skuLen = uint32(len(sn.arena)), uint16(len(sku))
		sn.arena = append(sn.arena, sku...)
		if uint64(len(sn.arena)) > 1<<32-1 {
			return nil, fmt.Errorf("offers of supplier %d: supplier SKUs exceed 4 GiB", supplierID)
		}
		c, ok := sn.currency(string(cur))
		if !ok {
			return nil, fmt.Errorf("offers of supplier %d: more than 255 currencies", supplierID)
		}
		e.cur, e.lead, e.qty = c, int16(lead), int32(reported)
		if active == 1 {
			e.flags = markActive
		}
		if restock.Valid {
			e.restock = days(restock.Time.UTC())
		}
		sn.entries = append(sn.entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("offers of supplier %d: %w", supplierID, err)
	}
	sn.buildIndex()
	return sn, nil
}
