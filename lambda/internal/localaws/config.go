package localaws

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Limits of the AWS Config API that the fake enforces, as the API reference states them
// (PutEvaluations: at most 100 Evaluations, an Annotation of 1 to 256 characters;
// GetComplianceDetailsByConfigRule: Limit 0 to 100, default 10). They are the fake's own numbers,
// never the function's constants, so that a wrong constant in the function is refused here.
const (
	maxEvaluationsPerPut  = 100
	maxAnnotationLength   = 256
	maxResourceTypeLength = 256
	maxResourceIDLength   = 768
	maxDetailsLimit       = 100
	defaultDetailsLimit   = 10
)

// The operations the fake serves, named in X-Amz-Target as targetPrefix + operation.
const (
	targetPrefix           = "StarlingDoveService."
	opPutEvaluations       = "PutEvaluations"
	opGetComplianceDetails = "GetComplianceDetailsByConfigRule"
	jsonContentType        = "application/x-amz-json-1.1"
)

// The error codes the fake answers, as AWS Config spells them.
const (
	errInvalidParameterValue = "InvalidParameterValueException"
	errInvalidResultToken    = "InvalidResultTokenException"
	errNoSuchConfigRule      = "NoSuchConfigRuleException"
	errInvalidNextToken      = "InvalidNextTokenException"
	errSerialization         = "SerializationException"
	errUnknownOperation      = "UnknownOperationException"
)

// Compliance types: PutEvaluations takes the first three, queries all four.
const (
	complianceTypeCompliant     = "COMPLIANT"
	complianceTypeNonCompliant  = "NON_COMPLIANT"
	complianceTypeNotApplicable = "NOT_APPLICABLE"
	complianceTypeInsufficient  = "INSUFFICIENT_DATA"
)

// Evaluation is one evaluation as PutEvaluations carries it and the fake stores it.
type Evaluation struct {
	ResourceType string
	ResourceID   string
	Compliance   string
	// Annotation is "" when the evaluation carried none.
	Annotation string
	// OrderingTime is the evaluation's OrderingTimestamp, to the millisecond as on the wire.
	OrderingTime time.Time
}

// PutEvaluationsInput is a decoded PutEvaluations request.
type PutEvaluationsInput struct {
	ResultToken string
	TestMode    bool
	Evaluations []Evaluation
}

// GetComplianceDetailsInput is a decoded GetComplianceDetailsByConfigRule request.
type GetComplianceDetailsInput struct {
	ConfigRuleName  string
	ComplianceTypes []string
	Limit           int
	NextToken       string
}

// ConfigService is a fake of the AWS Config API for one custom rule, over the real JSON 1.1
// protocol: PutEvaluations (validated as AWS does, and stored unless TestMode) and
// GetComplianceDetailsByConfigRule (paginated over what is stored). Every call is recorded.
type ConfigService struct {
	// URL is the fake's address, for AWS_ENDPOINT_URL_CONFIG_SERVICE or a client's BaseEndpoint.
	URL string
	// RuleName is the rule whose results the fake holds; PutEvaluations results belong to it.
	RuleName string

	srv      *httptest.Server
	rec      recorder
	stopping chan struct{}
	stopOnce sync.Once

	mu     sync.Mutex
	stored map[resultKey]storedResult
}

type resultKey struct{ resourceType, resourceID string }

// storedResult is a result as Config holds it, with the times GetComplianceDetailsByConfigRule
// answers: ConfigRuleInvokedTime (when the rule was invoked for it) and ResultRecordedTime (when
// Config recorded it; never earlier).
type storedResult struct {
	Evaluation
	invoked, recorded time.Time
}

// StartConfigService starts the fake on a free loopback port, holding results for ruleName.
// The caller must Stop it.
func StartConfigService(ruleName string) *ConfigService {
	c := &ConfigService{RuleName: ruleName, stopping: make(chan struct{}), stored: make(map[resultKey]storedResult)}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	c.URL = c.srv.URL
	return c
}

