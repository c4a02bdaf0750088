package csvimport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
)

// readAll reads every order of text.
func readAll(t testing.TB, text string) []*Order {
	t.Helper()
	r, err := NewReader(strings.NewReader(text), ReaderOptions{})
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var out []*Order
	for {
		o, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, o)
	}
}

func eur(amount int64) money.Money { return money.Money{Amount: amount, Currency: "EUR"} }

func ptr[T any](v T) *T { return &v }

// problems returns each order's problems as strings, keyed by order_ref.
func problems(os []*Order) map[string][]string {
	out := map[string][]string{}
	for _, o := range os {
		for _, p := range o.Problems {
			out[o.Ref] = append(out[o.Ref], p.String())
		}
	}
	return out
}

func TestReadExample(t *testing.T) {
	b, err := os.ReadFile("testdata/example.csv")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != Example {
		t.Fatal("testdata/example.csv differs from Example")
	}
	got := readAll(t, Example)
	want := []*Order{
		{Ref: "1001", FirstLine: 2, LastLine: 3, lineRows: []int{2, 3}, Input: orders.PlaceInput{
			Channel: "csv", ExternalID: "1001", Currency: "EUR",
			Customer:        orders.CustomerInput{Email: "ana@example.com", Name: "Ana Costa"},
			ShippingAddress: customers.Address{Name: "Ana Costa", Line1: "Rua Augusta 10", City: "Lisboa", PostalCode: "1100-053", Country: "PT"},
			Lines: []orders.LineInput{
				{SKU: "MUG-1", Quantity: 2, UnitPrice: ptr(eur(1250)), Discount: eur(0), Tax: eur(0)},
				{SKU: "TEE-M", Quantity: 1, UnitPrice: ptr(eur(1900)), Discount: eur(200), Tax: eur(0)},
			},
			Shipping: eur(490), Discount: eur(0),
			PlacedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		}},
		{Ref: "1002", FirstLine: 4, LastLine: 4, lineRows: []int{4}, Input: orders.PlaceInput{
			Channel: "csv", ExternalID: "1002", Currency: "EUR",
			Customer:        orders.CustomerInput{Email: "bob@example.com", Name: "Bob Smith"},
			ShippingAddress: customers.Address{Name: "Bob Smith", Line1: "1 High Street", City: "London", PostalCode: "SW1A 1AA", Country: "GB"},
			Lines:           []orders.LineInput{{SKU: "MUG-1", Quantity: 1, Discount: eur(0), Tax: eur(0)}},
			Shipping:        eur(0), Discount: eur(100), Note: "Gift wrap, please",
			PlacedAt: time.Date(2026, 3, 1, 13, 30, 0, 0, time.UTC),
		}},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(Order{}), cmpopts.IgnoreFields(Order{}, "valueLine"), cmpopts.EquateEmpty()); d != "" {
		t.Fatalf("orders (-want +got):\n%s", d)
	}
	if l, c := got[0].Locate("lines[1].discount"); l != 3 || c != "line_discount" {
		t.Errorf("Locate(lines[1].discount) = %d, %q", l, c)
	}
	if l, c := got[1].Locate("customer.email"); l != 4 || c != "email" {
		t.Errorf("Locate(customer.email) = %d, %q", l, c)
	}
}

