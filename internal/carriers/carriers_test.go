package carriers

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// The check digits below were worked out by hand from each carrier's published rule (see
// docs/carriers.md), not with the code under test.
var valid = []struct {
	code   Code
	number string
	why    string
}{
	// UPS: after "1Z", letters count (pos+2) mod 10 (A=2, E=6), 2nd/4th/… characters doubled.
	// 999AA1012345678 → 9+18+9+4+2+2+0+2+2+6+4+10+6+14+8 = 96 → check 4.
	{UPS, "1Z999AA10123456784", "UPS test number"},
	{UPS, "1z 999 aa1 0123 4567 84", "lower case with spaces"},
	{UPS, "1Z-999AA1-0123456784", "dashes"},
	// 12345E020527168 → 1+4+3+8+5+12+0+4+0+10+2+14+1+12+8 = 84 → check 6.
	{UPS, "1Z12345E0205271686", "letter in the middle"},

	// USPS IMpb: from the right, weights 3,1,…; 940011120108080548301 → 94 → check 6.
	{USPS, "9400111201080805483016", "22 digits"},
	// 0307179000052348374 → 109 → check 1.
	{USPS, "0307 1790 0005 2348 3741", "20 digits with spaces"},
	// 94001112010808054830 → 129 → check 1.
	{USPS, "940011120108080548301", "21 digits"},
	// 9274893150770851301805006 → 207 → check 3.
	{USPS, "92748931507708513018050063", "26 digits"},
	// S10: 12345678 → 8+12+12+8+15+30+63+56 = 204, 204 mod 11 = 6 → 11−6 = 5.
	{USPS, "EA123456785US", "S10"},

	// FedEx 12: weights 3,1,7: 98657878885 → 269, 269 mod 11 = 5 → 5.
	{FedEx, "986578788855", "12 digits"},
	// 79953127448 → 179, 179 mod 11 = 3 → 3.
	{FedEx, "7995 3127 4483", "12 digits with spaces"},
	// Ground 15: GS1 mod 10 over 04144176022896 → 116 → 4.
	{FedEx, "041441760228964", "15 digits"},
	// SmartPost 20: "92" prefixed, GS1 mod 10 over 926129999882082117181 → 199 → 1.
	{FedEx, "61299998820821171811", "20 digits"},
	// Ground 96: last 15 digits 98765431234567|2 → 138 → 2.
	{FedEx, "9611020987654312345672", "22 digits, 96"},
	// SmartPost 92: 926129270076871194802 → 199 → 1.
	{FedEx, "9261292700768711948021", "22 digits, 92"},

	// DHL Express: 331881002 mod 7 = 5.
	{DHLExpress, "3318810025", "10 digits"},
	// 109925599 = 7 × 15703657 → 0.
	{DHLExpress, "1099255990", "10 digits, check 0"},
	{DHLExpress, "JJD0099999999", "JJD piece id"},
	{DHLExpress, "jvgl 0623 6542 0011 22", "JVGL piece id"},

	// Correios S10: 18317156 → 8+48+12+2+21+5+45+42 = 183, 183 mod 11 = 7 → 4.
	{Correios, "JY183171564BR", "S10"},
	{Correios, "AA123456785BR", "S10 example"},
	// 11111111 → 44, 44 mod 11 = 0 → 11 → 5.
	{Correios, "RB111111115BR", "S10 check 11 becomes 5"},

	{PosteItaliane, "RR123456785IT", "S10"},
	{PosteItaliane, "123456789012", "12 digits domestic"},
	{PosteItaliane, "1234567890123", "13 digits domestic"},

	// Royal Mail S10: 36584040 → 24+36+20+16+12+0+36+0 = 144, 144 mod 11 = 1 → 10 → 0.
	{RoyalMail, "RN365840400GB", "S10 check 10 becomes 0"},
	{RoyalMail, "TT123456785GB", "S10 tracked"},
	{RoyalMail, "AB123456789", "11 characters domestic"},
	{RoyalMail, "ABCD1234567890ABCDEF1", "21 characters domestic"},
}

