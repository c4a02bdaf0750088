// Package netguard says which network addresses Orderly may call out to on
// behalf of a URL someone typed in: a supplier feed to pull, an integrator's
// webhook. Such calls go to public addresses only, checked on the address
// actually dialled (after DNS), so a name that resolves to the cloud metadata
// service or a database on the private network is refused.
package netguard

import "net/netip"

// notPublic are the ranges Public refuses besides private, loopback,
// link-local, multicast and unspecified addresses: shared (carrier-grade
// NAT), "this network", IETF protocol assignments, benchmarking, reserved,
// unique local, IPv4-compatible IPv6, local-use NAT64 and Teredo (whose
// IPv4 addresses are hidden).
var notPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2001::/32"),
}

// IPv6 ranges that carry an IPv4 address, which decides: well-known NAT64
// (the last 32 bits) and 6to4 (bits 16 to 48).
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// Public reports whether a is a public unicast address. An IPv4-mapped
// address is judged as its IPv4 address, and an IPv6 address that embeds an
// IPv4 one (NAT64, 6to4) is public only if that one is, so
// 64:ff9b::a9fe:a9fe does not reach 169.254.169.254 through a NAT64 gateway.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	switch b := a.As16(); {
	case !a.IsValid():
		return false
	case nat64.Contains(a):
		return Public(netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(a):
		return Public(netip.AddrFrom4([4]byte(b[2:6])))
	}
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range notPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}