func TestDelimitersBOMAndDecimalCommas(t *testing.T) {
	for name, text := range map[string]string{
		"semicolon with BOM":          "\ufeffOrder Ref;Email;Currency;SKU;Quantity;Unit Price;Shipping\r\nA1;a@example.com;eur;mug-1;3;12,50;4,9\r\n",
		"semicolon after blank lines": "\n\r\norder_ref;email;currency;sku;quantity;unit_price;shipping\nA1;a@example.com;EUR;MUG-1;3;12,50;4,90\n",
		"tab":                         "order_ref\temail\tcurrency\tsku\tquantity\tunit_price\tshipping\nA1\ta@example.com\tEUR\tMUG-1\t3\t12.50\t4.90\n",
		"comma, quoted":               "\"order_ref\",\"email\",\"currency\",\"sku\",\"quantity\",\"unit_price\",\"shipping\"\n\"A1\",\"a@example.com\",\"EUR\",\"MUG-1\",\"3\",\"12.5\",\"4.90\"\n",
	} {
		t.Run(name, func(t *testing.T) {
			got := readAll(t, text)
			if len(got) != 1 || len(got[0].Problems) != 0 {
				t.Fatalf("got %d orders, problems %v", len(got), problems(got))
			}
			in := got[0].Input
			if in.Currency != "EUR" || in.Lines[0].SKU != "MUG-1" || in.Lines[0].Quantity != 3 ||
				*in.Lines[0].UnitPrice != eur(1250) || in.Shipping != eur(490) || got[0].FirstLine != strings.Count(text, "\n") {
				t.Fatalf("input %+v", in)
			}
		})
	}
	// In a comma-separated file a decimal comma cannot be told from a
	// separator, so it is not accepted in amounts.
	got := readAll(t, "order_ref;email;currency;sku;quantity;unit_price\nA1;a@example.com;EUR;MUG-1;1;1.234,50\n")
	if p := problems(got)["A1"]; len(p) != 1 || !strings.HasPrefix(p[0], `line 2, column unit_price: amount "1.234,50" is not a decimal number`) {
		t.Fatalf("thousands separator: %q", p)
	}
}

func TestHeaderErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"empty", "", "the file is empty"},
		{"blank lines", "\n\n", "the file is empty"},
		{"unknown", "order_ref,email,currency,sku,quantity,colour,Size\n", `line 1: unknown columns "colour", "Size"; the columns are: channel, currency, email`},
		{"missing", "order_ref,sku\n", "line 1: missing required columns email, currency, quantity"},
		{"duplicate", "order_ref,email,currency,sku,quantity,SKU\n", "line 1: column sku appears more than once"},
		{"utf16", "\xff\xfeo\x00r\x00", "line 1: the file is UTF-16 text"},
		{"malformed", "order_ref,\"email,currency,sku,quantity\n", "line 1: the header line is malformed: a quoted value starting on line 1 is not closed"},
		{"too long", strings.Repeat("x", maxHeaderBytes+10), "longer than 64 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tc.text), ReaderOptions{})
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a FileError containing %q", err, tc.want)
			}
		})
	}
}

