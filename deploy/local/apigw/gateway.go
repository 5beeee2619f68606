// Package apigw serves REST API methods as API Gateway does with Lambda
// proxy integration: v1 proxy events under /{stage}, SigV4 verified on
// AWS_IAM methods (the caller in requestContext.identity), AWS's answers for
// unknown routes (403 Missing Authentication Token), bad signatures (403),
// missing required parameters (400), function errors (502), malformed
// responses (502) and the 29 s integration timeout (504), and an X-Ray
// segment that starts each trace.
package apigw

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/time/rate"

	"github.com/moviepipe/moviepipe/deploy/local/lambda"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

// Route is one method of a REST API.
type Route struct {
	API    string // the REST API's name: <stage>-<service>
	APIID  string // its id, in the proxy event's requestContext
	Method string // GET, POST, … or ANY
	Path   string // /movies/{id}
	IAM    bool   // AuthorizationType AWS_IAM
	Host   *lambda.Host
	// Throttle is the method's stage throttling, a token bucket (nil:
	// none). A stage's limits apply to each method on its own: "Per-API,
	// per-stage throttling limits are applied at the API method level for a
	// stage" ("Throttle requests to your REST APIs").
	Throttle *rate.Limiter
	// Required are the request parameters its request validator checks:
	// "querystring.name" or "header.name".
	Required []string
}

// Gateway serves the REST APIs of one stage on one address.
type Gateway struct {
	APIID     string
	Stage     string
	AccountID string
	Routes    []Route
	// Timeout is the integration timeout [29s].
	Timeout time.Duration
	// Verify checks the SigV4 signature of a request to an AWS_IAM method,
	// as API Gateway does, and names the caller.
	Verify    func(r *http.Request, body []byte) (sigv4.Identity, *sigv4.Failure)
	OnSegment func(xraylocal.Segment)
	Log       *slog.Logger
}

func message(w http.ResponseWriter, status int, msg string, extra map[string]string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-ErrorType", strings.ReplaceAll(http.StatusText(status), " ", "")+"Exception")
	for k, v := range extra {
		w.Header().Set(k, v)
	}
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": msg})
	_, _ = w.Write(b)
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	requestID := newID()
	w.Header().Set("x-amzn-RequestId", requestID)
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+g.Stage)
	if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
		message(w, http.StatusForbidden, "Forbidden", nil)
		return
	}
	if rest == "" {
		rest = "/"
	}
	route, params := g.match(r.Method, rest)
	if route == nil {
		message(w, http.StatusForbidden, "Missing Authentication Token", nil)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20+1))
	if err != nil || len(body) > 10<<20 {
		message(w, http.StatusRequestEntityTooLarge, "Request Too Long", nil)
		return
	}
	var caller *sigv4.Identity
	if route.IAM {
		if g.Verify == nil {
			message(w, http.StatusInternalServerError, "the local gateway has no SigV4 verifier for an AWS_IAM method", nil)
			return
		}
		id, fail := g.Verify(r, body)
		if fail != nil {
			sigv4.WriteAPIGateway(w, fail)
			return
		}
		caller = &id
	}
	if missing := missingParameters(r, route.Required); len(missing) > 0 {
		message(w, http.StatusBadRequest, "Missing required request parameters: ["+strings.Join(missing, ", ")+"]", nil)
		return
	}
	if route.Throttle != nil && !route.Throttle.Allow() {
		message(w, http.StatusTooManyRequests, "Too Many Requests", nil)
		return
	}
	traceID, segID := lambda.NewTraceID(start), newHex(8)
	header := fmt.Sprintf("Root=%s;Parent=%s;Sampled=1", traceID, segID)
	w.Header().Set("X-Amzn-Trace-Id", "Root="+traceID)
	event := g.event(r, rest, route, params, body, requestID, start)
	if caller != nil {
		event.RequestContext.Identity = caller.ProxyIdentity(clientIP(r), r.UserAgent())
	}
	payload, _ := json.Marshal(event)

	status := g.integrate(w, route, payload, header)
	if g.OnSegment != nil {
		end := time.Now()
		httpDoc, _ := json.Marshal(map[string]any{
			"request":  map[string]any{"method": r.Method, "url": "http://" + r.Host + r.URL.RequestURI(), "client_ip": clientIP(r), "user_agent": r.UserAgent()},
			"response": map[string]any{"status": status},
		})
		awsDoc, _ := json.Marshal(map[string]any{"api_gateway": map[string]any{"account_id": g.AccountID, "rest_api_id": apiID(g, route), "stage": g.Stage, "request_id": requestID}})
		g.OnSegment(xraylocal.Segment{ID: segID, TraceID: traceID, Name: route.API + "/" + g.Stage, Origin: "AWS::ApiGateway::Stage",
			StartTime: seconds(start), EndTime: seconds(end), Error: status >= 400 && status < 500, Fault: status >= 500,
			HTTP: httpDoc, AWS: awsDoc})
	}
	if g.Log != nil {
		g.Log.Info("api", "api", route.API, "method", r.Method, "path", r.URL.Path, "status", status, "ms", time.Since(start).Milliseconds(), "trace_id", traceID)
	}
}

