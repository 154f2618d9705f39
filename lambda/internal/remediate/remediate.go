// Package remediate is the AWS edge of the fix for a VPC that fails the rule's practice checks:
// Gather reads what package remedy decides from (Describe calls and one Route 53 listing), and
// Apply carries out a remedy.Plan with the create and modify calls it needs, safe to retry.
package remediate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/dns"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/ec2facts"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule/remedy"
)

// The IAM actions the fix calls: ReadActions to plan, WriteActions to carry a plan out.
const (
	ActionDescribeVPCs                 = "ec2:DescribeVpcs"
	ActionDescribeVPCAttribute         = "ec2:DescribeVpcAttribute"
	ActionDescribeSubnets              = "ec2:DescribeSubnets"
	ActionDescribeRouteTables          = "ec2:DescribeRouteTables"
	ActionDescribeVPCEndpoints         = "ec2:DescribeVpcEndpoints"
	ActionDescribeSecurityGroups       = "ec2:DescribeSecurityGroups"
	ActionDescribeVPCEndpointServices  = "ec2:DescribeVpcEndpointServices"
	ActionListHostedZonesByVPC         = dns.ActionListHostedZonesByVPC
	ActionModifyVPCAttribute           = "ec2:ModifyVpcAttribute"
	ActionCreateSecurityGroup          = "ec2:CreateSecurityGroup"
	ActionAuthorizeSecurityGroupIngres = "ec2:AuthorizeSecurityGroupIngress"
	ActionCreateVPCEndpoint            = "ec2:CreateVpcEndpoint"
	ActionModifyVPCEndpoint            = "ec2:ModifyVpcEndpoint"
	// ActionCreateTags is what EC2 checks for the tags a create call sets on what it creates.
	ActionCreateTags = "ec2:CreateTags"
)

// ReadActions returns the actions Gather calls, sorted.
func ReadActions() []string {
	return []string{
		ActionDescribeRouteTables, ActionDescribeSecurityGroups, ActionDescribeSubnets,
		ActionDescribeVPCAttribute, ActionDescribeVPCEndpointServices, ActionDescribeVPCEndpoints,
		ActionDescribeVPCs, ActionListHostedZonesByVPC,
	}
}

// WriteActions returns the actions Apply calls, sorted; with vpcDNS, also the one that turns on
// the VPC's DNS attributes.
func WriteActions(vpcDNS bool) []string {
	out := []string{ActionAuthorizeSecurityGroupIngres, ActionCreateSecurityGroup, ActionCreateTags, ActionCreateVPCEndpoint, ActionModifyVPCEndpoint}
	if vpcDNS {
		out = append(out, ActionModifyVPCAttribute)
	}
	slices.Sort(out)
	return out
}

// EC2 is the part of the EC2 API the fix calls.
type EC2 interface {
	ec2.DescribeVpcsAPIClient
	ec2.DescribeSubnetsAPIClient
	ec2.DescribeRouteTablesAPIClient
	ec2.DescribeVpcEndpointsAPIClient
	ec2.DescribeSecurityGroupsAPIClient
	DescribeVpcAttribute(ctx context.Context, in *ec2.DescribeVpcAttributeInput, optFns ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error)
	DescribeVpcEndpointServices(ctx context.Context, in *ec2.DescribeVpcEndpointServicesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointServicesOutput, error)
	ModifyVpcAttribute(ctx context.Context, in *ec2.ModifyVpcAttributeInput, optFns ...func(*ec2.Options)) (*ec2.ModifyVpcAttributeOutput, error)
	CreateSecurityGroup(ctx context.Context, in *ec2.CreateSecurityGroupInput, optFns ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error)
	AuthorizeSecurityGroupIngress(ctx context.Context, in *ec2.AuthorizeSecurityGroupIngressInput, optFns ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error)
	CreateVpcEndpoint(ctx context.Context, in *ec2.CreateVpcEndpointInput, optFns ...func(*ec2.Options)) (*ec2.CreateVpcEndpointOutput, error)
	ModifyVpcEndpoint(ctx context.Context, in *ec2.ModifyVpcEndpointInput, optFns ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error)
}

// Zones lists the private hosted zones associated with a VPC: a *dns.Reader.
type Zones interface {
	ZonesByVPC(ctx context.Context, vpcID string) ([]rule.HostedZone, error)
}

// ErrAccessDenied is wrapped by errors from calls the caller may not make.
var ErrAccessDenied = errors.New("access denied")

// ErrVPCNotFound is returned when the VPC does not exist in the region.
var ErrVPCNotFound = errors.New("VPC not found")

