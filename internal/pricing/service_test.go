package pricing_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/pricing"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// finance is the staff user who makes rules and decides proposals.
var finance = auth.WithPrincipal(context.Background(), &auth.Principal{Kind: auth.KindStaff, ID: 7, Name: "fin@example.com", Role: auth.Finance})

func eur(a int64) money.Money   { return money.Money{Amount: a, Currency: "EUR"} }
func eurp(a int64) *money.Money { m := eur(a); return &m }

type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// fixture is a store with a supplier, ready to hold priced SKUs.
type fixture struct {
	t        testing.TB
	db       *store.DB
	clock    *clock
	catalog  *catalog.Service
	sup      *suppliers.Service
	pricing  *pricing.Service
	supplier int64
	q        *jobs.Queue
}

func newFixture(t testing.TB, db *store.DB, opts pricing.Options, q *jobs.Queue) *fixture {
	t.Helper()
	f := &fixture{t: t, db: db, clock: &clock{}, q: q}
	f.clock.Set(t0)
	f.catalog = catalog.NewService(db, f.clock.Now)
	f.sup = suppliers.NewService(db, f.clock.Now)
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	var err error
	if f.pricing, err = pricing.New(db, f.sup, q, f.clock.Now, opts); err != nil {
		t.Fatal(err)
	}
	s, err := f.sup.CreateSupplier(finance, suppliers.NewSupplier{Name: "Lisboa Cerâmica", Timezone: "Europe/Lisbon", Country: "PT"})
	if err != nil {
		t.Fatal(err)
	}
	f.supplier = s.ID
	return f
}

type sku struct {
	SKU     string
	Variant int64
	Offer   int64
}

// add creates a product with one variant at price, tagged, with an offer at cost.
func (f *fixture) add(code string, price, cost money.Money, tags ...string) sku {
	f.t.Helper()
	p, err := f.catalog.CreateProduct(finance, catalog.NewProduct{Title: "Product " + code, Tags: tags,
		Variants: []catalog.NewVariant{{SKU: code, Price: price}}})
	if err != nil {
		f.t.Fatal(err)
	}
	o, err := f.sup.CreateOffer(finance, suppliers.NewOffer{SupplierID: f.supplier, VariantID: p.Variants[0].ID,
		SupplierSKU: "LC-" + code, Cost: cost, LeadTimeDays: 2, MinOrderQty: 1, Priority: 10})
	if err != nil {
		f.t.Fatal(err)
	}
	return sku{SKU: code, Variant: p.Variants[0].ID, Offer: o.ID}
}

func (f *fixture) rule(in pricing.RuleInput) pricing.Rule {
	f.t.Helper()
	r, err := f.pricing.CreateRule(finance, in)
	if err != nil {
		f.t.Fatalf("create rule %+v: %v", in, err)
	}
	return r
}

func (f *fixture) price(s sku) money.Money {
	f.t.Helper()
	v, err := f.catalog.Variant(context.Background(), s.Variant)
	if err != nil {
		f.t.Fatal(err)
	}
	return v.Price
}

