package release_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

func TestMain(m *testing.M) { testenv.Main(m, testenv.WithWorkloads()) }

type fixture struct {
	t   *testing.T
	ns  string
	cfg *release.Config
	out *bytes.Buffer
}

func setup(t *testing.T) *fixture {
	t.Helper()
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc, err := kube.New(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	out := &bytes.Buffer{}
	return &fixture{t: t, ns: ns, out: out, cfg: &release.Config{Kube: kc, Namespace: ns, Out: out, LeaseDuration: 3 * time.Second}}
}

func loadApp(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := chart.Load("../../testdata/charts/release/app")
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func (f *fixture) install(name string, vals map[string]any, o release.CommonOptions) (*release.Release, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return f.cfg.Install(ctx, release.InstallOptions{CommonOptions: o, Name: name, Chart: loadApp(f.t), Values: vals})
}

func (f *fixture) upgrade(name string, vals map[string]any, o release.CommonOptions) (*release.Release, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return f.cfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{CommonOptions: o, Name: name, Chart: loadApp(f.t), Values: vals}})
}

func (f *fixture) cm(name string) map[string]string {
	f.t.Helper()
	cm, err := f.cfg.Kube.Clientset.CoreV1().ConfigMaps(f.ns).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return cm.Data
}

func (f *fixture) statuses(name string) string {
	f.t.Helper()
	sums, err := f.cfg.Storage().Summaries(context.Background(), name)
	if err != nil {
		f.t.Fatal(err)
	}
	var s []string
	for _, sm := range sums {
		s = append(s, string(sm.Status))
	}
	return strings.Join(s, ",")
}

