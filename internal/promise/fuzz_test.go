package promise_test

import (
	"testing"

	"github.com/orderly-oms/orderly/internal/promise"
)

// FuzzParseWeekdays: any input is read or refused without panicking, and a
// set read back from its own String is the same set.
func FuzzParseWeekdays(f *testing.F) {
	for _, s := range []string{"mon-fri", "sun-thu", "Sat, sun", "fri-mon", "", "mon-", "-", "mon,,tue"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := promise.ParseWeekdays(s)
		if err != nil {
			return
		}
		if w == 0 {
			t.Fatalf("%q read as the empty set", s)
		}
		again, err := promise.ParseWeekdays(w.String())
		if err != nil || again != w {
			t.Fatalf("%q → %s → %s, %v", s, w, again, err)
		}
	})
}

// FuzzParseClockAndDate: times of day and dates are read or refused without
// panicking and print back as read.
func FuzzParseClockAndDate(f *testing.F) {
	for _, s := range []string{"14:00", "00:00", "23:59", "24:00", "2026-02-29", "2028-02-29", "2026-13-01", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := promise.ParseClock(s); err == nil {
			if c < 0 || c >= 24*60 {
				t.Fatalf("%q read as %d minutes", s, c)
			}
			if again, err := promise.ParseClock(c.String()); err != nil || again != c {
				t.Fatalf("%q → %s → %v, %v", s, c, again, err)
			}
		}
		if d, err := promise.ParseDate(s); err == nil {
			if again, err := promise.ParseDate(d.String()); err != nil || again != d {
				t.Fatalf("%q → %s → %v, %v", s, d, again, err)
			}
		}
	})
}
