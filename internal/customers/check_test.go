package customers_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orderly-oms/orderly/internal/customers"
)

// addr builds an address with a name and line 1, which most cases do not vary.
func addr(city, postal, country string) customers.Address {
	return customers.Address{Name: "Ana Souza", Line1: "Street 1", City: city, PostalCode: postal, Country: country}
}

// Real addresses (public landmarks and institutions) that must pass, with
// the postal code as it is written by the postal operator.
func TestCheckAddressAcceptsRealAddresses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a    customers.Address
	}{
		{"BR MASP São Paulo", customers.Address{Name: "Ana Souza", Line1: "Av. Paulista, 1578", Line2: "Bela Vista", City: "São Paulo", Region: "SP", PostalCode: "01310-200", Country: "BR"}},
		{"BR Rio de Janeiro", customers.Address{Name: "João Silva", Line1: "Praça Mal. Âncora, s/n", City: "Rio de Janeiro", Region: "RJ", PostalCode: "20021-200", Country: "BR"}},
		{"BR Manaus", addr("Manaus", "69005-070", "BR")},
		{"IT Colosseo Roma", customers.Address{Name: "Giulia Rossi", Line1: "Piazza del Colosseo, 1", City: "Roma", Region: "RM", PostalCode: "00184", Country: "IT"}},
		{"IT Duomo Milano", addr("Milano", "20122", "IT")},
		{"IT Lampedusa", addr("Lampedusa e Linosa", "92031", "IT")},
		{"US White House ZIP+4", customers.Address{Name: "Sam Lee", Line1: "1600 Pennsylvania Avenue NW", City: "Washington", Region: "DC", PostalCode: "20500-0003", Country: "US"}},
		{"US Empire State", customers.Address{Name: "Sam Lee", Line1: "350 Fifth Avenue", Line2: "Floor 21", City: "New York", Region: "NY", PostalCode: "10118", Country: "US"}},
		{"US Anchorage", addr("Anchorage", "99501", "US")},
		{"US Holtsville (00501)", addr("Holtsville", "00501", "US")},
		{"GB Downing Street", customers.Address{Name: "Alex Smith", Line1: "10 Downing Street", City: "London", PostalCode: "SW1A 2AA", Country: "GB"}},
		{"GB Buckingham Palace", addr("London", "SW1A 1AA", "GB")},
		{"GB EC1A", addr("London", "EC1A 1BB", "GB")},
		{"GB W1A (BBC)", addr("London", "W1A 1AA", "GB")},
		{"GB Manchester M1", addr("Manchester", "M1 1AE", "GB")},
		{"GB Birmingham B33", addr("Birmingham", "B33 8TH", "GB")},
		{"GB Croydon CR2", addr("Croydon", "CR2 6XH", "GB")},
		{"GB Doncaster DN55", addr("Doncaster", "DN55 1PT", "GB")},
		{"GB Scottish Parliament", addr("Edinburgh", "EH99 1SP", "GB")},
		{"GB Cardiff", addr("Cardiff", "CF10 1EP", "GB")},
		{"GB Belfast", addr("Belfast", "BT1 5GS", "GB")},
		{"GB Girobank", addr("Bootle", "GIR 0AA", "GB")},
		{"GB forces post", addr("BFPO", "BFPO 801", "GB")},
		{"DE Bundestag", customers.Address{Name: "Max Müller", Line1: "Platz der Republik 1", City: "Berlin", PostalCode: "11011", Country: "DE"}},
		{"DE Dresden 01067", addr("Dresden", "01067", "DE")},
		{"DE München", addr("München", "80331", "DE")},
		{"FR Élysée", customers.Address{Name: "Chloé Martin", Line1: "55 Rue du Faubourg Saint-Honoré", City: "Paris", PostalCode: "75008", Country: "FR"}},
		{"FR Ajaccio (Corsica)", addr("Ajaccio", "20000", "FR")},
		{"FR Guadeloupe 971", addr("Pointe-à-Pitre", "97110", "FR")},
		{"ES Prado Madrid", customers.Address{Name: "Lucía García", Line1: "Calle de Ruiz de Alarcón, 23", City: "Madrid", PostalCode: "28014", Country: "ES"}},
		{"ES Sagrada Família", addr("Barcelona", "08013", "ES")},
		{"ES Álava 01", addr("Vitoria-Gasteiz", "01001", "ES")},
		{"ES Melilla 52", addr("Melilla", "52001", "ES")},
		{"PT Praça do Comércio", customers.Address{Name: "Inês Costa", Line1: "Praça do Comércio", City: "Lisboa", PostalCode: "1100-148", Country: "PT"}},
		{"PT Porto", addr("Porto", "4000-064", "PT")},
		{"PT Funchal", addr("Funchal", "9000-018", "PT")},
		{"CA Parliament", customers.Address{Name: "Émile Tremblay", Line1: "111 Wellington St", City: "Ottawa", Region: "ON", PostalCode: "K1A 0A9", Country: "CA"}},
		{"CA CN Tower", addr("Toronto", "M5V 3L9", "CA")},
		{"CA Vancouver", addr("Vancouver", "V6B 1A1", "CA")},
		{"CA Yukon", addr("Whitehorse", "Y1A 1B1", "CA")},
		{"CA Santa (H0H 0H0)", addr("North Pole", "H0H 0H0", "CA")},
		{"AU Opera House", customers.Address{Name: "Jack Wilson", Line1: "Bennelong Point", City: "Sydney", Region: "NSW", PostalCode: "2000", Country: "AU"}},
		{"AU Darwin 0800", addr("Darwin", "0800", "AU")},
		{"AU Canberra", addr("Canberra", "2600", "AU")},
		{"NL as written", addr("Amsterdam", "1012 JS", "NL")},
		{"JP as written", addr("Tokyo", "100-0001", "JP")},
		{"IE without Eircode", addr("Dublin 2", "", "IE")},
		{"IE with Eircode", addr("Dublin 2", "D02 X285", "IE")},
		{"HK without postal code", addr("Central", "", "HK")},
		{"AE without postal code", addr("Dubai", "", "AE")},
	}
	for _, tt := range tests {
		if ps := customers.CheckAddress(tt.a); len(ps) != 0 {
			t.Errorf("%s: CheckAddress(%+v) = %v, want no problems", tt.name, tt.a, ps)
		}
	}
}

