package localaws

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	shTestAccount = "111122223333"
	shTestRegion  = "us-east-1"
	shTestProduct = "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
)

func shValidFinding(id, updatedAt string) shtypes.AwsSecurityFinding {
	return shtypes.AwsSecurityFinding{
		SchemaVersion: aws.String("2018-10-08"), Id: aws.String(id), ProductArn: aws.String(shTestProduct),
		GeneratorId: aws.String("gen"), AwsAccountId: aws.String(shTestAccount),
		Types:     []string{"Software and Configuration Checks/AWS Security Best Practices"},
		CreatedAt: aws.String("2026-03-02T06:00:00.000Z"), UpdatedAt: aws.String(updatedAt),
		Severity: &shtypes.Severity{Label: shtypes.SeverityLabelMedium}, Title: aws.String("t"), Description: aws.String("d"),
		Compliance: &shtypes.Compliance{Status: shtypes.ComplianceStatusFailed},
		Resources:  []shtypes.Resource{{Type: aws.String("AwsEc2Vpc"), Id: aws.String("arn:aws:ec2:us-east-1:111122223333:vpc/vpc-1"), Partition: shtypes.PartitionAws, Region: aws.String(shTestRegion)}},
	}
}

func TestSecurityHubValidates(t *testing.T) {
	hub := StartSecurityHub(shTestAccount, shTestRegion)
	defer hub.Stop()
	cfg, err := AWSConfig(t.Context(), shTestRegion)
	require.NoError(t, err)
	client := SecurityHubClient(cfg, hub.URL)

	edit := func(f func(*shtypes.AwsSecurityFinding)) shtypes.AwsSecurityFinding {
		v := shValidFinding("bad", "2026-03-02T06:00:00.000Z")
		f(&v)
		return v
	}
	tests := []struct {
		name    string
		finding shtypes.AwsSecurityFinding
		reason  string // "" for a finding Security Hub takes
	}{
		{"valid", shValidFinding("ok", "2026-03-02T06:00:00.000Z"), ""},
		// The SDK refuses a nil required member itself; a blank one reaches the service.
		{"blank Title", edit(func(f *shtypes.AwsSecurityFinding) { f.Title = aws.String(" ") }), "Title is required"},
		{"Title of 257", edit(func(f *shtypes.AwsSecurityFinding) { f.Title = aws.String(strings.Repeat("t", 257)) }), "Title has 257 characters; at most 256"},
		{"Description of 1025", edit(func(f *shtypes.AwsSecurityFinding) { f.Description = aws.String(strings.Repeat("d", 1025)) }), "Description has 1025 characters; at most 1024"},
		{"Id of 513", edit(func(f *shtypes.AwsSecurityFinding) { f.Id = aws.String(strings.Repeat("i", 513)) }), "Id has 513 characters; at most 512"},
		{"timestamp not RFC 3339", edit(func(f *shtypes.AwsSecurityFinding) { f.UpdatedAt = aws.String("2026-03-02 06:00:00") }), "UpdatedAt"},
		{"wrong schema", edit(func(f *shtypes.AwsSecurityFinding) { f.SchemaVersion = aws.String("2019-01-01") }), "SchemaVersion"},
		{"another account's product", edit(func(f *shtypes.AwsSecurityFinding) {
			f.ProductArn = aws.String("arn:aws:securityhub:us-east-1:444455556666:product/444455556666/default")
		}), "ProductArn"},
		{"another account", edit(func(f *shtypes.AwsSecurityFinding) { f.AwsAccountId = aws.String("444455556666") }), "AwsAccountId"},
		{"type outside the taxonomy", edit(func(f *shtypes.AwsSecurityFinding) { f.Types = []string{"Misc/Stuff"} }), "Types member"},
		{"no severity", edit(func(f *shtypes.AwsSecurityFinding) { f.Severity = nil }), "Severity.Label"},
		{"33 resources", edit(func(f *shtypes.AwsSecurityFinding) {
			for len(f.Resources) < 33 {
				f.Resources = append(f.Resources, f.Resources[0])
			}
		}), "Resources has 33 members; 1 to 32"},
		{"Recommendation of 513", edit(func(f *shtypes.AwsSecurityFinding) {
			f.Remediation = &shtypes.Remediation{Recommendation: &shtypes.Recommendation{Text: aws.String(strings.Repeat("r", 513))}}
		}), "Remediation.Recommendation.Text has 513"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.BatchImportFindings(t.Context(), &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{tt.finding}})
			require.NoError(t, err)
			if tt.reason == "" {
				assert.Empty(t, out.FailedFindings)
				assert.Equal(t, int32(1), *out.SuccessCount)
				return
			}
			require.Len(t, out.FailedFindings, 1)
			assert.Equal(t, "InvalidInput", *out.FailedFindings[0].ErrorCode)
			assert.Contains(t, *out.FailedFindings[0].ErrorMessage, tt.reason)
		})
	}
	assert.Len(t, hub.Stored(), 1, "only the valid finding is stored")

	// 101 findings in one call: the call fails.
	many := make([]shtypes.AwsSecurityFinding, 101)
	for i := range many {
		many[i] = shValidFinding("m", "2026-03-02T06:00:00.000Z")
	}
	_, err = client.BatchImportFindings(t.Context(), &securityhub.BatchImportFindingsInput{Findings: many})
	assert.ErrorContains(t, err, "InvalidInputException")
}

