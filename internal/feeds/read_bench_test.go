package feeds

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/feeds/feedfile"
)

// benchRows is the size of the benchmark feed: a million rows, as in
// `orderly bench feed`.
const benchRows = 1_000_000

var benchFeed = sync.OnceValue(func() []byte { return genFeed(benchRows) })

// genFeed writes a supplier CSV of n rows: SKU, name, quantity, cost, lead
// time, restock date (every 10th row), discontinued flag.
func genFeed(n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 64)
	b.WriteString("supplier_sku,name,qty,cost,lead_time,restock_date,discontinued\n")
	for i := range n {
		restock := ""
		if i%10 == 0 {
			restock = "2026-03-15"
		}
		fmt.Fprintf(&b, "SUP-%07d,\"Product %d, blue\",%d,%d.%02d,%d,%s,%s\n", i, i, i%500, 1+i%90, i%100, i%30, restock, []string{"", "no", "yes"}[i%3])
	}
	return b.Bytes()
}

var benchMapping = Mapping{SKU: "supplier_sku", Quantity: "qty", Cost: "cost", LeadTime: "lead_time",
	RestockDate: "restock_date", Discontinued: "discontinued", DefaultCurrency: "EUR"}

// bareCSV reads data with encoding/csv alone: the floor any feed reader is
// measured against.
func bareCSV(data []byte) (int, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.ReuseRecord = true
	n := 0
	for {
		_, err := cr.Read()
		if err == io.EOF {
			return n - 1, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

func fileRecords(data []byte) (int, error) {
	f, err := feedfile.Open(bytes.NewReader(data), feedfile.Options{})
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	for {
		_, err := f.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// readerRows reads data with NewReader (skipping the duplicate check when
// dedupe is false); every 65,536 rows it calls sample, if not nil.
func readerRows(data []byte, dedupe bool, sample func()) (int, error) {
	rd, err := NewReader(bytes.NewReader(data), benchMapping)
	if err != nil {
		return 0, err
	}
	defer rd.Close()
	if !dedupe {
		rd.SkipDuplicateCheck()
	}
	n := 0
	for {
		_, err := rd.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
		if sample != nil && n%(1<<16) == 0 {
			sample()
		}
	}
}

// BenchmarkReadFeed reads the same million-row CSV three ways: bare
// encoding/csv, feedfile (format, encoding, delimiter detection, record
// shape), and the mapped Reader (values parsed, duplicates checked). Each
// reports rows/s and allocations; run with -benchtime=3x.
func BenchmarkReadFeed(b *testing.B) {
	data := benchFeed()
	for _, bb := range []struct {
		name string
		read func([]byte) (int, error)
	}{
		{"encoding-csv", bareCSV},
		{"feedfile", fileRecords},
		{"reader", func(d []byte) (int, error) { return readerRows(d, true, nil) }},
		{"reader-no-duplicate-check", func(d []byte) (int, error) { return readerRows(d, false, nil) }},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				n, err := bb.read(data)
				if err != nil || n != benchRows {
					b.Fatalf("%d rows, %v", n, err)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(benchRows), "rows")
		})
	}
}

// BenchmarkReadFeedRatio measures, in the same run and interleaved (noise
// hits all alike), the mapped Reader's time over bare encoding/csv's on the
// million-row file, with and without the duplicate-SKU check; then, in an
// untimed pass, the heap the Reader holds beyond the file's bytes (its peak,
// sampled every 65,536 rows: the duplicate-SKU index dominates).
func BenchmarkReadFeedRatio(b *testing.B) {
	data := benchFeed()
	var bare, mapped, nodup time.Duration
	timed := func(d *time.Duration, f func() (int, error)) {
		runtime.GC()
		t := time.Now()
		if n, err := f(); err != nil || n != benchRows {
			b.Fatalf("%d rows, %v", n, err)
		}
		*d += time.Since(t)
	}
	for b.Loop() {
		timed(&bare, func() (int, error) { return bareCSV(data) })
		timed(&mapped, func() (int, error) { return readerRows(data, true, nil) })
		timed(&nodup, func() (int, error) { return readerRows(data, false, nil) })
	}
	b.StopTimer()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	if _, err := readerRows(data, true, func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > base.HeapInuse {
			peak = max(peak, ms.HeapInuse-base.HeapInuse)
		}
	}); err != nil {
		b.Fatal(err)
	}
	rows := float64(benchRows) * float64(b.N)
	b.ReportMetric(mapped.Seconds()/bare.Seconds(), "x-encoding-csv")
	b.ReportMetric(nodup.Seconds()/bare.Seconds(), "x-encoding-csv-no-dup-check")
	b.ReportMetric(rows/bare.Seconds(), "bare-rows/s")
	b.ReportMetric(rows/mapped.Seconds(), "reader-rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
