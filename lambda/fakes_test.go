package main

// Fakes and fixtures for the handler's unit tests: small structs with function fields that stand
// in for EC2 and AWS Config, record what they are asked, and check what Config would reject.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

// AWS Config's limits, as its API reference states them (PutEvaluations: "Evaluations" holds at
// most 100, an Evaluation's "Annotation" 1 to 256 characters; GetComplianceDetailsByConfigRule:
// "Limit" 0 to 100). Written as AWS's numbers, not the code's constants, so that a wrong
// constant fails the tests.
const (
	awsMaxEvaluationsPerPut     = 100
	awsMaxAnnotationLength      = 256
	awsMaxComplianceDetailsPage = 100
)

// What the events in testdata/ carry.
const (
	fixtureRegion       = "us-east-1"
	fixtureAccount      = "123456789012"
	fixtureOtherAccount = "210987654321"
	fixtureRuleName     = "ec2-vpc-endpoint-rule"
	fixtureResultToken  = "eyJyZXN1bHRUb2tlbiI6ImV4YW1wbGUifQ=="
	fixtureVPCID        = "vpc-0a1b2c3d4e5f60718"
	fixtureEndpointID   = "vpce-0123456789abcdef0"
	fixtureEC2Service   = "com.amazonaws.us-east-1.ec2"
)

// Times the events in testdata/ carry.
var (
	fixtureScheduledTime       = time.Date(2024, 5, 13, 21, 50, 0, 373e6, time.UTC)
	fixtureVPCCaptureTime      = time.Date(2024, 5, 13, 9, 14, 2, 810e6, time.UTC)
	fixtureEndpointCaptureTime = time.Date(2024, 5, 13, 9, 20, 31, 117e6, time.UTC)
	fixtureDeletedCaptureTime  = time.Date(2024, 5, 14, 2, 41, 55, 208e6, time.UTC)
	fixtureEndpointDeletedTime = time.Date(2024, 5, 14, 11, 2, 9, 884e6, time.UTC)
)

// fixtureEC2ServiceNames are the endpoint service names that provide EC2 in us-east-1: the
// commercial partition has no prefix but com.amazonaws.
var fixtureEC2ServiceNames = []string{
	"com.amazonaws.us-east-1.ec2",
	"com.amazonaws.us-east-1.ec2-fips",
}

// loadEvent reads a Lambda event from testdata/.
func loadEvent(t testing.TB, name string) events.ConfigEvent {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var ev events.ConfigEvent
	require.NoError(t, json.Unmarshal(data, &ev), "testdata/%s", name)
	return ev
}

// fixtureWithInvokingEvent returns ev with its invokingEvent document changed by edit.
func fixtureWithInvokingEvent(t testing.TB, ev events.ConfigEvent, edit func(ie map[string]any)) events.ConfigEvent {
	t.Helper()
	var ie map[string]any
	require.NoError(t, json.Unmarshal([]byte(ev.InvokingEvent), &ie))
	edit(ie)
	data, err := json.Marshal(ie)
	require.NoError(t, err)
	ev.InvokingEvent = string(data)
	return ev
}

// fixtureWithItem returns ev with its configuration item (or oversized summary) changed by edit.
func fixtureWithItem(t testing.TB, ev events.ConfigEvent, edit func(item map[string]any)) events.ConfigEvent {
	t.Helper()
	return fixtureWithInvokingEvent(t, ev, func(ie map[string]any) {
		item, ok := ie["configurationItem"].(map[string]any)
		if !ok {
			item, ok = ie["configurationItemSummary"].(map[string]any)
		}
		require.True(t, ok, "event has no configuration item")
		edit(item)
	})
}

// newTestHandler returns a handler for fixtureRegion that uses e and c for every account, logs at
// debug level to the test's log, and re-sends failed evaluations without a noticeable pause.
func newTestHandler(t testing.TB, e *fakeEC2, c *fakeConfig) *handler {
	t.Helper()
	return &handler{
		region: fixtureRegion,
		clients: func(context.Context, string) (clients, error) {
			return clients{ec2: e, config: c}, nil
		},
		log:            newLogger(fakeLogWriter{t}, "debug"),
		putAttempts:    defaultPutAttempts,
		putBackoff:     time.Millisecond,
		deadlineMargin: defaultDeadlineMargin,
	}
}

