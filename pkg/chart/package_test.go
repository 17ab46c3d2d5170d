package chart

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// registryFixture is the chart the packaging and registry tests share.
var registryFixture = filepath.Join("..", "..", "testdata", "charts", "registry", "webapp")

// tarEntry is what readPackage reports of one archive entry.
type tarEntry struct {
	hdr  *tar.Header
	data []byte
}

// readPackage returns the gzip header and the tar entries of a package.
func readPackage(t *testing.T, data []byte) (gzip.Header, []tarEntry) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out []tarEntry
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarEntry{hdr: hdr, data: b})
	}
	return zr.Header, out
}

// touchAll sets the modification time of everything below dir.
func touchAll(t *testing.T, dir string, when time.Time) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, when, when)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func packageBytes(t *testing.T, dir string, opts PackageOptions) (string, []byte) {
	t.Helper()
	out := t.TempDir()
	name, err := Package(dir, out, opts)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return name, data
}

func TestPackageReproducible(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	a, b := filepath.Join(t.TempDir(), "webapp"), filepath.Join(t.TempDir(), "other-name")
	copyTree(t, registryFixture, a)
	copyTree(t, registryFixture, b)
	touchAll(t, a, time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC))
	touchAll(t, b, time.Now())

	nameA, dataA := packageBytes(t, a, PackageOptions{})
	nameB, dataB := packageBytes(t, b, PackageOptions{})
	if !bytes.Equal(dataA, dataB) {
		t.Fatal("two copies of the same chart with different file times packaged to different bytes")
	}
	if filepath.Base(nameA) != "webapp-1.2.3.tgz" || filepath.Base(nameB) != "webapp-1.2.3.tgz" {
		t.Fatalf("package names %s, %s; want webapp-1.2.3.tgz", nameA, nameB)
	}
	// Packaging the same directory again gives the same bytes too.
	if _, again := packageBytes(t, a, PackageOptions{}); !bytes.Equal(dataA, again) {
		t.Fatal("packaging twice gave different bytes")
	}

	epoch := time.Unix(DefaultPackageEpoch, 0)
	zh, entries := readPackage(t, dataA)
	if zh.Name != "" || !zh.ModTime.IsZero() || zh.Comment != "" || zh.Extra != nil {
		t.Errorf("gzip header carries name %q, time %v, comment %q, extra %q", zh.Name, zh.ModTime, zh.Comment, zh.Extra)
	}
	var got []string
	for _, e := range entries {
		h := e.hdr
		got = append(got, h.Name)
		if h.Typeflag != tar.TypeReg || h.Mode != 0o644 || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: type %c mode %o uid %d gid %d uname %q gname %q", h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		if !h.ModTime.Equal(epoch) {
			t.Errorf("%s: mtime %v, want %v", h.Name, h.ModTime, epoch)
		}
	}
	want := []string{
		"webapp/.helmignore",
		"webapp/Chart.yaml",
		"webapp/README.md",
		"webapp/charts/cache/Chart.yaml",
		"webapp/charts/cache/templates/service.yaml",
		"webapp/charts/cache/values.yaml",
		"webapp/files/config.yaml",
		"webapp/templates/NOTES.txt",
		"webapp/templates/_helpers.tpl",
		"webapp/templates/configmap.yaml",
		"webapp/templates/deployment.yaml",
		"webapp/values.yaml",
	}
	if !slices.Equal(got, want) {
		t.Errorf("entries (sorted, .helmignore applied):\n got %q\nwant %q", got, want)
	}
	// Files are packed as they are in the directory.
	for _, e := range entries {
		src, err := os.ReadFile(filepath.Join(registryFixture, strings.TrimPrefix(e.hdr.Name, "webapp/")))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(src, e.data) {
			t.Errorf("%s differs from the chart's file", e.hdr.Name)
		}
	}
	// The archive file itself carries the package time (Helm's push uses it
	// as the manifest's creation time).
	fi, err := os.Stat(nameA)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.ModTime().Equal(epoch) || fi.Mode().Perm() != 0o644 {
		t.Errorf("archive file mtime %v mode %v, want %v and 0644", fi.ModTime(), fi.Mode().Perm(), epoch)
	}
}

