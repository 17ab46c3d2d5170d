package release_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

// BenchmarkReleases compares whole lade and Helm processes on one test
// cluster (5 kwok nodes) and one chart: the 200-object umbrella of
// gen-umbrella --subcharts 40 --templates 3 (40 ConfigMaps, 40 Services, 120
// Deployments with 240 pods). It measures install, --wait install (and how
// long after the last Deployment became ready each tool returned), no-op
// upgrade, and list over 1,000 revisions (100 releases x 10) with the bytes
// received, counted by a TCP proxy in front of the apiserver for both
// processes and by a rest.Config WrapTransport for lade's in-process list.
//
// It is heavy (a few minutes), so it runs only with LADE_BENCH_RELEASE=1:
// scripts/bench-release.sh sets it, with HELM=/path/to/helm (v4.3.1) for
// the comparison and LADE_BIN for the lade binary (built when unset).
func BenchmarkReleases(b *testing.B) {
	if os.Getenv("LADE_BENCH_RELEASE") != "1" {
		b.Skip("set LADE_BENCH_RELEASE=1 (scripts/bench-release.sh) to run the release benchmarks")
	}
	bc := newBenchCluster(b)
	runs := 3
	if n, err := strconv.Atoi(os.Getenv("RUNS")); err == nil && n > 0 {
		runs = n
	}
	for b.Loop() {
		bc.compare("install", runs, func(t *benchTool, i int) time.Duration {
			ns := bc.namespace(fmt.Sprintf("inst-%s-%d", t.name, i))
			d, _ := t.run(b, "install", "u", bc.chart, "-n", ns)
			t.run(b, "uninstall", "u", "-n", ns)
			bc.waitNoPods(ns)
			return d
		})
		for _, t := range bc.tools {
			ns := bc.namespace("wait-" + t.name)
			ready := bc.watchReady(ns, 120)
			d, end := t.run(b, "install", "u", bc.chart, "-n", ns, "--wait", "--timeout", "10m")
			last, n := ready()
			bc.report(fmt.Sprintf("install --wait %-5s %8.2fs, returned %.2fs after the last of %d Deployments was seen ready (kstatus Current, by a watch)",
				t.name, d.Seconds(), end.Sub(last).Seconds(), n))
			b.ReportMetric(end.Sub(last).Seconds(), t.name+"-wait-lag-s")
			med := bc.median(t, "upgrade (no-op)", runs, func(int) time.Duration {
				d, _ := t.run(b, "upgrade", "u", bc.chart, "-n", ns)
				return d
			})
			b.ReportMetric(med.Seconds(), t.name+"-noop-upgrade-s")
			t.run(b, "uninstall", "u", "-n", ns)
			bc.waitNoPods(ns)
		}
		bc.listBench(runs)
	}
}

type benchTool struct {
	name string
	bin  string
	env  []string
	// cpu is the user+system time of the last run.
	cpu time.Duration
}

func (t *benchTool) run(b *testing.B, args ...string) (time.Duration, time.Time) {
	b.Helper()
	cmd := exec.Command(t.bin, args...)
	cmd.Env = append(os.Environ(), t.env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	end := time.Now()
	if err != nil {
		b.Fatalf("%s %s: %v\n%s", t.name, strings.Join(args, " "), err, out.String())
	}
	if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		t.cpu = time.Duration(u.Utime.Nano() + u.Stime.Nano())
	}
	return end.Sub(start), end
}

type benchCluster struct {
	b     *testing.B
	env   *testenv.Env
	cs    kubernetes.Interface
	chart string
	tools []*benchTool
	// proxied is a kubeconfig whose server is the byte-counting proxy.
	proxied string
	rx      atomic.Int64
}

func newBenchCluster(b *testing.B) *benchCluster {
	env := testenv.StartT(b, testenv.WithNodes(5))
	bc := &benchCluster{b: b, env: env, cs: env.Clientset()}
	dir := b.TempDir()
	shared := os.Getenv("SHARED")
	if shared == "" {
		shared = "../../../shared"
	}
	bc.chart = filepath.Join(dir, "umbrella")
	if out, err := exec.Command(filepath.Join(shared, "bench", "gen-umbrella"), bc.chart, "--subcharts", "40", "--templates", "3").CombinedOutput(); err != nil {
		b.Fatalf("gen-umbrella: %v\n%s", err, out)
	}
	lade := os.Getenv("LADE_BIN")
	if lade == "" {
		lade = filepath.Join(dir, "lade")
		if out, err := exec.Command("go", "build", "-o", lade, "../../cmd/lade").CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
	}
	bc.proxied = bc.startProxy()
	bc.tools = []*benchTool{{name: "lade", bin: lade, env: []string{"KUBECONFIG=" + env.KubeconfigPath}}}
	if helm := os.Getenv("HELM"); helm != "" {
		bc.tools = append(bc.tools, &benchTool{name: "helm", bin: helm, env: []string{
			"KUBECONFIG=" + env.KubeconfigPath, "HELM_CACHE_HOME=" + filepath.Join(dir, "hc"),
			"HELM_CONFIG_HOME=" + filepath.Join(dir, "hcfg"), "HELM_DATA_HOME=" + filepath.Join(dir, "hd"),
		}})
	} else {
		bc.report("no HELM=/path/to/helm given: timing lade alone")
	}
	return bc
}