// fakeLogWriter writes log lines to the test's log, shown when the test fails or with -v.
type fakeLogWriter struct{ t testing.TB }

func (w fakeLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// errFakeUnexpectedCall is what a fake answers to a call its test did not expect.
var errFakeUnexpectedCall = errors.New("fake: unexpected call")

// fakeAPIError returns the error an AWS API answers with code.
func fakeAPIError(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: "fake " + code}
}

// fakeEC2 implements ec2API. Each method records its input and answers through its function
// field; a nil field answers errFakeUnexpectedCall.
type fakeEC2 struct {
	describeVpcs           func(context.Context, *ec2.DescribeVpcsInput) (*ec2.DescribeVpcsOutput, error)
	describeVpcEndpoints   func(context.Context, *ec2.DescribeVpcEndpointsInput) (*ec2.DescribeVpcEndpointsOutput, error)
	describeSubnets        func(context.Context, *ec2.DescribeSubnetsInput) (*ec2.DescribeSubnetsOutput, error)
	describeSecurityGroups func(context.Context, *ec2.DescribeSecurityGroupsInput) (*ec2.DescribeSecurityGroupsOutput, error)

	mu             sync.Mutex
	vpcsCalls      []ec2.DescribeVpcsInput
	endpointsCalls []ec2.DescribeVpcEndpointsInput
	subnetsCalls   []ec2.DescribeSubnetsInput
	groupsCalls    []ec2.DescribeSecurityGroupsInput
}

var _ ec2API = (*fakeEC2)(nil)

func (f *fakeEC2) DescribeVpcs(ctx context.Context, in *ec2.DescribeVpcsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error) {
	f.mu.Lock()
	f.vpcsCalls = append(f.vpcsCalls, *in)
	f.mu.Unlock()
	if f.describeVpcs == nil {
		return nil, fmt.Errorf("%w: DescribeVpcs", errFakeUnexpectedCall)
	}
	return f.describeVpcs(ctx, in)
}

func (f *fakeEC2) DescribeVpcEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	f.mu.Lock()
	f.endpointsCalls = append(f.endpointsCalls, *in)
	f.mu.Unlock()
	if f.describeVpcEndpoints == nil {
		return nil, fmt.Errorf("%w: DescribeVpcEndpoints", errFakeUnexpectedCall)
	}
	return f.describeVpcEndpoints(ctx, in)
}

func (f *fakeEC2) DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	f.mu.Lock()
	f.subnetsCalls = append(f.subnetsCalls, *in)
	f.mu.Unlock()
	if f.describeSubnets == nil {
		return nil, fmt.Errorf("%w: DescribeSubnets", errFakeUnexpectedCall)
	}
	return f.describeSubnets(ctx, in)
}

func (f *fakeEC2) DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	f.mu.Lock()
	f.groupsCalls = append(f.groupsCalls, *in)
	f.mu.Unlock()
	if f.describeSecurityGroups == nil {
		return nil, fmt.Errorf("%w: DescribeSecurityGroups", errFakeUnexpectedCall)
	}
	return f.describeSecurityGroups(ctx, in)
}

// The DNS check's and the unused-VPC check's reads; the fake's tests leave both off.
func (f *fakeEC2) DescribeVpcEndpointServices(context.Context, *ec2.DescribeVpcEndpointServicesInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointServicesOutput, error) {
	return nil, fmt.Errorf("%w: DescribeVpcEndpointServices", errFakeUnexpectedCall)
}

func (f *fakeEC2) DescribeNetworkInterfaces(context.Context, *ec2.DescribeNetworkInterfacesInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error) {
	return nil, fmt.Errorf("%w: DescribeNetworkInterfaces", errFakeUnexpectedCall)
}

// calls returns how many calls f answered, of every kind.
func (f *fakeEC2) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.vpcsCalls) + len(f.endpointsCalls) + len(f.subnetsCalls) + len(f.groupsCalls)
}

