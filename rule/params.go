package rule

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Rule parameter names. Those shared with the managed rule vpc-endpoint-enabled keep its spelling.
const (
	ParamServiceNames           = "serviceNames"
	ParamServiceName            = "serviceName" // the older managed rule's name, an alias
	ParamVPCIDs                 = "vpcIds"
	ParamExemptTag              = "exemptTag"
	ParamExemptTagKey           = "exemptTagKey"
	ParamExemptTagValue         = "exemptTagValue"
	ParamRequirePrivateDNS      = "requirePrivateDns"
	ParamMinAvailabilityZones   = "minAvailabilityZones"
	ParamRequireHTTPSFromVPC    = "requireHttpsFromVpc"
	ParamForbidFullAccessPolicy = "forbidFullAccessPolicy"
	ParamExecutionRoleName      = "executionRoleName"
	ParamAllowCentralEndpoints  = "allowCentralEndpoints"
	ParamTrustedDNSAccounts     = "trustedDnsAccounts"
	ParamIgnoreUnusedVPCs       = "ignoreUnusedVpcs"
	ParamSecurityHubFindings    = "securityHubFindings"
)

// DefaultService is the service checked when serviceNames is not set: the EC2.10 control.
const DefaultService = "ec2"

// Params are the rule's parameters, validated.
type Params struct {
	// Services must each have a qualifying endpoint in every VPC; never empty once parsed.
	Services []Service
	// VPCIDs, when set, limits the evaluation to these VPCs; others are NOT_APPLICABLE.
	VPCIDs []string
	// ExemptTag, when set, makes a VPC carrying it NOT_APPLICABLE.
	ExemptTag *Tag

	RequirePrivateDNS      bool
	MinAvailabilityZones   int // 1 means no AZ-spread check
	RequireHTTPSFromVPC    bool
	ForbidFullAccessPolicy bool

	// ExecutionRoleName, when set, is the role the function assumes in the evaluated account.
	ExecutionRoleName string

	// AllowCentralEndpoints lets a VPC without a qualifying endpoint of its own pass for a
	// service when its DNS sends the service's name to a qualifying endpoint elsewhere (see
	// dns.go for what counts).
	AllowCentralEndpoints bool
	// TrustedDNSAccounts are the accounts besides the evaluated one whose hosted zones, Resolver
	// rules and Profiles count as evidence without being read.
	TrustedDNSAccounts []string
	// IgnoreUnusedVPCs makes a VPC with no network interfaces but its endpoints' NOT_APPLICABLE.
	IgnoreUnusedVPCs bool

	// SecurityHubFindings, when set, has every evaluated VPC reported to Security Hub too, as a
	// finding of the evaluated account's own product.
	SecurityHubFindings bool
}

// NeedsSubnets reports whether the evaluation needs the AZs of endpoint subnets.
func (p Params) NeedsSubnets() bool { return p.MinAvailabilityZones > 1 }

// NeedsSecurityGroups reports whether the evaluation needs the endpoints' security groups.
func (p Params) NeedsSecurityGroups() bool { return p.RequireHTTPSFromVPC }

// NeedsDNS reports whether the evaluation needs the DNS facts of VPCs without a qualifying
// endpoint of their own: hosted zones, Resolver rules, Profiles and the services' DNS names.
func (p Params) NeedsDNS() bool { return p.AllowCentralEndpoints }

// NeedsNetworkInterfaces reports whether the evaluation needs the VPCs' network interfaces.
func (p Params) NeedsNetworkInterfaces() bool { return p.IgnoreUnusedVPCs }

// Trusts reports whether account's DNS resources count without being read: it is the
// evaluated account or one listed in trustedDnsAccounts.
func (p Params) Trusts(account string, s Scope) bool {
	return account != "" && (account == s.AccountID || slices.Contains(p.TrustedDNSAccounts, account))
}

// services returns the services p requires: Services, or the default when it is empty, so that
// a zero Params checks EC2.10 rather than passing every VPC.
func (p Params) services() []Service {
	if len(p.Services) == 0 {
		return []Service{{Name: DefaultService}}
	}
	return p.Services
}

