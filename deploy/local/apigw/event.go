package apigw

import (
	"net"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// event is the v1 proxy event of the call ("Input format of a Lambda
// function for proxy integration").
func (g *Gateway) event(c *call) events.APIGatewayProxyRequest {
	r, rt := c.r, c.route
	headers, multiHeaders := g.requestHeaders(c)
	var query map[string]string
	var multiQuery map[string][]string
	if q := r.URL.Query(); len(q) > 0 {
		query, multiQuery = map[string]string{}, map[string][]string{}
		for k, vs := range q {
			query[k] = vs[len(vs)-1]
			multiQuery[k] = vs
		}
	}
	params := c.params
	if len(params) == 0 {
		params = nil
	}
	ev := events.APIGatewayProxyRequest{
		Resource: rt.Path, Path: c.path, HTTPMethod: r.Method,
		Headers: headers, MultiValueHeaders: multiHeaders,
		QueryStringParameters: query, MultiValueQueryStringParameters: multiQuery,
		PathParameters: params,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID: g.AccountID, ResourceID: newHex(6), Stage: g.Stage, RequestID: c.requestID,
			ResourcePath: rt.Path, HTTPMethod: r.Method, APIID: apiID(g, rt), Protocol: r.Proto,
			RequestTime: c.start.UTC().Format("02/Jan/2006:15:04:05 -0700"), RequestTimeEpoch: c.start.UnixMilli(),
			Path: "/" + g.Stage + c.path, DomainName: r.Host, DomainPrefix: strings.Split(r.Host, ".")[0],
			Identity: events.APIGatewayRequestIdentity{SourceIP: clientIP(r), UserAgent: r.UserAgent()},
		},
	}
	ev.Body, ev.IsBase64Encoded = requestBody(c.body, r.Header.Get("Content-Type"), rt.BinaryMediaTypes)
	if c.caller != nil {
		ev.RequestContext.Identity = c.caller.ProxyIdentity(clientIP(r), r.UserAgent())
	}
	return ev
}

// gatewayHeaders are the request headers the gateway sets itself.
var gatewayHeaders = map[string]bool{"X-Forwarded-For": true, "X-Forwarded-Proto": true, "X-Forwarded-Port": true, "X-Amzn-Trace-Id": true}

// requestHeaders are the event's headers and multiValueHeaders: the
// client's, named as it sent them, with Host, and those API Gateway adds
// (AWS's sample events and LocalStack's recordings of AWS):
// X-Forwarded-For (the client's address, after any X-Forwarded-For it
// sent), X-Forwarded-Proto and X-Forwarded-Port (how the client reached the
// gateway: https and 443 on AWS, the local listener here), and
// X-Amzn-Trace-Id.
func (g *Gateway) requestHeaders(c *call) (map[string]string, map[string][]string) {
	r := c.r
	names := g.sentNames(r)
	single, multi := map[string]string{}, map[string][]string{}
	add := func(name string, vs ...string) {
		single[name], multi[name] = vs[len(vs)-1], vs
	}
	for k, vs := range r.Header {
		if !gatewayHeaders[k] {
			add(nameAsSent(names, k), vs...)
		}
	}
	if r.Host != "" {
		add(nameAsSent(names, "Host"), r.Host)
	}
	xff := clientIP(r)
	if sent := r.Header.Values("X-Forwarded-For"); len(sent) > 0 {
		xff = strings.Join(sent, ", ") + ", " + xff
	}
	proto, port := "http", "80"
	if r.TLS != nil {
		proto, port = "https", "443"
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		_, port, _ = net.SplitHostPort(a.String())
	}
	add("X-Forwarded-For", xff)
	add("X-Forwarded-Proto", proto)
	add("X-Forwarded-Port", port)
	add(nameAsSent(names, "X-Amzn-Trace-Id"), c.trace.event())
	return single, multi
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
