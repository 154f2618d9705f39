package main

// Integration tests of the remediate command on the wire: the command, with real SDK clients,
// against moto (EC2, STS, Route 53, CloudFormation) behind the front that counts calls and
// emulates private DNS as AWS serves it (localaws.Moto.EmulatePrivateDNS). Each starting point
// is fixed and then audited with every practice check on, as the rule would; a re-run must
// change nothing, counted at the wire.

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/localaws"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/remediate"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// rtestPolicy is the least-privilege policy the tests give with --policy-file.
const rtestPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["ec2:Describe*"],"Resource":"*"}]}`

// The rule parameters of the audit after a fix: every practice check (the policy check only
// where the fix was given a policy).
const (
	rtestChecks       = `{"requirePrivateDns":"true","minAvailabilityZones":"2","requireHttpsFromVpc":"true"}`
	rtestChecksPolicy = `{"requirePrivateDns":"true","minAvailabilityZones":"2","requireHttpsFromVpc":"true","forbidFullAccessPolicy":"true"}`
)

// rtestWrites are the operations that change something.
var rtestWrites = []string{"ModifyVpcAttribute", "CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "CreateVpcEndpoint", "ModifyVpcEndpoint"}

// rtestSetup is the integration rig with the command's environment pointed at moto's front.
func rtestSetup(t *testing.T) *itestRig {
	r := itestSetup(t)
	r.moto.EmulatePrivateDNS()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_REGION": itestRegion, "AWS_PROFILE": "",
		"AWS_ENDPOINT_URL_EC2": r.moto.URL, "AWS_ENDPOINT_URL_STS": r.moto.URL, "AWS_ENDPOINT_URL_ROUTE_53": r.moto.URL,
	} {
		t.Setenv(k, v)
	}
	return r
}

// rtestRun runs the remediate command with args on a clean slate of recorded calls.
func rtestRun(t *testing.T, r *itestRig, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	r.resetCalls()
	var out, errOut bytes.Buffer
	code = runRemediate(t.Context(), "bootstrap", args, &out, &errOut)
	t.Logf("remediate %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	return out.String(), errOut.String(), code
}

// rtestWritesMade returns the changing operations since the last run, by operation.
func rtestWritesMade(r *itestRig) map[string]int {
	out := map[string]int{}
	for op, n := range r.moto.Operations() {
		if slices.Contains(rtestWrites, op) {
			out[op] = n
		}
	}
	return out
}

// rtestAudit evaluates the VPC with the audit's code and the given rule parameters.
func rtestAudit(t *testing.T, r *itestRig, vpcID, params string) rule.Result {
	t.Helper()
	p, err := rule.ParseParams(params, itestRegion)
	require.NoError(t, err)
	// Through the front, whose private DNS is AWS's (see localaws.Moto.EmulatePrivateDNS).
	_, results, err := evaluateRegion(t.Context(), readers{ec2API: localaws.EC2Client(rtestConfig(t), r.moto.URL)}, p, rule.Scope{Region: itestRegion, AccountID: itestAccount})
	require.NoError(t, err)
	for _, res := range results {
		if res.ResourceID == vpcID {
			return res
		}
	}
	t.Fatalf("no result for %s", vpcID)
	return rule.Result{}
}

// rtestDNS turns on the VPC's DNS attributes, as a VPC made for endpoints has them.
func rtestDNS(t *testing.T, r *itestRig, vpcID string) {
	t.Helper()
	on := &types.AttributeBooleanValue{Value: aws.Bool(true)}
	for _, in := range []*ec2.ModifyVpcAttributeInput{{VpcId: aws.String(vpcID), EnableDnsSupport: on}, {VpcId: aws.String(vpcID), EnableDnsHostnames: on}} {
		_, err := r.seed.ModifyVpcAttribute(t.Context(), in)
		require.NoError(t, err)
	}
}

// rtestPublic gives the subnet a route table with a default route to an internet gateway.
func rtestPublic(t *testing.T, r *itestRig, vpcID, subnetID string) {
	t.Helper()
	ctx := t.Context()
	igw, err := r.seed.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	require.NoError(t, err)
	igwID := igw.InternetGateway.InternetGatewayId
	_, err = r.seed.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igwID, VpcId: aws.String(vpcID)})
	require.NoError(t, err)
	rt, err := r.seed.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(vpcID)})
	require.NoError(t, err)
	_, err = r.seed.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rt.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: igwID})
	require.NoError(t, err)
	_, err = r.seed.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: aws.String(subnetID)})
	require.NoError(t, err)
}

func rtestEndpoints(t *testing.T, r *itestRig, vpcID string) []types.VpcEndpoint {
	t.Helper()
	out, err := r.seed.DescribeVpcEndpoints(t.Context(), &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	require.NoError(t, err)
	return slices.DeleteFunc(out.VpcEndpoints, func(e types.VpcEndpoint) bool { return e.State == "deleted" })
}

func TestRemediateOnTheWire(t *testing.T) {
	r := rtestSetup(t)
	policyFile := filepath.Join(t.TempDir(), "policy.json")
	require.NoError(t, os.WriteFile(policyFile, []byte(rtestPolicy), 0o600))

	t.Run("no endpoint", func(t *testing.T) {
		v := r.seedVPCs(t, localaws.VPCSpec{Name: "none", AZs: ptestThreeAZs})["none"]
		rtestDNS(t, r, v.ID)
		rtestPublic(t, r, v.ID, v.SubnetIDs[0]) // us-east-1a is public: the endpoint goes to b and c

		out, _, code := rtestRun(t, r, "--vpc-id", v.ID, "--policy-file", policyFile)
		assert.Equal(t, exitFinding, code, "a plan with changes, not applied")
		assert.Contains(t, out, "+ create Interface endpoint for "+itestEC2)
		assert.Empty(t, rtestWritesMade(r), "without --apply, Describe calls only")
		assert.Equal(t, rule.NonCompliant, rtestAudit(t, r, v.ID, rtestChecksPolicy).Compliance)

		_, _, code = rtestRun(t, r, "--vpc-id", v.ID, "--policy-file", policyFile, "--apply")
		assert.Equal(t, exitOK, code)
		assert.Equal(t, map[string]int{"CreateSecurityGroup": 1, "AuthorizeSecurityGroupIngress": 1, "CreateVpcEndpoint": 1}, rtestWritesMade(r))
		create := ptestRequests(r, "CreateVpcEndpoint")
		require.Len(t, create, 1)
		assert.NotEmpty(t, create[0].Get("ClientToken"), "a retried create is safe")
		assert.Equal(t, []string{v.SubnetIDs[1], v.SubnetIDs[2]}, ptestListed(create[0], "SubnetId"), "private subnets first")
		res := rtestAudit(t, r, v.ID, rtestChecksPolicy)
		assert.Equal(t, rule.Compliant, res.Compliance, res.Annotation)
		assert.Contains(t, res.Annotation, "(passes private DNS, AZ spread, HTTPS from VPC, scoped policy)")

		out, _, code = rtestRun(t, r, "--vpc-id", v.ID, "--policy-file", policyFile, "--apply")
		assert.Equal(t, exitOK, code)
		assert.Contains(t, out, "Nothing to change")
		assert.Empty(t, rtestWritesMade(r), "a re-run changes nothing")
		assert.Len(t, rtestEndpoints(t, r, v.ID), 1, "no second endpoint")
	})

	t.Run("an endpoint in one AZ behind a closed group", func(t *testing.T) {
		v := r.seedVPCs(t, localaws.VPCSpec{Name: "closed", AZs: ptestTwoAZs, Endpoints: []localaws.EndpointSpec{
			{Service: itestEC2, Subnets: []int{0}, IngressGroups: [][]types.IpPermission{nil}},
		}})["closed"]
		rtestDNS(t, r, v.ID)
		before := rtestAudit(t, r, v.ID, rtestChecks)
		require.Equal(t, rule.NonCompliant, before.Compliance)

		_, _, code := rtestRun(t, r, "--vpc-id", v.ID, "--apply")
		assert.Equal(t, exitOK, code)
		assert.Equal(t, map[string]int{"CreateSecurityGroup": 1, "AuthorizeSecurityGroupIngress": 1, "ModifyVpcEndpoint": 1}, rtestWritesMade(r), "fixed in place, not doubled")
		modify := ptestRequests(r, "ModifyVpcEndpoint")
		require.Len(t, modify, 1)
		assert.Equal(t, v.Endpoints[0].ID, modify[0].Get("VpcEndpointId"))
		assert.Equal(t, "true", modify[0].Get("PrivateDnsEnabled"))
		assert.Equal(t, []string{v.SubnetIDs[1]}, ptestListed(modify[0], "AddSubnetId"))
		res := rtestAudit(t, r, v.ID, rtestChecks)
		assert.Equal(t, rule.Compliant, res.Compliance, res.Annotation)
		assert.Len(t, rtestEndpoints(t, r, v.ID), 1)

		_, _, code = rtestRun(t, r, "--vpc-id", v.ID, "--apply")
		assert.Equal(t, exitOK, code)
		assert.Empty(t, rtestWritesMade(r), "a re-run changes nothing")
	})

	t.Run("DNS attributes off", func(t *testing.T) {
		v := r.seedVPCs(t, localaws.VPCSpec{Name: "nodns", AZs: ptestTwoAZs})["nodns"]
		// moto's new VPCs have enableDnsHostnames off, as AWS's do.
		_, stderr, code := rtestRun(t, r, "--vpc-id", v.ID, "--apply")
		assert.Equal(t, exitFailed, code)
		assert.Contains(t, stderr, "has enableDnsHostnames off")
		assert.Contains(t, stderr, "--enable-vpc-dns")
		assert.Empty(t, rtestWritesMade(r), "a refusal changes nothing")

		_, _, code = rtestRun(t, r, "--vpc-id", v.ID, "--apply", "--enable-vpc-dns")
		assert.Equal(t, exitOK, code)
		assert.Equal(t, map[string]int{"ModifyVpcAttribute": 1, "CreateSecurityGroup": 1, "AuthorizeSecurityGroupIngress": 1, "CreateVpcEndpoint": 1}, rtestWritesMade(r))
		res := rtestAudit(t, r, v.ID, rtestChecks)
		assert.Equal(t, rule.Compliant, res.Compliance, res.Annotation)
	})

	t.Run("two CIDR blocks", func(t *testing.T) {
		v := r.seedVPCs(t, localaws.VPCSpec{Name: "two", CIDR: ptestPrimary, SecondaryCIDRs: []string{ptestSecondary}, AZs: ptestTwoAZs})["two"]
		rtestDNS(t, r, v.ID)
		_, _, code := rtestRun(t, r, "--vpc-id", v.ID, "--apply")
		assert.Equal(t, exitOK, code)
		ingress := ptestRequests(r, "AuthorizeSecurityGroupIngress")
		require.Len(t, ingress, 1)
		assert.Equal(t, "443", ingress[0].Get("IpPermissions.1.FromPort"))
		assert.Equal(t, []string{ptestPrimary, ptestSecondary}, []string{ingress[0].Get("IpPermissions.1.IpRanges.1.CidrIp"), ingress[0].Get("IpPermissions.1.IpRanges.2.CidrIp")})
		assert.Empty(t, ingress[0].Get("IpPermissions.1.IpRanges.3.CidrIp"), "and no more")
		res := rtestAudit(t, r, v.ID, rtestChecks)
		assert.Equal(t, rule.Compliant, res.Compliance, res.Annotation)

		// A third block later: the group found by its name gets it; nothing else changes.
		_, err := r.seed.AssociateVpcCidrBlock(t.Context(), &ec2.AssociateVpcCidrBlockInput{VpcId: aws.String(v.ID), CidrBlock: aws.String("10.3.0.0/16")})
		require.NoError(t, err)
		require.Equal(t, rule.NonCompliant, rtestAudit(t, r, v.ID, rtestChecks).Compliance)
		_, _, code = rtestRun(t, r, "--vpc-id", v.ID, "--apply")
		assert.Equal(t, exitOK, code)
		assert.Equal(t, map[string]int{"AuthorizeSecurityGroupIngress": 1}, rtestWritesMade(r))
		assert.Equal(t, rule.Compliant, rtestAudit(t, r, v.ID, rtestChecks).Compliance)
	})

	t.Run("a central endpoint's zone", func(t *testing.T) {
		v := r.seedVPCs(t, localaws.VPCSpec{Name: "central", AZs: ptestTwoAZs})["central"]
		rtestDNS(t, r, v.ID)
		zones := route53.NewFromConfig(rtestConfig(t), func(o *route53.Options) { o.BaseEndpoint = aws.String(r.moto.ServerURL) })
		_, err := zones.CreateHostedZone(t.Context(), &route53.CreateHostedZoneInput{
			Name: aws.String("ec2.us-east-1.amazonaws.com"), CallerReference: aws.String(v.ID),
			HostedZoneConfig: &r53types.HostedZoneConfig{PrivateZone: true},
			VPC:              &r53types.VPC{VPCId: aws.String(v.ID), VPCRegion: r53types.VPCRegionUsEast1},
		})
		require.NoError(t, err)
		_, stderr, code := rtestRun(t, r, "--vpc-id", v.ID, "--apply")
		assert.Equal(t, exitFailed, code)
		assert.Contains(t, stderr, "private hosted zone ec2.us-east-1.amazonaws.com")
		assert.Contains(t, stderr, "central endpoint")
		assert.Empty(t, rtestWritesMade(r))
		assert.Equal(t, 1, r.moto.Operations()["ListHostedZonesByVPC"], "the zones are read once")
		assert.Equal(t, rule.NonCompliant, rtestAudit(t, r, v.ID, rtestChecks).Compliance, "the documented refusal")
	})

	t.Run("a missing permission is named", func(t *testing.T) {
		v := r.seedVPCs(t, localaws.VPCSpec{Name: "denied", AZs: ptestTwoAZs})["denied"]
		rtestDNS(t, r, v.ID)
		r.moto.OnCall(func(op string, _ int) *localaws.Fault {
			if op == "CreateVpcEndpoint" {
				return &localaws.Fault{Code: "UnauthorizedOperation", Status: 403}
			}
			return nil
		})
		t.Cleanup(func() { r.moto.OnCall(nil) })
		out, stderr, code := rtestRun(t, r, "--vpc-id", v.ID, "--apply")
		assert.Equal(t, exitFailed, code)
		assert.Contains(t, stderr, "the caller needs IAM permission "+remediate.ActionCreateVPCEndpoint)
		assert.Contains(t, out, remediate.ActionCreateSecurityGroup+" sg-", "what was done before is said")
	})

	t.Run("bad flags", func(t *testing.T) {
		for args, want := range map[string]string{
			"":               "--vpc-id is required",
			"--vpc-id vpc-1": `invalid value "vpc-1" for --vpc-id: give one VPC ID`,
			"--vpc-id vpc-0123456789abcdef0,vpc-1a2b3c4d":               "give one VPC ID",
			"--vpc-id vpc-0123456789abcdef0 --availability-zones 33":    "invalid value for --availability-zones",
			"--vpc-id vpc-0123456789abcdef0 --output json":              `invalid value "json" for --output`,
			"--vpc-id vpc-0123456789abcdef0 --apply --output terraform": "--apply changes the VPC",
			"--vpc-id vpc-0123456789abcdef0 --service-names ec2,,ssm":   "invalid value for --service-names",
			"--vpc-id vpc-0123456789abcdef0":                            "VPC not found: vpc-0123456789abcdef0 in us-east-1",
		} {
			_, stderr, code := rtestRun(t, r, strings.Fields(args)...)
			assert.Equal(t, exitFailed, code, args)
			assert.Contains(t, stderr, want, args)
		}
		// A full service name for the configured region is fine without --region; another
		// region's is not.
		_, stderr, code := rtestRun(t, r, "--vpc-id", "vpc-0123456789abcdef0", "--service-names", itestEC2)
		assert.Equal(t, exitFailed, code)
		assert.Contains(t, stderr, "VPC not found", "the name was accepted")
		_, stderr, _ = rtestRun(t, r, "--vpc-id", "vpc-0123456789abcdef0", "--service-names", itestEC2West)
		assert.Contains(t, stderr, "invalid value for --service-names")
		full := filepath.Join(t.TempDir(), "full.json")
		require.NoError(t, os.WriteFile(full, []byte(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`), 0o600))
		_, stderr, code = rtestRun(t, r, "--vpc-id", "vpc-0123456789abcdef0", "--policy-file", full)
		assert.Equal(t, exitFailed, code)
		assert.Contains(t, stderr, "--policy-file "+full+": it grants full access to ec2")
		assert.Empty(t, r.moto.Operations(), "bad input makes no call")
	})
}

