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
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Limits of Security Hub's BatchImportFindings and of the ASFF that the fake enforces, as AWS
// documents them (Security Hub API Reference: BatchImportFindings, AwsSecurityFinding,
// Recommendation; user guide: "Resources ASFF object", FindingProviderFields).
const (
	shMaxFindingsPerImport = 100
	shMaxFindingBytes      = 240 * 1024
	shMaxIDLength          = 512
	shMaxGeneratorIDLength = 512
	shMaxTitleLength       = 256
	shMaxDescriptionLength = 1024
	shMaxRecommendation    = 512
	shMaxResources         = 32
	shMaxTypes             = 50
	shMaxGetFindings       = 100
	shSchemaVersion        = "2018-10-08"
)

// The operations the fake serves, as the REST paths of Security Hub's API.
const (
	opBatchImportFindings = "BatchImportFindings"
	opGetFindings         = "GetFindings"
)

// ASFF's enumerations and type namespaces.
var (
	shSeverityLabels = []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
	shComplianceOK   = []string{"PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"}
	shRecordStates   = []string{"ACTIVE", "ARCHIVED"}
	shPartitions     = []string{"aws", "aws-cn", "aws-us-gov"}
	shTypeNamespaces = []string{"Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors", "Sensitive Data Identifications"}
	// shTimestamp is the RFC 3339 forms the API Reference lists for ASFF timestamps.
	shAccountID = regexp.MustCompile(`^\d{12}$`)
	shTimestamp = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)$`)
)

// Finding is a finding the Security Hub fake holds: the fields tests look at, and the whole
// finding as it was imported.
type Finding struct {
	ID, ProductARN, GeneratorID, AwsAccountID string
	Title, Description                        string
	ComplianceStatus, RecordState             string
	SeverityLabel                             string
	RelatedRequirements                       []string
	CreatedAt, UpdatedAt                      string
	// ResourceID is the first resource's Id.
	ResourceID string
	// Raw is the finding's JSON as imported.
	Raw json.RawMessage
}

// SecurityHub is a fake of the Security Hub API for one account and Region, over the real REST
// JSON protocol: BatchImportFindings (each finding validated as AWS documents ASFF, refused ones
// answered in FailedFindings, updates applied only when UpdatedAt is later, as Security Hub
// does) and GetFindings (with the Id, GeneratorId, ProductArn, AwsAccountId, RecordState and
// ComplianceStatus filters, paginated). Every call is recorded; faults are injected with OnCall.
type SecurityHub struct {
	// URL is the fake's address, for a client's BaseEndpoint.
	URL string
	// Account and Region are where the fake's hub is: a finding must belong to this account's
	// own product in this Region.
	Account, Region string

	srv      *httptest.Server
	rec      recorder
	stopping chan struct{}
	stopOnce sync.Once

	mu     sync.Mutex
	stored map[string]Finding // by ProductArn and Id
}

// StartSecurityHub starts the fake on a free loopback port for account in region. The caller
// must Stop it.
func StartSecurityHub(account, region string) *SecurityHub {
	s := &SecurityHub{Account: account, Region: region, stopping: make(chan struct{}), stored: make(map[string]Finding)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Stop stops the fake. It may be called again.
func (s *SecurityHub) Stop() {
	s.stopOnce.Do(func() {
		close(s.stopping)
		s.srv.Close()
	})
}

// ResetCalls forgets the recorded calls and counts, keeping the findings and the hook.
func (s *SecurityHub) ResetCalls() {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	s.rec.calls, s.rec.counts = nil, nil
}

// OnCall sets the hook deciding the faults the fake answers (nil: none).
func (s *SecurityHub) OnCall(f FaultFunc) { s.rec.setFaults(f) }

// Calls returns the calls received since the last reset, in arrival order.
func (s *SecurityHub) Calls() []Call { return s.rec.snapshot() }

// Counts returns the calls per operation, SDK retries included and Repeats not.
func (s *SecurityHub) Counts() map[string]int { return s.rec.countsCopy() }

// Operations returns the calls per operation that were not SDK retries.
func (s *SecurityHub) Operations() map[string]int { return s.rec.operations() }

// Stored returns the findings the fake holds, ordered by Id.
func (s *SecurityHub) Stored() []Finding {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Finding, 0, len(s.stored))
	for _, f := range s.stored {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b Finding) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// productARN is the account's own product in the fake's Region.
func (s *SecurityHub) productARN(partition string) string {
	return "arn:" + partition + ":securityhub:" + s.Region + ":" + s.Account + ":product/" + s.Account + "/default"
}

func (s *SecurityHub) serve(w http.ResponseWriter, r *http.Request) {
	var op string
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/findings/import":
		op = opBatchImportFindings
	case r.Method == http.MethodPost && r.URL.Path == "/findings":
		op = opGetFindings
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	i, fault := s.rec.begin(op, json.RawMessage(body), r.Header)
	w = s.rec.writer(w, i)
	status, code := http.StatusOK, ""
	answer := func(st int, c, message string) {
		status, code = st, c
		writeRESTError(w, st, c, message)
	}
	switch {
	case op == "":
		answer(http.StatusNotFound, "ResourceNotFoundException", fmt.Sprintf("the fake Security Hub does not serve %s %s", r.Method, r.URL.Path))
	case err != nil:
		answer(http.StatusBadRequest, "InvalidInputException", err.Error())
	case fault != nil && fault.Hang:
		hang(r, s.stopping)
	case fault.isError():
		st, c, message := fault.errorAnswer()
		answer(st, c, message)
	case op == opBatchImportFindings:
		refuse := 0
		if fault != nil {
			refuse = fault.RefuseFindings
		}
		out, aerr := s.batchImport(body, refuse)
		if aerr != nil {
			answer(aerr.status, aerr.code, aerr.message)
		} else {
			writeRESTJSON(w, http.StatusOK, out)
		}
	default:
		out, aerr := s.getFindings(body)
		if aerr != nil {
			answer(aerr.status, aerr.code, aerr.message)
		} else {
			writeRESTJSON(w, http.StatusOK, out)
		}
	}
	s.rec.end(i, status, code)
}

type shFailed struct {
	ID           string `json:"Id"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

