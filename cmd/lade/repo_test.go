package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/internal/testenv"
)

// repoHome isolates Helm's repository files and lade's cache in a
// temporary home and returns it.
func repoHome(t *testing.T) string {
	t.Helper()
	home := isolate(t)
	t.Setenv("HOME", home)
	t.Setenv("HELM_CONFIG_HOME", filepath.Join(home, "helmconfig"))
	t.Setenv("HELM_CACHE_HOME", filepath.Join(home, "helmcache"))
	for _, k := range []string{"HELM_REPOSITORY_CONFIG", "HELM_REPOSITORY_CACHE", "XDG_CONFIG_HOME"} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)
	}
	return home
}

// repoHelm returns a runner of the reference Helm on the repository
// configuration and cache of repoHome's home, with no other HELM_ setting;
// it fails the test when Helm fails and returns Helm's combined output.
func repoHelm(t *testing.T, helm, home string) func(args ...string) string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HELM_") {
			env = append(env, kv)
		}
	}
	env = append(env, "HELM_CONFIG_HOME="+filepath.Join(home, "helmconfig"), "HELM_CACHE_HOME="+filepath.Join(home, "helmcache"), "HELM_DATA_HOME="+t.TempDir())
	return func(args ...string) string {
		t.Helper()
		cmd := exec.Command(helm, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helm %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
}

// publishCharts packages each chart version with `lade package` into a new
// directory and indexes it with `lade repo index`; versions are NAME@VERSION.
func publishCharts(t *testing.T, dir string, versions ...string) {
	t.Helper()
	src := t.TempDir()
	for _, nv := range versions {
		name, version, _ := strings.Cut(nv, "@")
		cd := filepath.Join(src, nv, name)
		writeFiles(t, cd, map[string]string{
			"Chart.yaml": fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\nappVersion: \"app-%s\"\ndescription: %s serves web pages\nkeywords: [web, %s]\n",
				name, version, version, name, name),
			"values.yaml":       "greeting: hello\n",
			"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\ndata:\n  version: {{ .Chart.Version | quote }}\n  greeting: {{ .Values.greeting }}\n",
		})
		mustLade(t, "package", cd, "-d", dir)
	}
	mustLade(t, "repo", "index", dir)
}

