package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

const fixtureOrgRole = "ec2-vpc-endpoint-rule-execution"

// fakeOrganizations implements organizations.ListAccountsAPIClient: it lists the active accounts,
// then the suspended ones, in pages of two and counts the calls, or answers err.
type fakeOrganizations struct {
	accounts  []string
	suspended []string
	err       error
	calls     int
	listings  int // calls for a first page
}

func (f *fakeOrganizations) ListAccounts(_ context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	f.calls++
	if in.NextToken == nil {
		f.listings++
	}
	if f.err != nil {
		return nil, f.err
	}
	accounts := make([]orgtypes.Account, len(f.accounts))
	for i, id := range f.accounts {
		accounts[i] = orgtypes.Account{Id: aws.String(id), State: orgtypes.AccountStateActive}
	}
	for _, id := range f.suspended {
		accounts = append(accounts, orgtypes.Account{Id: aws.String(id), State: orgtypes.AccountStateSuspended})
	}
	page, next, err := fakePage(accounts, 2, in.NextToken)
	return &organizations.ListAccountsOutput{Accounts: page, NextToken: next}, err
}

// newTestOrganization returns an organization of accounts whose clock the test sets.
func newTestOrganization(t *testing.T, api organizations.ListAccountsAPIClient, now *time.Time) *organization {
	t.Helper()
	o, err := newOrganization(fixtureOrgRole, fixtureRegion, api)
	require.NoError(t, err)
	o.now = func() time.Time { return *now }
	return o
}

func TestOrganizationMembersCached(t *testing.T) {
	const member, other, joined, suspended = "111111111111", "222222222222", "333333333333", "444444444444"
	start := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	api := &fakeOrganizations{accounts: []string{"100000000000", member, "100000000001"}, suspended: []string{suspended}}
	now := start
	o := newTestOrganization(t, api, &now)

	// Each step: the time since start, the account asked about, the answer, the listings so far.
	steps := []struct {
		after    time.Duration
		account  string
		member   bool
		listings int
	}{
		{0, member, true, 1},
		{10 * time.Second, member, true, 1},
		// Not listed, and the listing is fresh: no new listing, however many events come.
		{20 * time.Second, other, false, 1},
		{30 * time.Second, suspended, false, 1},
		{59 * time.Second, other, false, 1},
		// A minute on, a missing account is looked up again: one that joined is found.
		{61 * time.Second, joined, true, 2},
		{90 * time.Second, other, false, 2},
		{14 * time.Minute, member, true, 2},
		// Past the TTL, even a listed account is looked up again.
		{17 * time.Minute, member, true, 3},
	}
	for _, s := range steps {
		if s.after == 61*time.Second {
			api.accounts = append(api.accounts, joined)
		}
		now = start.Add(s.after)
		got, err := o.member(context.Background(), s.account)
		require.NoError(t, err)
		assert.Equal(t, s.member, got, "%s at +%s", s.account, s.after)
		assert.Equal(t, s.listings, api.listings, "listings at +%s", s.after)
	}
}

func TestOrganizationListingFails(t *testing.T) {
	now := time.Now()
	o := newTestOrganization(t, &fakeOrganizations{err: fakeAPIError("AccessDeniedException")}, &now)
	_, err := o.member(context.Background(), "111111111111")
	assert.ErrorIs(t, err, ErrAccessDenied)
	assert.ErrorContains(t, err, actionListAccounts)
}

func TestOrganizationRoleName(t *testing.T) {
	for _, name := range []string{"", "has space", string(bytes.Repeat([]byte("r"), 65))} {
		_, err := newOrganization(name, fixtureRegion, &fakeOrganizations{})
		assert.ErrorContains(t, err, envExecutionRoleName, "%q", name)
	}
}