func (f *fixture) setCost(s sku, cost money.Money) {
	f.t.Helper()
	if _, err := f.sup.UpdateOffer(finance, s.Offer, suppliers.OfferPatch{Cost: &cost}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) reprice(reason string, skus ...sku) pricing.Summary {
	f.t.Helper()
	var ids []int64
	for _, s := range skus {
		ids = append(ids, s.Variant)
	}
	sum, err := f.pricing.Reprice(context.Background(), ids, reason)
	if err != nil {
		f.t.Fatal(err)
	}
	return sum
}

func (f *fixture) open(s sku) []pricing.Proposal {
	f.t.Helper()
	ps, err := f.pricing.ListProposals(context.Background(), pricing.ProposalFilter{Status: pricing.StatusOpen, SKU: s.SKU})
	if err != nil {
		f.t.Fatal(err)
	}
	return ps
}

func (f *fixture) history(s sku) []pricing.Change {
	f.t.Helper()
	h, err := f.pricing.History(context.Background(), s.SKU, pricing.HistoryFilter{})
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

// double is a rule that prices at twice the cost (50% margin, nothing else).
func double(scope, target, mode, limit string) pricing.RuleInput {
	in := pricing.RuleInput{Scope: scope, Currency: "EUR", Margin: "50", Ending: "none", Mode: mode, MaxDailyChange: limit}
	switch scope {
	case "collection":
		in.Tag = target
	case "sku":
		in.SKU = target
	}
	return in
}

func TestRulePrecedence(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		f := newFixture(t, db, pricing.Options{}, nil)
		plain := f.add("PLAIN-1", eur(1000), eur(400))
		mug := f.add("MUG-1", eur(1000), eur(400), "mugs")
		sale := f.add("MUG-2", eur(1000), eur(400), "mugs", "sale")
		own := f.add("MUG-3", eur(1000), eur(400), "mugs", "sale")
		usd := f.add("US-1", money.Money{Amount: 1000, Currency: "USD"}, money.Money{Amount: 400, Currency: "USD"}, "mugs")

		store := f.rule(pricing.RuleInput{Scope: "store", Currency: "EUR", Margin: "20", Ending: "none"})
		mugs := f.rule(pricing.RuleInput{Scope: "collection", Tag: "Mugs", Currency: "EUR", Margin: "30", Ending: "none"})
		sales := f.rule(pricing.RuleInput{Scope: "collection", Tag: "sale", Currency: "EUR", Margin: "40", Ending: "none", Priority: new(10)})
		skuRule := f.rule(pricing.RuleInput{Scope: "sku", SKU: "mug-3", Margin: "50", Ending: "none"})
		if mugs.Tag != "mugs" || skuRule.Currency != "EUR" || skuRule.SKU != "MUG-3" {
			t.Errorf("rules are normalised: tag %q, SKU rule currency %q and SKU %q", mugs.Tag, skuRule.Currency, skuRule.SKU)
		}

		for _, c := range []struct {
			s     sku
			rule  int64
			price int64
		}{
			{plain, store.ID, 500}, // 4.00 / 0.8
			{mug, mugs.ID, 572},    // 4.00 / 0.7 = 5.714...
			{sale, sales.ID, 667},  // two collections: the smaller priority wins
			{own, skuRule.ID, 800}, // the SKU rule beats both collections
		} {
			p, err := f.pricing.Preview(context.Background(), pricing.PreviewInput{SKU: c.s.SKU})
			if err != nil {
				t.Fatal(err)
			}
			if p.Rule == nil || p.Rule.ID != c.rule || p.Quote == nil || p.Quote.Price != eur(c.price) || p.Action != pricing.ActionPropose {
				t.Errorf("%s: got rule %+v, quote %+v, action %s; want rule %d, price %d", c.s.SKU, p.Rule, p.Quote, p.Action, c.rule, c.price)
			}
		}
		p, err := f.pricing.Preview(context.Background(), pricing.PreviewInput{SKU: usd.SKU})
		if err != nil {
			t.Fatal(err)
		}
		if p.Action != pricing.ActionCannot || p.Why != "cannot price: no pricing rule covers US-1 (priced in USD)" {
			t.Errorf("USD SKU under EUR rules: %s %q", p.Action, p.Why)
		}

		// Deleting the SKU rule hands the SKU back to its collection.
		if err := f.pricing.DeleteRule(finance, skuRule.ID); err != nil {
			t.Fatal(err)
		}
		if p, _ := f.pricing.Preview(context.Background(), pricing.PreviewInput{SKU: own.SKU}); p.Rule == nil || p.Rule.ID != sales.ID {
			t.Errorf("after deleting the SKU rule: %+v", p.Rule)
		}
	})
}

func TestApplyModeChangesPriceWithHistory(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		f := newFixture(t, db, pricing.Options{}, nil)
		s := f.add("MUG-1", eur(1000), eur(420))
		// The worked example of docs/pricing.md.
		r := f.rule(pricing.RuleInput{Scope: "store", Currency: "EUR", Margin: "30", FeePercent: "2.9", FeeFixed: eurp(25),
			Shipping: eurp(350), Packaging: eurp(40), Ending: ".99", MinPrice: eurp(999), MaxPrice: eurp(4999), Mode: "apply"})

		sum := f.reprice("feed run 42", s)
		if sum.Applied != 1 || f.price(s) != eur(1299) {
			t.Fatalf("apply: %+v, price %s; want 12.99 EUR", sum, f.price(s))
		}
		h := f.history(s)
		if len(h) != 1 || h[0].OldPrice != eur(1000) || h[0].NewPrice != eur(1299) || h[0].Cost == nil || *h[0].Cost != eur(420) ||
			h[0].RuleID != r.ID || h[0].Reason != "feed run 42" || h[0].Actor != "system:reprice" || !h[0].At.Equal(t0) {
			t.Errorf("history: %+v", h)
		}
		// Repricing again changes nothing and writes no history.
		if sum := f.reprice("again", s); sum.Unchanged != 1 || len(f.history(s)) != 1 {
			t.Errorf("second repricing: %+v, %d history entries", sum, len(f.history(s)))
		}
		if n, _ := f.pricing.CountOpen(context.Background()); n != 0 {
			t.Errorf("%d open proposals in apply mode without a limit", n)
		}
	})
}

