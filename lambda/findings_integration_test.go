package main

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/findings"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/localaws"
)

const itestFindingsParams = `{"securityHubFindings": "true"}`

// itestFindingStates maps each stored finding's VPC to its compliance status and record state.
func itestFindingStates(hub *localaws.SecurityHub) map[string]string {
	out := make(map[string]string)
	for _, f := range hub.Stored() {
		out[f.ID] = f.ComplianceStatus + " " + f.RecordState
	}
	return out
}

func itestFindingID(vpcID string) string { return findings.ID(itestRuleName, vpcID) }

func TestIntegrationFindingsSweep(t *testing.T) {
	r := itestSetup(t)
	vpcs := r.seedVPCs(t,
		localaws.VPCSpec{Name: "compliant", AZs: []string{"us-east-1a", "us-east-1b"}, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, PrivateDNS: true, HTTPSFromVPC: true}}},
		localaws.VPCSpec{Name: "missing", Tags: map[string]string{"team": "payments"}},
		localaws.VPCSpec{Name: "exempt", Tags: map[string]string{"ec2-endpoint-exempt": "true"}},
	)
	defaultVPC := r.defaultVPC(t)
	params := `{"securityHubFindings": "true", "exemptTag": "ec2-endpoint-exempt=true"}`

	require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweepTime, params)))

	assert.Equal(t, map[string]string{
		itestFindingID(vpcs["compliant"].ID): "PASSED ACTIVE",
		itestFindingID(vpcs["missing"].ID):   "FAILED ACTIVE",
		itestFindingID(vpcs["exempt"].ID):    "NOT_AVAILABLE ARCHIVED",
		itestFindingID(defaultVPC):           "FAILED ACTIVE",
	}, itestFindingStates(r.hub))
	assert.Equal(t, map[string]int{
		"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "GetComplianceDetailsByConfigRule": 1, "PutEvaluations": 1,
		"GetFindings": 1, "BatchImportFindings": 1,
	}, r.calls())
	var order []string
	for _, c := range append(r.config.Calls(), r.hub.Calls()...) {
		order = append(order, c.Op)
	}
	assert.Equal(t, []string{"GetComplianceDetailsByConfigRule", "PutEvaluations", "GetFindings", "BatchImportFindings"}, order)
	assert.True(t, r.config.Calls()[1].Time.Before(r.hub.Calls()[0].Time), "the evaluations are put first")

	// Read back as a user would: GetFindings with the filter the README gives.
	client := localaws.SecurityHubClient(itestAWSConfig(t), r.hub.URL)
	out, err := client.GetFindings(t.Context(), &securityhub.GetFindingsInput{Filters: &shtypes.AwsSecurityFindingFilters{
		GeneratorId: []shtypes.StringFilter{{Value: aws.String(findings.GeneratorID(itestRuleName)), Comparison: shtypes.StringFilterComparisonEquals}},
		RecordState: []shtypes.StringFilter{{Value: aws.String("ACTIVE"), Comparison: shtypes.StringFilterComparisonEquals}},
	}})
	require.NoError(t, err)
	require.Len(t, out.Findings, 3)
	var missing *shtypes.AwsSecurityFinding
	for i, f := range out.Findings {
		if aws.ToString(f.Id) == itestFindingID(vpcs["missing"].ID) {
			missing = &out.Findings[i]
		}
	}
	require.NotNil(t, missing)
	assert.Equal(t, "No Interface endpoint for "+itestEC2+": create one with private DNS in subnets of several AZs.", aws.ToString(missing.Description))
	assert.Equal(t, "MEDIUM", string(missing.FindingProviderFields.Severity.Label))
	require.Len(t, missing.Resources, 1)
	assert.Equal(t, "arn:aws:ec2:"+itestRegion+":"+itestAccount+":vpc/"+vpcs["missing"].ID, aws.ToString(missing.Resources[0].Id))
	assert.Equal(t, "payments", missing.Resources[0].Tags["team"])
	assert.NotEmpty(t, missing.Resources[0].Details.AwsEc2Vpc.CidrBlockAssociationSet)
}

