package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
