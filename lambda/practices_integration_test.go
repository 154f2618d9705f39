package main

// Integration tests of the practice checks (requireHttpsFromVpc, requirePrivateDns,
// minAvailabilityZones, forbidFullAccessPolicy) on the wire: the real handler and SDK clients
// against moto and the Config fake, on the rig of integration_test.go. Each check is judged from
// what moto answers (associated CIDR blocks, ingress rules, AZ IDs, policy documents), and the
// calls are counted at the servers.

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/localaws"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// Rule parameters the tests turn the checks on with.
const (
	ptestAllChecks   = `{"requirePrivateDns":"true","minAvailabilityZones":"2","requireHttpsFromVpc":"true","forbidFullAccessPolicy":"true"}`
	ptestHTTPSParams = `{"requireHttpsFromVpc":"true"}`
	ptestDNSParams   = `{"requirePrivateDns":"true"}`
	ptestPolicyParam = `{"forbidFullAccessPolicy":"true"}`
)

// The failures the annotations name, after the endpoint's ID.
const (
	ptestNoHTTPS    = " has no security group allowing TCP 443 from the VPC"
	ptestNoDNS      = " has private DNS disabled"
	ptestFullAccess = " has a full-access policy"
	// ptestS3Policy is an endpoint policy narrower than full access to S3.
	ptestS3Policy    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}]}`
	ptestNoQualifier = "No qualifying Interface endpoint for " + itestEC2 + ": "
	// ptestPasses follows the ID of an endpoint that passed, before the checks it passed.
	ptestPasses = " (" + itestEC2 + ") is an available Interface endpoint (passes "
)

// The two blocks of the VPCs with a secondary CIDR block; every such VPC has both (VPCs may
// overlap), so the ingress rules of the cases can name them.
const (
	ptestPrimary   = "10.1.0.0/16"
	ptestSecondary = "10.2.0.0/16"
)

var (
	ptestOneAZ    = []string{"us-east-1a"}
	ptestTwoAZs   = []string{"us-east-1a", "us-east-1b"}
	ptestThreeAZs = []string{"us-east-1a", "us-east-1b", "us-east-1c"}
)

// ptestIngress is an ingress permission from cidrs; protocol "-1" (all traffic) has no ports.
func ptestIngress(protocol string, from, to int32, cidrs ...string) types.IpPermission {
	p := types.IpPermission{IpProtocol: aws.String(protocol)}
	if protocol != "-1" {
		p.FromPort, p.ToPort = aws.Int32(from), aws.Int32(to)
	}
	for _, c := range cidrs {
		p.IpRanges = append(p.IpRanges, types.IpRange{CidrIp: aws.String(c)})
	}
	return p
}

// ptestVPCItem is the configuration item Config records for a seeded VPC as moto describes it
// now: its CIDR block association set (every block, with its state) included.
func ptestVPCItem(t *testing.T, r *itestRig, v localaws.SeededVPC) map[string]any {
	t.Helper()
	out, err := r.seed.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{VpcIds: []string{v.ID}})
	require.NoError(t, err)
	require.Len(t, out.Vpcs, 1)
	var associations []any
	for _, a := range out.Vpcs[0].CidrBlockAssociationSet {
		associations = append(associations, map[string]any{
			"associationId":  aws.ToString(a.AssociationId),
			"cidrBlock":      aws.ToString(a.CidrBlock),
			"cidrBlockState": map[string]any{"state": string(a.CidrBlockState.State)},
		})
	}
	item := itestVPCItem(v, "OK", itestChangeTime)
	item["configuration"].(map[string]any)["cidrBlockAssociationSet"] = associations
	return item
}

// ptestRun handles ev on a clean slate of recorded calls and stored results, and requires that
// it succeeded and that its puts were accepted.
func ptestRun(t *testing.T, r *itestRig, ev events.ConfigEvent) {
	t.Helper()
	r.resetCalls()
	r.config.Reset()
	require.NoError(t, r.h.Handle(t.Context(), ev))
	itestAssertPuts(t, r.config)
}

// ptestRequests returns the decoded requests for op that moto's front received, Repeats left
// out.
func ptestRequests(r *itestRig, op string) []url.Values {
	var out []url.Values
	for _, c := range r.moto.Calls() {
		if v, ok := c.Input.(url.Values); ok && c.Op == op && !c.Repeat {
			out = append(out, v)
		}
	}
	return out
}

// ptestListed returns the members of a query-protocol list parameter (name.1, name.2, ...).
func ptestListed(v url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		s := v.Get(fmt.Sprintf("%s.%d", name, i))
		if s == "" {
			return out
		}
		out = append(out, s)
	}
}

// ptestTotal returns the number of calls in counts.
func ptestTotal(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// ptestReportedVPC returns the one evaluation reported for VPC id.
func ptestReportedVPC(t *testing.T, r *itestRig, id string) localaws.Evaluation {
	t.Helper()
	for _, e := range itestReported(r.config) {
		if e.ResourceType == rule.ResourceTypeVPC && e.ResourceID == id {
			return e
		}
	}
	require.Failf(t, "no evaluation", "nothing reported for %s", id)
	return localaws.Evaluation{}
}

func TestPracticeHTTPSFromVPC(t *testing.T) {
	r := itestSetup(t)
	both := func(protocol string, from, to int32) []types.IpPermission {
		return []types.IpPermission{ptestIngress(protocol, from, to, "10.0.0.0/8")}
	}
	tests := []struct {
		name     string
		endpoint localaws.EndpointSpec
		want     rule.Compliance
	}{
		{
			// The seeded group allows the primary block only.
			name:     "only the primary block allowed",
			endpoint: localaws.EndpointSpec{HTTPSFromVPC: true},
			want:     rule.NonCompliant,
		},
		{
			name:     "a /8 covers both blocks",
			endpoint: localaws.EndpointSpec{IngressGroups: [][]types.IpPermission{both("tcp", 443, 443)}},
			want:     rule.Compliant,
		},
		{
			// moto merges the two permissions into one with two ranges, as EC2 does.
			name: "one rule per block",
			endpoint: localaws.EndpointSpec{IngressGroups: [][]types.IpPermission{{
				ptestIngress("tcp", 443, 443, ptestPrimary), ptestIngress("tcp", 443, 443, ptestSecondary),
			}}},
			want: rule.Compliant,
		},
		{
			name: "one group per block",
			endpoint: localaws.EndpointSpec{IngressGroups: [][]types.IpPermission{
				{ptestIngress("tcp", 443, 443, ptestPrimary)}, {ptestIngress("tcp", 443, 443, ptestSecondary)},
			}},
			want: rule.Compliant,
		},
		{
			name:     "a rule referencing a security group",
			endpoint: localaws.EndpointSpec{HTTPSFromGroup: true},
			want:     rule.Compliant,
		},
		{
			name:     "port 80 only",
			endpoint: localaws.EndpointSpec{IngressGroups: [][]types.IpPermission{both("tcp", 80, 80)}},
			want:     rule.NonCompliant,
		},
		{
			name:     "all traffic (protocol -1)",
			endpoint: localaws.EndpointSpec{IngressGroups: [][]types.IpPermission{both("-1", 0, 0)}},
			want:     rule.Compliant,
		},
		{
			name:     "tcp 0-65535",
			endpoint: localaws.EndpointSpec{IngressGroups: [][]types.IpPermission{both("tcp", 0, 65535)}},
			want:     rule.Compliant,
		},
		{
			// moto answers "tcp" for a rule authorized as protocol 6.
			name:     "protocol number 6",
			endpoint: localaws.EndpointSpec{IngressGroups: [][]types.IpPermission{both("6", 443, 443)}},
			want:     rule.Compliant,
		},
		{
			name:     "udp 443",
			endpoint: localaws.EndpointSpec{IngressGroups: [][]types.IpPermission{both("udp", 443, 443)}},
			want:     rule.NonCompliant,
		},
		{
			// Halves of each block, in two groups: together they cover both.
			name: "halves that together cover each block",
			endpoint: localaws.EndpointSpec{IngressGroups: [][]types.IpPermission{
				{ptestIngress("tcp", 443, 443, "10.1.0.0/17", "10.2.128.0/17")},
				{ptestIngress("tcp", 443, 443, "10.1.128.0/17", "10.2.0.0/17")},
			}},
			want: rule.Compliant,
		},
		{
			name:     "halves with a quarter missing",
			endpoint: localaws.EndpointSpec{IngressGroups: [][]types.IpPermission{{ptestIngress("tcp", 443, 443, "10.1.0.0/17", "10.1.128.0/18", ptestSecondary)}}},
			want:     rule.NonCompliant,
		},
		{
			name:     "a range inside the primary block",
			endpoint: localaws.EndpointSpec{IngressGroups: [][]types.IpPermission{{ptestIngress("tcp", 443, 443, "10.1.0.0/24", ptestSecondary)}}},
			want:     rule.NonCompliant,
		},
	}
	specs := make([]localaws.VPCSpec, len(tests))
	for i, tt := range tests {
		ep := tt.endpoint
		ep.Service, ep.PrivateDNS = itestEC2, true
		specs[i] = localaws.VPCSpec{Name: tt.name, CIDR: ptestPrimary, SecondaryCIDRs: []string{ptestSecondary}, AZs: ptestOneAZ, Endpoints: []localaws.EndpointSpec{ep}}
	}
	vpcs := r.seedVPCs(t, specs...)

	// What moto answers, which the cases rely on: the secondary block is associated at once
	// (AssociateVpcCidrBlock answers "associating", DescribeVpcs "associated" right after) ...
	described, err := r.seed.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{VpcIds: []string{vpcs[tests[0].name].ID}})
	require.NoError(t, err)
	require.Len(t, described.Vpcs, 1)
	blocks := make(map[string]types.VpcCidrBlockStateCode)
	for _, a := range described.Vpcs[0].CidrBlockAssociationSet {
		blocks[aws.ToString(a.CidrBlock)] = a.CidrBlockState.State
	}
	require.Equal(t, map[string]types.VpcCidrBlockStateCode{ptestPrimary: "associated", ptestSecondary: "associated"}, blocks)
	// ... an all-traffic rule is protocol "-1" without ports, and protocol 6 reads back as "tcp".
	rulesOf := func(name string) []types.IpPermission {
		groups, err := r.seed.DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{GroupIds: vpcs[name].Endpoints[0].SecurityGroupIDs})
		require.NoError(t, err)
		require.Len(t, groups.SecurityGroups, 1)
		return groups.SecurityGroups[0].IpPermissions
	}
	allTraffic := rulesOf("all traffic (protocol -1)")
	require.Len(t, allTraffic, 1)
	require.Equal(t, "-1", aws.ToString(allTraffic[0].IpProtocol))
	require.Nil(t, allTraffic[0].FromPort)
	require.Nil(t, allTraffic[0].ToPort)
	tcp := rulesOf("protocol number 6")
	require.Len(t, tcp, 1)
	require.Equal(t, "tcp", aws.ToString(tcp[0].IpProtocol))
	perBlock := rulesOf("one rule per block")
	require.Len(t, perBlock, 1)
	require.Len(t, perBlock[0].IpRanges, 2)

	want := func(name string) itestWant {
		v := vpcs[name]
		ep := v.Endpoints[0].ID
		for _, tt := range tests {
			if tt.name == name && tt.want == rule.NonCompliant {
				return itestVPC(v.ID, rule.NonCompliant, ptestNoQualifier+ep+ptestNoHTTPS+".")
			}
		}
		return itestVPC(v.ID, rule.Compliant, ep+ptestPasses+"HTTPS from VPC).")
	}

	t.Run("sweep", func(t *testing.T) {
		ptestRun(t, r, itestScheduled(t, itestSweepTime, ptestHTTPSParams))
		wants := []itestWant{itestVPC(r.defaultVPC(t), rule.NonCompliant, "No Interface endpoint for "+itestEC2)}
		for _, tt := range tests {
			wants = append(wants, want(tt.name))
		}
		itestAssertEvaluations(t, itestReported(r.config), itestSweepTime, wants...)
		// The VPCs' blocks come from DescribeVpcs; only the groups are read besides, once.
		assert.Equal(t, map[string]int{
			"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "DescribeSecurityGroups": 1,
			"GetComplianceDetailsByConfigRule": 1, "PutEvaluations": 1,
		}, r.calls())
	})
	for _, tt := range tests {
		// The blocks come from the configuration item's association set.
		t.Run("VPC change/"+tt.name, func(t *testing.T) {
			v := vpcs[tt.name]
			ptestRun(t, r, itestChange(t, ptestVPCItem(t, r, v), ptestHTTPSParams))
			itestAssertEvaluations(t, itestReported(r.config), itestChangeTime, want(tt.name))
			assert.Equal(t, map[string]int{"DescribeVpcEndpoints": 1, "DescribeSecurityGroups": 1, "PutEvaluations": 1}, r.calls())
			reqs := ptestRequests(r, "DescribeSecurityGroups")
			require.Len(t, reqs, 1)
			assert.ElementsMatch(t, v.Endpoints[0].SecurityGroupIDs, ptestListed(reqs[0], "GroupId"), "groups asked for")
		})
	}
}

func TestPracticePrivateDNS(t *testing.T) {
	r := itestSetup(t)
	vpcs := r.seedVPCs(t,
		localaws.VPCSpec{Name: "private DNS on", AZs: ptestOneAZ, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, PrivateDNS: true}}},
		localaws.VPCSpec{Name: "private DNS off", AZs: ptestOneAZ, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, PrivateDNS: false}}},
	)
	for name, enabled := range map[string]bool{"private DNS on": true, "private DNS off": false} {
		out, err := r.seed.DescribeVpcEndpoints(t.Context(), &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{vpcs[name].Endpoints[0].ID}})
		require.NoError(t, err)
		require.Len(t, out.VpcEndpoints, 1)
		require.Equal(t, enabled, aws.ToBool(out.VpcEndpoints[0].PrivateDnsEnabled), "moto's PrivateDnsEnabled of %s", name)
	}

	tests := []struct {
		name   string
		params string
		vpc    string
		want   itestWant
	}{
		{name: "check on, private DNS on", params: ptestDNSParams, vpc: "private DNS on", want: itestWant{compliance: rule.Compliant, annotation: []string{"(passes private DNS)"}}},
		{name: "check on, private DNS off", params: ptestDNSParams, vpc: "private DNS off", want: itestWant{compliance: rule.NonCompliant, annotation: []string{ptestNoDNS + "."}}},
		{name: "check off, private DNS off", params: `{"requirePrivateDns":"false"}`, vpc: "private DNS off", want: itestWant{compliance: rule.Compliant, annotation: []string{" is an available Interface endpoint."}}},
		{name: "check unset, private DNS off", params: "", vpc: "private DNS off", want: itestWant{compliance: rule.Compliant, annotation: []string{" is an available Interface endpoint."}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := vpcs[tt.vpc]
			w := tt.want
			w.resourceType, w.id = rule.ResourceTypeVPC, v.ID
			w.annotation = append([]string{v.Endpoints[0].ID}, w.annotation...)
			ptestRun(t, r, itestChange(t, itestVPCItem(v, "OK", itestChangeTime), tt.params))
			itestAssertEvaluations(t, itestReported(r.config), itestChangeTime, w)
			// Private DNS comes with the endpoint: no read beyond the endpoints.
			assert.Equal(t, map[string]int{"DescribeVpcEndpoints": 1, "PutEvaluations": 1}, r.calls())
		})
	}
}

func TestPracticeAvailabilityZones(t *testing.T) {
	r := itestSetup(t)
	vpcs := r.seedVPCs(t,
		localaws.VPCSpec{Name: "one AZ", AZs: ptestOneAZ, Endpoints: []localaws.EndpointSpec{{Service: itestEC2}}},
		localaws.VPCSpec{Name: "two AZs", AZs: ptestTwoAZs, Endpoints: []localaws.EndpointSpec{{Service: itestEC2}}},
		localaws.VPCSpec{Name: "three AZs", AZs: ptestThreeAZs, Endpoints: []localaws.EndpointSpec{{Service: itestEC2}}},
		// The endpoint's subnets count, not the VPC's.
		localaws.VPCSpec{Name: "two of three AZs", AZs: ptestThreeAZs, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, Subnets: []int{0, 2}}}},
	)

	// moto answers each subnet's AZ name and ID (us-east-1a, b, c are use1-az6, az1, az2); the
	// function reads the ID, which names the same AZ in every account.
	subnets, err := r.seed.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{SubnetIds: vpcs["three AZs"].SubnetIDs})
	require.NoError(t, err)
	zoneIDs := make(map[string]string)
	for _, s := range subnets.Subnets {
		require.NotEmpty(t, aws.ToString(s.AvailabilityZoneId), "AZ ID of %s", aws.ToString(s.SubnetId))
		zoneIDs[aws.ToString(s.AvailabilityZone)] = aws.ToString(s.AvailabilityZoneId)
	}
	require.Len(t, zoneIDs, 3)
	require.Len(t, slices.Compact(slices.Sorted(maps.Values(zoneIDs))), 3, "distinct AZ IDs: %v", zoneIDs)
	t.Logf("moto's AZ IDs: %v", zoneIDs)

	type verdict struct {
		compliance rule.Compliance
		annotation string
	}
	tests := []struct {
		min  int
		want map[string]verdict
	}{
		{min: 2, want: map[string]verdict{
			"one AZ":           {rule.NonCompliant, " spans 1 AZ (needs 2)."},
			"two AZs":          {rule.Compliant, ptestPasses + "AZ spread)."},
			"three AZs":        {rule.Compliant, ptestPasses + "AZ spread)."},
			"two of three AZs": {rule.Compliant, ptestPasses + "AZ spread)."},
		}},
		{min: 3, want: map[string]verdict{
			"one AZ":           {rule.NonCompliant, " spans 1 AZ (needs 3)."},
			"two AZs":          {rule.NonCompliant, " spans 2 AZs (needs 3)."},
			"three AZs":        {rule.Compliant, ptestPasses + "AZ spread)."},
			"two of three AZs": {rule.NonCompliant, " spans 2 AZs (needs 3)."},
		}},
	}
	for _, tt := range tests {
		params := fmt.Sprintf(`{"minAvailabilityZones":"%d"}`, tt.min)
		wantFor := func(name string) itestWant {
			v := vpcs[name]
			return itestVPC(v.ID, tt.want[name].compliance, v.Endpoints[0].ID+tt.want[name].annotation)
		}
		t.Run(fmt.Sprintf("min %d/sweep", tt.min), func(t *testing.T) {
			ptestRun(t, r, itestScheduled(t, itestSweepTime, params))
			wants := []itestWant{itestVPC(r.defaultVPC(t), rule.NonCompliant, itestNoEC2)}
			for name := range tt.want {
				wants = append(wants, wantFor(name))
			}
			itestAssertEvaluations(t, itestReported(r.config), itestSweepTime, wants...)
			assert.Equal(t, map[string]int{
				"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "DescribeSubnets": 1,
				"GetComplianceDetailsByConfigRule": 1, "PutEvaluations": 1,
			}, r.calls())
		})
		for _, name := range slices.Sorted(maps.Keys(tt.want)) {
			t.Run(fmt.Sprintf("min %d/VPC change/%s", tt.min, name), func(t *testing.T) {
				v := vpcs[name]
				ptestRun(t, r, itestChange(t, itestVPCItem(v, "OK", itestChangeTime), params))
				itestAssertEvaluations(t, itestReported(r.config), itestChangeTime, wantFor(name))
				assert.Equal(t, map[string]int{"DescribeVpcEndpoints": 1, "DescribeSubnets": 1, "PutEvaluations": 1}, r.calls())
				reqs := ptestRequests(r, "DescribeSubnets")
				require.Len(t, reqs, 1)
				assert.ElementsMatch(t, v.Endpoints[0].SubnetIDs, ptestListed(reqs[0], "SubnetId"), "subnets asked for")
			})
		}
	}
}

func TestPracticeFullAccessPolicy(t *testing.T) {
	r := itestSetup(t)
	tests := []struct {
		name   string
		policy string
		want   rule.Compliance
	}{
		{
			// moto's default: {"Version": "2008-10-17", "Statement": [{"Effect": "Allow",
			// "Principal": "*", "Action": "*", "Resource": "*"}]}, as AWS's.
			name: "moto's default policy",
			want: rule.NonCompliant,
		},
		{
			name:   "specific actions",
			policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["ec2:Describe*","ec2:CreateTags"],"Resource":"*"}]}`,
			want:   rule.Compliant,
		},
		{
			name:   "every action for the principals of one account (condition)",
			policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"` + itestAccount + `"}}}]}`,
			want:   rule.Compliant,
		},
		{
			name:   `principal {"AWS":"*"} with action "*"`,
			policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*","Resource":"*"}]}`,
			want:   rule.NonCompliant,
		},
		{
			name:   "wildcards as lists and ec2:*",
			policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["ec2:*"],"Resource":["*"]}]}`,
			want:   rule.NonCompliant,
		},
		{
			name:   "NotAction of another service's actions only",
			policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","NotAction":"s3:*","Resource":"*"}]}`,
			want:   rule.NonCompliant,
		},
		{
			name:   "allow everything, deny everything but EC2",
			policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","NotAction":"ec2:*","Resource":"*"}]}`,
			want:   rule.NonCompliant,
		},
		{
			name:   "every EC2 resource of the region as an ARN pattern",
			policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:*","Resource":"arn:aws:ec2:us-east-1:*:*"}]}`,
			want:   rule.NonCompliant,
		},
		{
			// A Deny of some of the service's actions makes the policy narrower than full
			// access: the parameter forbids the default policy and its equivalents.
			name:   "allow everything, deny some actions",
			policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"ec2:Delete*","Resource":"*"}]}`,
			want:   rule.Compliant,
		},
	}
	specs := make([]localaws.VPCSpec, len(tests))
	for i, tt := range tests {
		specs[i] = localaws.VPCSpec{Name: tt.name, AZs: ptestOneAZ, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, Policy: tt.policy}}}
	}
	vpcs := r.seedVPCs(t, specs...)

	// moto keeps a given document verbatim, and writes AWS's full-access default otherwise.
	for _, tt := range tests {
		out, err := r.seed.DescribeVpcEndpoints(t.Context(), &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{vpcs[tt.name].Endpoints[0].ID}})
		require.NoError(t, err)
		require.Len(t, out.VpcEndpoints, 1)
		doc := aws.ToString(out.VpcEndpoints[0].PolicyDocument)
		if tt.policy != "" {
			require.Equal(t, tt.policy, doc, "policy of %s", tt.name)
			continue
		}
		require.JSONEq(t, `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, doc)
	}

	want := func(name string, c rule.Compliance) itestWant {
		v := vpcs[name]
		ep := v.Endpoints[0].ID
		if c == rule.NonCompliant {
			return itestVPC(v.ID, c, ptestNoQualifier+ep+ptestFullAccess+".")
		}
		return itestVPC(v.ID, c, ep+ptestPasses+"scoped policy).")
	}
	t.Run("sweep", func(t *testing.T) {
		ptestRun(t, r, itestScheduled(t, itestSweepTime, ptestPolicyParam))
		wants := []itestWant{itestVPC(r.defaultVPC(t), rule.NonCompliant, itestNoEC2)}
		for _, tt := range tests {
			wants = append(wants, want(tt.name, tt.want))
		}
		itestAssertEvaluations(t, itestReported(r.config), itestSweepTime, wants...)
		// The policy comes with the endpoint: no subnet or group is read.
		assert.Equal(t, map[string]int{
			"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "GetComplianceDetailsByConfigRule": 1, "PutEvaluations": 1,
		}, r.calls())
	})
	for _, tt := range tests {
		t.Run("VPC change/"+tt.name, func(t *testing.T) {
			ptestRun(t, r, itestChange(t, itestVPCItem(vpcs[tt.name], "OK", itestChangeTime), ptestPolicyParam))
			itestAssertEvaluations(t, itestReported(r.config), itestChangeTime, want(tt.name, tt.want))
			assert.Equal(t, map[string]int{"DescribeVpcEndpoints": 1, "PutEvaluations": 1}, r.calls())
		})
	}
}

