package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/api/v1alpha1"
)

// TestBenchReleases is `make bench-controller` (docs/benchmarks.md):
// LADE_BENCH_RELEASES Releases of a 5-object chart from the test registry,
// one controller (--concurrent 8, under its chart's RBAC): the time until
// all are Ready, the controller's CPU-seconds and peak RSS, then the cost
// of a no-op reconcile of each, of one drift-check interval, and how soon
// a hand edit is corrected after its drift check. Skipped unless
// LADE_BENCH_RELEASES is set.
func TestBenchReleases(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("LADE_BENCH_RELEASES"))
	if n <= 0 {
		t.Skip("set LADE_BENCH_RELEASES=N to run the controller benchmark")
	}
	ref := pushCharts(t)
	// No leader election: its renewals would be counted with the reconciles'.
	ns, id, c := setup(t, "--concurrent", "8", "--leader-elect=false", "--zap-log-level", "info")
	kc := kclient(t)
	ctx := context.Background()
	// Longer than the whole run: the test makes the drift checks due itself.
	const interval = time.Hour
	pid := c.cmd.Process.Pid

	cpu0 := cpuSeconds(t, pid)
	start := time.Now()
	parallelDo(n, 16, func(i int) {
		r := newRelease(ns, fmt.Sprintf("r%04d", i), id, ref+"/bench", "0.1.0", "")
		r.Spec.Interval = &metav1.Duration{Duration: interval}
		if err := kc.Create(ctx, r); err != nil {
			t.Error(err)
		}
	})
	waitAll(t, kc, ns, n, 30*time.Minute, func(r *v1alpha1.Release) bool {
		c := meta.FindStatusCondition(r.Status.Conditions, "Ready")
		return c != nil && c.Status == metav1.ConditionTrue
	})
	allReady := time.Since(start)
	cpuReady := cpuSeconds(t, pid) - cpu0
	t.Logf("%d releases Ready in %s; controller CPU %.1f s; peak RSS %d MiB", n, allReady.Round(time.Second), cpuReady, peakRSS(t, pid)>>20)

	// No-op reconciles: an annotation change of each Release.
	time.Sleep(2 * time.Second)
	req0, cpu1 := c.metric(t, "rest_client_requests_total"), cpuSeconds(t, pid)
	ops0 := c.metric(t, "lade_release_operations_total")
	unchanged0 := c.metric(t, "lade_reconcile_results_total", `reason="Unchanged"`)
	parallelDo(n, 16, func(i int) {
		update(t, kc, ns, fmt.Sprintf("r%04d", i), func(r *v1alpha1.Release) {
			r.Annotations = map[string]string{"bench/poke": "1"}
		})
	})
	eventually(t, 5*time.Minute, "a no-op reconcile of each release", func() (bool, string) {
		u := c.metric(t, "lade_reconcile_results_total", `reason="Unchanged"`) - unchanged0
		return u >= float64(n), fmt.Sprint(u)
	})
	noopReq := (c.metric(t, "rest_client_requests_total") - req0) / float64(n)
	noopCPU := (cpuSeconds(t, pid) - cpu1) / float64(n)
	noopOps := c.metric(t, "lade_release_operations_total") - ops0
	t.Logf("no-op reconcile: %.2f API requests and %.2f ms CPU per release; %v release operations (renders, dry-runs)", noopReq, noopCPU*1000, noopOps)
	if noopOps != 0 || noopReq > 2 {
		t.Errorf("a no-op reconcile cost %v operations and %.2f API requests per release", noopOps, noopReq)
	}

	// One interval: every release's drift check, made due by moving the
	// last check back an interval (a status write starts no reconcile),
	// then started by an annotation change.
	due := func(i int, poke string) {
		name := fmt.Sprintf("r%04d", i)
		for {
			r := getRelease(t, kc, ns, name)
			r.Status.Drift.CheckedAt = metav1.NewTime(r.Status.Drift.CheckedAt.Add(-interval))
			err := kc.Status().Update(ctx, r)
			if err == nil {
				break
			}
			if !apierrors.IsConflict(err) {
				t.Fatal(err)
			}
		}
		update(t, kc, ns, name, func(r *v1alpha1.Release) { r.Annotations = map[string]string{"bench/poke": poke} })
	}
	mark := metav1.Now()
	req1, cpu2 := c.metric(t, "rest_client_requests_total"), cpuSeconds(t, pid)
	ops1 := c.metric(t, "lade_release_operations_total")
	parallelDo(n, 16, func(i int) { due(i, "2") })
	waitAll(t, kc, ns, n, 30*time.Minute, func(r *v1alpha1.Release) bool {
		return r.Status.Drift != nil && !r.Status.Drift.CheckedAt.Before(&mark)
	})
	driftReq := (c.metric(t, "rest_client_requests_total") - req1) / float64(n)
	driftCPU := (cpuSeconds(t, pid) - cpu2) / float64(n)
	t.Logf("one drift-check interval: %.1f API requests and %.1f ms CPU per release; %v release operations (chart resolutions + drift checks)",
		driftReq, driftCPU*1000, c.metric(t, "lade_release_operations_total")-ops1)

	// A hand edit, corrected by the next drift check of its release.
	cs := testenv.Shared(t).Clientset()
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "r0000-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["message"] = "edited"
	if _, err := cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	due(0, "3")
	eventually(t, 5*time.Minute, "the hand edit corrected", func() (bool, string) {
		cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "r0000-config", metav1.GetOptions{})
		return err == nil && cm.Data["message"] == "hello", fmt.Sprint(err)
	})
	fixed := time.Now()
	r := getRelease(t, kc, ns, "r0000")
	t.Logf("hand edit corrected %s after the drift check that found it started", fixed.Sub(r.Status.Drift.CheckedAt.Time).Round(10*time.Millisecond))
	t.Logf("controller total CPU %.1f s, peak RSS %d MiB", cpuSeconds(t, pid)-cpu0, peakRSS(t, pid)>>20)
}

// waitAll waits until n Releases of ns satisfy ok, logging progress.
func waitAll(t *testing.T, kc client.Client, ns string, n int, timeout time.Duration, ok func(*v1alpha1.Release) bool) {
	t.Helper()
	last := time.Now()
	eventually(t, timeout, fmt.Sprintf("%d releases", n), func() (bool, string) {
		var l v1alpha1.ReleaseList
		if err := kc.List(context.Background(), &l, client.InNamespace(ns)); err != nil {
			return false, err.Error()
		}
		done := 0
		for i := range l.Items {
			if ok(&l.Items[i]) {
				done++
			}
		}
		if time.Since(last) > 30*time.Second {
			t.Logf("%d/%d", done, n)
			last = time.Now()
		}
		return done == n, fmt.Sprintf("%d/%d", done, n)
	})
}

func parallelDo(n, workers int, f func(i int)) {
	var wg sync.WaitGroup
	ch := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				f(i)
			}
		}()
	}
	for i := range n {
		ch <- i
	}
	close(ch)
	wg.Wait()
}

// cpuSeconds is the user+system CPU time of pid (Linux /proc).
func cpuSeconds(t *testing.T, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name in parentheses; utime and stime are 14 and 15.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

// peakRSS is VmHWM of pid in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
