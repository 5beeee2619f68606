package lambda

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/moviepipe/moviepipe/deploy/local/internal/restops"
)

// Function is a function as Lambda's control plane describes it: the
// fields of the API Reference's FunctionConfiguration the local cloud
// knows, from the function's resource and its code.
type Function struct {
	Name, ARN, Runtime, Handler, Role, Description string
	MemoryMB                                       int
	Timeout                                        time.Duration
	Env                                            map[string]string
	Architectures                                  []string
	// LastModified is when the function's code or configuration last
	// changed: osls's check-for-changes compares it with the deployment
	// bucket's objects to skip a deploy that changes nothing.
	LastModified time.Time
	// CodeSha256 is the base64 of the code zip's SHA-256; CodeSize its size.
	CodeSha256 string
	CodeSize   int64
	// TracingMode is "Active" or "PassThrough".
	TracingMode string
	Tags        map[string]string
	// Reserved is the function's reserved concurrency; nil for none.
	Reserved *int
	// Logging is its LoggingConfig.
	Logging Logging
}

// Functions is the local cloud's functions as the control plane reads
// them.
type Functions interface {
	// Function returns the function named name, false if there is none.
	Function(name string) (Function, bool)
}

// Control serves Lambda's control plane, beside the Invoke API at
// AWS_ENDPOINT_URL_LAMBDA, for the reads osls makes: GetFunction
// (check-for-changes reads Configuration.LastModified of each function) and
// GetFunctionConfiguration. Every other operation is refused with
// UnknownOperationException naming it.
type Control struct {
	Functions       Functions
	Region, Account string
	router          *restops.Router
}

// NewControl returns the control plane of functions in region and account.
func NewControl(functions Functions, region, account string) *Control {
	c := &Control{Functions: functions, Region: region, Account: account}
	c.router = restops.New(controlOperations, map[string]http.HandlerFunc{
		"GetFunction":              c.getFunction,
		"GetFunctionConfiguration": c.getFunctionConfiguration,
	}, refuseOperation, http.HandlerFunc(unknownOperation))
	return c
}

func (c *Control) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.router.ServeHTTP(w, r) }

// isInvocation tells an Invoke request (POST
// /2015-03-31/functions/{name}/invocations) from the control plane's.
func isInvocation(r *http.Request) bool {
	const prefix = "/2015-03-31/functions/"
	return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, prefix) && strings.HasSuffix(r.URL.Path, "/invocations")
}

// control hands a request that is not an invocation, body and all, to the
// control plane.
func (s *Service) control(w http.ResponseWriter, r *http.Request, body []byte) {
	if s.Control == nil {
		apiError(w, http.StatusBadRequest, "UnknownOperationException",
			fmt.Sprintf("%s %s: the local Lambda serves Invoke only here", r.Method, r.URL.Path))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.Control.ServeHTTP(w, r)
}

func refuseOperation(op restops.Operation) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		apiError(w, http.StatusBadRequest, "UnknownOperationException",
			fmt.Sprintf("%s (%s %s) is not an operation the local Lambda emulates", op.Name, op.Method, op.Path))
	})
}

func unknownOperation(w http.ResponseWriter, r *http.Request) {
	apiError(w, http.StatusBadRequest, "UnknownOperationException",
		fmt.Sprintf("%s %s is not a Lambda operation the local cloud knows", r.Method, r.URL.Path))
}

// getFunction answers GetFunction: the configuration, where the code is
// (its repository type; the presigned Location is not given), the tags and
// the reserved concurrency.
func (c *Control) getFunction(w http.ResponseWriter, r *http.Request) {
	f, ok := c.function(w, r)
	if !ok {
		return
	}
	out := map[string]any{"Configuration": c.configuration(f), "Code": map[string]string{"RepositoryType": "S3"}}
	if len(f.Tags) > 0 {
		out["Tags"] = f.Tags
	}
	if f.Reserved != nil {
		out["Concurrency"] = map[string]int{"ReservedConcurrentExecutions": *f.Reserved}
	}
	writeJSON(w, out)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(mustJSON(v))
}

func (c *Control) getFunctionConfiguration(w http.ResponseWriter, r *http.Request) {
	if f, ok := c.function(w, r); ok {
		writeJSON(w, c.configuration(f))
	}
}

