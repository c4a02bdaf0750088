// Package olist reads the Olist Brazilian e-commerce data set (orders, items,
// sellers, customers) and replays it to judge
// delivery promises: see Evaluate.
//
// The data set is CC BY-NC-SA 4.0 (Olist). It is read from a directory given
// at run time and is never copied into this repository.
package olist

import (
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // the state zones, on hosts without a zone database
)

// Order is one Olist order joined with its sellers and its customer.
// Times are Brazil local wall-clock times as the data set gives them (no
// zone); the zero time marks a missing value.
type Order struct {
	ID            string
	Status        string
	Purchased     time.Time
	Carrier       time.Time // order_delivered_carrier_date
	Delivered     time.Time // order_delivered_customer_date
	Estimated     time.Time // order_estimated_delivery_date (always 00:00)
	Sellers       []Seller  // distinct sellers of the order's items, in item order
	CustomerZip   string    // 5-digit prefix
	CustomerState string
}

// Seller is a seller and where it ships from.
type Seller struct {
	ID    string
	Zip   string // 5-digit prefix
	State string
}

// Data is what Load read.
type Data struct {
	Orders []Order // in purchase-time order
}

// Files Load reads; each may also be gzip-compressed with a .gz suffix.
const (
	OrdersFile    = "olist_orders_dataset.csv"
	ItemsFile     = "olist_order_items_dataset.csv"
	SellersFile   = "olist_sellers_dataset.csv"
	CustomersFile = "olist_customers_dataset.csv"
)

// Load reads the Olist files in dir. (Distances from the geolocation file
// were tried as a lane level and did not help: see docs/promise.md.)
func Load(dir string) (*Data, error) {
	sellers := map[string]Seller{}
	if err := readCSV(dir, SellersFile, []string{"seller_id", "seller_zip_code_prefix", "seller_state"}, func(r []string) error {
		sellers[r[0]] = Seller{ID: r[0], Zip: r[1], State: r[2]}
		return nil
	}); err != nil {
		return nil, err
	}
	type cust struct{ zip, state string }
	customers := map[string]cust{}
	if err := readCSV(dir, CustomersFile, []string{"customer_id", "customer_zip_code_prefix", "customer_state"}, func(r []string) error {
		customers[r[0]] = cust{r[1], r[2]}
		return nil
	}); err != nil {
		return nil, err
	}
	orderSellers := map[string][]Seller{}
	if err := readCSV(dir, ItemsFile, []string{"order_id", "seller_id"}, func(r []string) error {
		s, ok := sellers[r[1]]
		if !ok {
			return fmt.Errorf("seller %q is not in %s", r[1], SellersFile)
		}
		for _, have := range orderSellers[r[0]] {
			if have.ID == s.ID {
				return nil
			}
		}
		orderSellers[r[0]] = append(orderSellers[r[0]], s)
		return nil
	}); err != nil {
		return nil, err
	}
	var d Data
	cols := []string{"order_id", "customer_id", "order_status", "order_purchase_timestamp",
		"order_delivered_carrier_date", "order_delivered_customer_date", "order_estimated_delivery_date"}
	if err := readCSV(dir, OrdersFile, cols, func(r []string) error {
		o := Order{ID: r[0], Status: r[2], Sellers: orderSellers[r[0]]}
		c, ok := customers[r[1]]
		if !ok {
			return fmt.Errorf("order %s: customer %q is not in %s", r[0], r[1], CustomersFile)
		}
		o.CustomerZip, o.CustomerState = c.zip, c.state
		for i, dst := range []*time.Time{&o.Purchased, &o.Carrier, &o.Delivered, &o.Estimated} {
			t, err := parseTime(r[3+i])
			if err != nil {
				return fmt.Errorf("order %s: %s: %w", r[0], cols[3+i], err)
			}
			*dst = t
		}
		if o.Purchased.IsZero() {
			return fmt.Errorf("order %s: no purchase time", r[0])
		}
		d.Orders = append(d.Orders, o)
		return nil
	}); err != nil {
		return nil, err
	}
	sort.SliceStable(d.Orders, func(i, j int) bool { return d.Orders[i].Purchased.Before(d.Orders[j].Purchased) })

	return &d, nil
}

// parseTime reads "2006-01-02 15:04:05"; an empty field is the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.ParseInLocation(time.DateTime, s, Brasilia)
}

// Brasilia is the zone of the data set's timestamps.
var Brasilia = mustZone("America/Sao_Paulo")

// zones gives each Brazilian state's time zone (the most populous one where
// a state has two).
var zones = map[string]*time.Location{}

func init() {
	for state, name := range map[string]string{
		"AC": "America/Rio_Branco", "AM": "America/Manaus", "RR": "America/Boa_Vista", "RO": "America/Porto_Velho",
		"MT": "America/Cuiaba", "MS": "America/Campo_Grande", "PA": "America/Belem", "AP": "America/Belem",
		"TO": "America/Araguaina", "MA": "America/Fortaleza", "PI": "America/Fortaleza", "CE": "America/Fortaleza",
		"RN": "America/Fortaleza", "PB": "America/Fortaleza", "PE": "America/Recife", "AL": "America/Maceio",
		"SE": "America/Maceio", "BA": "America/Bahia",
	} {
		zones[state] = mustZone(name)
	}
}

// Zone returns the time zone of a Brazilian state (Brasília time for the
// south-east, south, Goiás and the Federal District, and unknown states).
func Zone(state string) *time.Location {
	if z, ok := zones[state]; ok {
		return z
	}
	return Brasilia
}

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("olist: time zone %s: %v (import time/tzdata)", name, err))
	}
	return z
}

// readCSV calls fn with the named columns of each row of dir/name (or
// dir/name.gz). A missing file is an error wrapping os.ErrNotExist.
func readCSV(dir, name string, cols []string, fn func([]string) error) error {
	path := filepath.Join(dir, name)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		path += ".gz"
		f, err = os.Open(path)
	}
	if err != nil {
		return fmt.Errorf("olist: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("olist: %s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("olist: %s: header: %w", path, err)
	}
	idx := make([]int, len(cols))
	for i, c := range cols {
		idx[i] = -1
		for j, h := range head {
			if strings.TrimPrefix(h, "\ufeff") == c {
				idx[i] = j
			}
		}
		if idx[i] < 0 {
			return fmt.Errorf("olist: %s: no column %q", path, c)
		}
	}
	row := make([]string, len(cols))
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("olist: %s: %w", path, err)
		}
		for i, j := range idx {
			row[i] = rec[j]
		}
		if err := fn(row); err != nil {
			return fmt.Errorf("olist: %s record %d: %w", path, line, err)
		}
	}
}
