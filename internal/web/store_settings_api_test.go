package web_test

import (
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestStoreSettingsAPI: GET /settings/store gives UTC until a zone is set;
// PUT refuses a name that is not an IANA zone with a time_zone field error
// (and keeps the zone), sets a valid one, and is for settings:write only.
func TestStoreSettingsAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		owner := newAPIClient(t, db, auth.Owner)
		support := newAPIClient(t, db, auth.Support)
		if r := support.must(200, "GET", "/settings/store", ""); r.str("time_zone") != "UTC" {
			t.Errorf("default %s", r.raw)
		}
		for _, bad := range []string{`""`, `"Local"`, `"America/Atlantis"`, `"../../etc/passwd"`} {
			r := owner.must(422, "PUT", "/settings/store", `{"time_zone":`+bad+`}`)
			if r.str("errors.0.field") != "time_zone" || r.str("errors.0.message") == "" {
				t.Errorf("PUT %s: %s, want a time_zone field error", bad, r.raw)
			}
		}
		support.must(403, "PUT", "/settings/store", `{"time_zone":"Europe/Rome"}`)
		if r := owner.must(200, "GET", "/settings/store", ""); r.str("time_zone") != "UTC" {
			t.Errorf("after refused changes %s", r.raw)
		}
		r := owner.must(200, "PUT", "/settings/store", `{"time_zone":"America/Sao_Paulo"}`)
		if r.str("time_zone") != "America/Sao_Paulo" || r.str("updated_by") == "" {
			t.Errorf("set %s", r.raw)
		}
		if r := support.must(200, "GET", "/settings/store", ""); r.str("time_zone") != "America/Sao_Paulo" {
			t.Errorf("read back %s", r.raw)
		}
	})
}
