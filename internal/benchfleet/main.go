// Command benchfleet times one fleet of releases applied to the test cluster
// (internal/testenv: etcd and kube-apiserver) by whole processes: `lade apply
// -f DIR`, 50 sequential `helm upgrade --install` runs of a reference Helm,
// and `helmfile sync` driving that Helm. For each it reports the first apply
// and the no-op re-apply: wall time, CPU time and the peak resident set of the
// process tree. It backs scripts/bench-fleet.sh (`make bench-fleet`); see
// docs/benchmarks.md, "Fleets".
//
//	benchfleet -lade bin/lade -helm HELM -helmfile HELMFILE -shared ../shared
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/lade-dev/lade/internal/testenv"
)

func main() {
	lade := flag.String("lade", "bin/lade", "the lade binary")
	helm := flag.String("helm", "", "the reference Helm v4.3.1 binary (skipped when empty)")
	helmfile := flag.String("helmfile", "", "the helmfile v1.8.0 binary, driving -helm (skipped when empty)")
	shared := flag.String("shared", "../shared", "the directory holding bench/gen-umbrella")
	releases := flag.Int("releases", 50, "releases in the fleet")
	runs := flag.Int("runs", 3, "no-op re-applies per tool (median reported)")
	standIn := flag.Bool("stand-in", false, "time a loop of `lade upgrade --install` instead of `lade apply` (before lade apply existed)")
	flag.Parse()
	if err := run(*lade, *helm, *helmfile, *shared, *releases, *runs, *standIn); err != nil {
		fmt.Fprintf(os.Stderr, "benchfleet: %v\n", err)
		os.Exit(1)
	}
}

// Objects of one release: gen-umbrella --subcharts 4 --templates 3 renders 4
// ConfigMaps, 4 Services and 12 Deployments.
const (
	subcharts   = 4
	deployments = subcharts * 3
	objects     = subcharts * 5
)