func TestRowProblems(t *testing.T) {
	const header = "order_ref,email,currency,sku,quantity,unit_price,shipping,taxes_included,placed_at,note,\n"
	for _, tc := range []struct {
		name string
		rows string
		want map[string][]string
	}{
		{"negative quantity", "A,a@x.io,EUR,MUG-1,-2,,,,,,\n",
			map[string][]string{"A": {`line 2, column quantity: must be a whole number ≥ 1, got "-2"`}}},
		{"quantity not a number", "A,a@x.io,EUR,MUG-1,2.5,,,,,,\nA,,,MUG-2,,,,,,,\nA,,,MUG-3,200000,,,,,,\n",
			map[string][]string{"A": {
				`line 2, column quantity: must be a whole number ≥ 1, got "2.5"`,
				`line 3, column quantity: is blank; give a whole number ≥ 1`,
				`line 4, column quantity: must be at most 100000, got "200000"`}}},
		{"sku", "A,a@x.io,EUR,,1,,,,,,\nA,,,MUG 1,1,,,,,,\n",
			map[string][]string{"A": {`line 2, column sku: is blank`,
				`line 3, column sku: SKU "MUG 1" contains ' '; use only letters A-Z, digits and . _ - /`}}},
		{"money", "A,a@x.io,EUR,MUG-1,1,€12,4.999,,,,\n",
			map[string][]string{"A": {
				`line 2, column unit_price: amount "€12" is not a decimal number (write amounts like 12.50, without currency symbols or thousands separators)`,
				`line 2, column shipping: amount "4.999" has more than 2 decimals for EUR (write amounts like 12.50, without currency symbols or thousands separators)`}}},
		{"currency", "A,a@x.io,,MUG-1,1,,,,,,\nB,b@x.io,EURO,MUG-1,1,1.00,,,,,\n",
			map[string][]string{
				"A": {`line 2, column currency: is blank; give the order's ISO 4217 currency code (EUR, USD, BRL, ...)`},
				"B": {`line 3, column currency: "EURO" is not a currency Orderly knows (use an ISO 4217 code such as EUR, USD, BRL)`}}},
		{"negative amounts", "A,a@x.io,EUR,MUG-1,1,-1.00,-0.01,,,,\n",
			map[string][]string{"A": {
				`line 2, column unit_price: must not be negative, got "-1.00"`,
				`line 2, column shipping: must not be negative, got "-0.01"`}}},
		{"email", "A,,EUR,MUG-1,1,,,,,,\n",
			map[string][]string{"A": {`line 2, column email: is blank; each order needs the customer's email`}}},
		{"bool and time", "A,a@x.io,EUR,MUG-1,1,,,maybe,yesterday,,\n",
			map[string][]string{"A": {
				`line 2, column taxes_included: must be true or false (or yes/no, 1/0), got "maybe"`,
				`line 2, column placed_at: must be an RFC 3339 time (2026-03-01T14:30:00+01:00) or a date (2026-03-01), got "yesterday"`}}},
		{"order-level values agree or are blank", "A,a@x.io,EUR,MUG-1,1,,4.9,yes,2026-03-01,hi,\nA,A@X.IO,eur,MUG-2,1,,4.90,1,2026-03-01T00:00:00Z,,\nA,,,MUG-3,1,,,,,hi,\n",
			map[string][]string{}},
		{"order-level values disagree", "A,a@x.io,EUR,MUG-1,1,,4.90,,,,\nA,b@x.io,EUR,MUG-2,1,,5,,,,\n",
			map[string][]string{"A": {
				`line 3, column email: "b@x.io" differs from "a@x.io" on line 2 of the same order; repeat the same value or leave it blank`,
				`line 3, column shipping: "5" differs from "4.90" on line 2 of the same order; repeat the same value or leave it blank`}}},
		{"rows of one order apart", "A,a@x.io,EUR,MUG-1,1,,,,,,\nB,b@x.io,EUR,MUG-1,1,,,,,,\nA,a@x.io,EUR,MUG-2,1,,,,,,\n",
			map[string][]string{"A": {`line 4, column order_ref: order "A" already appeared at line 2; the rows of one order must be next to each other (sort the file by order_ref)`}}},
		{"blank ref", ",a@x.io,EUR,MUG-1,1,,,,,,\n",
			map[string][]string{"": {`line 2, column order_ref: is blank; every row needs the reference of its order`}}},
		{"field count", "A,a@x.io,EUR,MUG-1,1\n",
			map[string][]string{"A": {`line 2: has 5 fields but the header has 11`}}},
		{"value under a blank header", "A,a@x.io,EUR,MUG-1,1,,,,,,oops\n",
			map[string][]string{"A": {`line 2: field 11 has a value ("oops") but its header cell is blank`}}},
		{"not UTF-8", "A,a@x.io,EUR,MUG-1,1,,,,,Jos\xe9,\n",
			map[string][]string{"A": {`line 2, column note: is not valid UTF-8 text; save the file as "CSV UTF-8"`}}},
		{"line break outside note", "A,\"a@x.io\nB\",EUR,MUG-1,1,,,,,\"two\nlines\",\n",
			map[string][]string{"A": {`line 2, column email: contains a line break (only note may span lines; is a quote left open above?)`}}},
		{"blank rows are skipped", ",,,,,,,,,,\nA,a@x.io,EUR,MUG-1,1,,,,,,\n\n,,,,,,,,,,\nA,,,MUG-2,1,,,,,,\n",
			map[string][]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(readAll(t, header+tc.rows))
			if d := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); d != "" {
				t.Fatalf("problems (-want +got):\n%s", d)
			}
		})
	}
}

func TestOrderRules(t *testing.T) {
	got := readAll(t, "order_ref,email,currency,sku,quantity,unit_price,line_discount,payment_status,channel\n"+
		"A,a@x.io,EUR,MUG-1,2,5.00,10.01,later,Shop Name\n"+
		"B,b@x.io,EUR,MUG-1,2,5.00,10.00,Partially_Paid,shop-2\n")
	want := map[string][]string{"A": {
		`line 2, column channel: must be 1 to 40 lower-case letters, digits, - or _, got "shop name"`,
		`line 2, column line_discount: 10.01 is more than the line's value (2 × 5.00)`,
		`line 2, column payment_status: must be one of paid, authorized, pending, partially_paid, refunded, partially_refunded, voided, got "later"`,
	}}
	if d := cmp.Diff(want, problems(got)); d != "" {
		t.Fatalf("problems (-want +got):\n%s", d)
	}
	if in := got[1].Input; in.Payment.Status != "partially_paid" || in.Channel != "shop-2" {
		t.Fatalf("B: %+v", in)
	}
}

