package main

// End-to-end tests: the real bootstrap, built for this machine, run by the Lambda Runtime
// Interface Emulator with its AWS calls sent to moto and the Config fake; and the audit
// command of the same binary, run as a user would.

import (
	"context"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/localaws"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// e2eBootstrap returns the function's bootstrap for this machine, built once per test run.
func e2eBootstrap(t *testing.T) string {
	t.Helper()
	s := &itestShared
	s.buildOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if s.bootstrapDir, s.buildErr = os.MkdirTemp("", "ec2-vpc-endpoint-rule-e2e-"); s.buildErr == nil {
			s.bootstrap, s.buildErr = localaws.BuildBootstrap(ctx, s.bootstrapDir)
		}
	})
	require.NoError(t, s.buildErr)
	return s.bootstrap
}

// e2eEstate seeds the estate the end-to-end tests look at.
func e2eEstate(t *testing.T, r *itestRig) map[string]localaws.SeededVPC {
	return r.seedVPCs(t,
		localaws.VPCSpec{Name: "compliant", AZs: []string{"us-east-1a", "us-east-1b"}, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, PrivateDNS: true}}},
		localaws.VPCSpec{Name: "no-endpoint"},
		localaws.VPCSpec{Name: "ec2messages-only", AZs: []string{"us-east-1a"}, Endpoints: []localaws.EndpointSpec{{Service: itestMessage, PrivateDNS: true}}},
		localaws.VPCSpec{Name: "endpoint-deleted", AZs: []string{"us-east-1a"}, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, PrivateDNS: true, Deleted: true}}},
	)
}

func TestEndToEndRuntime(t *testing.T) {
	r := itestSetup(t)
	bootstrap := e2eBootstrap(t)
	vpcs := e2eEstate(t, r)
	defaultVPC := r.defaultVPC(t)

	rt, err := localaws.StartRuntime(t.Context(), localaws.RuntimeOptions{
		Bootstrap: bootstrap, Region: itestRegion, EC2URL: r.moto.URL, ConfigURL: r.config.URL,
	})
	localaws.RequireTools(t, err)
	t.Cleanup(rt.Stop)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("runtime emulator and function log (end):\n%s", itestTail(rt.Output(), 8000))
		}
	})

	invoke := func(t *testing.T, event any) []byte {
		t.Helper()
		r.resetCalls()
		r.config.Reset()
		body, err := rt.Invoke(t.Context(), event)
		require.NoError(t, err)
		return body
	}
	// A handler that returns no error answers JSON null.
	succeeded := func(t *testing.T, body []byte) {
		t.Helper()
		fe, failed := localaws.AsFunctionError(body)
		require.False(t, failed, "function error %s: %s", fe.Type, fe.Message)
		assert.JSONEq(t, "null", string(body))
	}
	noEC2 := "No Interface endpoint for " + itestEC2

	t.Run("scheduled sweep", func(t *testing.T) {
		body := invoke(t, itestScheduled(t, itestSweepTime, ""))
		succeeded(t, body)
		itestAssertEvaluations(t, itestReported(r.config), itestSweepTime,
			itestVPC(vpcs["compliant"].ID, rule.Compliant, vpcs["compliant"].Endpoints[0].ID),
			itestVPC(vpcs["no-endpoint"].ID, rule.NonCompliant, noEC2),
			itestVPC(vpcs["ec2messages-only"].ID, rule.NonCompliant, noEC2),
			itestVPC(vpcs["endpoint-deleted"].ID, rule.NonCompliant, vpcs["endpoint-deleted"].Endpoints[0].ID+" is deleted"),
			itestVPC(defaultVPC, rule.NonCompliant, noEC2),
		)
		itestAssertPuts(t, r.config)
		assert.Equal(t, map[string]int{
			"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "GetComplianceDetailsByConfigRule": 1, "PutEvaluations": 1,
		}, r.calls())
	})

	t.Run("endpoint change", func(t *testing.T) {
		v := vpcs["compliant"]
		body := invoke(t, itestChange(t, itestEndpointItem(v, v.Endpoints[0], "ResourceDiscovered", itestChangeTime), ""))
		succeeded(t, body)
		itestAssertEvaluations(t, itestReported(r.config), itestChangeTime,
			itestVPC(v.ID, rule.Compliant, v.Endpoints[0].ID),
			itestWant{rule.ResourceTypeVPCEndpoint, v.Endpoints[0].ID, rule.NotApplicable, []string{"re-evaluated " + v.ID + ": COMPLIANT"}},
		)
		assert.Equal(t, map[string]int{"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "PutEvaluations": 1}, r.calls())
	})

	// Invalid events fail the invocation, with the error in the answer, and put nothing; the
	// runtime keeps serving the next event.
	invalid := []struct {
		name    string
		event   any
		message string
	}{
		{name: "not a Config event", event: []byte(`[1, 2, 3]`), message: "cannot unmarshal"},
		{
			name:    "unhandled message type",
			event:   itestEvent(t, map[string]any{"messageType": "ConfigurationSnapshotDeliveryCompleted", "notificationCreationTime": itestTime(itestChangeTime)}, ""),
			message: ErrInvalidEvent.Error(),
		},
		{
			name:    "invalid rule parameters",
			event:   itestScheduled(t, itestSweepTime, `{"serviceNames":""}`),
			message: rule.ErrInvalidParams.Error(),
		},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			body := invoke(t, tt.event)
			fe, ok := localaws.AsFunctionError(body)
			require.True(t, ok, "answer %s is not a function error", body)
			assert.NotEmpty(t, fe.Type)
			assert.Contains(t, fe.Message, tt.message)
			assert.Empty(t, r.calls(), "an invalid event makes no call")
		})
	}

	t.Run("valid event after invalid ones", func(t *testing.T) {
		v := vpcs["ec2messages-only"]
		body := invoke(t, itestChange(t, itestVPCItem(v, "OK", itestChangeTime), ""))
		succeeded(t, body)
		itestAssertEvaluations(t, itestReported(r.config), itestChangeTime, itestVPC(v.ID, rule.NonCompliant, noEC2))
		assert.Equal(t, map[string]int{"DescribeVpcEndpoints": 1, "PutEvaluations": 1}, r.calls())
	})
}

