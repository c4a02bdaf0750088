package web

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/notify"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestConsoleBrowserNotifications drives the notification pages in a real
// Chromium: the owner logs in, sets the SMTP server (an in-process one that
// requires the typed password) and the store name, and the page comes back
// without the password; a test email reaches the server; in the template
// editor a preview on a chosen order shows the typed subject, a template
// with an unknown variable is refused by the field, and the saved one is
// stored; a confirmation made with it, refused by the mail server, shows as
// failed on the order page and Send again queues it.
func TestConsoleBrowserNotifications(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := newBrowser(t)
		screenshotOnFailure(t, ctx)
		bg := context.Background()

		s, base, smtp := newNotifyServer(t, db)
		seedConsole(t, s)
		ords := seedConsoleOrders(t, s)
		email, password := consoleUser(t, s, auth.Owner, "owner@example.com")
		ana := strconv.FormatInt(ords.ana.Number, 10)

		step(t, ctx, "log in",
			chromedp.Navigate(base+"/console/settings/notifications"),
			chromedp.WaitVisible(chromedp.CSS("#email")),
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("#settings-form")),
		)

		// SMTP and branding; the password is write-only.
		const smtpPassword = "s3cret-pass"
		ms := smtp.Settings()
		step(t, ctx, "save the email settings",
			chromedp.SendKeys(chromedp.CSS("#smtp_host"), ms.Host),
			chromedp.SendKeys(chromedp.CSS("#smtp_port"), strconv.Itoa(ms.Port)),
			chromedp.SetValue(chromedp.CSS("#smtp_tls"), "none"),
			chromedp.SendKeys(chromedp.CSS("#smtp_username"), "shop"),
			chromedp.SendKeys(chromedp.CSS("#smtp_password"), smtpPassword),
			chromedp.SendKeys(chromedp.CSS("#store_name"), "Loja da Ana"),
			chromedp.SendKeys(chromedp.CSS("#from"), "Loja da Ana <loja@shop.example>"),
			chromedp.Click(chromedp.CSS(`#settings-form button[type="submit"]`)),
		)
		waitFlash(t, ctx, "Email settings saved")
		where := pollPageJS(t, ctx, "where mail goes", `document.querySelector("#mail-where")?.textContent`)
		if !strings.Contains(where, ms.Host) || !strings.Contains(where, "from the console") {
			t.Errorf("mail goes to %q, want %s from the console", where, ms.Host)
		}
		form := pollPageJS(t, ctx, "the saved form", `(() => {
			const v = id => document.getElementById(id).value;
			return [v("smtp_host"), v("smtp_port"), v("smtp_tls"), v("smtp_username"), "pw=" + v("smtp_password"),
				document.querySelector('label[for="smtp_password"]').textContent.includes("a password is stored"), v("store_name")].join("|");
		})()`)
		if want := strings.Join([]string{ms.Host, strconv.Itoa(ms.Port), "none", "shop", "pw=", "true", "Loja da Ana"}, "|"); form != want {
			t.Errorf("settings form after saving: %q, want %q", form, want)
		}
		if html := pollPageJS(t, ctx, "the page", `document.documentElement.outerHTML`); strings.Contains(html, smtpPassword) {
			t.Error("the settings page shows the SMTP password")
		}
		st, err := s.cfg.Notify.Settings(bg)
		if err != nil {
			t.Fatal(err)
		}
		if st.SMTP.Host != ms.Host || st.SMTP.Port != ms.Port || st.SMTP.Username != "shop" || !st.SMTP.PasswordSet ||
			st.Branding.StoreName != "Loja da Ana" || st.UpdatedBy == "" {
			t.Fatalf("stored settings: %+v", st)
		}

		// The test email goes through the console's SMTP server, which takes
		// only the password typed above.
		smtp.RequireAuth("shop", smtpPassword)
		if to := pollPageJS(t, ctx, "the test address", `document.querySelector("#to").value`); to != email {
			t.Errorf("test email address is %q, want the signed-in user %s", to, email)
		}
		step(t, ctx, "send a test email",
			chromedp.SetValue(chromedp.CSS("#to"), "me@shop.example"),
			chromedp.Click(chromedp.CSS(`#test-form button[type="submit"]`)),
		)
		waitFlash(t, ctx, "Test email sent")
		got := smtp.WaitFor(1, 10*time.Second)
		if m := got[0]; len(m.To) != 1 || m.To[0] != "me@shop.example" || !strings.Contains(m.Subject, "Loja da Ana") ||
			!strings.Contains(m.Header.Get("From"), "loja@shop.example") {
			t.Fatalf("test email: to %v, subject %q, from %q", m.To, m.Subject, m.Header.Get("From"))
		}

		// The template editor: from the list to the Portuguese confirmation.
		step(t, ctx, "open the template",
			chromedp.Click(chromedp.CSS(`a[href="/console/settings/notifications/templates"]`)),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/console/settings/notifications/templates/order_confirmed/pt-BR"]`)),
			chromedp.Click(chromedp.CSS(`a[href="/console/settings/notifications/templates/order_confirmed/pt-BR"]`)),
			chromedp.WaitVisible(chromedp.CSS("#template-form")),
		)
		// The preview starts on the newest order with the built-in template.
		cid := strconv.FormatInt(ords.cid.Number, 10)
		first := pollPageJS(t, ctx, "the first preview", `(() => {
			const s = document.querySelector("#preview-subject");
			return s ? document.querySelector("#order").value + "|" + s.textContent : "";
		})()`)
		if want := cid + "|Pedido " + cid + " confirmado – Loja da Ana"; first != want {
			t.Errorf("first preview %q, want %q", first, want)
		}
		const subject = "Recebido: {{.Order.Number}} – {{.Store.Name}}"
		const body = "Olá {{.Customer.Name}}, total {{.Order.Total}}."
		step(t, ctx, "preview a new template on Ana's order",
			chromedp.SetValue(chromedp.CSS("#subject"), subject),
			chromedp.SetValue(chromedp.CSS("#body"), body),
			chromedp.SetValue(chromedp.CSS("#order"), ana),
			chromedp.Click(chromedp.CSS(`#template-form button[value="preview"]`)),
		)
		preview := pollPageJS(t, ctx, "the preview on Ana's order", `(() => {
			const s = document.querySelector("#preview-subject"), h = document.querySelector("#preview-h");
			return s && h.textContent.includes(`+strconv.Quote(ana)+`) ? s.textContent + "|" + document.querySelector("#preview-text").textContent : "";
		})()`)
		if want := "Recebido: " + ana + " – Loja da Ana|Olá Ana Lima, total € 58,90."; !strings.HasPrefix(preview, want) {
			t.Errorf("preview %q, want it to start %q", preview, want)
		}
		if srcdoc := pollPageJS(t, ctx, "the HTML preview", `document.querySelector('#preview iframe')?.getAttribute("srcdoc")`); !strings.Contains(srcdoc, "Ana Lima") {
			t.Errorf("the HTML preview lacks the customer's name: %.300s", srcdoc)
		}
		// The preview keeps what was typed, and saves nothing.
		if kept := pollPageJS(t, ctx, "the form after the preview", `document.querySelector("#subject").value`); kept != subject {
			t.Errorf("subject after the preview is %q, want %q", kept, subject)
		}
		if cur, err := s.cfg.Notify.GetTemplate(bg, notify.KindConfirmed, "pt-BR"); err != nil || cur.Custom {
			t.Fatalf("after a preview the template is %+v (%v), want the built-in one", cur, err)
		}

		// An unknown variable is refused next to its field.
		step(t, ctx, "save a template with a typo",
			chromedp.SetValue(chromedp.CSS("#subject"), "Pedido {{.Order.Numero}}"),
			chromedp.Click(chromedp.CSS(`#template-form button[value="save"]`)),
			chromedp.WaitVisible(chromedp.CSS("#template-error")),
		)
		if msg := pollPageJS(t, ctx, "the subject's error", `document.querySelector("#subject-err")?.textContent`); !strings.Contains(msg, "unknown variable {{.Order.Numero}}") {
			t.Errorf("subject error %q", msg)
		}
		if cur, err := s.cfg.Notify.GetTemplate(bg, notify.KindConfirmed, "pt-BR"); err != nil || cur.Custom {
			t.Fatalf("a refused template was stored: %+v (%v)", cur, err)
		}
		step(t, ctx, "save the template",
			chromedp.SetValue(chromedp.CSS("#subject"), subject),
			chromedp.Click(chromedp.CSS(`#template-form button[value="save"]`)),
		)
		waitFlash(t, ctx, "Template saved")
		saved := pollPageJS(t, ctx, "the saved template", `document.querySelector("#subject").value + "|" + document.querySelector("#order").value`)
		if want := subject + "|" + ana; saved != want {
			t.Errorf("after saving the form shows %q, want %q", saved, want)
		}
		if page := pollPageJS(t, ctx, "the page", `document.body.textContent`); !strings.Contains(page, "Your own template, saved by") || !strings.Contains(page, email) {
			t.Errorf("the editor does not say the template is the store's own, saved by %s", email)
		}
		cur, err := s.cfg.Notify.GetTemplate(bg, notify.KindConfirmed, "pt-BR")
		if err != nil {
			t.Fatal(err)
		}
		if !cur.Custom || cur.Subject != subject || cur.Body != body || !strings.Contains(cur.UpdatedBy, email) {
			t.Fatalf("stored template: %+v", cur)
		}

		// Ana's confirmation is made with the saved template; the mail server
		// refuses it for good, so the order page shows it failed.
		tl, err := s.cfg.Orders.Timeline(bg, ords.ana.Number)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.cfg.Notify.OnEvent(bg, orders.EventArgs{Event: orders.EventPlaced, Order: ords.ana.Number, Entry: tl[0].ID}); err != nil {
			t.Fatal(err)
		}
		log, err := s.cfg.Notify.ForOrder(bg, ords.ana.Number)
		if err != nil || len(log) != 1 {
			t.Fatalf("notifications of Ana's order: %+v (%v)", log, err)
		}
		smtp.RejectNext(1, 550)
		if err := s.cfg.Notify.Deliver(bg, log[0].ID, false); err == nil {
			t.Fatal("delivery succeeded past a 550")
		}
		step(t, ctx, "open Ana's order",
			chromedp.Navigate(base+"/console/orders/"+ana),
			chromedp.WaitVisible(chromedp.CSS("#notifications-log")),
		)
		row := pollPageJS(t, ctx, "the failed notification", `document.querySelector('#notifications-log tr[data-kind="order_confirmed"][data-state="failed"]')?.textContent`)
		if !strings.Contains(row, "Recebido: "+ana+" – Loja da Ana") || !strings.Contains(row, "Send again") {
			t.Errorf("failed notification row %q, want the saved subject and Send again", strings.Join(strings.Fields(row), " "))
		}
		step(t, ctx, "send it again",
			chromedp.Click(chromedp.CSS(`#notifications-log tr[data-state="failed"] button[type="submit"]`)),
		)
		waitFlash(t, ctx, "Notification queued again")
		if loc := location(t, ctx); !strings.HasSuffix(loc, "/console/orders/"+ana+"?done=notify-resent#notifications") {
			t.Errorf("after Send again the browser is at %s, want the order's notifications", loc)
		}
		after := pollPageJS(t, ctx, "the log after Send again", `(() => {
			const r = document.querySelector('#notifications-log tr[data-kind="order_confirmed"]');
			return r ? r.dataset.state + "|" + r.querySelectorAll("button").length : "";
		})()`)
		if after != "queued|0" {
			t.Errorf("after Send again the row is %q, want queued without a button", after)
		}
		n, err := s.cfg.Notify.Get(bg, log[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if n.State != notify.StateQueued {
			t.Errorf("after Send again the notification is %s, want queued", n.State)
		}
	})
}

