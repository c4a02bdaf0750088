package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/locale"
	"github.com/orderly-oms/orderly/internal/storesettings"
)

// registerStoreSettings registers the store-wide settings (the store's time
// zone; internal/storesettings): GET/PUT /settings/store in the API and the
// console page /console/settings/store. Reading them takes orders:read, as
// the backorder deadline's; changing them takes settings:write.
func (s *Server) registerStoreSettings() {
	tags := []string{"Settings"}
	operation(s, huma.Operation{OperationID: "get-store-settings", Method: http.MethodGet, Path: "/settings/store",
		Summary: "The store-wide settings", Tags: tags,
		Description: "`time_zone` is the store's IANA time zone (UTC until set): customers read dates and times in it, in " +
			"notifications and on their order page, with the zone named next to a time of day. Instants stay UTC in the API."},
		auth.OrdersRead, s.getStoreSettings)
	operation(s, huma.Operation{OperationID: "set-store-settings", Method: http.MethodPut, Path: "/settings/store",
		Summary: "Set the store-wide settings", Tags: tags,
		Description: "`time_zone` must be an IANA time zone name such as `America/Sao_Paulo`, `Europe/Rome` or `UTC` " +
			"(422 with a `time_zone` field error otherwise). It changes how dates are shown from now on: notifications " +
			"already rendered keep their text."},
		auth.SettingsWrite, s.setStoreSettings)
	s.page("GET /console/settings/store", auth.OrdersRead, s.consoleStoreSettings)
	s.page("POST /console/settings/store", auth.SettingsWrite, s.consoleStoreSettingsSave)
}

func (s *Server) storeSettings() *storesettings.Service { return storesettings.New(s.cfg.DB, s.now) }

// StoreSettings is storesettings.Settings under its API name.
type StoreSettings storesettings.Settings

type storeSettingsOutput struct{ Body StoreSettings }

func (s *Server) getStoreSettings(ctx context.Context, _ *struct{}) (*storeSettingsOutput, error) {
	st, err := s.storeSettings().Get(ctx)
	if err != nil {
		return nil, err
	}
	return &storeSettingsOutput{Body: StoreSettings(st)}, nil
}

type setStoreSettingsInput struct {
	Body struct {
		TimeZone string `json:"time_zone" maxLength:"100" example:"America/Sao_Paulo" doc:"IANA time zone name"`
	}
}

func (s *Server) setStoreSettings(ctx context.Context, in *setStoreSettingsInput) (*storeSettingsOutput, error) {
	st, err := s.storeSettings().Set(ctx, storesettings.Input{TimeZone: in.Body.TimeZone}, auth.FromContext(ctx).Actor())
	if err != nil {
		return nil, err
	}
	return &storeSettingsOutput{Body: StoreSettings(st)}, nil
}

// commonZones are offered as suggestions on the console page; any IANA name
// is accepted.
var commonZones = []string{"UTC", "America/Sao_Paulo", "America/Manaus", "America/Fortaleza", "Europe/Lisbon", "Europe/Rome",
	"Europe/London", "Europe/Madrid", "Europe/Berlin", "America/New_York", "America/Chicago", "America/Los_Angeles", "Asia/Shanghai"}

type storeSettingsView struct {
	Settings storesettings.Settings
	TimeZone string // the form's value
	Now      string // the time now in the stored zone, as customers read it
	Zones    []string
	Error    string
}

func (s *Server) storeSettingsView(ctx context.Context) (*storeSettingsView, error) {
	st, err := s.storeSettings().Get(ctx)
	if err != nil {
		return nil, err
	}
	return &storeSettingsView{Settings: st, TimeZone: st.TimeZone, Zones: commonZones,
		Now: locale.DateTimeZone(s.now().In(st.Location()), locale.English)}, nil
}

func (s *Server) consoleStoreSettings(w http.ResponseWriter, r *http.Request) {
	v, err := s.storeSettingsView(r.Context())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	flash := ""
	if r.URL.Query().Get("done") == "store-settings-saved" {
		flash = "Store settings saved: customers read dates and times in " + v.Settings.TimeZone + "."
	}
	s.render(w, r, http.StatusOK, "store_settings.html", view{Title: "Store", Active: "store-settings", Flash: flash, Data: v})
}

func (s *Server) consoleStoreSettingsSave(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.consoleError(w, r, apperr.New(apperr.Invalid, "the form could not be read: %v", err))
		return
	}
	in := strings.TrimSpace(r.PostForm.Get("time_zone"))
	_, err := s.storeSettings().Set(r.Context(), storesettings.Input{TimeZone: in}, auth.FromContext(r.Context()).Actor())
	if err != nil {
		if !apperr.Is(err, apperr.Invalid) {
			s.consoleError(w, r, err)
			return
		}
		v, verr := s.storeSettingsView(r.Context())
		if verr != nil {
			s.consoleError(w, r, verr)
			return
		}
		v.TimeZone, v.Error = in, errMessage(err)
		if f := fieldErrors(err)["time_zone"]; f != "" {
			v.Error = f
		}
		s.render(w, r, http.StatusUnprocessableEntity, "store_settings.html", view{Title: "Store", Active: "store-settings", Data: v})
		return
	}
	seeOther(w, r, "/console/settings/store", "store-settings-saved")
}
