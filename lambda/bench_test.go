package main

// The API-call budget of a periodic sweep, on the paginated path: moto answers every listing in
// one page, so the unit fakes here page as EC2 and Config do (1000 VPCs or endpoints, 100 stored
// results a page). A count is deterministic, so it is asserted; `make bench` prints these lines.

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// benchPages returns ⌈n/size⌉, and 1 for n = 0: a listing costs a call even when it is empty.
func benchPages(n, size int) int {
	return max(1, (n+size-1)/size)
}

// TestBenchSweepCallBudget checks the published bound for a sweep of V VPCs and E endpoints of the
// rule's services: at most ⌈V/1000⌉ + ⌈E/1000⌉ describe calls (at least one each: an empty
// listing is still a call), ⌈N/100⌉ puts for N evaluations (N = V, plus one per VPC that Config
// holds a result for but that no longer exists), and the cleanup pages, ⌈R/100⌉ for R results
// Config holds; with the practice checks on, one listing of subnets and one of security groups.
func TestBenchSweepCallBudget(t *testing.T) {
	tests := []struct {
		name string
		// vpcs and endpoints are the region's; endpoints are all for ec2, spread over the VPCs.
		vpcs, endpoints int
		// held is how many of the VPCs Config holds a result for; gone, how many more results it
		// holds for VPCs that no longer exist.
		held, gone int
		// subnets and groups are listed when params turns on the checks that need them.
		subnets, groups int
		params          string
		// The exact counts: a change is a regression (or an improvement) to look at.
		wantDescribes, wantCleanupPages, wantPuts int
	}{
		{
			name: "first sweep of a large region", vpcs: 2500, endpoints: 3500,
			wantDescribes: 3 + 4, wantCleanupPages: 1, wantPuts: 25,
		},
		{
			name: "later sweep, 250 VPCs gone since", vpcs: 2500, endpoints: 3500, held: 2500, gone: 250,
			wantDescribes: 3 + 4, wantCleanupPages: 28, wantPuts: 28,
		},
		{
			name: "one page each, exactly full", vpcs: 1000, endpoints: 1000, held: 1000,
			wantDescribes: 1 + 1, wantCleanupPages: 10, wantPuts: 10,
		},
		{
			name: "no endpoint anywhere", vpcs: 1001, endpoints: 0,
			wantDescribes: 2 + 1, wantCleanupPages: 1, wantPuts: 11,
		},
		{
			name: "practice checks on", vpcs: 2500, endpoints: 3500, held: 2500, subnets: 1500, groups: 1200,
			params:        `{"requirePrivateDns":"true","minAvailabilityZones":"2","requireHttpsFromVpc":"true","forbidFullAccessPolicy":"true"}`,
			wantDescribes: 3 + 4 + 2 + 2, wantCleanupPages: 25, wantPuts: 25,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, c := benchRegion(tt.vpcs, tt.endpoints, tt.held, tt.gone, tt.subnets, tt.groups)
			c.t = t
			h := newTestHandler(t, e, c)
			h.log = newLogger(fakeLogWriter{t}, "info")
			ev := loadEvent(t, "scheduled.json")
			if tt.params != "" {
				ev.RuleParameters = tt.params
			}

			require.NoError(t, h.Handle(context.Background(), ev))

			describes, cleanup, puts := e.calls(), len(c.detailsCalls), c.putCount()
			maxDescribes := benchPages(tt.vpcs, pageSize) + benchPages(tt.endpoints, pageSize)
			if tt.params != "" {
				maxDescribes += benchPages(tt.subnets, pageSize) + benchPages(tt.groups, pageSize)
			}
			maxCleanup := benchPages(tt.held+tt.gone, awsMaxComplianceDetailsPage)
			maxPuts := benchPages(tt.vpcs+tt.gone, awsMaxEvaluationsPerPut)
			// One line per case, read by `make bench`.
			t.Logf("bench: sweep V=%d E=%d held=%d gone=%d subnets=%d groups=%d describes=%d/%d cleanup=%d/%d puts=%d/%d",
				tt.vpcs, tt.endpoints, tt.held, tt.gone, tt.subnets, tt.groups, describes, maxDescribes, cleanup, maxCleanup, puts, maxPuts)

			assert.LessOrEqual(t, describes, maxDescribes, "describe calls within the bound")
			assert.LessOrEqual(t, cleanup, maxCleanup, "cleanup pages within the bound")
			assert.LessOrEqual(t, puts, maxPuts, "puts within the bound")
			assert.Equal(t, tt.wantDescribes, describes, "describe calls")
			assert.Equal(t, tt.wantCleanupPages, cleanup, "cleanup pages")
			assert.Equal(t, tt.wantPuts, puts, "puts")
			assert.Len(t, c.sent(), tt.vpcs+tt.gone, "one evaluation per VPC and per gone VPC")
		})
	}
}

