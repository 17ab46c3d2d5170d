package object

import (
	"encoding/json"
	"testing"

	"github.com/lade-dev/lade/internal/yamljson"
)

// TestManifestSplitsIntoTexts checks the promise of Doc.Text: splitting a
// manifest at its separators gives each document's Text, as Helm's
// release manifest reads ("---\n# Source: PATH\nCONTENT\n" per document).
func TestManifestSplitsIntoTexts(t *testing.T) {
	docs := []Doc{
		{Path: "c/templates/a.yaml", Content: "kind: ConfigMap\nmetadata:\n  name: a"},
		{Path: "c/templates/b.yaml", Content: "kind: Secret\nmetadata:\n  name: b\n"},
	}
	m := Manifest(docs)
	if want := "---\n# Source: c/templates/a.yaml\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# Source: c/templates/b.yaml\nkind: Secret\nmetadata:\n  name: b\n\n"; m != want {
		t.Fatalf("manifest\n%q\nwant\n%q", m, want)
	}
	split := yamljson.SplitDocuments(m)
	if len(split) != len(docs) {
		t.Fatalf("%d documents, want %d", len(split), len(docs))
	}
	for i := range docs {
		if split[i] != docs[i].Text() {
			t.Errorf("document %d is %q, Text gives %q", i, split[i], docs[i].Text())
		}
	}
}

// TestHookRecordJSON checks that a hook reads as Helm 3 writes it (unset
// times as "") and writes as Helm 4 does (unset times left out).
func TestHookRecordJSON(t *testing.T) {
	in := `{"name":"h","kind":"Job","path":"c/templates/h.yaml","manifest":"kind: Job\n","events":["pre-install","test"],` +
		`"last_run":{"started_at":"","completed_at":"","phase":"Succeeded"},"weight":-1,"delete_policies":["hook-succeeded"]}`
	var h Hook
	if err := json.Unmarshal([]byte(in), &h); err != nil {
		t.Fatal(err)
	}
	if !h.IsTest() || !h.HasEvent(HookPreInstall) || h.HasEvent(HookPostInstall) || !h.HasDeletePolicy("hook-succeeded") ||
		h.LastRun.Phase != HookPhaseSucceeded || !h.LastRun.StartedAt.IsZero() || h.Weight != -1 {
		t.Fatalf("read %+v", h)
	}
	out, err := json.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"h","kind":"Job","path":"c/templates/h.yaml","manifest":"kind: Job\n","events":["pre-install","test"],` +
		`"last_run":{"phase":"Succeeded"},"weight":-1,"delete_policies":["hook-succeeded"]}`
	if string(out) != want {
		t.Fatalf("wrote\n%s\nwant\n%s", out, want)
	}
}
