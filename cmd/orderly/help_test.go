package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// Asking for help is not an error: the usage is printed and the exit status
// is 0, without "flag: help requested".
func TestHelpExitsZero(t *testing.T) {
	tests := []struct {
		args []string
		want string // in stdout or stderr
	}{
		{[]string{"-h"}, "commands:"},
		{[]string{"--help"}, "commands:"},
		{[]string{"help"}, "commands:"},
		{[]string{"serve", "-h"}, "-addr"},
		{[]string{"serve", "--help"}, "-shutdown-timeout"},
		{[]string{"migrate", "-h"}, "-db"},
		{[]string{"token", "create", "-h"}, "-role"},
		{[]string{"token", "list", "-help"}, "-db"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if err != nil {
				t.Fatalf("run(%q) = %v, want nil", tt.args, err)
			}
			out := stdout.String() + stderr.String()
			if !strings.Contains(out, tt.want) {
				t.Errorf("run(%q) printed %q, want the usage (with %q)", tt.args, out, tt.want)
			}
			if strings.Contains(out, "help requested") {
				t.Errorf("run(%q) printed %q", tt.args, out)
			}
		})
	}

	// The same through the binary: exit status 0.
	bin := orderlyBinary(t)
	for _, args := range [][]string{{"-h"}, {"serve", "-h"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("orderly %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if strings.Contains(string(out), "help requested") {
			t.Errorf("orderly %s printed %q", strings.Join(args, " "), out)
		}
	}
	// A bad flag still fails with status 2.
	err := exec.Command(bin, "serve", "--no-such-flag").Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Errorf("orderly serve --no-such-flag: %v, want exit status 2", err)
	}
}
