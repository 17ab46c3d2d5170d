package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// lintCase is one `helm lint` run recorded in the conformance corpus.
type lintCase struct {
	args     []string
	exitCode int
	stdout   string
	stderr   string
}

// parseLintCorpus reads ../shared/conformance/lint/<chart>.txt: blocks of
// "# command:", "# exit_code:", "# --- stdout ---", "# --- stderr ---", "# --- end ---".
func parseLintCorpus(t *testing.T, data string) []lintCase {
	t.Helper()
	var cases []lintCase
	var cur *lintCase
	var section string
	var out, errb strings.Builder
	for _, line := range strings.SplitAfter(data, "\n") {
		trimmed := strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(trimmed, "# command: "):
			cmd := strings.Fields(strings.TrimPrefix(trimmed, "# command: "))
			if len(cmd) < 2 || cmd[0] != "helm" || cmd[1] != "lint" {
				t.Fatalf("unexpected command %q", trimmed)
			}
			cur = &lintCase{args: cmd[1:]}
			section = ""
			out.Reset()
			errb.Reset()
		case strings.HasPrefix(trimmed, "# exit_code: "):
			n, err := strconv.Atoi(strings.TrimPrefix(trimmed, "# exit_code: "))
			if err != nil {
				t.Fatal(err)
			}
			cur.exitCode = n
		case trimmed == "# --- stdout ---":
			section = "stdout"
		case trimmed == "# --- stderr ---":
			section = "stderr"
		case trimmed == "# --- end ---":
			cur.stdout, cur.stderr = out.String(), errb.String()
			cases = append(cases, *cur)
			cur, section = nil, ""
		case section == "stdout":
			out.WriteString(line)
		case section == "stderr":
			errb.WriteString(line)
		}
	}
	return cases
}

// helmErrorLine is the "Error: ..." line of Helm's stderr, if any.
func helmErrorLine(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "Error: ") {
			return l
		}
	}
	return ""
}

// TestLintConformance runs lade lint on every chart of the conformance
// corpus with the arguments helm lint was run with, and compares stdout, the
// "Error:" line and the exit code. --helm-only must match byte for byte; the
// default run must report Helm's messages too (lade's rules add their own).
func TestLintConformance(t *testing.T) {
	corpus, err := filepath.Abs("../../../shared/conformance")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(corpus, "lint", "*.txt"))
	if len(files) == 0 {
		t.Skip("conformance corpus not found at ../shared/conformance")
	}
	t.Chdir(corpus)
	exact, total := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		for i, c := range parseLintCorpus(t, string(data)) {
			total++
			t.Run(name+"/"+strconv.Itoa(i), func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				args := append(append([]string{}, c.args...), "--helm-only")
				code := run(context.Background(), args, &stdout, &stderr)
				ok := true
				if stdout.String() != c.stdout {
					ok = false
					t.Errorf("lade %s\nstdout:\n%s\nwant (helm):\n%s", strings.Join(args, " "), stdout.String(), c.stdout)
				}
				if code != c.exitCode {
					ok = false
					t.Errorf("exit code %d, helm %d", code, c.exitCode)
				}
				if got, want := helmErrorLine(stderr.String()), helmErrorLine(c.stderr); got != want {
					ok = false
					t.Errorf("stderr error line %q, helm %q", got, want)
				}
				if ok {
					exact++
				}

				// Default mode: every line Helm printed for a message is printed too.
				stdout.Reset()
				stderr.Reset()
				run(context.Background(), c.args, &stdout, &stderr)
				got := stdout.String()
				for _, l := range strings.Split(c.stdout, "\n") {
					if strings.HasPrefix(l, "[") && !strings.Contains(got, l) {
						t.Errorf("default mode lost Helm's message %q", l)
					}
				}
			})
		}
	}
	t.Logf("lint corpus: %d/%d runs match helm lint exactly (--helm-only)", exact, total)
}
