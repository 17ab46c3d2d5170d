package release_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

// lease returns the release's Lease, nil when there is none.
func (f *fixture) lease(name string) *coordv1.Lease {
	f.t.Helper()
	l, err := f.cfg.Kube.Clientset.CoordinationV1().Leases(f.ns).Get(context.Background(), release.LeaseName(name), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

func (f *fixture) noLease(name, after string) {
	f.t.Helper()
	if l := f.lease(name); l != nil {
		h := "<nil>"
		if l.Spec.HolderIdentity != nil {
			h = *l.Spec.HolderIdentity
		}
		f.t.Fatalf("after %s the Lease %s is left behind (holder %q)", after, l.Name, h)
	}
}

// Every operation deletes its Lease when it ends, whether it succeeded or failed.
func TestLeaseDeletedAfterOperations(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, err := f.install("d", nil, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	f.noLease("d", "install")
	if _, err := f.upgrade("d", map[string]any{"data": "two"}, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	f.noLease("d", "upgrade")
	if _, err := f.cfg.Rollback(ctx, release.RollbackOptions{Name: "d"}); err != nil {
		t.Fatal(err)
	}
	f.noLease("d", "rollback")
	if _, err := f.cfg.Test(ctx, "d", release.TestOptions{Timeout: 20 * time.Second}); err != nil {
		t.Fatal(err)
	}
	f.noLease("d", "test")
	// A failed operation (an object owned by nobody) releases its Lease too.
	if _, err := f.cfg.Kube.Clientset.CoreV1().ConfigMaps(f.ns).Create(ctx, mkCM("d-extra"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.upgrade("d", map[string]any{"extra": true}, release.CommonOptions{}); err == nil {
		t.Fatal("upgrade over an unowned object succeeded")
	}
	f.noLease("d", "a failed upgrade")
	if _, err := f.cfg.Uninstall(ctx, release.UninstallOptions{Name: "d", KeepHistory: true}); err != nil {
		t.Fatal(err)
	}
	f.noLease("d", "uninstall --keep-history")
	// Release deletes only its own Lease: one that another holder took over stays.
	l, err := release.Acquire(ctx, f.cfg.Kube.Clientset, f.ns, "d", "me/1/a", 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cur := f.lease("d")
	other := "other/2/b"
	cur.Spec.HolderIdentity = &other
	if _, err := f.cfg.Kube.Clientset.CoordinationV1().Leases(f.ns).Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	l.Release()
	if got := f.lease("d"); got == nil || *got.Spec.HolderIdentity != other {
		t.Fatalf("Release deleted or changed another holder's Lease: %+v", got)
	}
}

// `lade test` takes the lease: it is refused while another operation holds it.
func TestTestTakesLock(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, err := f.install("t", nil, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	busy := "busyhost/77/c0ffee"
	l, err := release.Acquire(ctx, f.cfg.Kube.Clientset, f.ns, "t", busy, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.cfg.Test(ctx, "t", release.TestOptions{Timeout: 10 * time.Second})
	if !errors.Is(err, release.ErrLocked) || !strings.Contains(err.Error(), busy) {
		t.Fatalf("want ErrLocked naming %s, got %v", busy, err)
	}
	if f.cm("t-test") != nil {
		t.Fatal("the test hook ran without the lease")
	}
	l.Release()
	if _, err := f.cfg.Test(ctx, "t", release.TestOptions{Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if f.cm("t-test")["tested"] != "yes" {
		t.Fatal("test hook did not run")
	}
}

// startSlowUpgrade starts an upgrade that waits for a Deployment that never
// becomes ready, and returns once its pending revision is stored.
func (f *fixture) startSlowUpgrade(cfg *release.Config, name string, atomic bool) <-chan error {
	f.t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := cfg.Upgrade(context.Background(), release.UpgradeOptions{InstallOptions: release.InstallOptions{
			CommonOptions: release.CommonOptions{Wait: true, Timeout: 90 * time.Second, Atomic: atomic},
			Name:          name, Chart: loadApp(f.t), Values: map[string]any{"deploy": true, "notReady": true, "data": "slow"},
		}})
		done <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for f.statuses(name) != "deployed,pending-upgrade" {
		if time.Now().After(deadline) {
			f.t.Fatalf("the upgrade did not start: %s", f.statuses(name))
		}
		select {
		case err := <-done:
			f.t.Fatalf("the upgrade ended early: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return done
}

func waitErr(t *testing.T, done <-chan error, within time.Duration) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(within):
		t.Fatalf("the operation went on for %s after losing its lease", within)
		return nil
	}
}

// Another holder takes the lease during a long upgrade: the upgrade stops
// with ErrLeaseLost, records nothing and undoes nothing (even with --atomic),
// and leaves the Lease to the new holder.
func TestLeaseTakenOverAbortsUpgrade(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, err := f.install("lt", nil, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	done := f.startSlowUpgrade(f.cfg, "lt", true)
	intruder := "intruder/9/beef"
	cur := f.lease("lt")
	now := metav1.NewMicroTime(time.Now())
	cur.Spec.HolderIdentity, cur.Spec.RenewTime = &intruder, &now
	if _, err := f.cfg.Kube.Clientset.CoordinationV1().Leases(f.ns).Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := waitErr(t, done, 10*time.Second)
	if !errors.Is(err, release.ErrLeaseLost) || !strings.Contains(err.Error(), "now held by "+intruder) {
		t.Fatalf("want ErrLeaseLost naming %s, got %v", intruder, err)
	}
	t.Logf("stopped %s after the takeover: %v", time.Since(start).Round(10*time.Millisecond), err)
	if got := f.statuses("lt"); got != "deployed,pending-upgrade" {
		t.Fatalf("the upgrade wrote after losing its lease: %s", got)
	}
	if strings.Contains(f.out.String(), "rolling back") {
		t.Fatalf("--atomic rolled back without the lease:\n%s", f.out)
	}
	if l := f.lease("lt"); l == nil || *l.Spec.HolderIdentity != intruder {
		t.Fatal("the new holder's Lease was removed")
	}
	// The intruder finishes (deletes its Lease); the next upgrade marks the
	// abandoned revision failed and proceeds.
	if err := f.cfg.Kube.Clientset.CoordinationV1().Leases(f.ns).Delete(ctx, release.LeaseName("lt"), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.upgrade("lt", map[string]any{"data": "after"}, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := f.statuses("lt"); got != "superseded,failed,deployed" {
		t.Fatalf("statuses %s", got)
	}
	f.noLease("lt", "the recovering upgrade")
}

// Renewals that keep failing stop the operation before its lease expires.
func TestLeaseRenewFailureAbortsUpgrade(t *testing.T) {
	f := setup(t)
	if _, err := f.install("rf", nil, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	var broken atomic.Bool
	rc := testenv.Shared(t).Config()
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if broken.Load() && req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/leases/") {
				return nil, errors.New("injected: apiserver unreachable")
			}
			return rt.RoundTrip(req)
		})
	})
	kc, err := kube.New(rc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &release.Config{Kube: kc, Namespace: f.ns, Out: f.out, LeaseDuration: 3 * time.Second}
	done := f.startSlowUpgrade(cfg, "rf", false)
	broken.Store(true)
	start := time.Now()
	err = waitErr(t, done, 10*time.Second)
	if !errors.Is(err, release.ErrLeaseLost) || !strings.Contains(err.Error(), "could not renew") || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("want ErrLeaseLost after failed renewals, got %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("stopped %s after renewals started failing, after the 3s lease expired", d)
	}
	if got := f.statuses("rf"); got != "deployed,pending-upgrade" {
		t.Fatalf("the upgrade wrote after losing its lease: %s", got)
	}
	// Once the stale lease expires, the next upgrade takes it over and recovers.
	time.Sleep(1500 * time.Millisecond)
	if _, err := f.upgrade("rf", nil, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := f.statuses("rf"); got != "superseded,failed,deployed" {
		t.Fatalf("statuses %s", got)
	}
	if !strings.Contains(f.out.String(), "Took over the lease") {
		t.Fatalf("no takeover reported:\n%s", f.out)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
