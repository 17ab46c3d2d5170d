package chart

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
)

// FuzzLoadArchive feeds arbitrary bytes to LoadArchive: it must never panic,
// and whatever it accepts must satisfy the loader's guarantees.
// Seeds: testdata/fuzz/FuzzLoadArchive.
func FuzzLoadArchive(f *testing.F) {
	f.Add(makeTgz(f, entry{name: "c/Chart.yaml", body: minimalChart}, entry{name: "c/templates/a.yaml", body: "kind: A\n"}))
	old := WarningHandler
	WarningHandler = nil
	f.Cleanup(func() { WarningHandler = old })
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := LoadArchive(bytes.NewReader(data))
		if err != nil {
			if c != nil {
				t.Fatal("chart returned with an error")
			}
			return
		}
		checkLoaded(t, c, 0)
	})
}

// FuzzChartYAML feeds arbitrary Chart.yaml contents to the loader (parsing
// and metadata validation): no panic, and accepted metadata is sane.
// Seeds: testdata/fuzz/FuzzChartYAML.
func FuzzChartYAML(f *testing.F) {
	f.Add([]byte(minimalChart))
	old := WarningHandler
	WarningHandler = nil
	f.Cleanup(func() { WarningHandler = old })
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := LoadFiles([]*BufferedFile{{Name: "Chart.yaml", Data: data}})
		if err != nil {
			return
		}
		checkLoaded(t, c, 0)
		// Validation is idempotent on what it accepted.
		if err := c.Metadata.Validate(); err != nil {
			t.Fatalf("revalidation failed: %v", err)
		}
	})
}

// checkLoaded asserts the invariants of a successfully loaded chart.
func checkLoaded(t *testing.T, c *Chart, depth int) {
	t.Helper()
	if depth > maxDepth+1 {
		t.Fatalf("subcharts nested %d deep", depth)
	}
	md := c.Metadata
	if md == nil || md.Name == "" || md.Name == "." || md.Name == ".." || strings.ContainsAny(md.Name, `/\`) || md.Version == "" {
		t.Fatalf("bad metadata accepted: %+v", md)
	}
	for _, s := range []string{md.Name, md.Description, md.Home, md.Icon, md.AppVersion, md.KubeVersion} {
		for _, r := range s {
			if !unicode.IsPrint(r) {
				t.Fatalf("non-printable %U kept in %q", r, s)
			}
		}
	}
	for i, d := range md.Dependencies {
		if d == nil {
			t.Fatalf("dependency %d is nil", i)
		}
		if d.Alias != "" && !aliasFormat.MatchString(d.Alias) {
			t.Fatalf("bad alias accepted: %q", d.Alias)
		}
	}
	for _, m := range md.Maintainers {
		if m == nil {
			t.Fatal("nil maintainer accepted")
		}
	}
	var total int64
	for _, list := range [][]*File{c.Raw, c.Templates, c.Files} {
		for _, f := range list {
			if err := checkFileName(f.Name); err != nil {
				t.Fatalf("bad file name accepted: %v", err)
			}
			if int64(len(f.Data)) > MaxFileSize {
				t.Fatalf("%s: %d bytes", f.Name, len(f.Data))
			}
		}
	}
	for _, f := range c.Raw {
		total += int64(len(f.Data))
	}
	if total > MaxChartSize {
		t.Fatalf("chart holds %d bytes", total)
	}
	for _, sc := range c.Dependencies() {
		if sc.Parent() != c {
			t.Fatal("subchart parent not set")
		}
		checkLoaded(t, sc, depth+1)
	}
}
