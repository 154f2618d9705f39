package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const logTestRequestID = "c6af9ac6-7b61-11e6-9a41-93e812345678"

// logTestContext returns a context as the Lambda runtime passes it, with a request ID.
func logTestContext() context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: logTestRequestID})
}

// logTestLines decodes the JSON log lines in buf.
func logTestLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(buf)
	for sc.Scan() {
		var line map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), "log line %s", sc.Text())
		out = append(out, line)
	}
	require.NoError(t, sc.Err())
	return out
}

func TestHandlerLogsOneSummaryLine(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		ec2     func() *fakeEC2
		want    map[string]any
	}{
		{
			name:    "change",
			fixture: "vpc-change.json",
			ec2: func() *fakeEC2 {
				return &fakeEC2{describeVpcEndpoints: fakeEndpointsFrom(pageSize,
					fakeEndpoint(fixtureEndpointID, fixtureVPCID, fixtureEC2Service, "Interface", "available"))}
			},
			want: map[string]any{
				"messageType":   messageChange,
				"vpcsEvaluated": 1.0,
				"compliant":     1.0,
				"nonCompliant":  0.0,
				"notApplicable": 0.0,
				"ec2Calls":      1.0,
				"configCalls":   1.0,
				"apiCalls":      2.0,
			},
		},
		{
			name:    "endpoint change",
			fixture: "vpce-change.json",
			ec2: func() *fakeEC2 {
				return &fakeEC2{
					describeVpcs:         fakeVPCsFrom(pageSize, fakeVPC(fixtureVPCID, fixtureAccount)),
					describeVpcEndpoints: fakeEndpointsFrom(pageSize),
				}
			},
			want: map[string]any{
				"messageType":   messageChange,
				"vpcsEvaluated": 1.0,
				"compliant":     0.0,
				"nonCompliant":  1.0,
				"notApplicable": 1.0,
				"ec2Calls":      2.0,
				"configCalls":   1.0,
				"apiCalls":      3.0,
			},
		},
		{
			name:    "scheduled",
			fixture: "scheduled.json",
			ec2: func() *fakeEC2 {
				return &fakeEC2{
					describeVpcs: fakeVPCsFrom(1,
						fakeVPC("vpc-11111111", fixtureAccount),
						fakeVPC("vpc-22222222", fixtureAccount),
						fakeVPC("vpc-33333333", fixtureOtherAccount)),
					describeVpcEndpoints: fakeEndpointsFrom(pageSize,
						fakeEndpoint("vpce-11111111111111111", "vpc-11111111", fixtureEC2Service, "Interface", "available")),
				}
			},
			want: map[string]any{
				"messageType":   messageScheduled,
				"vpcsEvaluated": 3.0,
				"compliant":     1.0,
				"nonCompliant":  1.0,
				"notApplicable": 1.0,
				"ec2Calls":      4.0, // three pages of VPCs, one of endpoints
				"configCalls":   2.0, // cleanup listing, put
				"apiCalls":      6.0,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := newTestHandler(t, tt.ec2(), newFakeConfig(t))
			h.log = newLogger(&buf, "info")

			require.NoError(t, h.Handle(logTestContext(), loadEvent(t, tt.fixture)))

			lines := logTestLines(t, &buf)
			require.Len(t, lines, 1, "one line per invocation at info level")
			line := lines[0]
			assert.Equal(t, "INFO", line["level"])
			assert.Equal(t, "evaluation reported", line["message"])
			assert.Equal(t, logTestRequestID, line["requestId"])
			assert.Contains(t, line, "timestamp")
			assert.IsType(t, 0.0, line["durationMs"])
			for k, v := range tt.want {
				assert.Equal(t, v, line[k], k)
			}
		})
	}
}