var invalid = []struct {
	code   Code
	number string
	want   string // in the field message
}{
	{UPS, "1Z12345E0205271688", "UPS tracking numbers are 1Z followed by 16 letters and digits; check digit 6 expected, got 8"},
	{UPS, "1Z999AA1012345678X", "check digit 4 expected, got X"},
	{UPS, "1Z999AA101234567", `got "1Z999AA101234567" (16 characters)`},
	{UPS, "2Z999AA10123456784", "UPS tracking numbers are 1Z followed by 16 letters and digits; got"},

	{USPS, "9400111201080805483017", "USPS tracking numbers are 20, 21, 22 or 26 digits (IMpb); check digit 6 expected, got 7"},
	{USPS, "EA123456784US", "check digit 5 expected, got 4"},
	{USPS, "EA123456785GB", "country code US expected, got GB"},
	// 21 digits: 94001112010808054830 → 129 → check 1.
	{USPS, "940011120108080548305", "check digit 1 expected, got 5"},
	{USPS, "123456789", `got "123456789" (9 characters)`},

	// 99657878885 → 270, 270 mod 11 = 6.
	{FedEx, "996578788855", "FedEx tracking numbers are 12 digits (Express); check digit 6 expected, got 5"},
	{FedEx, "041441760228965", "15 digits (Ground); check digit 4 expected, got 5"},
	{FedEx, "9611020987654312345673", "check digit 2 expected, got 3"},
	{FedEx, "12345678901", "FedEx tracking numbers are 12 digits (Express), or 15 digits (Ground)"},
	{FedEx, "98657878885A", "got"},

	{DHLExpress, "3318810024", "DHL Express tracking numbers are 10 digits (waybill); check digit 5 expected, got 4"},
	{DHLExpress, "JJD123", "JJD or JVGL followed by 10 to 21 digits"},
	{DHLExpress, "ABC1234567", "got"},

	{Correios, "JY183171565BR", "Correios tracking numbers are 2 letters, 8 digits, a check digit and BR (UPU S10, e.g. RR123456785BR); check digit 4 expected, got 5"},
	{Correios, "JY183171564US", "country code BR expected, got US"},
	{Correios, "JY18317156BR", "got"},
	{Correios, "183171564", "got"},

	{PosteItaliane, "RR123456784IT", "Poste Italiane tracking numbers are 2 letters, 8 digits, a check digit and IT"},
	{PosteItaliane, "RR123456785BR", "country code IT expected, got BR"},
	{PosteItaliane, "12345678901", "12 or 13 digits (domestic); got"},

	{RoyalMail, "RN365840401GB", "Royal Mail tracking numbers are 2 letters, 8 digits, a check digit and GB (UPU S10, e.g. RR123456785GB); check digit 0 expected, got 1"},
	{RoyalMail, "RN365840400IT", "country code GB expected, got IT"},
	{RoyalMail, "AB12345678", "got"},
}

func TestValidateValid(t *testing.T) {
	for _, tc := range valid {
		if err := Validate(tc.code, tc.number); err != nil {
			t.Errorf("%s %q (%s): %v", tc.code, tc.number, tc.why, err)
		}
	}
}

func TestValidateInvalid(t *testing.T) {
	for _, tc := range invalid {
		err := Validate(tc.code, tc.number)
		if err == nil {
			t.Errorf("%s %q: accepted", tc.code, tc.number)
			continue
		}
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.Invalid || len(ae.Fields) != 1 || ae.Fields[0].Field != "tracking_number" {
			t.Errorf("%s %q: %v, want apperr Invalid on tracking_number", tc.code, tc.number, err)
			continue
		}
		if !strings.Contains(ae.Fields[0].Message, tc.want) {
			t.Errorf("%s %q: message %q does not contain %q", tc.code, tc.number, ae.Fields[0].Message, tc.want)
		}
		if !strings.HasPrefix(ae.Fields[0].Message, tc.code.Name()+" tracking numbers are ") {
			t.Errorf("%s %q: message %q does not name the carrier first", tc.code, tc.number, ae.Fields[0].Message)
		}
	}
}

func TestValidateEmptyAndUnknownCode(t *testing.T) {
	if err := Validate(UPS, " - "); !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "tracking_number: is empty") {
		t.Errorf("empty number: %v", err)
	}
	if err := Validate(Code("speedy"), "123"); !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), `carrier: unknown carrier code "speedy"`) {
		t.Errorf("unknown code: %v", err)
	}
}

