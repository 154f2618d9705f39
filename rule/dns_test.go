package rule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// The hub-and-spoke estate the DNS tables evaluate: testVPCID is the spoke, hubVPCID holds the
// central endpoint with private DNS off.
const (
	hubVPCID     = "vpc-0ffee0000000000a1"
	hubEndpoint  = "vpce-0a1b2c3d4e5f60001"
	hubDNSName   = "vpce-0a1b2c3d4e5f60001-abcd1234.ec2.us-east-1.vpce.amazonaws.com"
	ec2DNSName   = "ec2.us-east-1.amazonaws.com"
	trustedAcct  = "444455556666"
	strangerAcct = "777788889999"
	ownZoneID    = "Z0OWN"
	centralOn    = `{"allowCentralEndpoints":"true","trustedDnsAccounts":"` + trustedAcct + `"}`
	noEndpointNC = "No Interface endpoint for " + ec2Service + " in the VPC. "
)

func hub() rule.Endpoint {
	return rule.Endpoint{
		ID: hubEndpoint, VPCID: hubVPCID, ServiceName: ec2Service, Type: "Interface", State: "available",
		DNSNames:  []string{hubDNSName, "vpce-0a1b2c3d4e5f60001-abcd1234-us-east-1a.ec2.us-east-1.vpce.amazonaws.com"},
		SubnetIDs: []string{"subnet-a", "subnet-b"}, SecurityGroupIDs: []string{"sg-hub"},
	}
}

func ownZone(name string) rule.HostedZone {
	return rule.HostedZone{ID: ownZoneID, Name: name + ".", OwnerAccount: testAccount}
}

func aliasTo(name, target string) rule.Record {
	return rule.Record{Name: name + ".", Type: "A", AliasTarget: target + "."}
}

// dnsFacts returns the DNS facts of an estate whose spoke has zones, records and rules as given.
func dnsFacts(zones []rule.HostedZone, records map[string][]rule.Record, rules []rule.ResolverRule, endpoints ...rule.Endpoint) rule.DNS {
	d := rule.DNS{
		ServiceNames: map[string][]string{"ec2": {ec2DNSName}},
		Zones:        map[string][]rule.HostedZone{testVPCID: zones},
		Records:      records,
		Rules:        map[string][]rule.ResolverRule{testVPCID: rules},
		Profiles:     map[string]rule.Profile{},
		Endpoints:    endpoints,
	}
	return d
}

