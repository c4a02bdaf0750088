package inventory_test

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// modelOffer is the test's own account of one offer's position.
type modelOffer struct {
	id, supplier       int64
	reported, reserved int
	paused             bool
}

// model recomputes everything from first principles, independently of the
// SQL, and the test compares the two after every step.
type model struct {
	sku     string
	variant int64
	offers  []*modelOffer // in priority order
	supBuf  map[int64]inventory.Buffer
	skuBuf  inventory.Buffer
	held    map[string]map[int64]int // ref → offer → units
	sups    map[int64]*modelSupplier
	skuMin  int
}

// modelSupplier is the test's account of a supplier's staleness and minimum.
type modelSupplier struct {
	staleness inventory.Staleness
	lastFeed  time.Time
	stale     bool
	minQty    int
}

func (m *model) supplier(id int64) *modelSupplier {
	if m.sups[id] == nil {
		m.sups[id] = &modelSupplier{staleness: inventory.Staleness{Mode: inventory.StaleExclude}}
	}
	return m.sups[id]
}

func (m *model) buffer(o *modelOffer) int {
	s := m.supplier(o.supplier)
	b, _ := inventory.EffectiveBuffer(o.reported,
		inventory.SupplierRules{Buffer: m.supBuf[o.supplier], MinQuantity: s.minQty, Stale: s.stale, StaleMode: s.staleness.Mode, StalePercent: s.staleness.Percent},
		inventory.SKURules{Buffer: m.skuBuf, MinQuantity: m.skuMin})
	return b
}

func (m *model) available(o *modelOffer) int {
	if o.paused {
		return 0
	}
	return max(0, o.reported-m.buffer(o)-o.reserved)
}

func (m *model) ats() int {
	n := 0
	for _, o := range m.offers {
		n += m.available(o)
	}
	return n
}

