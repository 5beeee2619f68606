package lambda

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type invocation struct {
	id            string
	payload       []byte
	deadline      time.Time
	trace         string
	clientContext string
	result        chan Result
	delivered     bool // the runtime has it (under env.mu)
}

// platformError is an invocation failure of Lambda's own (a crash, a
// timeout, an init error): its type shows in the REPORT line's Status.
type platformError struct{ status, typ string }

// invoke hands one invocation to the process and waits for its outcome. It
// reports whether the environment can take another, and whether a warm
// environment turned out to be gone before it took the invocation.
func (e *env) invoke(ctx context.Context, req Request) (res Result, healthy, gone bool) {
	start := time.Now()
	inv := &invocation{id: req.ID, payload: req.Payload, deadline: start.Add(e.cfg.Timeout), trace: req.TraceHeader,
		clientContext: req.ClientContext, result: make(chan Result, 1)}
	if inv.id == "" {
		inv.id = newRequestID()
	}
	if e.warm && e.ended() {
		return Result{}, false, true
	}
	if !e.warm {
		e.setLastID(inv.id) // a runtime that dies in its init dies for this invocation
	}
	e.out.attach()
	seg := e.segment(inv, start)
	res, healthy, gone, perr := e.await(ctx, inv)
	cold := !e.warm
	e.warm = true
	if gone {
		e.out.detach()
		return res, false, true
	}
	res.RequestID, res.Duration = inv.id, time.Since(start)
	e.report(seg, res.FunctionError != "")
	res.LogTail = e.finish(inv, res.Duration, cold, perr)
	return res, healthy, false
}

// await delivers the invocation to the runtime and waits for its answer.
// The process must ask for its next invocation: on a cold start, after its
// init; a cold process that exits first failed to initialise, a warm one
// (exiting after reporting a panic, say) is simply gone.
func (e *env) await(ctx context.Context, inv *invocation) (res Result, healthy, gone bool, perr *platformError) {
	select {
	case e.next <- inv:
	case <-e.initFailed:
		res, perr := e.initFailure(inv)
		return res, false, false, perr
	case <-e.exited:
		if res, perr, ok := e.initFailureIfAny(inv); ok {
			return res, false, false, perr
		}
		if e.warm {
			return Result{}, false, true, nil
		}
		res, perr := e.exitFailure(inv)
		return res, false, false, perr
	case <-time.After(e.cfg.InitTimeout):
		msg := faultMessage(inv.id, "the runtime did not ask for an invocation within "+e.cfg.InitTimeout.String())
		return failure("Runtime.InitTimeout", msg), false, false, &platformError{"error", "Runtime.InitTimeout"}
	case <-ctx.Done():
		return failure("Runtime.Cancelled", ctx.Err().Error()), true, false, nil
	}
	return e.answer(inv)
}

// answer waits for the runtime's response or error, the deadline, or the
// process's end.
func (e *env) answer(inv *invocation) (Result, bool, bool, *platformError) {
	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	select {
	case res := <-inv.result:
		return res, true, false, nil
	case <-timer.C:
		// Lambda logs "<time> <request id> Task timed out after 3.00 seconds"
		// and kills the environment; the next invocation starts another.
		// In JSON format no such line: the report's status says timeout.
		secs := fmt.Sprintf("Task timed out after %.2f seconds", e.cfg.Timeout.Seconds())
		if !e.cfg.Logging.json() {
			e.out.platform("%s %s %s", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), inv.id, secs)
		}
		return failure("Sandbox.Timedout", faultMessage(inv.id, secs)), false, false, &platformError{"timeout", ""}
	case <-e.exited:
		select { // the response may have been posted just before the exit
		case res := <-inv.result:
			return res, false, false, nil
		default:
		}
		res, perr := e.exitFailure(inv)
		return res, false, false, perr
	}
}

// exitFailure is the answer to an invocation whose runtime exited:
// Runtime.ExitError and the message Lambda logs.
func (e *env) exitFailure(inv *invocation) (Result, *platformError) {
	msg := faultMessage(inv.id, exitReason(e.cmd.ProcessState))
	return failure("Runtime.ExitError", msg), &platformError{"error", "Runtime.ExitError"}
}

