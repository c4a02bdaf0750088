package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/notify"
)

// registerNotifications registers the customer notification routes
// (docs/notifications.md): an order's delivery log and resending a failed
// notification; the email settings, the test email and the templates with
// their preview. The console pages are in console_notifications.go.
func (s *Server) registerNotifications() {
	if s.cfg.Notify == nil {
		s.cfg.Notify = notify.New(s.cfg.DB, s.cfg.Orders, nil, notify.NewTransport(s.cfg.DB, nil, ""), s.now, notify.Options{Logger: s.log})
	}
	tags := []string{"Notifications"}
	operation(s, huma.Operation{OperationID: "list-order-notifications", Method: http.MethodGet, Path: "/orders/{number}/notifications",
		Summary: "List the notifications sent to an order's customer", Tags: tags,
		Description: "The delivery log, oldest first: each message's kind, the event and timeline entry that made it, its " +
			"state (queued, sending, sent, failed), attempts, last error and the mail server's message id."},
		auth.OrdersRead, s.listOrderNotifications)
	operation(s, huma.Operation{OperationID: "resend-notification", Method: http.MethodPost, Path: "/notifications/{id}/resend",
		Summary: "Send a failed notification again", Tags: tags,
		Description: "Only a notification whose sending failed for good can be queued again (409 otherwise)."},
		auth.OrdersWrite, s.resendNotification)
	operation(s, huma.Operation{OperationID: "get-notification-settings", Method: http.MethodGet, Path: "/notifications/settings",
		Summary: "Get the email settings and branding", Tags: tags,
		Description: "The SMTP password is never shown: `password_set` says whether one is stored."},
		auth.SettingsWrite, s.getNotificationSettings)
	operation(s, huma.Operation{OperationID: "set-notification-settings", Method: http.MethodPut, Path: "/notifications/settings",
		Summary: "Set the email settings and branding", Tags: tags,
		Description: "Replaces the settings. An empty SMTP host sends with the server's --smtp-* flags (or its mail " +
			"directory). An empty password keeps the stored one; `clear_password` removes it."},
		auth.SettingsWrite, s.setNotificationSettings)
	operation(s, huma.Operation{OperationID: "send-test-email", Method: http.MethodPost, Path: "/notifications/test",
		Summary: "Send a test email with the current settings", Tags: tags},
		auth.SettingsWrite, s.sendTestEmail)
	operation(s, huma.Operation{OperationID: "list-notification-templates", Method: http.MethodGet, Path: "/notifications/templates",
		Summary: "List the templates of every kind and locale", Tags: tags},
		auth.SettingsWrite, s.listNotificationTemplates)
	operation(s, huma.Operation{OperationID: "set-notification-template", Method: http.MethodPut, Path: "/notifications/templates/{kind}/{locale}",
		Summary: "Set the store's template for a kind and locale", Tags: tags,
		Description: "The subject and body are text/template over the variables listed in docs/notifications.md; both are " +
			"executed on a sample first and an unknown variable is refused (422, naming the line and the variable)."},
		auth.SettingsWrite, s.setNotificationTemplate)
	operation(s, huma.Operation{OperationID: "reset-notification-template", Method: http.MethodDelete, Path: "/notifications/templates/{kind}/{locale}",
		Summary: "Go back to the built-in template for a kind and locale", Tags: tags},
		auth.SettingsWrite, s.resetNotificationTemplate)
	operation(s, huma.Operation{OperationID: "preview-notification", Method: http.MethodPost, Path: "/notifications/templates/{kind}/{locale}/preview",
		Summary: "Render a template on a real order", Tags: tags,
		Description: "Renders the given template (or the one in use when none is given) for the order, as the customer " +
			"would read it now. Nothing is sent or stored."},
		auth.SettingsWrite, s.previewNotification)
	s.registerConsoleNotifications()
}

type notificationsOutput struct {
	Body struct {
		Items []notify.Notification `json:"items"`
	}
}

