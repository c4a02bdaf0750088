package notify_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/mail"
	"github.com/orderly-oms/orderly/internal/mail/mailtest"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/notify"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/storesettings"
)

var ctx = context.Background()

// links is a stand-in for orderlinks' signer: the token shows what it signs.
type links struct{}

func (links) Token(order int64, expires time.Time) string {
	return fmt.Sprintf("t%d-%s", order, expires.UTC().Format("20060102"))
}

type fixture struct {
	*orderstest.Fixture
	smtp      *mailtest.Server
	transport *notify.Transport
	queue     *jobs.Queue
	coupons   []notify.CouponView
	svc       *notify.Service
}

// newFixture: a store whose email goes to an in-process SMTP server, with an
// insert-only queue (tests work the send jobs by calling Deliver).
func newFixture(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{Fixture: orderstest.New(t, db, orders.Options{}), smtp: mailtest.Start(t)}
	sender, err := mail.New(f.smtp.Settings())
	if err != nil {
		t.Fatal(err)
	}
	f.transport = notify.NewTransport(db, sender, f.smtp.Settings().From)
	if f.queue, err = jobs.New(db, jobs.Config{InsertOnly: true, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	f.svc = f.service()
	return f
}

// service is a new notification service on the fixture's database: a
// restarted process.
func (f *fixture) service() *notify.Service {
	return notify.New(f.DB, f.Orders, f.queue, f.transport, f.Clock.Now, notify.Options{
		Links:    func(context.Context) (notify.Linker, error) { return links{}, nil },
		BaseURL:  "https://orders.shop.example",
		Coupons:  func(context.Context, int64) ([]notify.CouponView, error) { return f.coupons, nil },
		LinkPath: func(token string) string { return "/o/" + token },
		Logger:   slog.New(slog.DiscardHandler),
	})
}

// place places an order in BRL for a pt-BR customer (or loc): one unit of
// MUG-1 at 1.234,56 and two of TEE-1, which is on backorder until 23 Nov 2026.
func (f *fixture) place(t testing.TB, loc string) *orders.Order {
	t.Helper()
	in := orderstest.Input("ana@example.com", "MUG-1", 1, "TEE-1", 2)
	in.Currency = "BRL"
	in.Customer.Locale = loc
	in.Customer.Name = "Ana Lima"
	in.ShippingAddress.Name = "Ana Lima"
	in.Lines[0].UnitPrice = &money.Money{Amount: 123456, Currency: "BRL"}
	in.Lines[1].UnitPrice = &money.Money{Amount: 5000, Currency: "BRL"}
	p, err := f.Orders.Place(ctx, in)
	if err != nil {
		t.Fatalf("place: %v", err)
	}
	return p.Order
}

func (f *fixture) stock(t testing.TB) {
	t.Helper()
	f.AddSKU("MUG-1", 5)
	tee := f.AddSKU("TEE-1", 0)
	back := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f.Policy(tee, inventory.PolicyInput{BackorderLimit: 10, RestockExpectedAt: &back})
}

// events returns the order events enqueued for order, in order.
func events(t testing.TB, db *store.DB, order int64) []orders.EventArgs {
	t.Helper()
	col := "args"
	if db.Engine == store.SQLite {
		col = "json(args)" // JSONB there
	}
	rows, err := db.R.QueryContext(ctx, `SELECT `+col+` FROM river_job WHERE kind = 'order_event' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []orders.EventArgs
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var e orders.EventArgs
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		if e.Order == order {
			out = append(out, e)
		}
	}
	return out
}

// handle runs the notification subscriber on every event of order.
func (f *fixture) handle(t testing.TB, svc *notify.Service, order int64) {
	t.Helper()
	for _, e := range events(t, f.DB, order) {
		if err := svc.OnEvent(ctx, e); err != nil {
			t.Fatalf("OnEvent(%s): %v", e.Event, err)
		}
	}
}

func jsonField(db *store.DB, key string) string {
	if db.Engine == store.SQLite {
		return "json_extract(args, '$." + key + "')"
	}
	return "(args->>'" + key + "')::bigint"
}

func count(t testing.TB, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.R.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestEveryKindInEveryLocale renders each kind in en, pt-BR and it on a real
// order and checks the content: no missing variable, the order's amount and
// dates written for the locale, the link, the HTML alternative.
func TestEveryKindInEveryLocale(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.stock(t)
		o := f.place(t, "pt-BR")
		if _, err := f.svc.SaveSettings(ctx, notify.SettingsInput{Branding: notify.Branding{StoreName: "Loja da Ana",
			SupportEmail: "ajuda@loja.example", AccentColor: "#aa3300"}}, "test"); err != nil {
			t.Fatal(err)
		}
		f.coupons = []notify.CouponView{{Code: "DESCULPA-10", Percent: 10, ExpiresAt: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}}
		total := map[string]string{"en": "R$1,334.56", "pt-BR": "R$ 1.334,56", "it": "1.334,56 BRL"}
		expected := map[string]string{"en": "23 Nov 2026", "pt-BR": "23/11/2026", "it": "23/11/2026"}
		for _, kind := range notify.Kinds() {
			for _, loc := range []string{"en", "pt-BR", "it"} {
				m, err := f.svc.Preview(ctx, kind, loc, o.Number, nil)
				if err != nil {
					t.Fatalf("%s/%s: %v", kind, loc, err)
				}
				all := m.Subject + "\n" + m.Text + "\n" + m.HTML
				for _, bad := range []string{"<no value>", "{{", "ZgotmplZ", "%!"} {
					if strings.Contains(all, bad) {
						t.Errorf("%s/%s contains %q:\n%s", kind, loc, bad, m.Text)
					}
				}
				if !strings.Contains(m.Subject, fmt.Sprint(o.Number)) {
					t.Errorf("%s/%s subject %q lacks the order number", kind, loc, m.Subject)
				}
				link := fmt.Sprintf("https://orders.shop.example/o/t%d-20260501", o.Number) // T0 + 60 days
				if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, `href="`+link+`"`) {
					t.Errorf("%s/%s lacks the customer link %s:\n%s", kind, loc, link, m.Text)
				}
				if !strings.Contains(m.HTML, "Loja da Ana") || !strings.Contains(m.HTML, "#aa3300") || !strings.Contains(m.Text, "ajuda@loja.example") {
					t.Errorf("%s/%s lacks the branding:\n%s", kind, loc, m.HTML)
				}
				switch kind {
				case notify.KindConfirmed:
					if !strings.Contains(m.Text, total[loc]) {
						t.Errorf("%s/%s lacks the total %s:\n%s", kind, loc, total[loc], m.Text)
					}
				case notify.KindBackordered, notify.KindRestockExpected, notify.KindDelayed:
					if !strings.Contains(m.Text, expected[loc]) || !strings.Contains(m.Text, "2 × Product TEE-1") {
						t.Errorf("%s/%s lacks the expected date %s of 2 TEE-1:\n%s", kind, loc, expected[loc], m.Text)
					}
				}
			}
		}
		// The customer cancels the backordered line: the answer has the refund
		// of 2 × 50,00 and the apology coupon, formatted for each locale.
		f.Orders.SetApology(func(context.Context, *sql.Tx, int64, string, string) (string, error) { return "DESCULPA-10", nil })
		if _, err := f.Orders.Choose(ctx, o.Number, orders.ChoiceInput{Line: 2, Choice: orders.ChoiceCancel}); err != nil {
			t.Fatal(err)
		}
		refund := map[string]string{"en": "R$100.00", "pt-BR": "R$ 100,00", "it": "100,00 BRL"}
		until := map[string]string{"en": "31 Dec 2026", "pt-BR": "31/12/2026", "it": "31/12/2026"}
		for _, loc := range []string{"en", "pt-BR", "it"} {
			m, err := f.svc.Preview(ctx, notify.KindChoice, loc, o.Number, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{refund[loc], "DESCULPA-10", "10%", until[loc], "2 × Product TEE-1"} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("choice_answer/%s lacks %q:\n%s", loc, want, m.Text)
				}
			}
			if strings.Contains(m.Text, "MUG-1") {
				t.Errorf("choice_answer/%s names the line not cancelled:\n%s", loc, m.Text)
			}
			// Italian puts an article before a percentage ("del 10%"): the
			// coupon's value stands alone, for a percent and an amount alike.
			if loc == "it" && (!strings.Contains(m.Text, "DESCULPA-10, sconto 10%, valido fino al 31/12/2026.") || strings.Contains(m.Text, "di 10% di sconto")) {
				t.Errorf("choice_answer/it coupon sentence:\n%s", m.Text)
			}
		}
		// Staff cancel the rest: the whole order cancelled, its refund, no coupon.
		if _, err := f.Orders.Cancel(ctx, o.Number, orders.CancelInput{Reason: "out of business"}); err != nil {
			t.Fatal(err)
		}
		m, err := f.svc.Preview(ctx, notify.KindCancelled, "pt-BR", o.Number, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Subject, "cancelado") || !strings.Contains(m.Text, "R$ 1.234,56") || strings.Contains(m.Text, "DESCULPA") ||
			!strings.Contains(m.Text, "1 × Product MUG-1") {
			t.Errorf("cancelled/pt-BR:\n%s\n%s", m.Subject, m.Text)
		}
	})
}

// TestSendOnceAcrossRetriesAndRestart: the event handler run again (a
// retried event job) and by a new service on the same database (a restart)
// adds no notification and no send job; the send job run twice sends once.
func TestSendOnceAcrossRetriesAndRestart(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.stock(t)
		o := f.place(t, "it")
		f.handle(t, f.svc, o.Number)
		f.handle(t, f.svc, o.Number)
		f.handle(t, f.service(), o.Number)
		list, err := f.svc.ForOrder(ctx, o.Number)
		if err != nil {
			t.Fatal(err)
		}
		// Placed with a backordered line: the confirmation and the backorder notice.
		if len(list) != 2 || list[0].Kind != notify.KindConfirmed || list[1].Kind != notify.KindBackordered {
			t.Fatalf("notifications = %+v, want order_confirmed and backordered", list)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM river_job WHERE kind = 'send_notification'`); n != 2 {
			t.Fatalf("%d send jobs, want 2", n)
		}
		// The backorder notice made at placement follows the confirmation.
		var after []time.Time
		for _, n := range list {
			var a notify.SendArgs
			col := "args"
			if db.Engine == store.SQLite {
				col = "json(args)"
			}
			var raw []byte
			if err := db.R.QueryRowContext(ctx, `SELECT `+col+` FROM river_job WHERE kind = 'send_notification' AND `+
				jsonField(db, "notification")+` = $1`, n.ID).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &a); err != nil {
				t.Fatal(err)
			}
			after = append(after, a.After)
		}
		if !after[0].IsZero() || !after[1].Equal(f.Clock.Now().Add(5*time.Second)) {
			t.Errorf("send jobs held until %v, want the confirmation at once and the backorder notice 5s later", after)
		}
		for _, n := range list {
			if n.State != notify.StateQueued || n.Locale != "it" || n.Recipient != "ana@example.com" {
				t.Errorf("notification = %+v, want queued, it, to ana@example.com", n)
			}
			for range 2 {
				if err := f.service().Deliver(ctx, n.ID, false); err != nil {
					t.Fatalf("deliver %d: %v", n.ID, err)
				}
			}
		}
		msgs := f.smtp.Messages()
		if len(msgs) != 2 {
			t.Fatalf("%d messages received, want 2", len(msgs))
		}
		if m := msgs[0]; !strings.Contains(m.Subject, fmt.Sprintf("Ordine %d confermato", o.Number)) || m.HTML == "" ||
			!strings.Contains(m.Text, "1.334,56 BRL") || m.To[0] != "ana@example.com" {
			t.Errorf("confirmation: subject %q, text:\n%s", m.Subject, m.Text)
		}
		if got := msgs[0].Header.Get("Reply-To"); got != "" {
			t.Errorf("Reply-To %q without a support address", got)
		}
		if m := msgs[1]; !strings.Contains(m.Text, "23/11/2026") || !strings.Contains(m.Text, "/o/t") {
			t.Errorf("backorder notice lacks the date or link:\n%s", m.Text)
		}
		list, _ = f.svc.ForOrder(ctx, o.Number)
		for _, n := range list {
			if n.State != notify.StateSent || n.Attempts != 1 || n.MessageID == "" || n.SentAt == nil {
				t.Errorf("delivery log = %+v, want sent once with a message id", n)
			}
		}
	})
}

