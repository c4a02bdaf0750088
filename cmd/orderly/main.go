// Command orderly is Orderly's single binary: the server and its tools.
//
//	orderly serve [--demo]     run the HTTP server (migrates first)
//	orderly migrate            bring the database schema up to date
//	orderly token create ...   create an API token
//	orderly import orders FILE import orders from a CSV file
//	orderly bench intake       measure order intake on a fresh store
//	orderly eval promise ...   judge delivery promises on the Olist orders
//	orderly version            print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal starts a graceful shutdown, restore the
		// default behaviour: a second Ctrl-C or SIGTERM ends the process at once.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "orderly:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "orderly:", err)
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage: orderly <command> [flags]

commands:
  serve     run the HTTP server (add --demo to load the demo store into an empty database)
  migrate   bring the database schema up to date
  token     manage API tokens (token create --role ROLE --name NAME)
  import    import orders from a CSV file (import orders FILE [--dry-run])
  bench     measure order intake (bench intake [--db DSN] [--orders N] [--concurrency 1,8,32] [--json])
  eval      judge delivery promises on past orders (eval promise --olist DIR [--json])
  version   print the version

Run "orderly <command> -h" for the flags of a command. Every flag can also be
set with an ORDERLY_* environment variable (see README.md).`

// run runs the command args names. "-h" on a command prints its flags and
// is not a failure: run returns nil for it, so the exit status is 0.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := runCommand(ctx, args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return usageError{"no command given"}
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, args[1:], stdout, stderr)
	case "token":
		return cmdToken(ctx, args[1:], stdout, stderr)
	case "import":
		return cmdImport(ctx, args[1:], stdout, stderr)
	case "bench":
		return cmdBench(ctx, args[1:], stdout, stderr)
	case "eval":
		return cmdEval(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "orderly", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}
