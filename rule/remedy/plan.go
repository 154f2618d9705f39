package remedy

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// Options are what the caller asks of the fix.
type Options struct {
	// Services each get a qualifying endpoint; empty means the rule's default (ec2).
	Services []rule.Service
	// AvailabilityZones is how many AZs each endpoint must span; 0 means DefaultAvailabilityZones.
	AvailabilityZones int
	// PolicyDocument, when set, is the endpoint policy every endpoint must have instead of a
	// full-access one; the plan then also passes forbidFullAccessPolicy.
	PolicyDocument string
	// EnableVPCDNS lets the plan turn on the VPC's DNS attributes that private DNS needs.
	EnableVPCDNS bool
}

// DefaultAvailabilityZones is how many AZs an endpoint spans unless asked otherwise.
const DefaultAvailabilityZones = 2

// maxAvailabilityZones is the most the minAvailabilityZones rule parameter takes.
const maxAvailabilityZones = 32

// The security group the plan attaches, found again by its name on a re-run. Names are unique
// within a VPC.
const (
	GroupName        = "vpc-endpoint-https-from-vpc"
	GroupDescription = "HTTPS (TCP 443) from every CIDR block of the VPC to its interface endpoints"
	// MarkerTagKey tags what the fix creates, so that people can tell it apart.
	MarkerTagKey   = "ec2-vpc-endpoint-rule"
	MarkerTagValue = "remediate"
)

// NewGroupID stands for the ID of the security group the plan creates, until it exists.
const NewGroupID = "(new security group)"

// httpsPort is the port of the APIs behind an endpoint.
const httpsPort = 443

// Action is what the plan does with one service's endpoint.
type Action string

// The actions on an endpoint.
const (
	Keep   Action = "keep"   // it passes every check already
	Create Action = "create" // there is none that can be fixed
	Modify Action = "modify" // it exists and fails some check
)

// Plan is what it takes for a VPC to pass every practice check, and why.
type Plan struct {
	VPCID     string
	Region    string
	AccountID string
	// Checks are the rule parameters the VPC passes once the plan is carried out: every
	// practice check, minAvailabilityZones as many AZs as the plan reaches.
	Checks rule.Params
	// Notes say where the plan does less than asked, or leaves something as it was.
	Notes []string
	// EnableDNSSupport and EnableDNSHostnames turn on the VPC's DNS attributes.
	EnableDNSSupport   bool
	EnableDNSHostnames bool
	// Group is the security group the endpoints get; Needed is false when none needs it.
	Group GroupPlan
	// Endpoints hold one entry per service, in the order of the services.
	Endpoints []EndpointPlan
}

// GroupPlan is the security group that allows HTTPS from the VPC.
type GroupPlan struct {
	Needed bool
	// ID is the existing group's; "" means it is created.
	ID          string
	Name        string
	Description string
	// CIDRs are every IPv4 block of the VPC: what the group allows TCP 443 from once done.
	CIDRs []string
	// AddCIDRs are the blocks to allow that it does not yet (all of them for a new group).
	AddCIDRs []string
}

// EndpointPlan is what happens to one service's endpoint.
type EndpointPlan struct {
	Service rule.Service
	// ServiceName is the full endpoint service name, as the region offers it.
	ServiceName string
	Action      Action
	// ID is the endpoint's; "" for one to create.
	ID string
	// Type is the type of an endpoint kept: Interface, or Gateway for a service that offers
	// them. Every endpoint the plan creates or modifies is an Interface endpoint.
	Type string
	// Why says what is wrong now (or, for Keep, that nothing is).
	Why string
	// Subnets are the subnets the endpoint ends up in, SubnetIDs their IDs; AddSubnetIDs
	// those it is added to.
	Subnets      []Subnet
	SubnetIDs    []string
	AddSubnetIDs []string
	// GroupIDs are its security groups once done (NewGroupID for the group to create);
	// AddGroup says the plan's group is attached.
	GroupIDs []string
	AddGroup bool
	// EnablePrivateDNS turns private DNS on.
	EnablePrivateDNS bool
	// PolicyDocument, when set, replaces the endpoint's policy.
	PolicyDocument string
	// Tags are for an endpoint to create.
	Tags map[string]string
}

// ChangesEndpoint reports whether carrying out e changes the endpoint itself: a Modify that
// only needs the plan's group to allow more changes the group alone.
func (e EndpointPlan) ChangesEndpoint() bool {
	switch e.Action {
	case Create:
		return true
	case Modify:
		return len(e.AddSubnetIDs) > 0 || e.AddGroup || e.EnablePrivateDNS || e.PolicyDocument != ""
	}
	return false
}