// Requires reports whether an endpoint for serviceName can count toward p in region: whether
// a change to such an endpoint can change a VPC's verdict.
func (p Params) Requires(serviceName, region string) bool {
	for _, s := range p.services() {
		if s.Matches(serviceName, region) {
			return true
		}
	}
	return false
}

// EndpointServiceNames returns every endpoint service name that can satisfy p in region.
func (p Params) EndpointServiceNames(region string) []string {
	var out []string
	for _, s := range p.services() {
		out = append(out, s.EndpointServiceNames(region)...)
	}
	return out
}

// Tag is a tag key, optionally with the value it must have.
type Tag struct {
	Key      string
	Value    string
	HasValue bool
	// Split says the tag was named by exemptTagKey (and exemptTagValue), which take any key and
	// value, "=" included, rather than by exemptTag.
	Split bool
}

// String returns the tag as the parameters that named it write it: key=value for exemptTag,
// the quoted key and value for exemptTagKey and exemptTagValue.
func (t Tag) String() string {
	switch {
	case t.Split && t.HasValue:
		return fmt.Sprintf("key %q with value %q", t.Key, t.Value)
	case t.Split:
		return fmt.Sprintf("key %q", t.Key)
	case t.HasValue:
		return t.Key + "=" + t.Value
	}
	return t.Key
}

// params returns the rule parameters that named t, for an annotation.
func (t Tag) params() string {
	switch {
	case t.Split && t.HasValue:
		return "rule parameters " + ParamExemptTagKey + ", " + ParamExemptTagValue
	case t.Split:
		return "rule parameter " + ParamExemptTagKey
	}
	return "rule parameter " + ParamExemptTag
}

// ErrInvalidParams is wrapped by every error ParseParams returns.
var ErrInvalidParams = errors.New("invalid rule parameters")

var (
	vpcIDPattern     = regexp.MustCompile(`^vpc-[0-9a-f]{8}([0-9a-f]{9})?$`)
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	// The length (1 to 64) is checked apart: a counted repetition would compile into 64 copies
	// of the class, which costs the function's cold start about 2 ms.
	roleNamePattern = regexp.MustCompile(`^[\w+=,.@-]+$`)
)

// maxRoleNameLength is IAM's limit on a role name.
const maxRoleNameLength = 64

// Tag limits from the EC2 API.
const (
	maxTagKeyLength   = 128
	maxTagValueLength = 256
)

// ParseParams reads the ruleParameters JSON object that AWS Config passes, for a rule evaluating
// region. Empty input means the defaults, and an optional parameter given as "" is not set
// (templates pass every parameter), except serviceNames: when present, it must name at least one
// service. Every error names the parameter and the forms it accepts.
func ParseParams(raw, region string) (Params, error) {
	p := Params{Services: []Service{{Name: DefaultService}}, MinAvailabilityZones: 1}
	values, err := decodeParams(raw)
	if err != nil {
		return Params{}, err
	}
	// The alias is an ordinary optional parameter: "" leaves it unset, so a template may pass it
	// beside serviceNames.
	if alias, ok := values[ParamServiceName]; ok {
		if alias == "" {
			delete(values, ParamServiceName)
		} else if _, both := values[ParamServiceNames]; both {
			return Params{}, paramError(ParamServiceName, "is an alias of %s; give only one of them", ParamServiceNames)
		}
	}
	for _, name := range sortedKeys(values) {
		spec, ok := LookupParam(name)
		if !ok {
			return Params{}, fmt.Errorf("%w: unknown parameter %q; accepted: %s", ErrInvalidParams, name, strings.Join(ParamNames(), ", "))
		}
		if err := spec.set(&p, name, values[name], region); err != nil {
			return Params{}, err
		}
	}
	if err := checkExemptTag(values); err != nil {
		return Params{}, err
	}
	if len(p.TrustedDNSAccounts) > 0 && !p.AllowCentralEndpoints {
		return Params{}, paramError(ParamTrustedDNSAccounts, "has no effect unless %s is true; set both, or neither", ParamAllowCentralEndpoints)
	}
	return p, nil
}

