package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// paramFlags are the command-line flags that stand for rule parameters, one for each row of
// rule.ParamSpecs. A flag only carries its text: rule.ParseParams reads it, as it reads the
// rule's ruleParameters, so a flag accepts exactly what its parameter accepts.
type paramFlags struct {
	fs     *pflag.FlagSet
	values map[string]*paramValue // by parameter name
}

func newParamFlags() *paramFlags {
	pf := &paramFlags{fs: pflag.NewFlagSet("rule parameters", pflag.ContinueOnError), values: make(map[string]*paramValue)}
	pf.fs.SortFlags = false
	for _, spec := range rule.ParamSpecs() {
		if spec.Flag == "" {
			continue // an alias: its parameter's flag serves it
		}
		v := &paramValue{kind: spec.Kind}
		pf.values[spec.Name] = v
		f := pf.fs.VarPF(v, spec.Flag, "", spec.Usage)
		f.DefValue = spec.Default
		if spec.Kind == rule.KindBool {
			// --require-private-dns means true; --require-private-dns=false says false.
			f.NoOptDefVal = "true"
		}
	}
	return pf
}

// document returns the flags given, as the ruleParameters JSON object they stand for.
func (pf *paramFlags) document() string {
	given := make(map[string]string)
	for name, v := range pf.values {
		if v.set {
			given[name] = v.text
		}
	}
	doc, _ := json.Marshal(given) // a map of strings always encodes
	return string(doc)
}

// params returns the rule parameters the flags give for region. An invalid value is reported
// with its flag, the parameter in brackets.
func (pf *paramFlags) params(region string) (rule.Params, error) {
	p, err := rule.ParseParams(pf.document(), region)
	var pe *rule.ParamError
	if errors.As(err, &pe) {
		if spec, ok := rule.LookupParam(pe.Param); ok && spec.Flag != "" {
			return rule.Params{}, fmt.Errorf("invalid value for --%s [rule parameter %s]: %s", spec.Flag, pe.Param, pe.Reason)
		}
	}
	return p, err
}

// given returns the rule parameters in effect, as ruleParameters would hold them: the text of
// each flag given, and the default of each other parameter that has one.
func (pf *paramFlags) given() map[string]string {
	out := make(map[string]string)
	for _, spec := range rule.ParamSpecs() {
		if v, ok := pf.values[spec.Name]; ok && v.set {
			out[spec.Name] = v.text
		} else if spec.Default != "" && spec.AliasOf == "" {
			out[spec.Name] = spec.Default
		}
	}
	return out
}

// paramValue is the text of one rule-parameter flag.
type paramValue struct {
	kind rule.ParamKind
	text string
	set  bool
}

func (v *paramValue) String() string { return v.text }

func (v *paramValue) Set(s string) error {
	v.text, v.set = s, true
	return nil
}

// Type names the value in help ("--vpc-ids list"); "bool" makes help show no value.
func (v *paramValue) Type() string {
	switch v.kind {
	case rule.KindBool:
		return "bool"
	case rule.KindInt:
		return "int"
	case rule.KindList:
		return "list"
	default:
		return "string"
	}
}