// Stop stops the fake, releasing calls held by a Hang fault. It may be called again.
func (c *ConfigService) Stop() {
	c.stopOnce.Do(func() {
		close(c.stopping)
		c.srv.Close()
	})
}

// Reset forgets the stored results, the recorded calls and the fault hook.
func (c *ConfigService) Reset() {
	c.rec.reset()
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.stored)
}

// ResetCalls forgets the recorded calls and counts, keeping the stored results and the hook.
func (c *ConfigService) ResetCalls() {
	c.rec.mu.Lock()
	defer c.rec.mu.Unlock()
	c.rec.calls, c.rec.counts = nil, nil
}

// OnCall sets the hook deciding the faults the fake answers (nil: none) until the next Reset.
func (c *ConfigService) OnCall(f FaultFunc) { c.rec.setFaults(f) }

// Calls returns the calls received since the last reset, in arrival order.
func (c *ConfigService) Calls() []Call { return c.rec.snapshot() }

// Counts returns the number of calls per operation received since the last reset, SDK
// retries included and Repeats not.
func (c *ConfigService) Counts() map[string]int { return c.rec.countsCopy() }

// Operations returns the calls per operation since the last reset that were not SDK retries.
func (c *ConfigService) Operations() map[string]int { return c.rec.operations() }

// Puts returns every PutEvaluations request received since the last reset, in order, whatever
// it was answered; a Repeat is not a new request.
func (c *ConfigService) Puts() []PutEvaluationsInput {
	var out []PutEvaluationsInput
	for _, call := range c.rec.snapshot() {
		if in, ok := call.Input.(*PutEvaluationsInput); ok && !call.Repeat {
			out = append(out, *in)
		}
	}
	return out
}

// Seed stores results as if earlier evaluations of the rule had reported them, each invoked and
// recorded at its OrderingTime (now, where that is zero).
func (c *ConfigService) Seed(evals ...Evaluation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	for _, e := range evals {
		at := e.OrderingTime
		if at.IsZero() {
			at = now
		}
		c.stored[resultKey{e.ResourceType, e.ResourceID}] = storedResult{e, at, at}
	}
}

// SeedRecorded stores results as Seed does, invoked and recorded at the times given.
func (c *ConfigService) SeedRecorded(invoked, recorded time.Time, evals ...Evaluation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range evals {
		c.stored[resultKey{e.ResourceType, e.ResourceID}] = storedResult{e, invoked, recorded}
	}
}

// Stored returns the results the fake holds, ordered by resource type and ID.
func (c *ConfigService) Stored() []Evaluation {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Evaluation, 0, len(c.stored))
	for _, r := range c.storedSorted() {
		out = append(out, r.Evaluation)
	}
	return out
}

func (c *ConfigService) storedSorted() []storedResult {
	out := make([]storedResult, 0, len(c.stored))
	for _, r := range c.stored {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b storedResult) int {
		return cmp.Or(cmp.Compare(a.ResourceType, b.ResourceType), cmp.Compare(a.ResourceID, b.ResourceID))
	})
	return out
}

// apiError is an AWS JSON-protocol error answer.
type apiError struct {
	status  int
	code    string
	message string
}

func invalid(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, errInvalidParameterValue, fmt.Sprintf(format, args...)}
}

