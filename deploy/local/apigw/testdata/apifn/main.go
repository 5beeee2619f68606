// Command apifn is the API Gateway conformance tests' function, built as a
// real bootstrap: it echoes the proxy event, or misbehaves by path.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(_ context.Context, raw json.RawMessage) (any, error) {
		var req events.APIGatewayProxyRequest
		_ = json.Unmarshal(raw, &req)
		switch req.PathParameters["what"] {
		case "error":
			return nil, errors.New("boom")
		case "malformed":
			return "not a proxy response", nil
		case "slow":
			time.Sleep(3 * time.Second)
		case "binary":
			return events.APIGatewayProxyResponse{StatusCode: 200, IsBase64Encoded: true,
				Headers: map[string]string{"Content-Type": "application/octet-stream"},
				Body:    base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff})}, nil
		}
		return events.APIGatewayProxyResponse{StatusCode: 201, Headers: map[string]string{"Content-Type": "application/json", "X-Echo": "yes"},
			MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=1", "b=2"}}, Body: string(raw)}, nil
	})
}