func TestPracticeAnnotation(t *testing.T) {
	r := itestSetup(t)
	// An endpoint failing every check: no group, private DNS off, one AZ, the default policy.
	failing := localaws.EndpointSpec{Service: itestEC2}
	vpcs := r.seedVPCs(t,
		localaws.VPCSpec{Name: "one failing endpoint", AZs: ptestOneAZ, Endpoints: []localaws.EndpointSpec{failing}},
		localaws.VPCSpec{Name: "three failing endpoints", AZs: ptestOneAZ, Endpoints: []localaws.EndpointSpec{failing, failing, failing}},
		// Only the AZ spread and the policy fail here: they are named in that order.
		localaws.VPCSpec{Name: "AZ and policy failing", AZs: ptestOneAZ, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, PrivateDNS: true, HTTPSFromVPC: true}}},
	)
	params := `{"requirePrivateDns":"true","minAvailabilityZones":"3","requireHttpsFromVpc":"true","forbidFullAccessPolicy":"true"}`
	everyFailure := ptestNoHTTPS + "," + ptestNoDNS + ", spans 1 AZ (needs 3)," + ptestFullAccess

	tests := []struct {
		vpc string
		// exact is the whole annotation; prefix its start when it is cut.
		exact, prefix string
	}{
		{vpc: "one failing endpoint", exact: ptestNoQualifier + vpcs["one failing endpoint"].Endpoints[0].ID + everyFailure + "."},
		{vpc: "three failing endpoints", prefix: ptestNoQualifier + vpcs["three failing endpoints"].Endpoints[0].ID + everyFailure + "; " + vpcs["three failing endpoints"].Endpoints[1].ID},
		{vpc: "AZ and policy failing", exact: ptestNoQualifier + vpcs["AZ and policy failing"].Endpoints[0].ID + " spans 1 AZ (needs 3)," + ptestFullAccess + "."},
	}
	check := func(t *testing.T, got string, exact, prefix string) {
		t.Helper()
		assert.LessOrEqual(t, utf8.RuneCountInString(got), awsMaxAnnotationLength)
		if exact != "" {
			assert.Equal(t, exact, got)
			return
		}
		assert.True(t, strings.HasPrefix(got, prefix), "annotation %q starts with %q", got, prefix)
		assert.True(t, strings.HasSuffix(got, "…"), "annotation %q is marked as cut", got)
	}
	t.Run("sweep", func(t *testing.T) {
		ptestRun(t, r, itestScheduled(t, itestSweepTime, params))
		for _, tt := range tests {
			e := ptestReportedVPC(t, r, vpcs[tt.vpc].ID)
			assert.Equal(t, string(rule.NonCompliant), e.Compliance)
			check(t, e.Annotation, tt.exact, tt.prefix)
		}
	})
	for _, tt := range tests {
		t.Run("VPC change/"+tt.vpc, func(t *testing.T) {
			ptestRun(t, r, itestChange(t, itestVPCItem(vpcs[tt.vpc], "OK", itestChangeTime), params))
			e := ptestReportedVPC(t, r, vpcs[tt.vpc].ID)
			assert.Equal(t, string(rule.NonCompliant), e.Compliance)
			check(t, e.Annotation, tt.exact, tt.prefix)
		})
	}
}