func (bc *benchCluster) report(line string) {
	fmt.Println(line)
}

func (bc *benchCluster) namespace(name string) string {
	_, err := bc.cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		bc.b.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := bc.cs.CoreV1().ServiceAccounts(name).Get(context.Background(), "default", metav1.GetOptions{}); err == nil {
			return name
		}
		time.Sleep(100 * time.Millisecond)
	}
	bc.b.Fatalf("namespace %s has no default ServiceAccount", name)
	return ""
}

// waitNoPods waits until the namespace's pods are gone (the nodes' capacity
// is needed by the next install).
func (bc *benchCluster) waitNoPods(ns string) {
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		l, err := bc.cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
		if err == nil && len(l.Items) == 0 {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	bc.b.Fatalf("pods of %s were not deleted", ns)
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// median runs f runs times for one tool and reports the median wall time and
// the CPU time of the median run.
func (bc *benchCluster) median(t *benchTool, what string, runs int, f func(i int) time.Duration) time.Duration {
	var ds []time.Duration
	var cpus []time.Duration
	for i := range runs {
		ds = append(ds, f(i))
		cpus = append(cpus, t.cpu)
	}
	m := median(ds)
	bc.report(fmt.Sprintf("%-16s %-5s median %7.3fs  min %7.3fs  cpu %6.2fs  (%d runs)", what, t.name, m.Seconds(), minDur(ds).Seconds(), median(cpus).Seconds(), runs))
	return m
}

func minDur(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = min(m, d)
	}
	return m
}

func (bc *benchCluster) compare(what string, runs int, f func(t *benchTool, i int) time.Duration) {
	var meds []time.Duration
	for _, t := range bc.tools {
		m := bc.median(t, what, runs, func(i int) time.Duration { return f(t, i) })
		bc.b.ReportMetric(m.Seconds(), t.name+"-"+strings.ReplaceAll(what, " ", "-")+"-s")
		meds = append(meds, m)
	}
	if len(meds) == 2 {
		bc.report(fmt.Sprintf("%-16s lade is %.1fx faster than helm", what, meds[1].Seconds()/meds[0].Seconds()))
	}
}

// watchReady watches the namespace's Deployments and returns a function that
// reports when the last of them first became kstatus Current, and how many.
func (bc *benchCluster) watchReady(ns string, want int) func() (time.Time, int) {
	ctx, cancel := context.WithCancel(context.Background())
	w, err := bc.cs.AppsV1().Deployments(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		bc.b.Fatal(err)
	}
	var mu sync.Mutex
	ready := map[string]time.Time{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			if ev.Type != watch.Added && ev.Type != watch.Modified {
				continue
			}
			m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ev.Object)
			if err != nil {
				continue
			}
			u := &unstructured.Unstructured{Object: m}
			u.SetAPIVersion("apps/v1")
			u.SetKind("Deployment")
			res, err := status.Compute(u)
			if err != nil || res.Status != status.CurrentStatus {
				continue
			}
			mu.Lock()
			if _, ok := ready[u.GetName()]; !ok {
				ready[u.GetName()] = time.Now()
			}
			mu.Unlock()
		}
	}()
	return func() (time.Time, int) {
		// Watch events can lag behind on a loaded machine: keep watching
		// until every Deployment was seen Current (or a minute passed).
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			mu.Lock()
			n := len(ready)
			mu.Unlock()
			if n >= want {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		w.Stop()
		<-done
		mu.Lock()
		defer mu.Unlock()
		var last time.Time
		for _, t := range ready {
			if t.After(last) {
				last = t
			}
		}
		return last, len(ready)
	}
}

// startProxy runs a TCP proxy to the apiserver counting the bytes it sends
// back (TLS included) and writes a kubeconfig pointing at it.
func (bc *benchCluster) startProxy() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		bc.b.Fatal(err)
	}
	bc.b.Cleanup(func() { ln.Close() })
	target := strings.TrimPrefix(bc.env.Server, "https://")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer u.Close()
				go func() {
					_, _ = io.Copy(u, c)
					u.Close() // the client hung up: end the other direction too
				}()
				_, _ = io.Copy(&countingWriter{w: c, n: &bc.rx}, u)
			}()
		}
	}()
	kc, err := os.ReadFile(bc.env.KubeconfigPath)
	if err != nil {
		bc.b.Fatal(err)
	}
	path := filepath.Join(bc.b.TempDir(), "kubeconfig-proxied")
	if err := os.WriteFile(path, bytes.ReplaceAll(kc, []byte(bc.env.Server), []byte("https://"+ln.Addr().String())), 0o600); err != nil {
		bc.b.Fatal(err)
	}
	return path
}

