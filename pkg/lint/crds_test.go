package lint

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCRDSchemaMessages lints definitions in crds/ (lines of the file) and
// rendered from templates/ (lines of the template), with both severities
// and the lint-ignore annotation.
func TestCRDSchemaMessages(t *testing.T) {
	r := lintOne(t, filepath.Join(ruleCharts, RuleCRDSchema, "files"), Options{})
	var got []string
	for _, m := range r.Messages {
		if m.Rule == RuleCRDSchema {
			got = append(got, m.String())
		}
	}
	want := []string{
		`[ERROR] templates/gadget.yaml:14: CustomResourceDefinition/gadgets.example.com: version v1: the schema is not structural: openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields [crd-schema]`,
		`[WARNING] crds/widgets.yaml:17: CustomResourceDefinition/widgets.example.com: version v1beta1: x-kubernetes-preserve-unknown-fields at the schema root: unknown fields (typos included) are stored as written and never pruned; describe spec and status instead [crd-schema]`,
		`[ERROR] crds/widgets.yaml:18: CustomResourceDefinition/widgets.example.com: storage version v1 has no schema (openAPIV3Schema): apiextensions.k8s.io/v1 requires one per version, and without it stored objects are never validated [crd-schema]`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r := lintOne(t, filepath.Join(ruleCharts, RuleCRDSchema, "files"), Options{HelmOnly: true}); len(rulesOf(r)[RuleCRDSchema]) != 0 {
		t.Errorf("--helm-only reports crd-schema")
	}
}
