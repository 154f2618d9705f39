package localaws

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// VPCSpec describes a VPC to create, with what the rule looks at inside it.
type VPCSpec struct {
	// Name becomes the VPC's Name tag.
	Name string
	// CIDR is the VPC's IPv4 block; empty means 10.<n>.0.0/16, n from the VPC's position.
	CIDR string
	// SecondaryCIDRs are more IPv4 blocks to associate with the VPC, in order, before its
	// subnets are created (which are all carved from CIDR).
	SecondaryCIDRs []string
	// Tags are more tags for the VPC.
	Tags map[string]string
	// AZs are the Availability Zones (names, e.g. us-east-1a) to create one subnet in each;
	// interface endpoints are placed in all of them.
	AZs []string
	// Endpoints are the VPC endpoints to create in the VPC, in order.
	Endpoints []EndpointSpec
}

// EndpointSpec describes a VPC endpoint to create.
type EndpointSpec struct {
	// Service is the full endpoint service name, e.g. com.amazonaws.us-east-1.ec2.
	Service string
	// Type is the endpoint type; empty means Interface.
	Type types.VpcEndpointType
	// PrivateDNS enables private DNS (interface endpoints).
	PrivateDNS bool
	// HTTPSFromVPC attaches a new security group allowing TCP 443 from the VPC's CIDR.
	HTTPSFromVPC bool
	// HTTPSFromGroup attaches a new security group allowing TCP 443 from the members of another
	// new group (the clients'): a rule that references a group instead of a CIDR.
	HTTPSFromGroup bool
	// IngressGroups attaches one new security group per entry, with that entry's ingress
	// permissions as given: any protocol, ports and CIDRs.
	IngressGroups [][]types.IpPermission
	// Subnets places an interface endpoint in some of the VPC's subnets only, by their index in
	// VPCSpec.AZs; empty means all of them.
	Subnets []int
	// Policy is the endpoint policy document; empty leaves the default full-access policy.
	Policy string
	// Deleted deletes the endpoint once created.
	Deleted bool
}

// SeededVPC is a VPC Seed created.
type SeededVPC struct {
	Name      string
	ID        string
	CIDR      string
	SubnetIDs []string
	// SecondaryCIDRs are the blocks associated after CIDR, as the spec listed them.
	SecondaryCIDRs []string
	// Endpoints are in the order of the spec's.
	Endpoints []SeededEndpoint
}

// SeededEndpoint is a VPC endpoint Seed created.
type SeededEndpoint struct {
	ID               string
	Service          string
	SecurityGroupIDs []string
	// ClientGroupIDs are groups the endpoint's ingress rules reference, not attached to it.
	ClientGroupIDs []string
	// SubnetIDs are the subnets an interface endpoint was placed in.
	SubnetIDs []string
	// Deleted is set when the spec asked for the endpoint to be deleted.
	Deleted bool
}

// Seed creates vpcs through api, in order, and returns what it created.
func Seed(ctx context.Context, api *ec2.Client, vpcs ...VPCSpec) ([]SeededVPC, error) {
	out := make([]SeededVPC, 0, len(vpcs))
	for i, spec := range vpcs {
		v, err := seedVPC(ctx, api, i, spec)
		if err != nil {
			return out, fmt.Errorf("seed VPC %d (%s): %w", i, spec.Name, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func seedVPC(ctx context.Context, api *ec2.Client, i int, spec VPCSpec) (SeededVPC, error) {
	cidrPrefix := fmt.Sprintf("10.%d", i%250+1)
	v := SeededVPC{Name: spec.Name, CIDR: spec.CIDR}
	if v.CIDR == "" {
		v.CIDR = cidrPrefix + ".0.0/16"
	}
	tags := maps.Clone(spec.Tags)
	if spec.Name != "" {
		if tags == nil {
			tags = make(map[string]string)
		}
		tags["Name"] = spec.Name
	}
	in := &ec2.CreateVpcInput{CidrBlock: aws.String(v.CIDR)}
	if len(tags) > 0 {
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeVpc, Tags: toTags(tags)}}
	}
	created, err := api.CreateVpc(ctx, in)
	if err != nil {
		return v, err
	}
	v.ID = aws.ToString(created.Vpc.VpcId)
	for _, c := range spec.SecondaryCIDRs {
		if _, err := api.AssociateVpcCidrBlock(ctx, &ec2.AssociateVpcCidrBlockInput{VpcId: aws.String(v.ID), CidrBlock: aws.String(c)}); err != nil {
			return v, fmt.Errorf("associate %s: %w", c, err)
		}
		v.SecondaryCIDRs = append(v.SecondaryCIDRs, c)
	}

	// Subnets are carved from the VPC's block: its first two octets, then one /24 per AZ.
	var first, second int
	if _, err := fmt.Sscanf(v.CIDR, "%d.%d.", &first, &second); err != nil {
		return v, fmt.Errorf("CIDR %q: %w", v.CIDR, err)
	}
	for k, az := range spec.AZs {
		s, err := api.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId:            aws.String(v.ID),
			CidrBlock:        aws.String(fmt.Sprintf("%d.%d.%d.0/24", first, second, k)),
			AvailabilityZone: aws.String(az),
		})
		if err != nil {
			return v, fmt.Errorf("subnet in %s: %w", az, err)
		}
		v.SubnetIDs = append(v.SubnetIDs, aws.ToString(s.Subnet.SubnetId))
	}

	for _, es := range spec.Endpoints {
		ep, err := AddEndpoint(ctx, api, v, es)
		if err != nil {
			return v, err
		}
		v.Endpoints = append(v.Endpoints, ep)
	}
	return v, nil
}

