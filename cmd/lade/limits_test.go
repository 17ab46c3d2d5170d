package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/release"
)

// writeChart writes a chart named c with the given templates and values.
func writeChart(t *testing.T, templates map[string]string, values string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "c")
	files := map[string]string{"Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n", "values.yaml": values}
	for name, src := range templates {
		files["templates/"+name] = src
	}
	writeFiles(t, dir, files)
	return dir
}

// childRun runs the lade binary and returns its result, its wall time and
// its peak resident set (from the child's rusage).
//
// Go starts children with vfork, and Linux carries the parent's peak RSS
// into the child's at exec, so a child of this (large) test process would
// report at least this process's size. The child is therefore started by a
// small shim, this test binary re-executed (rusageShim): lade's figure is
// its own, or the shim's few MiB.
func childRun(t *testing.T, bin string, args ...string) (result, time.Duration, int64) {
	t.Helper()
	report := filepath.Join(t.TempDir(), "rusage")
	cmd := exec.Command(os.Args[0], append([]string{bin}, args...)...)
	cmd.Env = append(os.Environ(), rusageShimEnv+"="+report)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run lade: %v", err)
		}
		code = ee.ExitCode()
	}
	data, rerr := os.ReadFile(report)
	var took time.Duration
	var maxRSS int64
	if rerr != nil {
		t.Fatalf("lade's rusage: %v (stderr: %s)", rerr, errb.String())
	}
	if _, err := fmt.Sscan(string(data), &took, &maxRSS); err != nil {
		t.Fatalf("lade's rusage %q: %v", data, err)
	}
	return result{code, out.String(), errb.String()}, took, maxRSS
}

// rusageShimEnv, when set, makes the test binary the shim of childRun: it
// runs its arguments as a command and writes the command's wall time (in
// nanoseconds) and peak RSS (in bytes) to the file the variable names.
const rusageShimEnv = "LADE_TEST_RUSAGE_SHIM"

func rusageShim(report string, argv []string) int {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			fmt.Fprintln(os.Stderr, "rusage shim:", err)
			return 127
		}
		code = ee.ExitCode()
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "rusage shim: no rusage for the child")
		return 127
	}
	if err := os.WriteFile(report, fmt.Appendf(nil, "%d %d\n", int64(took), ru.Maxrss<<10), 0o644); err != nil { // Maxrss is in KiB on Linux
		fmt.Fprintln(os.Stderr, "rusage shim:", err)
		return 127
	}
	return code
}

