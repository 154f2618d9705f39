// Package findings reports the rule's verdicts to AWS Security Hub: Build turns one evaluated
// VPC into an AWS Security Finding Format (ASFF) finding of the evaluated account's own product,
// and Importer sends findings with BatchImportFindings. Build is pure; the function and
// `audit --output asff` both use it, so they say the same.
package findings

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// Limits of the ASFF that Build keeps to (AWS Security Hub API Reference, AwsSecurityFinding,
// Recommendation and Resource; "Resources ASFF object"; BatchImportFindings).
const (
	maxIDLength             = 512
	maxTitleLength          = 256
	maxDescriptionLength    = 1024
	maxRecommendationLength = 512
	// MaxPerImport is the most findings one BatchImportFindings call takes.
	MaxPerImport = 100
)

// SchemaVersion is the only ASFF version Security Hub publishes.
const SchemaVersion = "2018-10-08"

// Control is the Security Hub control the rule stands for.
const Control = "EC2.10"

// The ASFF values Build writes.
const (
	StatusPassed       = "PASSED"
	StatusFailed       = "FAILED"
	StatusNotAvailable = "NOT_AVAILABLE"

	SeverityMedium        = "MEDIUM"
	SeverityInformational = "INFORMATIONAL"

	RecordActive   = "ACTIVE"
	RecordArchived = "ARCHIVED"

	// TypeBestPractices is the finding type, in ASFF's namespace/category taxonomy.
	TypeBestPractices = "Software and Configuration Checks/AWS Security Best Practices"
	// ResourceTypeVPC is ASFF's resource type for a VPC.
	ResourceTypeVPC = "AwsEc2Vpc"
)

// idPrefix starts every finding's Id and GeneratorId: it says whose findings they are.
const idPrefix = "ec2-vpc-endpoint-rule/"

// remediateCommand is the rule's command line that plans and makes a VPC's fix.
const remediateCommand = "ec2-vpc-endpoint-rule remediate"

// docURL is AWS's page on EC2.10 and its remediation.
const docURL = "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-10"

// Finding is one ASFF finding, with only the fields the rule sets: it marshals to clean ASFF
// JSON (no nulls), as `aws securityhub batch-import-findings` takes it. SDK converts it for the
// API.
type Finding struct {
	SchemaVersion         string                `json:"SchemaVersion"`
	ID                    string                `json:"Id"`
	ProductARN            string                `json:"ProductArn"`
	GeneratorID           string                `json:"GeneratorId"`
	AwsAccountID          string                `json:"AwsAccountId"`
	Types                 []string              `json:"Types"`
	CreatedAt             string                `json:"CreatedAt"`
	UpdatedAt             string                `json:"UpdatedAt"`
	LastObservedAt        string                `json:"LastObservedAt"`
	Severity              Severity              `json:"Severity"`
	Title                 string                `json:"Title"`
	Description           string                `json:"Description"`
	Remediation           Remediation           `json:"Remediation"`
	ProductFields         map[string]string     `json:"ProductFields"`
	Resources             []Resource            `json:"Resources"`
	Compliance            Compliance            `json:"Compliance"`
	RecordState           string                `json:"RecordState"`
	FindingProviderFields FindingProviderFields `json:"FindingProviderFields"`
}

// Severity is a finding's severity label.
type Severity struct {
	Label string `json:"Label"`
}

// Remediation says how to fix what a finding reports.
type Remediation struct {
	Recommendation Recommendation `json:"Recommendation"`
}

// Recommendation is the fix, in words, with a page that explains it.
type Recommendation struct {
	Text string `json:"Text"`
	URL  string `json:"Url"`
}

// Resource is the VPC a finding is about.
type Resource struct {
	Type      string            `json:"Type"`
	ID        string            `json:"Id"`
	Partition string            `json:"Partition,omitempty"`
	Region    string            `json:"Region"`
	Tags      map[string]string `json:"Tags,omitempty"`
	Details   *ResourceDetails  `json:"Details,omitempty"`
}

// ResourceDetails holds the AwsEc2Vpc details.
type ResourceDetails struct {
	AwsEc2Vpc VPCDetails `json:"AwsEc2Vpc"`
}

// VPCDetails are the ASFF details of a VPC that the rule knows: its IPv4 CIDR blocks.
type VPCDetails struct {
	CIDRBlockAssociationSet []CIDRBlock `json:"CidrBlockAssociationSet"`
}

