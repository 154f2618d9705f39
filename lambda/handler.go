package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/dns"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/findings"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// clients are the API clients for the account an event evaluates.
type clients struct {
	ec2    ec2API
	config configAPI
	// dns and pace are the DNS check's clients and the account's Route 53 pacer.
	dns  dns.Clients
	pace dns.Pacer
	// securityHub makes the Security Hub client on first use: only invocations with the rule
	// parameter securityHubFindings need one.
	securityHub *lazySecurityHub
}

// lazySecurityHub makes a Security Hub client on first use, once.
type lazySecurityHub struct {
	once sync.Once
	make func() findings.API
	api  findings.API
}

func (l *lazySecurityHub) client() findings.API {
	l.once.Do(func() { l.api = l.make() })
	return l.api
}

// clientSource returns the clients to use: the function's own for an empty roleARN, otherwise
// clients acting as that role.
type clientSource func(ctx context.Context, roleARN string) (clients, error)

// handler answers AWS Config events for the rule.
type handler struct {
	region  string
	clients clientSource
	// org is set in an organization deployment: only its accounts are evaluated, and only as its
	// execution role.
	org *organization
	log *slog.Logger
	// putAttempts and putBackoff bound the re-sending of evaluations Config answers as failed.
	putAttempts int
	putBackoff  time.Duration
	// deadlineMargin is kept free before the Lambda deadline, so that an invocation that runs
	// out of time fails with its own error instead of being killed mid-way.
	deadlineMargin time.Duration
	// now reads the clock (time.Now when nil). It never dates an evaluation: it tells the
	// sweep's listing from results Config recorded after it, and dates the Security Hub
	// findings (their UpdatedAt must grow from one import to the next, which event times need not).
	now func() time.Time
	// sleep pauses before a re-send (a timer on ctx when nil).
	sleep func(ctx context.Context, d time.Duration) error
}

// Defaults for the handler's bounds.
const (
	defaultPutAttempts    = 3
	defaultPutBackoff     = 500 * time.Millisecond
	defaultDeadlineMargin = 2 * time.Second
)

// stats are what an invocation did, for its summary log line.
type stats struct {
	messageType string
	ec2Calls    int
	configCalls int
	// securityHubCalls counts GetFindings and BatchImportFindings calls.
	securityHubCalls int
	dnsCalls         int
	counts           map[rule.Compliance]int
	vpcs             int
	// refused is set for an event of an account outside the organization.
	refused bool
}

// Handle evaluates one AWS Config event and reports the evaluations. It returns an error, and
// reports nothing, when the event is invalid or any read fails; Lambda then retries it.
func (h *handler) Handle(ctx context.Context, ev events.ConfigEvent) error {
	start := time.Now()
	st := stats{counts: make(map[rule.Compliance]int)}
	err := h.handle(ctx, ev, &st)
	attrs := []any{
		slog.String("messageType", st.messageType),
		slog.Int("vpcsEvaluated", st.vpcs),
		slog.Int("compliant", st.counts[rule.Compliant]),
		slog.Int("nonCompliant", st.counts[rule.NonCompliant]),
		slog.Int("notApplicable", st.counts[rule.NotApplicable]),
		slog.Int("ec2Calls", st.ec2Calls),
		slog.Int("configCalls", st.configCalls),
		slog.Int("securityHubCalls", st.securityHubCalls),
		slog.Int("dnsCalls", st.dnsCalls),
		slog.Int("apiCalls", st.ec2Calls+st.configCalls+st.securityHubCalls+st.dnsCalls),
		slog.Int64("durationMs", time.Since(start).Milliseconds()),
	}
	switch {
	case err != nil:
		h.log.ErrorContext(ctx, "evaluation failed", append(attrs, slog.String("error", err.Error()))...)
		return err
	case st.refused:
		// Answered as a success: Lambda does not retry it and it counts as no error, since no
		// retry could change the answer. Config gets no result for it.
		h.log.WarnContext(ctx, "event refused: the account is not in the organization",
			slog.String("accountId", ev.AccountID), slog.String("configRuleArn", ev.ConfigRuleArn),
			slog.Int64("durationMs", time.Since(start).Milliseconds()))
		return nil
	}
	h.log.InfoContext(ctx, "evaluation reported", attrs...)
	return nil
}