func TestParse(t *testing.T) {
	for name, want := range map[string]Code{
		"UPS": UPS, "ups": UPS, "United Parcel Service": UPS,
		"USPS": USPS, "U.S.P.S.": USPS, "United States Postal Service": USPS,
		"FedEx": FedEx, "FEDEX": FedEx, "Fed-Ex": FedEx, "Federal Express": FedEx, "FedEx Ground": FedEx,
		"DHL": DHLExpress, "DHL Express": DHLExpress, "dhl_express": DHLExpress, "dhlexpress": DHLExpress,
		"Correios": Correios, "correios do brasil": Correios,
		"Poste Italiane": PosteItaliane, "PosteItaliane": PosteItaliane, "poste_italiane": PosteItaliane,
		"Royal Mail": RoyalMail, "royal_mail": RoyalMail, "ROYALMAIL": RoyalMail,
	} {
		got, ok := Parse(name)
		if !ok || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	for _, name := range []string{"", "  ", "Speedy", "DHL Parcel", "Poste", "La Poste", "GLS"} {
		if got, ok := Parse(name); ok {
			t.Errorf("Parse(%q) = %q, want not found", name, got)
		}
	}
	for _, c := range Codes() {
		if got, ok := Parse(string(c)); !ok || got != c {
			t.Errorf("Parse(code %q) = %q, %v", c, got, ok)
		}
		if got, ok := Parse(c.Name()); !ok || got != c {
			t.Errorf("Parse(name %q) = %q, %v", c.Name(), got, ok)
		}
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		" 1z 999-aa1 ":          "1Z999AA1",
		"rr 123 456 785 it":     "RR123456785IT",
		"9400\t1112\n0108–0805": "9400111201080805",
		"":                      "",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTrackingURL(t *testing.T) {
	for _, tc := range []struct {
		code   Code
		number string
		want   string
	}{
		{UPS, "1z999aa10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784"},
		{USPS, "9400 1112 0108 0805 4830 16", "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111201080805483016"},
		{FedEx, "986578788855", "https://www.fedex.com/fedextrack/?trknbr=986578788855"},
		{DHLExpress, "3318810025", "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id=3318810025"},
		{Correios, "JY183171564BR", "https://rastreamento.correios.com.br/app/index.php?objetos=JY183171564BR"},
		{PosteItaliane, "RR123456785IT", "https://www.poste.it/cerca/index.html#/risultati-spedizioni/RR123456785IT"},
		{RoyalMail, "RN365840400GB", "https://www.royalmail.com/track-your-item#/tracking-results/RN365840400GB"},
		{UPS, "a/b?c", "https://www.ups.com/track?tracknum=A%2FB%3FC"},
		{Code("speedy"), "123", ""},
		{UPS, " ", ""},
	} {
		if got := TrackingURL(tc.code, tc.number); got != tc.want {
			t.Errorf("TrackingURL(%s, %q) = %q, want %q", tc.code, tc.number, got, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	r, err := Check("DHL", "3318 8100 25")
	if err != nil {
		t.Fatalf("Check DHL: %v", err)
	}
	want := Result{Code: DHLExpress, Known: true, Number: "3318810025",
		URL: "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id=3318810025"}
	if r != want {
		t.Errorf("Check DHL = %+v, want %+v", r, want)
	}

	_, err = Check("UPS", "1Z12345E0205271688")
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
		t.Fatalf("Check UPS invalid: %v, want apperr Invalid", err)
	}
	if got := ae.Fields[0].Message; got != "UPS tracking numbers are 1Z followed by 16 letters and digits; check digit 6 expected, got 8" {
		t.Errorf("message = %q", got)
	}

	r, err = Check(" Speedy ", " sp-123 456 ")
	if err != nil {
		t.Fatalf("Check unknown carrier: %v", err)
	}
	if r.Known || r.Code != "speedy" || r.Number != "SP-123456" || r.URL != "" ||
		r.Warning != `unknown carrier "Speedy": tracking number not checked` {
		t.Errorf("Check unknown = %+v", r)
	}

	for _, tc := range []struct{ name, number, want string }{
		{"", "123", "carrier: is empty"},
		{"UPS", "", "tracking_number: is empty"},
		{"Speedy", " ", "tracking_number: is empty"},
		{"Speedy", strings.Repeat("9", MaxNumberLen+1), "longer than 64"},
		{"Speedy", "12\x0034", "control or invalid"},
		{"Speedy", "12\xff", "control or invalid"},
		{strings.Repeat("x", MaxNumberLen+1), "1", "carrier: must be at most 64"},
		{"Royal Mail", "RN365840400IT", "country code GB expected, got IT"},
	} {
		if _, err := Check(tc.name, tc.number); !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Check(%q, %q) = %v, want Invalid mentioning %q", tc.name, tc.number, err, tc.want)
		}
	}
}

func TestCodes(t *testing.T) {
	got := Codes()
	want := []Code{"ups", "usps", "fedex", "dhl_express", "correios", "poste_italiane", "royal_mail"}
	if len(got) != len(want) {
		t.Fatalf("Codes = %q", got)
	}
	for i := range want {
		if got[i] != want[i] || !got[i].Known() {
			t.Errorf("Codes()[%d] = %q, want %q", i, got[i], want[i])
		}
	}
	got[0] = "changed"
	if Codes()[0] != UPS {
		t.Error("Codes returns the package's slice")
	}
	if Code("speedy").Known() || Code("speedy").Name() != "speedy" {
		t.Error("unknown code is known or renamed")
	}
}

func FuzzCheck(f *testing.F) {
	for _, tc := range valid {
		f.Add(tc.code.Name(), tc.number)
	}
	for _, tc := range invalid {
		f.Add(string(tc.code), tc.number)
	}
	f.Add("Speedy", "sp 123")
	f.Add("", "")
	f.Add("UPS", "1Z\xff")
	f.Fuzz(func(t *testing.T, name, number string) {
		r, err := Check(name, number)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("Check(%q, %q) error %v is not Invalid", name, number, err)
			}
			return
		}
		if r.Number == "" {
			t.Fatalf("Check(%q, %q) accepted an empty number", name, number)
		}
		if r.Known {
			if r.Number != Normalize(number) || Validate(r.Code, r.Number) != nil || r.URL == "" || r.Warning != "" {
				t.Fatalf("Check(%q, %q) = %+v inconsistent", name, number, r)
			}
		} else if r.Warning == "" || r.URL != "" || utf8.RuneCountInString(r.Number) > MaxNumberLen {
			t.Fatalf("Check(%q, %q) = %+v: unknown carrier without warning or too long", name, number, r)
		}
	})
}
