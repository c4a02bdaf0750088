package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
)

const tokenUsage = `usage:
  orderly token create --role ROLE --name NAME [--expires DURATION]   print a new API token
  orderly token create --supplier ID --name NAME                     print a supplier token (supplier endpoints only)
  orderly token list                                                 list tokens
  orderly token revoke ID                                            revoke a token

Roles: owner, admin, operations, support, finance, read_only.
"create" prints only the token on stdout, so scripts can capture it:
  export ORDERLY_TOKEN=$(orderly token create --role admin --name ci)`

// cmdToken manages API tokens on the database named by --db / ORDERLY_DB.
// Changes are made, and audited, as the system actor "cli".
func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, tokenUsage)
		return usageError{"token: no subcommand given"}
	}
	var s settings
	fs := newFlagSet("token "+args[0], stderr)
	bindCommon(fs, &s)
	ctx = auth.WithPrincipal(ctx, auth.System("cli"))
	switch args[0] {
	case "create":
		role := fs.String("role", "", "role of the token: owner, admin, operations, support, finance, read_only")
		supplier := fs.Int64("supplier", 0, "make a supplier token for this supplier id: it works on the supplier endpoints only (the feed push)")
		name := fs.String("name", "", "what the token is for")
		expires := fs.Duration("expires", 0, "lifetime, e.g. 720h; 0 for no expiry")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if (*role == "" && *supplier == 0) || *name == "" {
			return usageError{"token create: --name and --role (or --supplier) are required"}
		}
		a, err := openApp(ctx, s, stderr, true)
		if err != nil {
			return err
		}
		defer a.close()
		in := auth.NewToken{Name: *name, Role: auth.Role(*role), SupplierID: *supplier}
		if *expires > 0 {
			t := a.now().Add(*expires)
			in.ExpiresAt = &t
		}
		secret, _, err := a.auth.CreateToken(ctx, in)
		if err != nil {
			return fmt.Errorf("token create: %w", err)
		}
		fmt.Fprintln(stdout, secret)
		return nil
	case "list":
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		a, err := openApp(ctx, s, stderr, true)
		if err != nil {
			return err
		}
		defer a.close()
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tLAST USED\tSTATUS")
		var after int64
		for {
			page, err := a.auth.ListTokens(ctx, after, 500)
			if err != nil {
				return err
			}
			for _, t := range page {
				role := string(t.Role)
				if t.SupplierID != nil {
					role = fmt.Sprintf("supplier %d", *t.SupplierID)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, role, t.CreatedAt.Format(time.RFC3339), fmtTime(t.LastUsedAt), tokenStatus(t, a.now()))
				after = t.ID
			}
			if len(page) < 500 {
				break
			}
		}
		return tw.Flush()
	case "revoke":
		if len(args) < 2 {
			return usageError{"token revoke: give the token ID"}
		}
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil || id <= 0 {
			return usageError{fmt.Sprintf("token revoke: %q is not a token ID", args[1])}
		}
		if err := parseFlags(fs, args[2:]); err != nil {
			return err
		}
		a, err := openApp(ctx, s, stderr, true)
		if err != nil {
			return err
		}
		defer a.close()
		t, err := a.auth.RevokeToken(ctx, id)
		if err != nil {
			return fmt.Errorf("token revoke: %w", err)
		}
		fmt.Fprintf(stdout, "revoked token %d (%s)\n", t.ID, t.Name)
		return nil
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, tokenUsage)
		return nil
	}
	fmt.Fprintln(stderr, tokenUsage)
	return usageError{fmt.Sprintf("token: unknown subcommand %q", args[0])}
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func tokenStatus(t auth.Token, now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked " + t.RevokedAt.Format(time.RFC3339)
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return "expired " + t.ExpiresAt.Format(time.RFC3339)
	case t.ExpiresAt != nil:
		return "active until " + t.ExpiresAt.Format(time.RFC3339)
	}
	return "active"
}
