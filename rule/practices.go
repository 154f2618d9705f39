package rule

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// SecurityGroup is a security group with the ingress rules the HTTPS check reads.
type SecurityGroup struct {
	ID      string
	Ingress []IngressRule
}

// IngressRule is one ingress permission of a security group.
type IngressRule struct {
	// Protocol is as EC2 returns it: "tcp", "6", or "-1" for all protocols.
	Protocol string
	FromPort int32
	ToPort   int32
	// CIDRs are the IPv4 ranges the rule allows.
	CIDRs []string
	// GroupIDs are the security groups the rule references.
	GroupIDs []string
}

// httpsPort is the port the endpoint's API traffic uses.
const httpsPort = 443

// practiceFailures lists, most important first, the opt-in practice checks an available
// Interface endpoint fails: reachability, then private DNS, then AZ spread, then policy.
func (e *evaluator) practiceFailures(vpc VPC, ep Endpoint, svc Service) []string {
	p, inv := e.p, e.inv
	var out []string
	if p.RequireHTTPSFromVPC && !allowsHTTPSFromVPC(vpc, ep, inv) {
		out = append(out, "has no security group allowing TCP 443 from the VPC")
	}
	if p.RequirePrivateDNS && !ep.PrivateDNSEnabled {
		out = append(out, "has private DNS disabled")
	}
	if p.MinAvailabilityZones > 1 {
		if n := countAZs(ep, inv); n < p.MinAvailabilityZones {
			unit := "AZs"
			if n == 1 {
				unit = "AZ"
			}
			out = append(out, fmt.Sprintf("spans %d %s (needs %d)", n, unit, p.MinAvailabilityZones))
		}
	}
	if p.ForbidFullAccessPolicy && e.fullAccess(ep.PolicyDocument, svc) {
		out = append(out, "has a full-access policy")
	}
	return out
}

// countAZs returns how many distinct, known Availability Zones the endpoint's subnets are in.
func countAZs(ep Endpoint, inv Inventory) int {
	seen := make(map[string]bool, len(ep.SubnetIDs))
	for _, id := range ep.SubnetIDs {
		if az, ok := inv.SubnetAZs[id]; ok && az != "" {
			seen[az] = true
		}
	}
	return len(seen)
}

// allowsHTTPSFromVPC reports whether the endpoint's security groups let TCP 443 in from the whole
// VPC: either a rule that references a security group other than the endpoint's own, or rules
// whose IPv4 CIDRs together cover every CIDR block of the VPC.
func allowsHTTPSFromVPC(vpc VPC, ep Endpoint, inv Inventory) bool {
	var allowed []netip.Prefix
	for _, id := range ep.SecurityGroupIDs {
		sg, ok := inv.SecurityGroups[id]
		if !ok {
			continue
		}
		for _, r := range sg.Ingress {
			if !r.allowsHTTPS() {
				continue
			}
			// A reference to another group is the "clients' group" pattern. A group on the
			// endpoint itself (the VPC's default group admits only itself) lets in only the
			// endpoint's own interfaces, or whatever else carries it, which nothing here shows.
			if slices.ContainsFunc(r.GroupIDs, func(g string) bool { return !slices.Contains(ep.SecurityGroupIDs, g) }) {
				return true
			}
			for _, c := range r.CIDRs {
				if pfx, err := netip.ParsePrefix(c); err == nil {
					allowed = append(allowed, pfx.Masked())
				}
			}
		}
	}
	if len(vpc.CIDRBlocks) == 0 || len(allowed) == 0 {
		return false
	}
	for _, block := range vpc.CIDRBlocks {
		b, err := netip.ParsePrefix(block)
		if err != nil || !coveredBy(b.Masked(), allowed) {
			return false
		}
	}
	return true
}

// allowsHTTPS reports whether the rule admits TCP traffic to port 443.
func (r IngressRule) allowsHTTPS() bool {
	switch strings.ToLower(r.Protocol) {
	case "-1", "all":
		return true
	case "tcp", "6":
		return r.FromPort <= httpsPort && httpsPort <= r.ToPort
	}
	return false
}

// coveredBy reports whether the allowed prefixes together cover every address of block: one
// that contains it, or several that each cover a part (two /17s for a /16).
func coveredBy(block netip.Prefix, allowed []netip.Prefix) bool {
	type span struct{ first, last netip.Addr }
	var spans []span
	for _, a := range allowed {
		if a.Addr().Is4() != block.Addr().Is4() || !a.Overlaps(block) {
			continue
		}
		// Of two overlapping prefixes one contains the other: the overlap is the longer one.
		inner := block
		if a.Bits() > block.Bits() {
			inner = a
		}
		spans = append(spans, span{inner.Addr(), lastAddr(inner)})
	}
	slices.SortFunc(spans, func(x, y span) int { return x.first.Compare(y.first) })
	next, end := block.Addr(), lastAddr(block)
	for _, sp := range spans {
		if sp.first.Compare(next) > 0 {
			return false // a gap before this span
		}
		if sp.last.Compare(next) >= 0 {
			if sp.last == end {
				return true
			}
			next = sp.last.Next()
		}
	}
	return false
}

