// Package rule decides whether a VPC reaches AWS service APIs through interface VPC endpoints
// (Security Hub control EC2.10 and the practices around it). It is pure: it reads plain values
// gathered by its caller and returns results, with no SDK client, no I/O and no clock.
package rule

import (
	"strings"
)

// Compliance is the verdict reported to AWS Config for one resource.
type Compliance string

// The compliance types PutEvaluations accepts.
const (
	Compliant     Compliance = "COMPLIANT"
	NonCompliant  Compliance = "NON_COMPLIANT"
	NotApplicable Compliance = "NOT_APPLICABLE"
)

// Resource types the rule evaluates or reacts to, as AWS Config spells them.
const (
	ResourceTypeVPC         = "AWS::EC2::VPC"
	ResourceTypeVPCEndpoint = "AWS::EC2::VPCEndpoint"
)

// VPC is what the rule needs to know about one VPC.
type VPC struct {
	ID      string
	OwnerID string
	// CIDRBlocks are the VPC's associated IPv4 CIDR blocks, primary first.
	CIDRBlocks []string
	Tags       map[string]string
	// NetworkInterfaces are the VPC's network interfaces, read when InterfacesKnown (only the
	// unused-VPC check needs them).
	NetworkInterfaces []NetworkInterface
	InterfacesKnown   bool
	// IsDefault marks the region's default VPC; it is reported, never judged.
	IsDefault bool
}

// Endpoint is what the rule needs to know about one VPC endpoint.
type Endpoint struct {
	ID                string
	VPCID             string
	ServiceName       string
	Type              string // Interface, Gateway, GatewayLoadBalancer, ...
	State             string // as the EC2 API returns it: available, pending, ...
	PrivateDNSEnabled bool
	SubnetIDs         []string
	SecurityGroupIDs  []string
	PolicyDocument    string
	// DNSNames are the endpoint's DNS names (DnsEntries): what a hosted zone record may point at.
	DNSNames []string
	// NetworkInterfaceIDs are the endpoint's network interfaces.
	NetworkInterfaceIDs []string
}

// Usable reports whether ep is an available Interface endpoint: the only kind that can qualify,
// and so the only kind whose subnets and security groups the practice checks read.
func (ep Endpoint) Usable() bool {
	return strings.EqualFold(ep.Type, "Interface") && strings.EqualFold(ep.State, "available")
}

// Result is the rule's verdict on one resource.
type Result struct {
	ResourceType string
	ResourceID   string
	Compliance   Compliance
	// Annotation is the whole explanation. AWS Config takes at most MaxAnnotationLength
	// characters of it (see Truncate); a Security Hub finding carries more.
	Annotation string
}

// Scope is the evaluation's context: where the rule runs and for whom.
type Scope struct {
	Region    string
	AccountID string
}

// Inventory holds the facts about endpoint subnets and security groups that the optional checks
// read. It is keyed by ID; a fact that a check needs but the inventory lacks fails that check.
type Inventory struct {
	// SubnetAZs maps a subnet ID to its Availability Zone ID (or name).
	SubnetAZs map[string]string
	// SecurityGroups maps a security group ID to the group.
	SecurityGroups map[string]SecurityGroup
	// DNS holds what the central-endpoint check reads (allowCentralEndpoints).
	DNS DNS
}

// Evaluate returns the verdict on vpc given the endpoints that belong to it. Endpoints of other
// VPCs are ignored, so callers may pass a whole account's listing.
func Evaluate(vpc VPC, endpoints []Endpoint, inv Inventory, p Params, s Scope) Result {
	e := evaluator{inv: inv, p: p, s: s}
	return e.evaluate(vpc, endpoints)
}

// evaluator decides VPCs under one set of parameters and facts. With a policies memo it decides
// each distinct endpoint policy once: a sweep meets the same few documents (AWS's default above
// all) on thousands of endpoints, and reading them dominates a sweep with the policy check on.
type evaluator struct {
	inv      Inventory
	p        Params
	s        Scope
	policies map[policyKey]bool // nil: no memo
}

type policyKey struct{ doc, service string }

