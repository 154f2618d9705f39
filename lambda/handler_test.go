package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

const (
	fixtureVPCType      = rule.ResourceTypeVPC
	fixtureEndpointType = rule.ResourceTypeVPCEndpoint
)

func TestHandlerScheduledEvaluatesEveryVPC(t *testing.T) {
	e := &fakeEC2{
		describeVpcs: fakeVPCsFrom(2,
			fakeVPC("vpc-11111111", fixtureAccount),
			fakeVPC("vpc-22222222", fixtureAccount),
			fakeVPC("vpc-33333333", fixtureOtherAccount),
		),
		describeVpcEndpoints: fakeEndpointsFrom(1,
			fakeEndpoint("vpce-11111111111111111", "vpc-11111111", fixtureEC2Service, "Interface", "available"),
			fakeEndpoint("vpce-22222222222222222", "vpc-22222222", "com.amazonaws.us-east-1.ec2messages", "Interface", "available"),
			fakeEndpoint("vpce-33333333333333333", "vpc-22222222", fixtureEC2Service+"-fips", "Interface", "pending"),
		),
	}
	c := newFakeConfig(t)
	h := newTestHandler(t, e, c)

	require.NoError(t, h.Handle(context.Background(), loadEvent(t, "scheduled.json")))

	// Every VPC, two pages, NextToken followed.
	require.Len(t, e.vpcsCalls, 2)
	assert.Equal(t, aws.Int32(pageSize), e.vpcsCalls[0].MaxResults)
	assert.Nil(t, e.vpcsCalls[0].NextToken)
	assert.Empty(t, e.vpcsCalls[0].VpcIds)
	assert.Equal(t, aws.String("2"), e.vpcsCalls[1].NextToken)

	// One listing of endpoints (not one per VPC), by the four EC2 service names, both pages.
	require.Len(t, e.endpointsCalls, 2)
	in := e.endpointsCalls[0]
	assert.Equal(t, []string{"service-name"}, fakeFilterNames(in.Filters))
	names, _ := fakeFilterValues(in.Filters, "service-name")
	assert.ElementsMatch(t, fixtureEC2ServiceNames, names)
	assert.Equal(t, aws.Int32(pageSize), in.MaxResults)
	assert.Equal(t, aws.String("1"), e.endpointsCalls[1].NextToken)
	assert.Empty(t, e.subnetsCalls, "no optional check needs subnets")
	assert.Empty(t, e.groupsCalls, "no optional check needs security groups")

	// Cleanup asked Config what it holds for this rule.
	require.Len(t, c.detailsCalls, 1)
	assert.Equal(t, configservice.GetComplianceDetailsByConfigRuleInput{
		ConfigRuleName:  aws.String(fixtureRuleName),
		ComplianceTypes: []cfgtypes.ComplianceType{cfgtypes.ComplianceTypeCompliant, cfgtypes.ComplianceTypeNonCompliant},
		Limit:           awsMaxComplianceDetailsPage,
	}, c.detailsCalls[0])

	require.Equal(t, 1, c.putCount())
	assert.Equal(t, aws.String(fixtureResultToken), c.puts[0].ResultToken)
	assert.False(t, c.puts[0].TestMode)
	sent := c.sent()
	assert.Equal(t, []sentEvaluation{
		{fixtureVPCType, "vpc-11111111", cfgtypes.ComplianceTypeCompliant, fixtureScheduledTime},
		{fixtureVPCType, "vpc-22222222", cfgtypes.ComplianceTypeNonCompliant, fixtureScheduledTime},
		{fixtureVPCType, "vpc-33333333", cfgtypes.ComplianceTypeNotApplicable, fixtureScheduledTime},
	}, sentEvaluations(sent))
	assert.Contains(t, sentAnnotation(sent, "vpc-11111111"), "vpce-11111111111111111")
	assert.Contains(t, sentAnnotation(sent, "vpc-22222222"), "vpce-33333333333333333")
	assert.Contains(t, sentAnnotation(sent, "vpc-22222222"), "pending")
	assert.NotContains(t, sentAnnotation(sent, "vpc-22222222"), "ec2messages")
	assert.Contains(t, sentAnnotation(sent, "vpc-33333333"), fixtureOtherAccount, "names the owner")
}

func TestHandlerScheduledBatchesOf100(t *testing.T) {
	var vpcs []ec2types.Vpc
	var want []sentEvaluation
	for i := range 250 {
		id := fmt.Sprintf("vpc-%017x", i)
		vpcs = append(vpcs, fakeVPC(id, fixtureAccount))
		want = append(want, sentEvaluation{fixtureVPCType, id, cfgtypes.ComplianceTypeNonCompliant, fixtureScheduledTime})
	}
	e := &fakeEC2{describeVpcs: fakeVPCsFrom(pageSize, vpcs...), describeVpcEndpoints: fakeEndpointsFrom(pageSize)}
	c := newFakeConfig(t)

	require.NoError(t, newTestHandler(t, e, c).Handle(context.Background(), loadEvent(t, "scheduled.json")))

	require.Equal(t, 3, c.putCount())
	for i, size := range []int{100, 100, 50} {
		assert.Len(t, c.puts[i].Evaluations, size, "put %d", i+1)
		assert.Equal(t, aws.String(fixtureResultToken), c.puts[i].ResultToken, "put %d", i+1)
	}
	assert.Equal(t, want, sentEvaluations(c.sent()))
}

func TestHandlerScheduledCleansUpVanishedVPCs(t *testing.T) {
	e := &fakeEC2{
		describeVpcs: fakeVPCsFrom(pageSize, fakeVPC("vpc-11111111", fixtureAccount), fakeVPC("vpc-22222222", fixtureAccount)),
		describeVpcEndpoints: fakeEndpointsFrom(pageSize,
			fakeEndpoint("vpce-11111111111111111", "vpc-11111111", fixtureEC2Service, "Interface", "available")),
	}
	c := newFakeConfig(t)
	c.getComplianceDetails = fakeComplianceDetailsPages(
		[]cfgtypes.EvaluationResult{
			fakeEvaluationResult(fixtureVPCType, "vpc-11111111", cfgtypes.ComplianceTypeCompliant),
			fakeEvaluationResult(fixtureVPCType, "vpc-0dead0000000000a1", cfgtypes.ComplianceTypeNonCompliant),
			// Results on other resource types are not this cleanup's business.
			fakeEvaluationResult(fixtureEndpointType, "vpce-0dead0000000000a2", cfgtypes.ComplianceTypeCompliant),
		},
		[]cfgtypes.EvaluationResult{
			fakeEvaluationResult(fixtureVPCType, "vpc-22222222", cfgtypes.ComplianceTypeNonCompliant),
			fakeEvaluationResult(fixtureVPCType, "vpc-0dead0000000000b1", cfgtypes.ComplianceTypeCompliant),
			fakeEvaluationResult(fixtureVPCType, "vpc-0dead0000000000a1", cfgtypes.ComplianceTypeNonCompliant),
			{ComplianceType: cfgtypes.ComplianceTypeCompliant}, // no identifier: skipped, not a crash
		},
	)

	require.NoError(t, newTestHandler(t, e, c).Handle(context.Background(), loadEvent(t, "scheduled.json")))

	require.Len(t, c.detailsCalls, 2, "both pages of compliance details read")
	assert.Equal(t, aws.String("1"), c.detailsCalls[1].NextToken)
	sent := c.sent()
	assert.Equal(t, []sentEvaluation{
		{fixtureVPCType, "vpc-11111111", cfgtypes.ComplianceTypeCompliant, fixtureScheduledTime},
		{fixtureVPCType, "vpc-22222222", cfgtypes.ComplianceTypeNonCompliant, fixtureScheduledTime},
		{fixtureVPCType, "vpc-0dead0000000000a1", cfgtypes.ComplianceTypeNotApplicable, fixtureScheduledTime},
		{fixtureVPCType, "vpc-0dead0000000000b1", cfgtypes.ComplianceTypeNotApplicable, fixtureScheduledTime},
	}, sentEvaluations(sent))
	assert.Equal(t, "VPC no longer exists in us-east-1.", sentAnnotation(sent, "vpc-0dead0000000000a1"))
}