func TestDailyChangeLimitMakesProposal(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		f := newFixture(t, db, pricing.Options{}, nil)
		s := f.add("MUG-1", eur(1000), eur(500))
		f.rule(double("store", "", "apply", "10"))

		// +8%: within the 10% limit, applied.
		f.setCost(s, eur(540))
		if sum := f.reprice("cost up", s); sum.Applied != 1 || f.price(s) != eur(1080) {
			t.Fatalf("+8%%: %+v, price %s", sum, f.price(s))
		}
		// Another +7.4%, but +16% against the price 24 hours ago: a proposal.
		f.clock.Add(time.Hour)
		f.setCost(s, eur(580))
		if sum := f.reprice("cost up again", s); sum.Proposed != 1 || f.price(s) != eur(1080) {
			t.Fatalf("+16%% in a day: %+v, price %s", sum, f.price(s))
		}
		open := f.open(s)
		if len(open) != 1 || open[0].OldPrice != eur(1080) || open[0].NewPrice != eur(1160) || open[0].Cost != eur(580) ||
			open[0].Margin.String() != "50" || open[0].Change.String() != "7.41" || open[0].Reason != "cost up again" ||
			!strings.Contains(open[0].Why, "a change of +16% within 24 hours (from 10.00 EUR) exceeds the limit of 10%") {
			t.Fatalf("proposal: %+v", open)
		}
		// Repricing again keeps one open proposal; a new cost refreshes it in place.
		f.reprice("nothing new", s)
		f.setCost(s, eur(600))
		f.reprice("cost up a third time", s)
		again := f.open(s)
		if len(again) != 1 || again[0].ID != open[0].ID || again[0].NewPrice != eur(1200) || again[0].Reason != "cost up a third time" {
			t.Fatalf("refreshed proposal: %+v (was %d)", again, open[0].ID)
		}
		// A day later the limit measures from 10.80: 11.80 (+9.3%) applies and
		// supersedes the proposal.
		f.clock.Add(24 * time.Hour)
		f.setCost(s, eur(590))
		if sum := f.reprice("next day", s); sum.Applied != 1 || f.price(s) != eur(1180) {
			t.Fatalf("next day: %+v, price %s", sum, f.price(s))
		}
		if len(f.open(s)) != 0 {
			t.Errorf("proposal still open after a price was applied")
		}
		p, err := f.pricing.Proposal(context.Background(), open[0].ID)
		if err != nil || p.Status != pricing.StatusSuperseded || p.DecidedBy != "system:reprice" {
			t.Errorf("superseded proposal: %+v, %v", p, err)
		}
	})
}

