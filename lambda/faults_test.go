package main

// Fault injection over the wire: the real handler, with real SDK clients and their standard
// retryer (3 attempts, the same retryable errors and retry quota; only the backoff is capped so
// that the tests stay quick), reads EC2 from moto behind its counting front and writes to the
// recording Config fake, and both answer the faults a case sets. Every fault has one of two
// outcomes, and each case says which:
//
//   - delivered: the SDK (or, for FailedEvaluations, the reporter) retried, and Config holds
//     exactly the right evaluations, a COMPLIANT one only with its endpoint named as evidence;
//   - failed: the invocation returns an error that names the call that failed (and the IAM
//     action, when IAM denied it), and Config holds nothing.
//
// Two outcomes store a part, and say so: evaluations Config keeps refusing (the others were
// accepted), and a sweep whose puts fail after the first batch (TestFaultSweepFailsMidPut).
// In both, every evaluation stored is complete and evidence-based for its VPC, because every
// read finished before the first put; the error makes Lambda retry the whole invocation.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/localaws"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// The operations the faults are set on, as the servers name them.
const (
	faultOpVPCs      = "DescribeVpcs"
	faultOpEndpoints = "DescribeVpcEndpoints"
	faultOpDetails   = "GetComplianceDetailsByConfigRule"
	faultOpPut       = "PutEvaluations"
)

// faultMaxBackoff caps the SDK's retry backoff, which after a throttle is otherwise up to a
// second, and the reporter's pause before re-sending refused evaluations.
const faultMaxBackoff = 5 * time.Millisecond

// faultLambdaTimeout is how far ahead of the invocation the hang cases put its deadline, as
// Lambda does with the function's timeout. The handler keeps defaultDeadlineMargin (2 s) of it
// free, so it gives a call that hangs up after half a second.
const faultLambdaTimeout = defaultDeadlineMargin + 500*time.Millisecond

// faultRetryer is the SDK's standard retryer with its backoff capped.
func faultRetryer() aws.Retryer {
	return retry.AddWithMaxBackoffDelay(retry.NewStandard(), faultMaxBackoff)
}

// The faults, as the services answer them: EC2 throttles with HTTP 503, Config with 400.
var (
	faultEC2Throttle    = localaws.Fault{Code: "RequestLimitExceeded", Status: http.StatusServiceUnavailable, Message: "Request limit exceeded."}
	faultEC2Internal    = localaws.Fault{Code: "InternalError", Status: http.StatusInternalServerError, Message: "An internal error has occurred."}
	faultEC2Unavailable = localaws.Fault{Code: "Unavailable", Status: http.StatusServiceUnavailable, Message: "The server is overloaded."}
	faultEC2Denied      = localaws.Fault{Code: "UnauthorizedOperation", Status: http.StatusForbidden, Message: "You are not authorized to perform this operation."}

	faultConfigThrottle    = localaws.Fault{Code: "ThrottlingException", Message: "Rate exceeded"}
	faultConfigInternal    = localaws.Fault{Code: "InternalFailure", Status: http.StatusInternalServerError}
	faultConfigUnavailable = localaws.Fault{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable}
	faultConfigDenied      = localaws.Fault{Code: "AccessDeniedException", Message: "User is not authorized to perform this action."}
)

// faultOnce answers the first call of op with f, and serves every other call.
func faultOnce(op string, f localaws.Fault) localaws.FaultFunc {
	return func(o string, n int) *localaws.Fault {
		if o == op && n == 1 {
			return &f
		}
		return nil
	}
}

// faultFrom answers every call of op from the n-th on with f: persistently, for n = 1.
func faultFrom(op string, from int, f localaws.Fault) localaws.FaultFunc {
	return func(o string, n int) *localaws.Fault {
		if o == op && n >= from {
			return &f
		}
		return nil
	}
}

func faultAlways(op string, f localaws.Fault) localaws.FaultFunc { return faultFrom(op, 1, f) }

