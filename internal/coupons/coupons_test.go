package coupons_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/coupons"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

type env struct {
	f     *orderstest.Fixture
	c     *coupons.Service
	order int64
}

func newEnv(t *testing.T, f *orderstest.Fixture) *env {
	t.Helper()
	ctx := context.Background()
	sku := f.AddSKU("MUG-1", 10)
	res, err := f.Orders.Place(ctx, orderstest.Input("ana@example.com", sku.SKU, 2))
	if err != nil {
		t.Fatalf("place: %v", err)
	}
	return &env{f: f, c: coupons.New(f.DB, f.Clock.Now, nil), order: res.Order.Number}
}

func (e *env) issueTx(t *testing.T, reason string) *coupons.Coupon {
	t.Helper()
	var c *coupons.Coupon
	err := e.f.DB.InTx(context.Background(), func(tx *sql.Tx) error {
		var err error
		c, err = e.c.IssueApologyTx(context.Background(), tx, e.order, "EUR", reason)
		return err
	})
	if err != nil {
		t.Fatalf("IssueApologyTx: %v", err)
	}
	return c
}

func (e *env) setPolicy(t *testing.T, p coupons.Policy) coupons.Policy {
	t.Helper()
	got, err := e.c.SetPolicy(context.Background(), p)
	if err != nil {
		t.Fatalf("SetPolicy(%+v): %v", p, err)
	}
	return got
}

var codeRE = regexp.MustCompile(`^SORRY-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$`)

func eur(t *testing.T, s string) money.Money {
	t.Helper()
	m, err := money.Parse(s, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPolicyOffGivesNoCoupon(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			env := newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{}))
			if c := env.issueTx(t, "line cancelled"); c != nil {
				t.Fatalf("default policy (off) issued %+v", c)
			}
			// Configured but disabled: still none.
			p := coupons.DefaultPolicy
			p.Kind, p.Percent = coupons.KindPercent, 20
			env.setPolicy(t, p)
			if c := env.issueTx(t, "line cancelled"); c != nil {
				t.Fatalf("disabled policy issued %+v", c)
			}
			err := env.f.DB.InTx(context.Background(), func(tx *sql.Tx) error {
				code, err := env.c.ApologyCode(context.Background(), tx, env.order, "EUR", "line cancelled")
				if code != "" {
					t.Errorf("ApologyCode with the policy off = %q", code)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			list, err := env.c.ForOrder(context.Background(), env.order)
			if err != nil || len(list) != 0 {
				t.Fatalf("ForOrder = %v, %v; want none", list, err)
			}
		})
	}
}

func TestApologyPercentAndAmount(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			env := newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{}))
			env.setPolicy(t, coupons.Policy{Enabled: true, Kind: coupons.KindPercent, Percent: 15, ValidityDays: 30, Prefix: "sorry"})
			c := env.issueTx(t, "backordered line cancelled at the deadline")
			if c == nil {
				t.Fatal("enabled percent policy issued no coupon")
			}
			if c.Kind != coupons.KindPercent || c.Percent != 15 || c.Currency != "EUR" || !c.Amount.IsZero() {
				t.Errorf("percent coupon = %+v", c)
			}
			if !codeRE.MatchString(c.Code) {
				t.Errorf("code %q does not match %s", c.Code, codeRE)
			}
			// The end of the 30th day after issue, in the store's zone (UTC here).
			y, m, d := orderstest.T0.UTC().Date()
			if want := time.Date(y, m, d+30, 23, 59, 59, 999999000, time.UTC); !c.ExpiresAt.Equal(want) {
				t.Errorf("expires %s, want %s", c.ExpiresAt, want)
			}
			if c.Order != env.order || c.Source != coupons.SourceApology || c.Used || c.Expired || c.IssuedBy != "system:coupons" {
				t.Errorf("coupon = %+v", c)
			}
			if c.Describe() != "15% off" {
				t.Errorf("Describe = %q", c.Describe())
			}

			env.setPolicy(t, coupons.Policy{Enabled: true, Kind: coupons.KindAmount, Amount: eur(t, "5.50"), ValidityDays: 60, Prefix: "SORRY"})
			a := env.issueTx(t, "second line cancelled")
			if a == nil || a.Kind != coupons.KindAmount || a.Amount != (money.Money{Amount: 550, Currency: "EUR"}) || a.Percent != 0 {
				t.Fatalf("amount coupon = %+v", a)
			}
			if a.Code == c.Code {
				t.Fatalf("two coupons share code %s", a.Code)
			}
			list, err := env.c.ForOrder(context.Background(), env.order)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 || list[0].ID != c.ID || list[1].ID != a.ID {
				t.Fatalf("ForOrder = %+v, want the percent then the amount coupon", list)
			}
		})
	}
}