// fullAccess is IsFullAccessPolicy, remembered per document and service when e has a memo.
func (e *evaluator) fullAccess(doc string, svc Service) bool {
	if e.policies == nil {
		return IsFullAccessPolicy(doc, svc, e.s.Region)
	}
	k := policyKey{doc, svc.Name}
	full, ok := e.policies[k]
	if !ok {
		full = IsFullAccessPolicy(doc, svc, e.s.Region)
		e.policies[k] = full
	}
	return full
}

func (e *evaluator) evaluate(vpc VPC, endpoints []Endpoint) Result {
	if res, ok := OutOfScope(vpc, e.p, e.s); ok {
		return res
	}
	res := Result{ResourceType: ResourceTypeVPC, ResourceID: vpc.ID}
	if e.p.IgnoreUnusedVPCs && Unused(vpc, endpoints) {
		res.Compliance = NotApplicable
		res.Annotation = unusedAnnotation
		return res
	}

	var missing, found []string
	for _, svc := range e.p.services() {
		verdict := e.evaluateService(vpc, svc, endpoints)
		if !verdict.ok && e.p.AllowCentralEndpoints {
			verdict = e.centralService(vpc, svc, verdict)
		}
		if verdict.ok {
			found = append(found, verdict.text)
		} else {
			missing = append(missing, verdict.text)
		}
	}
	if len(missing) > 0 {
		res.Compliance = NonCompliant
		res.Annotation = strings.Join(missing, " ")
		return res
	}
	res.Compliance = Compliant
	res.Annotation = strings.Join(found, " ")
	return res
}

// EvaluateAll returns the verdict on every VPC, each against its own endpoints, in the order of
// vpcs: the decision of a periodic sweep.
func EvaluateAll(vpcs []VPC, endpoints []Endpoint, inv Inventory, p Params, s Scope) []Result {
	e := evaluator{inv: inv, p: p, s: s, policies: make(map[policyKey]bool)}
	byVPC := GroupByVPC(endpoints)
	results := make([]Result, 0, len(vpcs))
	for _, vpc := range vpcs {
		results = append(results, e.evaluate(vpc, byVPC[vpc.ID]))
	}
	return results
}

// GroupByVPC indexes endpoints by VPC ID. Evaluate scans every endpoint it is given, so a sweep
// passes each VPC only its own. It counts first and copies the endpoints once into one array that
// the map's slices share; appending to each VPC's slice would regrow and recopy every slice.
func GroupByVPC(endpoints []Endpoint) map[string][]Endpoint {
	counts := make(map[string]int)
	for _, ep := range endpoints {
		counts[ep.VPCID]++
	}
	byVPC := make(map[string][]Endpoint, len(counts))
	all := make([]Endpoint, len(endpoints))
	next := 0
	for _, ep := range endpoints {
		group, ok := byVPC[ep.VPCID]
		if !ok {
			n := counts[ep.VPCID]
			group = all[next : next : next+n]
			next += n
		}
		byVPC[ep.VPCID] = append(group, ep)
	}
	return byVPC
}

// OutOfScope returns the NOT_APPLICABLE result for a VPC the rule does not apply to — shared from
// another account, not listed in vpcIds, or exempted by tag — and whether it is one. It needs no
// endpoints, so callers can skip reading them.
func OutOfScope(vpc VPC, p Params, s Scope) (Result, bool) {
	reason, ok := notApplicable(vpc, p, s)
	if !ok {
		return Result{}, false
	}
	return Result{ResourceType: ResourceTypeVPC, ResourceID: vpc.ID, Compliance: NotApplicable, Annotation: reason}, true
}

// notApplicable returns why vpc is out of the rule's scope, if it is.
func notApplicable(vpc VPC, p Params, s Scope) (string, bool) {
	if vpc.OwnerID != "" && s.AccountID != "" && vpc.OwnerID != s.AccountID {
		return "Shared VPC owned by account " + vpc.OwnerID + "; it is evaluated in its owner's account.", true
	}
	if len(p.VPCIDs) > 0 && !contains(p.VPCIDs, vpc.ID) {
		return "VPC is not listed in the rule parameter vpcIds.", true
	}
	if p.ExemptTag != nil {
		if v, ok := vpc.Tags[p.ExemptTag.Key]; ok && (!p.ExemptTag.HasValue || v == p.ExemptTag.Value) {
			return "Exempted by tag " + p.ExemptTag.String() + " (" + p.ExemptTag.params() + ").", true
		}
	}
	return "", false
}