// The CloudFormation the command writes, deployed into moto's CloudFormation, makes the VPC
// COMPLIANT; the Terraform names the same resources.
func TestRemediateAsCode(t *testing.T) {
	r := rtestSetup(t)
	v := r.seedVPCs(t, localaws.VPCSpec{Name: "code", AZs: ptestTwoAZs})["code"]
	rtestDNS(t, r, v.ID)

	tf, _, code := rtestRun(t, r, "--vpc-id", v.ID, "--output", "terraform")
	assert.Equal(t, exitFinding, code)
	assert.Contains(t, tf, `resource "aws_vpc_endpoint" "ec2"`)
	assert.Contains(t, tf, `resource "aws_security_group" "vpc_endpoint_https"`)
	for _, s := range v.SubnetIDs {
		assert.Contains(t, tf, `"`+s+`"`)
	}
	assert.Empty(t, rtestWritesMade(r))

	tpl, _, code := rtestRun(t, r, "--vpc-id", v.ID, "--output", "cloudformation")
	assert.Equal(t, exitFinding, code)
	assert.Empty(t, rtestWritesMade(r), "writing code changes nothing")

	cfn := cloudformation.NewFromConfig(rtestConfig(t), func(o *cloudformation.Options) { o.BaseEndpoint = aws.String(r.moto.ServerURL) })
	_, err := cfn.CreateStack(t.Context(), &cloudformation.CreateStackInput{StackName: aws.String("fix-" + v.ID), TemplateBody: aws.String(tpl)})
	require.NoError(t, err)
	stack, err := cfn.DescribeStacks(t.Context(), &cloudformation.DescribeStacksInput{StackName: aws.String("fix-" + v.ID)})
	require.NoError(t, err)
	require.Len(t, stack.Stacks, 1)
	assert.Equal(t, cfntypes.StackStatusCreateComplete, stack.Stacks[0].StackStatus, aws.ToString(stack.Stacks[0].StackStatusReason))

	res := rtestAudit(t, r, v.ID, rtestChecks)
	assert.Equal(t, rule.Compliant, res.Compliance, res.Annotation)
	_, _, code = rtestRun(t, r, "--vpc-id", v.ID)
	assert.Equal(t, exitOK, code, "the command agrees: nothing left to do")
}

func rtestConfig(t *testing.T) aws.Config {
	cfg, err := localaws.AWSConfig(t.Context(), itestRegion)
	require.NoError(t, err)
	return cfg
}
