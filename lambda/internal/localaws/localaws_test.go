package localaws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testRule = "test-rule"

var testTime = time.Date(2026, 3, 2, 6, 0, 0, 125e6, time.UTC)

// testConfig returns an SDK configuration whose retries wait a millisecond, so that faults
// answered by the servers cost no time.
func testConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := AWSConfig(t.Context(), "us-east-1", config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		})
	}))
	require.NoError(t, err)
	return cfg
}

func evaluation(id string, compliance cfgtypes.ComplianceType, annotation *string, at time.Time) cfgtypes.Evaluation {
	return cfgtypes.Evaluation{
		ComplianceResourceType: aws.String("AWS::EC2::VPC"),
		ComplianceResourceId:   aws.String(id),
		ComplianceType:         compliance,
		Annotation:             annotation,
		OrderingTimestamp:      aws.Time(at),
	}
}

func evaluations(n int, at time.Time) []cfgtypes.Evaluation {
	out := make([]cfgtypes.Evaluation, n)
	for i := range out {
		out[i] = evaluation(fmt.Sprintf("vpc-%08x", i), cfgtypes.ComplianceTypeCompliant, aws.String("fine"), at)
	}
	return out
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestConfigServiceValidatesLikeAWS(t *testing.T) {
	cs := StartConfigService(testRule)
	t.Cleanup(cs.Stop)
	api := ConfigClient(testConfig(t), cs.URL)

	tests := []struct {
		name  string
		in    *configservice.PutEvaluationsInput
		code  string
		field string
	}{
		{
			name: "more than 100 evaluations",
			in:   &configservice.PutEvaluationsInput{ResultToken: aws.String("token"), Evaluations: evaluations(101, testTime)},
			code: "InvalidParameterValueException", field: "at most 100",
		},
		{
			name: "annotation of 257 characters",
			in: &configservice.PutEvaluationsInput{ResultToken: aws.String("token"), Evaluations: []cfgtypes.Evaluation{
				evaluation("vpc-1", cfgtypes.ComplianceTypeCompliant, aws.String(strings.Repeat("é", 257)), testTime),
			}},
			code: "InvalidParameterValueException", field: "Evaluations[0].Annotation",
		},
		{
			name: "empty annotation",
			in: &configservice.PutEvaluationsInput{ResultToken: aws.String("token"), Evaluations: []cfgtypes.Evaluation{
				evaluation("vpc-1", cfgtypes.ComplianceTypeCompliant, aws.String(""), testTime),
			}},
			code: "InvalidParameterValueException", field: "Evaluations[0].Annotation",
		},
		{
			name: "INSUFFICIENT_DATA",
			in: &configservice.PutEvaluationsInput{ResultToken: aws.String("token"), Evaluations: []cfgtypes.Evaluation{
				evaluation("vpc-1", cfgtypes.ComplianceTypeCompliant, nil, testTime),
				evaluation("vpc-2", cfgtypes.ComplianceTypeInsufficientData, nil, testTime),
			}},
			code: "InvalidParameterValueException", field: "Evaluations[1].ComplianceType",
		},
		{
			name: "empty resource ID",
			in: &configservice.PutEvaluationsInput{ResultToken: aws.String("token"), Evaluations: []cfgtypes.Evaluation{
				evaluation("", cfgtypes.ComplianceTypeCompliant, nil, testTime),
			}},
			code: "InvalidParameterValueException", field: "Evaluations[0].ComplianceResourceId",
		},
		{
			name: "empty result token",
			in:   &configservice.PutEvaluationsInput{ResultToken: aws.String(""), Evaluations: evaluations(1, testTime)},
			code: "InvalidResultTokenException",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs.Reset()
			_, err := api.PutEvaluations(t.Context(), tt.in)
			require.Error(t, err)
			assert.Equal(t, tt.code, errorCode(err))
			assert.Contains(t, err.Error(), tt.field)
			assert.Empty(t, cs.Stored(), "a refused call stores nothing")
			calls := cs.Calls()
			require.Len(t, calls, 1)
			assert.Equal(t, http.StatusBadRequest, calls[0].Status)
			assert.Equal(t, tt.code, calls[0].ErrorCode)
		})
	}

	t.Run("valid", func(t *testing.T) {
		cs.Reset()
		in := &configservice.PutEvaluationsInput{ResultToken: aws.String("token"), Evaluations: []cfgtypes.Evaluation{
			evaluation("vpc-1", cfgtypes.ComplianceTypeCompliant, aws.String(strings.Repeat("é", 256)), testTime),
			evaluation("vpc-2", cfgtypes.ComplianceTypeNotApplicable, nil, testTime),
		}}
		out, err := api.PutEvaluations(t.Context(), in)
		require.NoError(t, err)
		assert.Empty(t, out.FailedEvaluations)
		want := []Evaluation{
			{ResourceType: "AWS::EC2::VPC", ResourceID: "vpc-1", Compliance: "COMPLIANT", Annotation: strings.Repeat("é", 256), OrderingTime: testTime},
			{ResourceType: "AWS::EC2::VPC", ResourceID: "vpc-2", Compliance: "NOT_APPLICABLE", OrderingTime: testTime},
		}
		assert.Equal(t, want, cs.Stored())
		assert.Equal(t, []PutEvaluationsInput{{ResultToken: "token", Evaluations: want}}, cs.Puts())
	})
}

