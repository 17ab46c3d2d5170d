package overlay_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lade-dev/lade/internal/yamljson"
	"github.com/lade-dev/lade/pkg/overlay"
)

// layout is kustomize's standard layout: base/, components/ and
// overlays/prod, whose kustomization uses ../../base.
var layout = filepath.Join(testdata, "layout")

// TestLayoutBases: an overlay whose bases lie above its own directory is
// read with them (and nothing else), recorded relative to the directory
// holding all of them, and builds what kubectl kustomize builds.
func TestLayoutBases(t *testing.T) {
	ov, err := overlay.LoadWithin(filepath.Join(layout, "overlays", "prod"), layout)
	if err != nil {
		t.Fatal(err)
	}
	if ov.Entry != "overlays/prod" {
		t.Errorf("Entry = %q, want overlays/prod", ov.Entry)
	}
	want := []string{"base/kustomization.yaml", "base/settings.yaml", "components/monitoring/kustomization.yaml",
		"overlays/prod/kustomization.yaml", "overlays/prod/replicas.yaml"}
	if got := ov.Paths(); !slices.Equal(got, want) {
		t.Errorf("recorded files = %v, want %v", got, want)
	}

	res := renderShop(t)
	out, err := overlay.Apply(res, ov, overlay.Options{SkipHooks: true})
	if err != nil {
		t.Fatal(err)
	}
	srcs := sources(out)
	if got := srcs["ConfigMap/shop-settings"]; got != "overlay/base/settings.yaml" {
		t.Errorf("# Source of the base's ConfigMap = %q, want overlay/base/settings.yaml (all: %v)", got, srcs)
	}
	var docs []string
	for _, m := range out.Manifests {
		docs = append(docs, m.Content)
	}
	got := objects(t, docs)
	dep := got["apps/v1 Deployment /shop-web"]
	if dep == nil {
		t.Fatalf("no Deployment shop-web in %v", got)
	}
	if r := dep["spec"].(map[string]any)["replicas"]; r != float64(3) && r != 3 {
		t.Errorf("replicas = %v, want 3 (the prod patch)", r)
	}
	diffObjects(t, got, objects(t, kubectlKustomizeTree(t, baseDocs(res, false), layout, "overlays/prod")))

	// The recorded overlay alone (as a release keeps it) builds the same.
	again, err := overlay.Apply(res, &overlay.Overlay{Files: ov.Files, Entry: ov.Entry}, overlay.Options{SkipHooks: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(resultDocs(again), resultDocs(out)) {
		t.Error("the recorded overlay builds another output")
	}
}

// TestLayoutRoot: bases must stay below the overlay root; the error names
// the reference and the flag that widens the root.
func TestLayoutRoot(t *testing.T) {
	_, err := overlay.LoadWithin(filepath.Join(layout, "overlays", "prod"), filepath.Join(layout, "overlays"))
	if !errors.Is(err, overlay.ErrRefused) {
		t.Fatalf("err = %v, want ErrRefused", err)
	}
	for _, w := range []string{"overlays/prod", `resources "../../base"`, "leaves the overlay root", "--overlay-root"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
	if _, err := overlay.LoadWithin(layout, filepath.Join(layout, "base")); err == nil || !strings.Contains(err.Error(), "outside the overlay root") {
		t.Errorf("an overlay outside its root: err = %v", err)
	}
	// The default root is the git repository holding the overlay: the
	// standard layout just works (a copy, made a repository, so that the
	// test does not depend on where this checkout lies).
	repo := t.TempDir()
	copyDir(t, layout, repo)
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	ov, err := overlay.Load(filepath.Join(repo, "overlays", "prod"))
	if err != nil {
		t.Fatal(err)
	}
	if ov.Entry != "overlays/prod" || ov.Files["base/settings.yaml"] == nil {
		t.Errorf("default root: Entry %q, files %v", ov.Entry, ov.Paths())
	}
}

// TestLayoutRecordedEscape: a recorded overlay whose kustomization names a
// base that was not recorded (above its files) is refused, not looked up.
func TestLayoutRecordedEscape(t *testing.T) {
	ov := &overlay.Overlay{Files: map[string][]byte{
		"kustomization.yaml": []byte("resources:\n- ../base\n"),
	}}
	if err := ov.Validate(); !errors.Is(err, overlay.ErrRefused) || !strings.Contains(err.Error(), "leaves the overlay's files") {
		t.Errorf("err = %v", err)
	}
}

// copyDir copies the directory src into dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// kubectlKustomizeTree copies tree, adds the rendered documents as a base
// of the entry kustomization and runs `kubectl kustomize` on the entry.
func kubectlKustomizeTree(t *testing.T, base []string, tree, entry string) []string {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not found: skipping the comparison with kubectl kustomize")
	}
	tmp := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(tmp, "chart", "kustomization.yaml"), "resources:\n- chart.yaml\n")
	write(filepath.Join(tmp, "chart", "chart.yaml"), "---\n"+strings.Join(base, "\n---\n")+"\n")
	err = filepath.Walk(tree, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(tree, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := string(data)
		if filepath.ToSlash(rel) == entry+"/kustomization.yaml" {
			up := strings.Repeat("../", strings.Count(entry, "/")+2)
			s = strings.Replace(s, "resources:\n", "resources:\n- "+up+"chart\n", 1)
		}
		write(filepath.Join(tmp, "tree", rel), s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(kubectl, "kustomize", filepath.Join(tmp, "tree", entry)).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v\n%s", err, out)
	}
	return yamljson.SplitDocuments(string(out))
}