func randomPassword(t *testing.T) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// A Helm user's path: add a repository over TLS with basic auth, list
// it, search it, render and pull charts from it, remove it.
func TestRepoAddSearchTemplatePull(t *testing.T) {
	home := repoHome(t)
	pub := t.TempDir()
	publishCharts(t, pub, "web@1.0.0", "web@1.1.0", "web@2.0.0-beta.1", "db@0.3.0")
	srv := testenv.NewChartRepo(t, testenv.ChartRepoConfig{Dir: pub, TLS: true, Username: "lade", Password: randomPassword(t)})

	// Without the CA the server is not trusted; without credentials it refuses.
	failLade(t, "certificate", "repo", "add", "charts", srv.URL)
	failLade(t, "401 Unauthorized", "repo", "add", "charts", srv.URL, "--ca-file", srv.CAFile)
	if _, err := os.Stat(filepath.Join(home, "helmconfig", "repositories.yaml")); err == nil {
		t.Fatal("a failed repo add wrote repositories.yaml")
	}

	r := lade(t, srv.Password+"\n", "repo", "add", "charts", srv.URL, "--ca-file", srv.CAFile, "--username", "lade", "--password-stdin")
	if r.code != 0 || r.stdout != "\"charts\" has been added to your repositories\n" {
		t.Fatalf("repo add: %+v", r)
	}
	for _, f := range []string{"helmconfig/repositories.yaml", "helmcache/repository/charts-index.yaml", "helmcache/repository/charts-charts.txt"} {
		if _, err := os.Stat(filepath.Join(home, f)); err != nil {
			t.Errorf("Helm's file %s: %v", f, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(home, "helmcache/repository/charts-charts.txt")); string(b) != "db\nweb\n" {
		t.Errorf("charts.txt = %q", b)
	}
	served, _ := os.ReadFile(filepath.Join(pub, "index.yaml"))
	cached, _ := os.ReadFile(filepath.Join(home, "helmcache/repository/charts-index.yaml"))
	if string(served) != string(cached) {
		t.Error("the cached index is not the bytes the server sent")
	}
	// The same add again is a no-op; a different URL needs --force-update.
	r = lade(t, srv.Password, "repo", "add", "charts", srv.URL, "--ca-file", srv.CAFile, "--username", "lade", "--password-stdin")
	if !strings.Contains(r.stdout, "already exists with the same configuration") {
		t.Errorf("second add: %+v", r)
	}
	failLade(t, "--force-update", "repo", "add", "charts", srv.URL+"/other")
	// --insecure-skip-tls-verify instead of the CA, as Helm.
	if r := lade(t, srv.Password, "repo", "add", "insecure", srv.URL, "--insecure-skip-tls-verify", "--username", "lade", "--password-stdin"); r.code != 0 {
		t.Fatalf("--insecure-skip-tls-verify: %+v", r)
	}
	mustLade(t, "repo", "remove", "insecure")

	if got := mustLade(t, "repo", "list").stdout; got != "NAME  \tURL"+strings.Repeat(" ", len(srv.URL)-3)+"\ncharts\t"+srv.URL+"\n" {
		t.Errorf("repo list:\n%q", got)
	}
	var rows []map[string]string
	if err := json.Unmarshal([]byte(mustLade(t, "repo", "list", "-o", "json").stdout), &rows); err != nil || len(rows) != 1 || rows[0]["url"] != srv.URL {
		t.Errorf("repo list -o json: %v %v", rows, err)
	}

	got := mustLade(t, "search", "repo", "web").stdout
	// "web" matches web's name (score 0) and db's description (score 2).
	wantRows := [][]string{{"NAME", "CHART VERSION", "APP VERSION", "DESCRIPTION"}, {"charts/web", "1.1.0", "app-1.1.0", "web serves web pages"}, {"charts/db", "0.3.0", "app-0.3.0", "db serves web pages"}}
	if g := tableCells(got); fmt.Sprint(g) != fmt.Sprint(wantRows) {
		t.Errorf("search repo web:\n%s", got)
	}
	if g := tableCells(mustLade(t, "search", "repo", "web", "--devel").stdout); len(g) != 3 || g[1][1] != "2.0.0-beta.1" {
		t.Errorf("search --devel: %v", g)
	}
	if g := tableCells(mustLade(t, "search", "repo", "charts/web", "-l").stdout); len(g) != 3 || g[1][1] != "1.1.0" || g[2][1] != "1.0.0" {
		t.Errorf("search -l: %v", g)
	}
	if g := mustLade(t, "search", "repo", "nothing-like-this").stdout; g != "No results found\n" {
		t.Errorf("no result: %q", g)
	}
	failLade(t, "no results found", "search", "repo", "nothing-like-this", "--fail-on-no-result")

	out := mustLade(t, "template", "site", "charts/web").stdout
	if !strings.Contains(out, `version: "1.1.0"`) {
		t.Errorf("template charts/web took the wrong version:\n%s", out)
	}
	if out := mustLade(t, "template", "site", "charts/web", "--version", "~1.0.0").stdout; !strings.Contains(out, `version: "1.0.0"`) {
		t.Errorf("--version ~1.0.0:\n%s", out)
	}
	if out := mustLade(t, "template", "site", "charts/web", "--devel").stdout; !strings.Contains(out, `version: "2.0.0-beta.1"`) {
		t.Errorf("--devel:\n%s", out)
	}
	failLade(t, `chart "web" version "3.x" not found in repository "charts"`, "template", "site", "charts/web", "--version", "3.x")
	failLade(t, `repository not found: "nope"`, "template", "site", "nope/web")

	if r := mustLade(t, "lint", "charts/web"); !strings.Contains(r.stdout, "1 chart(s) linted, 0 chart(s) failed") {
		t.Errorf("lint charts/web:\n%s", r.stdout)
	}
	dest := t.TempDir()
	mustLade(t, "pull", "charts/db", "-d", dest)
	if _, err := os.Stat(filepath.Join(dest, "db-0.3.0.tgz")); err != nil {
		t.Error(err)
	}
	// --repo without adding; the archive comes from the content cache now.
	if out := mustLade(t, "show", "chart", "web", "--repo", srv.URL, "--ca-file", srv.CAFile, "--username", "lade", "--password", srv.Password, "--version", "1.0.0").stdout; !strings.Contains(out, "version: 1.0.0") {
		t.Errorf("show chart --repo:\n%s", out)
	}

	// A plain archive URL, with the same TLS and credential flags.
	archiveURL := srv.URL + "/web-1.0.0.tgz"
	if out := mustLade(t, "template", "site", archiveURL, "--ca-file", srv.CAFile, "--username", "lade", "--password", srv.Password).stdout; !strings.Contains(out, `version: "1.0.0"`) {
		t.Errorf("template %s:\n%s", archiveURL, out)
	}
	failLade(t, "401 Unauthorized", "template", "site", archiveURL, "--ca-file", srv.CAFile, "--cache-dir", t.TempDir())
	failLade(t, "cannot be used with the archive URL", "template", "site", archiveURL, "--version", "1.0.0")

	mustLade(t, "repo", "remove", "charts")
	if _, err := os.Stat(filepath.Join(home, "helmcache/repository/charts-index.yaml")); err == nil {
		t.Error("repo remove left the cached index")
	}
	// As Helm: with no repository left there is nothing to remove.
	failLade(t, "no repositories configured", "repo", "remove", "charts")
}

// tableCells splits table output into trimmed cells.
func tableCells(s string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		var row []string
		for _, c := range strings.Split(line, "\t") {
			row = append(row, strings.TrimSpace(c))
		}
		rows = append(rows, row)
	}
	return rows
}

// An unchanged repository costs one small conditional request; a changed
// one is downloaded again.
func TestRepoUpdateNotModified(t *testing.T) {
	repoHome(t)
	pub := t.TempDir()
	publishCharts(t, pub, "web@1.0.0")
	// Make the index large enough that re-downloading it would show.
	srv := testenv.NewChartRepo(t, testenv.ChartRepoConfig{Dir: pub})
	mustLade(t, "repo", "add", "charts", srv.URL)

	srv.ResetCounters()
	out := mustLade(t, "repo", "update").stdout
	if !strings.Contains(out, `...The "charts" chart repository is unchanged (304 Not Modified)`) {
		t.Errorf("update output:\n%s", out)
	}
	sent, received := srv.Bytes()
	if sent+received >= 1024 {
		t.Errorf("an unchanged update transferred %d bytes (sent %d, received %d), want < 1024", sent+received, sent, received)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Status != 304 || reqs[0].Header.Get("If-None-Match") == "" || reqs[0].Header.Get("If-Modified-Since") == "" {
		t.Errorf("requests: %+v", reqs)
	}

	// A new version is published: the update downloads it.
	publishCharts(t, pub, "web@1.0.0", "web@1.5.0")
	out = mustLade(t, "repo", "update", "charts").stdout
	if !strings.Contains(out, `...Successfully got an update from the "charts" chart repository`) {
		t.Errorf("update output:\n%s", out)
	}
	if g := tableCells(mustLade(t, "search", "repo", "web").stdout); len(g) != 2 || g[1][1] != "1.5.0" {
		t.Errorf("search after update: %v", g)
	}
	failLade(t, `repository not found: "nope"`, "repo", "update", "nope")

	// Several repositories: one line each; a failing one is named and the
	// others are still updated.
	mustLade(t, "repo", "add", "second", srv.URL)
	down := testenv.NewChartRepo(t, testenv.ChartRepoConfig{Dir: pub})
	mustLade(t, "repo", "add", "third", down.URL)
	down.Close()
	r := lade(t, "", "repo", "update")
	for _, want := range []string{`...The "charts" chart repository is unchanged`, `...The "second" chart repository is unchanged`,
		`...Unable to get an update from the "third" chart repository (` + down.URL + `)`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("update of three repositories lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.code == 0 || !strings.Contains(r.stderr, "failed to update the following repositories: ["+down.URL+"]") {
		t.Errorf("a failed repository must fail the update: %+v", r)
	}
}

// Credentials go only to the repository's own host unless --pass-credentials.
func TestRepoCredentialsStayOnHost(t *testing.T) {
	repoHome(t)
	archives := t.TempDir()
	publishCharts(t, archives, "web@1.0.0")
	other := testenv.NewChartRepo(t, testenv.ChartRepoConfig{Dir: archives})
	// The repository's index points at archives on another host.
	pub := t.TempDir()
	mustLade(t, "repo", "index", archives, "--url", other.URL)
	idx, _ := os.ReadFile(filepath.Join(archives, "index.yaml"))
	if err := os.WriteFile(filepath.Join(pub, "index.yaml"), idx, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := testenv.NewChartRepo(t, testenv.ChartRepoConfig{Dir: pub, Username: "u", Password: "p"})

	if r := lade(t, "p", "repo", "add", "plain", srv.URL, "--username", "u", "--password-stdin"); r.code != 0 {
		t.Fatal(r)
	}
	mustLade(t, "template", "x", "plain/web", "--cache-dir", t.TempDir())
	for _, r := range other.Requests() {
		if r.Auth {
			t.Fatalf("credentials of %s were sent to %s%s", srv.URL, other.URL, r.Path)
		}
	}
	r := lade(t, "p", "repo", "add", "passing", srv.URL, "--username", "u", "--password-stdin", "--pass-credentials")
	if r.code != 0 {
		t.Fatal(r)
	}
	other.ResetCounters()
	mustLade(t, "template", "x", "passing/web", "--cache-dir", t.TempDir())
	if reqs := other.Requests(); len(reqs) != 1 || !reqs[0].Auth {
		t.Errorf("--pass-credentials: requests to the other host %+v", reqs)
	}
}

// listFiles lists the files under dir, relative.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

// The index is hostile input: every rule fails (or skips) with a clear
// message, and nothing is written outside the caches.
func TestRepoHostileIndex(t *testing.T) {
	home := repoHome(t)
	pub := t.TempDir()
	publishCharts(t, pub, "good@1.0.0")
	good, _ := os.ReadFile(filepath.Join(pub, "index.yaml"))
	srv := testenv.NewChartRepo(t, testenv.ChartRepoConfig{Dir: pub})
	writeIndex := func(s string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(pub, "index.yaml"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	entry := func(name, version, url, digest string) string {
		return fmt.Sprintf("  - apiVersion: v2\n    name: %s\n    version: %s\n    urls: [%q]\n    digest: %s\n", name, version, url, digest)
	}
	goodEntry := strings.SplitN(string(good), "entries:\n", 2)[1]
	goodEntry = goodEntry[:strings.Index(goodEntry, "generated:")]

	// Repository names that are paths are refused before anything happens.
	for _, name := range []string{"a/b", "..", "../x", `a\b`, "x..y"} {
		failLade(t, "invalid repository name", "repo", "add", name, srv.URL)
	}
	if files := listFiles(t, home); len(files) != 0 {
		t.Fatalf("refused adds wrote %v", files)
	}

	// Over the size limit: refused whole, nothing written.
	failLade(t, "index is too large", "repo", "add", "big", srv.URL, "--max-index-size", "100")
	// Not an index.
	writeIndex("<html>not found</html>\n")
	failLade(t, "not a valid chart repository", "repo", "add", "html", srv.URL)
	writeIndex("entries: {}\n")
	failLade(t, "no API version specified", "repo", "add", "noapi", srv.URL)
	writeIndex("apiVersion: v1\nentries: {}\nsurprise: 1\n")
	failLade(t, "unknown field", "repo", "add", "strict", srv.URL)
	if files := listFiles(t, home); len(files) != 0 {
		t.Fatalf("refused indexes wrote %v", files)
	}

	// Invalid entries are skipped with one warning each; the rest is used.
	writeIndex("apiVersion: v1\nentries:\n" + goodEntry +
		"  evil:\n" +
		entry("../evil", "1.0.0", "evil-1.0.0.tgz", "") +
		entry("evil", "not-a-version", "evil-1.0.0.tgz", "") +
		entry("evil", "1.0.1", "file:///etc/passwd", "") +
		entry("evil", "1.0.2", "ftp://example.com/evil.tgz", "") +
		entry("evil", "1.0.3", "evil.tgz", "xyz") +
		"  - null\n")
	r := mustLade(t, "repo", "add", "mixed", srv.URL)
	for _, w := range []string{`chart name "../evil" is invalid`, `chart version "not-a-version" is not a SemVer version`,
		`scheme "file" is not allowed`, `scheme "ftp" is not allowed`, `digest "xyz" is not a SHA-256 hex digest`, "empty entry"} {
		if strings.Count(strings.ReplaceAll(r.stderr, `\"`, `"`), w) != 1 {
			t.Errorf("want one warning %q, stderr:\n%s", w, r.stderr)
		}
	}
	if g := tableCells(mustLade(t, "search", "repo").stdout); len(g) != 2 || g[1][0] != "mixed/good" {
		t.Errorf("search after skipping: %v", g)
	}

	// An archive that does not match the index's digest is refused and not cached.
	writeIndex(strings.Replace(string(good), goodDigest(t, good), strings.Repeat("ab", 32), 1))
	mustLade(t, "repo", "update", "mixed")
	failLade(t, "digest mismatch", "template", "x", "mixed/good")

	// Everything written is in Helm's repository files or lade's cache.
	for _, f := range listFiles(t, home) {
		if !strings.HasPrefix(f, "helmconfig/") && !strings.HasPrefix(f, "helmcache/repository/") && !strings.HasPrefix(f, "cache/") {
			t.Errorf("file written outside the caches: %s", f)
		}
		if strings.HasPrefix(f, "cache/lade/blobs/") {
			t.Errorf("a refused archive was cached: %s", f)
		}
	}
}

// goodDigest is the digest field of an index with one entry.
func goodDigest(t *testing.T, index []byte) string {
	t.Helper()
	_, rest, ok := strings.Cut(string(index), "digest: ")
	if !ok {
		t.Fatal("no digest in index")
	}
	return rest[:64]
}

// lade and Helm print the same search results on the same cache, and a
// repository added by either is used by the other.
func TestRepoSearchSameAsHelm(t *testing.T) {
	helm := helmRef()
	if _, err := os.Stat(helm); err != nil {
		t.Skipf("reference Helm %s: %v", helm, err)
	}
	home := repoHome(t)
	pub := t.TempDir()
	publishCharts(t, pub, "web@1.0.0", "web@1.1.0", "web@2.0.0-rc.1", "webapi@0.1.0", "db@3.0.0", "cache@1.0.0")
	srv := testenv.NewChartRepo(t, testenv.ChartRepoConfig{Dir: pub})
	mustLade(t, "repo", "add", "byLade", srv.URL)
	runH := repoHelm(t, helm, home)
	runH("repo", "add", "byHelm", srv.URL)
	for _, args := range [][]string{{}, {"web"}, {"WEB"}, {"--devel"}, {"-l"}, {"web", "--version", "^1.0"}, {"-r", "w.b"}, {"serves", "-o", "json"}, {"db", "-o", "yaml"}, {"--max-col-width", "8"}} {
		want := runH(append([]string{"search", "repo"}, args...)...)
		got := mustLade(t, append([]string{"search", "repo"}, args...)...).stdout
		if got != want {
			t.Errorf("search repo %v:\nlade:\n%s\nhelm:\n%s", args, got, want)
		}
	}
	if out := mustLade(t, "template", "x", "byHelm/web").stdout; !strings.Contains(out, `version: "1.1.0"`) {
		t.Errorf("chart from a repository Helm added:\n%s", out)
	}
	if out := runH("show", "chart", "byLade/db"); !strings.Contains(out, "version: 3.0.0") {
		t.Errorf("Helm using a repository lade added:\n%s", out)
	}
	// Helm updates the index lade added: lade notices (its compact form is
	// stale) and searches and resolves from Helm's new index.
	publishCharts(t, pub, "web@1.0.0", "web@1.1.0", "web@2.0.0-rc.1", "webapi@0.1.0", "db@3.0.0", "db@3.1.0", "cache@1.0.0")
	runH("repo", "update", "byLade")
	if g := tableCells(mustLade(t, "search", "repo", "byLade/db").stdout); len(g) != 2 || g[1][1] != "3.1.0" {
		t.Errorf("search after helm repo update: %v", g)
	}
	if out := mustLade(t, "show", "chart", "byLade/db").stdout; !strings.Contains(out, "version: 3.1.0") {
		t.Errorf("show after helm repo update:\n%s", out)
	}
	if got, want := mustLade(t, "search", "repo", "db").stdout, runH("search", "repo", "db"); got != want {
		t.Errorf("after helm repo update:\nlade:\n%s\nhelm:\n%s", got, want)
	}
}

// copyDir copies a directory tree of regular files.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// withoutGenerated drops the generated: line of a lock file.
func withoutGenerated(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "generated:") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// dependency update with https:// repositories (added or not), @NAME and
// alias:NAME writes the Chart.lock Helm writes; Helm builds from lade's
// lock, and both render the chart byte for byte the same.
func TestDependencyUpdateFromChartRepositories(t *testing.T) {
	helm := helmRef()
	if _, err := os.Stat(helm); err != nil {
		t.Skipf("reference Helm %s: %v", helm, err)
	}
	home := repoHome(t)
	pub := t.TempDir()
	publishCharts(t, pub, "web@1.0.0", "web@1.1.0", "db@0.3.0", "db@0.4.0-rc.1")
	added := testenv.NewChartRepo(t, testenv.ChartRepoConfig{Dir: pub})
	other := t.TempDir()
	publishCharts(t, other, "cache@2.0.0", "cache@2.1.0")
	unadded := testenv.NewChartRepo(t, testenv.ChartRepoConfig{Dir: other})
	mustLade(t, "repo", "add", "charts", added.URL)

	parent := filepath.Join(t.TempDir(), "parent")
	writeFiles(t, parent, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n" +
			"- name: web\n  version: ^1.0.0\n  repository: " + added.URL + "\n" +
			"- name: db\n  version: '*'\n  repository: '@charts'\n" +
			"- name: db\n  alias: olddb\n  version: 0.3.0\n  repository: alias:charts\n" +
			"- name: cache\n  version: ~2.0.0\n  repository: " + unadded.URL + "/\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: parent\n",
	})
	viaHelm := filepath.Join(t.TempDir(), "parent")
	copyDir(t, parent, viaHelm)

	out := mustLade(t, "dependency", "update", parent).stdout
	for _, want := range []string{"Getting updates for unmanaged Helm repositories...", "Saving 4 charts", "Downloading cache from repo " + unadded.URL + "/"} {
		if !strings.Contains(out, want) {
			t.Errorf("dependency update output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"web-1.1.0.tgz", "db-0.3.0.tgz", "cache-2.0.0.tgz"} {
		if _, err := os.Stat(filepath.Join(parent, "charts", f)); err != nil {
			t.Errorf("charts/%s: %v", f, err)
		}
	}

	runH := repoHelm(t, helm, home)
	runH("dependency", "update", viaHelm)
	ladeLock, _ := os.ReadFile(filepath.Join(parent, "Chart.lock"))
	helmLock, _ := os.ReadFile(filepath.Join(viaHelm, "Chart.lock"))
	if !strings.Contains(string(ladeLock), "repository: "+added.URL+"\n  version: 1.1.0") {
		t.Errorf("lade's Chart.lock:\n%s", ladeLock)
	}
	if withoutGenerated(string(ladeLock)) != withoutGenerated(string(helmLock)) {
		t.Errorf("Chart.lock differs:\nlade:\n%s\nhelm:\n%s", ladeLock, helmLock)
	}
	// Helm builds from lade's lock (its digest check passes); Helm's build
	// wants every repository of the lock added.
	runH("repo", "add", "other", unadded.URL)
	runH("dependency", "build", parent)
	// lade builds from Helm's lock.
	mustLade(t, "dependency", "build", viaHelm)
	if got, want := mustLade(t, "template", "x", parent).stdout, runH("template", "x", viaHelm); got != want {
		t.Errorf("rendered chart differs:\nlade:\n%s\nhelm:\n%s", got, want)
	}
}

// The Helm user's two commands: repo add, then install REPO/CHART into the
// real test cluster; upgrade to a constrained version from the same repo.
func TestInstallFromChartRepository(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	repoHome(t)
	pub := t.TempDir()
	publishCharts(t, pub, "web@1.0.0", "web@1.1.0")
	srv := testenv.NewChartRepo(t, testenv.ChartRepoConfig{Dir: pub})
	mustLade(t, "repo", "add", "charts", srv.URL)

	r := mustLade(t, append([]string{"install", "site", "charts/web", "--version", "1.0.0"}, kc...)...)
	if !strings.Contains(r.stdout, "STATUS: deployed") {
		t.Fatalf("install output:\n%s", r.stdout)
	}
	r = mustLade(t, append([]string{"diff", "upgrade", "site", "charts/web"}, kc...)...)
	if !strings.Contains(r.stdout, "-  version: '1.0.0'\n+  version: '1.1.0'") {
		t.Errorf("diff upgrade to charts/web:\n%s", r.stdout)
	}
	r = mustLade(t, append([]string{"upgrade", "site", "charts/web"}, kc...)...)
	if !strings.Contains(r.stdout, `Release "site" has been upgraded`) {
		t.Fatalf("upgrade output:\n%s", r.stdout)
	}
	if r = mustLade(t, append([]string{"list"}, kc...)...); !strings.Contains(r.stdout, "web-1.1.0") {
		t.Fatalf("list after upgrade:\n%s", r.stdout)
	}
	cm, err := env.Clientset().CoreV1().ConfigMaps(ns).Get(t.Context(), "site-web", metav1.GetOptions{})
	if err != nil || cm.Data["version"] != "1.1.0" {
		t.Fatalf("ConfigMap site-web: %v %v", cm, err)
	}
}

// BenchmarkInstallFromRepository installs the same chart from a directory
// and as REPO/CHART with a warm cache into the test cluster (issue: within
// 10% of each other). Run: go test ./cmd/lade -run '^$' -bench InstallFromRepository -benchtime 10x
func BenchmarkInstallFromRepository(b *testing.B) {
	env := testenv.Shared(b)
	ns := env.NewNamespace(b)
	home := b.TempDir()
	for k, v := range map[string]string{"HOME": home, "XDG_CACHE_HOME": home + "/cache", "HELM_CONFIG_HOME": home + "/hc", "HELM_CACHE_HOME": home + "/hk"} {
		b.Setenv(k, v)
	}
	src := filepath.Join(home, "src", "web")
	files := map[string]string{"Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n"}
	for i := range 20 {
		files[fmt.Sprintf("templates/cm%d.yaml", i)] = fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-%d\ndata:\n  v: x\n", i)
	}
	for name, data := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	pub := filepath.Join(home, "pub")
	run := func(args ...string) {
		cmd := newRootCmd()
		cmd.SetArgs(args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			b.Fatalf("lade %v: %v", args, err)
		}
	}
	run("package", src, "-d", pub)
	run("repo", "index", pub)
	srv, err := testenv.StartChartRepo(testenv.ChartRepoConfig{Dir: pub})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	run("repo", "add", "charts", srv.URL)
	run("template", "x", "charts/web") // warm the content cache
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	n := 0
	for _, c := range []struct{ name, ref string }{{"dir", src}, {"repo", "charts/web"}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				n++
				run(append([]string{"install", fmt.Sprintf("r%d", n), c.ref}, kc...)...)
			}
		})
	}
}

// Concurrent `repo add` processes (and helm's, which takes the same lock)
// lose none of each other's repositories.
func TestRepoAddConcurrentProcesses(t *testing.T) {
	repoHome(t)
	bin := buildLade(t)
	pub := t.TempDir()
	publishCharts(t, pub, "web@1.0.0")
	srv := testenv.NewChartRepo(t, testenv.ChartRepoConfig{Dir: pub})
	const n = 8
	errs := make(chan string, n)
	for i := range n {
		go func() {
			out, err := exec.Command(bin, "repo", "add", fmt.Sprintf("r%d", i), srv.URL).CombinedOutput()
			if err != nil {
				errs <- fmt.Sprintf("r%d: %v %s", i, err, out)
				return
			}
			errs <- ""
		}()
	}
	for range n {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
	var rows []map[string]string
	if err := json.Unmarshal([]byte(mustLade(t, "repo", "list", "-o", "json").stdout), &rows); err != nil || len(rows) != n {
		t.Errorf("after %d concurrent adds: %d repositories %v (%v)", n, len(rows), rows, err)
	}
}

// A repository that requires a client certificate: --cert-file and
// --key-file are stored with the repository and used for the index and
// the archives.
func TestRepoClientCertificate(t *testing.T) {
	repoHome(t)
	pub := t.TempDir()
	publishCharts(t, pub, "web@1.0.0")
	srv := testenv.NewChartRepo(t, testenv.ChartRepoConfig{Dir: pub, ClientCert: true})
	failLade(t, "looks like", "repo", "add", "mtls", srv.URL, "--ca-file", srv.CAFile)
	mustLade(t, "repo", "add", "mtls", srv.URL, "--ca-file", srv.CAFile, "--cert-file", srv.ClientCertFile, "--key-file", srv.ClientKeyFile)
	if out := mustLade(t, "template", "x", "mtls/web").stdout; !strings.Contains(out, `version: "1.0.0"`) {
		t.Errorf("template mtls/web:\n%s", out)
	}
	// --repo with the same flags, without adding.
	if out := mustLade(t, "show", "chart", "web", "--repo", srv.URL, "--ca-file", srv.CAFile, "--cert-file", srv.ClientCertFile, "--key-file", srv.ClientKeyFile, "--cache-dir", t.TempDir()).stdout; !strings.Contains(out, "name: web") {
		t.Errorf("show --repo with a client certificate:\n%s", out)
	}
}

// `repo index` writes what `helm repo index` writes (timestamps aside),
// with --url, archives in subdirectories, and --merge of an older index.
func TestRepoIndexSameAsHelm(t *testing.T) {
	helm := helmRef()
	if _, err := os.Stat(helm); err != nil {
		t.Skipf("reference Helm %s: %v", helm, err)
	}
	repoHome(t)
	old := t.TempDir()
	publishCharts(t, old, "legacy@0.9.0", "web@0.5.0")
	base := t.TempDir()
	publishCharts(t, base, "web@1.0.0", "db@2.0.0")
	if err := os.MkdirAll(filepath.Join(base, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(base, "db-2.0.0.tgz"), filepath.Join(base, "sub", "db-2.0.0.tgz")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(base, "index.yaml"))
	viaHelm := t.TempDir()
	copyDir(t, base, viaHelm)
	mergeFile := filepath.Join(old, "index.yaml")
	mustLade(t, "repo", "index", base, "--url", "https://charts.example.com/x", "--merge", mergeFile)
	cmd := exec.Command(helm, "repo", "index", viaHelm, "--url", "https://charts.example.com/x", "--merge", mergeFile)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helm repo index: %v\n%s", err, out)
	}
	strip := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var keep []string
		for _, l := range strings.Split(string(b), "\n") {
			if !strings.Contains(l, "created:") && !strings.HasPrefix(l, "generated:") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	got, want := strip(filepath.Join(base, "index.yaml")), strip(filepath.Join(viaHelm, "index.yaml"))
	if got != want {
		t.Errorf("index.yaml differs:\nlade:\n%s\nhelm:\n%s", got, want)
	}
	for _, s := range []string{"legacy", "https://charts.example.com/x/sub/db-2.0.0.tgz", "version: 0.5.0"} {
		if !strings.Contains(got, s) {
			t.Errorf("index lacks %q:\n%s", s, got)
		}
	}
}