func (h *handler) handle(ctx context.Context, ev events.ConfigEvent, st *stats) (err error) {
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-h.deadlineMargin))
		defer cancel()
		defer func() {
			if err != nil && errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("stopped %s before the Lambda timeout: %w", h.deadlineMargin, err)
			}
		}()
	}
	// Before anything else, the rule parameters included: an account outside the organization
	// chose them, and must not make the function fail.
	if h.org != nil && accountIDPattern.MatchString(ev.AccountID) {
		member, err := h.org.member(ctx, ev.AccountID)
		if err != nil {
			return err
		}
		if !member {
			st.refused = true
			return nil
		}
	}
	req, err := decodeEvent(ev, h.region)
	st.messageType = req.messageType
	if err != nil {
		return err
	}
	if h.org != nil {
		if err := h.org.checkRole(req.params); err != nil {
			return err
		}
	}
	c, err := h.clients(ctx, executionRoleARN(req))
	if err != nil {
		return err
	}
	now := h.now
	if now == nil {
		now = time.Now
	}
	evaluatedAt := now()
	securityHub := c.securityHub
	counted := countingEC2{ec2API: c.ec2, n: &st.ec2Calls}
	rd := readers{ec2API: counted}
	if req.params.NeedsDNS() {
		reader := dns.New(c.dns, h.region, c.pace)
		defer func() { st.dnsCalls = reader.Calls }()
		rd.dns = reader
	}
	c = clients{ec2: counted, config: countingConfig{configAPI: c.config, n: &st.configCalls}}

	var evals []evaluation
	if req.messageType == messageScheduled {
		evals, err = sweep(ctx, rd, c.config, req, now)
	} else {
		evals, err = change(ctx, rd, req)
	}
	if err != nil {
		return err
	}
	for _, e := range evals {
		st.counts[e.Compliance]++
		if e.ResourceType == rule.ResourceTypeVPC {
			st.vpcs++
		}
		h.log.DebugContext(ctx, "evaluation", slog.String("resourceType", e.ResourceType), slog.String("resourceId", e.ResourceID),
			slog.String("compliance", string(e.Compliance)), slog.String("annotation", e.Annotation))
	}
	r := reporter{api: c.config, attempts: h.putAttempts, backoff: h.putBackoff, sleep: h.sleep}
	if err := r.put(ctx, req.resultToken, evals); err != nil {
		return err
	}
	if !req.params.SecurityHubFindings || req.testMode() {
		return nil
	}
	if securityHub == nil {
		return errors.New("no Security Hub client for the rule parameter " + rule.ParamSecurityHubFindings)
	}
	if req.ruleName == "" {
		return fmt.Errorf("%w: configRuleName is empty; the rule parameter %s needs it to name the findings", ErrInvalidEvent, rule.ParamSecurityHubFindings)
	}
	// Config is the record, so it comes first; a failed import fails the invocation, and
	// Lambda's retry puts the same evaluations again, which changes nothing.
	api := countingSecurityHub{API: securityHub.client(), n: &st.securityHubCalls}
	var ids []string
	for _, e := range evals {
		if e.ResourceType == rule.ResourceTypeVPC {
			ids = append(ids, findings.ID(req.ruleName, e.ResourceID))
		}
	}
	sweeping := req.messageType == messageScheduled
	held, err := findings.Held(ctx, api, req.ruleName, findings.ProductARN(req.partition, req.region, req.accountID), ids, sweeping,
		func(err error) error { return apiError(actionGetFindings, err) })
	if err != nil {
		return err
	}
	if sweeping {
		evals = append(evals, goneFindings(req, evals, held, evaluatedAt)...)
	}
	created := make(map[string]time.Time, len(held))
	for id, f := range held {
		created[id] = f.CreatedAt
	}
	im := findings.Importer{
		API:      api,
		Attempts: h.putAttempts,
		Backoff:  h.putBackoff,
		Sleep:    h.sleep,
		Wrap:     func(err error) error { return apiError(actionBatchImportFindings, err) },
	}
	return im.Import(ctx, buildFindings(req, evals, evaluatedAt, created))
}

// goneFindings returns a NOT_APPLICABLE evaluation, for Security Hub only, of each VPC that an
// active finding in held is about but that the sweep's evals do not hold: the VPC is gone, even
// where Config holds no result for it to clean up. A finding updated since listedAt (allowing
// for clockSkew) is left alone: its VPC may be newer than the listing.
func goneFindings(req request, evals []evaluation, held map[string]findings.HeldFinding, listedAt time.Time) []evaluation {
	evaluated := make(map[string]bool, len(evals))
	for _, e := range evals {
		if e.ResourceType == rule.ResourceTypeVPC {
			evaluated[e.ResourceID] = true
		}
	}
	var out []evaluation
	for _, f := range held {
		if !f.Active || evaluated[f.VPCID] || f.UpdatedAt.After(listedAt.Add(-clockSkew)) {
			continue
		}
		out = append(out, notApplicable(req, rule.ResourceTypeVPC, f.VPCID, "VPC no longer exists in "+req.region+"."))
	}
	slices.SortFunc(out, func(a, b evaluation) int { return cmp.Compare(a.ResourceID, b.ResourceID) })
	return out
}

