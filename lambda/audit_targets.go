package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/dns"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// auditSessionName names the audit's sessions in the audited accounts' CloudTrail.
const auditSessionName = "ec2-vpc-endpoint-rule-audit"

// auditor runs one audit: it finds the accounts and regions, then reads and decides each
// target (an account and a region), at most opts.parallel at once.
type auditor struct {
	cfg  aws.Config // the caller's configuration; its region is the home region
	opts auditOptions
	// progress, when set, is told how many targets are done of those known so far.
	progress func(done, total int)
	now      func() time.Time

	// paces holds one Route 53 pacer per account: its quota is the account's, whatever the
	// region, and targets run in parallel.
	pacesMu sync.Mutex
	paces   map[string]dns.Pacer
}

// pacer returns the Route 53 pacer of account.
func (a *auditor) pacer(account string) dns.Pacer {
	a.pacesMu.Lock()
	defer a.pacesMu.Unlock()
	if a.paces == nil {
		a.paces = make(map[string]dns.Pacer)
	}
	p, ok := a.paces[account]
	if !ok {
		p = dns.NewPacer()
		a.paces[account] = p
	}
	return p
}

// auditAccount is an account to audit and the credentials that act in it.
type auditAccount struct {
	id      string
	roleARN string                  // the role assumed in it; empty for the caller's own account
	creds   aws.CredentialsProvider // the role's; nil: the caller's own
}

// run audits every target and returns the report, failed targets included. Its error is for
// what stops the whole audit: the caller cannot be identified or the accounts cannot be listed.
func (a *auditor) run(ctx context.Context) (*auditReport, error) {
	started := a.now()
	stsClient := sts.NewFromConfig(a.cfg)
	who, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("identify the caller: %w", apiError(actionGetCallerIdentity, err))
	}
	caller := aws.ToString(who.Account)
	partition := rule.Partition(a.cfg.Region)
	if arn := strings.Split(aws.ToString(who.Arn), ":"); len(arn) > 1 && arn[1] != "" {
		partition = arn[1]
	}
	accountIDs := a.opts.accounts
	if a.opts.organization {
		if accountIDs, err = listActiveAccounts(ctx, organizations.NewFromConfig(a.cfg)); err != nil {
			return nil, err
		}
	}
	if len(accountIDs) == 0 {
		accountIDs = []string{caller}
	}
	roleName := a.roleName()

	r := &auditReport{
		Tool:       readBuildInfo(),
		Time:       started.UTC(),
		Parameters: a.opts.rules.given(),
		Results:    []auditResult{},
		Failures:   []auditFailure{},

		configRuleName: a.opts.configRuleName,
	}
	var (
		mu          sync.Mutex
		done, total int
	)
	// found counts targets as they become known: an account's regions, or the account itself
	// when they cannot be listed.
	found := func(n int) {
		mu.Lock()
		defer mu.Unlock()
		total += n
	}
	// finished records one target's results, or its failure.
	finished := func(results []auditResult, failure *auditFailure) {
		mu.Lock()
		defer mu.Unlock()
		if failure != nil {
			r.Failures = append(r.Failures, *failure)
		}
		r.Results = append(r.Results, results...)
		done++
		if a.progress != nil {
			a.progress(done, total)
		}
	}

	sem := make(chan struct{}, a.opts.parallel)
	var wg sync.WaitGroup
	for _, id := range accountIDs {
		wg.Go(func() {
			acct := auditAccount{id: id}
			// The caller's own account is read with the caller's credentials: the role may not
			// exist there (a service-managed StackSet never deploys to the management account).
			if roleName != "" && id != caller {
				acct.roleARN = fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, id, roleName)
				acct.creds = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, acct.roleARN,
					func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = auditSessionName }))
			}
			sem <- struct{}{}
			regions, err := a.accountRegions(ctx, acct)
			<-sem
			if err != nil {
				found(1)
				finished(nil, &auditFailure{Account: id, Error: err.Error()})
				return
			}
			found(len(regions))
			for _, region := range regions {
				wg.Go(func() {
					sem <- struct{}{}
					results, err := a.auditTarget(ctx, acct, region, partition)
					<-sem
					if err != nil {
						finished(nil, &auditFailure{Account: id, Region: region, Error: err.Error()})
						return
					}
					finished(results, nil)
				})
			}
		})
	}
	wg.Wait()
	r.Targets.Total, r.Targets.Failed = total, len(r.Failures)

	slices.SortFunc(r.Results, func(x, y auditResult) int {
		return cmp.Or(cmp.Compare(x.Account, y.Account), cmp.Compare(x.Region, y.Region), cmp.Compare(x.VPCID, y.VPCID))
	})
	slices.SortFunc(r.Failures, func(x, y auditFailure) int {
		return cmp.Or(cmp.Compare(x.Account, y.Account), cmp.Compare(x.Region, y.Region))
	})
	for _, res := range r.Results {
		r.Summary.add(res.Compliance)
	}
	return r, nil
}