// function finds the function a request names, as a name, a partial ARN
// (ACCOUNT:function:NAME) or an ARN, qualified or not (by ":QUALIFIER" or
// the Qualifier parameter). Only $LATEST exists here: no versions or aliases
// are published. A function not found is answered as Lambda answers it:
// 404 ResourceNotFoundException "Function not found: ARN" (the API
// Reference's GetFunction errors; the text as AWS users quote it).
func (c *Control) function(w http.ResponseWriter, r *http.Request) (Function, bool) {
	name, qualifier := c.parseName(r.PathValue("FunctionName"))
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		qualifier = q
	}
	f, ok := Function{}, false
	if name != "" && c.Functions != nil {
		f, ok = c.Functions.Function(name)
	}
	if !ok || (qualifier != "" && qualifier != "$LATEST") {
		arn := r.PathValue("FunctionName") // an ARN of another region or account
		if name != "" {
			arn = "arn:aws:lambda:" + c.Region + ":" + c.Account + ":function:" + name
		}
		if name != "" && qualifier != "" {
			arn += ":" + qualifier
		}
		apiError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+arn)
		return Function{}, false
	}
	return f, true
}

// parseName reads a FunctionName parameter; a name in an ARN of another
// region or account is "".
func (c *Control) parseName(s string) (name, qualifier string) {
	parts := strings.Split(s, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn":
		if parts[3] != c.Region || parts[4] != c.Account || parts[5] != "function" {
			return "", ""
		}
		name, parts = parts[6], parts[7:]
	case len(parts) >= 3 && parts[1] == "function":
		if parts[0] != c.Account {
			return "", ""
		}
		name, parts = parts[2], parts[3:]
	default:
		name, parts = parts[0], parts[1:]
	}
	if len(parts) > 0 {
		qualifier = parts[0]
	}
	return name, qualifier
}

// configuration is f as the API Reference's FunctionConfiguration: a zip
// function, active, its last update successful, $LATEST.
func (c *Control) configuration(f Function) map[string]any {
	tracing := f.TracingMode
	if tracing == "" {
		tracing = "PassThrough"
	}
	// The revision changes with the code or configuration, as Lambda's does.
	revision := uuid.NewSHA1(uuid.NameSpaceURL, []byte(f.ARN+"@"+f.LastModified.UTC().Format(time.RFC3339Nano)+"#"+f.CodeSha256))
	out := map[string]any{
		"FunctionName": f.Name, "FunctionArn": f.ARN, "Runtime": f.Runtime, "Role": f.Role, "Handler": f.Handler,
		"CodeSize": f.CodeSize, "Description": f.Description, "Timeout": int(f.Timeout / time.Second),
		"MemorySize": f.MemoryMB, "LastModified": f.LastModified.UTC().Format(lastModified),
		"CodeSha256": f.CodeSha256, "Version": "$LATEST", "TracingConfig": map[string]string{"Mode": tracing},
		"RevisionId": revision.String(), "State": "Active", "LastUpdateStatus": "Successful",
		"PackageType": "Zip", "Architectures": f.Architectures,
	}
	if len(f.Env) > 0 {
		out["Environment"] = map[string]any{"Variables": f.Env}
	}
	// Lambda answers the defaults it applies: the Text format, the default
	// log group and, in JSON format, the INFO levels.
	logging := map[string]string{"LogFormat": cmp.Or(f.Logging.Format, "Text"), "LogGroup": "/aws/lambda/" + f.Name}
	if f.Logging.json() {
		logging["ApplicationLogLevel"] = cmp.Or(f.Logging.ApplicationLevel, "INFO")
		logging["SystemLogLevel"] = cmp.Or(f.Logging.SystemLevel, "INFO")
	}
	out["LoggingConfig"] = logging
	if len(f.Architectures) == 0 {
		out["Architectures"] = []string{"x86_64"}
	}
	return out
}

// lastModified is the format of FunctionConfiguration.LastModified, ISO
// 8601 as Lambda writes it: "2019-10-09T22:25:49.601+0000".
const lastModified = "2006-01-02T15:04:05.000-0700"