func TestProposeApproveReject(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		f := newFixture(t, db, pricing.Options{}, nil)
		a := f.add("MUG-1", eur(1000), eur(600))
		b := f.add("MUG-2", eur(1000), eur(700))
		c := f.add("MUG-3", eur(1000), eur(800))
		r := f.rule(double("store", "", "propose", ""))
		if sum := f.reprice("costs up", a, b, c); sum.Proposed != 3 || f.price(a) != eur(1000) {
			t.Fatalf("propose mode: %+v, price %s", sum, f.price(a))
		}
		pa, pb, pc := f.open(a)[0], f.open(b)[0], f.open(c)[0]
		if pa.RuleID != r.ID || !strings.Contains(pa.Why, "proposes prices for approval") {
			t.Errorf("proposal: %+v", pa)
		}

		got, err := f.pricing.Approve(finance, pa.ID, "ok for spring")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != pricing.StatusApproved || got.DecidedBy != "staff:7 fin@example.com" || got.Note != "ok for spring" || f.price(a) != eur(1200) {
			t.Errorf("approved: %+v, price %s", got, f.price(a))
		}
		h := f.history(a)
		if len(h) != 1 || h[0].Actor != "staff:7 fin@example.com" || h[0].ProposalID != pa.ID || h[0].NewPrice != eur(1200) ||
			h[0].Reason != "proposal "+itoa(pa.ID)+" approved: costs up (ok for spring)" {
			t.Errorf("history after approval: %+v", h)
		}
		if _, err := f.pricing.Approve(finance, pa.ID, ""); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("approving twice: %v, want a conflict", err)
		}

		if got, err := f.pricing.Reject(finance, pb.ID, "too dear"); err != nil || got.Status != pricing.StatusRejected || f.price(b) != eur(1000) {
			t.Errorf("rejected: %+v, %v, price %s", got, err, f.price(b))
		}
		// The rejected price is not proposed again; a different one is.
		if sum := f.reprice("again", b); sum.Unchanged != 1 || len(f.open(b)) != 0 {
			t.Errorf("after rejection: %+v, open %+v", sum, f.open(b))
		}
		f.setCost(b, eur(750))
		if sum := f.reprice("cost up", b); sum.Proposed != 1 || f.open(b)[0].NewPrice != eur(1500) {
			t.Errorf("new cost after rejection: %+v, open %+v", sum, f.open(b))
		}

		// A price changed by hand since the proposal: approval is refused.
		if _, err := f.catalog.UpdateVariant(finance, c.Variant, catalog.VariantPatch{Price: eurp(1100)}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.pricing.Approve(finance, pc.ID, ""); !apperr.Is(err, apperr.Conflict) || f.price(c) != eur(1100) {
			t.Errorf("approving a stale proposal: %v, price %s", err, f.price(c))
		}
		if _, err := f.pricing.Reject(finance, 999999, ""); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("rejecting an unknown proposal: %v", err)
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestCannotPriceCostInAnotherCurrency(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		f := newFixture(t, db, pricing.Options{}, nil)
		s := f.add("MUG-1", eur(1000), money.Money{Amount: 650, Currency: "CNY"})
		none := f.add("MUG-2", eur(1000), eur(100))
		if _, err := f.sup.UpdateOffer(finance, none.Offer, suppliers.OfferPatch{Status: new("inactive")}); err != nil {
			t.Fatal(err)
		}
		f.rule(double("store", "", "apply", ""))
		sum := f.reprice("costs", s, none)
		if sum.Cannot != 2 || f.price(s) != eur(1000) || f.price(none) != eur(1000) || len(sum.Problems) != 2 ||
			!strings.Contains(sum.Problems[0], "MUG-1: cannot price: cost in CNY, price in EUR") ||
			!strings.Contains(sum.Problems[1], "MUG-2: cannot price: MUG-2 has no active supplier offer") {
			t.Errorf("summary: %+v", sum)
		}
	})
}

