package release_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/overlay"
	"github.com/lade-dev/lade/pkg/release"
)

const overlays = "../../testdata/overlays/"

func loadOverlay(t *testing.T, name string) *release.Overlay {
	t.Helper()
	ov, err := overlay.Load(overlays + name)
	if err != nil {
		t.Fatal(err)
	}
	return release.NewOverlay(ov, false)
}

func loadShop(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := chart.Load(overlays + "chart/shop")
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// images returns the containers' images of a Deployment, sorted.
func (f *fixture) images(name string) []string {
	f.t.Helper()
	d, err := f.cfg.Kube.Clientset.AppsV1().Deployments(f.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, c := range d.Spec.Template.Spec.Containers {
		out = append(out, c.Image)
	}
	sort.Strings(out)
	return out
}

// TestOverlayLifecycle: install with an overlay, an upgrade that reuses it,
// one that replaces it, one that drops it, and a rollback to the revision
// built with the first overlay, against the test cluster.
func TestOverlayLifecycle(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	common := release.CommonOptions{Timeout: 60 * time.Second}
	inst := func(ov *release.Overlay) release.InstallOptions {
		return release.InstallOptions{CommonOptions: common, Name: "shop", Chart: loadShop(t), Overlay: ov}
	}
	const app, proxy, mirror = "registry.example.com/shop/web:1.0.0", "envoyproxy/envoy:v1.30.0", "mirror.internal/shop/web:1.0.1"
	withProxy := proxy + "," + app

	// 1: install with the sidecar overlay; the pre-install hook went through it too.
	r1, err := f.cfg.Install(ctx, inst(loadOverlay(t, "smp")))
	if err != nil {
		t.Fatalf("install: %v\n%s", err, f.out)
	}
	if got := strings.Join(f.images("shop-web"), ","); got != withProxy {
		t.Fatalf("revision 1 images %s", got)
	}
	stored, err := f.cfg.Storage().Get(ctx, "shop", 1)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Overlay == nil || string(stored.Overlay.Files["sidecar.yaml"]) == "" || stored.Manifest != r1.Manifest {
		t.Fatalf("revision 1 did not record the overlay: %+v", stored.Overlay)
	}
	if !strings.Contains(stored.Manifest, "# Source: shop/templates/deployment.yaml\n") {
		t.Fatalf("manifest lost its sources:\n%s", stored.Manifest)
	}

	// 2: upgrade without --overlay reuses it (and says so).
	r2, err := f.cfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: inst(nil)})
	if err != nil {
		t.Fatalf("upgrade: %v\n%s", err, f.out)
	}
	if r2.Overlay == nil || r2.Overlay.ReusedFrom != 1 {
		t.Fatalf("revision 2 did not reuse the overlay: %+v", r2.Overlay)
	}
	if got := strings.Join(f.images("shop-web"), ","); got != withProxy {
		t.Fatalf("revision 2 images %s", got)
	}

	// 3: --overlay replaces it: the sidecar goes, the image mirror comes.
	r3, err := f.cfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: inst(loadOverlay(t, "images"))})
	if err != nil {
		t.Fatalf("upgrade: %v\n%s", err, f.out)
	}
	if r3.Overlay == nil || r3.Overlay.ReusedFrom != 0 || r3.Overlay.Files["sidecar.yaml"] != nil {
		t.Fatalf("revision 3 overlay %+v", r3.Overlay)
	}
	if got := strings.Join(f.images("shop-web"), ","); got != mirror {
		t.Fatalf("revision 3 images %s", got)
	}

	// A plan (what lade diff shows) of an overlay change.
	p, err := f.cfg.PlanUpgrade(ctx, release.UpgradeOptions{InstallOptions: inst(loadOverlay(t, "smp"))})
	if err != nil {
		t.Fatal(err)
	}
	next, current := p.Next, p.Current
	if !strings.Contains(next.Manifest, proxy) || strings.Contains(current.Manifest, proxy) {
		t.Fatalf("plan does not show the overlay change")
	}

	// 4: --reset-overlay drops it.
	r4, err := f.cfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: inst(nil), ResetOverlay: true})
	if err != nil {
		t.Fatalf("upgrade: %v\n%s", err, f.out)
	}
	if r4.Overlay != nil || strings.Join(f.images("shop-web"), ",") != app {
		t.Fatalf("revision 4 kept the overlay: %+v %v", r4.Overlay, f.images("shop-web"))
	}

	// 5: rollback to 2 restores exactly its manifests and its overlay record.
	r5, err := f.cfg.Rollback(ctx, release.RollbackOptions{Name: "shop", Version: 2, CommonOptions: common})
	if err != nil {
		t.Fatalf("rollback: %v\n%s", err, f.out)
	}
	if r5.Manifest != r2.Manifest || r5.Overlay == nil || string(r5.Overlay.Files["sidecar.yaml"]) == "" {
		t.Fatalf("rollback did not restore revision 2")
	}
	if got := strings.Join(f.images("shop-web"), ","); got != withProxy {
		t.Fatalf("revision 5 images %s", got)
	}
	if got := f.statuses("shop"); got != "superseded,superseded,superseded,superseded,deployed" {
		t.Fatalf("statuses %s", got)
	}
	// An upgrade after the rollback reuses the overlay the rollback restored.
	r6, err := f.cfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: inst(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if r6.Overlay == nil || r6.Overlay.ReusedFrom != 5 || r6.Manifest != r2.Manifest {
		t.Fatalf("revision 6 %+v", r6.Overlay)
	}
}

