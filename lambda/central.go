package main

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/dns"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// dnsReader is what the function reads of a VPC's DNS (internal/dns.Reader).
type dnsReader interface {
	ZonesByVPC(ctx context.Context, vpcID string) ([]rule.HostedZone, error)
	Records(ctx context.Context, zoneID, name string) ([]rule.Record, error)
	ResolverRules(ctx context.Context, vpcID string) (map[string][]rule.ResolverRule, error)
	Profiles(ctx context.Context, vpcID, accountID string) (map[string]rule.Profile, error)
}

// readers are the APIs an evaluation reads: EC2 always, DNS only with allowCentralEndpoints.
type readers struct {
	ec2API
	dns dnsReader
}

// dnsError names the IAM action of a failed DNS read as apiError does for EC2's.
func dnsError(err error) error {
	var ce *dns.CallError
	if errors.As(err, &ce) {
		return apiError(ce.Action, ce.Err)
	}
	return err
}

// serviceDNSNames returns the private DNS names of p's services in region, by short service
// name: one DescribeVpcEndpointServices listing of every service (a page holds them all). It is
// not filtered: ServiceNames fails on a name the region does not offer (the FIPS and China
// forms), and moto cannot read a service-name filter.
func serviceDNSNames(ctx context.Context, api ec2API, p rule.Params, region string) (map[string][]string, error) {
	in := &ec2.DescribeVpcEndpointServicesInput{MaxResults: aws.Int32(pageSize)}
	out := make(map[string][]string)
	// The SDK has no paginator for this operation: follow NextToken.
	for {
		page, err := api.DescribeVpcEndpointServices(ctx, in)
		if err != nil {
			return nil, apiError(actionDescribeVPCEndpointServices, err)
		}
		for _, d := range page.ServiceDetails {
			for _, svc := range p.Services {
				if !svc.Matches(aws.ToString(d.ServiceName), region) {
					continue
				}
				names := []string{aws.ToString(d.PrivateDnsName)}
				for _, n := range d.PrivateDnsNames {
					names = append(names, aws.ToString(n.PrivateDnsName))
				}
				for _, n := range names {
					if n = rule.NormalizeDNSName(n); n != "" && !slices.Contains(out[svc.Name], n) {
						out[svc.Name] = append(out[svc.Name], n)
					}
				}
			}
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// listInterfaces returns the network interfaces of vpcID (of every VPC for ""), by VPC ID.
func listInterfaces(ctx context.Context, api ec2API, vpcID string) (map[string][]rule.NetworkInterface, error) {
	in := &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(pageSize)}
	if vpcID != "" {
		in.Filters = []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}
	}
	out := make(map[string][]rule.NetworkInterface)
	pages := ec2.NewDescribeNetworkInterfacesPaginator(api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, apiError(actionDescribeNetworkInterfaces, err)
		}
		for _, ni := range page.NetworkInterfaces {
			vpc := aws.ToString(ni.VpcId)
			out[vpc] = append(out[vpc], rule.NetworkInterface{ID: aws.ToString(ni.NetworkInterfaceId), Type: string(ni.InterfaceType)})
		}
	}
	return out, nil
}

// withInterfaces returns vpcs with their network interfaces from byVPC, known.
func withInterfaces(vpcs []rule.VPC, byVPC map[string][]rule.NetworkInterface) []rule.VPC {
	out := slices.Clone(vpcs)
	for i := range out {
		out[i].NetworkInterfaces = byVPC[out[i].ID]
		out[i].InterfacesKnown = true
	}
	return out
}

// centralFacts gathers the DNS facts of the VPCs that lack a qualifying endpoint of their own,
// path by path as rule.DNS weighs them, and stops reading once none of them is left undecided.
type centralFacts struct {
	api   readers
	p     rule.Params
	s     rule.Scope
	inv   rule.Inventory
	known []rule.Endpoint // endpoints already read, which records may point at
	// all is true for a sweep: Resolver rules and Profiles are listed for every VPC at once,
	// and the subnets and groups of every endpoint are already in inv.
	all bool
	// asked holds the endpoint IDs already asked for, found or not: each is asked once.
	asked map[string]bool
}