func TestCheckAddressProblems(t *testing.T) {
	t.Parallel()
	p := func(field, msg string) []customers.Problem { return []customers.Problem{{Field: field, Message: msg}} }
	tests := []struct {
		name string
		a    customers.Address
		want []customers.Problem
	}{
		{"BR short", addr("São Paulo", "1234", "BR"),
			p("postal_code", `postal code "1234" does not match the Brazilian format 00000-000`)},
		{"BR seven digits", addr("São Paulo", "01310-20", "BR"),
			p("postal_code", `postal code "01310-20" does not match the Brazilian format 00000-000`)},
		{"BR letters", addr("São Paulo", "CEP 0131", "BR"),
			p("postal_code", `postal code "CEP 0131" does not match the Brazilian format 00000-000`)},
		{"BR missing", addr("São Paulo", "", "Brasil"),
			p("postal_code", `a postal code is required for addresses in Brazil (format 00000-000)`)},
		{"IT four digits", addr("Roma", "0018", "IT"),
			p("postal_code", `postal code "0018" does not match the Italian format 00000`)},
		{"IT six digits", addr("Roma", "001844", "Italia"),
			p("postal_code", `postal code "001844" does not match the Italian format 00000`)},
		{"US four digits", addr("Washington", "2050", "US"),
			p("postal_code", `postal code "2050" does not match the US ZIP code format 00000 or 00000-0000`)},
		{"US bad plus-four", addr("Washington", "20500-003", "USA"),
			p("postal_code", `postal code "20500-003" does not match the US ZIP code format 00000 or 00000-0000`)},
		{"US letters", addr("Washington", "DC 20500", "US"),
			p("postal_code", `postal code "DC 20500" does not match the US ZIP code format 00000 or 00000-0000`)},
		{"GB inward code short", addr("London", "SW1A 1A", "GB"),
			p("postal_code", `postal code "SW1A 1A" does not match the British format A9 9AA, A99 9AA, A9A 9AA, AA9 9AA, AA99 9AA or AA9A 9AA (e.g. SW1A 1AA)`)},
		{"GB Q first", addr("London", "QA1 1AA", "UK"),
			p("postal_code", `postal code "QA1 1AA" does not match the British format A9 9AA, A99 9AA, A9A 9AA, AA9 9AA, AA99 9AA or AA9A 9AA (e.g. SW1A 1AA)`)},
		{"GB I second", addr("London", "AI1 1AA", "GB"),
			p("postal_code", `postal code "AI1 1AA" does not match the British format A9 9AA, A99 9AA, A9A 9AA, AA9 9AA, AA99 9AA or AA9A 9AA (e.g. SW1A 1AA)`)},
		{"GB C in unit", addr("London", "SW1A 1CA", "GB"),
			p("postal_code", `postal code "SW1A 1CA" does not match the British format A9 9AA, A99 9AA, A9A 9AA, AA9 9AA, AA99 9AA or AA9A 9AA (e.g. SW1A 1AA)`)},
		{"GB US ZIP", addr("London", "10118", "GB"),
			p("postal_code", `postal code "10118" does not match the British format A9 9AA, A99 9AA, A9A 9AA, AA9 9AA, AA99 9AA or AA9A 9AA (e.g. SW1A 1AA)`)},
		{"DE four digits", addr("Berlin", "1011", "DE"),
			p("postal_code", `postal code "1011" does not match the German format 00000`)},
		{"DE missing", addr("Berlin", "", "Deutschland"),
			p("postal_code", `a postal code is required for addresses in Germany (format 00000)`)},
		{"FR four digits", addr("Paris", "7500", "FR"),
			p("postal_code", `postal code "7500" does not match the French format 00000`)},
		{"FR CEDEX written in", addr("Paris", "75008 CEDEX", "FR"),
			p("postal_code", `postal code "75008 CEDEX" does not match the French format 00000`)},
		{"ES province 53", addr("Madrid", "53001", "ES"),
			p("postal_code", `postal code "53001" does not match the Spanish format 00000: its first two digits are the province, 01 to 52`)},
		{"ES province 00", addr("Madrid", "00123", "España"),
			p("postal_code", `postal code "00123" does not match the Spanish format 00000: its first two digits are the province, 01 to 52`)},
		{"ES four digits", addr("Madrid", "2801", "ES"),
			p("postal_code", `postal code "2801" does not match the Spanish format 00000`)},
		{"PT old four-digit code", addr("Lisboa", "1100", "PT"),
			p("postal_code", `postal code "1100" does not match the Portuguese format 0000-000`)},
		{"PT starting with 0", addr("Lisboa", "0100-100", "PT"),
			p("postal_code", `postal code "0100-100" does not match the Portuguese format 0000-000: Portuguese postal codes never start with 0`)},
		{"CA letter D", addr("Ottawa", "D1A 0B1", "CA"),
			p("postal_code", `postal code "D1A 0B1" does not match the Canadian format A0A 0A0: Canadian postal codes never use D, F, I, O, Q or U, nor W or Z as the first letter`)},
		{"CA W first", addr("Ottawa", "W1A 0B1", "CA"),
			p("postal_code", `postal code "W1A 0B1" does not match the Canadian format A0A 0A0: Canadian postal codes never use D, F, I, O, Q or U, nor W or Z as the first letter`)},
		{"CA O in third place", addr("Ottawa", "K1O 0B1", "CA"),
			p("postal_code", `postal code "K1O 0B1" does not match the Canadian format A0A 0A0: Canadian postal codes never use D, F, I, O, Q or U, nor W or Z as the first letter`)},
		{"CA short", addr("Ottawa", "K1A 0B", "CA"),
			p("postal_code", `postal code "K1A 0B" does not match the Canadian format A0A 0A0`)},
		{"CA US ZIP", addr("Ottawa", "12345", "Canada"),
			p("postal_code", `postal code "12345" does not match the Canadian format A0A 0A0`)},
		{"AU three digits", addr("Darwin", "800", "AU"),
			p("postal_code", `postal code "800" does not match the Australian format 0000`)},
		{"AU five digits", addr("Sydney", "20000", "Australia"),
			p("postal_code", `postal code "20000" does not match the Australian format 0000`)},
		{"NL missing", addr("Amsterdam", "", "NL"),
			p("postal_code", `a postal code is required for addresses in Netherlands`)},
		{"unknown code", addr("Amsterdam", "1012 JS", "XX"),
			p("country", `country "XX" is not a known country: use an ISO 3166-1 alpha-2 code such as BR, IT or US`)},
		{"unknown name", addr("Cair Paravel", "1", "Narnia"),
			p("country", `country "Narnia" is not a known country: use an ISO 3166-1 alpha-2 code such as BR, IT or US`)},
		{"missing country", addr("Lisboa", "1100-148", ""),
			p("country", `the country is required (an ISO 3166-1 alpha-2 code such as BR, IT or US)`)},
		{"punctuation only name", customers.Address{Name: " - ", Line1: "Via Roma 1", City: "Torino", PostalCode: "10121", Country: "IT"},
			p("name", `the recipient's name "-" has no letters or digits`)},
		{"everything missing", customers.Address{}, []customers.Problem{
			{Field: "name", Message: "the recipient's name is required"},
			{Field: "line1", Message: "the street address (line 1) is required"},
			{Field: "city", Message: "the city is required"},
			{Field: "country", Message: "the country is required (an ISO 3166-1 alpha-2 code such as BR, IT or US)"},
		}},
		{"blank fields and bad postal code", customers.Address{Name: "  ", Line1: "\t", City: "Lisboa", PostalCode: "11", Country: "Portugal"}, []customers.Problem{
			{Field: "name", Message: "the recipient's name is required"},
			{Field: "line1", Message: "the street address (line 1) is required"},
			{Field: "postal_code", Message: `postal code "11" does not match the Portuguese format 0000-000`},
		}},
	}
	for _, tt := range tests {
		got := customers.CheckAddress(tt.a)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: CheckAddress(%+v) (-want +got):\n%s", tt.name, tt.a, diff)
		}
	}
}

