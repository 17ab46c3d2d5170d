package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/internal/testenv"
)

func TestMain(m *testing.M) {
	if report := os.Getenv(rusageShimEnv); report != "" {
		os.Exit(rusageShim(report, os.Args[1:]))
	}
	testenv.Main(m)
}

func TestReleaseCommands(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	chartDir := "../../testdata/charts/release/app"
	run := func(args ...string) result { return mustLade(t, append(args, kc...)...) }

	r := run("install", "web", chartDir, "--set", "data=first", "--labels", "team=a")
	for _, want := range []string{"NAME: web", "STATUS: deployed", "REVISION: 1", "DESCRIPTION: Install complete"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("install output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run("upgrade", "web", chartDir, "--reuse-values", "--set", "extra=true")
	if !strings.Contains(r.stdout, `Release "web" has been upgraded`) {
		t.Fatalf("upgrade output:\n%s", r.stdout)
	}
	r = run("get", "values", "web", "-o", "json")
	var vals map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &vals); err != nil || vals["data"] != "first" || vals["extra"] != true {
		t.Fatalf("--reuse-values: %v %s", err, r.stdout)
	}
	r = run("get", "manifest", "web")
	if !strings.Contains(r.stdout, "name: web-extra") {
		t.Fatalf("manifest:\n%s", r.stdout)
	}
	r = run("list")
	if !strings.Contains(r.stdout, "web") || !strings.Contains(r.stdout, "app-0.1.0") || !strings.Contains(r.stdout, "deployed") {
		t.Fatalf("list:\n%s", r.stdout)
	}
	if r = run("list", "-q", "-l", "team=a"); strings.TrimSpace(r.stdout) != "web" {
		t.Fatalf("list -q -l:\n%s", r.stdout)
	}
	if r = run("list", "-q", "--filter", "^nomatch"); strings.TrimSpace(r.stdout) != "" {
		t.Fatalf("list --filter:\n%s", r.stdout)
	}
	if r = run("list", "--superseded", "-q"); strings.TrimSpace(r.stdout) != "web" {
		t.Fatalf("list --superseded:\n%s", r.stdout)
	}
	for _, dry := range []string{"--dry-run", "--dry-run=server"} {
		if r = run("rollback", "web", "1", dry); !strings.Contains(r.stdout, "Rollback was a success") {
			t.Fatalf("rollback %s:\n%s", dry, r.stdout)
		}
	}
	failLade(t, `invalid dry-run value "maybe"`, append([]string{"rollback", "web", "1", "--dry-run=maybe"}, kc...)...)
	r = run("rollback", "web", "1")
	if !strings.Contains(r.stdout, "Rollback was a success") {
		t.Fatalf("rollback:\n%s", r.stdout)
	}
	r = run("history", "web", "-o", "json")
	var hist []historyRow
	if err := json.Unmarshal([]byte(r.stdout), &hist); err != nil || len(hist) != 3 || hist[2].Description != "Rollback to 1" || hist[2].Status != "deployed" {
		t.Fatalf("history: %v %s", err, r.stdout)
	}
	r = run("status", "web")
	if !strings.Contains(r.stdout, "RESOURCES:") || !strings.Contains(r.stdout, "web-cm") || !strings.Contains(r.stdout, "Current") {
		t.Fatalf("status:\n%s", r.stdout)
	}
	r = run("get", "metadata", "web", "-o", "json")
	if !strings.Contains(r.stdout, `"revision":3`) {
		t.Fatalf("metadata: %s", r.stdout)
	}
	run("test", "web")
	r = run("test", "web", "--filter", "!name=web-smoke")
	if !strings.Contains(r.stdout, "TEST SUITE:     web-test") {
		t.Fatalf("test --filter:\n%s", r.stdout)
	}
	failLade(t, `--filter "size=1": use name=TEST`, append([]string{"test", "web", "--filter", "size=1"}, kc...)...)

	// A record rewritten by Helm loses lade's annotations: list still shows its chart.
	sec, err := env.Clientset().CoreV1().Secrets(ns).Get(context.Background(), "sh.helm.release.v1.web.v3", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sec.Annotations = nil
	if _, err := env.Clientset().CoreV1().Secrets(ns).Update(context.Background(), sec, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if r = run("list", "-o", "json"); !strings.Contains(r.stdout, `"chart":"app-0.1.0"`) {
		t.Fatalf("list of a Helm-written record: %s", r.stdout)
	}

	failLade(t, "cannot re-use a name that is still in use", append([]string{"install", "web", chartDir}, kc...)...)
	failLade(t, `namespace "`+ns+`-missing" not found (create it, or install with --create-namespace)`,
		"install", "web", chartDir, "--kubeconfig", env.KubeconfigPath, "-n", ns+"-missing")
	run("uninstall", "web")
	if r = run("list", "-q", "-a"); strings.TrimSpace(r.stdout) != "" {
		t.Fatalf("after uninstall:\n%s", r.stdout)
	}
	r = run("install", "dry", chartDir, "--dry-run")
	if !strings.Contains(r.stdout, "MANIFEST:") {
		t.Fatalf("dry-run:\n%s", r.stdout)
	}
	r = run("upgrade", "--install", "up", chartDir, "--create-namespace")
	if !strings.HasPrefix(r.stdout, "Release \"up\" does not exist. Installing it now.\nNAME: up\n") {
		t.Fatalf("upgrade --install of a new release:\n%s", r.stdout)
	}
	if r = run("upgrade", "--install", "up", chartDir); strings.Contains(r.stdout, "Installing it now") {
		t.Fatalf("upgrade --install of an existing release:\n%s", r.stdout)
	}
	run("uninstall", "up", "--wait")
	run("uninstall", "nothere", "--ignore-not-found")
}

// TestTemplateDryRunServer: template --dry-run=server renders for the
// cluster (its Kubernetes version, live lookups) and validates the objects
// there: an unowned object in the way and an invalid field are errors, and
// nothing is created.
func TestTemplateDryRunServer(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	dir := t.TempDir()
	files := map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: probe\nversion: 0.1.0\n",
		"templates/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-probe
data:
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  seen: {{ dig "metadata" "name" "none" (lookup "v1" "Namespace" "" .Release.Namespace) | quote }}
{{- if .Values.bad }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-bad
spec:
  replicas: "three"
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: bad}}
    spec: {containers: [{name: app, image: busybox}]}
{{- end }}
`,
	}
	writeFiles(t, dir, files)
	local := mustLade(t, "template", "web", dir, "-n", ns)
	if !strings.Contains(local.stdout, `seen: "none"`) {
		t.Fatalf("client render:\n%s", local.stdout)
	}
	r := mustLade(t, append([]string{"template", "web", dir, "--dry-run=server"}, kc...)...)
	sv, err := env.Clientset().Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.stdout, "kube: \""+sv.GitVersion+"\"") || !strings.Contains(r.stdout, "seen: \""+ns+"\"") {
		t.Fatalf("server render (cluster %s):\n%s", sv.GitVersion, r.stdout)
	}
	if _, err := env.Clientset().CoreV1().ConfigMaps(ns).Get(context.Background(), "web-probe", metav1.GetOptions{}); err == nil {
		t.Fatal("template --dry-run=server created web-probe")
	}
	failLade(t, `.spec.replicas: expected numeric`, append([]string{"template", "web", dir, "--dry-run=server", "--set", "bad=true"}, kc...)...)
	if _, err := env.Clientset().CoreV1().ConfigMaps(ns).Create(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "web-probe"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	failLade(t, "exists and cannot be imported into the current release", append([]string{"template", "web", dir, "--dry-run=server"}, kc...)...)
}

// TestInstallNamesEveryRejectedObject: an install of a chart with several
// bad objects names each of them, as Helm does, and creates nothing.
func TestInstallNamesEveryRejectedObject(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	deployment := func(name, replicas string) string {
		return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\nspec:\n  replicas: " + replicas +
			"\n  selector: {matchLabels: {app: " + name + "}}\n  template:\n    metadata: {labels: {app: " + name + "}}\n    spec: {containers: [{name: app, image: busybox}]}\n"
	}
	// Kinds the cluster does not know.
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"Chart.yaml":          "apiVersion: v2\nname: bad\nversion: 0.1.0\n",
		"templates/a.yaml":    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: one\n",
		"templates/b.yaml":    "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: two\n",
		"templates/good.yaml": deployment("good", "1"),
	})
	r := failLade(t, "2 errors", append([]string{"install", "kinds", dir}, kc...)...)
	for _, w := range []string{`name: "one"`, `kind "Widget"`, `name: "two"`, `kind "Gadget"`} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("install of two unknown kinds: stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	// Objects the API server rejects.
	dir = t.TempDir()
	writeFiles(t, dir, map[string]string{
		"Chart.yaml":       "apiVersion: v2\nname: bad\nversion: 0.1.0\n",
		"templates/a.yaml": deployment("first", "-1"),
		"templates/b.yaml": deployment("second", "-2"),
	})
	r = failLade(t, "spec.replicas", append([]string{"install", "invalid", dir}, kc...)...)
	for _, w := range []string{"Deployment " + ns + "/first", "Deployment " + ns + "/second"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("install of two invalid Deployments: stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	if l, err := env.Clientset().AppsV1().Deployments(ns).List(t.Context(), metav1.ListOptions{}); err != nil || len(l.Items) != 0 {
		t.Errorf("deployments left behind: %v %v", l, err)
	}
}

// TestFieldManagerFlag: --field-manager on install, upgrade and rollback
// is what the objects are applied as and what `get metadata` shows as
// recorded; without it the release's recorded manager is kept.
func TestFieldManagerFlag(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	chartDir := "../../testdata/charts/release/app"
	run := func(args ...string) result { return mustLade(t, append(args, kc...)...) }
	check := func(step, want string) {
		t.Helper()
		var md struct {
			Annotations map[string]string `json:"annotations"`
		}
		r := run("get", "metadata", "fm", "-o", "json")
		if err := json.Unmarshal([]byte(r.stdout), &md); err != nil || md.Annotations["lade.dev/field-manager"] != want {
			t.Fatalf("%s: recorded field manager: %v %s", step, err, r.stdout)
		}
		cm, err := env.Clientset().CoreV1().ConfigMaps(ns).Get(context.Background(), "fm-cm", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var appliers []string
		for _, mf := range cm.ManagedFields {
			if mf.Operation == metav1.ManagedFieldsOperationApply {
				appliers = append(appliers, mf.Manager)
			}
		}
		if len(appliers) != 1 || appliers[0] != want {
			t.Fatalf("%s: applied by %v, want %s", step, appliers, want)
		}
	}
	run("install", "fm", chartDir)
	check("install", "helm")
	run("upgrade", "fm", chartDir, "--field-manager", "ops-pipeline", "--set", "data=2")
	check("upgrade --field-manager", "ops-pipeline")
	run("upgrade", "fm", chartDir, "--set", "data=3")
	check("upgrade", "ops-pipeline")
	run("rollback", "fm", "1", "--field-manager", "lade")
	check("rollback --field-manager", "lade")
	failLade(t, "invalid field manager", append([]string{"upgrade", "fm", chartDir, "--field-manager", strings.Repeat("x", 129)}, kc...)...)
	if r := run("upgrade", "--help"); !strings.Contains(r.stdout, "--field-manager") {
		t.Fatalf("upgrade --help lacks --field-manager:\n%s", r.stdout)
	}
}
