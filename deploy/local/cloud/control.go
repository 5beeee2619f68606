package cloud

import (
	"bytes"
	"io"
	"net/http"

	"github.com/moviepipe/moviepipe/deploy/local/cfnapi"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

// maxControlBody bounds a control-plane request: osls uploads code in parts
// of 5 MiB and templates whole.
const maxControlBody = 32 << 20

// controlPlane serves the APIs a deploy tool calls, each on an address of
// its own as the SDKs' AWS_ENDPOINT_URL_<SERVICE> variables name them:
// CloudFormation, and S3 for the deployment buckets. Only the operator may
// call them; every request's SigV4 signature is verified first, and a
// refusal is answered in the service's own shape.
func (c *Cloud) controlPlane() error {
	c.State.Endpoints = map[string]string{"lambda": c.State.Lambda}
	for _, svc := range []struct {
		name string
		h    http.Handler
		deny func(http.ResponseWriter, *sigv4.Failure)
	}{
		{"cloudformation", c.cfn, func(w http.ResponseWriter, f *sigv4.Failure) { sigv4.WriteQuery(w, f, cfnapi.Namespace) }},
		{"s3", c.s3, sigv4.WriteS3},
	} {
		url, err := c.serve(c.operatorOnly(svc.name, svc.h, svc.deny))
		if err != nil {
			return err
		}
		c.State.Endpoints[svc.name] = url
	}
	return nil
}

// operatorOnly verifies a request's signature for service and lets the
// operator's requests through to h.
func (c *Cloud) operatorOnly(service string, h http.Handler, deny func(http.ResponseWriter, *sigv4.Failure)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
		if err != nil || len(body) > maxControlBody {
			http.Error(w, "request body unreadable or over 32 MiB", http.StatusRequestEntityTooLarge)
			return
		}
		id, f := c.verifier().Verify(r, body, service)
		if f == nil && id.AccessKeyID != c.principals.operator.Identity.AccessKeyID {
			f = &sigv4.Failure{Reason: sigv4.UnknownKey, Message: "User: " + id.ARN + " is not authorized to call " + service + " on the local cloud (only the operator deploys)"}
		}
		if f != nil {
			c.log.Warn("control plane", "service", service, "refused", f.Message, "detail", f.Detail)
			deny(w, f)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		h.ServeHTTP(w, r)
	})
}
