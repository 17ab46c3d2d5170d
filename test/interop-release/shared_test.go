package interop

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	helmkube "helm.sh/helm/v4/pkg/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/internal/yamljson"
	"github.com/lade-dev/lade/pkg/overlay"
	"github.com/lade-dev/lade/pkg/release"
)

// writeOverlay writes a kustomize overlay for the test chart's release
// name: 3 replicas for NAME-web and a label on NAME-cm.
func writeOverlay(t *testing.T, name string) *release.Overlay {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nreplicas:\n- name: " + name + "-web\n  count: 3\npatches:\n- path: label.yaml\n",
		"label.yaml":         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "-cm\n  labels:\n    overlaid: \"yes\"\n",
	}
	for p, data := range files {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ov, err := overlay.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return release.NewOverlay(ov, false)
}

// liveState is what the release's objects show of the overlay: the
// Deployment's replicas and the ConfigMap's overlay label.
func liveState(t *testing.T, lcfg *release.Config, name string) (int32, string) {
	t.Helper()
	ctx := context.Background()
	d, err := lcfg.Kube.Clientset.AppsV1().Deployments(lcfg.Namespace).Get(ctx, name+"-web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm, err := lcfg.Kube.Clientset.CoreV1().ConfigMaps(lcfg.Namespace).Get(ctx, name+"-cm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return *d.Spec.Replicas, cm.Labels["overlaid"]
}

func statuses(t *testing.T, lcfg *release.Config, name string) string {
	t.Helper()
	sums, err := lcfg.Storage().Summaries(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, sm := range sums {
		s = append(s, string(sm.Status))
	}
	return strings.Join(s, ",")
}

// TestHelmAndLadeShareARelease: with default flags on both sides, Helm's
// upgrade and rollback of a release lade last applied (with an overlay)
// succeed; Helm's rewrite of lade's revisions keeps the overlay, so `lade
// get overlay --revision 1` still prints it and the next lade upgrade
// reuses it (from the last revision lade wrote, when Helm wrote the newest).
func TestHelmAndLadeShareARelease(t *testing.T) {
	_, lcfg, ns := setup(t)
	env := testenv.Shared(t)
	ctx := context.Background()
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	helm := func(args ...string) string { return helmCLI(t, append(args, kc...)...) }
	vals := map[string]any{"deploy": true, "data": "one"}
	ov := writeOverlay(t, "mix")

	// 1: lade installs with the overlay.
	if _, err := lcfg.Install(ctx, release.InstallOptions{Name: "mix", Chart: ladeChart(t), Values: vals, Overlay: ov}); err != nil {
		t.Fatal(err)
	}
	if r, l := liveState(t, lcfg, "mix"); r != 3 || l != "yes" {
		t.Fatalf("after lade install: replicas %d, label %q", r, l)
	}
	// 2: helm upgrade --reuse-values, default flags, on what lade applied.
	// Helm renders without the overlay, and as the same field manager it
	// removes what only the overlay set.
	helm("upgrade", "mix", chartDir, "--reuse-values", "--set", "data=two")
	if r, l := liveState(t, lcfg, "mix"); r != 1 || l != "" {
		t.Fatalf("after helm upgrade: replicas %d, label %q", r, l)
	}
	if got := statuses(t, lcfg, "mix"); got != "superseded,deployed" {
		t.Fatalf("after helm upgrade: %s", got)
	}
	// Helm rewrote revision 1 (superseded): lade still finds its overlay.
	lade := ladeBinary(t)
	out, err := exec.Command(lade, append([]string{"get", "overlay", "mix", "--revision", "1"}, kc...)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "# File: label.yaml\n") || !strings.Contains(string(out), "count: 3") {
		t.Fatalf("lade get overlay --revision 1 after Helm rewrote it: %v\n%s", err, out)
	}
	out, err = exec.Command(lade, append([]string{"get", "overlay", "mix", "--revision", "2"}, kc...)...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "written by helm") {
		t.Fatalf("lade get overlay of the revision Helm wrote: %v\n%s", err, out)
	}
	// 3: lade upgrade reuses the overlay of revision 1 (revision 2 is Helm's).
	r3, err := lcfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "mix", Chart: ladeChart(t)}, ReuseValues: true})
	if err != nil {
		t.Fatal(err)
	}
	if r3.Overlay == nil || r3.Overlay.ReusedFrom != 1 {
		t.Fatalf("lade upgrade after helm upgrade did not reuse the overlay: %+v", r3.Overlay)
	}
	if r, l := liveState(t, lcfg, "mix"); r != 3 || l != "yes" {
		t.Fatalf("after lade upgrade: replicas %d, label %q", r, l)
	}
	// 4: helm rollback, default flags, on what lade last applied: to Helm's revision 2.
	helm("rollback", "mix", "2")
	if r, l := liveState(t, lcfg, "mix"); r != 1 || l != "" {
		t.Fatalf("after helm rollback to 2: replicas %d, label %q", r, l)
	}
	// 5: and to lade's revision 3, with the overlay in its manifest.
	helm("rollback", "mix", "3")
	if r, l := liveState(t, lcfg, "mix"); r != 3 || l != "yes" {
		t.Fatalf("after helm rollback to 3: replicas %d, label %q", r, l)
	}
	if got := statuses(t, lcfg, "mix"); got != "superseded,superseded,superseded,superseded,deployed" {
		t.Fatalf("after helm rollbacks: %s", got)
	}
	// 6: lade upgrades the revision Helm's rollback wrote: the overlay it copied is reused.
	r6, err := lcfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "mix", Chart: ladeChart(t)}, ReuseValues: true})
	if err != nil {
		t.Fatal(err)
	}
	if r6.Overlay == nil || r6.Overlay.ReusedFrom != 5 {
		t.Fatalf("lade upgrade after helm rollback: %+v", r6.Overlay)
	}
	for _, rev := range []string{"1", "3", "5", "6"} {
		if out, err := exec.Command(lade, append([]string{"get", "overlay", "mix", "--revision", rev}, kc...)...).CombinedOutput(); err != nil || !strings.Contains(string(out), "count: 3") {
			t.Fatalf("lade get overlay --revision %s: %v\n%s", rev, err, out)
		}
	}
	// 7: and Helm once more, on what lade last applied.
	helm("upgrade", "mix", chartDir, "--reuse-values")
	if got := statuses(t, lcfg, "mix"); !strings.HasSuffix(got, ",superseded,deployed") {
		t.Fatalf("after the last helm upgrade: %s", got)
	}
}

