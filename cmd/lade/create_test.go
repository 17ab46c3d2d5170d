package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/chart"
)

// createGolden holds what Helm v4.3.1's `helm create` printed and wrote for
// each case of createCases; `go test ./cmd/lade -run TestCreateMatchesHelm
// -update` rewrites it from the reference Helm (HELM_REF, default
// /opt/helmref/helm). Where that Helm is installed the test also runs it and
// compares lade with it directly.
const createGolden = goldenDir + "/create.yaml"

// createRun is one command of a case: its args ($DIR is the case's
// directory, $STARTER the testdata starter, $STARTER_TGZ it packaged) and
// what it printed.
type createRun struct {
	Args     []string `json:"args"`
	Stdout   string   `json:"stdout"`
	Stderr   string   `json:"stderr"`
	ExitCode int      `json:"exitCode"`
}

// createResult is a case's runs and the tree its directory holds after them:
// "path/" for a directory, "path" for a file (mode, newline, content), and
// "archive.tgz!entry" for each entry of an archive (archives carry
// modification times, which are not compared).
type createResult struct {
	Runs []createRun       `json:"runs"`
	Tree map[string]string `json:"tree"`
}

type createCase struct {
	name  string
	setup func(t *testing.T, dir string) // prepares the case's directory
	runs  [][]string
}

const starterDir = "testdata/charts/starters/basic"

var createCases = []createCase{
	{name: "default", runs: [][]string{{"create", "$DIR/mychart"}}},
	{name: "overwrite", runs: [][]string{{"create", "$DIR/mychart"}, {"create", "$DIR/mychart"}}, setup: func(t *testing.T, dir string) {
		writeFiles(t, filepath.Join(dir, "mychart"), map[string]string{"templates/mine.yaml": "kept\n", "values.yaml": "replaced\n"})
	}},
	{name: "invalid-name", runs: [][]string{{"create", "$DIR/bad$name"}, {"create", "$DIR/" + strings.Repeat("x", 251)}}},
	{name: "missing-parent", runs: [][]string{{"create", "$DIR/missing/parent/mychart"}}},
	{name: "file-in-the-way", runs: [][]string{{"create", "$DIR/mychart"}}, setup: func(t *testing.T, dir string) {
		writeFiles(t, dir, map[string]string{"mychart": "a file\n"})
	}},
	{name: "starter-name", runs: [][]string{{"create", "$DIR/web", "--starter", "basic"}}},
	{name: "starter-path", runs: [][]string{{"create", "$DIR/web", "-p", "$STARTER"}}},
	{name: "starter-archive", runs: [][]string{{"create", "$DIR/web", "-p", "$STARTER_TGZ"}}},
	{name: "starter-missing", runs: [][]string{{"create", "$DIR/web", "-p", "nosuch"}}},
}

// TestCreateMatchesHelm compares `lade create` with Helm's `helm create`:
// the files written (names, modes, bytes), stdout, stderr and exit codes.
func TestCreateMatchesHelm(t *testing.T) {
	withUmask022(t)
	starter, err := filepath.Abs(filepath.Join("..", "..", starterDir))
	if err != nil {
		t.Fatal(err)
	}
	tgzDir := t.TempDir()
	tgz, err := chart.Package(starter, tgzDir, chart.PackageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, helmErr := os.Stat(helmRef())
	haveHelm := helmErr == nil
	if *update {
		if !haveHelm {
			t.Fatalf("-update needs the reference Helm at %s (or HELM_REF)", helmRef())
		}
		checkHelmRef(t)
		golden := map[string]createResult{}
		for _, c := range createCases {
			golden[c.name] = runCreateCase(t, c, starter, tgz, helmCreate)
		}
		data, err := yaml.Marshal(golden)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "..", createGolden), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join("..", "..", createGolden))
	if err != nil {
		t.Fatal(err)
	}
	var golden map[string]createResult
	if err := yaml.UnmarshalStrict(data, &golden); err != nil {
		t.Fatalf("%s: %v", createGolden, err)
	}
	for _, c := range createCases {
		t.Run(c.name, func(t *testing.T) {
			want, ok := golden[c.name]
			if !ok {
				t.Fatalf("%s has no case %q: regenerate it with -update", createGolden, c.name)
			}
			got := runCreateCase(t, c, starter, tgz, ladeCreate)
			compareCreate(t, "Helm's golden copy ("+createGolden+")", want, got)
			if haveHelm && !*update {
				compareCreate(t, helmRef(), runCreateCase(t, c, starter, tgz, helmCreate), got)
			}
		})
	}
}

