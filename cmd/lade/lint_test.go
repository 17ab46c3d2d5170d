package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// lintCase is one `helm lint` run recorded in the conformance corpus.
type lintCase struct {
	args     []string
	exitCode int
	stdout   string
	stderr   string
}

// parseLintCorpus reads ../shared/conformance/lint/<chart>.txt: blocks of
// "# command:", "# exit_code:", "# --- stdout ---", "# --- stderr ---", "# --- end ---".
func parseLintCorpus(t *testing.T, data string) []lintCase {
	t.Helper()
	var cases []lintCase
	var cur *lintCase
	var section string
	var out, errb strings.Builder
	for _, line := range strings.SplitAfter(data, "\n") {
		trimmed := strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(trimmed, "# command: "):
			cmd := strings.Fields(strings.TrimPrefix(trimmed, "# command: "))
			if len(cmd) < 2 || cmd[0] != "helm" || cmd[1] != "lint" {
				t.Fatalf("unexpected command %q", trimmed)
			}
			cur = &lintCase{args: cmd[1:]}
			section = ""
			out.Reset()
			errb.Reset()
		case strings.HasPrefix(trimmed, "# exit_code: "):
			n, err := strconv.Atoi(strings.TrimPrefix(trimmed, "# exit_code: "))
			if err != nil {
				t.Fatal(err)
			}
			cur.exitCode = n
		case trimmed == "# --- stdout ---":
			section = "stdout"
		case trimmed == "# --- stderr ---":
			section = "stderr"
		case trimmed == "# --- end ---":
			cur.stdout, cur.stderr = out.String(), errb.String()
			cases = append(cases, *cur)
			cur, section = nil, ""
		case section == "stdout":
			out.WriteString(line)
		case section == "stderr":
			errb.WriteString(line)
		}
	}
	return cases
}

// TestLintConformance runs lade lint on every chart of the conformance
// corpus with the arguments helm lint was run with, and compares stdout,
// stderr (warnings such as `required`'s included) and the exit code.
// --helm-only must match byte for byte; the default run must report Helm's
// messages too (lade's rules add their own).
func TestLintConformance(t *testing.T) {
	corpus, err := filepath.Abs("../../../shared/conformance")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(corpus, "lint", "*.txt"))
	if len(files) == 0 {
		t.Skip("conformance corpus not found at ../shared/conformance")
	}
	t.Chdir(corpus)
	exact, total := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		for i, c := range parseLintCorpus(t, string(data)) {
			total++
			t.Run(name+"/"+strconv.Itoa(i), func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				args := append(append([]string{}, c.args...), "--helm-only")
				code := run(context.Background(), args, &stdout, &stderr)
				ok := true
				if stdout.String() != c.stdout {
					ok = false
					t.Errorf("lade %s\nstdout:\n%s\nwant (helm):\n%s", strings.Join(args, " "), stdout.String(), c.stdout)
				}
				if code != c.exitCode {
					ok = false
					t.Errorf("exit code %d, helm %d", code, c.exitCode)
				}
				if got, want := stderr.String(), c.stderr; got != want {
					ok = false
					t.Errorf("stderr:\n%s\nhelm:\n%s", got, want)
				}
				if ok {
					exact++
				}

				// Default mode: every line Helm printed for a message is printed too.
				stdout.Reset()
				stderr.Reset()
				run(context.Background(), c.args, &stdout, &stderr)
				got := stdout.String()
				for _, l := range strings.Split(c.stdout, "\n") {
					if strings.HasPrefix(l, "[") && !strings.Contains(got, l) {
						t.Errorf("default mode lost Helm's message %q", l)
					}
				}
			})
		}
	}
	t.Logf("lint corpus: %d/%d runs match helm lint exactly (--helm-only)", exact, total)
}

// TestLintHelmGoldens compares --helm-only output with what helm lint v4.3.1
// printed for the team's Helm-rule charts (testdata/charts/lint/helm/*.golden:
// stdout then "# exit_code: N") and, when the reference helm is installed,
// with what it prints now (stderr too).
func TestLintHelmGoldens(t *testing.T) {
	dir, err := filepath.Abs("../../testdata/charts/lint/helm")
	if err != nil {
		t.Fatal(err)
	}
	goldens, _ := filepath.Glob(filepath.Join(dir, "*.golden"))
	if len(goldens) == 0 {
		t.Fatal("no goldens")
	}
	t.Chdir(dir)
	for _, g := range goldens {
		name := strings.TrimSuffix(filepath.Base(g), ".golden")
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(g)
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"lint", "--helm-only", name, "--kube-version", "1.33"}, &stdout, &stderr)
			got := stdout.String() + "# exit_code: " + strconv.Itoa(code) + "\n"
			if got != string(want) {
				t.Errorf("got:\n%s\nwant (helm):\n%s", got, want)
			}
			if _, err := os.Stat(name); err == nil {
				compareWithHelm(t, dir, name, "--kube-version", "1.33")
			}
		})
	}
}