// lastAddr returns the last address of a masked prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	last, _ := netip.AddrFromSlice(b)
	return last
}

// policyDocument is the part of an IAM policy document the full-access test reads. Fields that
// may be a string or a list stay raw and are read by hasValue.
type policyDocument struct {
	Statement json.RawMessage `json:"Statement"`
}

type policyStatement struct {
	Effect       string          `json:"Effect"`
	Principal    json.RawMessage `json:"Principal"`
	NotPrincipal json.RawMessage `json:"NotPrincipal"`
	Action       json.RawMessage `json:"Action"`
	NotAction    json.RawMessage `json:"NotAction"`
	Resource     json.RawMessage `json:"Resource"`
	NotResource  json.RawMessage `json:"NotResource"`
	Condition    json.RawMessage `json:"Condition"`
}

// IsFullAccessPolicy reports whether the policy of an endpoint in region lets every principal do
// every action of svc on every resource of the region (the only ones the endpoint serves): an
// empty document (the endpoint then has AWS's default full-access policy), or one with an
// unconditional Allow that reaches every principal, every action of svc and every resource, and
// no Deny that can take any of svc's actions away. A document that cannot be read counts as full
// access, since nothing proves it is narrower.
//
// Patterns are weighed by what they match, not how they are spelled: "ec2:*", "*" and "e*:*" are
// all of EC2's actions; a NotAction of only other services' actions leaves all of them;
// "arn:aws:ec2:*:*:*" is every EC2 resource. Where a pattern's reach cannot be told exactly, the
// answer leans to full access, so that a policy is reported narrower only on evidence.
func IsFullAccessPolicy(doc string, svc Service, region string) bool {
	if strings.TrimSpace(doc) == "" {
		return true
	}
	var d policyDocument
	if err := json.Unmarshal([]byte(doc), &d); err != nil || len(d.Statement) == 0 {
		return true
	}
	var statements []policyStatement
	if d.Statement[0] == '[' {
		if err := json.Unmarshal(d.Statement, &statements); err != nil {
			return true
		}
	} else {
		var one policyStatement
		if err := json.Unmarshal(d.Statement, &one); err != nil {
			return true
		}
		statements = []policyStatement{one}
	}
	m := newPolicyMatcher(svc, region)
	fullAllow := false
	for _, st := range statements {
		if strings.EqualFold(st.Effect, "Deny") && m.takesAway(st) {
			return false
		}
		if strings.EqualFold(st.Effect, "Allow") && m.grantsEverything(st) {
			fullAllow = true
		}
	}
	return fullAllow
}

// policyMatcher weighs a statement's patterns against one service's actions and resources.
type policyMatcher struct {
	// prefix is the service's IAM action prefix, lower case ("ec2").
	prefix string
	// actions are sample actions of the service, lower case; a pattern that matches them all
	// matches every action of the service.
	actions []string
	// resources are sample ARNs of the service's resources in the region; a pattern that
	// matches them all matches every resource the endpoint serves.
	resources []string
}

func newPolicyMatcher(svc Service, region string) policyMatcher {
	prefix := iamPrefix(svc)
	m := policyMatcher{prefix: prefix}
	for _, name := range []string{"a", "describeinstances", "createvpcendpoint", "zz-probe_9"} {
		m.actions = append(m.actions, prefix+":"+name)
	}
	base := "arn:" + Partition(region) + ":" + prefix + ":" + region + ":"
	m.resources = []string{
		base + "111122223333:instance/i-0123456789abcdef0",
		base + "111122223333:vpc/vpc-0123456789abcdef0",
		base + ":image/ami-0123456789abcdef0",
		base + "111122223333:x",
	}
	return m
}

// grantsEverything reports whether an Allow statement is unconditional and reaches every
// principal, every action of the service and every resource. An Allow with NotPrincipal reaches
// everyone but a few: it counts as every principal.
func (m policyMatcher) grantsEverything(st policyStatement) bool {
	if !noCondition(st.Condition) {
		return false
	}
	principals := len(st.NotPrincipal) > 0 || wildcardPrincipal(st.Principal)
	actions := hasValue(st.Action, m.allActions) ||
		len(st.Action) == 0 && len(st.NotAction) > 0 && allValues(st.NotAction, func(a string) bool { return !m.anyAction(a) })
	resources := hasValue(st.Resource, m.allResources) ||
		len(st.Resource) == 0 && len(st.NotResource) > 0 && allValues(st.NotResource, func(r string) bool { return !m.anyResource(r) })
	return principals && actions && resources
}

