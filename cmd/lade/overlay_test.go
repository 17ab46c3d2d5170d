package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/internal/testenv"
)

const overlayData = "../../testdata/overlays/"

func TestTemplateOverlay(t *testing.T) {
	chartDir := overlayData + "chart/shop"
	r := mustLade(t, "template", "shop", chartDir, "--overlay", overlayData+"added")
	for _, want := range []string{"# Source: shop/templates/deployment.yaml\n", "# Source: overlay/networkpolicy.yaml\nkind: NetworkPolicy", "# Source: shop/templates/migrate-job.yaml\n"} {
		if !strings.Contains(strings.ReplaceAll(r.stdout, "apiVersion: networking.k8s.io/v1\n", ""), want) {
			t.Errorf("template --overlay lacks %q:\n%s", want, r.stdout)
		}
	}
	// Hooks go through the overlay unless --overlay-hooks=false.
	r = mustLade(t, "template", "shop", chartDir, "--overlay", overlayData+"prefix-suffix")
	if !strings.Contains(r.stdout, "name: team-shop-migrate-v2") {
		t.Errorf("hook not overlaid:\n%s", r.stdout)
	}
	r = mustLade(t, "template", "shop", chartDir, "--overlay", overlayData+"prefix-suffix", "--overlay-hooks=false")
	if !strings.Contains(r.stdout, "name: shop-migrate\n") || !strings.Contains(r.stdout, "name: team-shop-web-v2") {
		t.Errorf("--overlay-hooks=false:\n%s", r.stdout)
	}
	// --show-only still finds templates by path.
	r = mustLade(t, "template", "shop", chartDir, "--overlay", overlayData+"replicas", "-s", "templates/deployment.yaml")
	if !strings.Contains(r.stdout, "replicas: 5") || strings.Contains(r.stdout, "kind: Service\n") {
		t.Errorf("--show-only with --overlay:\n%s", r.stdout)
	}
	failLade(t, "missing-deployment.yaml: no resource matches", "template", "shop", chartDir, "--overlay", overlayData+"broken/bad-target")
	failLade(t, "remote bases are refused", "template", "shop", chartDir, "--overlay", overlayData+"broken/remote")
}

func TestTemplateKustomizationPackage(t *testing.T) {
	r := mustLade(t, "template", "kp", overlayData+"package")
	if !strings.Contains(r.stdout, "# Source: package/deployment.yaml\n") || !strings.Contains(r.stdout, "name: kpkg-settings-") {
		t.Errorf("package:\n%s", r.stdout)
	}
	failLade(t, "is a kustomization (kustomization.yaml and no Chart.yaml): it has no values, so --set, --set-string cannot be used", "template", "kp", overlayData+"package", "--set", "a=b", "--set-string", "c=d")
	failLade(t, "--overlay cannot be added to it", "template", "kp", overlayData+"package", "--overlay", overlayData+"smp")
}

// TestOverlayReleaseCommands: install --overlay, upgrade reusing it (and
// saying so), get overlay (print and extract), --reset-overlay, rollback.
func TestOverlayReleaseCommands(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	chartDir := overlayData + "chart/shop"
	// This package's test cluster runs no workloads: hooks (tested with the
	// overlay in pkg/release) are skipped.
	kc = append(kc, "--no-hooks")
	run := func(args ...string) result { return mustLade(t, append(args, kc...)...) }

	run("install", "shop", chartDir, "--overlay", overlayData+"replicas")
	r := run("upgrade", "shop", chartDir)
	if !strings.Contains(r.stderr, "Reused the overlay recorded in revision 1") {
		t.Fatalf("upgrade did not say it reused the overlay:\n%s", r.stderr)
	}
	get := func(args ...string) result {
		return mustLade(t, append(args, "--kubeconfig", env.KubeconfigPath, "-n", ns)...)
	}
	r = get("get", "overlay", "shop")
	if !strings.Contains(r.stdout, "# File: kustomization.yaml\n") || !strings.Contains(r.stdout, "count: 5") {
		t.Fatalf("get overlay:\n%s", r.stdout)
	}
	dir := t.TempDir()
	get("get", "overlay", "shop", "--revision", "1", "--output-dir", dir)
	if data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml")); err != nil || !strings.Contains(string(data), "count: 5") {
		t.Fatalf("extracted overlay: %v %s", err, data)
	}
	r = run("upgrade", "shop", chartDir, "--reset-overlay")
	if strings.Contains(r.stderr, "Reused") {
		t.Fatalf("--reset-overlay reused:\n%s", r.stderr)
	}
	if r := lade(t, "", "get", "overlay", "shop", "--kubeconfig", env.KubeconfigPath, "-n", ns); r.code == 0 || !strings.Contains(r.stderr, "has no overlay") {
		t.Fatalf("get overlay after --reset-overlay: %+v", r)
	}
	if !strings.Contains(get("get", "manifest", "shop").stdout, "replicas: 2") {
		t.Fatal("overlay still applied after --reset-overlay")
	}
	run("rollback", "shop", "2")
	if !strings.Contains(get("get", "manifest", "shop").stdout, "replicas: 5") {
		t.Fatal("rollback did not restore revision 2's manifest")
	}
	if !strings.Contains(get("get", "overlay", "shop").stdout, "count: 5") {
		t.Fatal("rollback did not restore revision 2's overlay record")
	}
	run("install", "kp", overlayData+"package")
	if !strings.Contains(get("get", "manifest", "kp").stdout, "# Source: package/deployment.yaml") {
		t.Fatal("kustomization-only release manifest")
	}
}

