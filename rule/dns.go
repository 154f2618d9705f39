package rule

import (
	"slices"
	"strings"
)

// This file decides the two ways a VPC needs no endpoint of its own. With allowCentralEndpoints,
// a VPC passes for a service when its DNS sends the service's private DNS name to a qualifying
// endpoint elsewhere (the hub-and-spoke pattern): through a private hosted zone associated with
// it, a Route 53 Resolver forwarding rule associated with it, or a Route 53 Profile associated
// with it that carries such a zone or rule. With ignoreUnusedVpcs, a VPC with no network
// interfaces but those of its own endpoints is NOT_APPLICABLE.
//
// The zones and rules, direct and through the Profile, are weighed as Route 53 Resolver answers
// a name: the most specific domain decides, a rule before a zone of the same domain, so a less
// specific source never passes a VPC that a more specific one fails. Facts not read (a nil map)
// are taken as absent: a caller that reads the Resolver rules and the Profile only for VPCs the
// zones did not pass cannot see a forwarding rule that overrides a zone for the same name.

// HostedZone is a private hosted zone associated with a VPC, directly or through a Profile.
type HostedZone struct {
	// ID is the zone's ID without the "/hostedzone/" prefix.
	ID string
	// Name is the zone's domain name. Names are compared without case and trailing dot.
	Name string
	// OwnerAccount is the account that owns the zone; "" when a service owns it.
	OwnerAccount string
	// OwnerService is the AWS service that owns the zone, if one does (efs.amazonaws.com).
	OwnerService string
}

// Record is a DNS record of a hosted zone the evaluated account owns.
type Record struct {
	Name string
	// Type is the record type as Route 53 spells it: A, AAAA, CNAME, ...
	Type string
	// AliasTarget is the DNS name an alias record points at; "" for a plain record.
	AliasTarget string
	// Values are a plain record's values: a CNAME's target, an A record's addresses.
	Values []string
}

// ResolverRule is a Route 53 Resolver rule associated with a VPC, directly or through a Profile.
type ResolverRule struct {
	ID         string
	DomainName string
	OwnerID    string
	// Type is FORWARD, SYSTEM or RECURSIVE.
	Type string
	// Status is the status of the rule's association with the VPC (or Profile): COMPLETE when
	// it applies.
	Status string
}

// Profile is the Route 53 Profile associated with a VPC (a VPC has at most one), with the zones
// and rules it carries.
type Profile struct {
	ID string
	// Status is the status of the Profile's association with the VPC: COMPLETE when it applies.
	Status string
	Zones  []HostedZone
	Rules  []ResolverRule
	// Unreadable are the resources the Profile carries whose domain this account cannot read
	// (another account's zone, a rule GetResolverRule refuses): never evidence.
	Unreadable []ProfileResource
}

// ProfileResource is a resource a Profile carries, named by its ARN.
type ProfileResource struct {
	ARN     string
	OwnerID string
}

// NetworkInterface is one network interface of a VPC.
type NetworkInterface struct {
	ID string
	// Type is the interface type as EC2 returns it: interface, vpc_endpoint, nat_gateway, ...
	Type string
}

// DNS holds the facts the central-endpoint check reads. Maps keyed by VPC ID hold what is
// associated with that VPC; a nil map means the facts were not read, which is never evidence.
type DNS struct {
	// ServiceNames maps a service's short name (Service.Name) to its private DNS names in the
	// region, as DescribeVpcEndpointServices answers them.
	ServiceNames map[string][]string
	// Zones maps a VPC ID to the private hosted zones associated with it directly.
	Zones map[string][]HostedZone
	// Records maps the ID of a zone the evaluated account owns to its records for the names
	// the rule checks.
	Records map[string][]Record
	// Rules maps a VPC ID to the Resolver rules associated with it directly.
	Rules map[string][]ResolverRule
	// Profiles maps a VPC ID to the Profile associated with it.
	Profiles map[string]Profile
	// Endpoints are endpoints of the evaluated account and region, of any VPC, that a record
	// may point at.
	Endpoints []Endpoint
}

// Statuses and types the DNS check reads, as the Route 53 APIs spell them.
const (
	associationComplete = "COMPLETE"
	ruleTypeForward     = "FORWARD"
	ruleTypeSystem      = "SYSTEM"
)

// endpointInterfaceTypes are the interface types EC2 gives the network interfaces of VPC
// endpoints. (moto gives an interface endpoint's interface the type "interface": the endpoint's
// NetworkInterfaceIDs tell it apart.)
var endpointInterfaceTypes = map[string]bool{
	"vpc_endpoint":                   true,
	"gateway_load_balancer_endpoint": true,
}

