package findings_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/findings"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// fakeHub is a Security Hub API with function fields.
type fakeHub struct {
	importFn func(*securityhub.BatchImportFindingsInput) (*securityhub.BatchImportFindingsOutput, error)
	getFn    func(*securityhub.GetFindingsInput) (*securityhub.GetFindingsOutput, error)
	imports  [][]string // the Ids of each BatchImportFindings call
	gets     []*securityhub.GetFindingsInput
}

func (f *fakeHub) BatchImportFindings(_ context.Context, in *securityhub.BatchImportFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error) {
	var ids []string
	for _, x := range in.Findings {
		ids = append(ids, aws.ToString(x.Id))
	}
	f.imports = append(f.imports, ids)
	if f.importFn == nil {
		return &securityhub.BatchImportFindingsOutput{}, nil
	}
	return f.importFn(in)
}

func (f *fakeHub) GetFindings(_ context.Context, in *securityhub.GetFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error) {
	f.gets = append(f.gets, in)
	return f.getFn(in)
}

func testFindings(n int) []findings.Finding {
	out := make([]findings.Finding, n)
	for i := range out {
		in := input(rule.NonCompliant, "No Interface endpoint.")
		in.Result.ResourceID = fmt.Sprintf("vpc-%08x", i)
		out[i] = findings.Build(in)
	}
	return out
}

func TestImport(t *testing.T) {
	tests := []struct {
		name      string
		n         int
		refuse    func(call int, in *securityhub.BatchImportFindingsInput) []types.ImportFindingsError
		wantCalls []int // findings per call
		wantErr   []string
	}{
		{name: "one call per 100", n: 250, wantCalls: []int{100, 100, 50}},
		{
			name: "FailedFindings re-sent, then imported", n: 3,
			refuse: func(call int, in *securityhub.BatchImportFindingsInput) []types.ImportFindingsError {
				if call == 1 {
					return []types.ImportFindingsError{{Id: in.Findings[2].Id, ErrorCode: aws.String("InternalException"), ErrorMessage: aws.String("try again")}}
				}
				return nil
			},
			wantCalls: []int{3, 1},
		},
		{
			name: "refused to the end: an error naming the finding and why", n: 2,
			refuse: func(_ int, in *securityhub.BatchImportFindingsInput) []types.ImportFindingsError {
				return []types.ImportFindingsError{{Id: in.Findings[0].Id, ErrorCode: aws.String("InvalidInput"), ErrorMessage: aws.String("Title is required.")}}
			},
			wantCalls: []int{2, 1, 1},
			wantErr:   []string{"findings not imported", "refused 1 of 2 findings after 3 attempts", "ec2-vpc-endpoint-rule/ec2-vpc-endpoint-enabled/vpc-00000000 (InvalidInput: Title is required.)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeHub{}
			if tt.refuse != nil {
				api.importFn = func(in *securityhub.BatchImportFindingsInput) (*securityhub.BatchImportFindingsOutput, error) {
					return &securityhub.BatchImportFindingsOutput{FailedFindings: tt.refuse(len(api.imports), in)}, nil
				}
			}
			err := findings.Importer{API: api, Attempts: 3, Backoff: time.Microsecond}.Import(context.Background(), testFindings(tt.n))
			var sizes []int
			for _, c := range api.imports {
				sizes = append(sizes, len(c))
			}
			assert.Equal(t, tt.wantCalls, sizes)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, findings.ErrNotImported)
			for _, want := range tt.wantErr {
				assert.ErrorContains(t, err, want)
			}
		})
	}
}

func TestImportCallError(t *testing.T) {
	boom := errors.New("boom")
	api := &fakeHub{importFn: func(*securityhub.BatchImportFindingsInput) (*securityhub.BatchImportFindingsOutput, error) {
		return nil, boom
	}}
	err := findings.Importer{API: api, Attempts: 3, Wrap: func(err error) error { return fmt.Errorf("wrapped: %w", err) }}.Import(context.Background(), testFindings(150))
	require.ErrorIs(t, err, boom)
	assert.EqualError(t, err, "import findings 1-100 of 150: wrapped: boom")
	assert.Len(t, api.imports, 1, "nothing after a failed call")
}