// serviceVerdict is the outcome for one required service in one VPC.
type serviceVerdict struct {
	ok   bool
	text string
}

// evaluateService decides whether vpc has a qualifying endpoint for svc, and says why in a
// sentence that leads with what must change.
func (e *evaluator) evaluateService(vpc VPC, svc Service, endpoints []Endpoint) serviceVerdict {
	var problems []string
	for _, ep := range endpoints {
		if ep.VPCID != vpc.ID || !svc.Matches(ep.ServiceName, e.s.Region) {
			continue
		}
		failures := e.endpointFailures(vpc, ep, svc)
		if len(failures) == 0 {
			kind, checked := "Interface", e.p
			if isGateway(ep, svc) {
				// Of the practice checks, only the policy check applies to a Gateway endpoint.
				kind, checked = "Gateway", Params{ForbidFullAccessPolicy: e.p.ForbidFullAccessPolicy}
			}
			return serviceVerdict{ok: true, text: ep.ID + " (" + ep.ServiceName + ") is an available " + kind + " endpoint" + checkedSuffix(checked) + "."}
		}
		problems = append(problems, ep.ID+" "+strings.Join(failures, ", "))
	}
	want := svc.FullName(e.s.Region)
	if svc.OffersGateway() {
		if len(problems) == 0 {
			return serviceVerdict{text: noGatewayEndpointLead + want + ": create a Gateway endpoint, or an Interface one with private DNS in subnets of several AZs."}
		}
		return serviceVerdict{text: "No qualifying Interface or Gateway endpoint for " + want + ": " + strings.Join(problems, "; ") + "."}
	}
	if len(problems) == 0 {
		return serviceVerdict{text: noEndpointLead + want + ": create one with private DNS in subnets of several AZs."}
	}
	return serviceVerdict{text: "No qualifying Interface endpoint for " + want + ": " + strings.Join(problems, "; ") + "."}
}

// isGateway reports whether ep is a Gateway endpoint of a service that offers them: one that can
// count, with the checks that apply to it.
func isGateway(ep Endpoint, svc Service) bool {
	return svc.OffersGateway() && strings.EqualFold(ep.Type, "Gateway")
}

// checkedSuffix names the optional checks an endpoint passed, so a COMPLIANT annotation says
// what it is evidence of.
func checkedSuffix(p Params) string {
	var checks []string
	if p.RequirePrivateDNS {
		checks = append(checks, "private DNS")
	}
	if p.MinAvailabilityZones > 1 {
		checks = append(checks, "AZ spread")
	}
	if p.RequireHTTPSFromVPC {
		checks = append(checks, "HTTPS from VPC")
	}
	if p.ForbidFullAccessPolicy {
		checks = append(checks, "scoped policy")
	}
	if len(checks) == 0 {
		return ""
	}
	return " (passes " + strings.Join(checks, ", ") + ")"
}

// endpointFailures lists, most important first, why ep does not qualify; none means it does.
func (e *evaluator) endpointFailures(vpc VPC, ep Endpoint, svc Service) []string {
	var out []string
	gateway := isGateway(ep, svc)
	switch {
	case gateway, strings.EqualFold(ep.Type, "Interface"):
	case svc.OffersGateway():
		out = append(out, "is type "+orUnknown(ep.Type)+", not Interface or Gateway")
	default:
		out = append(out, "is type "+orUnknown(ep.Type)+", not Interface")
	}
	if !strings.EqualFold(ep.State, "available") {
		out = append(out, "is "+orUnknown(ep.State))
	}
	if len(out) > 0 {
		// A wrong type or an unusable state is the whole story; further checks would be noise.
		return out
	}
	if gateway {
		// A Gateway endpoint is a route, not network interfaces: it has no private DNS, subnets
		// or security groups. Its policy applies as an Interface endpoint's does.
		return e.policyFailures(ep, svc)
	}
	return e.practiceFailures(vpc, ep, svc)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