func TestNormalizeAddressCountry(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"BR": "BR", "br": "BR", " Br ": "BR", "Brazil": "BR", "Brasil": "BR", "BRASIL": "BR", "BRA": "BR",
		"Italia": "IT", "Italy": "IT", "ITA": "IT", "it": "IT",
		"United States": "US", "united states of america": "US", "USA": "US", "U.S.A.": "US", "U.S.": "US", "us": "US", "Estados Unidos": "US",
		"UK": "GB", "U.K.": "GB", "United Kingdom": "GB", "Great Britain": "GB", "England": "GB", "Scotland": "GB", "gb": "GB",
		"Deutschland": "DE", "Germany": "DE", "Alemanha": "DE",
		"France": "FR", "França": "FR",
		"España": "ES", "Espanha": "ES", "Spain": "ES",
		"Portugal": "PT", "PRT": "PT",
		"Canada": "CA", "Canadá": "CA",
		"Australia": "AU", "Austrália": "AU",
		"Österreich": "AT", "Schweiz": "CH", "The Netherlands": "NL", "Holland": "NL",
		"Côte d'Ivoire": "CI", "Czech Republic": "CZ", "Japan": "JP", "New Zealand": "NZ",
		// Unknown names are kept as written (cleaned), for CheckAddress to report.
		"Narnia": "Narnia", "  Middle   Earth ": "Middle Earth", "XX": "XX", "": "",
	}
	for in, want := range tests {
		if got := customers.NormalizeAddress(customers.Address{Country: in}).Country; got != want {
			t.Errorf("country %q normalised to %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeAddressPostalCode(t *testing.T) {
	t.Parallel()
	tests := []struct{ country, in, want string }{
		{"BR", "01310100", "01310-100"},
		{"BR", "01310-100", "01310-100"},
		{"BR", "01310 100", "01310-100"},
		{"BR", "01.310-100", "01310-100"},
		{"Brasil", " 20021200 ", "20021-200"},
		{"BR", "1234", "1234"}, // not fixable: kept for the check to quote
		{"US", "20500", "20500"},
		{"US", "205000003", "20500-0003"},
		{"US", "20500 0003", "20500-0003"},
		{"US", "20500-0003", "20500-0003"},
		{"GB", "sw1a1aa", "SW1A 1AA"},
		{"GB", "sw1a   1aa", "SW1A 1AA"},
		{"GB", "SW1A 1AA", "SW1A 1AA"},
		{"UK", "m11ae", "M1 1AE"},
		{"GB", "ec1a-1bb", "EC1A 1BB"},
		{"GB", "bfpo801", "BFPO 801"},
		{"GB", "BFPO 12", "BFPO 12"},
		{"GB", "gir0aa", "GIR 0AA"},
		{"CA", "k1a0b1", "K1A 0B1"},
		{"CA", "K1A-0B1", "K1A 0B1"},
		{"CA", "k1a 0b1", "K1A 0B1"},
		{"PT", "1100148", "1100-148"},
		{"PT", "1100 148", "1100-148"},
		{"PT", "1100-148", "1100-148"},
		{"DE", "D-80331", "80331"},
		{"DE", "80 331", "80331"},
		{"IT", "I-00184", "00184"},
		{"FR", "75 008", "75008"},
		{"ES", "28014", "28014"},
		{"AU", " 2000 ", "2000"},
		// Countries without a rule are only cleaned.
		{"NL", " 1012js ", "1012js"},
		{"NL", "1012  JS", "1012 JS"},
		{"JP", "100-0001", "100-0001"},
		{"Narnia", "abc  1", "abc 1"},
	}
	for _, tt := range tests {
		got := customers.NormalizeAddress(customers.Address{Country: tt.country, PostalCode: tt.in}).PostalCode
		if got != tt.want {
			t.Errorf("%s postal code %q normalised to %q, want %q", tt.country, tt.in, got, tt.want)
		}
	}
}

func TestNormalizeAddressCleansEveryField(t *testing.T) {
	t.Parallel()
	in := customers.Address{
		Name: "  Ana\t Souza ", Company: " Loja\x00 Ana ", Line1: "Av.  Paulista,\n1578", Line2: "  ", City: " São Paulo",
		Region: "SP ", PostalCode: "01310200", Country: " brasil ", Phone: " +55 11 \t 99999-0000 ",
	}
	want := customers.Address{
		Name: "Ana Souza", Company: "Loja Ana", Line1: "Av. Paulista, 1578", City: "São Paulo",
		Region: "SP", PostalCode: "01310-200", Country: "BR", Phone: "+55 11 99999-0000",
	}
	if diff := cmp.Diff(want, customers.NormalizeAddress(in)); diff != "" {
		t.Errorf("NormalizeAddress (-want +got):\n%s", diff)
	}
	bad := customers.NormalizeAddress(customers.Address{Name: "Ana\xff\xfe"}).Name
	if bad != "Ana\uFFFD" {
		t.Errorf("invalid UTF-8 name normalised to %q, want it replaced by U+FFFD", bad)
	}
}

func TestAddressKey(t *testing.T) {
	t.Parallel()
	a := customers.Address{Name: "Ana Souza", Line1: "Av. Paulista, 1578", City: "São Paulo", PostalCode: "01310-200", Country: "BR", Phone: "1"}
	same := []customers.Address{
		{Name: "ANA SOUZA", Line1: "av paulista 1578", City: "SÃO PAULO", PostalCode: "01310200", Country: "Brasil", Phone: "2"},
		{Name: " Ana  Souza", Line1: "Av. Paulista,1578", City: "são paulo", PostalCode: "01310 200", Country: "br"},
	}
	for _, b := range same {
		if a.Key() != b.Key() {
			t.Errorf("%+v and %+v have different keys; want one address", a, b)
		}
	}
	different := []customers.Address{
		{Name: "Ana Souza", Line1: "Av. Paulista, 1579", City: "São Paulo", PostalCode: "01310-200", Country: "BR"},
		{Name: "Ana Souza", Line1: "Av. Paulista, 1578", Line2: "Apto 12", City: "São Paulo", PostalCode: "01310-200", Country: "BR"},
		{Name: "Bia Souza", Line1: "Av. Paulista, 1578", City: "São Paulo", PostalCode: "01310-200", Country: "BR"},
		{Name: "Ana Souza", Line1: "Av. Paulista, 1578", City: "São Paulo", PostalCode: "01310-200", Country: "PT"},
	}
	for _, b := range different {
		if a.Key() == b.Key() {
			t.Errorf("%+v and %+v have the same key; want two addresses", a, b)
		}
	}
	if len(a.Key()) != 64 {
		t.Errorf("key %q is not a hex SHA-256", a.Key())
	}
	if !(customers.Address{Line1: "  "}).IsZero() || a.IsZero() {
		t.Error("IsZero is wrong")
	}
}

// Every valid example normalised from a sloppy spelling passes the check, and
// the check gives the same answer before and after normalising.
func TestCheckAddressAfterNormalizing(t *testing.T) {
	t.Parallel()
	sloppy := map[string][]string{
		"brasil":    {"01310200", "20021 200", "69005.070"},
		"uk":        {"sw1a1aa", "ec1a 1bb", "m1 1ae", "dn551pt", "w1a1aa"},
		"canada":    {"k1a0a9", "m5v-3l9", "h0h0h0"},
		"usa":       {"205000003", "10118", "20500 0003"},
		"portugal":  {"1100148", "4000 064"},
		"germany":   {"D-01067", "80 331"},
		"italia":    {"I-00184", "20122"},
		"australia": {" 0800", "2600 "},
	}
	for country, codes := range sloppy {
		for _, code := range codes {
			a := addr("Town", code, country)
			if ps := customers.CheckAddress(a); len(ps) != 0 {
				t.Errorf("%s %q: %v, want no problems once normalised", country, code, ps)
			}
			n := customers.NormalizeAddress(a)
			if ps := customers.CheckAddress(n); len(ps) != 0 {
				t.Errorf("%s %q normalised to %q: %v", country, code, n.PostalCode, ps)
			}
		}
	}
}

func FuzzAddress(f *testing.F) {
	seeds := [][5]string{
		{"Ana", "Av. Paulista, 1578", "São Paulo", "01310100", "Brasil"},
		{"", "", "", "", ""},
		{"  ", "\t\n", "x", "sw1a1aa", "uk"},
		{"Giulia", "Via Roma 1", "Roma", "I-00184", "Italia"},
		{"X", "Y", "Z", "k1a 0b1", "canada"},
		{"\xff", "\x00", "ǅ", "bfpo1", "GB"},
		{"a", "b", "c", "205000003", "U.S.A."},
		{"a", "b", "c", "D-", "DE"},
		{"a", "b", "c", "ß", "ES"},
		{"a", "b", "c", "P 1100 148", "PT"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	f.Fuzz(func(t *testing.T, name, line1, city, postal, country string) {
		a := customers.Address{Name: name, Line1: line1, City: city, PostalCode: postal, Country: country, Line2: postal, Region: country}
		n := customers.NormalizeAddress(a)
		if nn := customers.NormalizeAddress(n); nn != n {
			t.Fatalf("not idempotent:\n once  %+v\n twice %+v", n, nn)
		}
		ps := customers.CheckAddress(a)
		if diff := cmp.Diff(ps, customers.CheckAddress(n)); diff != "" {
			t.Fatalf("the check of %+v changes once normalised (-raw +normalised):\n%s", a, diff)
		}
		for _, p := range ps {
			if p.Field == "" || p.Message == "" {
				t.Fatalf("empty problem %+v", p)
			}
		}
		if a.Key() != n.Key() {
			t.Fatalf("key changes once normalised")
		}
		if len(ps) == 0 && (n.Name == "" || n.Line1 == "" || n.City == "" || len(n.Country) != 2 || strings.TrimSpace(n.Country) != n.Country) {
			t.Fatalf("%+v passed the check", n)
		}
	})
}