func TestEvaluateCentralEndpoints(t *testing.T) {
	deleted := hub()
	deleted.State = "deleted"
	ecrHub := hub()
	ecrHub.ServiceName = "com.amazonaws.us-east-1.ecr.api"
	goodRecords := map[string][]rule.Record{ownZoneID: {aliasTo(ec2DNSName, hubDNSName)}}
	forward := func(domain, owner string) rule.ResolverRule {
		return rule.ResolverRule{ID: "rslvr-rr-0001", DomainName: domain + ".", OwnerID: owner, Type: "FORWARD", Status: "COMPLETE"}
	}
	served := "Served by " + hubEndpoint + " (" + ec2Service + ") in " + hubVPCID + " through private hosted zone " + ownZoneID + " " + ec2DNSName

	tests := []struct {
		name   string
		params string
		dns    rule.DNS
		groups map[string]rule.SecurityGroup
		want   rule.Result
	}{
		{
			name:   "own zone aliasing a qualifying endpoint",
			params: centralOn,
			dns:    dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, goodRecords, nil, hub()),
			want:   vpcResult(rule.Compliant, served+"."),
		},
		{
			name:   "off by default: the same estate fails",
			params: "",
			dns:    dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, goodRecords, nil, hub()),
			want:   vpcResult(rule.NonCompliant, noEC2Endpoint),
		},
		{
			name:   "own zone with a CNAME to a zonal DNS name",
			params: centralOn,
			dns: dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, map[string][]rule.Record{ownZoneID: {{Name: ec2DNSName, Type: "CNAME",
				Values: []string{"VPCE-0A1B2C3D4E5F60001-ABCD1234-us-east-1a.ec2.us-east-1.vpce.amazonaws.com."}}}}, nil, hub()),
			want: vpcResult(rule.Compliant, served+"."),
		},
		{
			name:   "own zone aliasing a deleted endpoint",
			params: centralOn,
			dns:    dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, goodRecords, nil, deleted),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: private hosted zone "+ownZoneID+" "+ec2DNSName+
				" sends "+ec2DNSName+" to "+hubEndpoint+", which is deleted."),
		},
		{
			name:   "own zone aliasing an endpoint gone from EC2",
			params: centralOn,
			dns:    dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, goodRecords, nil),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: private hosted zone "+ownZoneID+" "+ec2DNSName+
				" sends "+ec2DNSName+" to "+hubDNSName+", not an endpoint of this account in us-east-1."),
		},
		{
			name:   "own zone aliasing a load balancer",
			params: centralOn,
			dns: dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)},
				map[string][]rule.Record{ownZoneID: {aliasTo(ec2DNSName, "internal-proxy-1.us-east-1.elb.amazonaws.com")}}, nil, hub()),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: private hosted zone "+ownZoneID+" "+ec2DNSName+
				" sends "+ec2DNSName+" to internal-proxy-1.us-east-1.elb.amazonaws.com, not an endpoint of this account in us-east-1."),
		},
		{
			name:   "own zone with an A record of addresses",
			params: centralOn,
			dns: dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)},
				map[string][]rule.Record{ownZoneID: {{Name: ec2DNSName, Type: "A", Values: []string{"10.1.0.5"}}}}, nil, hub()),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: private hosted zone "+ownZoneID+" "+ec2DNSName+
				" answers "+ec2DNSName+" with A 10.1.0.5, not an alias or CNAME to an endpoint."),
		},
		{
			name:   "own zone aliasing an endpoint of another service",
			params: centralOn,
			dns:    dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, goodRecords, nil, ecrHub),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: private hosted zone "+ownZoneID+" "+ec2DNSName+
				" sends "+ec2DNSName+" to "+hubEndpoint+", an endpoint for com.amazonaws.us-east-1.ecr.api."),
		},
		{
			name:   "own zone whose records were not read is no evidence",
			params: centralOn,
			dns:    dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, nil, nil, hub()),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: private hosted zone "+ownZoneID+" "+ec2DNSName+
				": its records were not read."),
		},
		{
			name:   "parent zone holding a record for the name",
			params: centralOn,
			dns: dnsFacts([]rule.HostedZone{ownZone("us-east-1.amazonaws.com")},
				map[string][]rule.Record{ownZoneID: {aliasTo("s3.us-east-1.amazonaws.com", "x"), aliasTo(ec2DNSName, hubDNSName)}}, nil, hub()),
			want: vpcResult(rule.Compliant, "Served by "+hubEndpoint+" ("+ec2Service+") in "+hubVPCID+" through private hosted zone "+
				ownZoneID+" us-east-1.amazonaws.com."),
		},
		{
			name:   "parent zone without a record for the name",
			params: centralOn,
			dns: dnsFacts([]rule.HostedZone{ownZone("amazonaws.com")},
				map[string][]rule.Record{ownZoneID: {aliasTo("s3.us-east-1.amazonaws.com", hubDNSName)}}, nil, hub()),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: private hosted zone "+ownZoneID+
				" amazonaws.com holds no record for "+ec2DNSName+"."),
		},
		{
			name:   "the zone for the name hides a parent zone that would serve it",
			params: centralOn,
			dns: dnsFacts([]rule.HostedZone{ownZone("us-east-1.amazonaws.com"), {ID: "Z0EMPTY", Name: ec2DNSName, OwnerAccount: testAccount}},
				map[string][]rule.Record{ownZoneID: {aliasTo(ec2DNSName, hubDNSName)}, "Z0EMPTY": {}}, nil, hub()),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: private hosted zone Z0EMPTY "+ec2DNSName+
				" holds no record for "+ec2DNSName+"."),
		},
		{
			name:   "a zone for another name does not serve it",
			params: centralOn,
			dns: dnsFacts([]rule.HostedZone{ownZone("xec2.us-east-1.amazonaws.com"), ownZone("corp.example")},
				map[string][]rule.Record{ownZoneID: {aliasTo(ec2DNSName, hubDNSName)}}, nil, hub()),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"No private hosted zone, Resolver rule or Profile sends "+ec2DNSName+" elsewhere."),
		},
		{
			name:   "trusted account's zone counts unread",
			params: centralOn,
			dns:    dnsFacts([]rule.HostedZone{{ID: "Z0NET", Name: ec2DNSName, OwnerAccount: trustedAcct}}, nil, nil),
			want: vpcResult(rule.Compliant, "Served through private hosted zone Z0NET "+ec2DNSName+" of trusted account "+trustedAcct+
				" (trusted, records not read)."),
		},
		{
			name:   "untrusted account's zone does not count",
			params: centralOn,
			dns:    dnsFacts([]rule.HostedZone{{ID: "Z0ODD", Name: ec2DNSName, OwnerAccount: strangerAcct}}, nil, nil),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: private hosted zone Z0ODD "+ec2DNSName+
				" is owned by account "+strangerAcct+", not in trustedDnsAccounts."),
		},
		{
			name:   "without trustedDnsAccounts only the evaluated account is trusted",
			params: `{"allowCentralEndpoints":"true"}`,
			dns:    dnsFacts([]rule.HostedZone{{ID: "Z0NET", Name: ec2DNSName, OwnerAccount: trustedAcct}}, nil, nil),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: private hosted zone Z0NET "+ec2DNSName+
				" is owned by account "+trustedAcct+", not in trustedDnsAccounts."),
		},
		{
			name:   "zone owned by a service",
			params: centralOn,
			dns:    dnsFacts([]rule.HostedZone{{ID: "Z0SVC", Name: "us-east-1.amazonaws.com", OwnerService: "efs.amazonaws.com"}}, nil, nil),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: private hosted zone Z0SVC us-east-1.amazonaws.com"+
				" is owned by efs.amazonaws.com, not an account."),
		},
		{
			name:   "own forwarding rule for the name",
			params: centralOn,
			dns:    dnsFacts(nil, nil, []rule.ResolverRule{forward(ec2DNSName, testAccount)}),
			want: vpcResult(rule.Compliant, "Served through Resolver rule rslvr-rr-0001 ("+ec2DNSName+") of account "+testAccount+
				": the resolver it forwards "+ec2DNSName+" to gives the answer."),
		},
		{
			name:   "trusted forwarding rule for a parent domain",
			params: centralOn,
			dns:    dnsFacts(nil, nil, []rule.ResolverRule{forward("amazonaws.com", trustedAcct)}),
			want: vpcResult(rule.Compliant, "Served through Resolver rule rslvr-rr-0001 (amazonaws.com) of account "+trustedAcct+
				": the resolver it forwards "+ec2DNSName+" to gives the answer."),
		},
		{
			name:   "untrusted forwarding rule",
			params: centralOn,
			dns:    dnsFacts(nil, nil, []rule.ResolverRule{forward(ec2DNSName, strangerAcct)}),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: Resolver rule rslvr-rr-0001 ("+ec2DNSName+
				") is owned by account "+strangerAcct+", not in trustedDnsAccounts."),
		},
		{
			name:   "a SYSTEM rule for the name overrides a forwarding rule for its parent",
			params: centralOn,
			dns: dnsFacts(nil, nil, []rule.ResolverRule{forward("amazonaws.com", testAccount),
				{ID: "rslvr-rr-0002", DomainName: ec2DNSName, OwnerID: testAccount, Type: "SYSTEM", Status: "COMPLETE"}}),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: Resolver rule rslvr-rr-0002 ("+ec2DNSName+
				") is a SYSTEM rule: it forwards nothing."),
		},
		{
			name:   "a rule whose association is not complete, or for another domain, does not apply",
			params: centralOn,
			dns: dnsFacts(nil, nil, []rule.ResolverRule{
				{ID: "rslvr-rr-0003", DomainName: ec2DNSName, OwnerID: testAccount, Type: "FORWARD", Status: "CREATING"},
				forward("s3.us-east-1.amazonaws.com", testAccount), forward("2.ec2.us-east-1.amazonaws.com", testAccount)}),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"No private hosted zone, Resolver rule or Profile sends "+ec2DNSName+" elsewhere."),
		},
		{
			name:   "a bad zone and a good rule: the rule is evidence",
			params: centralOn,
			dns: dnsFacts([]rule.HostedZone{{ID: "Z0ODD", Name: ec2DNSName, OwnerAccount: strangerAcct}}, nil,
				[]rule.ResolverRule{forward(ec2DNSName, trustedAcct)}),
			want: vpcResult(rule.Compliant, "Served through Resolver rule rslvr-rr-0001 ("+ec2DNSName+") of account "+trustedAcct+
				": the resolver it forwards "+ec2DNSName+" to gives the answer."),
		},
		{
			name:   "no private DNS name known for the service",
			params: centralOn,
			dns:    rule.DNS{},
			want:   vpcResult(rule.NonCompliant, noEndpointNC+"No private DNS name is known for it, so no central endpoint can count."),
		},
		{
			name:   "a Gateway-capable service: the advice to create an endpoint gives way as well",
			params: `{"allowCentralEndpoints":"true","serviceNames":"s3"}`,
			dns:    rule.DNS{},
			want: vpcResult(rule.NonCompliant, "No Interface or Gateway endpoint for com.amazonaws.us-east-1.s3 in the VPC. "+
				"No private DNS name is known for it, so no central endpoint can count."),
		},
		{
			name:   "practice checks: private DNS is satisfied by the zone, HTTPS is checked against the spoke",
			params: `{"allowCentralEndpoints":"true","requirePrivateDns":"true","requireHttpsFromVpc":"true"}`,
			dns:    dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, goodRecords, nil, hub()),
			groups: map[string]rule.SecurityGroup{"sg-hub": {ID: "sg-hub", Ingress: []rule.IngressRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"10.0.0.0/16"}}}}},
			want:   vpcResult(rule.Compliant, served+" (passes HTTPS from VPC)."),
		},
		{
			name:   "practice checks: a hub group admitting only the hub's CIDR fails the spoke",
			params: `{"allowCentralEndpoints":"true","requireHttpsFromVpc":"true"}`,
			dns:    dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, goodRecords, nil, hub()),
			groups: map[string]rule.SecurityGroup{"sg-hub": {ID: "sg-hub", Ingress: []rule.IngressRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"10.99.0.0/16"}}}}},
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: private hosted zone "+ownZoneID+" "+ec2DNSName+
				" sends "+ec2DNSName+" to "+hubEndpoint+", which has no security group allowing TCP 443 from the VPC."),
		},
		{
			name:   "practice checks: a hub group referencing a group of the hub admits none of the spoke's clients",
			params: `{"allowCentralEndpoints":"true","requireHttpsFromVpc":"true"}`,
			dns:    dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, goodRecords, nil, hub()),
			groups: map[string]rule.SecurityGroup{"sg-hub": {ID: "sg-hub", Ingress: []rule.IngressRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, GroupIDs: []string{"sg-hubclients"}}}}},
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: private hosted zone "+ownZoneID+" "+ec2DNSName+
				" sends "+ec2DNSName+" to "+hubEndpoint+", which has no security group allowing TCP 443 from the VPC."),
		},
		{
			name:   "practice checks: a hub group referencing a group of the spoke (its VpcId) admits the spoke's clients",
			params: `{"allowCentralEndpoints":"true","requireHttpsFromVpc":"true"}`,
			dns:    dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, goodRecords, nil, hub()),
			groups: map[string]rule.SecurityGroup{"sg-hub": {ID: "sg-hub", Ingress: []rule.IngressRule{{Protocol: "tcp", FromPort: 443, ToPort: 443,
				GroupIDs: []string{"sg-spokeclients"}, GroupVPCs: map[string]string{"sg-spokeclients": testVPCID}}}}},
			want: vpcResult(rule.Compliant, served+" (passes HTTPS from VPC)."),
		},
		{
			name:   "practice checks: the hub endpoint's AZ spread counts",
			params: `{"allowCentralEndpoints":"true","minAvailabilityZones":"3"}`,
			dns:    dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, goodRecords, nil, hub()),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: private hosted zone "+ownZoneID+" "+ec2DNSName+
				" sends "+ec2DNSName+" to "+hubEndpoint+", which spans 2 AZs (needs 3)."),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parseParams(t, tt.params)
			inv := rule.Inventory{DNS: tt.dns, SecurityGroups: tt.groups, SubnetAZs: map[string]string{"subnet-a": "use1-az1", "subnet-b": "use1-az2"}}
			got := rule.Evaluate(testVPC(), nil, inv, p, testScope)
			assert.Equal(t, tt.want.Annotation, got.Annotation, "the whole explanation (Config gets it cut)")
			assert.Equal(t, tt.want.Compliance, got.Compliance)
			// The sweep decides the same.
			all := rule.EvaluateAll([]rule.VPC{testVPC()}, nil, inv, p, testScope)
			require.Len(t, all, 1)
			assert.Equal(t, got, all[0])
		})
	}
}

