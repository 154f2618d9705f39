package localaws

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Moto is a running moto_server behind a front that counts every call and can answer faults.
// Moto serves EC2 (and STS) faithfully enough for the rule; see Reset for its state.
type Moto struct {
	// URL is the front: give it to the code under test, whose calls are then recorded and
	// counted per operation, and answered with the faults set by OnCall.
	URL string
	// ServerURL is moto itself: seeding and inspection go here, unrecorded.
	ServerURL string

	proc     *process
	front    *httptest.Server
	rec      recorder
	dns      *privateDNS // nil: moto's own behaviour (see EmulatePrivateDNS)
	stopping chan struct{}
	stopOnce sync.Once
}

// motoStartTimeout bounds how long moto may take to answer after it is started.
const motoStartTimeout = 30 * time.Second

// StartMoto starts moto_server (found by FindMoto) on a free loopback port, waits until it
// answers, and starts its front. The caller must Stop it.
func StartMoto(ctx context.Context) (*Moto, error) {
	path, err := FindMoto()
	if err != nil {
		return nil, err
	}
	var proc *process
	var serverURL string
	// The port is free when chosen but could be taken before moto binds it: try a few.
	for attempt := 1; ; attempt++ {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		host, port, _ := net.SplitHostPort(addr)
		proc, err = startProcess(path, []string{"-H", host, "-p", port}, nil, "")
		if err != nil {
			return nil, err
		}
		serverURL = "http://" + addr
		err = waitMoto(ctx, proc, serverURL)
		if err == nil {
			break
		}
		proc.stop(time.Second)
		if !errors.Is(err, errExited) || attempt == 3 {
			return nil, fmt.Errorf("moto_server (%s): %w\n%s", path, err, proc.output())
		}
	}
	m := &Moto{ServerURL: serverURL, proc: proc, stopping: make(chan struct{})}
	target, _ := url.Parse(serverURL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	m.front = httptest.NewServer(m.serveFront(proxy))
	m.URL = m.front.URL
	return m, nil
}

// waitMoto polls moto until it answers a reset, or fails when it exits or ctx ends.
func waitMoto(ctx context.Context, proc *process, serverURL string) error {
	ctx, cancel := context.WithTimeout(ctx, motoStartTimeout)
	defer cancel()
	for {
		if err := resetMoto(ctx, serverURL); err == nil {
			return nil
		}
		select {
		case <-proc.done:
			return fmt.Errorf("%w before answering: %v", errExited, proc.err)
		case <-ctx.Done():
			return fmt.Errorf("not answering: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func resetMoto(ctx context.Context, serverURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, serverURL+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /moto-api/reset: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Reset empties moto (every region then has only its default VPC again) and clears the
// recorded calls and the fault hook.
func (m *Moto) Reset(ctx context.Context) error {
	if err := resetMoto(ctx, m.ServerURL); err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	m.rec.reset()
	m.rec.mu.Lock()
	m.dns = nil
	m.rec.mu.Unlock()
	return nil
}

// Calls returns the calls the front received since the last reset, in arrival order.
func (m *Moto) Calls() []Call { return m.rec.snapshot() }

// Counts returns the number of calls per operation the front received since the last reset, SDK
// retries included and Repeats not.
func (m *Moto) Counts() map[string]int { return m.rec.countsCopy() }

// Operations returns the calls per operation since the last reset that were not SDK retries.
func (m *Moto) Operations() map[string]int { return m.rec.operations() }

// ResetCalls forgets the recorded calls and counts, keeping moto's state and the fault hook.
func (m *Moto) ResetCalls() {
	m.rec.mu.Lock()
	defer m.rec.mu.Unlock()
	m.rec.calls, m.rec.counts = nil, nil
}

// OnCall sets the hook deciding the faults the front answers (nil: none) until the next Reset.
func (m *Moto) OnCall(f FaultFunc) { m.rec.setFaults(f) }

// Output returns the end of moto's log.
func (m *Moto) Output() string { return m.proc.output() }

// Stop stops the front and moto, and waits until moto has exited. It may be called again.
func (m *Moto) Stop() {
	m.stopOnce.Do(func() {
		close(m.stopping)
		m.front.Close()
		m.proc.stop(3 * time.Second)
	})
}

// maxRequestBody bounds the request bodies the servers read.
const maxRequestBody = 16 << 20

// serveFront records each query-protocol call (its Action), answers the fault the hook gives,
// and passes everything else to moto.
func (m *Moto) serveFront(proxy http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		values, _ := url.ParseQuery(string(body))
		if q := r.URL.Query(); len(q) > 0 && values.Get("Action") == "" {
			values = q
		}
		op := values.Get("Action")
		target := r.Header.Get("X-Amz-Target")
		switch {
		case op != "":
		case target != "":
			// A JSON-protocol service (Organizations, Route 53 Resolver): the operation is in
			// the target header, and faults are answered in the JSON protocol's shape.
			op = trimOp(target)
		default:
			op = restOp(r.Method, r.URL.Path)
		}
		i, fault := m.rec.begin(op, values, r.Header)
		sw := m.rec.writer(w, i)
		var code string
		if fault != nil && fault.Delay > 0 {
			delay(r, m.stopping, fault.Delay)
		}
		switch {
		case fault != nil && fault.Hang:
			hang(r, m.stopping)
		case fault.isError():
			var status int
			var message string
			status, code, message = fault.errorAnswer()
			if target != "" {
				writeJSONError(sw, &apiError{status, code, message})
			} else {
				writeQueryError(sw, values.Get("Version"), status, code, message)
			}
		default:
			m.rec.mu.Lock()
			dns := m.dns
			m.rec.mu.Unlock()
			served := false
			if dns != nil {
				code, served = dns.serve(sw, r, op, values, proxy)
			}
			if !served {
				proxy.ServeHTTP(sw, r)
			}
		}
		m.rec.end(i, sw.status, code)
	})
}

// ec2APIVersion is the API version EC2 requests carry; EC2 answers errors in its own XML shape,
// other query-protocol services in the common one.
const ec2APIVersion = "2016-11-15"

// writeQueryError answers an AWS query-protocol error.
func writeQueryError(w http.ResponseWriter, version string, status int, code, message string) {
	requestID := fmt.Sprintf("fault-%d", time.Now().UnixNano())
	var doc any
	if version == ec2APIVersion {
		type ec2Error struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}
		doc = struct {
			XMLName   xml.Name   `xml:"Response"`
			Errors    []ec2Error `xml:"Errors>Error"`
			RequestID string     `xml:"RequestID"`
		}{Errors: []ec2Error{{code, message}}, RequestID: requestID}
	} else {
		errorType := "Sender"
		if status >= 500 {
			errorType = "Receiver"
		}
		doc = struct {
			XMLName xml.Name `xml:"ErrorResponse"`
			Error   struct {
				Type    string `xml:"Type"`
				Code    string `xml:"Code"`
				Message string `xml:"Message"`
			} `xml:"Error"`
			RequestID string `xml:"RequestId"`
		}{Error: struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}{errorType, code, message}, RequestID: requestID}
	}
	b, _ := xml.Marshal(doc)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(b)
}

// route53Path is the prefix of Route 53's REST API paths.
const route53Path = "/2013-04-01/"

// restOp names the operation of a REST request: the Route 53 reads the rule makes by name,
// anything else as its method and path.
func restOp(method, path string) string {
	if rest, ok := strings.CutPrefix(path, route53Path); ok && method == http.MethodGet {
		parts := strings.Split(strings.Trim(rest, "/"), "/")
		switch {
		case len(parts) == 1 && parts[0] == "hostedzonesbyvpc":
			return "ListHostedZonesByVPC"
		case len(parts) == 2 && parts[0] == "hostedzone":
			return "GetHostedZone"
		case len(parts) == 3 && parts[0] == "hostedzone" && parts[2] == "rrset":
			return "ListResourceRecordSets"
		}
	}
	return method + " " + path
}

// trimOp returns the operation of an X-Amz-Target header ("Service.Operation").
func trimOp(target string) string {
	if i := strings.LastIndexByte(target, '.'); i >= 0 {
		return target[i+1:]
	}
	return target
}