var accessDeniedCodes = map[string]bool{"UnauthorizedOperation": true, "AccessDenied": true, "AccessDeniedException": true}

// apiError wraps an error from the call that needs the IAM action action, saying so when IAM
// denied it, as the function's own errors do.
func apiError(action string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) && accessDeniedCodes[ae.ErrorCode()] {
		return fmt.Errorf("%s: %w: the caller needs IAM permission %s, or an SCP or permissions boundary denies it (%w)", action, ErrAccessDenied, action, err)
	}
	return fmt.Errorf("%s: %w", action, err)
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// pageSize is the largest page the EC2 Describe calls return.
const pageSize = 1000

// Gather reads the facts remedy.Decide needs about vpcID in region, for services, every read
// complete or an error naming the call that failed.
func Gather(ctx context.Context, api EC2, zones Zones, region, accountID, vpcID string, services []rule.Service) (remedy.Facts, error) {
	f := remedy.Facts{Region: region, AccountID: accountID, Offers: make(map[string]remedy.Offer)}
	vpcs, err := api.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	if err != nil || len(vpcs.Vpcs) == 0 {
		if err == nil || strings.HasSuffix(errorCode(err), ".NotFound") {
			return f, fmt.Errorf("%w: %s in %s", ErrVPCNotFound, vpcID, region)
		}
		return f, apiError(ActionDescribeVPCs, err)
	}
	f.VPC = ec2facts.VPC(vpcs.Vpcs[0])

	for _, attr := range []types.VpcAttributeName{types.VpcAttributeNameEnableDnsSupport, types.VpcAttributeNameEnableDnsHostnames} {
		out, err := api.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpcID), Attribute: attr})
		if err != nil {
			return f, apiError(ActionDescribeVPCAttribute, err)
		}
		if attr == types.VpcAttributeNameEnableDnsSupport {
			f.DNSSupport = out.EnableDnsSupport != nil && aws.ToBool(out.EnableDnsSupport.Value)
		} else {
			f.DNSHostnames = out.EnableDnsHostnames != nil && aws.ToBool(out.EnableDnsHostnames.Value)
		}
	}

	inVPC := []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}
	subnets := ec2.NewDescribeSubnetsPaginator(api, &ec2.DescribeSubnetsInput{Filters: inVPC, MaxResults: aws.Int32(pageSize)})
	for subnets.HasMorePages() {
		page, err := subnets.NextPage(ctx)
		if err != nil {
			return f, apiError(ActionDescribeSubnets, err)
		}
		for _, s := range page.Subnets {
			f.Subnets = append(f.Subnets, remedy.Subnet{
				ID: aws.ToString(s.SubnetId), AZ: aws.ToString(s.AvailabilityZone), AZID: aws.ToString(s.AvailabilityZoneId),
				AvailableIPs: int(aws.ToInt32(s.AvailableIpAddressCount)),
			})
		}
	}

	tables := ec2.NewDescribeRouteTablesPaginator(api, &ec2.DescribeRouteTablesInput{Filters: inVPC, MaxResults: aws.Int32(100)})
	for tables.HasMorePages() {
		page, err := tables.NextPage(ctx)
		if err != nil {
			return f, apiError(ActionDescribeRouteTables, err)
		}
		for _, t := range page.RouteTables {
			rt := remedy.RouteTable{ID: aws.ToString(t.RouteTableId)}
			for _, a := range t.Associations {
				if aws.ToBool(a.Main) {
					rt.Main = true
				}
				if id := aws.ToString(a.SubnetId); id != "" {
					rt.SubnetIDs = append(rt.SubnetIDs, id)
				}
			}
			for _, r := range t.Routes {
				rt.Routes = append(rt.Routes, remedy.Route{
					Destination: aws.ToString(r.DestinationCidrBlock) + aws.ToString(r.DestinationIpv6CidrBlock),
					GatewayID:   aws.ToString(r.GatewayId),
					State:       string(r.State),
				})
			}
			f.RouteTables = append(f.RouteTables, rt)
		}
	}

	var names []string
	for _, s := range services {
		names = append(names, s.EndpointServiceNames(region)...)
	}
	endpoints := ec2.NewDescribeVpcEndpointsPaginator(api, &ec2.DescribeVpcEndpointsInput{
		Filters:    append(slices.Clone(inVPC), types.Filter{Name: aws.String("service-name"), Values: names}),
		MaxResults: aws.Int32(pageSize),
	})
	for endpoints.HasMorePages() {
		page, err := endpoints.NextPage(ctx)
		if err != nil {
			return f, apiError(ActionDescribeVPCEndpoints, err)
		}
		for _, e := range page.VpcEndpoints {
			ep := rule.Endpoint{
				ID: aws.ToString(e.VpcEndpointId), VPCID: aws.ToString(e.VpcId), ServiceName: aws.ToString(e.ServiceName),
				Type: string(e.VpcEndpointType), State: string(e.State), PrivateDNSEnabled: aws.ToBool(e.PrivateDnsEnabled),
				SubnetIDs: e.SubnetIds, PolicyDocument: aws.ToString(e.PolicyDocument),
			}
			for _, g := range e.Groups {
				ep.SecurityGroupIDs = append(ep.SecurityGroupIDs, aws.ToString(g.GroupId))
			}
			f.Endpoints = append(f.Endpoints, ep)
		}
	}

	groups := ec2.NewDescribeSecurityGroupsPaginator(api, &ec2.DescribeSecurityGroupsInput{Filters: inVPC, MaxResults: aws.Int32(pageSize)})
	for groups.HasMorePages() {
		page, err := groups.NextPage(ctx)
		if err != nil {
			return f, apiError(ActionDescribeSecurityGroups, err)
		}
		for _, g := range page.SecurityGroups {
			f.Groups = append(f.Groups, groupFromAPI(g))
		}
	}

	var offered []string
	for _, s := range services {
		offered = append(offered, s.FullName(region))
	}
	offers, err := api.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: offered})
	if err != nil {
		if errorCode(err) == "InvalidServiceName" {
			return f, fmt.Errorf("%s: %s does not offer %s as an endpoint service: %w", ActionDescribeVPCEndpointServices, region, strings.Join(offered, ", "), err)
		}
		return f, apiError(ActionDescribeVPCEndpointServices, err)
	}
	for _, d := range offers.ServiceDetails {
		f.Offers[aws.ToString(d.ServiceName)] = remedy.Offer{PrivateDNSName: aws.ToString(d.PrivateDnsName), AZs: d.AvailabilityZones}
	}
	for _, name := range offered {
		if _, ok := f.Offers[name]; !ok {
			return f, fmt.Errorf("%s does not offer the endpoint service %s", region, name)
		}
	}

	zs, err := zones.ZonesByVPC(ctx, vpcID)
	if err != nil {
		var ce *dns.CallError
		if errors.As(err, &ce) {
			return f, apiError(ce.Action, ce.Err)
		}
		return f, apiError(ActionListHostedZonesByVPC, err)
	}
	for _, z := range zs {
		f.HostedZones = append(f.HostedZones, z.Name)
	}
	return f, nil
}

