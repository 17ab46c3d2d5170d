package chart

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestArchiveHostile(t *testing.T) {
	chart := entry{name: "c/Chart.yaml", body: minimalChart}
	tests := []struct {
		name    string
		entries []entry
		want    string // full error text
	}{
		{"parent dir", []entry{chart, {name: "../evil", body: "x"}},
			`archive entry "../evil": chart illegally references parent directory`},
		{"parent dir inside", []entry{chart, {name: "c/templates/../../evil", body: "x"}},
			`archive entry "c/templates/../../evil": chart illegally references parent directory`},
		{"parent dir that would clean", []entry{chart, {name: "c/templates/../x", body: "x"}},
			`archive entry "c/templates/../x": chart illegally references parent directory`},
		{"backslash parent dir", []entry{chart, {name: `c\..\..\evil`, body: "x"}},
			`archive entry "c\\..\\..\\evil": chart illegally references parent directory`},
		{"dot dot name prefix (Helm)", []entry{chart, {name: "c/..foo", body: "x"}},
			`archive entry "c/..foo": chart illegally references parent directory`},
		{"absolute", []entry{chart, {name: "/abs", body: "x"}},
			`archive entry "/abs": chart illegally contains absolute paths`},
		{"absolute after the chart dir", []entry{chart, {name: "c//etc/passwd", body: "x"}},
			`archive entry "c//etc/passwd": chart illegally contains absolute paths`},
		{"drive letter", []entry{chart, {name: `C:\x`, body: "x"}},
			`archive entry "C:\\x": chart contains illegally named files (Windows drive letter)`},
		{"drive letter after the chart dir", []entry{chart, {name: "c/d:/x", body: "x"}},
			`archive entry "c/d:/x": chart contains illegally named files`},
		{"absolute directory", []entry{chart, {name: "/etc/", typeflag: tar.TypeDir}},
			`archive entry "/etc/": chart illegally contains absolute paths`},
		{"file outside any chart dir", []entry{chart, {name: "README", body: "x"}},
			`archive entry "README": chart illegally contains content outside the base directory`},
		{"Chart.yaml as top directory", []entry{{name: "Chart.yaml/x", body: "x"}},
			`archive entry "Chart.yaml/x": chart yaml not in base directory`},
		{"symlink escape", []entry{chart, {name: "c/templates/x.yaml", typeflag: tar.TypeSymlink, linkname: "../../../etc/passwd"}},
			`archive entry "c/templates/x.yaml": symlink target "../../../etc/passwd" leaves the chart`},
		{"symlink to chart parent", []entry{chart, {name: "c/x", typeflag: tar.TypeSymlink, linkname: ".."}},
			`archive entry "c/x": symlink target ".." leaves the chart`},
		{"absolute symlink", []entry{chart, {name: "c/x", typeflag: tar.TypeSymlink, linkname: "/etc/passwd"}},
			`archive entry "c/x": symlink target "/etc/passwd" leaves the chart`},
		{"hard link escape", []entry{chart, {name: "c/x", typeflag: tar.TypeLink, linkname: "../etc/passwd"}},
			`archive entry "c/x": hard link target "../etc/passwd": chart illegally references parent directory`},
		{"fifo", []entry{chart, {name: "c/templates/pipe", typeflag: tar.TypeFifo}},
			`archive entry "c/templates/pipe": named pipes (fifos) are not allowed in a chart`},
		{"char device", []entry{chart, {name: "c/null", typeflag: tar.TypeChar}},
			`archive entry "c/null": devices are not allowed in a chart`},
		{"block device", []entry{chart, {name: "c/sda", typeflag: tar.TypeBlock}},
			`archive entry "c/sda": devices are not allowed in a chart`},
		{"socket mode bits", []entry{chart, {name: "c/sock", mode: 0o140644}},
			`archive entry "c/sock": sockets are not allowed in a chart`},
		{"file over 5 MiB", []entry{chart, {name: "c/big.bin", body: strings.Repeat("x", int(MaxFileSize)+1)}},
			`archive entry "c/big.bin": file is larger than the maximum size 5242880`},
		{"only directories", []entry{{name: "c/", typeflag: tar.TypeDir}, {name: "c/templates/", typeflag: tar.TypeDir}},
			`no files in chart archive`},
		{"no Chart.yaml", []entry{{name: "c/values.yaml", body: "a: 1\n"}},
			`Chart.yaml file is missing`},
		{"hostile subchart archive", []entry{chart, {name: "c/charts/sub.tgz", body: string(makeTgz(t, entry{name: "sub/../../x", body: "x"}))}},
			`error unpacking subchart sub.tgz in mini: archive entry "sub/../../x": chart illegally references parent directory`},
		{"subchart archive that is not gzip", []entry{chart, {name: "c/charts/sub.tgz", body: "name: sub\n"}},
			`error unpacking subchart sub.tgz in mini: not a gzip archive`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadArchive(bytes.NewReader(makeTgz(t, tt.entries...)))
			wantErr(t, err, "load chart archive: "+tt.want)
		})
	}
}

