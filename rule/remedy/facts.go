// Package remedy decides what it takes for a VPC to pass every practice check of package rule —
// an Interface endpoint per service in subnets of several AZs, private DNS on, a security group
// allowing HTTPS from the whole VPC, and, when one is given, a least-privilege policy — and
// writes that fix as a plan, as Terraform or as CloudFormation. It is pure: it reads the facts
// its caller gathered and returns a Plan, with no SDK client, no I/O and no clock.
package remedy

import (
	"net/netip"
	"strings"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// Facts are what Decide needs to know about one VPC, as its caller read them.
type Facts struct {
	Region    string
	AccountID string
	VPC       rule.VPC
	// DNSSupport and DNSHostnames are the VPC's enableDnsSupport and enableDnsHostnames
	// attributes: private DNS on an endpoint needs both.
	DNSSupport   bool
	DNSHostnames bool
	// Subnets are every subnet of the VPC.
	Subnets []Subnet
	// RouteTables are every route table of the VPC; they tell private subnets from public ones.
	RouteTables []RouteTable
	// Endpoints are the VPC's endpoints for the services (any type and state).
	Endpoints []rule.Endpoint
	// Groups are the VPC's security groups.
	Groups []Group
	// Offers are the endpoint services the region offers, by full service name.
	Offers map[string]Offer
	// HostedZones are the names of the private hosted zones associated with the VPC.
	HostedZones []string
}

// Subnet is one subnet of the VPC.
type Subnet struct {
	ID string
	// AZ is the Availability Zone's name (us-east-1a), AZID its ID (use1-az1): the rule counts
	// AZs by ID where EC2 gives one.
	AZ   string
	AZID string
	// AvailableIPs is the number of free IPv4 addresses: an endpoint needs one per subnet.
	AvailableIPs int
	// Public is not read: Decide sets it on the subnets of a plan, from the route tables.
	Public bool
}

// zone returns the key the rule counts the subnet's AZ by.
func (s Subnet) zone() string {
	if s.AZID != "" {
		return s.AZID
	}
	return s.AZ
}

// RouteTable is one route table of the VPC with its routes.
type RouteTable struct {
	ID string
	// Main marks the VPC's main route table, which serves every subnet without an explicit
	// association.
	Main bool
	// SubnetIDs are the subnets explicitly associated with the table.
	SubnetIDs []string
	Routes    []Route
}

// Route is one route of a route table.
type Route struct {
	// Destination is the destination IPv4 or IPv6 CIDR block ("" for a prefix list).
	Destination string
	// GatewayID is the route's gateway: igw-… for an internet gateway.
	GatewayID string
	// State is active or blackhole.
	State string
}

// Group is one security group of the VPC.
type Group struct {
	rule.SecurityGroup
	Name string
	Tags map[string]string
}

// Offer is what the region says about one endpoint service.
type Offer struct {
	// PrivateDNSName is the name private DNS answers for (ec2.us-east-1.amazonaws.com).
	PrivateDNSName string
	// AZs are the names of the Availability Zones the service is offered in.
	AZs []string
}

// Public returns the IDs of the subnets whose route table (their own, or the main one) has a
// default route (0.0.0.0/0 or ::/0) to an internet gateway that is not a blackhole.
func Public(tables []RouteTable, subnets []Subnet) map[string]bool {
	explicit := make(map[string]RouteTable)
	var main *RouteTable
	for i, t := range tables {
		for _, id := range t.SubnetIDs {
			explicit[id] = t
		}
		if t.Main {
			main = &tables[i]
		}
	}
	out := make(map[string]bool)
	for _, s := range subnets {
		t, ok := explicit[s.ID]
		if !ok {
			if main == nil {
				continue
			}
			t = *main
		}
		if defaultRouteToIGW(t) {
			out[s.ID] = true
		}
	}
	return out
}

func defaultRouteToIGW(t RouteTable) bool {
	for _, r := range t.Routes {
		if !strings.HasPrefix(r.GatewayID, "igw-") || strings.EqualFold(r.State, "blackhole") {
			continue
		}
		if p, err := netip.ParsePrefix(r.Destination); err == nil && p.Bits() == 0 {
			return true
		}
	}
	return false
}