func (c *ConfigService) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op := trimOp(target)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	var input any
	var put *wirePutEvaluations
	var decodeErr *apiError
	if err == nil {
		input, put, decodeErr = decodeConfigInput(target, body)
	} else {
		decodeErr = &apiError{http.StatusBadRequest, errSerialization, err.Error()}
	}
	i, fault := c.rec.begin(op, input, r.Header)
	w = c.rec.writer(w, i)
	var status int
	var code string
	switch {
	case fault != nil && fault.Hang:
		hang(r, c.stopping)
	case fault.isError():
		var message string
		status, code, message = fault.errorAnswer()
		writeJSONError(w, &apiError{status, code, message})
	case decodeErr != nil:
		status, code = decodeErr.status, decodeErr.code
		writeJSONError(w, decodeErr)
	default:
		var out any
		var aerr *apiError
		switch in := input.(type) {
		case *PutEvaluationsInput:
			refuse := 0
			if fault != nil {
				refuse = fault.RefuseEvaluations
			}
			out, aerr = c.putEvaluations(in, put, refuse)
		case *GetComplianceDetailsInput:
			out, aerr = c.getComplianceDetails(in)
		}
		if aerr != nil {
			status, code = aerr.status, aerr.code
			writeJSONError(w, aerr)
		} else {
			status = http.StatusOK
			writeJSON(w, status, out)
		}
	}
	c.rec.end(i, status, code)
}

// The request and answer shapes on the wire. Pointers tell absent members from empty ones.
type (
	wireEvaluation struct {
		ComplianceResourceType *string      `json:"ComplianceResourceType,omitempty"`
		ComplianceResourceID   *string      `json:"ComplianceResourceId,omitempty"`
		ComplianceType         *string      `json:"ComplianceType,omitempty"`
		Annotation             *string      `json:"Annotation,omitempty"`
		OrderingTimestamp      *json.Number `json:"OrderingTimestamp,omitempty"`
	}
	wirePutEvaluations struct {
		Evaluations []wireEvaluation `json:"Evaluations"`
		ResultToken *string          `json:"ResultToken"`
		TestMode    bool             `json:"TestMode"`
	}
	wireGetComplianceDetails struct {
		ConfigRuleName  *string  `json:"ConfigRuleName"`
		ComplianceTypes []string `json:"ComplianceTypes"`
		Limit           int      `json:"Limit"`
		NextToken       string   `json:"NextToken"`
	}
	wireQualifier struct {
		ConfigRuleName string `json:"ConfigRuleName"`
		ResourceType   string `json:"ResourceType"`
		ResourceID     string `json:"ResourceId"`
		EvaluationMode string `json:"EvaluationMode"`
	}
	wireEvaluationResult struct {
		EvaluationResultIdentifier struct {
			EvaluationResultQualifier wireQualifier `json:"EvaluationResultQualifier"`
			OrderingTimestamp         json.Number   `json:"OrderingTimestamp"`
		} `json:"EvaluationResultIdentifier"`
		ComplianceType        string      `json:"ComplianceType"`
		Annotation            *string     `json:"Annotation,omitempty"`
		ResultRecordedTime    json.Number `json:"ResultRecordedTime"`
		ConfigRuleInvokedTime json.Number `json:"ConfigRuleInvokedTime"`
	}
)

// decodeConfigInput decodes a request body into the input type of target's operation; for
// PutEvaluations it also returns the request as it was on the wire, for validation.
func decodeConfigInput(target string, body []byte) (any, *wirePutEvaluations, *apiError) {
	unmarshal := func(v any) *apiError {
		if len(bytes.TrimSpace(body)) == 0 {
			body = []byte("{}")
		}
		if err := json.Unmarshal(body, v); err != nil {
			return &apiError{http.StatusBadRequest, errSerialization, "Start of structure or map found where not expected: " + err.Error()}
		}
		return nil
	}
	switch target {
	case targetPrefix + opPutEvaluations:
		var w wirePutEvaluations
		if err := unmarshal(&w); err != nil {
			return nil, nil, err
		}
		in := &PutEvaluationsInput{ResultToken: deref(w.ResultToken), TestMode: w.TestMode}
		for _, e := range w.Evaluations {
			in.Evaluations = append(in.Evaluations, Evaluation{
				ResourceType: deref(e.ComplianceResourceType),
				ResourceID:   deref(e.ComplianceResourceID),
				Compliance:   deref(e.ComplianceType),
				Annotation:   deref(e.Annotation),
				OrderingTime: epochTime(e.OrderingTimestamp),
			})
		}
		return in, &w, nil
	case targetPrefix + opGetComplianceDetails:
		var w wireGetComplianceDetails
		if err := unmarshal(&w); err != nil {
			return nil, nil, err
		}
		return &GetComplianceDetailsInput{ConfigRuleName: deref(w.ConfigRuleName), ComplianceTypes: w.ComplianceTypes, Limit: w.Limit, NextToken: w.NextToken}, nil, nil
	}
	return nil, nil, &apiError{http.StatusBadRequest, errUnknownOperation, fmt.Sprintf("the fake AWS Config does not serve X-Amz-Target %q", target)}
}