// args returns the args of the jobs of kind, oldest first.
func args[T any](t *testing.T, db *store.DB, kind string) []T {
	t.Helper()
	col := "args::text"
	if db.Engine == store.SQLite {
		col = "json(args)" // SQLite stores the args as JSONB
	}
	rows, err := db.R.Query(`SELECT `+col+` FROM river_job WHERE kind = $1 ORDER BY id`, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var raw string
		var a T
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func TestRuleChangeRepricesCoveredInBatches(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		f := newFixture(t, db, pricing.Options{BatchSize: 2}, nil)
		var eurSKUs []sku
		for _, code := range []string{"A-1", "A-2", "A-3", "A-4", "A-5"} {
			eurSKUs = append(eurSKUs, f.add(code, eur(1000), eur(300), "mugs"))
		}
		eurSKUs = append(eurSKUs, f.add("B-1", eur(1000), eur(300)))
		usd := f.add("US-1", money.Money{Amount: 1000, Currency: "USD"}, money.Money{Amount: 300, Currency: "USD"})
		r := f.rule(double("store", "", "apply", ""))

		// Work the chain of pages as the worker would: each page enqueues the next.
		for i := 0; ; i++ {
			pages := args[pricing.RepriceCoveredArgs](t, db, "reprice_covered")
			if i >= len(pages) {
				break
			}
			if pages[i].Scope != pricing.ScopeStore || pages[i].Currency != "EUR" ||
				pages[i].Reason != "pricing rule "+itoa(r.ID)+" (store (EUR)) created by staff:7 fin@example.com" {
				t.Fatalf("page %d: %+v", i, pages[i])
			}
			if _, _, err := f.pricing.RepriceCoveredPage(context.Background(), pages[i]); err != nil {
				t.Fatal(err)
			}
		}
		if pages := args[pricing.RepriceCoveredArgs](t, db, "reprice_covered"); len(pages) != 4 || pages[3].After != eurSKUs[5].Variant {
			t.Errorf("6 variants in pages of 2: %+v, want 4 pages (the last one empty)", pages)
		}
		for _, s := range eurSKUs {
			if f.price(s) != eur(600) {
				t.Errorf("%s: price %s, want 6.00 EUR", s.SKU, f.price(s))
			}
		}
		if f.price(usd) != (money.Money{Amount: 1000, Currency: "USD"}) {
			t.Errorf("a USD SKU was repriced by a EUR rule: %s", f.price(usd))
		}

		// Changing the rule into a collection rule reprices both what it
		// covered and what it covers now.
		in := double("collection", "mugs", "apply", "")
		in.Margin = "40"
		if _, err := f.pricing.UpdateRule(finance, r.ID, in); err != nil {
			t.Fatal(err)
		}
		pages := args[pricing.RepriceCoveredArgs](t, db, "reprice_covered")
		if len(pages) != 6 || pages[4].Scope != pricing.ScopeCollection || pages[4].Tag != "mugs" || pages[5].Scope != pricing.ScopeStore {
			t.Errorf("after the change: %+v", pages[4:])
		}
	})
}

func TestRuleValidation(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		f := newFixture(t, db, pricing.Options{}, nil)
		f.add("MUG-1", eur(1000), eur(300))
		f.rule(double("store", "", "apply", ""))
		cases := []struct {
			name  string
			in    pricing.RuleInput
			code  apperr.Code
			field string
		}{
			{"no scope", pricing.RuleInput{Currency: "EUR", Margin: "30"}, apperr.Invalid, "scope"},
			{"no currency", pricing.RuleInput{Scope: "store", Margin: "30"}, apperr.Invalid, "currency"},
			{"no margin", pricing.RuleInput{Scope: "store", Currency: "USD"}, apperr.Invalid, "margin_percent"},
			{"margin and fee reach 100%", pricing.RuleInput{Scope: "store", Currency: "USD", Margin: "90", FeePercent: "10"}, apperr.Invalid, "margin_percent"},
			{"three decimals", pricing.RuleInput{Scope: "store", Currency: "USD", Margin: "30.125"}, apperr.Invalid, "margin_percent"},
			{"shipping in another currency", pricing.RuleInput{Scope: "store", Currency: "USD", Margin: "30", Shipping: eurp(100)}, apperr.Invalid, "shipping.currency"},
			{"bounds crossed", pricing.RuleInput{Scope: "store", Currency: "EUR", Margin: "30", MinPrice: eurp(2000), MaxPrice: eurp(1000)}, apperr.Invalid, "max_price"},
			{".99 in yen", pricing.RuleInput{Scope: "store", Currency: "JPY", Margin: "30", Ending: ".99"}, apperr.Invalid, "ending"},
			{"collection without tag", pricing.RuleInput{Scope: "collection", Currency: "EUR", Margin: "30"}, apperr.Invalid, "tag"},
			{"unknown SKU", pricing.RuleInput{Scope: "sku", SKU: "NOPE-1", Margin: "30"}, apperr.Invalid, "sku"},
			{"SKU in another currency", pricing.RuleInput{Scope: "sku", SKU: "MUG-1", Currency: "USD", Margin: "30"}, apperr.Invalid, "currency"},
			{"second store rule", pricing.RuleInput{Scope: "store", Currency: "EUR", Margin: "30"}, apperr.Conflict, "scope"},
			{"bad mode", pricing.RuleInput{Scope: "store", Currency: "USD", Margin: "30", Mode: "auto"}, apperr.Invalid, "mode"},
		}
		for _, c := range cases {
			_, err := f.pricing.CreateRule(finance, c.in)
			var ae *apperr.Error
			if !apperr.Is(err, c.code) || !asAppErr(err, &ae) || len(ae.Fields) == 0 || ae.Fields[0].Field != c.field {
				t.Errorf("%s: got %v, want %s on %s", c.name, err, c.code, c.field)
			}
		}
	})
}

