package render

import (
	"strings"
	"testing"

	"github.com/lade-dev/lade/pkg/chart"
)

func TestSortManifestsOrderAndHooks(t *testing.T) {
	files := map[string]string{
		"c/templates/b.yaml": "kind: Widget\nmetadata:\n  name: w\n---\nkind: Deployment\nmetadata:\n  name: d\n",
		"c/templates/a.yaml": "kind: Service\nmetadata:\n  name: s\n---\n\n---\nkind: Gadget\nmetadata:\n  name: g\n",
		"c/templates/n.yaml": "kind: Namespace\nmetadata:\n  name: ns\n",
		"c/templates/h.yaml": "kind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install, Pre-Upgrade\n    helm.sh/hook-weight: \"-5\"\n    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded\n" +
			"---\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n" +
			"---\nkind: Pod\nmetadata:\n  name: odd\n  annotations:\n    helm.sh/hook: sometimes\n",
		"c/templates/_p.tpl": "kind: Secret\n",
		"c/templates/e.yaml": " \n\t\n",
	}
	hooks, manifests, err := SortManifests(files, InstallOrder)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range manifests {
		got = append(got, m.Head.Kind+"/"+m.Head.Metadata.Name)
	}
	want := "Namespace/ns Service/s Deployment/d Gadget/g Widget/w"
	if strings.Join(got, " ") != want {
		t.Fatalf("order %v, want %s", got, want)
	}
	if len(hooks) != 2 {
		t.Fatalf("want 2 hooks (unknown hook skipped), got %d", len(hooks))
	}
	h := hooks[0]
	if h.Kind != "Pod" || !h.IsTest() {
		t.Fatalf("hooks are sorted by kind: first %+v", h)
	}
	j := hooks[1]
	if j.Weight != -5 || len(j.Events) != 2 || j.Events[1] != HookPreUpgrade ||
		strings.Join(j.DeletePolicies, ",") != "before-hook-creation,hook-succeeded" || j.Path != "c/templates/h.yaml" {
		t.Fatalf("job hook parsed wrong: %+v", j)
	}
}

func TestSortManifestsYAMLError(t *testing.T) {
	_, _, err := SortManifests(map[string]string{"c/templates/bad.yaml": "kind: A\n  x: : y\n"}, InstallOrder)
	if err == nil || !strings.HasPrefix(err.Error(), "YAML parse error on c/templates/bad.yaml: error converting YAML to JSON: yaml: line 2") {
		t.Fatalf("got %v", err)
	}
}

func TestTemplateTextFraming(t *testing.T) {
	ch := &chart.Chart{Metadata: &chart.Metadata{Name: "c"}, Files: []*chart.File{{Name: "crds/x.yaml", Data: []byte("kind: CustomResourceDefinition")}}}
	hooks, manifests, err := SortManifests(map[string]string{
		"c/templates/cm.yaml":   "kind: ConfigMap\nmetadata:\n  name: a\n",
		"c/templates/test.yaml": "kind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n",
		"c/templates/pre.yaml":  "kind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: pre-install\n",
	}, InstallOrder)
	if err != nil {
		t.Fatal(err)
	}
	r := &Result{Chart: ch, Manifests: manifests, Hooks: hooks}
	cases := []struct {
		opts TemplateOptions
		want string
	}{
		// Hooks follow the manifests, sorted by kind (Pod before Job).
		{TemplateOptions{}, "---\n# Source: c/templates/cm.yaml\nkind: ConfigMap\nmetadata:\n  name: a\n" +
			"---\n# Source: c/templates/test.yaml\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n\n" +
			"---\n# Source: c/templates/pre.yaml\nkind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: pre-install\n\n"},
		{TemplateOptions{NoHooks: true, IncludeCRDs: true}, "---\n# Source: c/crds/x.yaml\nkind: CustomResourceDefinition\n---\n# Source: c/templates/cm.yaml\nkind: ConfigMap\nmetadata:\n  name: a\n"},
		// --show-only re-frames documents, keeping their trailing blank line (as Helm does).
		{TemplateOptions{SkipTests: true, ShowOnly: []string{"templates/p*.yaml"}}, "---\n# Source: c/templates/pre.yaml\nkind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: pre-install\n\n\n"},
	}
	for i, tc := range cases {
		got, err := r.TemplateText(tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("case %d:\n got %q\nwant %q", i, got, tc.want)
		}
	}
	if _, err := r.TemplateText(TemplateOptions{ShowOnly: []string{"templates/nope.yaml"}}); err == nil || err.Error() != "could not find template templates/nope.yaml in chart" {
		t.Fatalf("show-only miss: %v", err)
	}
}
