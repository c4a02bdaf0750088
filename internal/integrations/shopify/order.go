package shopify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
)

// Channel is the orders channel Shopify orders are placed on; with the
// Shopify order id it forms the order's external key.
const Channel = "shopify"

// maxQuantity bounds a line's quantity. Shopify caps far lower; the bound
// keeps price × quantity inside money.MaxAmount arithmetic.
const maxQuantity = 1_000_000

// order is the part of Shopify's Admin REST Order object (also the body of
// the orders/create webhook) that Orderly reads. Amounts are the shop-money
// strings ("199.00"); the *_set presentment variants are not read.
type order struct {
	ID              json.Number    `json:"id"`
	Email           string         `json:"email"`
	ContactEmail    string         `json:"contact_email"`
	Phone           string         `json:"phone"`
	Currency        string         `json:"currency"`
	CustomerLocale  string         `json:"customer_locale"`
	FinancialStatus string         `json:"financial_status"`
	TaxesIncluded   bool           `json:"taxes_included"`
	TotalDiscounts  amount         `json:"total_discounts"`
	TotalTax        amount         `json:"total_tax"`
	TaxLines        []taxLine      `json:"tax_lines"`
	Note            string         `json:"note"`
	ProcessedAt     string         `json:"processed_at"`
	CreatedAt       string         `json:"created_at"`
	Customer        *customer      `json:"customer"`
	ShippingAddress *address       `json:"shipping_address"`
	BillingAddress  *address       `json:"billing_address"`
	LineItems       []lineItem     `json:"line_items"`
	ShippingLines   []shippingLine `json:"shipping_lines"`
	// Shopify keeps fraud analysis in separate OrderRisk objects; a payload
	// enriched by an app or Flow may carry them, or a single level.
	RiskLevel string `json:"risk_level"`
	Risks     []risk `json:"risks"`
}

type customer struct {
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Phone     string `json:"phone"`
}