// faultEstate is what the fault cases evaluate: a compliant VPC, a VPC without an endpoint and
// moto's default VPC.
type faultEstate struct {
	moto       *localaws.Moto
	compliant  localaws.SeededVPC
	missing    localaws.SeededVPC
	defaultVPC string
}

// faultSeed resets moto and seeds the estate.
func faultSeed(t *testing.T) *faultEstate {
	t.Helper()
	moto := itestMoto(t)
	cfg, err := localaws.AWSConfig(t.Context(), itestRegion)
	require.NoError(t, err)
	api := localaws.EC2Client(cfg, moto.ServerURL)
	vpcs, err := localaws.Seed(t.Context(), api,
		localaws.VPCSpec{Name: "compliant", AZs: []string{"us-east-1a", "us-east-1b"}, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, PrivateDNS: true}}},
		localaws.VPCSpec{Name: "missing"},
	)
	require.NoError(t, err)
	defaultVPC, err := localaws.DefaultVPCID(t.Context(), api)
	require.NoError(t, err)
	return &faultEstate{moto: moto, compliant: vpcs[0], missing: vpcs[1], defaultVPC: defaultVPC}
}

// sweepWants are the evaluations of a complete sweep of the estate.
func (e *faultEstate) sweepWants() []itestWant {
	return []itestWant{
		e.changeWant(),
		itestVPC(e.missing.ID, rule.NonCompliant, "No Interface endpoint for "+itestEC2),
		itestVPC(e.defaultVPC, rule.NonCompliant, "No Interface endpoint for "+itestEC2),
	}
}

// changeWant is the evaluation of the compliant VPC's change event: COMPLIANT, naming its
// endpoint as the evidence.
func (e *faultEstate) changeWant() itestWant {
	return itestVPC(e.compliant.ID, rule.Compliant, e.compliant.Endpoints[0].ID, itestEC2)
}

// wantFor returns the expected evaluation of the VPC id.
func (e *faultEstate) wantFor(t *testing.T, id string) itestWant {
	t.Helper()
	for _, w := range e.sweepWants() {
		if w.id == id {
			return w
		}
	}
	t.Fatalf("%s is not a VPC of the estate", id)
	return itestWant{}
}

// faultRig returns a rig on the estate with a Config fake and SDK clients of its own, so that
// no fault, stored result or retry quota carries over from another case.
func faultRig(t *testing.T, e *faultEstate) *itestRig {
	t.Helper()
	cs := localaws.StartConfigService(itestRuleName)
	t.Cleanup(cs.Stop)
	cfg, err := localaws.AWSConfig(t.Context(), itestRegion, config.WithRetryer(faultRetryer))
	require.NoError(t, err)
	c := clients{ec2: localaws.EC2Client(cfg, e.moto.URL), config: localaws.ConfigClient(cfg, cs.URL)}
	h := &handler{
		region:         itestRegion,
		clients:        func(context.Context, string) (clients, error) { return c, nil },
		log:            newLogger(itestLogWriter{t}, "info"),
		putAttempts:    defaultPutAttempts,
		putBackoff:     faultMaxBackoff,
		deadlineMargin: defaultDeadlineMargin,
	}
	return &itestRig{moto: e.moto, config: cs, h: h}
}

// faultSet sets f on both servers (their operation names are disjoint) and starts counting
// calls afresh; moto's fault is cleared when the test ends.
func faultSet(t *testing.T, r *itestRig, f localaws.FaultFunc) {
	r.moto.OnCall(f)
	t.Cleanup(func() { r.moto.OnCall(nil) })
	r.config.OnCall(f)
	r.resetCalls()
}

// faultAssertNothingStored checks that Config holds nothing, whatever it was sent.
func faultAssertNothingStored(t *testing.T, r *itestRig) {
	t.Helper()
	assert.Empty(t, r.config.Stored(), "nothing stored")
	for _, c := range r.config.Calls() {
		if c.Op == faultOpPut {
			assert.NotEqual(t, http.StatusOK, c.Status, "no PutEvaluations call was accepted")
		}
	}
}