func TestPracticeChangeEventCost(t *testing.T) {
	r := itestSetup(t)
	vpcs := r.seedVPCs(t, localaws.VPCSpec{Name: "every practice", AZs: ptestTwoAZs, Endpoints: []localaws.EndpointSpec{
		{Service: itestEC2, PrivateDNS: true, HTTPSFromVPC: true, Policy: itestScopedPolicy},
		// Another service's endpoint is not listed, so its subnets and groups are not read.
		{Service: itestMessage, PrivateDNS: true, HTTPSFromVPC: true},
	}})
	v := vpcs["every practice"]
	ep := v.Endpoints[0]
	vpcEvent := func(params string) events.ConfigEvent {
		return itestChange(t, itestVPCItem(v, "OK", itestChangeTime), params)
	}
	endpointEvent := func(params string) events.ConfigEvent {
		return itestChange(t, itestEndpointItem(v, ep, "OK", itestChangeTime), params)
	}
	oversized := func(item map[string]any) events.ConfigEvent {
		ev := itestOversized(t, item)
		ev.RuleParameters = ptestAllChecks
		return ev
	}

	tests := []struct {
		name  string
		event events.ConfigEvent
		calls map[string]int
	}{
		{
			name:  "VPC change, every check on",
			event: vpcEvent(ptestAllChecks),
			calls: map[string]int{"DescribeVpcEndpoints": 1, "DescribeSubnets": 1, "DescribeSecurityGroups": 1, "PutEvaluations": 1},
		},
		{
			name:  "endpoint change, every check on",
			event: endpointEvent(ptestAllChecks),
			calls: map[string]int{"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "DescribeSubnets": 1, "DescribeSecurityGroups": 1, "PutEvaluations": 1},
		},
		{
			name:  "oversized VPC change, every check on",
			event: oversized(itestVPCItem(v, "OK", itestChangeTime)),
			calls: map[string]int{"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "DescribeSubnets": 1, "DescribeSecurityGroups": 1, "PutEvaluations": 1},
		},
		{
			// The endpoint is found in one listing of the checked services' endpoints, which also
			// holds its VPC's.
			name:  "oversized endpoint change, every check on",
			event: oversized(itestEndpointItem(v, ep, "OK", itestChangeTime)),
			calls: map[string]int{"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "DescribeSubnets": 1, "DescribeSecurityGroups": 1, "PutEvaluations": 1},
		},
		{
			name:  "VPC change, checks off",
			event: vpcEvent(""),
			calls: map[string]int{"DescribeVpcEndpoints": 1, "PutEvaluations": 1},
		},
		{
			name:  "endpoint change, checks off",
			event: endpointEvent(`{"requirePrivateDns":"false","minAvailabilityZones":"1","requireHttpsFromVpc":"false","forbidFullAccessPolicy":"false"}`),
			calls: map[string]int{"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "PutEvaluations": 1},
		},
		{
			name:  "VPC change, private DNS and policy checks only",
			event: vpcEvent(`{"requirePrivateDns":"true","forbidFullAccessPolicy":"true"}`),
			calls: map[string]int{"DescribeVpcEndpoints": 1, "PutEvaluations": 1},
		},
		{
			name:  "VPC change, AZ check only",
			event: vpcEvent(`{"minAvailabilityZones":"2"}`),
			calls: map[string]int{"DescribeVpcEndpoints": 1, "DescribeSubnets": 1, "PutEvaluations": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ptestRun(t, r, tt.event)
			e := ptestReportedVPC(t, r, v.ID)
			assert.Equal(t, string(rule.Compliant), e.Compliance, e.Annotation)
			assert.Contains(t, e.Annotation, ep.ID)
			assert.Equal(t, tt.calls, r.calls())
			assert.LessOrEqual(t, ptestTotal(r.calls()), 5, "a change event stays within five calls")
			// A change event asks for the endpoint's own subnets and groups by ID, in one page.
			for _, req := range ptestRequests(r, "DescribeSubnets") {
				assert.ElementsMatch(t, ep.SubnetIDs, ptestListed(req, "SubnetId"))
				assert.Empty(t, req.Get("MaxResults"))
			}
			for _, req := range ptestRequests(r, "DescribeSecurityGroups") {
				assert.ElementsMatch(t, ep.SecurityGroupIDs, ptestListed(req, "GroupId"))
				assert.Empty(t, req.Get("MaxResults"))
			}
		})
	}
}

func TestPracticeSweepCost(t *testing.T) {
	for _, n := range []int{1, 6} {
		t.Run(fmt.Sprintf("%d VPCs", n), func(t *testing.T) {
			r := itestSetup(t)
			specs := make([]localaws.VPCSpec, n)
			for i := range specs {
				specs[i] = localaws.VPCSpec{Name: fmt.Sprintf("vpc-%d", i), AZs: ptestTwoAZs, Endpoints: []localaws.EndpointSpec{
					{Service: itestEC2, PrivateDNS: true, HTTPSFromVPC: true, Policy: itestScopedPolicy},
				}}
				if i%2 == 1 {
					// Half the VPCs have a second, secondary block and a group allowing both.
					specs[i].SecondaryCIDRs = []string{fmt.Sprintf("100.64.%d.0/24", i)}
					specs[i].Endpoints[0].HTTPSFromVPC = false
					specs[i].Endpoints[0].IngressGroups = [][]types.IpPermission{{ptestIngress("tcp", 443, 443, "0.0.0.0/0")}}
				}
				if i%3 == 2 {
					// And some a second endpoint for the service, referencing a clients' group.
					specs[i].Endpoints = append(specs[i].Endpoints, localaws.EndpointSpec{Service: itestEC2, PrivateDNS: true, HTTPSFromGroup: true, Policy: itestScopedPolicy})
				}
			}
			vpcs := r.seedVPCs(t, specs...)
			r.resetCalls()

			require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweepTime, ptestAllChecks)))

			wants := []itestWant{itestVPC(r.defaultVPC(t), rule.NonCompliant, itestNoEC2)}
			for _, v := range vpcs {
				wants = append(wants, itestVPC(v.ID, rule.Compliant, v.Endpoints[0].ID, "passes private DNS, AZ spread, HTTPS from VPC, scoped policy"))
			}
			itestAssertEvaluations(t, itestReported(r.config), itestSweepTime, wants...)
			itestAssertPuts(t, r.config)
			// One listing each, whatever the number of VPCs and endpoints.
			assert.Equal(t, map[string]int{
				"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "DescribeSubnets": 1, "DescribeSecurityGroups": 1,
				"GetComplianceDetailsByConfigRule": 1, "PutEvaluations": 1,
			}, r.calls())
			// A sweep lists every subnet and group in pages, naming none.
			for _, op := range []struct{ name, list string }{{"DescribeSubnets", "SubnetId"}, {"DescribeSecurityGroups", "GroupId"}} {
				reqs := ptestRequests(r, op.name)
				require.Len(t, reqs, 1)
				assert.Empty(t, ptestListed(reqs[0], op.list), op.name)
				assert.Equal(t, "1000", reqs[0].Get("MaxResults"), op.name)
			}
		})
	}
}

// TestPracticeReplacedEndpoint covers a VPC whose endpoint was replaced: the old one, deleted,
// is still listed (EC2 lists deleted endpoints for a while; moto keeps them) with a subnet and a
// group that are gone. A change event must not ask for them, or EC2 answers NotFound and the
// evaluation fails on every retry.
func TestPracticeReplacedEndpoint(t *testing.T) {
	r := itestSetup(t)
	vpcs := r.seedVPCs(t, localaws.VPCSpec{Name: "replaced", AZs: ptestThreeAZs, Endpoints: []localaws.EndpointSpec{
		{Service: itestEC2, Subnets: []int{2}, IngressGroups: [][]types.IpPermission{{ptestIngress("tcp", 443, 443, "10.0.0.0/8")}}, Deleted: true},
		{Service: itestEC2, PrivateDNS: true, HTTPSFromVPC: true, Policy: itestScopedPolicy, Subnets: []int{0, 1}},
	}})
	v := vpcs["replaced"]
	old, current := v.Endpoints[0], v.Endpoints[1]
	_, err := r.seed.DeleteSecurityGroup(t.Context(), &ec2.DeleteSecurityGroupInput{GroupId: aws.String(old.SecurityGroupIDs[0])})
	require.NoError(t, err)
	_, err = r.seed.DeleteSubnet(t.Context(), &ec2.DeleteSubnetInput{SubnetId: aws.String(old.SubnetIDs[0])})
	require.NoError(t, err)
	listed, err := r.seed.DescribeVpcEndpoints(t.Context(), &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{old.ID}})
	require.NoError(t, err)
	require.Len(t, listed.VpcEndpoints, 1)
	// EC2 (and moto) answer states in lower case; the SDK's enum constants are capitalized.
	require.Equal(t, "deleted", string(listed.VpcEndpoints[0].State))
	require.Equal(t, old.SubnetIDs, listed.VpcEndpoints[0].SubnetIds, "moto lists the deleted endpoint with its subnet")

	for _, tt := range []struct {
		name  string
		event events.ConfigEvent
		calls map[string]int
	}{
		{
			name:  "VPC change",
			event: itestChange(t, itestVPCItem(v, "OK", itestChangeTime), ptestAllChecks),
			calls: map[string]int{"DescribeVpcEndpoints": 1, "DescribeSubnets": 1, "DescribeSecurityGroups": 1, "PutEvaluations": 1},
		},
		{
			name:  "new endpoint's change",
			event: itestChange(t, itestEndpointItem(v, current, "ResourceDiscovered", itestChangeTime), ptestAllChecks),
			calls: map[string]int{"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "DescribeSubnets": 1, "DescribeSecurityGroups": 1, "PutEvaluations": 1},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ptestRun(t, r, tt.event)
			e := ptestReportedVPC(t, r, v.ID)
			assert.Equal(t, string(rule.Compliant), e.Compliance, e.Annotation)
			assert.Contains(t, e.Annotation, current.ID)
			assert.Equal(t, tt.calls, r.calls())
			for _, req := range ptestRequests(r, "DescribeSubnets") {
				assert.ElementsMatch(t, current.SubnetIDs, ptestListed(req, "SubnetId"))
			}
			for _, req := range ptestRequests(r, "DescribeSecurityGroups") {
				assert.ElementsMatch(t, current.SecurityGroupIDs, ptestListed(req, "GroupId"))
			}
		})
	}
}