// TestOverlayBaseLayout: kustomize's standard layout (overlays/prod using
// ../../base) is installed, upgraded from a changed copy (--overlay-root),
// reused by a plain upgrade and restored by rollback, every file of it
// recorded in the release.
func TestOverlayBaseLayout(t *testing.T) {
	// The default root is the git repository holding the overlay: a copy
	// made a repository, so that the test does not depend on where this
	// checkout lies.
	layout := t.TempDir()
	copyDir(t, overlayData+"layout", layout)
	if err := os.Mkdir(filepath.Join(layout, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	chartDir := overlayData + "chart/shop"
	r := mustLade(t, "template", "shop", chartDir, "--overlay", layout+"/overlays/prod")
	for _, want := range []string{"# Source: overlay/base/settings.yaml\n", "region: eu-west-1", "replicas: 3", "env: prod", "team: shop", "monitoring.example.com/scrape: \"true\""} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("template --overlay overlays/prod lacks %q:\n%s", want, r.stdout)
		}
	}
	failLade(t, `prod/kustomization.yaml: resources "../../base": path leaves the overlay root`, "template", "shop", chartDir,
		"--overlay", layout+"/overlays/prod", "--overlay-root", layout+"/overlays")

	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns, "--no-hooks"}
	run := func(args ...string) result { return mustLade(t, append(args, kc...)...) }
	cm := func() map[string]string {
		t.Helper()
		obj, err := env.Clientset().CoreV1().ConfigMaps(ns).Get(t.Context(), "shop-settings", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if obj.Labels["team"] != "shop" || obj.Labels["env"] != "prod" {
			t.Errorf("ConfigMap labels %v, want the base's team=shop and the overlay's env=prod", obj.Labels)
		}
		return obj.Data
	}
	replicas := func() int32 {
		t.Helper()
		d, err := env.Clientset().AppsV1().Deployments(ns).Get(t.Context(), "shop-web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return *d.Spec.Replicas
	}

	run("install", "shop", chartDir, "--overlay", layout+"/overlays/prod")
	if got := cm()["region"]; got != "eu-west-1" || replicas() != 3 {
		t.Fatalf("install: region %q replicas %d", got, replicas())
	}

	// A copy outside the repository, changed in the base: --overlay-root
	// lets the overlay reach its base there.
	tmp := t.TempDir()
	copyDir(t, layout, tmp)
	settings := filepath.Join(tmp, "base", "settings.yaml")
	data, err := os.ReadFile(settings)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(settings, []byte(strings.Replace(string(data), "eu-west-1", "us-east-2", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	run("upgrade", "shop", chartDir, "--overlay", filepath.Join(tmp, "overlays", "prod"), "--overlay-root", tmp)
	if got := cm()["region"]; got != "us-east-2" {
		t.Fatalf("upgrade from the changed base: region %q", got)
	}
	// The copy is gone: a plain upgrade rebuilds from the recorded files.
	if err := os.RemoveAll(tmp); err != nil {
		t.Fatal(err)
	}
	r = run("upgrade", "shop", chartDir)
	if !strings.Contains(r.stderr, "Reused the overlay recorded in revision 2 (5 files") {
		t.Errorf("upgrade did not reuse the recorded layout:\n%s", r.stderr)
	}
	if got := cm()["region"]; got != "us-east-2" || replicas() != 3 {
		t.Fatalf("reused overlay: region %q replicas %d", got, replicas())
	}

	run("rollback", "shop", "1")
	if got := cm()["region"]; got != "eu-west-1" || replicas() != 3 {
		t.Fatalf("rollback to 1: region %q replicas %d", got, replicas())
	}
	out := t.TempDir()
	mustLade(t, "get", "overlay", "shop", "--revision", "1", "--output-dir", out, "--kubeconfig", env.KubeconfigPath, "-n", ns)
	for _, f := range []string{"base/kustomization.yaml", "base/settings.yaml", "components/monitoring/kustomization.yaml", "overlays/prod/kustomization.yaml", "overlays/prod/replicas.yaml"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("get overlay --output-dir: %v", err)
		}
	}
}

// TestKustomizationPackageName: a kustomization-only package is released
// as a chart named after its directory, made a valid chart name.
func TestKustomizationPackageName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "My_Shop.Pkg")
	copyDir(t, overlayData+"package", dir)
	r := mustLade(t, "template", "kp", dir)
	if !strings.Contains(r.stdout, "# Source: my-shop-pkg/deployment.yaml\n") {
		t.Errorf("package chart name:\n%s", r.stdout)
	}
}
