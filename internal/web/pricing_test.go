package web_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/pricing"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestPricingAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		admin := newAPIClient(t, db, auth.Admin)
		fin := newAPIClient(t, db, auth.Finance)
		ops := newAPIClient(t, db, auth.Operations)
		support := newAPIClient(t, db, auth.Support)

		admin.must(201, "POST", "/products", heartProduct) // HEART-W 2.55 GBP, HEART-R 2.95 GBP
		sup := admin.must(201, "POST", "/suppliers", `{"name":"Lisboa Cerâmica","timezone":"Europe/Lisbon","country":"PT"}`).str("id")
		admin.must(201, "POST", "/offers", `{"supplier_id":`+sup+`,"sku":"heart-w","supplier_sku":"LC-1",
			"cost":{"amount":"1.10","currency":"GBP"},"lead_time_days":2}`)
		admin.must(201, "POST", "/offers", `{"supplier_id":`+sup+`,"sku":"heart-r","supplier_sku":"LC-2",
			"cost":{"amount":"1.30","currency":"EUR"},"lead_time_days":2}`)

		rule := fin.must(201, "POST", "/pricing/rules", `{"scope":"store","currency":"GBP","margin_percent":"40",
			"fee_percent":"2.9","fee_fixed":{"amount":"0.20","currency":"GBP"},"shipping":{"amount":"0.50","currency":"GBP"},
			"ending":".99","max_daily_change_percent":"10","mode":"apply"}`)
		if rule.str("margin_percent") != "40" || rule.str("fee_percent") != "2.9" || rule.str("ending") != ".99" ||
			rule.str("packaging.amount") != "0.00" || rule.str("max_daily_change_percent") != "10" || rule.str("updated_by") == "" {
			t.Errorf("created rule: %s", rule.raw)
		}
		ruleID := rule.str("id")
		if r := ops.must(200, "GET", "/pricing/rules?scope=store", ""); r.str("items.0.id") != ruleID || r.str("items.1.id") != "" {
			t.Errorf("rules list: %s", r.raw)
		}

		// (1.10 + 0.50 + 0.20) / (1 − 0.40 − 0.029) = 3.1523... → 3.99; from 2.55 that is +56%.
		p := ops.must(200, "POST", "/pricing/preview", `{"sku":"heart-w"}`)
		if p.str("quote.unrounded") != "3.1524" || p.str("quote.price.amount") != "3.99" || p.str("action") != "propose" ||
			p.str("change_percent") != "56.47" || p.str("rule.id") != ruleID || p.str("cost.amount") != "1.10" {
			t.Errorf("preview: %s", p.raw)
		}
		p = ops.must(200, "POST", "/pricing/preview", `{"sku":"HEART-R"}`)
		if p.str("action") != "cannot" || p.str("why") != "cannot price: cost in EUR, price in GBP (offer 2 of Lisboa Cerâmica); costs are never converted" {
			t.Errorf("preview of a SKU with a EUR cost: %s", p.raw)
		}
		p = ops.must(200, "POST", "/pricing/preview", `{"sku":"heart-w","rule":{"margin_percent":"50","ending":"whole","mode":"apply"}}`)
		if p.str("quote.price.amount") != "3.00" || p.str("action") != "apply" || p.str("rule.scope") != "sku" {
			t.Errorf("preview of an unsaved rule: %s", p.raw)
		}

		// The rule's repricing job would do this; the test server only enqueues.
		svc, err := pricing.New(db, nil, nil, catalogClock, pricing.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if sum, _, err := svc.RepriceCoveredPage(context.Background(), pricing.RepriceCoveredArgs{Scope: pricing.ScopeStore,
			Currency: "GBP", Reason: "test"}); err != nil || sum.Proposed != 1 || sum.Cannot != 1 {
			t.Fatalf("reprice: %+v, %v", sum, err)
		}
		open := ops.must(200, "GET", "/pricing/proposals?status=open", "")
		id := open.str("items.0.id")
		if open.str("items.0.sku") != "HEART-W" || open.str("items.0.old_price.amount") != "2.55" || open.str("items.0.new_price.amount") != "3.99" ||
			open.str("items.0.margin_percent") != "51.99" || open.str("items.1.id") != "" {
			t.Errorf("open proposals: %s", open.raw)
		}
		ops.checkProblems([]problemCase{
			{"operations cannot approve", "POST", "/pricing/proposals/" + id + "/approve", `{}`, 403, "forbidden", "", "pricing:write"},
			{"operations cannot write rules", "DELETE", "/pricing/rules/" + ruleID, "", 403, "forbidden", "", "pricing:write"},
		})
		support.checkProblems([]problemCase{
			{"support cannot read pricing", "GET", "/pricing/rules", "", 403, "forbidden", "", "pricing:read"},
		})
		got := fin.must(200, "POST", "/pricing/proposals/"+id+"/approve", `{"note":"spring prices"}`)
		if got.str("status") != "approved" || got.str("note") != "spring prices" || got.str("decided_by") == "" {
			t.Errorf("approved: %s", got.raw)
		}
		if v := ops.must(200, "GET", "/variants/by-sku/HEART-W", ""); v.str("price.amount") != "3.99" {
			t.Errorf("price after approval: %s", v.raw)
		}
		h := ops.must(200, "GET", "/pricing/skus/heart-w/history", "")
		if h.str("items.0.old_price.amount") != "2.55" || h.str("items.0.new_price.amount") != "3.99" || h.str("items.0.proposal_id") != id ||
			h.str("items.0.cost.amount") != "1.10" || h.str("items.0.actor") != got.str("decided_by") {
			t.Errorf("history: %s", h.raw)
		}

		fin.checkProblems([]problemCase{
			{"duplicate store rule", "POST", "/pricing/rules", `{"scope":"store","currency":"GBP","margin_percent":"20"}`,
				409, "conflict", "scope", "already exists"},
			{"margin and fee over 100", "POST", "/pricing/rules", `{"scope":"store","currency":"EUR","margin_percent":"95","fee_percent":"5"}`,
				422, "invalid", "margin_percent", "less than 100%"},
			{"shipping in another currency", "POST", "/pricing/rules", `{"scope":"store","currency":"EUR","margin_percent":"30",
				"shipping":{"amount":"1","currency":"GBP"}}`, 422, "invalid", "shipping.currency", "EUR"},
			{"approve twice", "POST", "/pricing/proposals/" + id + "/approve", `{}`, 409, "conflict", "", "not open"},
			{"unknown proposal", "POST", "/pricing/proposals/9999/reject", `{}`, 404, "not_found", "", "9999"},
			{"preview of an unknown SKU", "POST", "/pricing/preview", `{"sku":"NOPE-1"}`, 404, "not_found", "", "NOPE-1"},
			{"history of an unknown SKU", "GET", "/pricing/skus/NOPE-1/history", "", 404, "not_found", "", "NOPE-1"},
		})

		// Replace the rule (propose mode now), then delete it.
		r := fin.must(200, "PUT", "/pricing/rules/"+ruleID, `{"scope":"store","currency":"GBP","margin_percent":"35"}`)
		if r.str("mode") != "propose" || r.str("ending") != "none" || r.str("margin_percent") != "35" || r.str("fee_fixed.amount") != "0.00" {
			t.Errorf("replaced rule: %s", r.raw)
		}
		fin.must(204, "DELETE", "/pricing/rules/"+ruleID, "")
		fin.must(404, "GET", "/pricing/rules/"+ruleID, "")
	})
}