// Changes reports whether the plan changes anything.
func (p Plan) Changes() bool {
	if p.EnableDNSSupport || p.EnableDNSHostnames || p.Group.Needed && (p.Group.ID == "" || len(p.Group.AddCIDRs) > 0) {
		return true
	}
	return slices.ContainsFunc(p.Endpoints, func(e EndpointPlan) bool { return e.Action != Keep })
}

// Refusal is a plan Decide will not make, and why: the fix would be wrong or needs a person.
type Refusal struct {
	Reason string
}

func (r *Refusal) Error() string { return r.Reason }

// ErrInvalidOptions is wrapped by the errors of options that cannot be planned for.
var ErrInvalidOptions = errors.New("invalid options")

// Decide returns the plan that makes the VPC of f pass every practice check for o's services, or
// a *Refusal saying why there is none to make, or an ErrInvalidOptions error. The plan is checked
// against rule.Evaluate before it is returned: the VPC it leaves behind passes.
func Decide(f Facts, o Options) (Plan, error) {
	services := o.Services
	if len(services) == 0 {
		services = []rule.Service{{Name: rule.DefaultService}}
	}
	n := cmp.Or(o.AvailabilityZones, DefaultAvailabilityZones)
	if n < 1 || n > maxAvailabilityZones {
		return Plan{}, fmt.Errorf("%w: availability zones %d: give a whole number from 1 to %d", ErrInvalidOptions, o.AvailabilityZones, maxAvailabilityZones)
	}
	if o.PolicyDocument != "" {
		if err := CheckPolicy(o.PolicyDocument, services, f.Region); err != nil {
			return Plan{}, err
		}
	}
	vpc := f.VPC
	if vpc.OwnerID != "" && f.AccountID != "" && vpc.OwnerID != f.AccountID {
		return Plan{}, &Refusal{Reason: fmt.Sprintf("%s is shared from account %s: fix it in its owner's account (the rule reports it NOT_APPLICABLE here)", vpc.ID, vpc.OwnerID)}
	}
	if len(vpc.CIDRBlocks) == 0 {
		return Plan{}, &Refusal{Reason: vpc.ID + " has no associated IPv4 CIDR block to allow HTTPS from"}
	}

	d := decider{f: f, o: o, public: Public(f.RouteTables, f.Subnets), groups: make(map[string]rule.SecurityGroup, len(f.Groups))}
	for _, g := range f.Groups {
		d.groups[g.ID] = g.SecurityGroup
	}
	d.inv = rule.Inventory{SubnetAZs: make(map[string]string, len(f.Subnets)), SecurityGroups: d.groups}
	for _, s := range f.Subnets {
		d.inv.SubnetAZs[s.ID] = s.zone()
	}
	p := Plan{VPCID: vpc.ID, Region: f.Region, AccountID: f.AccountID}
	p.Group = d.group()

	// The AZ spread to reach: n, or every AZ the services can be reached in when fewer.
	reach := n
	for _, svc := range services {
		azs := len(d.eligibleZones(f.Offers[svc.FullName(f.Region)]))
		if azs == 0 {
			return Plan{}, &Refusal{Reason: fmt.Sprintf("%s has no subnet with a free address in an Availability Zone where %s is offered: create one", vpc.ID, svc.FullName(f.Region))}
		}
		reach = min(reach, azs)
	}
	if reach < n {
		p.Notes = append(p.Notes, fmt.Sprintf("%d AZs asked, but the VPC has usable subnets in only %d where the services are offered: the endpoints span %d.", n, reach, reach))
	}
	p.Checks = rule.Params{
		Services:               services,
		RequirePrivateDNS:      true,
		MinAvailabilityZones:   reach,
		RequireHTTPSFromVPC:    true,
		ForbidFullAccessPolicy: o.PolicyDocument != "",
	}
	for _, svc := range services {
		ep, err := d.endpoint(svc, p.Checks, &p.Group)
		if err != nil {
			return Plan{}, err
		}
		p.Endpoints = append(p.Endpoints, ep)
	}
	if o.PolicyDocument == "" && slices.ContainsFunc(p.Endpoints, func(e EndpointPlan) bool { return e.Action == Create }) {
		p.Notes = append(p.Notes, "New endpoints get AWS's default full-access policy: give a policy file for a least-privilege one.")
	}
	if !p.Group.attached(p.Endpoints) {
		p.Group.Needed = false
	}
	if p.Group.Needed {
		p.Notes = append(p.Notes, d.groupNotes(p.Group)...)
	}

	if slices.ContainsFunc(p.Endpoints, func(e EndpointPlan) bool { return e.EnablePrivateDNS }) {
		var off []string
		if !f.DNSSupport {
			off = append(off, "enableDnsSupport")
		}
		if !f.DNSHostnames {
			off = append(off, "enableDnsHostnames")
		}
		if len(off) > 0 && !o.EnableVPCDNS {
			return Plan{}, &Refusal{Reason: fmt.Sprintf("%s has %s off, and private DNS on an endpoint needs enableDnsSupport and enableDnsHostnames: turn %s on (aws ec2 modify-vpc-attribute --vpc-id %s --%s), or allow the fix to (--enable-vpc-dns)",
				vpc.ID, strings.Join(off, " and "), pronoun(off), vpc.ID, strings.Join(flagNames(off), " / --"))}
		}
		p.EnableDNSSupport, p.EnableDNSHostnames = !f.DNSSupport, !f.DNSHostnames
	}

	if err := verify(f, p); err != nil {
		return Plan{}, err
	}
	return p, nil
}