// The hostile templates of issue 17 end, in a lade process of their own,
// with the message of the limit they hit, within the time and memory this
// test states. Without the limits the first overflowed the stack, the
// second grew past 22 GB, the third ran forever; the last one would hold
// 1.2 GB.
func TestHostileTemplatesEndInBoundedTimeAndMemory(t *testing.T) {
	bin := buildLade(t)
	const maxRSS = 256 << 20 // bytes; lade renders real charts in 35-75 MiB
	tests := []struct {
		name      string
		templates map[string]string
		values    string
		args      []string
		want      string
		maxTime   time.Duration
		maxRSS    int64 // bytes; maxRSS when zero
	}{{
		name:      "tpl recursion",
		templates: map[string]string{"x.yaml": `x: {{ tpl "{{ tpl .Values.t . }}" . }}`},
		values:    "t: \"{{ tpl .Values.t . }}\"\n",
		want:      "include and tpl calls nest more than 1024 deep (--max-template-depth=1024); if the chart is trusted, raise the limit with --max-template-depth\n  in: c/templates/x.yaml -> tpl -> tpl -> ... (1020 more) ... -> tpl -> tpl -> tpl",
		maxTime:   20 * time.Second,
	}, {
		name: "define doubling its input 40 times",
		templates: map[string]string{
			"_d.tpl": `{{ define "d" }}{{ if lt (int .n) 40 }}{{ $s := include "d" (dict "n" (add1 .n) "s" .s) }}{{ $s }}{{ $s }}{{ else }}{{ .s }}{{ end }}{{ end }}`,
			"x.yaml": `x: {{ include "d" (dict "n" 0 "s" "ab") }}`,
		},
		want:    "bytes, over the 33554432 bytes a template may build (--max-template-bytes=32Mi); if the chart is trusted, raise the limit with --max-template-bytes\n  in: c/templates/x.yaml -> include \"d\" -> include \"d\"",
		maxTime: 20 * time.Second,
	}, {
		name:      "printf doubling its input 40 times",
		templates: map[string]string{"x.yaml": `{{ $s := "ab" }}{{ range until 40 }}{{ $s = printf "%s%s" $s $s }}{{ end }}x: {{ len $s }}`},
		want:      "printf would hold 33554436 bytes, over the 33554432 bytes a template may build (--max-template-bytes=32Mi)",
		maxTime:   20 * time.Second,
	}, {
		name:      "nested until 10000000 loops",
		templates: map[string]string{"x.yaml": `{{ range until 10000000 }}{{ range until 10000000 }}{{ end }}{{ end }}`},
		want:      "until 10000000 would hold 76.3 MiB, over the 32.0 MiB a template may build (--max-template-bytes=32Mi)",
		maxTime:   20 * time.Second,
	}, {
		name:      "nested until loops within the size limit",
		templates: map[string]string{"x.yaml": `{{ range until 100000 }}{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}{{ end }}`},
		args:      []string{"--render-timeout", "3s"},
		want:      "templates still running after 3s (--render-timeout=3s); if the chart is trusted, raise the limit with --render-timeout\n  in: c/templates/x.yaml",
		maxTime:   20 * time.Second,
	}, {
		name:      "nested range calling nothing",
		templates: map[string]string{"x.yaml": `{{ $l := until 100000 }}{{ range $l }}{{ range $l }}{{ range $l }}{{ end }}{{ end }}{{ end }}`},
		args:      []string{"--render-timeout", "3s"},
		want:      "templates still running after 3s (--render-timeout=3s); if the chart is trusted, raise the limit with --render-timeout",
		maxTime:   20 * time.Second,
	}, {
		name: "variables each holding 30 MB",
		templates: map[string]string{
			"_big.tpl": `{{ define "big" }}{{ repeat 30000000 "x" }}{{ end }}`,
			"x.yaml":   strings.Repeat(`{{ $a := include "big" . }}{{ $b := include "big" . }}{{ $c := include "big" . }}{{ $d := include "big" . }}`, 10),
		},
		args:    []string{"--max-render-memory", "256Mi"},
		want:    "while templates ran, over the 256.0 MiB limit (--max-render-memory=256Mi); if the chart is trusted, raise the limit with --max-render-memory\n  in: c/templates/x.yaml",
		maxTime: 20 * time.Second,
		// The limit is on the live heap, sampled every 10 ms: the process
		// also holds garbage and what one tick lets through (more on a
		// loaded machine). Twice the limit bounds it; without the limit it
		// holds 1.2 GB.
		maxRSS: 512 << 20,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeChart(t, tc.templates, tc.values)
			r, took, rss := childRun(t, bin, append([]string{"template", "x", dir}, tc.args...)...)
			t.Logf("exit %d after %s, peak RSS %.1f MiB", r.code, took.Round(time.Millisecond), float64(rss)/(1<<20))
			if r.code == 0 {
				t.Fatalf("rendered:\n%.300s", r.stdout)
			}
			if !strings.Contains(r.stderr, "Error: render limit exceeded: ") || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("stderr:\n%.2000s\nwant it to contain:\n%s", r.stderr, tc.want)
			}
			if strings.Contains(r.stderr, "--debug") {
				t.Errorf("a limit error suggests --debug:\n%s", r.stderr)
			}
			if len(r.stderr) > 2000 {
				t.Errorf("error of %d bytes", len(r.stderr))
			}
			if took > tc.maxTime {
				t.Errorf("took %s, more than %s", took, tc.maxTime)
			}
			if tc.maxRSS == 0 {
				tc.maxRSS = maxRSS
			}
			if rss > tc.maxRSS {
				t.Errorf("peak RSS %d MiB, more than %d MiB", rss>>20, tc.maxRSS>>20)
			}
		})
	}
}