// takesAway reports whether a Deny statement can take any of the service's actions away from
// anyone: it names actions that may be the service's (or excludes fewer than all of them with
// NotAction), on resources that may be the service's. Whom it denies, and under which condition,
// does not matter: any such Deny makes the policy narrower than full access.
func (m policyMatcher) takesAway(st policyStatement) bool {
	actions := hasValue(st.Action, m.anyAction) ||
		len(st.NotAction) > 0 && !hasValue(st.NotAction, m.allActions)
	resources := hasValue(st.Resource, m.anyResource) ||
		len(st.NotResource) > 0 && !hasValue(st.NotResource, m.allResources)
	return actions && resources
}

// allActions reports whether an action pattern matches every action of the service.
func (m policyMatcher) allActions(pattern string) bool {
	p := strings.ToLower(pattern)
	for _, a := range m.actions {
		if !globMatch(p, a) {
			return false
		}
	}
	return true
}

// anyAction reports whether an action pattern may match some action of the service: its service
// part matches the service's prefix.
func (m policyMatcher) anyAction(pattern string) bool {
	p := strings.ToLower(pattern)
	if service, _, ok := strings.Cut(p, ":"); ok {
		return globMatch(service, m.prefix)
	}
	return globMatch(p, m.actions[0])
}

// allResources reports whether a resource pattern matches every resource of the service in the
// region.
func (m policyMatcher) allResources(pattern string) bool {
	return !slices.ContainsFunc(m.resources, func(arn string) bool { return !globMatch(pattern, arn) })
}

// anyResource reports whether a resource pattern may match some resource of the service: it is
// not an ARN of the form arn:<partition>:<service>:... whose service cannot be this one.
func (m policyMatcher) anyResource(pattern string) bool {
	parts := strings.SplitN(pattern, ":", 4)
	if len(parts) < 4 || !globMatch(parts[0], "arn") {
		return globMatch(pattern, m.resources[0])
	}
	return globMatch(strings.ToLower(parts[2]), m.prefix)
}

// globMatch reports whether s matches pattern, where "*" matches any run of characters (":"
// included) and "?" any one character, as in IAM policies.
func globMatch(pattern, s string) bool {
	// Greedy matching that backtracks to the last star only: at worst len(pattern)*len(s) steps.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// noCondition reports whether a Condition element sets no condition: absent, null, or an empty
// object however it is spaced ("{ }" as much as "{}").
func noCondition(raw json.RawMessage) bool {
	if len(raw) == 0 {
		return true
	}
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && len(m) == 0
}

// iamPrefixes are the IAM action prefixes of the services whose endpoint name is not their
// prefix.
var iamPrefixes = map[string]string{
	"monitoring":       "cloudwatch",
	"git-codecommit":   "codecommit",
	"kinesis-streams":  "kinesis",
	"kinesis-firehose": "firehose",
	"email-smtp":       "ses",
	"ecs-agent":        "ecs",
	"ecs-telemetry":    "ecs",
}

// iamPrefix returns the IAM action prefix of svc, lower case: the first label of its short name
// ("ecr" for ecr.api), or the service's own where it differs ("cloudwatch" for monitoring).
func iamPrefix(svc Service) string {
	prefix, _, _ := strings.Cut(strings.ToLower(svc.Name), ".")
	prefix = strings.TrimSuffix(prefix, fipsSuffix)
	if p, ok := iamPrefixes[prefix]; ok {
		return p
	}
	return prefix
}

// wildcardPrincipal reports whether a Principal element is "*" or {"AWS": "*"} (or a list
// holding "*").
func wildcardPrincipal(raw json.RawMessage) bool {
	if len(raw) == 0 || raw[0] != '{' {
		return hasValue(raw, func(s string) bool { return s == "*" })
	}
	var byType map[string]json.RawMessage
	if err := json.Unmarshal(raw, &byType); err != nil {
		return false
	}
	return hasValue(byType["AWS"], func(s string) bool { return s == "*" })
}

// allValues reports whether a string-or-list element holds at least one value, and every value
// satisfies match.
func allValues(raw json.RawMessage, match func(string) bool) bool {
	return hasValue(raw, func(string) bool { return true }) && !hasValue(raw, func(v string) bool { return !match(v) })
}

// hasValue reports whether a string-or-list element holds a value that satisfies match.
func hasValue(raw json.RawMessage, match func(string) bool) bool {
	if len(raw) == 0 {
		return false
	}
	// A decoded RawMessage starts at the value's first byte, which tells a string from a list
	// without a failed decode.
	if raw[0] == '"' {
		var one string
		return json.Unmarshal(raw, &one) == nil && match(one)
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return false
	}
	for _, s := range list {
		if match(s) {
			return true
		}
	}
	return false
}