// integrate invokes the function and writes its answer; it returns the status.
func (g *Gateway) integrate(w http.ResponseWriter, route *Route, payload []byte, header string) int {
	timeout := g.Timeout
	if timeout == 0 {
		timeout = 29 * time.Second
	}
	type outcome struct {
		res lambda.Result
		err error
	}
	done := make(chan outcome, 1)
	// The function runs on when the integration times out, as on AWS.
	go func() {
		res, err := route.Host.Invoke(context.Background(), payload, header, false)
		done <- outcome{res, err}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-time.After(timeout):
		message(w, http.StatusGatewayTimeout, "Endpoint request timed out", nil)
		return http.StatusGatewayTimeout
	}
	if errors.Is(o.err, lambda.ErrThrottled) {
		message(w, http.StatusTooManyRequests, "Too Many Requests", nil)
		return http.StatusTooManyRequests
	}
	if o.err != nil || o.res.FunctionError != "" {
		message(w, http.StatusBadGateway, "Internal server error", nil)
		return http.StatusBadGateway
	}
	var resp events.APIGatewayProxyResponse
	var probe map[string]json.RawMessage
	if json.Unmarshal(o.res.Payload, &probe) != nil || json.Unmarshal(o.res.Payload, &resp) != nil || resp.StatusCode < 100 || resp.StatusCode > 599 {
		message(w, http.StatusBadGateway, "Internal server error", nil)
		return http.StatusBadGateway
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			message(w, http.StatusBadGateway, "Internal server error", nil)
			return http.StatusBadGateway
		}
		body = b
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
	return resp.StatusCode
}

func (g *Gateway) match(method, path string) (*Route, map[string]string) {
	for i := range g.Routes {
		rt := &g.Routes[i]
		if rt.Method != "ANY" && rt.Method != method {
			continue
		}
		if params, ok := matchPath(rt.Path, path); ok {
			return rt, params
		}
	}
	return nil, nil
}

// matchPath matches /movies/{id} (and greedy {proxy+}) against a path.
func matchPath(tmpl, path string) (map[string]string, bool) {
	tp := strings.Split(strings.Trim(tmpl, "/"), "/")
	pp := strings.Split(strings.Trim(path, "/"), "/")
	params := map[string]string{}
	for i, t := range tp {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "+}") {
			if i >= len(pp) {
				return nil, false
			}
			params[t[1:len(t)-2]] = strings.Join(pp[i:], "/")
			return params, true
		}
		if i >= len(pp) {
			return nil, false
		}
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if pp[i] == "" {
				return nil, false
			}
			params[t[1:len(t)-1]] = pp[i]
			continue
		}
		if t != pp[i] {
			return nil, false
		}
	}
	return params, len(tp) == len(pp)
}

func (g *Gateway) event(r *http.Request, path string, rt *Route, params map[string]string, body []byte, requestID string, now time.Time) events.APIGatewayProxyRequest {
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
	if len(params) == 0 {
		params = nil
	}
	ev := events.APIGatewayProxyRequest{
		Resource: rt.Path, Path: path, HTTPMethod: r.Method,
		Headers: headers, MultiValueHeaders: multiHeaders,
		QueryStringParameters: query, MultiValueQueryStringParameters: multiQuery,
		PathParameters: params,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID: g.AccountID, ResourceID: newHex(6), Stage: g.Stage, RequestID: requestID,
			ResourcePath: rt.Path, HTTPMethod: r.Method, APIID: apiID(g, rt), Protocol: r.Proto,
			RequestTime: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), RequestTimeEpoch: now.UnixMilli(),
			Path: "/" + g.Stage + path, DomainName: r.Host, DomainPrefix: strings.Split(r.Host, ".")[0],
			Identity: events.APIGatewayRequestIdentity{SourceIP: clientIP(r), UserAgent: r.UserAgent()},
		},
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
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

func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func newHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newID() string {
	h := newHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// missingParameters are the required query string parameters and headers a
// request lacks, by name, as API Gateway's request validator names them.
func missingParameters(r *http.Request, required []string) []string {
	var out []string
	for _, p := range required {
		kind, name, _ := strings.Cut(p, ".")
		switch kind {
		case "querystring":
			if !r.URL.Query().Has(name) {
				out = append(out, name)
			}
		case "header":
			if r.Header.Get(name) == "" {
				out = append(out, name)
			}
		}
	}
	return out
}

// apiID is the route's REST API id, or the gateway's for a route without one.
func apiID(g *Gateway, rt *Route) string {
	if rt.APIID != "" {
		return rt.APIID
	}
	return g.APIID
}