// fakeVPC returns a VPC as DescribeVpcs answers it, with one associated CIDR block.
func fakeVPC(id, owner string) ec2types.Vpc {
	return ec2types.Vpc{
		VpcId:     aws.String(id),
		OwnerId:   aws.String(owner),
		CidrBlock: aws.String("10.0.0.0/16"),
		CidrBlockAssociationSet: []ec2types.VpcCidrBlockAssociation{{
			CidrBlock:      aws.String("10.0.0.0/16"),
			CidrBlockState: &ec2types.VpcCidrBlockState{State: "associated"},
		}},
		State:     "available",
		IsDefault: aws.Bool(false),
	}
}

// fakeEndpoint returns an endpoint as DescribeVpcEndpoints answers it. State and type are
// spelled as the API sends them ("available", "Interface"), not as the SDK's constants.
func fakeEndpoint(id, vpcID, serviceName, fixtureEndpointType, state string) ec2types.VpcEndpoint {
	return ec2types.VpcEndpoint{
		VpcEndpointId:     aws.String(id),
		VpcId:             aws.String(vpcID),
		ServiceName:       aws.String(serviceName),
		VpcEndpointType:   ec2types.VpcEndpointType(fixtureEndpointType),
		State:             ec2types.State(state),
		PrivateDnsEnabled: aws.Bool(true),
		OwnerId:           aws.String(fixtureAccount),
	}
}

// fakePage returns the page of items that token starts, size items long, and the token of the
// next page. Tokens are the index of a page's first item, as a string.
func fakePage[T any](items []T, size int, token *string) ([]T, *string, error) {
	start := 0
	if token != nil {
		n, err := strconv.Atoi(*token)
		if err != nil || n <= 0 || n >= len(items) {
			return nil, nil, fakeAPIError("InvalidNextToken")
		}
		start = n
	}
	end := min(start+size, len(items))
	var next *string
	if end < len(items) {
		next = aws.String(strconv.Itoa(end))
	}
	return items[start:end], next, nil
}

// fakeVPCsFrom answers DescribeVpcs from vpcs, size per page, the way EC2 does: by ID when
// VpcIds is set (InvalidVpcID.NotFound for an unknown one), otherwise every VPC.
func fakeVPCsFrom(size int, vpcs ...ec2types.Vpc) func(context.Context, *ec2.DescribeVpcsInput) (*ec2.DescribeVpcsOutput, error) {
	return func(_ context.Context, in *ec2.DescribeVpcsInput) (*ec2.DescribeVpcsOutput, error) {
		if len(in.Filters) > 0 {
			return nil, fakeAPIError("InvalidParameterValue")
		}
		matching := vpcs
		if len(in.VpcIds) > 0 {
			matching = nil
			for _, id := range in.VpcIds {
				i := slices.IndexFunc(vpcs, func(v ec2types.Vpc) bool { return aws.ToString(v.VpcId) == id })
				if i < 0 {
					return nil, fakeAPIError("InvalidVpcID.NotFound")
				}
				matching = append(matching, vpcs[i])
			}
		}
		page, next, err := fakePage(matching, size, in.NextToken)
		if err != nil {
			return nil, err
		}
		return &ec2.DescribeVpcsOutput{Vpcs: page, NextToken: next}, nil
	}
}

// fakeEndpointsFrom answers DescribeVpcEndpoints from endpoints, size per page, the way EC2 does:
// by ID when VpcEndpointIds is set (InvalidVpcEndpointId.NotFound for an unknown one), filtered
// by vpc-id and service-name. Any other filter is refused, so a test notices new ones.
func fakeEndpointsFrom(size int, endpoints ...ec2types.VpcEndpoint) func(context.Context, *ec2.DescribeVpcEndpointsInput) (*ec2.DescribeVpcEndpointsOutput, error) {
	return func(_ context.Context, in *ec2.DescribeVpcEndpointsInput) (*ec2.DescribeVpcEndpointsOutput, error) {
		for _, id := range in.VpcEndpointIds {
			if !slices.ContainsFunc(endpoints, func(e ec2types.VpcEndpoint) bool { return aws.ToString(e.VpcEndpointId) == id }) {
				return nil, fakeAPIError("InvalidVpcEndpointId.NotFound")
			}
		}
		var matching []ec2types.VpcEndpoint
		for _, e := range endpoints {
			if len(in.VpcEndpointIds) > 0 && !slices.Contains(in.VpcEndpointIds, aws.ToString(e.VpcEndpointId)) {
				continue
			}
			ok := true
			for _, f := range in.Filters {
				switch aws.ToString(f.Name) {
				case "vpc-id":
					ok = ok && slices.Contains(f.Values, aws.ToString(e.VpcId))
				case "service-name":
					ok = ok && slices.Contains(f.Values, aws.ToString(e.ServiceName))
				default:
					return nil, fakeAPIError("InvalidParameterValue")
				}
			}
			if ok {
				matching = append(matching, e)
			}
		}
		page, next, err := fakePage(matching, size, in.NextToken)
		if err != nil {
			return nil, err
		}
		return &ec2.DescribeVpcEndpointsOutput{VpcEndpoints: page, NextToken: next}, nil
	}
}

