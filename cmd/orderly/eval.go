package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orderly-oms/orderly/internal/promise/olist"
)

const evalUsage = `usage:
  orderly eval promise --olist DIR [--json] [--quantile 0.9 --quantile 0.95] [--target 0.95]
                       [--from 2018-01-01] [--to 2018-07-01] [--in-flight] [--undelivered 0.054]

Replays the delivered orders of the Olist data set (the CSV files, or their
.csv.gz, in DIR) in purchase-time order. Before each order the estimator
learns every delivery completed before the purchase, and nothing else; it
then promises a calendar day in the customer's state, compared with the
actual delivery day and, side by side, with Olist's own estimated date for
the same order. See docs/promise.md.
`

// quantiles is a repeatable --quantile flag.
type quantiles []float64

func (q *quantiles) String() string {
	var s []string
	for _, v := range *q {
		s = append(s, strconv.FormatFloat(v, 'g', -1, 64))
	}
	return strings.Join(s, ",")
}

func (q *quantiles) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || f <= 0 || f >= 1 {
			return fmt.Errorf("quantile %q: want a number between 0 and 1", part)
		}
		*q = append(*q, f)
	}
	return nil
}

// cmdEval runs an evaluation; "promise" is the only one.
func cmdEval(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "promise" {
		fmt.Fprint(stderr, evalUsage)
		if len(args) == 0 {
			return usageError{"eval: no evaluation given"}
		}
		if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			return nil
		}
		return usageError{fmt.Sprintf("eval: unknown evaluation %q", args[0])}
	}
	fs := newFlagSet("eval promise", stderr)
	dir := fs.String("olist", "", "directory holding the Olist CSV files (olist_orders_dataset.csv[.gz], …)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the table")
	target := fs.Float64("target", 0.95, "on-time rate the calibrated promise aims at")
	from := fs.String("from", "", "judge only orders purchased on or after this date (YYYY-MM-DD, Brasília time); earlier ones are still learned from")
	to := fs.String("to", "", "judge only orders purchased before this date (YYYY-MM-DD)")
	inFlight := fs.Bool("in-flight", false, "also let the model know, daily, the orders still on their way (a stand-in beyond the time elapsed); off, it learns from completed deliveries only")
	undelivered := fs.Float64("undelivered", 0, "weight in the calibration of the orders that never arrived (shipped, invoiced, processing; not cancelled), counted as on their way from their purchase on; 0 leaves them out (the shared subset holds all of them but 5.4% of the delivered ones: 0.054 weighs them back)")
	var levels quantiles
	fs.Var(&levels, "quantile", "also report the model at this fixed quantile level, uncalibrated, and the per-lane baseline at it (repeatable, or comma-separated)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *dir == "" {
		return usageError{"eval promise: --olist DIR is required"}
	}
	if *target <= 0 || *target >= 1 {
		return usageError{"eval promise: --target must be between 0 and 1"}
	}
	opt := olist.DefaultOptions()
	opt.Target = *target
	opt.Levels = levels
	opt.InFlight = *inFlight
	if *undelivered < 0 {
		return usageError{"eval promise: --undelivered must not be negative"}
	}
	opt.Undelivered = *undelivered
	for _, d := range []struct {
		flag string
		s    string
		t    *time.Time
	}{{"--from", *from, &opt.From}, {"--to", *to, &opt.To}} {
		if d.s == "" {
			continue
		}
		t, err := time.ParseInLocation(time.DateOnly, d.s, olist.Brasilia)
		if err != nil {
			return usageError{fmt.Sprintf("eval promise: %s %q: want YYYY-MM-DD", d.flag, d.s)}
		}
		*d.t = t
	}

	start := time.Now()
	data, err := olist.Load(*dir)
	if err != nil {
		return err
	}
	loaded := time.Since(start)
	res, err := olist.Evaluate(data, opt)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)

	if *asJSON {
		out := struct {
			Orders           int             `json:"orders"`
			OnTime           float64         `json:"on_time"`
			MedianSlack      float64         `json:"median_slack_days"`
			P90Slack         float64         `json:"p90_slack_days"`
			LateMean         float64         `json:"late_mean_days"`
			OlistOnTime      float64         `json:"olist_on_time"`
			OlistMedianSlack float64         `json:"olist_median_slack_days"`
			OlistP90Slack    float64         `json:"olist_p90_slack_days"`
			OlistLateMean    float64         `json:"olist_late_mean_days"`
			ColdStart        int             `json:"cold_start"`
			MeanLevel        float64         `json:"mean_level"`
			Target           float64         `json:"target"`
			Model            olist.Metrics   `json:"model"`
			Olist            olist.Metrics   `json:"olist"`
			Fixed            []olist.Metrics `json:"fixed,omitempty"`
			Naive            []olist.Metrics `json:"naive,omitempty"`
			LoadSeconds      float64         `json:"load_seconds"`
			Seconds          float64         `json:"seconds"`
		}{
			Orders: res.Orders, OnTime: res.Model.OnTime, MedianSlack: res.Model.MedianSlack, P90Slack: res.Model.P90Slack,
			LateMean: res.Model.LateMeanDays, OlistOnTime: res.Olist.OnTime, OlistMedianSlack: res.Olist.MedianSlack,
			OlistP90Slack: res.Olist.P90Slack, OlistLateMean: res.Olist.LateMeanDays, ColdStart: res.ColdStart,
			MeanLevel: res.MeanLevel, Target: opt.Target, Model: res.Model, Olist: res.Olist, Fixed: res.Fixed, Naive: res.Naive,
			LoadSeconds: loaded.Seconds(), Seconds: elapsed.Seconds(),
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(stdout, "%d delivered orders judged (%d promised the %g-day fallback for want of history), %d deliveries learned\n\n",
		res.Orders, res.ColdStart, opt.FallbackDays, res.Trained)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "promise\ton time\tmedian slack\tp10 slack\tp90 slack\tlate\tlate by (mean)\tlate by (median)\t")
	rows := append([]olist.Metrics{res.Model, res.Olist}, res.Fixed...)
	rows = append(rows, res.Naive...)
	for _, m := range rows {
		fmt.Fprintf(tw, "%s\t%.1f%%\t%.1f d\t%.1f d\t%.1f d\t%d\t%.1f d\t%.0f d\t\n", m.Name, m.OnTime*100,
			m.MedianSlack, m.P10Slack, m.P90Slack, m.Late, m.LateMeanDays, m.LateMedianDays)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nmean calibrated quantile level %.3f; loaded in %s, replayed in %s\n",
		res.MeanLevel, loaded.Round(time.Millisecond), (elapsed - loaded).Round(time.Millisecond))
	return nil
}