// buildFindings returns the Security Hub finding of every VPC in evals, evaluated at at, with
// the creation times created holds by finding Id (the others are new).
func buildFindings(req request, evals []evaluation, at time.Time, created map[string]time.Time) []findings.Finding {
	var out []findings.Finding
	for _, e := range evals {
		if e.ResourceType != rule.ResourceTypeVPC {
			continue
		}
		out = append(out, findings.Build(findings.Input{
			Result: e.Result, VPC: e.vpc, Params: req.params,
			Partition: req.partition, Region: req.region, AccountID: req.accountID, RuleName: req.ruleName,
			EvaluatedAt: at, CreatedAt: created[findings.ID(req.ruleName, e.ResourceID)],
		}))
	}
	return out
}

// executionRoleARN returns the role to act as in the evaluated account, or "" for none.
func executionRoleARN(req request) string {
	if req.params.ExecutionRoleName == "" {
		return ""
	}
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", req.partition, req.accountID, req.params.ExecutionRoleName)
}

// sweep evaluates every VPC in the region for a periodic run, and marks NOT_APPLICABLE the VPCs
// Config still holds results for but that no longer exist. Every read completes before anything
// is evaluated, so a failed read yields no evaluations at all.
func sweep(ctx context.Context, api readers, config configAPI, req request, now func() time.Time) ([]evaluation, error) {
	// A VPC created after this instant may be missing from the listing yet hold a result of its
	// own change event by the time Config's results are read: such a result is not stale.
	listedAt := now()
	vpcs, results, err := evaluateRegion(ctx, api, req.params, req.scope())
	if err != nil {
		return nil, err
	}
	current := make(map[string]bool, len(results))
	for _, r := range results {
		current[r.ResourceID] = true
	}
	// The VPC list is complete here (every page read), so anything else Config held before the
	// listing is gone.
	stale, err := staleVPCs(ctx, config, req.ruleName, current, listedAt)
	if err != nil {
		return nil, err
	}
	evals := make([]evaluation, 0, len(results)+len(stale))
	for i, r := range results {
		evals = append(evals, evaluation{Result: r, orderingTime: req.orderingTime, vpc: &vpcs[i]})
	}
	for _, id := range stale {
		evals = append(evals, notApplicable(req, rule.ResourceTypeVPC, id, "VPC no longer exists in "+req.region+"."))
	}
	return evals, nil
}

// evaluateRegion reads every VPC of the region, the endpoints for p's services and the facts
// their checks need, each as one paginated listing, and decides every VPC. With
// allowCentralEndpoints it then reads the DNS facts of the VPCs still NON_COMPLIANT. It returns
// the VPCs read with their results.
func evaluateRegion(ctx context.Context, api readers, p rule.Params, s rule.Scope) ([]rule.VPC, []rule.Result, error) {
	vpcs, err := listVPCs(ctx, api, &ec2.DescribeVpcsInput{})
	if err != nil {
		return nil, nil, err
	}
	endpoints, err := listEndpoints(ctx, api, p, s.Region, "")
	if err != nil {
		return nil, nil, err
	}
	inv, err := loadInventory(ctx, api, p, endpoints, true)
	if err != nil {
		return nil, nil, err
	}
	if p.NeedsNetworkInterfaces() {
		byVPC, err := listInterfaces(ctx, api, "")
		if err != nil {
			return nil, nil, err
		}
		vpcs = withInterfaces(vpcs, byVPC)
	}
	decide := func(inv rule.Inventory) []rule.Result { return rule.EvaluateAll(vpcs, endpoints, inv, p, s) }
	if !p.NeedsDNS() {
		return vpcs, decide(inv), nil
	}
	c := centralFacts{api: api, p: p, s: s, inv: inv, known: endpoints, all: true}
	results, err := c.evaluate(ctx, vpcs, decide)
	if err != nil {
		return nil, nil, err
	}
	return vpcs, results, nil
}

