package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestTokenCommand(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t, engine)
			runCmd := func(args ...string) (string, error) {
				var out, errOut bytes.Buffer
				err := run(ctx, append(args, "--db", dsn, "--log-format", "text", "--log-level", "error"), &out, &errOut)
				return out.String(), err
			}
			// create prints only the token, so scripts can capture it.
			out, err := runCmd("token", "create", "--role", "admin", "--name", "ci")
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`^oy_[A-Za-z0-9_-]{43}\n$`).MatchString(out) {
				t.Fatalf("token create printed %q", out)
			}
			secret := strings.TrimSpace(out)

			db, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			svc := auth.NewService(db, nil)
			p, err := svc.AuthenticateToken(ctx, secret)
			if err != nil || p.Role != auth.Admin || p.Name != "ci" {
				t.Fatalf("created token authenticates as %+v, %v", p, err)
			}
			entries, _ := svc.ListAudit(ctx, auth.AuditFilter{Event: auth.EventTokenCreated})
			if len(entries) != 1 || entries[0].Actor != "system:cli" {
				t.Fatalf("audit %+v", entries)
			}

			out, err = runCmd("token", "list")
			if err != nil || !strings.Contains(out, "ci") || !strings.Contains(out, "active") || strings.Contains(out, secret) {
				t.Fatalf("token list: %v\n%s", err, out)
			}
			if out, err = runCmd("token", "revoke", "1"); err != nil || !strings.Contains(out, "revoked token 1") {
				t.Fatalf("token revoke: %v %s", err, out)
			}
			if _, err := svc.AuthenticateToken(ctx, secret); err == nil {
				t.Fatal("revoked token still authenticates")
			}

			for _, args := range [][]string{
				{"token", "create", "--name", "x"},
				{"token", "create", "--role", "boss", "--name", "x"},
				{"token", "revoke", "abc"},
				{"token", "revoke", "99"},
				{"token", "frobnicate"},
			} {
				if _, err := runCmd(args...); err == nil {
					t.Errorf("%v succeeded", args)
				}
			}
		})
	}
}
