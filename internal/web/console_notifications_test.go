package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/mail"
	"github.com/orderly-oms/orderly/internal/mail/mailtest"
	"github.com/orderly-oms/orderly/internal/notify"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// newNotifyServer is a console server whose notifications go to an
// in-process SMTP server (the --smtp-* fallback), with an insert-only queue.
func newNotifyServer(t *testing.T, db *store.DB) (*Server, string, *mailtest.Server) {
	t.Helper()
	smtp := mailtest.Start(t)
	sender, err := mail.New(smtp.Settings())
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, jobs.Config{InsertOnly: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{DB: db, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s.cfg.Notify = notify.New(db, s.cfg.Orders, q, notify.NewTransport(db, sender, smtp.Settings().From), nil,
		notify.Options{Logger: slog.New(slog.DiscardHandler)})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts.URL, smtp
}

// TestConsoleNotifications: the owner sets SMTP and branding (the password
// never comes back), sends a test email, edits a template with a preview on a
// real order (an unknown variable is refused, naming it), and resends a failed
// notification from the order page; support may not open the settings.
func TestConsoleNotifications(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base, smtp := newNotifyServer(t, db)
		seedConsole(t, s)
		ords := seedConsoleOrders(t, s)
		email, password := consoleUser(t, s, auth.Owner, "owner@example.com")
		c := newConsoleClient(t, base)
		c.login(email, password)

		page := c.get("/console/settings/notifications")
		wantStatus(t, page, http.StatusOK)
		wantBody(t, page, "smtp 127.0.0.1", `href="/console/settings/notifications"`)

		bad := c.post("/console/settings/notifications", url.Values{"accent_color": {"red"}, "base_url": {"orders.shop.example"}})
		wantStatus(t, bad, http.StatusUnprocessableEntity)
		wantBody(t, bad, "must be a colour written #rrggbb", "must be the public http or https address")

		ms := smtp.Settings()
		good := url.Values{"smtp_host": {ms.Host}, "smtp_port": {num(int64(ms.Port))}, "smtp_tls": {"none"}, "smtp_username": {"shop"},
			"smtp_password": {"s3cret-pass"}, "store_name": {"Loja da Ana"}, "from": {"Loja da Ana <loja@shop.example>"},
			"accent_color": {"#aa3300"}, "base_url": {"https://orders.shop.example"}}
		wantStatus(t, c.post("/console/settings/notifications", good), http.StatusSeeOther)
		page = c.get("/console/settings/notifications?done=notify-saved")
		wantBody(t, page, "Email settings saved", "a password is stored", "Loja da Ana", "from the console")
		wantNotBody(t, page, "s3cret-pass")

		smtp.RequireAuth("shop", "s3cret-pass")
		wantStatus(t, c.post("/console/settings/notifications/test", url.Values{"to": {"me@shop.example"}}), http.StatusSeeOther)
		got := smtp.WaitFor(1, 10*time.Second)
		if m := got[0]; m.To[0] != "me@shop.example" || !strings.Contains(m.Subject, "Loja da Ana") || !strings.Contains(m.Header.Get("From"), "loja@shop.example") {
			t.Fatalf("test email: to %v, subject %q, from %q", m.To, m.Subject, m.Header.Get("From"))
		}
		// Saving again with an empty password keeps it.
		wantStatus(t, c.post("/console/settings/notifications", good), http.StatusSeeOther)
		good.Del("smtp_password")
		wantStatus(t, c.post("/console/settings/notifications", good), http.StatusSeeOther)
		wantStatus(t, c.post("/console/settings/notifications/test", url.Values{"to": {"me@shop.example"}}), http.StatusSeeOther)
		wantBody(t, c.post("/console/settings/notifications/test", url.Values{"to": {"not an address"}}), "is not an email address")

		list := c.get("/console/settings/notifications/templates")
		wantStatus(t, list, http.StatusOK)
		wantBody(t, list, "/console/settings/notifications/templates/shipped/pt-BR")

		path := "/console/settings/notifications/templates/order_confirmed/pt-BR"
		ed := c.get(path + "?order=" + num(ords.ana.Number))
		wantStatus(t, ed, http.StatusOK)
		wantBody(t, ed, "Pedido "+num(ords.ana.Number)+" confirmado – Loja da Ana", "58,90")

		refused := c.post(path, url.Values{"subject": {"Pedido {{.Order.Numero}}"}, "body": {"x"}, "order": {num(ords.ana.Number)}, "action": {"save"}})
		wantStatus(t, refused, http.StatusUnprocessableEntity)
		wantBody(t, refused, "unknown variable {{.Order.Numero}}")

		tried := c.post(path, url.Values{"subject": {"Recebido: {{.Order.Number}}"}, "body": {"Total {{.Order.Total}}"},
			"order": {num(ords.ana.Number)}, "action": {"preview"}})
		wantStatus(t, tried, http.StatusOK)
		wantBody(t, tried, "Recebido: "+num(ords.ana.Number))
		if st, _ := s.cfg.Notify.GetTemplate(context.Background(), notify.KindConfirmed, "pt-BR"); st.Custom {
			t.Fatal("a preview saved the template")
		}
		wantStatus(t, c.post(path, url.Values{"subject": {"Recebido: {{.Order.Number}}"}, "body": {"Total {{.Order.Total}}"},
			"action": {"save"}}), http.StatusSeeOther)
		if st, _ := s.cfg.Notify.GetTemplate(context.Background(), notify.KindConfirmed, "pt-BR"); !st.Custom || st.UpdatedBy == "" {
			t.Fatalf("template not saved: %+v", st)
		}

		// Ana's confirmation, refused for good by the server: failed on the
		// order page with a resend button.
		tl, err := s.cfg.Orders.Timeline(context.Background(), ords.ana.Number)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.cfg.Notify.OnEvent(context.Background(), orders.EventArgs{Event: orders.EventPlaced, Order: ords.ana.Number, Entry: tl[0].ID}); err != nil {
			t.Fatal(err)
		}
		log, _ := s.cfg.Notify.ForOrder(context.Background(), ords.ana.Number)
		if len(log) != 1 {
			t.Fatalf("notifications of ana: %+v", log)
		}
		smtp.RejectNext(1, 550)
		if err := s.cfg.Notify.Deliver(context.Background(), log[0].ID, false); err == nil {
			t.Fatal("deliver succeeded past a 550")
		}
		op := c.get("/console/orders/" + num(ords.ana.Number))
		wantStatus(t, op, http.StatusOK)
		wantBody(t, op, "Customer notifications", "Recebido: "+num(ords.ana.Number), `data-state="failed"`, "Send again", "Ana@Example.com")
		res := c.post("/console/orders/"+num(ords.ana.Number)+"/notifications/"+num(log[0].ID)+"/resend", nil)
		wantStatus(t, res, http.StatusSeeOther)
		if n, _ := s.cfg.Notify.Get(context.Background(), log[0].ID); n.State != notify.StateQueued {
			t.Errorf("after resend: %s, want queued", n.State)
		}
		wantStatus(t, c.post("/console/orders/"+num(ords.bob.Number)+"/notifications/"+num(log[0].ID)+"/resend", nil), http.StatusNotFound)

		roEmail, roPass := consoleUser(t, s, auth.ReadOnly, "reader@example.com")
		rc := newConsoleClient(t, base)
		rc.login(roEmail, roPass)
		wantStatus(t, rc.get("/console/settings/notifications"), http.StatusForbidden)
		op = rc.get("/console/orders/" + num(ords.ana.Number))
		wantBody(t, op, "Customer notifications", `data-state="queued"`)
		wantNotBody(t, op, "Send again", "Ana@Example.com")
	})
}

