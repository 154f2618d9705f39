package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// reportTestEvaluations returns n NON_COMPLIANT VPC evaluations with distinct IDs.
func reportTestEvaluations(n int) []evaluation {
	out := make([]evaluation, 0, n)
	for i := range n {
		out = append(out, evaluation{
			Result: rule.Result{
				ResourceType: rule.ResourceTypeVPC,
				ResourceID:   fmt.Sprintf("vpc-%017x", i),
				Compliance:   rule.NonCompliant,
				Annotation:   "No Interface endpoint for com.amazonaws.us-east-1.ec2.",
			},
			orderingTime: fixtureScheduledTime,
		})
	}
	return out
}

func TestReporterBatches(t *testing.T) {
	tests := []struct {
		evaluations int
		wantBatches []int
	}{
		{0, nil},
		{1, []int{1}},
		{99, []int{99}},
		{100, []int{100}},
		{101, []int{100, 1}},
		{250, []int{100, 100, 50}},
		{300, []int{100, 100, 100}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.evaluations), func(t *testing.T) {
			c := newFakeConfig(t)
			r := reporter{api: c, attempts: 3}
			evals := reportTestEvaluations(tt.evaluations)

			require.NoError(t, r.put(context.Background(), fixtureResultToken, evals))

			var batches []int
			var ids []string
			for _, p := range c.puts {
				batches = append(batches, len(p.Evaluations))
				assert.Equal(t, aws.String(fixtureResultToken), p.ResultToken)
				assert.False(t, p.TestMode)
				for _, e := range p.Evaluations {
					ids = append(ids, aws.ToString(e.ComplianceResourceId))
				}
			}
			assert.Equal(t, tt.wantBatches, batches)
			var wantIDs []string
			for _, e := range evals {
				wantIDs = append(wantIDs, e.ResourceID)
			}
			assert.Equal(t, wantIDs, ids, "every evaluation sent once, in order")
		})
	}
}

func TestToConfig(t *testing.T) {
	long := strings.Repeat("endpoint ", 40) // 360 characters
	tests := []struct {
		name           string
		annotation     string
		wantAnnotation *string
	}{
		{"no annotation: left out", "", nil},
		{"short annotation: as is", "Resource was deleted.", aws.String("Resource was deleted.")},
		{"long annotation: cut to 256", long, aws.String(rule.Truncate(long))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := toConfig(evaluation{
				Result:       rule.Result{ResourceType: rule.ResourceTypeVPC, ResourceID: fixtureVPCID, Compliance: rule.NotApplicable, Annotation: tt.annotation},
				orderingTime: fixtureVPCCaptureTime,
			})
			assert.Equal(t, cfgtypes.Evaluation{
				ComplianceResourceType: aws.String(rule.ResourceTypeVPC),
				ComplianceResourceId:   aws.String(fixtureVPCID),
				ComplianceType:         cfgtypes.ComplianceTypeNotApplicable,
				OrderingTimestamp:      aws.Time(fixtureVPCCaptureTime),
				Annotation:             tt.wantAnnotation,
			}, got)
			if got.Annotation != nil {
				assert.LessOrEqual(t, utf8.RuneCountInString(*got.Annotation), rule.MaxAnnotationLength)
			}
		})
	}
}

// The compliance values of the rule package are the ones PutEvaluations accepts.
func TestToConfigComplianceTypes(t *testing.T) {
	for c, want := range map[rule.Compliance]cfgtypes.ComplianceType{
		rule.Compliant:     cfgtypes.ComplianceTypeCompliant,
		rule.NonCompliant:  cfgtypes.ComplianceTypeNonCompliant,
		rule.NotApplicable: cfgtypes.ComplianceTypeNotApplicable,
	} {
		got := toConfig(evaluation{Result: rule.Result{Compliance: c}})
		assert.Equal(t, want, got.ComplianceType)
	}
}

