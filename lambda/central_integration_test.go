package main

// Integration cases for VPCs that need no endpoint of their own, against moto (EC2, Route 53
// private zones and records, Route 53 Resolver rules) and the Route 53 Profiles fake: a hub VPC
// holds the central EC2 endpoint with private DNS off, and spokes are served (or not) through
// each DNS path.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/route53resolver"
	resolvertypes "github.com/aws/aws-sdk-go-v2/service/route53resolver/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/localaws"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

const (
	itestEC2DNSName  = "ec2.us-east-1.amazonaws.com"
	itestNetwork     = "444455556666" // the trusted network account
	itestStranger    = "777788889999"
	itestCentral     = `{"allowCentralEndpoints":"true","trustedDnsAccounts":"` + itestNetwork + `"}`
	itestCentralUnus = `{"allowCentralEndpoints":"true","trustedDnsAccounts":"` + itestNetwork + `","ignoreUnusedVpcs":"true"}`
)

// itestHubEstate is what the central-endpoint tests seed.
type itestHubEstate struct {
	vpcs map[string]localaws.SeededVPC
	// hubDNS is the hub endpoint's regional DNS name, as DescribeVpcEndpoints answers it.
	hubDNS string
	// profileZone is the ID of the account's zone that reaches a spoke only through a Profile.
	profileZone string
}

