package remedy

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

const (
	tRegion  = "us-east-1"
	tAccount = "111122223333"
	tVPC     = "vpc-0a1b2c3d4e5f60718"
	tEC2     = "com.amazonaws.us-east-1.ec2"
	tPrimary = "10.0.0.0/16"
	tSecond  = "10.1.0.0/16"
	// tDefaultGroup admits only its own members, as a VPC's default group does.
	tDefaultGroup = "sg-0d0d0d0d0d0d0d0d0"
	tScoped       = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:Describe*","Resource":"*"}]}`
)

// tFacts is a VPC in three AZs with a private and a public subnet in each (the public ones route
// 0.0.0.0/0 to an internet gateway), DNS attributes on, no endpoint.
func tFacts() Facts {
	f := Facts{
		Region: tRegion, AccountID: tAccount,
		VPC:        rule.VPC{ID: tVPC, OwnerID: tAccount, CIDRBlocks: []string{tPrimary}},
		DNSSupport: true, DNSHostnames: true,
		Offers: map[string]Offer{tEC2: {PrivateDNSName: "ec2.us-east-1.amazonaws.com", AZs: []string{"us-east-1a", "us-east-1b", "us-east-1c"}}},
		Groups: []Group{{SecurityGroup: rule.SecurityGroup{ID: tDefaultGroup, Ingress: []rule.IngressRule{{Protocol: "-1", GroupIDs: []string{tDefaultGroup}}}}, Name: "default"}},
	}
	public := RouteTable{ID: "rtb-public", Routes: []Route{{Destination: tPrimary, GatewayID: "local", State: "active"}, {Destination: "0.0.0.0/0", GatewayID: "igw-1", State: "active"}}}
	main := RouteTable{ID: "rtb-main", Main: true, Routes: []Route{{Destination: tPrimary, GatewayID: "local", State: "active"}}}
	for _, az := range []string{"a", "b", "c"} {
		f.Subnets = append(f.Subnets,
			Subnet{ID: "subnet-2000000000000000" + az, AZ: "us-east-1" + az, AZID: "use1-az" + az, AvailableIPs: 250},
			Subnet{ID: "subnet-1000000000000000" + az, AZ: "us-east-1" + az, AZID: "use1-az" + az, AvailableIPs: 100},
		)
		public.SubnetIDs = append(public.SubnetIDs, "subnet-2000000000000000"+az)
	}
	f.RouteTables = []RouteTable{main, public}
	return f
}

func tEndpoint(subnets []string, groups []string, privateDNS bool) rule.Endpoint {
	return rule.Endpoint{ID: "vpce-0e0e0e0e0e0e0e0e0", VPCID: tVPC, ServiceName: tEC2, Type: "Interface", State: "available",
		PrivateDNSEnabled: privateDNS, SubnetIDs: subnets, SecurityGroupIDs: groups}
}

// tCompliant reports the verdict on the VPC p leaves behind, under p's checks.
func tAfter(t *testing.T, f Facts, p Plan) rule.Result {
	t.Helper()
	eps, inv := After(f, p)
	return rule.Evaluate(f.VPC, eps, inv, p.Checks, rule.Scope{Region: f.Region, AccountID: f.AccountID})
}

