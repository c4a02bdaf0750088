package shopify_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/integrations/shopify"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
)

// Fixtures copied byte for byte from ../shared/data/shopify (see
// testdata/ATTRIBUTION.md), with the sha256 listed in ../shared/data/README.md.
const (
	rubyGetOrders    = "shopify-api-ruby__test_rest_2026_07_order_test__GET_orders.json"
	rubyCreateOrder  = "shopify-api-ruby__test_rest_2026_07_order_test__POST_orders_create.json"
	pythonOrder      = "shopify_python_api__test_fixtures__order.json"
	pythonOrdersList = "shopify_python_api__test_fixtures__orders.json"
)

func TestFixturesAreUnmodifiedCopies(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		rubyGetOrders:    "83c7d49b8872321e7d8cdf330e894e16113f1ed18ab81e8ebd4d10689f854c31",
		rubyCreateOrder:  "30ddfcbae8a663fbc5be2380218df6471e1c993329e2e51f240449f7ceb6be29",
		pythonOrder:      "a5177a37ed98a4f9a63531c1601ab6d42b1f7b0e77e8f3ca86f256700cd30513",
		pythonOrdersList: "583f4c1397693801ba8f295e3a2701aefef2cbce75b3545530f8814e29fc446b",
	} {
		sum := sha256.Sum256(fixture(t, name))
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("testdata/%s: sha256 %s, want %s (the copy must stay byte for byte)", name, got, want)
		}
	}
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// firstOrder returns the raw JSON of orders[0] in a {"orders": [...]} list,
// byte for byte as it appears in the file.
func firstOrder(t testing.TB, list []byte) []byte {
	t.Helper()
	var doc struct {
		Orders []json.RawMessage `json:"orders"`
	}
	if err := json.Unmarshal(list, &doc); err != nil || len(doc.Orders) == 0 {
		t.Fatalf("not an order list: %v", err)
	}
	return doc.Orders[0]
}

