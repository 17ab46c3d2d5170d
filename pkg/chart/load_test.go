package chart

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadDirBasic(t *testing.T) {
	c, err := Load(filepath.Join(fixtures, "basic"))
	if err != nil {
		t.Fatal(err)
	}
	md := c.Metadata
	if md.Name != "basic" || md.Version != "1.2.3" || md.AppVersion != "4.5" || md.APIVersion != APIVersionV2 {
		t.Errorf("metadata = %+v", md)
	}
	// Helm turns whitespace in free text into spaces.
	if md.Description != "A chart for the loader tests. " {
		t.Errorf("description = %q", md.Description)
	}
	if md.Annotations["example.com/note"] != "kept as is" || len(md.Maintainers) != 1 || md.Maintainers[0].Email != "jane@example.com" {
		t.Errorf("annotations/maintainers = %+v %+v", md.Annotations, md.Maintainers)
	}
	if len(md.Dependencies) != 1 || !reflect.DeepEqual(md.Dependencies[0].ImportValues, []any{"data", map[string]any{"child": "a", "parent": "b"}}) {
		t.Errorf("dependencies = %+v", md.Dependencies)
	}

	// Templates and files: lexical order per directory, depth first, so
	// files/a/b.txt comes before files/a-b.txt; .helmignore rules and the
	// default templates/.?* rule applied; crds/ land in Files.
	wantTemplates := []string{"templates/NOTES.txt", "templates/_helpers.tpl", "templates/configmap.yaml", "templates/sub/nested.yaml"}
	if got := names(c.Templates); !slices.Equal(got, wantTemplates) {
		t.Errorf("templates = %q, want %q", got, wantTemplates)
	}
	wantFiles := []string{".helmignore", "README.md", "crds/crd.yaml", "files/a/b.txt", "files/a-b.txt", "sub/root-only.txt"}
	if got := names(c.Files); !slices.Equal(got, wantFiles) {
		t.Errorf("files = %q, want %q", got, wantFiles)
	}
	wantRaw := []string{".helmignore", "Chart.lock", "Chart.yaml", "README.md", "charts/.cache/index.txt",
		"charts/sub/Chart.yaml", "charts/sub/templates/.keep", "charts/sub/templates/service.yaml", "charts/sub/values.yaml",
		"crds/crd.yaml", "files/a/b.txt", "files/a-b.txt", "sub/root-only.txt"}
	wantRaw = append(wantRaw, wantTemplates...)
	wantRaw = append(wantRaw, "values.schema.json", "values.yaml")
	if got := names(c.Raw); !slices.Equal(got, wantRaw) {
		t.Errorf("raw = %q\nwant %q", got, wantRaw)
	}

	// values.yaml decodes like JSON: numbers are float64.
	wantValues := map[string]any{
		"replicas": float64(3), "ratio": 0.5, "big": float64(12345678901), "name": "basic", "enabled": true,
		"nothing": nil, "list": []any{float64(1), "two"}, "nested": map[string]any{"a": float64(1)},
	}
	if !reflect.DeepEqual(c.Values, wantValues) {
		t.Errorf("values = %#v", c.Values)
	}
	if string(c.Schema) != "{\"type\": \"object\"}\n" {
		t.Errorf("schema = %q", c.Schema)
	}
	if c.Lock == nil || c.Lock.Digest == "" || len(c.Lock.Dependencies) != 1 ||
		!c.Lock.Generated.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("lock = %+v", c.Lock)
	}

	// The subchart; charts/.cache is skipped like any name starting with ".".
	if got := depNames(c); !slices.Equal(got, []string{"sub"}) {
		t.Fatalf("dependencies = %q", got)
	}
	sub := c.Dependencies()[0]
	if sub.Parent() != c || sub.Root() != c || sub.ChartFullPath() != "basic/charts/sub" {
		t.Errorf("subchart links wrong: %s", sub.ChartFullPath())
	}
	// The default rule is relative to the top chart: subchart dotfiles stay.
	if got := names(sub.Templates); !slices.Equal(got, []string{"templates/.keep", "templates/service.yaml"}) {
		t.Errorf("subchart templates = %q", got)
	}
	if crds := c.CRDObjects(); len(crds) != 1 || crds[0].Filename != "basic/crds/crd.yaml" {
		t.Errorf("crds = %+v", crds)
	}
	for _, f := range c.Raw {
		if f.ModTime.IsZero() {
			t.Errorf("%s has no modtime", f.Name)
		}
	}
}