func TestConfigServiceStoresAndPages(t *testing.T) {
	cs := StartConfigService(testRule)
	t.Cleanup(cs.Stop)
	api := ConfigClient(testConfig(t), cs.URL)
	all := evaluations(230, testTime)
	for start := 0; start < len(all); start += 100 {
		_, err := api.PutEvaluations(t.Context(), &configservice.PutEvaluationsInput{ResultToken: aws.String("token"), Evaluations: all[start:min(start+100, len(all))]})
		require.NoError(t, err)
	}

	list := func(t *testing.T, in *configservice.GetComplianceDetailsByConfigRuleInput) ([]string, int) {
		t.Helper()
		cs.ResetCalls()
		var ids []string
		pages := configservice.NewGetComplianceDetailsByConfigRulePaginator(api, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(t.Context())
			require.NoError(t, err)
			for _, r := range page.EvaluationResults {
				ids = append(ids, aws.ToString(r.EvaluationResultIdentifier.EvaluationResultQualifier.ResourceId))
			}
		}
		return ids, cs.Counts()["GetComplianceDetailsByConfigRule"]
	}

	ids, calls := list(t, &configservice.GetComplianceDetailsByConfigRuleInput{ConfigRuleName: aws.String(testRule), Limit: 100})
	assert.Len(t, ids, 230)
	assert.Equal(t, 3, calls, "pages of 100")
	_, calls = list(t, &configservice.GetComplianceDetailsByConfigRuleInput{ConfigRuleName: aws.String(testRule)})
	assert.Equal(t, 23, calls, "Config's default page is 10")
	ids, _ = list(t, &configservice.GetComplianceDetailsByConfigRuleInput{ConfigRuleName: aws.String(testRule), ComplianceTypes: []cfgtypes.ComplianceType{cfgtypes.ComplianceTypeNonCompliant}})
	assert.Empty(t, ids)

	_, err := api.GetComplianceDetailsByConfigRule(t.Context(), &configservice.GetComplianceDetailsByConfigRuleInput{ConfigRuleName: aws.String("other-rule")})
	assert.Equal(t, "NoSuchConfigRuleException", errorCode(err))
	_, err = api.GetComplianceDetailsByConfigRule(t.Context(), &configservice.GetComplianceDetailsByConfigRuleInput{ConfigRuleName: aws.String(testRule), NextToken: aws.String("not-a-token")})
	assert.Equal(t, "InvalidNextTokenException", errorCode(err))

	t.Run("an older evaluation does not replace a newer one", func(t *testing.T) {
		_, err := api.PutEvaluations(t.Context(), &configservice.PutEvaluationsInput{ResultToken: aws.String("token"), Evaluations: []cfgtypes.Evaluation{
			evaluation(*all[0].ComplianceResourceId, cfgtypes.ComplianceTypeNonCompliant, nil, testTime.Add(-time.Hour)),
			evaluation(*all[1].ComplianceResourceId, cfgtypes.ComplianceTypeNonCompliant, nil, testTime.Add(time.Hour)),
		}})
		require.NoError(t, err)
		stored := cs.Stored()
		assert.Equal(t, "COMPLIANT", stored[0].Compliance)
		assert.Equal(t, "NON_COMPLIANT", stored[1].Compliance)
	})

	t.Run("results carry the times Config answers", func(t *testing.T) {
		// GetComplianceDetailsByConfigRule answers each result's ConfigRuleInvokedTime and
		// ResultRecordedTime (EvaluationResult in the AWS Config API reference): a put is
		// recorded when it arrives, a seeded result at the times it was given.
		cs.Reset()
		invoked, recorded := testTime.Add(time.Minute), testTime.Add(time.Minute+3*time.Second)
		seeded := Evaluation{ResourceType: "AWS::EC2::VPC", ResourceID: "vpc-0aaaaaaaaaaaaaaa1", Compliance: "COMPLIANT", OrderingTime: testTime}
		cs.SeedRecorded(invoked, recorded, seeded)
		old := Evaluation{ResourceType: "AWS::EC2::VPC", ResourceID: "vpc-0aaaaaaaaaaaaaaa2", Compliance: "COMPLIANT", OrderingTime: testTime.Add(-time.Hour)}
		cs.Seed(old)
		before := time.Now().Truncate(time.Millisecond)
		_, err := api.PutEvaluations(t.Context(), &configservice.PutEvaluationsInput{ResultToken: aws.String("token"), Evaluations: []cfgtypes.Evaluation{
			evaluation("vpc-0aaaaaaaaaaaaaaa3", cfgtypes.ComplianceTypeCompliant, nil, testTime),
		}})
		require.NoError(t, err)
		after := time.Now()

		out, err := api.GetComplianceDetailsByConfigRule(t.Context(), &configservice.GetComplianceDetailsByConfigRuleInput{ConfigRuleName: aws.String(testRule), Limit: 100})
		require.NoError(t, err)
		require.Len(t, out.EvaluationResults, 3)
		times := make(map[string][2]time.Time)
		for _, r := range out.EvaluationResults {
			require.NotNil(t, r.ConfigRuleInvokedTime)
			require.NotNil(t, r.ResultRecordedTime)
			times[aws.ToString(r.EvaluationResultIdentifier.EvaluationResultQualifier.ResourceId)] = [2]time.Time{*r.ConfigRuleInvokedTime, *r.ResultRecordedTime}
		}
		assert.Equal(t, [2]time.Time{invoked, recorded}, times[seeded.ResourceID], "seeded with its times")
		assert.Equal(t, [2]time.Time{old.OrderingTime, old.OrderingTime}, times[old.ResourceID], "seeded at its ordering time")
		put := times["vpc-0aaaaaaaaaaaaaaa3"]
		assert.False(t, put[1].Before(before), "recorded on arrival")
		assert.False(t, put[1].After(after), "recorded on arrival")
		assert.False(t, put[0].After(put[1]), "invoked no later than recorded")
	})

	t.Run("test mode stores nothing", func(t *testing.T) {
		before := cs.Stored()
		_, err := api.PutEvaluations(t.Context(), &configservice.PutEvaluationsInput{ResultToken: aws.String("TESTMODE"), TestMode: true, Evaluations: evaluations(5, testTime.Add(2*time.Hour))})
		require.NoError(t, err)
		assert.Equal(t, before, cs.Stored())
	})
}