func compareCreate(t *testing.T, ref string, want, got createResult) {
	t.Helper()
	if len(want.Runs) != len(got.Runs) {
		t.Fatalf("%d runs, %s has %d", len(got.Runs), ref, len(want.Runs))
	}
	for i, w := range want.Runs {
		g := got.Runs[i]
		if g.Stdout != w.Stdout || g.Stderr != w.Stderr || g.ExitCode != w.ExitCode {
			t.Errorf("lade %s:\nexit %d, stdout:\n%s\nstderr:\n%s\n%s: exit %d, stdout:\n%s\nstderr:\n%s",
				strings.Join(w.Args, " "), g.ExitCode, g.Stdout, g.Stderr, ref, w.ExitCode, w.Stdout, w.Stderr)
		}
	}
	for p, w := range want.Tree {
		if g, ok := got.Tree[p]; !ok {
			t.Errorf("%s: written by %s, not by lade", p, ref)
		} else if g != w {
			t.Errorf("%s differs from %s's:\n--- lade\n%s\n--- %s\n%s", p, ref, g, ref, w)
		}
	}
	for p := range got.Tree {
		if _, ok := want.Tree[p]; !ok {
			t.Errorf("%s: written by lade, not by %s", p, ref)
		}
	}
}

// createRunner runs one create command line with dataHome as Helm's data
// directory, from the repository root.
type createRunner func(t *testing.T, args []string, dataHome string) (stdout, stderr string, code int)

func ladeCreate(t *testing.T, args []string, dataHome string) (string, string, int) {
	t.Setenv("HELM_DATA_HOME", dataHome)
	return runLade(t, args)
}

func helmCreate(t *testing.T, args []string, dataHome string) (string, string, int) {
	return runHelmEnv(t, args, append(helmEnv(t), "HELM_DATA_HOME="+dataHome))
}

// runCreateCase runs c's commands in a fresh directory with r and returns
// what they printed (the directory shown as $DIR) and the tree they left.
func runCreateCase(t *testing.T, c createCase, starter, tgz string, r createRunner) createResult {
	t.Helper()
	dir := t.TempDir()
	dataHome := t.TempDir()
	copyDir(t, starter, filepath.Join(dataHome, "starters", "basic"))
	if c.setup != nil {
		c.setup(t, dir)
	}
	var res createResult
	for _, args := range c.runs {
		expanded := make([]string, len(args))
		for i, a := range args {
			a = strings.ReplaceAll(a, "$DIR", dir)
			a = strings.ReplaceAll(a, "$STARTER_TGZ", tgz)
			expanded[i] = strings.ReplaceAll(a, "$STARTER", starter)
		}
		stdout, stderr, code := r(t, expanded, dataHome)
		hide := func(s string) string {
			return strings.ReplaceAll(strings.ReplaceAll(s, dir, "$DIR"), dataHome, "$HELM_DATA_HOME")
		}
		res.Runs = append(res.Runs, createRun{Args: args, Stdout: hide(stdout), Stderr: hide(stderr), ExitCode: code})
	}
	res.Tree = snapshot(t, dir)
	return res
}

// snapshot lists a directory as createResult.Tree does.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			tree[rel+"/"] = info.Mode().String()
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		tree[rel] = info.Mode().String() + "\n" + string(data)
		if strings.HasSuffix(rel, ".tgz") {
			tree[rel] = info.Mode().String() + "\n(archive)"
			return archiveEntries(rel, data, tree)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func archiveEntries(name string, data []byte, tree map[string]string) error {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		tree[name+"!"+h.Name] = fs.FileMode(h.Mode).String() + "\n" + string(body)
	}
}

