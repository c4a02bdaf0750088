package coupons_test

import (
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/coupons"
)

// TestExpiresAtEndOfLocalDay: a coupon valid 90 days ends at the end of the
// 90th day after its day of issue in the store's zone. Issued at 02:00 UTC
// on 28 Nov 2026, it was 27 Nov in São Paulo: its last day is 25 Feb 2027
// there, ending at 02:59:59.999999 UTC on 26 Feb. On UTC the same coupon
// ends at the end of 26 Feb UTC.
func TestExpiresAtEndOfLocalDay(t *testing.T) {
	sp, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	issued := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		zone *time.Location
		want time.Time
		day  string
	}{
		{sp, time.Date(2027, 2, 26, 2, 59, 59, 999999000, time.UTC), "2027-02-25"},
		{time.UTC, time.Date(2027, 2, 26, 23, 59, 59, 999999000, time.UTC), "2027-02-26"},
	} {
		got := coupons.ExpiresAt(issued, 90, c.zone)
		if !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("%s: ExpiresAt = %s, want %s (UTC)", c.zone, got, c.want)
		}
		if d := got.In(c.zone).Format(time.DateOnly); d != c.day {
			t.Errorf("%s: last day %s, want %s", c.zone, d, c.day)
		}
		if next := got.Add(time.Microsecond).In(c.zone).Format(time.DateOnly); next == c.day {
			t.Errorf("%s: the coupon expires before its last day ends", c.zone)
		}
	}
}