type address struct {
	Name         string `json:"name"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Company      string `json:"company"`
	Address1     string `json:"address1"`
	Address2     string `json:"address2"`
	City         string `json:"city"`
	Province     string `json:"province"`
	ProvinceCode string `json:"province_code"`
	Zip          string `json:"zip"`
	CountryCode  string `json:"country_code"`
	Phone        string `json:"phone"`
}

type lineItem struct {
	Name                string         `json:"name"`
	Title               string         `json:"title"`
	SKU                 string         `json:"sku"`
	Quantity            json.Number    `json:"quantity"`
	Price               amount         `json:"price"`
	TotalDiscount       amount         `json:"total_discount"`
	DiscountAllocations []discountLine `json:"discount_allocations"`
	TaxLines            []taxLine      `json:"tax_lines"`
}

type shippingLine struct {
	Price               amount         `json:"price"`
	DiscountAllocations []discountLine `json:"discount_allocations"`
	TaxLines            []taxLine      `json:"tax_lines"`
}

type discountLine struct {
	Amount amount `json:"amount"`
}

type taxLine struct {
	Price amount `json:"price"`
}

type risk struct {
	Recommendation string `json:"recommendation"` // accept, investigate, cancel
	Level          string `json:"level"`          // low, medium, high
}

// amount is a decimal amount as Shopify writes it: normally a JSON string
// ("199.00"), in a few older fields a bare number. It keeps the literal text,
// so no amount ever passes through a float, and never fails to decode:
// anything that is not a decimal is reported by money.Parse under the field's
// own path instead of aborting the whole document.
type amount struct {
	text string
	set  bool // present and not null
}

func (a *amount) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*a = amount{}
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = amount{text: s, set: true}
	default:
		*a = amount{text: string(b), set: true}
	}
	return nil
}

// ParseOrder maps a Shopify Order object into an orders.PlaceInput on the
// "shopify" channel. body is the orders/create webhook body (the bare Order
// object); a REST response wrapped as {"order": {...}} is accepted too.
//
// All amounts are the shop-currency strings, parsed exactly with money.Parse
// in the order's currency. The mapping, field by field, is in docs/shopify.md;
// the non-obvious rules:
//
//   - A line's discount is the sum of its discount_allocations (falling back
//     to total_discount when there are none); its tax is the sum of its
//     tax_lines.
//   - Shipping is the sum of shipping_lines price less their discount
//     allocations. When taxes are not included in prices, the shipping lines'
//     own tax is added to shipping, since Orderly keeps tax per line only.
//   - Shopify's total_discounts already contains every allocated discount
//     (lines and shipping). Only the part allocated nowhere, which older
//     payloads carry, is passed as the order-level discount; passing
//     total_discounts whole would count each line discount twice.
//   - Order tax (total_tax) that no line or shipping line carries, as in older
//     payloads with order-level tax_lines only, is spread over the lines by
//     their value, largest remainder, so no cent is lost.
//
// Errors are apperr.Invalid with one FieldError per problem, named by the
// Shopify field path, e.g. line_items[2].sku.
func ParseOrder(body []byte) (orders.PlaceInput, error) {
	o, err := decodeOrder(body)
	if err != nil {
		return orders.PlaceInput{}, err
	}
	m := &mapper{}
	in := orders.PlaceInput{
		Channel:       Channel,
		ExternalID:    m.orderID(o.ID),
		Currency:      m.currency(o.Currency),
		Customer:      m.customer(o),
		TaxesIncluded: o.TaxesIncluded,
		Payment:       orders.PaymentSignal{Status: paymentStatus(o.FinancialStatus), Risk: riskOf(o)},
		Note:          strings.TrimSpace(o.Note),
		PlacedAt:      m.placedAt(o),
	}
	if o.ShippingAddress != nil {
		in.ShippingAddress = o.ShippingAddress.toAddress()
	}
	if in.Currency != "" {
		m.amounts(o, &in)
	}
	if err := m.errs.Err(); err != nil {
		return orders.PlaceInput{}, err
	}
	return in, nil
}

// decodeOrder reads body as one JSON object: a bare Order or {"order": Order}.
// Numbers are kept as text (UseNumber): Shopify ids go past 2^53.
func decodeOrder(body []byte) (*order, error) {
	var doc struct {
		order
		Wrapped *order `json:"order"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, apperr.New(apperr.Invalid, "not a Shopify order: unexpected data after the JSON object")
	}
	if doc.Wrapped != nil && doc.ID == "" {
		return doc.Wrapped, nil
	}
	return &doc.order, nil
}

func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		field := strings.TrimPrefix(te.Field, "order.")
		msg := fmt.Sprintf("must be a JSON %s, not %s", jsonKind(te.Type), te.Value)
		return &apperr.Error{Code: apperr.Invalid, Message: "not a Shopify order: " + field + ": " + msg,
			Fields: []apperr.FieldError{{Field: field, Message: msg}}, Err: err}
	}
	if errors.As(err, &te) {
		return apperr.Wrap(err, apperr.Invalid, "not a Shopify order: the body must be a JSON object")
	}
	return apperr.Wrap(err, apperr.Invalid, "not a Shopify order: the body is not valid JSON (%v)", err)
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == reflect.TypeFor[json.Number]() {
		return "number"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Pointer, reflect.Map:
		return "object"
	}
	return "number"
}

// mapper collects the field errors of one payload while mapping it.
type mapper struct {
	errs apperr.Fields
	cur  string
}

func (m *mapper) orderID(id json.Number) string {
	s := id.String()
	if s == "" {
		m.errs.Add("id", "the Shopify order id is required")
		return ""
	}
	if len(s) > 20 || !allDigits(s) || strings.TrimLeft(s, "0") == "" {
		m.errs.Add("id", "the Shopify order id must be a positive whole number, got %q", s)
		return ""
	}
	return s
}