func lintRun(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"lint"}, args...), &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

const ruleChartDir = "../../testdata/charts/lint"

func TestLintExitCodes(t *testing.T) {
	warnChart := ruleChartDir + "/privileged/bad"
	out, errOut, code := lintRun(t, warnChart)
	wantLine := `[WARNING] templates/manifests.yaml:30: Deployment/web: container "app" is privileged [privileged]`
	if code != 0 || !strings.Contains(out, wantLine) || !strings.HasSuffix(out, "1 chart(s) linted, 0 chart(s) failed\n") {
		t.Errorf("warning chart: code %d\n%s%s", code, out, errOut)
	}
	_, errOut, code = lintRun(t, "--strict", warnChart)
	if code != 1 || errOut != "Error: 1 chart(s) linted, 1 chart(s) failed\n" {
		t.Errorf("--strict: code %d, stderr %q", code, errOut)
	}
	_, _, code = lintRun(t, "--strict", "--ignore", "privileged", warnChart)
	if code != 0 {
		t.Errorf("--strict --ignore privileged: code %d", code)
	}
	out, _, code = lintRun(t, ruleChartDir+"/rollout-stuck/bad", ruleChartDir+"/rollout-stuck/good")
	if code != 1 || !strings.Contains(out, "[ERROR] templates/manifests.yaml:10: Deployment/web: maxSurge and maxUnavailable are both 0") {
		t.Errorf("error chart: code %d\n%s", code, out)
	}
	out, _, code = lintRun(t, "--quiet", ruleChartDir+"/privileged/good")
	if code != 0 || out != "" {
		t.Errorf("--quiet on a clean chart printed %q (code %d)", out, code)
	}
	out, _, code = lintRun(t, "--nodes", "2", ruleChartDir+"/anti-affinity-nodes/bad")
	if code != 1 || !strings.Contains(out, "3 replicas require distinct nodes but the cluster has 2") {
		t.Errorf("--nodes 2: code %d\n%s", code, out)
	}
	_, errOut, code = lintRun(t, "does-not-exist")
	if code != 1 || !strings.Contains(errOut, "1 chart(s) failed") {
		t.Errorf("missing chart: code %d %q", code, errOut)
	}
}

