package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/lade-dev/lade/internal/testenv"
)

var registryFixture = filepath.Join("..", "..", "testdata", "charts", "registry", "webapp")

// isolate points every default location lade might read or write (cache,
// Docker and Helm credentials) into the test's temporary directory.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	t.Setenv("DOCKER_CONFIG", filepath.Join(home, "docker"))
	t.Setenv("HELM_REGISTRY_CONFIG", filepath.Join(home, "helm", "registry", "config.json"))
	t.Setenv("LADE_REGISTRY_CONFIG", "")
	t.Setenv("LADE_CACHE_DIR", "")
	t.Setenv("SOURCE_DATE_EPOCH", "")
	logrus.SetLevel(logrus.PanicLevel) // the registry logs every refused request
	return home
}

type result struct {
	code           int
	stdout, stderr string
}

// lade runs the CLI in-process with stdin.
func lade(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetIn(strings.NewReader(stdin))
	code := 0
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		code = 1
		errb.WriteString("Error: " + err.Error() + "\n")
	}
	return result{code, out.String(), errb.String()}
}

func mustLade(t *testing.T, args ...string) result {
	t.Helper()
	r := lade(t, "", args...)
	if r.code != 0 {
		t.Fatalf("lade %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

func failLade(t *testing.T, want string, args ...string) result {
	t.Helper()
	r := lade(t, "", args...)
	if r.code == 0 {
		t.Fatalf("lade %s succeeded, want error %q", strings.Join(args, " "), want)
	}
	if !strings.Contains(r.stderr, want) {
		t.Fatalf("lade %s: stderr\n%s\nwant it to contain\n%s", strings.Join(args, " "), r.stderr, want)
	}
	return r
}

var digestLine = regexp.MustCompile(`(?m)^Digest: (sha256:[0-9a-f]{64})$`)

func TestPackagePushPullTemplate(t *testing.T) {
	isolate(t)
	reg := testenv.NewRegistry(t)
	conn := []string{"--plain-http"}
	work := t.TempDir()

	r := mustLade(t, "package", registryFixture, "-d", work)
	tgz := filepath.Join(work, "webapp-1.2.3.tgz")
	if r.stdout != "Successfully packaged chart and saved it to: "+tgz+"\n" {
		t.Errorf("package output %q", r.stdout)
	}
	archive, err := os.ReadFile(tgz)
	if err != nil {
		t.Fatal(err)
	}
	// Packaging again gives the same bytes.
	again := t.TempDir()
	mustLade(t, "package", registryFixture, "--destination", again)
	if b, _ := os.ReadFile(filepath.Join(again, "webapp-1.2.3.tgz")); !bytes.Equal(b, archive) {
		t.Error("lade package is not reproducible")
	}

	r = mustLade(t, append([]string{"push", tgz, "oci://" + reg.Host + "/charts"}, conn...)...)
	m := digestLine.FindStringSubmatch(r.stdout)
	if m == nil || !strings.HasPrefix(r.stdout, "Pushed: "+reg.Host+"/charts/webapp:1.2.3\nDigest: ") {
		t.Fatalf("push output %q", r.stdout)
	}
	dgst := m[1]
	// The same package pushed again gives the same manifest digest (the
	// archive's time, set by lade package, is the creation time).
	r2 := mustLade(t, append([]string{"push", tgz, "oci://" + reg.Host + "/charts"}, conn...)...)
	if r2.stdout != r.stdout {
		t.Errorf("re-push output differs:\n%s\n%s", r.stdout, r2.stdout)
	}

	dest := t.TempDir()
	r = mustLade(t, append([]string{"pull", "oci://" + reg.Host + "/charts/webapp", "--version", "^1.0", "-d", dest}, conn...)...)
	if r.stdout != "Pulled: "+reg.Host+"/charts/webapp:1.2.3\nDigest: "+dgst+"\n" {
		t.Errorf("pull output %q", r.stdout)
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "webapp-1.2.3.tgz")); !bytes.Equal(b, archive) {
		t.Error("pulled archive differs from the pushed one")
	}
	mustLade(t, append([]string{"pull", "oci://" + reg.Host + "/charts/webapp", "--untar", "--untardir", "unpacked", "-d", dest}, conn...)...)
	unpacked := filepath.Join(dest, "unpacked", "webapp")
	if got, want := treeFiles(t, unpacked), packagedFiles(t); !slices.Equal(got, want) {
		t.Errorf("untar wrote %v, want %v", got, want)
	}
	r = failLade(t, "failed to untar: a file or directory with the name "+unpacked+" already exists",
		append([]string{"pull", "oci://" + reg.Host + "/charts/webapp", "--untar", "--untardir", "unpacked", "-d", dest}, conn...)...)
	if ents, _ := os.ReadDir(filepath.Join(dest, "unpacked")); len(ents) != 1 {
		t.Errorf("a failed untar left %d entries", len(ents))
	}

	// template and show render the registry chart exactly as the directory.
	local := mustLade(t, "template", "web", registryFixture)
	for _, ref := range [][]string{
		{"oci://" + reg.Host + "/charts/webapp", "--version", "1.2.3"},
		{"oci://" + reg.Host + "/charts/webapp", "--version", "~1.2"},
		{"oci://" + reg.Host + "/charts/webapp:1.2.3"},
		{"oci://" + reg.Host + "/charts/webapp@" + dgst},
	} {
		r := mustLade(t, append(append([]string{"template", "web"}, ref...), conn...)...)
		if r.stdout != local.stdout {
			t.Errorf("template %v differs from the directory's:\n%s", ref, r.stdout)
		}
		if !strings.Contains(r.stderr, "Digest: "+dgst+"\n") {
			t.Errorf("template %v stderr %q", ref, r.stderr)
		}
	}
	// install (client dry-run: no cluster needed) takes the same references.
	stripTime := regexp.MustCompile(`(?m)^LAST DEPLOYED: .*\n`)
	localInstall := stripTime.ReplaceAllString(mustLade(t, "install", "web", registryFixture, "--dry-run=client").stdout, "")
	for _, ref := range [][]string{
		{"oci://" + reg.Host + "/charts/webapp", "--version", "1.2.3"},
		{"oci://" + reg.Host + "/charts/webapp", "--version", ">=1.0.0 <2.0.0"},
		{"oci://" + reg.Host + "/charts/webapp@" + dgst},
	} {
		r := mustLade(t, append(append([]string{"install", "web"}, ref...), append(conn, "--dry-run=client")...)...)
		if got := stripTime.ReplaceAllString(r.stdout, ""); got != localInstall {
			t.Errorf("install %v differs from the directory's:\n%s", ref, got)
		}
	}
	for _, part := range []string{"chart", "values", "readme", "all"} {
		want := mustLade(t, "show", part, registryFixture)
		got := mustLade(t, append([]string{"show", part, "oci://" + reg.Host + "/charts/webapp", "--version", "1.2.3"}, conn...)...)
		if got.stdout != want.stdout {
			t.Errorf("show %s differs:\n%s\nwant\n%s", part, got.stdout, want.stdout)
		}
	}

	// lint pulls oci:// charts and lints the archive like the directory.
	wantLint := lade(t, "", "lint", registryFixture, "-o", "json")
	gotLint := lade(t, "", append([]string{"lint", "oci://" + reg.Host + "/charts/webapp", "--version", "1.2.3", "-o", "json"}, conn...)...)
	if gotLint.code != wantLint.code || !sameLintFindings(t, gotLint.stdout, wantLint.stdout) {
		t.Errorf("lint from the registry differs from the directory's:\n%s\nwant\n%s", gotLint.stdout, wantLint.stdout)
	}

	// A local chart never starts a registry client: flags that would make
	// one fail are harmless.
	mustLade(t, "template", "web", registryFixture, "--ca-file", filepath.Join(work, "missing.pem"), "--version", "9")
	failLade(t, "read --ca-file", "template", "web", "oci://"+reg.Host+"/charts/webapp", "--ca-file", filepath.Join(work, "missing.pem"))

	// Errors.
	failLade(t, "chart oci://"+reg.Host+"/charts/webapp: version 1.2.4 not found; nearest available: 1.2.3",
		append([]string{"template", "web", "oci://" + reg.Host + "/charts/webapp", "--version", "1.2.4"}, conn...)...)
	failLade(t, "cannot push directory, must provide chart archive (.tgz)", "push", registryFixture, "oci://"+reg.Host+"/charts")
	failLade(t, "nope.tgz: no such file", "push", filepath.Join(work, "nope.tgz"), "oci://"+reg.Host+"/charts")
	failLade(t, "./x is not a chart reference lade can pull: use oci://HOST/PATH/NAME, REPO/CHART", "pull", "./x")
	failLade(t, "need at least one argument, the path to the chart", "package")
	failLade(t, "registry "+reg.Host+" speaks plain HTTP, not HTTPS: use --plain-http", "pull", "oci://"+reg.Host+"/charts/webapp")

	// --devel takes prereleases too, unless --version is given.
	mustLade(t, "package", registryFixture, "-d", work, "--version", "1.3.0-rc.1")
	mustLade(t, append([]string{"push", filepath.Join(work, "webapp-1.3.0-rc.1.tgz"), "oci://" + reg.Host + "/charts"}, conn...)...)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "1.2.3"},
		{[]string{"--devel"}, "1.3.0-rc.1"},
		{[]string{"--devel", "--version", "1.2.3"}, "1.2.3"},
	} {
		r := mustLade(t, append(append([]string{"pull", "oci://" + reg.Host + "/charts/webapp", "-d", t.TempDir()}, c.args...), conn...)...)
		if !strings.HasPrefix(r.stdout, "Pulled: "+reg.Host+"/charts/webapp:"+c.want+"\n") {
			t.Errorf("pull %v: %q, want version %s", c.args, r.stdout, c.want)
		}
		r = mustLade(t, append(append([]string{"show", "chart", "oci://" + reg.Host + "/charts/webapp"}, c.args...), conn...)...)
		if !strings.Contains(r.stdout, "\nversion: "+c.want+"\n") {
			t.Errorf("show chart %v:\n%s\nwant version %s", c.args, r.stdout, c.want)
		}
		r = mustLade(t, append(append([]string{"template", "web", "oci://" + reg.Host + "/charts/webapp"}, c.args...), conn...)...)
		if !strings.Contains(r.stderr, "/charts/webapp:"+c.want+"\n") {
			t.Errorf("template %v pulled:\n%s\nwant version %s", c.args, r.stderr, c.want)
		}
	}
}