// putEvaluations validates a PutEvaluations request as AWS Config does and stores what it
// carries, except the first refuse evaluations, which it answers as failed.
func (c *ConfigService) putEvaluations(in *PutEvaluationsInput, w *wirePutEvaluations, refuse int) (any, *apiError) {
	if w.ResultToken == nil || *w.ResultToken == "" {
		return nil, &apiError{http.StatusBadRequest, errInvalidResultToken, "The resultToken provided is invalid: it must not be empty."}
	}
	if len(w.Evaluations) > maxEvaluationsPerPut {
		return nil, invalid("Evaluations has %d members; at most %d are allowed per call.", len(w.Evaluations), maxEvaluationsPerPut)
	}
	for i, e := range w.Evaluations {
		if err := validateEvaluation(i, e); err != nil {
			return nil, err
		}
	}
	refuse = min(max(refuse, 0), len(w.Evaluations))
	failed := make([]wireEvaluation, 0, refuse)
	failed = append(failed, w.Evaluations[:refuse]...)
	if !in.TestMode {
		c.mu.Lock()
		// Recorded on arrival. The fake does not invoke the rule, so the invocation's time is
		// the latest it can have been: the put's.
		now := time.Now()
		for _, e := range in.Evaluations[refuse:] {
			k := resultKey{e.ResourceType, e.ResourceID}
			// Config keeps the newest evaluation of a resource by OrderingTimestamp.
			if old, ok := c.stored[k]; ok && old.OrderingTime.After(e.OrderingTime) {
				continue
			}
			c.stored[k] = storedResult{e, now, now}
		}
		c.mu.Unlock()
	}
	return struct {
		FailedEvaluations []wireEvaluation `json:"FailedEvaluations"`
	}{failed}, nil
}

func validateEvaluation(i int, e wireEvaluation) *apiError {
	field := func(name string) string { return fmt.Sprintf("Evaluations[%d].%s", i, name) }
	switch {
	case e.ComplianceResourceType == nil || *e.ComplianceResourceType == "":
		return invalid("%s is required.", field("ComplianceResourceType"))
	case utf8.RuneCountInString(*e.ComplianceResourceType) > maxResourceTypeLength:
		return invalid("%s is longer than %d characters.", field("ComplianceResourceType"), maxResourceTypeLength)
	case e.ComplianceResourceID == nil || *e.ComplianceResourceID == "":
		return invalid("%s is required.", field("ComplianceResourceId"))
	case utf8.RuneCountInString(*e.ComplianceResourceID) > maxResourceIDLength:
		return invalid("%s is longer than %d characters.", field("ComplianceResourceId"), maxResourceIDLength)
	case e.ComplianceType == nil:
		return invalid("%s is required.", field("ComplianceType"))
	case *e.ComplianceType != complianceTypeCompliant && *e.ComplianceType != complianceTypeNonCompliant && *e.ComplianceType != complianceTypeNotApplicable:
		return invalid("%s %q is not valid: AWS Config supports only COMPLIANT, NON_COMPLIANT and NOT_APPLICABLE for evaluations.", field("ComplianceType"), *e.ComplianceType)
	case e.OrderingTimestamp == nil:
		return invalid("%s is required.", field("OrderingTimestamp"))
	case e.Annotation != nil && *e.Annotation == "":
		return invalid("%s is empty; it must be 1 to %d characters, or absent.", field("Annotation"), maxAnnotationLength)
	case e.Annotation != nil && utf8.RuneCountInString(*e.Annotation) > maxAnnotationLength:
		return invalid("%s has %d characters; at most %d are allowed.", field("Annotation"), utf8.RuneCountInString(*e.Annotation), maxAnnotationLength)
	}
	if _, err := e.OrderingTimestamp.Float64(); err != nil {
		return invalid("%s %q is not a timestamp.", field("OrderingTimestamp"), e.OrderingTimestamp.String())
	}
	return nil
}

