package apigw

import (
	"bytes"
	"net"
	"net/http"
	"net/textproto"
	"sync"
)

// Listener returns ln with the request heads of its connections recorded,
// so that the gateway passes header names to functions as clients sent
// them. Go's server canonicalises names (content-type becomes
// Content-Type); API Gateway keeps them ("foobar" and "headerVar" arrive as
// sent in LocalStack's test_lambda_aws_proxy_integration_request_data_mapping,
// recorded against AWS), so a function that looks up "Content-Type" works
// with a Go client and fails with one that writes content-type, as every
// HTTP/2 client does. Served without it, the gateway passes the names
// canonicalised.
func (g *Gateway) Listener(ln net.Listener) net.Listener {
	return &recordingListener{Listener: ln, conns: &g.conns}
}

type recordingListener struct {
	net.Listener
	conns *sync.Map // remote address → *recordingConn
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	rc := &recordingConn{Conn: c, conns: l.conns}
	l.conns.Store(c.RemoteAddr().String(), rc)
	return rc, nil
}

// maxHead bounds what a connection records of one request: Go's
// http.DefaultMaxHeaderBytes and a little.
const maxHead = http.DefaultMaxHeaderBytes + 4096

// recordingConn keeps the bytes read since its last request ended: the
// head of the request being served comes first (an HTTP/1.1 client sends
// the next request after reading this one's response).
type recordingConn struct {
	net.Conn
	conns *sync.Map
	mu    sync.Mutex
	buf   []byte
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	if room := maxHead - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(n, room)]...)
	}
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) Close() error {
	c.conns.CompareAndDelete(c.RemoteAddr().String(), c)
	return c.Conn.Close()
}

// names reads r's header names from its head: as sent, by canonical name
// (the first spelling when a name comes twice).
func (c *recordingConn) names(r *http.Request) map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := bytes.Index(c.buf, []byte(r.Method+" "+r.RequestURI+" "))
	if i < 0 {
		return nil
	}
	_, rest, _ := bytes.Cut(c.buf[i:], []byte("\n")) // the request line
	names := map[string]string{}
	for {
		line, after, ok := bytes.Cut(rest, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if !ok || len(line) == 0 {
			return names
		}
		rest = after
		if name, _, ok := bytes.Cut(line, []byte(":")); ok && line[0] != ' ' && line[0] != '\t' {
			key := textproto.CanonicalMIMEHeaderKey(string(name))
			if _, seen := names[key]; !seen {
				names[key] = string(name)
			}
		}
	}
}

// served forgets what was read for the request just served.
func (c *recordingConn) served() {
	c.mu.Lock()
	c.buf = c.buf[:0]
	c.mu.Unlock()
}

// conn is the recording connection r came on, or nil.
func (g *Gateway) conn(r *http.Request) *recordingConn {
	if v, ok := g.conns.Load(r.RemoteAddr); ok {
		return v.(*recordingConn)
	}
	return nil
}

// sentNames are r's header names as sent, by canonical name (nil when the
// gateway is served without its Listener).
func (g *Gateway) sentNames(r *http.Request) map[string]string {
	if c := g.conn(r); c != nil {
		return c.names(r)
	}
	return nil
}

// nameAsSent is the name the client wrote for the canonical header key.
func nameAsSent(names map[string]string, key string) string {
	if n, ok := names[key]; ok {
		return n
	}
	return key
}
