package carriers

import (
	"fmt"
	"regexp"
)

// re returns a matcher for a fixed pattern (compiled once, at package init).
func re(pattern string) func(string) bool {
	return regexp.MustCompile(pattern).MatchString
}

func mismatch(want, got byte) string {
	return fmt.Sprintf("check digit %c expected, got %c", want, got)
}

// checkUPS checks the last character of a 1Z number. UPS's check digit runs over the 15
// characters after "1Z": digits count as themselves and letters as (position in the alphabet
// + 2) mod 10 (A=2 … H=9, I=0, J=1 …), every second character (the 2nd, 4th, …) is doubled,
// and the check digit brings the sum up to a multiple of 10.
func checkUPS(n string) string {
	sum := 0
	for i := 2; i < 17; i++ {
		c := n[i]
		v := int(c - '0')
		if c >= 'A' && c <= 'Z' {
			v = (int(c-'A') + 2) % 10
		}
		if (i-2)%2 == 1 {
			v *= 2
		}
		sum += v
	}
	want := byte('0' + (10-sum%10)%10)
	if n[17] != want {
		return mismatch(want, n[17])
	}
	return ""
}

// mod10 is the GS1 check digit used by USPS IMpb (Publication 199) and FedEx Ground: from
// the digit left of the check digit, going left, weights 3, 1, 3, 1 …; the check digit
// brings the sum up to a multiple of 10. n is all digits, the check digit last.
func mod10(n string) (want byte, ok bool) {
	sum := 0
	for i, w := len(n)-2, 3; i >= 0; i, w = i-1, 4-w {
		sum += int(n[i]-'0') * w
	}
	want = byte('0' + (10-sum%10)%10)
	return want, n[len(n)-1] == want
}

func checkIMpb(n string) string {
	if want, ok := mod10(n); !ok {
		return mismatch(want, n[len(n)-1])
	}
	return ""
}

// checkFedEx12 checks a 12-digit FedEx Express number: the first 11 digits weighted 3, 1, 7,
// 3, 1, 7 … from the left; the check digit is the sum mod 11, mod 10.
func checkFedEx12(n string) string {
	weights := [3]int{3, 1, 7}
	sum := 0
	for i := 0; i < 11; i++ {
		sum += int(n[i]-'0') * weights[i%3]
	}
	want := byte('0' + sum%11%10)
	if n[11] != want {
		return mismatch(want, n[11])
	}
	return ""
}

// checkFedExGround checks a 15-digit FedEx Ground number (GS1 mod 10 over all 15 digits).
func checkFedExGround(n string) string { return checkIMpb(n) }

// checkFedEx22 checks a 22-digit FedEx number. "96…" is the Ground barcode form: its last 15
// digits are the Ground number with its own mod-10 check. "92…" is a SmartPost/Ground Economy
// IMpb with the USPS mod-10 check over all digits. No public check-digit definition covers
// other prefixes, so they are accepted on length and digits alone.
func checkFedEx22(n string) string {
	switch n[:2] {
	case "96":
		return checkIMpb(n[len(n)-15:])
	case "92":
		return checkIMpb(n)
	}
	return ""
}

// checkDHL checks a 10-digit DHL Express waybill: the first 9 digits, read as a number,
// mod 7.
func checkDHL(n string) string {
	v := 0
	for i := 0; i < 9; i++ {
		v = v*10 + int(n[i]-'0')
	}
	want := byte('0' + v%7)
	if n[9] != want {
		return mismatch(want, n[9])
	}
	return ""
}

// s10 is the UPU S10 international item identifier used by postal operators: two letters
// (service indicator), an 8-digit serial, a check digit and the operator's ISO country code.
func s10(country string) format {
	return format{
		desc:  fmt.Sprintf("2 letters, 8 digits, a check digit and %s (UPU S10, e.g. RR123456785%s)", country, country),
		match: re(`^[A-Z]{2}\d{9}[A-Z]{2}$`),
		check: func(n string) string {
			if got := n[11:]; got != country {
				return fmt.Sprintf("country code %s expected, got %s", country, got)
			}
			if want := s10CheckDigit(n[2:10]); n[10] != want {
				return mismatch(want, n[10])
			}
			return ""
		},
	}
}

// s10CheckDigit computes the S10 check digit of an 8-digit serial: weights 8, 6, 4, 2, 3, 5,
// 9, 7; check = 11 − (sum mod 11), where 10 becomes 0 and 11 becomes 5.
func s10CheckDigit(serial string) byte {
	weights := [8]int{8, 6, 4, 2, 3, 5, 9, 7}
	sum := 0
	for i := 0; i < 8; i++ {
		sum += int(serial[i]-'0') * weights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return '0'
	case 11:
		return '5'
	default:
		return byte('0' + c)
	}
}