func TestPolicyValidation(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			env := newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{}))
			for _, bad := range []coupons.Policy{
				{Enabled: true, Kind: coupons.KindPercent, Percent: 0, ValidityDays: 30},
				{Enabled: true, Kind: coupons.KindPercent, Percent: 101, ValidityDays: 30},
				{Enabled: true, Kind: coupons.KindAmount, ValidityDays: 30},
				{Enabled: true, Kind: coupons.KindAmount, Amount: money.Money{Amount: 100, Currency: "ZZZ"}, ValidityDays: 30},
				{Enabled: true, Kind: "free", ValidityDays: 30},
				{Enabled: true, Kind: coupons.KindPercent, Percent: 10, ValidityDays: 0},
				{Enabled: true, Kind: coupons.KindPercent, Percent: 10, ValidityDays: 30, Prefix: "SORRY-1"},
			} {
				_, err := env.c.SetPolicy(context.Background(), bad)
				if !apperr.Is(err, apperr.Invalid) {
					t.Errorf("SetPolicy(%+v) = %v, want invalid", bad, err)
				}
			}
			if p, _ := env.c.Policy(context.Background()); p.Enabled || p.UpdatedAt != nil {
				t.Errorf("a refused policy was stored: %+v", p)
			}
		})
	}
}

// TestApologyIdempotent: the cancel transaction that issues the coupon may
// roll back and be replayed, or a retried job may call again: there is never
// more than one apology coupon per order and reason.
func TestApologyIdempotent(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			env := newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{}))
			env.setPolicy(t, coupons.Policy{Enabled: true, Kind: coupons.KindPercent, Percent: 10, ValidityDays: 90, Prefix: "SORRY"})

			// A transaction that issues and then fails leaves nothing.
			boom := errors.New("cancel failed later")
			var rolledBack *coupons.Coupon
			err := env.f.DB.InTx(ctx, func(tx *sql.Tx) error {
				var err error
				if rolledBack, err = env.c.IssueApologyTx(ctx, tx, env.order, "EUR", "cancelled"); err != nil {
					return err
				}
				// Within the same transaction a second call returns the same coupon.
				again, err := env.c.IssueApologyTx(ctx, tx, env.order, "EUR", "cancelled")
				if err != nil {
					return err
				}
				if again.ID != rolledBack.ID || again.Code != rolledBack.Code {
					t.Errorf("second call in the same tx = %s, first %s", again.Code, rolledBack.Code)
				}
				return boom
			})
			if !errors.Is(err, boom) || rolledBack == nil {
				t.Fatalf("tx = %v, coupon %v", err, rolledBack)
			}
			if list, _ := env.c.ForOrder(ctx, env.order); len(list) != 0 {
				t.Fatalf("a rolled-back coupon exists: %+v", list)
			}

			// The replay issues it; every retry after returns that one.
			first := env.issueTx(t, "cancelled")
			for range 3 {
				if c := env.issueTx(t, "  cancelled "); c == nil || c.ID != first.ID || c.Code != first.Code {
					t.Fatalf("retry = %+v, want %s", c, first.Code)
				}
			}
			// Even if the policy changed meanwhile (or was switched off).
			env.setPolicy(t, coupons.Policy{Enabled: false, Kind: coupons.KindPercent, Percent: 50, ValidityDays: 90})
			if c := env.issueTx(t, "cancelled"); c == nil || c.ID != first.ID {
				t.Fatalf("retry after the policy changed = %+v, want %s", c, first.Code)
			}
			// The orders hook's shape gives the same code.
			err = env.f.DB.InTx(ctx, func(tx *sql.Tx) error {
				code, err := env.c.ApologyCode(ctx, tx, env.order, "EUR", "cancelled")
				if code != first.Code {
					t.Errorf("ApologyCode = %q, want %s", code, first.Code)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			list, err := env.c.ForOrder(ctx, env.order)
			if err != nil || len(list) != 1 || list[0].Code != first.Code {
				t.Fatalf("ForOrder = %+v, %v; want only %s", list, err, first.Code)
			}
		})
	}
}

