package prestart

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestChartArgs(t *testing.T) {
	dir := t.TempDir()
	chartDir := filepath.Join(dir, "shop")
	other := filepath.Join(dir, "db")
	for _, d := range []string{chartDir, other} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "Chart.yaml"), []byte("apiVersion: v2\nname: x\nversion: 0.1.0\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	archive := filepath.Join(dir, "shop-1.0.0.tgz")
	values := filepath.Join(dir, "values.yaml")
	for _, f := range []string{archive, values} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plain := filepath.Join(dir, "plain") // a directory without Chart.yaml
	if err := os.Mkdir(plain, 0o755); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"template", []string{"template", "shop", chartDir, "-f", values, "--set", "a=b"}, []string{chartDir}},
		{"global flags first", []string{"-n", "ns", "--debug", "install", "shop", chartDir}, []string{chartDir}},
		{"archive", []string{"upgrade", "--install", "shop", archive}, []string{archive}},
		{"diff upgrade", []string{"diff", "upgrade", "shop", chartDir}, []string{chartDir}},
		{"lint, two at most", []string{"lint", chartDir, other, archive}, []string{chartDir, other}},
		{"not a chart", []string{"template", "shop", plain, "--output-dir", plain}, nil},
		{"missing path", []string{"template", "shop", filepath.Join(dir, "nope")}, nil},
		{"oci reference", []string{"install", "shop", "oci://example.com/charts/shop"}, nil},
		{"other command", []string{"package", chartDir}, nil},
		{"show", []string{"show", "values", chartDir}, nil},
		{"help", []string{"template", chartDir, "--help"}, nil},
		{"no command", []string{chartDir}, nil},
		{"go test flags", []string{"-test.run=X", "-test.v"}, nil},
	} {
		if got := chartArgs(c.args); !slices.Equal(got, c.want) {
			t.Errorf("%s: chartArgs(%q) = %q, want %q", c.name, c.args, got, c.want)
		}
	}
}
