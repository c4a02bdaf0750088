package purchasing

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/locale"
	"github.com/orderly-oms/orderly/internal/mail"
	"github.com/orderly-oms/orderly/internal/mail/mailtest"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestSendEmailWithCSVAttached(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		srv := mailtest.Start(t)
		sender, err := mail.New(srv.Settings())
		if err != nil {
			t.Fatal(err)
		}
		f := newFixture(t, db, Options{Mailer: sender})
		ctx := context.Background()
		other := f.supplier("Beta", "Europe/Rome")
		f.setFulfilment(f.Supplier, ChannelEmail, BatchImmediate, "[]", 120, false)
		a1, a2 := f.order(f.Supplier, 2, eur(500)), f.order(f.Supplier, 1, eur(1234))
		f.add(a1, a2, f.order(other, 1, eur(100)))
		// Another order's address must not reach the supplier.
		if _, err := db.W.Exec(`UPDATE orders SET ship_name = 'Secret Person' WHERE id = (SELECT order_id FROM purchase_order_lines WHERE supplier_id = $1)`, other); err != nil {
			t.Fatal(err)
		}
		n, err := f.svc.SendDue(ctx)
		if err != nil || n != 2 {
			t.Fatalf("SendDue = %d, %v; want both POs sent", n, err)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 {
			t.Fatalf("%d emails, want 1 (Beta is console only)", len(msgs))
		}
		m := msgs[0]
		if m.To[0] != "orders@supplier.example" || !strings.Contains(m.Subject, "PO-5001") {
			t.Fatalf("email to %v subject %q", m.To, m.Subject)
		}
		att, ok := m.Attachment("PO-5001.csv")
		if !ok {
			t.Fatalf("no PO-5001.csv attached: %+v", m.Attachments)
		}
		recs, err := csv.NewReader(strings.NewReader(string(att.Data))).ReadAll()
		if err != nil || len(recs) != 3 {
			t.Fatalf("CSV %q: %v", att.Data, err)
		}
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = recs[2][i]
		}
		if row["supplier_sku"] != a2.SupplierSKU || row["sku"] != a2.SKU || row["quantity"] != "1" || row["unit_cost"] != "12.34" ||
			row["line_cost"] != "12.34" || row["ship_name"] != "Giulia Rossi" || row["ship_city"] != "Milano" || row["currency"] != "EUR" {
			t.Fatalf("second CSV row %v", row)
		}
		if strings.Contains(string(att.Data), "Secret Person") || strings.Contains(m.Text, "Secret Person") {
			t.Fatal("another supplier's customer is in the email")
		}
		po, _ := f.svc.Get(ctx, 0, 5001)
		if po.State != POSent || po.SentAt == nil || !po.AckDueAt.Equal(orderstest.T0.Add(2*time.Hour)) || len(po.Sends) != 1 || !po.Sends[0].OK {
			t.Fatalf("PO after send %+v", po)
		}
		tl, _ := f.Orders.Timeline(ctx, a1.OrderID)
		if !hasEvent(tl, "po_sent") {
			t.Fatalf("no po_sent on the timeline: %+v", tl)
		}
		beta, _ := f.svc.Get(ctx, other, 5002)
		if beta.State != POSent || beta.Sends[0].Detail != "available in the supplier console" {
			t.Fatalf("console PO %+v", beta)
		}
		// Nothing is due any more.
		if n, err := f.svc.SendDue(ctx); n != 0 || err != nil || len(srv.Messages()) != 1 {
			t.Fatalf("second SendDue = %d, %v", n, err)
		}
	})
}

