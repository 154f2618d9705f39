package rule_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// Sweep size: a large account or organization member, as one periodic evaluation sees it.
const (
	sweepVPCs            = 10_000
	sweepEndpointsPerVPC = 5
)

// sweepInventory returns sweepVPCs VPCs and their endpoints, shuffled as a paginated listing
// returns them, with the subnets and security groups the practice checks read. Every VPC has five
// endpoints of mixed services, types and states; nine in ten have a qualifying ec2 endpoint.
func sweepInventory() ([]rule.VPC, []rule.Endpoint, rule.Inventory) {
	inv := rule.Inventory{
		SubnetAZs: map[string]string{"subnet-a": "use1-az1", "subnet-b": "use1-az2", "subnet-c": "use1-az4"},
		SecurityGroups: map[string]rule.SecurityGroup{
			"sg-https": httpsGroup("sg-https", rule.IngressRule{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"10.0.0.0/8"}}),
		},
	}
	vpcs := make([]rule.VPC, sweepVPCs)
	endpoints := make([]rule.Endpoint, 0, sweepVPCs*sweepEndpointsPerVPC)
	for i := range vpcs {
		id := fmt.Sprintf("vpc-%017x", i)
		vpcs[i] = rule.VPC{
			ID: id, OwnerID: testAccount,
			CIDRBlocks: []string{fmt.Sprintf("10.%d.0.0/16", i%256)},
			Tags:       map[string]string{"Name": fmt.Sprintf("workload-%d", i)},
		}
		ec2State := "available"
		if i%10 == 0 {
			ec2State = "pendingAcceptance"
		}
		endpoint := func(j int, service, typ, state string) rule.Endpoint {
			return rule.Endpoint{
				ID: fmt.Sprintf("vpce-%016x%d", i, j), VPCID: id, ServiceName: "com.amazonaws.us-east-1." + service,
				Type: typ, State: state, PrivateDNSEnabled: true,
				SubnetIDs: []string{"subnet-a", "subnet-b", "subnet-c"}, SecurityGroupIDs: []string{"sg-https"},
				PolicyDocument: scopedPolicy,
			}
		}
		endpoints = append(endpoints,
			endpoint(0, "ec2messages", "Interface", "available"),
			endpoint(1, "s3", "Gateway", "available"),
			endpoint(2, "ssm", "Interface", "available"),
			endpoint(3, "ec2", "Interface", "deleted"),
			endpoint(4, "ec2", "Interface", ec2State),
		)
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(endpoints), func(i, j int) { endpoints[i], endpoints[j] = endpoints[j], endpoints[i] })
	return vpcs, endpoints, inv
}

// appendByVPC is the obvious grouping, kept to show what rule.GroupByVPC saves.
func appendByVPC(endpoints []rule.Endpoint) map[string][]rule.Endpoint {
	byVPC := make(map[string][]rule.Endpoint)
	for _, ep := range endpoints {
		byVPC[ep.VPCID] = append(byVPC[ep.VPCID], ep)
	}
	return byVPC
}

// appendSweep is rule.EvaluateAll with the obvious grouping, kept to show what it saves.
func appendSweep(vpcs []rule.VPC, endpoints []rule.Endpoint, inv rule.Inventory, p rule.Params, s rule.Scope) []rule.Result {
	byVPC := appendByVPC(endpoints)
	results := make([]rule.Result, 0, len(vpcs))
	for _, vpc := range vpcs {
		results = append(results, rule.Evaluate(vpc, byVPC[vpc.ID], inv, p, s))
	}
	return results
}

func BenchmarkEvaluateSweep(b *testing.B) {
	vpcs, endpoints, inv := sweepInventory()
	for _, bc := range []struct {
		name   string
		params string
		sweep  func([]rule.VPC, []rule.Endpoint, rule.Inventory, rule.Params, rule.Scope) []rule.Result
	}{
		{name: "defaults", params: "", sweep: rule.EvaluateAll},
		{name: "defaults/append-grouping", params: "", sweep: appendSweep},
		{name: "all-checks", params: allChecks, sweep: rule.EvaluateAll},
	} {
		p, err := rule.ParseParams(bc.params, testRegion)
		if err != nil {
			b.Fatal(err)
		}
		// The sweep's verdicts are checked once, so the benchmark measures work that is right.
		counts := map[rule.Compliance]int{}
		for _, res := range bc.sweep(vpcs, endpoints, inv, p, testScope) {
			counts[res.Compliance]++
		}
		if want := (map[rule.Compliance]int{rule.Compliant: sweepVPCs * 9 / 10, rule.NonCompliant: sweepVPCs / 10}); fmt.Sprint(counts) != fmt.Sprint(want) {
			b.Fatalf("%s: verdicts %v, want %v", bc.name, counts, want)
		}

		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.sweep(vpcs, endpoints, inv, p, testScope)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/sweepVPCs, "ns/vpc")
		})
	}

	for _, bc := range []struct {
		name  string
		group func([]rule.Endpoint) map[string][]rule.Endpoint
	}{
		{name: "group-only/counted", group: rule.GroupByVPC},
		{name: "group-only/append", group: appendByVPC},
	} {
		if got := bc.group(endpoints); len(got) != sweepVPCs || len(got[vpcs[0].ID]) != sweepEndpointsPerVPC {
			b.Fatalf("%s: %d groups", bc.name, len(got))
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.group(endpoints)
			}
		})
	}
}

func BenchmarkIsFullAccessPolicy(b *testing.B) {
	ec2 := rule.Service{Name: "ec2"}
	for _, bc := range []struct{ name, doc string }{
		{name: "default", doc: defaultPolicy},
		{name: "scoped", doc: scopedPolicy},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rule.IsFullAccessPolicy(bc.doc, ec2, "us-east-1")
			}
		})
	}
}