func TestHandlerScheduledFailedReadPutsNothing(t *testing.T) {
	denied := fakeAPIError("UnauthorizedOperation")
	failOn := func(page int, err error) func(context.Context, *ec2.DescribeVpcsInput) (*ec2.DescribeVpcsOutput, error) {
		all := fakeVPCsFrom(1, fakeVPC("vpc-11111111", fixtureAccount), fakeVPC("vpc-22222222", fixtureAccount))
		n := 0
		return func(ctx context.Context, in *ec2.DescribeVpcsInput) (*ec2.DescribeVpcsOutput, error) {
			if n++; n == page {
				return nil, err
			}
			return all(ctx, in)
		}
	}
	tests := []struct {
		name       string
		ec2        *fakeEC2
		details    func(context.Context, *configservice.GetComplianceDetailsByConfigRuleInput) (*configservice.GetComplianceDetailsByConfigRuleOutput, error)
		params     string
		wantIn     []string
		wantDenied bool
		// wantCleanup says whether the cleanup listing was read: never from a partial inventory.
		wantCleanup bool
	}{
		{
			name:   "DescribeVpcs fails on the second page",
			ec2:    &fakeEC2{describeVpcs: failOn(2, errors.New("connection reset")), describeVpcEndpoints: fakeEndpointsFrom(pageSize)},
			wantIn: []string{actionDescribeVPCs, "connection reset"},
		},
		{
			name:       "DescribeVpcs denied",
			ec2:        &fakeEC2{describeVpcs: failOn(1, denied)},
			wantIn:     []string{actionDescribeVPCs, "needs IAM permission ec2:DescribeVpcs"},
			wantDenied: true,
		},
		{
			name: "DescribeVpcEndpoints denied",
			ec2: &fakeEC2{
				describeVpcs: fakeVPCsFrom(pageSize, fakeVPC("vpc-11111111", fixtureAccount)),
				describeVpcEndpoints: func(context.Context, *ec2.DescribeVpcEndpointsInput) (*ec2.DescribeVpcEndpointsOutput, error) {
					return nil, denied
				},
			},
			wantIn:     []string{"needs IAM permission ec2:DescribeVpcEndpoints"},
			wantDenied: true,
		},
		{
			name: "DescribeSubnets denied when the AZ check needs it",
			ec2: &fakeEC2{
				describeVpcs: fakeVPCsFrom(pageSize, fakeVPC("vpc-11111111", fixtureAccount)),
				describeVpcEndpoints: fakeEndpointsFrom(pageSize,
					fakeEndpoint("vpce-11111111111111111", "vpc-11111111", fixtureEC2Service, "Interface", "available")),
				describeSubnets: func(context.Context, *ec2.DescribeSubnetsInput) (*ec2.DescribeSubnetsOutput, error) {
					return nil, denied
				},
			},
			params:     `{"minAvailabilityZones":"2"}`,
			wantIn:     []string{"needs IAM permission ec2:DescribeSubnets"},
			wantDenied: true,
		},
		{
			name: "DescribeSecurityGroups denied when the HTTPS check needs it",
			ec2: &fakeEC2{
				describeVpcs: fakeVPCsFrom(pageSize, fakeVPC("vpc-11111111", fixtureAccount)),
				describeVpcEndpoints: fakeEndpointsFrom(pageSize,
					fakeEndpoint("vpce-11111111111111111", "vpc-11111111", fixtureEC2Service, "Interface", "available")),
				describeSecurityGroups: func(context.Context, *ec2.DescribeSecurityGroupsInput) (*ec2.DescribeSecurityGroupsOutput, error) {
					return nil, denied
				},
			},
			params:     `{"requireHttpsFromVpc":"true"}`,
			wantIn:     []string{"needs IAM permission ec2:DescribeSecurityGroups"},
			wantDenied: true,
		},
		{
			name: "cleanup listing denied",
			ec2:  &fakeEC2{describeVpcs: fakeVPCsFrom(pageSize, fakeVPC("vpc-11111111", fixtureAccount)), describeVpcEndpoints: fakeEndpointsFrom(pageSize)},
			details: func(context.Context, *configservice.GetComplianceDetailsByConfigRuleInput) (*configservice.GetComplianceDetailsByConfigRuleOutput, error) {
				return nil, fakeAPIError("AccessDeniedException")
			},
			wantIn:      []string{"needs IAM permission config:GetComplianceDetailsByConfigRule"},
			wantDenied:  true,
			wantCleanup: true,
		},
		{
			name: "cleanup listing fails on the second page",
			ec2:  &fakeEC2{describeVpcs: fakeVPCsFrom(pageSize, fakeVPC("vpc-11111111", fixtureAccount)), describeVpcEndpoints: fakeEndpointsFrom(pageSize)},
			details: func(_ context.Context, in *configservice.GetComplianceDetailsByConfigRuleInput) (*configservice.GetComplianceDetailsByConfigRuleOutput, error) {
				if in.NextToken == nil {
					return &configservice.GetComplianceDetailsByConfigRuleOutput{
						EvaluationResults: []cfgtypes.EvaluationResult{fakeEvaluationResult(fixtureVPCType, "vpc-0dead0000000000a1", cfgtypes.ComplianceTypeCompliant)},
						NextToken:         aws.String("next"),
					}, nil
				}
				return nil, fakeAPIError("ThrottlingException")
			},
			wantIn:      []string{actionGetComplianceDetailsByConfigRule, "ThrottlingException"},
			wantCleanup: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newFakeConfig(t)
			c.getComplianceDetails = tt.details
			ev := loadEvent(t, "scheduled.json")
			if tt.params != "" {
				ev.RuleParameters = tt.params
			}

			err := newTestHandler(t, tt.ec2, c).Handle(context.Background(), ev)

			require.Error(t, err)
			for _, s := range tt.wantIn {
				assert.ErrorContains(t, err, s)
			}
			assert.Equal(t, tt.wantDenied, errors.Is(err, ErrAccessDenied), "errors.Is(err, ErrAccessDenied)")
			assert.Zero(t, c.putCount(), "nothing put")
			assert.Equal(t, tt.wantCleanup, len(c.detailsCalls) > 0, "cleanup listing read")
		})
	}
}

func TestHandlerChangedVPC(t *testing.T) {
	tests := []struct {
		name      string
		endpoints []ec2types.VpcEndpoint
		want      cfgtypes.ComplianceType
		wantNote  string
	}{
		{
			name:      "available Interface endpoint",
			endpoints: []ec2types.VpcEndpoint{fakeEndpoint(fixtureEndpointID, fixtureVPCID, fixtureEC2Service, "Interface", "available")},
			want:      cfgtypes.ComplianceTypeCompliant,
			wantNote:  fixtureEndpointID,
		},
		{
			name:      "FIPS endpoint",
			endpoints: []ec2types.VpcEndpoint{fakeEndpoint(fixtureEndpointID, fixtureVPCID, fixtureEC2Service+"-fips", "Interface", "available")},
			want:      cfgtypes.ComplianceTypeCompliant,
		},
		{
			name:     "no endpoint",
			want:     cfgtypes.ComplianceTypeNonCompliant,
			wantNote: fixtureEC2Service,
		},
		{
			name:      "endpoint pending acceptance",
			endpoints: []ec2types.VpcEndpoint{fakeEndpoint(fixtureEndpointID, fixtureVPCID, fixtureEC2Service, "Interface", "pendingAcceptance")},
			want:      cfgtypes.ComplianceTypeNonCompliant,
			wantNote:  "pendingAcceptance",
		},
		{
			name: "only an endpoint of another VPC",
			endpoints: []ec2types.VpcEndpoint{
				fakeEndpoint(fixtureEndpointID, "vpc-99999999", fixtureEC2Service, "Interface", "available"),
			},
			want: cfgtypes.ComplianceTypeNonCompliant,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &fakeEC2{describeVpcEndpoints: fakeEndpointsFrom(pageSize, tt.endpoints...)}
			c := newFakeConfig(t)

			require.NoError(t, newTestHandler(t, e, c).Handle(context.Background(), loadEvent(t, "vpc-change.json")))

			// The common case costs two calls: one describe, one put.
			assert.Equal(t, 1, e.calls(), "EC2 calls")
			require.Len(t, e.endpointsCalls, 1)
			in := e.endpointsCalls[0]
			assert.ElementsMatch(t, []string{"service-name", "vpc-id"}, fakeFilterNames(in.Filters))
			names, _ := fakeFilterValues(in.Filters, "service-name")
			assert.ElementsMatch(t, fixtureEC2ServiceNames, names)
			vpcIDs, _ := fakeFilterValues(in.Filters, "vpc-id")
			assert.Equal(t, []string{fixtureVPCID}, vpcIDs)
			assert.Equal(t, aws.Int32(pageSize), in.MaxResults)
			assert.Empty(t, c.detailsCalls, "no cleanup on a change")

			require.Equal(t, 1, c.putCount())
			assert.Equal(t, aws.String(fixtureResultToken), c.puts[0].ResultToken)
			sent := c.sent()
			assert.Equal(t, []sentEvaluation{{fixtureVPCType, fixtureVPCID, tt.want, fixtureVPCCaptureTime}}, sentEvaluations(sent))
			assert.Contains(t, sentAnnotation(sent, fixtureVPCID), tt.wantNote)
		})
	}
}

// The VPC's configuration item (tags, owner, CIDR blocks) is what the change path decides on.
func TestHandlerChangedVPCReadsTheItem(t *testing.T) {
	available := fakeEndpoint(fixtureEndpointID, fixtureVPCID, fixtureEC2Service, "Interface", "available")
	available.Groups = []ec2types.SecurityGroupIdentifier{{GroupId: aws.String("sg-0a1b2c3d4e5f60003")}}
	httpsFrom := func(cidr string) func(context.Context, *ec2.DescribeSecurityGroupsInput) (*ec2.DescribeSecurityGroupsOutput, error) {
		return func(context.Context, *ec2.DescribeSecurityGroupsInput) (*ec2.DescribeSecurityGroupsOutput, error) {
			return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []ec2types.SecurityGroup{{
				GroupId: aws.String("sg-0a1b2c3d4e5f60003"),
				IpPermissions: []ec2types.IpPermission{{
					IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
					IpRanges: []ec2types.IpRange{{CidrIp: aws.String(cidr)}},
				}},
			}}}, nil
		}
	}
	tests := []struct {
		name     string
		params   string
		edit     func(item map[string]any)
		groups   func(context.Context, *ec2.DescribeSecurityGroupsInput) (*ec2.DescribeSecurityGroupsOutput, error)
		want     cfgtypes.ComplianceType
		wantNote string
	}{
		{
			name:     "exempted by the item's tag",
			params:   `{"exemptTag":"team=network"}`,
			want:     cfgtypes.ComplianceTypeNotApplicable,
			wantNote: "team=network",
		},
		{
			name:   "tag from the configuration when the item has none",
			params: `{"exemptTag":"Name=prod"}`,
			edit:   func(item map[string]any) { item["tags"] = map[string]any{} },
			want:   cfgtypes.ComplianceTypeNotApplicable,
		},
		{
			name:   "other tag value does not exempt",
			params: `{"exemptTag":"team=apps"}`,
			want:   cfgtypes.ComplianceTypeCompliant,
		},
		{
			name: "shared VPC",
			edit: func(item map[string]any) {
				item["configuration"].(map[string]any)["ownerId"] = fixtureOtherAccount
			},
			want:     cfgtypes.ComplianceTypeNotApplicable,
			wantNote: fixtureOtherAccount,
		},
		{
			name:   "HTTPS allowed from the primary block only, the VPC has a second one",
			params: `{"requireHttpsFromVpc":"true"}`,
			groups: httpsFrom("10.0.0.0/16"),
			want:   cfgtypes.ComplianceTypeNonCompliant,
		},
		{
			name:   "HTTPS allowed from both associated blocks; the disassociated one does not count",
			params: `{"requireHttpsFromVpc":"true"}`,
			groups: httpsFrom("10.0.0.0/15"),
			want:   cfgtypes.ComplianceTypeCompliant,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &fakeEC2{describeVpcEndpoints: fakeEndpointsFrom(pageSize, available), describeSecurityGroups: tt.groups}
			c := newFakeConfig(t)
			ev := loadEvent(t, "vpc-change.json")
			if tt.params != "" {
				ev.RuleParameters = tt.params
			}
			if tt.edit != nil {
				ev = fixtureWithItem(t, ev, tt.edit)
			}

			require.NoError(t, newTestHandler(t, e, c).Handle(context.Background(), ev))

			sent := c.sent()
			assert.Equal(t, []sentEvaluation{{fixtureVPCType, fixtureVPCID, tt.want, fixtureVPCCaptureTime}}, sentEvaluations(sent))
			assert.Contains(t, sentAnnotation(sent, fixtureVPCID), tt.wantNote)
			assert.Empty(t, e.vpcsCalls, "the item carries the VPC")
		})
	}
}