// seedHub seeds the hub and its spokes: each spoke but "unused" gets a network interface (an
// instance's, as far as the rule can tell).
func (r *itestRig) seedHub(t *testing.T) itestHubEstate {
	t.Helper()
	ctx := t.Context()
	vpcs := r.seedVPCs(t,
		localaws.VPCSpec{Name: "hub", CIDR: "10.100.0.0/16", AZs: []string{"us-east-1a", "us-east-1b"},
			// HTTPS from the hub's own CIDR only: the spokes' clients are not let in.
			Endpoints: []localaws.EndpointSpec{{Service: itestEC2, PrivateDNS: false, HTTPSFromVPC: true}}},
		localaws.VPCSpec{Name: "spoke-zone", CIDR: "10.101.0.0/16", AZs: []string{"us-east-1a"}},
		localaws.VPCSpec{Name: "spoke-parent", CIDR: "10.102.0.0/16", AZs: []string{"us-east-1a"}},
		localaws.VPCSpec{Name: "spoke-rule", CIDR: "10.103.0.0/16", AZs: []string{"us-east-1a", "us-east-1b"}},
		localaws.VPCSpec{Name: "spoke-profile", CIDR: "10.104.0.0/16", AZs: []string{"us-east-1a"}},
		localaws.VPCSpec{Name: "spoke-elsewhere", CIDR: "10.105.0.0/16", AZs: []string{"us-east-1a"}},
		localaws.VPCSpec{Name: "spoke-untrusted", CIDR: "10.106.0.0/16", AZs: []string{"us-east-1a"}},
		localaws.VPCSpec{Name: "unused", CIDR: "10.107.0.0/16", AZs: []string{"us-east-1a"}},
	)
	for name, v := range vpcs {
		if name == "unused" {
			continue
		}
		_, err := r.seed.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(v.SubnetIDs[0]), Description: aws.String("app")})
		require.NoError(t, err)
	}
	eps, err := r.seed.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{vpcs["hub"].Endpoints[0].ID}})
	require.NoError(t, err)
	require.NotEmpty(t, eps.VpcEndpoints[0].DnsEntries, "moto gives an interface endpoint DNS entries")
	entry := eps.VpcEndpoints[0].DnsEntries[0]
	hub := itestHubEstate{vpcs: vpcs, hubDNS: aws.ToString(entry.DnsName)}

	r53 := localaws.Route53Client(r.cfg, r.moto.ServerURL)
	zone := func(name, vpc string, records ...r53types.ResourceRecordSet) string {
		t.Helper()
		out, err := r53.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{
			Name: aws.String(name), CallerReference: aws.String(vpc + name),
			HostedZoneConfig: &r53types.HostedZoneConfig{PrivateZone: true},
			VPC:              &r53types.VPC{VPCId: aws.String(vpcs[vpc].ID), VPCRegion: r53types.VPCRegionUsEast1},
		})
		require.NoError(t, err)
		id := aws.ToString(out.HostedZone.Id)
		var changes []r53types.Change
		for _, rs := range records {
			changes = append(changes, r53types.Change{Action: r53types.ChangeActionCreate, ResourceRecordSet: &rs})
		}
		if len(changes) > 0 {
			_, err = r53.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(id), ChangeBatch: &r53types.ChangeBatch{Changes: changes}})
			require.NoError(t, err)
		}
		return strings.TrimPrefix(id, "/hostedzone/")
	}
	alias := r53types.ResourceRecordSet{Name: aws.String(itestEC2DNSName), Type: r53types.RRTypeA, AliasTarget: &r53types.AliasTarget{
		DNSName: aws.String(hub.hubDNS), HostedZoneId: aws.String(cmpOr(aws.ToString(entry.HostedZoneId), "Z7HUB4EXAMPLE")), EvaluateTargetHealth: false,
	}}
	zone(itestEC2DNSName, "spoke-zone", alias)
	zone("us-east-1.amazonaws.com", "spoke-parent", alias)
	zone(itestEC2DNSName, "spoke-elsewhere", r53types.ResourceRecordSet{Name: aws.String(itestEC2DNSName), Type: r53types.RRTypeCname, TTL: aws.Int64(60),
		ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("proxy.corp.example")}}})

	// A forwarding rule for a parent domain, through an outbound endpoint in the hub.
	res := localaws.ResolverClient(r.cfg, r.moto.ServerURL)
	sg, err := r.seed.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("resolver"), Description: aws.String("resolver"), VpcId: aws.String(vpcs["hub"].ID)})
	require.NoError(t, err)
	outbound, err := res.CreateResolverEndpoint(ctx, &route53resolver.CreateResolverEndpointInput{
		CreatorRequestId: aws.String("hub-outbound"), Direction: resolvertypes.ResolverEndpointDirectionOutbound, Name: aws.String("hub-outbound"),
		SecurityGroupIds: []string{aws.ToString(sg.GroupId)},
		IpAddresses:      []resolvertypes.IpAddressRequest{{SubnetId: aws.String(vpcs["hub"].SubnetIDs[0])}, {SubnetId: aws.String(vpcs["hub"].SubnetIDs[1])}},
	})
	require.NoError(t, err)
	fwd, err := res.CreateResolverRule(ctx, &route53resolver.CreateResolverRuleInput{
		CreatorRequestId: aws.String("amazonaws-forward"), Name: aws.String("amazonaws-forward"), RuleType: resolvertypes.RuleTypeOptionForward,
		DomainName: aws.String("amazonaws.com"), ResolverEndpointId: outbound.ResolverEndpoint.Id,
		TargetIps: []resolvertypes.TargetAddress{{Ip: aws.String("10.100.0.10"), Port: aws.Int32(53)}},
	})
	require.NoError(t, err)
	_, err = res.AssociateResolverRule(ctx, &route53resolver.AssociateResolverRuleInput{ResolverRuleId: fwd.ResolverRule.Id, VPCId: aws.String(vpcs["spoke-rule"].ID)})
	require.NoError(t, err)

	// Profiles, whose resource associations carry labels, not domains: the account's own,
	// carrying its own zone for the name (associated with the hub only, so that the spoke
	// reaches it through the Profile alone), its forwarding rule and a zone of the network
	// account, which cannot be read from here; and a stranger's, carrying the stranger's zone.
	profileZone := zone(itestEC2DNSName, "hub", alias)
	require.NoError(t, r.profiles.Add(
		localaws.ProfileSpec{ID: "rp-0account0001", OwnerID: itestAccount, VPCs: []string{vpcs["spoke-profile"].ID}, Resources: []localaws.ProfileResource{
			{ARN: "arn:aws:route53:::hostedzone/" + profileZone, Name: "ec2 endpoint zone", OwnerID: itestAccount, Type: "PRIVATE_HOSTED_ZONE"},
			{ARN: aws.ToString(fwd.ResolverRule.Arn), Name: "amazonaws-forward", OwnerID: itestAccount, Type: "RESOLVER_RULE"},
			{ARN: "arn:aws:route53:::hostedzone/Z0NETWORK0001", Name: "network ec2", OwnerID: itestNetwork, Type: "PRIVATE_HOSTED_ZONE"},
		}},
		localaws.ProfileSpec{ID: "rp-0stranger001", OwnerID: itestStranger, VPCs: []string{vpcs["spoke-untrusted"].ID}, Resources: []localaws.ProfileResource{
			{ARN: "arn:aws:route53:::hostedzone/Z0STRANGER001", Name: "ec2", OwnerID: itestStranger, Type: "PRIVATE_HOSTED_ZONE"},
		}},
	))
	hub.profileZone = profileZone
	return hub
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestIntegrationCentralEndpointsSweep(t *testing.T) {
	r := itestSetup(t)
	hub := r.seedHub(t)
	v := hub.vpcs
	hubEP := v["hub"].Endpoints[0].ID
	served := "Served by " + hubEP + " (" + itestEC2 + ") in " + v["hub"].ID + " through private hosted zone "
	r.resetCalls()

	require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweepTime, itestCentralUnus)))

	itestAssertEvaluations(t, itestReported(r.config), itestSweepTime,
		itestVPC(v["hub"].ID, rule.Compliant, hubEP+" ("+itestEC2+") is an available Interface endpoint."),
		itestVPC(v["spoke-zone"].ID, rule.Compliant, served, " "+itestEC2DNSName+"."),
		itestVPC(v["spoke-parent"].ID, rule.Compliant, served, " us-east-1.amazonaws.com."),
		itestVPC(v["spoke-rule"].ID, rule.Compliant, "Served through Resolver rule rslvr-rr-", "(amazonaws.com) of account "+itestAccount,
			"the resolver it forwards "+itestEC2DNSName+" to gives the answer."),
		itestVPC(v["spoke-profile"].ID, rule.Compliant, served+hub.profileZone+" "+itestEC2DNSName+" through Route 53 Profile rp-0account0001."),
		itestVPC(v["spoke-elsewhere"].ID, rule.NonCompliant, "No Interface endpoint for "+itestEC2+" in the VPC.",
			"sends "+itestEC2DNSName+" to proxy.corp.example, not an endpoint of this account"),
		itestVPC(v["spoke-untrusted"].ID, rule.NonCompliant, "Route 53 Profile rp-0stranger001 carries arn:aws:route53:::hostedzone/Z0STRANGER001 of account "+
			itestStranger+", whose name cannot be read here."),
		itestVPC(v["unused"].ID, rule.NotApplicable, "nothing in it can call the API (rule parameter ignoreUnusedVpcs)."),
		itestVPC(r.defaultVPC(t), rule.NotApplicable, "nothing in it can call the API"),
	)
	itestAssertPuts(t, r.config)
	// One listing each, ListHostedZonesByVPC once per spoke without an endpoint of its own, the
	// records of each own zone that serves the name once, each Profile's resources once, and the
	// domain of each resource this account can read once: its own zone's, its rule's.
	assert.Equal(t, map[string]int{
		"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "DescribeNetworkInterfaces": 1, "DescribeVpcEndpointServices": 1,
		"ListHostedZonesByVPC": 6, "ListResourceRecordSets": 4,
		"ListResolverRuleAssociations": 1, "ListResolverRules": 1,
		"ListProfileAssociations": 1, "ListProfileResourceAssociations": 2,
		"GetHostedZone": 1, "GetResolverRule": 1,
		"GetComplianceDetailsByConfigRule": 1, "PutEvaluations": 1,
	}, r.calls())
	assert.Equal(t, r.calls(), r.attempts(), "no call was retried: Route 53 was paced, not throttled")

}

