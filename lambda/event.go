package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// Message types of the invoking event.
const (
	messageChange    = "ConfigurationItemChangeNotification"
	messageOversized = "OversizedConfigurationItemChangeNotification"
	messageScheduled = "ScheduledNotification"
)

// Configuration item statuses that mean the resource is gone or no longer recorded.
var deletedStatuses = map[string]string{
	"ResourceDeleted":            "was deleted",
	"ResourceDeletedNotRecorded": "was deleted and is no longer recorded",
	"ResourceNotRecorded":        "is no longer recorded by AWS Config",
}

// testModeToken is the result token Config sends when the rule is tested; puts then use TestMode.
const testModeToken = "TESTMODE"

// ErrInvalidEvent is wrapped by every error about a malformed or unsupported event.
var ErrInvalidEvent = errors.New("invalid AWS Config event")

var (
	accountIDPattern = regexp.MustCompile(`^\d{12}$`)
	vpcIDPattern     = regexp.MustCompile(`^vpc-[0-9a-f]{8}([0-9a-f]{9})?$`)
)

// request is a Config event, decoded and validated: everything an invocation acts on.
type request struct {
	messageType string
	accountID   string
	partition   string
	region      string
	ruleName    string
	resultToken string
	leftScope   bool
	params      rule.Params
	// orderingTime is the event's time: the item's capture time for a change, the notification's
	// creation time for a periodic run.
	orderingTime time.Time
	// item is set for change notifications (oversized ones leave item.configuration empty).
	item *configurationItem
	// previous is what the item's diff says of a deleted endpoint: its VPC (empty when the diff
	// names none) and its service (empty when unknown).
	previous endpointConfiguration
}

func (r request) testMode() bool { return r.resultToken == testModeToken }

func (r request) scope() rule.Scope { return rule.Scope{Region: r.region, AccountID: r.accountID} }

// invokingEvent is the JSON document in ConfigEvent.InvokingEvent.
type invokingEvent struct {
	MessageType              string             `json:"messageType"`
	ConfigurationItem        *configurationItem `json:"configurationItem"`
	ConfigurationItemSummary *configurationItem `json:"configurationItemSummary"`
	NotificationCreationTime string             `json:"notificationCreationTime"`
	AWSAccountID             string             `json:"awsAccountId"`
	ConfigurationItemDiff    *itemDiff          `json:"configurationItemDiff"`
}

// itemDiff is a change notification's configurationItemDiff: what changed, with the previous
// values. For a deletion it holds the last configuration and relationships.
type itemDiff struct {
	ChangedProperties map[string]struct {
		PreviousValue json.RawMessage `json:"previousValue"`
	} `json:"changedProperties"`
}

// previousEndpoint returns what the diff of a deleted endpoint says it was: the previous
// configuration (VPC and service), or else the VPC of a previous relationship with an
// AWS::EC2::VPC. Its VPCID is "" when the diff names none; a previous value of another shape is
// not an error, only no answer.
func (d *itemDiff) previousEndpoint() endpointConfiguration {
	if d == nil {
		return endpointConfiguration{}
	}
	if c, ok := d.ChangedProperties["Configuration"]; ok {
		var prev endpointConfiguration
		if json.Unmarshal(c.PreviousValue, &prev) == nil && vpcIDPattern.MatchString(prev.VPCID) {
			return prev
		}
	}
	for name, c := range d.ChangedProperties {
		if !strings.HasPrefix(name, "Relationships.") {
			continue
		}
		var rel struct {
			ResourceType string `json:"resourceType"`
			ResourceID   string `json:"resourceId"`
		}
		if json.Unmarshal(c.PreviousValue, &rel) == nil && rel.ResourceType == rule.ResourceTypeVPC && vpcIDPattern.MatchString(rel.ResourceID) {
			return endpointConfiguration{VPCID: rel.ResourceID}
		}
	}
	return endpointConfiguration{}
}

// configurationItem is the part of a configuration item (or its oversized summary) the rule reads.
type configurationItem struct {
	ResourceType  string            `json:"resourceType"`
	ResourceID    string            `json:"resourceId"`
	Status        string            `json:"configurationItemStatus"`
	CaptureTime   string            `json:"configurationItemCaptureTime"`
	AccountID     string            `json:"awsAccountId"`
	Region        string            `json:"awsRegion"`
	Tags          map[string]string `json:"tags"`
	Configuration json.RawMessage   `json:"configuration"`
}

// hasConfiguration reports whether the item carries its resource's configuration.
func (ci *configurationItem) hasConfiguration() bool {
	c := strings.TrimSpace(string(ci.Configuration))
	return c != "" && c != "null"
}

