package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/jobs"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/suppliers"
	"github.com/orderly-oms/orderly/internal/web"
)

// Modes of placing an order, in the order a level runs them.
const (
	ModeRaw       = "raw"       // plain SQL with the river_job row (Raw)
	ModeRawNoJob  = "raw-nojob" // plain SQL without it
	ModeInProcess = "inprocess" // orders.Service.Place
	ModeHTTP      = "http"      // POST /api/v1/orders over loopback
)

// ModeRawPrepared is raw with prepared statements (Raw.Prepared): what a
// statement cache would give. Not run unless asked for.
const ModeRawPrepared = "raw-prepared"

// AllModes are the modes run by default, in run order.
var AllModes = []string{ModeRaw, ModeRawNoJob, ModeInProcess, ModeHTTP}

// KnownModes are every mode.
var KnownModes = append(slices.Clone(AllModes), ModeRawPrepared)

// Config is one bench run.
type Config struct {
	// DSN chooses the engine: a postgres:// DSN runs on a fresh schema in
	// that database; anything else on a fresh SQLite file.
	DSN      string
	MaxConns int // PostgreSQL pool size (default 20, as serve)
	// Orders is the number of orders per mode and concurrency level.
	Orders      int
	Concurrency []int
	SKUs        int
	Lines       int
	// Modes to run (default AllModes).
	Modes []string
	// Seed makes the generated orders reproducible.
	Seed uint64
	// Progress receives a line per step (may be nil).
	Progress io.Writer
	// Rounds splits each level's orders into rounds that interleave the
	// modes (default 3).
	Rounds int
	// Measure, if set, is called around each measured batch (one mode, one
	// concurrency, one round), e.g. to start and stop a CPU profile.
	Measure func(mode string, concurrency, round int) (stop func())
}

// Stats is one mode at one concurrency.
type Stats struct {
	Mode       string  `json:"mode"`
	Orders     int     `json:"orders"`
	Errors     int     `json:"errors"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"per_s"`
	P50ms      float64 `json:"p50_ms"`
	P99ms      float64 `json:"p99_ms"`
	MaxMs      float64 `json:"max_ms"`
	FirstError string  `json:"first_error,omitempty"`
}

// Level is the result of one concurrency level.
type Level struct {
	Concurrency int `json:"concurrency"`
	// The HTTP figures, and the ratios of HTTP and in-process throughput to
	// the raw ceiling (with its river_job row).
	OrdersPerS     float64          `json:"orders_per_s"`
	P50ms          float64          `json:"p50_ms"`
	P99ms          float64          `json:"p99_ms"`
	RawPerS        float64          `json:"raw_per_s"`
	RawNoJobPerS   float64          `json:"raw_nojob_per_s"`
	InProcessPerS  float64          `json:"inprocess_per_s"`
	RatioHTTP      float64          `json:"ratio_http"`
	RatioInProcess float64          `json:"ratio_inprocess"`
	Modes          map[string]Stats `json:"modes"`
}

// Report is the outcome of a run. Its top-level figures are those of the
// level with the highest HTTP throughput (named by Concurrency).
type Report struct {
	Engine         string  `json:"engine"`
	Store          string  `json:"store"`
	SKUs           int     `json:"skus"`
	LinesPerOrder  int     `json:"lines_per_order"`
	OrdersPerLevel int     `json:"orders_per_level"`
	SeedSeconds    float64 `json:"seed_seconds"`
	GOMAXPROCS     int     `json:"gomaxprocs"`
	NumCPU         int     `json:"num_cpu"`
	GoVersion      string  `json:"go_version"`
	Concurrency    int     `json:"concurrency"`
	OrdersPerS     float64 `json:"orders_per_s"`
	P50ms          float64 `json:"p50_ms"`
	P99ms          float64 `json:"p99_ms"`
	RawPerS        float64 `json:"raw_per_s"`
	InProcessPerS  float64 `json:"inprocess_per_s"`
	RatioHTTP      float64 `json:"ratio_http"`
	RatioInProcess float64 `json:"ratio_inprocess"`
	Levels         []Level `json:"levels"`
}

// Services are the application services a bench (or a test) wires over a
// database, as cmd/orderly does, with an insert-only job queue: the bench
// measures intake, not the workers (like serve --jobs=false).
type Services struct {
	Auth      *auth.Service
	Catalog   *catalog.Service
	Suppliers *suppliers.Service
	Inventory *inventory.Service
	Customers *customers.Service
	Orders    *orders.Service
}

