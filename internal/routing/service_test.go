package routing_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func names(rs []routing.Rule) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return strings.Join(out, ",")
}

// fieldErr asserts err is an invalid-field error naming field with text.
func fieldErr(t *testing.T, err error, field, text string) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
		t.Fatalf("want invalid %s, got %v", field, err)
	}
	for _, f := range ae.Fields {
		if f.Field == field && strings.Contains(f.Message, text) {
			return
		}
	}
	t.Fatalf("want field %s %q, got %+v", field, text, ae.Fields)
}

func TestRulesCRUD(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := orderstest.New(t, db, orders.Options{})
		svc := routing.NewService(db, f.Clock.Now)
		a, err := svc.CreateRule(ctx, routing.RuleInput{Name: "a", Strategy: routing.LowestCost,
			Conditions: routing.Conditions{Countries: []string{"it", "DE"}, Tags: []string{" Summer "}}, Suppliers: []int64{f.Supplier}, OnlyListed: true})
		if err != nil {
			t.Fatal(err)
		}
		if a.Position != 1 || !a.Enabled || strings.Join(a.Conditions.Countries, ",") != "IT,DE" || a.Conditions.Tags[0] != "summer" || !a.OnlyListed {
			t.Fatalf("rule %+v", a)
		}
		off := false
		b, err := svc.CreateRule(ctx, routing.RuleInput{Name: "b", Strategy: routing.Fastest, Enabled: &off})
		if err != nil {
			t.Fatal(err)
		}
		c, err := svc.CreateRule(ctx, routing.RuleInput{Name: "c", Strategy: routing.Priority, Position: 1})
		if err != nil {
			t.Fatal(err)
		}
		rs, _ := svc.Rules(ctx)
		if names(rs) != "c,a,b" || rs[2].Enabled || rs[0].Position != 1 || rs[2].Position != 3 {
			t.Fatalf("rules %s %+v", names(rs), rs)
		}
		if _, err := svc.UpdateRule(ctx, b.ID, routing.RuleInput{Name: "b2", Strategy: routing.FewestShipments, Position: 1}); err != nil {
			t.Fatal(err)
		}
		if rs, _ = svc.Rules(ctx); names(rs) != "b2,c,a" || rs[0].Strategy != routing.FewestShipments || !rs[0].Enabled {
			t.Fatalf("after update %s", names(rs))
		}
		if rs, err = svc.Reorder(ctx, []int64{a.ID, b.ID, c.ID}); err != nil || names(rs) != "a,b2,c" {
			t.Fatalf("reorder %s %v", names(rs), err)
		}
		_, err = svc.Reorder(ctx, []int64{a.ID, b.ID})
		fieldErr(t, err, "ids", "every rule")
		_, err = svc.Reorder(ctx, []int64{a.ID, a.ID, 999})
		fieldErr(t, err, "ids[1]", "twice")
		if err := svc.DeleteRule(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		if rs, _ = svc.Rules(ctx); names(rs) != "a,c" || rs[1].Position != 2 {
			t.Fatalf("after delete %s %+v", names(rs), rs)
		}
		if err := svc.DeleteRule(ctx, b.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("delete twice: %v", err)
		}
	})
}

func TestRuleValidation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := orderstest.New(t, db, orders.Options{})
		svc := routing.NewService(db, f.Clock.Now)
		neg := int64(-1)
		cases := []struct {
			in          routing.RuleInput
			field, text string
		}{
			{routing.RuleInput{Name: "x", Strategy: "cheapest"}, "strategy", "unknown strategy"},
			{routing.RuleInput{Name: "x", Strategy: routing.LowestCost, Suppliers: []int64{f.Supplier, 424242}}, "suppliers[1]", "unknown supplier id 424242"},
			{routing.RuleInput{Name: "x", Strategy: routing.LowestCost, Conditions: routing.Conditions{Countries: []string{"IT", "XX"}}}, "conditions.countries[1]", "not an ISO 3166-1"},
			{routing.RuleInput{Name: "x", Strategy: routing.LowestCost, Conditions: routing.Conditions{Countries: []string{"Italy"}}}, "conditions.countries[0]", "not an ISO 3166-1"},
			{routing.RuleInput{Name: "x", Strategy: routing.LowestCost, Conditions: routing.Conditions{MinTotal: &neg}}, "conditions.min_total", "negative"},
			{routing.RuleInput{Name: "x", Strategy: routing.LowestCost, Conditions: routing.Conditions{MaxTotal: &neg}}, "conditions.max_total", "negative"},
			{routing.RuleInput{Name: "x", Strategy: routing.LowestCost, Conditions: routing.Conditions{Collections: []string{"summer"}}}, "conditions.collections", "use tags"},
			{routing.RuleInput{Name: "x", Strategy: routing.LowestCost, OnlyListed: true}, "only_listed", "supplier list"},
			{routing.RuleInput{Name: " ", Strategy: routing.LowestCost}, "name", "1 to 100"},
		}
		for _, c := range cases {
			_, err := svc.CreateRule(ctx, c.in)
			fieldErr(t, err, c.field, c.text)
		}
		if rs, _ := svc.Rules(ctx); len(rs) != 0 {
			t.Fatalf("invalid rules stored: %+v", rs)
		}
		if _, err := svc.UpdateRule(ctx, 999, routing.RuleInput{Name: "x", Strategy: routing.LowestCost}); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("update missing: %v", err)
		}
	})
}

func TestSettings(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := routing.NewService(db, nil)
		st, err := svc.Settings(ctx)
		if err != nil || st != routing.DefaultSettings() {
			t.Fatalf("defaults %+v %v", st, err)
		}
		if st, err = svc.SetSettings(ctx, routing.Settings{DefaultStrategy: routing.Fastest, MaxParts: 1}); err != nil || st.MaxParts != 1 || st.DefaultStrategy != routing.Fastest {
			t.Fatalf("set %+v %v", st, err)
		}
		if st, err = svc.SetSettings(ctx, routing.Settings{DefaultStrategy: routing.Priority, MaxParts: 4}); err != nil || st.MaxParts != 4 {
			t.Fatalf("set again %+v %v", st, err)
		}
		_, err = svc.SetSettings(ctx, routing.Settings{DefaultStrategy: "x", MaxParts: 11})
		fieldErr(t, err, "default_strategy", "unknown strategy")
		fieldErr(t, err, "max_parts", "between 1 and 10")
	})
}