// TestFailedSendOnTimeline: a send refused for good is failed in the
// delivery log and written on the order's timeline by system:notify; a
// resend after that delivers it.
func TestFailedSendOnTimeline(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.stock(t)
		o := f.place(t, "en")
		f.handle(t, f.svc, o.Number)
		list, _ := f.svc.ForOrder(ctx, o.Number)
		id := list[0].ID

		f.smtp.RejectNext(1, 451)
		err := f.svc.Deliver(ctx, id, false)
		if !mail.Temporary(err) {
			t.Fatalf("deliver = %v, want a temporary failure", err)
		}
		n, _ := f.svc.Get(ctx, id)
		if n.State != notify.StateFailed || n.Attempts != 1 || !strings.Contains(n.LastError, "451") {
			t.Fatalf("after a 451: %+v", n)
		}
		tl, _ := f.Orders.Timeline(ctx, o.Number)
		for _, e := range tl {
			if e.Event == "notification_failed" {
				t.Fatalf("a retried failure is on the timeline: %+v", e)
			}
		}

		f.smtp.RejectNext(1, 550)
		if err := f.svc.Deliver(ctx, id, false); err == nil || mail.Temporary(err) {
			t.Fatalf("deliver = %v, want a permanent failure", err)
		}
		tl, _ = f.Orders.Timeline(ctx, o.Number)
		last := tl[len(tl)-1]
		if last.Event != "notification_failed" || last.Actor != "system:notify" || !strings.Contains(last.Reason, "answered 550") || strings.Contains(last.Reason, "ana@") ||
			!strings.Contains(last.Reason, "order_confirmed") {
			t.Fatalf("last timeline entry = %+v, want notification_failed by system:notify naming the 550", last)
		}
		if _, err := f.svc.Resend(ctx, list[1].ID, "test"); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("resend of a queued notification = %v, want conflict", err)
		}
		if _, err := f.svc.SaveSettings(ctx, notify.SettingsInput{Branding: notify.Branding{SupportEmail: "help@shop.example"}}, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Resend(ctx, id, "test"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Deliver(ctx, id, false); err != nil {
			t.Fatal(err)
		}
		if n, _ := f.svc.Get(ctx, id); n.State != notify.StateSent || n.Attempts != 3 {
			t.Errorf("after resend: %+v", n)
		}
		if got := f.smtp.Messages(); len(got) != 1 || !strings.Contains(got[0].Header.Get("Reply-To"), "help@shop.example") {
			t.Errorf("%d messages received, want 1 with Reply-To the support address", len(got))
		}
	})
}

