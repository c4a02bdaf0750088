package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orderlinks"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/web"
)

var refundIssuedRE = regexp.MustCompile(`(?s)<li data-event="refund_issued">(.*?)</li>`)

// TestRefundIssuedThroughAPIOnTimelineAndCustomerPage: refunds marked issued
// through the API (one, then a bulk) each put a refund_issued entry on the
// order's timeline by the token, with the amount and the provider's
// reference; a bulk refused for an unknown refund leaves none. The customer's
// page shows each as "Refund issued" with the amount, in the customer's
// language, and never the reference or who marked it.
func TestRefundIssuedThroughAPIOnTimelineAndCustomerPage(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := newPageFixture(t, db)
		secret, actor := orderToken(t, db, p.Fixture, auth.Finance, "payout-bot")
		api := &apiClient{t: t, base: p.base + web.APIPrefix, token: secret}

		p.AddSKU("MUG-1", 10)
		in := orderstest.Input("ana@example.com", "MUG-1", 3)
		in.Customer.Locale = "pt-BR"
		placed, err := p.Orders.Place(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		number := placed.Order.Number
		if _, err := p.Orders.Cancel(ctx, number, orders.CancelInput{Lines: []orders.LineQuantity{{Line: 1, Quantity: 1}},
			Reason: "one broke"}); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Orders.Cancel(ctx, number, orders.CancelInput{Reason: "customer asked"}); err != nil {
			t.Fatal(err)
		}
		l := api.must(http.StatusOK, "GET", "/refunds?state=pending&order="+strconv.FormatInt(number, 10), "")
		one, two := l.str("items.0.id"), l.str("items.1.id")
		if one == "" || two == "" || l.str("items.0.amount.amount") != "10.00" || l.str("items.1.amount.amount") != "20.00" {
			t.Fatalf("refunds: %s", l.raw)
		}
		entries := func() []orders.Entry {
			t.Helper()
			tl, err := p.Orders.Timeline(ctx, number)
			if err != nil {
				t.Fatal(err)
			}
			var out []orders.Entry
			for _, e := range tl {
				if e.Event == orders.EntryRefundIssued {
					out = append(out, e)
				}
			}
			return out
		}

		api.must(http.StatusOK, "POST", "/refunds/"+one+"/issue", `{"provider_ref":"re_hidden_1"}`)
		api.must(http.StatusNotFound, "POST", "/refunds/issue", `{"ids":[`+two+`, 99999],"provider_ref":"payout_hidden_2"}`)
		if es := entries(); len(es) != 1 {
			t.Fatalf("entries after one issue and a refused bulk: %+v", es)
		}
		api.must(http.StatusOK, "POST", "/refunds/issue", `{"ids":[`+two+`],"provider_ref":"payout_hidden_2"}`)
		es := entries()
		if len(es) != 2 {
			t.Fatalf("entries: %+v", es)
		}
		for i, want := range []struct{ id, amount, ref string }{{one, "10.00", "re_hidden_1"}, {two, "20.00", "payout_hidden_2"}} {
			reason := "refund " + want.id + " issued: " + want.amount + " EUR, provider reference " + want.ref
			if es[i].Actor != actor || es[i].Reason != reason ||
				!strings.Contains(es[i].Detail, `"refund":{"amount":"`+want.amount+`","currency":"EUR"}`) ||
				!strings.Contains(es[i].Detail, `"provider_ref":"`+want.ref+`"`) {
				t.Errorf("entry %d = %+v, want by %s: %q", i, es[i], actor, reason)
			}
		}

		path := orderlinks.Path(p.links.Token(number, orderstest.T0.Add(24*time.Hour)))
		for _, c := range []struct {
			lang, text string
			amounts    []string
		}{
			{"pt-BR", "Reembolso efetuado", []string{"Reembolso: € 20,00", "Reembolso: € 10,00"}},
			{"en", "Refund issued", []string{"Refund: €20.00", "Refund: €10.00"}},
			{"it", "Rimborso effettuato", []string{"Rimborso: 20,00 €", "Rimborso: 10,00 €"}},
		} {
			r := p.do(t, "GET", path+"?lang="+c.lang, nil)
			if r.status != http.StatusOK {
				t.Fatalf("%s: %d\n%s", c.lang, r.status, r.body)
			}
			items := refundIssuedRE.FindAllStringSubmatch(r.body, -1)
			if len(items) != 2 {
				t.Fatalf("%s: %d refund_issued entries in the history, want 2:\n%s", c.lang, len(items), r.body)
			}
			for i, m := range items { // newest first
				if !strings.Contains(m[1], c.text) || !strings.Contains(m[1], c.amounts[i]) {
					t.Errorf("%s: entry %q, want %q and %q", c.lang, m[1], c.text, c.amounts[i])
				}
			}
			for _, never := range []string{"re_hidden_1", "payout_hidden_2", "payout-bot", "provider"} {
				if strings.Contains(r.body, never) {
					t.Errorf("%s: the customer's page shows %q", c.lang, never)
				}
			}
		}
	})
}
