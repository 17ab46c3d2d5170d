package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without -n, the namespace is the kubeconfig context's, as with Helm and kubectl.
func TestTemplateNamespaceFromKubeconfig(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "config")
	err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
current-context: c
contexts:
- name: c
  context: {cluster: x, namespace: team-a}
clusters:
- name: x
  cluster: {server: "https://127.0.0.1:1"}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	chart := filepath.Join("..", "..", "testdata", "charts", "golden", "objects")
	for _, tc := range []struct {
		kubeconfig string
		args       []string
		want       string
	}{
		{kc, []string{"template", "rel", chart}, `releaseNamespace: "team-a"`},
		{kc, []string{"template", "rel", chart, "-n", "flag-ns"}, `releaseNamespace: "flag-ns"`},
		{"/dev/null", []string{"template", "rel", chart}, `releaseNamespace: "default"`},
	} {
		t.Setenv("KUBECONFIG", tc.kubeconfig)
		var out, errb bytes.Buffer
		if code := run(context.Background(), tc.args, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errb.String())
		}
		if !strings.Contains(out.String(), tc.want) {
			t.Errorf("%v with KUBECONFIG=%s: %q not in output", tc.args, tc.kubeconfig, tc.want)
		}
	}
}

// --dependency-update fetches a local chart's missing dependencies before rendering.
func TestTemplateDependencyUpdate(t *testing.T) {
	t.Setenv("KUBECONFIG", "/dev/null")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	work := t.TempDir()
	writeFiles(t, work, map[string]string{
		"sub/Chart.yaml":        "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
		"sub/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-sub\n",
		"app/Chart.yaml":        "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n- name: sub\n  version: 0.1.0\n  repository: file://../sub\n",
	})
	app := filepath.Join(work, "app")

	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"template", "x", app}, &out, &errb); code == 0 ||
		!strings.Contains(errb.String(), "found in Chart.yaml, but missing in charts/ directory: sub") {
		t.Fatalf("without --dependency-update: exit %d, %s", code, errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := run(context.Background(), []string{"template", "x", app, "--dependency-update"}, &out, &errb); code != 0 {
		t.Fatalf("with --dependency-update: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "name: from-sub") {
		t.Fatalf("subchart not rendered:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(app, "Chart.lock")); err != nil {
		t.Fatalf("Chart.lock not written: %v", err)
	}
}

// TestArgumentCountErrors: a wrong number of arguments names the command
// and shows its usage line, as Helm does.
func TestArgumentCountErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"template"}, `"lade template" requires at least 1 argument` + "\n\nUsage:  lade template [NAME] CHART [flags]"},
		{[]string{"upgrade", "web"}, `"lade upgrade" requires 2 arguments` + "\n\nUsage:  lade upgrade RELEASE CHART [flags]"},
		{[]string{"rollback", "web", "1", "2"}, `"lade rollback" accepts at most 2 arguments` + "\n\nUsage:  lade rollback RELEASE [REVISION] [flags]"},
		{[]string{"version", "now"}, `"lade version" accepts no arguments` + "\n\nUsage:  lade version [flags]"},
		{[]string{"get", "overlay"}, `"lade get overlay" requires 1 argument` + "\n\nUsage:  lade get overlay RELEASE_NAME [flags]"},
	}
	for _, c := range cases {
		stdout, stderr, code := runLade(t, c.args)
		if code != 1 || stdout != "" || stderr != "Error: "+c.want+"\n" {
			t.Errorf("lade %s: exit %d, stdout %q, stderr:\n%s\nwant exit 1 and:\nError: %s", strings.Join(c.args, " "), code, stdout, stderr, c.want)
		}
	}
}

// TestUnknownCommand: a mistyped command gets cobra's suggestion and the
// pointer to --help, as with Helm.
func TestUnknownCommand(t *testing.T) {
	_, stderr, code := runLade(t, []string{"templat"})
	want := "Error: unknown command \"templat\" for \"lade\"\n\nDid you mean this?\n\ttemplate\n\nRun 'lade --help' for usage.\n"
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and:\n%s", code, stderr, want)
	}
}