func (s *Server) listOrderNotifications(ctx context.Context, in *orderNumberInput) (*notificationsOutput, error) {
	if _, err := s.cfg.Orders.Get(ctx, in.Number); err != nil {
		return nil, err
	}
	list, err := s.cfg.Notify.ForOrder(ctx, in.Number)
	if err != nil {
		return nil, err
	}
	out := &notificationsOutput{}
	out.Body.Items = list
	return out, nil
}

type notificationIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type notificationOutput struct{ Body notify.Notification }

func (s *Server) resendNotification(ctx context.Context, in *notificationIDInput) (*notificationOutput, error) {
	n, err := s.cfg.Notify.Resend(ctx, in.ID, auth.FromContext(ctx).Actor())
	if err != nil {
		return nil, err
	}
	n.Text, n.HTML = "", ""
	return &notificationOutput{Body: n}, nil
}

// NotificationSettings is notify.Settings under its API name.
type NotificationSettings notify.Settings

type notificationSettingsOutput struct{ Body NotificationSettings }

func (s *Server) getNotificationSettings(ctx context.Context, _ *struct{}) (*notificationSettingsOutput, error) {
	st, err := s.cfg.Notify.Settings(ctx)
	if err != nil {
		return nil, err
	}
	return &notificationSettingsOutput{Body: NotificationSettings(st)}, nil
}

// NotificationSettingsInput is the body that sets the email settings.
type NotificationSettingsInput struct {
	SMTPHost      string          `json:"smtp_host,omitempty" doc:"SMTP server; empty: the server's --smtp-* flags"`
	SMTPPort      int             `json:"smtp_port,omitempty" minimum:"0" maximum:"65535"`
	SMTPUsername  string          `json:"smtp_username,omitempty"`
	SMTPPassword  string          `json:"smtp_password,omitempty" doc:"Write-only; empty keeps the stored password"`
	ClearPassword bool            `json:"clear_password,omitempty" doc:"Remove the stored password"`
	SMTPTLS       string          `json:"smtp_tls,omitempty" enum:"starttls,tls,none,"`
	Branding      notify.Branding `json:"branding"`
}

type setNotificationSettingsInput struct {
	Body NotificationSettingsInput
}

func (s *Server) setNotificationSettings(ctx context.Context, in *setNotificationSettingsInput) (*notificationSettingsOutput, error) {
	b := in.Body
	st, err := s.cfg.Notify.SaveSettings(ctx, notify.SettingsInput{SMTPHost: b.SMTPHost, SMTPPort: b.SMTPPort, SMTPUsername: b.SMTPUsername,
		SMTPTLS: b.SMTPTLS, Password: b.SMTPPassword, ClearPassword: b.ClearPassword, Branding: b.Branding}, auth.FromContext(ctx).Actor())
	if err != nil {
		return nil, err
	}
	return &notificationSettingsOutput{Body: NotificationSettings(st)}, nil
}

type testEmailInput struct {
	Body struct {
		To string `json:"to" doc:"Where the test email goes" example:"me@shop.example"`
	}
}

type testEmailOutput struct {
	Body struct {
		MessageID string `json:"message_id"`
	}
}

func (s *Server) sendTestEmail(ctx context.Context, in *testEmailInput) (*testEmailOutput, error) {
	id, err := s.cfg.Notify.SendTest(ctx, in.Body.To)
	if err != nil {
		return nil, err
	}
	out := &testEmailOutput{}
	out.Body.MessageID = id
	return out, nil
}

// NotificationTemplate is the template in use for a kind and locale.
type NotificationTemplate struct {
	Kind           notify.Kind `json:"kind"`
	Locale         string      `json:"locale"`
	Subject        string      `json:"subject"`
	Body           string      `json:"body"`
	Custom         bool        `json:"custom" doc:"The store's own template; false: the built-in one"`
	UpdatedBy      string      `json:"updated_by,omitempty"`
	UpdatedAt      *time.Time  `json:"updated_at,omitempty"`
	BuiltinSubject string      `json:"builtin_subject"`
	BuiltinBody    string      `json:"builtin_body"`
}