func TestDecide(t *testing.T) {
	ourGroup := func(cidrs ...string) Group {
		return Group{SecurityGroup: rule.SecurityGroup{ID: "sg-0a0a0a0a0a0a0a0a0", Ingress: []rule.IngressRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: cidrs}}}, Name: GroupName}
	}
	tests := []struct {
		name   string
		facts  func(f *Facts)
		opts   Options
		want   func(t *testing.T, p Plan)
		refuse string // a substring of the refusal; "" when a plan is made
	}{
		{
			name: "no endpoint: a new one in two private subnets of two AZs, a new group",
			want: func(t *testing.T, p Plan) {
				require.Len(t, p.Endpoints, 1)
				ep := p.Endpoints[0]
				assert.Equal(t, Create, ep.Action)
				assert.Equal(t, tEC2, ep.ServiceName)
				assert.Equal(t, []string{"subnet-1000000000000000a", "subnet-1000000000000000b"}, ep.SubnetIDs)
				assert.Equal(t, []string{NewGroupID}, ep.GroupIDs)
				assert.True(t, ep.EnablePrivateDNS)
				assert.Empty(t, ep.PolicyDocument)
				assert.Equal(t, GroupPlan{Needed: true, Name: GroupName, Description: GroupDescription, CIDRs: []string{tPrimary}, AddCIDRs: []string{tPrimary}}, p.Group)
				assert.False(t, p.EnableDNSSupport || p.EnableDNSHostnames)
				assert.Equal(t, rule.Params{Services: []rule.Service{{Name: "ec2"}}, RequirePrivateDNS: true, MinAvailabilityZones: 2, RequireHTTPSFromVPC: true}, p.Checks)
				assert.Equal(t, []string{"New endpoints get AWS's default full-access policy: give a policy file for a least-privilege one."}, p.Notes)
				assert.True(t, p.Changes())
			},
		},
		{
			name: "three AZs asked",
			opts: Options{AvailabilityZones: 3},
			want: func(t *testing.T, p Plan) {
				assert.Equal(t, []string{"subnet-1000000000000000a", "subnet-1000000000000000b", "subnet-1000000000000000c"}, p.Endpoints[0].SubnetIDs)
				assert.Equal(t, 3, p.Checks.MinAvailabilityZones)
			},
		},
		{
			name:  "an AZ with only a public subnet comes after those with a private one",
			facts: func(f *Facts) { f.Subnets = removeSubnet(f.Subnets, "subnet-1000000000000000a") },
			want: func(t *testing.T, p Plan) {
				assert.Equal(t, []string{"subnet-1000000000000000b", "subnet-1000000000000000c"}, p.Endpoints[0].SubnetIDs)
			},
		},
		{
			name: "only public subnets: used, and said so",
			facts: func(f *Facts) {
				for _, az := range []string{"a", "b", "c"} {
					f.Subnets = removeSubnet(f.Subnets, "subnet-1000000000000000"+az)
				}
			},
			want: func(t *testing.T, p Plan) {
				ep := p.Endpoints[0]
				assert.Equal(t, []string{"subnet-2000000000000000a", "subnet-2000000000000000b"}, ep.SubnetIDs)
				assert.True(t, ep.Subnets[0].Public)
			},
		},
		{
			name:  "a subnet without a free address is passed over",
			facts: func(f *Facts) { f.Subnets[1].AvailableIPs = 0 }, // subnet-1000000000000000a
			want: func(t *testing.T, p Plan) {
				assert.Equal(t, []string{"subnet-1000000000000000b", "subnet-1000000000000000c"}, p.Endpoints[0].SubnetIDs)
			},
		},
		{
			name: "an AZ where the service is not offered is passed over",
			facts: func(f *Facts) {
				f.Offers[tEC2] = Offer{PrivateDNSName: "ec2.us-east-1.amazonaws.com", AZs: []string{"us-east-1b", "us-east-1c"}}
			},
			want: func(t *testing.T, p Plan) {
				assert.Equal(t, []string{"subnet-1000000000000000b", "subnet-1000000000000000c"}, p.Endpoints[0].SubnetIDs)
			},
		},
		{
			name: "subnets in one AZ only: one AZ, said so",
			facts: func(f *Facts) {
				f.Subnets = f.Subnets[:2]
			},
			opts: Options{AvailabilityZones: 2},
			want: func(t *testing.T, p Plan) {
				assert.Equal(t, []string{"subnet-1000000000000000a"}, p.Endpoints[0].SubnetIDs)
				assert.Equal(t, 1, p.Checks.MinAvailabilityZones)
				assert.Contains(t, strings.Join(p.Notes, " "), "2 AZs asked, but the VPC has usable subnets in only 1")
			},
		},
		{
			name:   "no subnet at all",
			facts:  func(f *Facts) { f.Subnets = nil },
			refuse: "has no subnet with a free address",
		},
		{
			name: "an endpoint in one AZ behind the default group, private DNS off: modified, not doubled",
			facts: func(f *Facts) {
				f.Endpoints = []rule.Endpoint{tEndpoint([]string{"subnet-2000000000000000c"}, []string{tDefaultGroup}, false)}
			},
			want: func(t *testing.T, p Plan) {
				ep := p.Endpoints[0]
				assert.Equal(t, Modify, ep.Action)
				assert.Equal(t, "vpce-0e0e0e0e0e0e0e0e0", ep.ID)
				// Its AZ is kept; the next AZ with a private subnet is added.
				assert.Equal(t, []string{"subnet-2000000000000000c", "subnet-1000000000000000a"}, ep.SubnetIDs)
				assert.Equal(t, []string{"subnet-1000000000000000a"}, ep.AddSubnetIDs)
				assert.Equal(t, []string{tDefaultGroup, NewGroupID}, ep.GroupIDs)
				assert.True(t, ep.AddGroup)
				assert.True(t, ep.EnablePrivateDNS)
				assert.Contains(t, ep.Why, "has no security group allowing TCP 443 from the VPC, has private DNS disabled, spans 1 AZ (needs 2)")
			},
		},
		{
			// Only one endpoint of a service can have private DNS on in a VPC: turning it on for
			// the other would fail at EC2 (the name is taken), so the one that has it is fixed.
			name: "two failing endpoints, the later one with private DNS: that one is modified",
			facts: func(f *Facts) {
				off := tEndpoint([]string{"subnet-1000000000000000a", "subnet-1000000000000000b"}, []string{tDefaultGroup}, false)
				off.ID = "vpce-0a0a0a0a0a0a0a0a0"
				on := tEndpoint([]string{"subnet-1000000000000000c"}, []string{tDefaultGroup}, true)
				on.ID = "vpce-0f0f0f0f0f0f0f0f0"
				f.Endpoints = []rule.Endpoint{off, on}
			},
			want: func(t *testing.T, p Plan) {
				ep := p.Endpoints[0]
				assert.Equal(t, Modify, ep.Action)
				assert.Equal(t, "vpce-0f0f0f0f0f0f0f0f0", ep.ID)
				assert.False(t, ep.EnablePrivateDNS)
			},
		},
		{
			name: "an endpoint that allows HTTPS already gets no group",
			facts: func(f *Facts) {
				f.Groups = append(f.Groups, Group{SecurityGroup: rule.SecurityGroup{ID: "sg-0b0b0b0b0b0b0b0b0", Ingress: []rule.IngressRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"10.0.0.0/8"}}}}, Name: "theirs"})
				f.Endpoints = []rule.Endpoint{tEndpoint([]string{"subnet-1000000000000000a", "subnet-1000000000000000b"}, []string{"sg-0b0b0b0b0b0b0b0b0"}, false)}
			},
			want: func(t *testing.T, p Plan) {
				ep := p.Endpoints[0]
				assert.Equal(t, Modify, ep.Action)
				assert.False(t, ep.AddGroup)
				assert.Empty(t, ep.AddSubnetIDs)
				assert.True(t, ep.EnablePrivateDNS)
				assert.False(t, p.Group.Needed, "no endpoint gets the group")
			},
		},
		{
			name: "a compliant endpoint: nothing to do",
			facts: func(f *Facts) {
				f.Groups = append(f.Groups, ourGroup(tPrimary))
				f.Endpoints = []rule.Endpoint{tEndpoint([]string{"subnet-1000000000000000a", "subnet-1000000000000000b"}, []string{"sg-0a0a0a0a0a0a0a0a0"}, true)}
			},
			want: func(t *testing.T, p Plan) {
				assert.Equal(t, Keep, p.Endpoints[0].Action)
				assert.False(t, p.Changes())
				assert.Equal(t, "sg-0a0a0a0a0a0a0a0a0", p.Group.ID, "found by its name")
				assert.Empty(t, p.Notes, "nothing to say about a VPC that passes")
				assert.Empty(t, p.Group.AddCIDRs)
			},
		},
		{
			name: "a compliant endpoint: the DNS attributes do not matter",
			facts: func(f *Facts) {
				f.DNSHostnames = false
				f.Groups = append(f.Groups, ourGroup(tPrimary))
				f.Endpoints = []rule.Endpoint{tEndpoint([]string{"subnet-1000000000000000a", "subnet-1000000000000000b"}, []string{"sg-0a0a0a0a0a0a0a0a0"}, true)}
			},
			want: func(t *testing.T, p Plan) { assert.False(t, p.Changes()) },
		},
		{
			name: "two CIDR blocks, our group allows one: the other is added, the endpoint is kept",
			facts: func(f *Facts) {
				f.VPC.CIDRBlocks = []string{tPrimary, tSecond}
				f.Groups = append(f.Groups, ourGroup(tPrimary))
				f.Endpoints = []rule.Endpoint{tEndpoint([]string{"subnet-1000000000000000a", "subnet-1000000000000000b"}, []string{"sg-0a0a0a0a0a0a0a0a0"}, true)}
			},
			want: func(t *testing.T, p Plan) {
				assert.Equal(t, GroupPlan{Needed: true, ID: "sg-0a0a0a0a0a0a0a0a0", Name: GroupName, Description: GroupDescription, CIDRs: []string{tPrimary, tSecond}, AddCIDRs: []string{tSecond}}, p.Group)
				ep := p.Endpoints[0]
				assert.Equal(t, Modify, ep.Action)
				assert.False(t, ep.AddGroup, "attached already")
				assert.Equal(t, []string{"sg-0a0a0a0a0a0a0a0a0"}, ep.GroupIDs)
				assert.False(t, ep.ChangesEndpoint(), "the group's new rule is the whole fix")
				assert.True(t, p.Changes())
			},
		},
		{
			name:  "two CIDR blocks: a new group allows both",
			facts: func(f *Facts) { f.VPC.CIDRBlocks = []string{tPrimary, tSecond} },
			want: func(t *testing.T, p Plan) {
				assert.Equal(t, []string{tPrimary, tSecond}, p.Group.AddCIDRs)
			},
		},
		{
			name: "our group allowing more is noted, not changed",
			facts: func(f *Facts) {
				g := ourGroup(tPrimary)
				g.Ingress = append(g.Ingress, rule.IngressRule{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRs: []string{"0.0.0.0/0"}})
				f.Groups = append(f.Groups, g)
			},
			want: func(t *testing.T, p Plan) {
				assert.Equal(t, "sg-0a0a0a0a0a0a0a0a0", p.Group.ID)
				assert.Empty(t, p.Group.AddCIDRs)
				assert.Equal(t, []string{"sg-0a0a0a0a0a0a0a0a0"}, p.Endpoints[0].GroupIDs)
				assert.Contains(t, strings.Join(p.Notes, " "), "also allows tcp 22-22 from 0.0.0.0/0")
			},
		},
		{
			name:   "DNS hostnames off: refused, naming the attribute",
			facts:  func(f *Facts) { f.DNSHostnames = false },
			refuse: "has enableDnsHostnames off, and private DNS on an endpoint needs enableDnsSupport and enableDnsHostnames: turn it on (aws ec2 modify-vpc-attribute --vpc-id " + tVPC + " --enable-dns-hostnames), or allow the fix to (--enable-vpc-dns)",
		},
		{
			name:   "both DNS attributes off",
			facts:  func(f *Facts) { f.DNSHostnames, f.DNSSupport = false, false },
			refuse: "has enableDnsSupport and enableDnsHostnames off",
		},
		{
			name:  "DNS attributes off, allowed to turn them on",
			facts: func(f *Facts) { f.DNSHostnames, f.DNSSupport = false, false },
			opts:  Options{EnableVPCDNS: true},
			want: func(t *testing.T, p Plan) {
				assert.True(t, p.EnableDNSSupport)
				assert.True(t, p.EnableDNSHostnames)
			},
		},
		{
			name:   "a central endpoint's zone is associated: refused",
			facts:  func(f *Facts) { f.HostedZones = []string{"ec2.us-east-1.amazonaws.com."} },
			refuse: "private hosted zone ec2.us-east-1.amazonaws.com, which answers for ec2.us-east-1.amazonaws.com",
		},
		{
			name:   "a zone for a parent domain conflicts too",
			facts:  func(f *Facts) { f.HostedZones = []string{"amazonaws.com"} },
			refuse: "private hosted zone amazonaws.com",
		},
		{
			name:  "a zone for another name does not",
			facts: func(f *Facts) { f.HostedZones = []string{"corp.example.com", "sqs.us-east-1.amazonaws.com"} },
			want:  func(t *testing.T, p Plan) { assert.Equal(t, Create, p.Endpoints[0].Action) },
		},
		{
			name:   "a pending endpoint: wait for it",
			facts:  func(f *Facts) { e := tEndpoint(nil, nil, true); e.State = "pending"; f.Endpoints = []rule.Endpoint{e} },
			refuse: "vpce-0e0e0e0e0e0e0e0e0 (" + tEC2 + ") is pending: re-run once it is available",
		},
		{
			name: "a pending endpoint beside a compliant one does not matter",
			facts: func(f *Facts) {
				f.Groups = append(f.Groups, ourGroup(tPrimary))
				e := tEndpoint(nil, nil, true)
				e.ID, e.State = "vpce-0f0f0f0f0f0f0f0f0", "pendingAcceptance"
				f.Endpoints = []rule.Endpoint{e, tEndpoint([]string{"subnet-1000000000000000a", "subnet-1000000000000000b"}, []string{"sg-0a0a0a0a0a0a0a0a0"}, true)}
			},
			want: func(t *testing.T, p Plan) { assert.Equal(t, Keep, p.Endpoints[0].Action) },
		},
		{
			name: "an s3 Gateway endpoint counts, as it does for the rule",
			facts: func(f *Facts) {
				f.Offers["com.amazonaws.us-east-1.s3"] = Offer{}
				f.Endpoints = []rule.Endpoint{{ID: "vpce-0c0c0c0c0c0c0c0c0", VPCID: tVPC, ServiceName: "com.amazonaws.us-east-1.s3", Type: "Gateway", State: "available"}}
			},
			opts: Options{Services: []rule.Service{{Name: "ec2"}, {Name: "s3"}}},
			want: func(t *testing.T, p Plan) {
				require.Len(t, p.Endpoints, 2)
				assert.Equal(t, Create, p.Endpoints[0].Action)
				assert.Equal(t, Keep, p.Endpoints[1].Action)
				assert.Equal(t, "Gateway", p.Endpoints[1].Type)
			},
		},
		{
			name:  "a deleted endpoint does not count",
			facts: func(f *Facts) { e := tEndpoint(nil, nil, true); e.State = "deleted"; f.Endpoints = []rule.Endpoint{e} },
			want:  func(t *testing.T, p Plan) { assert.Equal(t, Create, p.Endpoints[0].Action) },
		},
		{
			name:   "a shared VPC",
			facts:  func(f *Facts) { f.VPC.OwnerID = "444455556666" },
			refuse: "shared from account 444455556666",
		},
		{
			name: "a policy file: new endpoints get it, the check is on",
			opts: Options{PolicyDocument: tScoped},
			want: func(t *testing.T, p Plan) {
				assert.Equal(t, tScoped, p.Endpoints[0].PolicyDocument)
				assert.True(t, p.Checks.ForbidFullAccessPolicy)
			},
		},
		{
			name: "a policy file replaces a full-access policy",
			facts: func(f *Facts) {
				f.Groups = append(f.Groups, ourGroup(tPrimary))
				f.Endpoints = []rule.Endpoint{tEndpoint([]string{"subnet-1000000000000000a", "subnet-1000000000000000b"}, []string{"sg-0a0a0a0a0a0a0a0a0"}, true)}
			},
			opts: Options{PolicyDocument: tScoped},
			want: func(t *testing.T, p Plan) {
				ep := p.Endpoints[0]
				assert.Equal(t, Modify, ep.Action)
				assert.Equal(t, tScoped, ep.PolicyDocument)
				assert.False(t, ep.EnablePrivateDNS)
				assert.Empty(t, ep.AddSubnetIDs)
			},
		},
		{
			name: "two services",
			facts: func(f *Facts) {
				f.Offers["com.amazonaws.us-east-1.ssm"] = Offer{PrivateDNSName: "ssm.us-east-1.amazonaws.com"}
			},
			opts: Options{Services: []rule.Service{{Name: "ec2"}, {Name: "ssm"}}},
			want: func(t *testing.T, p Plan) {
				require.Len(t, p.Endpoints, 2)
				assert.Equal(t, "com.amazonaws.us-east-1.ssm", p.Endpoints[1].ServiceName)
				assert.Equal(t, "ssm-vpc-endpoint", p.Endpoints[1].Tags["Name"])
				assert.Equal(t, []string{NewGroupID}, p.Endpoints[1].GroupIDs, "one group for both")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tFacts()
			if tt.facts != nil {
				tt.facts(&f)
			}
			p, err := Decide(f, tt.opts)
			if tt.refuse != "" {
				var r *Refusal
				require.ErrorAs(t, err, &r)
				assert.Contains(t, r.Reason, tt.refuse)
				return
			}
			require.NoError(t, err)
			tt.want(t, p)
			// Whatever the plan, the VPC it leaves behind passes every check it names.
			res := tAfter(t, f, p)
			assert.Equal(t, rule.Compliant, res.Compliance, res.Annotation)
			assert.True(t, p.Checks.RequirePrivateDNS && p.Checks.RequireHTTPSFromVPC)
		})
	}
}