func run(lade, helm, helmfile, shared string, n, runs int, standIn bool) error {
	tmp, err := os.MkdirTemp("", "benchfleet-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// Fresh copies: a binary the Go linker has just written maps larger pages
	// and shows a few MiB more resident (docs/benchmarks.md, "Render").
	bins := filepath.Join(tmp, "bin")
	if lade, err = copyBin(lade, bins); err != nil {
		return err
	}
	if helm != "" {
		if helm, err = copyBin(helm, bins); err != nil {
			return err
		}
	}
	if helmfile != "" && helm != "" {
		if helmfile, err = copyBin(helmfile, bins); err != nil {
			return err
		}
	} else {
		helmfile = ""
	}

	chart := filepath.Join(tmp, "umbrella")
	if out, err := exec.Command(filepath.Join(shared, "bench", "gen-umbrella"), chart,
		"--subcharts", fmt.Sprint(subcharts), "--templates", "3").CombinedOutput(); err != nil {
		return fmt.Errorf("gen-umbrella: %v\n%s", err, out)
	}
	out, err := exec.Command(lade, "template", "r", chart).Output()
	if err != nil {
		return fmt.Errorf("lade template: %w", err)
	}
	if got := bytes.Count(out, []byte("\nkind: ")); got != objects {
		return fmt.Errorf("the chart renders %d objects, want %d", got, objects)
	}

	start := time.Now()
	env, err := testenv.Start(context.Background(), testenv.WithDir(filepath.Join(tmp, "cluster")))
	if err != nil {
		return err
	}
	defer env.Stop()
	fmt.Printf("# test cluster (etcd, kube-apiserver %s) up in %s; %d releases of %d objects (gen-umbrella --subcharts %d --templates 3); %d no-op runs\n",
		testenv.KubernetesVersion, time.Since(start).Round(time.Second), n, objects, subcharts, runs)
	fmt.Printf("# %s, load average %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), loadavg())

	b := &bench{
		cs:  env.Clientset(),
		tmp: tmp,
		env: append(os.Environ(), "KUBECONFIG="+env.KubeconfigPath,
			"HELM_CACHE_HOME="+filepath.Join(tmp, "helm", "cache"), "HELM_CONFIG_HOME="+filepath.Join(tmp, "helm", "config"),
			"HELM_DATA_HOME="+filepath.Join(tmp, "helm", "data"), "XDG_CACHE_HOME="+filepath.Join(tmp, "xdg")),
		n: n,
	}
	var rows []row

	// lade: one process for the whole fleet.
	ns, err := b.namespace("fleet-lade")
	if err != nil {
		return err
	}
	var ladeApply func() (measurement, error)
	name := "lade apply -f DIR"
	if standIn {
		name = fmt.Sprintf("lade upgrade --install x%d (stand-in)", n)
		ladeApply = func() (measurement, error) {
			return b.sequence(func(i int) []string {
				return []string{lade, "upgrade", "--install", releaseName(i), chart, "-n", ns}
			})
		}
	} else {
		dir, err := writeFleet(tmp, ns, chart, n)
		if err != nil {
			return err
		}
		ladeApply = func() (measurement, error) { return b.measure(lade, "apply", "-f", dir) }
	}
	r, err := b.row(name, ns, ladeApply, runs, standIn)
	if err != nil {
		return err
	}
	rows = append(rows, r)

	if helm != "" {
		ns, err := b.namespace("fleet-helm")
		if err != nil {
			return err
		}
		r, err := b.row(fmt.Sprintf("helm upgrade --install x%d", n), ns, func() (measurement, error) {
			return b.sequence(func(i int) []string {
				return []string{helm, "upgrade", "--install", releaseName(i), chart, "-n", ns}
			})
		}, runs, true)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	if helmfile != "" {
		ns, err := b.namespace("fleet-helmfile")
		if err != nil {
			return err
		}
		file, err := writeHelmfile(tmp, ns, chart, n)
		if err != nil {
			return err
		}
		r, err := b.row("helmfile sync", ns, func() (measurement, error) {
			return b.measure(helmfile, "--file", file, "--helm-binary", helm, "sync")
		}, runs, true)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	printTable(rows)
	return nil
}

func releaseName(i int) string { return fmt.Sprintf("r%02d", i) }

// writeFleet writes one Release file per release into a fleet directory. The
// releases do not wait for readiness: the cluster runs no controllers, and the
// peers are timed without --wait too.
func writeFleet(tmp, ns, chart string, n int) (string, error) {
	dir := filepath.Join(tmp, "fleet")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for i := range n {
		doc := fmt.Sprintf("apiVersion: lade.dev/v1alpha1\nkind: Release\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  chart:\n    ref: %s\n  wait: false\n",
			releaseName(i), ns, chart)
		if err := os.WriteFile(filepath.Join(dir, releaseName(i)+".yaml"), []byte(doc), 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// writeHelmfile writes the same fleet as a helmfile.yaml (helmfile's default
// is not to wait).
func writeHelmfile(tmp, ns, chart string, n int) (string, error) {
	var s strings.Builder
	s.WriteString("releases:\n")
	for i := range n {
		fmt.Fprintf(&s, "  - name: %s\n    namespace: %s\n    chart: %s\n", releaseName(i), ns, chart)
	}
	f := filepath.Join(tmp, "helmfile.yaml")
	return f, os.WriteFile(f, []byte(s.String()), 0o644)
}

type bench struct {
	cs  kubernetes.Interface
	tmp string
	env []string
	n   int
}

func (b *bench) namespace(name string) (string, error) {
	_, err := b.cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	return name, err
}

// measurement is one timed run (or a sequence of runs, summed).
type measurement struct {
	wall, cpu time.Duration
	// peak is the largest resident set of the process tree at once, in KiB:
	// the sampled sum over the process and its descendants, at least the
	// largest single process's peak (VmHWM).
	peak int64
	// byName is the peak of each program's share of the tree (helmfile and
	// the helm processes it runs), in KiB.
	byName map[string]int64
}

// row is one tool's line: the first apply and the no-op re-applies.
type row struct {
	name        string
	first       measurement
	noop        []measurement
	revisions   int
	revsPerNoop int
}

// row times the first apply, checks that it created every object, then
// times runs no-op re-applies and counts the release revisions they stored.
func (b *bench) row(name, ns string, apply func() (measurement, error), runs int, newRevisions bool) (row, error) {
	r := row{name: name}
	var err error
	if r.first, err = apply(); err != nil {
		return r, err
	}
	if err := b.check(ns); err != nil {
		return r, fmt.Errorf("%s: %w", name, err)
	}
	before, err := b.revisions(ns)
	if err != nil {
		return r, err
	}
	for range runs {
		m, err := apply()
		if err != nil {
			return r, err
		}
		r.noop = append(r.noop, m)
	}
	after, err := b.revisions(ns)
	if err != nil {
		return r, err
	}
	r.revisions, r.revsPerNoop = after, (after-before)/max(runs, 1)
	fmt.Printf("# %s: first %.2fs; no-op runs %s; %d release revisions stored (%d per no-op run)\n",
		name, r.first.wall.Seconds(), walls(r.noop), after, r.revsPerNoop)
	return r, nil
}

// check counts the fleet's objects in its namespace.
func (b *bench) check(ns string) error {
	ctx := context.Background()
	deps, err := b.cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	svcs, err := b.cs.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	if len(deps.Items) != b.n*deployments || len(svcs.Items) != b.n*subcharts {
		return fmt.Errorf("namespace %s holds %d Deployments and %d Services, want %d and %d",
			ns, len(deps.Items), len(svcs.Items), b.n*deployments, b.n*subcharts)
	}
	return nil
}

// revisions counts the release records (Helm-format Secrets) in ns.
func (b *bench) revisions(ns string) (int, error) {
	l, err := b.cs.CoreV1().Secrets(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "owner=helm"})
	if err != nil {
		return 0, err
	}
	return len(l.Items), nil
}

// sequence runs one process per release, one after the other, and sums them.
func (b *bench) sequence(argv func(i int) []string) (measurement, error) {
	var all measurement
	all.byName = map[string]int64{}
	for i := range b.n {
		a := argv(i)
		m, err := b.measure(a[0], a[1:]...)
		if err != nil {
			return all, err
		}
		all.wall += m.wall
		all.cpu += m.cpu
		all.peak = max(all.peak, m.peak)
		for k, v := range m.byName {
			all.byName[k] = max(all.byName[k], v)
		}
	}
	return all, nil
}

// measure runs one process, sampling its tree's resident set every 10ms.
func (b *bench) measure(bin string, args ...string) (measurement, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = b.env
	cmd.Dir = b.tmp
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return measurement{}, err
	}
	done := make(chan struct{})
	sampled := make(chan sample)
	go func() { sampled <- sampleTree(cmd.Process.Pid, done) }()
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	s := <-sampled
	if err != nil {
		return measurement{}, fmt.Errorf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out.String())
	}
	m := measurement{wall: wall, peak: s.peak, byName: s.byName}
	if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		// wait4's rusage covers the process and the descendants it waited for.
		m.cpu = time.Duration(u.Utime.Nano() + u.Stime.Nano())
	}
	return m, nil
}

type sample struct {
	peak   int64
	byName map[string]int64
}

// sampleTree sums the resident sets (KiB, VmRSS) of pid and its descendants
// every 10ms until done is closed, and returns the largest sums seen. A single
// process's own peak (VmHWM, which the kernel keeps) floors the tree's peak,
// so that a short spike between samples is not lost. (The max RSS of wait4's
// rusage cannot serve: Go starts children with vfork, and the kernel charges
// the parent's resident set to a vforked child's max RSS at exec.)
func sampleTree(pid int, done <-chan struct{}) sample {
	s := sample{byName: map[string]int64{}}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		total := int64(0)
		names := map[string]int64{}
		for _, p := range tree(pid) {
			if p.parent != 0 && exe(p.pid) == exe(p.parent) {
				// A child not yet past exec (Go starts children with
				// vfork): it shows its parent's memory, counted already.
				continue
			}
			rss, hwm, name, ok := procStatus(p.pid)
			if !ok {
				continue
			}
			total += rss
			names[name] += rss
			s.peak = max(s.peak, hwm)
			s.byName[name] = max(s.byName[name], hwm)
		}
		s.peak = max(s.peak, total)
		for k, v := range names {
			s.byName[k] = max(s.byName[k], v)
		}
		select {
		case <-done:
			return s
		case <-tick.C:
		}
	}
}

// procStatus reads a process's name, resident set and peak resident set (KiB).
func procStatus(pid int) (rss, hwm int64, name string, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, "", false
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))
		switch k {
		case "Name":
			name = v
		case "VmRSS":
			rss, _ = strconv.ParseInt(v, 10, 64)
		case "VmHWM":
			hwm, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return rss, hwm, name, name != ""
}

type proc struct{ pid, parent int }

// tree lists pid and its descendants (/proc/PID/task/TID/children).
func tree(pid int) []proc {
	out := []proc{{pid: pid}}
	for i := 0; i < len(out); i++ {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", out[i].pid))
		for _, t := range tasks {
			data, err := os.ReadFile(t)
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(data)) {
				if c, err := strconv.Atoi(f); err == nil {
					out = append(out, proc{pid: c, parent: out[i].pid})
				}
			}
		}
	}
	return out
}