func TestLintJSON(t *testing.T) {
	out, _, code := lintRun(t, "-o", "json", ruleChartDir+"/limits-below-requests/bad")
	if code != 1 {
		t.Errorf("code %d", code)
	}
	var rep struct {
		Charts []struct {
			Path     string
			Failed   bool
			Messages []map[string]any
		}
		Linted, Failed int
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Linted != 1 || rep.Failed != 1 || len(rep.Charts) != 1 || !rep.Charts[0].Failed {
		t.Fatalf("report %+v", rep)
	}
	m := rep.Charts[0].Messages[0]
	if m["severity"] != "error" || m["rule"] != "limits-below-requests" || m["object"] != "Deployment/web" ||
		m["path"] != "templates/manifests.yaml" || m["field"] != "spec.template.spec.containers[0].resources.limits.memory" {
		t.Errorf("message %v", m)
	}
}

// TestLintSARIF checks the SARIF 2.1.0 shape code-scanning tools require.
func TestLintSARIF(t *testing.T) {
	out, _, _ := lintRun(t, "-o", "sarif", "--kube-version", "1.33", ruleChartDir+"/privileged/bad", ruleChartDir+"/removed-api/bad")
	var log map[string]any
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if log["version"] != "2.1.0" || !strings.Contains(log["$schema"].(string), "sarif-2.1.0") {
		t.Fatalf("version/schema: %v %v", log["version"], log["$schema"])
	}
	runs := log["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("runs: %d", len(runs))
	}
	runObj := runs[0].(map[string]any)
	driver := runObj["tool"].(map[string]any)["driver"].(map[string]any)
	if driver["name"] != "lade" {
		t.Errorf("driver name %v", driver["name"])
	}
	ruleIDs := []string{}
	for _, r := range driver["rules"].([]any) {
		rm := r.(map[string]any)
		id, _ := rm["id"].(string)
		if id == "" || rm["shortDescription"].(map[string]any)["text"] == "" {
			t.Errorf("rule without id or description: %v", rm)
		}
		ruleIDs = append(ruleIDs, id)
	}
	results := runObj["results"].([]any)
	if len(results) < 2 {
		t.Fatalf("results: %v", results)
	}
	levels := map[string]bool{"error": true, "warning": true, "note": true, "none": true}
	for _, r := range results {
		rm := r.(map[string]any)
		idx := int(rm["ruleIndex"].(float64))
		if idx < 0 || idx >= len(ruleIDs) || ruleIDs[idx] != rm["ruleId"] {
			t.Errorf("ruleIndex %d does not point at %v", idx, rm["ruleId"])
		}
		if !levels[rm["level"].(string)] {
			t.Errorf("level %v", rm["level"])
		}
		if rm["message"].(map[string]any)["text"] == "" {
			t.Error("empty message")
		}
		loc := rm["locations"].([]any)[0].(map[string]any)
		uri := loc["physicalLocation"].(map[string]any)["artifactLocation"].(map[string]any)["uri"].(string)
		if !strings.HasSuffix(uri, "/templates/manifests.yaml") || strings.HasPrefix(uri, "/") {
			t.Errorf("uri %q", uri)
		}
	}
}

func TestLintWithSubcharts(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"parent/charts/child/templates", "parent/templates"} {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("parent/Chart.yaml", "apiVersion: v2\nname: parent\nversion: 0.1.0\nicon: https://x.io/i.png\ndependencies:\n- name: child\n  version: 0.1.0\n")
	write("parent/values.yaml", "{}\n")
	write("parent/charts/child/Chart.yaml", "apiVersion: v2\nname: child\nversion: 0.1.0\n")
	write("parent/charts/child/values.yaml", "{}\n")
	out, _, code := lintRun(t, "--with-subcharts", filepath.Join(dir, "parent"))
	want := "==> Linting " + filepath.Join(dir, "parent") + "\n\n==> Linting " + filepath.Join(dir, "parent/charts/child") +
		"\n[INFO] Chart.yaml: icon is recommended\n\n2 chart(s) linted, 0 chart(s) failed\n"
	if code != 0 || out != want {
		t.Errorf("code %d\n%s\nwant\n%s", code, out, want)
	}
}

// BenchmarkLintUmbrella lints the umbrella chart of ../shared/bench/gen-umbrella
// (100 subcharts) with --with-subcharts, as `lade lint --with-subcharts DIR`.
func BenchmarkLintUmbrella(b *testing.B) {
	gen, err := filepath.Abs("../../../shared/bench/gen-umbrella")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(gen); err != nil {
		b.Skip("../shared/bench/gen-umbrella not found")
	}
	dir := filepath.Join(b.TempDir(), "umbrella")
	if out, err := exec.Command(gen, dir, "--subcharts", "100").CombinedOutput(); err != nil {
		b.Fatalf("gen-umbrella: %v\n%s", err, out)
	}
	b.ResetTimer()
	for range b.N {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"lint", "--with-subcharts", dir}, &stdout, &stderr); code != 0 {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
}

// compareWithHelm runs `helm lint ARGS` with the reference binary, when
// installed, and `lade lint --helm-only ARGS`, from dir; stdout, stderr and
// the exit code must be identical.
func compareWithHelm(t *testing.T, dir string, args ...string) {
	t.Helper()
	ref := helmRef()
	if _, err := os.Stat(ref); err != nil {
		t.Logf("reference helm not installed (%v): live comparison skipped", err)
		return
	}
	cmd := exec.Command(ref, append([]string{"lint"}, args...)...)
	cmd.Dir = dir
	cmd.Env = helmEnv(t)
	var hout, herr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &hout, &herr
	hcode := 0
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatal(err)
		}
		hcode = ee.ExitCode()
	}
	t.Chdir(dir)
	out, errOut, code := lintRun(t, append([]string{"--helm-only"}, args...)...)
	if out != hout.String() || errOut != herr.String() || code != hcode {
		t.Errorf("lade lint --helm-only differs from helm lint:\nlade (exit %d):\n%s%s\nhelm (exit %d):\n%s%s", code, out, errOut, hcode, hout.String(), herr.String())
	}
}

