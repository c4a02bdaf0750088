package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/locale"
	"github.com/orderly-oms/orderly/internal/notify"
	"github.com/orderly-oms/orderly/internal/orders"
)

// The console's notification pages (docs/notifications.md): the email
// settings (SMTP, branding, a test email), the templates with their editor
// and live preview on a real order, and resending a failed notification
// from the order page.

func (s *Server) registerConsoleNotifications() {
	s.page("GET /console/settings/notifications", auth.SettingsWrite, s.consoleNotifySettings)
	s.page("POST /console/settings/notifications", auth.SettingsWrite, s.consoleNotifySettingsSave)
	s.page("POST /console/settings/notifications/test", auth.SettingsWrite, s.consoleNotifyTest)
	s.page("GET /console/settings/notifications/templates", auth.SettingsWrite, s.consoleNotifyTemplates)
	s.page("GET /console/settings/notifications/templates/{kind}/{locale}", auth.SettingsWrite, s.consoleNotifyTemplate)
	s.page("POST /console/settings/notifications/templates/{kind}/{locale}", auth.SettingsWrite, s.consoleNotifyTemplateSave)
	s.page("POST /console/settings/notifications/templates/{kind}/{locale}/reset", auth.SettingsWrite, s.consoleNotifyTemplateReset)
	s.page("POST /console/orders/{number}/notifications/{id}/resend", auth.OrdersWrite, s.consoleNotifyResend)
}

// notifyFlashes are the confirmations of these pages (see flashes).
var notifyFlashes = map[string]string{
	"notify-saved":   "Email settings saved; the next message is sent with them.",
	"notify-test":    "Test email sent. Check the inbox (or the mail directory).",
	"template-saved": "Template saved; the next notifications of this kind and language use it.",
	"template-reset": "Template reset: the built-in one is used again.",
	"notify-resent":  "Notification queued again.",
}

func notifyFlash(r *http.Request) string { return notifyFlashes[r.URL.Query().Get("done")] }

// KindLabels names each kind for staff.
var kindLabels = map[notify.Kind]string{
	notify.KindConfirmed:       "Order confirmed",
	notify.KindBackordered:     "Backordered (with options)",
	notify.KindPreordered:      "Pre-order confirmed",
	notify.KindDelayed:         "Delayed / at risk (with options)",
	notify.KindShipped:         "Shipped (tracking)",
	notify.KindDelivered:       "Delivered",
	notify.KindCancelled:       "Cancelled (refund, coupon)",
	notify.KindChoice:          "Answer to the customer's choice",
	notify.KindRestockExpected: "Backorder update (date known)",
}

type notifySettingsView struct {
	Settings notify.Settings
	Where    string
	Form     map[string]string
	TestTo   string
	Errors   map[string]string
}

// notifyInput is one text input of the settings form.
type notifyInput struct{ Name, Label, Value, Err string }

// Input is the input name with its label, value and error.
func (v *notifySettingsView) Input(name, label string) notifyInput {
	return notifyInput{Name: name, Label: label, Value: v.Form[name], Err: v.Errors[name]}
}

func (s *Server) notifySettingsView(r *http.Request) (*notifySettingsView, error) {
	ctx := r.Context()
	st, err := s.cfg.Notify.Settings(ctx)
	if err != nil {
		return nil, err
	}
	where, err := s.cfg.Notify.Transport().Where(ctx)
	if err != nil {
		return nil, err
	}
	b := st.Branding
	v := &notifySettingsView{Settings: st, Where: where, Errors: map[string]string{}, Form: map[string]string{
		"smtp_host": st.SMTP.Host, "smtp_port": "", "smtp_username": st.SMTP.Username, "smtp_tls": st.SMTP.TLS,
		"store_name": b.StoreName, "logo_url": b.LogoURL, "accent_color": b.AccentColor, "support_email": b.SupportEmail,
		"from": b.From, "base_url": b.BaseURL, "link_days": ""}}
	if st.SMTP.Port != 0 {
		v.Form["smtp_port"] = strconv.Itoa(st.SMTP.Port)
	}
	if b.LinkDays != 0 {
		v.Form["link_days"] = strconv.Itoa(b.LinkDays)
	}
	if p := auth.FromContext(ctx); p != nil && p.Kind == auth.KindStaff && strings.Contains(p.Name, "@") {
		v.TestTo = p.Name
	}
	return v, nil
}

func (s *Server) renderNotifySettings(w http.ResponseWriter, r *http.Request, status int, v *notifySettingsView) {
	s.render(w, r, status, "notification_settings.html", view{Title: "Notifications", Active: "notifications", Flash: notifyFlash(r), Data: v})
}