// TestTemplateValidation: a template with an unknown variable or a syntax
// error is refused with the part, the line and the variable named; a good
// one is stored, used, and reset to the built-in.
func TestTemplateValidation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		cases := []struct {
			t          notify.Template
			field, msg string
		}{
			{notify.Template{Subject: "Hi", Body: "line one\n{{.Order.Nmber}}"}, "body", "line 2: unknown variable {{.Order.Nmber}}"},
			{notify.Template{Subject: "{{.Custmer.Name}}", Body: "x"}, "subject", "unknown variable {{.Custmer.Name}}"},
			{notify.Template{Subject: "Hi", Body: "{{if .Refund}}never closed"}, "body", "line 1"},
			{notify.Template{Subject: "", Body: "x"}, "subject", "must not be empty"},
		}
		for _, c := range cases {
			_, err := f.svc.SaveTemplate(ctx, notify.KindShipped, "en", c.t, "test")
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Invalid || len(ae.Fields) == 0 || ae.Fields[0].Field != c.field ||
				!strings.Contains(ae.Fields[0].Message, c.msg) {
				t.Errorf("SaveTemplate(%+v) = %v, want %s: %s", c.t, err, c.field, c.msg)
			}
		}
		if _, err := f.svc.SaveTemplate(ctx, "nope", "en", notify.Template{Subject: "x", Body: "y"}, "test"); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("unknown kind: %v", err)
		}
		good := notify.Template{Subject: "Shipped: {{.Order.Number}}", Body: "Via {{.Shipment.Carrier}}. {{.Link}}"}
		st, err := f.svc.SaveTemplate(ctx, notify.KindShipped, "pt-BR", good, "owner@example.com")
		if err != nil || !st.Custom || st.Subject != good.Subject || st.UpdatedBy != "owner@example.com" {
			t.Fatalf("SaveTemplate = %+v, %v", st, err)
		}
		st, err = f.svc.ResetTemplate(ctx, notify.KindShipped, "pt-BR")
		if err != nil || st.Custom || st.Subject != st.Builtin.Subject {
			t.Fatalf("ResetTemplate = %+v, %v", st, err)
		}
	})
}