// change evaluates a configuration change: the changed VPC, or the VPC of a changed endpoint.
func change(ctx context.Context, api readers, req request) ([]evaluation, error) {
	item := req.item
	if item.ResourceType == rule.ResourceTypeVPCEndpoint {
		// An endpoint is never evaluated itself, so eventLeftScope changes nothing for it; what
		// matters is its VPC, which its deletion or change may have moved either way.
		if why, ok := deletedStatuses[item.Status]; ok {
			return deletedEndpoint(ctx, api, req, why)
		}
		return changedEndpoint(ctx, api, req)
	}
	if req.leftScope {
		return []evaluation{notApplicable(req, item.ResourceType, item.ResourceID, "Resource left the rule's scope.")}, nil
	}
	if why, ok := deletedStatuses[item.Status]; ok {
		return []evaluation{notApplicable(req, item.ResourceType, item.ResourceID, "Resource "+why+".")}, nil
	}
	if item.ResourceType == rule.ResourceTypeVPC {
		return changedVPC(ctx, api, req)
	}
	return []evaluation{notApplicable(req, item.ResourceType, item.ResourceID,
		"The rule evaluates "+rule.ResourceTypeVPC+" (and re-evaluates VPCs on "+rule.ResourceTypeVPCEndpoint+" changes); "+item.ResourceType+" is not in its scope.")}, nil
}

func changedVPC(ctx context.Context, api readers, req request) ([]evaluation, error) {
	item := req.item
	var vpc rule.VPC
	if item.hasConfiguration() {
		var err error
		if vpc, err = vpcFromItem(item); err != nil {
			return nil, err
		}
	} else {
		// An oversized item carries no configuration: read the VPC itself.
		found, ok, err := describeVPC(ctx, api, item.ResourceID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return []evaluation{notApplicable(req, rule.ResourceTypeVPC, item.ResourceID, "VPC no longer exists in "+req.region+".")}, nil
		}
		vpc = found
	}
	res, err := evaluateVPC(ctx, api, req, vpc, nil)
	if err != nil {
		return nil, err
	}
	return []evaluation{{Result: res, orderingTime: req.orderingTime, vpc: &vpc}}, nil
}

func changedEndpoint(ctx context.Context, api readers, req request) ([]evaluation, error) {
	item := req.item
	const why = "Endpoints are not evaluated themselves"
	if !item.hasConfiguration() {
		// An oversized item carries no configuration: find the endpoint among those of the
		// checked services, which are also its VPC's endpoints to evaluate.
		vpcID, listed, ok, err := lookupEndpoint(ctx, api, req, item.ResourceID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return []evaluation{notApplicable(req, rule.ResourceTypeVPCEndpoint, item.ResourceID,
				"Endpoint no longer exists, or is not for a service the rule checks; no VPC was re-evaluated.")}, nil
		}
		return endpointVPC(ctx, api, req, vpcID, why, listed)
	}
	c, err := endpointOf(item)
	if err != nil {
		return nil, err
	}
	if c.ServiceName != "" && !req.params.Requires(c.ServiceName, req.region) {
		// An endpoint for a service the rule does not check cannot change its VPC's verdict.
		return []evaluation{notApplicable(req, rule.ResourceTypeVPCEndpoint, item.ResourceID,
			"Endpoint for "+c.ServiceName+", a service the rule does not check; "+c.VPCID+" was not re-evaluated.")}, nil
	}
	return endpointVPC(ctx, api, req, c.VPCID, why, nil)
}

// deletedEndpoint answers the deletion of an endpoint: NOT_APPLICABLE for it and, since its VPC
// may have lost its only qualifying endpoint, a new evaluation of that VPC, so the loss shows
// within minutes rather than at the next sweep. The VPC comes from the item's diff or, where the
// diff names none (an oversized item), from EC2, which lists a deleted endpoint for a while.
func deletedEndpoint(ctx context.Context, api readers, req request, why string) ([]evaluation, error) {
	item := req.item
	gone := []evaluation{notApplicable(req, rule.ResourceTypeVPCEndpoint, item.ResourceID, "Resource "+why+".")}
	prev := req.previous
	if prev.VPCID == "" {
		vpcID, listed, ok, err := lookupEndpoint(ctx, api, req, item.ResourceID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return gone, nil
		}
		return endpointVPC(ctx, api, req, vpcID, "Endpoint "+why, listed)
	}
	if prev.ServiceName != "" && !req.params.Requires(prev.ServiceName, req.region) {
		return gone, nil
	}
	return endpointVPC(ctx, api, req, prev.VPCID, "Endpoint "+why, nil)
}

