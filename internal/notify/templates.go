package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/locale"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/storesettings"
)

// StoredTemplate is the template in use for one kind and locale.
type StoredTemplate struct {
	Kind   Kind   `json:"kind"`
	Locale string `json:"locale"`
	Template
	// Custom says the store overrides the built-in template.
	Custom    bool       `json:"custom"`
	UpdatedBy string     `json:"updated_by,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
	// Builtin is the built-in template, to compare or go back to.
	Builtin Template `json:"builtin"`
}

func checkKindLocale(kind Kind, loc string) error {
	var fe apperr.Fields
	if !ValidKind(kind) {
		fe.Add("kind", "unknown notification kind %q", kind)
	}
	if !locale.Valid(loc) {
		fe.Add("locale", "unknown locale %q: want one of en, pt-BR, it", loc)
	}
	return fe.Err()
}

// Templates lists the template in use for every kind and locale.
func (s *Service) Templates(ctx context.Context) ([]StoredTemplate, error) {
	custom := map[[2]string]StoredTemplate{}
	rows, err := s.db.R.QueryContext(ctx, `SELECT kind, locale, subject, body, updated_by, updated_at FROM notification_templates`)
	if err != nil {
		return nil, fmt.Errorf("notification templates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t StoredTemplate
		var at time.Time
		if err := rows.Scan(&t.Kind, &t.Locale, &t.Subject, &t.Body, &t.UpdatedBy, &at); err != nil {
			return nil, fmt.Errorf("notification templates: %w", err)
		}
		at = at.UTC()
		t.UpdatedAt, t.Custom = &at, true
		custom[[2]string{string(t.Kind), t.Locale}] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notification templates: %w", err)
	}
	var out []StoredTemplate
	for _, k := range Kinds() {
		for _, loc := range locale.Supported {
			t, ok := custom[[2]string{string(k), loc}]
			if !ok {
				t = StoredTemplate{Kind: k, Locale: loc, Template: builtin[k][loc]}
			}
			t.Builtin = builtin[k][loc]
			out = append(out, t)
		}
	}
	return out, nil
}

// GetTemplate returns the template in use for kind and locale.
func (s *Service) GetTemplate(ctx context.Context, kind Kind, loc string) (StoredTemplate, error) {
	if err := checkKindLocale(kind, loc); err != nil {
		return StoredTemplate{}, err
	}
	return s.template(ctx, s.db.R, kind, loc)
}

func (s *Service) template(ctx context.Context, q store.Querier, kind Kind, loc string) (StoredTemplate, error) {
	t := StoredTemplate{Kind: kind, Locale: loc, Builtin: builtin[kind][loc]}
	var at time.Time
	err := q.QueryRowContext(ctx, `SELECT subject, body, updated_by, updated_at FROM notification_templates WHERE kind = $1 AND locale = $2`,
		kind, loc).Scan(&t.Subject, &t.Body, &t.UpdatedBy, &at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		t.Template = t.Builtin
		return t, nil
	case err != nil:
		return t, fmt.Errorf("template %s/%s: %w", kind, loc, err)
	}
	at = at.UTC()
	t.Custom, t.UpdatedAt = true, &at
	return t, nil
}

// SaveTemplate validates t (ValidateTemplate) and stores it as the store's
// template for kind and locale; who is the actor.
func (s *Service) SaveTemplate(ctx context.Context, kind Kind, loc string, t Template, who string) (StoredTemplate, error) {
	if err := checkKindLocale(kind, loc); err != nil {
		return StoredTemplate{}, err
	}
	if err := ValidateTemplate(t); err != nil {
		return StoredTemplate{}, err
	}
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO notification_templates (kind, locale, subject, body, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kind, locale) DO UPDATE SET subject = excluded.subject, body = excluded.body,
		updated_by = excluded.updated_by, updated_at = excluded.updated_at`, kind, loc, t.Subject, t.Body, who, s.clock())
	if err != nil {
		return StoredTemplate{}, fmt.Errorf("save template %s/%s: %w", kind, loc, err)
	}
	return s.GetTemplate(ctx, kind, loc)
}

// ResetTemplate removes the store's template for kind and locale: the
// built-in one is used again.
func (s *Service) ResetTemplate(ctx context.Context, kind Kind, loc string) (StoredTemplate, error) {
	if err := checkKindLocale(kind, loc); err != nil {
		return StoredTemplate{}, err
	}
	if _, err := s.db.W.ExecContext(ctx, `DELETE FROM notification_templates WHERE kind = $1 AND locale = $2`, kind, loc); err != nil {
		return StoredTemplate{}, fmt.Errorf("reset template %s/%s: %w", kind, loc, err)
	}
	return s.GetTemplate(ctx, kind, loc)
}

// Preview renders t (the template being edited; nil: the one in use) for
// kind and locale on a real order, as the notification would read now. The
// message is about the order's latest timeline entry of the kind's event,
// when it has one.
func (s *Service) Preview(ctx context.Context, kind Kind, loc string, order int64, t *Template) (Message, error) {
	if err := checkKindLocale(kind, loc); err != nil {
		return Message{}, err
	}
	if t != nil {
		if err := ValidateTemplate(*t); err != nil {
			return Message{}, err
		}
	} else {
		st, err := s.GetTemplate(ctx, kind, loc)
		if err != nil {
			return Message{}, err
		}
		t = &st.Template
	}
	o, err := s.orders.Get(ctx, order)
	if err != nil {
		return Message{}, err
	}
	tl, err := s.orders.Timeline(ctx, order)
	if err != nil {
		return Message{}, err
	}
	ev := previewEvent(kind)
	var entry *entryView
	for i := len(tl) - 1; i >= 0; i-- {
		if "order."+tl[i].Event == string(ev) || (kind == KindDelayed && tl[i].Event == "restock_date_changed") {
			e := tl[i]
			entry = &entryView{Entry: e}
			break
		}
	}
	settings, err := loadSettings(ctx, s.db.R)
	if err != nil {
		return Message{}, err
	}
	zone, err := storesettings.Zone(ctx, s.db.R)
	if err != nil {
		return Message{}, err
	}
	d, err := s.data(ctx, o, kind, nil, entry, loc, zone, settings.Branding)
	if err != nil {
		return Message{}, err
	}
	return render(*t, d, loc, brandOf(settings.Branding))
}

// previewEvent is the event whose timeline entry a preview of kind uses.
func previewEvent(kind Kind) string {
	for e, k := range eventKinds {
		if k == kind && e != "order.at_risk" {
			return string(e)
		}
	}
	return ""
}