// decodeParams reads the JSON object of parameters into strings. AWS Config passes strings;
// numbers and booleans (which a template may write unquoted) are taken as their JSON text.
func decodeParams(raw string) (map[string]string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &fields); err != nil {
		return nil, fmt.Errorf("%w: ruleParameters is not a JSON object of strings: %v", ErrInvalidParams, err)
	}
	values := make(map[string]string, len(fields))
	for name, rawValue := range fields {
		rawValue = bytes.TrimSpace(rawValue)
		var s string
		switch {
		case len(rawValue) > 0 && rawValue[0] == '"':
			if err := json.Unmarshal(rawValue, &s); err != nil {
				return nil, paramError(name, "is not a valid JSON string: %v", err)
			}
		case string(rawValue) == "true" || string(rawValue) == "false":
			s = string(rawValue)
		case json.Valid(rawValue) && len(rawValue) > 0 && (rawValue[0] == '-' || (rawValue[0] >= '0' && rawValue[0] <= '9')):
			s = string(rawValue)
		default:
			return nil, paramError(name, "must be a string, got %s", abbreviate(string(rawValue)))
		}
		values[name] = strings.TrimSpace(s)
	}
	return values, nil
}

// splitList splits a comma-separated parameter, trimming spaces around items. An empty value
// yields no items; an empty item between commas is an error.
func splitList(name, value string) ([]string, error) {
	if value == "" {
		return nil, nil
	}
	parts := strings.Split(value, ",")
	for i, part := range parts {
		parts[i] = strings.TrimSpace(part)
		if parts[i] == "" {
			return nil, paramError(name, "has an empty item at position %d in %q; separate items with single commas", i+1, value)
		}
	}
	return parts, nil
}

// checkExemptTag requires the exempt tag to be named one way: exemptTag, or exemptTagKey with an
// optional exemptTagValue. An empty value is a parameter not set.
func checkExemptTag(values map[string]string) error {
	tag, key, value := values[ParamExemptTag] != "", values[ParamExemptTagKey] != "", values[ParamExemptTagValue] != ""
	switch {
	case tag && (key || value):
		return paramError(ParamExemptTag, "and %s/%s name the same tag; give %s (key or key=value), or %s with an optional %s, not both",
			ParamExemptTagKey, ParamExemptTagValue, ParamExemptTag, ParamExemptTagKey, ParamExemptTagValue)
	case value && !key:
		return paramError(ParamExemptTagValue, "needs %s: give the tag key there", ParamExemptTagKey)
	}
	return nil
}

func parseTag(value string) (Tag, error) {
	key, val, hasValue := strings.Cut(value, "=")
	key = strings.TrimSpace(key)
	val = strings.TrimSpace(val)
	switch {
	case key == "":
		return Tag{}, fmt.Errorf("%q has an empty tag key; use key or key=value", value)
	case len([]rune(key)) > maxTagKeyLength:
		return Tag{}, fmt.Errorf("tag key is longer than %d characters", maxTagKeyLength)
	case len([]rune(val)) > maxTagValueLength:
		return Tag{}, fmt.Errorf("tag value is longer than %d characters", maxTagValueLength)
	}
	return Tag{Key: key, Value: val, HasValue: hasValue}, nil
}

func parseBool(name, value string, dst *bool) error {
	switch strings.ToLower(value) {
	case "":
		return nil
	case "true":
		*dst = true
	case "false":
		*dst = false
	default:
		return paramError(name, "%q is not true or false", value)
	}
	return nil
}

// ParamError is an invalid value of one rule parameter. It wraps ErrInvalidParams.
type ParamError struct {
	Param  string // the parameter's name, as in ruleParameters
	Reason string // what is wrong and the forms accepted, e.g. `"0" is not a whole number from 1 to 32`
}

func (e *ParamError) Error() string {
	return ErrInvalidParams.Error() + ": " + e.Param + " " + e.Reason
}

// Unwrap returns ErrInvalidParams.
func (e *ParamError) Unwrap() error { return ErrInvalidParams }

func paramError(name, format string, args ...any) error {
	return &ParamError{Param: name, Reason: fmt.Sprintf(format, args...)}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func abbreviate(s string) string {
	const limit = 40
	if r := []rune(s); len(r) > limit {
		return string(r[:limit]) + "…"
	}
	return s
}