// Links that stay inside an archive load as empty files, exactly like Helm
// (which reads their zero bytes of data); exactly 5 MiB is fine.
func TestArchiveTolerated(t *testing.T) {
	c, err := LoadArchive(bytes.NewReader(makeTgz(t,
		entry{name: "c/", typeflag: tar.TypeDir},
		entry{name: "c/Chart.yaml", body: minimalChart},
		entry{name: "c/templates/link.yaml", typeflag: tar.TypeSymlink, linkname: "../files/x.yaml"},
		entry{name: "c/hard", typeflag: tar.TypeLink, linkname: "c/Chart.yaml"},
		entry{name: "c/files/five.bin", body: strings.Repeat("x", int(MaxFileSize))},
		entry{name: `c\templates\win.yaml`, body: "windows separators"},
	)))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Templates) != 2 || c.Templates[0].Name != "templates/link.yaml" || len(c.Templates[0].Data) != 0 ||
		c.Templates[1].Name != "templates/win.yaml" {
		t.Errorf("templates = %q", names(c.Templates))
	}
	if got := names(c.Files); len(got) != 2 || got[0] != "hard" || got[1] != "files/five.bin" {
		t.Errorf("files = %q", got)
	}
}

func TestArchiveStreamErrors(t *testing.T) {
	good := makeTgz(t, entry{name: "c/Chart.yaml", body: minimalChart})
	var notTar bytes.Buffer
	zw := gzip.NewWriter(&notTar)
	zw.Write(bytes.Repeat([]byte("not a tar header "), 64))
	zw.Close()
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "load chart archive: stream is not a gzip archive (it is empty)"},
		{"yaml", []byte("# values\nreplicaCount: 1\nimage:\n  tag: x\n"),
			"load chart archive: stream is not a gzip archive (it looks like YAML: did you mean a chart directory or values file?)"},
		{"yaml list", []byte("---\n- a\n"),
			"load chart archive: stream is not a gzip archive (it looks like YAML: did you mean a chart directory or values file?)"},
		{"binary", []byte("PK\x03\x04 a zip file"), "load chart archive: stream is not a gzip archive"},
		{"truncated", good[:len(good)/2], "load chart archive: read chart archive: unexpected EOF"},
		{"gzip of garbage", notTar.Bytes(), "load chart archive: read chart archive: archive/tar: invalid tar header"},
		{"corrupt gzip header", append([]byte{0x1f, 0x8b, 0x08, 0xff}, good[4:]...), "load chart archive: read chart archive: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadArchive(bytes.NewReader(tt.in))
			wantErr(t, err, tt.want)
		})
	}
}

func TestLoadFileNotGzip(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ file, content, want string }{
		{"x.tgz", "replicaCount: 2\n", "is not a gzip archive (it looks like YAML: did you mean a chart directory or values file?)"},
		{"values.yaml", "just words", "is not a gzip archive (it looks like YAML: did you mean a chart directory or values file?)"},
		{"x.tgz", "\x00\x01\x02", "is not a gzip archive"},
		{"empty.tgz", "", "is not a gzip archive (it is empty)"},
	}
	for _, tt := range tests {
		p := filepath.Join(dir, tt.file)
		if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p)
		wantErr(t, err, fmt.Sprintf("load chart %s: file %s %s", p, p, tt.want))
	}
	missing := filepath.Join(dir, "missing")
	_, err := Load(missing)
	wantErr(t, err, fmt.Sprintf("load chart %s: stat %s: no such file or directory", missing, missing))
}