// Unused reports whether nothing in vpc can call an API: its network interfaces were read and
// each belongs to one of its VPC endpoints (among endpoints).
func Unused(vpc VPC, endpoints []Endpoint) bool {
	if !vpc.InterfacesKnown {
		return false
	}
	for _, ni := range vpc.NetworkInterfaces {
		if endpointInterfaceTypes[ni.Type] {
			continue
		}
		own := slices.ContainsFunc(endpoints, func(ep Endpoint) bool {
			return ep.VPCID == vpc.ID && slices.Contains(ep.NetworkInterfaceIDs, ni.ID)
		})
		if !own {
			return false
		}
	}
	return true
}

// unusedAnnotation is the NOT_APPLICABLE annotation of an unused VPC.
const unusedAnnotation = "No network interfaces but its VPC endpoints': nothing in it can call the API (rule parameter " + ParamIgnoreUnusedVPCs + ")."

// NormalizeDNSName returns name as the DNS check compares names: lowercase, no trailing dot.
func NormalizeDNSName(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}

// within reports whether name is domain or a name under it.
func within(name, domain string) bool {
	name, domain = NormalizeDNSName(name), NormalizeDNSName(domain)
	return domain != "" && (name == domain || strings.HasSuffix(name, "."+domain))
}

// ZoneServes reports whether a zone named zoneName answers for name: it is named for name or a
// parent domain of it.
func ZoneServes(zoneName, name string) bool { return within(name, zoneName) }

// EndpointIDFromDNSName returns the endpoint ID an endpoint DNS name starts with
// ("vpce-0a1b…-x1y2z3.ec2.us-east-1.vpce.amazonaws.com" → "vpce-0a1b…"), or "" when name does
// not look like one. It only says which endpoint to ask EC2 about; the answer's DNS entries decide.
func EndpointIDFromDNSName(name string) string {
	label, _, _ := strings.Cut(NormalizeDNSName(name), ".")
	rest, ok := strings.CutPrefix(label, "vpce-")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "-")
	if id == "" || strings.Trim(id, "0123456789abcdef") != "" {
		return ""
	}
	return "vpce-" + id
}

// RecordTarget returns the DNS name a record sends its name to: an alias's target or a CNAME's
// value; "" for other records.
func RecordTarget(r Record) string {
	if r.AliasTarget != "" {
		return NormalizeDNSName(r.AliasTarget)
	}
	if strings.EqualFold(r.Type, "CNAME") && len(r.Values) > 0 {
		return NormalizeDNSName(r.Values[0])
	}
	return ""
}

// noEndpointLead and noGatewayEndpointLead start the verdict on a VPC with no endpoint at all for
// a service: one that offers only Interface endpoints, and one that offers Gateway ones too.
const (
	noEndpointLead        = "No Interface endpoint for "
	noGatewayEndpointLead = "No Interface or Gateway endpoint for "
)

// dnsVerdict is what one DNS path says about one service's name.
type dnsVerdict struct {
	ok   bool
	text string
}

// centralService decides svc for vpc, which has no qualifying endpoint of its own, from its DNS
// facts. own is the verdict on its own endpoints, whose text leads a NON_COMPLIANT annotation.
func (e *evaluator) centralService(vpc VPC, svc Service, own serviceVerdict) serviceVerdict {
	lead := own.text
	if strings.HasPrefix(lead, noEndpointLead) || strings.HasPrefix(lead, noGatewayEndpointLead) {
		// The advice to create an endpoint gives way to what the DNS path lacks.
		lead, _, _ = strings.Cut(lead, ":")
		lead += " in the VPC."
	}
	names := e.inv.DNS.ServiceNames[svc.Name]
	if len(names) == 0 {
		return serviceVerdict{text: lead + " No private DNS name is known for it, so no central endpoint can count."}
	}
	var findings []string
	for _, name := range names {
		for _, v := range e.resolve(vpc, svc, name) {
			if v.ok {
				return serviceVerdict{ok: true, text: v.text}
			}
			findings = append(findings, v.text)
		}
	}
	if len(findings) == 0 {
		return serviceVerdict{text: lead + " No private hosted zone, Resolver rule or Profile sends " + strings.Join(names, ", ") + " elsewhere."}
	}
	return serviceVerdict{text: lead + " Central DNS not evidence: " + strings.Join(findings, "; ") + "."}
}

// candidates are the zones and rules that may answer one name for one VPC, each with the
// Profile it comes through ("" when associated directly).
type candidates struct {
	zones    []HostedZone
	zoneVia  []string
	rules    []ResolverRule
	ruleVia  []string
	findings []dnsVerdict // what keeps a source from applying (a Profile not COMPLETE)
}