func TestTooManyLines(t *testing.T) {
	var b strings.Builder
	b.WriteString("order_ref,email,currency,sku,quantity\n")
	for range orders.MaxLines + 5 {
		b.WriteString("A,a@x.io,EUR,MUG-1,1\n")
	}
	b.WriteString("B,b@x.io,EUR,MUG-1,1\n")
	got := readAll(t, b.String())
	if len(got) != 2 || len(got[0].Input.Lines) != orders.MaxLines || len(got[1].Problems) != 0 {
		t.Fatalf("%d orders, %d lines", len(got), len(got[0].Input.Lines))
	}
	want := []string{`line 252: an order may have at most 250 lines; this is line 251 of order "A"`}
	if d := cmp.Diff(want, problems(got)["A"]); d != "" {
		t.Fatal(d)
	}
}

func TestMalformedCSV(t *testing.T) {
	const header = "order_ref,email,currency,sku,quantity,note\n"
	t.Run("bare quote fails its order and the next, not the others", func(t *testing.T) {
		got := readAll(t, header+
			"A,a@x.io,EUR,MUG-1,1,\n"+ // 2
			"B,b@x.io,EUR,MUG-1,1,\n"+ // 3
			"B,,,MUG-2,1,5\" screen\n"+ // 4: bare quote
			"C,c@x.io,EUR,MUG-1,1,\n"+ // 5: may continue line 4's order
			"D,d@x.io,EUR,MUG-1,1,\n") // 6
		want := map[string][]string{
			"B": {`line 4: not imported: malformed CSV, line 4 could not be read and may hold rows of this order: a " in an unquoted value at character 14 of line 4 (put the value in double quotes and double the " inside it, like "5"" screen")`},
			"C": {`line 5: not imported: malformed CSV just before this order, line 4 could not be read and may hold rows of it: a " in an unquoted value at character 14 of line 4 (put the value in double quotes and double the " inside it, like "5"" screen")`},
		}
		if d := cmp.Diff(want, problems(got)); d != "" {
			t.Fatalf("problems (-want +got):\n%s", d)
		}
		if refs := refsOf(got); !cmp.Equal(refs, []string{"A", "B", "C", "D"}) {
			t.Fatalf("orders %v", refs)
		}
	})
	t.Run("unbalanced quote runs to the end", func(t *testing.T) {
		got := readAll(t, header+
			"A,a@x.io,EUR,MUG-1,1,\n"+ // 2
			"B,b@x.io,EUR,MUG-1,1,\"never closed\n"+ // 3
			"C,c@x.io,EUR,MUG-1,1,\n") // 4
		want := map[string][]string{
			"A": {`line 4: not imported: malformed CSV, lines 3–4 could not be read and may hold rows of this order: a quoted value starting on line 3 is not closed, or has text after its closing quote (a " inside a quoted value must be doubled as "")`},
		}
		if d := cmp.Diff(want, problems(got)); d != "" {
			t.Fatalf("problems (-want +got):\n%s", d)
		}
	})
	t.Run("unreadable first rows", func(t *testing.T) {
		got := readAll(t, header+"A,\"a@x.io\"x,EUR,MUG-1,1,\n")
		if len(got) != 1 || got[0].Ref != "" || len(got[0].Problems) != 1 ||
			!strings.HasPrefix(got[0].Problems[0].String(), "line 2: malformed CSV: line 2 could not be read: a quoted value starting on line 2 is not closed") {
			t.Fatalf("got %v", problems(got))
		}
	})
}

func refsOf(os []*Order) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.Ref)
	}
	return out
}

