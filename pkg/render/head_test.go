package render

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/yamljson"
)

// headCases are documents on both sides of fastHead's line: each must give
// the same head and the same error as Helm's sigs.k8s.io/yaml parse.
var headCases = []string{
	"", "# only a comment\n", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
	"kind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: pre-install\n    helm.sh/hook-weight: 5\n",
	"kind: Job\nmetadata:\n  annotations:\n    w: 5.5\n    b: true\n",
	"kind: Job\nmetadata:\n  annotations:\n    w: null\n",
	"kind: Job\nmetadata:\n  annotations:\n    1: one\n",
	"kind: Job\nmetadata:\n  annotations: []\n",
	"kind: Job\nmetadata:\n  annotations: {}\n",
	"kind: Job\nmetadata: null\n", "kind: Job\nmetadata: {}\n", "kind: Job\nmetadata: x\n",
	"kind: Job\nmetadata: [a]\n", "Kind: Job\n", "kind: A\nKIND: B\n", "kind: 12\n", "kind: 1.5\n",
	"kind: true\n", "kind: [a]\n", "kind: {a: b}\n", "apiVersion: 1\n", "apiVersion:\n",
	"kind: A\nmetadata:\n  Name: x\n", "kind: A\nmetadata:\n  name: x\n  NAME: y\n",
	"kind: A\nmetadata:\n  name: 7\n", "kind: A\nmetadata:\n  name: ~\n",
	"kind: A\nspec:\n  v: .nan\n", "kind: A\nspec:\n  v: -.Inf\n", "kind: A\nspec:\n  v: '.nan'\n",
	"kind: A\nspec:\n  ~: x\n", "kind: A\nspec:\n  null: x\n", "kind: A\nspec:\n  : x\n",
	"kind: A\nspec:\n  ? [a, b]\n  : c\n", "kind: A\nspec:\n  [a, b]: c\n", "kind: A\nspec:\n  {a: b}: c\n",
	"kind: A\nspec:\n  v: !!binary aGVsbG8=\n", "kind: A\nspec:\n  v: !!binary '%%%'\n",
	"kind: A\nspec:\n  v: !!int x\n", "kind: A\nx: &a {b: 1}\ny: *a\n", "kind: A\ny: *a\n",
	"kind: A\nx: &a {b: 1}\ny:\n  <<: *a\n", "kind: A\ny:\n  <<: 5\n",
	"kind: A\nspec:\n  1: x\n  2.5: y\n  true: z\n", "kind: A\nkind: B\n",
	"- a\n- b\n", "just a string\n", "kind: A\nspec: [\n", "kind: A\n\tbad: tab\n",
	"kind: A\nmetadata:\n  name: a\n  name: b\n", "kind: A\nspec:\n  a: 1\n  a: 2\n",
	"kind: \"A\"\nmetadata:\n  name: 'x'\n  annotations:\n    a: \"\\xff\"\n",
	"kind: A\ndata:\n  script: |\n    #!/bin/sh\n    [ a != b ] && echo ? : ok\n",
	"kind: A\ndata:\n  url: http://x/?a=1&b=2\n  t: \"10:30\"\n",
	"kind: A\nmetadata:\n  name: x\n...\n---\nkind: B\n",
	"kind: A\nmetadata: {name: x, annotations: {a: b}}\n",
	"{kind: A, metadata: {name: x}}\n", "{\"kind\":!!binary '%'}\n", "kind: A\nx: {\"a\":!!binary '%'}\n",
	"kind: A\nx: [a,\n  !!binary '%']\n", "kind: A\nx: [a, !!binary '%']\n", "kind: A\nx:\n- - !!binary '%'\n",
	"kind: A\nx:\n  !!binary '%'\n", "kind: A\nrule: self.all(k, !k.contains('*')) && a ? 1 : 0\n",
	"kind: A\nx: +.inf\n", "kind: A\nx:\n- .NaN\n", "kind: A\nx: [1, .nan]\n", "kind: A\nx: {~: 1}\n",
	"kind: A\nx:\n- null: 1\n", "kind: A\nx:\n  ? a\n  : b\n", "kind: A\nx: [? a : b]\n", "kind: A\nx: {? a}\n", "kind: A\nspec: {\"k\": !!str 1}\n",
}

func slowHead(doc string) (Head, error) {
	var h Head
	err := yaml.Unmarshal([]byte(doc), &h)
	return h, err
}

func checkHead(t *testing.T, doc string) (fast bool) {
	t.Helper()
	var got Head
	gotErr := ParseHead(doc, &got)
	want, wantErr := slowHead(doc)
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Fatalf("ParseHead(%q) error %v, want %v", doc, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseHead(%q) = %+v, want %+v", doc, got, want)
	}
	var h Head
	if treeHead(doc, &h) {
		if want, _ := slowHead(doc); !reflect.DeepEqual(h, want) {
			t.Fatalf("treeHead(%q) = %+v, want %+v", doc, h, want)
		}
	}
	h = Head{}
	return fastHead(doc, &h)
}

func TestParseHeadMatchesHelm(t *testing.T) {
	fast := 0
	for _, doc := range headCases {
		if checkHead(t, doc) {
			fast++
		}
	}
	if fast < 10 {
		t.Fatalf("only %d of %d cases took the fast road", fast, len(headCases))
	}
}

// TestParseHeadConformance compares both roads on every document of the
// conformance corpus's golden outputs, when the corpus is present.
func TestParseHeadConformance(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "conformance", "golden", "*"))
	if len(files) == 0 {
		t.Skip("conformance corpus not found")
	}
	docs, fast := 0, 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || !strings.Contains(string(b), "kind:") {
			continue
		}
		for _, doc := range yamljson.SplitDocuments(string(b)) {
			docs++
			if checkHead(t, doc) {
				fast++
			}
		}
	}
	t.Logf("%d documents, %d on the fast road", docs, fast)
	if docs > 0 && fast*2 < docs {
		t.Fatalf("only %d of %d documents took the fast road", fast, docs)
	}
}

// FuzzParseHead checks that the fast road never disagrees with Helm's.
func FuzzParseHead(f *testing.F) {
	for _, c := range headCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		for name, road := range map[string]func(string, *Head) bool{"fastHead": fastHead, "treeHead": treeHead} {
			var got Head
			if !road(doc, &got) {
				continue
			}
			want, err := slowHead(doc)
			if err != nil {
				t.Fatalf("%s accepted %q, Helm's road fails: %v", name, doc, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s(%q) = %+v, want %+v", name, doc, got, want)
			}
		}
	})
}

func corpusDocs(b testing.TB) []string {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "conformance", "golden", "*"))
	if len(files) == 0 {
		b.Skip("conformance corpus not found")
	}
	var docs []string
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if strings.Contains(string(data), "kind:") {
			docs = append(docs, yamljson.SplitDocuments(string(data))...)
		}
	}
	return docs
}

func BenchmarkParseHead(b *testing.B) {
	docs := corpusDocs(b)
	b.Run("lade", func(b *testing.B) {
		for b.Loop() {
			for _, d := range docs {
				var h Head
				_ = ParseHead(d, &h)
			}
		}
	})
	b.Run("sigs", func(b *testing.B) {
		for b.Loop() {
			for _, d := range docs {
				_, _ = slowHead(d)
			}
		}
	})
	b.Run("tree", func(b *testing.B) {
		for b.Loop() {
			for _, d := range docs {
				var m map[string]any
				_ = yamljson.UnmarshalMap([]byte(d), &m)
			}
		}
	})
}
