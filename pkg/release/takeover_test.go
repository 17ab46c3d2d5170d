package release_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/diff"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

func loadTakeover(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := chart.Load("../../testdata/charts/takeover")
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// clientSideInstall writes release name as Helm 3 installs it: every object
// created client-side (an Update entry of field manager "helm"), the
// record without lade's holder or apply method.
func (f *fixture) clientSideInstall(name string) {
	f.t.Helper()
	ctx := context.Background()
	rel, err := f.cfg.Install(ctx, release.InstallOptions{CommonOptions: release.CommonOptions{DryRun: "client"}, Name: name, Chart: loadTakeover(f.t)})
	if err != nil {
		f.t.Fatal(err)
	}
	objs, err := f.cfg.Kube.Build(rel.Manifest, f.ns)
	if err != nil {
		f.t.Fatal(err)
	}
	kube.SetOwnership(objs, name, f.ns)
	for _, r := range objs {
		if _, err := f.cfg.Kube.Dynamic.Resource(r.Mapping.Resource).Namespace(f.ns).Create(ctx, r.Object, metav1.CreateOptions{FieldManager: kube.HelmFieldManager}); err != nil {
			f.t.Fatal(err)
		}
	}
	rel.Info.Status, rel.Info.Description = release.StatusDeployed, "Install complete"
	rel.Holder, rel.ApplyMethod = "", ""
	if err := f.cfg.Storage().Create(ctx, rel); err != nil {
		f.t.Fatal(err)
	}
}

// kubectlApply changes ConfigMap name as `kubectl apply` (client-side) does
// when a user applies it with one more key: a patch by field manager
// kubectl-client-side-apply that also records the applied configuration in
// the last-applied-configuration annotation.
func (f *fixture) kubectlApply(name string, data map[string]string) {
	f.t.Helper()
	applied, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": name, "namespace": f.ns}, "data": data})
	patch, _ := json.Marshal(map[string]any{
		"metadata": map[string]any{"annotations": map[string]string{corev1.LastAppliedConfigAnnotation: string(applied) + "\n"}},
		"data":     data,
	})
	if _, err := f.cfg.Kube.Clientset.CoreV1().ConfigMaps(f.ns).Patch(context.Background(), name, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: "kubectl-client-side-apply"}); err != nil {
		f.t.Fatal(err)
	}
}

func managers(mf []metav1.ManagedFieldsEntry) []string {
	var out []string
	for _, e := range mf {
		out = append(out, e.Manager+"/"+string(e.Operation))
	}
	slices.Sort(out)
	return out
}

