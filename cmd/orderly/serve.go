package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/orderly-oms/orderly/internal/promise/learned"
	"github.com/orderly-oms/orderly/internal/web"
)

// cmdServe runs the HTTP server and the job workers until ctx is cancelled
// (SIGTERM or SIGINT), then shuts down in order: stop accepting connections
// and drain the requests in flight, stop the job workers (letting running
// jobs finish), close the database.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var s settings
	fs := newFlagSet("serve", stderr)
	bindCommon(fs, &s)
	bindWebhooks(fs, &s)
	addr := fs.String("addr", envDefault("ORDERLY_ADDR", "127.0.0.1:8080"), "address to listen on; port 0 picks a free port (ORDERLY_ADDR)")
	demo := fs.Bool("demo", envBool("ORDERLY_DEMO", false), "load the demo store first if the database is empty (ORDERLY_DEMO)")
	secure := fs.Bool("secure-cookies", envBool("ORDERLY_SECURE_COOKIES", false), "mark session cookies Secure; set when served over TLS (ORDERLY_SECURE_COOKIES)")
	shutdown := fs.Duration("shutdown-timeout", envDuration("ORDERLY_SHUTDOWN_TIMEOUT", 20*time.Second), "how long to drain requests, and then jobs, on SIGTERM (ORDERLY_SHUTDOWN_TIMEOUT)")
	maxBody := fs.Int64("max-body-bytes", envInt64("ORDERLY_MAX_BODY_BYTES", 1<<20), "largest request body accepted; larger ones get 413 (ORDERLY_MAX_BODY_BYTES)")
	migrate := fs.Bool("migrate", envBool("ORDERLY_MIGRATE", true), "bring the database schema up to date before serving (ORDERLY_MIGRATE)")
	runJobs := fs.Bool("jobs", envBool("ORDERLY_JOBS", true), "work background jobs in this instance; false serves HTTP only (ORDERLY_JOBS)")
	fs.IntVar(&s.JobWorkers, "job-workers", envInt("ORDERLY_JOB_WORKERS", 10), "jobs worked at once by this instance (ORDERLY_JOB_WORKERS)")
	fs.DurationVar(&s.PruneEvery, "prune-interval", envDuration("ORDERLY_PRUNE_INTERVAL", time.Hour), "period of the job that deletes expired sessions and idempotency keys (ORDERLY_PRUNE_INTERVAL)")
	bindStock(fs, &s)
	bindStorefront(fs, &s)
	bindOutboundWebhooks(fs, &s)
	bindAtRisk(fs, &s)
	bindMail(fs, &s.Mail)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s.Demo = *demo
	if s.AtRiskEvery < time.Second || s.AtRisk.NotSentWithin <= 0 || s.AtRisk.RestockHandlingDays < 0 {
		return usageError{fmt.Sprintf("--at-risk-interval must be at least 1s, --at-risk-not-sent-within positive and --at-risk-restock-handling-days 0 or more, got %s, %s, %d",
			s.AtRiskEvery, s.AtRisk.NotSentWithin, s.AtRisk.RestockHandlingDays)}
	}
	if s.StorefrontSyncEvery < time.Second {
		return usageError{fmt.Sprintf("--storefront-sync-interval must be at least 1s, got %s", s.StorefrontSyncEvery)}
	}
	if *maxBody <= 0 {
		return usageError{fmt.Sprintf("--max-body-bytes must be positive, got %d", *maxBody)}
	}
	start := time.Now()
	a, err := openApp(ctx, s, stderr, *migrate)
	if err != nil {
		return err
	}
	defer a.close()
	if *demo {
		if _, err := loadDemo(ctx, a); err != nil {
			return err
		}
	}

	srv, err := web.New(web.Config{DB: a.db, Logger: a.log, Now: a.now, SecureCookies: *secure, Version: version, MaxBodyBytes: *maxBody, Auth: a.auth,
		Catalog: a.catalog, Suppliers: a.suppliers, Inventory: a.inventory, Customers: a.customers, Orders: a.orders, Pricing: a.pricing,
		Storefront: a.storefront, Feeds: a.feeds, Promise: a.promise, ShopifyWebhookSecret: s.ShopifyWebhookSecret,
		Shipping: a.shipping, TrackingWebhookSecret: s.TrackingWebhookSecret, Purchasing: a.purchasing, Routing: a.routing, Digests: a.digests,
		Webhooks: a.webhooks, Notify: a.notify, Coupons: a.coupons, Restocks: a.restocks})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	// Customer links start with this address until the console's branding
	// gives the public one (docs/notifications.md).
	a.notify.SetBaseURL("http://" + ln.Addr().String())
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// A whole request, body included, must arrive within a minute: a
		// client trickling a body cannot hold a connection forever.
		ReadTimeout: time.Minute,
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	if *runJobs {
		// Not ctx: the workers must outlive the signal until HTTP has drained,
		// because requests in flight may still depend on them.
		if err := a.jobs.Start(context.WithoutCancel(ctx)); err != nil {
			ln.Close()
			return err
		}
	}
	// Each serving process keeps its own copy of the learned delivery times
	// (at start, then daily; the River job may refresh it in between).
	go a.learn.Run(ctx, learned.DefaultRefreshEvery)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	a.log.Info("orderly serving", "addr", ln.Addr().String(), "console", "http://"+ln.Addr().String()+"/", "engine", a.db.Engine,
		"jobs", *runJobs, "email", a.mailWhere, "startup", time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "Orderly is running: open http://%s/\n", ln.Addr())
	if *demo {
		printDemoLogins(stdout, "http://"+ln.Addr().String()+"/")
		if err := printDemoBackorder(ctx, stdout, a, "http://"+ln.Addr().String()); err != nil {
			a.log.Warn("demo: the backordered order's link", "err", err)
		}
	}

	var serveErr error
	select {
	case err := <-errc:
		serveErr = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		a.log.Info("shutting down: draining requests", "timeout", *shutdown)
	}
	sctx, cancel := context.WithTimeout(context.Background(), *shutdown)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		serveErr = errors.Join(serveErr, fmt.Errorf("drain requests: %w", err))
	}
	if *runJobs {
		a.log.Info("shutting down: stopping job workers")
		jctx, cancel := context.WithTimeout(context.Background(), *shutdown)
		defer cancel()
		if err := a.jobs.Stop(jctx); err != nil {
			serveErr = errors.Join(serveErr, err)
		}
	}
	if serveErr == nil {
		a.log.Info("stopped")
	}
	return serveErr
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
