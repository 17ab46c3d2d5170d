package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/release"
)

// fleetRelease is a Release document of a test fleet, of the svc chart.
type fleetRelease struct {
	name, ns, chart, version, extra string
	labels                          map[string]string
	deps                            []string
	values                          map[string]any
}

func (r fleetRelease) yaml() string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: lade.dev/v1alpha1\nkind: Release\nmetadata:\n  name: %s\n  namespace: %s\n", r.name, r.ns)
	if len(r.labels) > 0 {
		lb, _ := json.Marshal(r.labels)
		fmt.Fprintf(&b, "  labels: %s\n", lb)
	}
	chart := r.chart
	if chart == "" {
		chart = "charts/svc"
	}
	fmt.Fprintf(&b, "spec:\n  chart: {ref: %q", chart)
	if r.version != "" {
		fmt.Fprintf(&b, ", version: %q", r.version)
	}
	b.WriteString("}\n")
	if len(r.values) > 0 {
		vb, _ := json.Marshal(r.values)
		fmt.Fprintf(&b, "  values: %s\n", vb)
	}
	if len(r.deps) > 0 {
		b.WriteString("  dependsOn:\n")
		for _, d := range r.deps {
			fmt.Fprintf(&b, "    - {name: %s}\n", d)
		}
	}
	b.WriteString(r.extra)
	return b.String()
}