// TestUpgradeTakesOverClientSideOwnership: a release Helm 3 installed
// client-side (fields owned by "helm" Updates), one ConfigMap later changed
// with kubectl's client-side apply and one key by another Update manager.
// `lade diff upgrade` to a chart that drops a label, an env entry and a
// ConfigMap key shows those removals (and the key kubectl added); the
// upgrade removes them, leaves the other manager's key, and lade's apply
// entry alone owns what the chart sets. A second upgrade finds nothing to
// convert.
func TestUpgradeTakesOverClientSideOwnership(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.clientSideInstall("to")
	f.kubectlApply("to-cm", map[string]string{"keep": "1", "drop": "2", "kubectl": "3"})
	other := []byte(`{"data":{"edited":"4"}}`)
	if _, err := f.cfg.Kube.Clientset.CoreV1().ConfigMaps(f.ns).Patch(ctx, "to-cm", types.MergePatchType, other, metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}

	// The diff first: computed as if the ownership were converted.
	uo := release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "to", Chart: loadTakeover(t), Values: map[string]any{"old": false}}}
	p, err := f.cfg.PlanUpgrade(ctx, uo)
	if err != nil {
		t.Fatal(err)
	}
	next, current := p.Next, p.Current
	desired, err := f.cfg.Kube.Build(next.Manifest, f.ns)
	if err != nil {
		t.Fatal(err)
	}
	kube.SetOwnership(desired, "to", f.ns)
	prev, err := f.cfg.Kube.Build(current.Manifest, f.ns)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := diff.Apply(ctx, f.cfg.Kube, diff.Input{Desired: desired, Previous: prev}, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string]*diff.Change{}
	for _, c := range rep.Changes {
		byKind[c.Kind] = c
	}
	dep, cm := byKind["Deployment"], byKind["ConfigMap"]
	if dep == nil || cm == nil || dep.Action != diff.Update || cm.Action != diff.Update {
		t.Fatalf("diff: %+v", rep.Changes)
	}
	for _, s := range []string{"tier: legacy", "name: DROP"} {
		if !strings.Contains(dep.Old, s) || strings.Contains(dep.New, s) {
			t.Errorf("diff of the Deployment does not remove %q:\n--- old\n%s\n+++ new\n%s", s, dep.Old, dep.New)
		}
	}
	// (The diff leaves the last-applied annotation out on both sides.)
	for _, s := range []string{"drop: '2'", "kubectl: '3'"} {
		if !strings.Contains(cm.Old, s) || strings.Contains(cm.New, s) {
			t.Errorf("diff of the ConfigMap does not remove %q:\n--- old\n%s\n+++ new\n%s", s, cm.Old, cm.New)
		}
	}
	if !strings.Contains(cm.New, "edited: '4'") || !strings.Contains(dep.New, "name: KEEP") {
		t.Errorf("diff removes what it must keep:\n%s\n%s", cm.New, dep.New)
	}
	for _, c := range rep.Changes {
		if len(c.Conflicts) > 0 {
			t.Errorf("%s: conflicts with converted managers: %+v", c.Title(), c.Conflicts)
		}
	}

	// The upgrade does what the diff said, with one managedFields patch
	// per object that had client-side entries.
	patches := countJSONPatches(t, f)
	if _, err := f.cfg.Upgrade(ctx, uo); err != nil {
		t.Fatal(err)
	}
	if n := patches.take(); n != 2 {
		t.Errorf("%d managedFields patches, want 2 (the ConfigMap and the Deployment)", n)
	}
	live, err := f.cfg.Kube.Clientset.CoreV1().ConfigMaps(f.ns).Get(ctx, "to-cm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"keep": "1", "edited": "4"}; !mapsEqual(live.Data, want) {
		t.Errorf("ConfigMap data after the upgrade: %v, want %v", live.Data, want)
	}
	if _, ok := live.Annotations[corev1.LastAppliedConfigAnnotation]; ok {
		t.Error("the last-applied-configuration annotation kubectl owned is still there")
	}
	want := []string{"kubectl-edit/Update", release.DefaultFieldManager + "/Apply"}
	slices.Sort(want)
	if got := managers(live.ManagedFields); !slices.Equal(got, want) {
		t.Errorf("ConfigMap managers %v, want %v", got, want)
	}
	d, err := f.cfg.Kube.Clientset.AppsV1().Deployments(f.ns).Get(ctx, "to-web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Labels["tier"]; ok {
		t.Errorf("Deployment label tier survived: %v", d.Labels)
	}
	env := d.Spec.Template.Spec.Containers[0].Env
	if len(env) != 1 || env[0].Name != "KEEP" {
		t.Errorf("Deployment env after the upgrade: %+v", env)
	}
	for _, e := range d.ManagedFields {
		if e.Operation == metav1.ManagedFieldsOperationUpdate && e.Manager == kube.HelmFieldManager {
			t.Error("Deployment still has an Update entry of helm")
		}
	}

	// Nothing left to convert: the next upgrade patches no object.
	uo.Values = map[string]any{"old": false, "unused": 1}
	if _, err := f.cfg.Upgrade(ctx, uo); err != nil {
		t.Fatal(err)
	}
	if n := patches.take(); n != 0 {
		t.Errorf("%d managedFields patches on the second upgrade", n)
	}
	// Nor does TakeOver asked directly.
	objs, err := f.cfg.Kube.Build(next.Manifest, f.ns)
	if err != nil {
		t.Fatal(err)
	}
	done, err := f.cfg.Kube.TakeOver(ctx, objs, nil, "")
	if err != nil || len(done) != 0 {
		t.Fatalf("second takeover: %v %v", done, err)
	}
}

