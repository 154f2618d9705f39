package main

// Integration tests: the real handler with real SDK clients, over HTTP, against moto (EC2) and
// the recording Config fake of internal/localaws. Calls are counted at the servers, so the
// counts are what AWS would bill and throttle.

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/dns"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/findings"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/localaws"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// TestMain stops the moto_server the integration and end-to-end tests share, and removes the
// bootstrap they built, if either was made. It is the package's only TestMain.
func TestMain(m *testing.M) {
	code := m.Run()
	itestShared.stop()
	os.Exit(code)
}

// What the integration tests' events carry. The account is moto's, which owns every VPC it
// creates.
const (
	itestRegion   = "us-east-1"
	itestAccount  = "123456789012"
	itestRuleName = "ec2-vpc-endpoint-rule"
	itestToken    = "itest-result-token"

	itestEC2     = "com.amazonaws.us-east-1.ec2"
	itestEC2FIPS = "com.amazonaws.us-east-1.ec2-fips"
	itestEC2West = "com.amazonaws.us-west-2.ec2"
	itestMessage = "com.amazonaws.us-east-1.ec2messages"
	// itestNoEC2 is the annotation of a VPC without an EC2 endpoint.
	itestNoEC2 = "No Interface endpoint for " + itestEC2 + ": create one with private DNS in subnets of several AZs."

	// itestGhostVPC is a VPC ID moto never hands out in these tests.
	itestGhostVPC = "vpc-0123456789abcdef0"

	itestExemptParams = `{"exemptTag":"ec2-endpoint-exempt=true"}`
	// itestScopedPolicy is an endpoint policy narrower than full access.
	itestScopedPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["ec2:Describe*"],"Resource":"*"}]}`
)

// Event times, to the millisecond as Config writes them.
var (
	itestSweepTime  = time.Date(2026, 3, 2, 6, 0, 0, 125e6, time.UTC)
	itestSweep2Time = time.Date(2026, 3, 3, 6, 0, 0, 250e6, time.UTC)
	itestChangeTime = time.Date(2026, 3, 2, 9, 14, 2, 810e6, time.UTC)
)

// itestServers are what the tests of the package share, each made on first use: a
// moto_server, and the function's bootstrap built for this machine.
type itestServers struct {
	once sync.Once
	moto *localaws.Moto
	err  error

	buildOnce    sync.Once
	bootstrapDir string
	bootstrap    string
	buildErr     error
}

func (s *itestServers) stop() {
	if s.moto != nil {
		s.moto.Stop()
	}
	if s.bootstrapDir != "" {
		_ = os.RemoveAll(s.bootstrapDir)
	}
}

var itestShared itestServers

// itestMoto returns the shared moto, reset to its initial state. Without moto_server the test
// is skipped, or fails in CI.
func itestMoto(t *testing.T) *localaws.Moto {
	t.Helper()
	itestShared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		itestShared.moto, itestShared.err = localaws.StartMoto(ctx)
	})
	localaws.RequireTools(t, itestShared.err)
	require.NoError(t, itestShared.moto.Reset(t.Context()))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("moto log (end):\n%s", itestTail(itestShared.moto.Output(), 4000))
		}
	})
	return itestShared.moto
}

// itestRig is what an integration test works with.
type itestRig struct {
	moto   *localaws.Moto
	config *localaws.ConfigService
	// hub is the Security Hub fake; nil in rigs that do not serve one.
	hub *localaws.SecurityHub
	// hubClients counts the Security Hub clients the handler asked for.
	hubClients *int
	profiles   *localaws.Profiles
	// seed talks to moto directly, so that seeding is not counted with the handler's calls.
	seed *ec2.Client
	cfg  aws.Config
	h    *handler
}

func itestSetup(t *testing.T) *itestRig {
	t.Helper()
	return itestSetupIn(t, itestRegion)
}

// itestSetupIn is itestSetup for a function and clients in region.
func itestSetupIn(t *testing.T, region string) *itestRig {
	t.Helper()
	moto := itestMoto(t)
	cs := localaws.StartConfigService(itestRuleName)
	t.Cleanup(cs.Stop)
	cfg, err := localaws.AWSConfig(t.Context(), region)
	require.NoError(t, err)
	hub := localaws.StartSecurityHub(itestAccount, itestRegion)
	t.Cleanup(hub.Stop)
	hubClients := new(int)
	profiles := localaws.StartProfiles()
	t.Cleanup(profiles.Stop)
	c := clients{
		ec2: localaws.EC2Client(cfg, moto.URL), config: localaws.ConfigClient(cfg, cs.URL),
		securityHub: &lazySecurityHub{make: func() findings.API {
			*hubClients++
			return localaws.SecurityHubClient(cfg, hub.URL)
		}},
		// Route 53 and its Resolver are moto's, behind the front that counts them.
		dns: dns.Clients{
			Route53:  func() dns.Route53API { return localaws.Route53Client(cfg, moto.URL) },
			Resolver: func() dns.ResolverAPI { return localaws.ResolverClient(cfg, moto.URL) },
			Profiles: func() dns.ProfilesAPI { return localaws.ProfilesClient(cfg, profiles.URL) },
		},
		pace: dns.NewPacer(),
	}
	h := &handler{
		region: region,
		clients: func(_ context.Context, roleARN string) (clients, error) {
			if roleARN != "" {
				return clients{}, fmt.Errorf("itest: no role %s here", roleARN)
			}
			return c, nil
		},
		log:            newLogger(itestLogWriter{t}, "info"),
		putAttempts:    defaultPutAttempts,
		putBackoff:     10 * time.Millisecond,
		deadlineMargin: defaultDeadlineMargin,
	}
	return &itestRig{moto: moto, config: cs, hub: hub, hubClients: hubClients, profiles: profiles, seed: localaws.EC2Client(cfg, moto.ServerURL), cfg: cfg, h: h}
}

// resetCalls forgets the calls recorded so far, so that the next assertions count one event's.
func (r *itestRig) resetCalls() {
	r.moto.ResetCalls()
	r.config.ResetCalls()
	if r.hub != nil {
		r.hub.ResetCalls()
	}
	if r.profiles != nil {
		r.profiles.ResetCalls()
	}
}

// calls returns the operations both servers received: each call the code made, counted at the
// wire once however often the SDK had to retry it (a connection reset on a loaded machine must
// not change a count that is asserted exactly).
func (r *itestRig) calls() map[string]int {
	out := r.moto.Operations()
	more := []map[string]int{r.config.Operations()}
	if r.hub != nil {
		more = append(more, r.hub.Operations())
	}
	for _, more := range more {
		for op, n := range more {
			out[op] += n
		}
	}
	if r.profiles != nil {
		for op, n := range r.profiles.Operations() {
			out[op] += n
		}
	}
	return out
}

// attempts returns the requests both servers received per operation, SDK retries included:
// the retries the code's error handling caused. A retry of a call already answered with success
// (a Repeat: the answer was lost on the client's connection) is not one of them.
func (r *itestRig) attempts() map[string]int {
	out := r.moto.Counts()
	more := []map[string]int{r.config.Counts()}
	if r.hub != nil {
		more = append(more, r.hub.Counts())
	}
	for _, more := range more {
		for op, n := range more {
			out[op] += n
		}
	}
	if r.profiles != nil {
		for op, n := range r.profiles.Counts() {
			out[op] += n
		}
	}
	return out
}

func (r *itestRig) seedVPCs(t *testing.T, specs ...localaws.VPCSpec) map[string]localaws.SeededVPC {
	t.Helper()
	vpcs, err := localaws.Seed(t.Context(), r.seed, specs...)
	require.NoError(t, err)
	out := make(map[string]localaws.SeededVPC, len(vpcs))
	for _, v := range vpcs {
		out[v.Name] = v
	}
	return out
}

func (r *itestRig) defaultVPC(t *testing.T) string {
	t.Helper()
	id, err := localaws.DefaultVPCID(t.Context(), r.seed)
	require.NoError(t, err)
	return id
}

// itestLogWriter sends the function's log lines to the test log.
type itestLogWriter struct{ t testing.TB }

func (w itestLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func itestTail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// Events shaped as AWS Config sends them.

func itestEvent(t testing.TB, invoking map[string]any, ruleParameters string) events.ConfigEvent {
	t.Helper()
	rule := localaws.Rule{Region: itestRegion, AccountID: itestAccount, Name: itestRuleName, ID: "config-rule-itest01", ResultToken: itestToken}
	ev, err := rule.Event(invoking, ruleParameters)
	require.NoError(t, err)
	return ev
}

func itestTime(t time.Time) string { return localaws.Timestamp(t) }

func itestScheduled(t testing.TB, at time.Time, ruleParameters string) events.ConfigEvent {
	return itestEvent(t, map[string]any{
		"awsAccountId":             itestAccount,
		"notificationCreationTime": itestTime(at),
		"messageType":              messageScheduled,
		"recordVersion":            "1.0",
	}, ruleParameters)
}

// itestChange wraps a configuration item in a change notification.
func itestChange(t testing.TB, item map[string]any, ruleParameters string) events.ConfigEvent {
	return itestEvent(t, map[string]any{
		"configurationItemDiff":    nil,
		"configurationItem":        item,
		"notificationCreationTime": item["configurationItemCaptureTime"],
		"messageType":              messageChange,
		"recordVersion":            "1.3",
	}, ruleParameters)
}

// itestOversized wraps the summary of a configuration item (no configuration, relationships or
// tags) in an oversized change notification.
func itestOversized(t testing.TB, item map[string]any) events.ConfigEvent {
	summary := map[string]any{"changeType": "UPDATE", "configurationItemVersion": "1.3", "configurationStateId": 1772442842810}
	for _, k := range []string{"configurationItemCaptureTime", "awsAccountId", "configurationItemStatus", "resourceType", "resourceId", "resourceName", "ARN", "awsRegion", "availabilityZone", "configurationStateMd5Hash", "resourceCreationTime"} {
		summary[k] = item[k]
	}
	return itestEvent(t, map[string]any{
		"configurationItemSummary": summary,
		"notificationCreationTime": item["configurationItemCaptureTime"],
		"messageType":              messageOversized,
		"recordVersion":            "1.3",
	}, "")
}

func itestItem(resourceType, id, arn, status string, at time.Time, configuration any, tags map[string]string) map[string]any {
	if tags == nil {
		tags = map[string]string{}
	}
	return map[string]any{
		"relatedEvents":                []string{},
		"relationships":                []any{},
		"configuration":                configuration,
		"supplementaryConfiguration":   map[string]any{},
		"tags":                         tags,
		"configurationItemVersion":     "1.3",
		"configurationItemCaptureTime": itestTime(at),
		"configurationStateId":         at.UnixMilli(),
		"awsAccountId":                 itestAccount,
		"configurationItemStatus":      status,
		"resourceType":                 resourceType,
		"resourceId":                   id,
		"resourceName":                 nil,
		"ARN":                          arn,
		"awsRegion":                    itestRegion,
		"availabilityZone":             "Multiple Availability Zones",
		"configurationStateMd5Hash":    "",
		"resourceCreationTime":         nil,
	}
}

// itestVPCItem is the configuration item of a seeded VPC; status ResourceDeleted has no
// configuration, as Config sends it.
func itestVPCItem(v localaws.SeededVPC, status string, at time.Time) map[string]any {
	arn := "arn:aws:ec2:" + itestRegion + ":" + itestAccount + ":vpc/" + v.ID
	if _, deleted := deletedStatuses[status]; deleted {
		return itestItem(rule.ResourceTypeVPC, v.ID, arn, status, at, nil, nil)
	}
	tags := map[string]string{"Name": v.Name}
	configuration := map[string]any{
		"vpcId":           v.ID,
		"ownerId":         itestAccount,
		"state":           "available",
		"cidrBlock":       v.CIDR,
		"dhcpOptionsId":   "dopt-7a8b9c2d",
		"instanceTenancy": "default",
		"isDefault":       false,
		"cidrBlockAssociationSet": []any{map[string]any{
			"associationId": "vpc-cidr-assoc-0a1b2c3d", "cidrBlock": v.CIDR, "cidrBlockState": map[string]any{"state": "associated"},
		}},
		"tags": []any{map[string]any{"key": "Name", "value": v.Name}},
	}
	return itestItem(rule.ResourceTypeVPC, v.ID, arn, status, at, configuration, tags)
}

// itestEndpointItem is the configuration item of a seeded endpoint of v.
func itestEndpointItem(v localaws.SeededVPC, ep localaws.SeededEndpoint, status string, at time.Time) map[string]any {
	arn := "arn:aws:ec2:" + itestRegion + ":" + itestAccount + ":vpc-endpoint/" + ep.ID
	if _, deleted := deletedStatuses[status]; deleted {
		return itestItem(rule.ResourceTypeVPCEndpoint, ep.ID, arn, status, at, nil, nil)
	}
	configuration := map[string]any{
		"vpcEndpointId":     ep.ID,
		"vpcEndpointType":   "Interface",
		"vpcId":             v.ID,
		"serviceName":       ep.Service,
		"state":             "available",
		"subnetIds":         v.SubnetIDs,
		"privateDnsEnabled": true,
		"requesterManaged":  false,
		"ownerId":           itestAccount,
	}
	return itestItem(rule.ResourceTypeVPCEndpoint, ep.ID, arn, status, at, configuration, nil)
}

// itestWant is an expected evaluation: everything but the annotation exactly, and the parts of
// the annotation that carry the verdict's reason.
type itestWant struct {
	resourceType string
	id           string
	compliance   rule.Compliance
	annotation   []string
}

func itestVPC(id string, c rule.Compliance, annotation ...string) itestWant {
	return itestWant{rule.ResourceTypeVPC, id, c, annotation}
}

// itestReported returns every evaluation the Config fake received in PutEvaluations calls.
func itestReported(cs *localaws.ConfigService) []localaws.Evaluation {
	var out []localaws.Evaluation
	for _, p := range cs.Puts() {
		out = append(out, p.Evaluations...)
	}
	return out
}

// itestAssertEvaluations checks that got holds exactly the wanted evaluations, one per
// resource, in any order, each ordered at the event's time.
func itestAssertEvaluations(t *testing.T, got []localaws.Evaluation, at time.Time, want ...itestWant) {
	t.Helper()
	byID := make(map[string]localaws.Evaluation, len(got))
	for _, e := range got {
		key := e.ResourceType + " " + e.ResourceID
		assert.NotContains(t, byID, key, "evaluated twice")
		byID[key] = e
	}
	var wantIDs, gotIDs []string
	for _, w := range want {
		wantIDs = append(wantIDs, w.resourceType+" "+w.id)
	}
	for k := range byID {
		gotIDs = append(gotIDs, k)
	}
	assert.ElementsMatch(t, wantIDs, gotIDs, "evaluated resources")
	for _, w := range want {
		// A want without a fragment would assert nothing about the reason.
		assert.NotEmpty(t, w.annotation, "the want for %s names no annotation fragment", w.id)
		e, ok := byID[w.resourceType+" "+w.id]
		if !ok {
			continue
		}
		assert.Equal(t, localaws.Evaluation{
			ResourceType: w.resourceType, ResourceID: w.id, Compliance: string(w.compliance),
			Annotation: e.Annotation, OrderingTime: at,
		}, e, "evaluation of %s", w.id)
		for _, part := range w.annotation {
			assert.Contains(t, e.Annotation, part, "annotation of %s", w.id)
		}
	}
}

// itestAssertPuts checks every PutEvaluations call: the event's token, not TestMode, within
// Config's limits (which the fake enforces too), and accepted.
func itestAssertPuts(t *testing.T, cs *localaws.ConfigService) {
	t.Helper()
	for _, p := range cs.Puts() {
		assert.Equal(t, itestToken, p.ResultToken)
		assert.False(t, p.TestMode)
		assert.LessOrEqual(t, len(p.Evaluations), awsMaxEvaluationsPerPut)
	}
	for _, c := range cs.Calls() {
		assert.Equal(t, 200, c.Status, "%s answered %s", c.Op, c.ErrorCode)
	}
}

func TestIntegrationSweep(t *testing.T) {
	r := itestSetup(t)
	vpcs := r.seedVPCs(t,
		localaws.VPCSpec{Name: "compliant", AZs: []string{"us-east-1a", "us-east-1b"}, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, PrivateDNS: true, HTTPSFromVPC: true}}},
		localaws.VPCSpec{Name: "missing"},
		localaws.VPCSpec{Name: "ec2messages-only", AZs: []string{"us-east-1a"}, Endpoints: []localaws.EndpointSpec{{Service: itestMessage, PrivateDNS: true}}},
		localaws.VPCSpec{Name: "deleted-endpoint", AZs: []string{"us-east-1a"}, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, PrivateDNS: true, Deleted: true}}},
		localaws.VPCSpec{Name: "fips", AZs: []string{"us-east-1a"}, Endpoints: []localaws.EndpointSpec{{Service: itestEC2FIPS, PrivateDNS: true}}},
		localaws.VPCSpec{Name: "other-region", AZs: []string{"us-east-1a"}, Endpoints: []localaws.EndpointSpec{{Service: itestEC2West}}},
		localaws.VPCSpec{Name: "exempt", Tags: map[string]string{"ec2-endpoint-exempt": "true"}},
	)
	defaultVPC := r.defaultVPC(t)

	require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweepTime, itestExemptParams)))

	noEC2 := "No Interface endpoint for " + itestEC2
	itestAssertEvaluations(t, itestReported(r.config), itestSweepTime,
		itestVPC(vpcs["compliant"].ID, rule.Compliant, vpcs["compliant"].Endpoints[0].ID, itestEC2),
		itestVPC(vpcs["missing"].ID, rule.NonCompliant, noEC2),
		itestVPC(vpcs["ec2messages-only"].ID, rule.NonCompliant, noEC2),
		itestVPC(vpcs["deleted-endpoint"].ID, rule.NonCompliant, "No qualifying Interface endpoint for "+itestEC2, vpcs["deleted-endpoint"].Endpoints[0].ID+" is deleted"),
		itestVPC(vpcs["fips"].ID, rule.Compliant, vpcs["fips"].Endpoints[0].ID, itestEC2FIPS),
		itestVPC(vpcs["other-region"].ID, rule.NonCompliant, noEC2),
		itestVPC(vpcs["exempt"].ID, rule.NotApplicable, "Exempted by tag ec2-endpoint-exempt=true"),
		itestVPC(defaultVPC, rule.NonCompliant, noEC2),
	)
	itestAssertPuts(t, r.config)
	assert.Equal(t, map[string]int{
		"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "GetComplianceDetailsByConfigRule": 1, "PutEvaluations": 1,
	}, r.calls())
}

func TestIntegrationSweepPractices(t *testing.T) {
	r := itestSetup(t)
	twoAZs := []string{"us-east-1a", "us-east-1b"}
	vpcs := r.seedVPCs(t,
		localaws.VPCSpec{Name: "all-practices", AZs: twoAZs, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, PrivateDNS: true, HTTPSFromVPC: true, Policy: itestScopedPolicy}}},
		localaws.VPCSpec{Name: "no-private-dns", AZs: twoAZs, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, HTTPSFromVPC: true, Policy: itestScopedPolicy}}},
		localaws.VPCSpec{Name: "one-az", AZs: []string{"us-east-1a"}, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, PrivateDNS: true, HTTPSFromVPC: true, Policy: itestScopedPolicy}}},
		localaws.VPCSpec{Name: "no-https-group", AZs: twoAZs, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, PrivateDNS: true, Policy: itestScopedPolicy}}},
		localaws.VPCSpec{Name: "full-access-policy", AZs: twoAZs, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, PrivateDNS: true, HTTPSFromVPC: true}}},
	)
	defaultVPC := r.defaultVPC(t)
	params := `{"requirePrivateDns":"true","minAvailabilityZones":"2","requireHttpsFromVpc":"true","forbidFullAccessPolicy":"true"}`

	require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweepTime, params)))

	ep := func(name string) string { return vpcs[name].Endpoints[0].ID }
	itestAssertEvaluations(t, itestReported(r.config), itestSweepTime,
		itestVPC(vpcs["all-practices"].ID, rule.Compliant, ep("all-practices"), "passes private DNS, AZ spread, HTTPS from VPC, scoped policy"),
		itestVPC(vpcs["no-private-dns"].ID, rule.NonCompliant, ep("no-private-dns")+" has private DNS disabled"),
		itestVPC(vpcs["one-az"].ID, rule.NonCompliant, ep("one-az")+" spans 1 AZ (needs 2)"),
		itestVPC(vpcs["no-https-group"].ID, rule.NonCompliant, ep("no-https-group")+" has no security group allowing TCP 443 from the VPC"),
		itestVPC(vpcs["full-access-policy"].ID, rule.NonCompliant, ep("full-access-policy")+" has a full-access policy"),
		itestVPC(defaultVPC, rule.NonCompliant, "No Interface endpoint for "+itestEC2),
	)
	itestAssertPuts(t, r.config)
	// The practice checks read subnets and security groups in one listing each.
	assert.Equal(t, map[string]int{
		"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "DescribeSubnets": 1, "DescribeSecurityGroups": 1,
		"GetComplianceDetailsByConfigRule": 1, "PutEvaluations": 1,
	}, r.calls())
}

func TestIntegrationVPCChange(t *testing.T) {
	r := itestSetup(t)
	vpcs := r.seedVPCs(t,
		localaws.VPCSpec{Name: "compliant", AZs: []string{"us-east-1a", "us-east-1b"}, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, PrivateDNS: true}}},
		localaws.VPCSpec{Name: "ec2messages-only", AZs: []string{"us-east-1a"}, Endpoints: []localaws.EndpointSpec{{Service: itestMessage, PrivateDNS: true}}},
	)
	compliant, messages := vpcs["compliant"], vpcs["ec2messages-only"]
	ghost := localaws.SeededVPC{Name: "ghost", ID: itestGhostVPC, CIDR: "10.99.0.0/16"}

	tests := []struct {
		name  string
		event events.ConfigEvent
		want  itestWant
		calls map[string]int
	}{
		{
			name:  "compliant VPC",
			event: itestChange(t, itestVPCItem(compliant, "OK", itestChangeTime), ""),
			want:  itestVPC(compliant.ID, rule.Compliant, compliant.Endpoints[0].ID, itestEC2),
			// The item carries the VPC: only its endpoints are read.
			calls: map[string]int{"DescribeVpcEndpoints": 1, "PutEvaluations": 1},
		},
		{
			name:  "VPC with only an ec2messages endpoint",
			event: itestChange(t, itestVPCItem(messages, "ResourceDiscovered", itestChangeTime), ""),
			want:  itestVPC(messages.ID, rule.NonCompliant, "No Interface endpoint for "+itestEC2),
			calls: map[string]int{"DescribeVpcEndpoints": 1, "PutEvaluations": 1},
		},
		{
			name: "exempt by tag in the item",
			event: itestChange(t, func() map[string]any {
				i := itestVPCItem(messages, "OK", itestChangeTime)
				i["tags"] = map[string]string{"ec2-endpoint-exempt": "true"}
				return i
			}(), itestExemptParams),
			want: itestVPC(messages.ID, rule.NotApplicable, "Exempted by tag ec2-endpoint-exempt=true"),
			// A VPC out of the rule's scope costs no read.
			calls: map[string]int{"PutEvaluations": 1},
		},
		{
			name:  "oversized item: the VPC is read",
			event: itestOversized(t, itestVPCItem(compliant, "OK", itestChangeTime)),
			want:  itestVPC(compliant.ID, rule.Compliant, compliant.Endpoints[0].ID),
			calls: map[string]int{"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "PutEvaluations": 1},
		},
		{
			name:  "oversized item of a VPC that no longer exists",
			event: itestOversized(t, itestVPCItem(ghost, "OK", itestChangeTime)),
			want:  itestVPC(ghost.ID, rule.NotApplicable, "VPC no longer exists in "+itestRegion+"."),
			calls: map[string]int{"DescribeVpcs": 1, "PutEvaluations": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.resetCalls()
			r.config.Reset()
			require.NoError(t, r.h.Handle(t.Context(), tt.event))
			itestAssertEvaluations(t, itestReported(r.config), itestChangeTime, tt.want)
			itestAssertPuts(t, r.config)
			assert.Equal(t, tt.calls, r.calls())
		})
	}

	t.Run("test mode stores nothing", func(t *testing.T) {
		r.resetCalls()
		r.config.Reset()
		ev := itestChange(t, itestVPCItem(compliant, "OK", itestChangeTime), "")
		ev.ResultToken = testModeToken
		require.NoError(t, r.h.Handle(t.Context(), ev))
		puts := r.config.Puts()
		require.Len(t, puts, 1)
		assert.True(t, puts[0].TestMode)
		assert.Empty(t, r.config.Stored())
	})
}

func TestIntegrationEndpointChange(t *testing.T) {
	r := itestSetup(t)
	vpcs := r.seedVPCs(t,
		localaws.VPCSpec{Name: "compliant", AZs: []string{"us-east-1a", "us-east-1b"}, Endpoints: []localaws.EndpointSpec{{Service: itestEC2, PrivateDNS: true}}},
		localaws.VPCSpec{Name: "ec2messages-only", AZs: []string{"us-east-1a"}, Endpoints: []localaws.EndpointSpec{{Service: itestMessage, PrivateDNS: true}}},
	)
	compliant, messages := vpcs["compliant"], vpcs["ec2messages-only"]
	endpointNote := func(v localaws.SeededVPC, ep localaws.SeededEndpoint, result rule.Compliance) itestWant {
		return itestWant{rule.ResourceTypeVPCEndpoint, ep.ID, rule.NotApplicable, []string{"re-evaluated " + v.ID + ": " + string(result)}}
	}

	tests := []struct {
		name  string
		event events.ConfigEvent
		want  []itestWant
		calls map[string]int
	}{
		{
			name:  "EC2 endpoint created",
			event: itestChange(t, itestEndpointItem(compliant, compliant.Endpoints[0], "ResourceDiscovered", itestChangeTime), ""),
			want: []itestWant{
				itestVPC(compliant.ID, rule.Compliant, compliant.Endpoints[0].ID),
				endpointNote(compliant, compliant.Endpoints[0], rule.Compliant),
			},
			// The endpoint's VPC is read, then the VPC's endpoints.
			calls: map[string]int{"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "PutEvaluations": 1},
		},
		{
			// An endpoint of a service the rule does not check cannot change its VPC's verdict.
			name:  "ec2messages endpoint changed",
			event: itestChange(t, itestEndpointItem(messages, messages.Endpoints[0], "OK", itestChangeTime), ""),
			want: []itestWant{{rule.ResourceTypeVPCEndpoint, messages.Endpoints[0].ID, rule.NotApplicable,
				[]string{"Endpoint for " + itestMessage + ", a service the rule does not check; " + messages.ID + " was not re-evaluated."}}},
			calls: map[string]int{"PutEvaluations": 1},
		},
		{
			// One listing of the checked services' endpoints finds it and holds its VPC's.
			name:  "oversized item: the endpoint is found in the listing of checked services",
			event: itestOversized(t, itestEndpointItem(compliant, compliant.Endpoints[0], "OK", itestChangeTime)),
			want: []itestWant{
				itestVPC(compliant.ID, rule.Compliant, compliant.Endpoints[0].ID),
				endpointNote(compliant, compliant.Endpoints[0], rule.Compliant),
			},
			calls: map[string]int{"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "PutEvaluations": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.resetCalls()
			r.config.Reset()
			require.NoError(t, r.h.Handle(t.Context(), tt.event))
			itestAssertEvaluations(t, itestReported(r.config), itestChangeTime, tt.want...)
			itestAssertPuts(t, r.config)
			assert.Equal(t, tt.calls, r.calls())
		})
	}
}

func TestIntegrationDeletedVPC(t *testing.T) {
	r := itestSetup(t)
	vpcs := r.seedVPCs(t, localaws.VPCSpec{Name: "short-lived", AZs: []string{"us-east-1a"}, Endpoints: []localaws.EndpointSpec{{Service: itestEC2}}})
	v := vpcs["short-lived"]
	require.NoError(t, r.h.Handle(t.Context(), itestChange(t, itestVPCItem(v, "ResourceDiscovered", itestSweepTime), "")))
	require.NoError(t, localaws.DeleteVPC(t.Context(), r.seed, v))
	r.resetCalls()

	require.NoError(t, r.h.Handle(t.Context(), itestChange(t, itestVPCItem(v, "ResourceDeleted", itestChangeTime), "")))

	itestAssertEvaluations(t, itestReported(r.config), itestChangeTime, itestVPC(v.ID, rule.NotApplicable, "Resource was deleted."))
	itestAssertPuts(t, r.config)
	// A deletion needs no read: the event says it all.
	assert.Equal(t, map[string]int{"PutEvaluations": 1}, r.calls())
	assert.Equal(t, []localaws.Evaluation{{
		ResourceType: rule.ResourceTypeVPC, ResourceID: v.ID, Compliance: string(rule.NotApplicable),
		Annotation: "Resource was deleted.", OrderingTime: itestChangeTime,
	}}, r.config.Stored())
}

func TestIntegrationCleanupGoneVPC(t *testing.T) {
	r := itestSetup(t)
	vpcs := r.seedVPCs(t,
		localaws.VPCSpec{Name: "kept", AZs: []string{"us-east-1a"}, Endpoints: []localaws.EndpointSpec{{Service: itestEC2}}},
		localaws.VPCSpec{Name: "gone"},
	)
	kept, gone := vpcs["kept"], vpcs["gone"]
	defaultVPC := r.defaultVPC(t)
	earlier := itestSweepTime.Add(-24 * time.Hour)
	endpointResult := localaws.Evaluation{ResourceType: rule.ResourceTypeVPCEndpoint, ResourceID: "vpce-0123456789abcdef0", Compliance: "NOT_APPLICABLE", Annotation: "Endpoints are not evaluated themselves.", OrderingTime: earlier}
	r.config.Seed(
		// A VPC deleted while no change event reached the rule: only a sweep can clear it.
		localaws.Evaluation{ResourceType: rule.ResourceTypeVPC, ResourceID: itestGhostVPC, Compliance: "COMPLIANT", Annotation: "vpce-0aaaaaaaaaaaaaaaa (com.amazonaws.us-east-1.ec2) is an available Interface endpoint.", OrderingTime: earlier},
		// Already NOT_APPLICABLE, and not a VPC: neither is reported again.
		localaws.Evaluation{ResourceType: rule.ResourceTypeVPC, ResourceID: "vpc-0fedcba9876543210", Compliance: "NOT_APPLICABLE", Annotation: "VPC no longer exists in us-east-1.", OrderingTime: earlier},
		endpointResult,
	)

	require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweepTime, "")))
	itestAssertEvaluations(t, itestReported(r.config), itestSweepTime,
		itestVPC(kept.ID, rule.Compliant, kept.Endpoints[0].ID+" ("+itestEC2+") is an available Interface endpoint."),
		itestVPC(gone.ID, rule.NonCompliant, itestNoEC2),
		itestVPC(defaultVPC, rule.NonCompliant, itestNoEC2),
		itestVPC(itestGhostVPC, rule.NotApplicable, "VPC no longer exists in "+itestRegion+"."),
	)

	require.NoError(t, localaws.DeleteVPC(t.Context(), r.seed, gone))
	r.resetCalls()
	// The next sweep comes an hour later at the earliest (MaximumExecutionFrequency One_Hour):
	// the results the first one put are older than its listing.
	r.h.now = func() time.Time { return time.Now().Add(time.Hour) }
	require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweep2Time, "")))

	itestAssertEvaluations(t, itestReported(r.config), itestSweep2Time,
		itestVPC(kept.ID, rule.Compliant, kept.Endpoints[0].ID+" ("+itestEC2+") is an available Interface endpoint."),
		itestVPC(defaultVPC, rule.NonCompliant, itestNoEC2),
		itestVPC(gone.ID, rule.NotApplicable, "VPC no longer exists in "+itestRegion+"."),
	)
	itestAssertPuts(t, r.config)
	assert.Equal(t, map[string]int{
		"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "GetComplianceDetailsByConfigRule": 1, "PutEvaluations": 1,
	}, r.calls())

	// What Config holds now: every VPC that exists with its verdict, every gone one NOT_APPLICABLE.
	stored := make(map[string]string)
	for _, e := range r.config.Stored() {
		stored[e.ResourceID] = e.Compliance
	}
	assert.Equal(t, map[string]string{
		kept.ID:                   "COMPLIANT",
		defaultVPC:                "NON_COMPLIANT",
		gone.ID:                   "NOT_APPLICABLE",
		itestGhostVPC:             "NOT_APPLICABLE",
		"vpc-0fedcba9876543210":   "NOT_APPLICABLE",
		endpointResult.ResourceID: "NOT_APPLICABLE",
	}, stored)
}

func TestIntegrationLargeSweep(t *testing.T) {
	r := itestSetup(t)
	const n = 230
	specs := make([]localaws.VPCSpec, n)
	for i := range specs {
		specs[i] = localaws.VPCSpec{Name: fmt.Sprintf("vpc-%03d", i)}
		if i%3 == 0 {
			specs[i].Endpoints = []localaws.EndpointSpec{{Service: itestEC2}}
		}
	}
	vpcs := r.seedVPCs(t, specs...)
	want := []itestWant{itestVPC(r.defaultVPC(t), rule.NonCompliant, itestNoEC2)}
	endpoints := 0
	for _, v := range vpcs {
		if len(v.Endpoints) > 0 {
			endpoints++
			want = append(want, itestVPC(v.ID, rule.Compliant, v.Endpoints[0].ID))
		} else {
			want = append(want, itestVPC(v.ID, rule.NonCompliant, itestNoEC2))
		}
	}
	total := len(want)
	wantPuts := (total + awsMaxEvaluationsPerPut - 1) / awsMaxEvaluationsPerPut

	require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweepTime, "")))

	itestAssertEvaluations(t, itestReported(r.config), itestSweepTime, want...)
	itestAssertPuts(t, r.config)
	var sizes []int
	for _, p := range r.config.Puts() {
		sizes = append(sizes, len(p.Evaluations))
	}
	assert.Equal(t, []int{100, 100, total - 200}, sizes, "evaluations per PutEvaluations call")
	// The published bound for a sweep of V VPCs and E endpoints: at most ⌈V/1000⌉ + ⌈E/1000⌉
	// describe calls, ⌈V/100⌉ puts, and the cleanup pages.
	describes := r.moto.Operations()
	assert.LessOrEqual(t, describes["DescribeVpcs"]+describes["DescribeVpcEndpoints"], (total+999)/1000+(endpoints+999)/1000)
	assert.Equal(t, map[string]int{
		"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "GetComplianceDetailsByConfigRule": 1, "PutEvaluations": wantPuts,
	}, r.calls())

	// The next sweep reads the stored results in pages of 100 and, with the complete VPC list,
	// clears nothing that still exists.
	r.resetCalls()
	require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweep2Time, "")))
	itestAssertEvaluations(t, itestReported(r.config), itestSweep2Time, want...)
	assert.Equal(t, map[string]int{
		"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "GetComplianceDetailsByConfigRule": (total + 99) / 100, "PutEvaluations": wantPuts,
	}, r.calls())
	assert.False(t, slices.ContainsFunc(r.config.Stored(), func(e localaws.Evaluation) bool { return e.Compliance == "NOT_APPLICABLE" }))
}

// TestIntegrationSweepKeepsFreshResults: a VPC created after the sweep listed VPCs, whose own
// change event is evaluated before the sweep reads the results Config holds, is missing from the
// listing but holds a result newer than it (GetComplianceDetailsByConfigRule answers
// ResultRecordedTime). The sweep must leave that result alone: a NOT_APPLICABLE "no longer
// exists" would archive the VPC's Security Hub finding.
func TestIntegrationSweepKeepsFreshResults(t *testing.T) {
	r := itestSetup(t)
	vpcs := r.seedVPCs(t, localaws.VPCSpec{Name: "listed"})
	listed := vpcs["listed"]
	defaultVPC := r.defaultVPC(t)
	earlier := itestSweepTime.Add(-24 * time.Hour)
	// Gone long before the sweep: only the sweep can clear it.
	r.config.Seed(localaws.Evaluation{ResourceType: rule.ResourceTypeVPC, ResourceID: itestGhostVPC, Compliance: "NON_COMPLIANT", OrderingTime: earlier})

	var fresh localaws.SeededVPC
	r.config.OnCall(func(op string, n int) *localaws.Fault {
		if op != "GetComplianceDetailsByConfigRule" || n != 1 {
			return nil
		}
		// Between the sweep's listing and its read of Config's results: a VPC is created and
		// its change event evaluated and put.
		created, err := localaws.Seed(t.Context(), r.seed, localaws.VPCSpec{Name: "created-during-the-sweep"})
		if !assert.NoError(t, err) {
			return nil
		}
		fresh = created[0]
		assert.NoError(t, r.h.Handle(t.Context(), itestChange(t, itestVPCItem(fresh, "ResourceDiscovered", itestChangeTime), "")))
		return nil
	})

	require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweepTime, "")))

	require.NotEmpty(t, fresh.ID, "the VPC was created during the sweep")
	var sweepPut []localaws.Evaluation
	for _, p := range r.config.Puts() {
		for _, e := range p.Evaluations {
			if e.OrderingTime.Equal(itestSweepTime) {
				sweepPut = append(sweepPut, e)
			}
		}
	}
	itestAssertEvaluations(t, sweepPut, itestSweepTime,
		itestVPC(listed.ID, rule.NonCompliant, itestNoEC2),
		itestVPC(defaultVPC, rule.NonCompliant, itestNoEC2),
		itestVPC(itestGhostVPC, rule.NotApplicable, "VPC no longer exists in "+itestRegion+"."),
	)
	stored := make(map[string]string)
	for _, e := range r.config.Stored() {
		stored[e.ResourceID] = e.Compliance
	}
	assert.Equal(t, "NON_COMPLIANT", stored[fresh.ID], "the fresh VPC keeps its own change event's result")
	assert.Equal(t, "NOT_APPLICABLE", stored[itestGhostVPC])
}