// repeat is a random source that gives the same bytes n times, then
// different ones: the first codes drawn collide.
type repeat struct {
	n    int
	seed byte
}

func (r *repeat) Read(p []byte) (int, error) {
	if r.n > 0 {
		r.n--
		for i := range p {
			p[i] = 7
		}
		return len(p), nil
	}
	r.seed++
	for i := range p {
		p[i] = r.seed + byte(i)
	}
	return len(p), nil
}

func TestCodesUniqueAndReadable(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			env := newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{}))
			env.setPolicy(t, coupons.Policy{Enabled: true, Kind: coupons.KindPercent, Percent: 10, ValidityDays: 90, Prefix: "SORRY"})
			// The first three draws give the same code: the second coupon
			// must get another one, not fail or reuse it.
			env.c.SetRand(&repeat{n: 3})
			in := coupons.NewCoupon{Kind: coupons.KindPercent, Percent: 5, Reason: "goodwill"}
			a, err := env.c.Issue(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			b, err := env.c.Issue(ctx, in)
			if err != nil {
				t.Fatalf("issue after a code collision: %v", err)
			}
			if a.Code == b.Code || !codeRE.MatchString(a.Code) || !codeRE.MatchString(b.Code) {
				t.Fatalf("codes %q and %q", a.Code, b.Code)
			}
			// A source that always repeats fails clearly instead of looping.
			env.c.SetRand(&repeat{n: 1 << 30})
			if _, err := env.c.Issue(ctx, in); err == nil {
				t.Fatal("issue with a broken random source succeeded")
			}
			env.c.SetRand(io.MultiReader(bytes.NewReader(bytes.Repeat([]byte{0}, 12)), bytes.NewReader(bytes.Repeat([]byte{31}, 12))))
			c, err := env.c.Issue(ctx, in)
			if err != nil || c.Code != "SORRY-2222-2222-2222" {
				t.Fatalf("code from zero bytes = %v, %v", c, err)
			}
			c, err = env.c.Issue(ctx, in)
			if err != nil || c.Code != "SORRY-ZZZZ-ZZZZ-ZZZZ" {
				t.Fatalf("code from 31s = %v, %v", c, err)
			}
		})
	}
}

func TestRandomCodesDistinct(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	env := newEnv(t, orderstest.New(t, db, orders.Options{}))
	seen := map[string]bool{}
	for range 300 {
		c, err := env.c.Issue(context.Background(), coupons.NewCoupon{Kind: coupons.KindAmount, Amount: eur(t, "1.00"), Reason: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if seen[c.Code] || !codeRE.MatchString(c.Code) {
			t.Fatalf("code %q repeated or malformed", c.Code)
		}
		seen[c.Code] = true
	}
}

func TestRedeemOnce(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			env := newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{}))
			c, err := env.c.Issue(ctx, coupons.NewCoupon{Kind: coupons.KindAmount, Amount: eur(t, "7.25"), Reason: "late parcel",
				Order: env.order, ValidityDays: 10})
			if err != nil {
				t.Fatal(err)
			}
			if c.Order != env.order || c.Source != coupons.SourceManual || c.Amount.Decimal() != "7.25" {
				t.Fatalf("manual coupon = %+v", c)
			}
			u, err := env.c.Redeem(ctx, " "+toLower(c.Code)+" ", "shopify order #1042")
			if err != nil {
				t.Fatalf("redeem: %v", err)
			}
			if !u.Used || u.UsedAt == nil || u.UsedRef != "shopify order #1042" {
				t.Fatalf("redeemed = %+v", u)
			}
			_, err = env.c.Redeem(ctx, c.Code, "another order")
			if !apperr.Is(err, apperr.Conflict) || !regexp.MustCompile(`already used on shopify order #1042`).MatchString(err.Error()) {
				t.Fatalf("second redeem = %v, want a conflict naming the first use", err)
			}
			if got, _ := env.c.Get(ctx, c.Code); got.UsedRef != "shopify order #1042" {
				t.Fatalf("second redeem changed the use: %+v", got)
			}
			if _, err := env.c.Redeem(ctx, "SORRY-NOPE-NOPE-NOPE", ""); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("unknown code = %v", err)
			}
			// Expired: refused, and listed as expired.
			old, err := env.c.Issue(ctx, coupons.NewCoupon{Kind: coupons.KindPercent, Percent: 10, Reason: "x", ValidityDays: 1})
			if err != nil {
				t.Fatal(err)
			}
			// Valid one day: through the end of the day after its issue, so
			// 25 hours later it still counts, and not on the day after.
			env.f.Clock.Set(orderstest.T0.Add(25 * time.Hour))
			if got, err := env.c.Get(ctx, old.Code); err != nil || got.Expired {
				t.Fatalf("a one-day coupon 25 hours after issue (its last day): %+v, %v", got, err)
			}
			y, m, d := orderstest.T0.UTC().Date()
			env.f.Clock.Set(time.Date(y, m, d+2, 0, 0, 0, 0, time.UTC))
			if _, err := env.c.Redeem(ctx, old.Code, ""); !apperr.Is(err, apperr.Conflict) {
				t.Fatalf("expired redeem = %v", err)
			}
			for state, want := range map[string]string{coupons.StateUsed: c.Code, coupons.StateExpired: old.Code} {
				list, err := env.c.List(ctx, coupons.Filter{State: state})
				if err != nil || len(list) != 1 || list[0].Code != want {
					t.Errorf("List(%s) = %+v, %v; want %s", state, list, err, want)
				}
			}
			if list, _ := env.c.List(ctx, coupons.Filter{State: coupons.StateUnused}); len(list) != 0 {
				t.Errorf("List(unused) = %+v", list)
			}
		})
	}
}

