package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/webhooks"
)

// The webhook pages (docs/webhooks.md, "In the console"): the subscriptions
// with a form to add one (its secret shown once, on the page that answers
// the form), one subscription with its settings, pause, delete, a test event
// and its delivery log with each delivery's attempts and a replay button.

func (s *Server) registerConsoleWebhooks() {
	s.page("GET /console/webhooks", auth.WebhooksRead, s.consoleWebhooks)
	s.page("POST /console/webhooks", auth.WebhooksWrite, s.consoleWebhookCreate)
	s.page("GET /console/webhooks/{id}", auth.WebhooksRead, s.consoleWebhook)
	s.page("POST /console/webhooks/{id}", auth.WebhooksWrite, s.consoleWebhookUpdate)
	s.page("POST /console/webhooks/{id}/pause", auth.WebhooksWrite, s.consoleWebhookPause)
	s.page("POST /console/webhooks/{id}/resume", auth.WebhooksWrite, s.consoleWebhookResume)
	s.page("POST /console/webhooks/{id}/delete", auth.WebhooksWrite, s.consoleWebhookDelete)
	s.page("POST /console/webhooks/{id}/test", auth.WebhooksWrite, s.consoleWebhookTest)
	s.page("POST /console/webhooks/{id}/deliveries/{delivery}/replay", auth.WebhooksWrite, s.consoleWebhookReplay)
}

// webhookForm is the subscription form as typed.
type webhookForm struct {
	URL         string
	Description string
	Events      []string
}

// Has reports whether the form lists event e.
func (f webhookForm) Has(e string) bool { return slices.Contains(f.Events, e) }

func webhookFormFrom(r *http.Request) (webhookForm, webhooks.SubscriptionInput) {
	_ = r.ParseForm()
	f := webhookForm{URL: strings.TrimSpace(r.PostFormValue("url")), Description: strings.TrimSpace(r.PostFormValue("description")),
		Events: r.PostForm["events"]}
	return f, webhooks.SubscriptionInput{URL: f.URL, Description: f.Description, Events: f.Events}
}

type webhooksView struct {
	Subs      []webhooks.Subscription
	Events    []string
	Form      webhookForm
	Errors    map[string]string
	NewSecret string
	NewSub    *webhooks.Subscription
}

func eventNames() []string {
	out := make([]string, len(webhooks.Events))
	for i, e := range webhooks.Events {
		out[i] = string(e)
	}
	return out
}

func (s *Server) webhooksPage(w http.ResponseWriter, r *http.Request, status int, v *webhooksView) {
	var err error
	if v.Subs, err = s.cfg.Webhooks.List(r.Context()); err != nil {
		s.consoleError(w, r, err)
		return
	}
	v.Events = eventNames()
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	s.render(w, r, status, "webhooks.html", view{Title: "Webhooks", Active: "webhooks", Data: v})
}

func (s *Server) consoleWebhooks(w http.ResponseWriter, r *http.Request) {
	s.webhooksPage(w, r, http.StatusOK, &webhooksView{Form: webhookForm{Events: []string{webhooks.AllEvents}}})
}

// consoleWebhookCreate creates a subscription and shows its secret in this
// response (like a new API token): it is never shown again.
func (s *Server) consoleWebhookCreate(w http.ResponseWriter, r *http.Request) {
	form, in := webhookFormFrom(r)
	sub, err := s.cfg.Webhooks.Create(r.Context(), in)
	if err != nil {
		s.webhooksPage(w, r, statusFor(err), &webhooksView{Form: form, Errors: webhookErrors(err, "create")})
		return
	}
	s.webhooksPage(w, r, http.StatusCreated, &webhooksView{Form: webhookForm{Events: []string{webhooks.AllEvents}},
		NewSecret: sub.Secret, NewSub: sub})
}

type webhookView struct {
	Sub        *webhooks.Subscription
	Events     []string
	Form       webhookForm
	Errors     map[string]string
	State      string
	States     []string
	Deliveries []webhooks.Delivery
	Next       int64
	Open       *webhooks.Delivery // the delivery whose attempts are shown
}

func (s *Server) consoleWebhook(w http.ResponseWriter, r *http.Request) {
	s.webhookPage(w, r, http.StatusOK, nil, nil)
}

