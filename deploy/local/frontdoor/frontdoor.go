// Package frontdoor stands between the functions and the AWS services they
// call, as AWS's own endpoints do. For each request it verifies the SigV4
// signature against the caller's credentials (sigv4), identifies the caller
// by its access key, works out the permissions the call needs (iam.Identify:
// the action and every resource ARN), evaluates the caller's role as IAM
// does (iam.Evaluate), and either answers as the service answers a denied
// call (iam.Denied) or passes the request, unchanged, to the emulator behind
// it. Every decision is recorded for the permission report.
//
// A function's operation that the local cloud cannot identify is refused,
// never passed through unchecked. The operator's calls pass whatever they
// are: IAM allows an administrator everything, so there is nothing to
// work out (aws kinesis list-streams, get-records by iterator alone).
package frontdoor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"

	"github.com/moviepipe/moviepipe/deploy/local/iam"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

// Principal is a caller the local cloud knows: a function, with its role's
// policies, or the operator, who may do anything.
type Principal struct {
	Name     string // the function's name, or "operator"
	Role     string // the role's ARN ("" for the operator)
	Identity sigv4.Identity
	Policies []iam.Policy
	Admin    bool
}

// Door is the front door of one service.
type Door struct {
	Service         string // the service as SigV4 scopes it: dynamodb, kinesis, sqs, lambda, secretsmanager
	Upstream        *url.URL
	Region, Account string
	// Principals finds a caller by its access key.
	Principals func(accessKeyID string) (*Principal, bool)
	Report     *Report
	Log        *slog.Logger
	// Secrets finds the full ARN of the secret a Secrets Manager SecretId
	// (name, partial or full ARN) names, on which IAM evaluates the call;
	// nil for the doors of other services.
	Secrets func(id string) (arn string, ok bool)
	// MaxBody bounds what is read of a request [32 MiB].
	MaxBody int64

	once sync.Once
	rp   *httputil.ReverseProxy
}

// ServeHTTP checks one request and passes it on if it is allowed.
func (d *Door) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	limit := d.MaxBody
	if limit == 0 {
		limit = 32 << 20
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil || int64(len(body)) > limit {
		http.Error(w, "request body too large for the local front door", http.StatusRequestEntityTooLarge)
		return
	}
	v := sigv4.Verifier{Region: d.Region, Keys: func(ak string) (sigv4.Identity, bool) {
		p, ok := d.Principals(ak)
		if !ok {
			return sigv4.Identity{}, false
		}
		return p.Identity, true
	}}
	id, fail := v.Verify(r, body, d.Service)
	if fail != nil {
		d.refuse(w, fail)
		return
	}
	p, _ := d.Principals(id.AccessKeyID)
	if !d.allowed(w, r, body, p) {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	d.proxy().ServeHTTP(w, r)
}

// allowed evaluates every permission the call needs and answers a denied
// or unknown call itself.
func (d *Door) allowed(w http.ResponseWriter, r *http.Request, body []byte, p *Principal) bool {
	if p.Admin {
		return true
	}
	call, err := iam.Identify(r, body, d.Region, d.Account)
	if err != nil {
		d.log().Warn("front door: call refused", "service", d.Service, "caller", p.Name, "error", err)
		unknown(w, err)
		return false
	}
	if call.StreamToken != "" {
		unknown(w, fmt.Errorf("%w: %s names its stream only by a token; send StreamARN", iam.ErrNotEmulated, call.Operation))
		return false
	}
	if d.Secrets != nil {
		call.ResolveSecret(d.Secrets)
	}
	for _, perm := range call.Permissions {
		dec := iam.Evaluate(p.Policies, perm.Action, perm.Resource)
		d.Report.Record(p.Name, perm, dec)
		if !dec.Allowed {
			d.log().Warn("front door: access denied", "caller", p.Name, "role", p.Role, "action", perm.Action, "resource", perm.Resource, "explicit", dec.ExplicitDeny)
			iam.Denied(w, call, p.Identity.ARN, perm, dec.ExplicitDeny)
			return false
		}
	}
	return true
}

func (d *Door) proxy() *httputil.ReverseProxy {
	d.once.Do(func() {
		// Keep a connection per request in flight: with the default two idle
		// connections per host, most calls opened a new one to the emulator.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 256
		d.rp = &httputil.ReverseProxy{Transport: t, Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(d.Upstream)
			pr.Out.Host = pr.In.Host // as signed
		}}
	})
	return d.rp
}

// refuse answers a request whose signature does not verify, in the
// service's shape: Lambda's REST answer, or a JSON protocol error.
func (d *Door) refuse(w http.ResponseWriter, f *sigv4.Failure) {
	if d.Service == "lambda" {
		sigv4.WriteLambda(w, f)
		return
	}
	code := map[sigv4.Reason]string{sigv4.Missing: "MissingAuthenticationTokenException", sigv4.UnknownKey: "UnrecognizedClientException",
		sigv4.BadToken: "UnrecognizedClientException", sigv4.Incomplete: "IncompleteSignatureException"}[f.Reason]
	if code == "" {
		code = "InvalidSignatureException"
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-query-error", code+";Sender")
	w.WriteHeader(http.StatusBadRequest)
	b, _ := json.Marshal(map[string]string{"__type": "com.amazon.coral.service#" + code, "message": f.Message})
	_, _ = w.Write(b)
}

// unknown answers a call the front door cannot authorize.
func unknown(w http.ResponseWriter, err error) {
	code := "UnknownOperationException"
	if errors.Is(err, iam.ErrMalformed) {
		code = "ValidationException"
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-ErrorType", code)
	w.WriteHeader(http.StatusBadRequest)
	b, _ := json.Marshal(map[string]string{"__type": code, "message": "local cloud front door: " + err.Error()})
	_, _ = w.Write(b)
}

func (d *Door) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.DiscardHandler)
}