// TestNotificationsAPI: an order's delivery log, resend refused unless
// failed, settings without the password, a template refused for an unknown
// variable, a preview; operations may not touch the settings.
func TestNotificationsAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base, _ := newNotifyServer(t, db)
		seedConsole(t, s)
		ords := seedConsoleOrders(t, s)
		ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
		call := func(role auth.Role, method, path, body string, want int) map[string]any {
			t.Helper()
			tok, _, err := s.cfg.Auth.CreateToken(ctx, auth.NewToken{Name: "notify-" + string(role), Role: role})
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(method, base+APIPrefix+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(res.Body).Decode(&out)
			if res.StatusCode != want {
				t.Fatalf("%s %s = %d, want %d: %v", method, path, res.StatusCode, want, out)
			}
			return out
		}
		tl, _ := s.cfg.Orders.Timeline(ctx, ords.bob.Number)
		for _, e := range []orders.Event{orders.EventPlaced, orders.EventBackordered} {
			if err := s.cfg.Notify.OnEvent(ctx, orders.EventArgs{Event: e, Order: ords.bob.Number, Entry: tl[0].ID}); err != nil {
				t.Fatal(err)
			}
		}
		out := call(auth.Support, "GET", "/orders/"+num(ords.bob.Number)+"/notifications", "", http.StatusOK)
		items, _ := out["items"].([]any)
		if len(items) != 2 {
			t.Fatalf("items = %v", out)
		}
		first := items[0].(map[string]any)
		if first["kind"] != "order_confirmed" || first["state"] != "queued" || first["recipient"] != "bob@example.com" {
			t.Errorf("first notification = %v", first)
		}
		call(auth.Support, "POST", "/notifications/"+num(int64(first["id"].(float64)))+"/resend", "", http.StatusConflict)
		call(auth.Support, "GET", "/orders/999999/notifications", "", http.StatusNotFound)

		st := call(auth.Admin, "PUT", "/notifications/settings", `{"smtp_host":"smtp.shop.example","smtp_username":"shop","smtp_password":"pw-123",
			"branding":{"store_name":"Bob's","accent_color":"#112233","base_url":"https://orders.shop.example"}}`, http.StatusOK)
		raw, _ := json.Marshal(st)
		if strings.Contains(string(raw), "pw-123") || !strings.Contains(string(raw), `"password_set":true`) {
			t.Errorf("settings answer = %s", raw)
		}
		call(auth.Operations, "GET", "/notifications/settings", "", http.StatusForbidden)
		bad := call(auth.Admin, "PUT", "/notifications/templates/shipped/it", `{"subject":"x","body":"{{.Nope}}"}`, http.StatusUnprocessableEntity)
		if b, _ := json.Marshal(bad); !strings.Contains(string(b), "unknown variable {{.Nope}}") {
			t.Errorf("refused template: %s", b)
		}
		pv := call(auth.Admin, "POST", "/notifications/templates/backordered/it/preview", `{"order":`+num(ords.bob.Number)+`}`, http.StatusOK)
		if subj, _ := pv["subject"].(string); !strings.Contains(subj, "Ordine "+num(ords.bob.Number)) || !strings.Contains(pv["text"].(string), "01/04/2026") {
			t.Errorf("preview = %v", pv)
		}
	})
}