// Wire builds the services over db.
func Wire(db *store.DB, log *slog.Logger) (*Services, error) {
	q, err := jobs.New(db, jobs.Config{InsertOnly: true, Logger: log})
	if err != nil {
		return nil, err
	}
	s := &Services{
		Auth:      auth.NewService(db, time.Now),
		Catalog:   catalog.NewService(db, time.Now),
		Suppliers: suppliers.NewService(db, time.Now),
		Inventory: inventory.New(db, time.Now, inventory.Options{}),
		Customers: customers.NewService(db, time.Now),
	}
	s.Orders, err = orders.New(db, s.Inventory, s.Customers, q, time.Now, orders.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Run builds a fresh store, seeds it and measures every mode at every
// concurrency level. The store is removed afterwards.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Orders <= 0 {
		cfg.Orders = 2000
	}
	if len(cfg.Concurrency) == 0 {
		cfg.Concurrency = []int{1, 8, 32}
	}
	if cfg.SKUs <= 0 {
		cfg.SKUs = 100_000
	}
	if cfg.Lines <= 0 {
		cfg.Lines = 3
	}
	if len(cfg.Modes) == 0 {
		cfg.Modes = AllModes
	}
	if cfg.Rounds <= 0 {
		cfg.Rounds = 3
	}
	cfg.Rounds = min(cfg.Rounds, cfg.Orders)
	for _, m := range cfg.Modes {
		if !slices.Contains(KnownModes, m) {
			return nil, fmt.Errorf("unknown mode %q: want some of %v", m, KnownModes)
		}
	}
	for _, c := range cfg.Concurrency {
		if c < 1 {
			return nil, fmt.Errorf("concurrency must be at least 1, got %d", c)
		}
	}
	say := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format+"\n", args...)
		}
	}
	fresh, err := NewFresh(ctx, cfg.DSN, store.Options{MaxOpenConns: cfg.MaxConns})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := fresh.Close(); err != nil {
			say("removing the bench store: %v", err)
		}
	}()
	db := fresh.DB
	rep := &Report{Engine: string(db.Engine), Store: fresh.Where, SKUs: cfg.SKUs, LinesPerOrder: cfg.Lines,
		OrdersPerLevel: cfg.Orders, GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), GoVersion: runtime.Version()}
	say("bench store: %s %s; seeding %d SKUs", db.Engine, fresh.Where, cfg.SKUs)
	start := time.Now()
	cat, err := Seed(ctx, db, SeedOptions{SKUs: cfg.SKUs})
	if err != nil {
		return nil, err
	}
	rep.SeedSeconds = time.Since(start).Seconds()
	say("seeded in %s", time.Since(start).Round(time.Millisecond))

	// Request logs are formatted as serve formats them (JSON), then dropped.
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	svc, err := Wire(db, log)
	if err != nil {
		return nil, err
	}
	sys := auth.WithPrincipal(ctx, auth.System("bench"))
	secret, tok, err := svc.Auth.CreateToken(sys, auth.NewToken{Name: "bench", Role: auth.Admin})
	if err != nil {
		return nil, err
	}
	// In-process calls run as the token, as the HTTP path does.
	asToken := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindToken, ID: tok.ID, Name: tok.Name, Role: tok.Role})

	var client *http.Client
	var baseURL string
	if slices.Contains(cfg.Modes, ModeHTTP) {
		srv, err := web.New(web.Config{DB: db, Logger: log, Version: "bench", Auth: svc.Auth, Catalog: svc.Catalog,
			Suppliers: svc.Suppliers, Inventory: svc.Inventory, Customers: svc.Customers, Orders: svc.Orders})
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(ln)
		defer hs.Close()
		baseURL = "http://" + ln.Addr().String()
		maxC := slices.Max(cfg.Concurrency)
		client = &http.Client{Transport: &http.Transport{MaxIdleConns: maxC, MaxIdleConnsPerHost: maxC, IdleConnTimeout: time.Minute},
			Timeout: time.Minute}
		defer client.CloseIdleConnections()
	}

	raw := &Raw{DB: db}
	rawNoJob := &Raw{DB: db, WithoutJob: true}
	rawPrepared := &Raw{DB: db, Prepared: true}
	places := map[string]func(ctx context.Context, o *Order) error{
		ModeRaw:         raw.Place,
		ModeRawNoJob:    rawNoJob.Place,
		ModeRawPrepared: rawPrepared.Place,
		ModeInProcess: func(_ context.Context, o *Order) error {
			p, err := svc.Orders.Place(asToken, o.Input())
			if err == nil && !p.Created {
				err = fmt.Errorf("order %s: not created", o.ExternalID)
			}
			return err
		},
		ModeHTTP: func(ctx context.Context, o *Order) error {
			return postOrder(ctx, client, baseURL, secret, o.JSON())
		},
	}

	for li, c := range cfg.Concurrency {
		lv := Level{Concurrency: c, Modes: map[string]Stats{}}
		samples := map[string]*sample{}
		// Every mode places the same orders (same SKUs and customers), under
		// its own external ids, after a short unmeasured warm-up. The orders
		// are split into rounds and the modes interleaved round by round, so
		// a burst of other work on the machine, or the tables growing, does
		// not fall on one mode only.
		seed := cfg.Seed + uint64(li)*1000
		for mi, mode := range cfg.Modes {
			warm := Generate(cat, max(2*c, min(50, cfg.Orders/10)), cfg.Lines, seed+uint64(mi)+500, fmt.Sprintf("%s-c%d-warm", mode, c))
			if sm := runPool(ctx, c, warm, places[mode]); sm.errors > 0 {
				return nil, fmt.Errorf("%s at concurrency %d (warm-up): %d errors, first: %v", mode, c, sm.errors, sm.firstErr)
			}
			samples[mode] = &sample{}
		}
		for r := range cfg.Rounds {
			lo, hi := r*cfg.Orders/cfg.Rounds, (r+1)*cfg.Orders/cfg.Rounds
			for _, mode := range cfg.Modes {
				batch := Generate(cat, cfg.Orders, cfg.Lines, seed, fmt.Sprintf("%s-c%d", mode, c))[lo:hi]
				var stop func()
				if cfg.Measure != nil {
					stop = cfg.Measure(mode, c, r)
				}
				sm := runPool(ctx, c, batch, places[mode])
				if stop != nil {
					stop()
				}
				if sm.errors > 0 {
					return nil, fmt.Errorf("%s at concurrency %d: %d of %d orders failed, first: %v", mode, c, sm.errors, len(batch), sm.firstErr)
				}
				samples[mode].add(sm)
			}
		}
		for _, mode := range cfg.Modes {
			st := samples[mode].stats()
			st.Mode = mode
			lv.Modes[mode] = st
			say("concurrency %3d  %-12s  %8.1f orders/s  p50 %6.2f ms  p99 %7.2f ms", c, mode, st.PerSecond, st.P50ms, st.P99ms)
		}
		h, r := lv.Modes[ModeHTTP], lv.Modes[ModeRaw]
		lv.OrdersPerS, lv.P50ms, lv.P99ms = h.PerSecond, h.P50ms, h.P99ms
		lv.RawPerS, lv.RawNoJobPerS, lv.InProcessPerS = r.PerSecond, lv.Modes[ModeRawNoJob].PerSecond, lv.Modes[ModeInProcess].PerSecond
		if r.PerSecond > 0 {
			lv.RatioHTTP = h.PerSecond / r.PerSecond
			lv.RatioInProcess = lv.InProcessPerS / r.PerSecond
		}
		rep.Levels = append(rep.Levels, lv)
	}
	best := rep.Levels[0]
	for _, lv := range rep.Levels {
		if lv.OrdersPerS > best.OrdersPerS {
			best = lv
		}
	}
	rep.Concurrency, rep.OrdersPerS, rep.P50ms, rep.P99ms = best.Concurrency, best.OrdersPerS, best.P50ms, best.P99ms
	rep.RawPerS, rep.InProcessPerS, rep.RatioHTTP, rep.RatioInProcess = best.RawPerS, best.InProcessPerS, best.RatioHTTP, best.RatioInProcess
	return rep, nil
}

