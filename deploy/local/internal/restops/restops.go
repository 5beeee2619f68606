// Package restops routes the requests of a REST-JSON AWS API (API Gateway's
// management API, Lambda's) by method and path: each operation the local
// cloud serves to its handler, each other operation of the API to a refusal
// that names it, and a request that is no operation of the API to a refusal
// that says so. The operations' methods and paths are the AWS SDK's.
package restops

import "net/http"

// Operation is an operation of the API: "GET", "/restapis/{restApiId}",
// "GetRestApi". Path wildcards are http.ServeMux's; a request's values are
// read with Request.PathValue.
type Operation struct {
	Method, Path, Name string
}

// Router routes requests to operations.
type Router struct {
	mux     *http.ServeMux
	unknown http.Handler
}

// New routes each of ops to served[op.Name], or else to refuse(op); a
// request matching none of ops goes to unknown.
func New(ops []Operation, served map[string]http.HandlerFunc, refuse func(Operation) http.Handler, unknown http.Handler) *Router {
	rt := &Router{mux: http.NewServeMux(), unknown: unknown}
	for _, op := range ops {
		var h http.Handler
		if f := served[op.Name]; f != nil {
			h = f
		} else {
			h = refuse(op)
		}
		rt.mux.Handle(op.Method+" "+op.Path, h)
	}
	return rt
}

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := rt.mux.Handler(r); pattern == "" {
		rt.unknown.ServeHTTP(w, r)
		return
	}
	rt.mux.ServeHTTP(w, r) // sets the path's values
}
