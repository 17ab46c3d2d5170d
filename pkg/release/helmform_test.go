package release

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/lade-dev/lade/internal/yamljson"
	"github.com/lade-dev/lade/pkg/chart"
)

// helmKnown are the top-level fields of Helm 4's release record
// (pkg/release/v1.Release); Helm's rewrite keeps these only.
var helmKnown = []string{"name", "info", "chart", "config", "manifest", "hooks", "version", "namespace", "labels", "apply_method"}

// rewriteAsHelm re-encodes a payload keeping only the fields Helm's struct
// has, as Helm does when it marks a revision superseded.
func rewriteAsHelm(t *testing.T, payload string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	for k := range m {
		if !slices.Contains(helmKnown, k) {
			delete(m, k)
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(out)
}

func TestLadeFieldsSurviveHelmRewrite(t *testing.T) {
	ov := &Overlay{Files: map[string][]byte{"kustomization.yaml": []byte("replicas: [{name: web, count: 3}]\n")}, SkipHooks: true}
	userFile := &chart.File{Name: "files/conf.txt", Data: []byte("x")}
	r := &Release{
		Name: "r", Namespace: "ns", Version: 1, Manifest: "---\n# Source: c/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
		Chart: &chart.Chart{Metadata: &chart.Metadata{APIVersion: "v2", Name: "c", Version: "1.0.0", Annotations: map[string]string{"team": "x"}},
			Files: []*chart.File{userFile}},
		Info: &Info{Status: StatusDeployed}, Overlay: ov, FieldManager: "ops",
	}
	payload, err := Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	// Encoding did not modify r's chart.
	if len(r.Chart.Files) != 1 || len(r.Chart.Metadata.Annotations) != 1 {
		t.Fatalf("Encode modified the release's chart: %+v %v", r.Chart.Files, r.Chart.Metadata.Annotations)
	}
	got, err := Decode(rewriteAsHelm(t, payload))
	if err != nil {
		t.Fatal(err)
	}
	if got.FieldManager != "ops" || got.Chart.Metadata.Annotations[AnnotationFieldManager] != "ops" || got.Chart.Metadata.Annotations["team"] != "x" {
		t.Fatalf("field manager after Helm's rewrite: %q %v", got.FieldManager, got.Chart.Metadata.Annotations)
	}
	if got.Overlay == nil || string(got.Overlay.Files["kustomization.yaml"]) != string(ov.Files["kustomization.yaml"]) || !got.Overlay.SkipHooks {
		t.Fatalf("overlay after Helm's rewrite: %+v", got.Overlay)
	}
	if len(got.Chart.Files) != 1 || got.Chart.Files[0].Name != userFile.Name {
		t.Fatalf("chart files after decode: %+v", got.Chart.Files)
	}
	if !writtenByLade(got) {
		t.Fatal("a record lade wrote, rewritten by Helm, is not recognised as lade's")
	}
	// A record in the format of earlier lade versions (top-level field) still reads.
	old := map[string]any{"name": "r", "version": 1, "info": map[string]any{"status": "deployed"},
		"chart":        map[string]any{"metadata": map[string]any{"name": "c", "version": "1.0.0"}},
		"lade_overlay": map[string]any{"files": map[string]any{"k.yaml": base64.StdEncoding.EncodeToString([]byte("a: b\n"))}}}
	js, _ := json.Marshal(old)
	got, err = Decode(base64.StdEncoding.EncodeToString(js))
	if err != nil {
		t.Fatal(err)
	}
	if got.Overlay == nil || string(got.Overlay.Files["k.yaml"]) != "a: b\n" || got.FieldManager != "" {
		t.Fatalf("old record: %+v %q", got.Overlay, got.FieldManager)
	}
	// A corrupt overlay file is an error naming it.
	bad := map[string]any{"name": "r", "version": 2, "chart": map[string]any{"files": []any{map[string]any{"name": overlayFile, "data": base64.StdEncoding.EncodeToString([]byte("{"))}}}}
	js, _ = json.Marshal(bad)
	if _, err := Decode(base64.StdEncoding.EncodeToString(js)); err == nil || !strings.Contains(err.Error(), overlayFile) {
		t.Fatalf("corrupt overlay file: %v", err)
	}
}

func TestStubManifest(t *testing.T) {
	r := &Release{Name: "big", Version: 3, Manifest: "---\n# Source: c/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n" +
		"---\n# Source: c/templates/b.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"b: x\"\n  namespace: other\n  annotations:\n    helm.sh/resource-policy: keep\n    other: y\nspec: {}\n" +
		"---\n# Source: c/templates/empty.yaml\n# only a comment\n"}
	stub, err := stubManifest(r)
	if err != nil {
		t.Fatal(err)
	}
	if !IsStubManifest(stub) || IsStubManifest(r.Manifest) {
		t.Fatal("IsStubManifest does not tell the stand-in from the manifest")
	}
	docs := yamljson.SplitDocuments(stub)
	if len(docs) != 2 {
		t.Fatalf("%d documents:\n%s", len(docs), stub)
	}
	want := []map[string]any{
		{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "a", "resourceVersion": stubResourceVersion}},
		{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "b: x", "namespace": "other", "resourceVersion": stubResourceVersion,
			"annotations": map[string]any{"helm.sh/resource-policy": "keep"}}},
	}
	for i, d := range docs {
		var got map[string]any
		if err := json.Unmarshal(mustJSON(t, d), &got); err != nil {
			t.Fatal(err)
		}
		if g, w := mustMarshal(got), mustMarshal(want[i]); g != w {
			t.Errorf("document %d: %s, want %s", i, g, w)
		}
	}
	if !strings.Contains(stub, "# Source: c/templates/b.yaml\n") || !strings.Contains(stub, "lade get manifest big --revision 3") {
		t.Fatalf("stand-in lacks its sources or its pointer to the full manifest:\n%s", stub)
	}
	r.Manifest = "---\napiVersion: v1\nkind: [\n"
	if _, err := stubManifest(r); err == nil {
		t.Fatal("a manifest that does not parse gave a stand-in")
	}
}

