package inventory_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestATS(t *testing.T) {
	t.Parallel()
	type offer struct {
		supplierPaused bool
		inactive       bool
		noReport       bool
		reported       int
		reserved       int
		supplierBuffer inventory.Buffer
	}
	type want struct {
		Buffer       int
		Rule         inventory.BufferRule
		Contribution int
	}
	for _, tc := range []struct {
		name      string
		skuBuffer inventory.Buffer
		offers    []offer
		want      []want
		ats       int
	}{
		{"no buffer", inventory.Buffer{}, []offer{{reported: 10}}, []want{{0, inventory.RuleNone, 10}}, 10},
		{"supplier units", inventory.Buffer{}, []offer{{reported: 10, supplierBuffer: inventory.Buffer{Units: 3}}},
			[]want{{3, inventory.RuleSupplierUnits, 7}}, 7},
		{"supplier percent rounds up", inventory.Buffer{}, []offer{{reported: 10, supplierBuffer: inventory.Buffer{Units: 1, Percent: 2500}}},
			[]want{{3, inventory.RuleSupplierPct, 7}}, 7},
		{"SKU units beat supplier percent", inventory.Buffer{Units: 4}, []offer{{reported: 10, supplierBuffer: inventory.Buffer{Percent: 2000}}},
			[]want{{4, inventory.RuleVariantUnits, 6}}, 6},
		{"SKU percent per offer", inventory.Buffer{Percent: 1000}, []offer{{reported: 31}, {reported: 5}},
			[]want{{4, inventory.RuleVariantPercent, 27}, {1, inventory.RuleVariantPercent, 4}}, 31},
		{"paused supplier excluded", inventory.Buffer{}, []offer{{reported: 10}, {reported: 8, supplierPaused: true}},
			[]want{{0, inventory.RuleNone, 10}, {0, inventory.RuleNone, 0}}, 10},
		{"inactive offer excluded", inventory.Buffer{}, []offer{{reported: 10, inactive: true}, {reported: 8}},
			[]want{{0, inventory.RuleNone, 0}, {0, inventory.RuleNone, 8}}, 8},
		{"reserved and buffer", inventory.Buffer{Units: 2}, []offer{{reported: 10, reserved: 4}},
			[]want{{2, inventory.RuleVariantUnits, 4}}, 4},
		{"buffer above reported gives 0, not less", inventory.Buffer{}, []offer{{reported: 2, supplierBuffer: inventory.Buffer{Units: 5}}, {reported: 3}},
			[]want{{5, inventory.RuleSupplierUnits, 0}, {0, inventory.RuleNone, 3}}, 3},
		{"over-reserved offer gives 0", inventory.Buffer{}, []offer{{reported: 3, reserved: 5}, {reported: 1}},
			[]want{{0, inventory.RuleNone, 0}, {0, inventory.RuleNone, 1}}, 1},
		{"never reported", inventory.Buffer{Units: 1}, []offer{{noReport: true}}, []want{{1, inventory.RuleVariantUnits, 0}}, 0},
		{"no offers", inventory.Buffer{}, nil, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				f := newFixture(t, db)
				sku := "ATS-1"
				v := f.variant(sku)
				if err := f.svc.SetSKUBuffer(ctx, sku, tc.skuBuffer); err != nil {
					t.Fatal(err)
				}
				var ids []int64
				for i, o := range tc.offers {
					status, ostatus := "active", "active"
					if o.supplierPaused {
						status = "paused"
					}
					if o.inactive {
						ostatus = "inactive"
					}
					sup := f.supplier(status)
					if err := f.svc.SetSupplierBuffer(ctx, sup, o.supplierBuffer); err != nil {
						t.Fatal(err)
					}
					id := f.offer(sup, v, i+1, ostatus)
					ids = append(ids, id)
					if o.noReport {
						continue
					}
					f.report(id, o.reported)
					if o.reserved > 0 {
						if _, err := db.W.Exec(`UPDATE stock_positions SET reserved = $1 WHERE offer_id = $2`, o.reserved, id); err != nil {
							t.Fatal(err)
						}
					}
				}
				st, err := f.svc.Stock(ctx, sku)
				if err != nil {
					t.Fatal(err)
				}
				var got []want
				for i, o := range st.Offers {
					if o.OfferID != ids[i] {
						t.Fatalf("%s: offer %d listed as %d, want priority order", tc.name, i, o.OfferID)
					}
					got = append(got, want{o.Buffer, o.BufferRule, o.Contribution})
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("%s: breakdown (-want +got):\n%s", tc.name, diff)
				}
				if st.ATS != tc.ats || f.ats(v) != tc.ats {
					t.Errorf("%s: ATS = %d (detail) / %d (ATS), want %d", tc.name, st.ATS, f.ats(v), tc.ats)
				}
				lines, _, err := f.svc.List(ctx, inventory.ListFilter{Q: sku, Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				if len(lines) != 1 || lines[0].ATS != tc.ats {
					t.Errorf("%s: list = %+v, want one line with ATS %d", tc.name, lines, tc.ats)
				}
			})
		})
	}
}