func (s *Server) consoleNotifySettings(w http.ResponseWriter, r *http.Request) {
	v, err := s.notifySettingsView(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.renderNotifySettings(w, r, http.StatusOK, v)
}

func (s *Server) consoleNotifySettingsSave(w http.ResponseWriter, r *http.Request) {
	form := map[string]string{}
	for _, k := range []string{"smtp_host", "smtp_port", "smtp_username", "smtp_tls", "store_name", "logo_url", "accent_color",
		"support_email", "from", "base_url", "link_days"} {
		form[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	in := notify.SettingsInput{SMTPHost: form["smtp_host"], SMTPUsername: form["smtp_username"], SMTPTLS: form["smtp_tls"],
		Password: r.PostFormValue("smtp_password"), ClearPassword: r.PostFormValue("clear_password") == "on",
		Branding: notify.Branding{StoreName: form["store_name"], LogoURL: form["logo_url"], AccentColor: form["accent_color"],
			SupportEmail: form["support_email"], From: form["from"], BaseURL: form["base_url"]}}
	var fe apperr.Fields
	for k, dst := range map[string]*int{"smtp_port": &in.SMTPPort, "link_days": &in.Branding.LinkDays} {
		if form[k] == "" {
			continue
		}
		n, err := strconv.Atoi(form[k])
		if err != nil {
			fe.Add(k, "%q is not a whole number", form[k])
		}
		*dst = n
	}
	err := fe.Err()
	if err == nil {
		_, err = s.cfg.Notify.SaveSettings(r.Context(), in, auth.FromContext(r.Context()).Actor())
	}
	if err == nil {
		seeOther(w, r, "/console/settings/notifications", "notify-saved")
		return
	}
	if statusFor(err) >= 500 {
		s.consoleError(w, r, err)
		return
	}
	v, lerr := s.notifySettingsView(r)
	if lerr != nil {
		s.consoleError(w, r, lerr)
		return
	}
	v.Form = form
	v.Errors = formErrors(err, "settings")
	s.renderNotifySettings(w, r, statusFor(err), v)
}

func (s *Server) consoleNotifyTest(w http.ResponseWriter, r *http.Request) {
	to := strings.TrimSpace(r.PostFormValue("to"))
	_, err := s.cfg.Notify.SendTest(r.Context(), to)
	if err == nil {
		seeOther(w, r, "/console/settings/notifications", "notify-test")
		return
	}
	if statusFor(err) >= 500 {
		s.consoleError(w, r, err)
		return
	}
	v, lerr := s.notifySettingsView(r)
	if lerr != nil {
		s.consoleError(w, r, lerr)
		return
	}
	v.TestTo = to
	v.Errors = map[string]string{"test": errMessage(err)}
	s.renderNotifySettings(w, r, statusFor(err), v)
}

type notifyTemplatesView struct {
	Kinds   []notify.Kind
	Locales []string
	// Custom says which (kind, locale) the store overrides: "kind/locale".
	Custom map[string]bool
}

// Label names a kind.
func (notifyTemplatesView) Label(k notify.Kind) string { return kindLabels[k] }

// Key is the Custom key of a kind and locale.
func (notifyTemplatesView) Key(k notify.Kind, loc string) string { return string(k) + "/" + loc }

func (s *Server) consoleNotifyTemplates(w http.ResponseWriter, r *http.Request) {
	list, err := s.cfg.Notify.Templates(r.Context())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	v := notifyTemplatesView{Kinds: notify.Kinds(), Locales: locale.Supported, Custom: map[string]bool{}}
	for _, t := range list {
		if t.Custom {
			v.Custom[v.Key(t.Kind, t.Locale)] = true
		}
	}
	s.render(w, r, http.StatusOK, "notification_templates.html", view{Title: "Notification templates", Active: "notifications",
		Flash: notifyFlash(r), Data: v})
}

type notifyTemplateView struct {
	Kind    notify.Kind
	Label   string
	Locale  string
	Current notify.StoredTemplate
	Form    notify.Template
	// Order is the order the preview is rendered for ("" before one is
	// chosen); Preview the message, PreviewError why it could not be made.
	Order        string
	Preview      *notify.Message
	PreviewError string
	Errors       map[string]string
	Variables    []string
}

var templateVariables = []string{
	"{{.Store.Name}}", "{{.Store.SupportEmail}}", "{{.Customer.Name}}", "{{.Customer.Email}}", "{{.Order.Number}}",
	"{{.Order.Total}}", "{{.Order.Placed}}", "{{.Order.Window}}", "{{.Order.Cancelled}}", "{{.Link}}",
	"{{range .Lines}}{{.Quantity}} × {{.Title}} {{.SKU}} {{.Expected}}{{end}}", "{{.Expected}}",
	"{{.Shipment.Carrier}}", "{{.Shipment.TrackingNumber}}", "{{.Shipment.TrackingURL}}", "{{.Refund}}",
	"{{.Coupon.Code}}", "{{.Coupon.Value}}", "{{.Coupon.Expires}}", "{{.Choice}}", "{{.SwapTitle}}", "{{.Date}}", "{{.Deadline}}",
}

// templateKey reads {kind} and {locale} of the path.
func templateKey(r *http.Request) (notify.Kind, string, error) {
	k, loc := notify.Kind(r.PathValue("kind")), r.PathValue("locale")
	if !notify.ValidKind(k) || !locale.Valid(loc) {
		return "", "", apperr.New(apperr.NotFound, "no template %s/%s", k, loc)
	}
	return k, loc, nil
}

func (s *Server) notifyTemplateView(r *http.Request, order string) (*notifyTemplateView, error) {
	kind, loc, err := templateKey(r)
	if err != nil {
		return nil, err
	}
	cur, err := s.cfg.Notify.GetTemplate(r.Context(), kind, loc)
	if err != nil {
		return nil, err
	}
	v := &notifyTemplateView{Kind: kind, Label: kindLabels[kind], Locale: loc, Current: cur, Form: cur.Template, Order: order,
		Errors: map[string]string{}, Variables: templateVariables}
	if v.Order == "" {
		// The newest order, so the preview shows something at once.
		list, _, err := s.cfg.Orders.List(r.Context(), orders.ListFilter{Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(list) > 0 {
			v.Order = strconv.FormatInt(list[0].Number, 10)
		}
	}
	return v, nil
}

// preview renders the form's template on the view's order.
func (s *Server) preview(r *http.Request, v *notifyTemplateView) {
	if v.Order == "" {
		return
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(v.Order, "#"), 10, 64)
	if err != nil || n <= 0 {
		v.PreviewError = "order: " + strconv.Quote(v.Order) + " is not an order number"
		return
	}
	t := v.Form
	m, err := s.cfg.Notify.Preview(r.Context(), v.Kind, v.Locale, n, &t)
	if err != nil {
		v.PreviewError = errMessage(err)
		return
	}
	v.Preview = &m
}

func (s *Server) renderNotifyTemplate(w http.ResponseWriter, r *http.Request, status int, v *notifyTemplateView) {
	s.render(w, r, status, "notification_template.html", view{Title: v.Label + " (" + v.Locale + ")", Active: "notifications",
		Flash: notifyFlash(r), Data: v})
}

func (s *Server) consoleNotifyTemplate(w http.ResponseWriter, r *http.Request) {
	v, err := s.notifyTemplateView(r, strings.TrimSpace(r.URL.Query().Get("order")))
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.preview(r, v)
	s.renderNotifyTemplate(w, r, http.StatusOK, v)
}

// consoleNotifyTemplateSave saves the template (action "save") or only
// previews it (action "preview"); either way a refused template comes back
// with its errors next to the fields.
func (s *Server) consoleNotifyTemplateSave(w http.ResponseWriter, r *http.Request) {
	v, err := s.notifyTemplateView(r, strings.TrimSpace(r.PostFormValue("order")))
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	v.Form = notify.Template{Subject: r.PostFormValue("subject"), Body: strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n")}
	status := http.StatusOK
	err = notify.ValidateTemplate(v.Form)
	if err == nil && r.PostFormValue("action") != "preview" {
		if _, err = s.cfg.Notify.SaveTemplate(r.Context(), v.Kind, v.Locale, v.Form, auth.FromContext(r.Context()).Actor()); err == nil {
			to := "/console/settings/notifications/templates/" + string(v.Kind) + "/" + v.Locale
			if v.Order != "" {
				to += "?order=" + v.Order
			}
			seeOther(w, r, to, "template-saved")
			return
		}
	}
	if err != nil {
		if statusFor(err) >= 500 {
			s.consoleError(w, r, err)
			return
		}
		v.Errors = formErrors(err, "template")
		status = statusFor(err)
	} else {
		s.preview(r, v)
	}
	s.renderNotifyTemplate(w, r, status, v)
}

func (s *Server) consoleNotifyTemplateReset(w http.ResponseWriter, r *http.Request) {
	kind, loc, err := templateKey(r)
	if err == nil {
		_, err = s.cfg.Notify.ResetTemplate(r.Context(), kind, loc)
	}
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	seeOther(w, r, "/console/settings/notifications/templates/"+string(kind)+"/"+loc, "template-reset")
}

func (s *Server) consoleNotifyResend(w http.ResponseWriter, r *http.Request) {
	number, err := pathID(r, "number")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	n, err := s.cfg.Notify.Get(r.Context(), id)
	if err == nil && n.Order != number {
		err = apperr.New(apperr.NotFound, "order %d has no notification %d", number, id)
	}
	if err == nil {
		_, err = s.cfg.Notify.Resend(r.Context(), id, auth.FromContext(r.Context()).Actor())
	}
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	// The confirmation goes in the query, before the fragment: seeOther
	// appends it to the end, where it would become part of the fragment
	// and the page would not show it.
	seeOther(w, r, "/console/orders/"+strconv.FormatInt(number, 10)+"#notifications", "notify-resent")
}
