package iam

import (
	"fmt"
	"net/http"
	"strings"
)

// identifyLambda reads Invoke, POST /2015-03-31/functions/{FunctionName}/invocations,
// authorized by lambda:InvokeFunction on the function, or on the version or
// alias a qualifier names ("Fine-tuning the Resources and Conditions
// sections of policies", Lambda developer guide: "restricted to a specific
// function by function, version, or alias ARN").
func identifyLambda(r *http.Request, at arns) (Call, error) {
	rest := strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/")
	name, ok := strings.CutSuffix(rest, "/invocations")
	if !ok || r.Method != http.MethodPost || name == "" || strings.Contains(name, "/") {
		return Call{}, fmt.Errorf("lambda %s %s: %w", r.Method, r.URL.Path, ErrNotEmulated)
	}
	function, err := at.function(name, r.URL.Query().Get("Qualifier"))
	if err != nil {
		return Call{}, err
	}
	return one("lambda", "Invoke", RESTJSON, "lambda:InvokeFunction", function), nil
}

// function is the ARN a FunctionName names, with its qualifier. Lambda takes
// a name ("my-function"), a partial ARN ("123456789012:function:my-function")
// or a full one, each with an optional ":qualifier", or the qualifier in the
// Qualifier parameter; both must then agree.
func (a arns) function(name, qualifier string) (string, error) {
	parts := strings.Split(name, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn":
		a.region, a.account = parts[3], parts[4]
		parts = parts[6:]
	case len(parts) >= 3 && parts[1] == "function":
		a.account = parts[0]
		parts = parts[2:]
	}
	if len(parts) > 2 || parts[0] == "" {
		return "", fmt.Errorf("lambda Invoke: FunctionName %q: %w", name, ErrMalformed)
	}
	if len(parts) == 2 {
		if qualifier != "" && qualifier != parts[1] {
			return "", fmt.Errorf("lambda Invoke: qualifier %q of %q differs from Qualifier %q: %w", parts[1], name, qualifier, ErrMalformed)
		}
		qualifier = parts[1]
	}
	resource := "function:" + parts[0]
	if qualifier != "" {
		resource += ":" + qualifier
	}
	return a.arn("lambda", resource), nil
}