func TestConfigServiceFaults(t *testing.T) {
	cs := StartConfigService(testRule)
	t.Cleanup(cs.Stop)
	api := ConfigClient(testConfig(t), cs.URL)
	put := func(ctx context.Context, n int) (*configservice.PutEvaluationsOutput, error) {
		return api.PutEvaluations(ctx, &configservice.PutEvaluationsInput{ResultToken: aws.String("token"), Evaluations: evaluations(n, testTime)})
	}

	t.Run("throttled once, then served after the SDK's retry", func(t *testing.T) {
		cs.Reset()
		cs.OnCall(func(op string, n int) *Fault {
			if op == "PutEvaluations" && n == 1 {
				return &Fault{Code: "ThrottlingException"}
			}
			return nil
		})
		_, err := put(t.Context(), 3)
		require.NoError(t, err)
		calls := cs.Calls()
		require.Len(t, calls, 2)
		assert.Equal(t, "ThrottlingException", calls[0].ErrorCode)
		assert.Equal(t, http.StatusOK, calls[1].Status)
		assert.Equal(t, []int{1, 2}, []int{calls[0].Attempt, calls[1].Attempt}, "the SDK's attempt numbers")
		assert.Equal(t, map[string]int{"PutEvaluations": 2}, cs.Counts(), "every request")
		assert.Equal(t, map[string]int{"PutEvaluations": 1}, cs.Operations(), "the operation, once")
		assert.Len(t, cs.Stored(), 3)
	})

	t.Run("a retry of a call answered with success is a Repeat", func(t *testing.T) {
		// What the SDK sends when it lost a 200 answer on its connection while reading it:
		// the same operation again, with the next attempt number.
		send := func(attempt int) int {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, cs.URL, strings.NewReader(`{"ConfigRuleName":"`+testRule+`"}`))
			require.NoError(t, err)
			req.Header.Set("X-Amz-Target", targetPrefix+opGetComplianceDetails)
			req.Header.Set("Content-Type", jsonContentType)
			req.Header.Set("Amz-Sdk-Request", fmt.Sprintf("attempt=%d; max=3", attempt))
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			return resp.StatusCode
		}
		cs.Reset()
		var decided []int
		cs.OnCall(func(_ string, n int) *Fault {
			decided = append(decided, n)
			if n == 2 {
				return &Fault{Code: "ThrottlingException"}
			}
			return nil
		})

		assert.Equal(t, http.StatusOK, send(1))
		assert.Equal(t, http.StatusOK, send(2), "the repeat of call 1 is served as call 1 was")
		assert.Equal(t, http.StatusBadRequest, send(1), "the next call is call 2")
		assert.Equal(t, http.StatusOK, send(2), "a retry after an error is a new call (3)")

		assert.Equal(t, []int{1, 2, 3}, decided, "the hook is not asked about the repeat")
		var repeats []bool
		for _, c := range cs.Calls() {
			repeats = append(repeats, c.Repeat)
		}
		assert.Equal(t, []bool{false, true, false, false}, repeats)
		assert.Equal(t, map[string]int{opGetComplianceDetails: 3}, cs.Counts())
		assert.Equal(t, map[string]int{opGetComplianceDetails: 2}, cs.Operations())
	})

	t.Run("errors", func(t *testing.T) {
		for _, f := range []Fault{
			{Code: "AccessDeniedException"},
			{Status: http.StatusInternalServerError},
			{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailableException"},
		} {
			cs.Reset()
			cs.OnCall(func(string, int) *Fault { return &f })
			_, err := put(t.Context(), 1)
			want := f.Code
			if want == "" {
				want = "InternalFailure"
			}
			assert.Equal(t, want, errorCode(err))
			assert.Empty(t, cs.Stored())
		}
	})

	t.Run("refused evaluations", func(t *testing.T) {
		cs.Reset()
		cs.OnCall(func(string, int) *Fault { return &Fault{RefuseEvaluations: 2} })
		out, err := put(t.Context(), 5)
		require.NoError(t, err)
		require.Len(t, out.FailedEvaluations, 2)
		assert.Equal(t, "vpc-00000000", aws.ToString(out.FailedEvaluations[0].ComplianceResourceId))
		assert.True(t, testTime.Equal(aws.ToTime(out.FailedEvaluations[0].OrderingTimestamp)))
		assert.Len(t, cs.Stored(), 3)
	})

	t.Run("hang until the client gives up", func(t *testing.T) {
		cs.Reset()
		cs.OnCall(func(string, int) *Fault { return &Fault{Hang: true} })
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := put(ctx, 1)
		require.Error(t, err)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
		assert.Empty(t, cs.Stored())
	})
}

