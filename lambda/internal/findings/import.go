package findings

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/batch"
)

// API is the part of the Security Hub API the package calls.
type API interface {
	BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
	securityhub.GetFindingsAPIClient
}

// byIDLimit is the most findings Held looks up by Id; for more it reads every finding of the
// rule, in pages, which costs fewer calls than a filter value per finding.
const byIDLimit = 10

// getFindingsPageSize is the largest page GetFindings returns.
const getFindingsPageSize = 100

// HeldFinding is what Security Hub holds of one of the rule's findings.
type HeldFinding struct {
	// VPCID is the VPC the finding is about.
	VPCID string
	// CreatedAt and UpdatedAt are the finding's; zero when Security Hub's are not timestamps.
	CreatedAt, UpdatedAt time.Time
	// Active is false for an archived finding.
	Active bool
}

// Held returns, by Id, the findings of ruleName that Security Hub holds under productARN: those
// of ids, or with every all of the rule's (a sweep's view). An import replaces a finding's
// CreatedAt with the one it carries, so keeping it stable across updates takes reading it back;
// a sweep also learns which findings are about VPCs that are gone. wrap, when set, wraps a call's
// error.
func Held(ctx context.Context, api API, ruleName, productARN string, ids []string, every bool, wrap func(error) error) (map[string]HeldFinding, error) {
	out := make(map[string]HeldFinding)
	if len(ids) == 0 && !every {
		return out, nil
	}
	eq := func(v string) types.StringFilter {
		return types.StringFilter{Value: aws.String(v), Comparison: types.StringFilterComparisonEquals}
	}
	filters := &types.AwsSecurityFindingFilters{ProductArn: []types.StringFilter{eq(productARN)}}
	if !every && len(ids) <= byIDLimit {
		for _, id := range ids {
			filters.Id = append(filters.Id, eq(id))
		}
	} else {
		filters.GeneratorId = []types.StringFilter{eq(GeneratorID(ruleName))}
	}
	pages := securityhub.NewGetFindingsPaginator(api, &securityhub.GetFindingsInput{Filters: filters, MaxResults: aws.Int32(getFindingsPageSize)})
	prefix := ID(ruleName, "")
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if wrap != nil {
				err = wrap(err)
			}
			return nil, fmt.Errorf("read the rule's findings: %w", err)
		}
		for _, f := range page.Findings {
			id := aws.ToString(f.Id)
			vpcID, ok := strings.CutPrefix(id, prefix)
			if !ok || strings.Contains(vpcID, "/") {
				continue // not one of this rule's (another rule's name can start like it)
			}
			h := HeldFinding{VPCID: vpcID, Active: f.RecordState != types.RecordStateArchived}
			h.CreatedAt, _ = time.Parse(time.RFC3339Nano, aws.ToString(f.CreatedAt))
			h.UpdatedAt, _ = time.Parse(time.RFC3339Nano, aws.ToString(f.UpdatedAt))
			out[id] = h
		}
	}
	return out, nil
}

// ErrNotImported is wrapped by the error returned when Security Hub kept refusing findings.
var ErrNotImported = errors.New("findings not imported")

// Importer imports findings with BatchImportFindings. Throttling is the SDK retryer's; findings
// the answer lists as FailedFindings are re-sent, as AWS Config's FailedEvaluations are.
type Importer struct {
	API API
	// Attempts bounds how often a finding Security Hub refuses is sent, in all.
	Attempts int
	// Backoff is the pause before the first re-send; it doubles for each further one.
	Backoff time.Duration
	// Sleep pauses for d or until ctx is done (batch.SleepContext when nil).
	Sleep func(ctx context.Context, d time.Duration) error
	// Wrap, when set, wraps a call's error (to name the IAM action the call needs).
	Wrap func(error) error
}

