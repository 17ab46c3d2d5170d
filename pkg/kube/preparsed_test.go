package kube

import (
	"reflect"
	"testing"

	"github.com/lade-dev/lade/internal/yamljson"
)

// TestPreparsedObjectsUsedOnce checks that parseManifest takes the objects
// given to Preparsed for exactly the documents they were parsed from, once
// each, and parses everything else itself with the same result.
func TestPreparsedObjectsUsedOnce(t *testing.T) {
	const a = "# Source: c/templates/a.yaml\nkind: ConfigMap\nmetadata:\n  name: a\n"
	const b = "# Source: c/templates/b.yaml\nkind: ConfigMap\nmetadata:\n  name: b\n"
	manifest := "---\n" + a + "---\n" + b + "---\n" + a
	parse := func(doc string) map[string]any {
		var m map[string]any
		if err := yamljson.UnmarshalMap([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	pa := parse(a)
	stale := map[string]any{"kind": "Stale"}
	c := &Client{}
	c.Preparsed(map[string]map[string]any{a: pa, "# Source: other\nkind: X\n": stale})
	objs, err := c.parseManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 3 {
		t.Fatalf("%d objects, want 3", len(objs))
	}
	same := func(x, y map[string]any) bool { return reflect.ValueOf(x).Pointer() == reflect.ValueOf(y).Pointer() }
	if !same(objs[0], pa) {
		t.Fatal("the preparsed object of the first document was not used")
	}
	if same(objs[2], pa) || !reflect.DeepEqual(objs[2], pa) {
		t.Fatal("the repeated document must get its own parse, equal to the first")
	}
	if !reflect.DeepEqual(objs[1], parse(b)) {
		t.Fatalf("second document: %v", objs[1])
	}
	// Taken objects are gone; the next parse of the manifest parses all.
	again, err := c.parseManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range again {
		if same(o, pa) || !reflect.DeepEqual(o, objs[i]) {
			t.Fatalf("reparse %d: %v", i, o)
		}
	}
	// A new set replaces the old one.
	c.Preparsed(map[string]map[string]any{b: stale})
	c.Preparsed(nil)
	if got, _ := c.parseManifest("---\n" + b); len(got) != 1 || !reflect.DeepEqual(got[0], parse(b)) {
		t.Fatalf("after Preparsed(nil): %v", got)
	}
}
