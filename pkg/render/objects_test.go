package render

import (
	"reflect"
	"strings"
	"testing"

	"github.com/lade-dev/lade/internal/yamljson"
)

// objectCases add to headCases documents where the parse of the document
// as the release manifest holds it (a comment line before, a line break
// after) is not the parse of the rendered text: the head must still be the
// rendered text's.
var objectCases = []string{
	"kind: A\nmetadata:\n  name: |\n    x", "kind: A\nmetadata:\n  name: |+\n    x\n",
	"kind: A\nmetadata:\n  name: |2+\n    x\n\n", "kind: A\nmetadata:\n  name: >+\n    x\n",
	"kind: A\nmetadata:\n  annotations:\n    a: |\n      x", "kind: A\nmetadata:\n  name: |-\n    x",
	"kind: A\nmetadata:\n  name: x\ndata:\n  a: \"1+1\"\n  b: |\n    y\n",
	"%YAML 1.1\n---\nkind: A\n", "\ufeffkind: A\n", "kind: A\r\nmetadata:\r\n  name: x\r\n",
	"kind: A\rmetadata:\r  name: x\r", "kind: A\nmetadata:\n  name: x\n\n\n",
}

// checkDocument compares parseDocument with what sorting without objects
// (ParseHead) and building the manifest (yamljson on the manifest's text)
// give for text rendered from path.
func checkDocument(t *testing.T, path, text string) (fromTree bool) {
	t.Helper()
	var got Head
	obj, gotErr := parseDocument(path, text, &got)
	var want Head
	wantErr := ParseHead(text, &want)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("parseDocument(%q, %q) error %v, want %v", path, text, gotErr, wantErr)
	}
	// After an error the head is not used (and what Helm's road left in it
	// depends on map order).
	if gotErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("parseDocument(%q, %q) head %+v, want %+v", path, text, got, want)
	}
	var built map[string]any
	buildErr := yamljson.UnmarshalMap([]byte(ManifestDocument(path, text)), &built)
	if obj != nil {
		if buildErr != nil || !reflect.DeepEqual(obj, built) {
			t.Fatalf("parseDocument(%q, %q) object %v, the manifest's document gives %v (%v)", path, text, obj, built, buildErr)
		}
	}
	var h Head
	m, ok := yamljson.FastMap([]byte(ManifestDocument(path, text)))
	return ok && m != nil && sameTree(path, text) && mapHead(m, &h)
}

func TestParseDocumentMatchesParseHead(t *testing.T) {
	fromTree := 0
	cases := append(append([]string{}, headCases...), objectCases...)
	for _, doc := range cases {
		for _, text := range []string{doc, strings.TrimRight(doc, "\n"), doc + "\n"} {
			for _, path := range []string{"c/templates/a.yaml", "c/templates/a\nb.yaml", "c/templates/\xff.yaml"} {
				if checkDocument(t, path, text) {
					fromTree++
				}
			}
		}
	}
	if fromTree < 20 {
		t.Fatalf("only %d cases read the head from the object", fromTree)
	}
}

func TestParseDocumentConformance(t *testing.T) {
	docs := corpusDocs(t)
	fromTree := 0
	for _, d := range docs {
		if checkDocument(t, "c/templates/t.yaml", d) {
			fromTree++
		}
	}
	t.Logf("%d documents, %d heads read from the object", len(docs), fromTree)
	if fromTree*2 < len(docs) {
		t.Fatalf("only %d of %d documents read the head from the object", fromTree, len(docs))
	}
}

// TestManifestObjectsMatchManifestText checks that sorting with objects
// gives the heads, hooks and order of sorting without them, and that each
// object is keyed by its document exactly as SplitDocuments cuts it out of
// the release manifest (so consumers find them) and is that document's parse.
func TestManifestObjectsMatchManifestText(t *testing.T) {
	files := map[string]string{
		"c/templates/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: |\n    v\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n",
		"c/templates/b.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations:\n    x: \"1\"\nspec:\n  replicas: 2\n",
		"c/templates/c.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: no-newline\ndata:\n  k: |\n    v",
		"c/templates/h.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: h\n  annotations:\n    helm.sh/hook: pre-install\n",
	}
	wantHooks, want, err := SortManifests(files, InstallOrder)
	if err != nil {
		t.Fatal(err)
	}
	gotHooks, got, err := sortManifests(files, InstallOrder, true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotHooks, wantHooks) || len(got) != len(want) {
		t.Fatalf("hooks or manifests differ: %v %v", gotHooks, got)
	}
	res := &Result{Manifests: got}
	docs := yamljson.SplitDocuments(res.ManifestText(false))
	if len(docs) != len(got) {
		t.Fatalf("%d documents in the manifest, %d manifests", len(docs), len(got))
	}
	for i, m := range got {
		if m.Path != want[i].Path || m.Content != want[i].Content || !reflect.DeepEqual(m.Head, want[i].Head) {
			t.Fatalf("manifest %d: %+v, want %+v", i, m, want[i])
		}
		if want[i].Object != nil {
			t.Fatalf("sorting without objects parsed %s", m.Path)
		}
		if m.Object == nil {
			t.Fatalf("no object for %s", m.Path)
		}
		if docs[i] != ManifestDocument(m.Path, m.Content) {
			t.Fatalf("document %d is %q, ManifestDocument gives %q", i, docs[i], ManifestDocument(m.Path, m.Content))
		}
		var parsed map[string]any
		if err := yamljson.UnmarshalMap([]byte(docs[i]), &parsed); err != nil || !reflect.DeepEqual(parsed, m.Object) {
			t.Fatalf("object of %s is %v, its document gives %v (%v)", m.Path, m.Object, parsed, err)
		}
	}
}

// FuzzParseDocument checks that reading the head from the manifest
// document's parse never disagrees with ParseHead on the rendered text, and
// that the object is the parse of the manifest document.
func FuzzParseDocument(f *testing.F) {
	for _, c := range append(append([]string{}, headCases...), objectCases...) {
		f.Add("c/templates/a.yaml", c)
	}
	f.Fuzz(func(t *testing.T, path, text string) {
		checkDocument(t, path, text)
	})
}