// evaluate decides vpcs, reading DNS facts for those that stay NON_COMPLIANT on their own
// endpoints; decide runs the rule over the facts gathered so far.
func (c *centralFacts) evaluate(ctx context.Context, vpcs []rule.VPC, decide func(rule.Inventory) []rule.Result) ([]rule.Result, error) {
	results := decide(c.inv)
	pending := undecided(vpcs, results)
	if len(pending) == 0 {
		return results, nil
	}
	names, err := serviceDNSNames(ctx, c.api, c.p, c.s.Region)
	if err != nil {
		return nil, err
	}
	c.inv.DNS = rule.DNS{
		ServiceNames: names,
		Zones:        make(map[string][]rule.HostedZone),
		Records:      make(map[string][]rule.Record),
		Endpoints:    c.known,
	}
	if len(names) == 0 {
		return decide(c.inv), nil
	}

	// First path: the zones associated with each VPC directly.
	for _, vpc := range pending {
		zones, err := c.api.dns.ZonesByVPC(ctx, vpc.ID)
		if err != nil {
			return nil, dnsError(err)
		}
		c.inv.DNS.Zones[vpc.ID] = zones
		if err := c.readRecords(ctx, zones); err != nil {
			return nil, err
		}
	}
	if err := c.resolveTargets(ctx); err != nil {
		return nil, err
	}
	results = decide(c.inv)
	if pending = undecided(vpcs, results); len(pending) == 0 && !c.all {
		// A change event stops here: 6 calls for a spoke served through its own zone. A
		// forwarding rule of the zone's domain, which Resolver would answer from instead, is
		// seen by the next sweep, which always reads the rules and the Profiles.
		return results, nil
	}

	// Then the Resolver rules and the Profiles: one listing each for a sweep (for every VPC,
	// so that a rule overriding a zone is seen), filtered to the VPC for a change.
	vpcID := ""
	if !c.all {
		vpcID = vpcs[0].ID
	}
	if c.inv.DNS.Rules, err = c.api.dns.ResolverRules(ctx, vpcID); err != nil {
		return nil, dnsError(err)
	}
	if c.inv.DNS.Profiles, err = c.api.dns.Profiles(ctx, vpcID, c.s.AccountID); err != nil {
		return nil, dnsError(err)
	}
	for _, p := range c.inv.DNS.Profiles {
		if err := c.readRecords(ctx, p.Zones); err != nil {
			return nil, err
		}
	}
	if err := c.resolveTargets(ctx); err != nil {
		return nil, err
	}
	return decide(c.inv), nil
}

// undecided returns the VPCs whose result is NON_COMPLIANT: those the DNS path may still pass.
func undecided(vpcs []rule.VPC, results []rule.Result) []rule.VPC {
	var out []rule.VPC
	for i, r := range results {
		if r.Compliance == rule.NonCompliant {
			out = append(out, vpcs[i])
		}
	}
	return out
}

// readRecords reads, for each zone the evaluated account owns, its records for every service
// name it serves. Zones of other accounts cannot be read; the rule weighs their owner instead.
func (c *centralFacts) readRecords(ctx context.Context, zones []rule.HostedZone) error {
	for _, z := range zones {
		if z.OwnerAccount != c.s.AccountID {
			continue
		}
		if _, ok := c.inv.DNS.Records[z.ID]; !ok {
			c.inv.DNS.Records[z.ID] = []rule.Record{}
		}
		for _, names := range c.inv.DNS.ServiceNames {
			for _, name := range names {
				if !rule.ZoneServes(z.Name, name) || slices.ContainsFunc(c.inv.DNS.Records[z.ID], func(r rule.Record) bool { return r.Name == name }) {
					continue
				}
				recs, err := c.api.dns.Records(ctx, z.ID, name)
				if err != nil {
					return dnsError(err)
				}
				c.inv.DNS.Records[z.ID] = append(c.inv.DNS.Records[z.ID], recs...)
			}
		}
	}
	return nil
}

// resolveTargets reads the endpoints that records point at and that are not yet known: one
// DescribeVpcEndpoints call by endpoint ID, whatever their service (the rule says when it is
// another). For a change event it also reads their subnets and groups for the practice checks.
func (c *centralFacts) resolveTargets(ctx context.Context) error {
	var ids []string
	for _, recs := range c.inv.DNS.Records {
		for _, r := range recs {
			target := rule.RecordTarget(r)
			if target == "" || slices.ContainsFunc(c.inv.DNS.Endpoints, func(ep rule.Endpoint) bool { return hasDNSName(ep, target) }) {
				continue
			}
			if id := rule.EndpointIDFromDNSName(target); id != "" && !c.asked[id] {
				if c.asked == nil {
					c.asked = make(map[string]bool)
				}
				c.asked[id] = true
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	found, err := endpointsByID(ctx, c.api, ids)
	if err != nil {
		return err
	}
	c.inv.DNS.Endpoints = append(slices.Clone(c.inv.DNS.Endpoints), found...)
	if c.all || len(found) == 0 || (!c.p.NeedsSubnets() && !c.p.NeedsSecurityGroups()) {
		return nil
	}
	more, err := loadInventory(ctx, c.api, c.p, found, false)
	if err != nil {
		return err
	}
	c.inv.SubnetAZs = merged(c.inv.SubnetAZs, more.SubnetAZs)
	c.inv.SecurityGroups = merged(c.inv.SecurityGroups, more.SecurityGroups)
	return nil
}

// endpointsByID reads the endpoints ids, leaving out those that do not exist: one call, or
// one per ID when EC2 answers that one of them does not exist.
func endpointsByID(ctx context.Context, api ec2API, ids []string) ([]rule.Endpoint, error) {
	found, err := describeEndpoints(ctx, api, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: ids})
	if !isNotFound(err) || len(ids) == 1 {
		if isNotFound(err) {
			return nil, nil
		}
		return found, err
	}
	found = nil
	for _, id := range ids {
		eps, err := describeEndpoints(ctx, api, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found = append(found, eps...)
	}
	return found, nil
}

func hasDNSName(ep rule.Endpoint, name string) bool {
	return slices.ContainsFunc(ep.DNSNames, func(n string) bool { return rule.NormalizeDNSName(n) == name })
}

// merged returns a's entries with b's added, in a new map when b adds any.
func merged[V any](a, b map[string]V) map[string]V {
	if len(b) == 0 {
		return a
	}
	out := make(map[string]V, len(a)+len(b))
	maps.Copy(out, a)
	maps.Copy(out, b)
	return out
}