// The optional checks read subnets and security groups: for a change, just the endpoints' own;
// for a sweep, every one in the region in one listing each.
func TestHandlerReadsInventoryForOptionalChecks(t *testing.T) {
	ep := fakeEndpoint(fixtureEndpointID, fixtureVPCID, fixtureEC2Service, "Interface", "available")
	ep.SubnetIds = []string{"subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"}
	ep.Groups = []ec2types.SecurityGroupIdentifier{{GroupId: aws.String("sg-0a1b2c3d4e5f60003")}}
	newEC2 := func() *fakeEC2 {
		return &fakeEC2{
			describeVpcs:         fakeVPCsFrom(pageSize, fakeVPC(fixtureVPCID, fixtureAccount)),
			describeVpcEndpoints: fakeEndpointsFrom(pageSize, ep),
			describeSubnets: func(context.Context, *ec2.DescribeSubnetsInput) (*ec2.DescribeSubnetsOutput, error) {
				return &ec2.DescribeSubnetsOutput{Subnets: []ec2types.Subnet{
					{SubnetId: aws.String("subnet-0a1b2c3d4e5f60001"), AvailabilityZone: aws.String("us-east-1a"), AvailabilityZoneId: aws.String("use1-az1")},
					{SubnetId: aws.String("subnet-0a1b2c3d4e5f60002"), AvailabilityZone: aws.String("us-east-1b")},
				}}, nil
			},
			describeSecurityGroups: func(context.Context, *ec2.DescribeSecurityGroupsInput) (*ec2.DescribeSecurityGroupsOutput, error) {
				return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []ec2types.SecurityGroup{{
					GroupId: aws.String("sg-0a1b2c3d4e5f60003"),
					IpPermissions: []ec2types.IpPermission{{
						IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}},
					}},
				}}}, nil
			},
		}
	}
	const params = `{"minAvailabilityZones":"2","requireHttpsFromVpc":"true","requirePrivateDns":"true"}`

	t.Run("change", func(t *testing.T) {
		e, c := newEC2(), newFakeConfig(t)
		ev := loadEvent(t, "vpc-change.json")
		ev.RuleParameters = params

		require.NoError(t, newTestHandler(t, e, c).Handle(context.Background(), ev))

		require.Len(t, e.subnetsCalls, 1)
		assert.Equal(t, ec2.DescribeSubnetsInput{SubnetIds: ep.SubnetIds}, e.subnetsCalls[0])
		require.Len(t, e.groupsCalls, 1)
		assert.Equal(t, ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0a1b2c3d4e5f60003"}}, e.groupsCalls[0])
		assert.Equal(t, []sentEvaluation{{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeCompliant, fixtureVPCCaptureTime}}, sentEvaluations(c.sent()))
		assert.Contains(t, sentAnnotation(c.sent(), fixtureVPCID), fixtureEndpointID)
	})
	t.Run("scheduled", func(t *testing.T) {
		e, c := newEC2(), newFakeConfig(t)
		ev := loadEvent(t, "scheduled.json")
		ev.RuleParameters = params

		require.NoError(t, newTestHandler(t, e, c).Handle(context.Background(), ev))

		require.Len(t, e.subnetsCalls, 1)
		assert.Equal(t, ec2.DescribeSubnetsInput{MaxResults: aws.Int32(pageSize)}, e.subnetsCalls[0])
		require.Len(t, e.groupsCalls, 1)
		assert.Equal(t, ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(pageSize)}, e.groupsCalls[0])
		assert.Equal(t, []sentEvaluation{{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeCompliant, fixtureScheduledTime}}, sentEvaluations(c.sent()))
	})
	t.Run("endpoint without subnets or groups: nothing else to read", func(t *testing.T) {
		e, c := newEC2(), newFakeConfig(t)
		bare := fakeEndpoint(fixtureEndpointID, fixtureVPCID, fixtureEC2Service, "Interface", "available")
		e.describeVpcEndpoints = fakeEndpointsFrom(pageSize, bare)
		ev := loadEvent(t, "vpc-change.json")
		ev.RuleParameters = params

		require.NoError(t, newTestHandler(t, e, c).Handle(context.Background(), ev))

		assert.Equal(t, 1, e.calls(), "an empty ID list would mean every subnet or group")
		assert.Equal(t, []sentEvaluation{{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeNonCompliant, fixtureVPCCaptureTime}}, sentEvaluations(c.sent()))
		assert.Contains(t, sentAnnotation(c.sent(), fixtureVPCID), "AZ")
	})
	t.Run("security group rule referencing a group", func(t *testing.T) {
		e, c := newEC2(), newFakeConfig(t)
		e.describeSecurityGroups = func(context.Context, *ec2.DescribeSecurityGroupsInput) (*ec2.DescribeSecurityGroupsOutput, error) {
			return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []ec2types.SecurityGroup{{
				GroupId: aws.String("sg-0a1b2c3d4e5f60003"),
				IpPermissions: []ec2types.IpPermission{{
					IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
					UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String("sg-0a1b2c3d4e5f60009")}},
				}},
			}}}, nil
		}
		ev := loadEvent(t, "vpc-change.json")
		ev.RuleParameters = `{"requireHttpsFromVpc":"true"}`

		require.NoError(t, newTestHandler(t, e, c).Handle(context.Background(), ev))

		assert.Equal(t, []sentEvaluation{{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeCompliant, fixtureVPCCaptureTime}}, sentEvaluations(c.sent()))
	})
	t.Run("security group rule referencing a group of a peered VPC only", func(t *testing.T) {
		e, c := newEC2(), newFakeConfig(t)
		e.describeSecurityGroups = func(context.Context, *ec2.DescribeSecurityGroupsInput) (*ec2.DescribeSecurityGroupsOutput, error) {
			return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []ec2types.SecurityGroup{{
				GroupId: aws.String("sg-0a1b2c3d4e5f60003"),
				IpPermissions: []ec2types.IpPermission{{
					IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
					UserIdGroupPairs: []ec2types.UserIdGroupPair{
						{GroupId: aws.String("sg-0a1b2c3d4e5f60009"), VpcId: aws.String("vpc-0peered000000000"),
							VpcPeeringConnectionId: aws.String("pcx-0a1b2c3d4e5f60000"), PeeringStatus: aws.String("active")},
						{UserId: aws.String("111122223333")}, // no group named
					},
				}},
			}}}, nil
		}
		ev := loadEvent(t, "vpc-change.json")
		ev.RuleParameters = `{"requireHttpsFromVpc":"true"}`

		require.NoError(t, newTestHandler(t, e, c).Handle(context.Background(), ev))

		assert.Equal(t, []sentEvaluation{{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeNonCompliant, fixtureVPCCaptureTime}}, sentEvaluations(c.sent()))
		assert.Contains(t, sentAnnotation(c.sent(), fixtureVPCID), "TCP 443")
	})
	t.Run("no endpoint, nothing else to read", func(t *testing.T) {
		e, c := newEC2(), newFakeConfig(t)
		e.describeVpcEndpoints = fakeEndpointsFrom(pageSize)
		ev := loadEvent(t, "vpc-change.json")
		ev.RuleParameters = params

		require.NoError(t, newTestHandler(t, e, c).Handle(context.Background(), ev))

		assert.Equal(t, 1, e.calls())
		assert.Equal(t, []sentEvaluation{{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeNonCompliant, fixtureVPCCaptureTime}}, sentEvaluations(c.sent()))
	})
}

