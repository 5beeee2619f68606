package lambda

import (
	"errors"
	"fmt"
)

// Lambda's payload limits, as documented today. "For synchronous
// invocations, the maximum payload size is 6 MB. For asynchronous
// invocations, the maximum payload size is 1 MB."
// (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html; the
// asynchronous limit was 256 KB until October 2025:
// https://aws.amazon.com/blogs/compute/more-room-to-build-serverless-services-now-support-payloads-up-to-1-mb).
const (
	// MaxSyncPayload is the largest request of a synchronous invocation;
	// a larger one is refused with 413 RequestEntityTooLargeException
	// "Request must be smaller than 6291456 bytes for the InvokeFunction
	// operation".
	MaxSyncPayload = 6 << 20
	// MaxAsyncPayload is the largest request of an asynchronous invocation;
	// a larger one is refused with 413 RequestEntityTooLargeException
	// "N byte payload is too large for the Event invocation type (limit L
	// bytes)".
	MaxAsyncPayload = 1 << 20
	// MaxResponse is the largest response (or error) a function may post:
	// 6 MB and 100 bytes, the figure of Lambda's Function.ResponseSizeTooLarge
	// message ("Response payload size (N bytes) exceeded maximum allowed
	// payload size (6291556 bytes).") and of the runtime interface
	// emulator's interop.MaxPayloadSize.
	MaxResponse = 6<<20 + 100
	// tailSize is how much of an invocation's log LogType Tail returns:
	// "The last 4 KB of the execution log".
	tailSize = 4 << 10
)

// ErrRequestTooLarge matches every request refused for its size (a
// *RequestTooLargeError).
var ErrRequestTooLarge = errors.New("RequestEntityTooLargeException")

// RequestTooLargeError is a request over a limit: Lambda answers it 413
// RequestEntityTooLargeException with this text; errors.Is(err,
// ErrRequestTooLarge) holds for it.
type RequestTooLargeError struct {
	Size  int
	Async bool // over the asynchronous limit
}

func (e *RequestTooLargeError) Error() string {
	if e.Async {
		return fmt.Sprintf("%d byte payload is too large for the Event invocation type (limit %d bytes)", e.Size, MaxAsyncPayload)
	}
	return fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", MaxSyncPayload)
}

// Is makes a *RequestTooLargeError match ErrRequestTooLarge.
func (e *RequestTooLargeError) Is(target error) bool { return target == ErrRequestTooLarge }