// roleName returns the role to assume in each account: the rule parameter executionRoleName,
// which --role-name sets.
func (a *auditor) roleName() string {
	p, err := a.opts.rules.params(a.cfg.Region)
	if err != nil {
		return "" // parseAuditArgs has checked the flags
	}
	return p.ExecutionRoleName
}

// accountRegions returns the regions to audit in acct: those given, the home region, or, for
// --regions all, the regions enabled in the account. It first proves the credentials of an
// assumed role, so that a role that cannot be assumed fails once, naming the role.
func (a *auditor) accountRegions(ctx context.Context, acct auditAccount) ([]string, error) {
	if acct.creds != nil {
		if _, err := acct.creds.Retrieve(ctx); err != nil {
			return nil, fmt.Errorf("assume role %s: %w", acct.roleARN, apiError(actionAssumeRole, err))
		}
	}
	switch {
	case len(a.opts.regions) == 0:
		return []string{a.cfg.Region}, nil
	case a.opts.regions[0] != allRegions:
		return a.opts.regions, nil
	}
	out, err := ec2.NewFromConfig(auditConfig(a.cfg, a.cfg.Region, acct.creds)).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if err != nil {
		return nil, fmt.Errorf("list the enabled regions: %w", apiError(actionDescribeRegions, err))
	}
	regions := make([]string, 0, len(out.Regions))
	for _, r := range out.Regions {
		regions = append(regions, aws.ToString(r.RegionName))
	}
	slices.Sort(regions)
	return regions, nil
}

// auditTarget reads one region of one account and decides its VPCs, with the same code as the
// function's periodic sweep.
func (a *auditor) auditTarget(ctx context.Context, acct auditAccount, region, partition string) ([]auditResult, error) {
	p, err := a.opts.rules.params(region)
	if err != nil {
		return nil, err
	}
	cfg := auditConfig(a.cfg, region, acct.creds)
	api := readers{ec2API: ec2.NewFromConfig(cfg)}
	if p.NeedsDNS() {
		api.dns = dns.New(newDNSClients(cfg), region, a.pacer(acct.id))
	}
	vpcs, results, err := evaluateRegion(ctx, api, p, rule.Scope{Region: region, AccountID: acct.id})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]rule.VPC, len(vpcs))
	for _, v := range vpcs {
		byID[v.ID] = v
	}
	out := make([]auditResult, 0, len(results))
	for _, res := range results {
		// --vpc-ids shows only those VPCs; the others are NOT_APPLICABLE to the rule.
		if len(p.VPCIDs) > 0 && !slices.Contains(p.VPCIDs, res.ResourceID) {
			continue
		}
		v := byID[res.ResourceID]
		out = append(out, auditResult{
			Account:    acct.id,
			Region:     region,
			VPCID:      res.ResourceID,
			VPCARN:     fmt.Sprintf("arn:%s:ec2:%s:%s:vpc/%s", partition, region, cmp.Or(v.OwnerID, acct.id), res.ResourceID),
			Name:       v.Tags["Name"],
			IsDefault:  v.IsDefault,
			Compliance: res.Compliance,
			Annotation: res.Annotation,
			vpc:        v,
			params:     p,
			partition:  partition,
		})
	}
	return out, nil
}

// listActiveAccounts returns the IDs of the organization's active accounts, every page.
func listActiveAccounts(ctx context.Context, api organizations.ListAccountsAPIClient) ([]string, error) {
	var ids []string
	pages := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the organization's accounts: %w", apiError(actionListAccounts, err))
		}
		for _, acct := range page.Accounts {
			// State replaced Status (retired in September 2026); an answer without State is an
			// older endpoint's.
			active := acct.State == orgtypes.AccountStateActive ||
				(acct.State == "" && acct.Status == orgtypes.AccountStatusActive)
			if active {
				ids = append(ids, aws.ToString(acct.Id))
			}
		}
	}
	return ids, nil
}