// CheckPolicy returns an ErrInvalidOptions error when doc cannot serve as the least-privilege
// endpoint policy for services in region: it is not JSON, or it grants full access.
func CheckPolicy(doc string, services []rule.Service, region string) error {
	if !json.Valid([]byte(doc)) {
		return fmt.Errorf("%w: policy document: not JSON", ErrInvalidOptions)
	}
	for _, svc := range services {
		if rule.IsFullAccessPolicy(doc, svc, region) {
			return fmt.Errorf("%w: policy document: it grants full access to %s (every principal, every action, every resource), which is what it should replace; scope its principals, actions or resources", ErrInvalidOptions, svc.Name)
		}
	}
	return nil
}

func pronoun(attrs []string) string {
	if len(attrs) == 1 {
		return "it"
	}
	return "them"
}

func flagNames(attrs []string) []string {
	out := make([]string, len(attrs))
	for i, a := range attrs {
		out[i] = map[string]string{"enableDnsSupport": "enable-dns-support", "enableDnsHostnames": "enable-dns-hostnames"}[a]
	}
	return out
}

// decider holds what Decide reads, indexed.
type decider struct {
	f      Facts
	o      Options
	public map[string]bool
	groups map[string]rule.SecurityGroup
	inv    rule.Inventory
}

// group returns the plan's security group: the one a previous run created (found by name), with
// the blocks it lacks, or a new one.
func (d decider) group() GroupPlan {
	g := GroupPlan{Needed: true, Name: GroupName, Description: GroupDescription, CIDRs: slices.Clone(d.f.VPC.CIDRBlocks)}
	i := slices.IndexFunc(d.f.Groups, func(g Group) bool { return g.Name == GroupName })
	if i < 0 {
		g.AddCIDRs = slices.Clone(g.CIDRs)
		return g
	}
	existing := d.f.Groups[i]
	g.ID = existing.ID
	for _, block := range g.CIDRs {
		if !allowsHTTPSFrom(existing.SecurityGroup, block) {
			g.AddCIDRs = append(g.AddCIDRs, block)
		}
	}
	return g
}

// groupNotes says what an existing group of the plan allows beyond HTTPS from the VPC: the plan
// leaves such rules alone, and so should know about them.
func (d decider) groupNotes(g GroupPlan) []string {
	if g.ID == "" {
		return nil
	}
	var extra []string
	for _, r := range d.groups[g.ID].Ingress {
		https := strings.EqualFold(r.Protocol, "tcp") && r.FromPort == httpsPort && r.ToPort == httpsPort
		for _, c := range r.CIDRs {
			if !https || !slices.ContainsFunc(g.CIDRs, func(b string) bool { return samePrefix(b, c) }) {
				extra = append(extra, fmt.Sprintf("%s %d-%d from %s", r.Protocol, r.FromPort, r.ToPort, c))
			}
		}
		for _, id := range r.GroupIDs {
			extra = append(extra, fmt.Sprintf("%s %d-%d from %s", r.Protocol, r.FromPort, r.ToPort, id))
		}
	}
	if len(extra) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("Security group %s (%s) also allows %s; the fix leaves that as it is.", g.ID, g.Name, strings.Join(extra, ", "))}
}

