package digests_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/digests"
	"github.com/orderly-oms/orderly/internal/mail"
	"github.com/orderly-oms/orderly/internal/mail/mailtest"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

var ctx = context.Background()

// seed places an order of MUG-1 for the fixture's supplier (Lisbon: UTC+0
// in March) with a ship-by day of 2026-03-03, and a purchase order sent on
// 2026-03-02 10:00 UTC holding it, unanswered, due a day later.
func seed(t *testing.T, db *store.DB, f *orderstest.Fixture, email string) (order, po int64) {
	t.Helper()
	o, err := f.Orders.Place(ctx, orderstest.Input(email, "MUG-1", 2))
	if err != nil {
		t.Fatal(err)
	}
	order = o.Order.Number
	exec(t, db, `UPDATE orders SET promised_ship_by = '2026-03-03' WHERE id = $1`, order)
	var offer, variant, line int64
	if err := db.R.QueryRowContext(ctx, `SELECT so.id, so.variant_id, l.id FROM order_lines l JOIN supplier_offers so ON so.variant_id = l.variant_id
		WHERE l.order_id = $1`, order).Scan(&offer, &variant, &line); err != nil {
		t.Fatal(err)
	}
	sent := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	if err := db.W.QueryRowContext(ctx, `INSERT INTO purchase_orders (supplier_id, state, channel, currency, send_after, sent_at, ack_due_at, created_at, updated_at)
		VALUES ($1, 'sent', 'email', 'EUR', $2, $2, $3, $2, $2) RETURNING id`, f.Supplier, sent, sent.Add(24*time.Hour)).Scan(&po); err != nil {
		t.Fatal(err)
	}
	exec(t, db, `INSERT INTO purchase_order_lines (purchase_order_id, supplier_id, order_id, order_line_id, offer_id, variant_id, sku, supplier_sku,
		title, state, quantity, qty_pending, unit_cost_amount, cost_currency, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'MUG-1', 'S-MUG-1', 'Caneca azul', 'pending', 2, 2, 500, 'EUR', $7, $7)`,
		po, f.Supplier, order, line, offer, variant, sent)
	return order, po
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.W.ExecContext(ctx, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func fulfilment(t *testing.T, db *store.DB, supplier int64, email, locale string) {
	t.Helper()
	exec(t, db, `INSERT INTO supplier_fulfilment (supplier_id, channel, email_to, batch, ack_sla_minutes, locale, updated_at)
		VALUES ($1, 'email', $2, 'immediate', 1440, $3, $4)`, supplier, email, locale, orderstest.T0)
}

func sender(t *testing.T, srv *mailtest.Server) *mail.Sender {
	t.Helper()
	m, err := mail.New(srv.Settings())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDigestSentOncePerLocalDayInTheSuppliersLanguage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		f.AddSKU("MUG-1", 10)
		order, po := seed(t, db, f, "ana@example.com")
		fulfilment(t, db, f.Supplier, "pedidos@fornecedor.example", "pt-BR")
		srv := mailtest.Start(t)
		clock := orderstest.NewClock(time.Date(2026, 3, 4, 6, 59, 0, 0, time.UTC))
		svc := digests.New(db, sender(t, srv), clock.Now, digests.Options{})

		if res, err := svc.Run(ctx); err != nil || res.Suppliers != 0 || len(srv.Messages()) != 0 {
			t.Fatalf("before 07:00 local: %+v, %v, %d messages", res, err, len(srv.Messages()))
		}
		clock.Set(time.Date(2026, 3, 4, 7, 0, 0, 0, time.UTC))
		if res, err := svc.Run(ctx); err != nil || res.Sent != 1 {
			t.Fatalf("at 07:00 local: %+v, %v", res, err)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "pedidos@fornecedor.example" {
			t.Fatalf("messages %+v", msgs)
		}
		m := msgs[0]
		if want := "Resumo diário da Orderly para Fixture Supplier — 04/03/2026"; m.Subject != want {
			t.Errorf("subject %q, want %q", m.Subject, want)
		}
		for _, want := range []string{
			"Aguardando a sua resposta (aceite ou recuse cada linha) (1)",
			"PO-" + itoa(po) + " · S-MUG-1 · Caneca azul · 2 × · pedido " + itoa(order) + " · responder até 03/03/2026 10:00 WET",
			"Envio atrasado (a data limite de envio já passou) (1)",
			"enviar até 03/03/2026 · 2 em aberto",
			"sem resposta até 03/03/2026 10:00 WET",
			"PO-" + itoa(po) + " enviado em 02/03/2026: 2 enviadas, 0 despachadas, 0 recusadas, 0 canceladas, 2 em aberto",
			"Novos desde ontem (0)",
		} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("body lacks %q:\n%s", want, m.Text)
			}
		}
		// Later the same local day: nothing more.
		clock.Set(time.Date(2026, 3, 4, 20, 0, 0, 0, time.UTC))
		if res, err := svc.Run(ctx); err != nil || res.Sent != 0 || len(srv.Messages()) != 1 {
			t.Fatalf("later that day: %+v, %v, %d messages", res, err, len(srv.Messages()))
		}
		// The next day, three runs at once (three instances): one message.
		clock.Set(time.Date(2026, 3, 5, 7, 30, 0, 0, time.UTC))
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				if _, err := svc.Run(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := len(srv.Messages()); n != 2 {
			t.Errorf("%d messages after the next day's concurrent runs, want 2", n)
		}
		list, err := svc.List(ctx, f.Supplier, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Day != "2026-03-05" || list[0].Status != digests.StatusSent || !strings.Contains(list[1].Body, "Caneca azul") {
			t.Errorf("stored digests %+v", list)
		}
	})
}

func TestDigestRetriesTemporaryFailuresOnly(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		f.AddSKU("MUG-1", 10)
		seed(t, db, f, "ana@example.com")
		fulfilment(t, db, f.Supplier, "orders@supplier.example", "it")
		srv := mailtest.Start(t)
		clock := orderstest.NewClock(time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC))
		svc := digests.New(db, sender(t, srv), clock.Now, digests.Options{})

		srv.RejectNext(1, 451)
		if res, err := svc.Run(ctx); err == nil || res.Failed != 1 {
			t.Fatalf("451: %+v, %v, want a failure", res, err)
		}
		if res, err := svc.Run(ctx); err != nil || res.Sent != 1 {
			t.Fatalf("retry: %+v, %v", res, err)
		}
		if m := srv.Messages(); len(m) != 1 || !strings.HasPrefix(m[0].Subject, "Riepilogo giornaliero Orderly per Fixture Supplier") {
			t.Fatalf("messages %+v", m)
		}
		list, _ := svc.List(ctx, f.Supplier, 1)
		if list[0].Attempts != 2 || list[0].Status != digests.StatusSent {
			t.Errorf("stored %+v, want sent after 2 attempts", list[0])
		}

		// A permanent refusal the next day is kept, not retried.
		clock.Set(time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC))
		srv.RejectNext(1, 550)
		if res, _ := svc.Run(ctx); res.Failed != 1 {
			t.Fatalf("550: %+v", res)
		}
		if res, err := svc.Run(ctx); err != nil || res.Sent != 0 || res.Failed != 0 {
			t.Fatalf("after 550: %+v, %v, want no retry", res, err)
		}
		list, _ = svc.List(ctx, f.Supplier, 1)
		if list[0].Status != digests.StatusFailed || !strings.Contains(list[0].Error, "550") {
			t.Errorf("stored %+v, want failed with the 550", list[0])
		}
	})
}

