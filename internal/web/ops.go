package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/jobs"
)

// metrics are the server's Prometheus collectors, in a registry of its own so
// that several servers (in tests) do not collide.
type metrics struct {
	registry *prometheus.Registry
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

func (s *Server) newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "orderly_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "orderly_http_requests_in_flight",
			Help: "HTTP requests being answered now.",
		}),
	}
	m.registry.MustRegister(
		m.duration, m.inFlight,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if db := s.cfg.DB; db != nil {
		m.registry.MustRegister(collectors.NewDBStatsCollector(db.W, "write"))
		if db.R != db.W {
			m.registry.MustRegister(collectors.NewDBStatsCollector(db.R, "read"))
		}
		m.registry.MustRegister(&jobsCollector{s: s})
	}
	return m
}

// measure records each request's latency under its route pattern (such as
// "GET /api/v1/products/{id}"), never its raw path, which would give every
// product its own series.
func (s *Server) measure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, route := s.mux.Handler(r)
		if route == "" {
			route = "unmatched"
		}
		start := time.Now()
		s.metrics.inFlight.Inc()
		sw := &statusWriter{ResponseWriter: w}
		returned := false
		defer func() {
			s.metrics.inFlight.Dec()
			code := strconv.Itoa(finalStatus(sw, returned))
			s.metrics.duration.WithLabelValues(route, code).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
		returned = true
	})
}

// jobsCollector reports the job queue's depth by state at scrape time.
type jobsCollector struct{ s *Server }

var jobsDesc = prometheus.NewDesc("orderly_jobs", "Jobs in the queue, by state.", []string{"state"}, nil)

func (c *jobsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- jobsDesc }

func (c *jobsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := jobs.CountByState(ctx, c.s.cfg.DB.R)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(jobsDesc, err)
		return
	}
	// Report the usual states even when empty, so dashboards see zeros.
	for _, st := range []string{"available", "running", "retryable", "scheduled", "pending", "completed", "cancelled", "discarded"} {
		if _, ok := counts[st]; !ok {
			counts[st] = 0
		}
	}
	for st, n := range counts {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n), st)
	}
}

// registerOps registers health, readiness and metrics routes. They are
// public: load balancers and Prometheus call them without credentials.
func (s *Server) registerOps() {
	s.metrics = s.newMetrics()
	s.opsRoute("GET /healthz", http.HandlerFunc(s.healthz))
	s.opsRoute("GET /readyz", http.HandlerFunc(s.readyz))
	s.opsRoute("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{ErrorLog: slogPrinter{s}}))
	s.mux.HandleFunc(apiCatchAll, s.apiNotFound)
}

// apiCatchAll matches every API path no operation claims.
const apiCatchAll = APIPrefix + "/"

// apiNotFound answers API requests that match no operation with a problem
// document, like every other API error: 405 naming the allowed methods when
// the path exists for other methods, 404 otherwise.
func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != apiCatchAll {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeProblem(w, r, http.StatusMethodNotAllowed, apperr.Invalid,
			r.Method+" is not allowed on "+r.URL.Path+"; allowed: "+strings.Join(allow, ", "))
		return
	}
	writeProblem(w, r, http.StatusNotFound, apperr.NotFound, "not found: no API operation at "+r.Method+" "+r.URL.Path)
}

func (s *Server) opsRoute(pattern string, h http.Handler) {
	method, path, _ := cutPattern(pattern)
	s.routes = append(s.routes, Route{Method: method, Path: path, Permission: auth.Public})
	s.mux.Handle(pattern, h)
}

// healthz says the process is alive and serving HTTP; it checks nothing else,
// so a slow database never gets a live process restarted.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says whether this instance should receive traffic: the database
// answers and its schema is at least the version this binary needs (a newer
// schema, migrated by a newer instance during a rolling deploy, is fine).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.cfg.DB.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready: database unreachable", "err", err)
		writeProblem(w, r, http.StatusServiceUnavailable, apperr.Unavailable, "database unreachable")
		return
	}
	current, latest, err := s.cfg.DB.MigrationStatus(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "not ready: migration status unknown", "err", err)
		writeProblem(w, r, http.StatusServiceUnavailable, apperr.Unavailable, "cannot read the schema version")
		return
	}
	if current < latest {
		writeProblem(w, r, http.StatusServiceUnavailable, apperr.Unavailable,
			"database schema is at version "+strconv.FormatInt(current, 10)+", this server needs "+strconv.FormatInt(latest, 10)+": run orderly migrate")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "engine": s.cfg.DB.Engine, "schema_version": current})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// slogPrinter adapts the server's logger for promhttp's error log.
type slogPrinter struct{ s *Server }

func (p slogPrinter) Println(v ...any) { p.s.log.Error("metrics", "err", v) }