// TestPracticeHTTPSFromGroupOfAnotherVPC: a rule that references a group of another VPC (a
// transit gateway's security-group referencing, like peering) admits that VPC's clients, not
// this one's. EC2 names the referenced group's VPC in the pair (UserIdGroupPair.VpcId, "the ID
// of the VPC for the referenced security group, if applicable", EC2 API reference); moto keeps it.
func TestPracticeHTTPSFromGroupOfAnotherVPC(t *testing.T) {
	r := itestSetup(t)
	spoke := r.seedVPCs(t, localaws.VPCSpec{Name: "spoke", CIDR: "10.9.0.0/16"})["spoke"]
	clients, err := r.seed.CreateSecurityGroup(t.Context(), &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("spoke-clients"), Description: aws.String("clients in the spoke"), VpcId: aws.String(spoke.ID),
	})
	require.NoError(t, err)
	fromSpoke := types.IpPermission{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
		UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: clients.GroupId, VpcId: aws.String(spoke.ID)}},
	}
	v := r.seedVPCs(t, localaws.VPCSpec{Name: "hub", CIDR: ptestPrimary, AZs: ptestOneAZ, Endpoints: []localaws.EndpointSpec{{
		Service: itestEC2, PrivateDNS: true, IngressGroups: [][]types.IpPermission{{fromSpoke}},
	}}})["hub"]
	groups, err := r.seed.DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{GroupIds: v.Endpoints[0].SecurityGroupIDs})
	require.NoError(t, err)
	require.Len(t, groups.SecurityGroups, 1)
	require.Len(t, groups.SecurityGroups[0].IpPermissions, 1)
	pairs := groups.SecurityGroups[0].IpPermissions[0].UserIdGroupPairs
	require.Len(t, pairs, 1)
	require.Equal(t, spoke.ID, aws.ToString(pairs[0].VpcId), "moto keeps the pair's VpcId")

	wantHub := itestVPC(v.ID, rule.NonCompliant, ptestNoQualifier+v.Endpoints[0].ID+ptestNoHTTPS+".")
	t.Run("VPC change", func(t *testing.T) {
		ptestRun(t, r, itestChange(t, ptestVPCItem(t, r, v), ptestHTTPSParams))
		itestAssertEvaluations(t, itestReported(r.config), itestChangeTime, wantHub)
	})
	t.Run("sweep", func(t *testing.T) {
		ptestRun(t, r, itestScheduled(t, itestSweepTime, ptestHTTPSParams))
		assert.Equal(t, wantHub.annotation[0], ptestReportedVPC(t, r, v.ID).Annotation)
		assert.Equal(t, string(rule.NonCompliant), ptestReportedVPC(t, r, v.ID).Compliance)
	})
}