// Each limit flag of lade template lets through a chart that its default
// stops.
func TestTemplateLimitFlagsRaiseLimits(t *testing.T) {
	deep := writeChart(t, map[string]string{"x.yaml": `x: {{ tpl .Values.t (dict "Values" .Values "n" 0) }}`},
		"t: '{{ if lt (int .n) 1100 }}{{ tpl .Values.t (dict \"Values\" .Values \"n\" (add1 .n)) }}{{ else }}{{ .n }}{{ end }}'\n")
	long := writeChart(t, map[string]string{"x.yaml": `x: {{ repeat 34000000 "x" }}`}, "")
	many := writeChart(t, map[string]string{
		"a.yaml": `a: {{ repeat 23000000 "a" }}`, "b.yaml": `b: {{ repeat 23000000 "b" }}`, "c.yaml": `c: {{ repeat 23000000 "c" }}`,
	}, "")
	slow := writeChart(t, map[string]string{"x.yaml": `{{ range until 3000 }}{{ range until 1000 }}{{ end }}{{ end }}x: 1`}, "")
	heavy := writeChart(t, map[string]string{
		"_big.tpl": `{{ define "big" }}{{ repeat 30000000 "x" }}{{ end }}`,
		"x.yaml": strings.Repeat(`{{ $a := include "big" . }}{{ $b := include "big" . }}{{ $c := include "big" . }}{{ $d := include "big" . }}`, 2) +
			`x: {{ add (len (include "big" .)) 210000000 }}`,
	}, "")
	tests := []struct {
		name, dir, flag, value string
		lowValue               string // for the timeout: a value that stops it
		wantOut                func(string) bool
	}{
		{"depth", deep, "--max-template-depth", "1200", "", func(s string) bool { return strings.Contains(s, "x: 1100\n") }},
		{"template bytes", long, "--max-template-bytes", "40Mi", "", func(s string) bool { return len(s) > 34000000 }},
		{"render bytes", many, "--max-render-bytes", "80Mi", "", func(s string) bool { return len(s) > 69000000 }},
		{"timeout", slow, "--render-timeout", "5m", "10ms", func(s string) bool { return strings.Contains(s, "x: 1\n") }},
		{"memory", heavy, "--max-render-memory", "1Gi", "100Mi", func(s string) bool { return strings.Contains(s, "x: 240000000\n") }},
	}
	// The heap limit watches the whole process: that case runs in a lade
	// process of its own, not beside the other tests of this package.
	bin := buildLade(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exit := ladeExit
			if tc.flag == "--max-render-memory" {
				exit = func(args ...string) (int, string, string) {
					r := runBin(t, bin, args...)
					return r.code, r.stdout, r.stderr
				}
			}
			args := []string{"template", "x", tc.dir}
			if tc.lowValue != "" {
				args = append(args, tc.flag, tc.lowValue)
			}
			code, _, stderr := exit(args...)
			if code == 0 || !strings.Contains(stderr, "raise the limit with "+tc.flag) {
				t.Fatalf("without %s: exit %d\n%.1000s", tc.flag, code, stderr)
			}
			code, stdout, stderr := exit("template", "x", tc.dir, tc.flag, tc.value)
			if code != 0 {
				t.Fatalf("with %s %s: exit %d\n%.1000s", tc.flag, tc.value, code, stderr)
			}
			if !tc.wantOut(stdout) {
				t.Fatalf("with %s %s: output %.300s", tc.flag, tc.value, stdout)
			}
		})
	}
	code, _, stderr := ladeExit("template", "x", deep, "--max-render-bytes", "0")
	if code == 0 || !strings.Contains(stderr, `invalid argument "0" for "--max-render-bytes" flag: want a positive size in bytes such as 64Mi`) {
		t.Fatalf("--max-render-bytes 0: exit %d: %s", code, stderr)
	}
}

// install, upgrade and diff upgrade take the limit flags too: a chart
// nesting tpl 1100 deep fails by default and installs, diffs and upgrades
// with --max-template-depth.
func TestReleaseLimitFlags(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	deep := writeChart(t, map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  depth: {{ tpl .Values.t (dict \"Values\" .Values \"n\" 0) | quote }}\n"},
		"t: '{{ if lt (int .n) (int .Values.depth) }}{{ tpl .Values.t (dict \"Values\" .Values \"n\" (add1 .n)) }}{{ else }}{{ .n }}{{ end }}'\ndepth: 1100\n")
	raise := []string{"--max-template-depth", "1200"}
	const msg = "render limit exceeded: include and tpl calls nest more than 1024 deep (--max-template-depth=1024)"
	for _, args := range [][]string{
		{"install", "deep", deep},
		{"upgrade", "deep", deep, "--install"},
	} {
		failLade(t, msg, append(args, kc...)...)
	}
	mustLade(t, append(append([]string{"install", "deep", deep}, raise...), kc...)...)
	failLade(t, msg, append([]string{"diff", "upgrade", "deep", deep, "--set", "depth=1101"}, kc...)...)
	if r := mustLade(t, append(append([]string{"diff", "upgrade", "deep", deep, "--set", "depth=1101"}, raise...), kc...)...); !strings.Contains(r.stdout, "1101") {
		t.Fatalf("diff upgrade:\n%s", r.stdout)
	}
	failLade(t, msg, append([]string{"upgrade", "deep", deep, "--set", "depth=1101"}, kc...)...)
	mustLade(t, append(append([]string{"upgrade", "deep", deep, "--set", "depth=1101"}, raise...), kc...)...)
	if r := mustLade(t, append([]string{"get", "manifest", "deep"}, kc...)...); !strings.Contains(r.stdout, `depth: "1101"`) {
		t.Fatalf("manifest:\n%s", r.stdout)
	}
}

// plantBomb creates, as anyone with Secret rights in ns could, a release
// Secret for release name whose 1 MiB payload decompresses to 600 MB of
// valid record JSON.
func plantBomb(t *testing.T, env *testenv.Env, ns, name string) string {
	t.Helper()
	var gz bytes.Buffer
	w, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, `{"name":%q,"namespace":%q,"version":1,"info":{"status":"deployed"},"manifest":"`, name, ns)
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	for range 600 {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Fprint(w, `"}`)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	payload := base64.StdEncoding.EncodeToString(gz.Bytes())
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: release.SecretName(name, 1), Namespace: ns,
			Labels: map[string]string{"owner": "helm", "name": name, "version": "1", "status": "deployed"},
		},
		Type: release.SecretType,
		Data: map[string][]byte{"release": []byte(payload)},
	}
	if _, err := env.Clientset().CoreV1().Secrets(ns).Create(context.Background(), sec, metav1.CreateOptions{}); err != nil {
		t.Fatalf("plant a %d-byte release Secret: %v", len(payload), err)
	}
	return sec.Name
}

