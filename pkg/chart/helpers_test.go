package chart

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixtures is the directory of the loader's test charts.
var fixtures = filepath.Join("..", "..", "testdata", "charts", "loader")

// entry is one tar entry for makeTgz.
type entry struct {
	name     string
	body     string
	typeflag byte // tar.TypeReg when zero
	linkname string
	mode     int64
}

var fixedTime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// writeTgz writes a gzipped tar of the entries to w.
func writeTgz(w io.Writer, entries []entry) error {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		hd := &tar.Header{Name: e.name, Typeflag: e.typeflag, Linkname: e.linkname, Mode: e.mode, ModTime: fixedTime, Format: tar.FormatPAX}
		if hd.Typeflag == 0 {
			hd.Typeflag = tar.TypeReg
		}
		if hd.Mode == 0 {
			hd.Mode = 0o644
		}
		if hd.Typeflag == tar.TypeReg {
			hd.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hd); err != nil {
			return err
		}
		if hd.Typeflag == tar.TypeReg {
			if _, err := io.WriteString(tw, e.body); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

func makeTgz(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := writeTgz(&buf, entries); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tgzDir archives the regular files below dir under the top directory top.
func tgzDir(t testing.TB, dir, top string) []byte {
	t.Helper()
	var entries []entry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		entries = append(entries, entry{name: top + "/" + filepath.ToSlash(rel), body: string(data)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return makeTgz(t, entries...)
}

// copyTree copies the regular files below src into dst.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// writeTree creates files (name -> content) below dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func names(files []*File) []string {
	out := make([]string, 0, len(files))
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

func depNames(c *Chart) []string {
	var out []string
	for _, d := range c.Dependencies() {
		out = append(out, d.Name())
	}
	return out
}

func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if err.Error() != want {
		t.Fatalf("error\n got: %s\nwant: %s", err, want)
	}
}

func wantErrContains(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error\n     got: %s\nwant sub: %s", err, want)
	}
}

const minimalChart = "apiVersion: v2\nname: mini\nversion: 0.1.0\n"

// captureWarnings collects the loader's warnings until the test ends.
func captureWarnings(t *testing.T) *[]string {
	var got []string
	old := WarningHandler
	WarningHandler = func(m string) { got = append(got, m) }
	t.Cleanup(func() { WarningHandler = old })
	return &got
}