func TestMotoFront(t *testing.T) {
	m, err := StartMoto(t.Context())
	RequireTools(t, err)
	t.Cleanup(m.Stop)
	cfg := testConfig(t)
	api := EC2Client(cfg, m.URL)

	_, err = api.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{})
	require.NoError(t, err)
	_, err = api.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0123456789abcdef0"}})
	assert.Equal(t, "InvalidVpcID.NotFound", errorCode(err), "moto's own errors pass through")
	assert.Equal(t, map[string]int{"DescribeVpcs": 2}, m.Counts())
	calls := m.Calls()
	require.Len(t, calls, 2)
	assert.Equal(t, []int{http.StatusOK, http.StatusBadRequest}, []int{calls[0].Status, calls[1].Status})

	// Seeding through ServerURL is not counted.
	_, err = Seed(t.Context(), EC2Client(cfg, m.ServerURL), VPCSpec{Name: "seeded", AZs: []string{"us-east-1a"}, Endpoints: []EndpointSpec{{Service: "com.amazonaws.us-east-1.ec2"}}})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"DescribeVpcs": 2}, m.Counts())

	noRetry := func(o *ec2.Options) { o.RetryMaxAttempts = 1 }
	for _, f := range []Fault{
		{Code: "RequestLimitExceeded", Status: http.StatusServiceUnavailable},
		{Code: "UnauthorizedOperation", Status: http.StatusForbidden},
		{Code: "InternalError", Status: http.StatusInternalServerError},
	} {
		m.OnCall(func(op string, _ int) *Fault {
			if op == "DescribeVpcEndpoints" {
				return &f
			}
			return nil
		})
		_, err := api.DescribeVpcEndpoints(t.Context(), &ec2.DescribeVpcEndpointsInput{}, noRetry)
		assert.Equal(t, f.Code, errorCode(err))
		_, err = api.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{}, noRetry)
		assert.NoError(t, err, "other operations are served")
	}

	// Other query-protocol services answer faults in their own error shape.
	m.OnCall(func(string, int) *Fault { return &Fault{Code: "AccessDenied", Status: http.StatusForbidden} })
	_, err = sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(m.URL) }).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	assert.Equal(t, "AccessDenied", errorCode(err))

	// A Delay holds the call, then serves it: never sooner than the delay.
	m.OnCall(func(op string, _ int) *Fault { return &Fault{Delay: 200 * time.Millisecond} })
	start := time.Now()
	_, err = api.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{})
	require.NoError(t, err, "a delay alone is no error")
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)

	// A JSON-protocol call is recorded by the operation of its X-Amz-Target header.
	m.OnCall(nil)
	m.ResetCalls()
	_, err = organizations.NewFromConfig(cfg, func(o *organizations.Options) { o.BaseEndpoint = aws.String(m.URL) }).
		ListAccounts(t.Context(), &organizations.ListAccountsInput{})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"ListAccounts": 1}, m.Counts())

	require.NoError(t, m.Reset(t.Context()))
	assert.Empty(t, m.Counts())
	vpcs, err := api.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{})
	require.NoError(t, err, "Reset clears the fault hook")
	assert.Len(t, vpcs.Vpcs, 1, "only the default VPC is left")

	m.Stop()
	assert.True(t, m.proc.exited(), "moto has exited")
}

