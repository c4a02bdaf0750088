package csvimport

import (
	"slices"
	"strings"
)

// column identifies one of the columns an import file may have.
type column int

const (
	colOrderRef column = iota
	colChannel
	colEmail
	colName
	colPhone
	colLocale
	colCurrency
	colSKU
	colQuantity
	colUnitPrice
	colLineDiscount
	colLineTax
	colShipping
	colOrderDiscount
	colTaxesIncluded
	colShipName
	colShipCompany
	colShipLine1
	colShipLine2
	colShipCity
	colShipRegion
	colShipPostalCode
	colShipCountry
	colShipPhone
	colPaymentStatus
	colNote
	colPlacedAt
	numColumns
)

// level says whether a column describes the whole order (its value must be
// the same on every row of the order, or blank on all but one) or one line.
type level int

const (
	orderLevel level = iota
	lineLevel
	keyLevel // order_ref: groups the rows
)

// compare says how two values of an order-level column are compared when
// they appear on several rows of one order.
type compare int

const (
	exact    compare = iota // byte for byte, after trimming spaces
	foldCase                // case-insensitively (emails, codes)
	decimal                 // as numbers: 5, 5.0 and 5.00 agree
	boolean                 // true/yes/1 agree, false/no/0/blank agree
	instant                 // as times: the same instant in any offset agrees
)

type columnSpec struct {
	name     string
	level    level
	cmp      compare
	required bool
}

var columnSpecs = [numColumns]columnSpec{
	colOrderRef:       {"order_ref", keyLevel, exact, true},
	colChannel:        {"channel", orderLevel, foldCase, false},
	colEmail:          {"email", orderLevel, foldCase, true},
	colName:           {"name", orderLevel, exact, false},
	colPhone:          {"phone", orderLevel, exact, false},
	colLocale:         {"locale", orderLevel, foldCase, false},
	colCurrency:       {"currency", orderLevel, foldCase, true},
	colSKU:            {"sku", lineLevel, exact, true},
	colQuantity:       {"quantity", lineLevel, exact, true},
	colUnitPrice:      {"unit_price", lineLevel, exact, false},
	colLineDiscount:   {"line_discount", lineLevel, exact, false},
	colLineTax:        {"line_tax", lineLevel, exact, false},
	colShipping:       {"shipping", orderLevel, decimal, false},
	colOrderDiscount:  {"order_discount", orderLevel, decimal, false},
	colTaxesIncluded:  {"taxes_included", orderLevel, boolean, false},
	colShipName:       {"ship_name", orderLevel, exact, false},
	colShipCompany:    {"ship_company", orderLevel, exact, false},
	colShipLine1:      {"ship_line1", orderLevel, exact, false},
	colShipLine2:      {"ship_line2", orderLevel, exact, false},
	colShipCity:       {"ship_city", orderLevel, exact, false},
	colShipRegion:     {"ship_region", orderLevel, exact, false},
	colShipPostalCode: {"ship_postal_code", orderLevel, exact, false},
	colShipCountry:    {"ship_country", orderLevel, foldCase, false},
	colShipPhone:      {"ship_phone", orderLevel, exact, false},
	colPaymentStatus:  {"payment_status", orderLevel, foldCase, false},
	colNote:           {"note", orderLevel, exact, false},
	colPlacedAt:       {"placed_at", orderLevel, instant, false},
}

func (c column) String() string { return columnSpecs[c].name }

// columnByName maps a normalised header name to its column.
var columnByName = func() map[string]column {
	m := make(map[string]column, numColumns)
	for c := range numColumns {
		m[columnSpecs[c].name] = c
	}
	return m
}()

// ColumnNames lists the column names an import file may use, in the order
// the documentation gives them.
func ColumnNames() []string {
	out := make([]string, numColumns)
	for c := range numColumns {
		out[c] = columnSpecs[c].name
	}
	return out
}

// normHeader turns a header cell into a column name: spreadsheets' "Order
// Ref" or "order-ref" is order_ref.
func normHeader(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, s)
}

// requiredMissing returns the names of required columns the header lacks.
func requiredMissing(present [numColumns]bool) []string {
	var out []string
	for c := range numColumns {
		if columnSpecs[c].required && !present[c] {
			out = append(out, columnSpecs[c].name)
		}
	}
	return out
}

// fieldColumns maps the field names of orders.Service.Place's validation
// errors to the import file's columns. Line fields (lines[i].sku) are
// handled by locate.
var fieldColumns = map[string]column{
	"channel":                      colChannel,
	"external_id":                  colOrderRef,
	"currency":                     colCurrency,
	"customer.email":               colEmail,
	"customer.name":                colName,
	"customer.phone":               colPhone,
	"customer.locale":              colLocale,
	"email":                        colEmail,
	"name":                         colName,
	"phone":                        colPhone,
	"locale":                       colLocale,
	"shipping":                     colShipping,
	"discount":                     colOrderDiscount,
	"taxes_included":               colTaxesIncluded,
	"payment.status":               colPaymentStatus,
	"payment_status":               colPaymentStatus,
	"note":                         colNote,
	"placed_at":                    colPlacedAt,
	"shipping_address.name":        colShipName,
	"shipping_address.company":     colShipCompany,
	"shipping_address.line1":       colShipLine1,
	"shipping_address.line2":       colShipLine2,
	"shipping_address.city":        colShipCity,
	"shipping_address.region":      colShipRegion,
	"shipping_address.postal_code": colShipPostalCode,
	"shipping_address.country":     colShipCountry,
	"shipping_address.phone":       colShipPhone,
}

// lineFieldColumns maps the part after lines[i]. to a line column.
var lineFieldColumns = map[string]column{
	"sku":        colSKU,
	"quantity":   colQuantity,
	"unit_price": colUnitPrice,
	"discount":   colLineDiscount,
	"tax":        colLineTax,
}

// knownColumnList is the list of column names for error messages.
func knownColumnList() string {
	names := ColumnNames()
	slices.Sort(names)
	return strings.Join(names, ", ")
}