// The VPC a plan leaves behind passes rule.Evaluate with every check on; a plan left half done
// does not: the check in the tests above can fail.
func TestAfterIsEvidence(t *testing.T) {
	f := tFacts()
	f.Endpoints = []rule.Endpoint{tEndpoint([]string{"subnet-2000000000000000c"}, []string{tDefaultGroup}, false)}
	p, err := Decide(f, Options{})
	require.NoError(t, err)
	for name, undo := range map[string]func(p *Plan){
		"no subnet added":     func(p *Plan) { p.Endpoints[0].SubnetIDs = p.Endpoints[0].SubnetIDs[:1] },
		"no group attached":   func(p *Plan) { p.Endpoints[0].GroupIDs = p.Endpoints[0].GroupIDs[:1] },
		"private DNS off":     func(p *Plan) { p.Endpoints[0].EnablePrivateDNS = false },
		"the group allows no": func(p *Plan) { p.Group.AddCIDRs = nil },
	} {
		t.Run(name, func(t *testing.T) {
			q := p
			q.Endpoints = append([]EndpointPlan(nil), p.Endpoints...)
			undo(&q)
			assert.Equal(t, rule.NonCompliant, tAfter(t, f, q).Compliance)
			assert.Error(t, verify(f, q))
		})
	}
}

func TestDecideInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{name: "too many AZs", opts: Options{AvailabilityZones: 33}, want: "availability zones 33"},
		{name: "negative AZs", opts: Options{AvailabilityZones: -1}, want: "availability zones -1"},
		{name: "policy not JSON", opts: Options{PolicyDocument: "{"}, want: "not JSON"},
		{name: "full-access policy", opts: Options{PolicyDocument: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`}, want: "grants full access to ec2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decide(tFacts(), tt.opts)
			require.True(t, errors.Is(err, ErrInvalidOptions), "%v", err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestPublic(t *testing.T) {
	subnets := []Subnet{{ID: "subnet-1"}, {ID: "subnet-2"}, {ID: "subnet-3"}}
	igw := func(dest, state string) Route { return Route{Destination: dest, GatewayID: "igw-1", State: state} }
	tests := []struct {
		name   string
		tables []RouteTable
		want   map[string]bool
	}{
		{name: "no tables", want: map[string]bool{}},
		{
			name:   "the main table routes to an internet gateway: every subnet without its own table is public",
			tables: []RouteTable{{Main: true, Routes: []Route{igw("0.0.0.0/0", "active")}}, {SubnetIDs: []string{"subnet-2"}}},
			want:   map[string]bool{"subnet-1": true, "subnet-3": true},
		},
		{
			name:   "an explicit table with ::/0 to the gateway",
			tables: []RouteTable{{Main: true}, {SubnetIDs: []string{"subnet-2"}, Routes: []Route{igw("::/0", "active")}}},
			want:   map[string]bool{"subnet-2": true},
		},
		{
			name:   "a blackhole route does not count",
			tables: []RouteTable{{Main: true, Routes: []Route{igw("0.0.0.0/0", "blackhole")}}},
			want:   map[string]bool{},
		},
		{
			name:   "a narrower route to the gateway is no default route",
			tables: []RouteTable{{Main: true, Routes: []Route{igw("52.0.0.0/8", "active")}}},
			want:   map[string]bool{},
		},
		{
			name:   "a default route to a NAT gateway is private",
			tables: []RouteTable{{Main: true, Routes: []Route{{Destination: "0.0.0.0/0", GatewayID: "nat-1", State: "active"}}}},
			want:   map[string]bool{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Public(tt.tables, subnets))
		})
	}
}

func TestClientToken(t *testing.T) {
	f := tFacts()
	p, err := Decide(f, Options{})
	require.NoError(t, err)
	ep := p.Endpoints[0]
	token := ClientToken(p, ep, []string{"sg-1"})
	assert.Equal(t, token, ClientToken(p, ep, []string{"sg-1"}), "the same request, the same token")
	assert.LessOrEqual(t, len(token), 64, "EC2 takes at most 64 characters")
	assert.NotEqual(t, token, ClientToken(p, ep, []string{"sg-2"}))
	other := ep
	other.SubnetIDs = []string{"subnet-1000000000000000a"}
	assert.NotEqual(t, token, ClientToken(p, other, []string{"sg-1"}))
}

func removeSubnet(subnets []Subnet, id string) []Subnet {
	var out []Subnet
	for _, s := range subnets {
		if s.ID != id {
			out = append(out, s)
		}
	}
	return out
}