// endpointVPC evaluates the VPC vpcID for a change of the endpoint in req, and reports the
// endpoint itself NOT_APPLICABLE with a note that leads with why. listed, when not nil, holds the
// VPC's endpoints, already read.
func endpointVPC(ctx context.Context, api readers, req request, vpcID, why string, listed []rule.Endpoint) ([]evaluation, error) {
	endpointNote := func(vpcResult string) evaluation {
		return notApplicable(req, rule.ResourceTypeVPCEndpoint, req.item.ResourceID,
			why+"; this change re-evaluated "+vpcID+": "+vpcResult+".")
	}
	vpc, ok, err := describeVPC(ctx, api, vpcID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return []evaluation{
			notApplicable(req, rule.ResourceTypeVPC, vpcID, "VPC no longer exists in "+req.region+"."),
			endpointNote("no longer exists"),
		}, nil
	}
	res, err := evaluateVPC(ctx, api, req, vpc, listed)
	if err != nil {
		return nil, err
	}
	return []evaluation{{Result: res, orderingTime: req.orderingTime, vpc: &vpc}, endpointNote(string(res.Compliance))}, nil
}

// lookupEndpoint finds the endpoint id in one listing of the region's endpoints for the checked
// services (EC2 lists a deleted endpoint there for a while too), and returns its VPC with that
// VPC's endpoints from the same listing. ok is false when the listing does not hold it: it is
// gone, or for a service the rule does not check, and cannot change a verdict either way.
func lookupEndpoint(ctx context.Context, api ec2API, req request, id string) (vpcID string, vpcEndpoints []rule.Endpoint, ok bool, err error) {
	all, err := listEndpoints(ctx, api, req.params, req.region, "")
	if err != nil {
		return "", nil, false, err
	}
	i := slices.IndexFunc(all, func(e rule.Endpoint) bool { return e.ID == id })
	if i < 0 {
		return "", nil, false, nil
	}
	vpcID = all[i].VPCID
	return vpcID, slices.DeleteFunc(all, func(e rule.Endpoint) bool { return e.VPCID != vpcID }), true, nil
}

// describeVPC reads one VPC; ok is false when EC2 answers that it does not exist.
func describeVPC(ctx context.Context, api ec2API, id string) (rule.VPC, bool, error) {
	vpcs, err := listVPCs(ctx, api, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
	if isNotFound(err) {
		return rule.VPC{}, false, nil
	}
	if err != nil {
		return rule.VPC{}, false, err
	}
	for _, v := range vpcs {
		if v.ID == id {
			return v, true, nil
		}
	}
	return rule.VPC{}, false, nil
}

// evaluateVPC reads the endpoints (unless listed holds them already) and the facts their checks
// need of one VPC, and decides. A VPC out of the rule's scope costs no read.
func evaluateVPC(ctx context.Context, api readers, req request, vpc rule.VPC, listed []rule.Endpoint) (rule.Result, error) {
	if res, ok := rule.OutOfScope(vpc, req.params, req.scope()); ok {
		return res, nil
	}
	endpoints := listed
	if endpoints == nil {
		var err error
		if endpoints, err = listEndpoints(ctx, api, req.params, req.region, vpc.ID); err != nil {
			return rule.Result{}, err
		}
	}
	inv, err := loadInventory(ctx, api, req.params, endpoints, false)
	if err != nil {
		return rule.Result{}, err
	}
	if req.params.NeedsNetworkInterfaces() {
		byVPC, err := listInterfaces(ctx, api, vpc.ID)
		if err != nil {
			return rule.Result{}, err
		}
		vpc = withInterfaces([]rule.VPC{vpc}, byVPC)[0]
	}
	decide := func(inv rule.Inventory) []rule.Result {
		return []rule.Result{rule.Evaluate(vpc, endpoints, inv, req.params, req.scope())}
	}
	if !req.params.NeedsDNS() {
		return decide(inv)[0], nil
	}
	c := centralFacts{api: api, p: req.params, s: req.scope(), inv: inv, known: endpoints}
	results, err := c.evaluate(ctx, []rule.VPC{vpc}, decide)
	if err != nil {
		return rule.Result{}, err
	}
	return results[0], nil
}

func notApplicable(req request, resourceType, id, why string) evaluation {
	return evaluation{
		Result:       rule.Result{ResourceType: resourceType, ResourceID: id, Compliance: rule.NotApplicable, Annotation: why},
		orderingTime: req.orderingTime,
	}
}

// errNoRegion is returned at start-up when no AWS region is configured.
var errNoRegion = errors.New("no AWS region configured: set AWS_REGION")
