package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/configservice/types"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/batch"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// configAPI is the part of the AWS Config API the function calls.
type configAPI interface {
	PutEvaluations(ctx context.Context, in *configservice.PutEvaluationsInput, optFns ...func(*configservice.Options)) (*configservice.PutEvaluationsOutput, error)
	configservice.GetComplianceDetailsByConfigRuleAPIClient
}

// Limits of the Config API.
const (
	// maxEvaluationsPerPut is the most evaluations one PutEvaluations call takes.
	maxEvaluationsPerPut = 100
	// complianceDetailsPageSize is the largest page GetComplianceDetailsByConfigRule returns.
	complianceDetailsPageSize = 100
)

// ErrEvaluationsNotStored is wrapped by the error returned when Config kept refusing evaluations.
var ErrEvaluationsNotStored = errors.New("evaluations not stored")

// evaluation is one verdict with the time of the event it answers.
type evaluation struct {
	rule.Result
	orderingTime time.Time
	// vpc is the VPC evaluated, when the verdict is on one the invocation read; nil otherwise
	// (a VPC that is gone, an endpoint).
	vpc *rule.VPC
}

func toConfig(e evaluation) types.Evaluation {
	out := types.Evaluation{
		ComplianceResourceType: aws.String(e.ResourceType),
		ComplianceResourceId:   aws.String(e.ResourceID),
		ComplianceType:         types.ComplianceType(e.Compliance),
		OrderingTimestamp:      aws.Time(e.orderingTime),
	}
	if e.Annotation != "" {
		out.Annotation = aws.String(rule.Truncate(e.Annotation))
	}
	return out
}

// reporter writes evaluations to Config.
type reporter struct {
	api configAPI
	// attempts bounds how often evaluations that Config answers as failed are sent, in all.
	attempts int
	// backoff is the pause before the first re-send; it doubles for each further one.
	backoff time.Duration
	// sleep pauses for d or until ctx is done (batch.SleepContext when nil).
	sleep func(ctx context.Context, d time.Duration) error
}

// put sends evals in batches of at most maxEvaluationsPerPut, re-sending the FailedEvaluations
// of each batch up to the attempt bound. It returns an error naming every evaluation Config still
// refused, or the first call error.
func (r reporter) put(ctx context.Context, token string, evals []evaluation) error {
	items := make([]types.Evaluation, 0, len(evals))
	for _, e := range evals {
		items = append(items, toConfig(e))
	}
	s := batch.Sender[types.Evaluation]{
		Action:   actionPutEvaluations,
		Noun:     "evaluations",
		Size:     maxEvaluationsPerPut,
		Attempts: r.attempts,
		Backoff:  r.backoff,
		Sleep:    r.sleep,
		Send: func(ctx context.Context, b []types.Evaluation) ([]types.Evaluation, error) {
			out, err := r.api.PutEvaluations(ctx, &configservice.PutEvaluationsInput{
				ResultToken: aws.String(token), TestMode: token == testModeToken, Evaluations: b,
			})
			if err != nil {
				return nil, apiError(actionPutEvaluations, err)
			}
			return out.FailedEvaluations, nil
		},
	}
	refused, err := s.SendAll(ctx, items)
	if err != nil {
		return fmt.Errorf("put evaluations %w", err)
	}
	if len(refused) == 0 {
		return nil
	}
	names := make([]string, 0, len(refused))
	for _, e := range refused {
		names = append(names, aws.ToString(e.ComplianceResourceType)+" "+aws.ToString(e.ComplianceResourceId))
	}
	return fmt.Errorf("%w: AWS Config refused %d of %d evaluations after %d attempts: %s",
		ErrEvaluationsNotStored, len(refused), len(evals), r.attempts, strings.Join(names, ", "))
}

// clockSkew is how far apart the function's clock and Config's may be. A result Config recorded
// less than this before the listing is taken as newer than it: its VPC waits for the next sweep.
const clockSkew = time.Minute

// staleVPCs returns the VPCs for which Config holds a COMPLIANT or NON_COMPLIANT result of
// ruleName but that are not in current, the complete list of the region's VPCs as listed from
// listedAt on. A result Config recorded after listedAt is not stale: its VPC may have been
// created after the listing, and the result is its own change event's.
func staleVPCs(ctx context.Context, api configAPI, ruleName string, current map[string]bool, listedAt time.Time) ([]string, error) {
	in := &configservice.GetComplianceDetailsByConfigRuleInput{
		ConfigRuleName:  aws.String(ruleName),
		ComplianceTypes: []types.ComplianceType{types.ComplianceTypeCompliant, types.ComplianceTypeNonCompliant},
		Limit:           complianceDetailsPageSize,
	}
	var stale []string
	seen := make(map[string]bool)
	pages := configservice.NewGetComplianceDetailsByConfigRulePaginator(api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, apiError(actionGetComplianceDetailsByConfigRule, err)
		}
		for _, res := range page.EvaluationResults {
			if res.EvaluationResultIdentifier == nil || res.EvaluationResultIdentifier.EvaluationResultQualifier == nil {
				continue
			}
			q := res.EvaluationResultIdentifier.EvaluationResultQualifier
			id := aws.ToString(q.ResourceId)
			if aws.ToString(q.ResourceType) != rule.ResourceTypeVPC || current[id] || seen[id] || recordedSince(res, listedAt) {
				continue
			}
			seen[id] = true
			stale = append(stale, id)
		}
	}
	return stale, nil
}

// recordedSince reports whether Config recorded res after t, allowing for clockSkew: by its
// ResultRecordedTime, or its ConfigRuleInvokedTime (never later) where that is all it says. A
// result that carries neither is taken as older.
func recordedSince(res types.EvaluationResult, t time.Time) bool {
	at := res.ResultRecordedTime
	if at == nil {
		at = res.ConfigRuleInvokedTime
	}
	return at != nil && at.After(t.Add(-clockSkew))
}
