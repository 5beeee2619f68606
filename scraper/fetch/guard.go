package fetch

import (
	"fmt"
	"net/netip"
	"strings"
	"syscall"
)

// ErrRefusedAddress is the error for a connection the SSRF guard refuses.
type ErrRefusedAddress struct{ Addr netip.Addr }

func (e *ErrRefusedAddress) Error() string {
	return fmt.Sprintf("refused to connect to %s: a loopback, private, link-local or otherwise special address (allow it with SCRAPE_ALLOWED_NETWORKS)", e.Addr)
}

// special lists the ranges that are not the public internet, beyond those
// netip reports itself (loopback, private, link-local, multicast, unspecified).
var special = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: may reach IPv4 private space
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4: embeds any IPv4 address
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
}

// Guard decides which addresses the scraper may connect to.
type Guard struct {
	// Allowed networks are reachable even when special (the local cloud
	// allows 127.0.0.0/8).
	Allowed []netip.Prefix
}

// ParseNetworks reads a comma- or space-separated CIDR list.
func ParseNetworks(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("network %q: %w", f, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Check returns an *ErrRefusedAddress for an address the scraper must not
// reach.
func (g Guard) Check(a netip.Addr) error {
	a = a.Unmap()
	for _, p := range g.Allowed {
		if p.Contains(a) {
			return nil
		}
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || !a.IsValid() {
		return &ErrRefusedAddress{Addr: a}
	}
	for _, p := range special {
		if p.Contains(a) {
			return &ErrRefusedAddress{Addr: a}
		}
	}
	return nil
}

// control runs at dial time, after name resolution and before connecting,
// for every connection (redirects and DNS rebinding included).
func (g Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	return g.Check(ap.Addr())
}