// waitFlash waits for the page to show a confirmation containing want (the
// page after a form's redirect), and fails t with what is shown otherwise.
func waitFlash(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	got := pollPage(t, ctx, "a message", `[...document.querySelectorAll(".alert")].map(a => a.textContent.trim()).join(" / ")`,
		func(s string) bool { return strings.Contains(s, want) })
	if !strings.Contains(got, want) {
		t.Fatalf("waiting for %q: the page says %q", want, got)
	}
}

// pollPage evaluates a JavaScript expression returning a string until ok
// accepts its value or 10 s have passed, and returns the last value.
// Unlike pollJS it keeps going while the browser is between pages, as after
// a form is posted, when the page being evaluated goes away.
func pollPage(t *testing.T, ctx context.Context, what, expr string, ok func(string) bool) string {
	t.Helper()
	var got string
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ectx, cancel := context.WithTimeout(ctx, 2*time.Second)
		var v string
		v, err = chromedp.Run(ectx, chromedp.Evaluate[string](expr))
		cancel()
		if err != nil {
			continue
		}
		if got = strings.TrimSpace(v); ok(got) {
			return got
		}
	}
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return got
}

// nonEmpty accepts any value but "".
func nonEmpty(s string) bool { return s != "" }

// pollPageJS is pollPage for an expression of any type, read as a string
// ("" for null, undefined and false).
func pollPageJS(t *testing.T, ctx context.Context, what, expr string) string {
	t.Helper()
	return pollPage(t, ctx, what, "(() => { const v = "+expr+"; return v ? String(v) : \"\" })()", nonEmpty)
}