// objectIDs are "apiVersion kind namespace/name" of each object of a manifest.
func objectIDs(t *testing.T, manifest string) []string {
	t.Helper()
	var out []string
	for _, doc := range yamljson.SplitDocuments(manifest) {
		var obj struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		if obj.Kind != "" {
			out = append(out, obj.APIVersion+" "+obj.Kind+" "+obj.Metadata.Namespace+"/"+obj.Metadata.Name)
		}
	}
	slices.Sort(out)
	return out
}

// TestHelmOnSplitLadeRelease: a lade release whose record is over 1 MiB
// (split into continuation Secrets): `helm get manifest` names every
// object, `helm rollback` to a revision whose manifest did not fit fails
// without changing any object, lade carries on, and `helm uninstall`
// deletes every object (except those annotated helm.sh/resource-policy:
// keep, as for any release) and, through the garbage collector, the
// continuation Secrets. `helm upgrade` from such a revision deletes what
// its chart drops.
func TestHelmOnSplitLadeRelease(t *testing.T) {
	hcfg, lcfg, ns := setup(t)
	env := testenv.Shared(t)
	ctx := context.Background()
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	random := make([]byte, 520*1024)
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	big := base64.StdEncoding.EncodeToString(random) // incompressible: the record cannot fit
	vals := map[string]any{"data": "one", "extra": true, "keep": true, "big": big}
	r1, err := lcfg.Install(ctx, release.InstallOptions{Name: "huge", Chart: ladeChart(t), Values: vals})
	if err != nil {
		t.Fatal(err)
	}
	secrets := lcfg.Kube.Clientset.CoreV1().Secrets(ns)
	if _, err := secrets.Get(ctx, "sh.helm.release.v1.huge.v1.part-0", metav1.GetOptions{}); err != nil {
		t.Fatalf("the record was not split: %v", err)
	}
	// helm get manifest names every object of the full manifest.
	want := objectIDs(t, r1.Manifest)
	if len(want) != 4 {
		t.Fatalf("test chart objects: %v", want)
	}
	hm := helmCLI(t, append([]string{"get", "manifest", "huge"}, kc...)...)
	if got := objectIDs(t, hm); !slices.Equal(got, want) {
		t.Fatalf("helm get manifest names %v, want %v:\n%s", got, want, hm)
	}
	vals["data"] = "two"
	if _, err := lcfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "huge", Chart: ladeChart(t), Values: vals}}); err != nil {
		t.Fatal(err)
	}
	// helm rollback to revision 1 (default flags) refuses: no object changes.
	rb := action.NewRollback(hcfg)
	rb.Version = 1
	rb.WaitStrategy = helmkube.HookOnlyStrategy
	rb.Timeout = 30 * time.Second
	if err := rb.Run("huge"); err == nil {
		t.Fatal("helm rollback applied a stand-in manifest")
	}
	cm, err := lcfg.Kube.Clientset.CoreV1().ConfigMaps(ns).Get(ctx, "huge-cm", metav1.GetOptions{})
	if err != nil || cm.Data["value"] != "two" {
		t.Fatalf("huge-cm after the refused rollback: %v %v", err, cm.Data)
	}
	bigCM, err := lcfg.Kube.Clientset.CoreV1().ConfigMaps(ns).Get(ctx, "huge-big", metav1.GetOptions{})
	if err != nil || bigCM.Data["big"] != big {
		t.Fatalf("huge-big after the refused rollback: %v (%d bytes)", err, len(bigCM.Data["big"]))
	}
	// lade reads the revision Helm's rollback wrote and carries on.
	vals["data"] = "three"
	if _, err := lcfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "huge", Chart: ladeChart(t), Values: vals}}); err != nil {
		t.Fatalf("lade upgrade after the refused helm rollback: %v", err)
	}
	if got := statuses(t, lcfg, "huge"); got != "superseded,superseded,failed,deployed" {
		t.Fatalf("statuses %s", got)
	}
	// Revision 3 is Helm's copy of revision 1's reduced record. Once
	// revision 1 is gone with its parts, lade reads the copy as it is, and
	// refuses to roll back to its stand-in manifest.
	if err := lcfg.Storage().Delete(ctx, "huge", 1); err != nil {
		t.Fatal(err)
	}
	r3, err := lcfg.Storage().Get(ctx, "huge", 3)
	if err != nil || !release.IsStubManifest(r3.Manifest) {
		t.Fatalf("revision 3 without revision 1's parts: %v", err)
	}
	if _, err := lcfg.Rollback(ctx, release.RollbackOptions{Name: "huge", Version: 3}); !errors.Is(err, release.ErrStubManifest) {
		t.Fatalf("lade rollback to a stand-in manifest: %v", err)
	}
	// helm upgrade from a revision whose record holds a stand-in deletes
	// what its chart no longer renders (Helm's own record must fit: no big).
	helmCLI(t, append([]string{"upgrade", "huge", chartDir, "--reuse-values", "--set", "big=", "--set", "extra=false"}, kc...)...)
	for _, name := range []string{"huge-big", "huge-extra"} {
		if _, err := lcfg.Kube.Clientset.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("%s after helm upgrade dropped it: %v", name, err)
		}
	}
	// lade upgrades what Helm wrote, to a split record again.
	vals["data"] = "four"
	if _, err := lcfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "huge", Chart: ladeChart(t), Values: vals}}); err != nil {
		t.Fatalf("lade upgrade after helm upgrade: %v", err)
	}
	if _, err := secrets.Get(ctx, "sh.helm.release.v1.huge.v6.part-0", metav1.GetOptions{}); err != nil {
		t.Fatalf("revision 6 was not split: %v", err)
	}

	helmCLI(t, append([]string{"uninstall", "huge"}, kc...)...)
	for _, id := range want {
		name := id[strings.LastIndex(id, "/")+1:]
		_, err := lcfg.Kube.Clientset.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		switch {
		case name == "huge-kept" && err != nil:
			t.Errorf("%s (resource policy keep) was deleted: %v", name, err)
		case name != "huge-kept" && !apierrors.IsNotFound(err):
			t.Errorf("%s is left behind after helm uninstall: %v", name, err)
		}
	}
	// The record Secrets are gone, their parts follow (garbage collector).
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		list, err := secrets.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, s := range list.Items {
			if strings.HasPrefix(s.Name, "sh.helm.release.v1.huge.") {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("release Secrets left after helm uninstall: %v", err)
	}
	if _, err := action.NewHistory(hcfg).Run("huge"); err == nil {
		t.Fatal("helm history still finds the release")
	}
}
