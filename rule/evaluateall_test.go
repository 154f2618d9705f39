package rule_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// Endpoint policies whose verdict depends on the service: full access for one, narrower for
// another. A sweep that remembered a verdict per document alone would carry one service's over
// to the other.
const (
	ecrOnlyPolicy = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":"*"}]}`
	ec2OnlyPolicy = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:*","Resource":"*"}]}`
	everyPolicy   = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
	denyEC2Policy = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"ec2:RunInstances","Resource":"*"}]}`
)

// TestEvaluateAllMatchesEvaluateOnSharedPolicies holds the sweep (EvaluateAll, which remembers
// policy verdicts) to Evaluate VPC by VPC, on several services whose endpoints share policies.
func TestEvaluateAllMatchesEvaluateOnSharedPolicies(t *testing.T) {
	ep := func(id, vpc, svc, policy string) rule.Endpoint {
		return rule.Endpoint{ID: id, VPCID: vpc, ServiceName: "com.amazonaws.us-east-1." + svc, Type: "Interface", State: "available", PolicyDocument: policy}
	}
	vpc := func(id string) rule.VPC {
		return rule.VPC{ID: id, OwnerID: testAccount, CIDRBlocks: []string{"10.0.0.0/16"}}
	}
	tests := []struct {
		name      string
		params    string
		vpcs      []rule.VPC
		endpoints []rule.Endpoint
		want      []rule.Compliance
	}{
		{
			// ec2 first: the document is narrower for ec2, full for ecr.api.
			name:      "one policy on both services' endpoints",
			params:    `{"serviceNames": "ec2, ecr.api", "forbidFullAccessPolicy": "true"}`,
			vpcs:      []rule.VPC{vpc("vpc-00000001")},
			endpoints: []rule.Endpoint{ep("vpce-1", "vpc-00000001", "ec2", ecrOnlyPolicy), ep("vpce-2", "vpc-00000001", "ecr.api", ecrOnlyPolicy)},
			want:      []rule.Compliance{rule.NonCompliant},
		},
		{
			name:   "the same policy in two VPCs, each on another service",
			params: `{"serviceNames": "ecr.api, ec2", "forbidFullAccessPolicy": "true"}`,
			vpcs:   []rule.VPC{vpc("vpc-00000001"), vpc("vpc-00000002")},
			endpoints: []rule.Endpoint{
				ep("vpce-1", "vpc-00000001", "ecr.api", ec2OnlyPolicy), ep("vpce-2", "vpc-00000001", "ec2", ecrOnlyPolicy),
				ep("vpce-3", "vpc-00000002", "ecr.api", ecrOnlyPolicy), ep("vpce-4", "vpc-00000002", "ec2", ec2OnlyPolicy),
			},
			want: []rule.Compliance{rule.Compliant, rule.NonCompliant},
		},
		{
			name:   "a Deny that narrows one service only",
			params: `{"serviceNames": "ssm, ec2", "forbidFullAccessPolicy": "true"}`,
			vpcs:   []rule.VPC{vpc("vpc-00000001"), vpc("vpc-00000002")},
			endpoints: []rule.Endpoint{
				ep("vpce-1", "vpc-00000001", "ssm", denyEC2Policy), ep("vpce-2", "vpc-00000001", "ec2", denyEC2Policy),
				ep("vpce-3", "vpc-00000002", "ec2", denyEC2Policy), ep("vpce-4", "vpc-00000002", "ssm", everyPolicy),
			},
			want: []rule.Compliance{rule.NonCompliant, rule.NonCompliant},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parseParams(t, tt.params)
			got := rule.EvaluateAll(tt.vpcs, tt.endpoints, rule.Inventory{}, p, testScope)
			require.Len(t, got, len(tt.vpcs))
			for i, v := range tt.vpcs {
				assert.Equal(t, rule.Evaluate(v, tt.endpoints, rule.Inventory{}, p, testScope), got[i], "VPC %s", v.ID)
				assert.Equal(t, tt.want[i], got[i].Compliance, "VPC %s: %s", v.ID, got[i].Annotation)
			}
		})
	}
}

// TestEvaluateAllMatchesEvaluateRandomly holds EvaluateAll to Evaluate on random estates:
// several services, endpoints of every type and state, shared and mixed policies, every
// combination of checks.
func TestEvaluateAllMatchesEvaluateRandomly(t *testing.T) {
	for seed := range uint64(300) {
		checkEvaluateAllMatchesEvaluate(t, seed)
	}
}

// FuzzEvaluateAllMatchesEvaluate is the same property over the fuzzer's seeds.
func FuzzEvaluateAllMatchesEvaluate(f *testing.F) {
	for _, seed := range []uint64{0, 1, 7, 42, 1 << 40} {
		f.Add(seed)
	}
	f.Fuzz(checkEvaluateAllMatchesEvaluate)
}

func checkEvaluateAllMatchesEvaluate(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	pick := func(options ...string) string { return options[r.IntN(len(options))] }
	services := []string{"ec2", "ecr.api", "ssm", "s3"}
	r.Shuffle(len(services), func(i, j int) { services[i], services[j] = services[j], services[i] })
	serviceNames := services[:1+r.IntN(len(services))]
	params := fmt.Sprintf(`{"serviceNames": %q, "forbidFullAccessPolicy": %q, "requirePrivateDns": %q, "minAvailabilityZones": "%d", "requireHttpsFromVpc": %q}`,
		strings.Join(serviceNames, ", "), pick("true", "false", "true"), pick("true", "false"), 1+r.IntN(2), pick("true", "false"))
	p, err := rule.ParseParams(params, testRegion)
	require.NoError(t, err, params)
	inv := rule.Inventory{
		SubnetAZs: map[string]string{"subnet-a": "use1-az1", "subnet-b": "use1-az2"},
		SecurityGroups: map[string]rule.SecurityGroup{
			"sg-https": {ID: "sg-https", Ingress: []rule.IngressRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"10.0.0.0/8"}}}},
		},
	}
	var vpcs []rule.VPC
	var endpoints []rule.Endpoint
	for v := range 1 + r.IntN(6) {
		id := fmt.Sprintf("vpc-%08x", v)
		vpcs = append(vpcs, rule.VPC{ID: id, OwnerID: testAccount, CIDRBlocks: []string{"10.0.0.0/16"}})
		for e := range r.IntN(5) {
			endpoints = append(endpoints, rule.Endpoint{
				ID:                fmt.Sprintf("vpce-%d-%d", v, e),
				VPCID:             id,
				ServiceName:       "com.amazonaws.us-east-1." + pick("ec2", "ecr.api", "ssm", "s3", "ec2-fips"),
				Type:              pick("Interface", "Interface", "Gateway"),
				State:             pick("available", "available", "pending"),
				PrivateDNSEnabled: r.IntN(2) == 0,
				SubnetIDs:         []string{"subnet-a", pick("subnet-a", "subnet-b")},
				SecurityGroupIDs:  []string{pick("sg-https", "sg-none")},
				PolicyDocument:    pick(ecrOnlyPolicy, ec2OnlyPolicy, everyPolicy, denyEC2Policy, ""),
			})
		}
	}
	got := rule.EvaluateAll(vpcs, endpoints, inv, p, testScope)
	require.Len(t, got, len(vpcs))
	for i, v := range vpcs {
		if want := rule.Evaluate(v, endpoints, inv, p, testScope); !assert.Equal(t, want, got[i], "seed %d, params %s, VPC %s", seed, params, v.ID) {
			return
		}
	}
}
