package layers

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/lade-dev/lade/"

// mayImport lists, for each library package, the lade packages its
// non-test files may import. "internal/" allows lade's internal helpers.
// A package not listed may import any library package (never cmd/): give
// it a row when its place in the flow is settled.
var mayImport = map[string][]string{
	"pkg/api/v1alpha1":   {},
	"pkg/chart/common":   {},
	"pkg/object":         {},
	"pkg/chart/ignore":   {},
	"pkg/chart":          {"pkg/chart/ignore", "internal/"},
	"pkg/chart/scaffold": {"pkg/chart"},
	"pkg/values":         {"pkg/chart", "pkg/chart/common"},
	"pkg/render":         {"pkg/chart", "pkg/chart/common", "pkg/values", "pkg/object", "internal/"},
	"pkg/overlay":        {"pkg/render", "pkg/object", "internal/"},
	"pkg/lint":           {"pkg/chart", "pkg/chart/common", "pkg/values", "pkg/render", "pkg/kubeapis", "pkg/crdcheck", "pkg/lint/rules", "pkg/lint/support"},
	"pkg/lint/rules":     {"pkg/chart", "pkg/chart/common", "pkg/render", "pkg/values", "pkg/lint/support"},
	"pkg/lint/support":   {},
	"pkg/kubeapis":       {},
	"pkg/crdcheck":       {},
	"pkg/kube":           {"pkg/chart/common", "pkg/kubeapis", "pkg/object", "internal/"},
	"pkg/diff":           {"pkg/kube", "pkg/crdcheck"},
	"pkg/fleet/load":     {"pkg/api/v1alpha1", "pkg/release", "internal/"},
	"pkg/registry":       {"pkg/chart", "internal/"},
	"pkg/repo":           {"pkg/chart", "pkg/registry", "internal/"},
	"pkg/provenance":     {"pkg/chart"},
	"pkg/signature":      {},
	"pkg/verify":         {"pkg/provenance", "pkg/signature", "pkg/registry"},
	"pkg/source":         {"pkg/chart", "pkg/overlay", "pkg/registry", "pkg/repo"},
	"pkg/release":        {"pkg/chart", "pkg/chart/common", "pkg/values", "pkg/object", "pkg/render", "pkg/overlay", "pkg/kube", "pkg/diff", "pkg/crdcheck", "internal/"},
	"pkg/fleet":          {"pkg/api/v1alpha1", "pkg/fleet/load", "pkg/chart", "pkg/values", "pkg/overlay", "pkg/release", "pkg/kube", "pkg/diff", "internal/"},
}

func allowed(pkg, imp string) bool {
	if strings.HasPrefix(imp, "cmd/") {
		return false
	}
	if strings.HasPrefix(pkg, "internal/") {
		// Helpers below every stage: nothing of pkg/.
		return strings.HasPrefix(imp, "internal/")
	}
	rules, ok := mayImport[pkg]
	if !ok {
		return true
	}
	for _, r := range rules {
		if imp == r || strings.HasSuffix(r, "/") && strings.HasPrefix(imp, r) {
			return true
		}
	}
	return false
}

func TestWhoMayImportWhom(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, top := range []string{"pkg", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(dir string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			p, err := build.ImportDir(dir, 0)
			if _, none := err.(*build.NoGoError); none {
				return nil
			}
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, dir)
			rel = filepath.ToSlash(rel)
			seen = append(seen, rel)
			for _, imp := range p.Imports {
				if !strings.HasPrefix(imp, module) {
					continue
				}
				if imp = strings.TrimPrefix(imp, module); !allowed(rel, imp) {
					t.Errorf("%s imports %s: not allowed (see mayImport and docs/architecture.md)", rel, imp)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for pkg := range mayImport {
		if !slices.Contains(seen, pkg) {
			t.Errorf("mayImport names %s, which is no package: update the table", pkg)
		}
	}
}
