package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/api/v1alpha1"
	"github.com/lade-dev/lade/pkg/controller"
)

// kstatus is the status kstatus (kubectl wait, cli-utils, Argo CD's and
// Flux's health checks) computes for the Release.
func kstatus(t *testing.T, r *v1alpha1.Release) status.Status {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(r)
	if err != nil {
		t.Fatal(err)
	}
	res, err := status.Compute(&unstructured.Unstructured{Object: m})
	if err != nil {
		t.Fatal(err)
	}
	return res.Status
}

func jsonValues(y string) *apiextensionsv1.JSON {
	b, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		panic(err)
	}
	return &apiextensionsv1.JSON{Raw: b}
}

// setup installs the controller chart into a fresh namespace, starts a
// controller with its ServiceAccount's token watching the Releases
// labelled for this test, and returns the namespace and the label value.
func setup(t *testing.T, args ...string) (ns, id string, c *ctl) {
	t.Helper()
	ns = testenv.NewNamespace(t)
	id = strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(id) > 40 {
		id = id[:40]
	}
	kubeconfig := installController(t, ns, "ctl-"+ns)
	c = startController(t, kubeconfig, ns, append([]string{"--watch-label-selector", testLabel + "=" + id, "--leader-election-id", "ctl-" + id}, args...)...)
	return ns, id, c
}