func exe(pid int) string {
	p, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return p
}

func copyBin(src, dir string) (string, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(dir, filepath.Base(src))
	return dst, os.WriteFile(dst, data, 0o755)
}

func loadavg() string {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func walls(ms []measurement) string {
	var s []string
	for _, m := range ms {
		s = append(s, fmt.Sprintf("%.2fs", m.wall.Seconds()))
	}
	return strings.Join(s, " ")
}

// medianRun is the run of median wall time.
func medianRun(ms []measurement) measurement {
	s := append([]measurement(nil), ms...)
	sort.Slice(s, func(i, j int) bool { return s[i].wall < s[j].wall })
	return s[len(s)/2]
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

func printTable(rows []row) {
	fmt.Println()
	fmt.Println("| tool | first apply: wall | CPU | peak RSS (tree) | no-op re-apply: wall median (min) | CPU | peak RSS (tree) | revisions per no-op |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, r := range rows {
		m := medianRun(r.noop)
		minWall := m.wall
		peak := int64(0)
		for _, x := range r.noop {
			minWall = min(minWall, x.wall)
			peak = max(peak, x.peak)
		}
		fmt.Printf("| %s | %.2fs | %.2fs | %s | %.2fs (%.2fs) | %.2fs | %s | %d |\n", r.name,
			r.first.wall.Seconds(), r.first.cpu.Seconds(), mib(r.first.peak),
			m.wall.Seconds(), minWall.Seconds(), m.cpu.Seconds(), mib(peak), r.revsPerNoop)
	}
	if len(rows) < 2 {
		return
	}
	lade := rows[0]
	lm := medianRun(lade.noop)
	ladePeak := max(lade.first.peak, maxPeak(lade.noop))
	fmt.Println()
	for _, r := range rows[1:] {
		m := medianRun(r.noop)
		fmt.Printf("- no-op re-apply: lade %.1fx faster than %s (target 10x)\n", m.wall.Seconds()/lm.wall.Seconds(), r.name)
		if strings.HasPrefix(r.name, "helmfile") {
			fmt.Printf("- first apply: lade %.1fx faster than %s (target 3x)\n", r.first.wall.Seconds()/lade.first.wall.Seconds(), r.name)
			hf, h := int64(0), int64(0)
			for _, x := range append([]measurement{r.first}, r.noop...) {
				hf, h = max(hf, x.byName["helmfile"]), max(h, x.byName["helm"])
			}
			// One Helm process's peak: the sequential Helm row's.
			one := int64(0)
			for _, hr := range rows[1:] {
				if strings.HasPrefix(hr.name, "helm upgrade") {
					one = max(hr.first.peak, maxPeak(hr.noop))
				}
			}
			fmt.Printf("- peak memory: lade %s; helmfile's own %s + one Helm process's %s = %s; helmfile's whole tree %s (its helm processes together: %s) (target: lade below helmfile's + Helm's)\n",
				mib(ladePeak), mib(hf), mib(one), mib(hf+one), mib(max(r.first.peak, maxPeak(r.noop))), mib(h))
		}
	}
}

func maxPeak(ms []measurement) int64 {
	var p int64
	for _, m := range ms {
		p = max(p, m.peak)
	}
	return p
}
