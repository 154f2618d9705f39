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
	// GroupIDs are the security groups the rule references (a group reached through a VPC
	// peering connection holds no client of this VPC and is left out).
	GroupIDs []string
	// GroupVPCs maps a referenced group to the VPC EC2 names for it in the rule, where it names
	// one: a group of another VPC, referenced across a peering connection or a transit gateway
	// (security-group referencing), admits that VPC's clients, not this one's.
	GroupVPCs map[string]string
}

// httpsPort is the port the endpoint's API traffic uses.
const httpsPort = 443

// The sentences practiceFailures writes; FailedPractices looks for them.
const (
	failsHTTPSFromVPC = "has no security group allowing TCP 443 from the VPC"
	failsPrivateDNS   = "has private DNS disabled"
	failsAZSpread     = " (needs " // in "spans 1 AZ (needs 2)"
	failsPolicy       = "has a full-access policy"
)

// FailedPractices returns the rule parameters of the practice checks that the annotation of a
// NON_COMPLIANT result says an endpoint failed, in the order the checks run.
func FailedPractices(annotation string) []string {
	var out []string
	for _, c := range []struct{ text, param string }{
		{failsHTTPSFromVPC, ParamRequireHTTPSFromVPC},
		{failsPrivateDNS, ParamRequirePrivateDNS},
		{failsAZSpread, ParamMinAvailabilityZones},
		{failsPolicy, ParamForbidFullAccessPolicy},
	} {
		if strings.Contains(annotation, c.text) {
			out = append(out, c.param)
		}
	}
	return out
}

// practiceFailures lists, most important first, the opt-in practice checks an available
// Interface endpoint fails: reachability, then private DNS, then AZ spread, then policy.
func (e *evaluator) practiceFailures(vpc VPC, ep Endpoint, svc Service) []string {
	p, inv := e.p, e.inv
	var out []string
	if p.RequireHTTPSFromVPC && !allowsHTTPSFromVPC(vpc, ep, inv) {
		out = append(out, failsHTTPSFromVPC)
	}
	if p.RequirePrivateDNS && !ep.PrivateDNSEnabled {
		out = append(out, failsPrivateDNS)
	}
	if p.MinAvailabilityZones > 1 {
		if n := countAZs(ep, inv); n < p.MinAvailabilityZones {
			unit := "AZs"
			if n == 1 {
				unit = "AZ"
			}
			out = append(out, fmt.Sprintf("spans %d %s%s%d)", n, unit, failsAZSpread, p.MinAvailabilityZones))
		}
	}
	return append(out, e.policyFailures(ep, svc)...)
}