// A Release is installed, upgraded on a spec change and on a change of a
// valuesFrom ConfigMap, and left alone when nothing changed.
func TestInstallUpgradeNoop(t *testing.T) {
	ref := pushCharts(t)
	ns, id, ctl := setup(t)
	kc := kclient(t)
	ctx := context.Background()

	vals := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-values"},
		Data: map[string]string{"values.yaml": "replicas: 2\n"}}
	if err := kc.Create(ctx, vals); err != nil {
		t.Fatal(err)
	}
	rel := newRelease(ns, "web", id, ref+"/app", "0.1.0", "message: one")
	rel.Spec.ValuesFrom = []v1alpha1.ValuesReference{{Kind: "ConfigMap", Name: "web-values"}}
	if err := kc.Create(ctx, rel); err != nil {
		t.Fatal(err)
	}
	r := waitReady(t, kc, ns, "web", 60*time.Second)
	if got := configMap(t, ns, "web-config"); got == nil || got.Data["message"] != "one" || got.Data["chart"] != "0.1.0" {
		t.Fatalf("installed ConfigMap: %v", got)
	}
	if revs := revisions(t, ns, "web"); len(revs) != 1 || revs[1] != "deployed" {
		t.Fatalf("revisions after install: %v", revs)
	}
	if r.Status.Revision != 1 || r.Status.LastAppliedChart == nil || r.Status.LastAppliedChart.Version != "0.1.0" ||
		!strings.HasPrefix(r.Status.LastAppliedChart.Digest, "sha256:") || r.Status.Objects != 2 {
		t.Errorf("status after install: %+v", r.Status)
	}
	if !contains(events(t, ns, "web"), "InstallSucceeded") {
		t.Errorf("no InstallSucceeded event: %v", events(t, ns, "web"))
	}
	// The record says the controller made it: lade history shows the
	// description, the record Secret carries the label.
	if h := lade(t, "history", "web", "-n", ns); !strings.Contains(h, "Install complete by lade-controller") {
		t.Errorf("lade history does not say the controller installed it:\n%s", h)
	}
	if l := lade(t, "list", "-n", ns); !strings.Contains(l, "web") || !strings.Contains(l, "app-0.1.0") {
		t.Errorf("lade list:\n%s", l)
	}
	sec, err := testenv.Shared(t).Clientset().CoreV1().Secrets(ns).Get(ctx, "sh.helm.release.v1.web.v1", metav1.GetOptions{})
	if err != nil || sec.Labels[controller.ManagedByLabel] != controller.ManagedByValue {
		t.Errorf("record Secret labels: %v %v", sec.GetLabels(), err)
	}

	// Nothing changed: several intervals (2s) pass, drift checks run,
	// no revision is written.
	checked := r.Status.Drift.CheckedAt
	eventually(t, 30*time.Second, "a drift check after the install", func() (bool, string) {
		r = getRelease(t, kc, ns, "web")
		return r.Status.Drift != nil && r.Status.Drift.CheckedAt.After(checked.Time), conditions(r)
	})
	if n := ctl.metric(t, "lade_reconcile_results_total", `reason="Unchanged"`); n < 1 {
		t.Errorf("lade_reconcile_results_total{reason=Unchanged} = %v, want > 0", n)
	}
	if revs := revisions(t, ns, "web"); len(revs) != 1 {
		t.Fatalf("a no-op reconcile wrote a revision: %v", revs)
	}

	// A spec change: a new chart version and a value.
	update(t, kc, ns, "web", func(r *v1alpha1.Release) {
		r.Spec.Chart.Version = "0.2.0"
		r.Spec.Values = jsonValues("message: two")
	})
	r = waitReady(t, kc, ns, "web", 60*time.Second)
	if got := configMap(t, ns, "web-config"); got.Data["message"] != "two" || got.Data["chart"] != "0.2.0" {
		t.Fatalf("upgraded ConfigMap: %v", got.Data)
	}
	if r.Status.Revision != 2 || r.Status.LastAppliedChart.Version != "0.2.0" {
		t.Errorf("status after upgrade: %+v", r.Status)
	}

	// A change of the valuesFrom ConfigMap upgrades at the next interval.
	vals.Data["values.yaml"] = "replicas: 3\n"
	if err := kc.Update(ctx, vals); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "the Deployment scaled by the valuesFrom change", func() (bool, string) {
		d, err := testenv.Shared(t).Clientset().AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return *d.Spec.Replicas == 3, conditions(getRelease(t, kc, ns, "web"))
	})
	eventually(t, 60*time.Second, "revision 3 deployed", func() (bool, string) {
		revs := revisions(t, ns, "web")
		return revs[3] == "deployed", fmt.Sprint(revs)
	})
	r = waitReady(t, kc, ns, "web", 60*time.Second)
	if revs := revisions(t, ns, "web"); len(revs) != 3 || r.Status.Revision != 3 {
		t.Fatalf("revisions after the values change: %v, status %+v", revs, r.Status)
	}

	// kstatus and kubectl wait read the conditions: Ready True, no
	// Reconciling or Stalled.
	for _, c := range r.Status.Conditions {
		if c.Type != "Ready" {
			t.Errorf("condition %s=%s left on a Ready release", c.Type, c.Status)
		}
	}
	if st := kstatus(t, r); st != status.CurrentStatus {
		t.Errorf("kstatus of the Ready release: %s", st)
	}
	if n := ctl.metric(t, "lade_releases", `condition="Ready"`, `status="True"`); n != 1 {
		t.Errorf("lade_releases{Ready,True} = %v, want 1", n)
	}
	if n := ctl.metric(t, "lade_reconcile_duration_seconds_count"); n < 3 {
		t.Errorf("lade_reconcile_duration_seconds_count = %v", n)
	}
}

