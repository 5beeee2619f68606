package iam_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/moviepipe/moviepipe/deploy/local/iam"
)

// A front door in small: identify the call, evaluate the role, answer a
// denial as the service would.
func Example() {
	var doc any
	_ = json.Unmarshal([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"Movies","Effect":"Allow",
		"Action":"dynamodb:PutItem","Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/movies-dev"}]}`), &doc)
	policy, err := iam.ParsePolicy("processor", doc)
	if err != nil {
		fmt.Println(err)
		return
	}
	const principal = "arn:aws:sts::123456789012:assumed-role/processor-role/processor"

	for _, op := range []string{"PutItem", "DeleteItem"} {
		body := `{"TableName":"movies-dev","Key":{"id":{"S":"tt0111161"}}}`
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
		call, err := iam.Identify(r, []byte(body), "us-east-1", "123456789012")
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, p := range call.Permissions {
			d := iam.Evaluate([]iam.Policy{policy}, p.Action, p.Resource)
			if d.Allowed {
				fmt.Printf("%s allowed by %s/%s\n", p.Action, d.Policy, d.Sid)
				continue
			}
			w := httptest.NewRecorder()
			iam.Denied(w, call, principal, p, d.ExplicitDeny)
			answer, _ := io.ReadAll(w.Result().Body)
			fmt.Printf("%s denied: %d %s", p.Action, w.Code, answer)
		}
	}
	// Output:
	// dynamodb:PutItem allowed by processor/Movies
	// dynamodb:DeleteItem denied: 400 {"__type":"com.amazon.coral.service#AccessDeniedException","Message":"User: arn:aws:sts::123456789012:assumed-role/processor-role/processor is not authorized to perform: dynamodb:DeleteItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/movies-dev because no identity-based policy allows the dynamodb:DeleteItem action"}
}
