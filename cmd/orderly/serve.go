package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/orderly-oms/orderly/internal/web"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var s settings
	fs := newFlagSet("serve", stderr)
	bindCommon(fs, &s)
	addr := fs.String("addr", envDefault("ORDERLY_ADDR", "127.0.0.1:8080"), "address to listen on (ORDERLY_ADDR)")
	demo := fs.Bool("demo", envBool("ORDERLY_DEMO", false), "load the demo store first if the database is empty (ORDERLY_DEMO)")
	secure := fs.Bool("secure-cookies", envBool("ORDERLY_SECURE_COOKIES", false), "mark session cookies Secure; set when served over TLS (ORDERLY_SECURE_COOKIES)")
	shutdown := fs.Duration("shutdown-timeout", envDuration("ORDERLY_SHUTDOWN_TIMEOUT", 20*time.Second), "how long to drain requests and jobs on SIGTERM (ORDERLY_SHUTDOWN_TIMEOUT)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	_ = demo
	start := time.Now()
	a, err := openApp(ctx, s, stderr, true)
	if err != nil {
		return err
	}
	defer a.close()

	srv, err := web.New(web.Config{DB: a.db, Logger: a.log, Now: a.now, SecureCookies: *secure, Version: version})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: nil}
	a.log.Info("orderly serving", "addr", ln.Addr().String(), "console", "http://"+ln.Addr().String()+"/", "engine", a.db.Engine, "startup", time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "Orderly is running: open http://%s/\n", ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down", "timeout", *shutdown)
	sctx, cancel := context.WithTimeout(context.Background(), *shutdown)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var s settings
	fs := newFlagSet("migrate", stderr)
	bindCommon(fs, &s)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, s, stderr, true)
	if err != nil {
		return err
	}
	defer a.close()
	cur, _, err := a.db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database %s is at schema version %d\n", a.db.Engine, cur)
	return nil
}