func TestIntegrationFindingsFixedAndGone(t *testing.T) {
	r := itestSetup(t)
	vpcs := r.seedVPCs(t, localaws.VPCSpec{Name: "to fix"}, localaws.VPCSpec{Name: "to delete"})
	defaultVPC := r.defaultVPC(t)
	require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweepTime, itestFindingsParams)))
	first := map[string]localaws.Finding{}
	for _, f := range r.hub.Stored() {
		first[f.ID] = f
	}
	require.Equal(t, "FAILED", first[itestFindingID(vpcs["to fix"].ID)].ComplianceStatus)

	// Fix one VPC, delete the other, sweep again a moment later.
	_, err := localaws.AddEndpoint(t.Context(), r.seed, vpcs["to fix"], localaws.EndpointSpec{Service: itestEC2})
	require.NoError(t, err)
	require.NoError(t, localaws.DeleteVPC(t.Context(), r.seed, vpcs["to delete"]))
	time.Sleep(2 * time.Millisecond) // UpdatedAt, to the millisecond, must move on
	r.resetCalls()
	require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweep2Time, itestFindingsParams)))

	// The gone VPC's finding and Config result are younger than a minute: either may be of a VPC
	// newer than the listing, so both wait for the next sweep.
	assert.Equal(t, map[string]string{
		itestFindingID(vpcs["to fix"].ID):    "PASSED ACTIVE",
		itestFindingID(vpcs["to delete"].ID): "FAILED ACTIVE",
		itestFindingID(defaultVPC):           "FAILED ACTIVE",
	}, itestFindingStates(r.hub), "the same Ids, updated: no duplicate")
	second := map[string]localaws.Finding{}
	for _, f := range r.hub.Stored() {
		second[f.ID] = f
		if f.ID != itestFindingID(vpcs["to delete"].ID) {
			assert.Greater(t, f.UpdatedAt, first[f.ID].UpdatedAt, "%s: every sweep refreshes every finding", f.ID)
		}
		assert.Equal(t, first[f.ID].CreatedAt, f.CreatedAt, "%s: CreatedAt stays the first import's", f.ID)
	}
	assert.Equal(t, 1, r.calls()["BatchImportFindings"])
	assert.Equal(t, 1, r.calls()["GetFindings"])

	// Two minutes on, and with no result left in Config to clean up (the finding alone says the
	// VPC was evaluated), the sweep archives the gone VPC's finding.
	r.config.Reset()
	r.h.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	r.resetCalls()
	require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweep2Time.Add(time.Hour), itestFindingsParams)))
	assert.Equal(t, map[string]string{
		itestFindingID(vpcs["to fix"].ID):    "PASSED ACTIVE",
		itestFindingID(vpcs["to delete"].ID): "NOT_AVAILABLE ARCHIVED",
		itestFindingID(defaultVPC):           "FAILED ACTIVE",
	}, itestFindingStates(r.hub))
	for _, f := range r.hub.Stored() {
		assert.Equal(t, first[f.ID].CreatedAt, f.CreatedAt, "%s: CreatedAt stays the first import's", f.ID)
		if f.ID == itestFindingID(vpcs["to delete"].ID) {
			assert.Equal(t, "VPC no longer exists in "+itestRegion+".", f.Description)
		}
	}
	for _, e := range itestReported(r.config) {
		assert.NotEqual(t, vpcs["to delete"].ID, e.ResourceID, "Config is not told about a VPC it holds no result for")
	}
}