func writeLintChart(t *testing.T, values string, templates map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"c/Chart.yaml":  "apiVersion: v2\nname: c\nversion: 0.1.0\nicon: https://example.com/i.png\n",
		"c/values.yaml": values,
	}
	for name, body := range templates {
		files["c/templates/"+name] = body
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestLintRequiredWarnings: `required` on a missing value and on an empty
// string logs Helm's two different messages, in lint mode.
func TestLintRequiredWarnings(t *testing.T) {
	dir := writeLintChart(t, "empty: \"\"\n", map[string]string{"cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: req
data:
  a: {{ required "need a" .Values.missing | quote }}
  b: {{ required "need b" .Values.empty | quote }}
`})
	t.Chdir(dir)
	for _, args := range [][]string{{"--helm-only", "c"}, {"c"}} {
		_, errOut, _ := lintRun(t, args...)
		want := "level=WARN msg=\"missing required value\" message=\"need a\"\n" +
			"level=WARN msg=\"missing required values\" message=\"need b\"\n"
		if errOut != want {
			t.Errorf("lade lint %v stderr:\n%s\nwant (helm lint v4.3.1):\n%s", args, errOut, want)
		}
	}
	compareWithHelm(t, dir, "c")
}

// apiRulesChart renders objects the API server rejects: a Deployment with
// replicas -1 and a selector its pod labels do not match, and a Service with
// three errors, one of them the YAML 1.1 boolean trap.
const apiRulesDeploy = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: app
          image: nginx:1.27
          resources:
            requests: {cpu: 1x, memory: 64Mi}
            limits: {memory: 128Mi}
          readinessProbe:
            tcpSocket: {port: 8080}
      securityContext: {runAsNonRoot: true}
`

const apiRulesService = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: y
  ports:
    - port: 70000
      targetPort: "8080"
      protocl: TCP
`

func TestLintAPIRules(t *testing.T) {
	dir := writeLintChart(t, "replicas: -1\n", map[string]string{"deployment.yaml": apiRulesDeploy, "service.yaml": apiRulesService})
	t.Chdir(dir)
	out, errOut, code := lintRun(t, "c")
	want := `==> Linting c
[ERROR] templates/deployment.yaml:6: Deployment/web: spec.replicas: must be greater than or equal to 0, got -1 [api-validation]
[ERROR] templates/deployment.yaml:12: Deployment/web: spec.template.metadata.labels: selector app=web does not match the pod template's labels (app=api): the API server requires the template to carry every label the selector asks for [api-validation]
[ERROR] templates/deployment.yaml:19: Deployment/web: spec.template.spec.containers[0].resources.requests.cpu: "1x" is not a quantity (write a number with an optional suffix: 100m, 0.5, 64Mi, 1G) [schema]
[ERROR] templates/service.yaml:7: Service/web: spec.selector.app: expected a string, got a boolean (YAML 1.1 reads y/yes/on/off/n/no as booleans: quote it: "y") [schema]
[ERROR] templates/service.yaml:9: Service/web: spec.ports[0].port: 70000 is not a valid port: must be between 1 and 65535, inclusive [api-validation]
[ERROR] templates/service.yaml:10: Service/web: spec.ports[0].targetPort: "8080" is a string, so it must be a port name, and a port name needs a letter (remove the quotes, or drop | quote: 8080) [api-validation]
[ERROR] templates/service.yaml:11: Service/web: spec.ports[0].protocl: unknown field (did you mean "protocol"?) [schema]

`
	if code != 1 || out != want || errOut != "Error: 1 chart(s) linted, 1 chart(s) failed\n" {
		t.Errorf("exit %d\n%s%s\nwant\n%s", code, out, errOut, want)
	}

	// --helm-only reports none of it, as helm lint does not.
	out, _, code = lintRun(t, "--helm-only", "c")
	if code != 0 || out != "==> Linting c\n\n1 chart(s) linted, 0 chart(s) failed\n" {
		t.Errorf("--helm-only: exit %d\n%s", code, out)
	}
	compareWithHelm(t, dir, "c")

	// JSON and SARIF carry the line.
	out, _, _ = lintRun(t, "-o", "json", "c")
	var rep struct {
		Charts []struct {
			Messages []struct {
				Path, Rule, Field string
				Line              int
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Charts) != 1 {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if m := rep.Charts[0].Messages[0]; m.Path != "templates/deployment.yaml" || m.Line != 6 || m.Rule != "api-validation" || m.Field != "spec.replicas" {
		t.Errorf("json message %+v", m)
	}
	out, _, _ = lintRun(t, "-o", "sarif", "c")
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil || len(log.Runs) != 1 || len(log.Runs[0].Results) == 0 {
		t.Fatalf("sarif: %v\n%s", err, out)
	}
	if loc := log.Runs[0].Results[0].Locations[0].PhysicalLocation; loc.ArtifactLocation.URI != "c/templates/deployment.yaml" || loc.Region.StartLine != 6 {
		t.Errorf("sarif location %+v", loc)
	}
}
