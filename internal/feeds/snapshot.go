package feeds

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"time"
)

// snapshot is a supplier's current offers, held compactly for comparing a
// feed with: one fixed-size entry per offer, the supplier SKUs in one byte
// arena, and an open-addressing index from SKU to entry. A million offers
// take about 70 MB (a map[string]*struct would take three times that), and
// the changes a feed makes are written on the entries themselves, so nothing
// else grows with the file.
type snapshot struct {
	inStock    int // active entries with a quantity above 0, as loaded
	entries    []entry
	arena      []byte
	index      []uint32 // entry index + 1; 0 is empty
	mask       uint64
	seed       maphash.Seed
	currencies []string // entry.cur indexes it
}

// entry is one offer: its figures, which a run overwrites with the file's
// as it compares them (the flags say which changed), so that after reading,
// an entry holds what is to be written and, once written, what the next run
// compares with. 48 bytes.
type entry struct {
	offerID   int64
	variantID int64
	cost      int64
	qty       int32
	restock   int32 // days since 1970-01-01 (UTC); 0: none
	line      int32 // the file line that named it; 0: not named
	skuOff    uint32
	skuLen    uint16
	lead      int16
	cur       uint8
	flags     uint8
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
		if e.flags&markActive != 0 && e.qty > 0 {
			sn.inStock++
		}
		sn.entries = append(sn.entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("offers of supplier %d: %w", supplierID, err)
	}
	sn.buildIndex()
	return sn, nil
}

// The saved snapshot: after each applied run the supplier's offers are
// written back with the figures the feed gave (or confirmed), so the next run
// compares its file with them instead of reading every offer, position and
// restock date from the tables (docs/decisions/0009-feed-apply.md). Format:
// "OFS1", the currency codes, the entry count, then per entry offer id,
// variant id, cost, quantity, lead time, restock day, currency index, flags
// and the supplier SKU, as varints.

const snapshotMagic = "OFS1"

// snapshotChunk is the size of a stored chunk of a snapshot.
const snapshotChunk = 1 << 20

// after returns e as the next run is to see it.
func (e *entry) after() entry {
	a := *e
	if e.flags&markDiscontinue != 0 {
		a.flags &^= markActive
	}
	a.flags &= markActive
	return a
}

// saveSnapshot replaces the supplier's saved snapshot with sn's figures after
// the run, as of the offers version the run started from, inside tx.
func (s *Service) saveSnapshot(ctx context.Context, tx *sql.Tx, supplierID int64, sn *snapshot, version int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM feed_snapshots WHERE supplier_id = $1`, supplierID); err != nil {
		return fmt.Errorf("save feed snapshot: %w", err)
	}
	buf := make([]byte, 0, snapshotChunk+256)
	seq := 0
	flush := func(force bool) error {
		if len(buf) < snapshotChunk && !(force && len(buf) > 0) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO feed_snapshots (supplier_id, seq, chunk) VALUES ($1, $2, $3)`, supplierID, seq, buf); err != nil {
			return fmt.Errorf("save feed snapshot: %w", err)
		}
		seq++
		buf = buf[:0]
		return nil
	}
	buf = append(buf, snapshotMagic...)
	buf = binary.AppendUvarint(buf, uint64(len(sn.currencies)))
	for _, c := range sn.currencies {
		buf = binary.AppendUvarint(buf, uint64(len(c)))
		buf = append(buf, c...)
	}
	buf = binary.AppendUvarint(buf, uint64(len(sn.entries)))
	for i := range sn.entries {
		e := &sn.entries[i]
		a := e.after()
		buf = binary.AppendUvarint(buf, uint64(a.offerID))
		buf = binary.AppendUvarint(buf, uint64(a.variantID))
		buf = binary.AppendVarint(buf, a.cost)
		buf = binary.AppendUvarint(buf, uint64(a.qty))
		buf = binary.AppendUvarint(buf, uint64(a.lead))
		buf = binary.AppendVarint(buf, int64(a.restock))
		buf = append(buf, a.cur, a.flags)
		buf = binary.AppendUvarint(buf, uint64(e.skuLen))
		buf = append(buf, sn.arena[e.skuOff:e.skuOff+uint32(e.skuLen)]...)
		if err := flush(false); err != nil {
			return err
		}
	}
	if err := flush(true); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE feed_settings SET snapshot_version = $1 WHERE supplier_id = $2`, version, supplierID); err != nil {
		return fmt.Errorf("save feed snapshot: %w", err)
	}
	return nil
}

// offersVersion returns the supplier's offers version and that of its saved
// snapshot (ok false: none, or built at another version).
func (s *Service) offersVersion(ctx context.Context, supplierID int64) (version int64, ok bool, err error) {
	var saved sql.NullInt64
	err = s.db.R.QueryRowContext(ctx, `SELECT offers_version, snapshot_version FROM feed_settings WHERE supplier_id = $1`, supplierID).
		Scan(&version, &saved)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("feed snapshot of supplier %d: %w", supplierID, err)
	}
	return version, saved.Valid && saved.Int64 == version, nil
}

// loadSaved reads the supplier's saved snapshot.
func (s *Service) loadSaved(ctx context.Context, supplierID int64) (*snapshot, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT chunk FROM feed_snapshots WHERE supplier_id = $1 ORDER BY seq`, supplierID)
	if err != nil {
		return nil, fmt.Errorf("feed snapshot of supplier %d: %w", supplierID, err)
	}
	defer rows.Close()
	sn, err := decodeSnapshot(bufio.NewReaderSize(&chunkReader{rows: rows}, 256<<10))
	if err != nil {
		return nil, fmt.Errorf("feed snapshot of supplier %d: %w", supplierID, err)
	}
	return sn, nil
}