// TestRollbackTakesOverClientSideOwnership: a rollback converts too. After
// Helm 3 (client-side) upgraded a lade release to a revision with an extra
// ConfigMap key, lade's rollback to the revision without it removes it.
func TestRollbackTakesOverClientSideOwnership(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, err := f.cfg.Install(ctx, release.InstallOptions{Name: "rb", Chart: loadTakeover(t), Values: map[string]any{"old": false}}); err != nil {
		t.Fatal(err)
	}
	// What Helm 3's upgrade does: a client-side patch by "helm", then its record.
	p, err := f.cfg.PlanUpgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "rb", Chart: loadTakeover(t), Values: map[string]any{"old": true}}})
	if err != nil {
		t.Fatal(err)
	}
	next := p.Next
	if _, err := f.cfg.Kube.Clientset.CoreV1().ConfigMaps(f.ns).Patch(ctx, "rb-cm", types.StrategicMergePatchType, []byte(`{"data":{"drop":"2"}}`), metav1.PatchOptions{FieldManager: kube.HelmFieldManager}); err != nil {
		t.Fatal(err)
	}
	st := f.cfg.Storage()
	first, err := st.Get(ctx, "rb", 1)
	if err != nil {
		t.Fatal(err)
	}
	first.Info.Status = release.StatusSuperseded
	if err := st.Update(ctx, first); err != nil {
		t.Fatal(err)
	}
	next.Info.Status, next.Holder, next.ApplyMethod = release.StatusDeployed, "", ""
	if err := st.Create(ctx, next); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cfg.Rollback(ctx, release.RollbackOptions{Name: "rb", Version: 1}); err != nil {
		t.Fatal(err)
	}
	if got, want := f.cm("rb-cm"), map[string]string{"keep": "1"}; !mapsEqual(got, want) {
		t.Fatalf("ConfigMap after the rollback: %v, want %v", got, want)
	}
}

// jsonPatches counts the JSON patch requests of a client (lade sends them
// only to convert managedFields).
type jsonPatches struct {
	mu   sync.Mutex
	n    int
	next http.RoundTripper
}

func (p *jsonPatches) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPatch && req.Header.Get("Content-Type") == string(types.JSONPatchType) {
		p.mu.Lock()
		p.n++
		p.mu.Unlock()
	}
	return p.next.RoundTrip(req)
}

func (p *jsonPatches) take() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.n
	p.n = 0
	return n
}

// countJSONPatches gives f a client whose JSON patch requests are counted.
func countJSONPatches(t *testing.T, f *fixture) *jsonPatches {
	t.Helper()
	p := &jsonPatches{}
	cfg := testenv.Shared(t).Config()
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { p.next = rt; return p })
	kc, err := kube.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.cfg.Kube = kc
	return p
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestInstallTakeOwnershipTakesOverKubectl: `install --take-ownership` of
// a ConfigMap a user created with `kubectl apply` (client-side) converts
// kubectl's ownership too, so the keys the chart does not render go.
func TestInstallTakeOwnershipTakesOverKubectl(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	data := map[string]string{"keep": "0", "kubectl": "3"}
	applied, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "ad-cm", "namespace": f.ns}, "data": data})
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "ad-cm", Annotations: map[string]string{corev1.LastAppliedConfigAnnotation: string(applied) + "\n"}}, Data: data}
	if _, err := f.cfg.Kube.Clientset.CoreV1().ConfigMaps(f.ns).Create(ctx, cm, metav1.CreateOptions{FieldManager: "kubectl-client-side-apply"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cfg.Install(ctx, release.InstallOptions{CommonOptions: release.CommonOptions{TakeOwnership: true}, Name: "ad", Chart: loadTakeover(t), Values: map[string]any{"old": false}}); err != nil {
		t.Fatal(err)
	}
	if got, want := f.cm("ad-cm"), map[string]string{"keep": "1"}; !mapsEqual(got, want) {
		t.Fatalf("adopted ConfigMap: %v, want %v", got, want)
	}
}
