package rule_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// awsMaxAnnotationLength is PutEvaluations' limit on an annotation (AWS Config API reference,
// Evaluation: "Annotation", 1 to 256 characters), written as AWS's number so that a wrong
// rule.MaxAnnotationLength fails the tests.
const awsMaxAnnotationLength = 256

const (
	testRegion   = "us-east-1"
	testAccount  = "111122223333"
	otherAccount = "444455556666"
	testVPCID    = "vpc-0a1b2c3d4e5f60718"
	otherVPCID   = "vpc-1a2b3c4d"

	ec2Service    = "com.amazonaws.us-east-1.ec2"
	noEC2Endpoint = "No Interface endpoint for " + ec2Service + ": create one with private DNS in subnets of several AZs."
)

var testScope = rule.Scope{Region: testRegion, AccountID: testAccount}

// testVPC returns the VPC most cases evaluate: owned by the evaluated account, untagged.
func testVPC() rule.VPC {
	return rule.VPC{ID: testVPCID, OwnerID: testAccount, CIDRBlocks: []string{"10.0.0.0/16"}}
}

// interfaceEndpoint returns an Interface endpoint of testVPCID.
func interfaceEndpoint(id, serviceName, state string) rule.Endpoint {
	return rule.Endpoint{ID: id, VPCID: testVPCID, ServiceName: serviceName, Type: "Interface", State: state}
}

// gatewayEndpoint returns an endpoint of testVPCID of type Gateway, or GatewayLoadBalancer for
// an ID ending in "glb".
func gatewayEndpoint(id, serviceName, state, policy string) rule.Endpoint {
	ep := rule.Endpoint{ID: id, VPCID: testVPCID, ServiceName: serviceName, Type: "Gateway", State: state, PolicyDocument: policy}
	if strings.HasSuffix(id, "glb") {
		ep.Type = "GatewayLoadBalancer"
	}
	return ep
}

