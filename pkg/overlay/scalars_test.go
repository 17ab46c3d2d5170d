package overlay_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/yamljson"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/overlay"
	"github.com/lade-dev/lade/pkg/render"
)

func renderChart(t testing.TB, name string) *render.Result {
	t.Helper()
	ch, err := chart.Load(filepath.Join(testdata, "chart", name))
	if err != nil {
		t.Fatal(err)
	}
	res, err := render.Chart(context.Background(), ch, nil, render.Options{ReleaseName: name, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// asJSON turns YAML documents into JSON documents with the same values.
// kustomize parses JSON into double-quoted scalars, which it prints
// without loss: `kubectl kustomize` on a base given as JSON is the
// reference for values. On the YAML base it prints folded scalars with
// more-indented lines lossily, as yaml.v3 does (see scalars.go).
func asJSON(t *testing.T, docs []string) []string {
	t.Helper()
	out := make([]string, len(docs))
	for i, d := range docs {
		j, err := yaml.YAMLToJSON([]byte(d))
		if err != nil {
			t.Fatalf("%v:\n%s", err, d)
		}
		out[i] = string(j) + "\n"
	}
	return out
}

// scalarsWant are values of the scalars chart the overlay must keep, as
// YAML reads the chart's text.
var scalarsWant = map[string]string{
	"indented":     "SELECT name\n  FROM users\nWHERE id = 1\n",
	"paragraphs":   "first paragraph still the first\n\n  indented block\nlast line\n  trailing indented",
	"leading":      " starts with a space\nsecond line\nthird line\n",
	"kept":         "ends with blank lines\n\n\n",
	"plain-folded": "one long line folded into one\nand a second paragraph\n",
	"literal-lead": "  indented first line\nthen the rest\n",
	"literal-kept": "kept\n\n",
	"literal":      "line one\n  indented\nline three\n",
	"patched":      "added by the overlay\n  with a more-indented line\nand an ordinary one\n",
}

// TestScalarsMatchKubectlKustomize: block scalars yaml.v3 prints lossily
// (folded with more-indented lines, a leading blank, kept trailing breaks;
// in the chart's documents, in a patch and in the overlay's own
// kustomization) keep their values through the overlay, both in a document
// tagged by appending a line and in one tagged through kyaml.
func TestScalarsMatchKubectlKustomize(t *testing.T) {
	res := renderChart(t, "scalars")
	out, err := overlay.Apply(res, load(t, "scalars"), overlay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := objects(t, resultDocs(out))
	base := objects(t, baseDocs(res, true))

	cm := got["v1 ConfigMap /scalars-text"]
	data, _ := cm["data"].(map[string]any)
	for k, want := range scalarsWant {
		if data[k] != want {
			t.Errorf("data.%s = %q, want %q", k, data[k], want)
		}
	}
	notes := "maintained by the platform team\n  see the runbook\nbefore changing anything\n"
	for key, obj := range got {
		for _, path := range [][]string{{"metadata"}, {"spec", "template", "metadata"}} {
			if key == "v1 ConfigMap /scalars-text" && len(path) > 1 {
				continue
			}
			if a := dig(obj, append(path, "annotations", "example.com/notes")...); a != notes {
				t.Errorf("%s %v: notes annotation = %q, want %q", key, path, a, notes)
			}
		}
	}
	// Every field of the chart's objects is kept, apart from what the
	// overlay adds.
	for key, b := range base {
		g := got[key]
		for _, path := range [][]string{{"metadata", "annotations", "example.com/description"}, {"spec", "template", "spec", "containers"}} {
			if w := dig(b, path...); w != nil && !reflect.DeepEqual(dig(g, path...), w) {
				t.Errorf("%s %v = %q, the chart rendered %q", key, path, dig(g, path...), w)
			}
		}
	}
	// The folded scalar yaml.v3 prints faithfully is printed as before;
	// # Source: is kept.
	text, err := out.TemplateText(render.TemplateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"  plain-folded: >\n    one long line folded into one\n\n    and a second paragraph\n", "# Source: scalars/templates/text.yaml\n", "# Source: scalars/templates/job.yaml\n"} {
		if !strings.Contains(text, s) {
			t.Errorf("output lacks %q:\n%s", s, text)
		}
	}

	want := objects(t, kubectlKustomize(t, asJSON(t, baseDocs(res, true)), filepath.Join(testdata, "scalars")))
	diffObjects(t, got, want)
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// TestScalarsBuild: a block scalar whose value starts with a tab is
// printed with no indentation indicator by yaml.v3, which its parser then
// refuses; lade's output must still be YAML with the value (kubectl
// kustomize fails on it: the reference is the value as YAML reads the
// document). A "|+" scalar ending a document keeps its trailing breaks.
func TestScalarsBuild(t *testing.T) {
	docs := []overlay.Doc{
		doc("c/templates/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  tab: |2\n    \tstarts with a tab\n    second line\n  folded-tab: >2\n    \tstarts with a tab\n    second\n    third\n  inner: |\n    no tab first\n    \ttab later\n"),
		// A trailing comment: tagged through kyaml.
		doc("c/templates/b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  tab: |2-\n    \tstarts with a tab\n    second line\n# end\n"),
		doc("c/templates/c.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  kept: |+\n    ends with two blank lines\n\n\n"),
	}
	ov := inline(t, map[string]string{"kustomization.yaml": "commonAnnotations:\n  a: b\n"})
	out, err := ov.Build(docs, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(docs) {
		t.Fatalf("%d documents, want %d", len(out), len(docs))
	}
	// Documents read as they are printed: with a newline after them.
	for i, d := range out {
		var in, got map[string]any
		if err := yaml.Unmarshal([]byte(docs[i].Content+"\n"), &in); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal([]byte(d.Content+"\n"), &got); err != nil {
			t.Fatalf("%s: output is not YAML: %v\n%s", d.Source, err, d.Content)
		}
		if !reflect.DeepEqual(got["data"], in["data"]) {
			t.Errorf("%s: data = %q, want %q", d.Source, got["data"], in["data"])
		}
	}
}

// TestCorpusKeepsValues builds every conformance golden render through an
// overlay that adds one annotation: every field of every object keeps its
// value, apart from the annotation.
func TestCorpusKeepsValues(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	golden, _ := filepath.Glob("../../../shared/conformance/golden/*.yaml")
	if len(golden) == 0 {
		t.Skip("no conformance corpus at ../shared/conformance")
	}
	const key = "lade.dev/corpus-check"
	ov := inline(t, map[string]string{"kustomization.yaml": "commonAnnotations:\n  " + key + ": \"yes\"\n"})
	built, objs := 0, 0
	for _, g := range golden {
		data, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		var base []overlay.Doc
		var read []string
		for _, d := range yamljson.SplitDocuments(string(data)) {
			src := "unknown"
			if s, ok := strings.CutPrefix(d, "# Source: "); ok {
				src, _, _ = strings.Cut(s, "\n")
			}
			// The output printed each document followed by a newline.
			read = append(read, d)
			base = append(base, overlay.Doc{Source: src, Content: strings.TrimSuffix(d, "\n")})
		}
		out, err := ov.Build(base, "")
		if err != nil {
			// Renders kustomize refuses (e.g. two objects with one id)
			// have no values to compare.
			t.Logf("%s: %v", filepath.Base(g), err)
			continue
		}
		built++
		for _, d := range out {
			if d.Added {
				// kustomize takes the items of a List as objects of
				// their own, which lade does not trace to the List.
				if !hasList(base) {
					t.Errorf("%s: object added: %s", filepath.Base(g), d.Content)
				}
				continue
			}
			var in, got any
			if err := yaml.Unmarshal([]byte(read[d.Index]), &in); err != nil {
				t.Fatalf("%s: %s: %v", filepath.Base(g), d.Source, err)
			}
			if err := yaml.Unmarshal([]byte(d.Content+"\n"), &got); err != nil {
				t.Errorf("%s: %s: output is not YAML: %v\n%s", filepath.Base(g), d.Source, err, d.Content)
				continue
			}
			objs++
			in, got = dropAnnotation(in, key), dropAnnotation(got, key)
			if !reflect.DeepEqual(got, in) {
				gy, _ := yaml.Marshal(got)
				iy, _ := yaml.Marshal(in)
				t.Errorf("%s: %s: values changed:\n--- overlay\n%s\n--- chart\n%s", filepath.Base(g), d.Source, gy, iy)
			}
		}
	}
	t.Logf("%d of %d renders built, %d objects compared", built, len(golden), objs)
	if built < len(golden)/2 {
		t.Errorf("only %d of %d renders built", built, len(golden))
	}
}

func hasList(docs []overlay.Doc) bool {
	for _, d := range docs {
		var h struct{ Kind string }
		if yaml.Unmarshal([]byte(d.Content), &h) == nil && strings.HasSuffix(h.Kind, "List") {
			return true
		}
	}
	return false
}

// dropAnnotation removes the annotation key wherever it is, and the
// annotations and metadata maps that are left empty (kustomize creates
// them on pod templates), on input and output alike.
func dropAnnotation(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			e = dropAnnotation(e, key)
			if (k == "annotations" || k == "metadata") && e == nil {
				continue
			}
			if k == "annotations" {
				if a, ok := e.(map[string]any); ok {
					delete(a, key)
					if len(a) == 0 {
						continue
					}
				}
			}
			if k == "metadata" {
				if m, ok := e.(map[string]any); ok && len(m) == 0 {
					continue
				}
			}
			out[k] = e
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = dropAnnotation(e, key)
		}
		return out
	}
	return v
}