// The default chart passes `lade lint`; it and a chart made from the
// testdata starter render with `lade template`. (The starter's chart fails
// lint as in Helm: Helm drops the starter's Chart.yaml, dependencies and
// all, but copies its subcharts.)
func TestCreatedChartLintsAndRenders(t *testing.T) {
	starter, err := filepath.Abs(filepath.Join("..", "..", starterDir))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"create", filepath.Join(dir, "mychart")},
		{"create", filepath.Join(dir, "web"), "--starter", starter},
	} {
		if stdout, stderr, code := runLade(t, args); code != 0 {
			t.Fatalf("lade %v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
	for _, tc := range []struct {
		chart string
		lint  string   // in lint's output
		want  []string // in the rendered output
	}{
		{"mychart", "1 chart(s) linted, 0 chart(s) failed", []string{"kind: Deployment", "name: rel-mychart", `image: "nginx:1.16.0"`, `"helm.sh/hook": test`}},
		{"web", "chart metadata is missing these dependencies: dep", []string{"name: rel-web\n", `image: "nginx:1.27"`, "name: rel-dep"}},
	} {
		p := filepath.Join(dir, tc.chart)
		if stdout, stderr, code := runLade(t, []string{"lint", p}); !strings.Contains(stdout+stderr, tc.lint) || (code == 0) != (tc.chart == "mychart") {
			t.Errorf("lade lint %s: exit %d, want %q in\n%s%s", tc.chart, code, tc.lint, stdout, stderr)
		}
		stdout, stderr, code := runLade(t, []string{"template", "rel", p})
		if code != 0 {
			t.Fatalf("lade template %s: exit %d\n%s", tc.chart, code, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stdout, w) {
				t.Errorf("lade template %s: no %q in\n%s", tc.chart, w, stdout)
			}
		}
	}
}

// Names Helm would take but that write outside the new chart's directory
// are refused, and nothing is written.
func TestCreateRefusesEscapes(t *testing.T) {
	dir := t.TempDir()
	dataHome := t.TempDir()
	t.Setenv("HELM_DATA_HOME", dataHome)
	copyDir(t, filepath.Join("..", "..", starterDir), filepath.Join(dataHome, "elsewhere"))
	copyDir(t, filepath.Join("..", "..", starterDir), filepath.Join(dataHome, "starters", "ok"))
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"create", filepath.Join(dir, "web"), "--starter", "../elsewhere"}, `Error: starter "../elsewhere": starter is outside the starters directory ` + filepath.Join(dataHome, "starters") + "\n"},
		{[]string{"create", filepath.Join(dir, "web"), "--starter", ".."}, `Error: starter "..": starter is outside the starters directory`},
		{[]string{"create", filepath.Join(dir, "web"), "--starter", "."}, `Error: starter ".": starter is outside the starters directory`},
		{[]string{"create", dir + "/.."}, `Error: ".." is not a valid chart name` + "\n"},
		{[]string{"create", dir + "/."}, `Error: "." is not a valid chart name` + "\n"},
		{[]string{"create", filepath.Join(dir, "bad$name"), "--starter", "ok"}, `Error: chart name must match the regular expression "^[a-zA-Z0-9._-]+$"` + "\n"},
		{[]string{"create", "mychart", "extra"}, "Error: "},
		{[]string{"create"}, "Error: "},
	} {
		stdout, stderr, code := runLade(t, tc.args)
		if code == 0 || !strings.HasPrefix(stderr, tc.err) {
			t.Errorf("lade %v: exit %d, stderr %q; want an error starting %q (stdout %q)", tc.args, code, stderr, tc.err, stdout)
		}
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("refused creates wrote %v (%v)", entries, err)
	}
	// A name that stays inside the starters directory is fine.
	if _, stderr, code := runLade(t, []string{"create", filepath.Join(dir, "web"), "--starter", "ok/../ok"}); code != 0 {
		t.Errorf("starter ok/../ok: exit %d: %s", code, stderr)
	}
}

// --starter completes to the starters in $HELM_DATA_HOME/starters; NAME
// completes to paths, and nothing follows it.
func TestCreateCompletion(t *testing.T) {
	dataHome := t.TempDir()
	t.Setenv("HELM_DATA_HOME", dataHome)
	writeFiles(t, filepath.Join(dataHome, "starters"), map[string]string{
		"webapp/Chart.yaml": "apiVersion: v2\nname: webapp\nversion: 0.1.0\n",
		"worker-1.0.0.tgz":  "",
		"notes.txt":         "",
	})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "create", "mychart", "--starter", ""}, "webapp\nworker-1.0.0.tgz\n:4\n"},
		{[]string{"__complete", "create", "mychart", "-p", "wo"}, "worker-1.0.0.tgz\n:4\n"},
		{[]string{"__complete", "create", ""}, ":0\n"},
		{[]string{"__complete", "create", "mychart", ""}, ":4\n"},
	} {
		stdout, _, code := runLade(t, tc.args)
		if code != 0 || !strings.HasPrefix(stdout, tc.want) {
			t.Errorf("lade %v: exit %d, stdout %q; want it to start %q", tc.args, code, stdout, tc.want)
		}
	}
}
