package customers

import (
	"strings"
	"sync"

	"github.com/orderly-oms/orderly/internal/suppliers"
)

// The list of ISO 3166-1 alpha-2 codes is the one suppliers keeps
// (suppliers.ParseCountry); customers reuses it rather than keeping a copy.
// suppliers depends only on catalog, so this adds no cycle; the arrow must
// stay one way (suppliers must never import customers).

// knownCountry reports whether code is an ISO 3166-1 alpha-2 code.
func knownCountry(code string) bool {
	if len(code) != 2 {
		return false
	}
	_, err := suppliers.ParseCountry(code)
	return err == nil
}

// countryName returns the English name of a known code, for messages.
func countryName(code string) string {
	if r, ok := postalRules[code]; ok {
		return r.country
	}
	return suppliers.Country(code).Name()
}

// countryAliases maps common ways of writing a country, folded by foldName,
// to its code: alpha-3 codes, English, Portuguese, Italian, Spanish, French
// and German names of the countries a microbrand most often ships to, and
// "UK", which ISO reserves but does not assign (the code is GB). The English
// short names of every country are added from the ISO list at first use.
var countryAliases = map[string]string{
	// Brazil
	"bra": "BR", "brazil": "BR", "brasil": "BR", "brasile": "BR", "bresil": "BR", "brasilien": "BR",
	"republica federativa do brasil": "BR",
	// Italy
	"ita": "IT", "italy": "IT", "italia": "IT", "italie": "IT", "italien": "IT", "repubblica italiana": "IT",
	// United States
	"usa": "US", "united states": "US", "united states of america": "US", "the united states": "US",
	"estados unidos": "US", "estados unidos da america": "US", "eua": "US", "eeuu": "US", "stati uniti": "US",
	"stati uniti d'america": "US", "etats-unis": "US", "etats unis": "US", "vereinigte staaten": "US",
	// United Kingdom
	"uk": "GB", "gbr": "GB", "united kingdom": "GB", "the united kingdom": "GB", "great britain": "GB",
	"britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
	"united kingdom of great britain and northern ireland": "GB", "reino unido": "GB", "regno unito": "GB",
	"royaume-uni": "GB", "royaume uni": "GB", "vereinigtes konigreich": "GB", "inglaterra": "GB", "inghilterra": "GB",
	// Germany
	"deu": "DE", "germany": "DE", "deutschland": "DE", "alemanha": "DE", "alemania": "DE", "germania": "DE", "allemagne": "DE",
	// France
	"fra": "FR", "france": "FR", "franca": "FR", "francia": "FR", "frankreich": "FR",
	// Spain
	"esp": "ES", "spain": "ES", "espana": "ES", "espanha": "ES", "spagna": "ES", "espagne": "ES", "spanien": "ES",
	// Portugal
	"prt": "PT", "portugal": "PT", "portogallo": "PT",
	// Canada
	"can": "CA", "canada": "CA", "kanada": "CA",
	// Australia
	"aus": "AU", "australia": "AU", "australie": "AU", "australien": "AU",
	// Others often seen on storefront orders
	"nld": "NL", "netherlands": "NL", "the netherlands": "NL", "holland": "NL", "nederland": "NL", "holanda": "NL",
	"paesi bassi": "NL", "paises baixos": "NL", "paises bajos": "NL", "pays-bas": "NL", "niederlande": "NL",
	"bel": "BE", "belgium": "BE", "belgie": "BE", "belgique": "BE", "belgica": "BE", "belgio": "BE", "belgien": "BE",
	"che": "CH", "switzerland": "CH", "schweiz": "CH", "suisse": "CH", "svizzera": "CH", "suica": "CH", "suiza": "CH",
	"aut": "AT", "austria": "AT", "osterreich": "AT", "autriche": "AT",
	"irl": "IE", "ireland": "IE", "eire": "IE", "irlanda": "IE",
	"mex": "MX", "mexico": "MX", "messico": "MX", "mexique": "MX",
	"uae": "AE", "united arab emirates": "AE",
	"south korea": "KR", "czechia": "CZ", "russian federation": "RU",
	"new zealand": "NZ", "ivory coast": "CI", "cote d'ivoire": "CI",
}

// countryNames is countryAliases plus the folded English short name of every
// ISO country, built once.
var countryNames = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, len(countryAliases)+300)
	for a := byte('A'); a <= 'Z'; a++ {
		for b := byte('A'); b <= 'Z'; b++ {
			code := string([]byte{a, b})
			if knownCountry(code) {
				m[foldName(suppliers.Country(code).Name())] = code
			}
		}
	}
	for k, v := range countryAliases {
		m[foldName(k)] = v // aliases win over the list's short names
	}
	return m
})

// lookupCountry returns the code for s, an alpha-2 code in any case or a
// country name countryNames knows, and whether it found one.
func lookupCountry(s string) (string, bool) {
	folded := foldName(s) // "U.S." is "us"
	if up := strings.ToUpper(folded); knownCountry(up) {
		return up, true
	}
	code, ok := countryNames()[folded]
	return code, ok
}

// foldName folds a country name for lookup: lower case, common Latin accents
// removed, dots dropped ("U.S.A." is "usa"), spaces collapsed.
func foldName(s string) string {
	s = strings.ToLower(s)
	s = accentFolder.Replace(s)
	s = strings.ReplaceAll(s, ".", "")
	s = strings.ReplaceAll(s, "&", " and ")
	return strings.Join(strings.Fields(s), " ")
}

var accentFolder = strings.NewReplacer(
	"à", "a", "á", "a", "â", "a", "ã", "a", "ä", "a", "å", "a",
	"ç", "c",
	"è", "e", "é", "e", "ê", "e", "ë", "e",
	"ì", "i", "í", "i", "î", "i", "ï", "i",
	"ñ", "n",
	"ò", "o", "ó", "o", "ô", "o", "õ", "o", "ö", "o",
	"ù", "u", "ú", "u", "û", "u", "ü", "u",
	"’", "'",
)