// TestStockProperties runs random sequences of report, adjust, buffer change,
// minimum quantity, staleness setting, time passing (with the staleness job),
// pause, reserve and release, checking after each step that the database
// agrees with the model and that no reservation went past its limit.
func TestStockProperties(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		iteration := 0
		clk := newClock(t0) // one clock for all iterations: the job sees every supplier
		rapid.Check(t, func(rt *rapid.T) {
			iteration++
			f := &fixture{t: rt, db: db, svc: inventory.New(db, clk.now, inventory.Options{})}
			f.n = iteration * 100
			m := &model{sku: fmt.Sprintf("PROP-%d", iteration), supBuf: map[int64]inventory.Buffer{}, held: map[string]map[int64]int{},
				sups: map[int64]*modelSupplier{}}
			m.variant = f.variant(m.sku)
			for i := range rapid.IntRange(1, 3).Draw(rt, "offers") {
				sup := f.supplier("active")
				m.offers = append(m.offers, &modelOffer{id: f.offer(sup, m.variant, i+1, "active"), supplier: sup})
			}
			pickOffer := func() *modelOffer { return rapid.SampledFrom(m.offers).Draw(rt, "offer") }
			drawBuffer := func() inventory.Buffer {
				return inventory.Buffer{Units: rapid.IntRange(0, 4).Draw(rt, "units"), Percent: inventory.Percent(rapid.IntRange(0, 40).Draw(rt, "pct") * 125)}
			}
			refs := 0

			check := func(step string) {
				for _, o := range m.offers {
					rep, buf, res := f.position(o.id)
					if rep != o.reported || res != o.reserved || (rep > 0 || buf > 0) && buf != m.buffer(o) {
						rt.Fatalf("after %s: offer %d stored (reported %d, buffer %d, reserved %d), model (%d, %d, %d)",
							step, o.id, rep, buf, res, o.reported, m.buffer(o), o.reserved)
					}
				}
				ats := f.ats(m.variant)
				if ats < 0 || ats != m.ats() {
					rt.Fatalf("after %s: ATS %d, model %d", step, ats, m.ats())
				}
				// The maintained per-SKU column agrees with the sum on read.
				var level int
				if err := db.R.QueryRow(`SELECT ats FROM stock_levels WHERE variant_id = $1`, m.variant).Scan(&level); err != nil || level != ats {
					rt.Fatalf("after %s: stock_levels.ats %d (%v), ATS on read %d", step, level, err, ats)
				}
			}

			rt.Repeat(map[string]func(*rapid.T){
				"report": func(rt *rapid.T) {
					o, q := pickOffer(), rapid.IntRange(0, 30).Draw(rt, "qty")
					f.report(o.id, q)
					o.reported = q
					// A report makes its supplier's feed current, and fresh.
					s := m.supplier(o.supplier)
					s.lastFeed = clk.now()
					s.stale = s.staleness.StaleAt(s.lastFeed, clk.now())
					check("report")
				},
				"staleness": func(rt *rapid.T) {
					o := pickOffer()
					st := inventory.Staleness{
						MaxAge: time.Duration(rapid.SampledFrom([]int{0, 12, 48}).Draw(rt, "max_age_h")) * time.Hour,
						Mode:   rapid.SampledFrom([]inventory.StaleMode{inventory.StaleExclude, inventory.StaleBuffer}).Draw(rt, "mode"),
					}
					if st.Mode == inventory.StaleBuffer {
						st.Percent = inventory.Percent(rapid.IntRange(1, 8).Draw(rt, "stale_pct") * 1250)
					}
					if _, err := f.svc.SetStaleness(ctx, o.supplier, st); err != nil {
						rt.Fatal(err)
					}
					s := m.supplier(o.supplier)
					s.staleness = st
					s.stale = st.StaleAt(s.lastFeed, clk.now())
					check("staleness")
				},
				"unchanged feed run": func(rt *rapid.T) {
					o := pickOffer()
					err := db.InTx(ctx, func(tx *sql.Tx) error { return f.svc.MarkReported(ctx, tx, o.supplier, time.Time{}) })
					if err != nil {
						rt.Fatal(err)
					}
					s := m.supplier(o.supplier)
					s.lastFeed = clk.now()
					s.stale = s.staleness.StaleAt(s.lastFeed, clk.now())
					check("unchanged feed run")
				},
				"time passes": func(rt *rapid.T) {
					clk.advance(time.Duration(rapid.IntRange(1, 60).Draw(rt, "hours")) * time.Hour)
					if _, err := f.svc.RefreshStaleness(ctx); err != nil {
						rt.Fatal(err)
					}
					for _, s := range m.sups {
						s.stale = s.staleness.StaleAt(s.lastFeed, clk.now())
					}
					check("time passes")
				},
				"supplier minimum": func(rt *rapid.T) {
					o, n := pickOffer(), rapid.IntRange(0, 8).Draw(rt, "min")
					if err := f.svc.SetSupplierMinQuantity(ctx, o.supplier, n); err != nil {
						rt.Fatal(err)
					}
					m.supplier(o.supplier).minQty = n
					check("supplier minimum")
				},
				"sku minimum": func(rt *rapid.T) {
					n := rapid.IntRange(0, 8).Draw(rt, "min")
					if err := f.svc.SetSKUMinQuantity(ctx, m.sku, n); err != nil {
						rt.Fatal(err)
					}
					m.skuMin = n
					check("sku minimum")
				},
				"adjust": func(rt *rapid.T) {
					o, d := pickOffer(), rapid.IntRange(-10, 10).Draw(rt, "delta")
					_, err := f.svc.Adjust(ctx, inventory.AdjustInput{OfferID: o.id, Mode: inventory.KindAdd, Delta: &d, Reason: "cycle count"}, "test")
					switch {
					case d == 0 || o.reported+d < 0:
						if !apperr.Is(err, apperr.Invalid) {
							rt.Fatalf("adjust %+d on %d: err %v, want invalid", d, o.reported, err)
						}
					case err != nil:
						rt.Fatalf("adjust %+d on %d: %v", d, o.reported, err)
					default:
						o.reported += d
					}
					check("adjust")
				},
				"supplier buffer": func(rt *rapid.T) {
					o, b := pickOffer(), drawBuffer()
					if err := f.svc.SetSupplierBuffer(ctx, o.supplier, b); err != nil {
						rt.Fatal(err)
					}
					m.supBuf[o.supplier] = b
					check("supplier buffer")
				},
				"sku buffer": func(rt *rapid.T) {
					b := drawBuffer()
					if err := f.svc.SetSKUBuffer(ctx, m.sku, b); err != nil {
						rt.Fatal(err)
					}
					m.skuBuf = b
					check("sku buffer")
				},
				"pause": func(rt *rapid.T) {
					o := pickOffer()
					o.paused = !o.paused
					status := map[bool]string{false: "active", true: "paused"}[o.paused]
					if _, err := db.W.Exec(`UPDATE suppliers SET status = $1 WHERE id = $2`, status, o.supplier); err != nil {
						rt.Fatal(err)
					}
					check("pause")
				},
				"deactivate offer": func(rt *rapid.T) {
					o := pickOffer()
					if _, err := db.W.Exec(`UPDATE supplier_offers SET status = 'inactive' WHERE id = $1`, o.id); err != nil {
						rt.Fatal(err)
					}
					o.paused = true
					check("deactivate offer")
					if _, err := db.W.Exec(`UPDATE supplier_offers SET status = 'active' WHERE id = $1`, o.id); err != nil {
						rt.Fatal(err)
					}
					o.paused = false
					if _, err := db.W.Exec(`UPDATE suppliers SET status = 'active' WHERE id = $1`, o.supplier); err != nil {
						rt.Fatal(err)
					}
					check("reactivate offer")
				},
				"reserve": func(rt *rapid.T) {
					q := rapid.IntRange(1, 12).Draw(rt, "qty")
					refs++
					ref := fmt.Sprintf("%s/%d", m.sku, refs)
					before := m.ats()
					got, err := f.reserve(inventory.Request{VariantID: m.variant, Quantity: q, Ref: ref})
					if q > before {
						if !apperr.Is(err, apperr.Unavailable) {
							rt.Fatalf("reserve %d of %d: err %v, want unavailable", q, before, err)
						}
						check("refused reserve")
						return
					}
					if err != nil {
						rt.Fatalf("reserve %d of %d: %v", q, before, err)
					}
					// The model allocates in priority order too.
					need, want := q, map[int64]int{}
					for _, o := range m.offers {
						take := min(need, m.available(o))
						if take > 0 {
							want[o.id] = take
							need -= take
						}
					}
					gotBy := map[int64]int{}
					for _, a := range got[0].Allocations {
						gotBy[a.OfferID] = a.Quantity
					}
					if fmt.Sprint(gotBy) != fmt.Sprint(want) {
						rt.Fatalf("reserve %d: allocations %v, model %v", q, gotBy, want)
					}
					m.held[ref] = want
					for _, o := range m.offers {
						o.reserved += want[o.id]
						if want[o.id] > 0 && o.reserved > o.reported-m.buffer(o) {
							rt.Fatalf("reserve %d: offer %d reserved %d above its limit %d", q, o.id, o.reserved, o.reported-m.buffer(o))
						}
					}
					check("reserve")
				},
				"release": func(rt *rapid.T) {
					if len(m.held) == 0 {
						rt.Skip("nothing held")
					}
					ref := rapid.SampledFrom(slices.Sorted(maps.Keys(m.held))).Draw(rt, "ref")
					want := 0
					for _, o := range m.offers {
						o.reserved -= m.held[ref][o.id]
						want += m.held[ref][o.id]
					}
					delete(m.held, ref)
					if n := f.release(ref); n != want {
						rt.Fatalf("release %s freed %d, want %d", ref, n, want)
					}
					check("release")
				},
				"reserve and release": func(rt *rapid.T) {
					before := f.ats(m.variant)
					if before == 0 {
						rt.Skip("nothing available")
					}
					q := rapid.IntRange(1, before).Draw(rt, "qty")
					if _, err := f.reserve(inventory.Request{VariantID: m.variant, Quantity: q, Ref: "roundtrip"}); err != nil {
						rt.Fatalf("reserve %d of %d: %v", q, before, err)
					}
					if n := f.release("roundtrip"); n != q {
						rt.Fatalf("release freed %d, want %d", n, q)
					}
					if after := f.ats(m.variant); after != before {
						rt.Fatalf("ATS %d after reserve+release, was %d", after, before)
					}
				},
			})
		})
	})
}
