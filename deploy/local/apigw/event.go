package apigw

import (
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// event is the v1 proxy event of the call ("Input format of a Lambda
// function for proxy integration").
func (g *Gateway) event(c *call) events.APIGatewayProxyRequest {
	r, rt := c.r, c.route
	headers, multiHeaders := map[string]string{}, map[string][]string{}
	for k, vs := range r.Header {
		headers[k] = vs[len(vs)-1]
		multiHeaders[k] = vs
	}
	if r.Host != "" {
		headers["Host"], multiHeaders["Host"] = r.Host, []string{r.Host}
	}
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
	if len(c.body) > 0 {
		if utf8.Valid(c.body) {
			ev.Body = string(c.body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(c.body), true
		}
	}
	if c.caller != nil {
		ev.RequestContext.Identity = c.caller.ProxyIdentity(clientIP(r), r.UserAgent())
	}
	return ev
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
