package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeOlistFixture writes a tiny data set shaped like Olist's (the same
// files and columns; the orders file gzip-compressed as in ../shared) and
// returns its directory and Olist's median slack on its delivered orders.
// Two São Paulo sellers hand over in 1 and 3 days; transit takes 2 days
// within SP and 5 to RJ, plus up to a day; the "Olist estimate" is always 15
// days after the purchase day.
func writeOlistFixture(t *testing.T) (dir string, delivered int, olistMedian float64) {
	t.Helper()
	dir = t.TempDir()
	write := func(name, body string, gz bool) {
		path := filepath.Join(dir, name)
		if !gz {
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(body))
		w.Close()
		if err := os.WriteFile(path+".gz", b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("olist_sellers_dataset.csv", `"seller_id","seller_zip_code_prefix","seller_city","seller_state"
"fast","01310",sao paulo,SP
slow,"13023",campinas,SP
`, false)
	rng := rand.New(rand.NewPCG(7, 7))
	var orders, items, customers strings.Builder
	orders.WriteString("order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date\n")
	items.WriteString("order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value\n")
	customers.WriteString("customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state\n")
	brt, _ := time.LoadLocation("America/Sao_Paulo")
	start := time.Date(2017, 3, 1, 9, 0, 0, 0, brt)
	var slack []float64
	const layout = time.DateTime
	for i := range 400 {
		id := fmt.Sprintf("o%03d", i)
		purchased := start.Add(time.Duration(i) * 6 * time.Hour)
		seller, handling := "fast", 1.0
		if i%2 == 1 {
			seller, handling = "slow", 3.0
		}
		state, zip, transit := "SP", "04001", 2.0
		if i%3 == 0 {
			state, zip, transit = "RJ", "20031", 5.0
		}
		transit += rng.Float64()
		shipped := purchased.Add(time.Duration(handling * 24 * float64(time.Hour)))
		got := shipped.Add(time.Duration(transit * 24 * float64(time.Hour)))
		d := purchased.AddDate(0, 0, 15)
		est := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, brt)
		status, gotS, shippedS := "delivered", got.Format(layout), shipped.Format(layout)
		switch {
		case i%50 == 49:
			status, gotS, shippedS = "canceled", "", ""
		case i%97 == 96:
			status, gotS = "shipped", ""
		default:
			delivered++
			slack = append(slack, est.Sub(got).Hours()/24)
		}
		fmt.Fprintf(&orders, "%s,c%s,%s,%s,%s,%s,%s,%s\n", id, id, status, purchased.Format(layout), purchased.Format(layout),
			shippedS, gotS, est.Format(layout))
		fmt.Fprintf(&items, "%s,1,p1,%s,%s,10.0,2.5\n", id, seller, shipped.Format(layout))
		fmt.Fprintf(&customers, "c%s,u%s,%s,city,%s\n", id, id, zip, state)
	}
	write("olist_orders_dataset.csv", orders.String(), true)
	write("olist_order_items_dataset.csv", items.String(), false)
	write("olist_customers_dataset.csv", customers.String(), false)
	slices.Sort(slack)
	n := len(slack)
	olistMedian = (slack[(n-1)/2] + slack[n/2]) / 2
	return dir, delivered, olistMedian
}

type evalJSON struct {
	Orders           int     `json:"orders"`
	OnTime           float64 `json:"on_time"`
	MedianSlack      float64 `json:"median_slack_days"`
	P90Slack         float64 `json:"p90_slack_days"`
	OlistOnTime      float64 `json:"olist_on_time"`
	OlistMedianSlack float64 `json:"olist_median_slack_days"`
	ColdStart        int     `json:"cold_start"`
}

func runEval(t *testing.T, args ...string) evalJSON {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), append([]string{"eval", "promise", "--json"}, args...), &out, &errOut); err != nil {
		t.Fatalf("eval promise: %v\n%s", err, errOut.String())
	}
	var r evalJSON
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("eval promise --json: %v\n%s", err, out.String())
	}
	return r
}

