package inventory_test

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestConceptsWorkedExample checks the worked example of docs/concepts.md, so
// the numbers there stay true.
func TestConceptsWorkedExample(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clk := newClockFixture(t, db)
		v := f.variant("MUG-BLUE")
		lisboa, porto, shenzhen := f.supplier("active"), f.supplier("active"), f.supplier("active")
		ol, op, os := f.offer(lisboa, v, 1, "active"), f.offer(porto, v, 2, "active"), f.offer(shenzhen, v, 3, "active")
		if err := f.svc.SetSKUBuffer(ctx, "MUG-BLUE", inventory.Buffer{Units: 3}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetSupplierBuffer(ctx, lisboa, inventory.Buffer{Units: 2, Percent: 1250}); err != nil {
			t.Fatal(err)
		}
		f.report(ol, 40)
		f.report(op, 9)
		f.report(os, 100)
		if _, err := db.W.Exec(`UPDATE suppliers SET status = 'paused' WHERE id = $1`, shenzhen); err != nil {
			t.Fatal(err)
		}
		if _, err := f.reserve(inventory.Request{VariantID: v, Quantity: 6, Ref: "earlier-order"}); err != nil {
			t.Fatal(err)
		}
		st, err := f.svc.Stock(ctx, "MUG-BLUE")
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			buffer            int
			rule              inventory.BufferRule
			reserved, contrib int
		}
		want := []row{{5, inventory.RuleSupplierPct, 6, 29}, {3, inventory.RuleVariantUnits, 0, 6}, {3, inventory.RuleVariantUnits, 0, 0}}
		for i, o := range st.Offers {
			if got := (row{o.Buffer, o.BufferRule, o.Reserved, o.Contribution}); got != want[i] {
				t.Errorf("offer %d: %+v, want %+v", i, got, want[i])
			}
		}
		if st.ATS != 35 {
			t.Errorf("ATS = %d, want 35", st.ATS)
		}
		f.report(ol, 41)
		if st, _ := f.svc.Stock(ctx, "MUG-BLUE"); st.Offers[0].Buffer != 6 || st.Offers[0].Contribution != 29 {
			t.Errorf("after reporting 41: buffer %d, contribution %d; want 6, 29", st.Offers[0].Buffer, st.Offers[0].Contribution)
		}
		res, err := f.reserve(inventory.Request{VariantID: v, Quantity: 32, Ref: "order-32"})
		if err != nil {
			t.Fatal(err)
		}
		if a := res[0].Allocations; len(a) != 2 || a[0].Quantity != 29 || a[1].Quantity != 3 || f.ats(v) != 3 {
			t.Errorf("order for 32: allocations %+v, ATS %d; want 29 + 3, ATS 3", a, f.ats(v))
		}

		// Stale feeds and minimum quantities (concepts.md, "Stale feeds").
		if _, err := f.svc.SetStaleness(ctx, porto, inventory.Staleness{MaxAge: 48 * time.Hour, Mode: inventory.StaleExclude}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetStaleness(ctx, lisboa, inventory.Staleness{MaxAge: 48 * time.Hour, Mode: inventory.StaleBuffer, Percent: 2500}); err != nil {
			t.Fatal(err)
		}
		type step struct {
			name      string
			lisboa    row
			porto     row
			ats       int
			afterStep func()
		}
		steps := []step{
			{"after the order for 32", row{6, inventory.RuleSupplierPct, 35, 0}, row{3, inventory.RuleVariantUnits, 3, 3}, 3,
				func() { clk.advance(time.Hour); f.report(ol, 80) }},
			{"Lisboa reports 80 an hour later", row{10, inventory.RuleSupplierPct, 35, 35}, row{3, inventory.RuleVariantUnits, 3, 3}, 38,
				func() {
					clk.advance(49 * time.Hour)
					if c, err := f.svc.RefreshStaleness(ctx); err != nil || len(c) != 2 {
						t.Fatalf("refresh at 50h: %+v, %v; want both stale", c, err)
					}
				}},
			{"both feeds stale at 50h", row{30, inventory.RuleStalePercent, 35, 15}, row{9, inventory.RuleStaleExcluded, 3, 0}, 15,
				func() { f.report(op, 9) }},
			{"Porto's feed says 9 again", row{30, inventory.RuleStalePercent, 35, 15}, row{3, inventory.RuleVariantUnits, 3, 3}, 18,
				func() {
					if err := f.svc.SetSupplierMinQuantity(ctx, porto, 10); err != nil {
						t.Fatal(err)
					}
				}},
			{"Porto's minimum quantity is 10", row{30, inventory.RuleStalePercent, 35, 15}, row{9, inventory.RuleSupplierMinQty, 3, 0}, 15, nil},
		}
		// The table in docs/concepts.md shows the same steps: its bold
		// figures are Lisboa's contribution, Porto's and ATS.
		doc := continuedExample(t)
		if len(doc) != len(steps) {
			t.Fatalf("docs/concepts.md's continued example has %d rows, the test %d steps", len(doc), len(steps))
		}
		for i, s := range steps {
			if want := [3]int{s.lisboa.contrib, s.porto.contrib, s.ats}; doc[i] != want {
				t.Errorf("docs/concepts.md, row %d (%s): contributions and ATS %v, the test says %v", i+1, s.name, doc[i], want)
			}
		}
		for _, s := range steps {
			st, err := f.svc.Stock(ctx, "MUG-BLUE")
			if err != nil {
				t.Fatal(err)
			}
			l, p := st.Offers[0], st.Offers[1]
			if got := (row{l.Buffer, l.BufferRule, l.Reserved, l.Contribution}); got != s.lisboa {
				t.Errorf("%s: Lisboa %+v, want %+v", s.name, got, s.lisboa)
			}
			if got := (row{p.Buffer, p.BufferRule, p.Reserved, p.Contribution}); got != s.porto {
				t.Errorf("%s: Porto %+v, want %+v", s.name, got, s.porto)
			}
			if st.ATS != s.ats {
				t.Errorf("%s: ATS %d, want %d", s.name, st.ATS, s.ats)
			}
			checkLevels(t, db, f.svc, s.name)
			if s.afterStep != nil {
				s.afterStep()
			}
		}
	})
}

// continuedExample reads the table of "Worked example, continued" in
// docs/concepts.md: for each row, the bold figures (Lisboa's contribution,
// Porto's, ATS).
func continuedExample(t *testing.T) [][3]int {
	t.Helper()
	b, err := os.ReadFile("../../docs/concepts.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "### Worked example, continued")
	if !ok {
		t.Fatal("docs/concepts.md has no \"Worked example, continued\"")
	}
	bold := regexp.MustCompile(`\*\*(\d+)\*\*`)
	var rows [][3]int
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "## ") {
			break
		}
		m := bold.FindAllStringSubmatch(line, -1)
		if !strings.HasPrefix(line, "|") || len(m) == 0 {
			continue
		}
		if len(m) != 3 {
			t.Fatalf("docs/concepts.md: row %q has %d bold figures, want 3", line, len(m))
		}
		var r [3]int
		for i := range r {
			r[i], _ = strconv.Atoi(m[i][1])
		}
		rows = append(rows, r)
	}
	return rows
}