func mustJSON(t *testing.T, doc string) []byte {
	t.Helper()
	var m map[string]any
	if err := yamljson.UnmarshalMap([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	return []byte(mustMarshal(m))
}

func mustMarshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPartsMarker(t *testing.T) {
	for _, c := range []struct {
		in       string
		def      int
		n, rev   int
		sum      string
		rejected bool
	}{
		{in: "3:abc:7", def: 9, n: 3, sum: "abc", rev: 7},
		{in: "2:abc", def: 9, n: 2, sum: "abc", rev: 9},
		{in: "0:abc", def: 1, rejected: true},
		{in: "x:abc", def: 1, rejected: true},
		{in: "1::2", def: 1, rejected: true},
		{in: "1:abc:0", def: 1, rejected: true},
		{in: "1:a:2:3", def: 1, rejected: true},
	} {
		n, sum, rev, err := partsMarkerOf(c.in, c.def)
		if c.rejected {
			if err == nil {
				t.Errorf("%q accepted", c.in)
			}
			continue
		}
		if err != nil || n != c.n || sum != c.sum || rev != c.rev {
			t.Errorf("%q: %d %q %d %v", c.in, n, sum, rev, err)
		}
	}
}

func TestFieldManagerChoice(t *testing.T) {
	rec := func(m string) *Release { return &Release{FieldManager: m} }
	if got := fieldManager("", nil, rec("")); got != DefaultFieldManager {
		t.Errorf("no flag, nothing recorded: %q", got)
	}
	if got := fieldManager("", rec(""), rec("ops")); got != "ops" {
		t.Errorf("recorded in the second: %q", got)
	}
	if got := fieldManager("mine", rec("ops")); got != "mine" {
		t.Errorf("flag: %q", got)
	}
	sums := []*Summary{{Version: 1, FieldManager: "lade"}, {Version: 2, FieldManager: "helm"}, {Version: 3, FieldManager: "helm"}}
	if got := takeOverFrom("helm", sums, 2, rec("helm")); got != nil {
		t.Errorf("lade wrote revisions 2..3 as helm: take over from %v", got)
	}
	if got := takeOverFrom("helm", sums, 1, rec("helm")); !slices.Equal(got, []string{"lade"}) {
		t.Errorf("revision 1 was applied as lade: take over from %v", got)
	}
	sums[2].FieldManager = "" // revision 3 written (or rewritten) by Helm
	if got := takeOverFrom("ops", sums, 2, rec("helm"), rec("ops"), rec("team")); !slices.Equal(got, []string{"lade", "helm", "team"}) {
		t.Errorf("take over from %v", got)
	}
	for _, bad := range []string{strings.Repeat("m", 129), "a\nb"} {
		if err := ValidateFieldManager(bad); !errors.Is(err, ErrFieldManager) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if err := ValidateFieldManager("argo-cd"); err != nil {
		t.Error(err)
	}
}