func apiTemplate(t notify.StoredTemplate) NotificationTemplate {
	return NotificationTemplate{Kind: t.Kind, Locale: t.Locale, Subject: t.Subject, Body: t.Body, Custom: t.Custom, UpdatedBy: t.UpdatedBy,
		UpdatedAt: t.UpdatedAt, BuiltinSubject: t.Builtin.Subject, BuiltinBody: t.Builtin.Body}
}

// NotificationTemplateText is a subject and body to store or try.
type NotificationTemplateText struct {
	Subject string `json:"subject" doc:"text/template; one line"`
	Body    string `json:"body" doc:"text/template; plain text, made into HTML in the store's layout"`
}

type notificationTemplatesOutput struct {
	Body struct {
		Items []NotificationTemplate `json:"items"`
	}
}

func (s *Server) listNotificationTemplates(ctx context.Context, _ *struct{}) (*notificationTemplatesOutput, error) {
	list, err := s.cfg.Notify.Templates(ctx)
	if err != nil {
		return nil, err
	}
	out := &notificationTemplatesOutput{}
	out.Body.Items = []NotificationTemplate{}
	for _, t := range list {
		out.Body.Items = append(out.Body.Items, apiTemplate(t))
	}
	return out, nil
}

type templateKeyInput struct {
	Kind   string `path:"kind" doc:"order_confirmed, backordered, preorder_confirmed, delayed, shipped, delivered, cancelled, choice_answer or backorder_update"`
	Locale string `path:"locale" enum:"en,pt-BR,it"`
}

type setTemplateInput struct {
	Kind   string `path:"kind"`
	Locale string `path:"locale" enum:"en,pt-BR,it"`
	Body   NotificationTemplateText
}

type templateOutput struct{ Body NotificationTemplate }

func (s *Server) setNotificationTemplate(ctx context.Context, in *setTemplateInput) (*templateOutput, error) {
	t, err := s.cfg.Notify.SaveTemplate(ctx, notify.Kind(in.Kind), in.Locale, notify.Template(in.Body), auth.FromContext(ctx).Actor())
	if err != nil {
		return nil, err
	}
	return &templateOutput{Body: apiTemplate(t)}, nil
}

func (s *Server) resetNotificationTemplate(ctx context.Context, in *templateKeyInput) (*templateOutput, error) {
	t, err := s.cfg.Notify.ResetTemplate(ctx, notify.Kind(in.Kind), in.Locale)
	if err != nil {
		return nil, err
	}
	return &templateOutput{Body: apiTemplate(t)}, nil
}

// NotificationPreviewInput is the body of a preview.
type NotificationPreviewInput struct {
	Order    int64                     `json:"order" minimum:"1" doc:"The order to render the message for"`
	Template *NotificationTemplateText `json:"template,omitempty" doc:"The template to try; absent: the one in use"`
}

type previewInput struct {
	Kind   string `path:"kind"`
	Locale string `path:"locale" enum:"en,pt-BR,it"`
	Body   NotificationPreviewInput
}

// NotificationMessage is a rendered notification.
type NotificationMessage notify.Message

type previewOutput struct{ Body NotificationMessage }

func (s *Server) previewNotification(ctx context.Context, in *previewInput) (*previewOutput, error) {
	var t *notify.Template
	if in.Body.Template != nil {
		t = (*notify.Template)(in.Body.Template)
	}
	m, err := s.cfg.Notify.Preview(ctx, notify.Kind(in.Kind), in.Locale, in.Body.Order, t)
	if err != nil {
		return nil, err
	}
	return &previewOutput{Body: NotificationMessage(m)}, nil
}
