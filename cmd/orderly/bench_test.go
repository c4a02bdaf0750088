package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

// TestBenchIntakeJSON runs "orderly bench intake --json" on a tiny catalog
// and checks the JSON carries the figures scripts read.
func TestBenchIntakeJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a small benchmark; skipped with -short")
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"bench", "intake", "--orders", "10", "--skus", "50", "--concurrency", "1,2",
		"--modes", "raw,inprocess,http", "--rounds", "1", "--json", "--quiet"}, &out, &errOut)
	if err != nil {
		t.Fatalf("bench intake: %v\n%s", err, errOut.String())
	}
	var rep map[string]any
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
	}
	for _, k := range []string{"orders_per_s", "p50_ms", "p99_ms", "raw_per_s", "ratio_http", "ratio_inprocess"} {
		if v, ok := rep[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", k, rep[k])
		}
	}
	if levels, _ := rep["levels"].([]any); len(levels) != 2 {
		t.Errorf("%d levels, want 2 (concurrency 1 and 2)", len(levels))
	}
	errOut.Reset()
	if err := run(context.Background(), []string{"bench", "intake", "--concurrency", "0"}, &out, &errOut); err == nil {
		t.Error("--concurrency 0 accepted")
	}
}
