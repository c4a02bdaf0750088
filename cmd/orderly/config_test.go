package main

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

func TestMalformedEnvironmentIsRefused(t *testing.T) {
	tests := []struct{ env, value string }{
		{"ORDERLY_JOB_WORKERS", "ten"},
		{"ORDERLY_SHUTDOWN_TIMEOUT", "20"},
		{"ORDERLY_JOBS", "maybe"},
		{"ORDERLY_MAX_BODY_BYTES", "1MB"},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv(tt.env, tt.value)
			t.Setenv("ORDERLY_DB", filepath.Join(t.TempDir(), "orderly.db"))
			err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0"}, io.Discard, io.Discard)
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.env) {
				t.Fatalf("serve with %s=%q: %v, want a usage error naming the variable", tt.env, tt.value, err)
			}
		})
	}
}

func TestFlagOverridesEnvironment(t *testing.T) {
	t.Setenv("ORDERLY_MAX_BODY_BYTES", "-5")
	t.Setenv("ORDERLY_DB", filepath.Join(t.TempDir(), "orderly.db"))
	// The variable is valid as a number but not as a limit; the flag wins
	// over it, so the error names the flag's value.
	err := run(context.Background(), []string{"serve", "--max-body-bytes", "-7"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-7") {
		t.Fatalf("got %v, want the flag's value -7 refused", err)
	}
}