// attached reports whether any endpoint of the plan ends up with the group.
func (g GroupPlan) attached(eps []EndpointPlan) bool {
	id := cmp.Or(g.ID, NewGroupID)
	return slices.ContainsFunc(eps, func(e EndpointPlan) bool { return slices.Contains(e.GroupIDs, id) })
}

// allowsHTTPSFrom reports whether a rule of g allows TCP 443 from exactly block.
func allowsHTTPSFrom(g rule.SecurityGroup, block string) bool {
	for _, r := range g.Ingress {
		if strings.EqualFold(r.Protocol, "tcp") && r.FromPort <= httpsPort && httpsPort <= r.ToPort &&
			slices.ContainsFunc(r.CIDRs, func(c string) bool { return samePrefix(c, block) }) {
			return true
		}
	}
	return false
}

func samePrefix(a, b string) bool {
	pa, errA := netip.ParsePrefix(a)
	pb, errB := netip.ParsePrefix(b)
	return errA == nil && errB == nil && pa.Masked() == pb.Masked()
}

// eligible returns the subnets an endpoint for a service offered as offer can be placed in: those
// with a free address in an AZ the service is offered in (every AZ when the offer names none).
func (d decider) eligible(offer Offer) []Subnet {
	var out []Subnet
	for _, s := range d.f.Subnets {
		if s.AvailableIPs < 1 || len(offer.AZs) > 0 && !slices.Contains(offer.AZs, s.AZ) {
			continue
		}
		out = append(out, s)
	}
	return out
}

func (d decider) eligibleZones(offer Offer) map[string]bool {
	out := make(map[string]bool)
	for _, s := range d.eligible(offer) {
		out[s.zone()] = true
	}
	return out
}

