package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// How long the function trusts a listing of the organization's accounts. An account that left the
// organization is still evaluated for up to orgAccountsTTL (its execution role, which trusts only
// the function, goes with the StackSet's stack). An account missing from the listing is looked up
// again once the listing is orgRelistAfter old: a new account is accepted within that, and a flood
// of events from outside the organization costs at most one listing per orgRelistAfter.
const (
	orgAccountsTTL = 15 * time.Minute
	orgRelistAfter = time.Minute
)

// organization is what the function of an organization deployment holds to: the execution role
// it assumes in every account, and the organization's active accounts, the only ones it evaluates.
type organization struct {
	roleName string
	api      organizations.ListAccountsAPIClient
	now      func() time.Time

	mu       sync.Mutex
	accounts map[string]bool // nil until listed
	listed   time.Time
}

// newOrganization returns the organization of a deployment that assumes roleName in every
// account, listing its accounts through api. roleName is validated as the rule parameter
// executionRoleName is.
func newOrganization(roleName, region string, api organizations.ListAccountsAPIClient) (*organization, error) {
	raw, err := json.Marshal(map[string]string{rule.ParamExecutionRoleName: roleName})
	if err != nil {
		return nil, err
	}
	p, err := rule.ParseParams(string(raw), region)
	if err != nil || p.ExecutionRoleName == "" {
		return nil, fmt.Errorf("environment variable %s %q is not an IAM role name: %v", envExecutionRoleName, roleName, err)
	}
	return &organization{roleName: roleName, api: api, now: time.Now}, nil
}

// member reports whether accountID is an account of the organization, listing the accounts when
// the listing held is too old to answer (see orgAccountsTTL and orgRelistAfter).
func (o *organization) member(ctx context.Context, accountID string) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	age := now.Sub(o.listed)
	if o.accounts != nil && age < orgAccountsTTL && (o.accounts[accountID] || age < orgRelistAfter) {
		return o.accounts[accountID], nil
	}
	// The audit's listing: an account suspended or closing is no longer one to evaluate.
	ids, err := listActiveAccounts(ctx, o.api)
	if err != nil {
		return false, err
	}
	o.accounts = make(map[string]bool, len(ids))
	for _, id := range ids {
		o.accounts[id] = true
	}
	o.listed = now
	return o.accounts[accountID], nil
}

// checkRole returns an error unless the event's rule parameters name the deployment's execution
// role: an organization's function never evaluates with its own credentials, nor as a role an
// event chose.
func (o *organization) checkRole(p rule.Params) error {
	if p.ExecutionRoleName == o.roleName {
		return nil
	}
	named := fmt.Sprintf("names role %q", p.ExecutionRoleName)
	if p.ExecutionRoleName == "" {
		named = "names no role"
	}
	return fmt.Errorf("%w: %s %s, but this organization deployment assumes %q in every account (%s); the organization rule's InputParameters must name it",
		rule.ErrInvalidParams, rule.ParamExecutionRoleName, named, o.roleName, envExecutionRoleName)
}