// A gzip bomb: ~105 MiB of zeros in 21 files of 5 MiB, streamed through a
// pipe (never held by the test), stops at the 100 MiB total.
func TestArchiveZipBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 100 MiB")
	}
	pr, pw := io.Pipe()
	go func() {
		zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
		tw := tar.NewWriter(zw)
		err := tw.WriteHeader(&tar.Header{Name: "c/Chart.yaml", Mode: 0o644, Size: int64(len(minimalChart))})
		if err == nil {
			_, err = tw.Write([]byte(minimalChart))
		}
		zeros := make([]byte, 1<<20)
		for i := 0; err == nil && i < 21; i++ {
			err = tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("c/files/zero%02d.bin", i), Mode: 0o644, Size: MaxFileSize})
			for j := int64(0); err == nil && j < MaxFileSize>>20; j++ {
				_, err = tw.Write(zeros)
			}
		}
		if err == nil {
			err = tw.Close()
		}
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	_, err := LoadArchive(pr)
	pr.CloseWithError(errors.New("test done"))
	wantErr(t, err, `load chart archive: archive entry "c/files/zero19.bin": decompressed chart is larger than the maximum size 104857600`)
}

// Nested archives share the budget of the chart that holds them: a small
// archive holding archives that each inflate to 40 MiB is stopped.
func TestNestedArchivesShareBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("inflates 100 MiB")
	}
	var inner []entry
	inner = append(inner, entry{name: "sub/Chart.yaml", body: "apiVersion: v2\nname: sub\nversion: 1.0.0\n"})
	for i := range 8 {
		inner = append(inner, entry{name: fmt.Sprintf("sub/f%d", i), body: strings.Repeat("\x00", int(MaxFileSize))})
	}
	sub := string(makeTgz(t, inner...))
	outer := []entry{{name: "c/Chart.yaml", body: minimalChart}}
	for i := range 3 {
		outer = append(outer, entry{name: fmt.Sprintf("c/charts/s%d.tgz", i), body: sub})
	}
	_, err := LoadArchive(bytes.NewReader(makeTgz(t, outer...)))
	wantErr(t, err, `load chart archive: error unpacking subchart s2.tgz in mini: archive entry "sub/f3": decompressed chart is larger than the maximum size 104857600`)
}