// scopedS3Policy is an endpoint policy narrower than full access to S3.
const scopedS3Policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}]}`

// parseParams parses raw for testRegion; a test whose parameters do not parse is itself wrong.
func parseParams(t *testing.T, raw string) rule.Params {
	t.Helper()
	p, err := rule.ParseParams(raw, testRegion)
	require.NoError(t, err, "parameters %s", raw)
	return p
}

// vpcResult returns the Result for testVPCID.
func vpcResult(c rule.Compliance, annotation string) rule.Result {
	return rule.Result{ResourceType: rule.ResourceTypeVPC, ResourceID: testVPCID, Compliance: c, Annotation: annotation}
}

func TestEvaluate(t *testing.T) {
	gateway := interfaceEndpoint("vpce-0gateway", ec2Service, "available")
	gateway.Type = "Gateway"
	otherVPC := interfaceEndpoint("vpce-0othervpc", ec2Service, "available")
	otherVPC.VPCID = otherVPCID
	tagged := func(tags map[string]string) rule.VPC {
		v := testVPC()
		v.Tags = tags
		return v
	}
	shared := testVPC()
	shared.OwnerID = otherAccount
	ownerUnknown := testVPC()
	ownerUnknown.OwnerID = ""

	tests := []struct {
		name      string
		vpc       rule.VPC
		endpoints []rule.Endpoint
		params    string // ruleParameters JSON
		scope     rule.Scope
		want      rule.Result
	}{
		{
			name:      "available ec2 interface endpoint is compliant",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{interfaceEndpoint("vpce-0ec2", ec2Service, "available")},
			want:      vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint."),
		},
		{
			name: "no endpoint",
			vpc:  testVPC(),
			want: vpcResult(rule.NonCompliant, noEC2Endpoint),
		},
		{
			name:      "ec2messages is another service, not a substring match",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{interfaceEndpoint("vpce-0msgs", "com.amazonaws.us-east-1.ec2messages", "available")},
			want:      vpcResult(rule.NonCompliant, noEC2Endpoint),
		},
		{
			name:      "endpoint of another VPC is ignored",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{otherVPC},
			want:      vpcResult(rule.NonCompliant, noEC2Endpoint),
		},
		{
			name:      "endpoint to another region's ec2 does not count",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{interfaceEndpoint("vpce-0west", "com.amazonaws.us-west-2.ec2", "available")},
			want:      vpcResult(rule.NonCompliant, noEC2Endpoint),
		},
		{
			name:      "FIPS endpoint counts",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{interfaceEndpoint("vpce-0fips", "com.amazonaws.us-east-1.ec2-fips", "available")},
			want:      vpcResult(rule.Compliant, "vpce-0fips (com.amazonaws.us-east-1.ec2-fips) is an available Interface endpoint."),
		},
		{
			name:      "China partition name counts in a China region",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{interfaceEndpoint("vpce-0cn", "cn.com.amazonaws.cn-north-1.ec2", "available")},
			scope:     rule.Scope{Region: "cn-north-1", AccountID: testAccount},
			want:      vpcResult(rule.Compliant, "vpce-0cn (cn.com.amazonaws.cn-north-1.ec2) is an available Interface endpoint."),
		},
		{
			name:      "common name counts in a China region",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{interfaceEndpoint("vpce-0cn", "com.amazonaws.cn-north-1.ec2", "available")},
			scope:     rule.Scope{Region: "cn-north-1", AccountID: testAccount},
			want:      vpcResult(rule.Compliant, "vpce-0cn (com.amazonaws.cn-north-1.ec2) is an available Interface endpoint."),
		},
		{
			name:      "China partition name does not count in another region",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{interfaceEndpoint("vpce-0cn", "cn.com.amazonaws.cn-north-1.ec2", "available")},
			want:      vpcResult(rule.NonCompliant, noEC2Endpoint),
		},
		{
			// AWS CDK, aws-ec2/lib/vpc-endpoint.ts, getDefaultEndpointPrefix: ec2 in us-iso-*
			// is gov.ic.c2s.<region>.ec2, in us-isob-east-1 gov.sgov.sc2s.<region>.ec2.
			name:      "ISO partition name counts in an ISO region",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{interfaceEndpoint("vpce-0iso", "gov.ic.c2s.us-iso-east-1.ec2", "available")},
			scope:     rule.Scope{Region: "us-iso-east-1", AccountID: testAccount},
			want:      vpcResult(rule.Compliant, "vpce-0iso (gov.ic.c2s.us-iso-east-1.ec2) is an available Interface endpoint."),
		},
		{
			name:      "ISO-B partition name counts in an ISO-B region",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{interfaceEndpoint("vpce-0isob", "gov.sgov.sc2s.us-isob-east-1.ec2", "available")},
			scope:     rule.Scope{Region: "us-isob-east-1", AccountID: testAccount},
			want:      vpcResult(rule.Compliant, "vpce-0isob (gov.sgov.sc2s.us-isob-east-1.ec2) is an available Interface endpoint."),
		},
		{
			name:      "another ISO partition's name does not count",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{interfaceEndpoint("vpce-0isob", "gov.sgov.sc2s.us-iso-east-1.ec2", "available")},
			scope:     rule.Scope{Region: "us-iso-east-1", AccountID: testAccount},
			want:      vpcResult(rule.NonCompliant, "No Interface endpoint for gov.ic.c2s.us-iso-east-1.ec2: create one with private DNS in subnets of several AZs."),
		},
		{
			name:  "the fix names the service as an ISO-B region spells it",
			vpc:   testVPC(),
			scope: rule.Scope{Region: "us-isob-east-1", AccountID: testAccount},
			want:  vpcResult(rule.NonCompliant, "No Interface endpoint for gov.sgov.sc2s.us-isob-east-1.ec2: create one with private DNS in subnets of several AZs."),
		},
		{
			name:  "the fix names the service as China spells it",
			vpc:   testVPC(),
			scope: rule.Scope{Region: "cn-north-1", AccountID: testAccount},
			want:  vpcResult(rule.NonCompliant, "No Interface endpoint for cn.com.amazonaws.cn-north-1.ec2: create one with private DNS in subnets of several AZs."),
		},
		{
			name:      "a failing endpoint's fix names the service as China spells it",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{interfaceEndpoint("vpce-0cn", "cn.com.amazonaws.cn-northwest-1.ec2", "pending")},
			scope:     rule.Scope{Region: "cn-northwest-1", AccountID: testAccount},
			want:      vpcResult(rule.NonCompliant, "No qualifying Interface endpoint for cn.com.amazonaws.cn-northwest-1.ec2: vpce-0cn is pending."),
		},
		{
			name:      "Gateway endpoint does not count and is named",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{gateway},
			want:      vpcResult(rule.NonCompliant, "No qualifying Interface endpoint for com.amazonaws.us-east-1.ec2: vpce-0gateway is type Gateway, not Interface."),
		},
		{
			// The managed rule vpc-endpoint-enabled counts a Gateway endpoint for the services
			// that offer one; AWS CDK's GatewayVpcEndpointAwsService lists s3, dynamodb and
			// s3express.
			name:      "Gateway endpoint counts for s3",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{gatewayEndpoint("vpce-0s3gw", "com.amazonaws.us-east-1.s3", "available", "")},
			params:    `{"serviceNames": "s3"}`,
			want:      vpcResult(rule.Compliant, "vpce-0s3gw (com.amazonaws.us-east-1.s3) is an available Gateway endpoint."),
		},
		{
			// Private DNS, AZs and security groups are an Interface endpoint's; a Gateway
			// endpoint has none and is not held to them. The policy check applies.
			name:      "Interface-only checks do not apply to a Gateway endpoint, the policy check does",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{gatewayEndpoint("vpce-0s3gw", "com.amazonaws.us-east-1.s3", "available", scopedS3Policy)},
			params:    `{"serviceNames": "s3", "requirePrivateDns": "true", "minAvailabilityZones": "2", "requireHttpsFromVpc": "true", "forbidFullAccessPolicy": "true"}`,
			want:      vpcResult(rule.Compliant, "vpce-0s3gw (com.amazonaws.us-east-1.s3) is an available Gateway endpoint (passes scoped policy)."),
		},
		{
			name:      "a Gateway endpoint with a full-access policy fails the policy check",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{gatewayEndpoint("vpce-0s3gw", "com.amazonaws.us-east-1.s3", "available", "")},
			params:    `{"serviceNames": "s3", "requirePrivateDns": "true", "forbidFullAccessPolicy": "true"}`,
			want:      vpcResult(rule.NonCompliant, "No qualifying Interface or Gateway endpoint for com.amazonaws.us-east-1.s3: vpce-0s3gw has a full-access policy."),
		},
		{
			name:      "a pending Gateway endpoint does not count",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{gatewayEndpoint("vpce-0ddbgw", "com.amazonaws.us-east-1.dynamodb", "pending", "")},
			params:    `{"serviceNames": "dynamodb"}`,
			want:      vpcResult(rule.NonCompliant, "No qualifying Interface or Gateway endpoint for com.amazonaws.us-east-1.dynamodb: vpce-0ddbgw is pending."),
		},
		{
			name:   "no endpoint for a service that offers Gateway endpoints",
			vpc:    testVPC(),
			params: `{"serviceNames": "dynamodb"}`,
			want: vpcResult(rule.NonCompliant, "No Interface or Gateway endpoint for com.amazonaws.us-east-1.dynamodb: "+
				"create a Gateway endpoint, or an Interface one with private DNS in subnets of several AZs."),
		},
		{
			name:      "an Interface endpoint for s3 is held to the Interface checks",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{interfaceEndpoint("vpce-0s3if", "com.amazonaws.us-east-1.s3", "available")},
			params:    `{"serviceNames": "s3", "requirePrivateDns": "true"}`,
			want:      vpcResult(rule.NonCompliant, "No qualifying Interface or Gateway endpoint for com.amazonaws.us-east-1.s3: vpce-0s3if has private DNS disabled."),
		},
		{
			name:      "a Gateway Load Balancer endpoint is neither",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{gatewayEndpoint("vpce-0glb", "com.amazonaws.us-east-1.s3", "available", "")},
			params:    `{"serviceNames": "s3"}`,
			want:      vpcResult(rule.NonCompliant, "No qualifying Interface or Gateway endpoint for com.amazonaws.us-east-1.s3: vpce-0glb is type GatewayLoadBalancer, not Interface or Gateway."),
		},
		{
			name:      "a Gateway endpoint for s3 and an Interface one for ec2",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{gatewayEndpoint("vpce-0s3gw", "com.amazonaws.us-east-1.s3", "available", ""), interfaceEndpoint("vpce-0ec2", ec2Service, "available")},
			params:    `{"serviceNames": "ec2, s3"}`,
			want: vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint. "+
				"vpce-0s3gw (com.amazonaws.us-east-1.s3) is an available Gateway endpoint."),
		},
		{
			name: "endpoint without type or state is reported as unknown",
			vpc:  testVPC(),
			endpoints: []rule.Endpoint{
				{ID: "vpce-0bare", VPCID: testVPCID, ServiceName: ec2Service},
				interfaceEndpoint("vpce-0nostate", ec2Service, ""),
			},
			want: vpcResult(rule.NonCompliant, "No qualifying Interface endpoint for com.amazonaws.us-east-1.ec2: vpce-0bare is type unknown, not Interface, is unknown; vpce-0nostate is unknown."),
		},
		{
			name: "one qualifying endpoint among several",
			vpc:  testVPC(),
			endpoints: []rule.Endpoint{
				interfaceEndpoint("vpce-0pending", ec2Service, "pending"),
				gateway,
				otherVPC,
				interfaceEndpoint("vpce-0msgs", "com.amazonaws.us-east-1.ec2messages", "available"),
				interfaceEndpoint("vpce-0good", ec2Service, "available"),
				interfaceEndpoint("vpce-0second", ec2Service, "available"),
			},
			want: vpcResult(rule.Compliant, "vpce-0good (com.amazonaws.us-east-1.ec2) is an available Interface endpoint."),
		},
		{
			name: "several failing endpoints are all named",
			vpc:  testVPC(),
			endpoints: []rule.Endpoint{
				interfaceEndpoint("vpce-0pending", ec2Service, "pending"),
				gateway,
				interfaceEndpoint("vpce-0failed", ec2Service, "failed"),
			},
			want: vpcResult(rule.NonCompliant, "No qualifying Interface endpoint for com.amazonaws.us-east-1.ec2: vpce-0pending is pending; vpce-0gateway is type Gateway, not Interface; vpce-0failed is failed."),
		},
		{
			name:      "several services with one missing names the missing one",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{interfaceEndpoint("vpce-0ec2", ec2Service, "available")},
			params:    `{"serviceNames": "ec2, ecr.api"}`,
			want:      vpcResult(rule.NonCompliant, "No Interface endpoint for com.amazonaws.us-east-1.ecr.api: create one with private DNS in subnets of several AZs."),
		},
		{
			name: "several services all present",
			vpc:  testVPC(),
			endpoints: []rule.Endpoint{
				interfaceEndpoint("vpce-0ecr", "com.amazonaws.us-east-1.ecr.api", "available"),
				interfaceEndpoint("vpce-0ec2", ec2Service, "available"),
			},
			params: `{"serviceNames": "ec2, ecr.api"}`,
			want: vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint. "+
				"vpce-0ecr (com.amazonaws.us-east-1.ecr.api) is an available Interface endpoint."),
		},
		{
			name:      "several services all missing names each, in parameter order",
			vpc:       testVPC(),
			endpoints: []rule.Endpoint{interfaceEndpoint("vpce-0ecr", "com.amazonaws.us-east-1.ecr.api", "pending")},
			params:    `{"serviceNames": "ecr.api, ec2"}`,
			want: vpcResult(rule.NonCompliant, "No qualifying Interface endpoint for com.amazonaws.us-east-1.ecr.api: vpce-0ecr is pending. "+
				noEC2Endpoint),
		},
		{
			name: "shared VPC is evaluated in its owner's account",
			vpc:  shared,
			want: vpcResult(rule.NotApplicable, "Shared VPC owned by account 444455556666; it is evaluated in its owner's account."),
		},
		{
			name: "VPC of unknown owner is evaluated",
			vpc:  ownerUnknown,
			want: vpcResult(rule.NonCompliant, noEC2Endpoint),
		},
		{
			name:  "scope without account evaluates every VPC",
			vpc:   shared,
			scope: rule.Scope{Region: testRegion},
			want:  vpcResult(rule.NonCompliant, noEC2Endpoint),
		},
		{
			name:   "VPC listed in vpcIds is evaluated",
			vpc:    testVPC(),
			params: `{"vpcIds": "vpc-1a2b3c4d, vpc-0a1b2c3d4e5f60718"}`,
			want:   vpcResult(rule.NonCompliant, noEC2Endpoint),
		},
		{
			name:   "VPC not listed in vpcIds is not applicable",
			vpc:    testVPC(),
			params: `{"vpcIds": "vpc-1a2b3c4d"}`,
			want:   vpcResult(rule.NotApplicable, "VPC is not listed in the rule parameter vpcIds."),
		},
		{
			name:   "exemptTag key present exempts whatever its value",
			vpc:    tagged(map[string]string{"ec2-10-exempt": ""}),
			params: `{"exemptTag": "ec2-10-exempt"}`,
			want:   vpcResult(rule.NotApplicable, "Exempted by tag ec2-10-exempt (rule parameter exemptTag)."),
		},
		{
			name:   "exemptTag key absent",
			vpc:    tagged(map[string]string{"Name": "prod"}),
			params: `{"exemptTag": "ec2-10-exempt"}`,
			want:   vpcResult(rule.NonCompliant, noEC2Endpoint),
		},
		{
			name:   "exemptTag key=value with matching value exempts",
			vpc:    tagged(map[string]string{"Compliance": "exempt"}),
			params: `{"exemptTag": "Compliance=exempt"}`,
			want:   vpcResult(rule.NotApplicable, "Exempted by tag Compliance=exempt (rule parameter exemptTag)."),
		},
		{
			name:   "exemptTag key=value with another value does not exempt",
			vpc:    tagged(map[string]string{"Compliance": "required"}),
			params: `{"exemptTag": "Compliance=exempt"}`,
			want:   vpcResult(rule.NonCompliant, noEC2Endpoint),
		},
		{
			name:   "exemptTag value is compared exactly",
			vpc:    tagged(map[string]string{"Compliance": "Exempt"}),
			params: `{"exemptTag": "Compliance=exempt"}`,
			want:   vpcResult(rule.NonCompliant, noEC2Endpoint),
		},
		{
			name:   "exemptTagKey names a key that holds =",
			vpc:    tagged(map[string]string{"team=platform": "yes"}),
			params: `{"exemptTagKey": "team=platform"}`,
			want:   vpcResult(rule.NotApplicable, `Exempted by tag key "team=platform" (rule parameter exemptTagKey).`),
		},
		{
			name:   "exemptTagKey with exemptTagValue exempts on that value",
			vpc:    tagged(map[string]string{"a=b": "c=d"}),
			params: `{"exemptTagKey": "a=b", "exemptTagValue": "c=d"}`,
			want:   vpcResult(rule.NotApplicable, `Exempted by tag key "a=b" with value "c=d" (rule parameters exemptTagKey, exemptTagValue).`),
		},
		{
			name:   "exemptTagKey with another value does not exempt",
			vpc:    tagged(map[string]string{"a=b": "c"}),
			params: `{"exemptTagKey": "a=b", "exemptTagValue": "c=d"}`,
			want:   vpcResult(rule.NonCompliant, noEC2Endpoint),
		},
		{
			// exemptTag splits at the first "=": it names key "a" with value "b=c=d".
			name:   "exemptTag cannot name a key that holds =",
			vpc:    tagged(map[string]string{"a=b": "c=d"}),
			params: `{"exemptTag": "a=b=c=d"}`,
			want:   vpcResult(rule.NonCompliant, noEC2Endpoint),
		},
		{
			name:      "exemptTag wins over a compliant endpoint",
			vpc:       tagged(map[string]string{"Compliance": "exempt"}),
			endpoints: []rule.Endpoint{interfaceEndpoint("vpce-0ec2", ec2Service, "available")},
			params:    `{"exemptTag": "Compliance=exempt"}`,
			want:      vpcResult(rule.NotApplicable, "Exempted by tag Compliance=exempt (rule parameter exemptTag)."),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parseParams(t, tt.params)
			scope := tt.scope
			if scope == (rule.Scope{}) {
				scope = testScope
			}
			got := rule.Evaluate(tt.vpc, tt.endpoints, rule.Inventory{}, p, scope)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestEvaluateEndpointStates(t *testing.T) {
	tests := []struct {
		state string
		want  rule.Compliance
	}{
		{state: "available", want: rule.Compliant}, // as the EC2 API returns it
		{state: "Available", want: rule.Compliant}, // as aws-sdk-go-v2's types.StateAvailable reads
		{state: "AVAILABLE", want: rule.Compliant},
		{state: "pending", want: rule.NonCompliant},
		{state: "pendingAcceptance", want: rule.NonCompliant},
		{state: "PendingAcceptance", want: rule.NonCompliant},
		{state: "deleting", want: rule.NonCompliant},
		{state: "deleted", want: rule.NonCompliant},
		{state: "failed", want: rule.NonCompliant},
		{state: "rejected", want: rule.NonCompliant},
		{state: "expired", want: rule.NonCompliant},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			ep := interfaceEndpoint("vpce-0ec2", ec2Service, tt.state)
			got := rule.Evaluate(testVPC(), []rule.Endpoint{ep}, rule.Inventory{}, parseParams(t, ""), testScope)

			want := vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint.")
			if tt.want == rule.NonCompliant {
				want = vpcResult(rule.NonCompliant, "No qualifying Interface endpoint for com.amazonaws.us-east-1.ec2: vpce-0ec2 is "+tt.state+".")
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestEvaluateInterfaceTypeIsCaseInsensitive(t *testing.T) {
	ep := interfaceEndpoint("vpce-0ec2", ec2Service, "available")
	ep.Type = "interface"
	got := rule.Evaluate(testVPC(), []rule.Endpoint{ep}, rule.Inventory{}, parseParams(t, ""), testScope)
	assert.Equal(t, vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint."), got)
}

// A zero Params, as a caller that skips ParseParams would pass, checks the default service rather
// than finding nothing to require and passing every VPC.
func TestEvaluateZeroParamsChecksEC2(t *testing.T) {
	got := rule.Evaluate(testVPC(), nil, rule.Inventory{}, rule.Params{}, testScope)
	assert.Equal(t, vpcResult(rule.NonCompliant, noEC2Endpoint), got)

	ep := interfaceEndpoint("vpce-0ec2", ec2Service, "available")
	got = rule.Evaluate(testVPC(), []rule.Endpoint{ep}, rule.Inventory{}, rule.Params{}, testScope)
	assert.Equal(t, vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint."), got)
}

// A result keeps the whole explanation (a Security Hub finding carries up to 1024 characters);
// Truncate cuts it to what PutEvaluations takes, 256 characters.
func TestEvaluateAnnotationLongAndCut(t *testing.T) {
	manyFailing := make([]rule.Endpoint, 50)
	for i := range manyFailing {
		manyFailing[i] = interfaceEndpoint(fmt.Sprintf("vpce-0%016x", i), ec2Service, "pendingAcceptance")
	}
	longTag := testVPC()
	longKey := strings.Repeat("ключ", 32) // 128 characters, 256 bytes
	longValue := strings.Repeat("é", 256)
	longTag.Tags = map[string]string{longKey: longValue}

	tests := []struct {
		name       string
		vpc        rule.VPC
		endpoints  []rule.Endpoint
		params     string
		compliance rule.Compliance
		wantPrefix string
	}{
		{
			name:       "50 failing endpoints",
			vpc:        testVPC(),
			endpoints:  manyFailing,
			compliance: rule.NonCompliant,
			wantPrefix: "No qualifying Interface endpoint for com.amazonaws.us-east-1.ec2: vpce-00000000000000000 is pendingAcceptance; vpce-00000000000000001 is pendingAcceptance; ",
		},
		{
			name:       "many missing services",
			vpc:        testVPC(),
			params:     `{"serviceNames": "ec2, ecr.api, ecr.dkr, ssm, ssmmessages, ec2messages, logs, sts, kms, secretsmanager"}`,
			compliance: rule.NonCompliant,
			wantPrefix: noEC2Endpoint + " No Interface endpoint for com.amazonaws.us-east-1.ecr.api",
		},
		{
			name:       "longest exempt tag, in multi-byte characters",
			vpc:        longTag,
			params:     `{"exemptTag": "` + longKey + "=" + longValue + `"}`,
			compliance: rule.NotApplicable,
			wantPrefix: "Exempted by tag " + longKey + "=éé",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rule.Evaluate(tt.vpc, tt.endpoints, rule.Inventory{}, parseParams(t, tt.params), testScope)

			assert.Equal(t, vpcResult(tt.compliance, got.Annotation), got)
			assert.Greater(t, utf8.RuneCountInString(got.Annotation), awsMaxAnnotationLength, "the whole explanation is kept")
			assert.False(t, strings.HasSuffix(got.Annotation, "…"), "annotation was cut: %q", got.Annotation)
			assert.True(t, strings.HasPrefix(got.Annotation, tt.wantPrefix), "annotation %q does not start with %q", got.Annotation, tt.wantPrefix)

			cut := rule.Truncate(got.Annotation)
			assert.LessOrEqual(t, utf8.RuneCountInString(cut), awsMaxAnnotationLength)
			assert.Greater(t, utf8.RuneCountInString(cut), awsMaxAnnotationLength*3/4, "cut far too short")
			assert.True(t, utf8.ValidString(cut), "annotation is not valid UTF-8")
			assert.True(t, strings.HasSuffix(cut, "…"), "cut annotation does not end with an ellipsis: %q", cut)
			assert.True(t, strings.HasPrefix(cut, tt.wantPrefix), "annotation %q does not start with %q", cut, tt.wantPrefix)
		})
	}
}

func TestEndpointUsable(t *testing.T) {
	tests := []struct {
		typ, state string
		want       bool
	}{
		{"Interface", "available", true},
		{"interface", "Available", true}, // SDK constants and API values differ in case
		{"Interface", "pending", false},
		{"Interface", "deleted", false},
		{"Gateway", "available", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.state, func(t *testing.T) {
			assert.Equal(t, tt.want, rule.Endpoint{Type: tt.typ, State: tt.state}.Usable())
		})
	}
}

// EvaluateAll is Evaluate for each VPC with its own endpoints: grouping and the policy memo
// change how much work a sweep does, never a verdict.
func TestEvaluateAllMatchesEvaluate(t *testing.T) {
	vpcs, endpoints, inv := sweepInventory()
	vpcs = vpcs[:200]
	for _, params := range []string{"", allChecks} {
		p, err := rule.ParseParams(params, testRegion)
		require.NoError(t, err)
		var want []rule.Result
		verdicts := map[rule.Compliance]int{}
		for _, v := range vpcs {
			res := rule.Evaluate(v, endpoints, inv, p, testScope)
			want = append(want, res)
			verdicts[res.Compliance]++
		}
		require.Positive(t, verdicts[rule.Compliant], "the sample must hold both verdicts")
		require.Positive(t, verdicts[rule.NonCompliant], "the sample must hold both verdicts")
		assert.Equal(t, want, rule.EvaluateAll(vpcs, endpoints, inv, p, testScope), "params %s", params)
	}
}
