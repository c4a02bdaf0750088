package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/coupons"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/digests"
	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/notify"
	"github.com/orderly-oms/orderly/internal/orderlinks"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/pricing"
	"github.com/orderly-oms/orderly/internal/promise/calendars"
	"github.com/orderly-oms/orderly/internal/promise/learned"
	"github.com/orderly-oms/orderly/internal/purchasing"
	"github.com/orderly-oms/orderly/internal/restocks"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/shipping"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/storefront"
	"github.com/orderly-oms/orderly/internal/suppliers"
	"github.com/orderly-oms/orderly/internal/webhooks"
)

// app holds what every command wires together: the logger, the database and
// the domain services. close releases them in reverse order.
type app struct {
	log *slog.Logger
	db  *store.DB
	now func() time.Time
	// jobs enqueues background jobs (InsertTx in business transactions);
	// serve also starts its workers.
	jobs *jobs.Queue
	// auth manages users, API tokens, sessions and the audit log.
	auth *auth.Service
	// catalog and suppliers own products/variants and suppliers/offers.
	catalog   *catalog.Service
	suppliers *suppliers.Service
	// inventory owns stock positions, buffers, reservations and ATS.
	inventory *inventory.Service
	// customers and orders own customers and the order lifecycle; events
	// holds the subscribers of order events (notifications, routing).
	customers *customers.Service
	orders    *orders.Service
	events    *orders.Subscribers
	// storefront manages the storefronts ATS and prices are published to;
	// its drain and dispatch jobs publish them.
	storefront *storefront.Service
	// pricing keeps prices at their rules' margins (repricing jobs).
	pricing *pricing.Service
	// feeds applies supplier feed files (runs, guards, unlinked SKUs).
	feeds *feeds.Service
	// digests sends each supplier its daily summary; mailWhere says where
	// outgoing email goes (SMTP, a directory, or nowhere).
	digests   *digests.Service
	mailWhere string
	// promise answers delivery promises; learn rebuilds the handling and
	// transit times it learned from delivered orders (in this process).
	promise *calendars.Service
	learn   *learned.Refresher
	// purchasing keeps purchase orders to suppliers: sends them, takes the
	// answers, flags overdue lines (docs/purchasing.md).
	purchasing *purchasing.Service
	// shipping records shipments and carrier tracking events (docs/shipping.md).
	shipping *shipping.Service
	// routing routes ready orders to suppliers and re-routes rejected and
	// timed-out units (docs/routing.md).
	routing *routing.Router
	// restocks asks the suppliers of backordered SKUs with no known restock
	// date when they come back (docs/out-of-stock.md).
	restocks *restocks.Service
	// coupons issues the apology coupons of cancellations the customer did
	// not cause (by the store's policy) and pushes them to the storefronts
	// (docs/coupons-refunds.md).
	coupons *coupons.Service
	// webhooks sends order events to integrators' URLs, signed, with
	// retries (docs/webhooks.md).
	webhooks *webhooks.Service
	// mail is the one way out for email (notifications, purchase orders,
	// digests): the SMTP server stored in the console, else the --smtp-*
	// flags or --mail-dir. notify tells customers about their orders
	// (docs/notifications.md).
	mail   *notify.Transport
	notify *notify.Service
}

func newLogger(s settings, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s.LogLevel)); err != nil {
		return nil, usageError{fmt.Sprintf("log level %q: want debug, info, warn or error", s.LogLevel)}
	}
	opts := &slog.HandlerOptions{Level: level}
	format := strings.ToLower(s.LogFormat)
	if format == "auto" || format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			format = "text"
		}
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("log format %q: want text, json or auto", s.LogFormat)}
}

// openApp opens the database and, when migrate is set, brings its schema up
// to date.
func openApp(ctx context.Context, s settings, logOut io.Writer, migrate bool) (*app, error) {
	return openAppAt(ctx, s, logOut, migrate, time.Now)
}