// postOrder sends one order and reads the whole answer (so the connection
// is reused); anything but 201 Created is an error.
func postOrder(ctx context.Context, client *http.Client, base, token string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+web.APIPrefix+"/orders", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusCreated {
		if len(b) > 300 {
			b = b[:300]
		}
		return fmt.Errorf("POST /api/v1/orders: %d %s", res.StatusCode, b)
	}
	return nil
}

// sample is what runPool measured: every latency and the wall time.
type sample struct {
	lat      []time.Duration
	elapsed  time.Duration
	errors   int
	firstErr error
}

func (s *sample) add(o sample) {
	s.lat = append(s.lat, o.lat...)
	s.elapsed += o.elapsed
	s.errors += o.errors
	if s.firstErr == nil {
		s.firstErr = o.firstErr
	}
}

// stats computes throughput (orders over the summed wall time of the
// rounds) and latency percentiles. Latencies are kept whole and sorted:
// exact percentiles for a few thousand samples cost nothing.
func (s *sample) stats() Stats {
	all := slices.Clone(s.lat)
	slices.Sort(all)
	st := Stats{Orders: len(all), Errors: s.errors, Seconds: s.elapsed.Seconds()}
	if s.firstErr != nil {
		st.FirstError = s.firstErr.Error()
	}
	if len(all) > 0 && s.elapsed > 0 {
		st.PerSecond = float64(len(all)-st.Errors) / s.elapsed.Seconds()
		st.P50ms = ms(percentile(all, 50))
		st.P99ms = ms(percentile(all, 99))
		st.MaxMs = ms(all[len(all)-1])
	}
	return st
}

// runPool places the batch with c workers.
func runPool(ctx context.Context, c int, batch []Order, place func(context.Context, *Order) error) sample {
	var next atomic.Int64
	var errs atomic.Int64
	var firstErr error
	var mu sync.Mutex
	lat := make([][]time.Duration, c)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(batch) || ctx.Err() != nil {
					return
				}
				t := time.Now()
				err := place(ctx, &batch[i])
				lat[w] = append(lat[w], time.Since(t))
				if err != nil {
					errs.Add(1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	sm := sample{lat: slices.Concat(lat...), elapsed: time.Since(start), errors: int(errs.Load()), firstErr: firstErr}
	if ctx.Err() != nil && sm.firstErr == nil {
		sm.firstErr = ctx.Err()
		sm.errors++
	}
	return sm
}

// percentile returns the p-th percentile of sorted (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