// A hand edit of a release's object is corrected at the next drift check;
// with driftCorrection: warn it is only reported (status and an Event).
func TestDrift(t *testing.T) {
	ref := pushCharts(t)
	ns, id, _ := setup(t)
	kc := kclient(t)
	ctx := context.Background()
	cs := testenv.Shared(t).Clientset()

	fix := newRelease(ns, "fix", id, ref+"/app", "0.1.0", "message: desired")
	warn := newRelease(ns, "warn", id, ref+"/app", "0.1.0", "message: desired")
	warn.Spec.DriftCorrection = v1alpha1.DriftWarn
	for _, r := range []*v1alpha1.Release{fix, warn} {
		if err := kc.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	waitReady(t, kc, ns, "fix", 60*time.Second)
	waitReady(t, kc, ns, "warn", 60*time.Second)
	for _, name := range []string{"fix-config", "warn-config"} {
		cm := configMap(t, ns, name)
		cm.Data["message"] = "edited by hand"
		if _, err := cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 60*time.Second, "the hand edit corrected", func() (bool, string) {
		cm := configMap(t, ns, "fix-config")
		return cm.Data["message"] == "desired", cm.Data["message"]
	})
	r := waitReady(t, kc, ns, "fix", 30*time.Second)
	eventually(t, 30*time.Second, "DriftCorrected in status and events", func() (bool, string) {
		r = getRelease(t, kc, ns, "fix")
		ev := events(t, ns, "fix")
		return r.Status.Drift != nil && contains(ev, "DriftCorrected"), fmt.Sprintf("%+v %v", r.Status.Drift, ev)
	})

	eventually(t, 60*time.Second, "drift reported in warn mode", func() (bool, string) {
		r = getRelease(t, kc, ns, "warn")
		return r.Status.Drift != nil && r.Status.Drift.Changed == 1 && contains(events(t, ns, "warn"), "DriftDetected"),
			fmt.Sprintf("%+v", r.Status.Drift)
	})
	if got := r.Status.Drift.Objects; len(got) != 1 || got[0] != "ConfigMap "+ns+"/warn-config" {
		t.Errorf("drift objects: %v", got)
	}
	// Further checks (interval 2s) leave it edited and write no revision.
	time.Sleep(5 * time.Second)
	if cm := configMap(t, ns, "warn-config"); cm.Data["message"] != "edited by hand" {
		t.Errorf("warn mode changed the object: %v", cm.Data)
	}
	if revs := revisions(t, ns, "warn"); len(revs) != 1 {
		t.Errorf("warn mode wrote revisions: %v", revs)
	}
	if c := meta.FindStatusCondition(getRelease(t, kc, ns, "warn").Status.Conditions, "Ready"); c == nil || c.Status != metav1.ConditionTrue || !strings.Contains(c.Message, "drift") {
		t.Errorf("warn mode Ready condition: %+v", c)
	}
}

// A suspended Release is left alone; resumed, it catches up. Deleting a
// Release uninstalls it (finalizer), unless spec.uninstall.keep.
func TestSuspendAndDelete(t *testing.T) {
	ref := pushCharts(t)
	ns, id, _ := setup(t)
	kc := kclient(t)
	ctx := context.Background()

	gone := newRelease(ns, "gone", id, ref+"/app", "0.1.0", "message: one")
	kept := newRelease(ns, "kept", id, ref+"/app", "0.1.0", "")
	kept.Spec.Uninstall = &v1alpha1.UninstallOptions{Keep: true}
	for _, r := range []*v1alpha1.Release{gone, kept} {
		if err := kc.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	waitReady(t, kc, ns, "gone", 60*time.Second)
	waitReady(t, kc, ns, "kept", 60*time.Second)
	if r := getRelease(t, kc, ns, "gone"); !contains(r.Finalizers, controller.Finalizer) {
		t.Fatalf("finalizers: %v", r.Finalizers)
	}

	update(t, kc, ns, "gone", func(r *v1alpha1.Release) {
		r.Spec.Suspend = true
		r.Spec.Values = jsonValues("message: two")
	})
	time.Sleep(6 * time.Second) // three intervals
	if cm := configMap(t, ns, "gone-config"); cm.Data["message"] != "one" {
		t.Fatalf("a suspended release was upgraded: %v", cm.Data)
	}
	if revs := revisions(t, ns, "gone"); len(revs) != 1 {
		t.Fatalf("a suspended release got revisions: %v", revs)
	}
	update(t, kc, ns, "gone", func(r *v1alpha1.Release) { r.Spec.Suspend = false })
	waitReady(t, kc, ns, "gone", 60*time.Second)
	if cm := configMap(t, ns, "gone-config"); cm.Data["message"] != "two" {
		t.Fatalf("the resumed release was not upgraded: %v", cm.Data)
	}

	for _, r := range []*v1alpha1.Release{gone, kept} {
		if err := kc.Delete(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 60*time.Second, "both Release objects deleted", func() (bool, string) {
		var l v1alpha1.ReleaseList
		if err := kc.List(ctx, &l, client.InNamespace(ns)); err != nil {
			return false, err.Error()
		}
		return len(l.Items) == 0, fmt.Sprint(len(l.Items))
	})
	if cm := configMap(t, ns, "gone-config"); cm != nil {
		t.Errorf("the deleted release's ConfigMap is still there")
	}
	if revs := revisions(t, ns, "gone"); len(revs) != 0 {
		t.Errorf("the deleted release's records are still there: %v", revs)
	}
	if cm := configMap(t, ns, "kept-config"); cm == nil {
		t.Errorf("uninstall.keep: the ConfigMap was deleted")
	}
	if revs := revisions(t, ns, "kept"); len(revs) != 1 {
		t.Errorf("uninstall.keep: records %v", revs)
	}
}

// A Release waits for the Releases it depends on to be Ready.
func TestDependsOn(t *testing.T) {
	ref := pushCharts(t)
	ns, id, _ := setup(t)
	kc := kclient(t)
	ctx := context.Background()

	app := newRelease(ns, "app", id, ref+"/app", "0.1.0", "")
	app.Spec.DependsOn = []v1alpha1.DependencyReference{{Name: "db"}}
	if err := kc.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "app waiting for db", func() (bool, string) {
		r := getRelease(t, kc, ns, "app")
		c := meta.FindStatusCondition(r.Status.Conditions, "Ready")
		return c != nil && c.Reason == "DependencyNotReady" && strings.Contains(c.Message, "db"), conditions(r)
	})
	if revs := revisions(t, ns, "app"); len(revs) != 0 {
		t.Fatalf("app installed before its dependency: %v", revs)
	}
	db := newRelease(ns, "db", id, ref+"/app", "0.1.0", "")
	if err := kc.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	dbr := waitReady(t, kc, ns, "db", 60*time.Second)
	waitReady(t, kc, ns, "app", 60*time.Second)
	sec, err := testenv.Shared(t).Clientset().CoreV1().Secrets(ns).Get(ctx, "sh.helm.release.v1.app.v1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ready := meta.FindStatusCondition(dbr.Status.Conditions, "Ready").LastTransitionTime
	if sec.CreationTimestamp.Before(&ready) {
		t.Errorf("app was installed at %v, before db was Ready at %v", sec.CreationTimestamp, ready)
	}
}

// A tenant's Release is applied as its ServiceAccount: what the tenant's
// RBAC forbids (a ClusterRole) is refused, what it allows is installed.
func TestTenantImpersonation(t *testing.T) {
	ref := pushCharts(t)
	ns, id, _ := setup(t, "--require-service-account")
	kc := kclient(t)
	ctx := context.Background()
	cs := testenv.Shared(t).Clientset()

	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "tenant"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "tenant", Namespace: ns},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "tenant", Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "tenant"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "tenant", Namespace: ns}}}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	bad := newRelease(ns, "escalate", id, ref+"/clusterwide", "0.1.0", "")
	bad.Spec.ServiceAccountName = "tenant"
	good := newRelease(ns, "good", id, ref+"/app", "0.1.0", "")
	good.Spec.ServiceAccountName = "tenant"
	anon := newRelease(ns, "anon", id, ref+"/app", "0.1.0", "")
	for _, r := range []*v1alpha1.Release{bad, good, anon} {
		if err := kc.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	waitReady(t, kc, ns, "good", 60*time.Second)
	eventually(t, 60*time.Second, "the ClusterRole refused", func() (bool, string) {
		r := getRelease(t, kc, ns, "escalate")
		c := meta.FindStatusCondition(r.Status.Conditions, "Ready")
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == "InstallFailed" &&
			strings.Contains(c.Message, "forbidden") && strings.Contains(c.Message, "system:serviceaccount:"+ns+":tenant"), conditions(r)
	})
	if _, err := cs.RbacV1().ClusterRoles().Get(ctx, ns+"-escalate-escalate", metav1.GetOptions{}); err == nil {
		t.Errorf("the tenant's ClusterRole was created")
	}
	eventually(t, 30*time.Second, "a Release without serviceAccountName refused", func() (bool, string) {
		r := getRelease(t, kc, ns, "anon")
		c := meta.FindStatusCondition(r.Status.Conditions, "Stalled")
		return c != nil && c.Status == metav1.ConditionTrue && strings.Contains(c.Message, "serviceAccountName"), conditions(r)
	})
	if revs := revisions(t, ns, "anon"); len(revs) != 0 {
		t.Errorf("anon was installed: %v", revs)
	}
}