// TestStoredTemplateIsUsed: the store's template replaces the built-in one
// for its locale only.
func TestStoredTemplateIsUsed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.stock(t)
		if _, err := f.svc.SaveTemplate(ctx, notify.KindConfirmed, "pt-BR",
			notify.Template{Subject: "Recebemos o pedido {{.Order.Number}}", Body: "Total {{.Order.Total}}\n\n{{.Link}}"}, "test"); err != nil {
			t.Fatal(err)
		}
		o := f.place(t, "pt_BR")
		f.handle(t, f.svc, o.Number)
		list, _ := f.svc.ForOrder(ctx, o.Number)
		n, _ := f.svc.Get(ctx, list[0].ID)
		if n.Subject != fmt.Sprintf("Recebemos o pedido %d", o.Number) || !strings.HasPrefix(n.Text, "Total R$ 1.334,56") || n.Locale != "pt-BR" {
			t.Errorf("notification = %q / %q (%s)", n.Subject, n.Text, n.Locale)
		}
	})
}

// TestThroughRiver: placed with a real queue, the order's events reach the
// subscriber, the send jobs deliver to the SMTP server, and a 451 on the
// first send is retried by River until it goes.
func TestThroughRiver(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.stock(t)
		subs := &orders.Subscribers{}
		workers := river.NewWorkers()
		send := &notify.SendWorker{}
		river.AddWorker(workers, &orders.EventWorker{Subscribers: subs})
		river.AddWorker(workers, send)
		q, err := jobs.New(db, jobs.Config{Workers: workers, PollInterval: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		f.queue = q
		svc := f.service()
		send.Notify = svc
		for _, e := range notify.Events() {
			subs.Subscribe(e, svc.OnEvent)
		}
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		if err := q.Start(rctx); err != nil {
			t.Fatal(err)
		}
		defer q.Stop(context.Background())

		f.smtp.RejectNext(1, 451)
		o := f.place(t, "pt-BR")
		msgs := f.smtp.WaitFor(2, 30*time.Second)
		subjects := []string{msgs[0].Subject, msgs[1].Subject}
		slices.Sort(subjects)
		want := []string{fmt.Sprintf("Pedido %d confirmado – Orderly", o.Number), fmt.Sprintf("Pedido %d: alguns itens estão em falta", o.Number)}
		slices.Sort(want)
		if !slices.Equal(subjects, want) {
			t.Fatalf("subjects %q, want %q", subjects, want)
		}
		var attempts []int
		for deadline := time.Now().Add(10 * time.Second); ; {
			list, err := svc.ForOrder(ctx, o.Number)
			if err != nil {
				t.Fatal(err)
			}
			attempts = attempts[:0]
			sent := 0
			for _, n := range list {
				attempts = append(attempts, n.Attempts)
				if n.State == notify.StateSent {
					sent++
				}
			}
			if sent == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("delivery log %+v", list)
			}
			time.Sleep(20 * time.Millisecond)
		}
		slices.Sort(attempts)
		if !slices.Equal(attempts, []int{1, 2}) {
			t.Errorf("attempts %v, want one message sent at once and one after a retry", attempts)
		}
	})
}