// A planted release Secret whose record decompresses past the limit is
// skipped by lade list with a warning naming it, in bounded memory; the
// other releases are listed; history, get and upgrade of it fail saying why.
func TestPlantedRecordBomb(t *testing.T) {
	bin := buildLade(t)
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	chartDir := "../../testdata/charts/release/app"
	mustBin(t, bin, append([]string{"install", "web", chartDir}, kc...)...)
	secret := plantBomb(t, env, ns, "bomb")
	const limit = "over the 256 MiB limit on release records"

	r, took, rss := childRun(t, bin, append([]string{"list"}, kc...)...)
	t.Logf("lade list: exit %d after %s, peak RSS %.1f MiB\n%s", r.code, took.Round(time.Millisecond), float64(rss)/(1<<20), r.stderr)
	if r.code != 0 {
		t.Fatalf("lade list: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "\nweb ") || strings.Contains(r.stdout, "\nbomb") {
		t.Fatalf("lade list:\n%s", r.stdout)
	}
	if want := "skipping release " + ns + "/bomb: decode release Secret " + ns + "/" + secret + ": release record over the size limit: it decompresses to 600 MiB, " + limit; !strings.Contains(r.stderr, want) {
		t.Fatalf("lade list stderr:\n%s\nwant it to contain:\n%s", r.stderr, want)
	}
	if rss > 150<<20 {
		t.Errorf("lade list peak RSS %d MiB, more than 150 MiB", rss>>20)
	}
	if r := mustBin(t, bin, append([]string{"list", "-A", "-o", "json"}, kc[:2]...)...); !strings.Contains(r.stdout, `"name":"web"`) {
		t.Fatalf("lade list -A:\n%s", r.stdout)
	}

	for _, args := range [][]string{
		{"history", "bomb"},
		{"get", "manifest", "bomb"},
		{"upgrade", "bomb", chartDir},
	} {
		r, took, rss := childRun(t, bin, append(args, kc...)...)
		t.Logf("lade %s: %s", strings.Join(args, " "), r.stderr)
		if r.code == 0 || !strings.Contains(r.stderr, "decode release Secret "+ns+"/"+secret+": release record over the size limit") || !strings.Contains(r.stderr, limit) {
			t.Fatalf("lade %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
		if rss > 150<<20 || took > time.Minute {
			t.Errorf("lade %s: %s, peak RSS %d MiB", strings.Join(args, " "), took, rss>>20)
		}
	}
}

// lade lint reports a render limit as the chart's error and takes the
// limit flags too.
func TestLintLimitFlags(t *testing.T) {
	deep := writeChart(t, map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  depth: {{ tpl .Values.t (dict \"Values\" .Values \"n\" 0) | quote }}\n"},
		"t: '{{ if lt (int .n) 1100 }}{{ tpl .Values.t (dict \"Values\" .Values \"n\" (add1 .n)) }}{{ else }}{{ .n }}{{ end }}'\n")
	code, stdout, _ := ladeExit("lint", deep)
	if want := "[ERROR] templates/: render limit exceeded: include and tpl calls nest more than 1024 deep (--max-template-depth=1024); if the chart is trusted, raise the limit with --max-template-depth"; code == 0 || !strings.Contains(stdout, want) {
		t.Fatalf("lint: exit %d\n%s", code, stdout)
	}
	if code, stdout, stderr := ladeExit("lint", deep, "--max-template-depth", "1200"); code != 0 || strings.Contains(stdout, "[ERROR]") {
		t.Fatalf("lint --max-template-depth 1200: exit %d\n%s%s", code, stdout, stderr)
	}
}