// getComplianceDetails answers a page of the stored results of the rule.
func (c *ConfigService) getComplianceDetails(in *GetComplianceDetailsInput) (any, *apiError) {
	if in.ConfigRuleName == "" {
		return nil, invalid("ConfigRuleName is required.")
	}
	if in.ConfigRuleName != c.RuleName {
		return nil, &apiError{http.StatusBadRequest, errNoSuchConfigRule, fmt.Sprintf("The ConfigRule '%s' provided in the request is invalid. Please check the configRule name.", in.ConfigRuleName)}
	}
	if in.Limit < 0 || in.Limit > maxDetailsLimit {
		return nil, invalid("Limit %d is not valid: it must be from 0 to %d.", in.Limit, maxDetailsLimit)
	}
	limit := cmp.Or(in.Limit, defaultDetailsLimit)
	for _, t := range in.ComplianceTypes {
		if t != complianceTypeCompliant && t != complianceTypeNonCompliant && t != complianceTypeNotApplicable && t != complianceTypeInsufficient {
			return nil, invalid("ComplianceTypes member %q is not valid.", t)
		}
	}
	start := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(in.NextToken)
		if err != nil || n < 0 {
			return nil, &apiError{http.StatusBadRequest, errInvalidNextToken, "The nextToken provided is invalid."}
		}
		start = n
	}

	c.mu.Lock()
	var matching []storedResult
	for _, r := range c.storedSorted() {
		if len(in.ComplianceTypes) == 0 || slices.Contains(in.ComplianceTypes, r.Compliance) {
			matching = append(matching, r)
		}
	}
	c.mu.Unlock()

	out := struct {
		EvaluationResults []wireEvaluationResult `json:"EvaluationResults"`
		NextToken         string                 `json:"NextToken,omitempty"`
	}{EvaluationResults: []wireEvaluationResult{}}
	end := min(start+limit, len(matching))
	for _, r := range matching[min(start, end):end] {
		var res wireEvaluationResult
		res.EvaluationResultIdentifier.EvaluationResultQualifier = wireQualifier{
			ConfigRuleName: c.RuleName, ResourceType: r.ResourceType, ResourceID: r.ResourceID, EvaluationMode: "DETECTIVE",
		}
		res.EvaluationResultIdentifier.OrderingTimestamp = epochNumber(r.OrderingTime)
		res.ComplianceType = r.Compliance
		if r.Annotation != "" {
			res.Annotation = &r.Annotation
		}
		res.ResultRecordedTime = epochNumber(r.recorded)
		res.ConfigRuleInvokedTime = epochNumber(r.invoked)
		out.EvaluationResults = append(out.EvaluationResults, res)
	}
	if end < len(matching) {
		out.NextToken = strconv.Itoa(end)
	}
	return out, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"__type":"InternalFailure","message":"the fake could not encode its answer"}`)
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("fake-%d", time.Now().UnixNano()))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeJSONError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.code, e.message})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// epochTime reads a JSON 1.1 timestamp (seconds since the epoch) to the millisecond.
func epochTime(n *json.Number) time.Time {
	if n == nil {
		return time.Time{}
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(int64(math.Round(f * 1000))).UTC()
}

// epochNumber writes t as a JSON 1.1 timestamp.
func epochNumber(t time.Time) json.Number {
	return json.Number(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64))
}