// faultAssertPutsValid checks that every PutEvaluations call carried the event's token, for
// real (not TestMode).
func faultAssertPutsValid(t *testing.T, r *itestRig) {
	t.Helper()
	for _, p := range r.config.Puts() {
		assert.Equal(t, itestToken, p.ResultToken)
		assert.False(t, p.TestMode)
	}
}

// faultAssertAPIError checks that err says code and keeps the API error in its chain.
func faultAssertAPIError(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if assert.ErrorAs(t, err, &ae, "the API error stays in the chain") {
		assert.Equal(t, code, ae.ErrorCode())
	}
}

// TestFaultOutcomes injects each fault into a change event (the compliant VPC's) or a sweep (all
// three VPCs), and checks the outcome: the calls on the wire, retries included, and then either
// the evaluations Config stored, or the error and that Config stored nothing.
func TestFaultOutcomes(t *testing.T) {
	e := faultSeed(t)
	changeCalls := map[string]int{faultOpEndpoints: 1, faultOpPut: 1}
	sweepCalls := map[string]int{faultOpVPCs: 1, faultOpEndpoints: 1, faultOpDetails: 1, faultOpPut: 1}
	// calls returns base with the counts in changes, a count of 0 removing the operation.
	calls := func(base, changes map[string]int) map[string]int {
		out := maps.Clone(base)
		for op, n := range changes {
			out[op] = n
			if n == 0 {
				delete(out, op)
			}
		}
		return out
	}
	// What the SDK says when the standard retryer gave up.
	maxAttempts := "exceeded maximum number of attempts, 3"

	tests := []struct {
		name  string
		sweep bool // a periodic sweep; otherwise the compliant VPC's change event
		fault localaws.FaultFunc
		// calls are every call the servers received, retries included.
		calls map[string]int
		// err lists what the error says; empty means the evaluations are delivered.
		err  []string
		code string
		// denied: the error wraps ErrAccessDenied and names the IAM action.
		denied bool
		// refused: Config kept refusing some evaluations and stored the others; check says which.
		refused bool
		check   func(t *testing.T, r *itestRig, err error)
	}{
		// EC2: throttling and 5xx are retried by the SDK; a read that still fails puts nothing.
		{
			name:  "EC2 RequestLimitExceeded once: retried, delivered",
			fault: faultOnce(faultOpEndpoints, faultEC2Throttle),
			calls: calls(changeCalls, map[string]int{faultOpEndpoints: 2}),
		},
		{
			name:  "EC2 RequestLimitExceeded persistently: fails, nothing put",
			fault: faultAlways(faultOpEndpoints, faultEC2Throttle),
			calls: calls(changeCalls, map[string]int{faultOpEndpoints: 3, faultOpPut: 0}),
			err:   []string{"ec2:DescribeVpcEndpoints: ", maxAttempts, "StatusCode: 503", "RequestLimitExceeded"},
			code:  "RequestLimitExceeded",
		},
		{
			name:  "sweep: EC2 RequestLimitExceeded once on DescribeVpcs: retried, delivered",
			sweep: true,
			fault: faultOnce(faultOpVPCs, faultEC2Throttle),
			calls: calls(sweepCalls, map[string]int{faultOpVPCs: 2}),
		},
		{
			name:  "sweep: EC2 RequestLimitExceeded persistently on DescribeVpcEndpoints after the VPCs were read: fails, nothing put",
			sweep: true,
			fault: faultAlways(faultOpEndpoints, faultEC2Throttle),
			calls: map[string]int{faultOpVPCs: 1, faultOpEndpoints: 3},
			err:   []string{"ec2:DescribeVpcEndpoints: ", maxAttempts, "RequestLimitExceeded"},
			code:  "RequestLimitExceeded",
		},
		{
			name:  "sweep: EC2 HTTP 500 once: retried, delivered",
			sweep: true,
			fault: faultOnce(faultOpVPCs, faultEC2Internal),
			calls: calls(sweepCalls, map[string]int{faultOpVPCs: 2}),
		},
		{
			name:  "sweep: EC2 HTTP 500 persistently: fails, nothing put",
			sweep: true,
			fault: faultAlways(faultOpVPCs, faultEC2Internal),
			calls: map[string]int{faultOpVPCs: 3},
			err:   []string{"ec2:DescribeVpcs: ", maxAttempts, "StatusCode: 500", "InternalError"},
			code:  "InternalError",
		},
		{
			name:  "EC2 HTTP 503 once: retried, delivered",
			fault: faultOnce(faultOpEndpoints, faultEC2Unavailable),
			calls: calls(changeCalls, map[string]int{faultOpEndpoints: 2}),
		},
		{
			name:  "EC2 HTTP 503 persistently: fails, nothing put",
			fault: faultAlways(faultOpEndpoints, faultEC2Unavailable),
			calls: map[string]int{faultOpEndpoints: 3},
			err:   []string{"ec2:DescribeVpcEndpoints: ", maxAttempts, "StatusCode: 503", "Unavailable"},
			code:  "Unavailable",
		},
		// IAM denials are not retried; the error names the action the role lacks.
		{
			name:   "sweep: EC2 UnauthorizedOperation on DescribeVpcs: fails naming ec2:DescribeVpcs, nothing put",
			sweep:  true,
			fault:  faultAlways(faultOpVPCs, faultEC2Denied),
			calls:  map[string]int{faultOpVPCs: 1},
			err:    []string{"the caller needs IAM permission ec2:DescribeVpcs, or an SCP", "UnauthorizedOperation"},
			code:   "UnauthorizedOperation",
			denied: true,
		},
		{
			name:   "EC2 UnauthorizedOperation on DescribeVpcEndpoints: fails naming ec2:DescribeVpcEndpoints, nothing put",
			fault:  faultAlways(faultOpEndpoints, faultEC2Denied),
			calls:  map[string]int{faultOpEndpoints: 1},
			err:    []string{"the caller needs IAM permission ec2:DescribeVpcEndpoints, or an SCP", "UnauthorizedOperation"},
			code:   "UnauthorizedOperation",
			denied: true,
		},

		// Config's cleanup read, the last read of a sweep: a failure puts nothing.
		{
			name:  "sweep: Config ThrottlingException once on GetComplianceDetailsByConfigRule: retried, delivered",
			sweep: true,
			fault: faultOnce(faultOpDetails, faultConfigThrottle),
			calls: calls(sweepCalls, map[string]int{faultOpDetails: 2}),
		},
		{
			name:  "sweep: Config ThrottlingException persistently on GetComplianceDetailsByConfigRule: fails, nothing put",
			sweep: true,
			fault: faultAlways(faultOpDetails, faultConfigThrottle),
			calls: calls(sweepCalls, map[string]int{faultOpDetails: 3, faultOpPut: 0}),
			err:   []string{"config:GetComplianceDetailsByConfigRule: ", maxAttempts, "ThrottlingException"},
			code:  "ThrottlingException",
		},
		{
			name:  "sweep: Config HTTP 500 once on GetComplianceDetailsByConfigRule: retried, delivered",
			sweep: true,
			fault: faultOnce(faultOpDetails, faultConfigInternal),
			calls: calls(sweepCalls, map[string]int{faultOpDetails: 2}),
		},
		{
			name:  "sweep: Config HTTP 503 persistently on GetComplianceDetailsByConfigRule: fails, nothing put",
			sweep: true,
			fault: faultAlways(faultOpDetails, faultConfigUnavailable),
			calls: calls(sweepCalls, map[string]int{faultOpDetails: 3, faultOpPut: 0}),
			err:   []string{"config:GetComplianceDetailsByConfigRule: ", maxAttempts, "StatusCode: 503", "ServiceUnavailable"},
			code:  "ServiceUnavailable",
		},
		{
			name:   "sweep: Config AccessDeniedException on GetComplianceDetailsByConfigRule: fails naming it, nothing put",
			sweep:  true,
			fault:  faultAlways(faultOpDetails, faultConfigDenied),
			calls:  calls(sweepCalls, map[string]int{faultOpPut: 0}),
			err:    []string{"the caller needs IAM permission config:GetComplianceDetailsByConfigRule, or an SCP", "AccessDeniedException"},
			code:   "AccessDeniedException",
			denied: true,
		},

		// PutEvaluations: a call error is retried by the SDK; a call that still fails stored nothing.
		{
			name:  "Config ThrottlingException once on PutEvaluations: retried, delivered",
			fault: faultOnce(faultOpPut, faultConfigThrottle),
			calls: calls(changeCalls, map[string]int{faultOpPut: 2}),
		},
		{
			name:  "Config ThrottlingException persistently on PutEvaluations: fails, nothing stored",
			fault: faultAlways(faultOpPut, faultConfigThrottle),
			calls: calls(changeCalls, map[string]int{faultOpPut: 3}),
			err:   []string{"put evaluations 1-1 of 1: config:PutEvaluations: ", maxAttempts, "ThrottlingException"},
			code:  "ThrottlingException",
		},
		{
			name:  "sweep: Config HTTP 503 once on PutEvaluations: retried, delivered",
			sweep: true,
			fault: faultOnce(faultOpPut, faultConfigUnavailable),
			calls: calls(sweepCalls, map[string]int{faultOpPut: 2}),
		},
		{
			name:  "sweep: Config HTTP 500 persistently on PutEvaluations: fails, nothing stored",
			sweep: true,
			fault: faultAlways(faultOpPut, faultConfigInternal),
			calls: calls(sweepCalls, map[string]int{faultOpPut: 3}),
			err:   []string{"put evaluations 1-3 of 3: config:PutEvaluations: ", maxAttempts, "StatusCode: 500", "InternalFailure"},
			code:  "InternalFailure",
		},
		{
			name:   "Config AccessDeniedException on PutEvaluations: fails naming config:PutEvaluations, nothing stored",
			fault:  faultAlways(faultOpPut, faultConfigDenied),
			calls:  changeCalls,
			err:    []string{"the caller needs IAM permission config:PutEvaluations, or an SCP", "AccessDeniedException"},
			code:   "AccessDeniedException",
			denied: true,
		},

		// FailedEvaluations: a nil error that is not a success. The reporter re-sends what was refused.
		{
			name:  "sweep: FailedEvaluations once: the refused are re-sent, delivered",
			sweep: true,
			fault: faultOnce(faultOpPut, localaws.Fault{RefuseEvaluations: 2}),
			calls: calls(sweepCalls, map[string]int{faultOpPut: 2}),
			check: func(t *testing.T, r *itestRig, _ error) {
				puts := r.config.Puts()
				require.Len(t, puts, 2)
				assert.Equal(t, puts[0].Evaluations[:2], puts[1].Evaluations, "exactly the refused evaluations are re-sent")
			},
		},
		{
			name:    "sweep: FailedEvaluations every time: fails listing the refused resource",
			sweep:   true,
			fault:   faultAlways(faultOpPut, localaws.Fault{RefuseEvaluations: 1}),
			calls:   calls(sweepCalls, map[string]int{faultOpPut: defaultPutAttempts}),
			err:     []string{"evaluations not stored: AWS Config refused 1 of 3 evaluations after 3 attempts: AWS::EC2::VPC vpc-"},
			refused: true,
			check: func(t *testing.T, r *itestRig, err error) {
				puts := r.config.Puts()
				require.Len(t, puts, defaultPutAttempts)
				refused := puts[0].Evaluations[0]
				assert.ErrorContains(t, err, ": AWS::EC2::VPC "+refused.ResourceID, "the error names the refused resource")
				for _, p := range puts[1:] {
					assert.Equal(t, []localaws.Evaluation{refused}, p.Evaluations, "only the refused evaluation is re-sent")
				}
				// Config keeps the two it accepted, each complete and evidence-based; the error
				// names the one it refused, and Lambda retries the invocation.
				var want []itestWant
				for _, accepted := range puts[0].Evaluations[1:] {
					want = append(want, e.wantFor(t, accepted.ResourceID))
				}
				itestAssertEvaluations(t, r.config.Stored(), itestSweepTime, want...)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := faultRig(t, e)
			faultSet(t, r, tt.fault)
			ev := itestChange(t, itestVPCItem(e.compliant, "OK", itestChangeTime), "")
			at, want := itestChangeTime, []itestWant{e.changeWant()}
			if tt.sweep {
				ev, at, want = itestScheduled(t, itestSweepTime, ""), itestSweepTime, e.sweepWants()
			}

			err := r.h.Handle(t.Context(), ev)

			assert.Equal(t, tt.calls, r.attempts(), "calls on the wire, retries included")
			faultAssertPutsValid(t, r)
			if tt.check != nil {
				tt.check(t, r, err)
			}
			if len(tt.err) == 0 {
				require.NoError(t, err)
				itestAssertEvaluations(t, r.config.Stored(), at, want...)
				return
			}
			require.Error(t, err)
			t.Logf("error: %v", err)
			for _, s := range tt.err {
				assert.ErrorContains(t, err, s)
			}
			assert.Equal(t, tt.denied, errors.Is(err, ErrAccessDenied), "errors.Is(err, ErrAccessDenied)")
			if tt.code != "" {
				faultAssertAPIError(t, err, tt.code)
			}
			if tt.refused {
				assert.ErrorIs(t, err, ErrEvaluationsNotStored)
			} else {
				faultAssertNothingStored(t, r)
			}
		})
	}
}