// packagedFiles are the fixture's files a package holds (.helmignore applied).
func packagedFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, f := range treeFiles(t, registryFixture) {
		if strings.HasSuffix(f, ".bak") || strings.HasPrefix(f, "scratch/") {
			continue
		}
		out = append(out, f)
	}
	return out
}

func treeFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestRegistryLoginLogoutCmd(t *testing.T) {
	home := isolate(t)
	reg := testenv.NewSecureRegistry(t)
	tls := []string{"--ca-file", reg.CAFile}
	work := t.TempDir()
	mustLade(t, "package", registryFixture, "-d", work)
	tgz := filepath.Join(work, "webapp-1.2.3.tgz")
	ref := "oci://" + reg.Host + "/charts/webapp"
	want401 := reg.Host + " answered 401 Unauthorized: the credentials for " + reg.Host + " are missing or wrong; run `lade registry login " + reg.Host + "`"

	failLade(t, "push "+ref+":1.2.3: "+want401, append([]string{"push", tgz, "oci://" + reg.Host + "/charts"}, tls...)...)
	// --username/--password work without a login.
	mustLade(t, append([]string{"push", tgz, "oci://" + reg.Host + "/charts", "--username", reg.Username, "--password", reg.Password}, tls...)...)

	r := lade(t, "", append([]string{"registry", "login", reg.Host, "-u", reg.Username}, tls...)...)
	if r.code == 0 || !strings.Contains(r.stderr, "password required: pass --password-stdin (or --password)") {
		t.Errorf("login without a password: %+v", r)
	}
	r = lade(t, "wrong\n", append([]string{"registry", "login", reg.Host, "-u", reg.Username, "--password-stdin"}, tls...)...)
	if r.code == 0 || !strings.Contains(r.stderr, "login to "+reg.Host+` failed: the registry refused username "lade" and this password`) {
		t.Errorf("login with a wrong password: %+v", r)
	}
	r = lade(t, reg.Password+"\n", append([]string{"registry", "login", reg.Host, "-u", reg.Username, "--password-stdin"}, tls...)...)
	if r.code != 0 || r.stdout != "Login Succeeded\n" {
		t.Fatalf("login: %+v", r)
	}
	// Stored where Docker keeps them.
	if data, err := os.ReadFile(filepath.Join(home, "docker", "config.json")); err != nil || !strings.Contains(string(data), reg.Host) {
		t.Fatalf("docker config.json after login: %s %v", data, err)
	}
	mustLade(t, append([]string{"pull", ref, "-d", work}, tls...)...)
	mustLade(t, append([]string{"template", "web", ref}, tls...)...)

	r = lade(t, "", append([]string{"registry", "login", reg.Host, "-u", reg.Username, "-p", reg.Password}, tls...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.") {
		t.Errorf("login -p: %+v", r)
	}
	// Helm's --insecure (login without the CA) works as --insecure-skip-tls-verify.
	failLade(t, "cannot verify the TLS certificate of "+reg.Host, "registry", "login", reg.Host, "-u", reg.Username, "-p", reg.Password)
	if r = lade(t, "", "registry", "login", reg.Host, "-u", reg.Username, "-p", reg.Password, "--insecure"); r.code != 0 {
		t.Errorf("login --insecure: %+v", r)
	}

	r = mustLade(t, "registry", "logout", reg.Host)
	if r.stdout != "Removing login credentials for "+reg.Host+"\n" {
		t.Errorf("logout output %q", r.stdout)
	}
	failLade(t, "not logged in to "+reg.Host, "registry", "logout", reg.Host)
	failLade(t, want401, append([]string{"pull", ref, "-d", t.TempDir()}, tls...)...)
	failLade(t, "cannot verify the TLS certificate of "+reg.Host, "pull", ref, "--username", reg.Username, "--password", reg.Password)
	mustLade(t, "pull", ref, "-d", t.TempDir(), "--username", reg.Username, "--password", reg.Password, "--insecure-skip-tls-verify")
}

func TestDependencyCmd(t *testing.T) {
	isolate(t)
	reg := testenv.NewRegistry(t)
	work := t.TempDir()
	mustLade(t, "package", registryFixture, "-d", work, "--version", "1.3.0", "--app-version", "7.0")
	mustLade(t, "push", filepath.Join(work, "webapp-1.3.0.tgz"), "oci://"+reg.Host+"/charts", "--plain-http")

	dir := filepath.Join(t.TempDir(), "umbrella")
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	chartYAML := "apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n  - name: webapp\n    version: \">=1.0.0\"\n    repository: oci://" + reg.Host + "/charts\n"
	if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte(chartYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	failLade(t, "found in Chart.yaml, but missing in charts/ directory: webapp", "template", "web", dir)

	r := mustLade(t, "dependency", "update", dir, "--plain-http")
	for _, want := range []string{"Saving 1 charts\n", "Downloading webapp from repo oci://" + reg.Host + "/charts\n", "Pulled: " + reg.Host + "/charts/webapp:1.3.0\n", "Deleting outdated charts\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dependency update output lacks %q:\n%s", want, r.stdout)
		}
	}
	lock, err := os.ReadFile(filepath.Join(dir, "Chart.lock"))
	if err != nil || !regexp.MustCompile(`(?m)^- digest: sha256:[0-9a-f]{64}\n  name: webapp\n`).Match(lock) {
		t.Fatalf("Chart.lock:\n%s %v", lock, err)
	}
	out := mustLade(t, "template", "web", dir)
	if !strings.Contains(out.stdout, `image: "example.com/webapp:7.0"`) {
		t.Errorf("template of the umbrella:\n%s", out.stdout)
	}
	os.RemoveAll(filepath.Join(dir, "charts"))
	mustLade(t, "dep", "build", dir, "--plain-http")
	if again := mustLade(t, "template", "web", dir); again.stdout != out.stdout {
		t.Error("template after dependency build differs")
	}
	// package -u updates first.
	os.RemoveAll(filepath.Join(dir, "charts"))
	r = mustLade(t, "package", dir, "-u", "-d", work, "--plain-http")
	if !strings.Contains(r.stdout, "umbrella-0.1.0.tgz") {
		t.Errorf("package -u: %+v", r)
	}
	failLade(t, "could not find "+filepath.Join(work, "missing"), "dependency", "update", filepath.Join(work, "missing"))
}

// sameLintFindings compares the messages of two `lint -o json` outputs,
// ignoring the chart path (a directory against a pulled archive).
func sameLintFindings(t *testing.T, a, b string) bool {
	t.Helper()
	msgs := func(s string) []string {
		var doc any
		if err := json.Unmarshal([]byte(s), &doc); err != nil {
			t.Fatalf("lint -o json: %v\n%s", err, s)
		}
		var out []string
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				if m, ok := x["message"].(string); ok {
					out = append(out, m)
				}
				for _, y := range x {
					walk(y)
				}
			case []any:
				for _, y := range x {
					walk(y)
				}
			}
		}
		walk(doc)
		sort.Strings(out)
		return out
	}
	return slices.Equal(msgs(a), msgs(b))
}