func TestIntegrationCentralEndpointsChange(t *testing.T) {
	r := itestSetup(t)
	hub := r.seedHub(t)
	v := hub.vpcs
	hubEP := v["hub"].Endpoints[0].ID

	// A spoke served through an own-account zone: at most 6 calls with the practice checks off.
	r.resetCalls()
	require.NoError(t, r.h.Handle(t.Context(), itestChange(t, itestVPCItem(v["spoke-zone"], "OK", itestChangeTime), itestCentral)))
	itestAssertEvaluations(t, itestReported(r.config), itestChangeTime,
		itestVPC(v["spoke-zone"].ID, rule.Compliant, "Served by "+hubEP+" ("+itestEC2+") in "+v["hub"].ID+" through private hosted zone "))
	assert.Equal(t, map[string]int{
		"DescribeVpcEndpoints": 2, "DescribeVpcEndpointServices": 1, "ListHostedZonesByVPC": 1, "ListResourceRecordSets": 1, "PutEvaluations": 1,
	}, r.calls())
	total := 0
	for _, n := range r.calls() {
		total += n
	}
	assert.LessOrEqual(t, total, 6)

	// With the practice checks on, the hub endpoint's subnets and groups are read for the spoke,
	// and HTTPS is checked against the spoke's CIDR: the hub's group admits only the hub's.
	r.config.Reset()
	r.resetCalls()
	require.NoError(t, r.h.Handle(t.Context(), itestChange(t, itestVPCItem(v["spoke-zone"], "OK", itestChangeTime),
		`{"allowCentralEndpoints":"true","minAvailabilityZones":"2","requireHttpsFromVpc":"true"}`)))
	itestAssertEvaluations(t, itestReported(r.config), itestChangeTime,
		itestVPC(v["spoke-zone"].ID, rule.NonCompliant, "sends "+itestEC2DNSName+" to "+hubEP+", which has no security group"))
	assert.Equal(t, 1, r.calls()["DescribeSubnets"])
	assert.Equal(t, 1, r.calls()["DescribeSecurityGroups"])

	// A spoke whose zone points elsewhere reads the Resolver rules and the Profile too, each
	// filtered to the VPC.
	r.config.Reset()
	r.resetCalls()
	require.NoError(t, r.h.Handle(t.Context(), itestChange(t, itestVPCItem(v["spoke-elsewhere"], "OK", itestChangeTime), itestCentral)))
	itestAssertEvaluations(t, itestReported(r.config), itestChangeTime,
		itestVPC(v["spoke-elsewhere"].ID, rule.NonCompliant, "proxy.corp.example"))
	assert.Equal(t, map[string]int{
		"DescribeVpcEndpoints": 1, "DescribeVpcEndpointServices": 1, "ListHostedZonesByVPC": 1, "ListResourceRecordSets": 1,
		"ListResolverRuleAssociations": 1, "ListProfileAssociations": 1, "PutEvaluations": 1,
	}, r.calls(), "no association: no rule listing, no Profile resources")

	// The unused VPC, on a change event.
	r.config.Reset()
	r.resetCalls()
	require.NoError(t, r.h.Handle(t.Context(), itestChange(t, itestVPCItem(v["unused"], "OK", itestChangeTime), `{"ignoreUnusedVpcs":"true"}`)))
	itestAssertEvaluations(t, itestReported(r.config), itestChangeTime, itestVPC(v["unused"].ID, rule.NotApplicable, "ignoreUnusedVpcs"))
	assert.Equal(t, map[string]int{"DescribeVpcEndpoints": 1, "DescribeNetworkInterfaces": 1, "PutEvaluations": 1}, r.calls())
}