// AddEndpoint creates an endpoint in a seeded VPC, an interface endpoint in all its subnets.
func AddEndpoint(ctx context.Context, api *ec2.Client, v SeededVPC, spec EndpointSpec) (SeededEndpoint, error) {
	ep, err := addEndpoint(ctx, api, v, spec)
	if err != nil {
		return ep, fmt.Errorf("endpoint %s in %s: %w", spec.Service, v.ID, err)
	}
	return ep, nil
}

func addEndpoint(ctx context.Context, api *ec2.Client, v SeededVPC, spec EndpointSpec) (SeededEndpoint, error) {
	ep := SeededEndpoint{Service: spec.Service, Deleted: spec.Deleted}
	typ := spec.Type
	if typ == "" {
		typ = types.VpcEndpointTypeInterface
	}
	in := &ec2.CreateVpcEndpointInput{
		VpcId:           aws.String(v.ID),
		ServiceName:     aws.String(spec.Service),
		VpcEndpointType: typ,
	}
	if typ == types.VpcEndpointTypeInterface {
		in.SubnetIds = v.SubnetIDs
		if len(spec.Subnets) > 0 {
			in.SubnetIds = nil
			for _, k := range spec.Subnets {
				if k < 0 || k >= len(v.SubnetIDs) {
					return ep, fmt.Errorf("subnet %d: the VPC has %d", k, len(v.SubnetIDs))
				}
				in.SubnetIds = append(in.SubnetIds, v.SubnetIDs[k])
			}
		}
		in.PrivateDnsEnabled = aws.Bool(spec.PrivateDNS)
		ep.SubnetIDs = in.SubnetIds
	}
	if spec.Policy != "" {
		in.PolicyDocument = aws.String(spec.Policy)
	}
	if spec.HTTPSFromVPC {
		sg, err := api.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
			VpcId:       aws.String(v.ID),
			GroupName:   aws.String(fmt.Sprintf("endpoint-https-%d", len(v.Endpoints))),
			Description: aws.String("HTTPS from the VPC to its interface endpoints"),
		})
		if err != nil {
			return ep, fmt.Errorf("security group: %w", err)
		}
		id := aws.ToString(sg.GroupId)
		_, err = api.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: aws.String(id),
			IpPermissions: []types.IpPermission{{
				IpProtocol: aws.String("tcp"),
				FromPort:   aws.Int32(443),
				ToPort:     aws.Int32(443),
				IpRanges:   []types.IpRange{{CidrIp: aws.String(v.CIDR)}},
			}},
		})
		if err != nil {
			return ep, fmt.Errorf("allow HTTPS: %w", err)
		}
		in.SecurityGroupIds = []string{id}
		ep.SecurityGroupIDs = []string{id}
	}
	if spec.HTTPSFromGroup {
		clients, err := createGroup(ctx, api, v, fmt.Sprintf("endpoint-clients-%d", len(v.Endpoints)), "Clients of the VPC's interface endpoints")
		if err != nil {
			return ep, err
		}
		ep.ClientGroupIDs = append(ep.ClientGroupIDs, clients)
		id, err := createGroup(ctx, api, v, fmt.Sprintf("endpoint-https-from-clients-%d", len(v.Endpoints)), "HTTPS from the clients' group", types.IpPermission{
			IpProtocol:       aws.String("tcp"),
			FromPort:         aws.Int32(443),
			ToPort:           aws.Int32(443),
			UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(clients)}},
		})
		if err != nil {
			return ep, err
		}
		in.SecurityGroupIds = append(in.SecurityGroupIds, id)
		ep.SecurityGroupIDs = append(ep.SecurityGroupIDs, id)
	}
	for k, perms := range spec.IngressGroups {
		id, err := createGroup(ctx, api, v, fmt.Sprintf("endpoint-ingress-%d-%d", len(v.Endpoints), k), "Ingress rules given by the test", perms...)
		if err != nil {
			return ep, err
		}
		in.SecurityGroupIds = append(in.SecurityGroupIds, id)
		ep.SecurityGroupIDs = append(ep.SecurityGroupIDs, id)
	}
	created, err := api.CreateVpcEndpoint(ctx, in)
	if err != nil {
		return ep, err
	}
	ep.ID = aws.ToString(created.VpcEndpoint.VpcEndpointId)
	if spec.Deleted {
		if err := DeleteEndpoint(ctx, api, ep.ID); err != nil {
			return ep, err
		}
	}
	return ep, nil
}