// An upgrade whose pods fail is rolled back (spec.upgrade.rollbackOnFailure).
func TestRollbackOnFailure(t *testing.T) {
	ref := pushCharts(t)
	ns, id, _ := setup(t)
	kc := kclient(t)
	ctx := context.Background()
	cs := testenv.Shared(t).Clientset()

	rel := newRelease(ns, "roll", id, ref+"/app", "0.1.0", "message: good")
	rel.Spec.Interval = &metav1.Duration{Duration: 10 * time.Minute}
	rel.Spec.RollbackOnFailure = true
	rel.Spec.Timeout = &metav1.Duration{Duration: 10 * time.Second}
	if err := kc.Create(ctx, rel); err != nil {
		t.Fatal(err)
	}
	waitReady(t, kc, ns, "roll", 60*time.Second)
	update(t, kc, ns, "roll", func(r *v1alpha1.Release) { r.Spec.Values = jsonValues("message: bad\nfail: " + testenv.FailCrash) })
	eventually(t, 90*time.Second, "the failed upgrade reported", func() (bool, string) {
		r := getRelease(t, kc, ns, "roll")
		c := meta.FindStatusCondition(r.Status.Conditions, "Ready")
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == "UpgradeFailed" && r.Status.ObservedGeneration == r.Generation, conditions(r)
	})
	if st := kstatus(t, getRelease(t, kc, ns, "roll")); st != status.FailedStatus {
		t.Errorf("kstatus of the failed release: %s", st)
	}
	eventually(t, 30*time.Second, "a RolledBack event", func() (bool, string) {
		ev := events(t, ns, "roll")
		return contains(ev, "RolledBack"), fmt.Sprint(ev)
	})
	revs := revisions(t, ns, "roll")
	if len(revs) != 3 || revs[2] != "failed" || revs[3] != "deployed" {
		t.Fatalf("revisions: %v (want 2 failed, 3 the rollback deployed)", revs)
	}
	if cm := configMap(t, ns, "roll-config"); cm.Data["message"] != "good" {
		t.Errorf("after the rollback the ConfigMap says %q", cm.Data["message"])
	}
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, "roll", metav1.GetOptions{})
	if err != nil || d.Spec.Template.Labels[testenv.FailLabel] != "" {
		t.Errorf("the Deployment was not rolled back: %v %v", d.Spec.Template.Labels, err)
	}
	r := getRelease(t, kc, ns, "roll")
	if r.Status.LastAttemptedChart == nil || r.Status.LastAppliedChart == nil {
		t.Errorf("status charts: %+v", r.Status)
	}
	// Fixing the spec upgrades again.
	update(t, kc, ns, "roll", func(r *v1alpha1.Release) { r.Spec.Values = jsonValues("message: fixed") })
	waitReady(t, kc, ns, "roll", 60*time.Second)
	if cm := configMap(t, ns, "roll-config"); cm.Data["message"] != "fixed" {
		t.Errorf("after the fix the ConfigMap says %q", cm.Data["message"])
	}
}

