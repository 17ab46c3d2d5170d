package render

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lade-dev/lade/pkg/chart"
)

// schemaChart has a schema that accepts only x: "orig", with enough other
// properties that compiling it takes a while.
func schemaChart(templates map[string]string) *chart.Chart {
	c := newChart("c", templates)
	c.Values = map[string]any{"x": "orig"}
	var props strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&props, `"p%d": {"type": "object", "properties": {"a": {"type": "string", "pattern": "^[a-z]+$"}}}, `, i)
	}
	c.Schema = []byte(`{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
		"properties": {` + props.String() + `"x": {"enum": ["orig"]}}}`)
	return c
}

// TestSchemaErrorWinsOverRenderError: the schema is checked while the
// templates run, but as in Helm (which checks first) a schema error is what
// the user sees, even when a template fails too.
func TestSchemaErrorWinsOverRenderError(t *testing.T) {
	c := schemaChart(map[string]string{
		"templates/a.yaml": `{{ fail "template failed" }}`,
		"templates/b.yaml": `b: 1`,
	})
	_, err := Chart(context.Background(), c, map[string]any{"x": "other"}, Options{ReleaseName: "r", Namespace: "ns"})
	if err == nil || !strings.Contains(err.Error(), "values don't meet the specifications of the schema(s)") || !strings.Contains(err.Error(), "/x") {
		t.Fatalf("want the schema error, got %v", err)
	}
	if strings.Contains(err.Error(), "template failed") {
		t.Fatalf("render error shown: %v", err)
	}
	// Valid values: the render error shows.
	_, err = Chart(context.Background(), c, nil, Options{ReleaseName: "r", Namespace: "ns"})
	if err == nil || !strings.Contains(err.Error(), "template failed") {
		t.Fatalf("want the render error, got %v", err)
	}
}

// TestSchemaSeesValuesBeforeTemplatesChangeThem: a template that changes
// .Values runs only after the validation has read them, so the values are
// validated as the user gave them, as in Helm.
func TestSchemaSeesValuesBeforeTemplatesChangeThem(t *testing.T) {
	c := schemaChart(map[string]string{
		"templates/a.yaml": `{{ $_ := set .Values "x" "changed" }}a: {{ .Values.x }}`,
		"templates/b.yaml": `b: {{ .Values.x }}`,
		"templates/c.yaml": `c: 1`,
	})
	for range 5 {
		res, err := Chart(context.Background(), c, nil, Options{ReleaseName: "r", Namespace: "ns", Engine: Engine{Parallelism: 2}})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Rendered["c/templates/a.yaml"]; got != "a: changed" {
			t.Fatalf("a.yaml: %q", got)
		}
	}
}