func TestHeld(t *testing.T) {
	product := findings.ProductARN("aws", testRegion, testAccount)
	stored := make([]types.AwsSecurityFinding, 230)
	for i := range stored {
		stored[i] = types.AwsSecurityFinding{Id: aws.String(findings.ID(testRule, fmt.Sprintf("vpc-%08x", i))),
			CreatedAt: aws.String("2026-01-05T00:00:00.000Z"), UpdatedAt: aws.String("2026-03-02T06:00:00.125Z"), RecordState: types.RecordStateActive}
	}
	stored[7].RecordState = types.RecordStateArchived
	// Another rule whose name starts like this one's: not this rule's finding.
	stored = append(stored, types.AwsSecurityFinding{Id: aws.String(findings.ID(testRule+"/x", "vpc-1")), CreatedAt: aws.String("2026-01-05T00:00:00.000Z")})
	api := &fakeHub{getFn: func(in *securityhub.GetFindingsInput) (*securityhub.GetFindingsOutput, error) {
		matching := stored
		if ids := in.Filters.Id; len(ids) > 0 {
			matching = nil
			for _, f := range stored {
				for _, id := range ids {
					if aws.ToString(id.Value) == aws.ToString(f.Id) {
						matching = append(matching, f)
					}
				}
			}
		}
		start, _ := strconv.Atoi(aws.ToString(in.NextToken))
		end := min(start+int(aws.ToInt32(in.MaxResults)), len(matching))
		out := &securityhub.GetFindingsOutput{Findings: matching[start:end]}
		if end < len(matching) {
			out.NextToken = aws.String(strconv.Itoa(end))
		}
		return out, nil
	}}
	want := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

	t.Run("a change event's few findings, by Id", func(t *testing.T) {
		api.gets = nil
		ids := []string{findings.ID(testRule, "vpc-00000001")}
		got, err := findings.Held(context.Background(), api, testRule, product, ids, false, nil)
		require.NoError(t, err)
		require.Len(t, api.gets, 1)
		f := api.gets[0].Filters
		assert.Equal(t, ids[0], aws.ToString(f.Id[0].Value))
		assert.Equal(t, product, aws.ToString(f.ProductArn[0].Value))
		assert.Empty(t, f.GeneratorId)
		assert.Equal(t, findings.HeldFinding{VPCID: "vpc-00000001", CreatedAt: want, UpdatedAt: time.Date(2026, 3, 2, 6, 0, 0, 125e6, time.UTC), Active: true}, got[ids[0]])
	})
	for _, tt := range []struct {
		name  string
		ids   int
		every bool
	}{
		{"many findings: every one of the rule, in pages of 100", 50, false},
		{"a sweep: every one of the rule, even for few VPCs", 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api.gets = nil
			ids := make([]string, tt.ids)
			for i := range ids {
				ids[i] = findings.ID(testRule, fmt.Sprintf("vpc-%08x", i))
			}
			got, err := findings.Held(context.Background(), api, testRule, product, ids, tt.every, nil)
			require.NoError(t, err)
			assert.Len(t, api.gets, 3)
			assert.Equal(t, findings.GeneratorID(testRule), aws.ToString(api.gets[0].Filters.GeneratorId[0].Value))
			assert.Empty(t, api.gets[0].Filters.Id)
			assert.Equal(t, int32(100), aws.ToInt32(api.gets[0].MaxResults))
			assert.Len(t, got, 230, "only this rule's")
			assert.False(t, got[findings.ID(testRule, "vpc-00000007")].Active, "archived")
		})
	}
	t.Run("nothing to import: no call", func(t *testing.T) {
		api.gets = nil
		_, err := findings.Held(context.Background(), api, testRule, product, nil, false, nil)
		require.NoError(t, err)
		assert.Empty(t, api.gets)
	})
	t.Run("a failed read is an error", func(t *testing.T) {
		boom := errors.New("boom")
		failing := &fakeHub{getFn: func(*securityhub.GetFindingsInput) (*securityhub.GetFindingsOutput, error) { return nil, boom }}
		_, err := findings.Held(context.Background(), failing, testRule, product, []string{"x"}, false, nil)
		assert.ErrorIs(t, err, boom)
	})
}