func TestDigestWithoutRecipientOrNews(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		f.AddSKU("MUG-1", 10)
		seed(t, db, f, "ana@example.com")
		exec(t, db, `INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
			VALUES ('Quiet Supplier', 'Europe/Rome', 'IT', 'active', $1, $1)`, orderstest.T0)
		srv := mailtest.Start(t)
		clock := orderstest.NewClock(time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC))
		svc := digests.New(db, sender(t, srv), clock.Now, digests.Options{})
		res, err := svc.Run(ctx)
		if err != nil || res.Suppliers != 2 || res.Skipped != 2 || len(srv.Messages()) != 0 {
			t.Fatalf("%+v, %v, %d messages: want both skipped", res, err, len(srv.Messages()))
		}
		list, _ := svc.List(ctx, f.Supplier, 1)
		if len(list) != 1 || list[0].Status != digests.StatusNoRecipient || !strings.Contains(list[0].Body, "Waiting for your answer") {
			t.Errorf("fixture supplier: %+v, want no_recipient with an English body", list)
		}
	})
}

// Every locale renders every section without a formatting error.
func TestRenderAllLocales(t *testing.T) {
	due := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	d := &digests.Digest{Supplier: "Lisboa Cerâmica", Day: due, Location: time.UTC,
		New:            []digests.Line{{PurchaseOrder: 5001, OrderNumber: 1042, SupplierSKU: "LC-1", Title: "Mug", Quantity: 3, Open: 3, Pending: 3, DueAt: due}},
		Unacknowledged: []digests.Line{{PurchaseOrder: 5001, OrderNumber: 1042, SupplierSKU: "LC-1", Title: "Mug", Quantity: 3, Open: 3, Pending: 3, DueAt: due}},
		LateToShip:     []digests.Line{{PurchaseOrder: 5001, OrderNumber: 1042, SupplierSKU: "LC-1", Title: "Mug", Quantity: 3, Open: 3, ShipBy: "2026-11-20"}},
		Issues: []digests.Issue{{Kind: digests.IssueOverdue, PurchaseOrder: 5001, OrderNumber: 1042, SupplierSKU: "LC-1", DueAt: due},
			{Kind: digests.IssueShipment, OrderNumber: 1042, Carrier: "ups", Tracking: "1Z999AA10123456784", Status: "exception"}},
		Reconciliation: []digests.POBalance{{PurchaseOrder: 5001, SentAt: due, Sent: 5, Shipped: 1, Rejected: 1, Cancelled: 0, Open: 3}},
	}
	days := map[string]string{"en": "23 Nov 2026", "pt-BR": "23/11/2026", "it": "23/11/2026", "fr": "23 Nov 2026"}
	for _, loc := range append(digests.Locales(), "fr") {
		d.Locale = loc
		subject, body := digests.Render(d)
		if strings.Contains(subject+body, "%!") || !strings.Contains(subject, days[loc]) || !strings.Contains(body, "Lisboa Cerâmica") ||
			!strings.Contains(body, "1Z999AA10123456784") || !strings.Contains(body, "20/11/2026") && loc != "en" && loc != "fr" {
			t.Errorf("%s:\n%s\n%s", loc, subject, body)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
