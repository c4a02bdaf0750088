package olist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadErrorsNameTheProblem(t *testing.T) {
	sellers := "seller_id,seller_zip_code_prefix,seller_city,seller_state\ns1,01310,sao paulo,SP\n"
	customers := "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state\nc1,u1,20031,rio,RJ\n"
	items := "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value\no1,1,p1,s1,2018-01-03 00:00:00,10.0,2.0\n"
	head := "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"unknown seller", map[string]string{SellersFile: sellers, CustomersFile: customers,
			ItemsFile: strings.Replace(items, ",s1,", ",s9,", 1), OrdersFile: head}, `seller "s9" is not in`},
		{"unknown customer", map[string]string{SellersFile: sellers, CustomersFile: customers, ItemsFile: items,
			OrdersFile: head + "o1,c9,delivered,2018-01-01 10:00:00,,,,2018-01-20 00:00:00\n"}, `order o1: customer "c9"`},
		{"bad time", map[string]string{SellersFile: sellers, CustomersFile: customers, ItemsFile: items,
			OrdersFile: head + "o1,c1,delivered,01/01/2018,,,,2018-01-20 00:00:00\n"}, "order o1: order_purchase_timestamp"},
		{"missing column", map[string]string{SellersFile: "seller_id,seller_state\ns1,SP\n"}, `no column "seller_zip_code_prefix"`},
	} {
		_, err := Load(writeFiles(t, tc.files))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one with %q", tc.name, err, tc.want)
		}
	}
}

func TestLoadReadsTimesInBrasiliaAndStatesInTheirZones(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		SellersFile:   "seller_id,seller_zip_code_prefix,seller_city,seller_state\ns1,01310,sao paulo,SP\n",
		CustomersFile: "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state\nc1,u1,69005,manaus,AM\n",
		ItemsFile:     "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value\no1,1,p1,s1,2018-07-03 00:00:00,10.0,2.0\no1,2,p2,s1,2018-07-03 00:00:00,10.0,2.0\n",
		OrdersFile: "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date\n" +
			"o1,c1,delivered,2018-07-01 10:00:00,,2018-07-02 09:00:00,2018-07-10 00:30:00,2018-07-20 00:00:00\n",
	})
	d, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := d.Orders[0]
	if len(o.Sellers) != 1 {
		t.Errorf("sellers %v, want s1 once (two items of one seller)", o.Sellers)
	}
	if want := time.Date(2018, 7, 1, 13, 0, 0, 0, time.UTC); !o.Purchased.Equal(want) {
		t.Errorf("purchased %s, want %s (10:00 in Brasília, UTC−3)", o.Purchased.UTC(), want)
	}
	// Delivered at 00:30 Brasília time is still the 9th in Manaus (UTC−4).
	if day := startOfDay(o.Delivered, Zone(o.CustomerState)); day.Day() != 9 {
		t.Errorf("delivery day in Manaus %s, want the 9th", day)
	}
}
