package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/localaws"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// runbookPayload returns the payload the template's runbook sends the remediation function for
// vpcID: its InputPayload with the VpcId parameter filled in, as SSM Automation does.
func runbookPayload(t *testing.T, vpcID string) []byte {
	t.Helper()
	tpl := loadTemplate(t, ruleTemplatePath)
	steps := tpl.resource(cfnRunbookID).get("Properties", "Content", "mainSteps").items()
	require.NotEmpty(t, steps)
	var payload map[string]string
	require.NoError(t, steps[0].get("inputs", "InputPayload").Decode(&payload))
	for k, v := range payload {
		payload[k] = strings.ReplaceAll(v, "{{ VpcId }}", vpcID)
	}
	b, err := json.Marshal(payload)
	require.NoError(t, err)
	return b
}

// The remediation function, the real bootstrap in remediation mode under the runtime emulator,
// invoked with the runbook's payload: it fixes the VPC, a second run changes nothing, and what it
// cannot fix fails the invocation, saying why.
func TestEndToEndRemediationFunction(t *testing.T) {
	r := rtestSetup(t)
	bootstrap := e2eBootstrap(t)
	vpcs := r.seedVPCs(t,
		localaws.VPCSpec{Name: "fixable", AZs: ptestThreeAZs},
		localaws.VPCSpec{Name: "no-dns", AZs: ptestTwoAZs},
	)
	rtestDNS(t, r, vpcs["fixable"].ID)

	rt, err := localaws.StartRuntime(t.Context(), localaws.RuntimeOptions{
		Bootstrap: bootstrap, Region: itestRegion, EC2URL: r.moto.URL, ConfigURL: r.config.URL,
		Env: []string{
			functionModeEnv + "=" + functionModeRemediation,
			remediationServicesEnv + "=ec2", remediationAZsEnv + "=", // as the template passes the rule's defaults
			"AWS_ENDPOINT_URL_STS=" + r.moto.URL, "AWS_ENDPOINT_URL_ROUTE_53=" + r.moto.URL,
		},
	})
	localaws.RequireTools(t, err)
	t.Cleanup(rt.Stop)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("runtime emulator and function log (end):\n%s", itestTail(rt.Output(), 8000))
		}
	})
	invoke := func(t *testing.T, payload []byte) (remediationResponse, *localaws.FunctionError) {
		t.Helper()
		r.resetCalls()
		body, err := rt.Invoke(t.Context(), payload)
		require.NoError(t, err)
		if fe, failed := localaws.AsFunctionError(body); failed {
			return remediationResponse{}, &fe
		}
		var resp remediationResponse
		require.NoError(t, json.Unmarshal(body, &resp), "%s", body)
		return resp, nil
	}

	v := vpcs["fixable"]
	resp, fe := invoke(t, runbookPayload(t, v.ID))
	require.Nil(t, fe)
	assert.True(t, resp.Changed)
	assert.Equal(t, v.ID, resp.VPCID)
	assert.Len(t, resp.Done, 3, "the group, its rule, the endpoint: %v", resp.Done)
	assert.Equal(t, map[string]int{"CreateSecurityGroup": 1, "AuthorizeSecurityGroupIngress": 1, "CreateVpcEndpoint": 1}, rtestWritesMade(r))
	res := rtestAudit(t, r, v.ID, rtestChecks)
	assert.Equal(t, rule.Compliant, res.Compliance, res.Annotation)

	resp, fe = invoke(t, runbookPayload(t, v.ID))
	require.Nil(t, fe)
	assert.False(t, resp.Changed, "a second run changes nothing")
	assert.Empty(t, rtestWritesMade(r))

	_, fe = invoke(t, runbookPayload(t, vpcs["no-dns"].ID))
	require.NotNil(t, fe, "the function does not turn on a VPC's DNS attributes")
	assert.Contains(t, fe.Message, "enableDnsHostnames off")
	assert.Empty(t, rtestWritesMade(r))

	_, fe = invoke(t, []byte(`{"vpcId":"sg-0123"}`))
	require.NotNil(t, fe)
	assert.Contains(t, fe.Message, `vpcId "sg-0123" is not a VPC ID`)
	assert.Empty(t, r.moto.Operations(), "a bad payload makes no call")
}