func TestPackageSourceDateEpoch(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	name, data := packageBytes(t, registryFixture, PackageOptions{})
	_, entries := readPackage(t, data)
	want := time.Unix(1700000000, 0)
	for _, e := range entries {
		if !e.hdr.ModTime.Equal(want) {
			t.Fatalf("%s: mtime %v, want %v", e.hdr.Name, e.hdr.ModTime, want)
		}
	}
	if fi, err := os.Stat(name); err != nil || !fi.ModTime().Equal(want) {
		t.Fatalf("archive mtime: %v %v", fi.ModTime(), err)
	}
	_, data2 := packageBytes(t, registryFixture, PackageOptions{})
	if !bytes.Equal(data, data2) {
		t.Fatal("same SOURCE_DATE_EPOCH, different bytes")
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1700000001")
	if _, data3 := packageBytes(t, registryFixture, PackageOptions{}); bytes.Equal(data, data3) {
		t.Fatal("a different SOURCE_DATE_EPOCH gave the same bytes")
	}
	// An explicit ModTime wins.
	at := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	_, data4 := packageBytes(t, registryFixture, PackageOptions{ModTime: at})
	if _, e := readPackage(t, data4); !e[0].hdr.ModTime.Equal(at) {
		t.Fatalf("ModTime option ignored: %v", e[0].hdr.ModTime)
	}

	for _, bad := range []struct{ val, want string }{
		{"yesterday", `invalid SOURCE_DATE_EPOCH: strconv.ParseInt: parsing "yesterday": invalid syntax`},
		{"-1", "invalid SOURCE_DATE_EPOCH: must not be negative"},
	} {
		t.Setenv("SOURCE_DATE_EPOCH", bad.val)
		out := t.TempDir()
		_, err := Package(registryFixture, out, PackageOptions{})
		if err == nil || err.Error() != bad.want {
			t.Errorf("SOURCE_DATE_EPOCH=%s: error %v, want %q", bad.val, err, bad.want)
		}
		assertEmptyDir(t, out)
	}
}

func TestPackageLoadsLikeTheDirectory(t *testing.T) {
	_, data := packageBytes(t, registryFixture, PackageOptions{})
	fromArchive, err := LoadArchive(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	fromDir, err := LoadDir(registryFixture)
	if err != nil {
		t.Fatal(err)
	}
	sameChart(t, "package", fromDir, fromArchive)
}

func TestPackageVersionOverrides(t *testing.T) {
	name, data := packageBytes(t, registryFixture, PackageOptions{Version: "2.0.0+build.7", AppVersion: "9.9"})
	if filepath.Base(name) != "webapp-2.0.0+build.7.tgz" {
		t.Fatalf("name %s", name)
	}
	c, err := LoadArchive(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if c.Metadata.Version != "2.0.0+build.7" || c.Metadata.AppVersion != "9.9" {
		t.Fatalf("version %q appVersion %q", c.Metadata.Version, c.Metadata.AppVersion)
	}
	// Everything else of Chart.yaml survives the rewrite.
	if c.Metadata.Home != "https://example.com/webapp" || len(c.Metadata.Maintainers) != 2 || len(c.Metadata.Dependencies) != 1 ||
		c.Metadata.Annotations["example.com/team"] != "platform" {
		t.Fatalf("metadata lost in the rewrite: %+v", c.Metadata)
	}
}

func TestPackageV1KeepsRequirements(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"Chart.yaml":              "apiVersion: v1\nname: old\nversion: 0.1.0\n",
		"requirements.yaml":       "dependencies:\n- name: sub\n  version: 0.1.0\n",
		"charts/sub/Chart.yaml":   "name: sub\nversion: 0.1.0\n",
		"templates/cm.yaml":       "kind: ConfigMap\n",
		"charts/sub/values.yaml":  "a: 1\n",
		"charts/sub/.placeholder": "",
	})
	_, data := packageBytes(t, dir, PackageOptions{Version: "0.2.0"})
	_, entries := readPackage(t, data)
	for _, e := range entries {
		if e.hdr.Name == "old/Chart.yaml" && strings.Contains(string(e.data), "dependencies") {
			t.Errorf("v1 Chart.yaml got the dependencies of requirements.yaml:\n%s", e.data)
		}
	}
	c, err := LoadArchive(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Metadata.Dependencies) != 1 || c.Metadata.Version != "0.2.0" {
		t.Fatalf("metadata %+v", c.Metadata)
	}
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if len(ents) > 0 {
		var n []string
		for _, e := range ents {
			n = append(n, e.Name())
		}
		t.Fatalf("%s should be empty, holds %v", dir, n)
	}
}

func TestPackageErrors(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		files map[string]string
		setup func(dir string)
		opts  PackageOptions
		want  string
	}{
		{
			name:  "bad version flag",
			files: map[string]string{"Chart.yaml": "apiVersion: v2\nname: a\nversion: 1.0.0\n"},
			opts:  PackageOptions{Version: "one"},
			want:  `invalid --version "one": invalid semantic version`,
		},
		{
			name:  "bad version in Chart.yaml",
			files: map[string]string{"Chart.yaml": "apiVersion: v2\nname: a\nversion: latest\n"},
			want:  `Chart.yaml: validation: chart.metadata.version "latest" is invalid`,
		},
		{
			name:  "missing dependency",
			files: map[string]string{"Chart.yaml": "apiVersion: v2\nname: a\nversion: 1.0.0\ndependencies:\n- name: db\n  version: 1.x\n  repository: oci://example.com/charts\n"},
			want:  "an error occurred while checking for chart dependencies. You may need to run 'lade dependency build' to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: db",
		},
		{
			name:  "invalid schema",
			files: map[string]string{"Chart.yaml": "apiVersion: v2\nname: a\nversion: 1.0.0\n", "values.schema.json": "{nope"},
			want:  "invalid JSON in values.schema.json",
		},
		{
			name:  "symlink leaving the chart",
			files: map[string]string{"Chart.yaml": "apiVersion: v2\nname: a\nversion: 1.0.0\n"},
			setup: func(dir string) {
				if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "leak")); err != nil {
					t.Fatal(err)
				}
			},
			want: "symlink leak points outside the chart (to " + filepath.Join(outside, "secret") + ")",
		},
		{
			name:  "file too large",
			files: map[string]string{"Chart.yaml": "apiVersion: v2\nname: a\nversion: 1.0.0\n", "big": strings.Repeat("x", int(MaxFileSize)+1)},
			want:  "error reading big: file is larger than the maximum size 5242880",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tc.files)
			if tc.setup != nil {
				tc.setup(dir)
			}
			out := filepath.Join(t.TempDir(), "out")
			_, err := Package(dir, out, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
			}
			assertEmptyDir(t, out)
		})
	}
}