// listBench stores 1,000 revisions (100 releases of 10 revisions, the newest
// deployed) of the umbrella chart and times `list` through the proxy.
func (bc *benchCluster) listBench(runs int) {
	ctx := context.Background()
	ns := bc.namespace("list")
	bc.storeRevisions(ns)

	var meds []time.Duration
	var rxs []int64
	for _, t := range bc.tools {
		env := t.env
		t.env = append(append([]string(nil), env...), "KUBECONFIG="+bc.proxied)
		var rx int64
		m := bc.median(t, "list (1,000 rev)", runs, func(int) time.Duration {
			before := bc.rx.Load()
			d, _ := t.run(bc.b, "list", "-n", ns)
			time.Sleep(50 * time.Millisecond) // let the proxy count the closed connection
			rx = bc.rx.Load() - before
			return d
		})
		t.env = env
		bc.report(fmt.Sprintf("list (1,000 rev) %-5s received %d bytes", t.name, rx))
		bc.b.ReportMetric(m.Seconds(), t.name+"-list-s")
		bc.b.ReportMetric(float64(rx), t.name+"-list-bytes")
		meds, rxs = append(meds, m), append(rxs, rx)
	}
	if len(meds) == 2 {
		bc.report(fmt.Sprintf("list (1,000 rev) lade is %.1fx faster than helm and receives %.0fx fewer bytes",
			meds[1].Seconds()/meds[0].Seconds(), float64(rxs[1])/float64(max(rxs[0], 1))))
	}
	// In process: lade's metadata-only list beside the full LIST of release
	// Secrets that Helm's Secret driver issues, bytes counted by WrapTransport.
	var body atomic.Int64
	rc := bc.env.Config()
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			resp, err := rt.RoundTrip(req)
			if resp != nil {
				resp.Body = &countingBody{ReadCloser: resp.Body, n: &body}
			}
			return resp, err
		})
	})
	kc2, err := kube.New(rc)
	if err != nil {
		bc.b.Fatal(err)
	}
	st2 := release.NewStorage(kc2.Clientset, kc2.Metadata, ns)
	t0 := time.Now()
	sums, err := st2.Summaries(ctx, "")
	if err != nil || len(sums) != 1000 {
		bc.b.Fatalf("summaries: %d %v", len(sums), err)
	}
	dl, nl := time.Since(t0), body.Swap(0)
	t0 = time.Now()
	full, err := kc2.Clientset.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm"})
	if err != nil || len(full.Items) != 1000 {
		bc.b.Fatalf("full list: %v", err)
	}
	df, nf := time.Since(t0), body.Swap(0)
	bc.report(fmt.Sprintf("list in process: lade metadata-only LIST %s, %d bytes; full Secret LIST (Helm's driver) %s, %d bytes (%.0fx)",
		dl.Round(time.Millisecond), nl, df.Round(time.Millisecond), nf, float64(nf)/float64(max(nl, 1))))
	bc.b.ReportMetric(float64(nl), "lade-list-body-bytes")
	bc.b.ReportMetric(float64(nf), "full-list-body-bytes")
}

// storeRevisions stores 1,000 revisions of the umbrella chart in ns (100
// releases of 10 revisions, the newest deployed) through the library.
func (bc *benchCluster) storeRevisions(ns string) {
	ctx := context.Background()
	kc, err := kube.New(bc.env.Config())
	if err != nil {
		bc.b.Fatal(err)
	}
	cfg := &release.Config{Kube: kc, Namespace: ns}
	tmpl := bc.template(cfg)
	st := cfg.Storage()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	sem := make(chan struct{}, 8)
	for r := range 100 {
		for v := 1; v <= 10; v++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				rel := *tmpl
				info := *tmpl.Info
				rel.Info = &info
				rel.Name, rel.Version = fmt.Sprintf("r%03d", r), v
				rel.Info.Status = release.StatusSuperseded
				if v == 10 {
					rel.Info.Status = release.StatusDeployed
				}
				if err := st.Create(ctx, &rel); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		bc.b.Fatal(err)
	}
	sec, _ := bc.cs.CoreV1().Secrets(ns).Get(ctx, release.SecretName("r000", 1), metav1.GetOptions{})
	bc.report(fmt.Sprintf("list: stored 1,000 revisions (%d bytes of payload each) in %s", len(sec.Data["release"]), time.Since(start).Round(time.Second)))
}

// template is a deployed record of the umbrella chart, as lade stores it.
func (bc *benchCluster) template(cfg *release.Config) *release.Release {
	ns := cfg.Namespace
	lade := bc.tools[0]
	lade.run(bc.b, "install", "tmpl", bc.chart, "-n", ns)
	r, err := cfg.Storage().Get(context.Background(), "tmpl", 1)
	if err != nil {
		bc.b.Fatal(err)
	}
	lade.run(bc.b, "uninstall", "tmpl", "-n", ns)
	bc.waitNoPods(ns)
	return r
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}
