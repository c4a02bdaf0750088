package promise_test

import (
	"slices"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/promise"
)

// BenchmarkPromise promises a three-line cart with two candidate suppliers
// per line into a remote Brazilian postal code, from a fresh order time each
// call (so cutoffs, holidays and DST are walked every time). Besides ns/op it
// reports the 99th percentile of single calls (p99-ns), timed one by one;
// the target is under 2 ms.
func BenchmarkPromise(b *testing.B) {
	e, sup := network(b, nil)
	lines := []promise.Line{
		{SKU: "A", Quantity: 1, Candidates: []*promise.SupplierCalendar{sup["cn"], sup["br"]}},
		{SKU: "B", Quantity: 2, Candidates: []*promise.SupplierCalendar{sup["br"], sup["cn"]}},
		{SKU: "C", Quantity: 1, Candidates: []*promise.SupplierCalendar{sup["it"], sup["cn"]}},
	}
	start := instant("2026-12-01T07:00:00Z")
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// A different minute of a different day each call, over two years.
		now := start.Add(time.Duration(i%(2*365*24)) * 37 * time.Minute)
		t0 := time.Now()
		if _, err := e.Promise(promise.Request{Now: now, Country: "BR", PostalCode: "69005-000", Lines: lines}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	}
}