func TestEvalPromiseOnSyntheticOlist(t *testing.T) {
	dir, delivered, olistMedian := writeOlistFixture(t)
	r := runEval(t, "--olist", dir)
	if r.Orders != delivered {
		t.Errorf("orders %d, want the %d delivered ones", r.Orders, delivered)
	}
	if r.OlistOnTime != 1 {
		t.Errorf("olist on time %.3f, want 1 (15 days for at most 9)", r.OlistOnTime)
	}
	if d := r.OlistMedianSlack - olistMedian; d > 0.001 || d < -0.001 {
		t.Errorf("olist median slack %.3f, want %.3f", r.OlistMedianSlack, olistMedian)
	}
	// The first deliveries arrive days after the first purchases: until 20
	// are known, orders get the 30-day fallback.
	if r.ColdStart < 20 || r.ColdStart > 60 {
		t.Errorf("cold start %d, want the first few dozen orders", r.ColdStart)
	}
	// Learned handling and lanes promise far tighter than 15 days while
	// keeping the promise.
	if r.OnTime < 0.93 {
		t.Errorf("on time %.3f, want ≥ 0.93", r.OnTime)
	}
	if r.MedianSlack > olistMedian-5 {
		t.Errorf("median slack %.2f, want at least 5 days under the flat promise's %.2f", r.MedianSlack, olistMedian)
	}

	// The table names both promises.
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"eval", "promise", "--olist", dir, "--quantile", "0.9"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Olist estimate", "calibrated to 95%", "model at q=0.9", fmt.Sprintf("%d delivered orders", delivered)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestEvalPromiseBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"eval"}, "no evaluation given"},
		{[]string{"eval", "routes"}, `unknown evaluation "routes"`},
		{[]string{"eval", "promise"}, "--olist DIR is required"},
		{[]string{"eval", "promise", "--olist", t.TempDir()}, "olist_sellers_dataset.csv"},
		{[]string{"eval", "promise", "--olist", ".", "--quantile", "1.5"}, "between 0 and 1"},
		{[]string{"eval", "promise", "--olist", ".", "--from", "March"}, "want YYYY-MM-DD"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), tc.args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error()+errOut.String(), tc.want) {
			t.Errorf("%v: error %v (stderr %q), want one mentioning %q", tc.args, err, errOut.String(), tc.want)
		}
	}
}

// olistDir is the shared Olist data, next to the repository (never in it:
// the data set is CC BY-NC-SA and must not be copied here).
func olistDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ORDERLY_OLIST_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data", "olist")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("the Olist data is not at %s (set ORDERLY_OLIST_DIR, or see docs/promise.md): %v", dir, err)
	}
	return dir
}

// TestEvalPromiseOnOlist replays the real data and holds the figures in
// docs/promise.md, so that a change making the promise worse fails.
func TestEvalPromiseOnOlist(t *testing.T) {
	dir := olistDir(t)
	r := runEval(t, "--olist", dir)
	t.Logf("%+v", r)
	if r.Orders != 5164 {
		t.Errorf("orders %d, want the 5,164 delivered orders of the shared subset", r.Orders)
	}
	if r.OlistOnTime < 0.933 || r.OlistOnTime > 0.935 || r.OlistMedianSlack < 11.85 || r.OlistMedianSlack > 11.95 {
		t.Errorf("Olist's own promise: %.3f on time, median slack %.2f d; want 0.934 and 11.9 (the data changed?)", r.OlistOnTime, r.OlistMedianSlack)
	}
	// docs/promise.md: 95.2% on time, median slack 13.3 d, p90 31.0 d. The
	// goal of issue 6 (≥ 95% with ≤ 12 d) is met on the rate, not the slack.
	if r.OnTime < 0.950 {
		t.Errorf("on time %.4f, want ≥ 0.950", r.OnTime)
	}
	if r.MedianSlack > 13.4 {
		t.Errorf("median slack %.2f d, want ≤ 13.4", r.MedianSlack)
	}
	if r.P90Slack > 31.5 {
		t.Errorf("p90 slack %.2f d, want ≤ 31.5", r.P90Slack)
	}

	// The orders from March 2018, after the settings were chosen on the
	// earlier ones: 96.3% with 13.6 d (the 150-day calibration without
	// censoring gave 98.6% with 17.4 d there).
	h := runEval(t, "--olist", dir, "--from", "2018-03-01")
	t.Logf("from 2018-03-01: %+v", h)
	if h.OnTime < 0.955 || h.MedianSlack > 14.0 {
		t.Errorf("from 2018-03-01: on time %.4f with median slack %.2f d, want ≥ 0.955 with ≤ 14.0", h.OnTime, h.MedianSlack)
	}
}