// A server that never answers: the invocation gets a deadline as Lambda gives one, and must
// return before it, with an error that says which call ran out of time, having stored nothing.
func TestFaultHangs(t *testing.T) {
	e := faultSeed(t)
	change := func(t *testing.T) events.ConfigEvent {
		return itestChange(t, itestVPCItem(e.compliant, "OK", itestChangeTime), "")
	}
	sweep := func(t *testing.T) events.ConfigEvent { return itestScheduled(t, itestSweepTime, "") }
	tests := []struct {
		name  string
		event func(t *testing.T) events.ConfigEvent
		op    string // the operation that hangs
		err   string
		// configCalls are the calls the Config fake received; the EC2 ones are counted only
		// for the EC2 case, as the Config cases run side by side on the shared moto.
		configCalls map[string]int
		ec2Calls    map[string]int
	}{
		{
			name: "Config GetComplianceDetailsByConfigRule hangs (sweep)", event: sweep, op: faultOpDetails,
			err:         "config:GetComplianceDetailsByConfigRule: ",
			configCalls: map[string]int{faultOpDetails: 1},
		},
		{
			name: "Config PutEvaluations hangs (change)", event: change, op: faultOpPut,
			err:         "put evaluations 1-1 of 1: config:PutEvaluations: ",
			configCalls: map[string]int{faultOpPut: 1},
		},
		{
			name: "Config PutEvaluations hangs (sweep)", event: sweep, op: faultOpPut,
			err:         "put evaluations 1-3 of 3: config:PutEvaluations: ",
			configCalls: map[string]int{faultOpDetails: 1, faultOpPut: 1},
		},
		{
			name: "EC2 DescribeVpcEndpoints hangs (change)", event: change, op: faultOpEndpoints,
			err:         "ec2:DescribeVpcEndpoints: ",
			configCalls: map[string]int{},
			ec2Calls:    map[string]int{faultOpEndpoints: 1},
		},
	}
	hang := func(op string) localaws.FaultFunc {
		return func(o string, _ int) *localaws.Fault {
			if o == op {
				return &localaws.Fault{Hang: true}
			}
			return nil
		}
	}
	// The Config cases wait for their deadlines side by side, each hanging its own Config fake;
	// the EC2 case hangs the shared moto, so it runs after them.
	t.Run("Config", func(t *testing.T) {
		for _, tt := range tests {
			if tt.ec2Calls != nil {
				continue
			}
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				r := faultRig(t, e)
				r.config.OnCall(hang(tt.op))
				faultHang(t, r, tt.event(t), tt.op, tt.err)
				faultAssertNothingStored(t, r)
				assert.Equal(t, tt.configCalls, r.config.Counts())
			})
		}
	})
	for _, tt := range tests {
		if tt.ec2Calls == nil {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			r := faultRig(t, e)
			faultSet(t, r, hang(tt.op))
			faultHang(t, r, tt.event(t), tt.op, tt.err)
			faultAssertNothingStored(t, r)
			assert.Equal(t, tt.configCalls, r.config.Counts())
			assert.Equal(t, tt.ec2Calls, r.moto.Counts())
		})
	}
}