func TestInstallUpgradeRollbackUninstall(t *testing.T) {
	f := setup(t)
	r, err := f.install("rt", map[string]any{"extra": true, "keep": true}, release.CommonOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Info.Status != release.StatusDeployed || r.Version != 1 {
		t.Fatalf("install: %s v%d", r.Info.Status, r.Version)
	}
	cm, err := f.cfg.Kube.Clientset.CoreV1().ConfigMaps(f.ns).Get(context.Background(), "rt-cm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Labels[kube.ManagedByLabel] != "Helm" || cm.Annotations[kube.ReleaseNameAnnotation] != "rt" || cm.Annotations[kube.ReleaseNSAnnotation] != f.ns {
		t.Fatalf("ownership metadata missing: %v %v", cm.Labels, cm.Annotations)
	}
	managed := false
	for _, mf := range cm.ManagedFields {
		if mf.Manager == release.DefaultFieldManager && mf.Operation == metav1.ManagedFieldsOperationApply {
			managed = true
		}
	}
	if !managed {
		t.Fatalf("no server-side apply by field manager %s: %+v", release.DefaultFieldManager, cm.ManagedFields)
	}
	// Secret format.
	sec, err := f.cfg.Kube.Clientset.CoreV1().Secrets(f.ns).Get(context.Background(), "sh.helm.release.v1.rt.v1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sec.Type != "helm.sh/release.v1" || sec.Labels["owner"] != "helm" || sec.Labels["name"] != "rt" || sec.Labels["status"] != "deployed" || sec.Labels["version"] != "1" {
		t.Fatalf("secret: %s %v", sec.Type, sec.Labels)
	}
	if _, err := base64.StdEncoding.DecodeString(string(sec.Data["release"])); err != nil {
		t.Fatalf("payload is not base64: %v", err)
	}

	// Upgrade: extra and keep are no longer rendered; extra is pruned, kept stays.
	r, err = f.upgrade("rt", map[string]any{"data": "two"}, release.CommonOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 2 || f.cm("rt-cm")["value"] != "two" {
		t.Fatalf("upgrade: v%d %v", r.Version, f.cm("rt-cm"))
	}
	if f.cm("rt-extra") != nil {
		t.Fatal("rt-extra was not pruned")
	}
	if f.cm("rt-kept") == nil {
		t.Fatal("rt-kept (resource-policy keep) was deleted")
	}
	if got := f.statuses("rt"); got != "superseded,deployed" {
		t.Fatalf("statuses %s", got)
	}
	// Rollback to 1 brings extra back.
	ctx := context.Background()
	r, err = f.cfg.Rollback(ctx, release.RollbackOptions{Name: "rt", Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 3 || r.Info.Description != "Rollback to 1" || f.cm("rt-cm")["value"] != "one" || f.cm("rt-extra") == nil {
		t.Fatalf("rollback: v%d %q %v", r.Version, r.Info.Description, f.cm("rt-cm"))
	}
	if got := f.statuses("rt"); got != "superseded,superseded,deployed" {
		t.Fatalf("statuses %s", got)
	}
	// Test hooks: --filter !name=rt-smoke skips one, name=rt-smoke runs only it.
	r, err = f.cfg.Test(ctx, "rt", release.TestOptions{Timeout: 20 * time.Second, Exclude: []string{"rt-smoke"}})
	if err != nil {
		t.Fatal(err)
	}
	if f.cm("rt-test")["tested"] != "yes" || f.cm("rt-smoke") != nil {
		t.Fatalf("excluding rt-smoke: rt-test %v, rt-smoke %v", f.cm("rt-test"), f.cm("rt-smoke"))
	}
	for _, h := range r.Hooks {
		if ran := !h.LastRun.StartedAt.IsZero(); ran != (h.Name == "rt-test") {
			t.Errorf("hook %s: ran %v after excluding rt-smoke", h.Name, ran)
		}
	}
	if _, err := f.cfg.Test(ctx, "rt", release.TestOptions{Timeout: 20 * time.Second, Include: []string{"rt-smoke"}}); err != nil {
		t.Fatal(err)
	}
	if f.cm("rt-smoke")["smoked"] != "yes" {
		t.Fatal("the included test did not run")
	}
	// Uninstall with history.
	if _, err := f.cfg.Uninstall(ctx, release.UninstallOptions{Name: "rt", KeepHistory: true}); err != nil {
		t.Fatal(err)
	}
	if f.cm("rt-cm") != nil || f.cm("rt-kept") == nil {
		t.Fatal("uninstall deleted the wrong objects")
	}
	if got := f.statuses("rt"); got != "superseded,superseded,uninstalled" {
		t.Fatalf("statuses %s", got)
	}
	if _, err := f.cfg.Uninstall(ctx, release.UninstallOptions{Name: "rt"}); err != nil {
		t.Fatal(err)
	}
	if got := f.statuses("rt"); got != "" {
		t.Fatalf("history left: %s", got)
	}
	if _, err := f.cfg.Uninstall(ctx, release.UninstallOptions{Name: "rt", IgnoreNotFound: true}); err != nil {
		t.Fatal(err)
	}
}

func TestOwnershipAndHistoryMax(t *testing.T) {
	f := setup(t)
	if _, err := f.install("a", nil, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	// Release b renders a ConfigMap with a's name? Use the same release name in another
	// storage namespace-less way: create an unowned object first.
	_, err := f.cfg.Kube.Clientset.CoreV1().ConfigMaps(f.ns).Create(context.Background(), mkCM("b-cm"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.install("b", nil, release.CommonOptions{})
	if err == nil || !strings.Contains(err.Error(), "ConfigMap "+f.ns+"/b-cm exists and cannot be imported") || !strings.Contains(err.Error(), "--take-ownership") {
		t.Fatalf("want ownership error, got %v", err)
	}
	if _, err := f.install("b", nil, release.CommonOptions{TakeOwnership: true}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if _, err := f.upgrade("a", map[string]any{"data": i}, release.CommonOptions{HistoryMax: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.statuses("a"); got != "superseded,deployed" {
		t.Fatalf("history-max 2: %s", got)
	}
}

func TestCRDsHooksAndFailures(t *testing.T) {
	f := setup(t)
	r, err := f.install("h", map[string]any{"widget": true, "hook": true}, release.CommonOptions{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("%v\n%s", err, f.out)
	}
	if r.Hooks[0].LastRun.Phase != release.HookPhaseSucceeded && r.Hooks[1].LastRun.Phase != release.HookPhaseSucceeded {
		t.Fatalf("hooks: %+v", r.Hooks)
	}
	if f.cm("h-post")["ran"] != "yes" {
		t.Fatal("post-install hook did not run")
	}
	// A failing pre-upgrade Job fails the upgrade with the hook's name.
	_, err = f.upgrade("h", map[string]any{"widget": true, "hook": true, "hookFail": true}, release.CommonOptions{Timeout: 30 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "pre-upgrade hook h-hook failed") {
		t.Fatalf("want hook failure, got %v", err)
	}
	// It says what the Job's pod ended with.
	if !regexp.MustCompile(`\n    pod h-hook-\w+: container hook terminated: Error \(exit code 1\)`).MatchString(err.Error()) {
		t.Errorf("the hook failure does not say how its pod ended: %v", err)
	}
	if got := f.statuses("h"); got != "deployed,failed" {
		t.Fatalf("statuses %s", got)
	}
}

func TestWaitTimeoutAndAtomic(t *testing.T) {
	f := setup(t)
	start := time.Now()
	if _, err := f.install("w", map[string]any{"deploy": true}, release.CommonOptions{Wait: true, Timeout: 40 * time.Second}); err != nil {
		t.Fatalf("%v\n%s", err, f.out)
	}
	t.Logf("--wait install took %s", time.Since(start))
	if !strings.Contains(f.out.String(), "Deployment "+f.ns+"/w-web: Current") {
		t.Fatalf("no progress lines:\n%s", f.out)
	}
	_, err := f.upgrade("w", map[string]any{"deploy": true, "notReady": true, "data": "bad"}, release.CommonOptions{Wait: true, Timeout: 4 * time.Second, Atomic: true})
	var te *kube.TimeoutError
	if err == nil || !errors.As(err, &te) || !strings.Contains(err.Error(), "Deployment "+f.ns+"/w-web") || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("want timeout naming the deployment and a rollback, got %v", err)
	}
	if got := f.statuses("w"); got != "superseded,failed,deployed" {
		t.Fatalf("statuses %s", got)
	}
	if f.cm("w-cm")["value"] != "one" {
		t.Fatal("atomic did not restore the values")
	}
}

func TestConcurrentUpgrades(t *testing.T) {
	f := setup(t)
	if _, err := f.install("c", nil, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kc, _ := kube.New(testenv.Shared(t).Config())
			cfg := &release.Config{Kube: kc, Namespace: f.ns, LeaseDuration: 10 * time.Second}
			_, errs[i] = cfg.Upgrade(context.Background(), release.UpgradeOptions{InstallOptions: release.InstallOptions{
				Name: "c", Chart: loadApp(t), Values: map[string]any{"data": i}}})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, release.ErrLocked) || !strings.Contains(err.Error(), "held by") {
			t.Fatalf("loser error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("want exactly one winner: %v", errs)
	}
	if got := f.statuses("c"); got != "superseded,deployed" {
		t.Fatalf("statuses %s", got)
	}
}

func TestKilledUpgradeRecovers(t *testing.T) {
	f := setup(t)
	if _, err := f.install("k", nil, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	// Simulate a process killed mid-upgrade: a lease held by a holder that
	// stopped renewing, and a pending-upgrade revision it wrote.
	ctx := context.Background()
	dead := "otherhost/4242/dead"
	if _, err := release.Acquire(ctx, f.cfg.Kube.Clientset, f.ns, "k", dead, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	r1, _ := f.cfg.Storage().Get(ctx, "k", 1)
	r1.Version, r1.Holder = 2, dead
	r1.Info.Status = release.StatusPendingUpgrade
	if err := f.cfg.Storage().Create(ctx, r1); err != nil {
		t.Fatal(err)
	}
	// Note: the test's Acquire keeps renewing in the background like a live
	// process would; a fresh Lock from another holder is refused now.
	_, err := f.upgrade("k", nil, release.CommonOptions{})
	if !errors.Is(err, release.ErrLocked) || !strings.Contains(err.Error(), dead) {
		t.Fatalf("want refusal naming %s, got %v", dead, err)
	}
}

func TestStaleLeaseTakenOver(t *testing.T) {
	f := setup(t)
	if _, err := f.install("s", nil, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dead := "otherhost/4242/dead"
	l, err := release.Acquire(ctx, f.cfg.Kube.Clientset, f.ns, "s", dead, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r1, _ := f.cfg.Storage().Get(ctx, "s", 1)
	r1.Version, r1.Holder = 2, dead
	r1.Info.Status = release.StatusPendingUpgrade
	if err := f.cfg.Storage().Create(ctx, r1); err != nil {
		t.Fatal(err)
	}
	l.Abandon() // the process dies: no more renewals, lease not released
	time.Sleep(1500 * time.Millisecond)
	r, err := f.upgrade("s", map[string]any{"data": "after"}, release.CommonOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 3 || !strings.Contains(f.out.String(), "Took over the lease") {
		t.Fatalf("v%d out=%s", r.Version, f.out)
	}
	if got := f.statuses("s"); got != "superseded,failed,deployed" {
		t.Fatalf("statuses %s", got)
	}
	// A pending revision left by Helm (no lease holder) is reported with the command.
	r.Version, r.Holder = 4, ""
	r.Info.Status = release.StatusPendingUpgrade
	if err := f.cfg.Storage().Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	_, err = f.upgrade("s", nil, release.CommonOptions{})
	if err == nil || !strings.Contains(err.Error(), "lade upgrade s CHART --recover-pending") {
		t.Fatalf("want recovery command, got %v", err)
	}
	if _, err := f.upgrade("s", nil, release.CommonOptions{RecoverPending: true}); err != nil {
		t.Fatal(err)
	}
}

func TestLargeRelease(t *testing.T) {
	f := setup(t)
	// 2.4 MiB of incompressible values rendered into ConfigMaps... ConfigMaps
	// are limited to 1 MiB too, so the bulk rides in the chart's files.
	ch := loadApp(t)
	for i := range 3 {
		b := make([]byte, 1100*1024)
		_, _ = rand.Read(b)
		ch.Files = append(ch.Files, &chart.File{Name: "blobs/" + string(rune('a'+i)) + ".bin", Data: b})
	}
	ctx := context.Background()
	r, err := f.cfg.Install(ctx, release.InstallOptions{Name: "big", Chart: ch})
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := release.Encode(r)
	if len(payload) < 3*1024*1024 {
		t.Fatalf("record only %d bytes", len(payload))
	}
	got, err := f.cfg.Storage().Get(ctx, "big", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Chart.Files) != len(ch.Files) || !bytes.Equal(got.Chart.Files[len(ch.Files)-1].Data, ch.Files[len(ch.Files)-1].Data) || got.Info.Status != release.StatusDeployed {
		t.Fatalf("round trip lost data: %d files, %s", len(got.Chart.Files), got.Info.Status)
	}
	ch2 := loadApp(t)
	ch2.Files = ch.Files
	if _, err := f.cfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "big", Chart: ch2, Values: map[string]any{"data": "x"}}}); err != nil {
		t.Fatal(err)
	}
	if got := f.statuses("big"); got != "superseded,deployed" {
		t.Fatalf("statuses %s", got)
	}
	old, err := f.cfg.Storage().Get(ctx, "big", 1)
	if err != nil || old.Info.Status != release.StatusSuperseded || len(old.Chart.Files) != len(ch.Files) {
		t.Fatalf("v1 after supersede: %v", err)
	}
	if _, err := f.cfg.Rollback(ctx, release.RollbackOptions{Name: "big"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cfg.Uninstall(ctx, release.UninstallOptions{Name: "big"}); err != nil {
		t.Fatal(err)
	}
	list, _ := f.cfg.Kube.Clientset.CoreV1().Secrets(f.ns).List(ctx, metav1.ListOptions{})
	for _, s := range list.Items {
		if strings.HasPrefix(s.Name, "sh.helm.release.v1.big") {
			t.Fatalf("left behind: %s", s.Name)
		}
	}
}

func mkCM(name string) *corev1ConfigMap { return newCM(name) }

// TestMissingReleaseIsErrNotFound: every operation on a release that does
// not exist fails with an error a caller matches with errors.Is(err,
// release.ErrNotFound), its text unchanged.
func TestMissingReleaseIsErrNotFound(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	inNS := `release: not found: "nope" in namespace "` + f.ns + `"`
	_, err := f.cfg.Rollback(ctx, release.RollbackOptions{Name: "nope"})
	check := func(op string, err error, want string) {
		t.Helper()
		if !errors.Is(err, release.ErrNotFound) || err.Error() != want {
			t.Errorf("%s: error %v (ErrNotFound: %t), want %q", op, err, errors.Is(err, release.ErrNotFound), want)
		}
	}
	check("rollback", err, inNS)
	_, err = f.cfg.PlanRollback(ctx, release.RollbackOptions{Name: "nope"})
	check("plan rollback", err, inNS)
	_, err = f.cfg.Uninstall(ctx, release.UninstallOptions{Name: "nope"})
	check("uninstall", err, "uninstall: Release not loaded: nope: release: not found")
	_, err = f.cfg.Storage().Get(ctx, "nope", 1)
	check("get revision", err, `release: not found: release "nope" revision 1 in namespace "`+f.ns+`"`)
}