// Deleted items and items that left the scope are NOT_APPLICABLE without any EC2 call (a deleted
// endpoint re-evaluates its VPC: TestHandlerChangedEndpoint).
func TestHandlerGoneResourcesAreNotApplicable(t *testing.T) {
	status := func(s string) func(map[string]any) {
		return func(item map[string]any) { item["configurationItemStatus"] = s }
	}
	tests := []struct {
		name     string
		fixture  string
		edit     func(map[string]any)
		want     sentEvaluation
		wantNote string
	}{
		{
			name:     "VPC deleted",
			fixture:  "vpc-deleted.json",
			want:     sentEvaluation{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeNotApplicable, fixtureDeletedCaptureTime},
			wantNote: "Resource was deleted.",
		},
		{
			name:     "VPC deleted and no longer recorded",
			fixture:  "vpc-deleted.json",
			edit:     status("ResourceDeletedNotRecorded"),
			want:     sentEvaluation{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeNotApplicable, fixtureDeletedCaptureTime},
			wantNote: "Resource was deleted and is no longer recorded.",
		},
		{
			name:     "VPC no longer recorded",
			fixture:  "vpc-change.json",
			edit:     status("ResourceNotRecorded"),
			want:     sentEvaluation{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeNotApplicable, fixtureVPCCaptureTime},
			wantNote: "Resource is no longer recorded by AWS Config.",
		},
		{
			name:     "VPC left the rule's scope",
			fixture:  "vpc-left-scope.json",
			want:     sentEvaluation{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeNotApplicable, fixtureVPCCaptureTime},
			wantNote: "Resource left the rule's scope.",
		},
		{
			name:    "oversized VPC item deleted",
			fixture: "vpc-oversized.json",
			edit:    status("ResourceDeleted"),
			want:    sentEvaluation{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeNotApplicable, fixtureVPCCaptureTime},
		},
		{
			name:    "instance: not a resource type of the rule",
			fixture: "instance-change.json",
			want: sentEvaluation{"AWS::EC2::Instance", "i-00000000", cfgtypes.ComplianceTypeNotApplicable,
				time.Date(2016, 2, 17, 1, 36, 34, 43e6, time.UTC)},
			wantNote: "AWS::EC2::Instance is not in its scope",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, c := &fakeEC2{}, newFakeConfig(t)
			ev := loadEvent(t, tt.fixture)
			if tt.edit != nil {
				ev = fixtureWithItem(t, ev, tt.edit)
			}

			require.NoError(t, newTestHandler(t, e, c).Handle(context.Background(), ev))

			assert.Zero(t, e.calls(), "EC2 calls")
			require.Equal(t, 1, c.putCount())
			sent := c.sent()
			assert.Equal(t, []sentEvaluation{tt.want}, sentEvaluations(sent))
			assert.Contains(t, sentAnnotation(sent, tt.want.ResourceID), tt.wantNote)
		})
	}
}

func TestHandlerOversizedVPC(t *testing.T) {
	tests := []struct {
		name          string
		describeVpcs  func(context.Context, *ec2.DescribeVpcsInput) (*ec2.DescribeVpcsOutput, error)
		params        string
		want          cfgtypes.ComplianceType
		wantNote      string
		wantEndpoints int
	}{
		{
			name:          "VPC read by ID",
			describeVpcs:  fakeVPCsFrom(pageSize, fakeVPC(fixtureVPCID, fixtureAccount)),
			want:          cfgtypes.ComplianceTypeCompliant,
			wantEndpoints: 1,
		},
		{
			name:         "shared VPC",
			describeVpcs: fakeVPCsFrom(pageSize, fakeVPC(fixtureVPCID, fixtureOtherAccount)),
			want:         cfgtypes.ComplianceTypeNotApplicable,
			wantNote:     fixtureOtherAccount, // out of scope: its endpoints are not read
		},
		{
			name: "tags from DescribeVpcs",
			describeVpcs: func() func(context.Context, *ec2.DescribeVpcsInput) (*ec2.DescribeVpcsOutput, error) {
				v := fakeVPC(fixtureVPCID, fixtureAccount)
				v.Tags = []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("network")}}
				return fakeVPCsFrom(pageSize, v)
			}(),
			params:   `{"exemptTag":"team"}`,
			want:     cfgtypes.ComplianceTypeNotApplicable,
			wantNote: "exemptTag", // out of scope: its endpoints are not read
		},
		{
			name: "every associated CIDR block from DescribeVpcs must reach the endpoint",
			describeVpcs: func() func(context.Context, *ec2.DescribeVpcsInput) (*ec2.DescribeVpcsOutput, error) {
				v := fakeVPC(fixtureVPCID, fixtureAccount)
				v.CidrBlockAssociationSet = append(v.CidrBlockAssociationSet,
					ec2types.VpcCidrBlockAssociation{CidrBlock: aws.String("100.64.0.0/16"), CidrBlockState: &ec2types.VpcCidrBlockState{State: "associated"}},
					ec2types.VpcCidrBlockAssociation{CidrBlock: aws.String("192.168.0.0/16"), CidrBlockState: &ec2types.VpcCidrBlockState{State: "disassociated"}})
				return fakeVPCsFrom(pageSize, v)
			}(),
			params:        `{"requireHttpsFromVpc":"true"}`,
			want:          cfgtypes.ComplianceTypeNonCompliant,
			wantNote:      "443",
			wantEndpoints: 1,
		},
		{
			name:         "VPC not found",
			describeVpcs: fakeVPCsFrom(pageSize),
			want:         cfgtypes.ComplianceTypeNotApplicable,
			wantNote:     "VPC no longer exists in us-east-1.",
		},
		{
			name: "VPC not listed",
			describeVpcs: func(context.Context, *ec2.DescribeVpcsInput) (*ec2.DescribeVpcsOutput, error) {
				return &ec2.DescribeVpcsOutput{}, nil
			},
			want:     cfgtypes.ComplianceTypeNotApplicable,
			wantNote: "VPC no longer exists",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := fakeEndpoint(fixtureEndpointID, fixtureVPCID, fixtureEC2Service, "Interface", "available")
			ep.Groups = []ec2types.SecurityGroupIdentifier{{GroupId: aws.String("sg-0a1b2c3d4e5f60003")}}
			e := &fakeEC2{
				describeVpcs:         tt.describeVpcs,
				describeVpcEndpoints: fakeEndpointsFrom(pageSize, ep),
				describeSecurityGroups: func(context.Context, *ec2.DescribeSecurityGroupsInput) (*ec2.DescribeSecurityGroupsOutput, error) {
					return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []ec2types.SecurityGroup{{
						GroupId: aws.String("sg-0a1b2c3d4e5f60003"),
						IpPermissions: []ec2types.IpPermission{{
							IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
							IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.0.0/16")}},
						}},
					}}}, nil
				},
			}
			c := newFakeConfig(t)
			ev := loadEvent(t, "vpc-oversized.json")
			if tt.params != "" {
				ev.RuleParameters = tt.params
			}

			require.NoError(t, newTestHandler(t, e, c).Handle(context.Background(), ev))

			require.Len(t, e.vpcsCalls, 1)
			assert.Equal(t, ec2.DescribeVpcsInput{VpcIds: []string{fixtureVPCID}}, e.vpcsCalls[0], "by ID, without a page size")
			require.Len(t, e.endpointsCalls, tt.wantEndpoints)
			if tt.wantEndpoints > 0 {
				vpcIDs, _ := fakeFilterValues(e.endpointsCalls[0].Filters, "vpc-id")
				assert.Equal(t, []string{fixtureVPCID}, vpcIDs)
			}
			sent := c.sent()
			assert.Equal(t, []sentEvaluation{{fixtureVPCType, fixtureVPCID, tt.want, fixtureVPCCaptureTime}}, sentEvaluations(sent))
			assert.Contains(t, sentAnnotation(sent, fixtureVPCID), tt.wantNote)
		})
	}
}

