// Package apigw serves REST API methods as API Gateway does with Lambda
// proxy integration: v1 proxy events under /{stage}, with header names as
// the client sent them and the headers API Gateway adds (X-Forwarded-*,
// X-Amzn-Trace-Id); binaryMediaTypes both ways; SigV4 verified on AWS_IAM
// methods (the caller in requestContext.identity); AWS's validation of
// proxy responses, headers and multiValueHeaders merged as AWS merges them;
// stage throttling per method; and AWS's answers, with their
// x-amzn-ErrorType: 403 Missing Authentication Token for unknown routes,
// 403 for bad signatures, 400 for missing required parameters, 429 when
// throttled, 500 when Lambda refuses the invocation (a throttled function),
// 502 for function errors and malformed responses, 504 after the 29 s
// integration timeout (the function runs on). Each request starts an X-Ray
// segment, or continues the client's trace.
package apigw

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
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
	// Tracing is its stage's X-Ray active tracing, which UpdateStage turns
	// on and off while it serves (nil: off, API Gateway's default): a traced
	// call's sampled requests are recorded as the stage's segments.
	Tracing *atomic.Bool
	// Required are the request parameters its request validator checks:
	// "querystring.name" or "header.name".
	Required []string
	// BinaryMediaTypes are its REST API's binaryMediaTypes.
	BinaryMediaTypes []string
}

// Gateway serves the REST APIs of one stage on one address.
type Gateway struct {
	APIID     string
	Stage     string
	AccountID string
	// Routes are the methods served; SetRoutes changes them while serving.
	Routes []Route
	// Timeout is the integration timeout [29s].
	Timeout time.Duration
	// Verify checks the SigV4 signature of a request to an AWS_IAM method,
	// as API Gateway does, and names the caller.
	Verify    func(r *http.Request, body []byte) (sigv4.Identity, *sigv4.Failure)
	OnSegment func(xraylocal.Segment)
	Log       *slog.Logger

	conns    sync.Map // remote address → *recordingConn (see Listener)
	routesMu sync.RWMutex
}

// SetRoutes replaces the methods served, as a deployment of the stage does:
// a request already matched finishes on the route it matched.
func (g *Gateway) SetRoutes(routes []Route) {
	g.routesMu.Lock()
	defer g.routesMu.Unlock()
	g.Routes = routes
}

// call is one request on its way through the gateway.
type call struct {
	r         *http.Request
	route     *Route
	path      string // below the stage
	params    map[string]string
	body      []byte
	caller    *sigv4.Identity
	requestID string
	start     time.Time
	trace     trace
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c := g.conn(r); c != nil {
		defer c.served()
	}
	c := &call{r: r, requestID: newID(), start: time.Now()}
	w.Header()["x-amzn-RequestId"] = []string{c.requestID}
	if status, ok := g.admit(w, c); !ok {
		g.logCall(c, status, "")
		return
	}
	c.trace = newTrace(r, c.start)
	w.Header()["X-Amzn-Trace-Id"] = []string{c.trace.response()}
	payload, _ := json.Marshal(g.event(c))
	status := g.integrate(w, c, payload)
	if g.OnSegment != nil && c.route.Tracing != nil && c.route.Tracing.Load() && c.trace.sampled == "1" {
		g.OnSegment(g.segment(c, status))
	}
	g.logCall(c, status, c.trace.root)
}

// admit routes the request and checks what API Gateway checks before the
// integration; when it refuses the request, it has answered it.
func (g *Gateway) admit(w http.ResponseWriter, c *call) (int, bool) {
	r := c.r
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+g.Stage)
	if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
		return forbidden.write(w), false
	}
	c.path = cmp.Or(rest, "/")
	if c.route, c.params = g.match(r.Method, c.path); c.route == nil {
		return missingToken.write(w), false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20+1))
	if err != nil || len(body) > 10<<20 {
		return tooLarge(w), false
	}
	c.body = body
	if c.route.IAM {
		if g.Verify == nil {
			return answer{http.StatusInternalServerError, "the local gateway has no SigV4 verifier for an AWS_IAM method", "InternalServerErrorException"}.write(w), false
		}
		id, fail := g.Verify(r, body)
		if fail != nil {
			sigv4.WriteAPIGateway(w, fail)
			return http.StatusForbidden, false
		}
		c.caller = &id
	}
	if missing := missingParameters(r, c.route.Required); len(missing) > 0 {
		return badParameters("Missing required request parameters: [" + strings.Join(missing, ", ") + "]").write(w), false
	}
	if c.route.Throttle != nil && !c.route.Throttle.Allow() {
		return stageThrottled.write(w), false
	}
	return 0, true
}

// outcome is an invocation's result.
type outcome struct {
	res lambda.Result
	err error
}

// integrate invokes the function and answers with its response, or as API
// Gateway answers for it; it returns the status.
func (g *Gateway) integrate(w http.ResponseWriter, c *call, payload []byte) int {
	done := make(chan outcome, 1)
	// The function runs on when the integration times out, as on AWS.
	go func() {
		res, err := c.route.Host.Invoke(context.WithoutCancel(c.r.Context()), payload, c.trace.function(), false)
		done <- outcome{res, err}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-time.After(cmp.Or(g.Timeout, 29*time.Second)):
		return timedOut.write(w)
	}
	switch {
	case errors.Is(o.err, lambda.ErrThrottled):
		return invocationRejected.write(w)
	case o.err != nil || o.res.FunctionError != "":
		return functionFailed.write(w)
	}
	p, err := parseProxyResponse(o.res.Payload)
	if err != nil {
		if g.Log != nil {
			g.Log.Warn("api: execution failed due to configuration error", "api", c.route.API, "path", c.r.URL.Path, "error", err)
		}
		return functionFailed.write(w)
	}
	return writeProxy(w, p, c.r.Header.Get("Accept"), c.route.BinaryMediaTypes)
}

// segment is the gateway's X-Ray segment for the call.
func (g *Gateway) segment(c *call, status int) xraylocal.Segment {
	r := c.r
	httpDoc, _ := json.Marshal(map[string]any{
		"request":  map[string]any{"method": r.Method, "url": "http://" + r.Host + r.URL.RequestURI(), "client_ip": clientIP(r), "user_agent": r.UserAgent()},
		"response": map[string]any{"status": status},
	})
	awsDoc, _ := json.Marshal(map[string]any{"api_gateway": map[string]any{"account_id": g.AccountID, "rest_api_id": apiID(g, c.route), "stage": g.Stage, "request_id": c.requestID}})
	return xraylocal.Segment{ID: c.trace.segment, TraceID: c.trace.root, ParentID: c.trace.parent, Name: c.route.API + "/" + g.Stage,
		Origin: "AWS::ApiGateway::Stage", StartTime: seconds(c.start), EndTime: seconds(time.Now()),
		Error: status >= 400 && status < 500, Fault: status >= 500, HTTP: httpDoc, AWS: awsDoc}
}

func (g *Gateway) logCall(c *call, status int, traceID string) {
	if g.Log != nil {
		api := ""
		if c.route != nil {
			api = c.route.API
		}
		g.Log.Info("api", "api", api, "method", c.r.Method, "path", c.r.URL.Path, "status", status, "ms", time.Since(c.start).Milliseconds(), "trace_id", traceID)
	}
}

func (g *Gateway) match(method, path string) (*Route, map[string]string) {
	g.routesMu.RLock()
	routes := g.Routes
	g.routesMu.RUnlock()
	for i := range routes {
		rt := &routes[i]
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

func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func newHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newID returns a request id as API Gateway forms them: a version 4 UUID.
func newID() string { return uuid.NewString() }

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
