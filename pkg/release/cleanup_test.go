package release_test

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/pkg/release"
)

// --cleanup-on-fail: a failed upgrade (and rollback) deletes the objects it
// created and keeps those that existed before it, including an unowned
// object it adopted.
func TestCleanupOnFail(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, err := f.install("co", nil, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cfg.Kube.Clientset.CoreV1().ConfigMaps(f.ns).Create(ctx, mkCM("co-extra"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deployment := func() bool {
		_, err := f.cfg.Kube.Clientset.AppsV1().Deployments(f.ns).Get(ctx, "co-web", metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		return err == nil
	}
	bad := map[string]any{"data": "two", "extra": true, "deploy": true, "notReady": true}
	o := release.CommonOptions{Wait: true, Timeout: 4 * time.Second, CleanupOnFail: true, TakeOwnership: true}
	if _, err := f.upgrade("co", bad, o); err == nil {
		t.Fatal("upgrade with a Deployment that never becomes ready succeeded")
	}
	if deployment() {
		t.Fatalf("the Deployment the failed upgrade created is still there\n%s", f.out)
	}
	if f.cm("co-extra") == nil || f.cm("co-cm")["value"] != "two" {
		t.Fatalf("objects that existed before the upgrade were deleted: extra %v cm %v", f.cm("co-extra"), f.cm("co-cm"))
	}
	_, out, _ := strings.Cut(f.out.String(), "(--cleanup-on-fail):")
	if !strings.Contains(out, "Deployment "+f.ns+"/co-web") || strings.Contains(out, "co-extra") || strings.Contains(out, "co-cm") {
		t.Fatalf("want only the Deployment reported deleted:\n%s", out)
	}
	if got := f.statuses("co"); got != "deployed,failed" {
		t.Fatalf("statuses %s", got)
	}
	// A rollback to the failed revision creates the Deployment again and
	// fails the same way: it is deleted again.
	f.out.Reset()
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := f.cfg.Rollback(rctx, release.RollbackOptions{Name: "co", Version: 2, CommonOptions: o}); err == nil {
		t.Fatal("rollback to a Deployment that never becomes ready succeeded")
	}
	if _, out, _ := strings.Cut(f.out.String(), "(--cleanup-on-fail):"); deployment() || !strings.Contains(out, "Deployment "+f.ns+"/co-web") {
		t.Fatalf("the failed rollback left the Deployment it created\n%s", f.out)
	}
	if f.cm("co-extra") == nil || f.cm("co-cm") == nil {
		t.Fatal("the failed rollback deleted objects that existed before it")
	}
	// Without the option the created Deployment stays (Helm's default).
	o.CleanupOnFail = false
	if _, err := f.upgrade("co", bad, o); err == nil {
		t.Fatal("upgrade succeeded")
	}
	if !deployment() {
		t.Fatal("a failed upgrade without --cleanup-on-fail deleted its Deployment")
	}
}