// A change to an endpoint re-evaluates its VPC and reports the endpoint itself NOT_APPLICABLE.
func TestHandlerChangedEndpoint(t *testing.T) {
	available := fakeEndpoint(fixtureEndpointID, fixtureVPCID, fixtureEC2Service, "Interface", "available")
	deleting := fakeEndpoint(fixtureEndpointID, fixtureVPCID, fixtureEC2Service, "Interface", "deleting")
	tests := []struct {
		name    string
		fixture string
		// leftScope sets the event's eventLeftScope.
		leftScope bool
		vpcs      []ec2types.Vpc
		live      []ec2types.VpcEndpoint
		// wantByID says whether the endpoint was first looked for in a listing of the region's
		// endpoints for the checked services (items without configuration or diff); that listing
		// then also serves as the VPC's endpoints.
		wantByID      bool
		wantVPCLookup bool
		wantListing   bool
		want          []sentEvaluation
		wantNote      string
	}{
		{
			name:          "endpoint created",
			fixture:       "vpce-change.json",
			vpcs:          []ec2types.Vpc{fakeVPC(fixtureVPCID, fixtureAccount)},
			live:          []ec2types.VpcEndpoint{available},
			wantVPCLookup: true,
			wantListing:   true,
			want: []sentEvaluation{
				{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeCompliant, fixtureEndpointCaptureTime},
				{fixtureEndpointType, fixtureEndpointID, cfgtypes.ComplianceTypeNotApplicable, fixtureEndpointCaptureTime},
			},
			wantNote: "this change re-evaluated " + fixtureVPCID + ": COMPLIANT.",
		},
		{
			name:          "endpoint being deleted",
			fixture:       "vpce-change.json",
			vpcs:          []ec2types.Vpc{fakeVPC(fixtureVPCID, fixtureAccount)},
			live:          []ec2types.VpcEndpoint{deleting},
			wantVPCLookup: true,
			wantListing:   true,
			want: []sentEvaluation{
				{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeNonCompliant, fixtureEndpointCaptureTime},
				{fixtureEndpointType, fixtureEndpointID, cfgtypes.ComplianceTypeNotApplicable, fixtureEndpointCaptureTime},
			},
			wantNote: ": NON_COMPLIANT.",
		},
		{
			name:          "VPC gone",
			fixture:       "vpce-change.json",
			wantVPCLookup: true,
			want: []sentEvaluation{
				{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeNotApplicable, fixtureEndpointCaptureTime},
				{fixtureEndpointType, fixtureEndpointID, cfgtypes.ComplianceTypeNotApplicable, fixtureEndpointCaptureTime},
			},
			wantNote: ": no longer exists.",
		},
		{
			name:          "oversized: endpoint found in the listing of checked services, which holds its VPC's endpoints",
			fixture:       "vpce-oversized.json",
			vpcs:          []ec2types.Vpc{fakeVPC(fixtureVPCID, fixtureAccount)},
			live:          []ec2types.VpcEndpoint{available},
			wantByID:      true,
			wantVPCLookup: true,
			wantListing:   false, // the lookup listing holds the VPC's endpoints
			want: []sentEvaluation{
				{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeCompliant, fixtureEndpointCaptureTime},
				{fixtureEndpointType, fixtureEndpointID, cfgtypes.ComplianceTypeNotApplicable, fixtureEndpointCaptureTime},
			},
			wantNote: "re-evaluated " + fixtureVPCID,
		},
		{
			// The deletion item has no configuration; its diff names the VPC the endpoint was in.
			name:          "endpoint deleted: its VPC, named by the item's diff, is re-evaluated",
			fixture:       "vpce-deleted.json",
			vpcs:          []ec2types.Vpc{fakeVPC(fixtureVPCID, fixtureAccount)},
			wantVPCLookup: true,
			wantListing:   true,
			want: []sentEvaluation{
				{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeNonCompliant, fixtureEndpointDeletedTime},
				{fixtureEndpointType, fixtureEndpointID, cfgtypes.ComplianceTypeNotApplicable, fixtureEndpointDeletedTime},
			},
			wantNote: "Endpoint was deleted; this change re-evaluated " + fixtureVPCID + ": NON_COMPLIANT.",
		},
		{
			// Config may flag a deletion as leaving the scope too; the VPC must still learn of it.
			name:          "endpoint deleted with eventLeftScope: its VPC is still re-evaluated",
			fixture:       "vpce-deleted.json",
			leftScope:     true,
			vpcs:          []ec2types.Vpc{fakeVPC(fixtureVPCID, fixtureAccount)},
			wantVPCLookup: true,
			wantListing:   true,
			want: []sentEvaluation{
				{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeNonCompliant, fixtureEndpointDeletedTime},
				{fixtureEndpointType, fixtureEndpointID, cfgtypes.ComplianceTypeNotApplicable, fixtureEndpointDeletedTime},
			},
			wantNote: "Endpoint was deleted; this change re-evaluated " + fixtureVPCID + ": NON_COMPLIANT.",
		},
		{
			name:          "endpoint deleted: another endpoint still qualifies",
			fixture:       "vpce-deleted.json",
			vpcs:          []ec2types.Vpc{fakeVPC(fixtureVPCID, fixtureAccount)},
			live:          []ec2types.VpcEndpoint{fakeEndpoint("vpce-0fedcba9876543210", fixtureVPCID, fixtureEC2Service, "Interface", "available")},
			wantVPCLookup: true,
			wantListing:   true,
			want: []sentEvaluation{
				{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeCompliant, fixtureEndpointDeletedTime},
				{fixtureEndpointType, fixtureEndpointID, cfgtypes.ComplianceTypeNotApplicable, fixtureEndpointDeletedTime},
			},
			wantNote: ": COMPLIANT.",
		},
		{
			name:    "endpoint for a service the rule does not check: its VPC is not read",
			fixture: "vpce-s3-change.json",
			want: []sentEvaluation{
				{fixtureEndpointType, fixtureEndpointID, cfgtypes.ComplianceTypeNotApplicable, fixtureEndpointCaptureTime},
			},
			wantNote: "Endpoint for com.amazonaws.us-east-1.s3, a service the rule does not check; " + fixtureVPCID + " was not re-evaluated.",
		},
		{
			name:     "oversized: endpoint for a service the rule does not check",
			fixture:  "vpce-oversized.json",
			live:     []ec2types.VpcEndpoint{fakeEndpoint(fixtureEndpointID, fixtureVPCID, "com.amazonaws.us-east-1.ec2messages", "Interface", "available")},
			wantByID: true,
			want: []sentEvaluation{
				{fixtureEndpointType, fixtureEndpointID, cfgtypes.ComplianceTypeNotApplicable, fixtureEndpointCaptureTime},
			},
			wantNote: "or is not for a service the rule checks",
		},
		{
			// No diff to name the VPC (as in an oversized summary): EC2 still lists the deleted
			// endpoint for a while, with its VPC.
			name:          "endpoint deleted, no diff: found in the listing of checked services",
			fixture:       "vpce-deleted-nodiff.json",
			vpcs:          []ec2types.Vpc{fakeVPC(fixtureVPCID, fixtureAccount)},
			live:          []ec2types.VpcEndpoint{fakeEndpoint(fixtureEndpointID, fixtureVPCID, fixtureEC2Service, "Interface", "deleted")},
			wantByID:      true,
			wantVPCLookup: true,
			wantListing:   false, // the lookup listing holds the VPC's endpoints
			want: []sentEvaluation{
				{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeNonCompliant, fixtureEndpointDeletedTime},
				{fixtureEndpointType, fixtureEndpointID, cfgtypes.ComplianceTypeNotApplicable, fixtureEndpointDeletedTime},
			},
			wantNote: "Endpoint was deleted; this change re-evaluated " + fixtureVPCID + ": NON_COMPLIANT.",
		},
		{
			name:     "endpoint deleted, no diff, no longer listed",
			fixture:  "vpce-deleted-nodiff.json",
			wantByID: true,
			want: []sentEvaluation{
				{fixtureEndpointType, fixtureEndpointID, cfgtypes.ComplianceTypeNotApplicable, fixtureEndpointDeletedTime},
			},
			wantNote: "Resource was deleted.",
		},
		{
			name:     "endpoint of an unchecked service deleted: its VPC is not read",
			fixture:  "vpce-deleted-nodiff.json",
			live:     []ec2types.VpcEndpoint{fakeEndpoint(fixtureEndpointID, fixtureVPCID, "com.amazonaws.us-east-1.s3", "Gateway", "deleted")},
			wantByID: true,
			want: []sentEvaluation{
				{fixtureEndpointType, fixtureEndpointID, cfgtypes.ComplianceTypeNotApplicable, fixtureEndpointDeletedTime},
			},
			wantNote: "Resource was deleted.",
		},
		{
			name:     "oversized: endpoint gone",
			fixture:  "vpce-oversized.json",
			wantByID: true,
			want: []sentEvaluation{
				{fixtureEndpointType, fixtureEndpointID, cfgtypes.ComplianceTypeNotApplicable, fixtureEndpointCaptureTime},
			},
			wantNote: "Endpoint no longer exists, or is not for a service the rule checks; no VPC was re-evaluated.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &fakeEC2{describeVpcs: fakeVPCsFrom(pageSize, tt.vpcs...), describeVpcEndpoints: fakeEndpointsFrom(pageSize, tt.live...)}
			c := newFakeConfig(t)
			ev := loadEvent(t, tt.fixture)
			ev.EventLeftScope = tt.leftScope

			require.NoError(t, newTestHandler(t, e, c).Handle(context.Background(), ev))

			var wantEndpointCalls []ec2.DescribeVpcEndpointsInput
			if tt.wantByID {
				wantEndpointCalls = append(wantEndpointCalls, ec2.DescribeVpcEndpointsInput{
					Filters:    []ec2types.Filter{{Name: aws.String("service-name"), Values: fixtureEC2ServiceNames}},
					MaxResults: aws.Int32(pageSize),
				})
			}
			if tt.wantListing {
				wantEndpointCalls = append(wantEndpointCalls, ec2.DescribeVpcEndpointsInput{
					Filters: []ec2types.Filter{
						{Name: aws.String("service-name"), Values: fixtureEC2ServiceNames},
						{Name: aws.String("vpc-id"), Values: []string{fixtureVPCID}},
					},
					MaxResults: aws.Int32(pageSize),
				})
			}
			assert.Equal(t, wantEndpointCalls, e.endpointsCalls)
			if tt.wantVPCLookup {
				assert.Equal(t, []ec2.DescribeVpcsInput{{VpcIds: []string{fixtureVPCID}}}, e.vpcsCalls)
			} else {
				assert.Empty(t, e.vpcsCalls)
			}
			require.Equal(t, 1, c.putCount())
			sent := c.sent()
			assert.Equal(t, tt.want, sentEvaluations(sent))
			assert.Contains(t, sentAnnotation(sent, fixtureEndpointID), tt.wantNote)
		})
	}
}

func TestHandlerTestMode(t *testing.T) {
	for _, fixture := range []string{"vpc-change.json", "scheduled.json"} {
		for _, tt := range []struct {
			token    string
			testMode bool
		}{
			{"TESTMODE", true},
			{fixtureResultToken, false},
		} {
			t.Run(fixture+"/"+tt.token, func(t *testing.T) {
				e := &fakeEC2{
					describeVpcs:         fakeVPCsFrom(pageSize, fakeVPC(fixtureVPCID, fixtureAccount)),
					describeVpcEndpoints: fakeEndpointsFrom(pageSize),
				}
				c := newFakeConfig(t)
				ev := loadEvent(t, fixture)
				ev.ResultToken = tt.token

				require.NoError(t, newTestHandler(t, e, c).Handle(context.Background(), ev))

				require.Equal(t, 1, c.putCount())
				assert.Equal(t, tt.testMode, c.puts[0].TestMode)
				assert.Equal(t, aws.String(tt.token), c.puts[0].ResultToken)
			})
		}
	}
}