// writeFleet writes the releases as fleet/releases.yaml beside a copy of
// the svc chart (fleet/charts/svc) and returns the fleet directory.
func writeFleet(t *testing.T, dir string, rs []fleetRelease) string {
	t.Helper()
	fl := filepath.Join(dir, "fleet")
	if _, err := os.Stat(filepath.Join(fl, "charts")); err != nil {
		copyDir(t, "../../testdata/charts/fleet/svc", filepath.Join(fl, "charts", "svc"))
	}
	var docs []string
	for _, r := range rs {
		docs = append(docs, r.yaml())
	}
	if err := os.WriteFile(filepath.Join(fl, "releases.yaml"), []byte(strings.Join(docs, "---\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return fl
}

func revisions(t *testing.T, kc []string, name string) []historyRow {
	t.Helper()
	stdout, stderr, code := runLade(t, append([]string{"history", name, "-o", "json"}, kc...))
	if code != 0 {
		if strings.Contains(stderr, "not found") {
			return nil
		}
		t.Fatalf("history %s: %s", name, stderr)
	}
	var h []historyRow
	if err := json.Unmarshal([]byte(stdout), &h); err != nil {
		t.Fatalf("history: %v\n%s", err, stdout)
	}
	return h
}

// planRow returns the plan table's row of a release, its cells trimmed.
func planRow(t *testing.T, out, name string) []string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		cells := strings.Split(line, "\t")
		if strings.TrimSpace(cells[0]) == name {
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			return cells
		}
	}
	t.Fatalf("no row for %s in\n%s", name, out)
	return nil
}

// lade apply on a control plane whose pods run (kwok): a chain
// db <- api <- web (api's chart from the OCI registry), a release that
// never becomes Ready and one depending on it; selection, the dry-run
// exit codes, the apply, a no-op re-apply, --diff and --prune.
func TestApplyCommand(t *testing.T) {
	isolate(t)
	env := testenv.StartT(t, testenv.WithWorkloads())
	reg := testenv.NewRegistry(t)
	work := t.TempDir()
	mustLade(t, "package", "../../testdata/charts/fleet/svc", "-d", work)
	mustLade(t, "push", filepath.Join(work, "svc-1.0.0.tgz"), "oci://"+reg.Host+"/charts", "--plain-http")
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	rs := []fleetRelease{
		{name: "db", ns: ns, labels: map[string]string{"tier": "data"}},
		{name: "api", ns: ns, chart: "oci://" + reg.Host + "/charts/svc", version: "^1.0", deps: []string{"db"}, labels: map[string]string{"tier": "backend"}},
		{name: "web", ns: ns, deps: []string{"api"}, values: map[string]any{"data": "w1"}},
		{name: "bad", ns: ns, values: map[string]any{"fail": testenv.FailNotReady}, extra: "  timeout: 5s\n"},
		{name: "child", ns: ns, deps: []string{"bad"}, values: map[string]any{"deploy": false}},
	}
	fl := writeFleet(t, work, rs)
	apply := func(args ...string) (string, string, int) {
		return runLade(t, append(append([]string{"apply", "-f", fl, "--plain-http"}, args...), kc...))
	}

	// The plan of everything: five installs, exit 2, nothing written.
	stdout, stderr, code := apply("--dry-run", "--detailed-exitcode")
	t.Logf("dry run:\n%s%s", stdout, stderr)
	if code != 2 {
		t.Fatalf("dry run: exit %d, want 2", code)
	}
	if row := planRow(t, stdout, "api"); strings.Join(row, "|") != "api|"+ns+"|svc-1.0.0|+2 ~0 -0|0|install|" {
		t.Errorf("api's row: %q", row)
	}
	if !strings.Contains(stdout, "Plan: 5 to install, 0 to upgrade, 0 unchanged.") {
		t.Errorf("plan:\n%s", stdout)
	}
	if h := revisions(t, kc, "db"); len(h) != 0 {
		t.Fatalf("the dry run installed db: %+v", h)
	}

	// -l picks db alone.
	stdout, stderr, code = apply("-l", "tier=data")
	t.Logf("apply -l tier=data:\n%s%s", stdout, stderr)
	if code != 0 || !strings.Contains(stdout, "Plan: 1 to install, 0 to upgrade, 0 unchanged.") || strings.Contains(stdout, "api") {
		t.Fatalf("apply -l: exit %d\n%s", code, stdout)
	}
	if h := revisions(t, kc, "api"); len(h) != 0 {
		t.Fatalf("-l tier=data installed api")
	}

	// Everything: db unchanged, the chain installed in order, bad fails
	// and child is skipped.
	stdout, stderr, code = apply()
	t.Logf("apply:\n%s%s", stdout, stderr)
	if code != 1 || !strings.Contains(stderr, "Error: the fleet was not applied completely: 1 failed, 1 skipped") {
		t.Fatalf("apply: exit %d\n%s", code, stderr)
	}
	for name, want := range map[string]string{"db": "unchanged|ready|1", "api": "install|ready|1", "web": "install|ready|1", "bad": "install|failed|1", "child": "install|skipped|"} {
		row := planRow(t, stdout[strings.Index(stdout, "RESULT"):], name)
		if got := strings.Join(row[2:5], "|"); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	if row := planRow(t, stdout[strings.Index(stdout, "RESULT"):], "child"); row[6] != "dependency "+ns+"/bad failed" {
		t.Errorf("child: %q", row)
	}
	for _, want := range []string{ns + "/web: waiting (for " + ns + "/api)", ns + "/web: ready after", ns + "/bad: failed after"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the progress does not say %q", want)
		}
	}
	if want := "Error: release " + ns + "/bad: timed out after 5s"; !strings.Contains(stdout, want) || !strings.Contains(stdout, "running but not ready") {
		t.Errorf("the summary does not say %q and why", want)
	}
	if h := revisions(t, kc, "child"); len(h) != 0 {
		t.Errorf("child was installed: %+v", h)
	}

	// Without bad and child: nothing to do, no revision written.
	rs = rs[:3]
	writeFleet(t, work, rs)
	if stdout, _, code = apply("--dry-run", "--detailed-exitcode"); code != 0 || !strings.Contains(stdout, "Plan: 0 to install, 0 to upgrade, 3 unchanged.") {
		t.Fatalf("dry run of an applied fleet: exit %d\n%s", code, stdout)
	}
	if stdout, _, code = apply(); code != 0 || !strings.Contains(stdout, "Nothing to apply: every release is up to date.") {
		t.Fatalf("no-op apply: exit %d\n%s", code, stdout)
	}
	for _, name := range []string{"db", "api", "web"} {
		if h := revisions(t, kc, name); len(h) != 1 || h[0].Status != "deployed" {
			t.Errorf("%s after a no-op apply: %+v", name, h)
		}
	}

	// A value changes: --diff shows the object diff, the plan one upgrade,
	// and --prune (in JSON) bad, which left the fleet.
	rs[2].values["data"] = "w2"
	writeFleet(t, work, rs)
	stdout, _, code = apply("--dry-run", "--diff", "--prune")
	if code != 0 || !strings.Contains(stdout, "# RELEASE "+ns+"/web (upgrade)\nConfigMap "+ns+"/web-cm (update)") ||
		!strings.Contains(stdout, "-  value: w1\n+  value: w2") || !strings.Contains(stdout, "Plan: 0 to install, 1 to upgrade, 2 unchanged, 1 to prune.") {
		t.Fatalf("--diff --prune: exit %d\n%s", code, stdout)
	}
	stdout, _, code = apply("--dry-run", "--prune", "-o", "json")
	var plan struct {
		Fleet    string
		Releases []struct {
			Name, Action string
			Changes      struct{ Update, Delete int }
		}
	}
	if err := json.Unmarshal([]byte(stdout), &plan); err != nil || code != 0 || plan.Fleet != "fleet" {
		t.Fatalf("-o json: %v exit %d\n%s", err, code, stdout)
	}
	actions := map[string]string{}
	for _, r := range plan.Releases {
		actions[r.Name] = r.Action
	}
	if fmt.Sprint(actions) != "map[api:unchanged bad:prune db:unchanged web:upgrade]" {
		t.Errorf("json actions: %v", actions)
	}
	if stdout, stderr, code = apply("--prune"); code != 0 {
		t.Fatalf("apply --prune: exit %d\n%s%s", code, stdout, stderr)
	}
	if h := revisions(t, kc, "bad"); len(h) != 0 {
		t.Errorf("bad was not pruned: %+v", h)
	}
	if h := revisions(t, kc, "web"); len(h) != 2 || h[1].Status != "deployed" {
		t.Errorf("web after the upgrade: %+v", h)
	}
}

// A lade apply killed (SIGKILL) while a release waits to be Ready leaves
// that release pending and its dependent not installed; the next apply of
// the same fleet takes the lease over, finishes the release and installs
// the dependent.
func TestApplyKilledThenReapplied(t *testing.T) {
	isolate(t)
	bin := buildLade(t)
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	fl := writeFleet(t, t.TempDir(), []fleetRelease{
		{name: "slow", ns: ns, extra: "  timeout: 5m\n"},
		{name: "after", ns: ns, deps: []string{"slow"}, values: map[string]any{"deploy": false}},
	})
	cs := env.Clientset()
	ctx := context.Background()

	// This control plane runs no controllers: slow's Deployment is not
	// Ready until the test says so.
	cmd := exec.Command(bin, append([]string{"apply", "-f", fl}, kc...)...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waitFor(t, exited, out, ns+"/slow: applying", 60*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for {
		sec, err := cs.CoreV1().Secrets(ns).Get(ctx, release.SecretName("slow", 1), metav1.GetOptions{})
		if err == nil && sec.Labels["status"] == "pending-install" {
			if _, err := cs.AppsV1().Deployments(ns).Get(ctx, "slow", metav1.GetOptions{}); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("slow never got to waiting:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	t.Logf("killed lade apply while slow waited:\n%s", out.String())
	if h := revisions(t, kc, "after"); len(h) != 0 {
		t.Fatalf("after was installed before slow was Ready: %+v", h)
	}

	// The Deployment becomes available, as its controller would make it.
	dep, err := cs.AppsV1().Deployments(ns).Get(ctx, "slow", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	status := fmt.Sprintf(`{"status":{"observedGeneration":%d,"replicas":1,"updatedReplicas":1,"readyReplicas":1,"availableReplicas":1,
		"conditions":[{"type":"Available","status":"True","reason":"MinimumReplicasAvailable"},{"type":"Progressing","status":"True","reason":"NewReplicaSetAvailable"}]}}`, dep.Generation)
	if _, err := cs.AppsV1().Deployments(ns).Patch(ctx, "slow", types.MergePatchType, []byte(status), metav1.PatchOptions{}, "status"); err != nil {
		t.Fatal(err)
	}

	r := runBin(t, bin, append([]string{"apply", "-f", fl}, kc...)...)
	t.Logf("re-apply:\n%s%s", r.stdout, r.stderr)
	if r.code != 0 || !strings.Contains(r.stdout, "slow   \t"+ns) {
		t.Fatalf("re-apply: exit %d", r.code)
	}
	if row := planRow(t, r.stdout[strings.Index(r.stdout, "RESULT"):], "slow"); strings.Join(row[2:5], "|") != "upgrade|ready|2" {
		t.Errorf("slow in the summary: %q", row)
	}
	h := revisions(t, kc, "slow")
	if len(h) != 2 || h[0].Status != "failed" || !strings.Contains(h[0].Description, "Interrupted") || h[1].Status != "deployed" {
		t.Errorf("slow's history: %+v", h)
	}
	if h := revisions(t, kc, "after"); len(h) != 1 || h[0].Status != "deployed" {
		t.Errorf("after's history: %+v", h)
	}
	if _, err := cs.CoordinationV1().Leases(ns).Get(ctx, release.LeaseName("slow"), metav1.GetOptions{}); err == nil {
		t.Error("the re-apply left slow's Lease")
	}
}

// An environment is a kustomize overlay of a base fleet: prod patches one
// release's values; applying the overlay directory installs the base's
// releases with prod's values, recorded as fleet "prod". Fleets with a
// cycle or a schema error are refused before anything is planned, naming
// the file and the field.
func TestApplyEnvironmentOverlay(t *testing.T) {
	isolate(t)
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	dir := t.TempDir()
	base := writeFleet(t, dir, []fleetRelease{
		{name: "db", ns: ns, values: map[string]any{"deploy": false}},
		{name: "web", ns: ns, deps: []string{"db"}, values: map[string]any{"deploy": false, "data": "base"}},
	})
	write := func(path, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(base, "kustomization.yaml"), "resources: [releases.yaml]\n")
	prod := filepath.Join(dir, "overlays", "prod")
	write(filepath.Join(prod, "kustomization.yaml"), `resources: [../../fleet]
patches:
  - target: {group: lade.dev, kind: Release, name: web}
    patch: |
      apiVersion: lade.dev/v1alpha1
      kind: Release
      metadata: {name: web}
      spec:
        values: {data: prod}
`)
	// db was installed by hand first, with a label of its own: the fleet
	// takes it over in place (a new revision, recording the fleet) and
	// keeps the label.
	mustLade(t, append([]string{"install", "db", filepath.Join(base, "charts", "svc"), "--set", "deploy=false", "--labels", "team=a"}, kc...)...)
	stdout, stderr, code := runLade(t, append([]string{"apply", "-f", prod}, kc...))
	t.Logf("apply -f overlays/prod:\n%s%s", stdout, stderr)
	if code != 0 || !strings.Contains(stdout, "Plan: 1 to install, 1 to upgrade, 0 unchanged.") {
		t.Fatalf("exit %d", code)
	}
	if row := planRow(t, stdout, "db"); row[5] != "upgrade" || row[6] != "joins fleet prod" {
		t.Errorf("db's plan: %q", row)
	}
	if h := revisions(t, kc, "db"); len(h) != 2 || h[1].Status != "deployed" {
		t.Errorf("db's history: %+v", h)
	}
	if r := mustLade(t, append([]string{"list", "-q", "-l", "team=a,lade.dev/fleet=prod"}, kc...)...); strings.TrimSpace(r.stdout) != "db" {
		t.Errorf("db's labels: list says %q", r.stdout)
	}
	cm, err := env.Clientset().CoreV1().ConfigMaps(ns).Get(context.Background(), "web-cm", metav1.GetOptions{})
	if err != nil || cm.Data["value"] != "prod" {
		t.Fatalf("web-cm: %v %v", err, cm.Data)
	}
	r := mustLade(t, append([]string{"list", "-q", "-l", "lade.dev/fleet=prod"}, kc...)...)
	if got := strings.Fields(r.stdout); strings.Join(got, " ") != "db web" {
		t.Errorf("releases of fleet prod: %q", got)
	}

	for _, c := range []struct{ doc, want string }{
		{"apiVersion: lade.dev/v1alpha1\nkind: Release\nmetadata: {name: a}\nspec: {chart: {ref: \"oci://registry.invalid/x\"}, dependsOn: [{name: b}]}\n---\n" +
			"apiVersion: lade.dev/v1alpha1\nkind: Release\nmetadata: {name: b}\nspec: {chart: {ref: \"oci://registry.invalid/x\"}, dependsOn: [{name: a}]}\n", "dependency cycle"},
		{"apiVersion: lade.dev/v1alpha1\nkind: Release\nmetadata: {name: a}\nspec: {chart: {ref: \"oci://registry.invalid/x\"}, timeout: soon}\n", "spec.timeout"},
	} {
		f := filepath.Join(t.TempDir(), "bad.yaml")
		write(f, c.doc)
		_, stderr, code := runLade(t, append([]string{"apply", "-f", f, "--dry-run"}, kc...))
		if code != 1 || !strings.Contains(stderr, f) || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "planning") {
			t.Errorf("exit %d, want 1 and an error naming %s and %q:\n%s", code, f, c.want, stderr)
		}
	}
}

// TestApplyCreatesNamespace: a Release with createNamespace: true whose
// namespace does not exist yet is planned as an install into an empty
// namespace (its objects shown as creates), and the apply creates the
// namespace, then the release; the re-apply finds it unchanged.
func TestApplyCreatesNamespace(t *testing.T) {
	isolate(t)
	env := testenv.Shared(t)
	ns := env.NewNamespace(t) + "-new"
	t.Cleanup(func() {
		_ = env.Clientset().CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	kc := []string{"--kubeconfig", env.KubeconfigPath}
	fl := writeFleet(t, t.TempDir(), []fleetRelease{
		{name: "web", ns: ns, values: map[string]any{"deploy": false, "data": "fresh"}, extra: "  createNamespace: true\n"},
	})
	stdout, stderr, code := runLade(t, append([]string{"apply", "-f", fl, "--dry-run"}, kc...))
	t.Logf("apply --dry-run:\n%s%s", stdout, stderr)
	if code != 0 || !strings.Contains(stdout, "Plan: 1 to install, 0 to upgrade, 0 unchanged.") {
		t.Fatalf("dry run: exit %d, want 0 and one install", code)
	}
	if row := planRow(t, stdout, "web"); row[5] != "install" {
		t.Errorf("web's plan: %q", row)
	}
	if _, err := env.Clientset().CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{}); err == nil {
		t.Fatalf("the dry run created namespace %s", ns)
	}
	stdout, stderr, code = runLade(t, append([]string{"apply", "-f", fl}, kc...))
	t.Logf("apply:\n%s%s", stdout, stderr)
	if code != 0 {
		t.Fatalf("apply: exit %d", code)
	}
	cm, err := env.Clientset().CoreV1().ConfigMaps(ns).Get(context.Background(), "web-cm", metav1.GetOptions{})
	if err != nil || cm.Data["value"] != "fresh" {
		t.Fatalf("web-cm in %s: %v %v", ns, err, cm.Data)
	}
	if h := revisions(t, append(kc, "-n", ns), "web"); len(h) != 1 || h[0].Status != "deployed" {
		t.Errorf("web's history: %+v", h)
	}
	stdout, stderr, code = runLade(t, append([]string{"apply", "-f", fl}, kc...))
	if code != 0 || !strings.Contains(stdout, "Plan: 0 to install, 0 to upgrade, 1 unchanged.") {
		t.Errorf("re-apply: exit %d\n%s%s", code, stdout, stderr)
	}
}