func toLower(s string) string { return string(bytes.ToLower([]byte(s))) }

func TestIssueValidationAndList(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			env := newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{}))
			for _, bad := range []coupons.NewCoupon{
				{Kind: coupons.KindPercent, Percent: 0, Reason: "x"},
				{Kind: coupons.KindAmount, Amount: money.Money{Amount: 0, Currency: "EUR"}, Reason: "x"},
				{Kind: coupons.KindAmount, Amount: eur(t, "1.00")},
				{Kind: coupons.KindAmount, Amount: eur(t, "1.00"), Reason: "x", ValidityDays: -1},
				{Kind: coupons.KindAmount, Amount: eur(t, "1.00"), Reason: "x", Prefix: "no way"},
				{Kind: coupons.KindAmount, Amount: eur(t, "1.00"), Reason: "x", Order: 999999},
			} {
				if _, err := env.c.Issue(ctx, bad); !apperr.Is(err, apperr.Invalid) {
					t.Errorf("Issue(%+v) = %v, want invalid", bad, err)
				}
			}
			env.setPolicy(t, coupons.Policy{Enabled: true, Kind: coupons.KindPercent, Percent: 10, ValidityDays: 90, Prefix: "SORRY",
				Amount: money.Money{Currency: "EUR"}})
			ap := env.issueTx(t, "cancelled")
			m, err := env.c.Issue(ctx, coupons.NewCoupon{Kind: coupons.KindPercent, Percent: 20, Reason: "vip", Prefix: "vip"})
			if err != nil {
				t.Fatal(err)
			}
			if m.Currency != "EUR" || m.Code[:4] != "VIP-" {
				t.Fatalf("manual percent coupon = %+v", m)
			}
			check := func(f coupons.Filter, want ...string) {
				t.Helper()
				list, err := env.c.List(ctx, f)
				if err != nil {
					t.Fatalf("List(%+v): %v", f, err)
				}
				var got []string
				for _, c := range list {
					got = append(got, c.Code)
				}
				if len(got) != len(want) {
					t.Fatalf("List(%+v) = %v, want %v", f, got, want)
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("List(%+v) = %v, want %v", f, got, want)
					}
				}
			}
			check(coupons.Filter{}, m.Code, ap.Code)
			check(coupons.Filter{Source: coupons.SourceApology}, ap.Code)
			check(coupons.Filter{Order: env.order}, ap.Code)
			check(coupons.Filter{Code: "vip-"}, m.Code)
			check(coupons.Filter{Before: m.ID}, ap.Code)
			check(coupons.Filter{Limit: 1}, m.Code)
			if _, err := env.c.List(ctx, coupons.Filter{State: "gone"}); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("bad state filter = %v", err)
			}
		})
	}
}