// Two replicas elect a leader; kill -9 of the leader in the middle of an
// install: the other takes over, and the release ends deployed, neither
// lost nor stuck pending.
func TestLeaderElectionKill(t *testing.T) {
	ref := pushCharts(t)
	ns := testenv.NewNamespace(t)
	id := "leader"
	kubeconfig := installController(t, ns, "ctl-"+ns)
	args := []string{"--watch-label-selector", testLabel + "=" + id, "--leader-election-id", "ctl-" + id}
	a := startController(t, kubeconfig, ns, args...)
	b := startController(t, kubeconfig, ns, args...)
	kc := kclient(t)
	ctx := context.Background()

	leader := func() (*ctl, *ctl, string) {
		la, lb := a.metric(t, "leader_election_master_status"), b.metric(t, "leader_election_master_status")
		switch {
		case la == 1 && lb == 0:
			return a, b, ""
		case lb == 1 && la == 0:
			return b, a, ""
		}
		return nil, nil, fmt.Sprintf("leader_election_master_status a=%v b=%v", la, lb)
	}
	var lead, standby *ctl
	eventually(t, 30*time.Second, "one leader", func() (bool, string) {
		var why string
		lead, standby, why = leader()
		return lead != nil, why
	})

	// Slow pods (kwok's readiness delay is short): wait for the revision
	// to be pending, then kill the leader.
	rel := newRelease(ns, "web", id, ref+"/app", "0.1.0", "replicas: 3")
	if err := kc.Create(ctx, rel); err != nil {
		t.Fatal(err)
	}
	var atKill map[int]string
	eventually(t, 60*time.Second, "the install in progress", func() (bool, string) {
		atKill = revisions(t, ns, "web")
		return atKill[1] != "", fmt.Sprint(atKill)
	})
	_ = lead.cmd.Process.Signal(syscall.SIGKILL)
	t.Logf("killed the leader with revision 1 %s", atKill[1])
	<-lead.done
	killed := time.Now()
	eventually(t, 30*time.Second, "the standby leading", func() (bool, string) {
		v := standby.metric(t, "leader_election_master_status")
		return v == 1, fmt.Sprint(v)
	})
	t.Logf("standby took over %s after the kill", time.Since(killed).Round(100*time.Millisecond))
	r := waitReady(t, kc, ns, "web", 90*time.Second)
	revs := revisions(t, ns, "web")
	for v, st := range revs {
		if strings.HasPrefix(st, "pending") {
			t.Errorf("revision %d left %s: %v", v, st, revs)
		}
	}
	if revs[int(r.Status.Revision)] != "deployed" {
		t.Errorf("status revision %d, records %v", r.Status.Revision, revs)
	}
	// The new leader goes on reconciling: a spec change is applied.
	update(t, kc, ns, "web", func(r *v1alpha1.Release) { r.Spec.Values = jsonValues("message: after") })
	waitReady(t, kc, ns, "web", 60*time.Second)
	if cm := configMap(t, ns, "web-config"); cm.Data["message"] != "after" {
		t.Errorf("ConfigMap after the takeover: %v", cm.Data)
	}
}

