package release_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/diff"
	"github.com/lade-dev/lade/pkg/release"
)

// leaseGone fails the test when the release's Lease is still there: a
// refused Deploy takes the lease and must release it.
func (f *fixture) leaseGone(name string) {
	f.t.Helper()
	_, err := f.cfg.Kube.Clientset.CoordinationV1().Leases(f.ns).Get(context.Background(), release.LeaseName(name), metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		f.t.Fatalf("lease of %q after Deploy: %v, want it deleted", name, err)
	}
}

// TestDeployRefusesStalePlan: a plan made earlier is deployed as planned
// while the release's newest revision is the one it was planned over, and
// refused with ErrPlanStale (nothing written, nothing applied, the lease
// released) once another operation moved it.
func TestDeployRefusesStalePlan(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	uo := func(data string) release.UpgradeOptions {
		return release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "st", Chart: loadApp(t), Values: map[string]any{"data": data}}}
	}
	if _, err := f.install("st", map[string]any{"data": "one"}, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	two, err := f.cfg.PlanUpgrade(ctx, uo("two"))
	if err != nil {
		t.Fatal(err)
	}
	three, err := f.cfg.PlanUpgrade(ctx, uo("three"))
	if err != nil {
		t.Fatal(err)
	}
	if two.Operation != release.OpUpgrade || two.Next.Version != 2 || two.Current.Version != 1 || two.Next.Info.Status != release.StatusPendingUpgrade {
		t.Fatalf("plan: %s of revision %d to %d (%s)", two.Operation, two.Current.Version, two.Next.Version, two.Next.Info.Status)
	}
	// Planning changed nothing.
	if got := f.statuses("st"); got != "deployed" {
		t.Fatalf("statuses after planning: %s", got)
	}
	rel, err := f.cfg.Deploy(ctx, two)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Version != 2 || rel.Info.Status != release.StatusDeployed || f.cm("st-cm")["value"] != "two" {
		t.Fatalf("deployed revision %d (%s), ConfigMap %v", rel.Version, rel.Info.Status, f.cm("st-cm"))
	}
	f.leaseGone("st")

	// three was planned over revision 1: revision 2 moved the release.
	_, err = f.cfg.Deploy(ctx, three)
	if !errors.Is(err, release.ErrPlanStale) || !strings.Contains(err.Error(), "revision 1 (deployed) and is now at revision 2 (deployed)") {
		t.Fatalf("deploy of a stale plan: %v, want ErrPlanStale naming revisions 1 and 2", err)
	}
	if got := f.statuses("st"); got != "superseded,deployed" || f.cm("st-cm")["value"] != "two" {
		t.Fatalf("a stale plan changed the release: %s, ConfigMap %v", got, f.cm("st-cm"))
	}
	f.leaseGone("st")

	// A plan made now is deployed.
	three, err = f.cfg.PlanUpgrade(ctx, uo("three"))
	if err != nil {
		t.Fatal(err)
	}
	if rel, err = f.cfg.Deploy(ctx, three); err != nil || rel.Version != 3 || f.cm("st-cm")["value"] != "three" {
		t.Fatalf("deploy: %v, ConfigMap %v", err, f.cm("st-cm"))
	}

	// The same revision in another state is a change too: a rollback
	// planned before an uninstall that kept the history.
	back, err := f.cfg.PlanRollback(ctx, release.RollbackOptions{Name: "st", Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.cfg.Uninstall(ctx, release.UninstallOptions{Name: "st", KeepHistory: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cfg.Deploy(ctx, back); !errors.Is(err, release.ErrPlanStale) {
		t.Fatalf("rollback over an uninstalled release: %v, want ErrPlanStale", err)
	}
	if got := f.statuses("st"); got != "superseded,superseded,uninstalled" || f.cm("st-cm") != nil {
		t.Fatalf("a stale rollback changed the release: %s, ConfigMap %v", got, f.cm("st-cm"))
	}

	// An install planned before another install of the name.
	first, err := f.cfg.PlanInstall(ctx, release.InstallOptions{Name: "st2", Chart: loadApp(t), Values: map[string]any{"data": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.install("st2", map[string]any{"data": "b"}, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cfg.Deploy(ctx, first); !errors.Is(err, release.ErrPlanStale) || f.cm("st2-cm")["value"] != "b" {
		t.Fatalf("install over an installed release: %v, ConfigMap %v", err, f.cm("st2-cm"))
	}
	f.leaseGone("st2")
}

// TestSameAsCurrent: a re-plan of what is deployed is the same; a change of
// values, of the chart's version or of the overlay is not.
func TestSameAsCurrent(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ch := skipChart(t)
	opts := func(vals map[string]any) release.UpgradeOptions {
		return release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "sk", Chart: ch, Values: vals}}
	}
	same := func(what string, o release.UpgradeOptions, want bool) {
		t.Helper()
		p, err := f.cfg.PlanUpgrade(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.SameAsCurrent(); got != want {
			t.Errorf("%s: SameAsCurrent %t, want %t", what, got, want)
		}
	}
	if _, err := f.cfg.Install(ctx, opts(map[string]any{"v": 1}).InstallOptions); err != nil {
		t.Fatal(err)
	}
	same("identical re-plan", opts(map[string]any{"v": 1}), true)
	same("values reused (none given)", opts(nil), true)
	same("values changed", opts(map[string]any{"v": 2}), false)
	same("value added the templates ignore", opts(map[string]any{"v": 1, "unused": true}), false)
	bumped := skipChart(t)
	bumped.Metadata.Version = "0.2.0"
	same("chart version changed", release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "sk", Chart: bumped, Values: map[string]any{"v": 1}}}, false)

	// A plan over a revision that is not deployed is never the same.
	if _, err := f.cfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "sk", Chart: ch, Values: map[string]any{"v": 1},
		CommonOptions: release.CommonOptions{Wait: true, Timeout: time.Nanosecond}}}); err == nil {
		t.Fatal("an upgrade with a 1ns timeout succeeded")
	}
	p, err := f.cfg.PlanUpgrade(ctx, opts(map[string]any{"v": 1}))
	if err != nil {
		t.Fatal(err)
	}
	if p.Current.Info.Status != release.StatusDeployed || p.Current.Version != 1 || !p.SameAsCurrent() {
		t.Fatalf("plan after a failed revision replaces revision %d (%s), SameAsCurrent %t; want the deployed revision 1, the same", p.Current.Version, p.Current.Info.Status, p.SameAsCurrent())
	}

	// Overlays: reused is the same, another or none is not.
	shop := func(ov *release.Overlay) release.InstallOptions {
		return release.InstallOptions{Name: "shop", Chart: loadShop(t), Overlay: ov, CommonOptions: release.CommonOptions{NoHooks: true}}
	}
	if _, err := f.cfg.Install(ctx, shop(loadOverlay(t, "images"))); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		o    release.UpgradeOptions
		want bool
	}{
		{"overlay reused", release.UpgradeOptions{InstallOptions: shop(nil)}, true},
		{"same overlay given", release.UpgradeOptions{InstallOptions: shop(loadOverlay(t, "images"))}, true},
		{"another overlay", release.UpgradeOptions{InstallOptions: shop(loadOverlay(t, "smp"))}, false},
		{"overlay reset", release.UpgradeOptions{InstallOptions: shop(nil), ResetOverlay: true}, false},
	} {
		p, err := f.cfg.PlanUpgrade(ctx, c.o)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.SameAsCurrent(); got != c.want {
			t.Errorf("%s: SameAsCurrent %t, want %t", c.what, got, c.want)
		}
	}
}

// TestPreviewIsWhatDeployApplies: the diff of a plan (what `lade diff
// upgrade` and `lade upgrade --diff` print) names exactly the objects the
// deploy of that plan creates, updates and deletes, and predicts their
// new content.
func TestPreviewIsWhatDeployApplies(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := f.install("ag", map[string]any{"data": "one", "extra": true}, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	p, err := f.cfg.PlanUpgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{
		Name: "ag", Chart: loadApp(t), Values: map[string]any{"data": "two", "deploy": true}}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := f.cfg.Preview(ctx, p, diff.Options{ShowSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	var predicted []string
	for _, c := range rep.Changes {
		predicted = append(predicted, string(c.Action)+" "+c.Kind+"/"+c.Name)
	}
	sort.Strings(predicted)
	if got, want := strings.Join(predicted, ", "), "create Deployment/ag-web, delete ConfigMap/ag-extra, update ConfigMap/ag-cm"; got != want {
		t.Fatalf("preview: %s, want %s", got, want)
	}

	before := map[string]string{}
	for _, c := range rep.Changes {
		if c.Live != nil {
			before[c.Kind+"/"+c.Name] = c.Live.GetResourceVersion()
		}
	}
	rel, err := f.cfg.Deploy(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Version != p.Next.Version || rel.Manifest != p.Next.Manifest {
		t.Fatalf("deployed revision %d is not the plan's %d", rel.Version, p.Next.Version)
	}
	objs, err := f.cfg.Kube.Build(rel.Manifest, f.ns)
	if err != nil {
		t.Fatal(err)
	}
	var applied []string
	for _, r := range objs {
		applied = append(applied, r.Kind()+"/"+r.Name())
	}
	for _, c := range rep.Changes {
		live := f.live(ctx, c)
		key := c.Kind + "/" + c.Name
		switch c.Action {
		case diff.Delete:
			if live != nil && live.GetDeletionTimestamp() == nil {
				t.Errorf("%s: predicted deleted, still there", key)
			}
			continue
		case diff.Create:
			if live == nil || before[key] != "" {
				t.Errorf("%s: predicted created, live %v", key, live != nil)
				continue
			}
		case diff.Update:
			if live == nil || live.GetResourceVersion() == before[key] {
				t.Errorf("%s: predicted updated, not changed", key)
				continue
			}
		}
		for _, field := range []string{"data", "spec"} {
			if want, got := c.Predicted.Object[field], live.Object[field]; !reflect.DeepEqual(want, got) {
				t.Errorf("%s: %s predicted %v, applied %v", key, field, want, got)
			}
		}
		if !strings.Contains(strings.Join(applied, ","), key) {
			t.Errorf("%s: predicted %s, not in the deployed revision", key, c.Action)
		}
	}
}

// live reads the object of a change from the cluster (nil when absent).
func (f *fixture) live(ctx context.Context, c *diff.Change) *unstructured.Unstructured {
	f.t.Helper()
	objs, err := f.cfg.Kube.Build(fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata: {name: %s, namespace: %s}\n", c.APIVersion, c.Kind, c.Name, c.Namespace), f.ns)
	if err != nil || len(objs) != 1 {
		f.t.Fatalf("%s: %v", c.Title(), err)
	}
	live, err := f.cfg.Kube.Get(ctx, objs[0])
	if err != nil {
		f.t.Fatal(err)
	}
	return live
}

// TestUpgradeInstallClientDryRunWritesNothing: `upgrade --install
// --dry-run=client` of a release that does not exist is an install plan
// shown, as in Helm: no revision, no object, no lease (it used to fall
// through to a real install).
func TestUpgradeInstallClientDryRunWritesNothing(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rel, err := f.cfg.Upgrade(ctx, release.UpgradeOptions{Install: true, InstallOptions: release.InstallOptions{
		Name: "dry", Chart: loadApp(t), Values: map[string]any{"data": "x"}, CommonOptions: release.CommonOptions{DryRun: release.DryRunClient},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rel.Info.Description != "Dry run complete" || !strings.Contains(rel.Manifest, "name: dry-cm") {
		t.Fatalf("dry run returned %q:\n%s", rel.Info.Description, rel.Manifest)
	}
	if got := f.statuses("dry"); got != "" || f.cm("dry-cm") != nil {
		t.Fatalf("a client dry run wrote: revisions %q, ConfigMap %v", got, f.cm("dry-cm"))
	}
	f.leaseGone("dry")
}

// TestInstallRendersWithItsCRDs: an install creates its chart's crds/
// before it renders, as Helm does, so its templates see them in
// .Capabilities.APIVersions and may create their custom resources; the
// plan, made before anything is created, renders the same.
func TestInstallRendersWithItsCRDs(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	crd := `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.plancaps.lade.dev
spec:
  group: plancaps.lade.dev
  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
  - name: v0
    served: false
    storage: false
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`
	ch := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: "v2", Name: "gadget", Version: "0.1.0"},
		Files:    []*chart.File{{Name: "crds/gadget.yaml", Data: []byte(crd)}},
		Templates: []*chart.File{{Name: "templates/all.yaml", Data: []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: caps
data:
  group: {{ .Capabilities.APIVersions.Has "plancaps.lade.dev/v1" | quote }}
  kind: {{ .Capabilities.APIVersions.Has "plancaps.lade.dev/v1/Gadget" | quote }}
  unserved: {{ .Capabilities.APIVersions.Has "plancaps.lade.dev/v0" | quote }}
{{- if .Capabilities.APIVersions.Has "plancaps.lade.dev/v1/Gadget" }}
---
apiVersion: plancaps.lade.dev/v1
kind: Gadget
metadata:
  name: g
{{- end }}
`)}},
	}
	want := map[string]string{"group": "true", "kind": "true", "unserved": "false"}
	p, err := f.cfg.PlanInstall(ctx, release.InstallOptions{Name: "gadget", Chart: ch})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Next.Manifest, "kind: Gadget") {
		t.Fatalf("the plan does not see its CRD:\n%s", p.Next.Manifest)
	}
	if _, err := f.cfg.Install(ctx, release.InstallOptions{Name: "gadget", Chart: ch}); err != nil {
		t.Fatal(err)
	}
	if got := f.cm("caps"); !reflect.DeepEqual(got, want) {
		t.Fatalf("capabilities seen by the install: %v, want %v", got, want)
	}
}
