package netguard

import (
	"net/netip"
	"testing"
)

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8":                true,
		"1.1.1.1":                true,
		"2606:4700::1111":        true,
		"64:ff9b::808:808":       true, // NAT64 of 8.8.8.8
		"2002:808:808::1":        true, // 6to4 of 8.8.8.8
		"::ffff:8.8.8.8":         true,
		"10.0.0.1":               false,
		"172.16.5.4":             false,
		"192.168.1.1":            false,
		"127.0.0.1":              false,
		"169.254.169.254":        false, // cloud metadata
		"::ffff:169.254.169.254": false,
		"64:ff9b::a9fe:a9fe":     false, // NAT64 of the metadata address
		"2002:a00:1::1":          false, // 6to4 of 10.0.0.1
		"::a00:1":                false, // IPv4-compatible 10.0.0.1
		"2001:0:4136:e378::1":    false, // Teredo
		"64:ff9b:1::1":           false, // local-use NAT64
		"0.1.2.3":                false,
		"100.64.0.1":             false,
		"192.0.0.8":              false,
		"198.18.0.1":             false,
		"240.0.0.1":              false,
		"255.255.255.255":        false,
		"224.0.0.1":              false,
		"0.0.0.0":                false,
		"::":                     false,
		"::1":                    false,
		"fe80::1":                false,
		"fd00::1":                false,
		"ff02::1":                false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
	if Public(netip.Addr{}) {
		t.Error("the zero Addr is public")
	}
}
