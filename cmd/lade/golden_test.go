package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The golden files under testdata/golden are Helm v4.3.1's output for the
// cases in testdata/golden/cases.yaml. -update regenerates them by running the
// reference Helm (never lade); testdata/golden/regen.sh is the wrapper.
var update = flag.Bool("update", false, "regenerate testdata/golden from the reference Helm (HELM_REF, default /opt/helmref/helm)")

const (
	goldenDir        = "testdata/golden"
	goldenHelmVer    = "v4.3.1"
	defaultHelmRef   = "/opt/helmref/helm"
	outDirToken      = "$OUTDIR"
	archiveToken     = "$ARCHIVE"
	goldenCasesFile  = goldenDir + "/cases.yaml"
	outputTreeSuffix = ".files"
)

type goldenCase struct {
	Name        string   `json:"name"`
	Args        []string `json:"args"`
	ExitCode    int      `json:"exitCode"`
	OutputDir   bool     `json:"outputDir"`
	Archive     string   `json:"archive"`
	ErrContains string   `json:"errContains"`
	KnownBug    string   `json:"knownBug"`
	// StdoutBug is a known difference in stdout only: stdout is not
	// compared, everything else is.
	StdoutBug string `json:"stdoutBug"`
	Note      string `json:"note"`
}

func loadGoldenCases(t *testing.T) []goldenCase {
	t.Helper()
	data, err := os.ReadFile(goldenCasesFile)
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	if err := yaml.UnmarshalStrict(data, &cases); err != nil {
		t.Fatalf("%s: %v", goldenCasesFile, err)
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if c.Name == "" || len(c.Args) == 0 {
			t.Fatalf("%s: a case needs a name and args: %+v", goldenCasesFile, c)
		}
		if seen[c.Name] {
			t.Fatalf("%s: duplicate case %q", goldenCasesFile, c.Name)
		}
		seen[c.Name] = true
	}
	return cases
}

// runResult is what one run of lade or Helm produced, with the temporary
// output directory replaced by $OUTDIR in stdout and stderr.
type runResult struct {
	stdout, stderr string
	code           int
	tree           map[string]string // --output-dir files, relative slash paths
}

func TestTemplateGolden(t *testing.T) {
	// Paths in args, in Helm's messages and in --output-dir lines are relative
	// to the repository root, where the goldens were made.
	t.Chdir(filepath.Join("..", ".."))
	// The goldens were made without a kubeconfig: its namespace must not leak in.
	t.Setenv("KUBECONFIG", "/dev/null")
	cases := loadGoldenCases(t)
	if *update {
		checkHelmRef(t)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if *update {
				want := runGoldenCase(t, c, runHelm)
				if want.code != c.ExitCode {
					t.Fatalf("reference helm exited %d, the case says exitCode %d\nstderr:\n%s", want.code, c.ExitCode, want.stderr)
				}
				writeGolden(t, c, want)
			}
			if c.KnownBug != "" && os.Getenv("LADE_GOLDEN_KNOWN_BUGS") == "" {
				t.Skipf("known bug: %s (LADE_GOLDEN_KNOWN_BUGS=1 runs it)", c.KnownBug)
			}
			want := readGolden(t, c)
			got := runGoldenCase(t, c, runLade)
			compareGolden(t, c, want, got)
		})
	}
}

// runner runs one command line from the repository root.
type runner func(t *testing.T, args []string) (stdout, stderr string, code int)

func runLade(t *testing.T, args []string) (string, string, int) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

func helmRef() string {
	if p := os.Getenv("HELM_REF"); p != "" {
		return p
	}
	return defaultHelmRef
}

func helmEnv(t *testing.T) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HELM_") && !strings.HasPrefix(kv, "KUBECONFIG=") {
			env = append(env, kv)
		}
	}
	return append(env,
		"KUBECONFIG=/dev/null",
		"HELM_CACHE_HOME="+t.TempDir(),
		"HELM_CONFIG_HOME="+t.TempDir(),
		"HELM_DATA_HOME="+t.TempDir(),
	)
}

func runHelm(t *testing.T, args []string) (string, string, int) {
	return runHelmEnv(t, args, helmEnv(t))
}

// runHelmEnv runs the reference Helm with env and returns its stdout,
// stderr and exit code.
func runHelmEnv(t *testing.T, args, env []string) (string, string, int) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(helmRef(), args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &exit):
		return stdout.String(), stderr.String(), exit.ExitCode()
	}
	t.Fatalf("running %s: %v", helmRef(), err)
	return "", "", 0
}

func checkHelmRef(t *testing.T) {
	t.Helper()
	cmd := exec.Command(helmRef(), "version", "--template", "{{ .Version }}")
	cmd.Env = helmEnv(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("-update needs the reference Helm %s at %s (or HELM_REF): %v", goldenHelmVer, helmRef(), err)
	}
	if v := strings.TrimSpace(string(out)); v != goldenHelmVer {
		t.Fatalf("-update needs Helm %s, %s is %s", goldenHelmVer, helmRef(), v)
	}
}