// An event the rule cannot act on fails the invocation with a reason and puts nothing; the
// handler then answers the next, valid event as usual.
func TestHandlerRejectsInvalidEvents(t *testing.T) {
	tests := []struct {
		name    string
		event   func(t *testing.T) events.ConfigEvent
		wantErr error
		wantIn  string
	}{
		{
			name:    "unsupported message type",
			event:   fixtureEvent("snapshot-delivery.json"),
			wantErr: ErrInvalidEvent,
			wantIn:  `messageType "ConfigurationSnapshotDeliveryCompleted" is not handled`,
		},
		{
			name:    "empty invokingEvent",
			event:   fixtureEdited("vpc-change.json", func(ev *events.ConfigEvent) { ev.InvokingEvent = "" }),
			wantErr: ErrInvalidEvent,
			wantIn:  "invokingEvent is empty",
		},
		{
			name:    "invokingEvent not JSON",
			event:   fixtureEvent("malformed-invoking-event-truncated.json"),
			wantErr: ErrInvalidEvent,
			wantIn:  "invokingEvent is not a JSON object",
		},
		{
			name:    "invokingEvent a JSON array",
			event:   fixtureEdited("vpc-change.json", func(ev *events.ConfigEvent) { ev.InvokingEvent = "[]" }),
			wantErr: ErrInvalidEvent,
			wantIn:  "invokingEvent is not a JSON object",
		},
		{
			name:    "no messageType",
			event:   fixtureEvent("malformed-no-message-type.json"),
			wantErr: ErrInvalidEvent,
			wantIn:  "invokingEvent has no messageType",
		},
		{
			name:    "missing resultToken",
			event:   fixtureEdited("vpc-change.json", func(ev *events.ConfigEvent) { ev.ResultToken = "" }),
			wantErr: ErrInvalidEvent,
			wantIn:  "resultToken is empty",
		},
		{
			name:    "accountId not 12 digits",
			event:   fixtureEdited("vpc-change.json", func(ev *events.ConfigEvent) { ev.AccountID = "12345678901" }),
			wantErr: ErrInvalidEvent,
			wantIn:  `accountId "12345678901" is not a 12-digit AWS account ID`,
		},
		{
			name:    "accountId with letters",
			event:   fixtureEdited("scheduled.json", func(ev *events.ConfigEvent) { ev.AccountID = "12345678901a" }),
			wantErr: ErrInvalidEvent,
			wantIn:  "12-digit",
		},
		{
			name: "item from another region",
			event: func(t *testing.T) events.ConfigEvent {
				return fixtureWithItem(t, loadEvent(t, "vpc-change.json"), func(item map[string]any) { item["awsRegion"] = "eu-west-1" })
			},
			wantErr: ErrInvalidEvent,
			wantIn:  "is in region eu-west-1, but the function evaluates region us-east-1",
		},
		{
			name:    "change without configurationItem",
			event:   fixtureEvent("malformed-no-configuration-item.json"),
			wantErr: ErrInvalidEvent,
			wantIn:  "ConfigurationItemChangeNotification has no configurationItem",
		},
		{
			name: "oversized without configurationItemSummary",
			event: func(t *testing.T) events.ConfigEvent {
				return fixtureWithInvokingEvent(t, loadEvent(t, "vpc-oversized.json"), func(ie map[string]any) { delete(ie, "configurationItemSummary") })
			},
			wantErr: ErrInvalidEvent,
			wantIn:  "has no configurationItemSummary",
		},
		{
			name: "item without resourceId",
			event: func(t *testing.T) events.ConfigEvent {
				return fixtureWithItem(t, loadEvent(t, "vpc-change.json"), func(item map[string]any) { delete(item, "resourceId") })
			},
			wantErr: ErrInvalidEvent,
			wantIn:  "configurationItem.resourceId is empty",
		},
		{
			name: "item without resourceType",
			event: func(t *testing.T) events.ConfigEvent {
				return fixtureWithItem(t, loadEvent(t, "vpc-oversized.json"), func(item map[string]any) { item["resourceType"] = "" })
			},
			wantErr: ErrInvalidEvent,
			wantIn:  "configurationItemSummary.resourceType is empty",
		},
		{
			name: "item without configurationItemStatus",
			event: func(t *testing.T) events.ConfigEvent {
				return fixtureWithItem(t, loadEvent(t, "vpc-change.json"), func(item map[string]any) { delete(item, "configurationItemStatus") })
			},
			wantErr: ErrInvalidEvent,
			wantIn:  "configurationItem.configurationItemStatus is empty",
		},
		{
			name:    "capture time not RFC 3339",
			event:   fixtureEvent("malformed-capture-time.json"),
			wantErr: ErrInvalidEvent,
			wantIn:  `configurationItem.configurationItemCaptureTime "2024-05-13 09:14:02" is not an RFC 3339 time`,
		},
		{
			name:    "scheduled without configRuleName",
			event:   fixtureEdited("scheduled.json", func(ev *events.ConfigEvent) { ev.ConfigRuleName = "" }),
			wantErr: ErrInvalidEvent,
			wantIn:  "configRuleName is empty",
		},
		{
			name: "scheduled without notificationCreationTime",
			event: func(t *testing.T) events.ConfigEvent {
				return fixtureWithInvokingEvent(t, loadEvent(t, "scheduled.json"), func(ie map[string]any) { delete(ie, "notificationCreationTime") })
			},
			wantErr: ErrInvalidEvent,
			wantIn:  "notificationCreationTime is empty",
		},
		{
			name:    "VPC configuration of the wrong shape",
			event:   fixtureEvent("malformed-vpc-configuration.json"),
			wantErr: ErrInvalidEvent,
			wantIn:  "configuration of " + fixtureVPCID + " is not a VPC configuration",
		},
		{
			name:    "endpoint configuration without vpcId",
			event:   fixtureEvent("malformed-vpce-no-vpc-id.json"),
			wantErr: ErrInvalidEvent,
			wantIn:  "configuration of endpoint " + fixtureEndpointID + " has no vpcId",
		},
		{
			name:    "empty item in serviceNames",
			event:   fixtureEdited("vpc-change.json", func(ev *events.ConfigEvent) { ev.RuleParameters = `{"serviceNames":"ec2,,ssm"}` }),
			wantErr: rule.ErrInvalidParams,
			wantIn:  "serviceNames has an empty item",
		},
		{
			name:    "unknown parameter",
			event:   fixtureEdited("scheduled.json", func(ev *events.ConfigEvent) { ev.RuleParameters = `{"myParameterKey":"myParameterValue"}` }),
			wantErr: rule.ErrInvalidParams,
			wantIn:  `unknown parameter "myParameterKey"`,
		},
		{
			name:    "ruleParameters not JSON",
			event:   fixtureEdited("vpc-change.json", func(ev *events.ConfigEvent) { ev.RuleParameters = `serviceNames=ec2` }),
			wantErr: rule.ErrInvalidParams,
			wantIn:  "ruleParameters is not a JSON object",
		},
		{
			name:    "service of another region",
			event:   fixtureEdited("vpc-change.json", func(ev *events.ConfigEvent) { ev.RuleParameters = `{"serviceNames":"com.amazonaws.us-west-2.ec2"}` }),
			wantErr: rule.ErrInvalidParams,
			wantIn:  "names region us-west-2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &fakeEC2{describeVpcEndpoints: fakeEndpointsFrom(pageSize)}
			c := newFakeConfig(t)
			h := newTestHandler(t, e, c)

			var err error
			require.NotPanics(t, func() { err = h.Handle(context.Background(), tt.event(t)) })

			require.Error(t, err)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.ErrorContains(t, err, tt.wantIn)
			assert.Zero(t, e.calls(), "EC2 calls")
			assert.Zero(t, c.putCount(), "nothing put")

			// The next invocation is unaffected.
			require.NoError(t, h.Handle(context.Background(), loadEvent(t, "vpc-change.json")))
			assert.Equal(t, []sentEvaluation{{fixtureVPCType, fixtureVPCID, cfgtypes.ComplianceTypeNonCompliant, fixtureVPCCaptureTime}}, sentEvaluations(c.sent()))
		})
	}
}

// fixtureEvent returns a loader of the fixture name, for tables.
func fixtureEvent(name string) func(t *testing.T) events.ConfigEvent {
	return func(t *testing.T) events.ConfigEvent { return loadEvent(t, name) }
}

// fixtureEdited returns a loader of the fixture name changed by edit, for tables.
func fixtureEdited(name string, edit func(ev *events.ConfigEvent)) func(t *testing.T) events.ConfigEvent {
	return func(t *testing.T) events.ConfigEvent {
		ev := loadEvent(t, name)
		edit(&ev)
		return ev
	}
}

