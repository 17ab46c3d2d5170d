package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lade-dev/lade/internal/testenv"
)

// writeNotesChart writes a chart with NOTES, a ConfigMap and a Secret.
func writeNotesChart(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "notes")
	files := map[string]string{
		"Chart.yaml":            "apiVersion: v2\nname: notes\nversion: 0.1.0\n",
		"values.yaml":           "data: one\n",
		"templates/NOTES.txt":   "Thanks for installing {{ .Release.Name }}.\n",
		"templates/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  value: {{ .Values.data | quote }}\n",
		"templates/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-secret\nstringData:\n  password: hunter2-secret\n",
	}
	writeFiles(t, dir, files)
	return dir
}

// writeFiles writes files (slash-separated paths relative to dir, and
// their contents), creating directories as needed.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Helm flags of install, upgrade, rollback and uninstall that scripts pass:
// each is known, and does what Helm's does or says why lade refuses it.
func TestHelmCompatibleReleaseFlags(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	chartDir := writeNotesChart(t)
	run := func(args ...string) result { return mustLade(t, append(args, kc...)...) }
	fail := func(want string, args ...string) { failLade(t, want, append(args, kc...)...) }
	const notes = "Thanks for installing"

	// --hide-notes: not printed, still recorded.
	if r := run("install", "n1", chartDir, "--hide-notes", "--qps", "50", "--burst-limit", "100"); strings.Contains(r.stdout, "NOTES:") || strings.Contains(r.stdout, notes) {
		t.Fatalf("install --hide-notes printed notes:\n%s", r.stdout)
	}
	if r := run("get", "notes", "n1"); !strings.Contains(r.stdout, notes+" n1.") {
		t.Fatalf("notes not recorded:\n%s", r.stdout)
	}
	if r := run("install", "n2", chartDir); !strings.Contains(r.stdout, "NOTES:\n"+notes+" n2.") {
		t.Fatalf("install without --hide-notes:\n%s", r.stdout)
	}
	if r := run("upgrade", "n1", chartDir, "--hide-notes", "--server-side=auto", "--disable-openapi-validation", "--cleanup-on-fail"); strings.Contains(r.stdout, notes) {
		t.Fatalf("upgrade --hide-notes printed notes:\n%s", r.stdout)
	}
	if r := run("upgrade", "n1", chartDir); !strings.Contains(r.stdout, notes+" n1.") {
		t.Fatalf("upgrade without --hide-notes:\n%s", r.stdout)
	}
	run("rollback", "n1", "1", "--cleanup-on-fail", "--server-side", "--qps", "20", "--burst-limit", "40")

	// --hide-secret: only with --dry-run (Helm's message), Secrets left out.
	for _, cmd := range [][]string{{"install", "hs", chartDir}, {"upgrade", "n1", chartDir}} {
		for _, dry := range []string{"--dry-run", "--dry-run=server"} {
			r := run(append(cmd, dry, "--hide-secret")...)
			if strings.Contains(r.stdout, "hunter2") || !strings.Contains(r.stdout, "# Source: notes/templates/secret.yaml\n# HIDDEN: The Secret output has been suppressed") {
				t.Fatalf("%v %s --hide-secret:\n%s", cmd, dry, r.stdout)
			}
		}
		if r := run(append(cmd, "--dry-run")...); !strings.Contains(r.stdout, "hunter2") {
			t.Fatalf("%v --dry-run without --hide-secret:\n%s", cmd, r.stdout)
		}
		fail("Error: hiding Kubernetes secrets requires a dry-run mode", append(cmd, "--hide-secret")...)
	}

	// --replace: re-use the name of an uninstalled release with history.
	run("uninstall", "n2", "--keep-history", "--qps", "20", "--burst-limit", "40")
	fail("pass --replace", "install", "n2", chartDir)
	if r := run("install", "n2", chartDir, "--replace"); !strings.Contains(r.stdout, "REVISION: 2") || !strings.Contains(r.stdout, "STATUS: deployed") {
		t.Fatalf("install --replace:\n%s", r.stdout)
	}
	fail("cannot re-use a name that is still in use", "install", "n2", chartDir, "--replace")

	// Flags lade does not support fail with the reason, not "unknown flag".
	fail("--overlay DIR", "install", "pr", chartDir, "--post-renderer", "kustomize")
	fail("--overlay DIR", "upgrade", "n1", chartDir, "--post-renderer-args", "x")
	fail("lade always applies objects with server-side apply", "upgrade", "n1", chartDir, "--server-side=false")
	fail("lade always applies objects with server-side apply", "install", "ss", chartDir, "--server-side=false")
	fail("lade always applies objects with server-side apply", "rollback", "n1", "--server-side=false")
	fail(`invalid server-side value "maybe"`, "rollback", "n1", "--server-side=maybe")
}

