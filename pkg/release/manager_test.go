package release_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/pkg/release"
)

// appliers are the managers with a server-side apply entry on a ConfigMap.
func (f *fixture) appliers(name string) []string {
	f.t.Helper()
	cm, err := f.cfg.Kube.Clientset.CoreV1().ConfigMaps(f.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, mf := range cm.ManagedFields {
		if mf.Operation == metav1.ManagedFieldsOperationApply {
			out = append(out, mf.Manager)
		}
	}
	slices.Sort(out)
	return out
}

// TestFieldManagerRecordedAndTakenOver: --field-manager is recorded and
// kept by later upgrades and rollbacks; a change of manager takes the old
// manager's fields over, so a field the new revision no longer sets is
// removed from the live object instead of staying owned by the old one.
func TestFieldManagerRecordedAndTakenOver(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	inst := func(ov *release.Overlay, manager string) release.InstallOptions {
		return release.InstallOptions{CommonOptions: release.CommonOptions{FieldManager: manager}, Name: "fm", Chart: loadApp(t), Overlay: ov}
	}
	// 1: applied as "lade" (as every release lade applied before it recorded managers), with labels from an overlay.
	r1, err := f.cfg.Install(ctx, inst(loadOverlay(t, "labels"), "lade"))
	if err != nil {
		t.Fatal(err)
	}
	if r1.FieldManager != "lade" || !slices.Equal(f.appliers("fm-cm"), []string{"lade"}) {
		t.Fatalf("install --field-manager lade: recorded %q, appliers %v", r1.FieldManager, f.appliers("fm-cm"))
	}
	// 2: an upgrade without the flag keeps the recorded manager.
	r2, err := f.cfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: inst(nil, "")})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := f.cfg.Storage().Get(ctx, "fm", 2)
	if err != nil {
		t.Fatal(err)
	}
	if r2.FieldManager != "lade" || stored.FieldManager != "lade" || !slices.Equal(f.appliers("fm-cm"), []string{"lade"}) {
		t.Fatalf("upgrade without --field-manager: %q (stored %q), appliers %v", r2.FieldManager, stored.FieldManager, f.appliers("fm-cm"))
	}
	if strings.Contains(f.out.String(), "took over") {
		t.Fatalf("an upgrade as the recorded manager said it took fields over:\n%s", f.out)
	}
	// 3: an upgrade to the default manager that drops the overlay: the
	// overlay's labels, owned by "lade" alone before, are gone.
	r3, err := f.cfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: inst(nil, release.DefaultFieldManager), ResetOverlay: true})
	if err != nil {
		t.Fatal(err)
	}
	cm, err := f.cfg.Kube.Clientset.CoreV1().ConfigMaps(f.ns).Get(ctx, "fm-cm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cm.Labels["team"]; ok || cm.Annotations["owner"] != "" {
		t.Fatalf("labels the new revision no longer sets stayed: %v %v", cm.Labels, cm.Annotations)
	}
	if r3.FieldManager != "helm" || !slices.Equal(f.appliers("fm-cm"), []string{"helm"}) {
		t.Fatalf("after the change of manager: %q, appliers %v", r3.FieldManager, f.appliers("fm-cm"))
	}
	if !strings.Contains(f.out.String(), `Field manager "helm" took over the fields of 1 object(s) from "lade"`) {
		t.Fatalf("the change of manager was not reported:\n%s", f.out)
	}
	// 4: a rollback to revision 1 keeps the newest manager and brings the labels back.
	r4, err := f.cfg.Rollback(ctx, release.RollbackOptions{Name: "fm", Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	cm, err = f.cfg.Kube.Clientset.CoreV1().ConfigMaps(f.ns).Get(ctx, "fm-cm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r4.FieldManager != "helm" || cm.Labels["team"] != "payments" || !slices.Equal(f.appliers("fm-cm"), []string{"helm"}) {
		t.Fatalf("rollback: %q, labels %v, appliers %v", r4.FieldManager, cm.Labels, f.appliers("fm-cm"))
	}
	// A field manager the API server would refuse is refused before anything is written.
	if _, err := f.cfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: inst(nil, "bad\nname")}); err == nil {
		t.Fatal("a field manager with a line break was accepted")
	}
	if got := f.statuses("fm"); got != "superseded,superseded,superseded,deployed" {
		t.Fatalf("statuses %s", got)
	}
}