// A failed Route 53, Resolver or Profiles read fails the invocation, puts nothing and names the
// IAM action.
func TestIntegrationCentralEndpointsFailures(t *testing.T) {
	tests := []struct {
		op, code, action string
	}{
		{"ListHostedZonesByVPC", "AccessDenied", "route53:ListHostedZonesByVPC"},
		{"ListResourceRecordSets", "AccessDenied", "route53:ListResourceRecordSets"},
		{"ListResolverRuleAssociations", "AccessDeniedException", "route53resolver:ListResolverRuleAssociations"},
		{"ListProfileAssociations", "AccessDeniedException", "route53profiles:ListProfileAssociations"},
		// The account's own zone and rule in a Profile: refused, the role lacks the action.
		{"GetHostedZone", "AccessDenied", "route53:GetHostedZone"},
		{"GetResolverRule", "AccessDeniedException", "route53resolver:GetResolverRule"},
		{"DescribeVpcEndpointServices", "UnauthorizedOperation", "ec2:DescribeVpcEndpointServices"},
		{"DescribeNetworkInterfaces", "UnauthorizedOperation", "ec2:DescribeNetworkInterfaces"},
	}
	r := itestSetup(t)
	r.seedHub(t)
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			fault := func(op string, _ int) *localaws.Fault {
				if op == tt.op {
					return &localaws.Fault{Code: tt.code, Status: 403}
				}
				return nil
			}
			r.moto.OnCall(fault)
			r.profiles.OnCall(fault)
			t.Cleanup(func() { r.moto.OnCall(nil); r.profiles.OnCall(nil) })
			r.config.Reset()
			err := r.h.Handle(t.Context(), itestScheduled(t, itestSweepTime, itestCentralUnus))
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrAccessDenied)
			assert.ErrorContains(t, err, fmt.Sprintf("the caller needs IAM permission %s", tt.action))
			assert.Empty(t, r.config.Puts(), "a failed read puts nothing")
		})
	}
}
