package digests_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/digests"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/restocks"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// The supplier's open restock questions are a section of its digest, in
// each language; answered questions are not.
func TestDigestListsOpenRestockQuestions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		sku := f.AddSKU("KETTLE-9", 0)
		f.Policy(sku, inventory.PolicyInput{BackorderLimit: 10})
		for _, email := range []string{"a@example.com", "b@example.com"} {
			if _, err := f.Orders.Place(ctx, orderstest.Input(email, "KETTLE-9", 2)); err != nil {
				t.Fatal(err)
			}
		}
		rs := restocks.New(db, f.Inventory, f.Orders, f.Clock.Now, restocks.Options{})
		if n, err := rs.Ask(ctx, sku.Variant); err != nil || n != 1 {
			t.Fatalf("Ask: %d, %v", n, err)
		}
		svc := digests.New(db, nil, f.Clock.Now, digests.Options{})
		want := map[string][]string{
			"en":    {"Open questions: when will these be back in stock?", "· SUP-1 · Product KETTLE-9: 4 units ordered by customers who wait · asked 2 Mar 2026"},
			"pt-BR": {"Perguntas em aberto: quando estes itens voltam ao estoque?", "· SUP-1 · Product KETTLE-9: 4 unidades aguardadas por clientes · perguntado em 02/03/2026"},
			"it":    {"Domande aperte: quando tornano disponibili questi articoli?", "· SUP-1 · Product KETTLE-9: 4 unità attese dai clienti · chiesto il 02/03/2026"},
		}
		for _, loc := range digests.Locales() {
			d, err := svc.Build(ctx, f.Supplier, f.Clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if d.Empty() || len(d.Questions) != 1 || d.Questions[0].Waiting != 4 {
				t.Fatalf("digest questions: %+v", d.Questions)
			}
			d.Locale = loc
			_, body := digests.Render(d)
			for _, w := range want[loc] {
				if !strings.Contains(body, w) {
					t.Errorf("%s digest lacks %q:\n%s", loc, w, body)
				}
			}
		}
		qs, _, err := rs.List(ctx, restocks.Filter{Status: restocks.StatusOpen})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rs.Answer(ctx, f.Supplier, qs[0].ID, restocks.AnswerInput{Answer: restocks.AnswerDate,
			ExpectedOn: f.Clock.Now().Add(72 * time.Hour).Format(time.DateOnly)}); err != nil {
			t.Fatal(err)
		}
		d, err := svc.Build(ctx, f.Supplier, f.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Questions) != 0 || !d.Empty() {
			t.Errorf("answered question still in the digest: %+v", d.Questions)
		}
	})
}