// groupFromAPI reads a group as the function does (package ec2facts), so that the plan weighs
// it as the rule will, with its name and tags, by which a re-run finds the group it made.
func groupFromAPI(g types.SecurityGroup) remedy.Group {
	out := remedy.Group{SecurityGroup: ec2facts.SecurityGroup(g), Name: aws.ToString(g.GroupName)}
	if len(g.Tags) > 0 {
		out.Tags = make(map[string]string, len(g.Tags))
		for _, t := range g.Tags {
			out.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return out
}

// Done is one change Apply made.
type Done struct {
	// Action is the IAM action of the call, ResourceID what it made or changed.
	Action     string
	ResourceID string
}

// Apply carries out p in order: the VPC's DNS attributes, the security group, the endpoints. It
// stops at the first failure, returning what it did until then. Creates are safe to retry: the
// group is found again by its name, the endpoint by its client token.
func Apply(ctx context.Context, api EC2, p remedy.Plan) ([]Done, error) {
	var done []Done
	for _, attr := range []struct {
		on  bool
		set func(*ec2.ModifyVpcAttributeInput)
	}{
		{p.EnableDNSSupport, func(in *ec2.ModifyVpcAttributeInput) {
			in.EnableDnsSupport = &types.AttributeBooleanValue{Value: aws.Bool(true)}
		}},
		{p.EnableDNSHostnames, func(in *ec2.ModifyVpcAttributeInput) {
			in.EnableDnsHostnames = &types.AttributeBooleanValue{Value: aws.Bool(true)}
		}},
	} {
		if !attr.on {
			continue
		}
		// One attribute per call, support first: EC2 takes no more, and hostnames need support.
		in := &ec2.ModifyVpcAttributeInput{VpcId: aws.String(p.VPCID)}
		attr.set(in)
		if _, err := api.ModifyVpcAttribute(ctx, in); err != nil {
			return done, apiError(ActionModifyVPCAttribute, err)
		}
		done = append(done, Done{ActionModifyVPCAttribute, p.VPCID})
	}

	groupID := p.Group.ID
	if p.Group.Needed {
		if groupID == "" {
			id, err := createGroup(ctx, api, p)
			if err != nil {
				return done, err
			}
			groupID = id
			done = append(done, Done{ActionCreateSecurityGroup, id})
		}
		if len(p.Group.AddCIDRs) > 0 {
			perm := types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443)}
			for _, c := range p.Group.AddCIDRs {
				perm.IpRanges = append(perm.IpRanges, types.IpRange{CidrIp: aws.String(c), Description: aws.String("HTTPS from the VPC")})
			}
			_, err := api.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(groupID), IpPermissions: []types.IpPermission{perm}})
			// A retry after a lost answer finds the rules in place.
			if err != nil && errorCode(err) != "InvalidPermission.Duplicate" {
				return done, apiError(ActionAuthorizeSecurityGroupIngres, err)
			}
			done = append(done, Done{ActionAuthorizeSecurityGroupIngres, groupID})
		}
	}
	resolve := func(ids []string) []string {
		out := slices.Clone(ids)
		for i, id := range out {
			if id == remedy.NewGroupID {
				out[i] = groupID
			}
		}
		return out
	}

	for _, ep := range p.Endpoints {
		switch ep.Action {
		case remedy.Create:
			groups := resolve(ep.GroupIDs)
			in := &ec2.CreateVpcEndpointInput{
				VpcId:             aws.String(p.VPCID),
				ServiceName:       aws.String(ep.ServiceName),
				VpcEndpointType:   types.VpcEndpointTypeInterface,
				SubnetIds:         ep.SubnetIDs,
				SecurityGroupIds:  groups,
				PrivateDnsEnabled: aws.Bool(true),
				ClientToken:       aws.String(remedy.ClientToken(p, ep, groups)),
				TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpcEndpoint, Tags: toTags(ep.Tags)}},
			}
			if ep.PolicyDocument != "" {
				in.PolicyDocument = aws.String(ep.PolicyDocument)
			}
			out, err := api.CreateVpcEndpoint(ctx, in)
			if err != nil {
				return done, apiError(ActionCreateVPCEndpoint, err)
			}
			done = append(done, Done{ActionCreateVPCEndpoint, aws.ToString(out.VpcEndpoint.VpcEndpointId)})
		case remedy.Modify:
			if !ep.ChangesEndpoint() {
				continue
			}
			in := &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(ep.ID), AddSubnetIds: ep.AddSubnetIDs}
			if ep.AddGroup {
				in.AddSecurityGroupIds = []string{groupID}
			}
			if ep.EnablePrivateDNS {
				in.PrivateDnsEnabled = aws.Bool(true)
			}
			if ep.PolicyDocument != "" {
				in.PolicyDocument = aws.String(ep.PolicyDocument)
			}
			out, err := api.ModifyVpcEndpoint(ctx, in)
			if err != nil {
				return done, apiError(ActionModifyVPCEndpoint, err)
			}
			if out.Return != nil && !aws.ToBool(out.Return) {
				return done, fmt.Errorf("%s: EC2 answered that %s was not modified", ActionModifyVPCEndpoint, ep.ID)
			}
			done = append(done, Done{ActionModifyVPCEndpoint, ep.ID})
		}
	}
	return done, nil
}

