package rule

import (
	"slices"
	"sort"
	"strconv"
)

// ParamKind is the form of a rule parameter's value.
type ParamKind int

// The kinds of rule parameters. Every value is text, as AWS Config passes it.
const (
	KindString ParamKind = iota // free text with a rule of its own (a tag, a role name)
	KindList                    // comma-separated items
	KindBool                    // true or false
	KindInt                     // a whole number
)

// ParamSpec describes one rule parameter: the key in ruleParameters, the command-line flag that
// stands for it, and how its value is read. ParseParams reads ruleParameters with these specs and
// the audit command's flags are made from them, so a flag and its parameter accept the same text.
type ParamSpec struct {
	Name string // the key in ruleParameters, e.g. "minAvailabilityZones"
	// Flag is the command-line flag without dashes, e.g. "min-availability-zones"; empty only for
	// an alias, whose flag is the one of AliasOf.
	Flag    string
	AliasOf string
	Kind    ParamKind
	// Default is the value in effect when the parameter is not set, as text; empty for none.
	Default string
	Usage   string // one line for help: what the parameter does

	set func(p *Params, name, value, region string) error
}

// paramSpecs is the table of rule parameters, in the order help lists them.
var paramSpecs = []ParamSpec{
	{
		Name: ParamServiceNames, Flag: "service-names", Kind: KindList, Default: DefaultService,
		Usage: "services each VPC needs an interface endpoint for: short (ec2, ecr.api) or full names",
		set:   setServiceNames,
	},
	{
		Name: ParamServiceName, AliasOf: ParamServiceNames, Kind: KindList,
		Usage: "the older managed rule's name of " + ParamServiceNames,
		set:   setServiceNames,
	},
	{
		Name: ParamVPCIDs, Flag: "vpc-ids", Kind: KindList,
		Usage: "VPC IDs to evaluate; other VPCs are NOT_APPLICABLE",
		set:   setVPCIDs,
	},
	{
		Name: ParamExemptTag, Flag: "exempt-tag", Kind: KindString,
		Usage: "tag key or key=value; VPCs carrying it are NOT_APPLICABLE",
		set:   setExemptTag,
	},
	{
		Name: ParamExemptTagKey, Flag: "exempt-tag-key", Kind: KindString,
		Usage: "tag key, any text (= included), instead of " + ParamExemptTag + "; VPCs carrying it are NOT_APPLICABLE",
		set:   setExemptTagKey,
	},
	{
		Name: ParamExemptTagValue, Flag: "exempt-tag-value", Kind: KindString,
		Usage: "the value the " + ParamExemptTagKey + " tag must have, any text (= included); empty: any value",
		set:   setExemptTagValue,
	},
	{
		Name: ParamRequirePrivateDNS, Flag: "require-private-dns", Kind: KindBool, Default: "false",
		Usage: "an endpoint counts only with private DNS enabled",
		set:   boolParam(func(p *Params) *bool { return &p.RequirePrivateDNS }),
	},
	{
		Name: ParamMinAvailabilityZones, Flag: "min-availability-zones", Kind: KindInt, Default: "1",
		Usage: "an endpoint counts only when its subnets span at least this many AZs (1 to 32)",
		set:   setMinAvailabilityZones,
	},
	{
		Name: ParamRequireHTTPSFromVPC, Flag: "require-https-from-vpc", Kind: KindBool, Default: "false",
		Usage: "an endpoint counts only when its security groups allow TCP 443 from the whole VPC",
		set:   boolParam(func(p *Params) *bool { return &p.RequireHTTPSFromVPC }),
	},
	{
		Name: ParamForbidFullAccessPolicy, Flag: "forbid-full-access-policy", Kind: KindBool, Default: "false",
		Usage: "an endpoint with a full-access endpoint policy does not count",
		set:   boolParam(func(p *Params) *bool { return &p.ForbidFullAccessPolicy }),
	},
	{
		Name: ParamExecutionRoleName, Flag: "role-name", Kind: KindString,
		Usage: "IAM role (name, no path) to assume in each evaluated account",
		set:   setExecutionRoleName,
	},
	{
		Name: ParamAllowCentralEndpoints, Flag: "allow-central-endpoints", Kind: KindBool, Default: "false",
		Usage: "a VPC without its own endpoint passes when its DNS sends the service's name to a qualifying endpoint elsewhere",
		set:   boolParam(func(p *Params) *bool { return &p.AllowCentralEndpoints }),
	},
	{
		Name: ParamTrustedDNSAccounts, Flag: "trusted-dns-accounts", Kind: KindList,
		Usage: "account IDs whose hosted zones and Resolver rules count unread (with " + ParamAllowCentralEndpoints + ")",
		set:   setTrustedDNSAccounts,
	},
	{
		Name: ParamIgnoreUnusedVPCs, Flag: "ignore-unused-vpcs", Kind: KindBool, Default: "false",
		Usage: "a VPC with no network interfaces but its endpoints' is NOT_APPLICABLE",
		set:   boolParam(func(p *Params) *bool { return &p.IgnoreUnusedVPCs }),
	},
	{
		Name: ParamSecurityHubFindings, Flag: "security-hub-findings", Kind: KindBool, Default: "false",
		Usage: "the function also imports one Security Hub finding per evaluated VPC (audit: use --output asff to print them)",
		set:   boolParam(func(p *Params) *bool { return &p.SecurityHubFindings }),
	},
}

