package main

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/inventory"
)

func TestLowStockThresholdSetting(t *testing.T) {
	tests := []struct {
		name    string
		env     string // ORDERLY_LOW_STOCK_THRESHOLD; "" leaves it unset
		args    []string
		want    int
		wantErr string
	}{
		{name: "default", want: inventory.DefaultLowStockThreshold},
		{name: "flag", args: []string{"--low-stock-threshold", "12"}, want: 12},
		{name: "variable", env: "20", want: 20},
		{name: "flag wins over variable", env: "20", args: []string{"--low-stock-threshold=3"}, want: 3},
		{name: "zero means none left", args: []string{"--low-stock-threshold", "0"}, want: 0},
		{name: "zero from the variable", env: "0", want: 0},
		{name: "negative", args: []string{"--low-stock-threshold", "-1"}, wantErr: "must be 0 or more, got -1"},
		{name: "malformed variable", env: "ten", wantErr: "ORDERLY_LOW_STOCK_THRESHOLD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv("ORDERLY_LOW_STOCK_THRESHOLD", tt.env)
			}
			var s settings
			fs := newFlagSet("serve", io.Discard)
			bindCommon(fs, &s)
			bindStock(fs, &s)
			err := parseFlags(fs, tt.args)
			var opts inventory.Options
			if err == nil {
				opts, err = inventoryOptions(s)
			}
			if tt.wantErr != "" {
				var ue usageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want a usage error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := inventory.New(nil, nil, opts).LowStockThreshold(); got != tt.want {
				t.Errorf("threshold %d, want %d", got, tt.want)
			}
		})
	}

	// Commands that do not bind the flag keep the inventory default.
	opts, err := inventoryOptions(settings{})
	if err != nil || inventory.New(nil, nil, opts).LowStockThreshold() != inventory.DefaultLowStockThreshold {
		t.Errorf("without the flag: %+v, %v; want the default", opts, err)
	}

	// serve refuses a negative threshold before it opens anything.
	t.Setenv("ORDERLY_DB", filepath.Join(t.TempDir(), "orderly.db"))
	err = run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--low-stock-threshold", "-5"}, io.Discard, io.Discard)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "-5") {
		t.Errorf("serve --low-stock-threshold -5: %v, want a usage error", err)
	}
}
