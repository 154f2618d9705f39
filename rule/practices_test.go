package rule_test

import (
	"cmp"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

const (
	allChecks = `{"requirePrivateDns": "true", "minAvailabilityZones": "2", "requireHttpsFromVpc": "true", "forbidFullAccessPolicy": "true"}`

	// scopedPolicy lets only one role call EC2 through the endpoint.
	scopedPolicy = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"}, "Action": "ec2:Describe*", "Resource": "*"}]}`
	// defaultPolicy is the policy AWS gives an endpoint created without one.
	defaultPolicy = `{"Statement": [{"Action": "*", "Effect": "Allow", "Principal": "*", "Resource": "*"}]}`

	noQualifyingEC2 = "No qualifying Interface endpoint for com.amazonaws.us-east-1.ec2: "
	failsHTTPS      = "has no security group allowing TCP 443 from the VPC"
)

// goodEndpoint returns an available ec2 Interface endpoint that passes every practice check
// against goodInventory and a VPC whose blocks lie in 10.0.0.0/8.
func goodEndpoint() rule.Endpoint {
	ep := interfaceEndpoint("vpce-0ec2", ec2Service, "available")
	ep.PrivateDNSEnabled = true
	ep.SubnetIDs = []string{"subnet-a", "subnet-b"}
	ep.SecurityGroupIDs = []string{"sg-https"}
	ep.PolicyDocument = scopedPolicy
	return ep
}

// goodInventory places subnet-a and subnet-b in two AZs and lets sg-https admit HTTPS from
// 10.0.0.0/8.
func goodInventory() rule.Inventory {
	return rule.Inventory{
		SubnetAZs: map[string]string{"subnet-a": "use1-az1", "subnet-b": "use1-az2", "subnet-c": "use1-az1"},
		SecurityGroups: map[string]rule.SecurityGroup{
			"sg-https": httpsGroup("sg-https", rule.IngressRule{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"10.0.0.0/8"}}),
		},
	}
}

func httpsGroup(id string, rules ...rule.IngressRule) rule.SecurityGroup {
	return rule.SecurityGroup{ID: id, Ingress: rules}
}

