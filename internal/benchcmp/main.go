// Command benchcmp times whole processes side by side: lade and a reference
// Helm on the same chart, reporting the median wall time and the peak memory
// (max RSS) of each. It backs `make bench`; see docs/benchmarks.md.
//
//	benchcmp -n 5 -name umbrella -- lade template u DIR -- helm template u DIR
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 5, "runs per command")
	name := flag.String("name", "", "label of this comparison")
	dir := flag.String("C", "", "working directory of the commands")
	flag.Parse()
	cmds := splitCommands(flag.Args())
	if len(cmds) == 0 {
		fmt.Fprintln(os.Stderr, "usage: benchcmp [-n N] [-name LABEL] -- CMD ARGS... [-- CMD ARGS...]")
		os.Exit(2)
	}
	var results []result
	for _, c := range cmds {
		r, err := measure(c, *n, *dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "benchcmp: %s: %v\n", strings.Join(c, " "), err)
			os.Exit(1)
		}
		results = append(results, r)
	}
	for i, r := range results {
		line := fmt.Sprintf("%-28s %-6s median %8.3fs  min %8.3fs  maxrss %7.1f MiB", *name, r.tool, r.median.Seconds(), r.min.Seconds(), float64(r.maxRSS)/1024)
		if i > 0 && r.median > 0 {
			line += fmt.Sprintf("  (%s: %.1fx faster by median, %.1fx by min, %.1fx less memory)", results[0].tool,
				r.median.Seconds()/results[0].median.Seconds(), r.min.Seconds()/results[0].min.Seconds(),
				float64(r.maxRSS)/float64(max(results[0].maxRSS, 1)))
		}
		fmt.Println(line)
	}
}

type result struct {
	tool        string
	median, min time.Duration
	maxRSS      int64 // KiB
}

func splitCommands(args []string) [][]string {
	var out [][]string
	var cur []string
	for _, a := range args {
		if a == "--" {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, a)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func measure(argv []string, n int, dir string) (result, error) {
	r := result{tool: baseName(argv[0])}
	var times []time.Duration
	for range n {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stdout = nil // discarded: only the cost of producing it counts
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return r, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
		}
		times = append(times, time.Since(start))
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.maxRSS = max(r.maxRSS, ru.Maxrss)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	r.median, r.min = times[len(times)/2], times[0]
	return r, nil
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