func TestEvaluateCentralEndpointsProfile(t *testing.T) {
	hubRecords := map[string][]rule.Record{"Z0PRO": {aliasTo(ec2DNSName, hubDNSName)}}
	tests := []struct {
		name    string
		profile rule.Profile
		records map[string][]rule.Record
		rules   []rule.ResolverRule
		want    rule.Result
	}{
		{
			name:    "profile carrying an own zone that aliases the hub endpoint",
			profile: rule.Profile{ID: "rp-0001", Status: "COMPLETE", Zones: []rule.HostedZone{{ID: "Z0PRO", Name: ec2DNSName, OwnerAccount: testAccount}}},
			records: hubRecords,
			want: vpcResult(rule.Compliant, "Served by "+hubEndpoint+" ("+ec2Service+") in "+hubVPCID+" through private hosted zone Z0PRO "+
				ec2DNSName+" through Route 53 Profile rp-0001."),
		},
		{
			// A Profile names its resources by ARN and a label: another account's zone has no
			// name this account can read, so even a trusted account's zone is no evidence.
			name: "profile carrying a trusted account's zone, which cannot be read",
			profile: rule.Profile{ID: "rp-0001", Status: "COMPLETE", Unreadable: []rule.ProfileResource{
				{ARN: "arn:aws:route53:::hostedzone/Z0NET", OwnerID: trustedAcct}}},
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: Route 53 Profile rp-0001 carries arn:aws:route53:::hostedzone/Z0NET of account "+
				trustedAcct+", whose name cannot be read here."),
		},
		{
			name: "an unreadable resource beside an own zone that aliases the hub endpoint",
			profile: rule.Profile{ID: "rp-0001", Status: "COMPLETE", Zones: []rule.HostedZone{{ID: "Z0PRO", Name: ec2DNSName, OwnerAccount: testAccount}},
				Unreadable: []rule.ProfileResource{{ARN: "arn:aws:route53resolver:us-east-1:" + strangerAcct + ":resolver-rule/rslvr-rr-0666", OwnerID: strangerAcct}}},
			records: hubRecords,
			want: vpcResult(rule.Compliant, "Served by "+hubEndpoint+" ("+ec2Service+") in "+hubVPCID+" through private hosted zone Z0PRO "+
				ec2DNSName+" through Route 53 Profile rp-0001."),
		},
		{
			name: "profile carrying a trusted forwarding rule",
			profile: rule.Profile{ID: "rp-0001", Status: "COMPLETE", Rules: []rule.ResolverRule{
				{ID: "rslvr-rr-0009", DomainName: "us-east-1.amazonaws.com", OwnerID: trustedAcct, Type: "FORWARD", Status: "COMPLETE"}}},
			want: vpcResult(rule.Compliant, "Served through Resolver rule rslvr-rr-0009 (us-east-1.amazonaws.com) through Route 53 Profile rp-0001 of account "+
				trustedAcct+": the resolver it forwards "+ec2DNSName+" to gives the answer."),
		},
		{
			name:    "profile carrying an untrusted zone",
			profile: rule.Profile{ID: "rp-0001", Status: "COMPLETE", Zones: []rule.HostedZone{{ID: "Z0ODD", Name: ec2DNSName, OwnerAccount: strangerAcct}}},
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: private hosted zone Z0ODD "+ec2DNSName+
				" through Route 53 Profile rp-0001 is owned by account "+strangerAcct+", not in trustedDnsAccounts."),
		},
		{
			name:    "profile association still being created",
			profile: rule.Profile{ID: "rp-0001", Status: "CREATING", Zones: []rule.HostedZone{{ID: "Z0NET", Name: ec2DNSName, OwnerAccount: trustedAcct}}},
			want:    vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: Route 53 Profile rp-0001 is CREATING, not COMPLETE."),
		},
		{
			name:    "a direct zone is weighed before the profile",
			profile: rule.Profile{ID: "rp-0001", Status: "COMPLETE", Zones: []rule.HostedZone{{ID: "Z0NET", Name: ec2DNSName, OwnerAccount: trustedAcct}}},
			rules:   []rule.ResolverRule{{ID: "rslvr-rr-0001", DomainName: ec2DNSName, OwnerID: testAccount, Type: "FORWARD", Status: "COMPLETE"}},
			want: vpcResult(rule.Compliant, "Served through Resolver rule rslvr-rr-0001 ("+ec2DNSName+") of account "+testAccount+
				": the resolver it forwards "+ec2DNSName+" to gives the answer."),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parseParams(t, centralOn)
			d := dnsFacts(nil, tt.records, tt.rules, hub())
			d.Profiles = map[string]rule.Profile{testVPCID: tt.profile}
			inv := rule.Inventory{DNS: d}
			got := rule.Evaluate(testVPC(), nil, inv, p, testScope)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, []rule.Result{got}, rule.EvaluateAll([]rule.VPC{testVPC()}, nil, inv, p, testScope))
		})
	}
}