// TestWhichEventsNotify: an internal at-risk flag tells the customer
// nothing, a late one sends a delay notice, and a second delay within 24
// hours is not sent; events customers do not hear about make nothing.
func TestWhichEventsNotify(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.stock(t)
		o := f.place(t, "en")
		flag := func(reason string) int64 {
			t.Helper()
			id, err := f.Orders.RecordNotice(ctx, o.Number, "at_risk", "test flag", map[string]any{"reason": reason})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		kinds := func() []notify.Kind {
			t.Helper()
			list, err := f.svc.ForOrder(ctx, o.Number)
			if err != nil {
				t.Fatal(err)
			}
			var out []notify.Kind
			for _, n := range list {
				out = append(out, n.Kind)
			}
			return out
		}
		for _, e := range []orders.EventArgs{
			{Event: orders.EventAtRisk, Order: o.Number, Entry: flag("not_sent")},
			{Event: orders.EventReady, Order: o.Number, Entry: flag("x")},
			{Event: orders.EventAtRiskCleared, Order: o.Number, Entry: flag("x")},
		} {
			if err := f.svc.OnEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if got := kinds(); len(got) != 0 {
			t.Fatalf("notifications %v for events the customer does not hear about", got)
		}
		if err := f.svc.OnEvent(ctx, orders.EventArgs{Event: orders.EventAtRisk, Order: o.Number, Entry: flag("late")}); err != nil {
			t.Fatal(err)
		}
		f.Clock.Set(f.Clock.Now().Add(23 * time.Hour))
		if err := f.svc.OnEvent(ctx, orders.EventArgs{Event: orders.EventAtRisk, Order: o.Number, Entry: flag("restock_late")}); err != nil {
			t.Fatal(err)
		}
		if got := kinds(); !slices.Equal(got, []notify.Kind{notify.KindDelayed}) {
			t.Fatalf("notifications %v, want one delay notice within 24 hours", got)
		}
		f.Clock.Set(f.Clock.Now().Add(2 * time.Hour))
		if err := f.svc.OnEvent(ctx, orders.EventArgs{Event: orders.EventAtRisk, Order: o.Number, Entry: flag("restock_late")}); err != nil {
			t.Fatal(err)
		}
		if got := kinds(); !slices.Equal(got, []notify.Kind{notify.KindDelayed, notify.KindDelayed}) {
			t.Fatalf("notifications %v, want a second delay notice after 24 hours", got)
		}
	})
}

// TestTemplateValidationEveryBranch: an unknown variable is refused also in
// a branch the sample data does not take (a cancelled order, a range's else,
// a with on an empty value), while $, range variables and with's dot are
// understood.
func TestTemplateValidationEveryBranch(t *testing.T) {
	bad := []struct{ body, msg string }{
		{"{{if .Order.Cancelled}}{{.Order.Nmber}}{{end}}", "unknown variable {{.Order.Nmber}}"},
		{"x\n{{if eq .Choice \"cancel\"}}{{.Refnd}}{{end}}", "line 2: unknown variable {{.Refnd}}"},
		{"{{range .Lines}}{{.Titel}}{{end}}", "unknown variable {{.Titel}}"},
		{"{{range .Lines}}{{else}}{{.Nothing}}{{end}}", "unknown variable {{.Nothing}}"},
		{"{{with .Coupon}}{{.Cod}}{{end}}", "unknown variable {{.Cod}}"},
		{"{{range $i, $l := .Lines}}{{$l.Nope}}{{end}}", "unknown variable {{$l.Nope}}"},
		{"{{if .Order.Cancelled}}{{$.Store.Nam}}{{end}}", "unknown variable {{$.Store.Nam}}"},
		{"{{with .Order.Window}}{{.Start}}{{end}}", "unknown variable {{.Start}}"},
		{"{{if .Order.Cancelled}}{{template \"gone\" .}}{{end}}", `no such template "gone"`},
	}
	for _, c := range bad {
		err := notify.ValidateTemplate(notify.Template{Subject: "Hi", Body: c.body})
		var ae *apperr.Error
		if !errors.As(err, &ae) || len(ae.Fields) == 0 || ae.Fields[0].Field != "body" || !strings.Contains(ae.Fields[0].Message, c.msg) {
			t.Errorf("ValidateTemplate(%q) = %v, want body: %s", c.body, err, c.msg)
		}
	}
	good := []string{
		"{{range .Lines}}{{$.Order.Number}} {{.Title}} {{.Quantity}}{{else}}none{{end}}",
		"{{range $i, $l := .Lines}}{{$i}} {{$l.Title}}{{end}}",
		"{{with .Coupon}}{{.Code}} {{.Value}}{{end}}{{with $c := .Coupon.Code}}{{$c}}{{end}}",
		"{{if .Order.Cancelled}}{{.Order.Number}}{{else if .Refund}}{{.Refund}}{{end}} {{len .Lines}} {{(index .Lines 0).Title}}",
		`{{define "line"}}- {{.Title}}{{end}}{{range .Lines}}{{template "line" .}}{{end}}`,
	}
	for _, body := range good {
		if err := notify.ValidateTemplate(notify.Template{Subject: "Hi", Body: body}); err != nil {
			t.Errorf("ValidateTemplate(%q) = %v, want nil", body, err)
		}
	}
}

