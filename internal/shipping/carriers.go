package shipping

import "github.com/orderly-oms/orderly/internal/carriers"

// checkCarrier is the default carrier check: carriers.Check.
func checkCarrier(name, number string) (Carrier, error) {
	r, err := carriers.Check(name, number)
	if err != nil {
		return Carrier{}, err
	}
	return Carrier{Code: string(r.Code), Known: r.Known, Number: r.Number, URL: r.URL, Warning: r.Warning}, nil
}