// batchImport validates each finding and stores the valid ones, except the first refuse, which
// it answers as failed (a fault).
func (s *SecurityHub) batchImport(body []byte, refuse int) (any, *apiError) {
	var req struct {
		Findings []json.RawMessage `json:"Findings"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, &apiError{http.StatusBadRequest, "InvalidInputException", "the request is not a JSON object with Findings: " + err.Error()}
	}
	if len(req.Findings) == 0 || len(req.Findings) > shMaxFindingsPerImport {
		return nil, &apiError{http.StatusBadRequest, "InvalidInputException", fmt.Sprintf("Findings has %d members; 1 to %d are allowed per call.", len(req.Findings), shMaxFindingsPerImport)}
	}
	failed := []shFailed{}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, raw := range req.Findings {
		f, reason := s.validateFinding(raw)
		switch {
		case reason != "":
			failed = append(failed, shFailed{ID: f.ID, ErrorCode: "InvalidInput", ErrorMessage: reason})
			continue
		case i < refuse:
			failed = append(failed, shFailed{ID: f.ID, ErrorCode: "InternalException", ErrorMessage: "Refusal injected by the test."})
			continue
		}
		key := f.ProductARN + "\x00" + f.ID
		if old, ok := s.stored[key]; ok {
			// Security Hub ignores an update whose UpdatedAt is before the finding's.
			if parseASFFTime(f.UpdatedAt).Before(parseASFFTime(old.UpdatedAt)) {
				continue
			}
		}
		s.stored[key] = f
	}
	return struct {
		FailedCount    int        `json:"FailedCount"`
		SuccessCount   int        `json:"SuccessCount"`
		FailedFindings []shFailed `json:"FailedFindings"`
	}{len(failed), len(req.Findings) - len(failed), failed}, nil
}

// wireFinding is the part of an ASFF finding the fake validates.
type wireFinding struct {
	SchemaVersion, Id, ProductArn, GeneratorId, AwsAccountId *string
	CreatedAt, UpdatedAt, FirstObservedAt, LastObservedAt    *string
	Title, Description, RecordState                          *string
	Types                                                    []string
	Severity                                                 *struct{ Label *string }
	FindingProviderFields                                    *struct {
		Severity *struct{ Label *string }
		Types    []string
	}
	Compliance *struct {
		Status              *string
		RelatedRequirements []string
	}
	Remediation *struct {
		Recommendation *struct{ Text, Url *string }
	}
	Resources []struct {
		Type, Id, Partition, Region *string
		Tags                        map[string]string
	}
}

// validateFinding returns the finding and, when Security Hub would refuse it, why.
func (s *SecurityHub) validateFinding(raw json.RawMessage) (Finding, string) {
	var w wireFinding
	if err := json.Unmarshal(raw, &w); err != nil {
		return Finding{}, "the finding is not a valid ASFF object: " + err.Error()
	}
	f := Finding{ID: deref(w.Id), ProductARN: deref(w.ProductArn), GeneratorID: deref(w.GeneratorId), AwsAccountID: deref(w.AwsAccountId),
		Title: deref(w.Title), Description: deref(w.Description), RecordState: cmp.Or(deref(w.RecordState), "ACTIVE"),
		CreatedAt: deref(w.CreatedAt), UpdatedAt: deref(w.UpdatedAt), Raw: bytes.Clone(raw)}
	if w.Compliance != nil {
		f.ComplianceStatus = deref(w.Compliance.Status)
		f.RelatedRequirements = w.Compliance.RelatedRequirements
	}
	if w.FindingProviderFields != nil && w.FindingProviderFields.Severity != nil {
		f.SeverityLabel = deref(w.FindingProviderFields.Severity.Label)
	} else if w.Severity != nil {
		f.SeverityLabel = deref(w.Severity.Label)
	}
	if len(w.Resources) > 0 {
		f.ResourceID = deref(w.Resources[0].Id)
	}
	length := func(name string, v *string, limit int) string {
		switch {
		case v == nil || strings.TrimSpace(*v) == "":
			return name + " is required."
		case utf8.RuneCountInString(*v) > limit:
			return fmt.Sprintf("%s has %d characters; at most %d are allowed.", name, utf8.RuneCountInString(*v), limit)
		}
		return ""
	}
	timestamp := func(name string, v *string, required bool) string {
		if v == nil {
			if required {
				return name + " is required."
			}
			return ""
		}
		if !shTimestamp.MatchString(*v) || parseASFFTime(*v).IsZero() {
			return fmt.Sprintf("%s %q is not one of the RFC 3339 timestamp formats ASFF accepts.", name, *v)
		}
		return ""
	}
	partition := ""
	if parts := strings.SplitN(f.ProductARN, ":", 3); len(parts) == 3 {
		partition = parts[1]
	}
	types := w.Types
	if w.FindingProviderFields != nil && len(w.FindingProviderFields.Types) > 0 {
		types = w.FindingProviderFields.Types
	}
	checks := []string{
		length("Id", w.Id, shMaxIDLength),
		length("GeneratorId", w.GeneratorId, shMaxGeneratorIDLength),
		length("Title", w.Title, shMaxTitleLength),
		length("Description", w.Description, shMaxDescriptionLength),
		timestamp("CreatedAt", w.CreatedAt, true),
		timestamp("UpdatedAt", w.UpdatedAt, true),
		timestamp("FirstObservedAt", w.FirstObservedAt, false),
		timestamp("LastObservedAt", w.LastObservedAt, false),
	}
	switch {
	case len(raw) > shMaxFindingBytes:
		checks = append(checks, fmt.Sprintf("the finding has %d bytes; at most %d are allowed.", len(raw), shMaxFindingBytes))
	case deref(w.SchemaVersion) != shSchemaVersion:
		checks = append(checks, fmt.Sprintf("SchemaVersion %q is not %s.", deref(w.SchemaVersion), shSchemaVersion))
	case !shAccountID.MatchString(f.AwsAccountID):
		checks = append(checks, "AwsAccountId must be a 12-digit account ID.")
	case f.AwsAccountID != s.Account:
		checks = append(checks, "AwsAccountId "+f.AwsAccountID+" is not the calling account "+s.Account+".")
	case f.ProductARN != s.productARN(partition):
		checks = append(checks, "ProductArn "+f.ProductARN+" is not this account's own product "+s.productARN(partition)+".")
	case len(types) == 0 || len(types) > shMaxTypes:
		checks = append(checks, fmt.Sprintf("Types has %d members; 1 to %d are allowed.", len(types), shMaxTypes))
	case f.SeverityLabel == "" || !slices.Contains(shSeverityLabels, f.SeverityLabel):
		checks = append(checks, fmt.Sprintf("Severity.Label %q is not one of %s.", f.SeverityLabel, strings.Join(shSeverityLabels, ", ")))
	case !slices.Contains(shRecordStates, f.RecordState):
		checks = append(checks, "RecordState "+f.RecordState+" is not ACTIVE or ARCHIVED.")
	case w.Compliance != nil && !slices.Contains(shComplianceOK, f.ComplianceStatus):
		checks = append(checks, "Compliance.Status "+f.ComplianceStatus+" is not one of "+strings.Join(shComplianceOK, ", ")+".")
	case len(w.Resources) == 0 || len(w.Resources) > shMaxResources:
		checks = append(checks, fmt.Sprintf("Resources has %d members; 1 to %d are allowed.", len(w.Resources), shMaxResources))
	}
	for _, t := range types {
		parts := strings.Split(t, "/")
		if len(parts) < 2 || len(parts) > 3 || !slices.Contains(shTypeNamespaces, parts[0]) {
			checks = append(checks, fmt.Sprintf("Types member %q is not namespace/category[/classifier] with a namespace of the ASFF taxonomy.", t))
		}
	}
	if w.Remediation != nil && w.Remediation.Recommendation != nil && w.Remediation.Recommendation.Text != nil {
		checks = append(checks, length("Remediation.Recommendation.Text", w.Remediation.Recommendation.Text, shMaxRecommendation))
	}
	for i, r := range w.Resources {
		checks = append(checks, length(fmt.Sprintf("Resources[%d].Type", i), r.Type, 256), length(fmt.Sprintf("Resources[%d].Id", i), r.Id, 512))
		if r.Partition != nil && !slices.Contains(shPartitions, *r.Partition) {
			checks = append(checks, fmt.Sprintf("Resources[%d].Partition %q is not one of %s.", i, *r.Partition, strings.Join(shPartitions, ", ")))
		}
	}
	for _, c := range checks {
		if c != "" {
			return f, c
		}
	}
	return f, ""
}

// parseASFFTime reads an ASFF timestamp; zero when it is not one.
func parseASFFTime(v string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700", "2006-01-02T15:04:05.999999999-07"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t
		}
	}
	return time.Time{}
}

type shStringFilter struct {
	Value      string `json:"Value"`
	Comparison string `json:"Comparison"`
}

// getFindings answers a page of the stored findings that match the filters.
func (s *SecurityHub) getFindings(body []byte) (any, *apiError) {
	var req struct {
		Filters    map[string][]shStringFilter `json:"Filters"`
		MaxResults int                         `json:"MaxResults"`
		NextToken  string                      `json:"NextToken"`
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, &apiError{http.StatusBadRequest, "InvalidInputException", "the request is not a GetFindings request the fake reads: " + err.Error()}
		}
	}
	if req.MaxResults < 0 || req.MaxResults > shMaxGetFindings {
		return nil, &apiError{http.StatusBadRequest, "InvalidInputException", fmt.Sprintf("MaxResults %d is not from 1 to %d.", req.MaxResults, shMaxGetFindings)}
	}
	fields := map[string]func(Finding) string{
		"Id": func(f Finding) string { return f.ID }, "GeneratorId": func(f Finding) string { return f.GeneratorID },
		"ProductArn": func(f Finding) string { return f.ProductARN }, "AwsAccountId": func(f Finding) string { return f.AwsAccountID },
		"RecordState": func(f Finding) string { return f.RecordState }, "ComplianceStatus": func(f Finding) string { return f.ComplianceStatus },
	}
	for name := range req.Filters {
		if fields[name] == nil {
			return nil, &apiError{http.StatusBadRequest, "InvalidInputException", "the fake does not filter on " + name}
		}
	}
	matches := func(f Finding) bool {
		for name, filters := range req.Filters {
			v, any := fields[name](f), false
			for _, flt := range filters {
				switch flt.Comparison {
				case "EQUALS":
					any = any || v == flt.Value
				case "PREFIX":
					any = any || strings.HasPrefix(v, flt.Value)
				default:
					return false
				}
			}
			if !any {
				return false
			}
		}
		return true
	}
	var found []json.RawMessage
	for _, f := range s.Stored() {
		if matches(f) {
			found = append(found, f.Raw)
		}
	}
	start, _ := strconv.Atoi(req.NextToken)
	limit := cmp.Or(req.MaxResults, shMaxGetFindings)
	end := min(start+limit, len(found))
	out := struct {
		Findings  []json.RawMessage `json:"Findings"`
		NextToken string            `json:"NextToken,omitempty"`
	}{Findings: []json.RawMessage{}}
	out.Findings = append(out.Findings, found[min(start, end):end]...)
	if end < len(found) {
		out.NextToken = strconv.Itoa(end)
	}
	return out, nil
}

func writeRESTJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"Message":"the fake could not encode its answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("fake-%d", time.Now().UnixNano()))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeRESTError answers an error as REST JSON services do: the code in X-Amzn-Errortype.
func writeRESTError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("X-Amzn-Errortype", code)
	writeRESTJSON(w, status, struct {
		Code    string `json:"Code"`
		Message string `json:"Message"`
	}{code, message})
}