func TestChannel(t *testing.T) {
	r, err := NewReader(strings.NewReader("order_ref,email,currency,sku,quantity,channel\nA,a@x.io,EUR,MUG-1,1,\nB,b@x.io,EUR,MUG-1,1,WooCommerce\n"), ReaderOptions{Channel: "legacy"})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := r.Next()
	b, _ := r.Next()
	if a.Input.Channel != "legacy" || b.Input.Channel != "woocommerce" {
		t.Fatalf("channels %q %q", a.Input.Channel, b.Input.Channel)
	}
	if r.Rows() != 2 || r.Delimiter() != ',' || r.BytesRead() == 0 {
		t.Fatalf("rows %d delim %q bytes %d", r.Rows(), r.Delimiter(), r.BytesRead())
	}
}

func TestInvalidChannelOption(t *testing.T) {
	_, err := NewReader(strings.NewReader("order_ref,email,currency,sku,quantity\n"), ReaderOptions{Channel: "Trade Fair"})
	if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), `channel: must be 1 to 40 lower-case letters, digits, - or _, got "Trade Fair"`) {
		t.Fatalf("err %v", err)
	}
	if !ValidChannel("trade-fair_2") || ValidChannel("") || ValidChannel("-x") {
		t.Fatal("ValidChannel")
	}
}

func TestLocate(t *testing.T) {
	got := readAll(t, "order_ref,email,currency,sku,quantity,ship_country,payment_status\nA,a@x.io,EUR,MUG-1,1,,\nA,,,MUG-2,1,XX,later\n")
	o := got[0]
	for field, want := range map[string]struct {
		line int
		col  string
	}{
		"lines[0].sku":             {2, "sku"},
		"lines[1].quantity":        {3, "quantity"},
		"lines[1].unit_price":      {3, "unit_price"},
		"lines[1].tax":             {3, "line_tax"},
		"lines[1]":                 {3, ""},
		"lines[7].sku":             {2, ""},
		"lines":                    {2, ""},
		"shipping_address.country": {3, "ship_country"},
		"payment.status":           {3, "payment_status"},
		"customer.email":           {2, "email"},
		"customer.name":            {2, "name"},
		"discount":                 {2, "order_discount"},
		"external_id":              {2, "order_ref"},
		"something.else":           {2, ""},
	} {
		if l, c := o.Locate(field); l != want.line || c != want.col {
			t.Errorf("Locate(%s) = %d, %q; want %d, %q", field, l, c, want.line, want.col)
		}
	}
}

func TestProblemsPerOrderAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("order_ref,email,currency,sku,quantity\n")
	for range 500 {
		b.WriteString("A,a@x.io,EUR,MUG-1,0\n")
	}
	got := readAll(t, b.String())
	p := got[0].Problems
	if len(p) != maxProblems+1 || p[len(p)-1].String() != "line 501: and 151 more problems in lines 2–501" {
		t.Fatalf("%d problems, last %v", len(p), p[len(p)-1])
	}
}

// TestDocsShowTheExample keeps docs/import.md's example and column list in
// step with the code.
func TestDocsShowTheExample(t *testing.T) {
	b, err := os.ReadFile("../../../docs/import.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if !strings.Contains(doc, "```csv\n"+Example+"```") {
		t.Error("docs/import.md does not show csvimport.Example")
	}
	for _, c := range ColumnNames() {
		if !strings.Contains(doc, "`"+c+"`") {
			t.Errorf("docs/import.md does not describe column %s", c)
		}
	}
}

func TestBytesReadFollowsTheRows(t *testing.T) {
	text := manyRows(2000)
	r, err := NewReader(strings.NewReader(text), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var half int64
	for n := 0; ; n++ {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if n == 1000 {
			half = r.BytesRead()
		}
	}
	// Half-way through the rows, about half the bytes are read (not the
	// whole 64 KiB read-ahead of a small file).
	if total := int64(len(text)); r.BytesRead() != total || half < total/3 || half > total*2/3 {
		t.Fatalf("read %d of %d bytes at the end, %d half-way", r.BytesRead(), total, half)
	}
}

func manyRows(n int) string {
	var b strings.Builder
	b.WriteString("order_ref,email,currency,sku,quantity\n")
	for i := range n {
		fmt.Fprintf(&b, "R%d,a@x.io,EUR,MUG-1,1\n", i)
	}
	return b.String()
}
