package lambda

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/internal/lines"
)

// env is one execution environment: a bootstrap process and its Runtime API.
type env struct {
	cfg        Config
	cmd        *exec.Cmd
	srv        *http.Server
	out        *output
	tmp        string
	started    time.Time
	exited     chan struct{}
	next       chan *invocation
	initFailed chan struct{} // closed at /runtime/init/error

	warm bool // has served an invocation

	asked    chan struct{} // closed at the first /next
	askOnce  sync.Once
	firstAsk time.Time

	mu       sync.Mutex
	current  *invocation // delivered, not answered yet
	lastID   string      // the invocation the runtime works for, if any
	initErr  initError
	stopping bool // the host stops it: its exit is no crash
}

type initError struct {
	typ  string
	body []byte
}

func startEnv(cfg Config) (*env, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &env{cfg: cfg, exited: make(chan struct{}), next: make(chan *invocation), asked: make(chan struct{}),
		initFailed: make(chan struct{})}
	if err := e.start(ln); err != nil {
		ln.Close()
		e.cleanup()
		return nil, fmt.Errorf("start %s: %w", cfg.Name, err)
	}
	return e, nil
}

func (e *env) start(ln net.Listener) error {
	var err error
	e.started = time.Now()
	if e.tmp, err = os.MkdirTemp("", "moviepipe-lambda-"); err != nil {
		return err
	}
	if e.out, err = newOutput(&lines.Prefixer{Prefix: "[" + e.cfg.Name + "] ", W: e.cfg.Log, Keep: e.cfg.Logging.keep}); err != nil {
		return err
	}
	e.srv = &http.Server{Handler: e.runtimeAPI(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.srv.Serve(ln) }()
	cmd := exec.Command(e.cfg.Binary)
	cmd.Dir = filepath.Dir(e.cfg.Binary)
	cmd.Env = e.environ(ln.Addr().String())
	cmd.Stdout, cmd.Stderr = e.out.w, e.out.w // one stream, as Lambda collects them
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	e.cmd = cmd
	go e.watch()
	return nil
}

// watch waits for the process to end and logs a crash as Lambda logs it:
//
//	RequestId: 6f1d… Error: Runtime exited with error: signal: killed
//	Runtime.ExitError
//
// with the request id of the invocation the runtime was working for, if any
// (the runtime interface emulator's FaultData and
// GetErrorResponseWithFormattedErrorMessage).
func (e *env) watch() {
	_ = e.cmd.Wait()
	e.mu.Lock()
	stopping, id := e.stopping, e.lastID
	e.mu.Unlock()
	if !stopping {
		e.logFault(faultMessage(id, exitReason(e.cmd.ProcessState)) + "\nRuntime.ExitError")
	}
	close(e.exited)
}

// exitReason says how the runtime ended, as Lambda says it.
func exitReason(ps *os.ProcessState) string {
	if ps.Success() {
		return "Runtime exited without providing a reason"
	}
	return "Runtime exited with error: " + ps.String() // "signal: killed", "exit status 2"
}

// faultMessage is Lambda's "RequestId: … Error: …" form of a platform error.
func faultMessage(requestID, reason string) string {
	if requestID == "" {
		return "Error: " + reason
	}
	return "RequestId: " + requestID + " Error: " + reason
}

// ReservedVariables are the environment variables Lambda sets and a
// function's configuration may not
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-runtime.html).
var ReservedVariables = []string{"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT",
	"LAMBDA_RUNTIME_DIR"}

// CheckVariables refuses a function configuration's variables that Lambda
// reserves, with Lambda's message.
func CheckVariables(vars map[string]string) error {
	var used []string
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if slices.Contains(ReservedVariables, k) {
			used = append(used, k)
		}
	}
	if len(used) == 0 {
		return nil
	}
	return errors.New("InvalidParameterValueException: Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: " + strings.Join(used, ","))
}

// environ is the process's environment as Lambda sets it for an OS-only
// runtime (provided.al2023): no AWS_EXECUTION_ENV and no _X_AMZN_TRACE_ID
// there, the paths of the documented defaults with this machine's folders.
// Config.Env comes last: the cloud gives the role's credentials there.
func (e *env) environ(api string) []string {
	c, task := e.cfg, filepath.Dir(e.cfg.Binary)
	base := map[string]string{
		"PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin", "LANG": "en_US.UTF-8", "TZ": ":UTC",
		"LD_LIBRARY_PATH":             "/var/lang/lib:/lib64:/usr/lib64:" + task + ":" + task + "/lib:" + task + ":" + task + "/lib:/opt/lib",
		"TMPDIR":                      e.tmp, // Lambda's /tmp
		"HOME":                        e.tmp,
		"AWS_LAMBDA_RUNTIME_API":      api,
		"AWS_LAMBDA_FUNCTION_NAME":    c.Name,
		"AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(c.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/" + c.Name, "AWS_LAMBDA_LOG_STREAM_NAME": logStreamName(time.Now()),
		"AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
		"AWS_REGION":                     c.Region, "AWS_DEFAULT_REGION": c.Region,
		"LAMBDA_TASK_ROOT": task, "LAMBDA_RUNTIME_DIR": task,
		"_HANDLER": "bootstrap",
	}
	maps.Copy(base, c.Env)
	c.Logging.environ(base)
	if id, ok := base["AWS_ACCESS_KEY_ID"]; ok {
		base["AWS_ACCESS_KEY"] = id
	}
	if _, ok := base["AWS_XRAY_DAEMON_ADDRESS"]; ok && base["AWS_XRAY_CONTEXT_MISSING"] == "" {
		base["AWS_XRAY_CONTEXT_MISSING"] = "LOG_ERROR" // set by Lambda for X-Ray, unless configured
	}
	out := make([]string, 0, len(base))
	for k, v := range base {
		out = append(out, k+"="+v)
	}
	return out
}

// stop kills the environment's process group and frees its resources. The
// group is signalled only while its leader has not been reaped: once it has,
// its pid may be another process's, and signalling -pid could kill an
// unrelated process group.
func (e *env) stop() {
	e.mu.Lock()
	e.stopping = true
	e.mu.Unlock()
	pid := e.cmd.Process.Pid
	select {
	case <-e.exited:
	default:
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		select {
		case <-e.exited:
		case <-time.After(500 * time.Millisecond):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-e.exited
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = e.srv.Shutdown(ctx)
	e.cleanup()
}

func (e *env) cleanup() {
	if e.srv != nil {
		_ = e.srv.Close()
	}
	if e.out != nil {
		e.out.close()
	}
	if e.tmp != "" {
		os.RemoveAll(e.tmp)
	}
}