func asAppErr(err error, target **apperr.Error) bool {
	e, ok := err.(*apperr.Error)
	if ok {
		*target = e
	}
	return ok
}

func TestPreviewUnsavedRule(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		f := newFixture(t, db, pricing.Options{}, nil)
		s := f.add("MUG-1", eur(1200), eur(420))
		p, err := f.pricing.Preview(context.Background(), pricing.PreviewInput{SKU: "mug-1", Rule: &pricing.RuleInput{
			Margin: "30", FeePercent: "2.9", FeeFixed: eurp(25), Shipping: eurp(350), Packaging: eurp(40), Ending: ".99",
			MaxDailyChange: "5", Mode: "apply"}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Quote == nil || p.Quote.Unrounded != "12.4441" || p.Quote.Price != eur(1299) || p.Quote.Margin.String() != "32.82" ||
			p.Change.String() != "8.25" || p.Action != pricing.ActionPropose || p.Cost == nil || *p.Cost != eur(420) ||
			p.Why != "a change of +8.25% within 24 hours (from 12.00 EUR) exceeds the limit of 5% of the previewed rule" {
			t.Errorf("preview: %+v %+v", p, p.Quote)
		}
		if f.price(s) != eur(1200) {
			t.Errorf("preview changed the price to %s", f.price(s))
		}
		if _, err := f.pricing.Preview(context.Background(), pricing.PreviewInput{SKU: "NOPE"}); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("preview of an unknown SKU: %v", err)
		}
	})
}

// TestOfferCostChangeReprices runs the real job queue: changing an offer's
// cost through the suppliers service enqueues a repricing in the same
// transaction, and the worker applies the new price.
func TestOfferCostChangeReprices(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		workers := river.NewWorkers()
		pw := pricing.AddWorkers(workers)
		q, err := jobs.New(db, jobs.Config{Workers: workers, PollInterval: 50 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))})
		if err != nil {
			t.Fatal(err)
		}
		f := newFixture(t, db, pricing.Options{}, q)
		pw.Bind(f.pricing)
		s := f.add("MUG-1", eur(1000), eur(500))
		f.rule(double("sku", "MUG-1", "apply", ""))
		// The offer's creation and the rule's enqueued repricings too; drop
		// them, so the price can change only through the job under test.
		if _, err := db.W.Exec(`DELETE FROM river_job`); err != nil {
			t.Fatal(err)
		}
		f.setCost(s, eur(650))
		jobsOf := args[pricing.RepriceArgs](t, db, "reprice")
		if len(jobsOf) != 1 {
			t.Fatalf("%d reprice jobs after one cost change", len(jobsOf))
		}
		last := jobsOf[0]
		if len(last.VariantIDs) != 1 || last.VariantIDs[0] != s.Variant ||
			last.Reason != "offer "+itoa(s.Offer)+" of Lisboa Cerâmica: cost 5.00 EUR → 6.50 EUR by staff:7 fin@example.com" {
			t.Fatalf("reprice job: %+v", last)
		}

		if err := q.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = q.Stop(ctx)
		})
		deadline := time.Now().Add(30 * time.Second)
		for f.price(s) != eur(1300) {
			if time.Now().After(deadline) {
				t.Fatalf("price still %s after 30s; want 13.00 EUR", f.price(s))
			}
			time.Sleep(20 * time.Millisecond)
		}
		h := f.history(s)
		if len(h) == 0 || h[0].Reason != last.Reason || h[0].Actor != "system:reprice" {
			t.Errorf("history: %+v", h)
		}
	})
}

// TestConcurrentRepricingAppliesOnce races several repricings of one SKU:
// the variant row lock makes them take turns, so the price changes once and
// the history has one entry.
func TestConcurrentRepricingAppliesOnce(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		f := newFixture(t, db, pricing.Options{}, nil)
		s := f.add("MUG-1", eur(1000), eur(700))
		f.rule(double("store", "", "apply", ""))
		errs := make(chan error, 8)
		for range 8 {
			go func() {
				_, err := f.pricing.Reprice(context.Background(), []int64{s.Variant}, "race")
				errs <- err
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if h := f.history(s); f.price(s) != eur(1400) || len(h) != 1 {
			t.Errorf("price %s, %d history entries; want 14.00 EUR once", f.price(s), len(h))
		}
	})
}
