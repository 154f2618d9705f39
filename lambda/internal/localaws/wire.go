package localaws

import (
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Call is one API request as it arrived at a local server.
type Call struct {
	// Op is the operation, e.g. DescribeVpcs or PutEvaluations.
	Op string
	// Time is when the request arrived.
	Time time.Time
	// Input is the decoded request: url.Values for EC2 (and the other query-protocol services
	// moto serves), *PutEvaluationsInput or *GetComplianceDetailsInput for Config; nil when the
	// request could not be decoded.
	Input any
	// Status is the HTTP status answered; 0 while the call is in progress or when it was never
	// answered (a Hang fault).
	Status int
	// ErrorCode is the AWS error code answered, if this package chose it (an injected fault or
	// the Config fake's validation); errors from moto itself show only in Status.
	ErrorCode string
	// Attempt is the SDK's attempt number for the operation (its amz-sdk-request header): 1 for
	// the first, more for the SDK's retries; 0 when the client did not say.
	Attempt int
	// Repeat marks an SDK retry of a call this server had already answered with success: the
	// client lost the answer on its connection while reading it (the SDK then reports
	// "deserialization failed … use of closed network connection" and retries, see
	// aws/aws-sdk-go-v2#1825). It is the same call again, so it is not counted as a new one and
	// gets the fault decision of the call it repeats.
	Repeat bool
}

// attempt reads the SDK's attempt number from a request's amz-sdk-request header
// ("attempt=2; max=3"); 0 when there is none.
func attempt(h http.Header) int {
	for _, part := range strings.Split(h.Get("Amz-Sdk-Request"), ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "attempt="); ok {
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
		}
	}
	return 0
}

// Fault is what a local server answers instead of serving a call normally: an error (Code or
// Status set), no answer (Hang), or, on PutEvaluations, refused evaluations.
type Fault struct {
	// Code is the AWS error code to answer, e.g. ThrottlingException, RequestLimitExceeded,
	// UnauthorizedOperation, AccessDeniedException, InternalError.
	Code string
	// Message is the error message; a default is used when empty.
	Message string
	// Status is the HTTP status; 0 means 400 for an error Code. A Status of 400 or more without
	// a Code answers InternalFailure.
	Status int
	// Hang holds the request open, answering nothing, until the client gives up or the server
	// stops: an endpoint that does not answer.
	Hang bool
	// Delay holds the request this long before it is answered (served, or with the fault's
	// error): the round trip of a real AWS endpoint, which local servers answer without.
	Delay time.Duration
	// RefuseEvaluations, on a PutEvaluations call to the Config fake that is otherwise served,
	// answers the first RefuseEvaluations evaluations of the call (all, if it is larger) as
	// FailedEvaluations and does not store them.
	RefuseEvaluations int
	// RefuseFindings, on a BatchImportFindings call to the Security Hub fake that is otherwise
	// served, answers the first RefuseFindings findings of the call as FailedFindings and does
	// not store them.
	RefuseFindings int
}

// FaultFunc decides whether the n-th call of operation op (counting from 1 since the server's
// last Reset or ResetCalls, retries included: each is a call on the wire; a Repeat is not a new
// call) is answered with a fault; nil means it is served normally.
type FaultFunc func(op string, n int) *Fault

// isError reports whether f is answered as an error.
func (f *Fault) isError() bool { return f != nil && (f.Code != "" || f.Status >= 400) }

// errorAnswer returns the status, code and message of an error fault, with defaults applied.
func (f *Fault) errorAnswer() (status int, code, message string) {
	status, code, message = f.Status, f.Code, f.Message
	if status == 0 {
		status = http.StatusBadRequest
	}
	if code == "" {
		code = "InternalFailure"
	}
	if message == "" {
		message = "Fault injected by the test: " + code + "."
	}
	return status, code, message
}

// recorder records the calls a server receives and decides the faults to answer.
type recorder struct {
	mu     sync.Mutex
	calls  []Call
	counts map[string]int
	faults FaultFunc
}

// begin records the arrival of a call and returns its index and the fault to answer, if any.
func (r *recorder) begin(op string, input any, header http.Header) (int, *Fault) {
	r.mu.Lock()
	if r.counts == nil {
		r.counts = make(map[string]int)
	}
	c := Call{Op: op, Time: time.Now(), Input: input, Attempt: attempt(header)}
	c.Repeat = c.Attempt > 1 && r.answeredOK(op)
	if !c.Repeat {
		r.counts[op]++
	}
	n := r.counts[op]
	r.calls = append(r.calls, c)
	i := len(r.calls) - 1
	faults := r.faults
	r.mu.Unlock()
	if faults == nil {
		return i, nil
	}
	if c.Repeat {
		// The call repeated was served normally (it was answered 200), so is its repeat.
		return i, nil
	}
	return i, faults(op, n)
}

// answeredOK reports whether the last call of op was answered with a 2xx status. The caller
// holds r.mu.
func (r *recorder) answeredOK(op string) bool {
	for i := len(r.calls) - 1; i >= 0; i-- {
		if r.calls[i].Op == op {
			return r.calls[i].Status >= 200 && r.calls[i].Status < 300
		}
	}
	return false
}

// end records how call i was answered.
func (r *recorder) end(i, status int, errorCode string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i < len(r.calls) {
		r.calls[i].Status = status
		r.calls[i].ErrorCode = errorCode
	}
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = nil
	r.counts = nil
	r.faults = nil
}

func (r *recorder) setFaults(f FaultFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults = f
}

func (r *recorder) snapshot() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Call, len(r.calls))
	copy(out, r.calls)
	return out
}

// operations counts the calls per operation that were not an SDK retry: the operations the
// client made, whatever the network did to them.
func (r *recorder) operations() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int)
	for _, c := range r.calls {
		if c.Attempt <= 1 && !c.Repeat {
			out[c.Op]++
		}
	}
	return out
}

func (r *recorder) countsCopy() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.counts))
	maps.Copy(out, r.counts)
	return out
}

// writer returns w wrapped to record the status of call i as soon as it is answered, before
// the body is written: a client that loses the answer while reading it may retry before the
// handler returns, and its retry must find the status (see Call.Repeat).
func (r *recorder) writer(w http.ResponseWriter, i int) *statusWriter {
	return &statusWriter{ResponseWriter: w, rec: r, call: i}
}

// statusWriter remembers the status a handler answered, in the recorder too.
type statusWriter struct {
	http.ResponseWriter
	status int
	rec    *recorder
	call   int
}

func (w *statusWriter) answer(code int) {
	if w.status != 0 {
		return
	}
	w.status = code
	if w.rec != nil {
		w.rec.end(w.call, code, "")
	}
}

func (w *statusWriter) WriteHeader(code int) {
	w.answer(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.answer(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// Flush lets a reverse proxy stream through the writer.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// hang blocks until the request is abandoned by its client or stopping closes, then drops the
// connection without an answer.
// delay waits d, or less if the client gives up or the server stops.
func delay(r *http.Request, stopping <-chan struct{}, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	case <-stopping:
	}
}

func hang(r *http.Request, stopping <-chan struct{}) {
	select {
	case <-r.Context().Done():
	case <-stopping:
	}
	panic(http.ErrAbortHandler)
}
