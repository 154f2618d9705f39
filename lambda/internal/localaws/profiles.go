package localaws

import (
	"cmp"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The Route 53 Profiles operations the fake serves, and its limits (API reference:
// ListProfileAssociations, ListProfileResourceAssociations).
const (
	opListProfileAssociations         = "ListProfileAssociations"
	opListProfileResourceAssociations = "ListProfileResourceAssociations"
	maxProfilesResults                = 100
	defaultProfilesResults            = 100
	profileAssociationsPath           = "/profileassociations"
	profileResourcesPrefix            = "/profileresourceassociations/profileid/"
)

// Error codes the Profiles API answers.
const (
	errValidation        = "ValidationException"
	errResourceNotFound  = "ResourceNotFoundException"
	errProfilesNextToken = "InvalidNextTokenException"
)

// ProfileSpec is a Route 53 Profile as the fake holds it.
type ProfileSpec struct {
	ID      string // rp-…
	OwnerID string
	// VPCs are the VPC IDs the Profile is associated with; each association is COMPLETE.
	VPCs      []string
	Resources []ProfileResource
}

// ProfileResource is a resource a Profile carries.
type ProfileResource struct {
	ARN string // arn:aws:route53:::hostedzone/Z… or …:resolver-rule/rslvr-rr-…
	// Name is the label the owner gives the association (not the resource's domain): letters,
	// digits, "-", "_" and spaces, not only digits, at most 64 characters.
	Name    string
	OwnerID string
	// Type is as the API spells it; Status is COMPLETE when empty.
	Type   string
	Status string
}

// What AssociateResourceToProfile accepts (API reference, and the CloudFormation resource
// AWS::Route53Profiles::ProfileResourceAssociation): Name matches
// (?!^[0-9]+$)([a-zA-Z0-9\-_' ']+) and has at most 64 characters; the resource is a private
// hosted zone or a Resolver rule (or a firewall rule group or VPC endpoint, which the fake does
// not hold) named by its ARN, and ResourceType is the type of that ARN.
var (
	profileResourceName = regexp.MustCompile(`^[a-zA-Z0-9\-_ ]+$`)
	digitsOnly          = regexp.MustCompile(`^[0-9]+$`)
	profileResourceARNs = map[string]*regexp.Regexp{
		"PRIVATE_HOSTED_ZONE": regexp.MustCompile(`^arn:aws[a-z-]*:route53:::hostedzone/[A-Z0-9]+$`),
		"RESOLVER_RULE":       regexp.MustCompile(`^arn:aws[a-z-]*:route53resolver:[a-z0-9-]+:[0-9]{12}:resolver-rule/rslvr-rr-[a-z0-9]+$`),
	}
)

const maxProfileResourceName = 64

// validate refuses a resource AssociateResourceToProfile would refuse.
func (res ProfileResource) validate() *apiError {
	bad := func(format string, args ...any) *apiError {
		return &apiError{http.StatusBadRequest, errValidation, fmt.Sprintf(format, args...)}
	}
	switch {
	case len(res.Name) > maxProfileResourceName || !profileResourceName.MatchString(res.Name) || digitsOnly.MatchString(res.Name):
		return bad("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9\\-_' ']+) and have length at most %d", res.Name, maxProfileResourceName)
	case profileResourceARNs[res.Type] == nil:
		return bad("ResourceType %q is not one the fake holds (PRIVATE_HOSTED_ZONE, RESOLVER_RULE).", res.Type)
	case !profileResourceARNs[res.Type].MatchString(res.ARN):
		return bad("1 validation error detected: Value '%s' at 'resourceArn' is not the ARN of a %s.", res.ARN, res.Type)
	}
	return nil
}

// Profiles is a fake of the Route 53 Profiles API, which moto lacks, over its REST-JSON protocol:
// ListProfileAssociations (filtered by profileId and resourceId) and
// ListProfileResourceAssociations (by Profile, filtered by resourceType), paginated and validated
// as AWS does, over the Profiles given to Add. Every call is recorded.
type Profiles struct {
	// URL is the fake's address, for AWS_ENDPOINT_URL_ROUTE53PROFILES or a client's BaseEndpoint.
	URL string

	srv      *httptest.Server
	rec      recorder
	stopping chan struct{}
	stopOnce sync.Once

	mu       sync.Mutex
	profiles []ProfileSpec
}

// StartProfiles starts the fake on a free loopback port. The caller must Stop it.
func StartProfiles() *Profiles {
	p := &Profiles{stopping: make(chan struct{})}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	return p
}

// Stop stops the fake, releasing calls held by a Hang fault. It may be called again.
func (p *Profiles) Stop() {
	p.stopOnce.Do(func() {
		close(p.stopping)
		p.srv.Close()
	})
}

// Add makes the fake hold profiles, besides those it holds. It refuses, holding none of them, a
// resource AWS would not associate with a Profile: a ValidationException, as
// AssociateResourceToProfile answers.
func (p *Profiles) Add(profiles ...ProfileSpec) error {
	for _, pr := range profiles {
		for _, res := range pr.Resources {
			if aerr := res.validate(); aerr != nil {
				return fmt.Errorf("%s: %s", aerr.code, aerr.message)
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.profiles = append(p.profiles, profiles...)
	return nil
}

// Reset forgets the Profiles, the recorded calls and the fault hook.
func (p *Profiles) Reset() {
	p.rec.reset()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.profiles = nil
}

// ResetCalls forgets the recorded calls and counts, keeping the Profiles and the hook.
func (p *Profiles) ResetCalls() {
	p.rec.mu.Lock()
	defer p.rec.mu.Unlock()
	p.rec.calls, p.rec.counts = nil, nil
}

// OnCall sets the hook deciding the faults the fake answers (nil: none) until the next Reset.
func (p *Profiles) OnCall(f FaultFunc) { p.rec.setFaults(f) }

// Calls returns the calls received since the last reset, in arrival order.
func (p *Profiles) Calls() []Call { return p.rec.snapshot() }

// Counts returns the number of calls per operation received since the last reset, SDK retries
// included and Repeats not.
func (p *Profiles) Counts() map[string]int { return p.rec.countsCopy() }

// Operations returns the calls per operation since the last reset that were not SDK retries.
func (p *Profiles) Operations() map[string]int { return p.rec.operations() }

type (
	wireProfileAssociation struct {
		ID         string `json:"Id"`
		Name       string `json:"Name"`
		OwnerID    string `json:"OwnerId"`
		ProfileID  string `json:"ProfileId"`
		ResourceID string `json:"ResourceId"`
		Status     string `json:"Status"`
	}
	wireProfileResource struct {
		ID          string `json:"Id"`
		Name        string `json:"Name"`
		OwnerID     string `json:"OwnerId"`
		ProfileID   string `json:"ProfileId"`
		ResourceARN string `json:"ResourceArn"`
		Type        string `json:"ResourceType"`
		Status      string `json:"Status"`
	}
)

func (p *Profiles) serve(w http.ResponseWriter, r *http.Request) {
	op := r.Method + " " + r.URL.Path
	var profileID string
	switch {
	case r.Method == http.MethodGet && r.URL.Path == profileAssociationsPath:
		op = opListProfileAssociations
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, profileResourcesPrefix):
		op, profileID = opListProfileResourceAssociations, strings.TrimPrefix(r.URL.Path, profileResourcesPrefix)
	}
	q := r.URL.Query()
	i, fault := p.rec.begin(op, q, r.Header)
	w = p.rec.writer(w, i)
	var status int
	var code string
	answer := func(out any, aerr *apiError) {
		if aerr != nil {
			status, code = aerr.status, aerr.code
			writeRESTJSONError(w, aerr)
			return
		}
		status = http.StatusOK
		writeJSON(w, status, out)
	}
	switch {
	case fault != nil && fault.Hang:
		hang(r, p.stopping)
	case fault.isError():
		s, c, m := fault.errorAnswer()
		answer(nil, &apiError{s, c, m})
	case op == opListProfileAssociations:
		answer(p.listAssociations(q.Get("profileId"), q.Get("resourceId"), q.Get("maxResults"), q.Get("nextToken")))
	case op == opListProfileResourceAssociations:
		answer(p.listResources(profileID, q.Get("resourceType"), q.Get("maxResults"), q.Get("nextToken")))
	default:
		answer(nil, &apiError{http.StatusNotFound, errUnknownOperation, "the fake Route 53 Profiles does not serve " + op})
	}
	p.rec.end(i, status, code)
}

// page validates maxResults and nextToken and returns the window of n items to answer.
func page(n int, maxResults, nextToken string) (start, end int, next string, aerr *apiError) {
	limit := defaultProfilesResults
	if maxResults != "" {
		v, err := strconv.Atoi(maxResults)
		if err != nil || v < 1 || v > maxProfilesResults {
			return 0, 0, "", &apiError{http.StatusBadRequest, errValidation, fmt.Sprintf("1 validation error detected: Value '%s' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", maxResults, maxProfilesResults)}
		}
		limit = v
	}
	if nextToken != "" {
		v, err := strconv.Atoi(nextToken)
		if err != nil || v < 0 || v > n {
			return 0, 0, "", &apiError{http.StatusBadRequest, errProfilesNextToken, "The NextToken provided is invalid."}
		}
		start = v
	}
	end = min(start+limit, n)
	if end < n {
		next = strconv.Itoa(end)
	}
	return start, end, next, nil
}

func (p *Profiles) listAssociations(profileID, resourceID, maxResults, nextToken string) (any, *apiError) {
	p.mu.Lock()
	var all []wireProfileAssociation
	for _, pr := range p.profiles {
		for _, vpc := range pr.VPCs {
			if (profileID == "" || profileID == pr.ID) && (resourceID == "" || resourceID == vpc) {
				all = append(all, wireProfileAssociation{ID: "rpassoc-" + pr.ID + "-" + vpc, Name: vpc, OwnerID: pr.OwnerID, ProfileID: pr.ID, ResourceID: vpc, Status: "COMPLETE"})
			}
		}
	}
	p.mu.Unlock()
	slices.SortFunc(all, func(a, b wireProfileAssociation) int { return cmp.Compare(a.ID, b.ID) })
	start, end, next, aerr := page(len(all), maxResults, nextToken)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		ProfileAssociations []wireProfileAssociation `json:"ProfileAssociations"`
		NextToken           string                   `json:"NextToken,omitempty"`
	}{append([]wireProfileAssociation{}, all[start:end]...), next}, nil
}

func (p *Profiles) listResources(profileID, resourceType, maxResults, nextToken string) (any, *apiError) {
	if profileID == "" {
		return nil, &apiError{http.StatusBadRequest, errValidation, "ProfileId is required."}
	}
	p.mu.Lock()
	i := slices.IndexFunc(p.profiles, func(pr ProfileSpec) bool { return pr.ID == profileID })
	var all []wireProfileResource
	if i >= 0 {
		for n, res := range p.profiles[i].Resources {
			if resourceType == "" || resourceType == res.Type {
				all = append(all, wireProfileResource{ID: fmt.Sprintf("rpr-%s-%03d", profileID, n), Name: res.Name, OwnerID: res.OwnerID,
					ProfileID: profileID, ResourceARN: res.ARN, Type: res.Type, Status: cmp.Or(res.Status, "COMPLETE")})
			}
		}
	}
	p.mu.Unlock()
	if i < 0 {
		return nil, &apiError{http.StatusNotFound, errResourceNotFound, "The Profile " + profileID + " does not exist."}
	}
	start, end, next, aerr := page(len(all), maxResults, nextToken)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		ProfileResourceAssociations []wireProfileResource `json:"ProfileResourceAssociations"`
		NextToken                   string                `json:"NextToken,omitempty"`
	}{append([]wireProfileResource{}, all[start:end]...), next}, nil
}

// writeRESTJSONError answers a REST-JSON error: the code in X-Amzn-Errortype and the body.
func writeRESTJSONError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("X-Amzn-Errortype", e.code)
	writeJSONError(w, e)
}
