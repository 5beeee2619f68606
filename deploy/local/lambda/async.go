package lambda

import (
	"errors"
	"time"
)

// AsyncConfig is a function's asynchronous invocation settings
// (AWS::Lambda::EventInvokeConfig).
type AsyncConfig struct {
	// MaxRetries is MaximumRetryAttempts: retries after function errors.
	MaxRetries int
	// MaxEventAge is MaximumEventAgeInSeconds: an event older is dropped.
	MaxEventAge time.Duration
}

// DefaultAsync is Lambda's default: two retries, events kept six hours.
var DefaultAsync = AsyncConfig{MaxRetries: 2, MaxEventAge: 6 * time.Hour}

// Lambda's schedule for throttled asynchronous events: "The retry interval
// increases exponentially from 1 second after the first attempt to a
// maximum of 5 minutes"
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
const (
	firstThrottleDelay = time.Second
	maxThrottleDelay   = 5 * time.Minute
)

// throttleDelay is the wait after the n-th throttle of an event (from 0).
func throttleDelay(n int) time.Duration {
	if n >= 9 { // 2^9 s is past the maximum
		return maxThrottleDelay
	}
	return min(firstThrottleDelay<<n, maxThrottleDelay)
}

// enqueue runs an asynchronous invocation from the function's queue.
func (s *Service) enqueue(h *Host, req Request) {
	cfg := DefaultAsync
	if s.Async != nil {
		cfg = s.Async(h.Name())
	}
	queued := s.Now()
	s.wg.Go(func() { s.deliver(h, req, cfg, queued) })
}

// deliver runs an event as Lambda's asynchronous queue does: "If the
// function returns an error, by default Lambda attempts to run it two more
// times, with a one-minute wait between the first two attempts, and two
// minutes between the second and third attempts"; "For throttling errors
// (429) and system errors (500-series), Lambda returns the event to the
// queue and attempts to run the function again for up to 6 hours" (same
// page), without counting an attempt. An event that would be older than
// its maximum age at its next attempt, or that failed every attempt, is
// dropped, and logged.
func (s *Service) deliver(h *Host, req Request, cfg AsyncConfig, queued time.Time) {
	attempt, throttles := 0, 0
	for {
		res, err := h.Run(s.ctx, req)
		var delay time.Duration
		switch {
		case s.ctx.Err() != nil:
			return
		case err == nil && res.FunctionError == "":
			return
		case err != nil: // throttled, or the host could not run it
			delay = throttleDelay(throttles)
			throttles++
		default:
			s.warn("asynchronous invocation failed", h, req, "attempt", attempt+1, "function_error", string(res.Payload))
			if attempt >= cfg.MaxRetries || attempt >= len(s.RetryDelays) {
				s.warn("asynchronous event dropped: every attempt failed", h, req)
				return
			}
			delay = s.RetryDelays[attempt]
			attempt++
		}
		if s.Now().Add(delay).Sub(queued) > cfg.MaxEventAge {
			s.warn("asynchronous event dropped: older than its maximum age", h, req, "max_event_age", cfg.MaxEventAge,
				"throttled", errors.Is(err, ErrThrottled))
			return
		}
		select {
		case <-s.ctx.Done():
			return
		case <-s.After(delay):
		}
	}
}

func (s *Service) warn(msg string, h *Host, req Request, args ...any) {
	if s.Log != nil {
		s.Log.Warn(msg, append([]any{"function", h.Name(), "request_id", req.ID}, args...)...)
	}
}
