// Command apifn is the API Gateway conformance tests' function, built as a
// real bootstrap: it echoes the proxy event, or misbehaves by path.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(handle)
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var req events.APIGatewayProxyRequest
	_ = json.Unmarshal(raw, &req)
	switch req.PathParameters["what"] {
	case "error":
		return nil, errors.New("boom")
	case "malformed":
		return "not a proxy response", nil
	case "respond": // the request's body is the response, whatever it is
		body := []byte(req.Body)
		if req.IsBase64Encoded {
			body, _ = base64.StdEncoding.DecodeString(req.Body)
		}
		return json.RawMessage(body), nil
	case "block":
		return block(req.QueryStringParameters)
	}
	trace, _ := ctx.Value("x-amzn-trace-id").(string)
	return events.APIGatewayProxyResponse{StatusCode: 201,
		Headers:           map[string]string{"Content-Type": "application/json", "X-Echo": "yes", "X-Lambda-Trace-Id": trace},
		MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=1", "b=2"}}, Body: string(raw)}, nil
}

// block writes the file named by "started", waits for the one named by
// "release", then writes the one named by "done": a test releases it after
// the gateway has answered, and sees it run on.
func block(q map[string]string) (any, error) {
	if err := os.WriteFile(q["started"], nil, 0o600); err != nil {
		return nil, err
	}
	for {
		if _, err := os.Stat(q["release"]); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return events.APIGatewayProxyResponse{StatusCode: 200}, os.WriteFile(q["done"], []byte("ran on"), 0o600)
}
