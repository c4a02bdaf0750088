package storesettings

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestTimeZone(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
		s := New(db, func() time.Time { return now })

		got, err := s.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got.TimeZone != "UTC" || got.Location() != time.UTC {
			t.Fatalf("a new store is on %q (%v), want UTC", got.TimeZone, got.Location())
		}

		got, err = s.Set(ctx, Input{TimeZone: " America/Sao_Paulo "}, "user:ana")
		if err != nil {
			t.Fatal(err)
		}
		if got.TimeZone != "America/Sao_Paulo" || got.UpdatedBy != "user:ana" || !got.UpdatedAt.Equal(now) {
			t.Fatalf("saved %+v", got)
		}
		z, err := Zone(ctx, db.R)
		if err != nil {
			t.Fatal(err)
		}
		if z.String() != "America/Sao_Paulo" {
			t.Fatalf("Zone = %v, want America/Sao_Paulo", z)
		}

		for _, bad := range []string{"", "Local", "America/Sao Paulo", "Mars/Olympus_Mons", "../etc/passwd", "BRT"} {
			_, err := s.Set(ctx, Input{TimeZone: bad}, "user:ana")
			var e *apperr.Error
			if !errors.As(err, &e) || e.Code != apperr.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != "time_zone" {
				t.Fatalf("Set(%q) = %v, want an invalid time_zone field error", bad, err)
			}
			if !strings.Contains(e.Fields[0].Message, "IANA time zone name") {
				t.Errorf("Set(%q): message %q does not say what is wanted", bad, e.Fields[0].Message)
			}
		}
		if got, err := s.Get(ctx); err != nil || got.TimeZone != "America/Sao_Paulo" {
			t.Fatalf("after refused changes the zone is %q (%v), want America/Sao_Paulo", got.TimeZone, err)
		}
	})
}
