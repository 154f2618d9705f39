package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVerdict(t *testing.T) {
	pass := &table{rows: []row{
		judged("cold start", "40 ms", "< 50 ms", true),
		{"warm invocation", "9 ms", "—", "—"},
	}}
	assert.Equal(t, 0, pass.missed())
	assert.Equal(t, "Verdict: pass, all 1 targets met.", pass.verdict())

	fail := &table{rows: append(pass.rows, judged("package", "9 MB", "< 8 MB", false))}
	assert.Equal(t, 1, fail.missed())
	assert.Equal(t, "Verdict: FAIL, 1 of 2 targets missed: package.", fail.verdict())
}