// webhookPage renders one subscription; form and errs are a rejected edit.
func (s *Server) webhookPage(w http.ResponseWriter, r *http.Request, status int, form *webhookForm, errs map[string]string) {
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	v := &webhookView{Events: eventNames(), Errors: errs, State: q.Get("state"),
		States: []string{webhooks.StatePending, webhooks.StateDelivered, webhooks.StateFailed}}
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	if v.Sub, err = s.cfg.Webhooks.Get(ctx, id); err != nil {
		s.consoleError(w, r, err)
		return
	}
	v.Form = webhookForm{URL: v.Sub.URL, Description: v.Sub.Description, Events: v.Sub.Events}
	if form != nil {
		v.Form = *form
	}
	if !slices.Contains(v.States, v.State) {
		v.State = ""
	}
	f := webhooks.DeliveryFilter{State: v.State, Limit: consolePageSize + 1}
	for name, dst := range map[string]*int64{"before": &f.Before} {
		if raw := q.Get(name); raw != "" {
			if *dst, err = strconv.ParseInt(raw, 10, 64); err != nil || *dst <= 0 {
				s.consoleError(w, r, apperr.InvalidField(name, "must be a positive whole number, not %q", raw))
				return
			}
		}
	}
	if v.Deliveries, err = s.cfg.Webhooks.Deliveries(ctx, id, f); err != nil {
		s.consoleError(w, r, err)
		return
	}
	if len(v.Deliveries) > consolePageSize {
		v.Deliveries = v.Deliveries[:consolePageSize]
		v.Next = v.Deliveries[consolePageSize-1].ID
	}
	if raw := q.Get("delivery"); raw != "" {
		d, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || d <= 0 {
			s.consoleError(w, r, apperr.InvalidField("delivery", "must be a positive whole number, not %q", raw))
			return
		}
		if v.Open, err = s.cfg.Webhooks.Delivery(ctx, id, d); err != nil {
			s.consoleError(w, r, err)
			return
		}
	}
	s.render(w, r, status, "webhook.html", view{Title: "Webhook " + v.Sub.URL, Active: "webhooks", Data: v})
}

func (s *Server) consoleWebhookUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	form, in := webhookFormFrom(r)
	if _, err := s.cfg.Webhooks.Update(r.Context(), id, in); err != nil {
		if apperr.Is(err, apperr.Invalid) {
			s.webhookPage(w, r, statusFor(err), &form, webhookErrors(err, "edit"))
			return
		}
		s.consoleError(w, r, err)
		return
	}
	seeOther(w, r, "/console/webhooks/"+strconv.FormatInt(id, 10), "webhook-saved")
}

func (s *Server) consoleWebhookPause(w http.ResponseWriter, r *http.Request) {
	s.consoleWebhookSetActive(w, r, false, "webhook-paused")
}

func (s *Server) consoleWebhookResume(w http.ResponseWriter, r *http.Request) {
	s.consoleWebhookSetActive(w, r, true, "webhook-resumed")
}

func (s *Server) consoleWebhookSetActive(w http.ResponseWriter, r *http.Request, active bool, done string) {
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if _, err := s.cfg.Webhooks.SetActive(r.Context(), id, active); err != nil {
		s.consoleError(w, r, err)
		return
	}
	seeOther(w, r, "/console/webhooks/"+strconv.FormatInt(id, 10), done)
}

func (s *Server) consoleWebhookDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if err := s.cfg.Webhooks.Delete(r.Context(), id); err != nil {
		s.consoleError(w, r, err)
		return
	}
	seeOther(w, r, "/console/webhooks", "webhook-deleted")
}

// consoleWebhookTest sends a test event and opens its delivery, whose
// attempt shows what the receiver answered.
func (s *Server) consoleWebhookTest(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	d, err := s.cfg.Webhooks.SendTest(r.Context(), id)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	seeOther(w, r, "/console/webhooks/"+strconv.FormatInt(id, 10)+"?delivery="+strconv.FormatInt(d.ID, 10), "webhook-tested")
}

func (s *Server) consoleWebhookReplay(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	d, err := pathID(r, "delivery")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if _, err := s.cfg.Webhooks.Replay(r.Context(), id, d); err != nil {
		s.consoleError(w, r, err)
		return
	}
	seeOther(w, r, "/console/webhooks/"+strconv.FormatInt(id, 10)+"?delivery="+strconv.FormatInt(d, 10), "webhook-replayed")
}

// webhookErrors is formErrors with the errors of single events
// ("events[2]") shown under the events field.
func webhookErrors(err error, key string) map[string]string {
	out := formErrors(err, key)
	for k, msg := range out {
		if strings.HasPrefix(k, "events[") {
			delete(out, k)
			if out["events"] != "" {
				msg = out["events"] + "; " + msg
			}
			out["events"] = msg
		}
	}
	return out
}
