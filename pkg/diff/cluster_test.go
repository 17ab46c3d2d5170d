package diff_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/diff"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

func TestMain(m *testing.M) { testenv.Main(m) }

type fixture struct {
	t   *testing.T
	ns  string
	cfg *release.Config
	ctx context.Context
}

func setup(t *testing.T) *fixture {
	t.Helper()
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc, err := kube.New(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return &fixture{t: t, ns: ns, ctx: ctx, cfg: &release.Config{Kube: kc, Namespace: ns, LeaseDuration: 3 * time.Second}}
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := chart.Load("../../testdata/charts/diff/app")
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func (f *fixture) install(name string, vals map[string]any) {
	f.t.Helper()
	if _, err := f.cfg.Install(f.ctx, release.InstallOptions{Name: name, Chart: loadChart(f.t), Values: vals}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) upgradeOptions(name string, vals map[string]any, force bool) release.UpgradeOptions {
	return release.UpgradeOptions{InstallOptions: release.InstallOptions{
		Name: name, Chart: loadChart(f.t), Values: vals,
		CommonOptions: release.CommonOptions{ForceConflicts: force},
	}}
}

// plan is what `lade diff upgrade` computes.
func (f *fixture) plan(name string, vals map[string]any, force bool) *diff.Report {
	f.t.Helper()
	p, err := f.cfg.PlanUpgrade(f.ctx, f.upgradeOptions(name, vals, force))
	if err != nil {
		f.t.Fatal(err)
	}
	next, current := p.Next, p.Current
	in := f.input(next, current)
	in.ForceConflicts = force
	in.Unchanged = release.UnchangedObjects(next, current, in.Desired, in.Previous)
	rep, err := diff.Apply(f.ctx, f.cfg.Kube, in, diff.Options{ShowSecrets: true})
	if err != nil {
		f.t.Fatal(err)
	}
	return rep
}

func (f *fixture) input(next, current *release.Release) diff.Input {
	f.t.Helper()
	var in diff.Input
	var err error
	if in.Desired, in.Unmapped, err = f.cfg.Kube.BuildLenient(next.Manifest, f.ns); err != nil {
		f.t.Fatal(err)
	}
	kube.SetOwnership(in.Desired, next.Name, f.ns)
	in.FieldManager = release.FieldManagerFor("", next)
	for _, u := range in.Unmapped {
		kube.SetOwnership([]*kube.Resource{{Object: u}}, next.Name, f.ns)
	}
	if current != nil {
		if in.Previous, _, err = f.cfg.Kube.BuildLenient(current.Manifest, f.ns); err != nil {
			f.t.Fatal(err)
		}
	}
	return in
}

func (f *fixture) upgrade(name string, vals map[string]any, force bool) error {
	_, err := f.cfg.Upgrade(f.ctx, f.upgradeOptions(name, vals, force))
	return err
}

func find(rep *diff.Report, kind, name string) *diff.Change {
	for _, c := range rep.Changes {
		if c.Kind == kind && c.Name == name {
			return c
		}
	}
	return nil
}

func actions(rep *diff.Report) string {
	var s []string
	for _, c := range rep.Changes {
		s = append(s, c.Action.Symbol()+c.Kind+"/"+c.Name)
	}
	slices.Sort(s)
	return strings.Join(s, " ")
}

// checkApplied verifies that the live objects after the operation are
// exactly the predicted ones: created and updated objects equal the
// dry-run results (normalised), deleted objects are gone, and unchanged
// objects did not change.
func (f *fixture) checkApplied(rep *diff.Report) {
	f.t.Helper()
	for _, c := range rep.Changes {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(c.APIVersion)
		u.SetKind(c.Kind)
		u.SetNamespace(c.Namespace)
		u.SetName(c.Name)
		rs, _, err := f.cfg.Kube.BuildLenient(toManifest(u), f.ns)
		if err != nil || len(rs) != 1 {
			f.t.Fatalf("map %s: %v", c.Title(), err)
		}
		live, err := f.cfg.Kube.Get(f.ctx, rs[0])
		if err != nil {
			f.t.Fatal(err)
		}
		if c.Action == diff.Delete {
			if live != nil {
				f.t.Fatalf("%s predicted deleted, still there", c.Title())
			}
			continue
		}
		if live == nil {
			f.t.Fatalf("%s predicted %s, absent", c.Title(), c.Action)
		}
		got := diff.Comparable(live.Object, c.Action == diff.Create)
		want := diff.Comparable(c.Predicted.Object, c.Action == diff.Create)
		if got != want {
			f.t.Fatalf("%s after the apply differs from the prediction:\n%s", c.Title(), strings.Join(diff.Hunks(want, got, 3), ""))
		}
	}
}

func toManifest(u *unstructured.Unstructured) string {
	b, _ := u.MarshalJSON()
	return string(b)
}

func TestUpgradeDiffIsWhatTheApplyDoes(t *testing.T) {
	f := setup(t)
	f.install("a", nil)

	// No change: nothing reported.
	if rep := f.plan("a", nil, false); rep.HasChanges() || rep.Summary.Unchanged != 5 {
		t.Fatalf("no-op upgrade reported %s %+v", actions(rep), rep.Summary)
	}

	// A value change, an added and a removed object, a Secret change.
	vals := map[string]any{"data": "two", "extra": true, "old": false, "password": "n3w"}
	rep := f.plan("a", vals, false)
	if got, want := actions(rep), "+ConfigMap/a-extra -ConfigMap/a-old ~ConfigMap/a-cm ~Deployment/a-web ~Secret/a-secret"; got != want {
		t.Fatalf("actions %q, want %q", got, want)
	}
	cm := find(rep, "ConfigMap", "a-cm")
	if len(cm.Fields) != 1 || cm.Fields[0].Path != ".data.value" || cm.Fields[0].Old != "one" || cm.Fields[0].New != "two" {
		t.Fatalf("a-cm fields %+v", cm.Fields)
	}
	dep := find(rep, "Deployment", "a-web")
	if len(dep.Fields) != 1 || dep.Fields[0].Path != ".spec.template.spec.containers[name=web].image" {
		t.Fatalf("deployment fields %+v", dep.Fields)
	}
	text := textOf(t, rep, 3)
	for _, want := range []string{"ConfigMap " + f.ns + "/a-cm (update)", "-  value: one", "+  value: two", "ConfigMap " + f.ns + "/a-old (delete)", "+++ /dev/null"} {
		if !strings.Contains(text, want) {
			t.Fatalf("text lacks %q:\n%s", want, text)
		}
	}
	if err := f.upgrade("a", vals, false); err != nil {
		t.Fatal(err)
	}
	f.checkApplied(rep)
	if rep := f.plan("a", vals, false); rep.HasChanges() {
		t.Fatalf("after the upgrade the same upgrade still changes %s", actions(rep))
	}
}

func textOf(t *testing.T, rep *diff.Report, context int) string {
	t.Helper()
	var b strings.Builder
	if err := diff.WriteText(&b, rep, diff.TextOptions{Context: context}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSecretsMasked(t *testing.T) {
	f := setup(t)
	f.install("s", nil)
	p, err := f.cfg.PlanUpgrade(f.ctx, f.upgradeOptions("s", map[string]any{"password": "hunter2"}, false))
	if err != nil {
		t.Fatal(err)
	}
	next, current := p.Next, p.Current
	rep, err := diff.Apply(f.ctx, f.cfg.Kube, f.input(next, current), diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sec := find(rep, "Secret", "s-secret")
	if sec == nil || len(sec.Fields) != 1 || sec.Fields[0].Path != ".data.password" || sec.Fields[0].Old != diff.MaskedBefore || sec.Fields[0].New != diff.MaskedAfter {
		t.Fatalf("secret change %+v", sec)
	}
	text := textOf(t, rep, 10)
	var js strings.Builder
	if err := diff.WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{text, js.String()} {
		for _, secret := range []string{"hunter2", "s3cret", "aHVudGVyMg", "czNjcmV0", "YWRtaW4"} {
			if strings.Contains(out, secret) {
				t.Fatalf("output reveals %q:\n%s", secret, out)
			}
		}
	}
	if !strings.Contains(text, "-  password: '*** (before)'") || !strings.Contains(text, "+  password: '*** (after)'") || !strings.Contains(text, "user: '***'") {
		t.Fatalf("masked text:\n%s", text)
	}
	// --show-secrets reveals.
	rep, err = diff.Apply(f.ctx, f.cfg.Kube, f.input(next, current), diff.Options{ShowSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	if text := textOf(t, rep, 3); !strings.Contains(text, "aHVudGVyMg==") {
		t.Fatalf("--show-secrets:\n%s", text)
	}
	if err := f.upgrade("s", map[string]any{"password": "hunter2"}, false); err != nil {
		t.Fatal(err)
	}
	f.checkApplied(rep)
}

func TestConflicts(t *testing.T) {
	f := setup(t)
	f.install("c", nil)
	cs := f.cfg.Kube.Clientset
	// Another manager takes .data.value of a release object (server-side apply, forced).
	patch := fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c-cm","namespace":%q},"data":{"value":"theirs"}}`, f.ns)
	force := true
	if _, err := cs.CoreV1().ConfigMaps(f.ns).Patch(f.ctx, "c-cm", types.ApplyPatchType, []byte(patch), metav1.PatchOptions{FieldManager: "other-tool", Force: &force}); err != nil {
		t.Fatal(err)
	}
	// And an object the upgrade will adopt already exists, applied by another manager.
	adopt := fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c-adopt","namespace":%q,"labels":{"app.kubernetes.io/managed-by":"Helm"},"annotations":{"meta.helm.sh/release-name":"c","meta.helm.sh/release-namespace":%q}},"data":{"owner":"them"}}`, f.ns, f.ns)
	if _, err := cs.CoreV1().ConfigMaps(f.ns).Patch(f.ctx, "c-adopt", types.ApplyPatchType, []byte(adopt), metav1.PatchOptions{FieldManager: "gitops"}); err != nil {
		t.Fatal(err)
	}
	vals := map[string]any{"data": "two", "adopt": true}
	rep := f.plan("c", vals, false)
	cm := find(rep, "ConfigMap", "c-cm")
	if cm == nil || len(cm.Conflicts) != 1 || cm.Conflicts[0].Manager != "other-tool" || !slices.Equal(cm.Conflicts[0].Fields, []string{".data.value"}) || !cm.Conflicts[0].Forced {
		t.Fatalf("c-cm conflicts %+v", cm)
	}
	ad := find(rep, "ConfigMap", "c-adopt")
	if ad == nil || len(ad.Conflicts) != 1 || ad.Conflicts[0].Manager != "gitops" || !slices.Equal(ad.Conflicts[0].Fields, []string{".data.owner"}) || ad.Conflicts[0].Forced {
		t.Fatalf("c-adopt conflicts %+v", ad)
	}
	if rep.Summary.Blocked != 1 {
		t.Fatalf("summary %+v", rep.Summary)
	}
	text := textOf(t, rep, 3)
	if !strings.Contains(text, `field manager "gitops" owns .data.owner; the apply fails on them unless run with --force-conflicts`) {
		t.Fatalf("text:\n%s", text)
	}
	// The upgrade fails as predicted, and with --force-conflicts does what was shown.
	if err := f.upgrade("c", vals, false); err == nil || !strings.Contains(err.Error(), "conflict") {
		t.Fatalf("upgrade without --force-conflicts: %v", err)
	}
	rep = f.plan("c", vals, true)
	if ad := find(rep, "ConfigMap", "c-adopt"); ad == nil || !ad.Conflicts[0].Forced || rep.Summary.Blocked != 0 {
		t.Fatalf("with --force-conflicts: %+v %+v", ad, rep.Summary)
	}
	if err := f.upgrade("c", vals, true); err != nil {
		t.Fatal(err)
	}
	f.checkApplied(rep)
}

func TestDrift(t *testing.T) {
	f := setup(t)
	f.install("d", nil)
	drift := func() *diff.Report {
		rel, err := f.cfg.Storage().Deployed(f.ctx, "d")
		if err != nil {
			t.Fatal(err)
		}
		in := f.input(rel, nil)
		rep, err := diff.Drift(f.ctx, f.cfg.Kube, in.Desired, in.Unmapped, diff.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := drift(); rep.HasChanges() {
		t.Fatalf("fresh release drifted: %s", actions(rep))
	}
	cs := f.cfg.Kube.Clientset
	// A manual edit (what kubectl edit sends: an update by manager kubectl-edit).
	cm, err := cs.CoreV1().ConfigMaps(f.ns).Get(f.ctx, "d-cm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["value"] = "edited"
	if _, err := cs.CoreV1().ConfigMaps(f.ns).Update(f.ctx, cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	// A deleted object.
	if err := cs.CoreV1().ConfigMaps(f.ns).Delete(f.ctx, "d-old", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// A label added by hand to an object is not the release's field: no drift.
	sec, err := cs.CoreV1().Secrets(f.ns).Get(f.ctx, "d-secret", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sec.Labels["team"] = "x"
	if _, err := cs.CoreV1().Secrets(f.ns).Update(f.ctx, sec, metav1.UpdateOptions{FieldManager: "kubectl-label"}); err != nil {
		t.Fatal(err)
	}
	rep := drift()
	if got, want := actions(rep), "+ConfigMap/d-old ~ConfigMap/d-cm"; got != want {
		t.Fatalf("drift %q, want %q", got, want)
	}
	c := find(rep, "ConfigMap", "d-cm")
	if len(c.Fields) != 1 || c.Fields[0].Old != "edited" || c.Fields[0].New != "one" || len(c.Conflicts) != 1 || c.Conflicts[0].Manager != "kubectl-edit" {
		t.Fatalf("drift of d-cm %+v", c)
	}
	// Re-deploying the release restores exactly what the drift showed.
	if _, err := f.cfg.Rollback(f.ctx, release.RollbackOptions{Name: "d", Version: 1}); err != nil {
		t.Fatal(err)
	}
	f.checkApplied(rep)
	if rep := drift(); rep.HasChanges() {
		t.Fatalf("still drifted after re-deploying: %s", actions(rep))
	}
}

func TestRollbackAndRevisionDiff(t *testing.T) {
	f := setup(t)
	f.install("r", nil)
	if err := f.upgrade("r", map[string]any{"data": "two", "extra": true}, false); err != nil {
		t.Fatal(err)
	}
	p, err := f.cfg.PlanRollback(f.ctx, release.RollbackOptions{Name: "r"})
	if err != nil || p.Next.Info.RollbackRevision != 1 || p.Current.Version != 2 {
		t.Fatalf("plan rollback: %v", err)
	}
	target, current := p.Next, p.Current
	rep, err := diff.Apply(f.ctx, f.cfg.Kube, f.input(target, current), diff.Options{ShowSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := actions(rep), "-ConfigMap/r-extra ~ConfigMap/r-cm ~Deployment/r-web"; got != want {
		t.Fatalf("rollback diff %q, want %q", got, want)
	}
	// Revision diff: stored manifests only.
	objs := func(r *release.Release) []*unstructured.Unstructured {
		rs, un, err := f.cfg.Kube.BuildLenient(r.Manifest, f.ns)
		if err != nil {
			t.Fatal(err)
		}
		var out []*unstructured.Unstructured
		for _, x := range rs {
			out = append(out, x.Object)
		}
		return append(out, un...)
	}
	rv := diff.Objects(objs(target), objs(current), diff.Options{})
	if got, want := actions(rv), "+ConfigMap/r-extra ~ConfigMap/r-cm ~Deployment/r-web"; got != want {
		t.Fatalf("revision diff %q, want %q", got, want)
	}
	if _, err := f.cfg.Rollback(f.ctx, release.RollbackOptions{Name: "r"}); err != nil {
		t.Fatal(err)
	}
	f.checkApplied(rep)
}

func TestCRDAndItsCustomResourceInOneUpgrade(t *testing.T) {
	f := setup(t)
	f.install("k", nil)
	vals := map[string]any{"crd": true}
	rep := f.plan("k", vals, false)
	crd := find(rep, "CustomResourceDefinition", "gadgets.diff.lade.dev")
	g := find(rep, "Gadget", "k-g")
	if crd == nil || crd.Action != diff.Create || g == nil || g.Action != diff.Create || g.Namespace != f.ns || g.Note == "" {
		t.Fatalf("CRD and CR: %s", actions(rep))
	}
	if !strings.Contains(g.New, "size: 2") || !strings.Contains(g.New, "meta.helm.sh/release-name: k") {
		t.Fatalf("CR side:\n%s", g.New)
	}
}

// Applies of built-in kinds are sent with fieldValidation=Ignore (the API
// server then decodes the body once): an unknown field must still fail the
// dry-run and the apply, as it does with the default validation.
func TestUnknownFieldOfBuiltinKindFails(t *testing.T) {
	f := setup(t)
	kc := f.cfg.Kube
	rs, err := kc.Build("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: typo\nspec:\n  replicass: 2\n  selector:\n    matchLabels: {a: b}\n"+
		"  template:\n    metadata:\n      labels: {a: b}\n    spec:\n      containers:\n      - name: c\n        image: x\n", f.ns)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := diff.Apply(f.ctx, kc, diff.Input{Desired: rs}, diff.Options{}); err == nil || !strings.Contains(err.Error(), ".spec.replicass: field not declared in schema") {
		t.Fatalf("diff: %v", err)
	}
	if err := kc.Apply(f.ctx, rs, kube.ApplyOptions{}); err == nil || !strings.Contains(err.Error(), ".spec.replicass: field not declared in schema") {
		t.Fatalf("apply: %v", err)
	}
}

type countingRT struct {
	rt      http.RoundTripper
	mu      sync.Mutex
	dryRuns []string // paths of dry-run PATCH requests
}

func (c *countingRT) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPatch && req.URL.Query().Get("dryRun") == "All" {
		c.mu.Lock()
		c.dryRuns = append(c.dryRuns, req.URL.Path)
		c.mu.Unlock()
	}
	return c.rt.RoundTrip(req)
}

func (c *countingRT) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.dryRuns
	c.dryRuns = nil
	slices.Sort(out)
	return out
}

// An upgrade diff dry-runs only the objects the upgrade would apply: those
// identical to the deployed revision whose live state still holds lade's
// fields are reported unchanged without a request, and drift in such an
// object (a field lade set, changed by a plain update) is still dry-run and
// shown, and the upgrade then does what was shown.
func TestUpgradeDiffSkipsDryRunOfUpToDateObjects(t *testing.T) {
	f := setup(t)
	f.install("s", nil)
	cfg := testenv.Shared(t).Config()
	rt := &countingRT{}
	cfg.WrapTransport = func(r http.RoundTripper) http.RoundTripper { rt.rt = r; return rt }
	kc, err := kube.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.cfg.Kube = kc

	rep := f.plan("s", nil, false)
	if rep.HasChanges() || rep.Summary.Unchanged != 5 {
		t.Fatalf("no-op: %s %+v", actions(rep), rep.Summary)
	}
	// The Secret sets stringData, which the API server stores as data: its
	// live state never holds the manifest, so it is always dry-run (and
	// always applied by the upgrade).
	secretOnly := func(what string) {
		t.Helper()
		for _, p := range rt.take() {
			if !strings.HasSuffix(p, "/secrets/s-secret") {
				t.Fatalf("%s: dry-run of an up-to-date object: %s", what, p)
			}
		}
	}
	secretOnly("no-op diff")

	// A plain update by another client changes the image lade set.
	deps := kc.Clientset.AppsV1().Deployments(f.ns)
	d, err := deps.Get(f.ctx, "s-web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Template.Spec.Containers[0].Image = "nginx:drifted"
	if _, err := deps.Update(f.ctx, d, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	rep = f.plan("s", nil, false)
	if got, want := actions(rep), "~Deployment/s-web"; got != want {
		t.Fatalf("after drift: %q, want %q", got, want)
	}
	web := find(rep, "Deployment", "s-web")
	if len(web.Fields) != 1 || web.Fields[0].Old != "nginx:drifted" || web.Fields[0].New != "nginx:one" {
		t.Fatalf("fields %+v", web.Fields)
	}
	var webRuns int
	for _, p := range rt.take() {
		switch {
		case strings.HasSuffix(p, "/deployments/s-web"):
			webRuns++
		case !strings.HasSuffix(p, "/secrets/s-secret"):
			t.Fatalf("after drift: dry-run of an up-to-date object: %s", p)
		}
	}
	if webRuns == 0 {
		t.Fatal("the drifted Deployment was not dry-run")
	}
	if err := f.upgrade("s", nil, false); err != nil {
		t.Fatal(err)
	}
	f.checkApplied(rep)
	if rep := f.plan("s", nil, false); rep.HasChanges() {
		t.Fatalf("after the upgrade: %s", actions(rep))
	}
	secretOnly("after the upgrade")
}