// TestDependencyList: `lade dependency list` prints Helm's table (the
// states themselves are tested in pkg/chart and against Helm in
// test/interop).
func TestDependencyList(t *testing.T) {
	dir := t.TempDir()
	chartYAML := "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n- {name: db, version: 1.2.3, repository: \"oci://registry.example.com/charts\"}\n"
	if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte(chartYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runLade(t, []string{"dependency", "list", dir})
	want := "NAME\tVERSION\tREPOSITORY                       \tSTATUS \n" +
		"db  \t1.2.3  \toci://registry.example.com/charts\tmissing\n\n"
	if code != 0 || stdout != want || stderr != "" {
		t.Errorf("exit %d, stderr %q, stdout:\n%q\nwant:\n%q", code, stderr, stdout, want)
	}
}

// TestShowValuesJSONPath: --jsonpath selects from the chart's values as
// with Helm (kubectl's JSONPath syntax; nothing printed for no match).
func TestShowValuesJSONPath(t *testing.T) {
	demo := "../../testdata/charts/demo"
	for _, c := range []struct{ path, want string }{
		{"{.image.repository}", "ghcr.io/lade-dev/demo-web"},
		{"{.service.port}", "8080"},
		{"{.nothing.here}", ""},
	} {
		stdout, stderr, code := runLade(t, []string{"show", "values", demo, "--jsonpath", c.path})
		if code != 0 || stdout != c.want || stderr != "" {
			t.Errorf("--jsonpath %s: exit %d, stdout %q, stderr %q; want %q", c.path, code, stdout, stderr, c.want)
		}
	}
	_, stderr, code := runLade(t, []string{"show", "values", demo, "--jsonpath", "{.image"})
	if code != 1 || !strings.HasPrefix(stderr, "Error: error parsing jsonpath {.image: ") {
		t.Errorf("bad --jsonpath: exit %d, stderr %q", code, stderr)
	}
}

// TestClusterUnreachable: commands that need the cluster say it is not
// there, naming the server, instead of the first request that failed.
func TestClusterUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	empty := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"list"}, {"status", "web"}, {"uninstall", "web"}} {
		_, stderr, code := runLade(t, append(args, "--kubeconfig", empty, "--kube-apiserver", "http://"+addr))
		want := "Error: kubernetes cluster unreachable at http://" + addr + ": dial tcp " + addr + ": connect: connection refused\n"
		if code != 1 || stderr != want {
			t.Errorf("lade %s: exit %d, stderr %q, want %q", strings.Join(args, " "), code, stderr, want)
		}
	}
}

// TestTemplateDryRun: template takes Helm's --dry-run; client (the default)
// renders as without it (server: TestTemplateDryRunServer).
func TestTemplateDryRun(t *testing.T) {
	demo := "../../testdata/charts/demo"
	plain, _, _ := runLade(t, []string{"template", "web", demo})
	for _, flag := range []string{"--dry-run", "--dry-run=client"} {
		stdout, stderr, code := runLade(t, []string{"template", "web", demo, flag})
		if code != 0 || stdout != plain || stderr != "" {
			t.Errorf("%s: exit %d, stderr %q, output differs: %v", flag, code, stderr, stdout != plain)
		}
	}
	_, stderr, code := runLade(t, []string{"template", "web", demo, "--dry-run=bogus"})
	if code != 1 || stderr != "Error: invalid dry-run value (\"bogus\"). Must be \"none\", \"server\", or \"client\"\n" {
		t.Errorf("--dry-run=bogus: exit %d, stderr %q", code, stderr)
	}
}

// TestTemplateTakesInstallFlags: as Helm's, template accepts the install
// flags (they change nothing) and refuses a post-renderer.
func TestTemplateTakesInstallFlags(t *testing.T) {
	demo := "../../testdata/charts/demo"
	plain, _, _ := runLade(t, []string{"template", "web", demo})
	stdout, stderr, code := runLade(t, []string{"template", "web", demo, "--create-namespace", "--wait", "--timeout", "5m",
		"--wait-for-jobs", "--description", "d", "-l", "team=a", "--replace", "--atomic", "--rollback-on-failure",
		"--force-replace", "--server-side=false", "--disable-openapi-validation", "--take-ownership", "--force-conflicts"})
	if code != 0 || stdout != plain || stderr != "" {
		t.Errorf("install flags: exit %d, stderr %q, output differs: %v", code, stderr, stdout != plain)
	}
	_, stderr, code = runLade(t, []string{"template", "web", demo, "--post-renderer", "./kustomize.sh"})
	if code != 1 || !strings.Contains(stderr, "lade does not run post-renderers") {
		t.Errorf("--post-renderer: exit %d, stderr %q", code, stderr)
	}
}