// A failed EC2 read fails the invocation and puts nothing: never a guess.
func TestHandlerEC2ErrorsPutNothing(t *testing.T) {
	tests := []struct {
		name       string
		fixture    string
		params     string
		ec2        *fakeEC2
		wantIn     []string
		wantCode   string
		wantDenied bool
	}{
		{
			name:    "endpoints throttled",
			fixture: "vpc-change.json",
			ec2: &fakeEC2{describeVpcEndpoints: func(context.Context, *ec2.DescribeVpcEndpointsInput) (*ec2.DescribeVpcEndpointsOutput, error) {
				return nil, fakeAPIError("RequestLimitExceeded")
			}},
			wantIn:   []string{"ec2:DescribeVpcEndpoints: ", "RequestLimitExceeded"},
			wantCode: "RequestLimitExceeded",
		},
		{
			name:    "endpoints denied",
			fixture: "vpc-change.json",
			ec2: &fakeEC2{describeVpcEndpoints: func(context.Context, *ec2.DescribeVpcEndpointsInput) (*ec2.DescribeVpcEndpointsOutput, error) {
				return nil, fakeAPIError("UnauthorizedOperation")
			}},
			wantIn:     []string{"the caller needs IAM permission ec2:DescribeVpcEndpoints"},
			wantCode:   "UnauthorizedOperation",
			wantDenied: true,
		},
		{
			name:    "endpoints fail on the second page",
			fixture: "vpc-change.json",
			ec2: &fakeEC2{describeVpcEndpoints: func(_ context.Context, in *ec2.DescribeVpcEndpointsInput) (*ec2.DescribeVpcEndpointsOutput, error) {
				if in.NextToken == nil {
					return &ec2.DescribeVpcEndpointsOutput{
						VpcEndpoints: []ec2types.VpcEndpoint{fakeEndpoint(fixtureEndpointID, fixtureVPCID, fixtureEC2Service, "Interface", "available")},
						NextToken:    aws.String("next"),
					}, nil
				}
				return nil, errors.New("unexpected EOF")
			}},
			wantIn: []string{"ec2:DescribeVpcEndpoints: unexpected EOF"},
		},
		{
			name:    "oversized VPC: DescribeVpcs fails",
			fixture: "vpc-oversized.json",
			ec2: &fakeEC2{describeVpcs: func(context.Context, *ec2.DescribeVpcsInput) (*ec2.DescribeVpcsOutput, error) {
				return nil, fakeAPIError("InternalError")
			}},
			wantIn:   []string{"ec2:DescribeVpcs: ", "InternalError"},
			wantCode: "InternalError",
		},
		{
			name:    "oversized endpoint: lookup by ID denied",
			fixture: "vpce-oversized.json",
			ec2: &fakeEC2{describeVpcEndpoints: func(context.Context, *ec2.DescribeVpcEndpointsInput) (*ec2.DescribeVpcEndpointsOutput, error) {
				return nil, fakeAPIError("UnauthorizedOperation")
			}},
			wantIn:     []string{"needs IAM permission ec2:DescribeVpcEndpoints"},
			wantCode:   "UnauthorizedOperation",
			wantDenied: true,
		},
		{
			name:    "endpoint change: VPC lookup denied",
			fixture: "vpce-change.json",
			ec2: &fakeEC2{describeVpcs: func(context.Context, *ec2.DescribeVpcsInput) (*ec2.DescribeVpcsOutput, error) {
				return nil, fakeAPIError("UnauthorizedOperation")
			}},
			wantIn:     []string{"needs IAM permission ec2:DescribeVpcs"},
			wantCode:   "UnauthorizedOperation",
			wantDenied: true,
		},
		{
			name:    "endpoint change: listing fails after the VPC was read",
			fixture: "vpce-change.json",
			ec2: &fakeEC2{
				describeVpcs: fakeVPCsFrom(pageSize, fakeVPC(fixtureVPCID, fixtureAccount)),
				describeVpcEndpoints: func(context.Context, *ec2.DescribeVpcEndpointsInput) (*ec2.DescribeVpcEndpointsOutput, error) {
					return nil, fakeAPIError("Unavailable")
				},
			},
			wantIn:   []string{"ec2:DescribeVpcEndpoints: "},
			wantCode: "Unavailable",
		},
		{
			name:    "change: subnets of the endpoint denied",
			fixture: "vpc-change.json",
			params:  `{"minAvailabilityZones":"2"}`,
			ec2: &fakeEC2{
				describeVpcEndpoints: fakeEndpointsFrom(pageSize, func() ec2types.VpcEndpoint {
					ep := fakeEndpoint(fixtureEndpointID, fixtureVPCID, fixtureEC2Service, "Interface", "available")
					ep.SubnetIds = []string{"subnet-0a1b2c3d4e5f60001"}
					return ep
				}()),
				describeSubnets: func(context.Context, *ec2.DescribeSubnetsInput) (*ec2.DescribeSubnetsOutput, error) {
					return nil, fakeAPIError("UnauthorizedOperation")
				},
			},
			wantIn:     []string{"needs IAM permission ec2:DescribeSubnets"},
			wantCode:   "UnauthorizedOperation",
			wantDenied: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newFakeConfig(t)
			ev := loadEvent(t, tt.fixture)
			if tt.params != "" {
				ev.RuleParameters = tt.params
			}

			err := newTestHandler(t, tt.ec2, c).Handle(context.Background(), ev)

			require.Error(t, err)
			for _, s := range tt.wantIn {
				assert.ErrorContains(t, err, s)
			}
			assert.Equal(t, tt.wantDenied, errors.Is(err, ErrAccessDenied), "errors.Is(err, ErrAccessDenied)")
			if tt.wantCode != "" {
				var ae smithy.APIError
				if assert.ErrorAs(t, err, &ae, "the API error stays in the chain") {
					assert.Equal(t, tt.wantCode, ae.ErrorCode())
				}
			}
			assert.Zero(t, c.putCount(), "nothing put")
		})
	}
}

func TestHandlerPutErrors(t *testing.T) {
	t.Run("access denied names config:PutEvaluations", func(t *testing.T) {
		c := newFakeConfig(t)
		c.putEvaluations = func(context.Context, *configservice.PutEvaluationsInput) (*configservice.PutEvaluationsOutput, error) {
			return nil, fakeAPIError("AccessDeniedException")
		}
		e := &fakeEC2{describeVpcEndpoints: fakeEndpointsFrom(pageSize)}

		err := newTestHandler(t, e, c).Handle(context.Background(), loadEvent(t, "vpc-change.json"))

		require.Error(t, err)
		assert.ErrorIs(t, err, ErrAccessDenied)
		assert.ErrorContains(t, err, "the caller needs IAM permission config:PutEvaluations")
		assert.Equal(t, 1, c.putCount(), "a call error is not retried by the handler (the SDK retries)")
	})
	t.Run("failure in a later batch names it", func(t *testing.T) {
		var vpcs []ec2types.Vpc
		for i := range 250 {
			vpcs = append(vpcs, fakeVPC(fmt.Sprintf("vpc-%017x", i), fixtureAccount))
		}
		e := &fakeEC2{describeVpcs: fakeVPCsFrom(pageSize, vpcs...), describeVpcEndpoints: fakeEndpointsFrom(pageSize)}
		c := newFakeConfig(t)
		c.putEvaluations = func(context.Context, *configservice.PutEvaluationsInput) (*configservice.PutEvaluationsOutput, error) {
			if c.putCount() == 2 {
				return nil, fakeAPIError("ThrottlingException")
			}
			return &configservice.PutEvaluationsOutput{}, nil
		}

		err := newTestHandler(t, e, c).Handle(context.Background(), loadEvent(t, "scheduled.json"))

		require.Error(t, err)
		assert.ErrorContains(t, err, "put evaluations 101-200 of 250: config:PutEvaluations: ")
		assert.Equal(t, 2, c.putCount(), "stops at the failing batch")
	})
}

func TestHandlerResendsFailedEvaluations(t *testing.T) {
	vpcs := []ec2types.Vpc{
		fakeVPC("vpc-11111111", fixtureAccount),
		fakeVPC("vpc-22222222", fixtureAccount),
		fakeVPC("vpc-33333333", fixtureAccount),
	}
	// refuse answers each put by refusing the evaluations of the VPCs in ids, as long as
	// stillFailing says so for that call (numbered from 1).
	refuse := func(c *fakeConfig, ids []string, stillFailing func(call int) bool) {
		c.putEvaluations = func(_ context.Context, in *configservice.PutEvaluationsInput) (*configservice.PutEvaluationsOutput, error) {
			out := &configservice.PutEvaluationsOutput{}
			if !stillFailing(c.putCount()) {
				return out, nil
			}
			for _, e := range in.Evaluations {
				for _, id := range ids {
					if aws.ToString(e.ComplianceResourceId) == id {
						out.FailedEvaluations = append(out.FailedEvaluations, e)
					}
				}
			}
			return out, nil
		}
	}

	t.Run("re-sent once, then stored", func(t *testing.T) {
		e := &fakeEC2{describeVpcs: fakeVPCsFrom(pageSize, vpcs...), describeVpcEndpoints: fakeEndpointsFrom(pageSize)}
		c := newFakeConfig(t)
		refuse(c, []string{"vpc-11111111", "vpc-33333333"}, func(call int) bool { return call == 1 })

		require.NoError(t, newTestHandler(t, e, c).Handle(context.Background(), loadEvent(t, "scheduled.json")))

		require.Equal(t, 2, c.putCount())
		assert.Len(t, c.puts[0].Evaluations, 3)
		assert.Equal(t, []sentEvaluation{
			{fixtureVPCType, "vpc-11111111", cfgtypes.ComplianceTypeNonCompliant, fixtureScheduledTime},
			{fixtureVPCType, "vpc-33333333", cfgtypes.ComplianceTypeNonCompliant, fixtureScheduledTime},
		}, sentEvaluations(c.puts[1].Evaluations), "only the refused ones are re-sent")
		assert.Equal(t, c.puts[0].ResultToken, c.puts[1].ResultToken)
	})
	t.Run("still refused after the bound", func(t *testing.T) {
		e := &fakeEC2{describeVpcs: fakeVPCsFrom(pageSize, vpcs...), describeVpcEndpoints: fakeEndpointsFrom(pageSize)}
		c := newFakeConfig(t)
		refuse(c, []string{"vpc-22222222"}, func(int) bool { return true })
		h := newTestHandler(t, e, c)

		err := h.Handle(context.Background(), loadEvent(t, "scheduled.json"))

		require.Error(t, err)
		assert.ErrorIs(t, err, ErrEvaluationsNotStored)
		assert.ErrorContains(t, err, "AWS Config refused 1 of 3 evaluations after 3 attempts: AWS::EC2::VPC vpc-22222222")
		require.Equal(t, h.putAttempts, c.putCount())
		for _, p := range c.puts[1:] {
			assert.Equal(t, []sentEvaluation{{fixtureVPCType, "vpc-22222222", cfgtypes.ComplianceTypeNonCompliant, fixtureScheduledTime}},
				sentEvaluations(p.Evaluations))
		}
	})
}

