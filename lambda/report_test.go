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

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/batch"
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
				assert.LessOrEqual(t, utf8.RuneCountInString(*got.Annotation), awsMaxAnnotationLength)
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
		var delays []time.Duration
		var putsBefore []int
		r := reporter{api: c, attempts: 4, backoff: 20 * time.Millisecond, sleep: func(_ context.Context, d time.Duration) error {
			delays = append(delays, d)
			putsBefore = append(putsBefore, c.putCount())
			return nil
		}}
		c.putEvaluations = refuseAll

		err := r.put(context.Background(), fixtureResultToken, reportTestEvaluations(1))

		assert.ErrorIs(t, err, ErrEvaluationsNotStored)
		assert.Equal(t, 4, c.putCount())
		assert.Equal(t, []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond}, delays,
			"a pause before each re-send, none after the last attempt")
		assert.Equal(t, []int{1, 2, 3}, putsBefore, "each pause comes between two puts")
	})
	t.Run("no pause when nothing is refused", func(t *testing.T) {
		c := newFakeConfig(t)
		r := reporter{api: c, attempts: 3, backoff: time.Hour, sleep: func(context.Context, time.Duration) error {
			t.Error("paused without a re-send")
			return nil
		}}
		require.NoError(t, r.put(context.Background(), fixtureResultToken, reportTestEvaluations(3)))
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		c := newFakeConfig(t)
		c.putEvaluations = refuseAll
		ctx, cancel := context.WithCancel(context.Background())
		r := reporter{api: c, attempts: 3, backoff: time.Hour, sleep: func(ctx context.Context, d time.Duration) error {
			cancel()
			return batch.SleepContext(ctx, d)
		}}

		err := r.put(ctx, fixtureResultToken, reportTestEvaluations(2))

		assert.ErrorIs(t, err, context.Canceled)
		assert.ErrorContains(t, err, "config:PutEvaluations: waiting to re-send 2 failed evaluations")
		assert.Equal(t, 1, c.putCount())
	})
}

func TestSleepContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, batch.SleepContext(ctx, time.Hour), context.Canceled, "a done context ends the pause at once")
	assert.NoError(t, batch.SleepContext(context.Background(), 0))
}

func TestStaleVPCs(t *testing.T) {
	current := map[string]bool{"vpc-11111111": true, "vpc-22222222": true}
	listedAt := fixtureScheduledTime
	// recordedAt is a result Config recorded at recorded (and, when invoked is set, whose
	// invocation was then); a nil time is one the answer leaves out.
	recordedAt := func(id string, invoked, recorded *time.Time) cfgtypes.EvaluationResult {
		res := fakeEvaluationResult(fixtureVPCType, id, cfgtypes.ComplianceTypeCompliant)
		res.ConfigRuleInvokedTime, res.ResultRecordedTime = invoked, recorded
		return res
	}
	at := func(d time.Duration) *time.Time { return aws.Time(listedAt.Add(d)) }
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
		{
			// A VPC created after the listing, whose change event was evaluated before the
			// results were read: its result is newer than the listing and must stay.
			name: "results recorded after the listing are not stale",
			pages: [][]cfgtypes.EvaluationResult{{
				recordedAt("vpc-0fresh00000000001", at(time.Second), at(2*time.Second)),
				recordedAt("vpc-0fresh00000000002", at(time.Second), nil),
				recordedAt("vpc-0fresh00000000003", nil, at(time.Second)),
				recordedAt("vpc-0dead0000000000c1", at(-time.Hour), at(-time.Hour)),
			}},
			want: []string{"vpc-0dead0000000000c1"},
		},
		{
			// The two clocks may differ a little: a result recorded just before the listing by
			// Config's clock may be after it by the function's.
			name: "a result within a minute before the listing waits for the next sweep",
			pages: [][]cfgtypes.EvaluationResult{{
				recordedAt("vpc-0recent0000000001", at(-40*time.Second), at(-30*time.Second)),
				recordedAt("vpc-0dead0000000000d1", at(-2*time.Minute), at(-61*time.Second)),
			}},
			want: []string{"vpc-0dead0000000000d1"},
		},
		{
			name:  "a result that carries no time is stale",
			pages: [][]cfgtypes.EvaluationResult{{recordedAt("vpc-0dead0000000000e1", nil, nil)}},
			want:  []string{"vpc-0dead0000000000e1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newFakeConfig(t)
			if tt.pages != nil {
				c.getComplianceDetails = fakeComplianceDetailsPages(tt.pages...)
			}

			got, err := staleVPCs(context.Background(), c, fixtureRuleName, current, listedAt)

			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			wantCalls := max(len(tt.pages), 1)
			require.Len(t, c.detailsCalls, wantCalls, "every page read")
			for _, in := range c.detailsCalls {
				assert.Equal(t, aws.String(fixtureRuleName), in.ConfigRuleName)
				assert.Equal(t, []cfgtypes.ComplianceType{cfgtypes.ComplianceTypeCompliant, cfgtypes.ComplianceTypeNonCompliant}, in.ComplianceTypes,
					"NOT_APPLICABLE results need no cleanup")
				// AWS's largest page of GetComplianceDetailsByConfigRule: Limit is 0 to 100.
				assert.Equal(t, int32(100), in.Limit)
			}
		})
	}
}

func TestStaleVPCsError(t *testing.T) {
	c := newFakeConfig(t)
	c.getComplianceDetails = func(context.Context, *configservice.GetComplianceDetailsByConfigRuleInput) (*configservice.GetComplianceDetailsByConfigRuleOutput, error) {
		return nil, fakeAPIError("NoSuchConfigRuleException")
	}

	got, err := staleVPCs(context.Background(), c, fixtureRuleName, nil, fixtureScheduledTime)

	assert.Nil(t, got)
	assert.ErrorContains(t, err, "config:GetComplianceDetailsByConfigRule: ")
	assert.ErrorContains(t, err, "NoSuchConfigRuleException")
	assert.NotErrorIs(t, err, ErrAccessDenied)
}