// cancellingMailer takes the message and then ends the sender's context, as
// a job's timeout or a shutdown does right after the server's OK.
type cancellingMailer struct {
	cancel context.CancelFunc
	sent   int
}

func (m *cancellingMailer) Send(ctx context.Context, _ mail.Message) (string, error) {
	m.sent++
	m.cancel()
	return fmt.Sprintf("<m%d@test>", m.sent), nil
}

// TestSentRecordedAfterCancel: a message the mail server took is recorded
// as sent even when the job's context ends right after, so that neither a
// retry after the lease nor a rescued job sends it again.
func TestSentRecordedAfterCancel(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.stock(t)
		o := f.place(t, "en")
		f.handle(t, f.svc, o.Number)
		list, _ := f.svc.ForOrder(ctx, o.Number)
		m := &cancellingMailer{}
		svc := notify.New(db, f.Orders, f.queue, notify.NewTransport(db, m, "shop@example.com"), f.Clock.Now,
			notify.Options{Logger: slog.New(slog.DiscardHandler)})
		jctx, cancel := context.WithCancel(ctx)
		m.cancel = cancel
		if err := svc.Deliver(jctx, list[0].ID, false); err != nil {
			t.Fatalf("deliver: %v", err)
		}
		n, _ := svc.Get(ctx, list[0].ID)
		if n.State != notify.StateSent || n.MessageID != "<m1@test>" || n.SentAt == nil {
			t.Fatalf("after the server took it and the context ended: %+v, want sent", n)
		}
		f.Clock.Set(f.Clock.Now().Add(time.Hour)) // past the lease
		if err := svc.Deliver(ctx, list[0].ID, false); err != nil || m.sent != 1 {
			t.Fatalf("a later attempt: %v, %d sends, want none more", err, m.sent)
		}
	})
}

// TestClaimedNotificationRetried: a notification left "sending" by an
// attempt that could not record its outcome is not dropped by the next
// attempt within the lease (a temporary error: River tries again later);
// after the lease that attempt sends it, once.
func TestClaimedNotificationRetried(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.stock(t)
		o := f.place(t, "en")
		f.handle(t, f.svc, o.Number)
		list, _ := f.svc.ForOrder(ctx, o.Number)
		id := list[0].ID
		if _, err := db.W.ExecContext(ctx, `UPDATE notifications SET state = 'sending', attempts = 1, claimed_at = $1 WHERE id = $2`,
			f.Clock.Now(), id); err != nil {
			t.Fatal(err)
		}
		f.Clock.Set(f.Clock.Now().Add(time.Minute))
		if err := f.svc.Deliver(ctx, id, false); !mail.Temporary(err) {
			t.Fatalf("deliver within the lease = %v, want a temporary error (retry later), not the end of the job", err)
		}
		if got := len(f.smtp.Messages()); got != 0 {
			t.Fatalf("%d messages sent within the lease", got)
		}
		f.Clock.Set(f.Clock.Now().Add(10 * time.Minute))
		if err := f.svc.Deliver(ctx, id, false); err != nil {
			t.Fatalf("deliver after the lease: %v", err)
		}
		if err := f.svc.Deliver(ctx, id, false); err != nil {
			t.Fatalf("deliver once sent: %v", err)
		}
		if n, _ := f.svc.Get(ctx, id); n.State != notify.StateSent || len(f.smtp.Messages()) != 1 {
			t.Fatalf("after the lease: %+v, %d messages; want sent once", n, len(f.smtp.Messages()))
		}
	})
}

// TestCustomerValuesEscaped: a customer's name with markup reaches the
// HTML email escaped (text as the customer typed it), and in a store's
// subject it stays one header line.
func TestCustomerValuesEscaped(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.stock(t)
		in := orderstest.Input("ana@example.com", "MUG-1", 1)
		in.Customer.Locale = "en"
		in.ShippingAddress.Name = `<img src=x onerror=alert(1)> "Ana" & Co`
		p, err := f.Orders.Place(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		m, err := f.svc.Preview(ctx, notify.KindConfirmed, "en", p.Order.Number,
			&notify.Template{Subject: "Hi {{.Customer.Name}}\nBcc: x@example.com", Body: "Dear {{.Customer.Name}},\n\n{{.Link}}"})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(m.HTML, "<img src=x") || !strings.Contains(m.HTML, "&lt;img src=x onerror=alert(1)&gt; &#34;Ana&#34; &amp; Co") {
			t.Errorf("HTML does not escape the name:\n%s", m.HTML)
		}
		if !strings.Contains(m.Text, `Dear <img src=x onerror=alert(1)> "Ana" & Co,`) {
			t.Errorf("text changed the name:\n%s", m.Text)
		}
		if strings.ContainsAny(m.Subject, "\r\n") {
			t.Errorf("subject %q spans lines", m.Subject)
		}
	})
}