// CIDRBlock is one IPv4 CIDR block associated with a VPC.
type CIDRBlock struct {
	CIDRBlock      string `json:"CidrBlock"`
	CIDRBlockState string `json:"CidrBlockState"`
}

// Compliance is a finding's check result and the requirements it concerns.
type Compliance struct {
	Status              string   `json:"Status"`
	RelatedRequirements []string `json:"RelatedRequirements"`
}

// FindingProviderFields carries severity and types as a finding provider sets them: Security
// Hub keeps a customer's own changes to the top-level ones.
type FindingProviderFields struct {
	Severity Severity `json:"Severity"`
	Types    []string `json:"Types"`
}

// Input is what Build needs to know of one evaluation.
type Input struct {
	// Result is the rule's verdict on the VPC.
	Result rule.Result
	// VPC is the VPC evaluated, or nil when it is known only by ID (it no longer exists).
	VPC *rule.VPC
	// Params are the rule's parameters, which say what was required.
	Params rule.Params
	// Partition, Region and AccountID say where the VPC was evaluated; RuleName is the Config
	// rule's name there.
	Partition, Region, AccountID, RuleName string
	// EvaluatedAt is when the evaluation was made: the finding's UpdatedAt. Security Hub ignores
	// an update whose UpdatedAt is not later than the finding's.
	EvaluatedAt time.Time
	// CreatedAt is when the finding was first created, if known; zero means EvaluatedAt.
	CreatedAt time.Time
}

// ID returns the Id of the finding for vpcID under ruleName: the same on every import, so each
// updates the finding instead of adding one.
func ID(ruleName, vpcID string) string { return idPrefix + ruleName + "/" + vpcID }

// GeneratorID returns the GeneratorId of ruleName's findings.
func GeneratorID(ruleName string) string { return idPrefix + ruleName }

// ProductARN returns the ARN of accountID's own product in region: the product its findings
// are imported as.
func ProductARN(partition, region, accountID string) string {
	return "arn:" + partition + ":securityhub:" + region + ":" + accountID + ":product/" + accountID + "/default"
}

// Timestamp writes t as ASFF takes it: RFC 3339, UTC, to the millisecond (Security Hub rounds
// finer times to milliseconds).
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Build returns the finding for one evaluated VPC. A COMPLIANT VPC is PASSED and a NON_COMPLIANT
// one FAILED, both active; a VPC out of the rule's scope or gone (NOT_APPLICABLE) is
// NOT_AVAILABLE and archived.
func Build(in Input) Finding {
	res := in.Result
	vpcID := res.ResourceID
	updated := Timestamp(in.EvaluatedAt)
	created := updated
	if !in.CreatedAt.IsZero() {
		created = Timestamp(in.CreatedAt)
	}
	status, severity, record := StatusNotAvailable, SeverityInformational, RecordArchived
	switch res.Compliance {
	case rule.Compliant:
		status, record = StatusPassed, RecordActive
	case rule.NonCompliant:
		status, severity, record = StatusFailed, SeverityMedium, RecordActive
	}
	requirements := []string{Control}
	if res.Compliance == rule.NonCompliant {
		for _, p := range rule.FailedPractices(res.Annotation) {
			requirements = append(requirements, idPrefix+p)
		}
	}
	description := res.Annotation
	if strings.TrimSpace(description) == "" {
		description = string(res.Compliance) + "."
	}
	return Finding{
		SchemaVersion:  SchemaVersion,
		ID:             ID(in.RuleName, vpcID),
		ProductARN:     ProductARN(in.Partition, in.Region, in.AccountID),
		GeneratorID:    GeneratorID(in.RuleName),
		AwsAccountID:   in.AccountID,
		Types:          []string{TypeBestPractices},
		CreatedAt:      created,
		UpdatedAt:      updated,
		LastObservedAt: updated,
		Severity:       Severity{Label: severity},
		Title:          rule.Cut(title(vpcID, in.Params, in.Region), maxTitleLength),
		Description:    rule.Cut(description, maxDescriptionLength),
		Remediation: Remediation{Recommendation: Recommendation{
			Text: rule.Cut(recommendation(in), maxRecommendationLength),
			URL:  docURL,
		}},
		ProductFields: map[string]string{
			idPrefix + "ConfigRuleName": in.RuleName,
			idPrefix + "Compliance":     string(res.Compliance),
		},
		Resources:             []Resource{resource(in)},
		Compliance:            Compliance{Status: status, RelatedRequirements: requirements},
		RecordState:           record,
		FindingProviderFields: FindingProviderFields{Severity: Severity{Label: severity}, Types: []string{TypeBestPractices}},
	}
}