// policyFailures lists the policy check's failure of ep, if it is on and fails: the one practice
// check that applies to Gateway endpoints too.
func (e *evaluator) policyFailures(ep Endpoint, svc Service) []string {
	if e.p.ForbidFullAccessPolicy && e.fullAccess(ep.PolicyDocument, svc) {
		return []string{failsPolicy}
	}
	return nil
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
			// A group of another VPC (transit-gateway referencing, like peering) holds that
			// VPC's clients: the referenced group must be in vpc, which for a central endpoint
			// is the spoke, not the endpoint's VPC. A pair that names no VPC is a group of the
			// endpoint's own VPC.
			if slices.ContainsFunc(r.GroupIDs, func(g string) bool {
				groupVPC := r.GroupVPCs[g]
				if groupVPC == "" {
					groupVPC = ep.VPCID
				}
				return g != "" && !slices.Contains(ep.SecurityGroupIDs, g) && groupVPC == vpc.ID
			}) {
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
// may be a string or a list stay raw and are read by stringValues.
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
// empty document (the endpoint then has AWS's default full-access policy), or one whose
// unconditional Allow statements, taken together, reach every principal, every action of svc and
// every resource, and which has no Deny that can take any of svc's actions away. A document that
// cannot be read counts as full access, since nothing proves it is narrower.
//
// Patterns are weighed by what they match, not how they are spelled: "ec2:*", "*", "e*:*" and a
// list "ec2:a*" … "ec2:z*" all reach every EC2 action; a NotAction of only other services' actions
// leaves all of them; "*" and "arn:aws:ec2:us-east-1:*:*" reach every resource. Where the reach of
// an Allow cannot be told exactly (an element that cannot be read, a NotPrincipal) the answer
// leans to full access, so that a policy is reported narrower only on evidence.
func IsFullAccessPolicy(doc string, svc Service, region string) bool {
	if strings.TrimSpace(doc) == "" {
		return true
	}
	var d policyDocument
	if err := json.Unmarshal([]byte(doc), &d); err != nil || len(d.Statement) == 0 || string(d.Statement) == "null" {
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
	return newPolicyMatcher(svc, region).full(statements)
}

// policyMatcher weighs a policy's statements against one service's actions and resources, through
// samples of each: a policy that reaches all the samples is taken to reach everything.
type policyMatcher struct {
	// prefix is the service's IAM action prefix, lower case ("ec2").
	prefix string
	// actions are the sample actions of the service (sampleActions, serviceActions), lower case.
	actions []string
	// resources are "*" (what actions without resource-level permissions are checked against)
	// and sample ARNs of the service's resources in the region, the last of no real type.
	resources []string
}

// sampleActions are real EC2 actions, of the shapes AWS services use, so that a list such as
// "ec2:a*" … "ec2:z*", or "ec2:??*", is seen to reach them all. For a service whose actions are
// few, serviceActions holds them all instead.
var sampleActions = []string{
	"AcceptVpcPeeringConnection", "AllocateAddress", "AssociateAddress", "AttachVolume",
	"AuthorizeSecurityGroupIngress", "BundleInstance", "CancelSpotFleetRequests", "CopySnapshot",
	"CreateTags", "CreateVpcEndpoint", "DeleteVpc", "DeregisterImage", "DescribeInstances",
	"DescribeVpcEndpoints", "DetachVolume", "DisableEbsEncryptionByDefault",
	"EnableEbsEncryptionByDefault", "ExportImage", "GetConsoleOutput", "GetPasswordData",
	"ImportImage", "ListImagesInRecycleBin", "ModifyInstanceAttribute", "MonitorInstances",
	"PurchaseReservedInstancesOffering", "RebootInstances", "RegisterImage", "ReplaceRoute",
	"ResetImageAttribute", "RunInstances", "SearchTransitGatewayRoutes", "SendDiagnosticInterrupt",
	"StartInstances", "StopInstances", "TerminateInstances", "UnassignPrivateIpAddresses",
	"UpdateSecurityGroupRuleDescriptionsIngress", "WithdrawByoipCidr",
}

// serviceActions are every action of the services with few, by IAM prefix.
var serviceActions = map[string][]string{
	"ssmmessages": {"CreateControlChannel", "CreateDataChannel", "OpenControlChannel", "OpenDataChannel"},
	"ec2messages": {"AcknowledgeMessage", "DeleteMessage", "FailMessage", "GetEndpoint", "GetMessages", "SendReply"},
	"execute-api": {"Invoke", "InvalidateCache", "ManageConnections"},
}

func newPolicyMatcher(svc Service, region string) policyMatcher {
	prefix := iamPrefix(svc)
	m := policyMatcher{prefix: prefix}
	names, ok := serviceActions[prefix]
	if !ok {
		names = sampleActions
	}
	for _, name := range names {
		m.actions = append(m.actions, prefix+":"+strings.ToLower(name))
	}
	base := "arn:" + Partition(region) + ":" + prefix + ":" + region + ":"
	m.resources = []string{
		"*",
		base + "111122223333:instance/i-0123456789abcdef0",
		base + "111122223333:vpc/vpc-0123456789abcdef0",
		base + ":image/ami-0123456789abcdef0",
		// Last, and for Allows only: a resource of no type an Allow could have named.
		base + "111122223333:x",
	}
	return m
}

// full reports whether the statements, taken together, reach every sample action on every
// resource, for every principal and unconditionally, and no Deny takes any of the service's
// actions away.
func (m policyMatcher) full(statements []policyStatement) bool {
	type reach struct{ actions, resources element }
	var allows []reach
	for _, st := range statements {
		switch {
		case strings.EqualFold(st.Effect, "Deny") && m.takesAway(st):
			return false
		case strings.EqualFold(st.Effect, "Allow") && conditionAlwaysTrue(st.Condition) &&
			(len(st.NotPrincipal) > 0 || everyonePrincipal(st.Principal)):
			allows = append(allows, reach{readElement(st.Action, st.NotAction), readElement(st.Resource, st.NotResource)})
		}
	}
	if len(allows) == 0 {
		return false
	}
	allowed := func(action, resource string) bool {
		return slices.ContainsFunc(allows, func(r reach) bool {
			return r.actions.reaches(action, true) && r.resources.reaches(resource, true)
		})
	}
	for _, a := range m.actions {
		// An action is checked against "*" when it has no resource-level permissions, against
		// its resources' ARNs otherwise: either reached in full is every resource.
		if !allowed(a, "*") && slices.ContainsFunc(m.resources[1:], func(r string) bool { return !allowed(a, r) }) {
			return false
		}
	}
	return true
}

// takesAway reports whether a Deny statement can take any of the service's actions away from
// anyone: it names some of the service's actions (or, with NotAction, spares fewer than all of
// them) on resources the endpoint serves, under a condition that can hold. Whom it denies does
// not matter: any such Deny makes the policy narrower than full access. An element that cannot
// be read takes nothing away.
func (m policyMatcher) takesAway(st policyStatement) bool {
	if conditionNeverTrue(st.Condition) {
		return false
	}
	var actions bool
	if len(st.Action) > 0 {
		actions = anyValue(st.Action, m.anyAction)
	} else if len(st.NotAction) > 0 {
		notActions := readElement(nil, st.NotAction)
		actions = slices.ContainsFunc(m.actions, func(a string) bool { return notActions.reaches(a, false) })
	}
	resources := readElement(st.Resource, st.NotResource)
	return actions && slices.ContainsFunc(m.resources[:len(m.resources)-1], func(r string) bool { return resources.reaches(r, false) })
}

// anyAction reports whether an action pattern names some action of the service: a pattern for all
// actions ("*"), or <service>:<action> whose service part matches the service's prefix.
func (m policyMatcher) anyAction(pattern string) bool {
	p := strings.ToLower(pattern)
	service, name, ok := strings.Cut(p, ":")
	if !ok {
		return globMatch(p, m.actions[0])
	}
	return name != "" && !strings.Contains(name, ":") && globMatch(service, m.prefix)
}

// element is a statement's Action or Resource, or its Not form, read once.
type element struct {
	// not says the patterns are the Not form's.
	not bool
	// unread says the element is absent on both sides, or cannot be read.
	unread   bool
	patterns []string
}

func readElement(elem, notElem json.RawMessage) element {
	raw, not := elem, false
	if len(raw) == 0 {
		raw, not = notElem, true
	}
	if len(raw) == 0 {
		return element{unread: true}
	}
	patterns, ok := stringValues(raw)
	return element{not: not, unread: !ok, patterns: patterns}
}

// reaches reports whether the element reaches v: it holds a pattern matching v, or its Not form
// holds none that does. Actions compare without case (v is lower case), resources with it. An
// element that is absent or cannot be read reaches v when lenient (an Allow: leaning to full
// access) and not otherwise (a Deny), which reaches "*" only through a pattern of stars.
func (e element) reaches(v string, lenient bool) bool {
	if e.unread {
		return lenient
	}
	match := func(p string) bool { return globMatch(p, v) }
	switch {
	case v == "*" && !lenient:
		// A Deny reaches the resource "*" through a pattern of stars only, not "?".
		match = func(p string) bool { return p != "" && strings.Trim(p, "*") == "" }
	case !strings.HasPrefix(v, "arn:") && v != "*":
		match = func(p string) bool { return globMatch(strings.ToLower(p), v) }
	}
	return slices.ContainsFunc(e.patterns, match) != e.not
}

// globMatch reports whether s matches pattern, where "*" matches any run of characters (":"
// included) and "?" any one character, as in IAM policies.
func globMatch(pattern, s string) bool {
	// Greedy matching that backtracks to the last star only: at worst len(pattern)*len(s) steps.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
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

// conditionAlwaysTrue reports whether a Condition element holds for every call through the
// endpoint: it sets no condition (absent, null, {}, or operators without keys), or only ones on
// aws:SecureTransport that hold for HTTPS, which is all the AWS APIs behind an endpoint take. One
// that cannot be read, or a value on aws:SecureTransport that cannot, counts as always true: the
// answer leans to full access.
func conditionAlwaysTrue(raw json.RawMessage) bool {
	failsHTTPS, otherKeys, ok := weighConditions(raw)
	return !ok || !failsHTTPS && !otherKeys
}

// conditionNeverTrue reports whether a Condition element holds for no call through the endpoint:
// one of its conditions on aws:SecureTransport fails for HTTPS (conditions must all hold). One
// that cannot be read counts as never true: a Deny under it takes nothing away.
func conditionNeverTrue(raw json.RawMessage) bool {
	failsHTTPS, _, ok := weighConditions(raw)
	return !ok || failsHTTPS
}

// weighConditions reads a Condition element: whether one of its conditions on aws:SecureTransport
// fails for HTTPS, and whether it sets conditions on other keys. ok is false when it cannot be
// read.
func weighConditions(raw json.RawMessage) (failsHTTPS, otherKeys, ok bool) {
	conds, ok := conditions(raw)
	for op, keys := range conds {
		for key, vals := range keys {
			if !strings.EqualFold(key, secureTransportKey) {
				otherKeys = true
			} else if holds, known := secureTransportHolds(op, vals); known && !holds {
				failsHTTPS = true
			}
		}
	}
	return failsHTTPS, otherKeys, ok
}

// conditions decodes a Condition element: operator → key → values. Absent or null is none; ok is
// false when it cannot be read.
func conditions(raw json.RawMessage) (map[string]map[string]json.RawMessage, bool) {
	var conds map[string]map[string]json.RawMessage
	if len(raw) == 0 {
		return nil, true
	}
	if err := json.Unmarshal(raw, &conds); err != nil {
		return nil, false
	}
	return conds, true
}

// secureTransportKey is the condition key that tells HTTPS calls (every call to an AWS API
// through an endpoint) from plain HTTP.
const secureTransportKey = "aws:SecureTransport"

// secureTransportHolds tells whether a condition on aws:SecureTransport holds for a call over
// HTTPS, where the key is present and "true": Bool and BoolIfExists hold when one of the values
// is "true", Null when one is "false" (the key is not missing). known is false for other
// operators and for values that cannot be read.
func secureTransportHolds(op string, raw json.RawMessage) (holds, known bool) {
	var want string
	switch op {
	case "Bool", "BoolIfExists":
		want = "true"
	case "Null":
		want = "false"
	default:
		return false, false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil || v == nil {
		return false, false
	}
	list, isList := v.([]any)
	if !isList {
		list = []any{v}
	}
	for _, item := range list {
		switch item.(type) {
		case string, bool:
		default:
			return false, false
		}
		if strings.EqualFold(fmt.Sprint(item), want) {
			return true, true
		}
	}
	return false, true
}

// iamPrefixes are the IAM action prefixes of the services whose endpoint name is not their
// prefix.
var iamPrefixes = map[string]string{
	"monitoring":               "cloudwatch",
	"git-codecommit":           "codecommit",
	"kinesis-streams":          "kinesis",
	"kinesis-firehose":         "firehose",
	"email-smtp":               "ses",
	"ecs-agent":                "ecs",
	"ecs-telemetry":            "ecs",
	"bedrock-runtime":          "bedrock",
	"bedrock-agent":            "bedrock",
	"aps-workspaces":           "aps",
	"bedrock-agent-runtime":    "bedrock",
	"cloudcontrolapi":          "cloudformation",
	"cloudhsmv2":               "cloudhsm",
	"elasticbeanstalk-health":  "elasticbeanstalk",
	"data-servicediscovery":    "servicediscovery",
	"appmesh-envoy-management": "appmesh",
	"runtime-v2-lex":           "lex",
	"models-v2-lex":            "lex",
	"transcribestreaming":      "transcribe",
	"guardduty-data":           "guardduty",
	"pinpoint":                 "mobiletargeting",
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

// everyonePrincipal reports whether a Principal element is everyone: "*" or {"AWS": "*"} (or a
// list holding "*"). One that cannot be read counts as everyone: the answer leans to full access.
func everyonePrincipal(raw json.RawMessage) bool {
	if len(raw) > 0 && raw[0] == '{' {
		var byType map[string]json.RawMessage
		if err := json.Unmarshal(raw, &byType); err != nil {
			return true
		}
		var ok bool
		if raw, ok = byType["AWS"]; !ok {
			return false
		}
	}
	if len(raw) == 0 {
		return false
	}
	vals, ok := stringValues(raw)
	return !ok || slices.Contains(vals, "*")
}

// anyValue reports whether a string-or-list element holds a value that satisfies match.
func anyValue(raw json.RawMessage, match func(string) bool) bool {
	vals, _ := stringValues(raw)
	return slices.ContainsFunc(vals, match)
}

// stringValues reads a string-or-list element. ok is false when it is present but not a string
// or a list of strings (null included).
func stringValues(raw json.RawMessage) ([]string, bool) {
	// A decoded RawMessage starts at the value's first byte, which tells a string from a list
	// without a failed decode.
	if len(raw) > 0 && raw[0] == '"' {
		var one string
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, false
		}
		return []string{one}, true
	}
	var list []string
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		return nil, false
	}
	return list, true
}
