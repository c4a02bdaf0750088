package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/webhooks"
)

// registerWebhooks registers the outbound webhook routes (docs/webhooks.md):
// subscriptions, their delivery log, replay and test events, in the API and
// the console.
func (s *Server) registerWebhooks() {
	if s.cfg.Webhooks == nil {
		// No queue: deliveries are made by the jobs cmd/orderly wires;
		// replay and test events need none.
		s.cfg.Webhooks = webhooks.New(s.cfg.DB, s.cfg.Orders, nil, s.now, webhooks.Options{Logger: s.log})
	}
	tags := []string{"Webhooks"}
	operation(s, huma.Operation{OperationID: "list-webhook-subscriptions", Method: http.MethodGet, Path: "/webhook-subscriptions",
		Summary: "List webhook subscriptions", Tags: tags, Description: "Oldest first; secrets are never shown."},
		auth.WebhooksRead, s.listWebhookSubscriptions)
	operation(s, huma.Operation{OperationID: "create-webhook-subscription", Method: http.MethodPost, Path: "/webhook-subscriptions",
		DefaultStatus: http.StatusCreated, Summary: "Subscribe a URL to order events", Tags: tags,
		Description: "The URL must be https and reach a public address (unless the server runs with " +
			"`--webhooks-allow-private`). `events` lists order event types, or `[\"*\"]` for all. The signing secret " +
			"is generated and returned in `secret` in this response only: store it to verify `Orderly-Signature`."},
		auth.WebhooksWrite, s.createWebhookSubscription)
	operation(s, huma.Operation{OperationID: "get-webhook-subscription", Method: http.MethodGet, Path: "/webhook-subscriptions/{id}",
		Summary: "Get a webhook subscription", Tags: tags},
		auth.WebhooksRead, s.getWebhookSubscription)
	operation(s, huma.Operation{OperationID: "update-webhook-subscription", Method: http.MethodPut, Path: "/webhook-subscriptions/{id}",
		Summary: "Change a webhook subscription", Tags: tags,
		Description: "Replaces the URL, description and events, and `active` when given. The secret is kept."},
		auth.WebhooksWrite, s.updateWebhookSubscription)
	operation(s, huma.Operation{OperationID: "delete-webhook-subscription", Method: http.MethodDelete, Path: "/webhook-subscriptions/{id}",
		DefaultStatus: http.StatusNoContent, Summary: "Delete a webhook subscription", Tags: tags,
		Description: "Its deliveries and their log go with it; deliveries not yet made are not made."},
		auth.WebhooksWrite, s.deleteWebhookSubscription)
	operation(s, huma.Operation{OperationID: "pause-webhook-subscription", Method: http.MethodPost, Path: "/webhook-subscriptions/{id}/pause",
		Summary: "Pause a webhook subscription", Tags: tags,
		Description: "A paused subscription gets no new deliveries, and a delivery whose attempt comes due while it is " +
			"paused is given up (replay it after resuming)."},
		auth.WebhooksWrite, s.pauseWebhookSubscription)
	operation(s, huma.Operation{OperationID: "resume-webhook-subscription", Method: http.MethodPost, Path: "/webhook-subscriptions/{id}/resume",
		Summary: "Resume a paused webhook subscription", Tags: tags},
		auth.WebhooksWrite, s.resumeWebhookSubscription)
	operation(s, huma.Operation{OperationID: "test-webhook-subscription", Method: http.MethodPost, Path: "/webhook-subscriptions/{id}/test",
		Summary: "Send a test event", Tags: tags,
		Description: "Sends a signed `webhook.test` event to the URL now (paused or not) and returns the delivery with " +
			"its attempt: status, duration, the start of the answer's body. Not retried."},
		auth.WebhooksWrite, s.testWebhookSubscription)
	operation(s, huma.Operation{OperationID: "list-webhook-deliveries", Method: http.MethodGet, Path: "/webhook-subscriptions/{id}/deliveries",
		Summary: "List a subscription's deliveries", Tags: tags,
		Description: "Newest first: each event sent (or to be sent) with its state, attempts, last status and error."},
		auth.WebhooksRead, s.listWebhookDeliveries)
	operation(s, huma.Operation{OperationID: "get-webhook-delivery", Method: http.MethodGet, Path: "/webhook-subscriptions/{id}/deliveries/{delivery}",
		Summary: "Get a delivery with every attempt", Tags: tags},
		auth.WebhooksRead, s.getWebhookDelivery)
	operation(s, huma.Operation{OperationID: "replay-webhook-delivery", Method: http.MethodPost,
		Path:    "/webhook-subscriptions/{id}/deliveries/{delivery}/replay",
		Summary: "Replay a delivery", Tags: tags,
		Description: "Sends the delivery's event again now, whatever its state (the same body and event id, signed " +
			"anew), and returns the attempt, logged as a replay by the caller. 409 while another attempt is in progress."},
		auth.WebhooksWrite, s.replayWebhookDelivery)
	s.registerConsoleWebhooks()
}

// WebhookSubscription, WebhookSubscriptionInput and WebhookDelivery are the
// webhooks package's types under their API names.
type (
	WebhookSubscription      webhooks.Subscription
	WebhookSubscriptionInput webhooks.SubscriptionInput
	WebhookDelivery          webhooks.Delivery
)

type webhookSubscriptionIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type webhookSubscriptionOutput struct{ Body WebhookSubscription }