// title names the control and what it requires of this VPC.
func title(vpcID string, p rule.Params, region string) string {
	return Control + " " + vpcID + " should reach " + serviceList(p, region) + " through an interface VPC endpoint"
}

// serviceList names the services p requires: "the EC2 API" for EC2.10 alone.
func serviceList(p rule.Params, region string) string {
	if defaultServices(p) {
		return "the EC2 API"
	}
	names := make([]string, 0, len(p.Services))
	for _, s := range p.Services {
		names = append(names, s.FullName(region))
	}
	return strings.Join(names, ", ")
}

// defaultServices reports whether p requires EC2.10's service alone.
func defaultServices(p rule.Params) bool {
	return len(p.Services) == 0 || (len(p.Services) == 1 && p.Services[0].Name == rule.DefaultService)
}

// recommendation is the fix for this VPC, or why none is needed.
func recommendation(in Input) string {
	res, p := in.Result, in.Params
	switch res.Compliance {
	case rule.Compliant:
		return "No action needed: " + res.ResourceID + " has a qualifying interface endpoint for every required service. Keep its endpoints available."
	case rule.NotApplicable:
		return "No action needed: the rule does not apply to " + res.ResourceID + " (see the description), so this finding is archived."
	}
	var b strings.Builder
	b.WriteString("In " + res.ResourceID + ", create (or fix, as the description says) an interface VPC endpoint for " + serviceList(p, in.Region))
	var with []string
	if p.RequirePrivateDNS {
		with = append(with, "private DNS enabled")
	} else {
		with = append(with, "private DNS enabled (so the default API names resolve to it)")
	}
	az := max(p.MinAvailabilityZones, 2)
	with = append(with, "a subnet in each of at least "+strconv.Itoa(az)+" Availability Zones")
	cidrs := "the VPC's CIDR blocks"
	if in.VPC != nil && len(in.VPC.CIDRBlocks) > 0 {
		cidrs = strings.Join(in.VPC.CIDRBlocks, ", ")
	}
	with = append(with, "a security group allowing TCP 443 from "+cidrs)
	if p.ForbidFullAccessPolicy {
		with = append(with, "an endpoint policy narrower than full access")
	}
	b.WriteString(" with " + strings.Join(with[:len(with)-1], ", ") + " and " + with[len(with)-1] + ".")
	command := remediateCommand + " --vpc-id " + res.ResourceID + " --region " + in.Region
	if !defaultServices(p) {
		names := make([]string, 0, len(p.Services))
		for _, s := range p.Services {
			names = append(names, s.Name)
		}
		command += " --service-names " + strings.Join(names, ",")
	}
	command += " plans the fix; --apply makes it."
	// The command is the part a user runs: when the whole is too long, the prose is cut, not it.
	room := maxRecommendationLength - utf8.RuneCountInString(command) - 1
	if room < 1 {
		return command
	}
	return rule.Cut(b.String(), room) + " " + command
}

// resource describes the VPC as ASFF's AwsEc2Vpc: its ARN, partition, region, tags and CIDR
// blocks, as far as the evaluation knows them.
func resource(in Input) Resource {
	owner := in.AccountID
	if in.VPC != nil && in.VPC.OwnerID != "" {
		owner = in.VPC.OwnerID
	}
	r := Resource{
		Type:   ResourceTypeVPC,
		ID:     "arn:" + in.Partition + ":ec2:" + in.Region + ":" + owner + ":vpc/" + in.Result.ResourceID,
		Region: in.Region,
	}
	// ASFF's Partition takes only these values; other partitions' findings leave it out.
	if slices.Contains([]string{"aws", "aws-cn", "aws-us-gov"}, in.Partition) {
		r.Partition = in.Partition
	}
	if in.VPC == nil {
		return r
	}
	if len(in.VPC.Tags) > 0 {
		r.Tags = in.VPC.Tags
	}
	if len(in.VPC.CIDRBlocks) > 0 {
		d := &ResourceDetails{}
		for _, c := range in.VPC.CIDRBlocks {
			d.AwsEc2Vpc.CIDRBlockAssociationSet = append(d.AwsEc2Vpc.CIDRBlockAssociationSet, CIDRBlock{CIDRBlock: c, CIDRBlockState: "associated"})
		}
		r.Details = d
	}
	return r
}
