package localaws

import (
	"encoding/json"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Rule is the Config rule that local events are sent for.
type Rule struct {
	Region      string
	AccountID   string
	Name        string
	ID          string
	ResultToken string
}

// Event returns the Lambda event AWS Config sends for r, carrying invoking (encoded as the
// invokingEvent string) and ruleParameters.
func (r Rule) Event(invoking map[string]any, ruleParameters string) (events.ConfigEvent, error) {
	b, err := json.Marshal(invoking)
	if err != nil {
		return events.ConfigEvent{}, err
	}
	return events.ConfigEvent{
		Version:          "1.0",
		InvokingEvent:    string(b),
		RuleParameters:   ruleParameters,
		ResultToken:      r.ResultToken,
		ExecutionRoleArn: "arn:aws:iam::" + r.AccountID + ":role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
		ConfigRuleArn:    "arn:aws:config:" + r.Region + ":" + r.AccountID + ":config-rule/" + r.ID,
		ConfigRuleName:   r.Name,
		ConfigRuleID:     r.ID,
		AccountID:        r.AccountID,
	}, nil
}

// Timestamp writes t as AWS Config writes times in events: UTC, milliseconds, Z.
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