type webhookSubscriptionsOutput struct {
	Body struct {
		Items []WebhookSubscription `json:"items" nullable:"false"`
	}
}

type webhookSubscriptionInput struct{ Body WebhookSubscriptionInput }

type updateWebhookSubscriptionInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body WebhookSubscriptionInput
}

func (s *Server) listWebhookSubscriptions(ctx context.Context, _ *struct{}) (*webhookSubscriptionsOutput, error) {
	subs, err := s.cfg.Webhooks.List(ctx)
	if err != nil {
		return nil, err
	}
	out := &webhookSubscriptionsOutput{}
	out.Body.Items = make([]WebhookSubscription, len(subs))
	for i, sub := range subs {
		out.Body.Items[i] = WebhookSubscription(sub)
	}
	return out, nil
}

func (s *Server) createWebhookSubscription(ctx context.Context, in *webhookSubscriptionInput) (*webhookSubscriptionOutput, error) {
	sub, err := s.cfg.Webhooks.Create(ctx, webhooks.SubscriptionInput(in.Body))
	if err != nil {
		return nil, err
	}
	return &webhookSubscriptionOutput{Body: WebhookSubscription(*sub)}, nil
}

func (s *Server) getWebhookSubscription(ctx context.Context, in *webhookSubscriptionIDInput) (*webhookSubscriptionOutput, error) {
	sub, err := s.cfg.Webhooks.Get(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &webhookSubscriptionOutput{Body: WebhookSubscription(*sub)}, nil
}

func (s *Server) updateWebhookSubscription(ctx context.Context, in *updateWebhookSubscriptionInput) (*webhookSubscriptionOutput, error) {
	sub, err := s.cfg.Webhooks.Update(ctx, in.ID, webhooks.SubscriptionInput(in.Body))
	if err != nil {
		return nil, err
	}
	return &webhookSubscriptionOutput{Body: WebhookSubscription(*sub)}, nil
}

func (s *Server) deleteWebhookSubscription(ctx context.Context, in *webhookSubscriptionIDInput) (*struct{}, error) {
	return nil, s.cfg.Webhooks.Delete(ctx, in.ID)
}

func (s *Server) pauseWebhookSubscription(ctx context.Context, in *webhookSubscriptionIDInput) (*webhookSubscriptionOutput, error) {
	sub, err := s.cfg.Webhooks.SetActive(ctx, in.ID, false)
	if err != nil {
		return nil, err
	}
	return &webhookSubscriptionOutput{Body: WebhookSubscription(*sub)}, nil
}

func (s *Server) resumeWebhookSubscription(ctx context.Context, in *webhookSubscriptionIDInput) (*webhookSubscriptionOutput, error) {
	sub, err := s.cfg.Webhooks.SetActive(ctx, in.ID, true)
	if err != nil {
		return nil, err
	}
	return &webhookSubscriptionOutput{Body: WebhookSubscription(*sub)}, nil
}

type webhookDeliveryOutput struct{ Body WebhookDelivery }

func (s *Server) testWebhookSubscription(ctx context.Context, in *webhookSubscriptionIDInput) (*webhookDeliveryOutput, error) {
	d, err := s.cfg.Webhooks.SendTest(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &webhookDeliveryOutput{Body: WebhookDelivery(*d)}, nil
}

type webhookDeliveriesInput struct {
	ID int64 `path:"id" minimum:"1"`
	ListParams
	State string `query:"state" enum:"pending,delivered,failed" doc:"Only deliveries in this state"`
}

func (s *Server) listWebhookDeliveries(ctx context.Context, in *webhookDeliveriesInput) (*ListOutput[WebhookDelivery], error) {
	var before int64
	if err := DecodeCursor(in.After, &before); err != nil {
		return nil, err
	}
	limit := in.Limit
	if limit <= 0 {
		limit = 50
	}
	list, err := s.cfg.Webhooks.Deliveries(ctx, in.ID, webhooks.DeliveryFilter{State: in.State, Before: before, Limit: limit + 1})
	if err != nil {
		return nil, err
	}
	out := &ListOutput[WebhookDelivery]{Body: Page[WebhookDelivery]{Items: []WebhookDelivery{}}}
	if len(list) > limit {
		list = list[:limit]
		out.Body.Next = EncodeCursor(list[limit-1].ID)
	}
	for _, d := range list {
		out.Body.Items = append(out.Body.Items, WebhookDelivery(d))
	}
	return out, nil
}

type webhookDeliveryIDInput struct {
	ID       int64 `path:"id" minimum:"1"`
	Delivery int64 `path:"delivery" minimum:"1"`
}

func (s *Server) getWebhookDelivery(ctx context.Context, in *webhookDeliveryIDInput) (*webhookDeliveryOutput, error) {
	d, err := s.cfg.Webhooks.Delivery(ctx, in.ID, in.Delivery)
	if err != nil {
		return nil, err
	}
	return &webhookDeliveryOutput{Body: WebhookDelivery(*d)}, nil
}

type webhookAttemptOutput struct{ Body webhooks.DeliveryAttempt }

func (s *Server) replayWebhookDelivery(ctx context.Context, in *webhookDeliveryIDInput) (*webhookAttemptOutput, error) {
	a, err := s.cfg.Webhooks.Replay(ctx, in.ID, in.Delivery)
	if err != nil {
		return nil, err
	}
	return &webhookAttemptOutput{Body: *a}, nil
}
