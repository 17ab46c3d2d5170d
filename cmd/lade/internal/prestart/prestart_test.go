package prestart

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lade-dev/lade/pkg/chart"
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

func TestOnSchemaGetsEverySchemaOnce(t *testing.T) {
	reset := func() {
		mu.Lock()
		compile, pending = nil, nil
		mu.Unlock()
	}
	reset()
	t.Cleanup(reset)
	schemaLoaded(&chart.Chart{Schema: []byte(`{"title": "a"}`)}) // before OnSchema: kept
	schemaLoaded(&chart.Chart{})                                 // no schema
	var got []string
	OnSchema(func(b []byte) { got = append(got, string(b)) })
	schemaLoaded(&chart.Chart{Schema: []byte(`{"title": "b"}`)}) // after: at once
	if want := []string{`{"title": "a"}`, `{"title": "b"}`}; !slices.Equal(got, want) {
		t.Fatalf("compiled %q, want %q", got, want)
	}
}

func TestSkipsSchema(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"template", "x", "c", "--skip-schema-validation"}, true},
		{[]string{"install", "--skip-schema-validation=true", "x", "c"}, true},
		{[]string{"template", "x", "c", "--skip-schema-validation=false"}, false},
		{[]string{"template", "x", "c"}, false},
		{[]string{"template", "x", "c", "--", "--skip-schema-validation"}, false},
	} {
		if got := skipsSchema(c.args); got != c.want {
			t.Errorf("skipsSchema(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}
