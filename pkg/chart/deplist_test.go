package chart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDependencyStates: each state `dependency list` reports, from a chart
// whose charts/ holds archives, directories, a misnamed archive, two
// versions of one chart and a chart Chart.yaml does not list.
func TestDependencyStates(t *testing.T) {
	dir := t.TempDir()
	meta := func(name, version string) string {
		return "apiVersion: v2\nname: " + name + "\nversion: " + version + "\n"
	}
	writeTree(t, dir, map[string]string{
		"Chart.yaml": meta("app", "1.0.0") + `dependencies:
- {name: packed, version: 1.0.0, repository: ""}
- {name: unpacked, version: ~2.3.0, repository: ""}
- {name: absent, version: 1.0.0, repository: ""}
- {name: old, version: ">=2.0.0", repository: ""}
- {name: loose, version: "not a version", repository: ""}
- {name: renamed, version: 1.0.0, repository: ""}
- {name: twice, version: 1.0.0, repository: ""}
`,
		"charts/unpacked/Chart.yaml": meta("unpacked", "2.3.1"),
		"charts/old/Chart.yaml":      meta("old", "1.0.0"),
		"charts/loose/Chart.yaml":    meta("loose", "1.0.0"),
		"charts/stray/Chart.yaml":    meta("stray", "0.1.0"),
	})
	archives := map[string]string{
		"packed-1.0.0.tgz":  meta("packed", "1.0.0"),
		"renamed-1.0.0.tgz": meta("other", "1.0.0"),
		"twice-1.0.0.tgz":   meta("twice", "1.0.0"),
		"twice-1.1.0.tgz":   meta("twice", "1.1.0"),
	}
	for file, chartYAML := range archives {
		top := strings.TrimSuffix(file, ".tgz")
		data := makeTgz(t, entry{name: top + "/Chart.yaml", body: chartYAML})
		if err := os.WriteFile(filepath.Join(dir, "charts", file), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	states, warnings := DependencyStates(dir, c)
	got := map[string]string{}
	for _, s := range states {
		got[s.Name] = s.Status
	}
	want := map[string]string{
		"packed": "ok", "unpacked": "unpacked", "absent": "missing", "old": "wrong version",
		"loose": "invalid version", "renamed": "misnamed", "twice": "too many matches",
	}
	for name, status := range want {
		if got[name] != status {
			t.Errorf("%s: status %q, want %q", name, got[name], status)
		}
	}
	wantWarnings := []string{
		`WARNING: "` + filepath.Join(dir, "charts", "renamed-1.0.0.tgz") + `" is not in Chart.yaml.`,
		`WARNING: "` + filepath.Join(dir, "charts", "stray") + `" is not in Chart.yaml.`,
	}
	if strings.Join(warnings, "\n") != strings.Join(wantWarnings, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(wantWarnings, "\n"))
	}
}