func TestHandlerExecutionRole(t *testing.T) {
	tests := []struct {
		name     string
		region   string
		event    func(t *testing.T) events.ConfigEvent
		wantRole string
	}{
		{
			name:     "no executionRoleName: the function's own clients",
			region:   fixtureRegion,
			event:    fixtureEvent("vpc-change.json"),
			wantRole: "",
		},
		{
			name:   "executionRoleName in the event's account",
			region: fixtureRegion,
			event: fixtureEdited("vpc-change.json", func(ev *events.ConfigEvent) {
				ev.RuleParameters = `{"executionRoleName":"ConfigRuleEvaluation"}`
			}),
			wantRole: "arn:aws:iam::123456789012:role/ConfigRuleEvaluation",
		},
		{
			name:   "member account of an organization rule",
			region: fixtureRegion,
			event: fixtureEdited("scheduled.json", func(ev *events.ConfigEvent) {
				ev.AccountID = "444455556666"
				ev.RuleParameters = `{"executionRoleName":"ConfigRuleEvaluation"}`
			}),
			wantRole: "arn:aws:iam::444455556666:role/ConfigRuleEvaluation",
		},
		{
			name:   "China partition from the rule's ARN",
			region: "cn-north-1",
			event: fixtureEdited("scheduled.json", func(ev *events.ConfigEvent) {
				ev.ConfigRuleArn = "arn:aws-cn:config:cn-north-1:123456789012:config-rule/config-rule-4b8c2d"
				ev.RuleParameters = `{"executionRoleName":"ConfigRuleEvaluation"}`
			}),
			wantRole: "arn:aws-cn:iam::123456789012:role/ConfigRuleEvaluation",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &fakeEC2{describeVpcs: fakeVPCsFrom(pageSize), describeVpcEndpoints: fakeEndpointsFrom(pageSize)}
			c := newFakeConfig(t)
			h := newTestHandler(t, e, c)
			h.region = tt.region
			var roles []string
			h.clients = func(_ context.Context, roleARN string) (clients, error) {
				roles = append(roles, roleARN)
				return clients{ec2: e, config: c}, nil
			}

			require.NoError(t, h.Handle(context.Background(), tt.event(t)))

			assert.Equal(t, []string{tt.wantRole}, roles)
		})
	}

	t.Run("clients fail: returned, nothing read or put", func(t *testing.T) {
		e, c := &fakeEC2{}, newFakeConfig(t)
		h := newTestHandler(t, e, c)
		errAssume := errors.New("assume execution role: AccessDenied")
		h.clients = func(context.Context, string) (clients, error) { return clients{}, errAssume }
		ev := loadEvent(t, "vpc-change.json")
		ev.RuleParameters = `{"executionRoleName":"ConfigRuleEvaluation"}`

		err := h.Handle(context.Background(), ev)

		assert.ErrorIs(t, err, errAssume)
		assert.Zero(t, e.calls())
		assert.Zero(t, c.putCount())
	})
}

// The handler keeps a margin before the Lambda deadline, so that a slow read fails the
// invocation with its own error rather than the function being killed.
func TestHandlerStopsBeforeTheDeadline(t *testing.T) {
	block := func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}
	tests := []struct {
		name    string
		fixture string
		ec2     *fakeEC2
	}{
		{
			name:    "change",
			fixture: "vpc-change.json",
			ec2: &fakeEC2{describeVpcEndpoints: func(ctx context.Context, _ *ec2.DescribeVpcEndpointsInput) (*ec2.DescribeVpcEndpointsOutput, error) {
				return nil, block(ctx)
			}},
		},
		{
			name:    "scheduled",
			fixture: "scheduled.json",
			ec2: &fakeEC2{describeVpcs: func(ctx context.Context, _ *ec2.DescribeVpcsInput) (*ec2.DescribeVpcsOutput, error) {
				return nil, block(ctx)
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newFakeConfig(t)
			h := newTestHandler(t, tt.ec2, c)
			h.deadlineMargin = 2 * time.Second
			deadline := time.Now().Add(2500 * time.Millisecond)
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()

			err := h.Handle(ctx, loadEvent(t, tt.fixture))

			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Greater(t, time.Until(deadline), time.Second, "returned well before the Lambda deadline")
			assert.Zero(t, c.putCount(), "nothing put")
		})
	}
}

func TestExecutionRoleARN(t *testing.T) {
	req := request{accountID: fixtureAccount, partition: "aws-us-gov"}
	assert.Empty(t, executionRoleARN(req))
	req.params.ExecutionRoleName = "Evaluator"
	assert.Equal(t, "arn:aws-us-gov:iam::123456789012:role/Evaluator", executionRoleARN(req))
}

func TestHandlerCountsCallsThroughCountingClients(t *testing.T) {
	// countingEC2 and countingConfig count every call kind they pass on.
	e := &fakeEC2{
		describeVpcs:         fakeVPCsFrom(pageSize),
		describeVpcEndpoints: fakeEndpointsFrom(pageSize),
		describeSubnets: func(context.Context, *ec2.DescribeSubnetsInput) (*ec2.DescribeSubnetsOutput, error) {
			return &ec2.DescribeSubnetsOutput{}, nil
		},
		describeSecurityGroups: func(context.Context, *ec2.DescribeSecurityGroupsInput) (*ec2.DescribeSecurityGroupsOutput, error) {
			return &ec2.DescribeSecurityGroupsOutput{}, nil
		},
	}
	c := newFakeConfig(t)
	var ec2Calls, configCalls int
	ce := countingEC2{ec2API: e, n: &ec2Calls}
	cc := countingConfig{configAPI: c, n: &configCalls}
	ctx := context.Background()

	_, err := ce.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	require.NoError(t, err)
	_, err = ce.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	require.NoError(t, err)
	_, err = ce.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	require.NoError(t, err)
	_, err = ce.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	require.NoError(t, err)
	_, err = cc.GetComplianceDetailsByConfigRule(ctx, &configservice.GetComplianceDetailsByConfigRuleInput{})
	require.NoError(t, err)
	_, err = cc.PutEvaluations(ctx, &configservice.PutEvaluationsInput{
		ResultToken: aws.String("t"),
		Evaluations: []cfgtypes.Evaluation{{
			ComplianceResourceType: aws.String(fixtureVPCType), ComplianceResourceId: aws.String(fixtureVPCID),
			ComplianceType: cfgtypes.ComplianceTypeCompliant, OrderingTimestamp: aws.Time(fixtureVPCCaptureTime),
		}},
	})
	require.NoError(t, err)

	assert.Equal(t, 4, ec2Calls)
	assert.Equal(t, 2, configCalls)
	assert.Equal(t, 4, e.calls())
	assert.Equal(t, 1, c.putCount())
}

// The production clients func: the function's own clients without a role, clients acting as
// the role otherwise, assumed at once (so a bad role fails as such) and kept for later events.
func TestClientFactoryAssumesExecutionRoles(t *testing.T) {
	var (
		mu      sync.Mutex
		assume  []url.Values
		revoked int
	)
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		assume = append(assume, r.PostForm)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		revokedAgain := false
		if strings.HasSuffix(r.PostForm.Get("RoleArn"), "/Revoked") {
			revoked++
			revokedAgain = revoked > 1
		}
		expiration := "2099-01-01T00:00:00Z"
		if strings.HasSuffix(r.PostForm.Get("RoleArn"), "/Revoked") {
			expiration = "2000-01-01T00:00:00Z" // already expired: the next call refreshes
		}
		if strings.HasSuffix(r.PostForm.Get("RoleArn"), "/Missing") || revokedAgain {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>`+
				`<Code>AccessDenied</Code><Message>not authorized to perform: sts:AssumeRole</Message></Error><RequestId>r1</RequestId></ErrorResponse>`)
			return
		}
		fmt.Fprint(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>`+
			`<Credentials><AccessKeyId>ASIAFAKE</AccessKeyId><SecretAccessKey>fake</SecretAccessKey><SessionToken>fake</SessionToken>`+
			`<Expiration>`+expiration+`</Expiration></Credentials>`+
			`<AssumedRoleUser><Arn>arn:aws:sts::444455556666:assumed-role/ConfigRuleEvaluation/ec2-vpc-endpoint-rule</Arn>`+
			`<AssumedRoleId>AROAFAKE:ec2-vpc-endpoint-rule</AssumedRoleId></AssumedRoleUser>`+
			`</AssumeRoleResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	}))
	defer sts.Close()
	f := newClientFactory(aws.Config{
		Region:       fixtureRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake", ""),
		BaseEndpoint: aws.String(sts.URL),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	})
	ctx := context.Background()
	const role = "arn:aws:iam::444455556666:role/ConfigRuleEvaluation"

	own, err := f.clientsFor(ctx, "")
	require.NoError(t, err)
	// (Clients hold functions, which assert.Equal cannot compare: compare what they hold.)
	same := func(a, b clients) bool { return a.ec2 == b.ec2 && a.config == b.config && a.pace == b.pace }
	assert.True(t, same(f.own, own))
	assert.Empty(t, assume, "no role, no STS call")

	first, err := f.clientsFor(ctx, role)
	require.NoError(t, err)
	assert.False(t, same(f.own, first))
	assert.NotSame(t, f.own.pace, first.pace, "each account its own Route 53 pacer")
	again, err := f.clientsFor(ctx, role)
	require.NoError(t, err)
	assert.True(t, same(first, again), "kept for the next event")
	assert.Nil(t, first.securityHub.api, "no Security Hub client until one is needed")
	assert.Nil(t, f.own.securityHub.api, "no Security Hub client until one is needed")
	assert.NotNil(t, first.securityHub.client())
	assert.Same(t, first.securityHub, again.securityHub)
	require.Len(t, assume, 1)
	assert.Equal(t, "AssumeRole", assume[0].Get("Action"))
	assert.Equal(t, role, assume[0].Get("RoleArn"))
	assert.Equal(t, roleSessionName, assume[0].Get("RoleSessionName"))

	_, err = f.clientsFor(ctx, "arn:aws:iam::444455556666:role/Missing")
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrAccessDenied)
	assert.ErrorContains(t, err, "assume execution role arn:aws:iam::444455556666:role/Missing (rule parameter executionRoleName)")
	assert.ErrorContains(t, err, "needs IAM permission sts:AssumeRole")

	// A role assumed once whose refresh is later denied (its trust removed, its account gone from
	// the organization): the failing call reports the role, not its own permission.
	const revokedRole = "arn:aws:iam::444455556666:role/Revoked"
	c, err := f.clientsFor(ctx, revokedRole)
	require.NoError(t, err)
	_, err = listVPCs(ctx, c.ec2, &ec2.DescribeVpcsInput{})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrAccessDenied)
	assert.ErrorContains(t, err, "ec2:DescribeVpcs: assume execution role "+revokedRole)
	assert.ErrorContains(t, err, "needs IAM permission sts:AssumeRole")
	assert.NotContains(t, err.Error(), "needs IAM permission ec2:DescribeVpcs")
}