// TestEndToEndOrganization runs the bootstrap as an organization deployment runs it: with
// EXECUTION_ROLE_NAME set, Organizations at the fake, STS and EC2 at moto.
func TestEndToEndOrganization(t *testing.T) {
	const (
		role    = "ec2-vpc-endpoint-rule-execution"
		foreign = "999988887777"
		params  = `{"executionRoleName":"` + role + `"}`
	)
	r := itestSetup(t)
	bootstrap := e2eBootstrap(t)
	vpcs := e2eEstate(t, r)
	defaultVPC := r.defaultVPC(t)
	org := localaws.StartOrganizations("o-abcdefghij", itestAccount, "444455556666")
	t.Cleanup(org.Stop)

	rt, err := localaws.StartRuntime(t.Context(), localaws.RuntimeOptions{
		Bootstrap: bootstrap, Region: itestRegion, EC2URL: r.moto.URL, ConfigURL: r.config.URL,
		Env: []string{
			envExecutionRoleName + "=" + role,
			"AWS_ENDPOINT_URL_ORGANIZATIONS=" + org.URL,
			"AWS_ENDPOINT_URL_STS=" + r.moto.URL,
		},
	})
	localaws.RequireTools(t, err)
	t.Cleanup(rt.Stop)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("runtime emulator and function log (end):\n%s", itestTail(rt.Output(), 8000))
		}
	})
	invoke := func(t *testing.T, event any) []byte {
		t.Helper()
		r.resetCalls()
		r.config.Reset()
		org.Reset()
		body, err := rt.Invoke(t.Context(), event)
		require.NoError(t, err)
		return body
	}
	scheduled := func(t *testing.T, account, ruleParameters string) any {
		t.Helper()
		rule := localaws.Rule{Region: itestRegion, AccountID: account, Name: itestRuleName, ID: "config-rule-itest01", ResultToken: itestToken}
		ev, err := rule.Event(map[string]any{
			"awsAccountId": account, "notificationCreationTime": itestTime(itestSweepTime), "messageType": messageScheduled, "recordVersion": "1.0",
		}, ruleParameters)
		require.NoError(t, err)
		return ev
	}

	t.Run("account outside the organization: refused without a call", func(t *testing.T) {
		body := invoke(t, scheduled(t, foreign, params))
		fe, failed := localaws.AsFunctionError(body)
		require.False(t, failed, "function error %s: %s: Lambda would retry it and count an error", fe.Type, fe.Message)
		assert.JSONEq(t, "null", string(body))
		assert.Empty(t, r.calls(), "no STS, EC2 or Config call")
		assert.Equal(t, map[string]int{"ListAccounts": 1}, org.Operations())
		assert.Empty(t, r.config.Stored())
		// The emulator relays the function's output on its own, after the answer: wait for the line.
		refused := regexp.MustCompile(`"level":"WARN","message":"event refused: the account is not in the organization","accountId":"` + foreign + `"`)
		assert.Eventually(t, func() bool { return refused.MatchString(rt.Output()) }, 10*time.Second, 10*time.Millisecond,
			"a warning naming the account")
	})

	t.Run("member account: evaluated as the execution role, the listing cached", func(t *testing.T) {
		body := invoke(t, scheduled(t, itestAccount, params))
		fe, failed := localaws.AsFunctionError(body)
		require.False(t, failed, "function error %s: %s", fe.Type, fe.Message)
		assert.Equal(t, map[string]int{
			"AssumeRole": 1, "DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "GetComplianceDetailsByConfigRule": 1, "PutEvaluations": 1,
		}, r.calls())
		assert.Empty(t, org.Operations(), "the listing of a minute ago answers")
		noEC2 := "No Interface endpoint for " + itestEC2
		itestAssertEvaluations(t, itestReported(r.config), itestSweepTime,
			itestVPC(vpcs["compliant"].ID, rule.Compliant, vpcs["compliant"].Endpoints[0].ID),
			itestVPC(vpcs["no-endpoint"].ID, rule.NonCompliant, noEC2),
			itestVPC(vpcs["ec2messages-only"].ID, rule.NonCompliant, noEC2),
			itestVPC(vpcs["endpoint-deleted"].ID, rule.NonCompliant, vpcs["endpoint-deleted"].Endpoints[0].ID+" is deleted"),
			itestVPC(defaultVPC, rule.NonCompliant, noEC2),
		)
	})

	t.Run("member account naming another role: refused as invalid, no call", func(t *testing.T) {
		body := invoke(t, scheduled(t, itestAccount, `{"executionRoleName":"OrganizationAccountAccessRole"}`))
		fe, ok := localaws.AsFunctionError(body)
		require.True(t, ok, "answer %s is not a function error", body)
		assert.Contains(t, fe.Message, rule.ErrInvalidParams.Error())
		assert.Contains(t, fe.Message, envExecutionRoleName)
		assert.Empty(t, r.calls())
	})
}