// patch decodes an order (bare or {"order": ...}), applies fn to the order
// object and encodes it again. Numbers stay json.Number, so ids and amounts
// are written back exactly.
func patch(t testing.TB, body []byte, fn func(o map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	o := doc
	if inner, ok := doc["order"].(map[string]any); ok {
		o = inner
	}
	fn(o)
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func usd(s string) money.Money { return mustMoney(s, "USD") }
func eur(s string) money.Money { return mustMoney(s, "EUR") }

func mustMoney(s, cur string) money.Money {
	m, err := money.Parse(s, cur)
	if err != nil {
		panic(err)
	}
	return m
}

func ptr[T any](v T) *T { return &v }

// total is what the order costs the customer, computed the way Orderly
// totals an order: Σ (unit price × quantity − line discount) − order
// discount + shipping, plus the line taxes when prices exclude them.
func total(t testing.TB, in orders.PlaceInput) money.Money {
	t.Helper()
	sum := money.Money{Currency: in.Currency}
	for i, l := range in.Lines {
		if l.UnitPrice == nil {
			t.Fatalf("line %d has no unit price", i)
		}
		for _, m := range []money.Money{l.UnitPrice.Mul(int64(l.Quantity)), l.Discount, l.Tax} {
			if m.Currency != in.Currency {
				t.Fatalf("line %d: amount %v is not in the order currency %s", i, m, in.Currency)
			}
		}
		sum.Amount += l.UnitPrice.Amount*int64(l.Quantity) - l.Discount.Amount
		if !in.TaxesIncluded {
			sum.Amount += l.Tax.Amount
		}
	}
	sum.Amount += in.Shipping.Amount - in.Discount.Amount
	return sum
}

// TestParseOrderCurrentShape maps the current Order shape (API 2026-07):
// three iPods, a 10.00 TENOFF code allocated over the lines as 3.34 + 3.33 +
// 3.33, 6% state tax on each line, free shipping.
func TestParseOrderCurrentShape(t *testing.T) {
	t.Parallel()
	body := firstOrder(t, fixture(t, rubyGetOrders))
	got, err := shopify.ParseOrder(body)
	if err != nil {
		t.Fatal(err)
	}
	want := orders.PlaceInput{
		Channel:    "shopify",
		ExternalID: "450789469",
		Currency:   "USD",
		Customer: orders.CustomerInput{
			Email: "bob.norman@mail.example.com",
			Name:  "Bob Norman",
			Phone: "+16136120707",
		},
		ShippingAddress: customers.Address{
			Name: "Bob Norman", Line1: "Chestnut Street 92", City: "Louisville", Region: "KY",
			PostalCode: "40202", Country: "US", Phone: "+1(502)-459-2181",
		},
		Lines: []orders.LineInput{
			{SKU: "IPOD2008GREEN", Quantity: 1, UnitPrice: ptr(usd("199.00")), Discount: usd("3.34"), Tax: usd("3.98")},
			{SKU: "IPOD2008RED", Quantity: 1, UnitPrice: ptr(usd("199.00")), Discount: usd("3.33"), Tax: usd("3.98")},
			{SKU: "IPOD2008BLACK", Quantity: 1, UnitPrice: ptr(usd("199.00")), Discount: usd("3.33"), Tax: usd("3.98")},
		},
		Shipping: usd("0.00"),
		// total_discounts is 10.00, all of it allocated to the lines: passing
		// it again as an order discount would take 20.00 off.
		Discount:      usd("0.00"),
		TaxesIncluded: false,
		Payment:       orders.PaymentSignal{Status: "partially_refunded", Risk: "low"},
		PlacedAt:      time.Date(2008, 1, 10, 16, 0, 0, 0, time.UTC),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ParseOrder (-want +got):\n%s", d)
	}
	// 597.00 − 10.00 + 11.94 tax + 0.00 shipping = Shopify's total_price.
	if got, want := total(t, got), usd("598.94"); got != want {
		t.Errorf("total %v, want Shopify's total_price %v", got, want)
	}
}

// TestParseOrderCreateResponse: the response to "create an order" in the
// Ruby client's tests is an order without a SKU or any customer email, both
// of which Orderly needs; the errors name the Shopify fields. With those two
// filled in, the rest maps and totals to Shopify's total_price.
func TestParseOrderCreateResponse(t *testing.T) {
	t.Parallel()
	body := fixture(t, rubyCreateOrder)
	_, err := shopify.ParseOrder(body)
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
		t.Fatalf("err = %v, want apperr.Invalid", err)
	}
	if got, want := fieldNames(ae), []string{"email", "line_items[0].sku"}; !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v (%v)", got, want, err)
	}
	for _, f := range ae.Fields {
		if f.Field == "line_items[0].sku" && !strings.Contains(f.Message, `"Big Brown Bear Boots"`) {
			t.Errorf("line_items[0].sku: %q does not name the line", f.Message)
		}
	}

	body = patch(t, body, func(o map[string]any) {
		o["email"] = "bear@example.com"
		o["line_items"].([]any)[0].(map[string]any)["sku"] = "BEAR-BOOTS-BROWN"
	})
	got, err := shopify.ParseOrder(body)
	if err != nil {
		t.Fatal(err)
	}
	want := orders.PlaceInput{
		Channel:    "shopify",
		ExternalID: "1073459976",
		Currency:   "EUR",
		Customer:   orders.CustomerInput{Email: "bear@example.com"},
		Lines: []orders.LineInput{
			{SKU: "BEAR-BOOTS-BROWN", Quantity: 3, UnitPrice: ptr(eur("74.99")), Discount: eur("0.00"), Tax: eur("13.50")},
		},
		Shipping: eur("0"),
		Discount: eur("0"),
		Payment:  orders.PaymentSignal{Status: "paid", Risk: "low"},
		PlacedAt: time.Date(2025, 7, 2, 16, 31, 26, 0, time.UTC),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ParseOrder (-want +got):\n%s", d)
	}
	// 3 × 74.99 + 13.50 tax = 238.47.
	if got, want := total(t, got), eur("238.47"); got != want {
		t.Errorf("total %v, want Shopify's total_price %v", got, want)
	}
}

