package apigwadmin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/internal/restops"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

// Service serves API Gateway's management API over Stages.
type Service struct {
	Stages          Stages
	Region, Account string
	// Verify checks a request's SigV4 signature (service "apigateway")
	// before anything else; nil checks nothing (tests of the API alone).
	Verify func(r *http.Request, body []byte) *sigv4.Failure
	// Now is the clock of the stages' dates [time.Now].
	Now func() time.Time

	router *restops.Router
}

// New returns the management API of stages in region and account.
func New(stages Stages, region, account string) *Service {
	s := &Service{Stages: stages, Region: region, Account: account}
	served := map[string]http.HandlerFunc{
		"GetRestApis": s.getRestAPIs, "GetDeployments": s.getDeployments, "GetStage": s.getStage,
		"CreateStage": s.createStage, "UpdateStage": s.updateStage,
		"TagResource": s.tagResource, "UntagResource": s.untagResource,
	}
	s.router = restops.New(operations, served, refuse, http.HandlerFunc(unknown))
	return s
}

// maxBody bounds a request; the largest osls sends is an UpdateStage.
const maxBody = 1 << 20

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		writeError(w, badRequest("the request body could not be read, or is over 1 MiB"))
		return
	}
	if s.Verify != nil {
		if f := s.Verify(r, body); f != nil {
			// API Gateway's control plane refuses a signature as Lambda
			// does: 403, x-amzn-ErrorType UnrecognizedClientException for an
			// unknown key (boto/boto3#3577), InvalidSignatureException for
			// a bad signature, {"message": …}.
			sigv4.WriteLambda(w, f)
			return
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.router.ServeHTTP(w, r)
}

// refuse answers an operation the local cloud does not emulate.
func refuse(op restops.Operation) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, &apiError{http.StatusBadRequest, "UnknownOperationException",
			fmt.Sprintf("%s (%s %s) is not an operation the local API Gateway emulates", op.Name, op.Method, op.Path)})
	})
}

// unknown answers a request that is no API Gateway operation.
func unknown(w http.ResponseWriter, r *http.Request) {
	writeError(w, &apiError{http.StatusBadRequest, "UnknownOperationException",
		fmt.Sprintf("%s %s is not an API Gateway operation the local cloud knows", r.Method, r.URL.Path)})
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// apiError is an error answered as API Gateway answers one: the status, the
// type in x-amzn-ErrorType, {"message": …}.
type apiError struct {
	status       int
	typ, message string
}

func badRequest(format string, a ...any) *apiError {
	return &apiError{http.StatusBadRequest, "BadRequestException", fmt.Sprintf(format, a...)}
}

func notEmulated(what string) *apiError {
	return &apiError{http.StatusBadRequest, "BadRequestException", "The local cloud does not emulate " + what}
}

// notFoundAPI is AWS's answer for a REST API id it does not have (the
// AWS-recorded snapshots of LocalStack's test_apigateway_api.py: "Invalid
// API identifier specified 111111111111:fake-api-id", 404).
func (s *Service) notFoundAPI(id string) *apiError {
	return &apiError{http.StatusNotFound, "NotFoundException", "Invalid API identifier specified " + s.Account + ":" + id}
}

// notFoundStage is API Gateway's answer for a stage it does not have, as
// moto words it and AWS users quote it.
var notFoundStage = &apiError{http.StatusNotFound, "NotFoundException", "Invalid stage identifier specified"}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("X-Amzn-Errortype", e.typ)
	writeJSON(w, e.status, struct {
		Message string `json:"message"`
	}{e.message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		b.Reset()
		b.WriteString(`{"message":"the answer could not be encoded"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// decode reads a request's JSON body into v.
func decode(r *http.Request, v any) *apiError {
	body, _ := io.ReadAll(r.Body)
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if json.Unmarshal(body, v) != nil {
		// AWS's words for a body it cannot read (LocalStack's AWS-recorded
		// snapshots).
		return badRequest("Invalid request body")
	}
	return nil
}