// faultHang invokes the handler with a Lambda-like deadline while op hangs, and checks that it
// returned in time with a context error saying errIn.
func faultHang(t *testing.T, r *itestRig, ev events.ConfigEvent, op, errIn string) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(faultLambdaTimeout)
	ctx, cancel := context.WithDeadline(t.Context(), deadline)
	defer cancel()

	err := r.h.Handle(ctx, ev)

	left := time.Until(deadline)
	t.Logf("returned after %v, %v before the Lambda deadline: %v", time.Since(start).Round(time.Millisecond), left.Round(time.Millisecond), err)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorContains(t, err, errIn)
	assert.Greater(t, left, defaultDeadlineMargin/2, "returned well before the Lambda deadline, keeping its margin free")
	calls := append(r.moto.Calls(), r.config.Calls()...)
	assert.True(t, slices.ContainsFunc(calls, func(c localaws.Call) bool { return c.Op == op && c.Status == 0 }),
		"the %s call was never answered", op)
}

// A sweep whose puts fail part-way stores what was put before, and fails the invocation. That
// part is safe: every read (VPCs, endpoints, Config's stored results) finished before the first
// put, so each evaluation stored is complete and evidence-based, and Lambda retries the
// invocation, whose sweep then stores the rest.
//
// The sweep has 203 evaluations, put in batches of 100, 100 and 3: the estate's 3 VPCs, and
// NOT_APPLICABLE for 200 VPCs that Config holds COMPLIANT results for but that no longer exist
// (as after a clean-up of old VPCs; this also costs no seeding time in moto).
func TestFaultSweepFailsMidPut(t *testing.T) {
	e := faultSeed(t)
	const goneCount = 200
	earlier := itestSweepTime.Add(-24 * time.Hour)
	var gone []localaws.Evaluation
	want := e.sweepWants()
	wants := make(map[string]itestWant)
	for i := range goneCount {
		id := fmt.Sprintf("vpc-0e%015x", i)
		gone = append(gone, localaws.Evaluation{
			ResourceType: rule.ResourceTypeVPC, ResourceID: id, Compliance: string(rule.Compliant),
			Annotation: "vpce-0aaaaaaaaaaaaaaaa (com.amazonaws.us-east-1.ec2) is an available Interface endpoint.", OrderingTime: earlier,
		})
		want = append(want, itestVPC(id, rule.NotApplicable, "VPC no longer exists in "+itestRegion+"."))
	}
	for _, w := range want {
		wants[w.id] = w
	}
	sweep := itestScheduled(t, itestSweepTime, "")
	rig := func(t *testing.T, fault localaws.FaultFunc) *itestRig {
		r := faultRig(t, e)
		r.config.Seed(gone...)
		faultSet(t, r, fault)
		return r
	}

	// storedBatch1 checks that Config holds exactly the first batch, each evaluation the right
	// one for its VPC, and what it held before for the VPCs of the batches not stored; that the
	// third batch was never sent; and that every read arrived before the first put.
	storedBatch1 := func(t *testing.T, r *itestRig) {
		t.Helper()
		puts := r.config.Puts()
		require.Greater(t, len(puts), 1)
		require.Len(t, puts[0].Evaluations, awsMaxEvaluationsPerPut)
		batch1 := make(map[string]bool)
		var wantStored []itestWant
		for _, ev := range puts[0].Evaluations {
			batch1[ev.ResourceID] = true
			wantStored = append(wantStored, wants[ev.ResourceID])
		}
		var stored, before []localaws.Evaluation
		for _, ev := range r.config.Stored() {
			if batch1[ev.ResourceID] {
				stored = append(stored, ev)
			} else {
				before = append(before, ev)
			}
		}
		itestAssertEvaluations(t, stored, itestSweepTime, wantStored...)
		var untouched []localaws.Evaluation
		for _, g := range gone {
			if !batch1[g.ResourceID] {
				untouched = append(untouched, g)
			}
		}
		assert.ElementsMatch(t, untouched, before, "the VPCs of the later batches keep what Config held before")
		assert.Equal(t, goneCount-(awsMaxEvaluationsPerPut-len(e.sweepWants())), len(before))

		for _, p := range puts[1:] {
			assert.Equal(t, puts[1].Evaluations, p.Evaluations, "only the second batch is sent again; the third never is")
		}
		var firstPut, lastRead time.Time
		for _, c := range append(r.moto.Calls(), r.config.Calls()...) {
			switch {
			case c.Op != faultOpPut:
				if c.Time.After(lastRead) {
					lastRead = c.Time
				}
			case firstPut.IsZero() || c.Time.Before(firstPut):
				firstPut = c.Time
			}
		}
		assert.True(t, lastRead.Before(firstPut), "every read arrived before the first put")
	}
	reads := map[string]int{faultOpVPCs: 1, faultOpEndpoints: 1, faultOpDetails: (goneCount + awsMaxComplianceDetailsPage - 1) / awsMaxComplianceDetailsPage}
	withPuts := func(n int) map[string]int {
		out := map[string]int{faultOpPut: n}
		for op, k := range reads {
			out[op] = k
		}
		return out
	}

	t.Run("PutEvaluations throttled persistently from the 2nd of 3 batches", func(t *testing.T) {
		r := rig(t, faultFrom(faultOpPut, 2, faultConfigThrottle))

		err := r.h.Handle(t.Context(), sweep)

		require.Error(t, err)
		t.Logf("error: %v", err)
		assert.ErrorContains(t, err, "put evaluations 101-200 of 203: config:PutEvaluations: ")
		faultAssertAPIError(t, err, "ThrottlingException")
		assert.Equal(t, withPuts(1+3), r.attempts(), "batch 1 once, batch 2 three times (the SDK's attempts), batch 3 never")
		storedBatch1(t, r)

		// Lambda retries the invocation (the same event). Its sweep reads again, finds the VPCs
		// that batch 1 cleared already NOT_APPLICABLE, and stores everything else.
		r.config.OnCall(nil)
		r.resetCalls()
		require.NoError(t, r.h.Handle(t.Context(), sweep))
		itestAssertEvaluations(t, r.config.Stored(), itestSweepTime, want...)
		var sent int
		for _, p := range r.config.Puts() {
			sent += len(p.Evaluations)
		}
		assert.Equal(t, len(want)-(awsMaxEvaluationsPerPut-len(e.sweepWants())), sent, "the retry puts the 3 VPCs and the gone VPCs not yet cleared")
	})

	t.Run("Lambda deadline hit while the 2nd of 3 batches hangs", func(t *testing.T) {
		r := rig(t, func(op string, n int) *localaws.Fault {
			if op == faultOpPut && n == 2 {
				return &localaws.Fault{Hang: true}
			}
			return nil
		})

		faultHang(t, r, sweep, faultOpPut, "put evaluations 101-200 of 203: config:PutEvaluations: ")

		assert.Equal(t, withPuts(2), r.attempts())
		storedBatch1(t, r)
	})
}