// Helm 4's --wait takes a strategy: scripts pass --wait alone,
// --wait=watcher, legacy or hookOnly, and old ones --wait=true.
func TestWaitStrategyFlag(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	chartDir := writeNotesChart(t)
	run := func(args ...string) result { return mustLade(t, append(args, kc...)...) }

	r := run("install", "w1", chartDir, "--wait", "--timeout", "1m")
	if strings.Contains(r.stderr, "deprecated") {
		t.Errorf("--wait alone warned:\n%s", r.stderr)
	}
	run("upgrade", "w1", chartDir, "--wait=legacy", "--timeout", "1m")
	run("upgrade", "w1", chartDir, "--wait=hookOnly")
	r = run("upgrade", "w1", chartDir, "--wait=true", "--timeout", "1m")
	if !strings.Contains(r.stderr, `level=WARN msg="--wait=true is deprecated (boolean value) and can be replaced with --wait=watcher"`) {
		t.Errorf("--wait=true did not warn as Helm does:\n%s", r.stderr)
	}
	failLade(t, `invalid argument "bogus" for "--wait" flag: invalid wait input "bogus". Valid inputs are watcher, hookOnly, and legacy`,
		append([]string{"upgrade", "w1", chartDir, "--wait=bogus"}, kc...)...)
	run("uninstall", "w1", "--wait")
}

// TestTemplateSchemaOfTheLoadedChart: `lade template` validates against the
// values.schema.json the chart actually loaded (one that .helmignore drops
// is not applied), and --skip-schema-validation skips it.
func TestTemplateSchemaOfTheLoadedChart(t *testing.T) {
	schema := `{"type": "object", "properties": {"replicas": {"type": "integer", "minimum": 1}}}`
	chartFiles := map[string]string{
		"Chart.yaml":         "apiVersion: v2\nname: ahead\nversion: 0.1.0\n",
		"values.yaml":        "replicas: 1\n",
		"values.schema.json": schema,
		"templates/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  replicas: {{ .Values.replicas | quote }}\n",
	}
	dir := filepath.Join(t.TempDir(), "ahead")
	writeFiles(t, dir, chartFiles)

	_, stderr, code := runLade(t, []string{"template", "r", dir, "--set", "replicas=0"})
	if code == 0 || !strings.Contains(stderr, "values don't meet the specifications of the schema(s)") || !strings.Contains(stderr, "minimum: got 0, want 1") {
		t.Fatalf("schema error expected, got code %d: %s", code, stderr)
	}
	if out, stderr, code := runLade(t, []string{"template", "r", dir, "--set", "replicas=0", "--skip-schema-validation"}); code != 0 || !strings.Contains(out, `replicas: "0"`) {
		t.Fatalf("--skip-schema-validation: code %d, %s%s", code, out, stderr)
	}

	ignored := filepath.Join(t.TempDir(), "ahead")
	writeFiles(t, ignored, chartFiles)
	writeFiles(t, ignored, map[string]string{".helmignore": "values.schema.json\n"})
	if out, stderr, code := runLade(t, []string{"template", "r", ignored, "--set", "replicas=0"}); code != 0 || !strings.Contains(out, `replicas: "0"`) {
		t.Fatalf("schema dropped by .helmignore still applied: code %d, %s%s", code, out, stderr)
	}
}