// createGroup creates a security group in v with the ingress permissions perms (none: no rule)
// and returns its ID.
func createGroup(ctx context.Context, api *ec2.Client, v SeededVPC, name, description string, perms ...types.IpPermission) (string, error) {
	sg, err := api.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		VpcId:       aws.String(v.ID),
		GroupName:   aws.String(name),
		Description: aws.String(description),
	})
	if err != nil {
		return "", fmt.Errorf("security group %s: %w", name, err)
	}
	id := aws.ToString(sg.GroupId)
	if len(perms) == 0 {
		return id, nil
	}
	if _, err := api.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: perms}); err != nil {
		return id, fmt.Errorf("ingress of security group %s: %w", name, err)
	}
	return id, nil
}

// DeleteEndpoint deletes a VPC endpoint.
func DeleteEndpoint(ctx context.Context, api *ec2.Client, id string) error {
	out, err := api.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if err != nil {
		return fmt.Errorf("delete endpoint %s: %w", id, err)
	}
	if len(out.Unsuccessful) > 0 {
		return fmt.Errorf("delete endpoint %s: %s", id, aws.ToString(out.Unsuccessful[0].Error.Message))
	}
	return nil
}

// DeleteVPC deletes a seeded VPC with everything Seed created in it: endpoints, security
// groups and subnets first, as EC2 requires.
func DeleteVPC(ctx context.Context, api *ec2.Client, v SeededVPC) error {
	for _, ep := range v.Endpoints {
		if ep.Deleted {
			continue
		}
		if err := DeleteEndpoint(ctx, api, ep.ID); err != nil {
			return err
		}
	}
	for _, ep := range v.Endpoints {
		// The endpoint's groups go first: their rules reference the clients' groups.
		for _, sg := range slices.Concat(ep.SecurityGroupIDs, ep.ClientGroupIDs) {
			if _, err := api.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(sg)}); err != nil {
				return fmt.Errorf("delete security group %s: %w", sg, err)
			}
		}
	}
	for _, s := range v.SubnetIDs {
		if _, err := api.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(s)}); err != nil {
			return fmt.Errorf("delete subnet %s: %w", s, err)
		}
	}
	if _, err := api.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(v.ID)}); err != nil {
		return fmt.Errorf("delete VPC %s: %w", v.ID, err)
	}
	return nil
}

// DefaultVPCID returns the ID of the region's default VPC, which moto creates in every region.
func DefaultVPCID(ctx context.Context, api *ec2.Client) (string, error) {
	out, err := api.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		return "", err
	}
	for _, v := range out.Vpcs {
		if aws.ToBool(v.IsDefault) {
			return aws.ToString(v.VpcId), nil
		}
	}
	return "", errors.New("the region has no default VPC")
}

func toTags(m map[string]string) []types.Tag {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]types.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}
