package purchasing

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestFulfilmentSettings(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Options{})
		ctx := context.Background()
		got, err := f.svc.Fulfilment(ctx, f.Supplier)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Default || got.Channel != ChannelConsole || got.Batch != BatchImmediate || got.AckSLAMinutes != 1440 {
			t.Fatalf("defaults %+v", got)
		}
		if _, err := f.svc.Fulfilment(ctx, 999); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("unknown supplier: %v", err)
		}
		good := FulfilmentInput{Channel: ChannelEmail, EmailTo: "orders@supplier.example", Batch: BatchCutoffs,
			CutoffMinutes: []int{840, 540, 840}, AckSLAMinutes: 120, ShippingEstimate: eur(450), Locale: "pt-BR"}
		bad := []struct {
			field string
			edit  func(in *FulfilmentInput)
		}{
			{"email_to", func(in *FulfilmentInput) { in.EmailTo = "not an email" }},
			{"webhook_url", func(in *FulfilmentInput) { in.Channel, in.WebhookURL = ChannelWebhook, "http://supplier.example/po" }},
			{"webhook_url", func(in *FulfilmentInput) { in.Channel, in.WebhookURL = ChannelWebhook, "ftp://x" }},
			{"channel", func(in *FulfilmentInput) { in.Channel = "fax" }},
			{"cutoff_minutes", func(in *FulfilmentInput) { in.CutoffMinutes = []int{1440} }},
			{"cutoff_minutes", func(in *FulfilmentInput) { in.CutoffMinutes = nil }},
			{"ack_sla_minutes", func(in *FulfilmentInput) { in.AckSLAMinutes = 14 }},
			{"ack_sla_minutes", func(in *FulfilmentInput) { in.AckSLAMinutes = 20161 }},
			{"shipping_estimate.currency", func(in *FulfilmentInput) { in.ShippingEstimate.Currency = "XXX" }},
			{"locale", func(in *FulfilmentInput) { in.Locale = "fr" }},
		}
		for _, c := range bad {
			in := good
			c.edit(&in)
			_, err := f.svc.PutFulfilment(ctx, f.Supplier, in)
			var ae *apperr.Error
			if !apperr.Is(err, apperr.Invalid) || !errorsAs(err, &ae) || ae.Fields[0].Field != c.field {
				t.Errorf("%s: %v, want invalid %s", c.field, err, c.field)
			}
		}
		got, err = f.svc.PutFulfilment(ctx, f.Supplier, good)
		if err != nil {
			t.Fatal(err)
		}
		if got.Default || !slices.Equal(got.CutoffMinutes, []int{540, 840}) || got.Locale != "pt-BR" || got.WebhookSecret != "" ||
			got.ShippingEstimate != eur(450) || got.Timezone != "Europe/Lisbon" {
			t.Fatalf("saved %+v", got)
		}
		// A webhook without a secret gets one, shown once.
		wh := FulfilmentInput{Channel: ChannelWebhook, WebhookURL: "https://supplier.example/po", Batch: BatchImmediate, AckSLAMinutes: 60}
		got, err = f.svc.PutFulfilment(ctx, f.Supplier, wh)
		if err != nil {
			t.Fatal(err)
		}
		secret := got.WebhookSecret
		if !strings.HasPrefix(secret, "whsec_") || len(secret) < 40 {
			t.Fatalf("generated secret %q", secret)
		}
		if got, _ = f.svc.PutFulfilment(ctx, f.Supplier, wh); got.WebhookSecret != "" {
			t.Fatalf("secret shown again: %q", got.WebhookSecret)
		}
		if read, _ := f.svc.Fulfilment(ctx, f.Supplier); read.WebhookSecret != "" {
			t.Fatalf("read shows the secret")
		}
		full, _ := f.svc.loadFulfilment(ctx, db.R, f.Supplier)
		if full.WebhookSecret != secret {
			t.Fatalf("secret not kept: %q, want %q", full.WebhookSecret, secret)
		}
		// http only on localhost and only when allowed.
		local := FulfilmentInput{Channel: ChannelWebhook, WebhookURL: "http://127.0.0.1:9999/po", Batch: BatchImmediate, AckSLAMinutes: 60}
		if _, err := f.svc.PutFulfilment(ctx, f.Supplier, local); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("local http without the option: %v", err)
		}
		f.svc.opts.AllowLocalHTTP = true
		if _, err := f.svc.PutFulfilment(ctx, f.Supplier, local); err != nil {
			t.Fatalf("local http with the option: %v", err)
		}
	})
}