func TestSecurityHubUpdatesAndFilters(t *testing.T) {
	hub := StartSecurityHub(shTestAccount, shTestRegion)
	defer hub.Stop()
	cfg, err := AWSConfig(t.Context(), shTestRegion)
	require.NoError(t, err)
	client := SecurityHubClient(cfg, hub.URL)
	imp := func(fs ...shtypes.AwsSecurityFinding) {
		out, err := client.BatchImportFindings(t.Context(), &securityhub.BatchImportFindingsInput{Findings: fs})
		require.NoError(t, err)
		require.Empty(t, out.FailedFindings)
	}
	imp(shValidFinding("a", "2026-03-02T06:00:00.000Z"), shValidFinding("b", "2026-03-02T06:00:00.000Z"))
	newer := shValidFinding("a", "2026-03-03T06:00:00.000Z")
	newer.Compliance.Status = shtypes.ComplianceStatusPassed
	imp(newer)
	older := shValidFinding("b", "2026-03-01T06:00:00.000Z")
	older.RecordState = shtypes.RecordStateArchived
	imp(older) // before the finding's UpdatedAt: ignored, as Security Hub does

	states := map[string]string{}
	for _, f := range hub.Stored() {
		states[f.ID] = f.ComplianceStatus + " " + f.RecordState
	}
	assert.Equal(t, map[string]string{"a": "PASSED ACTIVE", "b": "FAILED ACTIVE"}, states)

	out, err := client.GetFindings(t.Context(), &securityhub.GetFindingsInput{Filters: &shtypes.AwsSecurityFindingFilters{
		Id: []shtypes.StringFilter{{Value: aws.String("a"), Comparison: shtypes.StringFilterComparisonEquals}},
	}})
	require.NoError(t, err)
	require.Len(t, out.Findings, 1)
	assert.Equal(t, "PASSED", string(out.Findings[0].Compliance.Status))

	hub.OnCall(func(op string, n int) *Fault {
		if op == opBatchImportFindings {
			return &Fault{RefuseFindings: 1}
		}
		return nil
	})
	res, err := client.BatchImportFindings(t.Context(), &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{shValidFinding("c", "2026-03-04T06:00:00.000Z")}})
	require.NoError(t, err)
	require.Len(t, res.FailedFindings, 1)
	assert.Equal(t, "c", *res.FailedFindings[0].Id)
	assert.Len(t, hub.Stored(), 2, "a refused finding is not stored")

	var req struct{ Findings []json.RawMessage }
	calls := hub.Calls()
	require.NoError(t, json.Unmarshal(calls[len(calls)-1].Input.(json.RawMessage), &req))
	assert.Len(t, req.Findings, 1, "the call's input is recorded")
}