func TestSendEmailFailures(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		srv := mailtest.Start(t)
		sender, _ := mail.New(srv.Settings())
		f := newFixture(t, db, Options{Mailer: sender})
		ctx := context.Background()
		f.setFulfilment(f.Supplier, ChannelEmail, BatchImmediate, "[]", 120, false)
		f.add(f.order(f.Supplier, 1, eur(500)))
		// A temporary refusal is retried by the job after its backoff.
		srv.RejectNext(1, 451)
		if n, _ := f.svc.SendDue(ctx); n != 0 {
			t.Fatalf("sent despite 451")
		}
		po, _ := f.svc.Get(ctx, 0, 5001)
		if po.State != POSending || !strings.HasPrefix(po.LastError, temporaryPrefix) || po.SendAttempts != 1 {
			t.Fatalf("after 451: %+v", po)
		}
		if n, _ := f.svc.SendDue(ctx); n != 0 || len(srv.Messages()) != 0 {
			t.Fatalf("retried before the backoff")
		}
		f.Clock.Set(orderstest.T0.Add(2 * time.Minute))
		if n, err := f.svc.SendDue(ctx); n != 1 || err != nil {
			t.Fatalf("retry after backoff = %d, %v", n, err)
		}
		po, _ = f.svc.Get(ctx, 0, 5001)
		if po.State != POSent || po.SendAttempts != 2 || len(po.Sends) != 2 || po.Sends[0].OK || !po.Sends[1].OK {
			t.Fatalf("after retry: %+v", po)
		}

		// A permanent refusal waits for staff.
		f.add(f.order(f.Supplier, 1, eur(500)))
		srv.RejectNext(1, 550)
		f.svc.SendDue(ctx)
		f.Clock.Set(orderstest.T0.Add(time.Hour))
		f.svc.SendDue(ctx)
		po, _ = f.svc.Get(ctx, 0, 5002)
		if po.State != POSending || po.LastError == "" || strings.HasPrefix(po.LastError, temporaryPrefix) || po.SendAttempts != 1 {
			t.Fatalf("after 550: %+v", po)
		}
		if _, err := f.svc.Resend(ctx, 5001); err == nil {
			t.Fatal("resend of a sent PO accepted")
		}
		po, err := f.svc.Resend(ctx, 5002)
		if err != nil || po.State != POSent || len(srv.Messages()) != 2 {
			t.Fatalf("resend: %+v, %v", po, err)
		}
	})
}

func TestSendWebhookSignedWithRetries(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		var (
			mu       sync.Mutex
			secret   string
			bodies   []WebhookPayload
			statuses = []int{503, 429, 200}
			calls    atomic.Int32
		)
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			body, _ := io.ReadAll(r.Body)
			if err := Verify(secret, r.Header.Get(SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			var p WebhookPayload
			json.Unmarshal(body, &p)
			bodies = append(bodies, p)
			i := int(calls.Add(1)) - 1
			w.WriteHeader(statuses[min(i, len(statuses)-1)])
		}))
		defer ts.Close()
		var waits []time.Duration
		f := newFixture(t, db, Options{AllowLocalHTTP: true, Backoff: time.Second,
			Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }})
		f.Clock.Set(time.Now().UTC().Truncate(time.Second))
		ctx := context.Background()
		fs, err := f.svc.PutFulfilment(ctx, f.Supplier, FulfilmentInput{Channel: ChannelWebhook, WebhookURL: ts.URL + "/po",
			Batch: BatchImmediate, AckSLAMinutes: 60})
		if err != nil {
			t.Fatal(err)
		}
		secret = fs.WebhookSecret
		a := f.order(f.Supplier, 2, eur(500))
		f.add(a)
		if n, err := f.svc.SendDue(ctx); n != 1 || err != nil {
			t.Fatalf("SendDue = %d, %v", n, err)
		}
		if len(bodies) != 3 || len(waits) != 2 || waits[0] != time.Second || waits[1] != 2*time.Second {
			t.Fatalf("%d verified deliveries, waits %v; want 3 and [1s 2s]", len(bodies), waits)
		}
		p := bodies[2].PurchaseOrder
		if p.Number != "PO-5001" || len(p.Orders) != 1 || p.Orders[0].ShipTo.City != "Milano" || p.Orders[0].Lines[0].SupplierSKU != a.SupplierSKU ||
			p.Orders[0].Lines[0].LineCost != eur(1000) {
			t.Fatalf("payload %+v", p)
		}
		po, _ := f.svc.Get(ctx, 0, 5001)
		if po.State != POSent || len(po.Sends) != 3 || po.Sends[0].Detail[:8] != "HTTP 503" || !po.Sends[2].OK {
			t.Fatalf("PO %+v", po)
		}

		// A wrong secret: the receiver says 401, which is not retried.
		secret = "whsec_wrong_wrong_wrong"
		f.add(f.order(f.Supplier, 1, eur(500)))
		f.svc.SendDue(ctx)
		po, _ = f.svc.Get(ctx, 0, 5002)
		if po.State != POSending || len(po.Sends) != 1 || !strings.HasPrefix(po.LastError, "HTTP 401") {
			t.Fatalf("after 401: %+v", po)
		}
	})
}

func TestClaimSendsEachPOOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		var hits atomic.Int32
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
		defer ts.Close()
		f := newFixture(t, db, Options{AllowLocalHTTP: true})
		ctx := context.Background()
		if _, err := f.svc.PutFulfilment(ctx, f.Supplier, FulfilmentInput{Channel: ChannelWebhook, WebhookURL: ts.URL,
			Batch: BatchImmediate, AckSLAMinutes: 60}); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			s := f.supplier("S"+string(rune('A'+i)), "UTC")
			f.add(f.order(s, 1, eur(100)))
		}
		f.add(f.order(f.Supplier, 1, eur(100)))
		// Two instances (two services on one database) run the job at once.
		other := New(db, f.Clock.Now, Options{AllowLocalHTTP: true})
		var wg sync.WaitGroup
		counts := make([]int, 2)
		for i, svc := range []*Service{f.svc, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := svc.SendDue(ctx)
				if err != nil {
					t.Errorf("SendDue: %v", err)
				}
				counts[i] = n
			}()
		}
		wg.Wait()
		if counts[0]+counts[1] != 6 || hits.Load() != 1 {
			t.Fatalf("sent %v (want 6 in all), webhook hits %d (want 1)", counts, hits.Load())
		}
		var sends int
		db.R.QueryRow(`SELECT COUNT(*) FROM purchase_order_sends`).Scan(&sends)
		if sends != 6 {
			t.Fatalf("%d send records, want 6", sends)
		}
	})
}

// TestSendEmailInSupplierLanguage: a PO email is written in the supplier's
// language, with amounts and the answer deadline (in the supplier's zone)
// formatted for it; the CSV's header stays the one the reply upload reads.
func TestSendEmailInSupplierLanguage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		srv := mailtest.Start(t)
		sender, err := mail.New(srv.Settings())
		if err != nil {
			t.Fatal(err)
		}
		f := newFixture(t, db, Options{Mailer: sender})
		ctx := context.Background()
		f.setFulfilment(f.Supplier, ChannelEmail, BatchImmediate, "[]", 120, false)
		for i, c := range []struct{ loc, subject, total, answer string }{
			{"pt-BR", "Pedido de compra PO-5001 (2 linhas)", "Custo total: € 22,34", "Aceite ou recuse cada linha até "},
			{"it", "Ordine d'acquisto PO-5002 (1 righe)", "Costo totale: 7,00 €", "Accettate o rifiutate ogni riga entro il "},
			{"en", "Purchase order PO-5003 (1 lines)", "Total cost: €0.99", "Please accept or reject each line by "},
		} {
			if _, err := db.W.Exec(`UPDATE supplier_fulfilment SET locale = $1 WHERE supplier_id = $2`, c.loc, f.Supplier); err != nil {
				t.Fatal(err)
			}
			switch i {
			case 0:
				f.add(f.order(f.Supplier, 2, eur(500)), f.order(f.Supplier, 1, eur(1234)))
			case 1:
				f.add(f.order(f.Supplier, 1, eur(700)))
			case 2:
				f.add(f.order(f.Supplier, 1, eur(99)))
			}
			if n, err := f.svc.SendDue(ctx); err != nil || n != 1 {
				t.Fatalf("%s: SendDue = %d, %v", c.loc, n, err)
			}
			msgs := srv.Messages()
			if len(msgs) != i+1 {
				t.Fatalf("%s: %d emails, want %d", c.loc, len(msgs), i+1)
			}
			m := msgs[i]
			fu, err := f.svc.Fulfilment(ctx, f.Supplier)
			if err != nil {
				t.Fatal(err)
			}
			po, err := f.svc.Get(ctx, 0, int64(5001+i))
			if err != nil || po.AckDueAt == nil {
				t.Fatalf("%s: PO %+v, %v", c.loc, po, err)
			}
			due := po.AckDueAt.In(location(fu.Timezone))
			wantDue := c.answer + locale.DateTime(due, c.loc) + " " + due.Format("MST")
			if m.Subject != c.subject || !strings.Contains(m.Text, c.total) || !strings.Contains(m.Text, wantDue) {
				t.Fatalf("%s: subject %q, text:\n%s\nwant subject %q, %q and %q", c.loc, m.Subject, m.Text, c.subject, c.total, wantDue)
			}
			att, ok := m.Attachment(po.Number + ".csv")
			if !ok || !strings.HasPrefix(string(att.Data), strings.Join(CSVHeader, ",")) {
				t.Fatalf("%s: CSV attachment %q", c.loc, att.Data)
			}
		}
	})
}
