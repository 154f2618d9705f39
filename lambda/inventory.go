package main

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/ec2facts"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// ec2API is the part of the EC2 API the function reads. Every method is a Describe call.
type ec2API interface {
	ec2.DescribeVpcsAPIClient
	ec2.DescribeVpcEndpointsAPIClient
	ec2.DescribeSubnetsAPIClient
	ec2.DescribeSecurityGroupsAPIClient
	// Only with allowCentralEndpoints, and ignoreUnusedVpcs.
	DescribeVpcEndpointServices(ctx context.Context, in *ec2.DescribeVpcEndpointServicesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointServicesOutput, error)
	ec2.DescribeNetworkInterfacesAPIClient
}

// pageSize is the largest page the EC2 Describe calls return.
const pageSize = 1000

// listVPCs returns the VPCs matching in (all of them for an empty input), every page.
func listVPCs(ctx context.Context, api ec2API, in *ec2.DescribeVpcsInput) ([]rule.VPC, error) {
	if len(in.VpcIds) == 0 {
		in.MaxResults = aws.Int32(pageSize)
	}
	var out []rule.VPC
	pages := ec2.NewDescribeVpcsPaginator(api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, apiError(actionDescribeVPCs, err)
		}
		for _, v := range page.Vpcs {
			out = append(out, ec2facts.VPC(v))
		}
	}
	return out, nil
}

// listEndpoints returns the endpoints for p's services, in vpcID when it is set, every page.
func listEndpoints(ctx context.Context, api ec2API, p rule.Params, region, vpcID string) ([]rule.Endpoint, error) {
	in := &ec2.DescribeVpcEndpointsInput{
		Filters:    []types.Filter{{Name: aws.String("service-name"), Values: p.EndpointServiceNames(region)}},
		MaxResults: aws.Int32(pageSize),
	}
	if vpcID != "" {
		in.Filters = append(in.Filters, types.Filter{Name: aws.String("vpc-id"), Values: []string{vpcID}})
	}
	return describeEndpoints(ctx, api, in)
}

// describeEndpoints runs one paginated DescribeVpcEndpoints listing.
func describeEndpoints(ctx context.Context, api ec2API, in *ec2.DescribeVpcEndpointsInput) ([]rule.Endpoint, error) {
	var out []rule.Endpoint
	pages := ec2.NewDescribeVpcEndpointsPaginator(api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, apiError(actionDescribeVPCEndpoints, err)
		}
		for _, e := range page.VpcEndpoints {
			out = append(out, endpointFromAPI(e))
		}
	}
	return out, nil
}

func endpointFromAPI(e types.VpcEndpoint) rule.Endpoint {
	ep := rule.Endpoint{
		ID:                aws.ToString(e.VpcEndpointId),
		VPCID:             aws.ToString(e.VpcId),
		ServiceName:       aws.ToString(e.ServiceName),
		Type:              string(e.VpcEndpointType),
		State:             string(e.State),
		PrivateDNSEnabled: aws.ToBool(e.PrivateDnsEnabled),
		SubnetIDs:         e.SubnetIds,
		PolicyDocument:    aws.ToString(e.PolicyDocument),
		// Only the DNS check reads these; the listing carries them anyway.
		NetworkInterfaceIDs: e.NetworkInterfaceIds,
	}
	for _, d := range e.DnsEntries {
		if n := aws.ToString(d.DnsName); n != "" {
			ep.DNSNames = append(ep.DNSNames, n)
		}
	}
	for _, g := range e.Groups {
		ep.SecurityGroupIDs = append(ep.SecurityGroupIDs, aws.ToString(g.GroupId))
	}
	return ep
}

// loadInventory reads the subnet and security-group facts that p's checks need, in bulk. With
// all set it lists every subnet and group in the region (a sweep); otherwise it asks for just
// those the endpoints use (a change event).
func loadInventory(ctx context.Context, api ec2API, p rule.Params, endpoints []rule.Endpoint, all bool) (rule.Inventory, error) {
	var inv rule.Inventory
	// Only usable endpoints are checked. The others may name subnets and groups that are gone
	// (EC2 lists a deleted endpoint for a while), which a request by ID answers with NotFound.
	endpoints = slices.DeleteFunc(slices.Clone(endpoints), func(e rule.Endpoint) bool { return !e.Usable() })
	if len(endpoints) == 0 {
		return inv, nil
	}
	if p.NeedsSubnets() {
		in := &ec2.DescribeSubnetsInput{MaxResults: aws.Int32(pageSize)}
		if !all {
			// Without a page size the API takes explicit IDs; an empty list would mean "all".
			in = &ec2.DescribeSubnetsInput{SubnetIds: uniqueIDs(endpoints, func(e rule.Endpoint) []string { return e.SubnetIDs })}
		}
		subnets, err := describeSubnets(ctx, api, in)
		if err != nil {
			return inv, err
		}
		inv.SubnetAZs = subnets
	}
	if p.NeedsSecurityGroups() {
		in := &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(pageSize)}
		if !all {
			in = &ec2.DescribeSecurityGroupsInput{GroupIds: uniqueIDs(endpoints, func(e rule.Endpoint) []string { return e.SecurityGroupIDs })}
		}
		groups, err := describeSecurityGroups(ctx, api, in)
		if err != nil {
			return inv, err
		}
		inv.SecurityGroups = groups
	}
	return inv, nil
}

func describeSubnets(ctx context.Context, api ec2API, in *ec2.DescribeSubnetsInput) (map[string]string, error) {
	out := make(map[string]string)
	if in.MaxResults == nil && len(in.SubnetIds) == 0 {
		return out, nil
	}
	pages := ec2.NewDescribeSubnetsPaginator(api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, apiError(actionDescribeSubnets, err)
		}
		for _, s := range page.Subnets {
			az := aws.ToString(s.AvailabilityZoneId)
			if az == "" {
				az = aws.ToString(s.AvailabilityZone)
			}
			out[aws.ToString(s.SubnetId)] = az
		}
	}
	return out, nil
}

func describeSecurityGroups(ctx context.Context, api ec2API, in *ec2.DescribeSecurityGroupsInput) (map[string]rule.SecurityGroup, error) {
	out := make(map[string]rule.SecurityGroup)
	if in.MaxResults == nil && len(in.GroupIds) == 0 {
		return out, nil
	}
	pages := ec2.NewDescribeSecurityGroupsPaginator(api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, apiError(actionDescribeSecurityGroups, err)
		}
		for _, g := range page.SecurityGroups {
			sg := ec2facts.SecurityGroup(g)
			out[sg.ID] = sg
		}
	}
	return out, nil
}

// uniqueIDs collects the IDs ids returns for each endpoint, each once, in first-seen order.
func uniqueIDs(endpoints []rule.Endpoint, ids func(rule.Endpoint) []string) []string {
	var out []string
	for _, e := range endpoints {
		for _, id := range ids(e) {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}