func TestDirHostile(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"secret.txt": "s3cr3t", "dir/x.yaml": "kind: X\n"})

	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string // error after "load chart DIR: "; DIR and OUT are replaced
	}{
		{"symlink file escape", func(t *testing.T, dir string) {
			symlink(t, filepath.Join(outside, "secret.txt"), filepath.Join(dir, "templates", "secret.txt"))
		}, "symlink templates/secret.txt points outside the chart (to OUT/secret.txt)"},
		{"relative symlink escape", func(t *testing.T, dir string) {
			rel, err := filepath.Rel(filepath.Join(dir, "templates"), filepath.Join(outside, "secret.txt"))
			if err != nil {
				t.Fatal(err)
			}
			symlink(t, rel, filepath.Join(dir, "templates", "s.txt"))
		}, "symlink templates/s.txt points outside the chart (to OUT/secret.txt)"},
		{"symlink dir escape", func(t *testing.T, dir string) {
			symlink(t, filepath.Join(outside, "dir"), filepath.Join(dir, "files"))
		}, "symlink files points outside the chart (to OUT/dir)"},
		{"helmignore symlink escape", func(t *testing.T, dir string) {
			symlink(t, filepath.Join(outside, "secret.txt"), filepath.Join(dir, ".helmignore"))
		}, "symlink .helmignore points outside the chart (to OUT/secret.txt)"},
		{"symlink cycle", func(t *testing.T, dir string) {
			symlink(t, "..", filepath.Join(dir, "templates", "loop"))
		}, "symlink templates/loop creates a cycle (it points to DIR)"},
		{"dangling symlink", func(t *testing.T, dir string) {
			symlink(t, "nowhere", filepath.Join(dir, "templates", "gone.yaml"))
		}, "error evaluating symlink templates/gone.yaml: lstat DIR/templates/nowhere: no such file or directory"},
		{"fifo", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "templates", "pipe"), 0o644); err != nil {
				t.Skip(err)
			}
		}, "cannot load irregular file templates/pipe as it has file mode type bits set (named pipe)"},
		{"socket", func(t *testing.T, dir string) {
			if err := syscall.Mknod(filepath.Join(dir, "sock"), syscall.S_IFSOCK|0o644, 0); err != nil {
				t.Skip(err)
			}
		}, "cannot load irregular file sock as it has file mode type bits set (socket)"},
		{"device", func(t *testing.T, dir string) {
			if err := syscall.Mknod(filepath.Join(dir, "null"), syscall.S_IFCHR|0o644, 1<<8|3); err != nil {
				t.Skip(err)
			}
		}, "cannot load irregular file null as it has file mode type bits set (character device)"},
		{"file over 5 MiB", func(t *testing.T, dir string) {
			sparse(t, filepath.Join(dir, "big.bin"), MaxFileSize+1)
		}, "error reading big.bin: file is larger than the maximum size 5242880"},
		{"chart over 100 MiB", func(t *testing.T, dir string) {
			for i := range 21 {
				sparse(t, filepath.Join(dir, "files", fmt.Sprintf("f%02d.bin", i)), MaxFileSize)
			}
		}, "error reading files/f19.bin: decompressed chart is larger than the maximum size 104857600"},
		{"no Chart.yaml", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "Chart.yaml")); err != nil {
				t.Fatal(err)
			}
		}, "Chart.yaml file is missing"},
		{"invalid Chart.yaml", func(t *testing.T, dir string) {
			writeTree(t, dir, map[string]string{"Chart.yaml": "apiVersion: v2\nname: x\nversion: one\n"})
		}, `Chart.yaml: validation: chart.metadata.version "one" is invalid`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "chart")
			writeTree(t, dir, map[string]string{"Chart.yaml": minimalChart, "templates/ok.yaml": "kind: A\n"})
			if err := os.MkdirAll(filepath.Join(dir, "files"), 0o755); err != nil {
				t.Fatal(err)
			}
			if tt.name == "symlink dir escape" {
				os.Remove(filepath.Join(dir, "files"))
			}
			tt.setup(t, dir)
			_, err := LoadDir(dir)
			want := strings.NewReplacer("DIR", dir, "OUT", outside).Replace(tt.want)
			wantErr(t, err, "load chart "+dir+": "+want)
		})
	}
}

// Whatever .helmignore skips is never inspected: an ignored escaping symlink
// or fifo does not stop the load.
func TestDirIgnoredHostileEntries(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"secret.txt": "s3cr3t"})
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"Chart.yaml": minimalChart, ".helmignore": "leak.txt\npipe\nlinks/\n"})
	symlink(t, filepath.Join(outside, "secret.txt"), filepath.Join(dir, "leak.txt"))
	symlink(t, outside, filepath.Join(dir, "links"))
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(c.Files); len(got) != 1 || got[0] != ".helmignore" {
		t.Errorf("files = %q", got)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// sparse creates a file of the given size without writing its bytes.
func sparse(t *testing.T, name string, size int64) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
}