func (m *mapper) currency(c string) string {
	c = strings.ToUpper(strings.TrimSpace(c))
	switch {
	case c == "":
		m.errs.Add("currency", "the order currency is required")
		return ""
	case !money.ValidCurrency(c):
		m.errs.Add("currency", "currency %q is not one Orderly accepts", c)
		return ""
	}
	m.cur = c
	return c
}

// customer takes the customer's email, else the order's email, else its
// contact_email; the name from the customer, else the shipping or billing
// address.
func (m *mapper) customer(o *order) orders.CustomerInput {
	var c customer
	if o.Customer != nil {
		c = *o.Customer
	}
	in := orders.CustomerInput{
		Email:  firstNonEmpty(c.Email, o.Email, o.ContactEmail),
		Name:   joinName(c.FirstName, c.LastName),
		Phone:  firstNonEmpty(c.Phone, o.Phone),
		Locale: locale(o.CustomerLocale),
	}
	for _, a := range []*address{o.ShippingAddress, o.BillingAddress} {
		if in.Name == "" && a != nil {
			in.Name = a.fullName()
		}
	}
	if in.Email == "" {
		m.errs.Add("email", "the order has no customer email (customer.email, email and contact_email are all empty)")
	}
	return in
}

func (m *mapper) placedAt(o *order) time.Time {
	for _, f := range []struct{ name, v string }{{"processed_at", o.ProcessedAt}, {"created_at", o.CreatedAt}} {
		if strings.TrimSpace(f.v) == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(f.v))
		if err != nil {
			m.errs.Add(f.name, "must be an RFC 3339 time such as 2025-07-02T11:31:26-05:00, got %q", f.v)
			return time.Time{}
		}
		return t.UTC()
	}
	return time.Time{} // the orders service places it now
}

// amounts maps lines, shipping, the unallocated order discount and any
// unallocated order tax. The currency is known and valid.
func (m *mapper) amounts(o *order, in *orders.PlaceInput) {
	if len(o.LineItems) == 0 {
		m.errs.Add("line_items", "the order has no line items")
		return
	}
	var allocatedDiscount, allocatedTax, subtotal int64
	weights := make([]int64, len(o.LineItems))
	ok := true
	for i, li := range o.LineItems {
		p := fmt.Sprintf("line_items[%d]", i)
		line := orders.LineInput{SKU: strings.TrimSpace(li.SKU)}
		if line.SKU == "" {
			m.errs.Add(p+".sku", "line %d (%s) has no SKU: give the Shopify variant a SKU that exists in Orderly", i+1, describeLine(li))
		}
		line.Quantity = m.quantity(p+".quantity", li.Quantity)
		price, priceOK := m.money(p+".price", li.Price, true)
		line.UnitPrice = &price
		line.Discount = m.discounts(p, li.DiscountAllocations)
		if len(li.DiscountAllocations) == 0 && li.TotalDiscount.set {
			line.Discount, _ = m.money(p+".total_discount", li.TotalDiscount, false)
		}
		line.Tax = m.taxes(p, li.TaxLines)
		if !priceOK || line.Quantity == 0 {
			ok = false
			in.Lines = append(in.Lines, line)
			continue
		}
		if price.Amount > money.MaxAmount/int64(line.Quantity) {
			m.errs.Add(p+".price", "price × quantity is out of range")
			ok = false
		} else {
			weights[i] = max(price.Amount*int64(line.Quantity)-line.Discount.Amount, 0)
			ok = m.sum(p, &subtotal, price.Amount*int64(line.Quantity)) && ok
		}
		ok = m.sum(p, &allocatedDiscount, line.Discount.Amount) && ok
		ok = m.sum(p, &allocatedTax, line.Tax.Amount) && ok
		in.Lines = append(in.Lines, line)
	}

	var shipping int64
	for i, sl := range o.ShippingLines {
		p := fmt.Sprintf("shipping_lines[%d]", i)
		price, _ := m.money(p+".price", sl.Price, true)
		disc := m.discounts(p, sl.DiscountAllocations)
		tax := m.taxes(p, sl.TaxLines)
		ok = m.sum(p, &shipping, price.Amount-disc.Amount) && ok
		ok = m.sum(p, &allocatedDiscount, disc.Amount) && ok
		ok = m.sum(p, &allocatedTax, tax.Amount) && ok
		if !o.TaxesIncluded {
			// Orderly keeps tax on lines only; the customer still pays
			// shipping's tax, so it travels with shipping.
			ok = m.sum(p, &shipping, tax.Amount) && ok
		}
	}
	if shipping < 0 {
		m.errs.Add("shipping_lines", "shipping discounts exceed the shipping price")
		ok = false
	}
	in.Shipping = money.Money{Amount: shipping, Currency: m.cur}

	// total_discounts counts every discount, allocated or not. Only what no
	// line or shipping line carries is an order-level discount; if Shopify's
	// figure is below the allocations (it leaves some shipping discounts
	// out), nothing is left over.
	totalDiscounts, _ := m.money("total_discounts", o.TotalDiscounts, false)
	in.Discount = money.Money{Amount: max(totalDiscounts.Amount-allocatedDiscount, 0), Currency: m.cur}

	// Order tax not carried by any line (older payloads put it only in the
	// order's tax_lines) is spread over the lines so the total stays right.
	orderTax, _ := m.money("total_tax", o.TotalTax, false)
	if !o.TotalTax.set {
		orderTax = m.taxes("", o.TaxLines)
	}
	if rest := orderTax.Amount - allocatedTax; ok && rest > 0 && m.errs.Err() == nil {
		for i, part := range (money.Money{Amount: rest, Currency: m.cur}).Allocate(weights) {
			in.Lines[i].Tax.Amount += part.Amount
		}
	}
}

