package promise

import (
	"sort"
	"sync"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/no"
	"github.com/rickar/cal/v2/nz"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/us"
)

// nationalHolidays are the national public holidays of the countries
// github.com/rickar/cal/v2 describes, by ISO 3166-1 alpha-2 code. Regional
// holidays (a Brazilian state's, an Italian city's patron saint) are not
// included: add them to a supplier as closures. A country not listed has no
// holidays here; closures cover it too (e.g. Chinese New Year for CN).
var nationalHolidays = map[string][]*cal.Holiday{
	"AT": at.Holidays, "BE": be.Holidays, "BR": br.Holidays, "CA": ca.Holidays, "DE": de.Holidays,
	"DK": dk.Holidays, "ES": es.Holidays, "FR": fr.Holidays, "GB": gb.Holidays, "IE": ie.Holidays,
	"IT": it.Holidays, "NL": nl.Holidays, "NO": no.Holidays, "NZ": nz.Holidays, "PL": pl.Holidays,
	"SE": se.Holidays, "US": us.Holidays,
}

// HolidayCountries lists the countries whose holidays are known, sorted.
func HolidayCountries() []string {
	list := make([]string, 0, len(nationalHolidays))
	for c := range nationalHolidays {
		list = append(list, c)
	}
	sort.Strings(list)
	return list
}

type countryYear struct {
	country string
	year    int
}

// holidayYears caches each country's holidays per year: computing them
// (Easter and all) is far slower than a map lookup, and a promise asks about
// dozens of days.
var holidayYears sync.Map // countryYear → map[Date]string

// Holiday returns the name of the public holiday on d in country, if any. A
// holiday that falls on a weekend and is observed on a weekday (as in the
// US) closes the observed day.
func Holiday(country string, d Date) (string, bool) {
	hs, ok := nationalHolidays[country]
	if !ok {
		return "", false
	}
	key := countryYear{country, d.Year}
	m, ok := holidayYears.Load(key)
	if !ok {
		days := make(map[Date]string, len(hs))
		for _, h := range hs {
			// Observed dates can cross into the next or previous year
			// (1 January on a Saturday is observed on 31 December).
			for _, y := range [...]int{d.Year - 1, d.Year, d.Year + 1} {
				_, obs := h.Calc(y)
				if !obs.IsZero() && obs.Year() == d.Year {
					days[DateOf(obs)] = h.Name
				}
			}
		}
		m, _ = holidayYears.LoadOrStore(key, days)
	}
	name, ok := m.(map[Date]string)[d]
	return name, ok
}

// IsHoliday reports whether d is a public holiday in country.
func IsHoliday(country string, d Date) bool {
	_, ok := Holiday(country, d)
	return ok
}