// TestParseOrderLegacyShape maps the Python client's older Order fixture.
// It has no line-level tax_lines, so the order's 11.94 tax is spread over the
// three equal lines. Its totals do not describe its own lines: it lists three
// 199.00 iPods, but total_line_items_price and subtotal_price are 398.00 (two
// of them) and total_price 409.94 = 398.00 + 11.94, a fixture edited by hand.
// The mapping follows the line items, so the total is 597.00 + 11.94; the
// test pins that the difference is exactly the third iPod.
func TestParseOrderLegacyShape(t *testing.T) {
	t.Parallel()
	got, err := shopify.ParseOrder(fixture(t, pythonOrder))
	if err != nil {
		t.Fatal(err)
	}
	want := orders.PlaceInput{
		Channel:    "shopify",
		ExternalID: "450789469",
		Currency:   "USD",
		Customer:   orders.CustomerInput{Email: "bob.norman@hostmail.com", Name: "Bob Norman"},
		ShippingAddress: customers.Address{
			Name: "Bob Norman", Line1: "Chestnut Street 92", City: "Louisville", Region: "KY",
			PostalCode: "40202", Country: "US", Phone: "555-625-1199",
		},
		Lines: []orders.LineInput{
			{SKU: "IPOD2008GREEN", Quantity: 1, UnitPrice: ptr(usd("199.00")), Discount: usd("0"), Tax: usd("3.98")},
			{SKU: "IPOD2008RED", Quantity: 1, UnitPrice: ptr(usd("199.00")), Discount: usd("0"), Tax: usd("3.98")},
			{SKU: "IPOD2008BLACK", Quantity: 1, UnitPrice: ptr(usd("199.00")), Discount: usd("0"), Tax: usd("3.98")},
		},
		Shipping: usd("0"),
		// The TENOFF code is listed, but total_discounts is 0.00: nothing
		// was taken off, and discount_codes are not amounts.
		Discount: usd("0"),
		Payment:  orders.PaymentSignal{Status: "authorized", Risk: "low"},
		// No processed_at: created_at.
		PlacedAt: time.Date(2008, 1, 10, 16, 0, 0, 0, time.UTC),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ParseOrder (-want +got):\n%s", d)
	}
	gotTotal, shopifyTotal := total(t, got), usd("409.94")
	if gotTotal != usd("608.94") || gotTotal.Amount-shopifyTotal.Amount != 19900 {
		t.Errorf("total %v, want 608.94 = Shopify's inconsistent total_price %v + one 199.00 line", gotTotal, shopifyTotal)
	}
}

// TestParseOrderWithoutLines: the Python client's order list holds an order
// without line_items (a list view); as an order to place it is refused.
func TestParseOrderWithoutLines(t *testing.T) {
	t.Parallel()
	_, err := shopify.ParseOrder(firstOrder(t, fixture(t, pythonOrdersList)))
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.Invalid || !slices.Equal(fieldNames(ae), []string{"line_items"}) {
		t.Fatalf("err = %v, want apperr.Invalid on line_items", err)
	}
}

func fieldNames(e *apperr.Error) []string {
	var names []string
	for _, f := range e.Fields {
		names = append(names, f.Field)
	}
	slices.Sort(names)
	return names
}

// base is a small valid orders/create body the cases below change.
const base = `{
  "id": 5678901234567,
  "email": "ana@example.com",
  "currency": "EUR",
  "financial_status": "paid",
  "taxes_included": true,
  "total_discounts": "0.00",
  "total_tax": "0.00",
  "processed_at": "2026-03-01T10:00:00+01:00",
  "created_at": "2026-03-01T09:59:00+01:00",
  "line_items": [{"sku": "MUG-1", "quantity": 2, "price": "12.50", "discount_allocations": [], "tax_lines": []}],
  "shipping_lines": []
}`

func TestParseOrderRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		patch func(o map[string]any)
		check func(t *testing.T, in orders.PlaceInput)
	}{
		{"ids past 2^53 are exact", func(o map[string]any) { o["id"] = json.Number("9007199254740993") },
			func(t *testing.T, in orders.PlaceInput) { want(t, in.ExternalID, "9007199254740993") }},
		{"an id sent as a string", func(o map[string]any) { o["id"] = "450789469" },
			func(t *testing.T, in orders.PlaceInput) { want(t, in.ExternalID, "450789469") }},
		{"an unallocated total_discounts is the order discount", func(o map[string]any) {
			o["total_discounts"] = "5.00"
		}, func(t *testing.T, in orders.PlaceInput) {
			want(t, in.Discount, eur("5.00"))
			want(t, in.Lines[0].Discount, eur("0"))
		}},
		{"allocated discounts are not counted twice", func(o map[string]any) {
			o["total_discounts"] = "7.00"
			line(o)["discount_allocations"] = []any{map[string]any{"amount": "2.00"}, map[string]any{"amount": "3.00"}}
			o["shipping_lines"] = []any{map[string]any{"price": "4.00", "discount_allocations": []any{map[string]any{"amount": "1.50"}}}}
		}, func(t *testing.T, in orders.PlaceInput) {
			want(t, in.Lines[0].Discount, eur("5.00"))
			want(t, in.Shipping, eur("2.50"))
			want(t, in.Discount, eur("0.50")) // 7.00 − 5.00 on the line − 1.50 on shipping
		}},
		{"total_discounts without the shipping discount leaves no order discount", func(o map[string]any) {
			o["total_discounts"] = "5.00"
			line(o)["discount_allocations"] = []any{map[string]any{"amount": "5.00"}}
			o["shipping_lines"] = []any{map[string]any{"price": "4.00", "discount_allocations": []any{map[string]any{"amount": "4.00"}}}}
		}, func(t *testing.T, in orders.PlaceInput) {
			want(t, in.Shipping, eur("0"))
			want(t, in.Discount, eur("0"))
		}},
		{"total_discount when a line has no allocations", func(o map[string]any) {
			line(o)["total_discount"] = "1.25"
			o["total_discounts"] = "1.25"
		}, func(t *testing.T, in orders.PlaceInput) {
			want(t, in.Lines[0].Discount, eur("1.25"))
			want(t, in.Discount, eur("0"))
		}},
		{"allocations win over total_discount", func(o map[string]any) {
			line(o)["total_discount"] = "0.00"
			line(o)["discount_allocations"] = []any{map[string]any{"amount": "2.00"}}
		}, func(t *testing.T, in orders.PlaceInput) { want(t, in.Lines[0].Discount, eur("2.00")) }},
		{"line taxes are summed", func(o map[string]any) {
			o["taxes_included"] = false
			line(o)["tax_lines"] = []any{map[string]any{"price": "1.00"}, map[string]any{"price": "0.25"}}
			o["total_tax"] = "1.25"
		}, func(t *testing.T, in orders.PlaceInput) { want(t, in.Lines[0].Tax, eur("1.25")) }},
		{"shipping tax travels with shipping when prices exclude tax", func(o map[string]any) {
			o["taxes_included"] = false
			o["total_tax"] = "0.92"
			o["shipping_lines"] = []any{
				map[string]any{"price": "4.00", "tax_lines": []any{map[string]any{"price": "0.92"}}},
				map[string]any{"price": "1.00"},
			}
		}, func(t *testing.T, in orders.PlaceInput) {
			want(t, in.Shipping, eur("5.92"))
			want(t, in.Lines[0].Tax, eur("0")) // all of total_tax is on shipping
		}},
		{"shipping tax is inside the price when prices include tax", func(o map[string]any) {
			o["total_tax"] = "0.75"
			o["shipping_lines"] = []any{map[string]any{"price": "4.00", "tax_lines": []any{map[string]any{"price": "0.75"}}}}
		}, func(t *testing.T, in orders.PlaceInput) { want(t, in.Shipping, eur("4.00")) }},
		{"order tax no line carries is spread by line value", func(o map[string]any) {
			o["taxes_included"] = false
			o["line_items"] = []any{
				map[string]any{"sku": "A", "quantity": 1, "price": "10.00"},
				map[string]any{"sku": "B", "quantity": 2, "price": "10.00"},
			}
			o["total_tax"] = "1.00"
		}, func(t *testing.T, in orders.PlaceInput) {
			want(t, in.Lines[0].Tax, eur("0.33"))
			want(t, in.Lines[1].Tax, eur("0.67"))
		}},
		{"order tax_lines stand in for a missing total_tax", func(o map[string]any) {
			delete(o, "total_tax")
			o["tax_lines"] = []any{map[string]any{"price": "2.00"}}
		}, func(t *testing.T, in orders.PlaceInput) { want(t, in.Lines[0].Tax, eur("2.00")) }},
		{"zero-decimal currency, zeros past its decimals dropped", func(o map[string]any) {
			o["currency"] = "jpy"
			line(o)["price"] = "1200.00"
		}, func(t *testing.T, in orders.PlaceInput) {
			want(t, in.Currency, "JPY")
			want(t, *in.Lines[0].UnitPrice, mustMoney("1200", "JPY"))
		}},
		{"an old numeric amount is read as written", func(o map[string]any) { line(o)["price"] = json.Number("12.5") },
			func(t *testing.T, in orders.PlaceInput) { want(t, *in.Lines[0].UnitPrice, eur("12.50")) }},
		{"customer email first", func(o map[string]any) {
			o["customer"] = map[string]any{"email": "Ana.Real@Example.com", "first_name": "Ana", "last_name": "Silva", "phone": "+351910000000"}
			o["contact_email"] = "contact@example.com"
		}, func(t *testing.T, in orders.PlaceInput) {
			want(t, in.Customer, orders.CustomerInput{Email: "Ana.Real@Example.com", Name: "Ana Silva", Phone: "+351910000000"})
		}},
		{"contact_email when there is no other", func(o map[string]any) {
			o["email"] = ""
			o["customer"] = nil
			o["contact_email"] = "contact@example.com"
			o["phone"] = "+390600000000"
		}, func(t *testing.T, in orders.PlaceInput) {
			want(t, in.Customer, orders.CustomerInput{Email: "contact@example.com", Phone: "+390600000000"})
		}},
		{"the name falls back to the shipping address", func(o map[string]any) {
			o["shipping_address"] = map[string]any{"first_name": "Giulia", "last_name": "Rossi", "address1": "Via Roma 1",
				"city": "Milano", "province": "Milano", "zip": "20121", "country_code": "it", "company": "Rossi Srl", "address2": "Scala B"}
		}, func(t *testing.T, in orders.PlaceInput) {
			want(t, in.Customer.Name, "Giulia Rossi")
			want(t, in.ShippingAddress, customers.Address{Name: "Giulia Rossi", Company: "Rossi Srl", Line1: "Via Roma 1",
				Line2: "Scala B", City: "Milano", Region: "Milano", PostalCode: "20121", Country: "IT"})
		}},
		{"created_at when processed_at is missing", func(o map[string]any) { delete(o, "processed_at") },
			func(t *testing.T, in orders.PlaceInput) {
				want(t, in.PlacedAt, time.Date(2026, 3, 1, 8, 59, 0, 0, time.UTC))
			}},
		{"no time at all leaves it to the service", func(o map[string]any) {
			delete(o, "processed_at")
			o["created_at"] = nil
		}, func(t *testing.T, in orders.PlaceInput) { want(t, in.PlacedAt, time.Time{}) }},
		{"the note", func(o map[string]any) { o["note"] = "  Leave at the door \n" },
			func(t *testing.T, in orders.PlaceInput) { want(t, in.Note, "Leave at the door") }},
		{"risk_level", func(o map[string]any) { o["risk_level"] = "HIGH" },
			func(t *testing.T, in orders.PlaceInput) { want(t, in.Payment.Risk, "high") }},
		{"order risks: the highest recommendation wins", func(o map[string]any) {
			o["risks"] = []any{map[string]any{"recommendation": "accept"}, map[string]any{"recommendation": "investigate"}}
		}, func(t *testing.T, in orders.PlaceInput) { want(t, in.Payment.Risk, "medium") }},
		{"order risks: cancel is high", func(o map[string]any) {
			o["risks"] = []any{map[string]any{"recommendation": "cancel"}}
			o["risk_level"] = "low"
		}, func(t *testing.T, in orders.PlaceInput) { want(t, in.Payment.Risk, "high") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := shopify.ParseOrder(patch(t, []byte(base), tc.patch))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, in)
		})
	}

	bare, err := shopify.ParseOrder([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := shopify.ParseOrder([]byte(`{"order":` + base + `}`))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(bare, wrapped); d != "" {
		t.Errorf("wrapped order maps differently (-bare +wrapped):\n%s", d)
	}
}

func line(o map[string]any) map[string]any { return o["line_items"].([]any)[0].(map[string]any) }

func want[T any](t *testing.T, got, want T) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestPaymentStatusAndLocale(t *testing.T) {
	t.Parallel()
	for status, wantStatus := range map[string]string{
		"paid": "paid", "pending": "pending", "authorized": "authorized", "partially_paid": "partially_paid",
		"refunded": "refunded", "voided": "voided", "partially_refunded": "partially_refunded", "expired": "voided",
		"PAID": "paid", "": "pending", "something_new": "pending",
	} {
		in, err := shopify.ParseOrder(patch(t, []byte(base), func(o map[string]any) { o["financial_status"] = status }))
		if err != nil {
			t.Fatal(err)
		}
		if in.Payment.Status != wantStatus {
			t.Errorf("financial_status %q: status %q, want %q", status, in.Payment.Status, wantStatus)
		}
	}
	for loc, wantLoc := range map[string]string{
		"en": "en", "en-US": "en", "pt-BR": "pt-BR", "pt-PT": "pt-BR", "PT": "pt-BR", "it": "it", "it-CH": "it", "fr": "", "": "",
	} {
		in, err := shopify.ParseOrder(patch(t, []byte(base), func(o map[string]any) { o["customer_locale"] = loc }))
		if err != nil {
			t.Fatal(err)
		}
		if in.Customer.Locale != wantLoc {
			t.Errorf("customer_locale %q: locale %q, want %q", loc, in.Customer.Locale, wantLoc)
		}
	}
}

func TestParseOrderErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		body   []byte
		fields []string // want these field errors; nil: a whole-body error
	}{
		{"empty body", nil, nil},
		{"not JSON", []byte("id=1"), nil},
		{"an array", []byte(`[{"id":1}]`), nil},
		{"trailing data", []byte(base + `{}`), nil},
		{"a field of the wrong type", []byte(`{"id":1,"note":5}`), []string{"note"}},
		{"the third line has no SKU", patch(t, []byte(base), func(o map[string]any) {
			o["line_items"] = []any{
				map[string]any{"sku": "A", "quantity": 1, "price": "1.00"},
				map[string]any{"sku": "B", "quantity": 1, "price": "1.00"},
				map[string]any{"sku": nil, "quantity": 1, "price": "1.00", "name": "Gift wrap"},
			}
		}), []string{"line_items[2].sku"}},
		{"a blank SKU", patch(t, []byte(base), func(o map[string]any) { line(o)["sku"] = "  " }), []string{"line_items[0].sku"}},
		{"missing id", patch(t, []byte(base), func(o map[string]any) { delete(o, "id") }), []string{"id"}},
		{"negative id", patch(t, []byte(base), func(o map[string]any) { o["id"] = json.Number("-5") }), []string{"id"}},
		{"fractional id", patch(t, []byte(base), func(o map[string]any) { o["id"] = json.Number("1.5") }), []string{"id"}},
		{"unknown currency", patch(t, []byte(base), func(o map[string]any) { o["currency"] = "XXX" }), []string{"currency"}},
		{"no currency", patch(t, []byte(base), func(o map[string]any) { delete(o, "currency") }), []string{"currency"}},
		{"more decimals than the currency has", patch(t, []byte(base), func(o map[string]any) { line(o)["price"] = "12.505" }),
			[]string{"line_items[0].price"}},
		{"JPY with a fraction", patch(t, []byte(base), func(o map[string]any) {
			o["currency"] = "JPY"
			line(o)["price"] = "1200.50"
		}), []string{"line_items[0].price"}},
		{"a float written with an exponent", patch(t, []byte(base), func(o map[string]any) { line(o)["price"] = json.Number("1e2") }),
			[]string{"line_items[0].price"}},
		{"a negative price", patch(t, []byte(base), func(o map[string]any) { line(o)["price"] = "-1.00" }), []string{"line_items[0].price"}},
		{"no price", patch(t, []byte(base), func(o map[string]any) { delete(line(o), "price") }), []string{"line_items[0].price"}},
		{"a price that is an object", patch(t, []byte(base), func(o map[string]any) { line(o)["price"] = map[string]any{} }),
			[]string{"line_items[0].price"}},
		{"quantity zero", patch(t, []byte(base), func(o map[string]any) { line(o)["quantity"] = json.Number("0") }),
			[]string{"line_items[0].quantity"}},
		{"fractional quantity", patch(t, []byte(base), func(o map[string]any) { line(o)["quantity"] = json.Number("1.5") }),
			[]string{"line_items[0].quantity"}},
		{"price × quantity out of range", patch(t, []byte(base), func(o map[string]any) {
			line(o)["price"] = "9000000000000.00"
			line(o)["quantity"] = json.Number("1000")
		}), []string{"line_items[0].price"}},
		{"a bad discount allocation", patch(t, []byte(base), func(o map[string]any) {
			line(o)["discount_allocations"] = []any{map[string]any{"amount": "1.00"}, map[string]any{"amount": "abc"}}
		}), []string{"line_items[0].discount_allocations[1].amount"}},
		{"a bad line tax", patch(t, []byte(base), func(o map[string]any) {
			line(o)["tax_lines"] = []any{map[string]any{"price": "-0.10"}}
		}), []string{"line_items[0].tax_lines[0].price"}},
		{"a bad shipping price", patch(t, []byte(base), func(o map[string]any) {
			o["shipping_lines"] = []any{map[string]any{"price": "free"}}
		}), []string{"shipping_lines[0].price"}},
		{"shipping discounted below zero", patch(t, []byte(base), func(o map[string]any) {
			o["shipping_lines"] = []any{map[string]any{"price": "1.00", "discount_allocations": []any{map[string]any{"amount": "2.00"}}}}
		}), []string{"shipping_lines"}},
		{"a bad total_discounts", patch(t, []byte(base), func(o map[string]any) { o["total_discounts"] = "ten" }), []string{"total_discounts"}},
		{"a bad processed_at", patch(t, []byte(base), func(o map[string]any) { o["processed_at"] = "yesterday" }), []string{"processed_at"}},
		{"every problem at once", patch(t, []byte(base), func(o map[string]any) {
			o["email"] = ""
			line(o)["sku"] = ""
			line(o)["quantity"] = json.Number("-1")
		}), []string{"email", "line_items[0].quantity", "line_items[0].sku"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := shopify.ParseOrder(tc.body)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
				t.Fatalf("err = %v (input %+v), want apperr.Invalid", err, in)
			}
			if got := fieldNames(ae); !slices.Equal(got, tc.fields) {
				t.Errorf("fields %v, want %v (%v)", got, tc.fields, err)
			}
		})
	}
}