// ParamSpecs returns the specs of every rule parameter, in the order help lists them.
func ParamSpecs() []ParamSpec { return slices.Clone(paramSpecs) }

// LookupParam returns the spec of the rule parameter name.
func LookupParam(name string) (ParamSpec, bool) {
	for _, s := range paramSpecs {
		if s.Name == name {
			return s, true
		}
	}
	return ParamSpec{}, false
}

// ParamNames returns every rule parameter name the rule accepts, sorted.
func ParamNames() []string {
	names := make([]string, 0, len(paramSpecs))
	for _, s := range paramSpecs {
		names = append(names, s.Name)
	}
	sort.Strings(names)
	return names
}

func setServiceNames(p *Params, name, value, region string) error {
	items, err := splitList(name, value)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return paramError(name, "must name at least one service, e.g. \"ec2\" or \"ec2, ecr.api\"")
	}
	p.Services = nil
	for _, item := range items {
		s, err := parseService(item, region)
		if err != nil {
			return paramError(name, "%v", err)
		}
		if !slices.Contains(p.Services, s) {
			p.Services = append(p.Services, s)
		}
	}
	return nil
}

func setVPCIDs(p *Params, name, value, _ string) error {
	items, err := splitList(name, value)
	if err != nil {
		return err
	}
	for _, id := range items {
		if !vpcIDPattern.MatchString(id) {
			return paramError(name, "item %q is not a VPC ID (vpc- and 8 or 17 hex digits); give a comma-separated list such as \"vpc-0a1b2c3d4e5f60718, vpc-1a2b3c4d\"", id)
		}
		if !slices.Contains(p.VPCIDs, id) {
			p.VPCIDs = append(p.VPCIDs, id)
		}
	}
	return nil
}

func setExemptTag(p *Params, name, value, _ string) error {
	if value == "" {
		return nil
	}
	t, err := parseTag(value)
	if err != nil {
		return paramError(name, "%v", err)
	}
	p.ExemptTag = &t
	return nil
}

// exemptTagParts returns the tag that exemptTagKey and exemptTagValue name, made on first use:
// either may be read first.
func exemptTagParts(p *Params) *Tag {
	if p.ExemptTag == nil || !p.ExemptTag.Split {
		p.ExemptTag = &Tag{Split: true}
	}
	return p.ExemptTag
}

func setExemptTagKey(p *Params, name, value, _ string) error {
	if value == "" {
		return nil
	}
	if len([]rune(value)) > maxTagKeyLength {
		return paramError(name, "is longer than %d characters, EC2's limit on a tag key", maxTagKeyLength)
	}
	exemptTagParts(p).Key = value
	return nil
}

func setExemptTagValue(p *Params, name, value, _ string) error {
	if value == "" {
		return nil
	}
	if len([]rune(value)) > maxTagValueLength {
		return paramError(name, "is longer than %d characters, EC2's limit on a tag value", maxTagValueLength)
	}
	t := exemptTagParts(p)
	t.Value, t.HasValue = value, true
	return nil
}

func setMinAvailabilityZones(p *Params, name, value, _ string) error {
	if value == "" {
		return nil
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 || n > 32 {
		return paramError(name, "%q is not a whole number from 1 to 32", value)
	}
	p.MinAvailabilityZones = n
	return nil
}

func setExecutionRoleName(p *Params, name, value, _ string) error {
	if value != "" && (len(value) > maxRoleNameLength || !roleNamePattern.MatchString(value)) {
		return paramError(name, "%q is not an IAM role name (1 to 64 of letters, digits and +=,.@_-, no path)", value)
	}
	p.ExecutionRoleName = value
	return nil
}

func setTrustedDNSAccounts(p *Params, name, value, _ string) error {
	items, err := splitList(name, value)
	if err != nil {
		return err
	}
	for _, id := range items {
		if !accountIDPattern.MatchString(id) {
			return paramError(name, "item %q is not an AWS account ID (12 digits); give a comma-separated list such as \"111122223333, 444455556666\"", id)
		}
		if !slices.Contains(p.TrustedDNSAccounts, id) {
			p.TrustedDNSAccounts = append(p.TrustedDNSAccounts, id)
		}
	}
	return nil
}

// boolParam returns the setter of a true-or-false parameter stored in field(p).
func boolParam(field func(*Params) *bool) func(p *Params, name, value, region string) error {
	return func(p *Params, name, value, _ string) error { return parseBool(name, value, field(p)) }
}
