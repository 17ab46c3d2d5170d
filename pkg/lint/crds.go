package lint

import (
	"encoding/json"
	"path"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/pkg/crdcheck"
	"github.com/lade-dev/lade/pkg/lint/rules"
)

// RuleCRDSchema reports CustomResourceDefinitions (in crds/ or rendered
// from templates/) without a structural schema for every version, or
// preserving unknown fields at their root.
const RuleCRDSchema = "crd-schema"

// crdFinding is one finding of the rule, with its severity.
type crdFinding struct {
	sev   Severity
	field string
	text  string
}

// lintCRD decodes a CustomResourceDefinition document, fills ob.meta (for
// the lint-ignore annotation) and returns crdcheck.Lint's findings.
func lintCRD(ob *object) []crdFinding {
	d := ob.doc
	if d.Kind != crdcheck.Kind || d.APIVersion != crdcheck.APIVersion {
		return nil // other apiextensions versions are removed-api's
	}
	var obj map[string]any
	if err := json.Unmarshal(d.JSON, &obj); err != nil || obj == nil {
		return nil // the templates and helm/crds rules report what does not parse
	}
	crd, err := crdcheck.Decode(obj)
	if err != nil {
		return []crdFinding{{Error, "", err.Error()}}
	}
	ob.meta = metav1.ObjectMeta{Name: crd.Name, Labels: crd.Labels, Annotations: crd.Annotations}
	if ignored(ob, RuleCRDSchema) {
		return nil
	}
	var out []crdFinding
	for _, f := range crdcheck.Lint(crd) {
		sev := Warning
		if f.Rejected {
			sev = Error
		}
		out = append(out, crdFinding{sev, f.Field, f.Message})
	}
	return out
}

// checkCRD runs the rule on one of the chart's rendered objects.
func (c *checker) checkCRD(ob *object) {
	for _, f := range lintCRD(ob) {
		c.reportSev(ob, f.sev, RuleCRDSchema, f.field, "%s", f.text)
	}
}

// crdFiles runs the rule on the crds/ files of the chart and its
// subcharts, which are never rendered: lines are the files' own.
func crdFiles(in *rules.Input) []Message {
	if in.Chart == nil {
		return nil
	}
	var msgs []Message
	root := in.Chart.Name()
	for _, f := range in.Chart.CRDObjects() {
		name := path.Clean(chartRelative(root, f.Filename))
		rules.ParseDocs(name, string(f.File.Data), func(d *rules.Doc, err error) bool {
			if err != nil || d == nil {
				return true // helm/crds reports it
			}
			ob := &object{doc: *d}
			for _, fd := range lintCRD(ob) {
				msgs = append(msgs, Message{Severity: fd.sev, Path: name, Line: fileLine(ob, fd.field), Text: fd.text,
					Rule: RuleCRDSchema, Object: ob.ref(), Field: fd.field})
			}
			return true
		})
	}
	return msgs
}

// fileLine is the line of a field (or its nearest written parent, or the
// kind) in a file that is not a template.
func fileLine(ob *object, field string) int {
	pos := ob.positions()
	for f := field; ; f = parentField(f) {
		key := f
		if key == "" {
			key = "kind"
		}
		if p, ok := pos[key]; ok {
			return ob.doc.Line + p.line - 1
		}
		if f == "" {
			return 0
		}
	}
}