// A VPC's own qualifying endpoint stays the first evidence, and one that fails does not hide the
// central path.
func TestEvaluateCentralEndpointsOwnFirst(t *testing.T) {
	p := parseParams(t, centralOn)
	inv := rule.Inventory{DNS: dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)},
		map[string][]rule.Record{ownZoneID: {aliasTo(ec2DNSName, hubDNSName)}}, nil, hub())}
	own := interfaceEndpoint("vpce-0own", ec2Service, "available")
	assert.Equal(t, vpcResult(rule.Compliant, "vpce-0own ("+ec2Service+") is an available Interface endpoint."),
		rule.Evaluate(testVPC(), []rule.Endpoint{own}, inv, p, testScope))

	pending := interfaceEndpoint("vpce-0own", ec2Service, "pending")
	assert.Equal(t, vpcResult(rule.Compliant, "Served by "+hubEndpoint+" ("+ec2Service+") in "+hubVPCID+" through private hosted zone "+
		ownZoneID+" "+ec2DNSName+"."), rule.Evaluate(testVPC(), []rule.Endpoint{pending}, inv, p, testScope))
}

func TestEvaluateUnusedVPCs(t *testing.T) {
	own := interfaceEndpoint("vpce-0own", ec2Service, "pending")
	own.NetworkInterfaceIDs = []string{"eni-own"}
	withInterfaces := func(known bool, nis ...rule.NetworkInterface) rule.VPC {
		v := testVPC()
		v.NetworkInterfaces, v.InterfacesKnown = nis, known
		return v
	}
	unused := vpcResult(rule.NotApplicable, "No network interfaces but its VPC endpoints': nothing in it can call the API (rule parameter ignoreUnusedVpcs).")
	tests := []struct {
		name      string
		params    string
		vpc       rule.VPC
		endpoints []rule.Endpoint
		want      rule.Result
	}{
		{name: "no interfaces at all", params: `{"ignoreUnusedVpcs":"true"}`, vpc: withInterfaces(true), want: unused},
		{
			name: "only its endpoints' interfaces, by type or by the endpoint's list", params: `{"ignoreUnusedVpcs":"true"}`,
			vpc:       withInterfaces(true, rule.NetworkInterface{ID: "eni-own", Type: "interface"}, rule.NetworkInterface{ID: "eni-s3", Type: "vpc_endpoint"}),
			endpoints: []rule.Endpoint{own}, want: unused,
		},
		{
			name: "an instance's interface", params: `{"ignoreUnusedVpcs":"true"}`,
			vpc:       withInterfaces(true, rule.NetworkInterface{ID: "eni-own", Type: "interface"}, rule.NetworkInterface{ID: "eni-app", Type: "interface"}),
			endpoints: []rule.Endpoint{own},
			want:      vpcResult(rule.NonCompliant, "No qualifying Interface endpoint for "+ec2Service+": vpce-0own is pending."),
		},
		{
			name: "another VPC's endpoint does not make an interface its own", params: `{"ignoreUnusedVpcs":"true"}`,
			vpc:       withInterfaces(true, rule.NetworkInterface{ID: "eni-own", Type: "interface"}),
			endpoints: []rule.Endpoint{func() rule.Endpoint { e := own; e.VPCID = otherVPCID; return e }()},
			want:      vpcResult(rule.NonCompliant, noEC2Endpoint),
		},
		{name: "interfaces not read: never unused", params: `{"ignoreUnusedVpcs":"true"}`, vpc: withInterfaces(false), want: vpcResult(rule.NonCompliant, noEC2Endpoint)},
		{name: "off by default", params: "", vpc: withInterfaces(true), want: vpcResult(rule.NonCompliant, noEC2Endpoint)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parseParams(t, tt.params)
			got := rule.Evaluate(tt.vpc, tt.endpoints, rule.Inventory{}, p, testScope)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, []rule.Result{got}, rule.EvaluateAll([]rule.VPC{tt.vpc}, tt.endpoints, rule.Inventory{}, p, testScope))
		})
	}
}