func TestIntegrationFindingsBatches(t *testing.T) {
	r := itestSetup(t)
	const n = 230
	specs := make([]localaws.VPCSpec, n)
	for i := range specs {
		specs[i] = localaws.VPCSpec{Name: fmt.Sprintf("vpc %d", i)}
	}
	r.seedVPCs(t, specs...)
	require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweepTime, itestFindingsParams)))
	v := n + 1 // and the default VPC
	assert.Len(t, r.hub.Stored(), v)
	assert.Equal(t, (v+99)/100, r.calls()["BatchImportFindings"], "⌈V/100⌉ calls")
	for _, c := range r.hub.Calls() {
		var req struct{ Findings []json.RawMessage }
		require.NoError(t, json.Unmarshal(c.Input.(json.RawMessage), &req))
		assert.LessOrEqual(t, len(req.Findings), 100)
	}

	// The next sweep reads the creation times back in pages of 100 and updates every finding.
	r.resetCalls()
	require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweep2Time, itestFindingsParams)))
	assert.Len(t, r.hub.Stored(), v, "no duplicate")
	assert.Equal(t, (v+99)/100, r.calls()["BatchImportFindings"])
	assert.Equal(t, (v+99)/100, r.calls()["GetFindings"])
}

func TestIntegrationFindingsFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault localaws.FaultFunc
		// wantErr is empty when the sweep must succeed with every finding stored.
		wantErr []string
	}{
		{
			name: "refused once, stored when re-sent",
			fault: func(op string, n int) *localaws.Fault {
				if op == "BatchImportFindings" && n == 1 {
					return &localaws.Fault{RefuseFindings: 2}
				}
				return nil
			},
		},
		{
			name: "throttled twice, the SDK retries",
			fault: func(op string, n int) *localaws.Fault {
				if op == "BatchImportFindings" && n <= 2 {
					return &localaws.Fault{Code: "TooManyRequestsException", Status: 429}
				}
				return nil
			},
		},
		{
			name: "refused every time: the invocation fails naming them",
			fault: func(op string, _ int) *localaws.Fault {
				if op == "BatchImportFindings" {
					return &localaws.Fault{RefuseFindings: 1}
				}
				return nil
			},
			wantErr: []string{"findings not imported", "Security Hub refused 1 of 3 findings after 3 attempts", "InternalException"},
		},
		{
			name: "reading creation times denied: the invocation fails naming the action",
			fault: func(op string, _ int) *localaws.Fault {
				if op == "GetFindings" {
					return &localaws.Fault{Code: "AccessDeniedException", Status: 403}
				}
				return nil
			},
			wantErr: []string{"securityhub:GetFindings", "access denied", "the caller needs IAM permission securityhub:GetFindings"},
		},
		{
			name: "access denied: the invocation fails naming the action",
			fault: func(op string, _ int) *localaws.Fault {
				if op == "BatchImportFindings" {
					return &localaws.Fault{Code: "AccessDeniedException", Status: 403}
				}
				return nil
			},
			wantErr: []string{"securityhub:BatchImportFindings", "access denied", "the caller needs IAM permission securityhub:BatchImportFindings"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := itestSetup(t)
			r.seedVPCs(t, localaws.VPCSpec{Name: "a"}, localaws.VPCSpec{Name: "b"})
			r.hub.OnCall(tt.fault)
			err := r.h.Handle(t.Context(), itestScheduled(t, itestSweepTime, itestFindingsParams))
			if len(tt.wantErr) > 0 {
				require.Error(t, err)
				for _, want := range tt.wantErr {
					assert.ErrorContains(t, err, want)
				}
				assert.Len(t, itestReported(r.config), 3, "the evaluations are put first")
				return
			}
			require.NoError(t, err)
			assert.Len(t, r.hub.Stored(), 3, "nothing lost")
		})
	}
}

func TestIntegrationFindingsOff(t *testing.T) {
	r := itestSetup(t)
	r.seedVPCs(t, localaws.VPCSpec{Name: "a"})
	require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweepTime, `{"securityHubFindings": "false"}`)))
	require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweep2Time, "")))
	assert.Empty(t, r.hub.Calls(), "no Security Hub call")
	assert.Zero(t, *r.hubClients, "no Security Hub client made")
}

func itestAWSConfig(t *testing.T) aws.Config {
	cfg, err := localaws.AWSConfig(t.Context(), itestRegion)
	require.NoError(t, err)
	return cfg
}