// runGoldenCase expands $OUTDIR and $ARCHIVE and runs the case with r.
func runGoldenCase(t *testing.T, c goldenCase, r runner) runResult {
	t.Helper()
	outDir := filepath.Join(t.TempDir(), "out")
	archive := ""
	if c.Archive != "" {
		archive = filepath.Join(t.TempDir(), filepath.Base(c.Archive)+".tgz")
		if err := packChart(c.Archive, archive); err != nil {
			t.Fatal(err)
		}
	}
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		a = strings.ReplaceAll(a, outDirToken, outDir)
		if archive != "" {
			a = strings.ReplaceAll(a, archiveToken, archive)
		}
		args[i] = a
	}
	stdout, stderr, code := r(t, args)
	res := runResult{
		stdout: strings.ReplaceAll(stdout, outDir, outDirToken),
		stderr: strings.ReplaceAll(stderr, outDir, outDirToken),
		code:   code,
	}
	if archive != "" {
		res.stdout = strings.ReplaceAll(res.stdout, archive, archiveToken)
		res.stderr = strings.ReplaceAll(res.stderr, archive, archiveToken)
	}
	if c.OutputDir {
		res.tree = readTree(t, outDir)
	}
	return res
}

// packChart writes dir as a gzipped tar whose entries are under the
// directory's base name, as `helm package` lays them out.
func packChart(dir, dst string) error {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	base := filepath.Base(dir)
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
		hdr := &tar.Header{Name: base + "/" + filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	return os.WriteFile(dst, buf.Bytes(), 0o644)
}

func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		tree[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func goldenPath(c goldenCase, ext string) string {
	return filepath.Join(goldenDir, c.Name+ext)
}

func writeGolden(t *testing.T, c goldenCase, res runResult) {
	t.Helper()
	if err := os.WriteFile(goldenPath(c, ".yaml"), []byte(res.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	errPath := goldenPath(c, ".err")
	if res.stderr != "" {
		if err := os.WriteFile(errPath, []byte(res.stderr), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if err := os.Remove(errPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	treeDir := goldenPath(c, outputTreeSuffix)
	if err := os.RemoveAll(treeDir); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, treeDir, res.tree)
}

func readGolden(t *testing.T, c goldenCase) runResult {
	t.Helper()
	stdout, err := os.ReadFile(goldenPath(c, ".yaml"))
	if err != nil {
		t.Fatalf("%v (regenerate with testdata/golden/regen.sh)", err)
	}
	stderr, err := os.ReadFile(goldenPath(c, ".err"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	res := runResult{stdout: string(stdout), stderr: string(stderr), code: c.ExitCode}
	if c.OutputDir {
		res.tree = readTree(t, goldenPath(c, outputTreeSuffix))
	}
	return res
}

func compareGolden(t *testing.T, c goldenCase, want, got runResult) {
	t.Helper()
	if got.code != want.code {
		t.Errorf("exit code: lade %d, helm %d\nlade stderr:\n%s", got.code, want.code, got.stderr)
	}
	if c.StdoutBug != "" && os.Getenv("LADE_GOLDEN_KNOWN_BUGS") == "" {
		t.Logf("stdout not compared, known bug: %s", c.StdoutBug)
	} else if got.stdout != want.stdout {
		t.Errorf("stdout differs from %s:\n%s", goldenPath(c, ".yaml"), lineDiff(want.stdout, got.stdout))
	}
	if c.ErrContains != "" {
		if !strings.Contains(want.stderr, c.ErrContains) {
			t.Errorf("errContains %q is not in Helm's stderr %s", c.ErrContains, goldenPath(c, ".err"))
		}
		if !strings.Contains(got.stderr, c.ErrContains) {
			t.Errorf("stderr does not contain %q:\n%s", c.ErrContains, got.stderr)
		}
	} else if got.stderr != want.stderr {
		t.Errorf("stderr differs from %s:\n%s", goldenPath(c, ".err"), lineDiff(want.stderr, got.stderr))
	}
	if c.OutputDir {
		compareTrees(t, want.tree, got.tree)
	}
}

func compareTrees(t *testing.T, want, got map[string]string) {
	t.Helper()
	var names []string
	for n := range want {
		names = append(names, n)
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		w, inWant := want[n]
		g, inGot := got[n]
		switch {
		case !inGot:
			t.Errorf("--output-dir: lade did not write %s", n)
		case !inWant:
			t.Errorf("--output-dir: lade wrote %s, Helm does not", n)
		case w != g:
			t.Errorf("--output-dir: %s differs:\n%s", n, lineDiff(w, g))
		}
	}
}

// lineDiff shows the first differing line with a little context, enough to
// find the spot in a golden file.
func lineDiff(want, got string) string {
	wl := strings.SplitAfter(want, "\n")
	gl := strings.SplitAfter(got, "\n")
	i := 0
	for i < len(wl) && i < len(gl) && wl[i] == gl[i] {
		i++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "first difference at line %d (helm %d lines / %d bytes, lade %d lines / %d bytes)\n", i+1, len(wl), len(want), len(gl), len(got))
	from := max(0, i-3)
	for j := from; j < i; j++ {
		fmt.Fprintf(&b, "   %q\n", wl[j])
	}
	for j := i; j < min(i+5, len(wl)); j++ {
		fmt.Fprintf(&b, "-h %q\n", wl[j])
	}
	for j := i; j < min(i+5, len(gl)); j++ {
		fmt.Fprintf(&b, "+l %q\n", gl[j])
	}
	return b.String()
}
