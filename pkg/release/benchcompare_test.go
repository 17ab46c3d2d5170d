package release_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkCompare times two lade binaries, a base and a head (two commits
// of lade), on the whole-process figures of issue 18: template of the
// 100-subchart umbrella (no cluster), and on the test cluster install,
// no-op upgrade and diff upgrade of the 200-object umbrella and list over
// 1,000 revisions. The two binaries alternate run by run, so a slower
// minute of the shared machine falls on both; each figure prints both
// medians side by side.
//
// It runs only with LADE_BENCH_COMPARE=1 and LADE_BASE_BIN, LADE_HEAD_BIN
// (scripts/bench-compare.sh, `make bench-compare BASE=REV`, builds them).
func BenchmarkCompare(b *testing.B) {
	if os.Getenv("LADE_BENCH_COMPARE") != "1" {
		b.Skip("set LADE_BENCH_COMPARE=1 (scripts/bench-compare.sh) to compare two lade binaries")
	}
	base, head := os.Getenv("LADE_BASE_BIN"), os.Getenv("LADE_HEAD_BIN")
	if base == "" || head == "" {
		b.Fatal("LADE_BASE_BIN and LADE_HEAD_BIN must name the two lade binaries")
	}
	runs := 5
	if n, err := strconv.Atoi(os.Getenv("RUNS")); err == nil && n > 0 {
		runs = n
	}
	b.Setenv("LADE_BIN", base) // newBenchCluster builds nothing
	b.Setenv("HELM", "")
	bc := newBenchCluster(b)
	kc := "KUBECONFIG=" + bc.env.KubeconfigPath
	tools := []*benchTool{
		{name: envOr("LADE_BASE_NAME", "base"), bin: base, env: []string{kc}},
		{name: envOr("LADE_HEAD_NAME", "head"), bin: head, env: []string{kc}},
	}
	bc.tools = tools
	umbrella100 := filepath.Join(b.TempDir(), "umbrella-100")
	if out, err := exec.Command(filepath.Join(sharedDir(), "bench", "gen-umbrella"), umbrella100, "--subcharts", "100").CombinedOutput(); err != nil {
		b.Fatalf("gen-umbrella: %v\n%s", err, out)
	}
	ratio := tools[1].name + "/" + tools[0].name
	fmt.Printf("%-22s %-9s  %-9s  %-5s   cpu %-8s  %-8s  %s\n", "median of", tools[0].name, tools[1].name, "ratio", tools[0].name, tools[1].name, ratio)
	for b.Loop() {
		alternate(tools, "template umbrella-100", 2*runs, func(t *benchTool, i int) time.Duration {
			d, _ := t.run(b, "template", "u", umbrella100)
			return d
		})
		alternate(tools, "install", runs, func(t *benchTool, i int) time.Duration {
			ns := bc.namespace(fmt.Sprintf("cmp-inst-%s-%d", t.name, i))
			d, _ := t.run(b, "install", "u", bc.chart, "-n", ns)
			cpu := t.cpu
			t.run(b, "uninstall", "u", "-n", ns)
			bc.waitNoPods(ns)
			t.cpu = cpu // the install's, for alternate
			return d
		})
		nss := map[*benchTool]string{}
		for _, t := range tools {
			nss[t] = bc.namespace("cmp-up-" + t.name)
			t.run(b, "install", "u", bc.chart, "-n", nss[t])
		}
		alternate(tools, "upgrade (no-op)", runs, func(t *benchTool, i int) time.Duration {
			d, _ := t.run(b, "upgrade", "u", bc.chart, "-n", nss[t])
			return d
		})
		alternate(tools, "diff upgrade", runs, func(t *benchTool, i int) time.Duration {
			d, _ := t.run(b, "diff", "upgrade", "u", bc.chart, "-n", nss[t])
			return d
		})
		for _, t := range tools {
			t.run(b, "uninstall", "u", "-n", nss[t])
		}
		ns := bc.namespace("cmp-list")
		bc.storeRevisions(ns)
		alternate(tools, "list (1,000 rev)", runs, func(t *benchTool, i int) time.Duration {
			d, _ := t.run(b, "list", "-n", ns)
			return d
		})
	}
}

// alternate runs f runs times for each tool, the tools taking turns, and
// prints each tool's median wall time and the ratio of the second to the
// first, then the same for the CPU time (user+system) of the process f
// timed last: on a busy machine CPU time is the steadier figure.
func alternate(tools []*benchTool, what string, runs int, f func(t *benchTool, i int) time.Duration) {
	ds := make([][]time.Duration, len(tools))
	cpus := make([][]time.Duration, len(tools))
	for i := range runs {
		for j, t := range tools {
			ds[j] = append(ds[j], f(t, i))
			cpus[j] = append(cpus[j], t.cpu)
		}
	}
	a, b := median(ds[0]), median(ds[1])
	ca, cb := median(cpus[0]), median(cpus[1])
	fmt.Printf("%-22s %8.3fs  %8.3fs  %5.2f   cpu %7.3fs  %7.3fs  %5.2f  (%d runs each)\n",
		what, a.Seconds(), b.Seconds(), b.Seconds()/a.Seconds(), ca.Seconds(), cb.Seconds(), cb.Seconds()/ca.Seconds(), runs)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// sharedDir is ../shared beside the repository (SHARED overrides it).
func sharedDir() string {
	if s := os.Getenv("SHARED"); s != "" {
		return s
	}
	return "../../../shared"
}