// endpoint decides the endpoint for svc.
func (d decider) endpoint(svc rule.Service, checks rule.Params, g *GroupPlan) (EndpointPlan, error) {
	f := d.f
	name := svc.FullName(f.Region)
	ep := EndpointPlan{Service: svc, ServiceName: name}
	one := rule.Params{Services: []rule.Service{svc}, RequirePrivateDNS: checks.RequirePrivateDNS,
		MinAvailabilityZones: checks.MinAvailabilityZones, RequireHTTPSFromVPC: true, ForbidFullAccessPolicy: checks.ForbidFullAccessPolicy}
	scope := rule.Scope{Region: f.Region, AccountID: f.AccountID}

	var usable []rule.Endpoint
	var pending *Refusal
	for _, e := range f.Endpoints {
		if e.VPCID != f.VPC.ID || !svc.Matches(e.ServiceName, f.Region) {
			continue
		}
		// Any endpoint the rule counts is kept: an Interface one, or a Gateway one of a service
		// that offers them (s3, dynamodb).
		if res := rule.Evaluate(f.VPC, []rule.Endpoint{e}, d.inv, one, scope); res.Compliance == rule.Compliant {
			ep.Action, ep.ID, ep.Why, ep.Type = Keep, e.ID, res.Annotation, e.Type
			ep.SubnetIDs, ep.GroupIDs = e.SubnetIDs, e.SecurityGroupIDs
			ep.Subnets = d.subnets(e.SubnetIDs)
			for i := range ep.Subnets {
				ep.Subnets[i].Public = d.public[ep.Subnets[i].ID]
			}
			return ep, nil
		}
		if e.Usable() {
			usable = append(usable, e)
			continue
		}
		if state := strings.ToLower(e.State); (state == "pending" || state == "pendingacceptance") && pending == nil {
			pending = &Refusal{Reason: fmt.Sprintf("%s (%s) is %s: re-run once it is available", e.ID, e.ServiceName, e.State)}
		}
	}
	if pending != nil {
		// It may become the qualifying endpoint: a second one now would be a duplicate.
		return ep, pending
	}
	// The endpoint with private DNS on first: a VPC has at most one per service, and turning it
	// on for another would fail at EC2 (the private DNS name is taken).
	slices.SortFunc(usable, func(a, b rule.Endpoint) int {
		if a.PrivateDNSEnabled != b.PrivateDNSEnabled {
			if a.PrivateDNSEnabled {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	offer := f.Offers[name]

	if len(usable) == 0 {
		ep.Action, ep.Why = Create, "No Interface endpoint for "+name+" that can serve the VPC."
		ep.Subnets = d.chooseSubnets(offer, nil, checks.MinAvailabilityZones)
		ep.SubnetIDs = ids(ep.Subnets)
		ep.AddSubnetIDs = ep.SubnetIDs
		ep.GroupIDs = []string{cmp.Or(g.ID, NewGroupID)}
		ep.AddGroup = true
		ep.EnablePrivateDNS = true
		ep.PolicyDocument = d.o.PolicyDocument
		ep.Tags = map[string]string{"Name": strings.ReplaceAll(svc.Name, ".", "-") + "-vpc-endpoint", MarkerTagKey: MarkerTagValue}
		if err := d.dnsConflict(ep); err != nil {
			return ep, err
		}
		return ep, nil
	}

	e := usable[0]
	res := rule.Evaluate(f.VPC, []rule.Endpoint{e}, d.inv, one, scope)
	ep.Action, ep.ID, ep.Why = Modify, e.ID, res.Annotation
	ep.Subnets = d.chooseSubnets(offer, e.SubnetIDs, checks.MinAvailabilityZones)
	ep.SubnetIDs = ids(ep.Subnets)
	for _, id := range ep.SubnetIDs {
		if !slices.Contains(e.SubnetIDs, id) {
			ep.AddSubnetIDs = append(ep.AddSubnetIDs, id)
		}
	}
	ep.GroupIDs = slices.Clone(e.SecurityGroupIDs)
	https := rule.Params{Services: one.Services, RequireHTTPSFromVPC: true, MinAvailabilityZones: 1}
	if gid := cmp.Or(g.ID, NewGroupID); !slices.Contains(ep.GroupIDs, gid) &&
		rule.Evaluate(f.VPC, []rule.Endpoint{e}, d.inv, https, scope).Compliance != rule.Compliant {
		// The plan's group is attached; one that is attached already gets its missing blocks.
		ep.GroupIDs = append(ep.GroupIDs, gid)
		ep.AddGroup = true
	}
	ep.EnablePrivateDNS = !e.PrivateDNSEnabled
	if d.o.PolicyDocument != "" && rule.IsFullAccessPolicy(e.PolicyDocument, svc, f.Region) {
		ep.PolicyDocument = d.o.PolicyDocument
	}
	if ep.EnablePrivateDNS {
		if err := d.dnsConflict(ep); err != nil {
			return ep, err
		}
	}
	return ep, nil
}

// dnsConflict refuses private DNS for ep when a private hosted zone associated with the VPC
// already answers for the service's name: the VPC reaches the service through a central
// endpoint, and AWS would reject the conflicting domain.
func (d decider) dnsConflict(ep EndpointPlan) error {
	name := d.f.Offers[ep.ServiceName].PrivateDNSName
	if name == "" {
		return nil
	}
	for _, z := range d.f.HostedZones {
		if rule.ZoneServes(z, name) {
			return &Refusal{Reason: fmt.Sprintf("%s is associated with the private hosted zone %s, which answers for %s: the VPC reaches %s through a central endpoint, and private DNS on an endpoint of its own would conflict with that zone. Nothing was changed; if the central path is meant, keep it (the rule checks endpoints in the VPC), otherwise remove the association first",
				d.f.VPC.ID, rule.NormalizeDNSName(z), rule.NormalizeDNSName(name), ep.ServiceName)}
		}
	}
	return nil
}

// chooseSubnets returns one subnet per AZ for n AZs: the endpoint's current subnets first (their
// AZs are kept), then, for the other AZs, a private subnet before a public one, then the one with
// the most free addresses. AZs with a private subnet come before those with only public ones.
func (d decider) chooseSubnets(offer Offer, current []string, n int) []Subnet {
	var out []Subnet
	covered := make(map[string]bool)
	for _, s := range d.subnets(current) {
		out = append(out, s)
		covered[s.zone()] = true
	}
	best := make(map[string]Subnet)
	for _, s := range d.eligible(offer) {
		if covered[s.zone()] {
			continue
		}
		if b, ok := best[s.zone()]; !ok || d.better(s, b) {
			best[s.zone()] = s
		}
	}
	candidates := make([]Subnet, 0, len(best))
	for _, s := range best {
		candidates = append(candidates, s)
	}
	slices.SortFunc(candidates, func(a, b Subnet) int {
		if d.public[a.ID] != d.public[b.ID] {
			if d.public[a.ID] {
				return 1
			}
			return -1
		}
		return cmp.Or(strings.Compare(a.AZ, b.AZ), strings.Compare(a.zone(), b.zone()))
	})
	for _, s := range candidates {
		if len(covered) >= n {
			break
		}
		out = append(out, s)
		covered[s.zone()] = true
	}
	for i := range out {
		out[i].Public = d.public[out[i].ID]
	}
	return out
}

// better reports whether a is a better home for an endpoint than b in the same AZ.
func (d decider) better(a, b Subnet) bool {
	if d.public[a.ID] != d.public[b.ID] {
		return !d.public[a.ID]
	}
	if a.AvailableIPs != b.AvailableIPs {
		return a.AvailableIPs > b.AvailableIPs
	}
	return a.ID < b.ID
}

// subnets returns the known subnets among ids, in their order.
func (d decider) subnets(list []string) []Subnet {
	var out []Subnet
	for _, id := range list {
		if i := slices.IndexFunc(d.f.Subnets, func(s Subnet) bool { return s.ID == id }); i >= 0 {
			out = append(out, d.f.Subnets[i])
		} else {
			out = append(out, Subnet{ID: id})
		}
	}
	return out
}

func ids(subnets []Subnet) []string {
	out := make([]string, len(subnets))
	for i, s := range subnets {
		out[i] = s.ID
	}
	return out
}

// After returns the VPC's endpoints and inventory as they are once p is carried out, the new
// group under NewGroupID.
func After(f Facts, p Plan) ([]rule.Endpoint, rule.Inventory) {
	inv := rule.Inventory{SubnetAZs: make(map[string]string), SecurityGroups: make(map[string]rule.SecurityGroup)}
	for _, s := range f.Subnets {
		inv.SubnetAZs[s.ID] = s.zone()
	}
	for _, g := range f.Groups {
		inv.SecurityGroups[g.ID] = g.SecurityGroup
	}
	if p.Group.Needed {
		id := cmp.Or(p.Group.ID, NewGroupID)
		g := inv.SecurityGroups[id]
		g.ID = id
		g.Ingress = append(slices.Clone(g.Ingress), rule.IngressRule{Protocol: "tcp", FromPort: httpsPort, ToPort: httpsPort, CIDRs: p.Group.AddCIDRs})
		inv.SecurityGroups[id] = g
	}
	var eps []rule.Endpoint
	for _, e := range f.Endpoints {
		i := slices.IndexFunc(p.Endpoints, func(ep EndpointPlan) bool { return ep.ID == e.ID })
		if i >= 0 && p.Endpoints[i].Action == Modify {
			ep := p.Endpoints[i]
			e.SubnetIDs, e.SecurityGroupIDs = ep.SubnetIDs, ep.GroupIDs
			e.PrivateDNSEnabled = e.PrivateDNSEnabled || ep.EnablePrivateDNS
			if ep.PolicyDocument != "" {
				e.PolicyDocument = ep.PolicyDocument
			}
		}
		eps = append(eps, e)
	}
	for i, ep := range p.Endpoints {
		if ep.Action != Create {
			continue
		}
		eps = append(eps, rule.Endpoint{
			ID: fmt.Sprintf("(new endpoint %d)", i+1), VPCID: p.VPCID, ServiceName: ep.ServiceName,
			Type: "Interface", State: "available", PrivateDNSEnabled: true,
			SubnetIDs: ep.SubnetIDs, SecurityGroupIDs: ep.GroupIDs, PolicyDocument: ep.PolicyDocument,
		})
	}
	return eps, inv
}

// verify checks that the VPC p leaves behind passes p.Checks: a plan that would not is a defect
// of Decide, never something to carry out.
func verify(f Facts, p Plan) error {
	eps, inv := After(f, p)
	res := rule.Evaluate(f.VPC, eps, inv, p.Checks, rule.Scope{Region: f.Region, AccountID: f.AccountID})
	if res.Compliance != rule.Compliant {
		return fmt.Errorf("the plan for %s would leave it %s (%s); nothing was changed", p.VPCID, res.Compliance, res.Annotation)
	}
	return nil
}

// ClientToken returns the idempotency token for creating the endpoint ep of p with the group
// groupID: the same request gets the same token, so a create retried after a lost answer
// returns the endpoint already made instead of a second one. EC2 takes at most 64 ASCII
// characters.
func ClientToken(p Plan, ep EndpointPlan, groupIDs []string) string {
	h := sha256.New()
	for _, part := range [][]string{{p.VPCID, ep.ServiceName, ep.PolicyDocument}, ep.SubnetIDs, groupIDs} {
		for _, s := range part {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		h.Write([]byte{1})
	}
	return "remedy-" + hex.EncodeToString(h.Sum(nil))[:32]
}
