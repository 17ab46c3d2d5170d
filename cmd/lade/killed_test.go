package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/release"
)

// buildLade builds the lade binary into the test's temporary directory.
func buildLade(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lade")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runBin runs the lade binary and returns its exit status, stdout and stderr.
func runBin(t *testing.T, bin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run lade %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return result{code, out.String(), errb.String()}
}

func mustBin(t *testing.T, bin string, args ...string) result {
	t.Helper()
	r := runBin(t, bin, args...)
	if r.code != 0 {
		t.Fatalf("lade %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// A real lade process is killed with SIGKILL while `lade upgrade --wait`
// waits; the next `lade upgrade` recovers without manual edits.
func TestKilledUpgradeProcessRecovers(t *testing.T) {
	bin := buildLade(t)
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	chartDir := "../../testdata/charts/release/app"
	cs := env.Clientset()
	ctx := context.Background()

	mustBin(t, bin, append([]string{"install", "web", chartDir, "--set", "data=one"}, kc...)...)

	// The control plane of this package runs no controllers: the Deployment
	// never becomes ready and `--wait` keeps the upgrade busy until killed.
	cmd := exec.Command(bin, append([]string{"upgrade", "web", chartDir, "--set", "deploy=true,data=two", "--wait", "--timeout", "5m"}, kc...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		sec, serr := cs.CoreV1().Secrets(ns).Get(ctx, release.SecretName("web", 2), metav1.GetOptions{})
		lease, lerr := cs.CoordinationV1().Leases(ns).Get(ctx, release.LeaseName("web"), metav1.GetOptions{})
		if serr == nil && lerr == nil && sec.Labels["status"] == "pending-upgrade" && lease.Spec.HolderIdentity != nil &&
			strings.Contains(*lease.Spec.HolderIdentity, fmt.Sprintf("/%d/", pid)) && strings.Contains(out.String(), "Deployment "+ns+"/web-web") {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("lade upgrade ended before it was killed: %v\n%s", err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("lade upgrade never got to waiting:\n%s", out.String())
		}
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred cleanup runs
		t.Fatal(err)
	}
	<-exited
	t.Logf("killed lade upgrade (pid %d) while it waited:\n%s", pid, out.String())

	// What the killed process left: its Lease (holder pid, not renewed any
	// more) and a pending-upgrade revision. history and list show it plainly.
	lease, err := cs.CoordinationV1().Leases(ns).Get(ctx, release.LeaseName("web"), metav1.GetOptions{})
	if err != nil || !strings.Contains(*lease.Spec.HolderIdentity, fmt.Sprintf("/%d/", pid)) {
		t.Fatalf("the killed process's Lease: %v %+v", err, lease)
	}
	hist := historyOf(t, bin, kc)
	if len(hist) != 2 || hist[0].Status != "deployed" || hist[1].Status != "pending-upgrade" {
		t.Fatalf("history after the kill: %+v", hist)
	}
	if r := mustBin(t, bin, append([]string{"list", "--pending", "-q"}, kc...)...); strings.TrimSpace(r.stdout) != "web" {
		t.Fatalf("list --pending after the kill:\n%s", r.stdout)
	}

	// The next upgrade takes the stale lease over at once (its holder's
	// process is gone), marks revision 2 failed and deploys revision 3.
	start := time.Now()
	r := mustBin(t, bin, append([]string{"upgrade", "web", chartDir, "--set", "data=three"}, kc...)...)
	t.Logf("recovering upgrade took %s:\n%s%s", time.Since(start).Round(time.Millisecond), r.stdout, r.stderr)
	for _, want := range []string{"Took over the lease of release \"web\"", "Revision 2 of release \"web\" was left pending-upgrade", "marked it failed"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Fatalf("recovering upgrade does not say %q:\n%s%s", want, r.stdout, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, `Release "web" has been upgraded`) || !strings.Contains(r.stdout, "REVISION: 3") {
		t.Fatalf("recovering upgrade:\n%s", r.stdout)
	}
	hist = historyOf(t, bin, kc)
	if len(hist) != 3 || hist[0].Status != "superseded" || hist[1].Status != "failed" || hist[2].Status != "deployed" {
		t.Fatalf("history after recovery: %+v", hist)
	}
	if !strings.Contains(hist[1].Description, "Interrupted: the upgrade by") || !strings.Contains(hist[1].Description, fmt.Sprintf("/%d/", pid)) {
		t.Fatalf("revision 2's description does not tell what happened: %q", hist[1].Description)
	}
	var rows []map[string]string
	r = mustBin(t, bin, append([]string{"list", "-a", "-o", "json"}, kc...)...)
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 1 || rows[0]["status"] != "deployed" || rows[0]["revision"] != "3" {
		t.Fatalf("list after recovery: %v %s", err, r.stdout)
	}
	if r = mustBin(t, bin, append([]string{"list", "--pending", "-q"}, kc...)...); strings.TrimSpace(r.stdout) != "" {
		t.Fatalf("still pending after recovery:\n%s", r.stdout)
	}
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "web-cm", metav1.GetOptions{})
	if err != nil || cm.Data["value"] != "three" {
		t.Fatalf("web-cm after recovery: %v %v", err, cm.Data)
	}
	if _, err := cs.CoordinationV1().Leases(ns).Get(ctx, release.LeaseName("web"), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the recovering upgrade left its Lease: %v", err)
	}
	// Earlier revisions are intact and still readable; rollback to 1 works.
	if r = mustBin(t, bin, append([]string{"get", "values", "web", "--revision", "1", "-o", "json"}, kc...)...); !strings.Contains(r.stdout, `"data":"one"`) {
		t.Fatalf("revision 1 values: %s", r.stdout)
	}
	mustBin(t, bin, append([]string{"rollback", "web", "1"}, kc...)...)
	if hist = historyOf(t, bin, kc); len(hist) != 4 || hist[3].Status != "deployed" || hist[3].Description != "Rollback to 1" {
		t.Fatalf("history after rollback: %+v", hist)
	}
}

func historyOf(t *testing.T, bin string, kc []string) []historyRow {
	t.Helper()
	r := mustBin(t, bin, append([]string{"history", "web", "-o", "json"}, kc...)...)
	var h []historyRow
	if err := json.Unmarshal([]byte(r.stdout), &h); err != nil {
		t.Fatalf("history: %v\n%s", err, r.stdout)
	}
	return h
}
