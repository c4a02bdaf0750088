package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

// TestBenchFeedJSON runs "orderly bench feed --json" on a small file and
// checks the JSON carries the figures the issue names.
func TestBenchFeedJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a small benchmark; skipped with -short")
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"bench", "feed", "--rows", "400", "--json", "--quiet"}, &out, &errOut); err != nil {
		t.Fatalf("bench feed: %v\n%s", err, errOut.String())
	}
	var rep map[string]any
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
	}
	for _, k := range []string{"rows", "first_s", "changed_s", "parse_s", "ratio_changed", "peak_rss_mb", "raw_s", "floor_s", "ratio_floor"} {
		if v, ok := rep[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", k, rep[k])
		}
	}
	if rep["rows"] != 400.0 || rep["changed_rows"] != 20.0 || rep["first_status"] != "applied" || rep["changed_status"] != "applied" {
		t.Errorf("report %v", rep)
	}
	if err := run(context.Background(), []string{"bench", "feed", "--rows", "10"}, &out, &errOut); err == nil {
		t.Error("--rows 10 accepted")
	}
}