// An archive of the same files loads to the same chart.
func TestLoadArchiveMatchesDir(t *testing.T) {
	dirChart, err := LoadDir(filepath.Join(fixtures, "basic"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []entry
	for _, f := range dirChart.Raw {
		entries = append(entries, entry{name: "basic/" + f.Name, body: string(f.Data)})
	}
	path := filepath.Join(t.TempDir(), "basic-1.2.3.tgz")
	if err := os.WriteFile(path, makeTgz(t, entries...), 0o644); err != nil {
		t.Fatal(err)
	}
	arc, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sameChart(t, "basic", dirChart, arc)
	for _, f := range arc.Raw {
		if !f.ModTime.Equal(fixedTime) {
			t.Errorf("%s: modtime %v, want the tar header's", f.Name, f.ModTime)
		}
	}
}

// sameChart compares everything but modification times, recursively.
func sameChart(t *testing.T, where string, a, b *Chart) {
	t.Helper()
	if !reflect.DeepEqual(a.Metadata, b.Metadata) {
		t.Errorf("%s: metadata differs: %+v vs %+v", where, a.Metadata, b.Metadata)
	}
	if !reflect.DeepEqual(a.Values, b.Values) || !bytes.Equal(a.Schema, b.Schema) {
		t.Errorf("%s: values or schema differ", where)
	}
	if (a.Lock == nil) != (b.Lock == nil) || a.Lock != nil && a.Lock.Digest != b.Lock.Digest {
		t.Errorf("%s: lock differs", where)
	}
	for _, l := range []struct {
		kind string
		a, b []*File
	}{{"templates", a.Templates, b.Templates}, {"files", a.Files, b.Files}, {"raw", a.Raw, b.Raw}} {
		if !slices.Equal(names(l.a), names(l.b)) {
			t.Errorf("%s: %s differ: %q vs %q", where, l.kind, names(l.a), names(l.b))
			continue
		}
		for i := range l.a {
			if !bytes.Equal(l.a[i].Data, l.b[i].Data) {
				t.Errorf("%s: %s %s data differs", where, l.kind, l.a[i].Name)
			}
		}
	}
	if !slices.Equal(depNames(a), depNames(b)) {
		t.Fatalf("%s: dependencies differ: %q vs %q", where, depNames(a), depNames(b))
	}
	for i := range a.Dependencies() {
		sameChart(t, where+"/"+a.Dependencies()[i].Name(), a.Dependencies()[i], b.Dependencies()[i])
	}
}

func TestLoadV1Requirements(t *testing.T) {
	warnings := captureWarnings(t)

	c, err := LoadDir(filepath.Join(fixtures, "v1"))
	if err != nil {
		t.Fatal(err)
	}
	md := c.Metadata
	if md.APIVersion != APIVersionV1 || md.Name != "legacy" || md.Description != "tab here" {
		t.Errorf("metadata = %+v", md)
	}
	if len(md.Dependencies) != 1 || md.Dependencies[0].Alias != "first_dep" || md.Dependencies[0].Version != "~1.0.0" {
		t.Errorf("dependencies from requirements.yaml = %+v", md.Dependencies)
	}
	if c.Lock == nil || len(c.Lock.Dependencies) != 1 || c.Lock.Dependencies[0].Version != "1.0.3" {
		t.Errorf("lock from requirements.lock = %+v", c.Lock)
	}
	// v1 charts keep requirements.* in Files too.
	if got := names(c.Files); !slices.Equal(got, []string{"requirements.lock", "requirements.yaml"}) {
		t.Errorf("files = %q", got)
	}
	// BOMs are stripped from every file read from disk; CRLF values parse.
	for _, f := range c.Raw {
		if bytes.HasPrefix(f.Data, utf8BOM) {
			t.Errorf("%s still starts with a BOM", f.Name)
		}
	}
	if !reflect.DeepEqual(c.Values, map[string]any{"greeting": "hello", "port": float64(8080)}) {
		t.Errorf("values = %#v", c.Values)
	}
	if got := depNames(c); !slices.Equal(got, []string{"dep1"}) {
		t.Errorf("subcharts = %q", got)
	}
	if len(*warnings) != 0 {
		t.Errorf("unexpected warnings %q", *warnings)
	}

	// The same files in a v2 chart: dependencies still read, with Helm's warnings.
	files := bufferedFromChart(c)
	for _, f := range files {
		if f.Name == "Chart.yaml" {
			f.Data = []byte("apiVersion: v2\nname: legacy\nversion: 0.9.0\n")
		}
	}
	c2, err := LoadFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	if len(c2.Metadata.Dependencies) != 1 || c2.Lock == nil || len(c2.Files) != 0 {
		t.Errorf("v2 chart with requirements.yaml: deps %v lock %v files %q", c2.Metadata.Dependencies, c2.Lock, names(c2.Files))
	}
	wantWarnings := []string{
		`Warning: Dependency locking is handled in Chart.lock since apiVersion "v2". We recommend migrating to Chart.lock.`,
		`Warning: Dependencies are handled in Chart.yaml since apiVersion "v2". We recommend migrating dependencies to Chart.yaml.`,
	}
	if !slices.Equal(*warnings, wantWarnings) {
		t.Errorf("warnings = %q", *warnings)
	}
}

func bufferedFromChart(c *Chart) []*BufferedFile {
	var out []*BufferedFile
	for _, f := range c.Raw {
		out = append(out, &BufferedFile{Name: f.Name, ModTime: f.ModTime, Data: slices.Clone(f.Data)})
	}
	return out
}

// LoadFiles itself strips a BOM before parsing the YAML files.
func TestLoadFilesBOM(t *testing.T) {
	bom := "\xEF\xBB\xBF"
	c, err := LoadFiles([]*BufferedFile{
		{Name: "values.yaml", Data: []byte(bom + "a: 1\n")},
		{Name: "requirements.yaml", Data: []byte(bom + "dependencies:\n- name: x\n  repository: r\n")},
		{Name: "Chart.yaml", Data: []byte(bom + "apiVersion: v1\nname: bom\nversion: 1.0.0\n")},
		{Name: "Chart.lock", Data: []byte(bom + "digest: d\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "bom" || c.Values["a"] != float64(1) || len(c.Metadata.Dependencies) != 1 || c.Lock.Digest != "d" {
		t.Fatalf("chart = %+v values %v lock %+v", c.Metadata, c.Values, c.Lock)
	}
	// Raw keeps the bytes as given.
	if !bytes.HasPrefix(c.Raw[0].Data, []byte(bom)) {
		t.Error("Raw data was modified")
	}
}

// Subcharts nested three levels below the root, mixing directories and
// archives, load the same from a directory and from an archive.
func TestLoadNestedMixed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "root")
	copyTree(t, filepath.Join(fixtures, "nested"), dir)
	betaDir := filepath.Join(dir, "charts", "alpha", "charts", "beta")
	betaTgz := tgzDir(t, betaDir, "beta")
	if err := os.RemoveAll(betaDir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(betaDir+"-1.0.0.tgz", betaTgz, 0o644); err != nil {
		t.Fatal(err)
	}

	fromDir, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	check := func(c *Chart) {
		t.Helper()
		if got := depNames(c); !slices.Equal(got, []string{"alpha", "omega"}) {
			t.Fatalf("root deps = %q", got)
		}
		alpha := c.Dependencies()[0]
		if got := depNames(alpha); !slices.Equal(got, []string{"beta"}) {
			t.Fatalf("alpha deps = %q", got)
		}
		beta := alpha.Dependencies()[0]
		if beta.Values["level"] != "beta" {
			t.Errorf("beta values = %v", beta.Values)
		}
		if got := depNames(beta); !slices.Equal(got, []string{"gamma"}) {
			t.Fatalf("beta deps = %q", got)
		}
		gamma := beta.Dependencies()[0]
		if gamma.ChartFullPath() != "root/charts/alpha/charts/beta/charts/gamma" || gamma.ChartPath() != "root.alpha.beta.gamma" {
			t.Errorf("gamma paths = %s %s", gamma.ChartFullPath(), gamma.ChartPath())
		}
		if got := names(gamma.Templates); !slices.Equal(got, []string{"templates/gamma.yaml"}) {
			t.Errorf("gamma templates = %q", got)
		}
		if gamma.Root() != c {
			t.Error("gamma's root is not the top chart")
		}
	}
	check(fromDir)
	// The parent keeps the subchart archive itself in Raw, not in Files.
	if !slices.Contains(names(fromDir.Dependencies()[0].Raw), "charts/beta-1.0.0.tgz") {
		t.Errorf("alpha raw = %q", names(fromDir.Dependencies()[0].Raw))
	}

	fromArchive, err := LoadArchive(bytes.NewReader(tgzDir(t, dir, "root")))
	if err != nil {
		t.Fatal(err)
	}
	check(fromArchive)
	sameChart(t, "root", fromDir, fromArchive)
}

// Subcharts come in the lexical order of their names under charts/ (Helm's
// own order is random: it ranges over a map).
func TestSubchartOrder(t *testing.T) {
	sub := func(name string) string { return "apiVersion: v2\nname: " + name + "\nversion: 1.0.0\n" }
	zetaTgz := makeTgz(t, entry{name: "zeta/Chart.yaml", body: sub("zeta")})
	files := []*BufferedFile{
		{Name: "charts/mid/Chart.yaml", Data: []byte(sub("mid"))},
		{Name: "charts/zz-first.tgz", Data: zetaTgz},
		{Name: "Chart.yaml", Data: []byte(minimalChart)},
		{Name: "charts/_partials/x.txt", Data: []byte("skipped")},
		{Name: "charts/alpha/Chart.yaml", Data: []byte(sub("alpha"))},
		{Name: "charts/sub.tgz.prov", Data: []byte("signature")},
		{Name: "charts/alpha/x.prov", Data: []byte("also the parent's")},
	}
	c, err := LoadFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	if got := depNames(c); !slices.Equal(got, []string{"alpha", "mid", "zeta"}) {
		t.Errorf("dependencies = %q", got)
	}
	if got := names(c.Files); !slices.Equal(got, []string{"charts/sub.tgz.prov", "charts/alpha/x.prov"}) {
		t.Errorf("files = %q", got)
	}
}

func TestHelmignoreDir(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"Chart.yaml":               minimalChart,
		".helmignore":              "\xEF\xBB\xBF# comment\n*.tmp\n/top.txt\ndocs/\ntemplates/skip-*.yaml\n",
		"top.txt":                  "ignored: anchored",
		"keep/top.txt":             "kept: anchor is the root",
		"a.tmp":                    "ignored",
		"deep/b.tmp":               "ignored: basename rule",
		"docs/index.md":            "ignored: directory rule",
		"docs.txt":                 "kept",
		"templates/skip-me.yaml":   "ignored",
		"templates/keep.yaml":      "kept",
		"templates/.hidden.yaml":   "ignored by default",
		"templates/x/.hidden.yaml": "kept: default rule is one level",
	})
	c, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(c.Files), []string{".helmignore", "docs.txt", "keep/top.txt"}; !slices.Equal(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
	if got, want := names(c.Templates), []string{"templates/keep.yaml", "templates/x/.hidden.yaml"}; !slices.Equal(got, want) {
		t.Errorf("templates = %q, want %q", got, want)
	}

	// Archives ignore .helmignore, as in Helm.
	c, err = LoadArchive(bytes.NewReader(makeTgz(t,
		entry{name: "c/Chart.yaml", body: minimalChart},
		entry{name: "c/.helmignore", body: "*.tmp\n"},
		entry{name: "c/a.tmp", body: "kept"},
		entry{name: "c/templates/.hidden", body: "kept"},
	)))
	if err != nil {
		t.Fatal(err)
	}
	if got := names(c.Files); !slices.Equal(got, []string{".helmignore", "a.tmp"}) || len(c.Templates) != 1 {
		t.Errorf("archive files = %q templates = %q", got, names(c.Templates))
	}

	// A broken .helmignore stops the load.
	writeTree(t, dir, map[string]string{".helmignore": "ok\n**/x\n"})
	_, err = LoadDir(dir)
	wantErr(t, err, "load chart "+dir+": .helmignore: line 2: double-star (**) syntax is not supported")
}

// Symlinks inside the chart are followed, like Helm does.
func TestDirSymlinksInside(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"Chart.yaml":        minimalChart,
		"shared/common.txt": "common",
		"shared/cm.yaml":    "kind: ConfigMap\n",
		"shared/rules.txt":  "rules.txt\n",
	})
	for link, target := range map[string]string{
		"templates":          "shared",
		"files/link.txt":     "../shared/common.txt",
		"files/abs-link.txt": filepath.Join(dir, "shared", "common.txt"),
		"files/shared-again": "../shared",
		".helmignore":        "shared/rules.txt",
		"shared/alias.txt":   "common.txt",
	} {
		p := filepath.Join(dir, link)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	c, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(c.Templates); !slices.Equal(got, []string{"templates/alias.txt", "templates/cm.yaml", "templates/common.txt"}) {
		t.Errorf("templates = %q", got)
	}
	// .helmignore is a symlink to shared/rules.txt, whose rule drops rules.txt everywhere.
	want := []string{".helmignore", "files/abs-link.txt", "files/link.txt", "files/shared-again/alias.txt", "files/shared-again/cm.yaml",
		"files/shared-again/common.txt", "shared/alias.txt", "shared/cm.yaml", "shared/common.txt"}
	if got := names(c.Files); !slices.Equal(got, want) {
		t.Errorf("files = %q\nwant %q", got, want)
	}
	for _, f := range c.Files {
		if f.Name == "files/link.txt" && string(f.Data) != "common" {
			t.Errorf("link data = %q", f.Data)
		}
	}

	// The chart directory itself may be reached through a symlink.
	link := filepath.Join(t.TempDir(), "chart-link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(link); err != nil {
		t.Fatal(err)
	}
}

func TestLoadValues(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]any
		wantErr string
	}{
		{name: "empty", in: "", want: map[string]any{}},
		{name: "null", in: "~\n", want: map[string]any{}},
		{name: "comments only", in: "# nothing\n", want: map[string]any{}},
		{name: "types", in: "i: 1\nf: 1.5\ns: \"1\"\nb: yes\nt: 2024-01-02\nnil: null\nhex: 0x1F\ny: YAML 1.1 bool key\n",
			want: map[string]any{"i": float64(1), "f": 1.5, "s": "1", "b": true, "t": "2024-01-02", "nil": nil, "hex": float64(31), "true": "YAML 1.1 bool key"}},
		{name: "multi doc merge", in: "a: 1\nm:\n  x: 1\n  z: 1\n---\nb: 2\nm:\n  z: 2\n--- # c\nl: [1]\n",
			want: map[string]any{"a": float64(1), "b": float64(2), "m": map[string]any{"x": float64(1), "z": float64(2)}, "l": []any{float64(1)}}},
		{name: "later scalar replaces map", in: "m:\n  x: 1\n---\nm: 3\n", want: map[string]any{"m": float64(3)}},
		{name: "leading separator", in: "---\na: 1\n", want: map[string]any{"a": float64(1)}},
		{name: "empty documents", in: "---\n---\n---\na: 1\n---\n", want: map[string]any{"a": float64(1)}},
		{name: "crlf and no final newline", in: "a: |\r\n  x\r\n  y\r\nb: 2", want: map[string]any{"a": "x\ny\n", "b": float64(2)}},
		{name: "bad separator", in: "a: 1\n--- b: 2\n", wantErr: "error reading yaml document: invalid Yaml document separator: b: 2"},
		{name: "four dashes", in: "----\n", wantErr: "error reading yaml document: invalid Yaml document separator: -"},
		{name: "not a map", in: "- a\n", wantErr: "cannot unmarshal yaml document: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}"},
		{name: "bad yaml", in: "a: [\n", wantErr: "cannot unmarshal yaml document: error converting YAML to JSON: yaml: line 1: did not find expected node content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadValues([]byte(tt.in))
			if tt.wantErr != "" {
				wantErr(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestMergeMapsDoesNotModifyInputs(t *testing.T) {
	a := map[string]any{"m": map[string]any{"x": 1}}
	b := map[string]any{"m": map[string]any{"y": 2}}
	got := MergeMaps(a, b)
	if !reflect.DeepEqual(got, map[string]any{"m": map[string]any{"x": 1, "y": 2}}) {
		t.Errorf("got %v", got)
	}
	if len(a["m"].(map[string]any)) != 1 || len(b["m"].(map[string]any)) != 1 {
		t.Error("inputs modified")
	}
}

// Every chart of the shared conformance corpus must load.
func TestLoadConformanceCharts(t *testing.T) {
	root := filepath.Join("..", "..", "..", "shared", "conformance", "charts")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Skipf("no conformance corpus: %v", err)
	}
	captureWarnings(t)
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		c, err := Load(filepath.Join(root, e.Name()))
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		if c.Name() == "" || len(c.Raw) == 0 || strings.TrimSpace(c.Metadata.Version) == "" {
			t.Errorf("%s: loaded an empty chart", e.Name())
		}
	}
	if n == 0 {
		t.Skip("conformance corpus has no charts")
	}
}