// Import sends fs in calls of at most MaxPerImport. It returns an error naming every finding
// Security Hub still refused, with its reason, or the first call error.
func (im Importer) Import(ctx context.Context, fs []Finding) error {
	reasons := make(map[string]string)
	items := make([]types.AwsSecurityFinding, 0, len(fs))
	for _, f := range fs {
		items = append(items, f.SDK())
	}
	s := batch.Sender[types.AwsSecurityFinding]{
		Action:   "securityhub:BatchImportFindings",
		Noun:     "findings",
		Size:     MaxPerImport,
		Attempts: max(im.Attempts, 1),
		Backoff:  im.Backoff,
		Sleep:    im.Sleep,
		Send: func(ctx context.Context, b []types.AwsSecurityFinding) ([]types.AwsSecurityFinding, error) {
			out, err := im.API.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: b})
			if err != nil {
				if im.Wrap != nil {
					err = im.Wrap(err)
				}
				return nil, err
			}
			if len(out.FailedFindings) == 0 {
				return nil, nil
			}
			byID := make(map[string]types.AwsSecurityFinding, len(b))
			for _, f := range b {
				byID[aws.ToString(f.Id)] = f
			}
			var failed []types.AwsSecurityFinding
			for _, ff := range out.FailedFindings {
				id := aws.ToString(ff.Id)
				reasons[id] = aws.ToString(ff.ErrorCode) + ": " + aws.ToString(ff.ErrorMessage)
				if f, ok := byID[id]; ok {
					failed = append(failed, f)
					delete(byID, id)
				}
			}
			return failed, nil
		},
	}
	refused, err := s.SendAll(ctx, items)
	if err != nil {
		return fmt.Errorf("import findings %w", err)
	}
	if len(refused) == 0 {
		return nil
	}
	names := make([]string, 0, len(refused))
	for _, f := range refused {
		id := aws.ToString(f.Id)
		names = append(names, id+" ("+reasons[id]+")")
	}
	return fmt.Errorf("%w: Security Hub refused %d of %d findings after %d attempts: %s",
		ErrNotImported, len(refused), len(fs), s.Attempts, strings.Join(names, ", "))
}

// SDK returns f as the SDK's type, for BatchImportFindings.
func (f Finding) SDK() types.AwsSecurityFinding {
	res := make([]types.Resource, 0, len(f.Resources))
	for _, r := range f.Resources {
		sr := types.Resource{Type: aws.String(r.Type), Id: aws.String(r.ID), Region: aws.String(r.Region), Tags: r.Tags}
		if r.Partition != "" {
			sr.Partition = types.Partition(r.Partition)
		}
		if r.Details != nil {
			var blocks []types.CidrBlockAssociation
			for _, c := range r.Details.AwsEc2Vpc.CIDRBlockAssociationSet {
				blocks = append(blocks, types.CidrBlockAssociation{CidrBlock: aws.String(c.CIDRBlock), CidrBlockState: aws.String(c.CIDRBlockState)})
			}
			sr.Details = &types.ResourceDetails{AwsEc2Vpc: &types.AwsEc2VpcDetails{CidrBlockAssociationSet: blocks}}
		}
		res = append(res, sr)
	}
	return types.AwsSecurityFinding{
		SchemaVersion:  aws.String(f.SchemaVersion),
		Id:             aws.String(f.ID),
		ProductArn:     aws.String(f.ProductARN),
		GeneratorId:    aws.String(f.GeneratorID),
		AwsAccountId:   aws.String(f.AwsAccountID),
		Types:          f.Types,
		CreatedAt:      aws.String(f.CreatedAt),
		UpdatedAt:      aws.String(f.UpdatedAt),
		LastObservedAt: aws.String(f.LastObservedAt),
		Severity:       &types.Severity{Label: types.SeverityLabel(f.Severity.Label)},
		Title:          aws.String(f.Title),
		Description:    aws.String(f.Description),
		Remediation: &types.Remediation{Recommendation: &types.Recommendation{
			Text: aws.String(f.Remediation.Recommendation.Text), Url: aws.String(f.Remediation.Recommendation.URL),
		}},
		ProductFields: f.ProductFields,
		Resources:     res,
		Compliance: &types.Compliance{
			Status: types.ComplianceStatus(f.Compliance.Status), RelatedRequirements: f.Compliance.RelatedRequirements,
		},
		RecordState: types.RecordState(f.RecordState),
		FindingProviderFields: &types.FindingProviderFields{
			Severity: &types.FindingProviderSeverity{Label: types.SeverityLabel(f.FindingProviderFields.Severity.Label)},
			Types:    f.FindingProviderFields.Types,
		},
	}
}