func TestReporterResends(t *testing.T) {
	// failing answers each put by refusing the evaluations whose IDs are in ids[call], calls
	// numbered from 1.
	failing := func(c *fakeConfig, ids map[int][]string) func(context.Context, *configservice.PutEvaluationsInput) (*configservice.PutEvaluationsOutput, error) {
		return func(_ context.Context, in *configservice.PutEvaluationsInput) (*configservice.PutEvaluationsOutput, error) {
			out := &configservice.PutEvaluationsOutput{}
			refuse := ids[c.putCount()]
			for _, e := range in.Evaluations {
				for _, id := range refuse {
					if aws.ToString(e.ComplianceResourceId) == id {
						out.FailedEvaluations = append(out.FailedEvaluations, e)
					}
				}
			}
			return out, nil
		}
	}
	id := func(i int) string { return fmt.Sprintf("vpc-%017x", i) }

	tests := []struct {
		name        string
		evaluations int
		attempts    int
		refuse      map[int][]string
		wantPuts    []int
		wantErr     string
	}{
		{
			name:        "stored after one re-send",
			evaluations: 3,
			attempts:    3,
			refuse:      map[int][]string{1: {id(0), id(2)}},
			wantPuts:    []int{3, 2},
		},
		{
			name:        "stored at the last attempt",
			evaluations: 3,
			attempts:    3,
			refuse:      map[int][]string{1: {id(1)}, 2: {id(1)}},
			wantPuts:    []int{3, 1, 1},
		},
		{
			name:        "refused at every attempt",
			evaluations: 3,
			attempts:    3,
			refuse:      map[int][]string{1: {id(1)}, 2: {id(1)}, 3: {id(1)}},
			wantPuts:    []int{3, 1, 1},
			wantErr:     "AWS Config refused 1 of 3 evaluations after 3 attempts: AWS::EC2::VPC " + id(1),
		},
		{
			name:        "one attempt: no re-send",
			evaluations: 3,
			attempts:    1,
			refuse:      map[int][]string{1: {id(0)}},
			wantPuts:    []int{3},
			wantErr:     "refused 1 of 3 evaluations after 1 attempts: AWS::EC2::VPC " + id(0),
		},
		{
			// Each batch is re-sent on its own; what stays refused in the first is reported after
			// the second has been sent.
			name:        "refusals in the first of two batches",
			evaluations: 150,
			attempts:    2,
			refuse:      map[int][]string{1: {id(5), id(7)}, 2: {id(7)}},
			wantPuts:    []int{100, 2, 50},
			wantErr:     "refused 1 of 150 evaluations after 2 attempts: AWS::EC2::VPC " + id(7),
		},
		{
			name:        "refusals in both batches listed together",
			evaluations: 150,
			attempts:    1,
			refuse:      map[int][]string{1: {id(5)}, 2: {id(120)}},
			wantPuts:    []int{100, 50},
			wantErr:     "refused 2 of 150 evaluations after 1 attempts: AWS::EC2::VPC " + id(5) + ", AWS::EC2::VPC " + id(120),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newFakeConfig(t)
			c.putEvaluations = failing(c, tt.refuse)
			r := reporter{api: c, attempts: tt.attempts}

			err := r.put(context.Background(), testModeToken, reportTestEvaluations(tt.evaluations))

			var puts []int
			for _, p := range c.puts {
				puts = append(puts, len(p.Evaluations))
				assert.True(t, p.TestMode, "TESTMODE token")
			}
			assert.Equal(t, tt.wantPuts, puts)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, ErrEvaluationsNotStored)
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestReporterBackoff(t *testing.T) {
	refuseAll := func(_ context.Context, in *configservice.PutEvaluationsInput) (*configservice.PutEvaluationsOutput, error) {
		return &configservice.PutEvaluationsOutput{FailedEvaluations: in.Evaluations}, nil
	}

	t.Run("doubles between re-sends", func(t *testing.T) {
		c := newFakeConfig(t)
		var at []time.Time
		c.putEvaluations = func(ctx context.Context, in *configservice.PutEvaluationsInput) (*configservice.PutEvaluationsOutput, error) {
			at = append(at, time.Now())
			return refuseAll(ctx, in)
		}
		r := reporter{api: c, attempts: 3, backoff: 20 * time.Millisecond}

		err := r.put(context.Background(), fixtureResultToken, reportTestEvaluations(1))

		assert.ErrorIs(t, err, ErrEvaluationsNotStored)
		require.Len(t, at, 3)
		assert.GreaterOrEqual(t, at[1].Sub(at[0]), 20*time.Millisecond)
		assert.GreaterOrEqual(t, at[2].Sub(at[1]), 40*time.Millisecond)
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		c := newFakeConfig(t)
		c.putEvaluations = refuseAll
		r := reporter{api: c, attempts: 3, backoff: time.Hour}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()

		err := r.put(ctx, fixtureResultToken, reportTestEvaluations(2))

		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ErrorContains(t, err, "config:PutEvaluations: waiting to re-send 2 failed evaluations")
		assert.Less(t, time.Since(start), 10*time.Second)
		assert.Equal(t, 1, c.putCount())
	})
}

func TestStaleVPCs(t *testing.T) {
	current := map[string]bool{"vpc-11111111": true, "vpc-22222222": true}
	tests := []struct {
		name  string
		pages [][]cfgtypes.EvaluationResult
		want  []string
	}{
		{
			name: "Config holds nothing",
		},
		{
			name: "only current VPCs",
			pages: [][]cfgtypes.EvaluationResult{{
				fakeEvaluationResult(fixtureVPCType, "vpc-11111111", cfgtypes.ComplianceTypeCompliant),
				fakeEvaluationResult(fixtureVPCType, "vpc-22222222", cfgtypes.ComplianceTypeNonCompliant),
			}},
		},
		{
			name: "vanished VPCs across pages, each once, in order",
			pages: [][]cfgtypes.EvaluationResult{
				{
					fakeEvaluationResult(fixtureVPCType, "vpc-0dead0000000000a1", cfgtypes.ComplianceTypeCompliant),
					fakeEvaluationResult(fixtureVPCType, "vpc-11111111", cfgtypes.ComplianceTypeCompliant),
				},
				{},
				{
					fakeEvaluationResult(fixtureVPCType, "vpc-0dead0000000000a1", cfgtypes.ComplianceTypeNonCompliant),
					fakeEvaluationResult(fixtureVPCType, "vpc-0dead0000000000b1", cfgtypes.ComplianceTypeNonCompliant),
				},
			},
			want: []string{"vpc-0dead0000000000a1", "vpc-0dead0000000000b1"},
		},
		{
			name: "other resource types and incomplete results skipped",
			pages: [][]cfgtypes.EvaluationResult{{
				fakeEvaluationResult(fixtureEndpointType, "vpce-0dead0000000000a2", cfgtypes.ComplianceTypeCompliant),
				fakeEvaluationResult("AWS::EC2::Instance", "i-00000000", cfgtypes.ComplianceTypeNonCompliant),
				{ComplianceType: cfgtypes.ComplianceTypeCompliant},
				{EvaluationResultIdentifier: &cfgtypes.EvaluationResultIdentifier{}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newFakeConfig(t)
			if tt.pages != nil {
				c.getComplianceDetails = fakeComplianceDetailsPages(tt.pages...)
			}

			got, err := staleVPCs(context.Background(), c, fixtureRuleName, current)

			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			wantCalls := max(len(tt.pages), 1)
			require.Len(t, c.detailsCalls, wantCalls, "every page read")
			for _, in := range c.detailsCalls {
				assert.Equal(t, aws.String(fixtureRuleName), in.ConfigRuleName)
				assert.Equal(t, []cfgtypes.ComplianceType{cfgtypes.ComplianceTypeCompliant, cfgtypes.ComplianceTypeNonCompliant}, in.ComplianceTypes,
					"NOT_APPLICABLE results need no cleanup")
				assert.Equal(t, int32(complianceDetailsPageSize), in.Limit)
			}
		})
	}
}

func TestStaleVPCsError(t *testing.T) {
	c := newFakeConfig(t)
	c.getComplianceDetails = func(context.Context, *configservice.GetComplianceDetailsByConfigRuleInput) (*configservice.GetComplianceDetailsByConfigRuleOutput, error) {
		return nil, fakeAPIError("NoSuchConfigRuleException")
	}

	got, err := staleVPCs(context.Background(), c, fixtureRuleName, nil)

	assert.Nil(t, got)
	assert.ErrorContains(t, err, "config:GetComplianceDetailsByConfigRule: ")
	assert.ErrorContains(t, err, "NoSuchConfigRuleException")
	assert.NotErrorIs(t, err, ErrAccessDenied)
}
