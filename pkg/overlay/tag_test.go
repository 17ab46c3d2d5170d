package overlay_test

import (
	"fmt"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/lade-dev/lade/pkg/overlay"
)

// checkAppendTag requires of a document appendTag accepts what the build
// relies on: it parses when the document does, as a mapping holding the
// tag, and without the tag it prints as the document does when it is
// printed with a newline after it (as rendered output prints documents);
// a document that does not parse does not parse tagged either (kustomize
// must fail on it as before).
func checkAppendTag(t *testing.T, doc string) (accepted bool) {
	t.Helper()
	tagged, ok := overlay.AppendTag(doc, 7)
	if !ok {
		return false
	}
	want, errDoc := kyaml.Parse(doc + "\n")
	got, errTagged := kyaml.Parse(string(tagged))
	if errDoc != nil {
		if errTagged == nil {
			t.Errorf("%q does not parse (%v), tagged it does:\n%s", doc, errDoc, tagged)
		}
		return true
	}
	if errTagged != nil {
		t.Fatalf("%q parses, tagged it does not: %v\n%s", doc, errTagged, tagged)
	}
	if got.YNode().Kind != kyaml.MappingNode || want.YNode().Kind != kyaml.MappingNode {
		t.Fatalf("%q: accepted, but its top level is not a mapping", doc)
	}
	if f := got.Field(overlay.DocKey); f == nil || f.Value.YNode().Value != "7" {
		t.Fatalf("%q: tag missing after parsing:\n%s", doc, tagged)
	}
	if err := got.PipeE(kyaml.Clear(overlay.DocKey)); err != nil {
		t.Fatal(err)
	}
	gs, err := got.String()
	if err != nil {
		t.Fatal(err)
	}
	ws, err := want.String()
	if err != nil {
		t.Fatal(err)
	}
	if gs != ws {
		t.Errorf("%q: tagged and untagged, prints\n%s\nuntagged it prints\n%s", doc, gs, ws)
	}
	return true
}

var appendTagCases = []struct {
	doc string
	ok  bool
}{
	{"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n", true},
	{"# leading comment\n\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a # line\n  # inner\n  labels: {a: b}\n", true},
	{"apiVersion: v1\nkind: ConfigMap\ndata:\n  script: |\n    echo\n\n", true},
	{"apiVersion: v1\nkind: ConfigMap\ndata:\n  script: |+\n    echo\n\n", true},
	{"apiVersion: v1\nkind: ConfigMap\ndata:\n  a: >-\n    x(c,\n      y)\n", true},
	{"apiVersion: v1\nitems:\n- a\n- b\n", true},
	{"apiVersion: v1\nkind: ConfigMap\ndata:\n  a: plain\n    continued\n", true},
	{"kind:\n  ConfigMap\n", true},
	// A trailing comment would become the tag's.
	{"apiVersion: v1\nkind: ConfigMap\n# trailing\n", false},
	{"apiVersion: v1\ndata:\n  a: |\n    # looks like a comment\n", false},
	// A block scalar at the end keeps its value only with the line break.
	{"apiVersion: v1\ndata:\n  a: |\n    x", false},
	{"apiVersion: v1\r\nkind: ConfigMap\r\n", false},
	{"{apiVersion: v1, kind: ConfigMap}\n", false},
	{"\"apiVersion\": v1\n", false},
	{"- a\n- b\n", false},
	{"&anchor\napiVersion: v1\n", false},
	{"%YAML 1.2\n---\napiVersion: v1\n", false},
	{"apiVersion: v1\n...\n", false},
	{"apiVersion: v1\nlade.dev/overlay-doc: \"1\"\n", false},
	{"just a scalar\n", false},
	{"key:value\n", false},
	{"", false},
	// Invalid documents that look like block mappings: accepted, and the
	// build reports them as before (TestTagErrors).
	{"apiVersion: v1\ndata:\n  a: 'unterminated\n", true},
	{"apiVersion: v1\ndata:\n  a: [1,\n", true},
	{"apiVersion: v1\ndata:\n  a: \"unterminated\n", true},
}

func TestAppendTag(t *testing.T) {
	for _, c := range appendTagCases {
		if got := checkAppendTag(t, c.doc); got != c.ok {
			t.Errorf("appendTag(%q) accepted = %v, want %v", c.doc, got, c.ok)
		}
	}
	// Every rendered document of the shop chart takes it.
	for _, d := range docsOf(renderShop(t)) {
		if !checkAppendTag(t, d.Content) {
			t.Errorf("%s: not accepted:\n%s", d.Source, d.Content)
		}
	}
}

func FuzzAppendTag(f *testing.F) {
	for _, c := range appendTagCases {
		f.Add(c.doc)
	}
	for _, d := range docsOf(renderShop(f)) {
		f.Add(d.Content)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		checkAppendTag(t, doc)
	})
}

// TestTagRoads builds every overlay of testdata/overlays on the shop chart,
// in one run and as Build does, with the documents tagged by appending a
// line and by kyaml (setTag, the only road before): same documents.
func TestTagRoads(t *testing.T) {
	base := docsOf(renderShop(t))
	eachChartOverlay(t, func(t *testing.T, _ string, ov *overlay.Overlay) {
		for _, build := range []func([]overlay.Doc, string) ([]overlay.Doc, error){ov.BuildOnce, ov.Build} {
			got, err := build(base, "")
			if err != nil {
				t.Fatal(err)
			}
			restore := overlay.SetTagOnly()
			want, err := build(base, "")
			restore()
			if err != nil {
				t.Fatal(err)
			}
			sameDocs(t, "appended tags", got, want)
		}
	})
}

// TestTagErrors: a document appendTag accepts but YAML refuses fails the
// build with the error it gave before appendTag (kyaml leaves it untagged).
func TestTagErrors(t *testing.T) {
	ok := doc("c/templates/ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n")
	for _, bad := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  a: 'unterminated\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  a: [1,\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  a: \"unterminated\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n bad: indent\n",
	} {
		base := []overlay.Doc{ok, doc("c/templates/bad.yaml", bad)}
		for i := range 70 {
			base = append(base, doc("c/templates/more.yaml", fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: more-%d\n", i)))
		}
		ov := load(t, "namespace")
		_, err := ov.Build(base, "")
		restore := overlay.SetTagOnly()
		_, want := ov.Build(base, "")
		restore()
		if err == nil || want == nil {
			t.Fatalf("%q: errors %v and %v, want both", bad, err, want)
		}
		if err.Error() != want.Error() {
			t.Errorf("%q: error\n%v\nbefore appendTag\n%v", bad, err, want)
		}
	}
}