// Two controllers with different label selectors split the Releases: each
// reconciles (and counts) only its shard's.
func TestShardsByLabel(t *testing.T) {
	ref := pushCharts(t)
	ns := testenv.NewNamespace(t)
	id := "shards"
	kubeconfig := installController(t, ns, "ctl-"+ns)
	shards := map[string]*ctl{}
	for _, s := range []string{"a", "b"} {
		shards[s] = startController(t, kubeconfig, ns, "--watch-label-selector", testLabel+"="+id+",shard="+s, "--leader-election-id", "ctl-"+id+"-"+s)
	}
	kc := kclient(t)
	ctx := context.Background()
	for _, name := range []string{"a1", "a2", "b1"} {
		r := newRelease(ns, name, id, ref+"/app", "0.1.0", "")
		r.Labels["shard"] = name[:1]
		if err := kc.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"a1", "a2", "b1"} {
		waitReady(t, kc, ns, name, 60*time.Second)
	}
	for s, want := range map[string]float64{"a": 2, "b": 1} {
		if n := shards[s].metric(t, "lade_releases", `condition="Ready"`, `status="True"`); n != want {
			t.Errorf("shard %s counts %v Ready releases, want %v", s, n, want)
		}
		// Each is the leader of its own shard.
		if n := shards[s].metric(t, "leader_election_master_status"); n != 1 {
			t.Errorf("shard %s leader_election_master_status = %v", s, n)
		}
	}
	logB, err := os.ReadFile(shards["b"].log)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(logB), `"name":"a1"`) || !strings.Contains(string(logB), `"name":"b1"`) {
		t.Errorf("shard b's log does not show exactly its own release:\n%s", tail(string(logB), 3000))
	}
}