// fakeConfig implements configAPI. It records every input and, like AWS Config, refuses a
// PutEvaluations call that breaks the API's limits (and fails the test). A nil function field
// answers success: PutEvaluations with no failed evaluations, GetComplianceDetailsByConfigRule
// with no results.
type fakeConfig struct {
	t                    testing.TB
	putEvaluations       func(context.Context, *configservice.PutEvaluationsInput) (*configservice.PutEvaluationsOutput, error)
	getComplianceDetails func(context.Context, *configservice.GetComplianceDetailsByConfigRuleInput) (*configservice.GetComplianceDetailsByConfigRuleOutput, error)

	mu           sync.Mutex
	puts         []configservice.PutEvaluationsInput
	detailsCalls []configservice.GetComplianceDetailsByConfigRuleInput
}

var _ configAPI = (*fakeConfig)(nil)

func newFakeConfig(t testing.TB) *fakeConfig { return &fakeConfig{t: t} }

func (f *fakeConfig) PutEvaluations(ctx context.Context, in *configservice.PutEvaluationsInput, _ ...func(*configservice.Options)) (*configservice.PutEvaluationsOutput, error) {
	// The caller may reuse in and its slice; keep what was sent at this call.
	sent := *in
	sent.Evaluations = slices.Clone(in.Evaluations)
	f.mu.Lock()
	f.puts = append(f.puts, sent)
	f.mu.Unlock()
	if problems := fakePutProblems(&sent); len(problems) > 0 {
		f.t.Errorf("PutEvaluations that AWS Config would refuse: %s", strings.Join(problems, "; "))
		return nil, fakeAPIError("ValidationException")
	}
	if f.putEvaluations == nil {
		return &configservice.PutEvaluationsOutput{}, nil
	}
	return f.putEvaluations(ctx, &sent)
}

func (f *fakeConfig) GetComplianceDetailsByConfigRule(ctx context.Context, in *configservice.GetComplianceDetailsByConfigRuleInput, _ ...func(*configservice.Options)) (*configservice.GetComplianceDetailsByConfigRuleOutput, error) {
	f.mu.Lock()
	f.detailsCalls = append(f.detailsCalls, *in)
	f.mu.Unlock()
	if f.getComplianceDetails == nil {
		return &configservice.GetComplianceDetailsByConfigRuleOutput{}, nil
	}
	return f.getComplianceDetails(ctx, in)
}

// sent returns every evaluation of every PutEvaluations call, in order.
func (f *fakeConfig) sent() []cfgtypes.Evaluation {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []cfgtypes.Evaluation
	for _, p := range f.puts {
		out = append(out, p.Evaluations...)
	}
	return out
}

// putCount returns how many PutEvaluations calls f answered.
func (f *fakeConfig) putCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.puts)
}

// fakePutProblems lists what AWS Config would refuse in a PutEvaluations call.
func fakePutProblems(in *configservice.PutEvaluationsInput) []string {
	var out []string
	if aws.ToString(in.ResultToken) == "" {
		out = append(out, "no ResultToken")
	}
	if n := len(in.Evaluations); n == 0 || n > awsMaxEvaluationsPerPut {
		out = append(out, fmt.Sprintf("%d evaluations (1 to %d)", n, awsMaxEvaluationsPerPut))
	}
	for _, e := range in.Evaluations {
		id := aws.ToString(e.ComplianceResourceId)
		if id == "" || aws.ToString(e.ComplianceResourceType) == "" {
			out = append(out, "evaluation without resource type or ID")
		}
		switch e.ComplianceType {
		case cfgtypes.ComplianceTypeCompliant, cfgtypes.ComplianceTypeNonCompliant, cfgtypes.ComplianceTypeNotApplicable:
		default:
			out = append(out, fmt.Sprintf("%s: compliance type %q", id, e.ComplianceType))
		}
		if e.OrderingTimestamp == nil || e.OrderingTimestamp.IsZero() {
			out = append(out, id+": no OrderingTimestamp")
		}
		if e.Annotation != nil {
			if n := utf8.RuneCountInString(*e.Annotation); n < 1 || n > awsMaxAnnotationLength {
				out = append(out, fmt.Sprintf("%s: annotation of %d characters", id, n))
			}
		}
	}
	return out
}