func TestEndpointIDFromDNSName(t *testing.T) {
	for name, want := range map[string]string{
		hubDNSName + ".": hubEndpoint,
		"vpce-0a1b2c3d4e5f60001-abcd1234-us-east-1a.ec2.us-east-1.vpce.amazonaws.com": hubEndpoint,
		"vpce-0a1b2c3d-x1.com.amazonaws.us-east-1.ec2":                                "vpce-0a1b2c3d", // moto's form
		"internal-proxy-1.us-east-1.elb.amazonaws.com":                                "",
		"vpce-zz-1.ec2.us-east-1.vpce.amazonaws.com":                                  "",
		"": "",
	} {
		assert.Equal(t, want, rule.EndpointIDFromDNSName(name), name)
	}
}

func TestZoneServes(t *testing.T) {
	assert.True(t, rule.ZoneServes("EC2.us-east-1.amazonaws.com.", ec2DNSName))
	assert.True(t, rule.ZoneServes("amazonaws.com", ec2DNSName))
	assert.False(t, rule.ZoneServes("2.amazonaws.com", ec2DNSName))
	assert.False(t, rule.ZoneServes("west-1.amazonaws.com", "ec2.us-west-1.amazonaws.com"))
	assert.False(t, rule.ZoneServes("", ec2DNSName))
}