func TestHandlerLogsDetailsAtDebugLevel(t *testing.T) {
	var buf bytes.Buffer
	e := &fakeEC2{describeVpcs: fakeVPCsFrom(pageSize, fakeVPC(fixtureVPCID, fixtureAccount)), describeVpcEndpoints: fakeEndpointsFrom(pageSize)}
	h := newTestHandler(t, e, newFakeConfig(t))
	h.log = newLogger(&buf, "debug")

	require.NoError(t, h.Handle(logTestContext(), loadEvent(t, "vpce-change.json")))

	lines := logTestLines(t, &buf)
	require.Len(t, lines, 3, "one line per evaluation, then the summary")
	for _, line := range lines[:2] {
		assert.Equal(t, "DEBUG", line["level"])
		assert.Equal(t, "evaluation", line["message"])
		assert.Equal(t, logTestRequestID, line["requestId"])
		assert.NotEmpty(t, line["annotation"])
	}
	assert.Equal(t, [3]any{fixtureVPCType, fixtureVPCID, string(cfgtypes.ComplianceTypeNonCompliant)}, logTestVerdict(lines[0]))
	assert.Equal(t, [3]any{fixtureEndpointType, fixtureEndpointID, string(cfgtypes.ComplianceTypeNotApplicable)}, logTestVerdict(lines[1]))
	assert.Equal(t, "evaluation reported", lines[2]["message"])
}

// rule0 returns the resource and verdict of a debug evaluation line.
func logTestVerdict(line map[string]any) [3]any {
	return [3]any{line["resourceType"], line["resourceId"], line["compliance"]}
}

func TestHandlerLogsFailure(t *testing.T) {
	var buf bytes.Buffer
	c := newFakeConfig(t)
	h := newTestHandler(t, &fakeEC2{}, c)
	h.log = newLogger(&buf, "info")
	ev := loadEvent(t, "vpc-change.json")
	ev.ResultToken = ""

	err := h.Handle(logTestContext(), ev)

	require.Error(t, err)
	lines := logTestLines(t, &buf)
	require.Len(t, lines, 1)
	assert.Equal(t, "ERROR", lines[0]["level"])
	assert.Equal(t, "evaluation failed", lines[0]["message"])
	assert.Equal(t, err.Error(), lines[0]["error"])
	assert.Equal(t, logTestRequestID, lines[0]["requestId"])
	assert.Equal(t, 0.0, lines[0]["apiCalls"])
	assert.Zero(t, c.putCount())
}

func TestNewLoggerLevels(t *testing.T) {
	tests := []struct {
		level string
		want  slog.Level
	}{
		{"", slog.LevelInfo},
		{"info", slog.LevelInfo},
		{"debug", slog.LevelDebug},
		{"DEBUG", slog.LevelDebug}, // AWS_LAMBDA_LOG_LEVEL is upper case
		{" warn ", slog.LevelWarn},
		{"ERROR", slog.LevelError},
		{"TRACE", slog.LevelInfo}, // Lambda levels slog does not know fall back to info
		{"verbose", slog.LevelInfo},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			l := newLogger(&bytes.Buffer{}, tt.level)
			ctx := context.Background()
			assert.True(t, l.Enabled(ctx, tt.want), "enabled at %v", tt.want)
			assert.False(t, l.Enabled(ctx, tt.want-1), "disabled below %v", tt.want)
		})
	}
}

func TestNewLoggerRequestID(t *testing.T) {
	var buf bytes.Buffer
	l := newLogger(&buf, "info")

	l.Info("without context")
	l.InfoContext(context.Background(), "context without Lambda")
	l.With(slog.String("rule", fixtureRuleName)).InfoContext(logTestContext(), "derived logger")

	lines := logTestLines(t, &buf)
	require.Len(t, lines, 3)
	assert.NotContains(t, lines[0], "requestId")
	assert.NotContains(t, lines[1], "requestId")
	assert.Equal(t, "without context", lines[0]["message"], "Lambda's key for the message")
	assert.Equal(t, fixtureRuleName, lines[2]["rule"])
	assert.Equal(t, logTestRequestID, lines[2]["requestId"], "a derived logger keeps adding the request ID")
	assert.IsType(t, requestIDHandler{}, l.WithGroup("g").Handler(), "so does one with a group")
}