// chunkReader reads the chunks of a query as one stream.
type chunkReader struct {
	rows *sql.Rows
	buf  []byte
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if !c.rows.Next() {
			if err := c.rows.Err(); err != nil {
				return 0, err
			}
			return 0, io.EOF
		}
		if err := c.rows.Scan(&c.buf); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func decodeSnapshot(r *bufio.Reader) (sn *snapshot, err error) {
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != snapshotMagic {
		return nil, fmt.Errorf("not a feed snapshot")
	}
	u := func() uint64 {
		if err != nil {
			return 0
		}
		var v uint64
		v, err = binary.ReadUvarint(r)
		return v
	}
	v := func() int64 {
		if err != nil {
			return 0
		}
		var x int64
		x, err = binary.ReadVarint(r)
		return x
	}
	sn = &snapshot{seed: maphash.MakeSeed()}
	nc := u()
	for i := uint64(0); i < nc && err == nil && i < 256; i++ {
		b := make([]byte, u())
		if err == nil {
			_, err = io.ReadFull(r, b)
		}
		sn.currencies = append(sn.currencies, string(b))
	}
	n := u()
	if err != nil || n > 1<<31 {
		return nil, fmt.Errorf("snapshot header: %v", err)
	}
	sn.entries = make([]entry, 0, n)
	sn.arena = make([]byte, 0, n*12)
	for i := uint64(0); i < n; i++ {
		var e entry
		e.offerID, e.variantID = int64(u()), int64(u())
		e.cost = v()
		e.qty, e.lead, e.restock = int32(u()), int16(u()), int32(v())
		var cur, flags byte
		if err == nil {
			cur, err = r.ReadByte()
		}
		if err == nil {
			flags, err = r.ReadByte()
		}
		l := u()
		if err != nil || l > 65535 || int(cur) >= len(sn.currencies) {
			return nil, fmt.Errorf("snapshot entry %d: %v", i, err)
		}
		e.cur, e.flags = cur, flags&markActive
		if e.flags&markActive != 0 && e.qty > 0 {
			sn.inStock++
		}
		e.skuOff, e.skuLen = uint32(len(sn.arena)), uint16(l)
		sn.arena = slices.Grow(sn.arena, int(l))
		sn.arena = sn.arena[:len(sn.arena)+int(l)]
		if _, err = io.ReadFull(r, sn.arena[e.skuOff:]); err != nil {
			return nil, fmt.Errorf("snapshot entry %d: %v", i, err)
		}
		sn.entries = append(sn.entries, e)
	}
	sn.buildIndex()
	return sn, nil
}