func TestEvaluatePractices(t *testing.T) {
	const passesAll = "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes private DNS, AZ spread, HTTPS from VPC, scoped policy)."
	twoBlocks := testVPC()
	twoBlocks.CIDRBlocks = []string{"10.0.0.0/16", "172.16.0.0/16"}
	// withGroup returns goodInventory with sg-https replaced by a group of rules.
	withGroup := func(rules ...rule.IngressRule) *rule.Inventory {
		inv := goodInventory()
		inv.SecurityGroups = map[string]rule.SecurityGroup{"sg-https": httpsGroup("sg-https", rules...)}
		return &inv
	}
	tcp443 := func(cidrs ...string) rule.IngressRule {
		return rule.IngressRule{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: cidrs}
	}
	endpoint := func(change func(*rule.Endpoint)) rule.Endpoint {
		ep := goodEndpoint()
		change(&ep)
		return ep
	}

	tests := []struct {
		name      string
		vpc       rule.VPC
		endpoints []rule.Endpoint
		inv       *rule.Inventory // nil means goodInventory()
		params    string
		want      rule.Result
	}{
		{
			name:   "every check passes",
			params: allChecks,
			want:   vpcResult(rule.Compliant, passesAll),
		},
		{
			name:      "checks are off by default",
			endpoints: []rule.Endpoint{interfaceEndpoint("vpce-0bare", ec2Service, "available")},
			inv:       &rule.Inventory{},
			want:      vpcResult(rule.Compliant, "vpce-0bare (com.amazonaws.us-east-1.ec2) is an available Interface endpoint."),
		},
		{
			name:   "minAvailabilityZones 1 is no check",
			params: `{"minAvailabilityZones": "1"}`,
			inv:    &rule.Inventory{},
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint."),
		},

		// requirePrivateDns
		{
			name:      "private DNS disabled",
			endpoints: []rule.Endpoint{endpoint(func(ep *rule.Endpoint) { ep.PrivateDNSEnabled = false })},
			params:    `{"requirePrivateDns": "true"}`,
			want:      vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 has private DNS disabled."),
		},
		{
			name:   "private DNS enabled",
			params: `{"requirePrivateDns": "true"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes private DNS)."),
		},

		// minAvailabilityZones
		{
			name:      "subnets in one AZ",
			endpoints: []rule.Endpoint{endpoint(func(ep *rule.Endpoint) { ep.SubnetIDs = []string{"subnet-a", "subnet-c"} })},
			params:    `{"minAvailabilityZones": "2"}`,
			want:      vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 spans 1 AZ (needs 2)."),
		},
		{
			name:      "unknown subnet does not count as an AZ",
			endpoints: []rule.Endpoint{endpoint(func(ep *rule.Endpoint) { ep.SubnetIDs = []string{"subnet-a", "subnet-gone"} })},
			params:    `{"minAvailabilityZones": "2"}`,
			want:      vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 spans 1 AZ (needs 2)."),
		},
		{
			name:   "no subnet inventory at all",
			inv:    &rule.Inventory{},
			params: `{"minAvailabilityZones": "2"}`,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 spans 0 AZs (needs 2)."),
		},
		{
			name:   "two AZs fall short of three",
			params: `{"minAvailabilityZones": "3"}`,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 spans 2 AZs (needs 3)."),
		},
		{
			name:   "two AZs meet two",
			params: `{"minAvailabilityZones": "2"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes AZ spread)."),
		},

		// requireHttpsFromVpc
		{
			name:   "one of two VPC blocks uncovered",
			vpc:    twoBlocks,
			inv:    withGroup(tcp443("10.0.0.0/16")),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 "+failsHTTPS+"."),
		},
		{
			name:   "one wide CIDR covers both blocks",
			vpc:    rule.VPC{ID: testVPCID, OwnerID: testAccount, CIDRBlocks: []string{"10.0.0.0/16", "10.200.0.0/16"}},
			inv:    withGroup(tcp443("10.0.0.0/8")),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes HTTPS from VPC)."),
		},
		{
			name:   "0.0.0.0/0 covers every block",
			vpc:    twoBlocks,
			inv:    withGroup(tcp443("0.0.0.0/0")),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes HTTPS from VPC)."),
		},
		{
			name:   "one rule per block",
			vpc:    twoBlocks,
			inv:    withGroup(tcp443("172.16.0.0/16"), tcp443("10.0.0.0/16")),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes HTTPS from VPC)."),
		},
		{
			name: "one group per block",
			vpc:  twoBlocks,
			endpoints: []rule.Endpoint{endpoint(func(ep *rule.Endpoint) {
				ep.SecurityGroupIDs = []string{"sg-ten", "sg-172"}
			})},
			inv: &rule.Inventory{SecurityGroups: map[string]rule.SecurityGroup{
				"sg-ten": httpsGroup("sg-ten", tcp443("10.0.0.0/16")),
				"sg-172": httpsGroup("sg-172", tcp443("172.16.0.0/12")),
			}},
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes HTTPS from VPC)."),
		},
		{
			name:   "a narrower CIDR does not cover its block",
			inv:    withGroup(tcp443("10.0.0.0/17")),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 "+failsHTTPS+"."),
		},
		{
			name:   "two halves together cover their block",
			inv:    withGroup(tcp443("10.0.128.0/17"), tcp443("10.0.0.0/17")),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes HTTPS from VPC)."),
		},
		{
			name:   "overlapping parts cover their block",
			inv:    withGroup(tcp443("10.0.0.0/17", "10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18", "10.0.192.0/18")),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes HTTPS from VPC)."),
		},
		{
			name:   "parts with a gap do not cover their block",
			inv:    withGroup(tcp443("10.0.0.0/17", "10.0.128.0/18", "10.0.255.0/24")),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 "+failsHTTPS+"."),
		},
		{
			name:   "a CIDR written with host bits still covers",
			inv:    withGroup(tcp443("10.9.8.7/8")),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes HTTPS from VPC)."),
		},
		{
			name:   "CIDR of another network",
			inv:    withGroup(tcp443("192.168.0.0/16")),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 "+failsHTTPS+"."),
		},
		{
			name:   "an unparsable CIDR is ignored",
			inv:    withGroup(tcp443("not-a-cidr", "10.0.0.0/8")),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes HTTPS from VPC)."),
		},
		{
			name:   "VPC without known blocks cannot be covered",
			vpc:    rule.VPC{ID: testVPCID, OwnerID: testAccount},
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 "+failsHTTPS+"."),
		},
		{
			name:   "security group reference",
			vpc:    twoBlocks,
			inv:    withGroup(rule.IngressRule{Protocol: "tcp", FromPort: 443, ToPort: 443, GroupIDs: []string{"sg-app"}}),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes HTTPS from VPC)."),
		},
		{
			// A transit gateway's security-group referencing: EC2 names the referenced group's
			// VPC in the pair (UserIdGroupPair.VpcId, "the ID of the VPC for the referenced
			// security group, if applicable", EC2 API reference). Its members are another VPC's.
			name:   "a group of another VPC",
			vpc:    twoBlocks,
			inv:    withGroup(rule.IngressRule{Protocol: "tcp", FromPort: 443, ToPort: 443, GroupIDs: []string{"sg-app"}, GroupVPCs: map[string]string{"sg-app": otherVPCID}}),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 "+failsHTTPS+"."),
		},
		{
			name:   "a group that names this VPC",
			vpc:    twoBlocks,
			inv:    withGroup(rule.IngressRule{Protocol: "tcp", FromPort: 443, ToPort: 443, GroupIDs: []string{"sg-app"}, GroupVPCs: map[string]string{"sg-app": testVPCID}}),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes HTTPS from VPC)."),
		},
		{
			name: "a group of another VPC beside one of this VPC",
			vpc:  twoBlocks,
			inv: withGroup(rule.IngressRule{Protocol: "tcp", FromPort: 443, ToPort: 443, GroupIDs: []string{"sg-peer", "sg-app"},
				GroupVPCs: map[string]string{"sg-peer": otherVPCID}}),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes HTTPS from VPC)."),
		},
		{
			// The VPC's default group admits only its own members: an endpoint left with it is
			// unreachable from the rest of the VPC.
			name:   "a group that references only itself",
			vpc:    twoBlocks,
			inv:    withGroup(rule.IngressRule{Protocol: "-1", GroupIDs: []string{"sg-https"}}),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 "+failsHTTPS+"."),
		},
		{
			// Only the endpoint carries sg-other too: the reference admits nothing but the
			// endpoint's own interfaces, as far as anything here shows.
			name: "a reference to another group of the endpoint itself",
			vpc:  twoBlocks,
			endpoints: []rule.Endpoint{endpoint(func(ep *rule.Endpoint) {
				ep.SecurityGroupIDs = []string{"sg-https", "sg-other"}
			})},
			inv: &rule.Inventory{SecurityGroups: map[string]rule.SecurityGroup{
				"sg-https": httpsGroup("sg-https", rule.IngressRule{Protocol: "tcp", FromPort: 443, ToPort: 443, GroupIDs: []string{"sg-other"}}),
				"sg-other": {ID: "sg-other"},
			}},
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 "+failsHTTPS+"."),
		},
		{
			name:   "security group reference on another port",
			inv:    withGroup(rule.IngressRule{Protocol: "tcp", FromPort: 80, ToPort: 80, GroupIDs: []string{"sg-app"}}),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 "+failsHTTPS+"."),
		},
		{
			name:   "port range 0-65535 includes 443",
			inv:    withGroup(rule.IngressRule{Protocol: "tcp", FromPort: 0, ToPort: 65535, CIDRs: []string{"10.0.0.0/16"}}),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes HTTPS from VPC)."),
		},
		{
			name:   "port range ending below 443",
			inv:    withGroup(rule.IngressRule{Protocol: "tcp", FromPort: 1, ToPort: 442, CIDRs: []string{"10.0.0.0/16"}}),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 "+failsHTTPS+"."),
		},
		{
			name:   "port 80 only",
			inv:    withGroup(rule.IngressRule{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.0.0/8"}}),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 "+failsHTTPS+"."),
		},
		{
			name:   "protocol -1 allows everything",
			inv:    withGroup(rule.IngressRule{Protocol: "-1", FromPort: -1, ToPort: -1, CIDRs: []string{"10.0.0.0/16"}}),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes HTTPS from VPC)."),
		},
		{
			name:   "protocol number 6 is TCP",
			inv:    withGroup(rule.IngressRule{Protocol: "6", FromPort: 443, ToPort: 443, CIDRs: []string{"10.0.0.0/16"}}),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes HTTPS from VPC)."),
		},
		{
			name:   "UDP 443 is not HTTPS",
			inv:    withGroup(rule.IngressRule{Protocol: "udp", FromPort: 443, ToPort: 443, CIDRs: []string{"10.0.0.0/8"}}),
			params: `{"requireHttpsFromVpc": "true"}`,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 "+failsHTTPS+"."),
		},
		{
			name:      "unknown security group",
			endpoints: []rule.Endpoint{endpoint(func(ep *rule.Endpoint) { ep.SecurityGroupIDs = []string{"sg-gone"} })},
			params:    `{"requireHttpsFromVpc": "true"}`,
			want:      vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 "+failsHTTPS+"."),
		},
		{
			name:      "endpoint without security groups",
			endpoints: []rule.Endpoint{endpoint(func(ep *rule.Endpoint) { ep.SecurityGroupIDs = nil })},
			params:    `{"requireHttpsFromVpc": "true"}`,
			want:      vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 "+failsHTTPS+"."),
		},

		// forbidFullAccessPolicy
		{
			name:      "default policy is full access",
			endpoints: []rule.Endpoint{endpoint(func(ep *rule.Endpoint) { ep.PolicyDocument = defaultPolicy })},
			params:    `{"forbidFullAccessPolicy": "true"}`,
			want:      vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 has a full-access policy."),
		},
		{
			name:      "no policy document is AWS's full-access default",
			endpoints: []rule.Endpoint{endpoint(func(ep *rule.Endpoint) { ep.PolicyDocument = "" })},
			params:    `{"forbidFullAccessPolicy": "true"}`,
			want:      vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 has a full-access policy."),
		},
		{
			name:   "scoped policy",
			params: `{"forbidFullAccessPolicy": "true"}`,
			want:   vpcResult(rule.Compliant, "vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes scoped policy)."),
		},

		// combinations
		{
			name: "every check fails, most important first",
			endpoints: []rule.Endpoint{endpoint(func(ep *rule.Endpoint) {
				ep.PrivateDNSEnabled = false
				ep.SubnetIDs = []string{"subnet-a"}
				ep.SecurityGroupIDs = nil
				ep.PolicyDocument = ""
			})},
			params: allChecks,
			want: vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 "+failsHTTPS+
				", has private DNS disabled, spans 1 AZ (needs 2), has a full-access policy."),
		},
		{
			name: "private DNS and policy fail, the rest pass",
			endpoints: []rule.Endpoint{endpoint(func(ep *rule.Endpoint) {
				ep.PrivateDNSEnabled = false
				ep.PolicyDocument = defaultPolicy
			})},
			params: allChecks,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 has private DNS disabled, has a full-access policy."),
		},
		{
			name: "two endpoints failing different checks",
			endpoints: []rule.Endpoint{
				endpoint(func(ep *rule.Endpoint) { ep.ID = "vpce-0nodns"; ep.PrivateDNSEnabled = false }),
				endpoint(func(ep *rule.Endpoint) { ep.ID = "vpce-0oneaz"; ep.SubnetIDs = []string{"subnet-b"} }),
			},
			params: allChecks,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0nodns has private DNS disabled; vpce-0oneaz spans 1 AZ (needs 2)."),
		},
		{
			name: "a failing endpoint beside one that passes",
			endpoints: []rule.Endpoint{
				endpoint(func(ep *rule.Endpoint) { ep.ID = "vpce-0nodns"; ep.PrivateDNSEnabled = false }),
				goodEndpoint(),
			},
			params: allChecks,
			want:   vpcResult(rule.Compliant, passesAll),
		},
		{
			name: "an unavailable endpoint reports only its state",
			endpoints: []rule.Endpoint{endpoint(func(ep *rule.Endpoint) {
				ep.State = "pending"
				ep.PrivateDNSEnabled = false
			})},
			params: allChecks,
			want:   vpcResult(rule.NonCompliant, noQualifyingEC2+"vpce-0ec2 is pending."),
		},
		{
			name: "each service is judged against its own IAM prefix",
			endpoints: []rule.Endpoint{
				goodEndpoint(),
				endpoint(func(ep *rule.Endpoint) {
					ep.ID = "vpce-0ecr"
					ep.ServiceName = "com.amazonaws.us-east-1.ecr.api"
					ep.PolicyDocument = `{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "ecr:*", "Resource": "*"}}`
				}),
			},
			params: `{"serviceNames": "ec2, ecr.api", "forbidFullAccessPolicy": "true"}`,
			want:   vpcResult(rule.NonCompliant, "No qualifying Interface endpoint for com.amazonaws.us-east-1.ecr.api: vpce-0ecr has a full-access policy."),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vpc := tt.vpc
			if vpc.ID == "" {
				vpc = testVPC()
			}
			endpoints := tt.endpoints
			if endpoints == nil {
				endpoints = []rule.Endpoint{goodEndpoint()}
			}
			inv := goodInventory()
			if tt.inv != nil {
				inv = *tt.inv
			}
			got := rule.Evaluate(vpc, endpoints, inv, parseParams(t, tt.params), testScope)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestIsFullAccessPolicy(t *testing.T) {
	ec2 := rule.Service{Name: "ec2"}
	tests := []struct {
		name   string
		doc    string
		svc    rule.Service
		region string // default us-east-1
		want   bool
	}{
		{name: "empty document is AWS's default", doc: "", want: true},
		{name: "whitespace document", doc: " \n\t", want: true},
		{name: "malformed JSON", doc: `{"Statement": [`, want: true},
		{name: "not an object", doc: `["*"]`, want: true},
		{name: "no Statement", doc: `{"Version": "2012-10-17"}`, want: true},
		{name: "Statement of the wrong shape", doc: `{"Statement": "Allow everything"}`, want: true},
		{name: "AWS default policy", doc: defaultPolicy, want: true},
		{
			name: "wildcards as lists",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["*"], "Resource": ["*"]}]}`,
			want: true,
		},
		{
			name: "principal AWS *",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Resource": "*"}]}`,
			want: true,
		},
		{
			name: "Statement as an object",
			doc:  `{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}}`,
			want: true,
		},
		{
			name: "ec2:* for service ec2",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:*", "Resource": "*"}]}`,
			want: true,
		},
		{
			name: "action prefixes are case-insensitive",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "EC2:*", "Resource": "*"}]}`,
			want: true,
		},
		{
			name: "a wildcard among other actions",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["ec2:DescribeInstances", "*"], "Resource": "*"}]}`,
			want: true,
		},
		{
			name: "s3:* for service ec2",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}`,
			want: false,
		},
		{
			name: "ecr:* for service ecr.api",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*", "Resource": "*"}]}`,
			svc:  rule.Service{Name: "ecr.api"},
			want: true,
		},
		{
			name: "ec2:* for service ecr.api",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:*", "Resource": "*"}]}`,
			svc:  rule.Service{Name: "ecr.api"},
			want: false,
		},
		{
			name: "some actions only",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:Describe*", "Resource": "*"}]}`,
			want: false,
		},
		{
			name: "one principal only",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "*", "Resource": "*"}]}`,
			want: false,
		},
		{
			name: "one resource only",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "arn:aws:ec2:us-east-1:111122223333:instance/*"}]}`,
			want: false,
		},
		{
			name: "no principal",
			doc:  `{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}`,
			want: false,
		},
		{
			name: "a Condition narrows it",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]}`,
			want: false,
		},
		{
			name: "an empty Condition does not",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {}}]}`,
			want: true,
		},
		{
			name: "an empty Condition with spaces does not",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": { }}]}`,
			want: true,
		},
		{
			name: "a null Condition does not",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": null}]}`,
			want: true,
		},
		{
			// Nothing proves such an Allow narrower: the answer leans to full access.
			name: "actions that cannot be read",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": [42], "Resource": "*"}]}`,
			want: true,
		},
		{
			name: "principal that cannot be read",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": 42, "Action": "*", "Resource": "*"}]}`,
			want: true,
		},
		{
			name: "a resource of null",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": null}]}`,
			want: true,
		},
		{
			name: "principal AWS null",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": {"AWS": null}, "Action": "*", "Resource": "*"}]}`,
			want: true,
		},
		{
			name: "a principal of another type only",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "*", "Resource": "*"}]}`,
			want: false,
		},
		{
			name: "a Deny that cannot be read takes nothing away",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": 42, "Resource": "*"}]}`,
			want: true,
		},
		{
			name: "a Deny statement beside a full Allow",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": "ec2:TerminateInstances", "Resource": "*"}]}`,
			want: false,
		},
		{
			name: "a Deny only of another service's actions takes nothing from the endpoint",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": ["s3:*", "sqs:DeleteQueue"], "Resource": "*"}]}`,
			want: true,
		},
		{
			name: "a Deny of everything under a condition (an organization perimeter)",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
				 "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}`,
			want: false,
		},
		{
			name: "a Deny with NotAction",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "NotAction": "ec2:Describe*", "Resource": "*"}]}`,
			want: false,
		},
		{
			name: "NotAction narrows it",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "NotAction": "ec2:TerminateInstances", "Resource": "*"}]}`,
			want: false,
		},
		{
			name: "NotAction of another service's action leaves every EC2 action",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "NotAction": "s3:GetObject", "Resource": "*"}]}`,
			want: true,
		},
		{
			name: "NotAction of all EC2 actions grants none of them",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "NotAction": ["ec2:*"], "Resource": "*"}]}`,
			want: false,
		},
		{
			name: "a Deny of everything but EC2 (NotAction ec2:*) takes nothing from EC2",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "NotAction": "ec2:*", "Resource": "*"}]}`,
			want: true,
		},
		{
			name: "every EC2 resource as an ARN pattern",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:*", "Resource": "arn:aws:ec2:*:*:*"}]}`,
			want: true,
		},
		{
			name: "every EC2 resource, the star spanning the ARN's segments",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:*", "Resource": ["arn:aws:ec2:*"]}]}`,
			want: true,
		},
		{
			name:   "every EC2 resource in the China partition",
			doc:    `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:*", "Resource": "arn:aws-cn:ec2:*:*:*"}]}`,
			region: "cn-north-1",
			want:   true,
		},
		{
			name: "the China partition's resources, for an endpoint elsewhere",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:*", "Resource": "arn:aws-cn:ec2:*:*:*"}]}`,
			want: false,
		},
		{
			name: "the endpoint's own region is every resource it serves",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:*", "Resource": "arn:aws:ec2:us-east-1:*:*"}]}`,
			want: true,
		},
		{
			name: "another region's resources only",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:*", "Resource": "arn:aws:ec2:us-west-2:*:*"}]}`,
			want: false,
		},
		{
			name: "another service's resources only",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "arn:aws:s3:::*"}]}`,
			want: false,
		},
		{
			name: "action patterns weighed by what they match",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["e*:*"], "Resource": "*"}]}`,
			want: true,
		},
		{
			name: "NotResource of another service's resource leaves every EC2 resource",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "NotResource": "arn:aws:s3:::audit-bucket/*"}]}`,
			want: true,
		},
		{
			// The sampled actions stay allowed on "*", which actions without resource-level
			// permissions are checked against; which actions those are is not known here, so
			// the answer leans to full access.
			name: "NotResource of EC2 instances",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "NotResource": "arn:aws:ec2:*:*:instance/*"}]}`,
			want: true,
		},
		{
			name: "NotResource of every resource",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "NotResource": ["*", "arn:aws:ec2:*"]}]}`,
			want: false,
		},
		{
			name: "NotPrincipal: everyone but one is everyone",
			doc:  `{"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "*", "Resource": "*"}]}`,
			want: true,
		},
		{
			name: "a Deny on another service's resources takes nothing from EC2",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "arn:aws:s3:::audit-bucket/*"}]}`,
			want: true,
		},
		{
			// Actions without resource-level permissions (Describe*) are checked against "*".
			name: "a Deny of everything but EC2's ARNs takes the actions checked against *",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": "*", "NotResource": "arn:aws:ec2:*:*:*"}]}`,
			want: false,
		},
		{
			name: "a Deny of everything but * and EC2's ARNs takes nothing",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": "*", "NotResource": ["*", "arn:aws:ec2:*:*:*"]}]}`,
			want: true,
		},
		{
			name: "split by action across two statements",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:Describe*", "Resource": "*"},
				{"Effect": "Allow", "Principal": "*", "NotAction": "ec2:Describe*", "Resource": "*"}]}`,
			want: true,
		},
		{
			name: "split by resource across two statements",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:*", "Resource": "arn:aws:ec2:*:*:instance/*"},
				{"Effect": "Allow", "Principal": "*", "Action": "ec2:*", "NotResource": "arn:aws:ec2:*:*:instance/*"}]}`,
			want: true,
		},
		{
			name: "every action by its first letter",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Resource": "*", "Action": ["ec2:a*", "ec2:b*", "ec2:c*", "ec2:d*",
				"ec2:e*", "ec2:f*", "ec2:g*", "ec2:h*", "ec2:i*", "ec2:j*", "ec2:k*", "ec2:l*", "ec2:m*", "ec2:n*", "ec2:o*", "ec2:p*",
				"ec2:q*", "ec2:r*", "ec2:s*", "ec2:t*", "ec2:u*", "ec2:v*", "ec2:w*", "ec2:x*", "ec2:y*", "ec2:z*"]}]}`,
			want: true,
		},
		{
			name: "every action but those of one letter",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Resource": "*", "Action": ["ec2:a*", "ec2:b*", "ec2:c*", "ec2:d*",
				"ec2:e*", "ec2:f*", "ec2:g*", "ec2:h*", "ec2:i*", "ec2:j*", "ec2:k*", "ec2:l*", "ec2:m*", "ec2:n*", "ec2:o*", "ec2:p*",
				"ec2:q*", "ec2:r*", "ec2:s*", "ec2:u*", "ec2:v*", "ec2:w*", "ec2:x*", "ec2:y*", "ec2:z*"]}]}`,
			want: false,
		},
		{
			name: "ec2:??* reaches every action",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:??*", "Resource": "*"}]}`,
			want: true,
		},
		{
			name: "a Deny that names no action (*:*:*) takes nothing away",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": "*:*:*", "Resource": "*"}]}`,
			want: true,
		},
		{
			name: "a Deny for plain HTTP never applies: the API takes HTTPS only",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}`,
			want: true,
		},
		{
			name: "an Allow for HTTPS only is unconditional: the API takes HTTPS only",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": true}}}]}`,
			want: true,
		},
		{
			name: "an Allow for HTTPS from one organization is a condition",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
				"Condition": {"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}`,
			want: false,
		},
		{
			name: "BoolIfExists is read as Bool",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}]}`,
			want: true,
		},
		{
			name: "a Deny where the key is missing never applies: it never is",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"Null": {"aws:SecureTransport": "true"}}}]}`,
			want: true,
		},
		{
			name: "values of a condition key are alternatives",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": ["false", "true"]}}}]}`,
			want: true,
		},
		{
			name: "a Deny for plain HTTP beside another condition still never applies",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
				 "Condition": {"Bool": {"aws:SecureTransport": "false"}, "StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}`,
			want: true,
		},
		{
			name: "a Deny whose condition cannot be read takes nothing away",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"StringEquals": "junk"}}]}`,
			want: true,
		},
		{
			name: "a null Statement cannot be read",
			doc:  `{"Statement": null}`,
			want: true,
		},
		{
			name: "a Deny on ? reaches no resource",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "?"}]}`,
			want: true,
		},
		{
			name: "ssmmessages: every one of its actions, listed",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Resource": "*", "Action": ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]}]}`,
			svc:  rule.Service{Name: "ssmmessages"},
			want: true,
		},
		{
			name: "ssmmessages: its control channels only",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Resource": "*", "Action": ["ssmmessages:CreateControlChannel", "ssmmessages:OpenControlChannel"]}]}`,
			svc:  rule.Service{Name: "ssmmessages"},
			want: false,
		},
		{
			name: "cloudcontrolapi: its actions are cloudformation:",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "cloudformation:*", "Resource": "*"}]}`,
			svc:  rule.Service{Name: "cloudcontrolapi"},
			want: true,
		},
		{
			name: "an operator without keys sets no condition",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {}}}]}`,
			want: true,
		},
		{
			name: "a Deny on another partition's resources takes nothing away",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": "ec2:*", "Resource": "arn:aws-cn:ec2:*:*:*"}]}`,
			want: true,
		},
		{
			name: "NotResource of another partition's resources leaves every resource",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:*", "NotResource": "arn:aws-cn:ec2:*:*:*"}]}`,
			want: true,
		},
		{
			name: "a Deny on some EC2 resources",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": "ec2:*", "Resource": "arn:aws:ec2:*:*:vpc/vpc-0123456789abcdef0"}]}`,
			want: false,
		},
		{
			name: "monitoring: its actions are cloudwatch:",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "cloudwatch:*", "Resource": "*"}]}`,
			svc:  rule.Service{Name: "monitoring"},
			want: true,
		},
		{
			name: "monitoring: a Deny of a cloudwatch: action narrows it",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
				{"Effect": "Deny", "Principal": "*", "Action": "cloudwatch:PutMetricData", "Resource": "*"}]}`,
			svc:  rule.Service{Name: "monitoring"},
			want: false,
		},
		{
			name: "monitoring: monitoring:* is no action of it",
			doc:  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "monitoring:*", "Resource": "*"}]}`,
			svc:  rule.Service{Name: "monitoring"},
			want: false,
		},
		{
			name: "a full Allow beside a narrow one",
			doc: `{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "ec2:Describe*", "Resource": "*"},
				{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}`,
			want: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := tt.svc
			if svc == (rule.Service{}) {
				svc = ec2
			}
			region := cmp.Or(tt.region, "us-east-1")
			assert.Equal(t, tt.want, rule.IsFullAccessPolicy(tt.doc, svc, region))
		})
	}
}

func TestFailedPractices(t *testing.T) {
	tests := []struct {
		annotation string
		want       []string
	}{
		{"No Interface endpoint for com.amazonaws.us-east-1.ec2: create one with private DNS in subnets of several AZs.", nil},
		{"vpce-1 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint (passes private DNS, AZ spread, HTTPS from VPC, scoped policy).", nil},
		{"No qualifying Interface endpoint for com.amazonaws.us-east-1.ec2: vpce-1 has private DNS disabled.", []string{rule.ParamRequirePrivateDNS}},
		{
			"No qualifying Interface endpoint for com.amazonaws.us-east-1.ec2: vpce-1 has no security group allowing TCP 443 from the VPC, has private DNS disabled, spans 1 AZ (needs 3), has a full-access policy.",
			[]string{rule.ParamRequireHTTPSFromVPC, rule.ParamRequirePrivateDNS, rule.ParamMinAvailabilityZones, rule.ParamForbidFullAccessPolicy},
		},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, rule.FailedPractices(tt.annotation), tt.annotation)
	}
}
