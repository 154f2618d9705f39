package main

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// FuzzDecodeEvent feeds decodeEvent the events in testdata/ and mutations of them. It must never
// panic; every error must say the event or the parameters are invalid; a decoded request must be
// one the handler can act on, and decoding the item's configuration must not panic either.
func FuzzDecodeEvent(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(f, err)
	require.NotEmpty(f, names)
	for _, name := range names {
		ev := loadEvent(f, filepath.Base(name))
		f.Add(ev.InvokingEvent, ev.RuleParameters, ev.ResultToken, ev.AccountID, ev.ConfigRuleArn, ev.ConfigRuleName, ev.EventLeftScope)
	}

	f.Fuzz(func(t *testing.T, invokingEvent, ruleParameters, resultToken, accountID, ruleARN, ruleName string, leftScope bool) {
		ev := events.ConfigEvent{
			InvokingEvent:  invokingEvent,
			RuleParameters: ruleParameters,
			ResultToken:    resultToken,
			AccountID:      accountID,
			ConfigRuleArn:  ruleARN,
			ConfigRuleName: ruleName,
			EventLeftScope: leftScope,
		}
		req, err := decodeEvent(ev, fixtureRegion)
		if err != nil {
			if !errors.Is(err, ErrInvalidEvent) && !errors.Is(err, rule.ErrInvalidParams) {
				t.Fatalf("error wraps neither ErrInvalidEvent nor rule.ErrInvalidParams: %v", err)
			}
			return
		}

		switch req.messageType {
		case messageChange, messageOversized, messageScheduled:
		default:
			t.Fatalf("decoded messageType %q", req.messageType)
		}
		if req.resultToken == "" || req.resultToken != resultToken {
			t.Fatalf("resultToken %q from %q", req.resultToken, resultToken)
		}
		if !accountIDPattern.MatchString(req.accountID) {
			t.Fatalf("accountID %q", req.accountID)
		}
		if req.region != fixtureRegion || req.partition == "" {
			t.Fatalf("region %q, partition %q", req.region, req.partition)
		}
		if len(req.params.EndpointServiceNames(req.region)) == 0 {
			t.Fatal("no service to check")
		}
		if req.messageType == messageScheduled {
			if req.item != nil || req.ruleName == "" {
				t.Fatalf("scheduled request with item %v, rule name %q", req.item, req.ruleName)
			}
			return
		}
		item := req.item
		if item == nil || item.ResourceType == "" || item.ResourceID == "" || item.Status == "" {
			t.Fatalf("change request with item %+v", item)
		}
		if item.Region != "" && item.Region != fixtureRegion {
			t.Fatalf("item of region %q accepted", item.Region)
		}
		if item.hasConfiguration() {
			if _, err := vpcFromItem(item); err != nil && !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("vpcFromItem: %v", err)
			}
			if _, err := endpointOf(item); err != nil && !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("endpointOf: %v", err)
			}
		}
	})
}
