package bench

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/orders"
)

// Order is one generated order: distinct random SKUs, small quantities and a
// customer drawn from a pool (so some orders come from new customers and
// some from returning ones, as in a real store).
type Order struct {
	ExternalID string
	Email      string
	Name       string
	Lines      []Line
}

// Line is one line of a generated order.
type Line struct {
	SKU *SKU
	Qty int
}

// customerPool is how many distinct customers the generated orders come from.
const customerPool = 20_000

var (
	firstNames = []string{"Giulia", "Marco", "Ana", "João", "Sofia", "Luca", "Beatriz", "Pedro", "Chiara", "Rafael"}
	lastNames  = []string{"Rossi", "Silva", "Bianchi", "Santos", "Ferrari", "Oliveira", "Romano", "Costa", "Ricci", "Pereira"}
)

// Generate returns n orders of lines lines each over the catalog, the same
// for the same seed; tag makes the external ids unique to one batch.
func Generate(c *Catalog, n, lines int, seed uint64, tag string) []Order {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	out := make([]Order, n)
	for i := range out {
		k := rng.IntN(customerPool)
		o := Order{
			ExternalID: fmt.Sprintf("%s-%d", tag, i),
			Email:      fmt.Sprintf("customer%05d@bench.example", k),
			Name:       firstNames[k%len(firstNames)] + " " + lastNames[(k/len(firstNames))%len(lastNames)],
		}
		seen := make(map[int]bool, lines)
		for len(o.Lines) < lines && len(seen) < len(c.SKUs) {
			j := rng.IntN(len(c.SKUs))
			if seen[j] {
				continue
			}
			seen[j] = true
			o.Lines = append(o.Lines, Line{SKU: &c.SKUs[j], Qty: 1 + rng.IntN(2)})
		}
		out[i] = o
	}
	return out
}

// address is the shipping address of every generated order (valid, so no
// address hold is placed).
func address(name string) customers.Address {
	return customers.Address{Name: name, Line1: "Via Roma 10", City: "Milano", PostalCode: "20121", Country: "IT", Phone: "+39 02 1234567"}
}

// Input is the order as orders.Service.Place takes it.
func (o *Order) Input() orders.PlaceInput {
	in := orders.PlaceInput{
		Channel: "api", ExternalID: o.ExternalID, Currency: "EUR",
		Customer:        orders.CustomerInput{Email: o.Email, Name: o.Name, Locale: "it"},
		ShippingAddress: address(o.Name),
		Payment:         orders.PaymentSignal{Status: "paid", Risk: "low"},
	}
	for _, l := range o.Lines {
		in.Lines = append(in.Lines, orders.LineInput{SKU: l.SKU.SKU, Quantity: l.Qty})
	}
	return in
}

// apiOrder is the body of POST /api/v1/orders (docs/api.md).
type apiOrder struct {
	Channel         string            `json:"channel"`
	ExternalID      string            `json:"external_id"`
	Currency        string            `json:"currency"`
	Customer        apiCustomer       `json:"customer"`
	ShippingAddress customers.Address `json:"shipping_address"`
	Lines           []apiLine         `json:"lines"`
	Payment         apiPayment        `json:"payment"`
	PlacedAt        string            `json:"placed_at,omitempty"`
}

type apiCustomer struct {
	Email  string `json:"email"`
	Name   string `json:"name"`
	Locale string `json:"locale"`
}

type apiLine struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

type apiPayment struct {
	Status string `json:"status"`
	Risk   string `json:"risk"`
}

// JSON is the order as a storefront would POST it to /api/v1/orders.
func (o *Order) JSON() []byte {
	b := apiOrder{Channel: "api", ExternalID: o.ExternalID, Currency: "EUR",
		Customer:        apiCustomer{Email: o.Email, Name: o.Name, Locale: "it"},
		ShippingAddress: address(o.Name),
		Payment:         apiPayment{Status: "paid", Risk: "low"},
	}
	for _, l := range o.Lines {
		b.Lines = append(b.Lines, apiLine{SKU: l.SKU.SKU, Quantity: l.Qty})
	}
	js, err := json.Marshal(b)
	if err != nil {
		panic(err) // plain structs of strings and ints always marshal
	}
	return js
}
