package rules

import (
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/lint/support"
	"github.com/lade-dev/lade/pkg/values"
)

const valuesFileName = "values.yaml"

// Values checks that values.yaml exists and parses, and that the user's
// overrides over the chart's own values satisfy values.schema.json (this
// chart's only; subcharts are checked when the templates render).
func Values(l *support.Linter, in *Input, overrides map[string]any, skipSchema bool) {
	const rule = "helm/values"
	if !in.HasValues {
		l.Run(support.Info, rule, valuesFileName, errors.New("file does not exist"))
		return
	}
	l.Run(support.Error, rule, valuesFileName, checkValues(in, overrides, skipSchema))
}

func checkValues(in *Input, overrides map[string]any, skipSchema bool) error {
	var vals map[string]any
	if err := yaml.Unmarshal(in.Values, &vals); err != nil {
		return fmt.Errorf("unable to parse YAML: %w", err)
	}
	if vals == nil {
		vals = map[string]any{}
	}
	if len(in.Schema) == 0 || skipSchema {
		return nil
	}
	merged := coalesceTables(deepCopy(overrides), vals)
	return validateOneSchema(merged, in.Schema, in.Precompiled)
}

// validateOneSchema validates vals against a single schema document and
// returns the error lines only (Helm's ValidateAgainstSingleSchema text).
func validateOneSchema(vals map[string]any, schema []byte, pre *values.Precompiled) error {
	const name = "lint"
	probe := &chart.Chart{Metadata: &chart.Metadata{Name: name, APIVersion: chart.APIVersionV2, Version: "0.0.0"}, Schema: schema}
	err := values.ValidateSchema(probe, vals, values.WithPrecompiled(pre))
	if err == nil {
		return nil
	}
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, "\n"+name+":\n"); ok {
		return errors.New(rest)
	}
	return err
}

// coalesceTables merges src into dst, dst winning, with Helm's handling of
// nulls: a null in dst removes a non-null key of src; a null only in src stays.
func coalesceTables(dst, src map[string]any) map[string]any {
	if src == nil {
		return dst
	}
	if dst == nil {
		return src
	}
	srcNonNil := make(map[string]bool, len(src))
	for k, v := range src {
		if v != nil {
			srcNonNil[k] = true
		}
	}
	for k, v := range dst {
		if v == nil {
			src[k] = nil
		}
	}
	for k, sv := range src {
		dv, ok := dst[k]
		switch {
		case ok && dv == nil && srcNonNil[k]:
			delete(dst, k)
		case !ok:
			dst[k] = sv
		default:
			st, sIsTable := sv.(map[string]any)
			dt, dIsTable := dv.(map[string]any)
			if sIsTable && dIsTable {
				coalesceTables(dt, st)
			}
		}
	}
	return dst
}

// deepCopy copies values for a lint pass (a nil map becomes an empty one).
func deepCopy(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return chart.CopyValues(m)
}