// TestBuiltinLocalesAlike: every built-in template in pt-BR and it uses the
// same variables as the English one (nothing the customer should read is
// left out of a translation) and keeps no English wording.
func TestBuiltinLocalesAlike(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		list, err := f.svc.Templates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		vars := func(s string) []string {
			var out []string
			for _, action := range strings.Split(s, "{{")[1:] {
				action, _, _ = strings.Cut(action, "}}")
				for _, w := range strings.Fields(action) {
					if strings.HasPrefix(w, ".") && len(w) > 1 && !slices.Contains(out, w) {
						out = append(out, w)
					}
				}
			}
			slices.Sort(out)
			return out
		}
		english := []string{"Hello", "thank you", "your order", "expected", "Order ", "we ", "items", "refund"}
		en := map[notify.Kind]notify.Template{}
		for _, st := range list {
			if st.Locale == "en" {
				en[st.Kind] = st.Builtin
			}
		}
		for _, st := range list {
			if st.Locale == "en" {
				continue
			}
			b := st.Builtin
			if got, want := vars(b.Subject+b.Body), vars(en[st.Kind].Subject+en[st.Kind].Body); !slices.Equal(got, want) {
				t.Errorf("%s/%s uses %v, English uses %v", st.Kind, st.Locale, got, want)
			}
			words := b.Subject + "\n" + b.Body
			for _, w := range english {
				if strings.Contains(words, w) {
					t.Errorf("%s/%s has English %q:\n%s", st.Kind, st.Locale, w, words)
				}
			}
		}
	})
}

// TestStoreNameOneLine: the store's name, which goes into every subject, is
// refused with a line break in it (a header could be injected, and the test
// email would fail with a confusing error).
func TestStoreNameOneLine(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		_, err := f.svc.SaveSettings(ctx, notify.SettingsInput{Branding: notify.Branding{StoreName: "Shop\r\nBcc: x@example.com"}}, "test")
		var ae *apperr.Error
		if !errors.As(err, &ae) || len(ae.Fields) != 1 || ae.Fields[0].Field != "store_name" {
			t.Fatalf("SaveSettings(store name with CRLF) = %v, want a store_name error", err)
		}
		if st, _ := f.svc.Settings(ctx); st.Branding.StoreName != "" {
			t.Fatalf("stored %q", st.Branding.StoreName)
		}
		if _, err := f.svc.SaveSettings(ctx, notify.SettingsInput{Branding: notify.Branding{StoreName: "Loja da Ana – São Paulo"}}, "test"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestShippedInEveryLocale: the shipped notice names the units in the
// parcel (not the others), the carrier, the tracking number and the
// carrier's tracking link, in each locale's words.
func TestShippedInEveryLocale(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.stock(t)
		words := map[string][2]string{"en": {"Carrier: UPS", "Tracking number: "}, "pt-BR": {"Transportadora: UPS", "Código de rastreio: "},
			"it": {"Corriere: UPS", "Numero di tracciamento: "}}
		for _, loc := range []string{"en", "pt-BR", "it"} {
			o := f.place(t, loc)
			entry, err := f.Orders.RecordNotice(ctx, o.Number, "shipped", "", map[string]any{"carrier": "ups",
				"tracking_number": "1Z999AA10123456784", "units": []map[string]int{{"position": 1, "quantity": 1}}})
			if err != nil {
				t.Fatal(err)
			}
			if err := f.svc.OnEvent(ctx, orders.EventArgs{Event: orders.EventShipped, Order: o.Number, Entry: entry}); err != nil {
				t.Fatal(err)
			}
			list, _ := f.svc.ForOrder(ctx, o.Number)
			if len(list) != 1 || list[0].Kind != notify.KindShipped {
				t.Fatalf("%s: notifications %+v, want one shipped", loc, list)
			}
			n, _ := f.svc.Get(ctx, list[0].ID)
			for _, want := range []string{words[loc][0], words[loc][1] + "1Z999AA10123456784", "1 × Product MUG-1", "https://www.ups.com/"} {
				if !strings.Contains(n.Text, want) {
					t.Errorf("shipped/%s lacks %q:\n%s", loc, want, n.Text)
				}
			}
			if strings.Contains(n.Text, "TEE-1") || !strings.Contains(n.HTML, `<a href="https://www.ups.com/`) {
				t.Errorf("shipped/%s names the line not shipped or has no tracking link in HTML:\n%s", loc, n.HTML)
			}
		}
	})
}