// initFailure is the answer to an invocation whose runtime reported an init
// error: what it posted to /runtime/init/error, with its error type.
func (e *env) initFailure(inv *invocation) (Result, *platformError) {
	e.mu.Lock()
	ie := e.initErr
	e.mu.Unlock()
	body := ie.body
	if !json.Valid(body) {
		body = mustJSON(map[string]string{"errorType": ie.typ, "errorMessage": string(body)})
	}
	return Result{Payload: body, FunctionError: "Unhandled", RequestID: inv.id}, &platformError{"error", ie.typ}
}

func (e *env) initFailureIfAny(inv *invocation) (Result, *platformError, bool) {
	select {
	case <-e.initFailed:
		res, perr := e.initFailure(inv)
		return res, perr, true
	default:
		return Result{}, nil, false
	}
}

func (e *env) hasExited() bool {
	select {
	case <-e.exited:
		return true
	default:
		return false
	}
}

// ended reports whether the process has ended: watch has seen it, or it is
// already reaped (no such process), which watch is about to report.
// Without the second check, an invocation sent in that moment reached the
// dead runtime's Runtime API connection, not yet closed, and came back as
// its crash instead of going to another environment
// (TestManyDeadWarmEnvironmentsAreReplaced).
func (e *env) ended() bool {
	return e.hasExited() || errors.Is(e.cmd.Process.Signal(syscall.Signal(0)), os.ErrProcessDone)
}

func (e *env) setLastID(id string) {
	e.mu.Lock()
	e.lastID = id
	e.mu.Unlock()
}

func failure(typ, msg string) Result {
	return Result{Payload: mustJSON(map[string]string{"errorType": typ, "errorMessage": msg}), FunctionError: "Unhandled"}
}

// finish ends the invocation's log as Lambda does, with its END and REPORT
// lines (or their JSON records), and returns the last 4 KB of it.
func (e *env) finish(inv *invocation, d time.Duration, cold bool, perr *platformError) []byte {
	e.mu.Lock()
	delivered := inv.delivered
	e.mu.Unlock()
	if !delivered { // it failed before the runtime took it
		e.logStart(inv.id)
	}
	r := report{id: inv.id, duration: d, memoryMB: e.cfg.MemoryMB, perr: perr}
	if kb, ok := e.peakKB(); ok {
		r.maxMemMB = int((kb + 1023) / 1024)
	}
	if init, ok := e.initDuration(); ok && cold {
		r.init = max(init, time.Microsecond)
	}
	e.logReport(r)
	e.out.drain()
	return e.out.detach()
}

// initDuration is the time from exec to the runtime's first /next.
func (e *env) initDuration() (time.Duration, bool) {
	select {
	case <-e.asked:
		return e.firstAsk.Sub(e.started), true
	default:
		return 0, false
	}
}

// peakKB is the runtime's peak resident set: its rusage once it has
// exited, else its VmHWM.
func (e *env) peakKB() (int64, bool) {
	if e.hasExited() {
		if ru, ok := e.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru != nil {
			return ru.Maxrss, true // kB on Linux
		}
		return 0, false
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", e.cmd.Process.Pid))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb, err == nil
		}
	}
	return 0, false
}

// segment starts the function's own X-Ray segment and rewrites the trace
// header so that the function's subsegments hang under it.
func (e *env) segment(inv *invocation, start time.Time) *Segment {
	root, parent, sampled := parseTrace(inv.trace)
	if root == "" {
		root = NewTraceID(start)
		sampled = "1"
	}
	seg := &Segment{TraceID: root, ID: NewSegmentID(), ParentID: parent, Name: e.cfg.Name, Start: start, RequestID: inv.id}
	inv.trace = fmt.Sprintf("Root=%s;Parent=%s;Sampled=%s", root, seg.ID, sampled)
	if sampled != "1" {
		return nil
	}
	return seg
}

func (e *env) report(seg *Segment, failed bool) {
	if seg == nil || e.cfg.OnSegment == nil {
		return
	}
	seg.End, seg.Error = time.Now(), failed
	e.cfg.OnSegment(*seg)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