// FuzzParseOrder checks that no input makes ParseOrder panic, that it fails
// only with apperr.Invalid, and that what it accepts is a well-formed order.
// The seeds are small on purpose: with the 8-32 KB fixtures as seeds, the
// fuzzer spends minutes minimising each new input (pass -fuzzminimizetime=2s
// to add them back).
func FuzzParseOrder(f *testing.F) {
	f.Add([]byte(base))
	f.Add([]byte(`{"id":1,"currency":"EUR","email":"a@b","total_tax":"1","line_items":[{"sku":"A","quantity":3,"price":"0.01"}],` +
		`"shipping_lines":[{"price":"1","discount_allocations":[{"amount":"0.5"}],"tax_lines":[{"price":"0.1"}]}]}`))
	f.Add([]byte(`{"order":{"id":"9","line_items":null}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := shopify.ParseOrder(body)
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("error %v is not apperr.Invalid", err)
			}
			return
		}
		if in.Channel != "shopify" || in.ExternalID == "" || in.Customer.Email == "" || len(in.Lines) == 0 {
			t.Fatalf("accepted an incomplete order: %+v", in)
		}
		amounts := []money.Money{in.Shipping, in.Discount}
		for i, l := range in.Lines {
			if l.SKU == "" || l.Quantity < 1 || l.UnitPrice == nil {
				t.Fatalf("line %d is incomplete: %+v", i, l)
			}
			amounts = append(amounts, *l.UnitPrice, l.Discount, l.Tax)
		}
		for _, m := range amounts {
			if m.Currency != in.Currency || m.Amount < 0 || m.Amount > money.MaxAmount {
				t.Fatalf("amount %v: want 0..MaxAmount in %s", m, in.Currency)
			}
		}
	})
}
