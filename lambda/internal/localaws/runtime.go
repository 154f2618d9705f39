package localaws

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// RuntimeOptions say what StartRuntime runs and where the function's AWS calls go.
type RuntimeOptions struct {
	// Bootstrap is the function's executable (see BuildBootstrap).
	Bootstrap string
	// Region is the function's AWS_REGION.
	Region string
	// EC2URL and ConfigURL become AWS_ENDPOINT_URL_EC2 and AWS_ENDPOINT_URL_CONFIG_SERVICE.
	EC2URL    string
	ConfigURL string
	// Timeout is the function's timeout, which sets its context's deadline; 0 means 30 s.
	Timeout time.Duration
	// Env holds more KEY=VALUE variables for the function, e.g. LOG_LEVEL=debug.
	Env []string
	// ReadyPoll is how often StartRuntime checks whether the emulator listens; 0 means 10 ms.
	// Start-up measurements use a shorter one, so that the wait adds little to what they time.
	ReadyPoll time.Duration
}

// Runtime is a running Lambda Runtime Interface Emulator serving one function.
type Runtime struct {
	// URL is the emulator's invoke address.
	URL string

	proc     *process
	stopOnce sync.Once
}

// FunctionError is the answer of an invocation whose handler returned an error.
type FunctionError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

// AsFunctionError reads an invocation's answer as a function error; ok is false when the
// answer is not one.
func AsFunctionError(body []byte) (fe FunctionError, ok bool) {
	if err := json.Unmarshal(body, &fe); err != nil || fe.Type == "" && fe.Message == "" {
		return FunctionError{}, false
	}
	return fe, true
}

// runtimeStartTimeout bounds how long the emulator may take to listen.
const runtimeStartTimeout = 15 * time.Second

// defaultReadyPoll is how often StartRuntime checks whether the emulator listens.
const defaultReadyPoll = 10 * time.Millisecond

// StartRuntime starts aws-lambda-rie (found by FindRuntimeEmulator) with both of its addresses
// on free loopback ports, running opts.Bootstrap with an environment made only of opts and test
// credentials. The caller must Stop it.
func StartRuntime(ctx context.Context, opts RuntimeOptions) (*Runtime, error) {
	rie, err := FindRuntimeEmulator()
	if err != nil {
		return nil, err
	}
	bootstrap, err := filepath.Abs(opts.Bootstrap)
	if err != nil {
		return nil, err
	}
	if !isExecutable(bootstrap) {
		return nil, fmt.Errorf("function executable %s: not an executable file", bootstrap)
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"AWS_REGION=" + opts.Region,
		"AWS_DEFAULT_REGION=" + opts.Region,
		// Test credentials only: the function must never reach AWS from here.
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_ENDPOINT_URL_EC2=" + opts.EC2URL,
		"AWS_ENDPOINT_URL_CONFIG_SERVICE=" + opts.ConfigURL,
		"AWS_LAMBDA_FUNCTION_NAME=ec2-vpc-endpoint-rule",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=" + strconv.Itoa(int(timeout.Seconds())),
	}
	env = append(env, opts.Env...)

	for attempt := 1; ; attempt++ {
		invokeAddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		runtimeAddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		args := []string{
			"--runtime-interface-emulator-address", invokeAddr,
			"--runtime-api-address", runtimeAddr,
			bootstrap,
		}
		proc, err := startProcess(rie, args, env, filepath.Dir(bootstrap))
		if err != nil {
			return nil, err
		}
		err = waitListening(ctx, proc, invokeAddr, cmp.Or(opts.ReadyPoll, defaultReadyPoll))
		if err == nil {
			return &Runtime{URL: "http://" + invokeAddr + "/2015-03-31/functions/function/invocations", proc: proc}, nil
		}
		proc.stop(time.Second)
		if !errors.Is(err, errExited) || attempt == 3 {
			return nil, fmt.Errorf("aws-lambda-rie (%s): %w\n%s", rie, err, proc.output())
		}
	}
}

// waitListening waits until addr accepts connections, trying every poll, or fails when proc
// exits or ctx ends.
func waitListening(ctx context.Context, proc *process, addr string, poll time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, runtimeStartTimeout)
	defer cancel()
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn.Close()
		}
		select {
		case <-proc.done:
			return fmt.Errorf("%w before listening: %v", errExited, proc.err)
		case <-ctx.Done():
			return fmt.Errorf("not listening on %s: %w", addr, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// Invoke invokes the function with event ([]byte or json.RawMessage as they are, anything else
// as JSON) and returns the answer's body. A function error is an answer too (see
// AsFunctionError); err is for an invocation that got no answer.
func (r *Runtime) Invoke(ctx context.Context, event any) ([]byte, error) {
	var payload []byte
	switch e := event.(type) {
	case []byte:
		payload = e
	case json.RawMessage:
		payload = e
	default:
		var err error
		if payload, err = json.Marshal(event); err != nil {
			return nil, fmt.Errorf("encode event: %w", err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("invoke: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("invoke: HTTP %d: %s", resp.StatusCode, body)
	}
	return body, nil
}

// Started returns when the emulator's process was started (just before the fork): the start of
// a cold start, which ends when the first invocation is answered.
func (r *Runtime) Started() time.Time { return r.proc.started }

// Output returns the end of what the emulator and the function logged.
func (r *Runtime) Output() string { return r.proc.output() }

// Stop stops the emulator and the function, and waits until the emulator has exited. It may be
// called again.
func (r *Runtime) Stop() {
	r.stopOnce.Do(func() { r.proc.stop(3 * time.Second) })
}
