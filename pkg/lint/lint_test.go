package lint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lade-dev/lade/pkg/chart/common"
)

const ruleCharts = "../../testdata/charts/lint"

func lintOne(t *testing.T, dir string, o Options) *Result {
	t.Helper()
	if o.KubeVersion == nil {
		kv, err := common.ParseKubeVersion("v1.33.0")
		if err != nil {
			t.Fatal(err)
		}
		o.KubeVersion = kv
	}
	r := Chart(context.Background(), dir, o)
	if r.Err != nil {
		t.Fatalf("lint %s: %v", dir, r.Err)
	}
	return r
}

func rulesOf(r *Result) map[string][]Message {
	out := map[string][]Message{}
	for _, m := range r.Messages {
		out[m.Rule] = append(out[m.Rule], m)
	}
	return out
}

// TestRuleCharts lints testdata/charts/lint/<rule>/{bad,good}: bad must
// report the rule, good must not report anything of lade's.
func TestRuleCharts(t *testing.T) {
	for _, info := range Rules() {
		t.Run(info.ID, func(t *testing.T) {
			o := Options{Nodes: 2}
			bad := lintOne(t, filepath.Join(ruleCharts, info.ID, "bad"), o)
			got := rulesOf(bad)[info.ID]
			if len(got) == 0 {
				t.Fatalf("bad chart: rule %s not reported; messages: %v", info.ID, bad.Messages)
			}
			for _, m := range got {
				if m.Path != "templates/manifests.yaml" || m.Object == "" || m.Text == "" {
					t.Errorf("message lacks template, object or text: %+v", m)
				}
				if info.ID != RuleRemovedAPI && info.ID != RuleCRDSchema && m.Severity != info.Severity {
					t.Errorf("severity %s, want %s", m.Severity, info.Severity)
				}
			}
			for _, m := range bad.Messages {
				if m.Rule != info.ID && !strings.HasPrefix(m.Rule, "helm/") {
					t.Errorf("bad chart also reports %s", m)
				}
			}
			good := lintOne(t, filepath.Join(ruleCharts, info.ID, "good"), o)
			if len(good.Messages) != 0 {
				t.Errorf("good chart reports: %v", good.Messages)
			}
		})
	}
}

func TestRuleChartsCoverEveryRule(t *testing.T) {
	for _, info := range Rules() {
		for _, kind := range []string{"bad", "good"} {
			if _, err := os.Stat(filepath.Join(ruleCharts, info.ID, kind, "Chart.yaml")); err != nil {
				t.Errorf("no %s chart for rule %s", kind, info.ID)
			}
		}
	}
}

func TestSchemaMessages(t *testing.T) {
	r := lintOne(t, filepath.Join(ruleCharts, "schema", "bad"), Options{})
	want := `[ERROR] templates/manifests.yaml:29: Deployment/web: spec.template.spec.containers[0].contianers: unknown field [schema]`
	if len(r.Messages) != 1 || r.Messages[0].String() != want {
		t.Fatalf("got %v\nwant %s", r.Messages, want)
	}
	if f := r.Messages[0].Field; f != "spec.template.spec.containers[0].contianers" {
		t.Errorf("field %q", f)
	}
	r = lintOne(t, filepath.Join(ruleCharts, "schema", "types"), Options{})
	var lines []string
	for _, m := range r.Messages {
		lines = append(lines, m.String())
	}
	got := strings.Join(lines, "\n")
	for _, w := range []string{
		`[ERROR] templates/pod.yaml:9: Pod/one: spec.containers[0].image: required field is missing [schema]`,
		`[ERROR] templates/svc.yaml:5: Service/web: metadata.lade.dev/lint-ignore: unknown field (labels and annotations go under metadata.labels and metadata.annotations) [schema]`,
		`[ERROR] templates/svc.yaml:8: Service/web: spec.ports[0].port: expected an integer, got a string ("eighty") [schema]`,
	} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in\n%s", w, got)
		}
	}
	// pod.yaml's lade.dev/lint-ignore suppresses run-as-root, resource-requests and memory-limit.
	for _, m := range r.Messages {
		switch m.Rule {
		case RuleRunAsRoot, RuleRequests, RuleMemoryLimit:
			t.Errorf("suppressed rule reported: %s", m)
		}
	}
}

func TestIgnoreOption(t *testing.T) {
	dir := filepath.Join(ruleCharts, "privileged", "bad")
	if r := lintOne(t, dir, Options{}); len(rulesOf(r)[RulePrivileged]) == 0 {
		t.Fatal("privileged not reported")
	}
	if r := lintOne(t, dir, Options{Ignore: []string{RulePrivileged}}); len(r.Messages) != 0 {
		t.Fatalf("--ignore privileged: %v", r.Messages)
	}
}

func TestAntiAffinityNeedsNodes(t *testing.T) {
	r := lintOne(t, filepath.Join(ruleCharts, RuleAntiAffinity, "bad"), Options{})
	if len(r.Messages) != 0 {
		t.Fatalf("without --nodes the rule must stay quiet: %v", r.Messages)
	}
}

func TestHelmOnly(t *testing.T) {
	r := lintOne(t, filepath.Join(ruleCharts, RuleRunAsRoot, "bad"), Options{HelmOnly: true})
	if len(r.Messages) != 0 {
		t.Fatalf("--helm-only reported lade rules: %v", r.Messages)
	}
}

func TestFailed(t *testing.T) {
	warn := &Result{Messages: []Message{{Severity: Warning}}}
	if warn.Failed(false) || !warn.Failed(true) {
		t.Error("a warning fails only with strict")
	}
	info := &Result{Messages: []Message{{Severity: Info}}}
	if info.Failed(true) || info.HasWarningsOrErrors() {
		t.Error("info never fails")
	}
}