// resolve weighs name for vpc as Route 53 Resolver answers it: the most specific zone or rule
// whose domain holds name decides, a rule before a zone of the same domain; a SYSTEM rule leaves
// the answer to the zones. Zones and rules associated directly and through the Profile are
// weighed together, and where several answer at the same depth every one of them must be
// evidence, so that no order between them is assumed.
func (e *evaluator) resolve(vpc VPC, svc Service, name string) []dnsVerdict {
	var c candidates
	c.add(e.inv.DNS.Zones[vpc.ID], e.inv.DNS.Rules[vpc.ID], "")
	if p, ok := e.inv.DNS.Profiles[vpc.ID]; ok {
		if p.Status != associationComplete {
			c.findings = append(c.findings, dnsVerdict{text: "Route 53 Profile " + p.ID + " is " + orUnknown(p.Status) + ", not COMPLETE"})
		} else {
			c.add(p.Zones, p.Rules, " through Route 53 Profile "+p.ID)
			for _, res := range p.Unreadable {
				c.findings = append(c.findings, dnsVerdict{text: "Route 53 Profile " + p.ID + " carries " + res.ARN + " of account " +
					orUnknown(res.OwnerID) + ", whose name cannot be read here"})
			}
		}
	}
	zoneDepth, ruleDepth := -1, -1
	for _, z := range c.zones {
		if ZoneServes(z.Name, name) {
			zoneDepth = max(zoneDepth, len(NormalizeDNSName(z.Name)))
		}
	}
	for _, r := range c.rules {
		if ruleApplies(r, name) {
			ruleDepth = max(ruleDepth, len(NormalizeDNSName(r.DomainName)))
		}
	}
	var out []dnsVerdict
	if ruleDepth >= 0 && ruleDepth >= zoneDepth {
		var system []dnsVerdict
		for i, r := range c.rules {
			if !ruleApplies(r, name) || len(NormalizeDNSName(r.DomainName)) != ruleDepth {
				continue
			}
			v := e.ruleVerdict(name, r, c.ruleVia[i])
			if r.Type == ruleTypeSystem {
				system = append(system, v)
				continue
			}
			out = append(out, v)
		}
		switch {
		case len(out) > 0 && len(system) > 0:
			// Rules of both kinds for one domain: which applies is not known, so neither is
			// evidence.
			return append(c.findings, system...)
		case len(out) > 0:
			return append(c.findings, all(out)...)
		case zoneDepth < 0:
			return append(c.findings, system...)
		}
		// Only SYSTEM rules: Resolver answers from the zones.
	}
	for i, z := range c.zones {
		if ZoneServes(z.Name, name) && len(NormalizeDNSName(z.Name)) == zoneDepth {
			out = append(out, e.zoneVerdict(vpc, svc, name, z, c.zoneVia[i]))
		}
	}
	return append(c.findings, all(out)...)
}

func (c *candidates) add(zones []HostedZone, rules []ResolverRule, via string) {
	for _, z := range zones {
		c.zones, c.zoneVia = append(c.zones, z), append(c.zoneVia, via)
	}
	for _, r := range rules {
		c.rules, c.ruleVia = append(c.rules, r), append(c.ruleVia, via)
	}
}

// all returns verdicts unchanged when one fails, else the first alone: evidence only when
// every source that answers at the same depth is.
func all(verdicts []dnsVerdict) []dnsVerdict {
	var failed []dnsVerdict
	for _, v := range verdicts {
		if !v.ok {
			failed = append(failed, v)
		}
	}
	if len(failed) > 0 || len(verdicts) == 0 {
		return failed
	}
	return verdicts[:1]
}

// ruleApplies reports whether r, as associated, takes part in answering name.
func ruleApplies(r ResolverRule, name string) bool {
	return r.Status == associationComplete && (r.Type == ruleTypeForward || r.Type == ruleTypeSystem) &&
		(isRoot(r.DomainName) || within(name, r.DomainName))
}

// isRoot reports whether a rule's domain is the root, ".": a rule for every name.
func isRoot(domain string) bool { return strings.TrimSpace(domain) == "." }

// ruleDomain returns a rule's domain as an annotation names it.
func ruleDomain(r ResolverRule) string {
	if isRoot(r.DomainName) {
		return "."
	}
	return NormalizeDNSName(r.DomainName)
}

