package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/findings"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// auditReport is the audit's result: what was run, with what, and every VPC's verdict.
type auditReport struct {
	Tool buildInfo `json:"tool"`
	Time time.Time `json:"time"`
	// Parameters are the rule parameters in effect, as ruleParameters would hold them.
	Parameters map[string]string `json:"parameters"`
	Targets    auditTargets      `json:"targets"`
	Results    []auditResult     `json:"results"`
	// Failures are the targets that could not be audited, with the reason.
	Failures []auditFailure `json:"failures"`
	Summary  auditSummary   `json:"summary"`

	// configRuleName is the rule name the findings of --output asff carry in their Ids.
	configRuleName string
}

// auditTargets counts the targets: an account and a region each.
type auditTargets struct {
	Total  int `json:"total"`
	Failed int `json:"failed"`
}

// auditResult is the verdict on one VPC.
type auditResult struct {
	Account    string          `json:"account"`
	Region     string          `json:"region"`
	VPCID      string          `json:"vpcId"`
	VPCARN     string          `json:"vpcArn"`
	Name       string          `json:"name"` // the Name tag
	IsDefault  bool            `json:"isDefault"`
	Compliance rule.Compliance `json:"compliance"`
	Annotation string          `json:"annotation"`

	// For --output asff: the VPC as read, the parameters it was decided under, its partition.
	vpc       rule.VPC
	params    rule.Params
	partition string
}

// auditFailure is a target that could not be audited. Region is empty when the account's
// regions could not be had (the role not assumable, DescribeRegions denied).
type auditFailure struct {
	Account string `json:"account"`
	Region  string `json:"region,omitempty"`
	Error   string `json:"error"`
}

type auditSummary struct {
	VPCs          int `json:"vpcs"`
	Compliant     int `json:"compliant"`
	NonCompliant  int `json:"nonCompliant"`
	NotApplicable int `json:"notApplicable"`
}

func (s *auditSummary) add(c rule.Compliance) {
	s.VPCs++
	switch c {
	case rule.Compliant:
		s.Compliant++
	case rule.NonCompliant:
		s.NonCompliant++
	case rule.NotApplicable:
		s.NotApplicable++
	}
}

// auditFormat writes a report in one output format. Every format is given the whole report, so
// a new one (a Security Hub finding per result, say) is one function and one entry below.
type auditFormat func(w io.Writer, r *auditReport) error

// auditFormats returns the formats of --output, by name.
func auditFormats() map[string]auditFormat {
	return map[string]auditFormat{
		"table": writeAuditTable,
		"json":  writeAuditJSON,
		"csv":   writeAuditCSV,
		"asff":  writeAuditASFF,
	}
}

// writeAuditASFF writes the Security Hub findings the function would import for the results (the
// rule parameter securityHubFindings), as a JSON array of ASFF findings that
// aws securityhub batch-import-findings takes: built by the function's own builder.
func writeAuditASFF(w io.Writer, r *auditReport) error {
	out := make([]findings.Finding, 0, len(r.Results))
	for _, res := range r.Results {
		out = append(out, findings.Build(findings.Input{
			Result:    rule.Result{ResourceType: rule.ResourceTypeVPC, ResourceID: res.VPCID, Compliance: res.Compliance, Annotation: res.Annotation},
			VPC:       &res.vpc,
			Params:    res.params,
			Partition: res.partition, Region: res.Region, AccountID: res.Account, RuleName: r.configRuleName,
			EvaluatedAt: r.Time,
		}))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeAuditJSON(w io.Writer, r *auditReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeAuditCSV writes one row per VPC, with a header; failed targets are on stderr only.
func writeAuditCSV(w io.Writer, r *auditReport) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"account", "region", "vpc_id", "vpc_arn", "name", "is_default", "compliance", "annotation"})
	for _, res := range r.Results {
		_ = cw.Write([]string{res.Account, res.Region, res.VPCID, res.VPCARN, csvText(res.Name), strconv.FormatBool(res.IsDefault), string(res.Compliance), csvText(res.Annotation)})
	}
	cw.Flush()
	return cw.Error()
}

// writeAuditTable writes one line per VPC and a summary. The account and region columns appear
// when the audit had more than one target; "(default)" marks a region's default VPC.
func writeAuditTable(w io.Writer, r *auditReport) error {
	multi := r.Targets.Total > 1
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if multi {
		fmt.Fprint(tw, "ACCOUNT\tREGION\t")
	}
	fmt.Fprintln(tw, "VPC\tNAME\tCOMPLIANCE\tANNOTATION")
	for _, res := range r.Results {
		if multi {
			fmt.Fprintf(tw, "%s\t%s\t", res.Account, res.Region)
		}
		name := tableText(res.Name)
		if res.IsDefault {
			name = strings.TrimSpace(name + " (default)")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", res.VPCID, name, res.Compliance, tableText(res.Annotation))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := r.Summary
	where := fmt.Sprintf("%d targets", r.Targets.Total)
	if !multi && len(r.Results) > 0 {
		where = fmt.Sprintf("%s, account %s", r.Results[0].Region, r.Results[0].Account)
	}
	_, err := fmt.Fprintf(w, "\n%s: %d VPCs, %d compliant, %d non-compliant, %d not applicable", where, s.VPCs, s.Compliant, s.NonCompliant, s.NotApplicable)
	if err == nil && r.Targets.Failed > 0 {
		_, err = fmt.Fprintf(w, "; %d of %d targets could not be audited (reasons on stderr)", r.Targets.Failed, r.Targets.Total)
	}
	if err == nil {
		_, err = fmt.Fprintln(w)
	}
	return err
}

// tableText returns s for one cell of the table. EC2 accepts any character in a tag value, so a
// Name tag may hold a tab or newline (which would break the columns) or a terminal escape
// sequence (which would act on the reader's terminal): such a value is shown Go-quoted, escapes
// visible.
func tableText(s string) string {
	if strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return strconv.QuoteToGraphic(s)
	}
	return s
}

// csvText returns s for a cell of the CSV: a value a spreadsheet would run as a formula (one
// beginning with =, +, -, @, tab or carriage return, as OWASP's CSV injection guidance lists) gets
// a leading apostrophe, so a Name tag set in an audited account cannot run in the reader's
// spreadsheet. The JSON output carries every value unchanged.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