func TestLoadFilesErrors(t *testing.T) {
	chart := func(body string) *BufferedFile { return &BufferedFile{Name: "Chart.yaml", Data: []byte(body)} }
	file := func(name, body string) *BufferedFile { return &BufferedFile{Name: name, Data: []byte(body)} }
	deps := func(list string) *BufferedFile { return chart(minimalChart + "dependencies:\n" + list) }
	deep := []*BufferedFile{chart(minimalChart)}
	prefix := ""
	for range maxDepth + 1 {
		prefix += "charts/d/"
		deep = append(deep, file(prefix+"Chart.yaml", "apiVersion: v2\nname: d\nversion: 1.0.0\n"))
	}

	tests := []struct {
		name  string
		files []*BufferedFile
		want  string
	}{
		{"no files", nil, "Chart.yaml file is missing"},
		{"nil file", []*BufferedFile{chart(minimalChart), nil}, "file #1 is nil"},
		{"empty name", []*BufferedFile{file("", "x")}, "chart contains a file with an empty name"},
		{"absolute name", []*BufferedFile{file("/etc/passwd", "x")}, `file "/etc/passwd": chart illegally contains absolute paths`},
		{"drive name", []*BufferedFile{file("C:/x", "x")}, `file "C:/x": chart contains illegally named files (Windows drive letter)`},
		{"dot dot name", []*BufferedFile{file("templates/../../x", "x")}, `file "templates/../../x": chart illegally references parent directory`},
		{"unclean name", []*BufferedFile{file("./templates/x", "x")}, `file "./templates/x": file names in a chart must be clean relative paths`},
		{"bad yaml", []*BufferedFile{chart("name: [")}, "cannot load Chart.yaml: error converting YAML to JSON: yaml: line 1: did not find expected node content"},
		{"not a mapping", []*BufferedFile{chart("- a")}, "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type chart.Metadata"},
		{"version as a list", []*BufferedFile{chart("name: x\nversion: [1]\n")}, "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field Metadata.version of type string"},
		{"unsupported apiVersion", []*BufferedFile{chart("apiVersion: v3\nname: x\nversion: 1.0.0\n")}, `Chart.yaml: unsupported chart apiVersion "v3" (lade supports v1 and v2)`},
		{"no name", []*BufferedFile{chart("apiVersion: v2\nversion: 1.0.0\n")}, "Chart.yaml: validation: chart.metadata.name is required"},
		{"name dot", []*BufferedFile{chart("apiVersion: v2\nname: .\nversion: 1.0.0\n")}, `Chart.yaml: validation: chart.metadata.name "." is not allowed`},
		{"name dot dot", []*BufferedFile{chart("apiVersion: v2\nname: ..\nversion: 1.0.0\n")}, `Chart.yaml: validation: chart.metadata.name ".." is not allowed`},
		{"name with slash", []*BufferedFile{chart("apiVersion: v2\nname: a/b\nversion: 1.0.0\n")}, `Chart.yaml: validation: chart.metadata.name "a/b" is invalid`},
		{"name with backslash", []*BufferedFile{chart("apiVersion: v2\nname: 'a\\b'\nversion: 1.0.0\n")}, `Chart.yaml: validation: chart.metadata.name "a\\b" is invalid`},
		{"no version", []*BufferedFile{chart("apiVersion: v2\nname: x\n")}, "Chart.yaml: validation: chart.metadata.version is required"},
		{"bad version", []*BufferedFile{chart("apiVersion: v2\nname: x\nversion: 1.2.3.4\n")}, `Chart.yaml: validation: chart.metadata.version "1.2.3.4" is invalid`},
		{"bad type", []*BufferedFile{chart(minimalChart + "type: plugin\n")}, "Chart.yaml: validation: chart.metadata.type must be application or library"},
		{"control character", []*BufferedFile{chart(minimalChart + "description: \"bell\\a\"\n")}, "Chart.yaml: validation: chart.metadata.description contains the non-printable character U+0007"},
		{"zero width space", []*BufferedFile{chart(minimalChart + "keywords: [ok, \"a\u200bb\"]\n")}, "Chart.yaml: validation: chart.metadata.keywords[1] contains the non-printable character U+200B"},
		{"escape in maintainer", []*BufferedFile{chart(minimalChart + "maintainers: [{name: \"\\e[31mred\"}]\n")}, "Chart.yaml: validation: maintainers[0].name contains the non-printable character U+001B"},
		{"nil maintainer", []*BufferedFile{chart(minimalChart + "maintainers:\n- name: a\n-\n")}, "Chart.yaml: validation: maintainers[1] is empty"},
		{"nil dependency", []*BufferedFile{deps("- name: a\n  repository: r\n- name: b\n  repository: r\n-\n")}, "Chart.yaml: validation: dependencies[2] is empty"},
		{"nil import-values item", []*BufferedFile{deps("- name: a\n  import-values: [x, null]\n")}, "Chart.yaml: validation: dependencies[0].import-values[1] is empty"},
		{"non-printable dependency", []*BufferedFile{deps("- name: a\n  repository: \"\\x7f\"\n")}, "Chart.yaml: validation: dependencies[0].repository contains the non-printable character U+007F"},
		{"dependency name dot dot", []*BufferedFile{deps("- name: ..\n")}, `Chart.yaml: validation: dependencies[0].name ".." is not allowed (it must not be "." or ".." or contain a path separator)`},
		{"dependency name with slash", []*BufferedFile{deps("- name: ../../x\n")}, `Chart.yaml: validation: dependencies[0].name "../../x" is not allowed (it must not be "." or ".." or contain a path separator)`},
		{"bad alias", []*BufferedFile{deps("- name: a\n  alias: a.b\n")}, `Chart.yaml: validation: dependency "a" has disallowed characters in the alias`},
		{"alias with slash", []*BufferedFile{deps("- name: a\n  alias: ../x\n")}, `Chart.yaml: validation: dependency "a" has disallowed characters in the alias`},
		{"duplicate name", []*BufferedFile{deps("- name: a\n- name: a\n")}, `Chart.yaml: validation: more than one dependency with name or alias "a"`},
		{"duplicate alias", []*BufferedFile{deps("- name: a\n- name: b\n  alias: a\n")}, `Chart.yaml: validation: more than one dependency with name or alias "a"`},
		{"requirements.yaml is blamed", []*BufferedFile{chart("apiVersion: v1\nname: x\nversion: 1.0.0\n"), file("requirements.yaml", "dependencies:\n- ~\n")}, "requirements.yaml: validation: dependencies[0] is empty"},
		{"bad requirements.yaml", []*BufferedFile{chart(minimalChart), file("requirements.yaml", "dependencies: {")}, "cannot load requirements.yaml: error converting YAML to JSON: yaml: line 1: did not find expected node content"},
		{"nil lock entry", []*BufferedFile{chart(minimalChart), file("Chart.lock", "dependencies:\n- name: a\n- null\n")}, "cannot load Chart.lock: dependencies[1] is empty"},
		{"bad lock", []*BufferedFile{chart(minimalChart), file("Chart.lock", "generated: yesterday\n")}, `cannot load Chart.lock: error unmarshaling JSON: while decoding JSON: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`},
		{"bad requirements.lock", []*BufferedFile{chart(minimalChart), file("requirements.lock", "[")}, "cannot load requirements.lock: error converting YAML to JSON: yaml: line 1: did not find expected node content"},
		{"bad values", []*BufferedFile{chart(minimalChart), file("values.yaml", "a: 1\n--- x\n")}, "cannot load values.yaml: error reading yaml document: invalid Yaml document separator: x"},
		{"stray file in charts/", []*BufferedFile{chart(minimalChart), file("charts/README.md", "x")}, "error unpacking subchart README.md in mini: Chart.yaml file is missing"},
		{"directory named like an archive", []*BufferedFile{chart(minimalChart), file("charts/x.tgz/Chart.yaml", "x")}, "error unpacking subchart tar in mini: expected x.tgz, got x.tgz/Chart.yaml"},
		{"invalid subchart", []*BufferedFile{chart(minimalChart), file("charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\n")}, "error unpacking subchart sub in mini: Chart.yaml: validation: chart.metadata.version is required"},
		{"too deep", deep, "subcharts are nested more than 32 levels deep"},
	}
	captureWarnings(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadFiles(tt.files)
			if c != nil {
				t.Error("a chart was returned with the error")
			}
			if tt.name == "too deep" {
				wantErrContains(t, err, tt.want)
				if strings.Count(err.Error(), "error unpacking subchart d in d") != maxDepth {
					t.Errorf("error = %s", err)
				}
				return
			}
			wantErr(t, err, tt.want)
		})
	}
}
