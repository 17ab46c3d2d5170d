package chart

import (
	"path/filepath"
	"reflect"
	"testing"
)

// A chart loaded through a ParseCache, first or again, equals one loaded by
// Load, and changing one load's values or metadata changes no other load.
func TestParseCacheLoad(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"Chart.yaml":                  "apiVersion: v2\nname: top\nversion: 1.0.0\nmaintainers:\n  - name: a\ndependencies:\n  - name: sub\n    version: 0.1.0\n    tags: [x]\n    import-values: [{child: a, parent: b}]\n",
		"values.yaml":                 "a: 1\nlist: [1, {b: 2}]\nm:\n  n: x\n",
		"templates/a.yaml":            "kind: A\n",
		"charts/sub/Chart.yaml":       "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
		"charts/sub/values.yaml":      "a: 1\nlist: [1, {b: 2}]\nm:\n  n: x\n",
		"charts/sub/templates/b.yaml": "kind: B\n",
	})
	want, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	pc := NewParseCache()
	first, err := pc.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	first.Values["m"].(map[string]any)["n"] = "changed"
	first.Values["list"].([]any)[1].(map[string]any)["b"] = 3
	first.Metadata.Dependencies[0].Enabled = true
	first.Metadata.Dependencies[0].Tags[0] = "y"
	first.Metadata.Maintainers[0].Name = "z"
	first.Dependencies()[0].Values["a"] = 2
	for _, p := range []string{dir, filepath.Join(dir, "charts", "sub")} {
		got, err := pc.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		w := want
		if p != dir {
			if w, err = Load(p); err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(got.Values, w.Values) || !reflect.DeepEqual(got.Metadata, w.Metadata) {
			t.Errorf("%s: cached load differs from Load:\n%#v\n%#v", p, got.Metadata, w.Metadata)
		}
	}
}
