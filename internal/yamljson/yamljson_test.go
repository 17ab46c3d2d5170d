package yamljson

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var cases = []string{
	"", "# c\n", "a: 1", "a: 1.5\nb: -0.0\nc: 1e3\nd: 0x1F\ne: 0o17\nf: 1_000", "a: 12345678901234567890",
	"a: 9007199254740993", "a: yes\nb: off\nc: ~\nd: null", "a: .nan", "a: [1, .inf]", "a: '.nan'",
	"1: a\n2.5: b\ntrue: c\n0.1: d", "~: a", "null: a", "? [a]\n: b", "a: {[x]: 1}",
	"a: !!binary aGk=", "a: !!binary '%'", "a: \"\\xff\"", "\"\\xfe\": 1", "a: &x [1]\nb: *x",
	"a: &x {k: v}\nb:\n  <<: *x\n  c: 1", "b:\n  <<: 3", "- 1\n- 2", "just text", "a: [", "a: 2001-12-14t21:59:43.10-05:00",
	"a: !!timestamp 2001-12-14", "a: 1\na: 2", "a:\n  b:\n    c: [x, {d: e}]", "a: \"<&>\\u2028\"",
	"a: !!float 1", "a: !!str 1", "a: 1e400", "a: -.INF", "1e100: x", "1.5e-7: x",
}

func checkMap(t *testing.T, doc string, start map[string]any) {
	t.Helper()
	copyOf := func() map[string]any {
		if start == nil {
			return nil
		}
		c := map[string]any{}
		for k, v := range start {
			c[k] = v
		}
		return c
	}
	got, want := copyOf(), copyOf()
	gotErr := UnmarshalMap([]byte(doc), &got)
	wantErr := yaml.Unmarshal([]byte(doc), &want)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("UnmarshalMap(%q) error %v, want %v", doc, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("UnmarshalMap(%q) = %#v, want %#v", doc, got, want)
	}
}

func checkSlice(t *testing.T, doc string) {
	t.Helper()
	var got, want []any
	gotErr := UnmarshalSlice([]byte(doc), &got)
	wantErr := yaml.Unmarshal([]byte(doc), &want)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("UnmarshalSlice(%q) error %v, want %v", doc, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("UnmarshalSlice(%q) = %#v, want %#v", doc, got, want)
	}
}

func TestMatchesSigsYAML(t *testing.T) {
	for _, doc := range cases {
		checkMap(t, doc, nil)
		checkMap(t, doc, map[string]any{})
		checkMap(t, doc, map[string]any{"a": "old", "z": 1.0})
		checkSlice(t, doc)
		checkSlice(t, "- "+strings.ReplaceAll(doc, "\n", "\n  "))
	}
}

// TestRandomDocuments builds random nested YAML from scalars YAML 1.1
// resolves in different ways and compares both decoders.
func TestRandomDocuments(t *testing.T) {
	scalars := []string{"1", "-2", "3.5", "1e3", "0x10", "yes", "No", "~", "null", "''", "\"\"", "x y", "'a: b'",
		".5", "+1", "0o7", "1_0", "2001-01-01", "\"\\xff\"", ".inf", "true", "[]", "{}", "!!str 5", "007", "1.", "0."}
	// No two keys name the same JSON key: which one sigs.k8s.io/yaml keeps
	// then depends on map order (TestCollidingKeys).
	keys := []string{"a", "b", "2.0", "true", "'x'", "A", "x y", "0x1", "1e3"}
	rng := rand.New(rand.NewPCG(3, 4))
	var gen func(depth int, indent string) string
	gen = func(depth int, indent string) string {
		if depth > 2 || rng.IntN(3) == 0 {
			return " " + scalars[rng.IntN(len(scalars))] + "\n"
		}
		var b strings.Builder
		b.WriteString("\n")
		if rng.IntN(2) == 0 {
			for range 1 + rng.IntN(3) {
				b.WriteString(indent + "- " + strings.TrimLeft(gen(depth+1, indent+"  "), " \n"))
				if !strings.HasSuffix(b.String(), "\n") {
					b.WriteString("\n")
				}
			}
			return b.String()
		}
		for range 1 + rng.IntN(3) {
			b.WriteString(indent + keys[rng.IntN(len(keys))] + ":" + gen(depth+1, indent+"  "))
		}
		return b.String()
	}
	for range 3000 {
		doc := strings.TrimPrefix(gen(0, ""), "\n")
		checkMap(t, doc, nil)
		checkSlice(t, doc)
	}
}

// TestConformanceValues compares both decoders on every values file of the
// conformance corpus, when it is present.
func TestConformanceValues(t *testing.T) {
	root := filepath.Join("..", "..", "..", "shared", "conformance")
	if _, err := os.Stat(root); err != nil {
		t.Skip("conformance corpus not found")
	}
	n := 0
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") || strings.Contains(p, "templates") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		checkMap(t, string(b), nil)
		n++
		return nil
	})
	t.Logf("%d files compared", n)
}

// TestCollidingKeys: keys that convert to one JSON name are left to
// sigs.k8s.io/yaml, which keeps one of the values.
func TestCollidingKeys(t *testing.T) {
	var m map[string]any
	if err := UnmarshalMap([]byte("1: a\n'1': b\n"), &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || (m["1"] != "a" && m["1"] != "b") {
		t.Fatalf("got %#v", m)
	}
}

// FuzzFastMap checks that whatever FastMap vouches for is what
// sigs.k8s.io/yaml gives.
func FuzzFastMap(f *testing.F) {
	for _, c := range cases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		got, ok := FastMap([]byte(doc))
		if !ok {
			return
		}
		var want map[string]any
		if err := yaml.Unmarshal([]byte(doc), &want); err != nil {
			t.Fatalf("FastMap accepted %q, sigs.k8s.io/yaml fails: %v", doc, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("FastMap(%q) = %#v, want %#v", doc, got, want)
		}
	})
}
