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
// VPC: either a rule that references a security group, or rules whose IPv4 CIDRs together contain
// every CIDR block of the VPC (each block inside one allowed CIDR).
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
			// A group that admits only itself (the VPC's default group does) lets in only its own
			// members, not the VPC; a reference to another group is the "clients' group" pattern.
			if slices.ContainsFunc(r.GroupIDs, func(g string) bool { return g != sg.ID }) {
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

// coveredBy reports whether block lies entirely inside one of the allowed prefixes.
func coveredBy(block netip.Prefix, allowed []netip.Prefix) bool {
	for _, a := range allowed {
		if a.Addr().Is4() == block.Addr().Is4() && a.Bits() <= block.Bits() && a.Contains(block.Addr()) {
			return true
		}
	}
	return false
}

// policyDocument is the part of an IAM policy document the full-access test reads. Fields that
// may be a string or a list stay raw and are read by wildcardOnly.
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

// IsFullAccessPolicy reports whether an endpoint policy lets every principal do every action of
// svc on every resource: an empty document (the endpoint then has AWS's default full-access
// policy), or one with an unconditional Allow of "*" actions (or "<service>:*") to principal "*"
// on resource "*" and no Deny that concerns svc's actions. A document that cannot be read counts
// as full access, since nothing proves it is narrower.
func IsFullAccessPolicy(doc string, svc Service) bool {
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
	fullAllow := false
	for _, st := range statements {
		if strings.EqualFold(st.Effect, "Deny") && st.concerns(svc) {
			return false
		}
		if strings.EqualFold(st.Effect, "Allow") && st.grantsEverything(svc) {
			fullAllow = true
		}
	}
	return fullAllow
}

// concerns reports whether a Deny statement can take something away from the service's calls:
// it names all actions ("*", "<service>:*"), any action of the service, or excludes some
// (NotAction). A Deny only of other services' actions leaves the endpoint's full access whole.
func (st policyStatement) concerns(svc Service) bool {
	if len(st.NotAction) > 0 {
		return true
	}
	prefix := iamPrefix(svc) + ":"
	return hasValue(st.Action, func(a string) bool {
		return a == "*" || a == "*:*" || len(a) >= len(prefix) && strings.EqualFold(a[:len(prefix)], prefix)
	})
}

// grantsEverything reports whether an Allow statement is unconditional and unrestricted.
func (st policyStatement) grantsEverything(svc Service) bool {
	if !noCondition(st.Condition) {
		return false
	}
	if len(st.NotPrincipal) > 0 || len(st.NotAction) > 0 || len(st.NotResource) > 0 {
		return false
	}
	serviceWildcard := iamPrefix(svc) + ":*"
	return wildcardPrincipal(st.Principal) &&
		hasValue(st.Action, func(a string) bool { return a == "*" || a == "*:*" || strings.EqualFold(a, serviceWildcard) }) &&
		hasValue(st.Resource, func(r string) bool { return r == "*" })
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

// iamPrefix returns the IAM action prefix of svc: the first label of its short name.
func iamPrefix(svc Service) string {
	prefix, _, _ := strings.Cut(svc.Name, ".")
	return strings.TrimSuffix(prefix, fipsSuffix)
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