// quantity parses a line quantity: a whole number from 1 to maxQuantity.
func (m *mapper) quantity(field string, n json.Number) int {
	s := n.String()
	q, err := strconv.Atoi(s)
	switch {
	case s == "":
		m.errs.Add(field, "the quantity is required")
	case err != nil:
		m.errs.Add(field, "must be a whole number, got %q", s)
	case q < 1 || q > maxQuantity:
		m.errs.Add(field, "must be between 1 and %d, got %d", maxQuantity, q)
	default:
		return q
	}
	return 0
}

// money parses a non-negative amount in the order currency. A missing
// optional amount is zero.
func (m *mapper) money(field string, a amount, required bool) (money.Money, bool) {
	zero := money.Money{Currency: m.cur}
	if !a.set || strings.TrimSpace(a.text) == "" {
		if required {
			m.errs.Add(field, "the amount is required")
			return zero, false
		}
		return zero, true
	}
	v, err := money.Parse(trimZeros(a.text, m.cur), m.cur)
	if err != nil {
		m.errs.Add(field, "%v", err)
		return zero, false
	}
	if v.Amount < 0 {
		m.errs.Add(field, "must not be negative, got %s", a.text)
		return zero, false
	}
	return v, true
}

// trimZeros drops zeros written past the currency's decimals ("1200.00" JPY
// is 1200): they change nothing. Non-zero extra digits stay, and money.Parse
// refuses them rather than rounding.
func trimZeros(s, currency string) string {
	s = strings.TrimSpace(s)
	exp, _ := money.Exponent(currency)
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) <= exp || strings.Trim(frac[exp:], "0") != "" {
		return s
	}
	if exp == 0 {
		return whole
	}
	return whole + "." + frac[:exp]
}

func (m *mapper) discounts(prefix string, list []discountLine) money.Money {
	total := money.Money{Currency: m.cur}
	for i, d := range list {
		f := fmt.Sprintf("%s.discount_allocations[%d].amount", prefix, i)
		v, _ := m.money(f, d.Amount, true)
		m.sum(f, &total.Amount, v.Amount)
	}
	return total
}

