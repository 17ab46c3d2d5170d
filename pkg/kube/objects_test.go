package kube

import (
	"reflect"
	"testing"

	"github.com/lade-dev/lade/internal/yamljson"
	"github.com/lade-dev/lade/pkg/object"
)

// TestRenderedDocsAsTheirManifest checks that the documents BuildObjects
// builds are those Build builds from the same objects' manifest text: the
// trees the render parsed are taken as they are (not parsed again), and
// every other document is parsed from its manifest text, split as the
// whole manifest is (a content with a line starting "---" holds two).
func TestRenderedDocsAsTheirManifest(t *testing.T) {
	parsed := func(d object.Doc) object.Doc {
		if err := yamljson.UnmarshalMap([]byte(d.Text()), &d.Object); err != nil {
			t.Fatal(err)
		}
		return d
	}
	docs := []object.Doc{
		parsed(object.Doc{Path: "c/templates/a.yaml", Content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"}),
		{Path: "c/templates/b.yaml", Content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  k: |+\n    v\n"},
		{Path: "c/templates/c.yaml", Content: "# only a comment"},
		{Path: "c/templates/d.yaml", Content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n---x: 1\n"},
		parsed(object.Doc{Path: "c/templates/a.yaml", Content: "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n"}),
	}
	want, err := parse(manifestDocs(object.Manifest(docs)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := parse(renderedDocs(docs))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rendered objects give\n%v\ntheir manifest gives\n%v", got, want)
	}
	if len(got) != 5 {
		t.Fatalf("%d objects, want 5 (a comment is no object; d's text holds two)", len(got))
	}
	same := func(x, y map[string]any) bool { return reflect.ValueOf(x).Pointer() == reflect.ValueOf(y).Pointer() }
	if !same(got[0], docs[0].Object) || !same(got[4], docs[4].Object) {
		t.Fatal("the render's trees were not taken as they are")
	}
	if got[1]["data"].(map[string]any)["k"] != "v\n\n" {
		t.Fatalf("b's kept line breaks: %q", got[1]["data"])
	}
}
