package fetch

import (
	"fmt"
	"net/netip"
	"strings"
	"syscall"

	"code.dny.dev/ssrf"
)

// ErrRefusedAddress is the error for a connection the SSRF guard refuses. It
// names the address and the special-purpose range it is in.
type ErrRefusedAddress struct {
	Addr  netip.Addr
	Range string // the range that refused it, e.g. "10.0.0.0/8"
}

func (e *ErrRefusedAddress) Error() string {
	return fmt.Sprintf("SSRF guard: refused to connect to %s, in %s (loopback, private, link-local and other special-purpose addresses are refused; allow a network with SCRAPE_ALLOWED_NETWORKS)", e.Addr, e.Range)
}

// guardian is code.dny.dev/ssrf's guard: every range of IANA's IPv4 and IPv6
// special-purpose registries is refused, and in IPv6 everything outside the
// global unicast range 2000::/3 (so IPv4-compatible ::a.b.c.d, IPv4-mapped
// and -translated forms, NAT64, discard-only 100::/64), with 6to4 and Teredo
// inside it. Ports are not restricted: a site may serve on any port. It is
// immutable and safe for concurrent use.
var guardian = ssrf.New(ssrf.WithAnyPort(), ssrf.WithAnyNetwork())

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
// reach: one in a special-purpose range and in no Allowed network. An
// IPv4-mapped IPv6 address is judged as its IPv4 address.
func (g Guard) Check(a netip.Addr) error {
	a = a.Unmap()
	for _, p := range g.Allowed {
		if p.Contains(a) {
			return nil
		}
	}
	if !a.IsValid() {
		return &ErrRefusedAddress{Addr: a, Range: "no valid address"}
	}
	if guardian.SafeAddr(a) != nil {
		return &ErrRefusedAddress{Addr: a, Range: deniedRange(a)}
	}
	return nil
}

// deniedRange names the range that holds a refused address.
func deniedRange(a netip.Addr) string {
	denied := ssrf.IPv4DeniedPrefixes
	if a.Is6() {
		if !ssrf.IPv6GlobalUnicast.Contains(a) {
			return "a range outside IPv6 global unicast " + ssrf.IPv6GlobalUnicast.String()
		}
		denied = ssrf.IPv6DeniedPrefixes
	}
	for _, p := range denied {
		if p.Contains(a) {
			return p.String()
		}
	}
	return "a special-purpose range"
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