// TestDelayQuietConcurrent: delay events of one order worked at the same
// time (two instances, several workers) make one delay notice, not one each.
func TestDelayQuietConcurrent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.stock(t)
		o := f.place(t, "en")
		var es []orders.EventArgs
		for range 6 {
			id, err := f.Orders.RecordNotice(ctx, o.Number, "at_risk", "test flag", map[string]any{"reason": "late"})
			if err != nil {
				t.Fatal(err)
			}
			es = append(es, orders.EventArgs{Event: orders.EventAtRisk, Order: o.Number, Entry: id})
		}
		start := make(chan struct{})
		errs := make(chan error, len(es))
		var wg sync.WaitGroup
		for _, e := range es {
			wg.Go(func() {
				<-start
				errs <- f.service().OnEvent(ctx, e)
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		list, _ := f.svc.ForOrder(ctx, o.Number)
		if len(list) != 1 || list[0].Kind != notify.KindDelayed {
			t.Fatalf("%d notifications %+v, want one delay notice", len(list), list)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM river_job WHERE kind = 'send_notification'`); n != 1 {
			t.Fatalf("%d send jobs, want 1", n)
		}
	})
}

// TestStoreTimeZone: with the store in America/Sao_Paulo, a pt-BR customer
// reads instants on São Paulo's clock: the consent deadline at 02:00 UTC is
// 23:00 of the day before, with the zone named; the day shipped and a
// coupon's last day are São Paulo's days. Back on UTC the same deadline
// reads 02:00 UTC. The stored instants do not change.
func TestStoreTimeZone(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.stock(t)
		zones := storesettings.New(db, f.Clock.Now)
		if _, err := zones.Set(ctx, storesettings.Input{TimeZone: "America/Sao_Paulo"}, "test"); err != nil {
			t.Fatal(err)
		}
		placed := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC) // 27/11 23:00 in São Paulo
		f.Clock.Set(placed)
		o := f.place(t, "pt-BR")
		cs, err := f.Orders.Choices(ctx, o.Number)
		if err != nil {
			t.Fatal(err)
		}
		due := placed.Add(orders.DefaultConsentHours * time.Hour) // 2026-12-01 02:00 UTC
		if len(cs) != 1 || cs[0].DueAt == nil || !cs[0].DueAt.Equal(due) {
			t.Fatalf("choices %+v, want one line due at %s", cs, due)
		}
		f.handle(t, f.svc, o.Number)
		list, err := f.svc.ForOrder(ctx, o.Number)
		if err != nil {
			t.Fatal(err)
		}
		var back *notify.Notification
		for i := range list {
			if list[i].Kind == notify.KindBackordered {
				n, err := f.svc.Get(ctx, list[i].ID)
				if err != nil {
					t.Fatal(err)
				}
				back = &n
			}
		}
		if back == nil {
			t.Fatalf("no backordered notification among %+v", list)
		}
		want := "Se não tivermos sua resposta até 30/11/2026 23:00 UTC-03, cancelaremos os itens em espera"
		if !strings.Contains(back.Text, want) || !strings.Contains(back.HTML, "30/11/2026 23:00 UTC-03") {
			t.Errorf("backordered/pt-BR lacks %q:\n%s", want, back.Text)
		}
		if strings.Contains(back.Text, "01/12/2026") {
			t.Errorf("backordered/pt-BR shows the UTC day of the deadline:\n%s", back.Text)
		}

		// The parcel ships at the same instant: 27/11 in São Paulo.
		entry, err := f.Orders.RecordNotice(ctx, o.Number, "shipped", "", map[string]any{"carrier": "ups",
			"tracking_number": "1Z999AA10123456784", "units": []map[string]int{{"position": 1, "quantity": 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.OnEvent(ctx, orders.EventArgs{Event: orders.EventShipped, Order: o.Number, Entry: entry}); err != nil {
			t.Fatal(err)
		}
		list, _ = f.svc.ForOrder(ctx, o.Number)
		shipped, _ := f.svc.Get(ctx, list[len(list)-1].ID)
		if shipped.Kind != notify.KindShipped || !strings.Contains(shipped.Text, "foi enviado em 27/11/2026 e está a caminho") {
			t.Errorf("shipped/pt-BR lacks São Paulo's day 27/11/2026:\n%s", shipped.Text)
		}

		// A coupon whose last day is 25/02/2027 in São Paulo ends at 02:59:59 UTC on 26/02.
		f.coupons = []notify.CouponView{{Code: "DESCULPA-10", Percent: 10,
			ExpiresAt: time.Date(2027, 2, 26, 2, 59, 59, 999999000, time.UTC)}}
		f.Orders.SetApology(func(context.Context, *sql.Tx, int64, string, string) (string, error) { return "DESCULPA-10", nil })
		if _, err := f.Orders.Choose(ctx, o.Number, orders.ChoiceInput{Line: 2, Choice: orders.ChoiceCancel}); err != nil {
			t.Fatal(err)
		}
		m, err := f.svc.Preview(ctx, notify.KindChoice, "pt-BR", o.Number, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Text, "DESCULPA-10 (válido até 25/02/2027)") {
			t.Errorf("choice_answer/pt-BR lacks the coupon's last day in São Paulo, 25/02/2027:\n%s", m.Text)
		}

		// Back on UTC, the backordered notice reads the deadline on UTC's clock.
		if _, err := zones.Set(ctx, storesettings.Input{TimeZone: "UTC"}, "test"); err != nil {
			t.Fatal(err)
		}
		o2 := f.place(t, "pt-BR")
		m, err = f.svc.Preview(ctx, notify.KindBackordered, "pt-BR", o2.Number, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Text, "até 01/12/2026 02:00 UTC,") {
			t.Errorf("backordered/pt-BR on UTC lacks the deadline 01/12/2026 02:00 UTC:\n%s", m.Text)
		}
	})
}