func (m *mapper) taxes(prefix string, list []taxLine) money.Money {
	total := money.Money{Currency: m.cur}
	for i, t := range list {
		f := fmt.Sprintf("tax_lines[%d].price", i)
		if prefix != "" {
			f = prefix + "." + f
		}
		v, _ := m.money(f, t.Price, true)
		m.sum(f, &total.Amount, v.Amount)
	}
	return total
}

// sum adds v to *total unless the result leaves ±money.MaxAmount. Every
// operand is itself within MaxAmount, so the addition cannot overflow.
func (m *mapper) sum(field string, total *int64, v int64) bool {
	s := *total + v
	if s > money.MaxAmount || s < -money.MaxAmount {
		m.errs.Add(field, "the amounts add up to more than Orderly can hold")
		return false
	}
	*total = s
	return true
}

// paymentStatus maps Shopify's financial_status to Orderly's payment status.
// The statuses both know pass through; expired means the authorization
// lapsed, which is as good as voided. An unknown or missing status is treated
// as pending, so the order is held for a person to look at rather than
// shipped unpaid.
func paymentStatus(s string) string {
	switch s = strings.ToLower(strings.TrimSpace(s)); s {
	case "paid", "pending", "authorized", "partially_paid", "refunded", "partially_refunded", "voided":
		return s
	case "expired":
		return "voided"
	}
	return "pending"
}

// riskOf takes the highest risk the payload states: a risk_level field, or
// Shopify OrderRisk objects (recommendation cancel = high, investigate =
// medium). Plain orders/create payloads carry neither and are low risk.
func riskOf(o *order) string {
	rank := map[string]int{"low": 0, "medium": 1, "high": 2}
	best := "low"
	consider := func(level string) {
		level = strings.ToLower(strings.TrimSpace(level))
		switch level {
		case "cancel":
			level = "high"
		case "investigate":
			level = "medium"
		}
		if r, ok := rank[level]; ok && r > rank[best] {
			best = level
		}
	}
	consider(o.RiskLevel)
	for _, r := range o.Risks {
		consider(r.Recommendation)
		consider(r.Level)
	}
	return best
}

// locale maps Shopify's customer_locale (en, en-US, pt-BR, pt-PT, it, fr, ...)
// to a language Orderly writes to customers in: English, Brazilian
// Portuguese (for every Portuguese) or Italian. Others are left empty, which
// the orders service takes as its default, English.
func locale(l string) string {
	lang, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(l)), "-")
	switch lang {
	case "en":
		return "en"
	case "pt":
		return "pt-BR"
	case "it":
		return "it"
	}
	return ""
}

func (a *address) toAddress() customers.Address {
	return customers.Address{
		Name:       a.fullName(),
		Company:    strings.TrimSpace(a.Company),
		Line1:      strings.TrimSpace(a.Address1),
		Line2:      strings.TrimSpace(a.Address2),
		City:       strings.TrimSpace(a.City),
		Region:     firstNonEmpty(a.ProvinceCode, a.Province),
		PostalCode: strings.TrimSpace(a.Zip),
		Country:    strings.ToUpper(strings.TrimSpace(a.CountryCode)),
		Phone:      strings.TrimSpace(a.Phone),
	}
}

func (a *address) fullName() string {
	return firstNonEmpty(a.Name, joinName(a.FirstName, a.LastName))
}

// describeLine names a line for an error message as Shopify shows it.
func describeLine(li lineItem) string {
	if n := firstNonEmpty(li.Name, li.Title); n != "" {
		return strconv.Quote(n)
	}
	return "untitled"
}

func joinName(first, last string) string {
	return strings.TrimSpace(strings.TrimSpace(first) + " " + strings.TrimSpace(last))
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