// A reconcile of an unchanged Release within its interval renders nothing
// and costs at most 2 API requests (here: the Get of its one valuesFrom
// ConfigMap).
func TestNoopReconcileCost(t *testing.T) {
	ref := pushCharts(t)
	// No leader election: its renewals would be counted with the reconciles'.
	ns, id, ctl := setup(t, "--leader-elect=false")
	kc := kclient(t)
	ctx := context.Background()
	vals := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "vals"}, Data: map[string]string{"values.yaml": "message: x\n"}}
	if err := kc.Create(ctx, vals); err != nil {
		t.Fatal(err)
	}
	rel := newRelease(ns, "quiet", id, ref+"/app", "0.1.0", "")
	rel.Spec.Interval = &metav1.Duration{Duration: 10 * time.Minute}
	rel.Spec.ValuesFrom = []v1alpha1.ValuesReference{{Kind: "ConfigMap", Name: "vals"}}
	if err := kc.Create(ctx, rel); err != nil {
		t.Fatal(err)
	}
	waitReady(t, kc, ns, "quiet", 60*time.Second)
	time.Sleep(time.Second) // let the events of the install be sent
	requests := ctl.metric(t, "rest_client_requests_total")
	unchanged := ctl.metric(t, "lade_reconcile_results_total", `reason="Unchanged"`)
	ops := ctl.metric(t, "lade_release_operations_total")
	const pokes = 5
	for i := range pokes {
		// An annotation change starts a reconcile without changing the spec.
		update(t, kc, ns, "quiet", func(r *v1alpha1.Release) {
			if r.Annotations == nil {
				r.Annotations = map[string]string{}
			}
			r.Annotations["test/poke"] = fmt.Sprint(i)
		})
		want := unchanged + float64(i+1)
		eventually(t, 10*time.Second, "an Unchanged reconcile", func() (bool, string) {
			n := ctl.metric(t, "lade_reconcile_results_total", `reason="Unchanged"`)
			return n >= want, fmt.Sprint(n)
		})
	}
	if n := ctl.metric(t, "lade_release_operations_total") - ops; n != 0 {
		t.Errorf("%v release operations (chart, plan, upgrade, drift) during no-op reconciles, want 0", n)
	}
	n := ctl.metric(t, "rest_client_requests_total") - requests
	t.Logf("%d no-op reconciles made %v API requests", pokes, n)
	if n > 2*pokes || n < pokes {
		t.Errorf("%d no-op reconciles made %v API requests, want %d..%d (one Get of the values ConfigMap each)", pokes, n, pokes, 2*pokes)
	}
	if revs := revisions(t, ns, "quiet"); len(revs) != 1 {
		t.Errorf("revisions: %v", revs)
	}

	// A values source labelled lade.dev/watch=true is watched: its change
	// upgrades the release now, not at the interval (10m).
	if err := kc.Get(ctx, client.ObjectKeyFromObject(vals), vals); err != nil {
		t.Fatal(err)
	}
	vals.Labels = map[string]string{controller.WatchLabel: "true"}
	vals.Data["values.yaml"] = "message: watched\n"
	if err := kc.Update(ctx, vals); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the watched values change applied", func() (bool, string) {
		cm := configMap(t, ns, "quiet-config")
		return cm.Data["message"] == "watched", cm.Data["message"]
	})
	if revs := revisions(t, ns, "quiet"); len(revs) != 2 {
		t.Errorf("revisions after the watched change: %v", revs)
	}
}