// zoneVerdict weighs one zone that serves name.
func (e *evaluator) zoneVerdict(vpc VPC, svc Service, name string, z HostedZone, via string) dnsVerdict {
	zone := "private hosted zone " + z.ID + " " + NormalizeDNSName(z.Name) + via
	switch {
	case z.OwnerService != "":
		return dnsVerdict{text: zone + " is owned by " + z.OwnerService + ", not an account"}
	case z.OwnerAccount != e.s.AccountID && e.p.Trusts(z.OwnerAccount, e.s):
		return dnsVerdict{ok: true, text: "Served through " + zone + " of trusted account " + z.OwnerAccount + " (trusted, records not read)."}
	case z.OwnerAccount != e.s.AccountID:
		return dnsVerdict{text: zone + " is owned by account " + orUnknown(z.OwnerAccount) + ", not in " + ParamTrustedDNSAccounts}
	}
	records, read := e.inv.DNS.Records[z.ID]
	if !read {
		return dnsVerdict{text: zone + ": its records were not read"}
	}
	answering, other := recordsFor(records, name)
	switch {
	case len(answering) == 0 && len(other) == 0:
		return dnsVerdict{text: zone + " holds no record for " + name}
	case len(answering) == 0:
		answering = other[:1]
	}
	// Resolver may answer with any of the name's record sets (weighted, failover, latency or
	// multivalue sets, an AAAA beside an A): each must lead to a qualifying endpoint.
	var served dnsVerdict
	for i, r := range answering {
		v := e.recordVerdict(vpc, svc, name, r, zone)
		if !v.ok {
			return v
		}
		if i == 0 {
			served = v
		}
	}
	return served
}

// recordVerdict weighs one record set of zone that answers name.
func (e *evaluator) recordVerdict(vpc VPC, svc Service, name string, r Record, zone string) dnsVerdict {
	target := RecordTarget(r)
	if target == "" {
		return dnsVerdict{text: zone + " answers " + name + " with " + r.Type + " " + strings.Join(r.Values, ",") + ", not an alias or CNAME to an endpoint"}
	}
	i := slices.IndexFunc(e.inv.DNS.Endpoints, func(ep Endpoint) bool {
		return slices.ContainsFunc(ep.DNSNames, func(n string) bool { return NormalizeDNSName(n) == target })
	})
	if i < 0 {
		return dnsVerdict{text: zone + " sends " + name + " to " + target + ", not an endpoint of this account in " + e.s.Region}
	}
	ep := e.inv.DNS.Endpoints[i]
	if !svc.Matches(ep.ServiceName, e.s.Region) {
		return dnsVerdict{text: zone + " sends " + name + " to " + ep.ID + ", an endpoint for " + orUnknown(ep.ServiceName)}
	}
	// The zone gives the name its private address, so the endpoint's own private DNS is not
	// needed; the clients are in vpc, so HTTPS is checked against its CIDR blocks.
	central := *e
	central.p.RequirePrivateDNS = false
	if failures := central.endpointFailures(vpc, ep, svc); len(failures) > 0 {
		return dnsVerdict{text: zone + " sends " + name + " to " + ep.ID + ", which " + strings.Join(failures, ", ")}
	}
	return dnsVerdict{ok: true, text: "Served by " + ep.ID + " (" + ep.ServiceName + ") in " + ep.VPCID + " through " + zone + checkedSuffix(central.p) + "."}
}

// recordsFor returns zone records named name: those an address query may be answered with
// (A, AAAA, CNAME; alias A records first, then alias AAAA, then CNAME) and the others.
func recordsFor(records []Record, name string) (answering, other []Record) {
	rank := func(r Record) int {
		switch {
		case r.AliasTarget != "" && strings.EqualFold(r.Type, "A"):
			return 0
		case r.AliasTarget != "" && strings.EqualFold(r.Type, "AAAA"):
			return 1
		case strings.EqualFold(r.Type, "CNAME"):
			return 2
		case strings.EqualFold(r.Type, "A"), strings.EqualFold(r.Type, "AAAA"):
			return 3
		}
		return 4
	}
	for _, r := range records {
		if NormalizeDNSName(r.Name) != NormalizeDNSName(name) {
			continue
		}
		if rank(r) < 4 {
			answering = append(answering, r)
		} else {
			other = append(other, r)
		}
	}
	slices.SortStableFunc(answering, func(a, b Record) int { return rank(a) - rank(b) })
	return answering, other
}

// ruleVerdict weighs one rule that applies to name.
func (e *evaluator) ruleVerdict(name string, r ResolverRule, via string) dnsVerdict {
	desc := "Resolver rule " + r.ID + " (" + ruleDomain(r) + ")" + via
	switch {
	case r.Type == ruleTypeSystem:
		return dnsVerdict{text: desc + " is a SYSTEM rule: it forwards nothing"}
	case !e.p.Trusts(r.OwnerID, e.s):
		return dnsVerdict{text: desc + " is owned by account " + orUnknown(r.OwnerID) + ", not in " + ParamTrustedDNSAccounts}
	}
	return dnsVerdict{ok: true, text: "Served through " + desc + " of account " + r.OwnerID + ": the resolver it forwards " + name + " to gives the answer."}
}