// createGroup creates the plan's security group, or finds the one a previous attempt created
// (EC2 has no client token for groups; their names are unique in a VPC).
func createGroup(ctx context.Context, api EC2, p remedy.Plan) (string, error) {
	out, err := api.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		VpcId:       aws.String(p.VPCID),
		GroupName:   aws.String(p.Group.Name),
		Description: aws.String(p.Group.Description),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: toTags(map[string]string{
			"Name": p.Group.Name, remedy.MarkerTagKey: remedy.MarkerTagValue,
		})}},
	})
	if err == nil {
		return aws.ToString(out.GroupId), nil
	}
	if errorCode(err) != "InvalidGroup.Duplicate" {
		return "", apiError(ActionCreateSecurityGroup, err)
	}
	found, ferr := api.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{p.VPCID}},
		{Name: aws.String("group-name"), Values: []string{p.Group.Name}},
	}})
	if ferr != nil {
		return "", apiError(ActionDescribeSecurityGroups, ferr)
	}
	if len(found.SecurityGroups) != 1 {
		return "", fmt.Errorf("%s: %s exists in %s but cannot be read back: %w", ActionCreateSecurityGroup, p.Group.Name, p.VPCID, err)
	}
	return aws.ToString(found.SecurityGroups[0].GroupId), nil
}

func toTags(m map[string]string) []types.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]types.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}