// vpcConfiguration is the configuration of an AWS::EC2::VPC item.
type vpcConfiguration struct {
	VPCID                   string `json:"vpcId"`
	OwnerID                 string `json:"ownerId"`
	CIDRBlock               string `json:"cidrBlock"`
	CIDRBlockAssociationSet []struct {
		CIDRBlock      string `json:"cidrBlock"`
		CIDRBlockState struct {
			State string `json:"state"`
		} `json:"cidrBlockState"`
	} `json:"cidrBlockAssociationSet"`
	Tags []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"tags"`
}

// endpointConfiguration is the configuration of an AWS::EC2::VPCEndpoint item.
type endpointConfiguration struct {
	VPCEndpointID string `json:"vpcEndpointId"`
	VPCID         string `json:"vpcId"`
	ServiceName   string `json:"serviceName"`
}

// decodeEvent validates a Config event for a function running in region.
func decodeEvent(ev events.ConfigEvent, region string) (request, error) {
	req := request{
		accountID:   ev.AccountID,
		region:      region,
		ruleName:    ev.ConfigRuleName,
		resultToken: ev.ResultToken,
		leftScope:   ev.EventLeftScope,
		partition:   partitionOf(ev.ConfigRuleArn, region),
	}
	if strings.TrimSpace(ev.InvokingEvent) == "" {
		return request{}, fmt.Errorf("%w: invokingEvent is empty", ErrInvalidEvent)
	}
	var ie invokingEvent
	if err := json.Unmarshal([]byte(ev.InvokingEvent), &ie); err != nil {
		return request{}, fmt.Errorf("%w: invokingEvent is not a JSON object: %v", ErrInvalidEvent, err)
	}
	req.messageType = ie.MessageType
	switch ie.MessageType {
	case messageChange, messageOversized, messageScheduled:
	case "":
		return request{}, fmt.Errorf("%w: invokingEvent has no messageType", ErrInvalidEvent)
	default:
		return request{}, fmt.Errorf("%w: messageType %q is not handled; this rule is triggered by %s, %s and %s",
			ErrInvalidEvent, ie.MessageType, messageChange, messageOversized, messageScheduled)
	}
	if ev.ResultToken == "" {
		return request{}, fmt.Errorf("%w: resultToken is empty", ErrInvalidEvent)
	}
	if !accountIDPattern.MatchString(ev.AccountID) {
		return request{}, fmt.Errorf("%w: accountId %q is not a 12-digit AWS account ID", ErrInvalidEvent, ev.AccountID)
	}
	params, err := rule.ParseParams(ev.RuleParameters, region)
	if err != nil {
		return request{}, err
	}
	req.params = params

	if ie.MessageType == messageScheduled {
		if req.ruleName == "" {
			return request{}, fmt.Errorf("%w: configRuleName is empty; a periodic run needs it to find stale results", ErrInvalidEvent)
		}
		req.orderingTime, err = parseEventTime("notificationCreationTime", ie.NotificationCreationTime)
		return req, err
	}

	item, field := ie.ConfigurationItem, "configurationItem"
	if ie.MessageType == messageOversized {
		item, field = ie.ConfigurationItemSummary, "configurationItemSummary"
	}
	if item == nil {
		return request{}, fmt.Errorf("%w: %s has no %s", ErrInvalidEvent, ie.MessageType, field)
	}
	switch {
	case item.ResourceType == "":
		return request{}, fmt.Errorf("%w: %s.resourceType is empty", ErrInvalidEvent, field)
	case item.ResourceID == "":
		return request{}, fmt.Errorf("%w: %s.resourceId is empty", ErrInvalidEvent, field)
	case item.Status == "":
		return request{}, fmt.Errorf("%w: %s.configurationItemStatus is empty", ErrInvalidEvent, field)
	case item.Region != "" && item.Region != region:
		return request{}, fmt.Errorf("%w: %s is in region %s, but the function evaluates region %s; deploy the rule and its function in the same region",
			ErrInvalidEvent, item.ResourceID, item.Region, region)
	}
	req.item = item
	if item.ResourceType == rule.ResourceTypeVPCEndpoint {
		req.previous = ie.ConfigurationItemDiff.previousEndpoint()
	}
	req.orderingTime, err = parseEventTime(field+".configurationItemCaptureTime", item.CaptureTime)
	return req, err
}

func parseEventTime(field, value string) (time.Time, error) {
	if value == "" {
		return time.Time{}, fmt.Errorf("%w: %s is empty", ErrInvalidEvent, field)
	}
	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s %q is not an RFC 3339 time", ErrInvalidEvent, field, value)
	}
	return t, nil
}

// partitionOf returns the partition of the rule's ARN, or the one region belongs to.
func partitionOf(ruleARN, region string) string {
	if parts := strings.SplitN(ruleARN, ":", 3); len(parts) == 3 && parts[0] == "arn" && parts[1] != "" {
		return parts[1]
	}
	return rule.Partition(region)
}

// vpcFromItem builds the rule's view of a VPC from its configuration item.
func vpcFromItem(ci *configurationItem) (rule.VPC, error) {
	var c vpcConfiguration
	if err := json.Unmarshal(ci.Configuration, &c); err != nil {
		return rule.VPC{}, fmt.Errorf("%w: configuration of %s is not a VPC configuration: %v", ErrInvalidEvent, ci.ResourceID, err)
	}
	vpc := rule.VPC{ID: ci.ResourceID, OwnerID: c.OwnerID, Tags: ci.Tags}
	if c.CIDRBlock != "" {
		vpc.CIDRBlocks = append(vpc.CIDRBlocks, c.CIDRBlock)
	}
	for _, a := range c.CIDRBlockAssociationSet {
		if strings.EqualFold(a.CIDRBlockState.State, "associated") && a.CIDRBlock != c.CIDRBlock {
			vpc.CIDRBlocks = append(vpc.CIDRBlocks, a.CIDRBlock)
		}
	}
	if len(vpc.Tags) == 0 && len(c.Tags) > 0 {
		vpc.Tags = make(map[string]string, len(c.Tags))
		for _, t := range c.Tags {
			vpc.Tags[t.Key] = t.Value
		}
	}
	return vpc, nil
}

// endpointOf returns the configuration of an endpoint's item; it always names the VPC.
func endpointOf(ci *configurationItem) (endpointConfiguration, error) {
	var c endpointConfiguration
	if err := json.Unmarshal(ci.Configuration, &c); err != nil {
		return c, fmt.Errorf("%w: configuration of %s is not a VPC endpoint configuration: %v", ErrInvalidEvent, ci.ResourceID, err)
	}
	if c.VPCID == "" {
		return c, fmt.Errorf("%w: configuration of endpoint %s has no vpcId", ErrInvalidEvent, ci.ResourceID)
	}
	return c, nil
}