// TestBrokenOverlayAppliesNothing: a broken overlay fails before anything is
// applied or recorded.
func TestBrokenOverlayAppliesNothing(t *testing.T) {
	f := setup(t)
	ov, err := overlay.Load(overlays + "broken/bad-target")
	if err != nil {
		t.Fatal(err)
	}
	rec := release.NewOverlay(ov, false)
	rec.Dir = "broken/bad-target"
	_, err = f.cfg.Install(context.Background(), release.InstallOptions{Name: "bad", Chart: loadShop(t), Overlay: rec})
	if err == nil || !strings.Contains(err.Error(), "overlay broken/bad-target: missing-deployment.yaml: ") {
		t.Fatalf("want the overlay file and reason, got %v", err)
	}
	if sums, _ := f.cfg.Storage().Summaries(context.Background(), "bad"); len(sums) != 0 {
		t.Fatalf("a revision was recorded: %+v", sums)
	}
	if _, err := f.cfg.Kube.Clientset.AppsV1().Deployments(f.ns).Get(context.Background(), "bad-web", metav1.GetOptions{}); err == nil {
		t.Fatal("the deployment was applied")
	}
}

// TestKustomizationPackage: a kustomization-only directory installed and
// upgraded as a release.
func TestKustomizationPackage(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ov, err := overlay.Load(overlays + "package")
	if err != nil {
		t.Fatal(err)
	}
	rec, ch := release.NewPackage(ov, "package", "")
	r, err := f.cfg.Install(ctx, release.InstallOptions{Name: "kpkg", Chart: ch, Overlay: rec})
	if err != nil {
		t.Fatalf("%v\n%s", err, f.out)
	}
	if got := f.images("kpkg-web"); len(got) != 1 || got[0] != "nginx:1.27" {
		t.Fatalf("images %v", got)
	}
	if !strings.Contains(r.Manifest, "# Source: package/deployment.yaml\n") || !strings.Contains(r.Manifest, "name: kpkg-settings-") {
		t.Fatalf("manifest:\n%s", r.Manifest)
	}
	if r.ChartRef() != "package-0.0.0" {
		t.Fatalf("chart ref %s", r.ChartRef())
	}
	// The package is upgraded from its files (a changed copy here).
	files := map[string][]byte{}
	for p, d := range ov.Files {
		files[p] = d
	}
	files["deployment.yaml"] = []byte(strings.Replace(string(files["deployment.yaml"]), "nginx:1.27", "nginx:1.28", 1))
	rec2, ch2 := release.NewPackage(&overlay.Overlay{Files: files}, "package", "")
	if _, err := f.cfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "kpkg", Chart: ch2, Overlay: rec2}}); err != nil {
		t.Fatalf("%v\n%s", err, f.out)
	}
	if got := f.images("kpkg-web"); got[0] != "nginx:1.28" {
		t.Fatalf("images after upgrade %v", got)
	}
	back, err := f.cfg.Storage().Get(ctx, "kpkg", 1)
	if err != nil {
		t.Fatal(err)
	}
	if back.Overlay == nil || !back.Overlay.Package || string(back.Overlay.Files["deployment.yaml"]) != string(ov.Files["deployment.yaml"]) {
		t.Fatalf("revision 1 package record %+v", back.Overlay)
	}
}

func TestPackageName(t *testing.T) {
	for dir, want := range map[string]string{
		"package":               "package",
		"My_Shop.Pkg":           "my-shop-pkg",
		"--prod--":              "prod",
		"überapp":               "berapp",
		".":                     "kustomization",
		strings.Repeat("a", 70): strings.Repeat("a", 63),
	} {
		if got := release.PackageName(dir); got != want {
			t.Errorf("PackageName(%q) = %q, want %q", dir, got, want)
		}
	}
}
