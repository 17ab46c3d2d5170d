package interop

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v4/pkg/action"

	"github.com/lade-dev/lade/pkg/chart"
)

// writeChart writes a minimal chart directory.
func writeChart(t *testing.T, dir, name, version string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := "apiVersion: v2\nname: " + name + "\nversion: " + version + "\n"
	if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
}

// archive packages a chart into charts/ under the given file name.
func archive(t *testing.T, charts, name, version, file string) {
	t.Helper()
	src := filepath.Join(t.TempDir(), name)
	writeChart(t, src, name, version)
	out := t.TempDir()
	p, err := chart.Package(src, out, chart.PackageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p, filepath.Join(charts, file)); err != nil {
		t.Fatal(err)
	}
}

// TestDependencyListInterop: `lade dependency list` prints what `helm
// dependency list` prints, for every state a dependency can be in.
func TestDependencyListInterop(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "app")
	writeChart(t, dir, "app", "1.0.0")
	deps := `dependencies:
- {name: packed, version: 1.0.0, repository: "oci://registry.example.com/charts"}
- {name: unpacked, version: ^2.0.0, repository: "file://../unpacked"}
- {name: absent, version: 1.x, repository: "oci://registry.example.com/charts"}
- {name: old, version: ">=2.0.0", repository: ""}
- {name: badconstraint, version: "not a version", repository: ""}
- {name: renamed, version: 1.0.0, repository: ""}
- {name: twice, version: 1.0.0, repository: ""}
- {name: onesemver, version: 1.0.0, repository: ""}
- {name: long, version: 1.0.0, repository: "oci://registry.example.com/a/very/long/path/that/goes/on/and/on/past/the/column/limit/charts"}
`
	f, err := os.OpenFile(filepath.Join(dir, "Chart.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(deps); err != nil {
		t.Fatal(err)
	}
	f.Close()
	charts := filepath.Join(dir, "charts")
	if err := os.MkdirAll(charts, 0o755); err != nil {
		t.Fatal(err)
	}
	archive(t, charts, "packed", "1.0.0", "packed-1.0.0.tgz")
	writeChart(t, filepath.Join(charts, "unpacked"), "unpacked", "2.3.0")
	writeChart(t, filepath.Join(charts, "old"), "old", "1.0.0")
	writeChart(t, filepath.Join(charts, "badconstraint"), "badconstraint", "1.0.0")
	archive(t, charts, "other", "1.0.0", "renamed-1.0.0.tgz")
	archive(t, charts, "twice", "1.0.0", "twice-1.0.0.tgz")
	archive(t, charts, "twice", "1.1.0", "twice-1.1.0.tgz")
	archive(t, charts, "onesemver", "1.0.0", "onesemver-1.0.0.tgz")
	archive(t, charts, "onesemver", "1.0.0", "onesemver-latest.tgz")
	archive(t, charts, "long", "1.0.0", "long-1.0.0.tgz")
	writeChart(t, filepath.Join(charts, "stray"), "stray", "0.1.0")

	for _, width := range []uint{80, 20} {
		var helmOut bytes.Buffer
		d := action.NewDependency()
		d.ColumnWidth = width
		if err := d.List(dir, &helmOut); err != nil {
			t.Fatal(err)
		}
		c, err := chart.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		var ladeOut bytes.Buffer
		if err := chart.WriteDependencyList(&ladeOut, dir, c, width); err != nil {
			t.Fatal(err)
		}
		if ladeOut.String() != helmOut.String() {
			t.Errorf("width %d: lade prints\n%s\nhelm prints\n%s", width, ladeOut.String(), helmOut.String())
		}
		if !bytes.Contains(helmOut.Bytes(), []byte("too many matches")) || !bytes.Contains(helmOut.Bytes(), []byte("misnamed")) {
			t.Errorf("the layout lacks a state it should show:\n%s", helmOut.String())
		}
	}

	// No dependencies: a warning instead of a table.
	bare := filepath.Join(t.TempDir(), "bare")
	writeChart(t, bare, "bare", "1.0.0")
	var helmOut, ladeOut bytes.Buffer
	if err := action.NewDependency().List(bare, &helmOut); err != nil {
		t.Fatal(err)
	}
	c, err := chart.Load(bare)
	if err != nil {
		t.Fatal(err)
	}
	if err := chart.WriteDependencyList(&ladeOut, bare, c, 80); err != nil {
		t.Fatal(err)
	}
	if ladeOut.String() != helmOut.String() {
		t.Errorf("no dependencies: lade prints %q, helm prints %q", ladeOut.String(), helmOut.String())
	}
}