// openAppAt is openApp with the services' clock (tests move it).
func openAppAt(ctx context.Context, s settings, logOut io.Writer, migrate bool, now func() time.Time) (*app, error) {
	log, err := newLogger(s, logOut)
	if err != nil {
		return nil, err
	}
	invOpts, err := inventoryOptions(s)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, s.DB, store.Options{SQLiteSynchronous: s.SQLiteSynchronous, MaxOpenConns: s.DBMaxConns})
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := db.Migrate(ctx, log); err != nil {
			db.Close()
			return nil, err
		}
	}
	a := &app{log: log, db: db, now: now, events: &orders.Subscribers{}}
	// The order workers need the order service, which needs the queue: they
	// are registered first and bound to the service once it exists.
	workers := river.NewWorkers()
	release := &orders.PreorderReleaseWorker{}
	river.AddWorker(workers, &orders.EventWorker{Subscribers: a.events})
	river.AddWorker(workers, release)
	// Open orders are checked against their promise (issue 6, docs/promise.md).
	atRisk := &orders.AtRiskWorker{Options: s.AtRisk}
	river.AddWorker(workers, atRisk)
	atRiskEvery := s.AtRiskEvery
	if atRiskEvery <= 0 {
		atRiskEvery = defaultAtRiskEvery
	}
	// Suppliers whose feed went stale (or fresh) are flipped every minute.
	staleness := &inventory.StalenessWorker{Logger: log}
	river.AddWorker(workers, staleness)
	pricingWorkers := pricing.AddWorkers(workers)
	dispatch := &storefront.DispatchWorker{}
	river.AddWorker(workers, dispatch)
	sender := storefront.NewSender(db, storefront.Options{Now: a.now, Logger: log})
	river.AddWorker(workers, &storefront.DrainWorker{Sender: sender})
	// Supplier feeds pulled from a URL: due sources are looked for every minute.
	pullWorkers := feeds.AddPullWorkers(workers)
	// Old feed runs and their row errors are pruned daily.
	pruneFeeds := &feeds.PruneWorker{Logger: log}
	river.AddWorker(workers, pruneFeeds)
	// Purchase orders are sent, and answer deadlines checked, every minute.
	poSend, poOverdue := &purchasing.SendWorker{}, &purchasing.OverdueWorker{}
	river.AddWorker(workers, poSend)
	river.AddWorker(workers, poOverdue)
	// Each supplier's daily digest goes out from 07:00 its time (hourly check).
	digestWorker := &digests.Worker{}
	river.AddWorker(workers, digestWorker)
	// Restock questions no longer needed are closed every 15 minutes.
	closeQuestions := &restocks.CloseSettledWorker{}
	river.AddWorker(workers, closeQuestions)
	// Backorders whose customer has not accepted the wait by the store's
	// deadline are cancelled (checked every minute); each apology coupon is
	// pushed to the storefronts by its own job.
	consent := &orders.ConsentWorker{}
	river.AddWorker(workers, consent)
	couponPush := &coupons.PushWorker{}
	river.AddWorker(workers, couponPush)
	// Each customer notification is sent by its own job (retried with backoff).
	notifySend := &notify.SendWorker{}
	river.AddWorker(workers, notifySend)
	// Each outbound webhook delivery is made by its own job (retries snooze it).
	webhookDeliver := &webhooks.DeliverWorker{}
	river.AddWorker(workers, webhookDeliver)
	// Finished webhook deliveries are pruned from the log daily.
	webhookPrune := &webhooks.PruneWorker{}
	river.AddWorker(workers, webhookPrune)
	syncEvery := s.StorefrontSyncEvery
	if syncEvery <= 0 {
		syncEvery = defaultStorefrontSync
	}
	a.jobs, err = jobs.New(db, jobs.Config{Logger: log, Now: a.now, MaxWorkers: s.JobWorkers, PruneEvery: s.PruneEvery,
		Workers: workers, PeriodicJobs: []*river.PeriodicJob{orders.PreorderReleaseJob(time.Minute), storefront.DispatchJob(syncEvery),
			inventory.StalenessJob(time.Minute), feeds.PullDispatchJob(time.Minute), feeds.PruneJob(24 * time.Hour),
			orders.AtRiskJob(atRiskEvery), purchasing.SendJob(time.Minute), purchasing.OverdueJob(time.Minute),
			digests.Job(time.Hour), restocks.CloseSettledJob(15 * time.Minute),
			orders.ConsentJob(time.Minute), webhooks.PruneJob(24 * time.Hour)}})
	if err != nil {
		db.Close()
		return nil, err
	}
	a.auth = auth.NewService(db, a.now)
	a.catalog = catalog.NewService(db, a.now)
	a.suppliers = suppliers.NewService(db, a.now)
	a.inventory = inventory.New(db, a.now, invOpts)
	staleness.Inventory = a.inventory
	a.customers = customers.NewService(db, a.now)
	// Each new order is given the delivery promise (docs/promise.md).
	a.promise = calendars.New(db, a.now, calendars.Options{})
	a.orders, err = orders.New(db, a.inventory, a.customers, a.jobs, a.now,
		orders.Options{ShortOrders: orders.ShortPolicy(s.ShortOrders), Logger: log, Promiser: a.promise})
	if err != nil {
		db.Close()
		return nil, usageError{err.Error()}
	}
	release.Orders = a.orders
	consent.Orders = a.orders
	// A cancellation the customer did not cause earns the apology coupon,
	// issued in the cancelling transaction.
	a.coupons = coupons.New(db, a.now, a.jobs)
	couponPush.Pusher = coupons.NewPusher(a.coupons, sender, log)
	a.orders.SetApology(a.coupons.ApologyCode)
	atRisk.Orders = a.orders
	if a.pricing, err = pricing.New(db, a.suppliers, a.jobs, a.now, pricing.Options{Logger: log}); err != nil {
		db.Close()
		return nil, err
	}
	pricingWorkers.Bind(a.pricing)
	a.storefront = storefront.New(db, a.now, a.jobs)
	dispatch.Service = a.storefront
	if a.feeds, err = feeds.New(db, a.inventory, a.suppliers, a.orders, a.jobs, a.now,
		feeds.Options{Logger: log, PullAllowPrivate: s.FeedPullAllowPrivate}); err != nil {
		db.Close()
		return nil, err
	}
	pullWorkers.Bind(a.feeds)
	pruneFeeds.Feeds = a.feeds
	// Email (purchase orders, digests) goes through SMTP, into a directory,
	// or nowhere (mail.go); the router re-routes rejected and timed-out
	// units (SetRerouter).
	m, where, err := newMailer(s.Mail, s.Demo)
	if err != nil {
		db.Close()
		return nil, err
	}
	a.mailWhere = where
	a.mail = notify.NewTransport(db, m, s.Mail.From)
	a.purchasing = purchasing.New(db, a.now, purchasing.Options{Timeline: a.orders, Logger: log, Mailer: a.mail})
	a.digests = digests.New(db, a.mail, a.now, digests.Options{Logger: log})
	digestWorker.Digests = a.digests
	poSend.Purchasing, poOverdue.Purchasing = a.purchasing, a.purchasing
	a.shipping = shipping.New(db, a.purchasing, a.orders, a.now, shipping.Options{Logger: log})
	// Orders are routed when they become ready and when waiting units get
	// stock (order event jobs); purchasing hands rejected units back.
	a.routing = routing.NewRouter(db, routing.NewService(db, a.now), a.orders, a.inventory, a.purchasing, a.promise, a.now)
	a.purchasing.SetRerouter(a.routing)
	// An order ready when placed emits only order.placed; Route does nothing
	// for an order on hold, waiting for stock or already routed.
	a.events.Subscribe(orders.EventPlaced, a.routing.OnEvent)
	a.events.Subscribe(orders.EventReady, a.routing.OnEvent)
	a.events.Subscribe(orders.EventAllocated, a.routing.OnEvent)
	// Lines just routed are on a PO that may be due at once (a supplier that
	// batches "immediate"): send it now rather than at the send job's next
	// minute. SendDue claims each PO, so this and the job never send one twice.
	a.events.Subscribe(orders.EventSent, func(ctx context.Context, _ orders.EventArgs) error {
		_, err := a.purchasing.SendDue(ctx)
		return err
	})
	// Customers hear about their orders: a notification per event they
	// should know of, made once however often the event job runs.
	// Each message links to the customer's order page, signed (orderlinks).
	a.notify = notify.New(db, a.orders, a.jobs, a.mail, a.now, notify.Options{Logger: log, LinkPath: orderlinks.Path,
		Links:   func(ctx context.Context) (notify.Linker, error) { return orderlinks.Load(ctx, db) },
		Coupons: a.couponViews})
	notifySend.Notify = a.notify
	for _, e := range notify.Events() {
		a.events.Subscribe(e, a.notify.OnEvent)
	}
	// Integrators hear of every order event they subscribed to: one delivery
	// per event and subscription, however often the event job runs.
	a.webhooks = webhooks.New(db, a.orders, a.jobs, a.now, webhooks.Options{Logger: log, AllowPrivate: s.WebhooksAllowPrivate})
	webhookDeliver.Webhooks, webhookPrune.Webhooks = a.webhooks, a.webhooks
	for _, e := range webhooks.Events {
		a.events.Subscribe(e, a.webhooks.OnEvent)
	}
	// Backordered units with no known restock date: their suppliers are
	// asked for one; an answer tells the waiting orders (order.restock_expected).
	a.restocks = restocks.New(db, a.inventory, a.orders, a.now, restocks.Options{Logger: log})
	closeQuestions.Restocks = a.restocks
	a.events.Subscribe(orders.EventBackordered, a.restocks.OnBackordered)
	a.learn = &learned.Refresher{DB: db, Now: a.now, Target: a.promise, Logger: log}
	return a, nil
}

func (a *app) close() error {
	return a.db.Close()
}

// inventoryOptions turns the stock settings into inventory.Options.
func inventoryOptions(s settings) (inventory.Options, error) {
	var o inventory.Options
	if t := s.LowStockThreshold; t != nil {
		switch {
		case *t < 0:
			return o, usageError{fmt.Sprintf("--low-stock-threshold (ORDERLY_LOW_STOCK_THRESHOLD) must be 0 or more, got %d", *t)}
		case *t == 0:
			o.LowStockThreshold = -1 // inventory reads 0 as "the default" and a negative value as 0
		default:
			o.LowStockThreshold = *t
		}
	}
	return o, nil
}

// couponViews are the order's apology coupons as notifications show them
// (value and expiry).
func (a *app) couponViews(ctx context.Context, order int64) ([]notify.CouponView, error) {
	cs, err := a.coupons.ForOrder(ctx, order)
	if err != nil {
		return nil, err
	}
	out := make([]notify.CouponView, 0, len(cs))
	for _, c := range cs {
		out = append(out, notify.CouponView{Code: c.Code, Percent: c.Percent, Amount: c.Amount, ExpiresAt: c.ExpiresAt})
	}
	return out, nil
}