// In an organization deployment the handler evaluates only the organization's accounts, and only
// as the deployment's execution role.
func TestHandlerOrganization(t *testing.T) {
	const foreign = "999988887777"
	withRole := func(account, role string) func(t *testing.T) events.ConfigEvent {
		return fixtureEdited("scheduled.json", func(ev *events.ConfigEvent) {
			ev.AccountID = account
			ev.RuleParameters = ""
			if role != "" {
				raw, _ := json.Marshal(map[string]string{rule.ParamExecutionRoleName: role})
				ev.RuleParameters = string(raw)
			}
		})
	}
	tests := []struct {
		name     string
		event    func(t *testing.T) events.ConfigEvent
		wantErr  error  // nil: the invocation succeeds
		wantRole string // the role the clients act as; "" when no clients are asked for
		wantPuts int
		wantLog  string
	}{
		{
			name: "member account, the deployment's role", event: withRole(fixtureAccount, fixtureOrgRole),
			wantRole: "arn:aws:iam::" + fixtureAccount + ":role/" + fixtureOrgRole, wantPuts: 1, wantLog: "evaluation reported",
		},
		{
			name: "account outside the organization: refused, no error", event: withRole(foreign, fixtureOrgRole),
			wantLog: `"level":"WARN","message":"event refused: the account is not in the organization","accountId":"` + foreign + `"`,
		},
		{
			// Its rule's parameters are the foreign account's to choose: they must not make the function fail.
			name: "account outside the organization with invalid parameters: refused, no error",
			event: fixtureEdited("scheduled.json", func(ev *events.ConfigEvent) {
				ev.AccountID = foreign
				ev.RuleParameters = `{"serviceNames":""}`
			}),
			wantLog: "event refused",
		},
		{
			name: "member account naming no role: never the function's own credentials", event: withRole(fixtureAccount, ""),
			wantErr: rule.ErrInvalidParams, wantLog: "names no role",
		},
		{
			name: "member account naming another role", event: withRole(fixtureAccount, "OrganizationAccountAccessRole"),
			wantErr: rule.ErrInvalidParams, wantLog: `names role \"OrganizationAccountAccessRole\"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &fakeEC2{describeVpcs: fakeVPCsFrom(pageSize, fakeVPC(fixtureVPCID, fixtureAccount)), describeVpcEndpoints: fakeEndpointsFrom(pageSize)}
			c := newFakeConfig(t)
			c.getComplianceDetails = fakeComplianceDetailsPages(nil)
			var logs bytes.Buffer
			h := newTestHandler(t, e, c)
			h.log = newLogger(&logs, "info")
			now := time.Now()
			api := &fakeOrganizations{accounts: []string{fixtureAccount, fixtureOtherAccount}}
			h.org = newTestOrganization(t, api, &now)
			var roles []string
			h.clients = func(_ context.Context, roleARN string) (clients, error) {
				roles = append(roles, roleARN)
				return clients{ec2: e, config: c}, nil
			}

			err := h.Handle(context.Background(), tt.event(t))

			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			} else {
				assert.NoError(t, err)
			}
			if tt.wantRole == "" {
				assert.Empty(t, roles, "no clients: no role assumed")
				assert.Zero(t, e.calls(), "no EC2 call")
			} else {
				assert.Equal(t, []string{tt.wantRole}, roles)
			}
			assert.Equal(t, tt.wantPuts, c.putCount())
			assert.Equal(t, 1, api.calls, "one listing (of one page)")
			assert.Contains(t, logs.String(), tt.wantLog)
		})
	}

	t.Run("listing fails: the invocation fails, nothing read", func(t *testing.T) {
		e, c := &fakeEC2{}, newFakeConfig(t)
		h := newTestHandler(t, e, c)
		now := time.Now()
		h.org = newTestOrganization(t, &fakeOrganizations{err: errors.New("connection reset")}, &now)
		err := h.Handle(context.Background(), withRole(fixtureAccount, fixtureOrgRole)(t))
		assert.ErrorContains(t, err, actionListAccounts)
		assert.Zero(t, e.calls())
		assert.Zero(t, c.putCount())
	})
}
