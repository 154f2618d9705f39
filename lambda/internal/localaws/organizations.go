package localaws

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Limits of the AWS Organizations ListAccounts API that the fake enforces.
const (
	maxListAccountsResults = 20
)

// The operation the Organizations fake serves, named in X-Amz-Target as orgTargetPrefix + operation.
const (
	orgTargetPrefix  = "AWSOrganizationsV20161128."
	opListAccounts   = "ListAccounts"
	errInvalidInput  = "InvalidInputException"
	errOrgNotInUse   = "AWSOrganizationsNotInUseException"
	orgAccountStatus = "ACTIVE"
)

var orgAccountIDPattern = regexp.MustCompile(`^\d{12}$`)

// ListAccountsInput is a decoded ListAccounts request.
type ListAccountsInput struct {
	// MaxResults is 0 when the request carried none.
	MaxResults int
	NextToken  string
}

// Organizations is a fake of the AWS Organizations API for one organization, over the real JSON
// 1.1 protocol: ListAccounts, paginated and validated as AWS does. Every call is recorded.
type Organizations struct {
	// URL is the fake's address, for AWS_ENDPOINT_URL_ORGANIZATIONS or a client's BaseEndpoint.
	URL string
	// ID is the organization's ID, in the accounts' ARNs.
	ID string

	srv      *httptest.Server
	rec      recorder
	stopping chan struct{}
	stopOnce sync.Once

	mu       sync.Mutex
	accounts []string
}

// StartOrganizations starts the fake on a free loopback port, for organization id with the
// given member accounts (the management account among them). With no accounts, the caller is in
// no organization, and ListAccounts answers AWSOrganizationsNotInUseException. The caller must
// Stop it.
func StartOrganizations(id string, accounts ...string) *Organizations {
	o := &Organizations{ID: id, stopping: make(chan struct{})}
	o.SetAccounts(accounts...)
	o.srv = httptest.NewServer(http.HandlerFunc(o.serve))
	o.URL = o.srv.URL
	return o
}

// Stop stops the fake, releasing calls held by a Hang fault. It may be called again.
func (o *Organizations) Stop() {
	o.stopOnce.Do(func() {
		close(o.stopping)
		o.srv.Close()
	})
}

// SetAccounts replaces the organization's accounts; it panics on an ID that is not 12 digits.
func (o *Organizations) SetAccounts(accounts ...string) {
	for _, a := range accounts {
		if !orgAccountIDPattern.MatchString(a) {
			panic(fmt.Sprintf("localaws: account ID %q is not 12 digits", a))
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.accounts = slices.Sorted(slices.Values(slices.Clone(accounts)))
}

// Reset forgets the recorded calls and the fault hook.
func (o *Organizations) Reset() { o.rec.reset() }

// OnCall sets the hook deciding the faults the fake answers (nil: none) until the next Reset.
func (o *Organizations) OnCall(f FaultFunc) { o.rec.setFaults(f) }

// Calls returns the calls received since the last reset, in arrival order.
func (o *Organizations) Calls() []Call { return o.rec.snapshot() }

// Operations returns the calls per operation since the last reset that were not SDK retries.
func (o *Organizations) Operations() map[string]int { return o.rec.operations() }

func (o *Organizations) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op := trimOp(target)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	var in *ListAccountsInput
	var decodeErr *apiError
	if err == nil {
		in, decodeErr = decodeListAccounts(target, body)
	} else {
		decodeErr = &apiError{http.StatusBadRequest, errSerialization, err.Error()}
	}
	var input any
	if in != nil {
		input = in
	}
	i, fault := o.rec.begin(op, input, r.Header)
	w = o.rec.writer(w, i)
	var status int
	var code string
	switch {
	case fault != nil && fault.Hang:
		hang(r, o.stopping)
	case fault.isError():
		var message string
		status, code, message = fault.errorAnswer()
		writeJSONError(w, &apiError{status, code, message})
	case decodeErr != nil:
		status, code = decodeErr.status, decodeErr.code
		writeJSONError(w, decodeErr)
	default:
		out, aerr := o.listAccounts(in)
		if aerr != nil {
			status, code = aerr.status, aerr.code
			writeJSONError(w, aerr)
		} else {
			status = http.StatusOK
			writeJSON(w, status, out)
		}
	}
	o.rec.end(i, status, code)
}

// decodeListAccounts decodes a ListAccounts request; any other target is an unknown operation.
func decodeListAccounts(target string, body []byte) (*ListAccountsInput, *apiError) {
	if target != orgTargetPrefix+opListAccounts {
		return nil, &apiError{http.StatusBadRequest, errUnknownOperation, fmt.Sprintf("the fake AWS Organizations does not serve X-Amz-Target %q", target)}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	var w struct {
		MaxResults *int    `json:"MaxResults"`
		NextToken  *string `json:"NextToken"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, &apiError{http.StatusBadRequest, errSerialization, "Start of structure or map found where not expected: " + err.Error()}
	}
	in := &ListAccountsInput{NextToken: deref(w.NextToken)}
	if w.MaxResults != nil {
		if *w.MaxResults < 1 || *w.MaxResults > maxListAccountsResults {
			return in, &apiError{http.StatusBadRequest, errInvalidInput,
				fmt.Sprintf("MaxResults %d is not valid: it must be from 1 to %d.", *w.MaxResults, maxListAccountsResults)}
		}
		in.MaxResults = *w.MaxResults
	}
	return in, nil
}

// listAccounts answers a page of the organization's accounts.
func (o *Organizations) listAccounts(in *ListAccountsInput) (any, *apiError) {
	o.mu.Lock()
	accounts := slices.Clone(o.accounts)
	o.mu.Unlock()
	if len(accounts) == 0 {
		return nil, &apiError{http.StatusBadRequest, errOrgNotInUse, "Your account is not a member of an organization."}
	}
	start := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(in.NextToken)
		if err != nil || n <= 0 || n >= len(accounts) {
			return nil, &apiError{http.StatusBadRequest, errInvalidInput, "You specified an invalid value for nextToken. You must get the value from the response to a previous call to the API."}
		}
		start = n
	}
	type wireAccount struct {
		ID              string      `json:"Id"`
		Arn             string      `json:"Arn"`
		Email           string      `json:"Email"`
		Name            string      `json:"Name"`
		Status          string      `json:"Status"`
		State           string      `json:"State"`
		JoinedMethod    string      `json:"JoinedMethod"`
		JoinedTimestamp json.Number `json:"JoinedTimestamp"`
	}
	out := struct {
		Accounts  []wireAccount `json:"Accounts"`
		NextToken string        `json:"NextToken,omitempty"`
	}{Accounts: []wireAccount{}}
	// AWS does not say how many a page holds without MaxResults; the fake answers its maximum.
	end := min(start+cmp.Or(in.MaxResults, maxListAccountsResults), len(accounts))
	joined := epochNumber(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	// The first account stands for the management account, which the accounts' ARNs name.
	for _, id := range accounts[start:end] {
		out.Accounts = append(out.Accounts, wireAccount{
			ID:    id,
			Arn:   fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", accounts[0], o.ID, id),
			Email: id + "@example.com", Name: "account-" + id,
			Status: orgAccountStatus, State: orgAccountStatus, JoinedMethod: "CREATED", JoinedTimestamp: joined,
		})
	}
	if end < len(accounts) {
		out.NextToken = strconv.Itoa(end)
	}
	return out, nil
}