func TestFindToolReportsWhatIsMissing(t *testing.T) {
	t.Setenv("MOTO_SERVER", "/nonexistent/moto_server")
	_, err := FindMoto()
	require.True(t, IsMissing(err))
	assert.Contains(t, err.Error(), "MOTO_SERVER=/nonexistent/moto_server")
	assert.Contains(t, err.Error(), "make tools")

	t.Setenv("AWS_LAMBDA_RIE", "")
	t.Setenv("PATH", t.TempDir())
	t.Setenv("GOPATH", t.TempDir())
	t.Chdir(t.TempDir())
	_, err = FindRuntimeEmulator()
	require.True(t, IsMissing(err))
	assert.Contains(t, err.Error(), "aws-lambda-rie not found")
}

func TestOrganizationsPagesAndValidatesLikeAWS(t *testing.T) {
	accounts := make([]string, 45)
	for i := range accounts {
		accounts[i] = fmt.Sprintf("%012d", 100000000000+i)
	}
	org := StartOrganizations("o-abcdefghij", accounts...)
	t.Cleanup(org.Stop)
	api := OrganizationsClient(testConfig(t), org.URL)

	list := func(t *testing.T, in *organizations.ListAccountsInput) ([]string, int) {
		t.Helper()
		org.Reset()
		var ids []string
		pages := organizations.NewListAccountsPaginator(api, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(t.Context())
			require.NoError(t, err)
			for _, a := range page.Accounts {
				ids = append(ids, aws.ToString(a.Id))
				assert.Equal(t, "arn:aws:organizations::"+accounts[0]+":account/o-abcdefghij/"+aws.ToString(a.Id), aws.ToString(a.Arn))
			}
		}
		return ids, org.Operations()["ListAccounts"]
	}
	ids, calls := list(t, &organizations.ListAccountsInput{})
	assert.Equal(t, accounts, ids)
	assert.Equal(t, 3, calls, "pages of at most 20, AWS's MaxResults limit")
	ids, calls = list(t, &organizations.ListAccountsInput{MaxResults: aws.Int32(7)})
	assert.Equal(t, accounts, ids)
	assert.Equal(t, 7, calls)

	// AWS's bounds: MaxResults 1 to 20, a NextToken from a previous answer.
	for _, n := range []int32{0, 21} {
		_, err := api.ListAccounts(t.Context(), &organizations.ListAccountsInput{MaxResults: aws.Int32(n)})
		assert.Equal(t, "InvalidInputException", errorCode(err), "MaxResults %d", n)
	}
	for _, token := range []string{"x", "0", "45", "-1"} {
		_, err := api.ListAccounts(t.Context(), &organizations.ListAccountsInput{NextToken: aws.String(token)})
		assert.Equal(t, "InvalidInputException", errorCode(err), "NextToken %q", token)
	}

	t.Run("no organization", func(t *testing.T) {
		org.SetAccounts()
		t.Cleanup(func() { org.SetAccounts(accounts...) })
		_, err := api.ListAccounts(t.Context(), &organizations.ListAccountsInput{})
		assert.Equal(t, "AWSOrganizationsNotInUseException", errorCode(err))
	})

	t.Run("faults and calls are recorded", func(t *testing.T) {
		org.Reset()
		org.OnCall(func(op string, n int) *Fault {
			if n == 1 {
				return &Fault{Code: "AccessDeniedException"}
			}
			return nil
		})
		_, err := api.ListAccounts(t.Context(), &organizations.ListAccountsInput{})
		assert.Equal(t, "AccessDeniedException", errorCode(err))
		_, err = api.ListAccounts(t.Context(), &organizations.ListAccountsInput{MaxResults: aws.Int32(5)})
		require.NoError(t, err)
		calls := org.Calls()
		require.Len(t, calls, 2)
		assert.Equal(t, &ListAccountsInput{MaxResults: 5}, calls[1].Input)
		assert.Equal(t, http.StatusOK, calls[1].Status)
	})
}
