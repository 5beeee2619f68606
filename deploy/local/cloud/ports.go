package cloud

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
)

// What a person bookmarks gets a fixed port when Options.Ports is set: its
// offset from Ports. Everything else takes a free port at each start.
const (
	portConsole = "console"
	portAPI     = "api"
	portSite    = "site"
)

var fixedPorts = map[string]int{portConsole: 0, portAPI: 1, portSite: 2}

// checkPorts refuses a base that leaves no room for the fixed ports.
func checkPorts(base int) error {
	if base < 0 || base > 65535-len(fixedPorts)+1 {
		return fmt.Errorf("ports %d: the console, API and site take %d ports from it, within 1-65535", base, len(fixedPorts))
	}
	return nil
}

// reservePorts takes the fixed ports, if any, before anything starts: a
// taken one fails at once, not after the stacks are deployed.
func (c *Cloud) reservePorts(context.Context) error {
	if c.opts.Ports == 0 {
		return nil
	}
	c.reserved = map[string]net.Listener{}
	for _, what := range []string{portConsole, portAPI, portSite} {
		ln, err := c.listenFixed(what)
		if err != nil {
			return err
		}
		c.reserved[what] = ln
	}
	return nil
}

// listen opens a loopback listener for what: on its fixed port when
// Options.Ports is set and what has one, else on a free port.
func (c *Cloud) listen(what string) (net.Listener, error) {
	if _, fixed := fixedPorts[what]; c.opts.Ports == 0 || !fixed {
		return net.Listen("tcp", "127.0.0.1:0")
	}
	if ln, ok := c.reserved[what]; ok {
		delete(c.reserved, what)
		return ln, nil
	}
	return c.listenFixed(what)
}

// listenFixed listens on what's fixed port; a taken port fails, naming
// what and the port.
func (c *Cloud) listenFixed(what string) (net.Listener, error) {
	port := c.opts.Ports + fixedPorts[what]
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return nil, fmt.Errorf("the %s's fixed port %d (ports %d): %w", what, port, c.opts.Ports, err)
	}
	return ln, nil
}

// serveAs serves h on what's listener and returns its URL.
func (c *Cloud) serveAs(what string, h http.Handler) (string, error) {
	ln, err := c.listen(what)
	if err != nil {
		return "", err
	}
	c.serveOn(ln, h)
	return "http://" + ln.Addr().String(), nil
}