// TestValueErrorsSaySo: an amount refused says what is wrong with it, once:
// too large is not "must be more than zero", nor "must not be negative".
func TestValueErrorsSaySo(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			env := newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{}))
			huge := money.Money{Amount: money.MaxAmount + 1, Currency: "EUR"}
			for _, c := range []struct {
				name string
				err  func() error
				want string
			}{
				{"issue, too large", func() error {
					_, err := env.c.Issue(ctx, coupons.NewCoupon{Kind: coupons.KindAmount, Amount: huge, Reason: "x"})
					return err
				}, "must be at most"},
				{"issue, zero", func() error {
					_, err := env.c.Issue(ctx, coupons.NewCoupon{Kind: coupons.KindAmount, Amount: money.Money{Currency: "EUR"}, Reason: "x"})
					return err
				}, "must be more than zero"},
				{"enabled policy, too large", func() error {
					_, err := env.c.SetPolicy(ctx, coupons.Policy{Enabled: true, Kind: coupons.KindAmount, Amount: huge, ValidityDays: 30})
					return err
				}, "must be at most"},
				{"disabled policy, too large", func() error {
					_, err := env.c.SetPolicy(ctx, coupons.Policy{Kind: coupons.KindAmount, Amount: huge, ValidityDays: 30})
					return err
				}, "must be at most"},
				{"disabled policy, negative", func() error {
					_, err := env.c.SetPolicy(ctx, coupons.Policy{Kind: coupons.KindAmount, Amount: money.Money{Amount: -5, Currency: "EUR"}, ValidityDays: 30})
					return err
				}, "must not be negative"},
			} {
				var ae *apperr.Error
				if err := c.err(); !errors.As(err, &ae) || ae.Code != apperr.Invalid {
					t.Errorf("%s: %v, want invalid", c.name, err)
					continue
				}
				var msgs []string
				for _, f := range ae.Fields {
					if f.Field == "amount" {
						msgs = append(msgs, f.Message)
					}
				}
				if len(msgs) != 1 || !strings.Contains(msgs[0], c.want) {
					t.Errorf("%s: amount errors %q, want one saying %q", c.name, msgs, c.want)
				}
			}
		})
	}
}

// TestConcurrentRedeemAndApology: on both engines, of several redeems of
// one coupon at once exactly one wins and the rest are conflicts; and
// several transactions issuing the same order's apology at once all get the
// one coupon (the unique index, then a read of the winner's row).
func TestConcurrentRedeemAndApology(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			env := newEnv(t, orderstest.New(t, storetest.Open(t, e), orders.Options{}))
			c, err := env.c.Issue(ctx, coupons.NewCoupon{Kind: coupons.KindPercent, Percent: 10, Reason: "x"})
			if err != nil {
				t.Fatal(err)
			}
			const n = 6
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					_, err := env.c.Redeem(ctx, c.Code, fmt.Sprintf("order %d", i))
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			won := 0
			for err := range errs {
				switch {
				case err == nil:
					won++
				case !apperr.Is(err, apperr.Conflict):
					t.Errorf("redeem = %v, want a conflict", err)
				}
			}
			if won != 1 {
				t.Fatalf("%d redeems won, want 1", won)
			}

			env.setPolicy(t, coupons.Policy{Enabled: true, Kind: coupons.KindPercent, Percent: 10, ValidityDays: 30, Prefix: "SORRY"})
			codes := make(chan string, n)
			for range n {
				wg.Go(func() {
					err := env.f.DB.InTx(ctx, func(tx *sql.Tx) error {
						c, err := env.c.IssueApologyTx(ctx, tx, env.order, "EUR", "cancelled")
						if err == nil {
							codes <- c.Code
						}
						return err
					})
					if err != nil {
						t.Errorf("IssueApologyTx: %v", err)
					}
				})
			}
			wg.Wait()
			close(codes)
			seen := map[string]bool{}
			for code := range codes {
				seen[code] = true
			}
			list, err := env.c.ForOrder(ctx, env.order)
			if err != nil || len(list) != 1 || len(seen) != 1 || !seen[list[0].Code] {
				t.Fatalf("apologies %+v (%v), codes handed out %v: want one", list, err, seen)
			}
		})
	}
}