// benchRegion returns fakes for a region of vpcs VPCs and endpoints ec2 endpoints (spread over
// the VPCs), subnets subnets and groups security groups, paged as EC2 pages them; and a Config
// that holds results for the first held VPCs and for gone VPCs that no longer exist, in pages
// of 100. The Config fake's t is the caller's to set.
func benchRegion(vpcs, endpoints, held, gone, subnets, groups int) (*fakeEC2, *fakeConfig) {
	vpcList := make([]ec2types.Vpc, vpcs)
	for i := range vpcList {
		vpcList[i] = fakeVPC(fmt.Sprintf("vpc-%017x", i), fixtureAccount)
	}
	endpointList := make([]ec2types.VpcEndpoint, endpoints)
	for i := range endpointList {
		ep := fakeEndpoint(fmt.Sprintf("vpce-%017x", i), fmt.Sprintf("vpc-%017x", i%vpcs), fixtureEC2Service, "Interface", "available")
		ep.SubnetIds = []string{fmt.Sprintf("subnet-%017x", i%max(subnets, 1))}
		ep.Groups = []ec2types.SecurityGroupIdentifier{{GroupId: aws.String(fmt.Sprintf("sg-%017x", i%max(groups, 1)))}}
		endpointList[i] = ep
	}
	subnetList := make([]ec2types.Subnet, subnets)
	for i := range subnetList {
		subnetList[i] = ec2types.Subnet{SubnetId: aws.String(fmt.Sprintf("subnet-%017x", i)), AvailabilityZoneId: aws.String(fmt.Sprintf("use1-az%d", i%6+1))}
	}
	groupList := make([]ec2types.SecurityGroup, groups)
	for i := range groupList {
		groupList[i] = ec2types.SecurityGroup{GroupId: aws.String(fmt.Sprintf("sg-%017x", i))}
	}
	e := &fakeEC2{
		describeVpcs:         fakeVPCsFrom(pageSize, vpcList...),
		describeVpcEndpoints: fakeEndpointsFrom(pageSize, endpointList...),
		describeSubnets: func(_ context.Context, in *ec2.DescribeSubnetsInput) (*ec2.DescribeSubnetsOutput, error) {
			page, next, err := fakePage(subnetList, int(aws.ToInt32(in.MaxResults)), in.NextToken)
			return &ec2.DescribeSubnetsOutput{Subnets: page, NextToken: next}, err
		},
		describeSecurityGroups: func(_ context.Context, in *ec2.DescribeSecurityGroupsInput) (*ec2.DescribeSecurityGroupsOutput, error) {
			page, next, err := fakePage(groupList, int(aws.ToInt32(in.MaxResults)), in.NextToken)
			return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: page, NextToken: next}, err
		},
	}

	var results []cfgtypes.EvaluationResult
	for i := range held {
		results = append(results, fakeEvaluationResult(fixtureVPCType, fmt.Sprintf("vpc-%017x", i), cfgtypes.ComplianceTypeCompliant))
	}
	for i := range gone {
		results = append(results, fakeEvaluationResult(fixtureVPCType, fmt.Sprintf("vpc-0e%015x", i), cfgtypes.ComplianceTypeNonCompliant))
	}
	var pages [][]cfgtypes.EvaluationResult
	for start := 0; start < len(results); start += complianceDetailsPageSize {
		pages = append(pages, results[start:min(start+complianceDetailsPageSize, len(results))])
	}
	c := &fakeConfig{}
	c.getComplianceDetails = func(ctx context.Context, in *configservice.GetComplianceDetailsByConfigRuleInput) (*configservice.GetComplianceDetailsByConfigRuleOutput, error) {
		if len(pages) == 0 {
			return &configservice.GetComplianceDetailsByConfigRuleOutput{}, nil
		}
		return fakeComplianceDetailsPages(pages...)(ctx, in)
	}
	return e, c
}