// fakeEvaluationResult returns a result as GetComplianceDetailsByConfigRule lists it.
func fakeEvaluationResult(resourceType, id string, compliance cfgtypes.ComplianceType) cfgtypes.EvaluationResult {
	return cfgtypes.EvaluationResult{
		ComplianceType: compliance,
		EvaluationResultIdentifier: &cfgtypes.EvaluationResultIdentifier{
			EvaluationResultQualifier: &cfgtypes.EvaluationResultQualifier{
				ConfigRuleName: aws.String(fixtureRuleName),
				ResourceType:   aws.String(resourceType),
				ResourceId:     aws.String(id),
			},
			OrderingTimestamp: aws.Time(fixtureScheduledTime.Add(-24 * time.Hour)),
		},
		// As Config answers: invoked at the event, recorded when the put arrived.
		ConfigRuleInvokedTime: aws.Time(fixtureScheduledTime.Add(-24*time.Hour + time.Second)),
		ResultRecordedTime:    aws.Time(fixtureScheduledTime.Add(-24*time.Hour + 2*time.Second)),
	}
}

// fakeComplianceDetailsPages answers GetComplianceDetailsByConfigRule with pages, one per call,
// following NextToken.
func fakeComplianceDetailsPages(pages ...[]cfgtypes.EvaluationResult) func(context.Context, *configservice.GetComplianceDetailsByConfigRuleInput) (*configservice.GetComplianceDetailsByConfigRuleOutput, error) {
	return func(_ context.Context, in *configservice.GetComplianceDetailsByConfigRuleInput) (*configservice.GetComplianceDetailsByConfigRuleOutput, error) {
		page, next, err := fakePage(pages, 1, in.NextToken)
		if err != nil {
			return nil, err
		}
		out := &configservice.GetComplianceDetailsByConfigRuleOutput{NextToken: next}
		if len(page) > 0 {
			out.EvaluationResults = page[0]
		}
		return out, nil
	}
}

// sentEvaluation is a PutEvaluations evaluation without its annotation, for comparing whole lists.
type sentEvaluation struct {
	ResourceType string
	ResourceID   string
	Compliance   cfgtypes.ComplianceType
	At           time.Time
}

func sentEvaluations(evals []cfgtypes.Evaluation) []sentEvaluation {
	out := make([]sentEvaluation, 0, len(evals))
	for _, e := range evals {
		out = append(out, sentEvaluation{
			ResourceType: aws.ToString(e.ComplianceResourceType),
			ResourceID:   aws.ToString(e.ComplianceResourceId),
			Compliance:   e.ComplianceType,
			At:           aws.ToTime(e.OrderingTimestamp).UTC(),
		})
	}
	return out
}

// sentAnnotation returns the annotation sent for the resource id ("" when none was).
func sentAnnotation(evals []cfgtypes.Evaluation, id string) string {
	for _, e := range evals {
		if aws.ToString(e.ComplianceResourceId) == id {
			return aws.ToString(e.Annotation)
		}
	}
	return ""
}

// fakeFilterValues returns the values of the filter name, and whether it was set.
func fakeFilterValues(filters []ec2types.Filter, name string) ([]string, bool) {
	for _, f := range filters {
		if aws.ToString(f.Name) == name {
			return f.Values, true
		}
	}
	return nil, false
}

// fakeFilterNames returns the names of filters, in order.
func fakeFilterNames(filters []ec2types.Filter) []string {
	var out []string
	for _, f := range filters {
		out = append(out, aws.ToString(f.Name))
	}
	return out
}