// A Release naming a local chart path is refused (Stalled), never read.
func TestLocalChartRefused(t *testing.T) {
	ns, id, _ := setup(t)
	kc := kclient(t)
	rel := newRelease(ns, "local", id, "./testdata/app", "", "")
	if err := kc.Create(context.Background(), rel); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the local chart refused", func() (bool, string) {
		r := getRelease(t, kc, ns, "local")
		c := meta.FindStatusCondition(r.Status.Conditions, "Stalled")
		return c != nil && c.Status == metav1.ConditionTrue && c.Reason == "ChartRefused" &&
			strings.Contains(c.Message, "./testdata/app") && strings.Contains(c.Message, "local chart paths are not allowed"), conditions(r)
	})
	if revs := revisions(t, ns, "local"); len(revs) != 0 {
		t.Errorf("revisions: %v", revs)
	}
}

// spec.overlay.inline is applied to the render and recorded with the revision.
func TestInlineOverlay(t *testing.T) {
	ref := pushCharts(t)
	ns, id, _ := setup(t)
	kc := kclient(t)
	rel := newRelease(ns, "ov", id, ref+"/app", "0.1.0", "message: rendered")
	rel.Spec.Overlay = &v1alpha1.Overlay{Inline: jsonValues(`
patches:
- target: {kind: ConfigMap}
  patch: |
    - op: replace
      path: /data/message
      value: patched
`)}
	if err := kc.Create(context.Background(), rel); err != nil {
		t.Fatal(err)
	}
	waitReady(t, kc, ns, "ov", 60*time.Second)
	if cm := configMap(t, ns, "ov-config"); cm.Data["message"] != "patched" {
		t.Fatalf("ConfigMap message %q, want the overlay's", cm.Data["message"])
	}
	if out := lade(t, "get", "overlay", "ov", "-n", ns); !strings.Contains(out, "op: replace") {
		t.Errorf("lade get overlay:\n%s", out)
	}
	// Without the overlay, the next revision renders the chart as it is.
	update(t, kc, ns, "ov", func(r *v1alpha1.Release) { r.Spec.Overlay = nil })
	waitReady(t, kc, ns, "ov", 60*time.Second)
	if cm := configMap(t, ns, "ov-config"); cm.Data["message"] != "rendered" {
		t.Fatalf("after removing the overlay the message is %q", cm.Data["message"])
	}
	// An overlay kustomize would fetch from the network is refused.
	update(t, kc, ns, "ov", func(r *v1alpha1.Release) {
		r.Spec.Overlay = &v1alpha1.Overlay{Inline: jsonValues("resources: [https://example.com/base]")}
	})
	eventually(t, 30*time.Second, "the remote base refused", func() (bool, string) {
		r := getRelease(t, kc, ns, "ov")
		c := meta.FindStatusCondition(r.Status.Conditions, "Stalled")
		return c != nil && c.Reason == "InvalidOverlay" && strings.Contains(c.Message, "spec.overlay.inline"), conditions(r)
	})
}
