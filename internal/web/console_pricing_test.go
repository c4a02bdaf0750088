package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/pricing"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestConsolePricing walks the pricing pages as finance (who may write) and
// operations (who may only read): a rule made in the form, its preview on a
// SKU, the proposals it makes, approving one and rejecting the other, and
// the price history that records the approval.
func TestConsolePricing(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		seed := seedConsole(t, s)
		email, password := consoleUser(t, s, auth.Finance, "fin@example.com")
		fin := newConsoleClient(t, base)
		fin.login(email, password)

		r := fin.get("/console/pricing")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "0 proposals waiting for approval", `href="/console/pricing/rules/new"`, "No pricing rules yet")

		form := url.Values{"scope": {"collection"}, "tag": {"Kitchen"}, "currency": {"eur"}, "priority": {"100"},
			"margin_percent": {"120"}, "fee_percent": {"2.9"}, "fee_fixed": {"0.25"}, "shipping": {"3.50"}, "packaging": {""},
			"ending": {".99"}, "min_price": {""}, "max_price": {"30.00"}, "max_daily_change_percent": {"10"}, "mode": {"propose"}}
		r = fin.post("/console/pricing/rules", form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="margin_percent" name="margin_percent" type="text" value="120" aria-invalid="true"`, "must be at most 99.99")

		form.Set("margin_percent", "45")
		r = fin.post("/console/pricing/rules", form)
		wantStatus(t, r, http.StatusSeeOther)
		loc := r.header.Get("Location")
		if !strings.HasPrefix(loc, "/console/pricing/rules/") || !strings.HasSuffix(loc, "?done=rule-saved") {
			t.Fatalf("created rule: redirect to %q", loc)
		}
		rulePath := strings.TrimSuffix(loc, "?done=rule-saved")

		// (6.00 + 3.50 + 0.25) / (1 − 0.45 − 0.029) = 18.714... → 18.99.
		r = fin.get(rulePath + "?sku=mug-blue")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `value="kitchen"`, `<option value=".99" selected>`, `<strong id="preview-price">18.99 EUR</strong>`,
			"18.7140", "45.76%", "propose")

		// The rule's job would reprice the collection; the test server only enqueues.
		ids := []int64{seed.variants["MUG-BLUE"].ID, seed.variants["MUG-RED"].ID}
		if sum, err := s.cfg.Pricing.Reprice(context.Background(), ids, "rule made in the console"); err != nil || sum.Proposed != 2 {
			t.Fatalf("reprice: %+v, %v", sum, err)
		}
		r = fin.get("/console/pricing/proposals")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "MUG-BLUE", "18.00 EUR", "18.99 EUR", "6.00 EUR", "45.76%", "5.5%", ">Approve</button>")
		open, err := s.cfg.Pricing.ListProposals(context.Background(), pricing.ProposalFilter{Status: pricing.StatusOpen})
		if err != nil || len(open) != 2 {
			t.Fatalf("open proposals: %+v, %v", open, err)
		}
		byID := map[string]int64{}
		for _, p := range open {
			byID[p.SKU] = p.ID
		}

		// Operations sees the proposals but cannot decide them.
		oemail, opassword := consoleUser(t, s, auth.Operations, "ops@example.com")
		ops := newConsoleClient(t, base)
		ops.login(oemail, opassword)
		r = ops.get("/console/pricing/proposals")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "MUG-RED", `<span class="badge warn">open</span>`)
		wantNotBody(t, r, ">Approve</button>")
		approveBlue := "/console/pricing/proposals/" + strconv.FormatInt(byID["MUG-BLUE"], 10) + "/approve"
		wantStatus(t, ops.post(approveBlue, url.Values{}), http.StatusForbidden)
		wantNotBody(t, ops.get("/console/pricing"), `href="/console/pricing/rules/new"`)

		r = fin.post(approveBlue, url.Values{})
		wantStatus(t, r, http.StatusSeeOther)
		if got := r.header.Get("Location"); got != "/console/pricing/proposals?done=price-approved" {
			t.Errorf("approve redirects to %q", got)
		}
		v, err := s.cfg.Catalog.Variant(context.Background(), seed.variants["MUG-BLUE"].ID)
		if err != nil || v.Price != (money.Money{Amount: 1899, Currency: "EUR"}) {
			t.Errorf("MUG-BLUE after approval: %+v, %v", v.Price, err)
		}
		r = fin.post("/console/pricing/proposals/"+strconv.FormatInt(byID["MUG-RED"], 10)+"/reject", url.Values{"note": {"keep 18"}})
		wantStatus(t, r, http.StatusSeeOther)
		r = fin.get("/console/pricing/proposals?status=rejected")
		wantBody(t, r, "MUG-RED", `<span class="badge bad">rejected</span>`, "keep 18")
		wantNotBody(t, r, "MUG-BLUE")
		// A decided proposal cannot be decided again.
		wantStatus(t, fin.post(approveBlue, url.Values{}), http.StatusConflict)

		r = ops.get("/console/pricing/history?sku=mug-blue")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "18.00 EUR", "18.99 EUR", "approved: rule made in the console", "fin@example.com")
		r = ops.get("/console/pricing/history?sku=NOPE-1")
		wantBody(t, r, `No variant has SKU &#34;NOPE-1&#34;`)

		r = fin.get("/console/pricing")
		wantBody(t, r, `Collection <strong>kitchen</strong> (EUR)`, "45%", "2.9% + 0.25 EUR", "– 30.00 EUR", "10%")
		r = fin.post(rulePath+"/delete", url.Values{})
		wantStatus(t, r, http.StatusSeeOther)
		wantBody(t, fin.get("/console/pricing?done=rule-deleted"), "Pricing rule deleted", "No pricing rules yet")
	})
}
