package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/coupons"
	"github.com/orderly-oms/orderly/internal/orderlinks"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/storesettings"
)

// TestCustomerPageStoreTimeZone: with the store in America/Sao_Paulo a
// pt-BR customer reads instants on São Paulo's clock. The order is placed at
// 02:00 UTC on 28 Nov (23:00 on 27 Nov there), so the consent deadline, 72
// hours later at 02:00 UTC on 1 Dec, reads 30/11/2026 23:00 UTC-03; the
// apology coupon's expiry (90 days, 02:00 UTC on 26 Feb) is São Paulo's
// 25/02/2027. The stored deadline stays the UTC instant.
func TestCustomerPageStoreTimeZone(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := newPageFixture(t, db)
		if _, err := storesettings.New(db, p.Clock.Now).Set(ctx, storesettings.Input{TimeZone: "America/Sao_Paulo"}, "test"); err != nil {
			t.Fatal(err)
		}
		cs := coupons.New(db, p.Clock.Now, nil)
		if _, err := cs.SetPolicy(ctx, coupons.Policy{Enabled: true, Kind: coupons.KindPercent, Percent: 10, ValidityDays: 90, Prefix: "SORRY"}); err != nil {
			t.Fatal(err)
		}
		p.Orders.SetApology(cs.ApologyCode)
		placed := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
		p.Clock.Set(placed)
		o := backorderedOrder(t, p, "pt-BR")
		choices, err := p.Orders.Choices(ctx, o.Number)
		if err != nil {
			t.Fatal(err)
		}
		due := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
		if len(choices) != 1 || choices[0].DueAt == nil || !choices[0].DueAt.Equal(due) || choices[0].DueAt.Location() != time.UTC {
			t.Fatalf("choices %+v, want one line due at %s (UTC)", choices, due)
		}

		path := orderlinks.Path(p.links.Token(o.Number, placed.Add(24*time.Hour)))
		r := p.do(t, "GET", path, nil)
		if r.status != http.StatusOK {
			t.Fatalf("%d\n%s", r.status, r.body)
		}
		// Expected back 3 days after the order (the offer's lead time, an
		// instant): 30/11 in São Paulo too.
		for _, want := range []string{"Se não tivermos sua resposta até 30/11/2026 23:00 UTC-03", "27/11/2026", "previsto para 30/11/2026"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		for _, bad := range []string{"01/12/2026", "28/11/2026"} {
			if strings.Contains(r.body, bad) {
				t.Errorf("the page shows the UTC day %s", bad)
			}
		}

		r = p.do(t, "POST", path+"/lines/2/choice", url.Values{"form_token": {formToken(t, r.body)}, "choice": {"cancel"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("cancel: %d\n%s", r.status, r.body)
		}
		list, err := cs.ForOrder(ctx, o.Number)
		if err != nil || len(list) != 1 {
			t.Fatalf("coupons %+v, %v: want one apology coupon", list, err)
		}
		r = p.do(t, "GET", r.location, nil)
		want := "Seu cupom de desculpas: " + list[0].Code + " (válido até 25/02/2027)"
		if !strings.Contains(r.body, want) {
			t.Errorf("the page lacks %q:\n%s", want, r.body)
		}
	})
}
