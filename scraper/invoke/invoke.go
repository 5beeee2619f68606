// Package invoke continues a run in an asynchronous invocation of the
// running function (Lambda Invoke, InvocationType Event, its own ARN).
package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/moviepipe/moviepipe/scraper"
)

// API is the part of the Lambda client used.
type API interface {
	Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Self invokes the function that is running.
type Self struct{ API API }

// Continue implements scraper.Invoker.
func (s Self) Continue(ctx context.Context, c scraper.Continuation) error {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok || lc.InvokedFunctionArn == "" {
		return errors.New("no function ARN in the invocation context")
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return err
	}
	out, err := s.API.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   &lc.InvokedFunctionArn,
		InvocationType: types.InvocationTypeEvent,
		Payload:        payload,
	})
	if err != nil {
		return fmt.Errorf("invoke %s: %w", lc.InvokedFunctionArn, err)
	}
	if out.StatusCode != http.StatusAccepted {
		return fmt.Errorf("invoke %s: status %d", lc.InvokedFunctionArn, out.StatusCode)
	}
	return nil
}
