// Package ec2facts turns EC2 API answers into the plain values package rule decides on. The
// function and the remediate command read VPCs and security groups through it, so that a fix is
// planned on exactly the facts the rule will weigh.
package ec2facts

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// VPC returns what the rule needs of v: its owner, default mark, associated IPv4 CIDR blocks
// (primary first) and tags.
func VPC(v types.Vpc) rule.VPC {
	vpc := rule.VPC{ID: aws.ToString(v.VpcId), OwnerID: aws.ToString(v.OwnerId), IsDefault: aws.ToBool(v.IsDefault)}
	if c := aws.ToString(v.CidrBlock); c != "" {
		vpc.CIDRBlocks = append(vpc.CIDRBlocks, c)
	}
	for _, a := range v.CidrBlockAssociationSet {
		c := aws.ToString(a.CidrBlock)
		if a.CidrBlockState != nil && strings.EqualFold(string(a.CidrBlockState.State), "associated") && !slices.Contains(vpc.CIDRBlocks, c) {
			vpc.CIDRBlocks = append(vpc.CIDRBlocks, c)
		}
	}
	if len(v.Tags) > 0 {
		vpc.Tags = make(map[string]string, len(v.Tags))
		for _, t := range v.Tags {
			vpc.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return vpc
}

// SecurityGroup returns g with the ingress rules the HTTPS check reads.
func SecurityGroup(g types.SecurityGroup) rule.SecurityGroup {
	sg := rule.SecurityGroup{ID: aws.ToString(g.GroupId)}
	for _, perm := range g.IpPermissions {
		r := rule.IngressRule{
			Protocol: aws.ToString(perm.IpProtocol),
			FromPort: aws.ToInt32(perm.FromPort),
			ToPort:   aws.ToInt32(perm.ToPort),
		}
		for _, ip := range perm.IpRanges {
			r.CIDRs = append(r.CIDRs, aws.ToString(ip.CidrIp))
		}
		for _, pair := range perm.UserIdGroupPairs {
			// A group reached through a VPC peering connection holds clients of the peered VPC,
			// not of this one. (The rule ignores a pair naming no group.)
			if aws.ToString(pair.VpcPeeringConnectionId) != "" {
				continue
			}
			id := aws.ToString(pair.GroupId)
			r.GroupIDs = append(r.GroupIDs, id)
			// A pair names the referenced group's VPC where it may be another one (a transit
			// gateway's security-group referencing); the rule weighs it.
			if vpcID := aws.ToString(pair.VpcId); vpcID != "" {
				if r.GroupVPCs == nil {
					r.GroupVPCs = make(map[string]string)
				}
				r.GroupVPCs[id] = vpcID
			}
		}
		sg.Ingress = append(sg.Ingress, r)
	}
	return sg
}