// Route 53 Resolver answers a name from the most specific zone or rule that holds it (a rule
// before a zone of the same name): what a less specific path would say does not count when a
// more specific one answers otherwise, and every record set of the name must lead to the
// endpoint, since Resolver may answer with any of them.
func TestEvaluateCentralEndpointsResolution(t *testing.T) {
	forward := func(id, domain, owner string) rule.ResolverRule {
		return rule.ResolverRule{ID: id, DomainName: domain, OwnerID: owner, Type: "FORWARD", Status: "COMPLETE"}
	}
	elsewhere := aliasTo(ec2DNSName, "internal-proxy-1.us-east-1.elb.amazonaws.com")
	weighted := func(recs ...rule.Record) map[string][]rule.Record { return map[string][]rule.Record{ownZoneID: recs} }
	served := "Served by " + hubEndpoint + " (" + ec2Service + ") in " + hubVPCID + " through private hosted zone " + ownZoneID + " " + ec2DNSName + "."
	pointsElsewhere := "private hosted zone " + ownZoneID + " " + ec2DNSName + " sends " + ec2DNSName +
		" to internal-proxy-1.us-east-1.elb.amazonaws.com, not an endpoint of this account in us-east-1"
	tests := []struct {
		name    string
		dns     rule.DNS
		profile *rule.Profile
		want    rule.Result
	}{
		{
			name: "a zone for the name pointing elsewhere hides a trusted rule for a parent",
			dns:  dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, weighted(elsewhere), []rule.ResolverRule{forward("rslvr-rr-0001", "amazonaws.com", trustedAcct)}, hub()),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: "+pointsElsewhere+"."),
		},
		{
			name: "an untrusted rule for the name hides a zone that would serve it",
			dns: dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, weighted(aliasTo(ec2DNSName, hubDNSName)),
				[]rule.ResolverRule{forward("rslvr-rr-0002", ec2DNSName, strangerAcct)}, hub()),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: Resolver rule rslvr-rr-0002 ("+ec2DNSName+
				") is owned by account "+strangerAcct+", not in trustedDnsAccounts."),
		},
		{
			name: "a rule for a parent does not hide a zone for the name",
			dns: dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, weighted(aliasTo(ec2DNSName, hubDNSName)),
				[]rule.ResolverRule{forward("rslvr-rr-0003", "amazonaws.com", strangerAcct)}, hub()),
			want: vpcResult(rule.Compliant, served),
		},
		{
			name: "a SYSTEM rule for the name leaves the answer to the zone",
			dns: dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, weighted(aliasTo(ec2DNSName, hubDNSName)),
				[]rule.ResolverRule{forward("rslvr-rr-0004", "amazonaws.com", strangerAcct),
					{ID: "rslvr-rr-0005", DomainName: ec2DNSName, OwnerID: testAccount, Type: "SYSTEM", Status: "COMPLETE"}}, hub()),
			want: vpcResult(rule.Compliant, served),
		},
		{
			name: "a forwarding rule and a SYSTEM rule for one domain, direct and through the profile: neither is evidence",
			dns:  dnsFacts(nil, nil, []rule.ResolverRule{forward("rslvr-rr-0006", ec2DNSName, testAccount)}, hub()),
			profile: &rule.Profile{ID: "rp-0001", Status: "COMPLETE", Rules: []rule.ResolverRule{
				{ID: "rslvr-rr-0007", DomainName: ec2DNSName, OwnerID: trustedAcct, Type: "SYSTEM", Status: "COMPLETE"}}},
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: Resolver rule rslvr-rr-0007 ("+ec2DNSName+
				") through Route 53 Profile rp-0001 is a SYSTEM rule: it forwards nothing."),
		},
		{
			name: "a trusted forwarding rule for the root domain forwards the name",
			dns:  dnsFacts(nil, nil, []rule.ResolverRule{forward("rslvr-rr-0008", ".", trustedAcct)}, hub()),
			want: vpcResult(rule.Compliant, "Served through Resolver rule rslvr-rr-0008 (.) of account "+trustedAcct+
				": the resolver it forwards "+ec2DNSName+" to gives the answer."),
		},
		{
			name: "a zone for the name is more specific than a root rule",
			dns: dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, weighted(elsewhere),
				[]rule.ResolverRule{forward("rslvr-rr-0008", ".", trustedAcct)}, hub()),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: "+pointsElsewhere+"."),
		},
		{
			name:    "a direct zone pointing elsewhere hides the profile's zone for the same name",
			dns:     dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, weighted(elsewhere), nil, hub()),
			profile: &rule.Profile{ID: "rp-0001", Status: "COMPLETE", Zones: []rule.HostedZone{{ID: "Z0NET", Name: ec2DNSName, OwnerAccount: trustedAcct}}},
			want:    vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: "+pointsElsewhere+"."),
		},
		{
			name: "weighted records: one to the endpoint, one elsewhere",
			dns:  dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, weighted(aliasTo(ec2DNSName, hubDNSName), elsewhere), nil, hub()),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: "+pointsElsewhere+"."),
		},
		{
			name: "an alias AAAA elsewhere beside an alias A to the endpoint",
			dns: dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)},
				weighted(aliasTo(ec2DNSName, hubDNSName), rule.Record{Name: ec2DNSName, Type: "AAAA", Values: []string{"fd00::5"}}), nil, hub()),
			want: vpcResult(rule.NonCompliant, noEndpointNC+"Central DNS not evidence: private hosted zone "+ownZoneID+" "+ec2DNSName+
				" answers "+ec2DNSName+" with AAAA fd00::5, not an alias or CNAME to an endpoint."),
		},
		{
			name: "every record set to the endpoint, a TXT record beside them",
			dns: dnsFacts([]rule.HostedZone{ownZone(ec2DNSName)}, weighted(rule.Record{Name: ec2DNSName, Type: "TXT", Values: []string{`"owner=net"`}},
				aliasTo(ec2DNSName, hubDNSName), rule.Record{Name: ec2DNSName, Type: "AAAA", AliasTarget: hubDNSName}), nil, hub()),
			want: vpcResult(rule.Compliant, served),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parseParams(t, centralOn)
			if tt.profile != nil {
				tt.dns.Profiles = map[string]rule.Profile{testVPCID: *tt.profile}
			}
			inv := rule.Inventory{DNS: tt.dns}
			got := rule.Evaluate(testVPC(), nil, inv, p, testScope)
			assert.Equal(t, tt.want.Compliance, got.Compliance)
			assert.Equal(t, rule.Truncate(tt.want.Annotation), rule.Truncate(got.Annotation))
			assert.Equal(t, []rule.Result{got}, rule.EvaluateAll([]rule.VPC{testVPC()}, nil, inv, p, testScope))
		})
	}
}
