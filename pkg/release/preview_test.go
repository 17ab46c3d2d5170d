package release_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/pkg/diff"
	"github.com/lade-dev/lade/pkg/release"
)

// TestPreviews: the library predicts an upgrade, a rollback and drift
// without changing the cluster, and compares two stored revisions, each report naming its two sides and the
// objects that would change.
func TestPreviews(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, err := f.install("pv", map[string]any{"data": "one"}, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	changed := func(rep *diff.Report) string {
		var s []string
		for _, c := range rep.Changes {
			if c.Action != diff.Unchanged {
				s = append(s, fmt.Sprintf("%s %s/%s", c.Action, c.Kind, c.Name))
			}
		}
		slices.Sort(s)
		return strings.Join(s, ", ")
	}
	up := release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "pv", Chart: loadApp(t), Values: map[string]any{"data": "two", "extra": true}}}
	rep, err := f.cfg.PreviewUpgrade(ctx, up, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.From != "live" || rep.To != "upgrade of pv to revision 2" || !strings.Contains(changed(rep), "create ConfigMap/pv-extra") || !strings.Contains(changed(rep), "update ConfigMap/pv-cm") {
		t.Fatalf("upgrade preview %s -> %s: %s", rep.From, rep.To, changed(rep))
	}
	if got := f.cm("pv-cm")["value"]; got != "one" || f.cm("pv-extra") != nil {
		t.Fatalf("the preview changed the cluster: value %q, extra %v", got, f.cm("pv-extra"))
	}
	if _, err := f.upgrade("pv", map[string]any{"data": "two", "extra": true}, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err = f.cfg.DiffRevisions(ctx, "pv", 1, 2, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.From != "revision 1" || rep.To != "revision 2" || changed(rep) != "create ConfigMap/pv-extra, update ConfigMap/pv-cm" {
		t.Fatalf("revisions %s -> %s: %s", rep.From, rep.To, changed(rep))
	}
	rep, err = f.cfg.PreviewRollback(ctx, "pv", 0, false, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.To != "rollback of pv to revision 1" || !strings.Contains(changed(rep), "delete ConfigMap/pv-extra") || !strings.Contains(changed(rep), "update ConfigMap/pv-cm") {
		t.Fatalf("rollback preview -> %s: %s", rep.To, changed(rep))
	}
	rep, err = f.cfg.Drift(ctx, "pv", diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.To != "pv revision 2 (deployed)" || changed(rep) != "" {
		t.Fatalf("drift of an untouched release -> %s: %s", rep.To, changed(rep))
	}
	if err := f.cfg.Kube.Clientset.CoreV1().ConfigMaps(f.ns).Delete(ctx, "pv-extra", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if rep, err = f.cfg.Drift(ctx, "pv", diff.Options{}); err != nil || !strings.Contains(changed(rep), "ConfigMap/pv-extra") {
		t.Fatalf("drift after deleting pv-extra: %v %v", err, rep)
	}
}
