// Package interop proves with Helm's own code (helm.sh/helm/v4) that Helm
// reads and changes releases lade wrote, and lade those Helm wrote.
package interop

import (
	"context"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	loader "helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/kube"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
	ladekube "github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

// TestMain starts the test cluster with the controllers (the garbage
// collector removes continuation Secrets after their record), and makes
// Helm's code apply as the helm command does: its main sets the field
// manager to "helm" (the SDK alone would use the test binary's name).
func TestMain(m *testing.M) {
	kube.ManagedFieldsManager = "helm"
	testenv.Main(m, testenv.WithControllers())
}

const chartDir = "../../testdata/charts/release/app"

func setup(t *testing.T) (*action.Configuration, *release.Config, string) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	flags := genericclioptions.NewConfigFlags(false)
	kcp := env.KubeconfigPath
	flags.KubeConfig = &kcp
	flags.Namespace = &ns
	hcfg := action.NewConfiguration()
	if err := hcfg.Init(flags, ns, "secret"); err != nil {
		t.Fatal(err)
	}
	kc, err := ladekube.New(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	return hcfg, &release.Config{Kube: kc, Namespace: ns}, ns
}

func ladeChart(t *testing.T) *chart.Chart {
	ch, err := chart.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// helmInstall installs the test chart as release name with Helm's own code.
func helmInstall(t *testing.T, hcfg *action.Configuration, ns, name string, vals map[string]any) {
	t.Helper()
	hch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	in := action.NewInstall(hcfg)
	in.ReleaseName, in.Namespace = name, ns
	in.WaitStrategy = kube.HookOnlyStrategy
	in.Timeout = 30 * time.Second
	if _, err := in.Run(hch, vals); err != nil {
		t.Fatal(err)
	}
}

func TestHelmReadsLadeRelease(t *testing.T) {
	hcfg, lcfg, _ := setup(t)
	ctx := context.Background()
	if _, err := lcfg.Install(ctx, release.InstallOptions{Name: "fromlade", Chart: ladeChart(t), Values: map[string]any{"data": "a"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := lcfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "fromlade", Chart: ladeChart(t), Values: map[string]any{"data": "b"}}}); err != nil {
		t.Fatal(err)
	}
	hist, err := action.NewHistory(hcfg).Run("fromlade")
	if err != nil || len(hist) != 2 {
		t.Fatalf("helm history: %v (%d)", err, len(hist))
	}
	got, err := action.NewGet(hcfg).Run("fromlade")
	if err != nil {
		t.Fatal(err)
	}
	r := got.(*rspb.Release)
	if r.Version != 2 || r.Info.Status.String() != "deployed" || r.Config["data"] != "b" || r.Chart.Metadata.Name != "app" {
		t.Fatalf("helm get: v%d %s %v", r.Version, r.Info.Status, r.Config)
	}
	rb := action.NewRollback(hcfg)
	rb.Version = 1
	// Helm's server-side apply does not force by default: fields lade applied
	// are owned by field manager "lade", so Helm needs --force-conflicts.
	rb.ForceConflicts = true
	rb.WaitStrategy = kube.HookOnlyStrategy
	rb.Timeout = 30 * time.Second
	if err := rb.Run("fromlade"); err != nil {
		t.Fatalf("helm rollback of a lade release: %v", err)
	}
	// lade reads what Helm wrote and upgrades again.
	last, err := lcfg.Storage().Last(ctx, "fromlade")
	if err != nil || last.Version != 3 || last.Config["data"] != "a" || last.Info.Status != release.StatusDeployed {
		t.Fatalf("lade after helm rollback: %v %+v", err, last)
	}
	if _, err := lcfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "fromlade", Chart: ladeChart(t), Values: map[string]any{"data": "c"}}}); err != nil {
		t.Fatal(err)
	}
}

func TestLadeUpgradesHelmRelease(t *testing.T) {
	hcfg, lcfg, ns := setup(t)
	ctx := context.Background()
	helmInstall(t, hcfg, ns, "fromhelm", map[string]any{"data": "h1", "extra": true})
	r, err := lcfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "fromhelm", Chart: ladeChart(t), Values: map[string]any{"data": "l2"}}})
	if err != nil {
		t.Fatalf("lade upgrade of a helm release: %v", err)
	}
	if r.Version != 2 {
		t.Fatalf("v%d", r.Version)
	}
	cm, err := lcfg.Kube.Clientset.CoreV1().ConfigMaps(ns).Get(ctx, "fromhelm-cm", metav1GetOptions())
	if err != nil || cm.Data["value"] != "l2" {
		t.Fatalf("configmap after lade upgrade: %v %v", err, cm)
	}
	if _, err := lcfg.Kube.Clientset.CoreV1().ConfigMaps(ns).Get(ctx, "fromhelm-extra", metav1GetOptions()); err == nil {
		t.Fatal("lade upgrade did not prune fromhelm-extra")
	}
	if _, err := lcfg.Rollback(ctx, release.RollbackOptions{Name: "fromhelm"}); err != nil {
		t.Fatalf("lade rollback to a helm revision: %v", err)
	}
	hist, err := action.NewHistory(hcfg).Run("fromhelm")
	if err != nil || len(hist) != 3 {
		t.Fatalf("helm history after lade: %v (%d)", err, len(hist))
	}
	last := hist[2].(*rspb.Release)
	if last.Info.Status.String() != "deployed" || last.Config["data"] != "h1" {
		t.Fatalf("helm sees %s %v", last.Info.Status, last.Config)
	}
}
