package chart

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/lade-dev/lade/internal/table"
)

// DependencyState is a Chart.yaml dependency and what charts/ holds for it,
// in `helm dependency list` terms: ok (a matching archive), unpacked (a
// matching chart loaded from charts/), missing, wrong version, invalid
// version, misnamed, corrupt, too many matches.
type DependencyState struct {
	*Dependency
	Status string
}

// DependencyStates compares the dependencies of the chart directory dir,
// loaded as c, with its charts/ directory, as `helm dependency list` does.
// Warnings name entries of charts/ that are not charts or not in
// Chart.yaml.
func DependencyStates(dir string, c *Chart) (states []DependencyState, warnings []string) {
	l := loads{}
	for _, d := range c.Metadata.Dependencies {
		states = append(states, DependencyState{Dependency: d, Status: dependencyStatus(dir, d, c, l)})
	}
	entries, err := filepath.Glob(filepath.Join(dir, "charts", "*"))
	if err != nil {
		return states, []string{err.Error()}
	}
	for _, e := range entries {
		fi, err := os.Stat(e)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("Warning: %s", err))
			continue
		}
		if !fi.IsDir() && filepath.Ext(e) != ".tgz" {
			continue
		}
		sub, err := l.load(e)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("WARNING: %q is not a chart.", e))
			continue
		}
		listed := false
		for _, d := range c.Metadata.Dependencies {
			listed = listed || d.Name == sub.Name()
		}
		if !listed {
			warnings = append(warnings, fmt.Sprintf("WARNING: %q is not in Chart.yaml.", e))
		}
	}
	return states, warnings
}

// loads loads each entry of charts/ once for DependencyStates (an archive
// is read for its dependency's status and again for the warnings).
type loads map[string]loaded

type loaded struct {
	c   *Chart
	err error
}

func (l loads) load(p string) (*Chart, error) {
	r, ok := l[p]
	if !ok {
		r.c, r.err = Load(p)
		l[p] = r
	}
	return r.c, r.err
}

// dependencyStatus looks for d first as an archive charts/NAME-VERSION.tgz,
// then among the charts loaded from charts/.
func dependencyStatus(dir string, d *Dependency, parent *Chart, l loads) string {
	archives, err := filepath.Glob(filepath.Join(dir, "charts", d.Name+"-*.tgz"))
	if err != nil {
		return "bad pattern"
	}
	if len(archives) > 1 {
		// Several archives: only those named NAME-SEMVER.tgz count.
		var versioned []string
		for _, a := range archives {
			v := strings.TrimPrefix(strings.TrimSuffix(filepath.Base(a), ".tgz"), d.Name+"-")
			if _, err := semver.StrictNewVersion(v); err == nil {
				versioned = append(versioned, a)
			}
		}
		if len(versioned) > 1 {
			return "too many matches"
		}
		archives = versioned
	}
	if len(archives) == 1 {
		if s := archiveStatus(archives[0], d, l); s != "" {
			return s
		}
	}
	var sub *Chart
	for _, s := range parent.Dependencies() {
		if s.Name() == d.Name {
			sub = s
		}
	}
	if sub == nil {
		return "missing"
	}
	if s := versionStatus(sub.Metadata.Version, d.Version); s != "" {
		return s
	}
	return "unpacked"
}

// archiveStatus is the status of d from the archive at p; "" when p cannot be read.
func archiveStatus(p string, d *Dependency, l loads) string {
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	c, err := l.load(p)
	if err != nil {
		return "corrupt"
	}
	if c.Name() != d.Name {
		return "misnamed"
	}
	if s := versionStatus(c.Metadata.Version, d.Version); s != "" {
		return s
	}
	return "ok"
}

// versionStatus checks a chart's version against the dependency's version
// (a constraint); "" when it satisfies it.
func versionStatus(version, want string) string {
	if version == want {
		return ""
	}
	constraint, err := semver.NewConstraint(want)
	if err != nil {
		return "invalid version"
	}
	v, err := semver.NewVersion(version)
	if err != nil {
		return "invalid version"
	}
	if !constraint.Check(v) {
		return "wrong version"
	}
	return ""
}

// WriteDependencyList prints the dependencies of the chart directory dir,
// loaded as c, as `helm dependency list` does: a table of name, version,
// repository and status (cells wider than maxColWidth are cut with "..."),
// then the warnings about charts/.
func WriteDependencyList(w io.Writer, dir string, c *Chart, maxColWidth uint) error {
	if c.Metadata.Dependencies == nil {
		_, err := fmt.Fprintf(w, "WARNING: no dependencies at %s\n", filepath.Join(dir, "charts"))
		return err
	}
	states, warnings := DependencyStates(dir, c)
	rows := [][]string{{"NAME", "VERSION", "REPOSITORY", "STATUS"}}
	for _, s := range states {
		rows = append(rows, []string{s.Name, s.Version, s.Repository, s.Status})
	}
	var b strings.Builder
	b.WriteString(table.Format(rows, int(maxColWidth)))
	b.WriteString("\n\n")
	for _, warning := range warnings {
		b.WriteString(warning + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