// TestPracticeGatewayEndpoints: for a service that offers Gateway endpoints (s3, dynamodb), an
// available one counts, as it does for the managed rule vpc-endpoint-enabled; the checks that
// only an Interface endpoint can pass (private DNS, AZs, security groups) do not apply to it,
// the policy check does. EC2 offers none, so an EC2.10 verdict is unchanged.
func TestPracticeGatewayEndpoints(t *testing.T) {
	r := itestSetup(t)
	s3 := "com.amazonaws.us-east-1.s3"
	gateway := func(policy string) localaws.EndpointSpec {
		return localaws.EndpointSpec{Service: s3, Type: types.VpcEndpointTypeGateway, Policy: policy}
	}
	vpcs := r.seedVPCs(t,
		localaws.VPCSpec{Name: "s3-gateway", Endpoints: []localaws.EndpointSpec{gateway(ptestS3Policy)}},
		localaws.VPCSpec{Name: "s3-gateway-full-access", Endpoints: []localaws.EndpointSpec{gateway("")}},
		localaws.VPCSpec{Name: "ec2-gateway", Endpoints: []localaws.EndpointSpec{{Service: itestEC2, Type: types.VpcEndpointTypeGateway}}},
	)
	ep := func(name string) string { return vpcs[name].Endpoints[0].ID }
	params := `{"serviceNames":"s3","requirePrivateDns":"true","minAvailabilityZones":"2","requireHttpsFromVpc":"true","forbidFullAccessPolicy":"true"}`

	ptestRun(t, r, itestScheduled(t, itestSweepTime, params))
	assert.Equal(t, localaws.Evaluation{
		ResourceType: rule.ResourceTypeVPC, ResourceID: vpcs["s3-gateway"].ID, Compliance: string(rule.Compliant), OrderingTime: itestSweepTime,
		Annotation: ep("s3-gateway") + " (" + s3 + ") is an available Gateway endpoint (passes scoped policy).",
	}, ptestReportedVPC(t, r, vpcs["s3-gateway"].ID))
	assert.Equal(t, "No qualifying Interface or Gateway endpoint for "+s3+": "+ep("s3-gateway-full-access")+ptestFullAccess+".",
		ptestReportedVPC(t, r, vpcs["s3-gateway-full-access"].ID).Annotation)

	ptestRun(t, r, itestScheduled(t, itestSweepTime, ""))
	assert.Equal(t, ptestNoQualifier+ep("ec2-gateway")+" is type Gateway, not Interface.", ptestReportedVPC(t, r, vpcs["ec2-gateway"].ID).Annotation,
		"EC2 offers no Gateway endpoint")
}
