package registry

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
)

// umbrella writes a chart depending on webapp from the registry, on a
// file:// sibling and on a chart already under charts/.
func umbrella(t *testing.T, repo, constraint string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "umbrella")
	files := map[string]string{
		"umbrella/Chart.yaml": `apiVersion: v2
name: umbrella
version: 0.1.0
dependencies:
  - name: webapp
    version: "` + constraint + `"
    repository: ` + repo + `
    condition: webapp.enabled
  - name: lib
    version: ">=0.1.0"
    repository: file://../lib
  - name: local
    version: "0.3.x"
`,
		"umbrella/templates/cm.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
		"umbrella/charts/local/Chart.yaml": "apiVersion: v2\nname: local\nversion: 0.3.1\n",
		"lib/Chart.yaml":                   "apiVersion: v2\nname: lib\nversion: 0.2.0\ntype: library\n",
		"lib/templates/_x.tpl":             `{{- define "lib.x" -}}x{{- end -}}`,
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestDependencyUpdateAndBuild(t *testing.T) {
	reg := testenv.NewRegistry(t)
	c := newTestClient(t, reg, nil)
	repoURL := "oci://" + reg.Host + "/charts"
	digests := pushVersions(t, c, repoURL, "1.0.0", "1.2.3", "2.0.0")
	ctx := context.Background()
	dir := umbrella(t, repoURL, "^1.0")
	// An older copy of a dependency goes; an archive lade does not manage stays.
	old := packageFixture(t, "0.9.0")
	if err := os.WriteFile(filepath.Join(dir, "charts", "webapp-0.9.0.tgz"), old, 0o644); err != nil {
		t.Fatal(err)
	}
	otherDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(otherDir, "Chart.yaml"), []byte("apiVersion: v2\nname: other\nversion: 1.0.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := packageDir(t, otherDir, "")
	if err := os.WriteFile(filepath.Join(dir, "charts", "extra.tgz"), other, 0o644); err != nil {
		t.Fatal(err)
	}

	c.out.Reset()
	var out bytes.Buffer
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := c.UpdateDependencies(ctx, dir, DependencyOptions{Out: &out, Now: now}); err != nil {
		t.Fatal(err)
	}
	wantOut := "Saving 3 charts\n" +
		"Downloading webapp from repo " + repoURL + "\n" +
		"Pulled: " + reg.Host + "/charts/webapp:1.2.3\nDigest: " + digests["1.2.3"] + "\n" +
		"Dependency local did not declare a repository. Assuming it exists in the charts directory\n" +
		"Deleting outdated charts\n"
	// The client's own output (Pulled:/Digest:) goes to its writer.
	if got := out.String() + c.out.String(); !sameLines(got, wantOut) {
		t.Errorf("output:\n%s\nwant:\n%s", got, wantOut)
	}
	if got := dirNames(t, filepath.Join(dir, "charts")); !slices.Equal(got, []string{"extra.tgz", "lib-0.2.0.tgz", "local", "webapp-1.2.3.tgz"}) {
		t.Errorf("charts/ holds %v", got)
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{"Chart.lock", "Chart.yaml", "charts", "templates"}) {
		t.Errorf("chart dir holds %v (temporary files left?)", got)
	}
	lockData, err := os.ReadFile(filepath.Join(dir, "Chart.lock"))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := chart.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := chart.CheckDependencies(ch); err != nil {
		t.Fatal(err)
	}
	hash, err := HashRequirements(ch.Metadata.Dependencies, []*LockedDependency{
		{Dependency: chart.Dependency{Name: "webapp", Repository: repoURL, Version: "1.2.3"}},
		{Dependency: chart.Dependency{Name: "lib", Repository: "file://../lib", Version: "0.2.0"}},
		{Dependency: chart.Dependency{Name: "local", Repository: "", Version: "0.3.x"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantLock := `dependencies:
- digest: ` + digests["1.2.3"] + `
  name: webapp
  repository: ` + repoURL + `
  version: 1.2.3
- name: lib
  repository: file://../lib
  version: 0.2.0
- name: local
  repository: ""
  version: 0.3.x
digest: ` + hash + `
generated: "2024-01-02T03:04:05Z"
`
	if string(lockData) != wantLock {
		t.Errorf("Chart.lock:\n%s\nwant:\n%s", lockData, wantLock)
	}
	// The loader reads it as Helm's lock.
	if ch.Lock == nil || ch.Lock.Digest != hash || len(ch.Lock.Dependencies) != 3 {
		t.Errorf("loaded lock %+v", ch.Lock)
	}

	// An update that changes nothing leaves the lock alone.
	if err := c.UpdateDependencies(ctx, dir, DependencyOptions{Now: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "Chart.lock")); !bytes.Equal(data, lockData) {
		t.Errorf("unchanged update rewrote Chart.lock:\n%s", data)
	}

	// The tag moves: build still fetches the locked digest.
	moved := push(t, c, packageDir(t, fixture, "1.2.3"), repoURL) // same bytes: same digest
	if moved.Manifest.Digest.String() != digests["1.2.3"] {
		t.Fatal("re-pushing the same package changed its digest")
	}
	if _, err := c.Push(ctx, packageDir(t, fixture, "1.2.3"), repoURL, PushOptions{Created: now}); err != nil {
		t.Fatal(err)
	}
	archivePath := filepath.Join(dir, "charts", "webapp-1.2.3.tgz")
	want, _ := os.ReadFile(archivePath)
	os.Remove(archivePath)

	// With the cache warm, a build sends no request.
	c.count.reset()
	if err := c.BuildDependencies(ctx, dir, DependencyOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := c.count.n.Load(); n != 0 {
		t.Errorf("warm build sent %d requests: %v", n, c.count.requests())
	}
	if got, _ := os.ReadFile(archivePath); !bytes.Equal(got, want) {
		t.Error("build restored a different archive")
	}
	// With a cold cache it fetches the locked digest, not the moved tag.
	cold := newTestClient(t, reg, nil)
	os.Remove(archivePath)
	if err := cold.BuildDependencies(ctx, dir, DependencyOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(archivePath); !bytes.Equal(got, want) {
		t.Error("cold build fetched something else than the locked digest")
	}
	if reqs := cold.count.requests(); len(reqs) != 2 || !strings.Contains(reqs[0], "/manifests/"+digests["1.2.3"]) {
		t.Errorf("cold build requests %v", reqs)
	}

	// A lock that no longer matches Chart.yaml is refused.
	cy := filepath.Join(dir, "Chart.yaml")
	data, _ := os.ReadFile(cy)
	if err := os.WriteFile(cy, bytes.Replace(data, []byte(`"^1.0"`), []byte(`"^2.0"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	err = c.BuildDependencies(ctx, dir, DependencyOptions{})
	wantErrText(t, err, "the lock file (Chart.lock) is out of sync with the dependencies file (Chart.yaml). Please update the dependencies with 'lade dependency update'")
	// Update moves to 2.0.0.
	if err := c.UpdateDependencies(ctx, dir, DependencyOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, filepath.Join(dir, "charts")); !slices.Equal(got, []string{"extra.tgz", "lib-0.2.0.tgz", "local", "webapp-2.0.0.tgz"}) {
		t.Errorf("charts/ after the update to ^2.0 holds %v", got)
	}
	lock, err := ReadLockFile(filepath.Join(dir, "Chart.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if lock.Dependencies[0].Version != "2.0.0" || lock.Dependencies[0].Digest != digests["2.0.0"] {
		t.Errorf("locked %+v", lock.Dependencies[0])
	}
}

// sameLines compares outputs line by line, ignoring order (the client's
// and the manager's writers are separate).
func sameLines(a, b string) bool {
	x, y := strings.Split(strings.TrimSpace(a), "\n"), strings.Split(strings.TrimSpace(b), "\n")
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func TestDependencyFailuresLeaveNothing(t *testing.T) {
	reg := testenv.NewRegistry(t)
	c := newTestClient(t, reg, nil)
	repoURL := "oci://" + reg.Host + "/charts"
	pushVersions(t, c, repoURL, "1.0.0")
	ctx := context.Background()

	snapshot := func(dir string) []string {
		var out []string
		_ = filepath.WalkDir(dir, func(p string, _ os.DirEntry, _ error) error {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
			return nil
		})
		return out
	}
	for _, tc := range []struct {
		name, repo, constraint, want string
		setup                        func(dir string)
	}{
		{name: "no matching version", repo: repoURL, constraint: "^9.0",
			want: `can't get a valid version for 1 subchart(s): "webapp" (repository "` + repoURL + `", version "^9.0"). Make sure a matching chart version exists in the repo, or change the version constraint in Chart.yaml`},
		{name: "unknown repository", repo: "oci://" + reg.Host + "/nothing", constraint: "^1.0",
			want: "could not retrieve list of tags for repository oci://" + reg.Host + "/nothing: chart oci://" + reg.Host + "/nothing/webapp not found"},
		{name: "exact version missing", repo: repoURL, constraint: "1.0.1",
			want: "could not download oci://" + reg.Host + "/charts/webapp: chart oci://" + reg.Host + "/charts/webapp: version 1.0.1 not found; nearest available: 1.0.0"},
		{name: "chart repository", repo: "https://charts.example.com", constraint: "^1.0",
			want: `dependency "webapp": repository "https://charts.example.com" is a chart repository, and no chart repository resolver was given (DependencyOptions.Repos)`},
		{name: "invalid constraint", repo: repoURL, constraint: "one",
			want: `dependency "webapp" has an invalid version/constraint format: improper constraint: "one"`},
		{name: "local dependency missing", repo: repoURL, constraint: "^1.0",
			setup: func(dir string) { os.RemoveAll(filepath.Join(dir, "charts", "local")) },
			want:  "directory " + "$DIR/charts/local not found"},
		{name: "file dependency missing", repo: repoURL, constraint: "^1.0",
			setup: func(dir string) { os.RemoveAll(filepath.Join(dir, "..", "lib")) },
			want:  "directory $PARENT/lib not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := umbrella(t, tc.repo, tc.constraint)
			if tc.setup != nil {
				tc.setup(dir)
			}
			before := snapshot(dir)
			err := c.UpdateDependencies(ctx, dir, DependencyOptions{})
			want := strings.ReplaceAll(tc.want, "$DIR", dir)
			wantErrText(t, err, strings.ReplaceAll(want, "$PARENT", filepath.Dir(dir)))
			if after := snapshot(dir); !slices.Equal(before, after) {
				t.Errorf("the chart changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}

	// Build without a lock file updates.
	dir := umbrella(t, repoURL, "1.0.0")
	if err := c.BuildDependencies(ctx, dir, DependencyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Chart.lock")); err != nil {
		t.Fatal(err)
	}
	// Without dependencies there is nothing to do.
	plain := t.TempDir()
	if err := os.WriteFile(filepath.Join(plain, "Chart.yaml"), []byte("apiVersion: v2\nname: p\nversion: 1.0.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateDependencies(ctx, plain, DependencyOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, plain); !slices.Equal(got, []string{"Chart.yaml"}) {
		t.Errorf("update without dependencies wrote %v", got)
	}
	err := c.UpdateDependencies(ctx, filepath.Join(plain, "Chart.yaml"), DependencyOptions{})
	wantErrText(t, err, "only unpacked charts can be updated")
}
