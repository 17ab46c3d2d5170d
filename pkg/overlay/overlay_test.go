package overlay_test

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/yamljson"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/overlay"
	"github.com/lade-dev/lade/pkg/render"
)

const testdata = "../../testdata/overlays"

func renderShop(t testing.TB) *render.Result {
	t.Helper()
	ch, err := chart.Load(filepath.Join(testdata, "chart", "shop"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := render.Chart(context.Background(), ch, nil, render.Options{ReleaseName: "shop", Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func load(t testing.TB, name string) *overlay.Overlay {
	t.Helper()
	ov, err := overlay.Load(filepath.Join(testdata, name))
	if err != nil {
		t.Fatal(err)
	}
	return ov
}

// eachChartOverlay runs f in a subtest for each overlay of testdata/overlays
// meant for a chart (the "package" kustomization is a package of its own).
func eachChartOverlay(t *testing.T, f func(t *testing.T, name string, ov *overlay.Overlay)) {
	t.Helper()
	entries, err := os.ReadDir(testdata)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || !overlay.IsKustomization(filepath.Join(testdata, e.Name())) || e.Name() == "package" {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) { f(t, e.Name(), load(t, e.Name())) })
	}
}

// objects parses every document of a multi-document stream, keyed by
// "apiVersion kind namespace/name".
func objects(t testing.TB, docs []string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, d := range docs {
		if strings.TrimSpace(d) == "" {
			continue
		}
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(d), &obj); err != nil {
			t.Fatalf("parse %q: %v", d, err)
		}
		if obj == nil {
			continue
		}
		md, _ := obj["metadata"].(map[string]any)
		key := strings.Join([]string{obj["apiVersion"].(string), obj["kind"].(string), str(md["namespace"]) + "/" + str(md["name"])}, " ")
		if _, dup := out[key]; dup {
			t.Fatalf("duplicate object %s", key)
		}
		out[key] = obj
	}
	return out
}

func str(v any) string { s, _ := v.(string); return s }

// baseDocs is what Apply hands kustomize: manifests, then hooks.
func baseDocs(res *render.Result, hooks bool) []string {
	var docs []string
	for _, m := range res.Manifests {
		docs = append(docs, m.Content)
	}
	if hooks {
		for _, h := range res.Hooks {
			docs = append(docs, h.Manifest)
		}
	}
	return docs
}

func resultDocs(res *render.Result) []string {
	var docs []string
	for _, m := range res.Manifests {
		docs = append(docs, m.Content)
	}
	for _, h := range res.Hooks {
		docs = append(docs, h.Manifest)
	}
	return docs
}

// kubectlKustomize lays the rendered documents out as a kustomize base and
// the overlay (copied, its kustomization gaining ../base as first resource)
// and runs `kubectl kustomize` on it.
func kubectlKustomize(t *testing.T, base []string, ovDir string) []string {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not found: skipping the comparison with kubectl kustomize")
	}
	tmp := t.TempDir()
	if err := os.MkdirAll(filepath.Join(tmp, "base"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(tmp, "base", "kustomization.yaml"), "resources:\n- chart.yaml\n")
	write(filepath.Join(tmp, "base", "chart.yaml"), "---\n"+strings.Join(base, "\n---\n")+"\n")
	err = filepath.Walk(ovDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(ovDir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if rel == "kustomization.yaml" {
			var k map[string]any
			if err := yaml.Unmarshal(data, &k); err != nil {
				return err
			}
			res, _ := k["resources"].([]any)
			k["resources"] = append([]any{"../base"}, res...)
			if data, err = yaml.Marshal(k); err != nil {
				return err
			}
		}
		write(filepath.Join(tmp, "overlay", rel), string(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(kubectl, "kustomize", filepath.Join(tmp, "overlay")).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v\n%s", err, out)
	}
	return yamljson.SplitDocuments(string(out))
}

func diffObjects(t *testing.T, got, want map[string]map[string]any) {
	t.Helper()
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, w := got[k], want[k]
		switch {
		case g == nil:
			t.Errorf("missing %s (kubectl kustomize has it)", k)
		case w == nil:
			t.Errorf("extra %s (kubectl kustomize does not have it)", k)
		case !reflect.DeepEqual(g, w):
			gy, _ := yaml.Marshal(g)
			wy, _ := yaml.Marshal(w)
			t.Errorf("%s differs:\n--- lade\n%s\n--- kubectl kustomize\n%s", k, gy, wy)
		}
	}
}

func sources(res *render.Result) map[string]string {
	out := map[string]string{}
	add := func(path, content string) {
		var obj struct {
			Kind     string
			Metadata struct{ Name string }
		}
		_ = yaml.Unmarshal([]byte(content), &obj)
		out[obj.Kind+"/"+obj.Metadata.Name] = path
	}
	for _, m := range res.Manifests {
		add(m.Path, m.Content)
	}
	for _, h := range res.Hooks {
		add(h.Path, h.Manifest)
	}
	return out
}

// TestMatchesKubectlKustomize applies each feature overlay to the shop chart
// and compares every object and field with kubectl kustomize's output on
// the same files laid out as base + overlay.
func TestMatchesKubectlKustomize(t *testing.T) {
	cases := []struct {
		dir string
		// sources expected for some objects (kind/name -> # Source)
		sources map[string]string
		check   func(t *testing.T, got map[string]map[string]any)
	}{
		{dir: "smp", sources: map[string]string{"Deployment/shop-web": "shop/templates/deployment.yaml"}, check: func(t *testing.T, got map[string]map[string]any) {
			d := got["apps/v1 Deployment /shop-web"]
			if !strings.Contains(mustYAML(d), "envoyproxy/envoy") || !strings.Contains(mustYAML(d), "tolerations") {
				t.Errorf("sidecar or toleration missing:\n%s", mustYAML(d))
			}
		}},
		{dir: "json6902", check: func(t *testing.T, got map[string]map[string]any) {
			if s := mustYAML(got["v1 Service /shop-web"]); !strings.Contains(s, "port: 8080") || !strings.Contains(s, "tier: front") {
				t.Errorf("service patch not applied:\n%s", s)
			}
		}},
		{dir: "images", check: func(t *testing.T, got map[string]map[string]any) {
			if s := mustYAML(got["apps/v1 Deployment /shop-web"]); !strings.Contains(s, "mirror.internal/shop/web:1.0.1") {
				t.Errorf("image not replaced:\n%s", s)
			}
			if s := mustYAML(got["batch/v1 Job /shop-migrate"]); !strings.Contains(s, "mirror.internal/shop/web:1.0.1") {
				t.Errorf("hook image not replaced:\n%s", s)
			}
		}},
		{dir: "prefix-suffix", sources: map[string]string{"Deployment/team-shop-web-v2": "shop/templates/deployment.yaml", "Job/team-shop-migrate-v2": "shop/templates/migrate-job.yaml"}, check: func(t *testing.T, got map[string]map[string]any) {
			if s := mustYAML(got["apps/v1 Deployment /team-shop-web-v2"]); !strings.Contains(s, "name: team-shop-config-v2") || !strings.Contains(s, "serviceAccountName: team-shop-sa-v2") {
				t.Errorf("references not rewritten:\n%s", s)
			}
		}},
		{dir: "namespace", check: func(t *testing.T, got map[string]map[string]any) {
			if _, ok := got["apps/v1 Deployment shop-prod/shop-web"]; !ok {
				t.Errorf("namespace not set: %v", keys(got))
			}
		}},
		{dir: "labels"},
		{dir: "replicas", check: func(t *testing.T, got map[string]map[string]any) {
			if s := mustYAML(got["apps/v1 Deployment /shop-web"]); !strings.Contains(s, "replicas: 5") {
				t.Errorf("replicas not set:\n%s", s)
			}
		}},
		{dir: "generators", sources: map[string]string{"Deployment/shop-web": "shop/templates/deployment.yaml"}, check: func(t *testing.T, got map[string]map[string]any) {
			var cm string
			for k := range got {
				if strings.HasPrefix(k, "v1 ConfigMap /web-env-") {
					cm = strings.TrimPrefix(k, "v1 ConfigMap /")
				}
			}
			if cm == "" {
				t.Fatalf("no hashed web-env ConfigMap: %v", keys(got))
			}
			if s := mustYAML(got["apps/v1 Deployment /shop-web"]); strings.Count(s, cm) != 2 || !strings.Contains(s, "web-credentials-") {
				t.Errorf("references to %s not rewritten:\n%s", cm, s)
			}
		}},
		{dir: "replacements", check: func(t *testing.T, got map[string]map[string]any) {
			if s := mustYAML(got["apps/v1 Deployment /shop-web"]); !strings.Contains(s, "value: shop-web") {
				t.Errorf("replacement not applied:\n%s", s)
			}
		}},
		{dir: "components", sources: map[string]string{"ServiceMonitor/shop-web": "overlay/components/monitoring/servicemonitor.yaml", "Service/shop-web": "shop/templates/service.yaml"}},
		{dir: "added", sources: map[string]string{"NetworkPolicy/shop-web": "overlay/networkpolicy.yaml", "PodDisruptionBudget/shop-web": "overlay/pdb.yaml", "ConfigMap/shop-config": "shop/templates/configmap.yaml"}},
		// Patches replacing or removing whole annotation maps (JSON 6902,
		// strategic merge $patch: replace and delete): every object is still
		// the chart's.
		{dir: "annotations", sources: map[string]string{
			"Deployment/shop-web": "shop/templates/deployment.yaml", "Service/shop-web": "shop/templates/service.yaml",
			"ServiceAccount/shop-sa": "shop/templates/service.yaml", "ConfigMap/shop-config": "shop/templates/configmap.yaml",
			"Job/shop-migrate": "shop/templates/migrate-job.yaml",
		}, check: func(t *testing.T, got map[string]map[string]any) {
			if s := mustYAML(got["apps/v1 Deployment /shop-web"]); !strings.Contains(s, "owner: platform@example.com") || strings.Contains(s, "team: shop") {
				t.Errorf("annotations not replaced:\n%s", s)
			}
			if s := mustYAML(got["v1 ConfigMap /shop-config"]); strings.Contains(s, "annotations") {
				t.Errorf("annotations not deleted:\n%s", s)
			}
			if s := mustYAML(got["v1 Service /shop-web"]); !strings.Contains(s, "service.example.com/exposed") || strings.Contains(s, "tier") {
				t.Errorf("annotations not cleared and set again:\n%s", s)
			}
		}},
		{dir: "combined", sources: map[string]string{"ResourceQuota/prod-shop": "overlay/quota.yaml", "Service/prod-shop-web": "shop/templates/service.yaml", "Job/prod-shop-migrate": "shop/templates/migrate-job.yaml"}},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			res := renderShop(t)
			ov := load(t, c.dir)
			out, err := overlay.Apply(res, ov, overlay.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := objects(t, resultDocs(out))
			want := objects(t, kubectlKustomize(t, baseDocs(res, true), filepath.Join(testdata, c.dir)))
			diffObjects(t, got, want)
			srcs := sources(out)
			for obj, src := range c.sources {
				if srcs[obj] != src {
					t.Errorf("# Source of %s = %q, want %q (all: %v)", obj, srcs[obj], src, srcs)
				}
			}
			if c.check != nil {
				c.check(t, got)
			}
			// The input is untouched.
			if len(res.Manifests) != 4 || len(res.Hooks) != 1 {
				t.Errorf("Apply changed its input: %d manifests, %d hooks", len(res.Manifests), len(res.Hooks))
			}
		})
	}
}

func mustYAML(v any) string {
	b, _ := yaml.Marshal(v)
	return string(b)
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestGeneratedSources(t *testing.T) {
	out, err := overlay.Apply(renderShop(t), load(t, "generators"), overlay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for obj, src := range sources(out) {
		if strings.HasPrefix(obj, "ConfigMap/web-env-") || strings.HasPrefix(obj, "Secret/web-credentials-") {
			if src != "overlay/kustomization.yaml" {
				t.Errorf("%s: # Source %q, want overlay/kustomization.yaml", obj, src)
			}
		}
	}
	text, err := out.TemplateText(render.TemplateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "# Source: shop/templates/deployment.yaml\n") || !strings.Contains(text, "# Source: overlay/kustomization.yaml\n") {
		t.Errorf("template output lacks sources:\n%s", text)
	}
	if strings.Contains(text, "config.kubernetes.io/origin") {
		t.Errorf("origin annotations leaked:\n%s", text)
	}
}

func TestHooks(t *testing.T) {
	res := renderShop(t)
	ov := load(t, "prefix-suffix")
	out, err := overlay.Apply(res, ov, overlay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Hooks) != 1 || out.Hooks[0].Name != "team-shop-migrate-v2" || out.Hooks[0].Weight != -1 || len(out.Hooks[0].Events) != 2 {
		t.Fatalf("hook did not go through the overlay: %+v", out.Hooks)
	}
	out, err = overlay.Apply(res, ov, overlay.Options{SkipHooks: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Hooks) != 1 || out.Hooks[0].Name != "shop-migrate" || out.Hooks[0].Manifest != res.Hooks[0].Manifest {
		t.Fatalf("--overlay-hooks=false: hook changed: %+v", out.Hooks[0])
	}
	if out.Manifests[0].Head.Metadata.Name != "team-shop-sa-v2" {
		t.Errorf("manifests not overlaid: %s", out.Manifests[0].Content)
	}
}

func TestBroken(t *testing.T) {
	res := renderShop(t)
	cases := []struct {
		dir     string
		refused bool
		want    []string
	}{
		{"broken/bad-target", false, []string{"missing-deployment.yaml", "does-not-exist"}},
		{"broken/bad-yaml", false, []string{"patch.yaml: invalid YAML: yaml: line 4: "}},
		{"broken/bad-smp-file", false, []string{"replicas.yaml", "line 5"}},
		{"broken/remote", true, []string{"kustomization.yaml", "remote bases are refused"}},
		{"broken/escape", true, []string{"kustomization.yaml", "../../smp/sidecar.yaml", "outside the kustomization's directory"}},
		{"broken/exec", true, []string{"run.yaml", "plugins are refused"}},
		{"broken/json-nomatch", false, []string{"remove.yaml"}},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			ov, err := overlay.Load(filepath.Join(testdata, c.dir))
			if err == nil {
				_, err = overlay.Apply(res, ov, overlay.Options{})
			}
			if err == nil {
				t.Fatal("no error")
			}
			if c.refused != errors.Is(err, overlay.ErrRefused) {
				t.Errorf("errors.Is(err, ErrRefused) = %v, want %v: %v", !c.refused, c.refused, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}
}

// TestBrokenWarnsOnce: kustomize prints its deprecation warnings on
// stderr on every run; a failed build must not run it again for an error
// in the overlay's own files (the warning would be printed twice).
func TestBrokenWarnsOnce(t *testing.T) {
	res := renderShop(t)
	ov, err := overlay.Load(filepath.Join(testdata, "broken/bad-smp-file"))
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	_, err = overlay.Apply(res, ov, overlay.Options{})
	os.Stderr = stderr
	w.Close()
	printed, _ := io.ReadAll(r)
	if err == nil {
		t.Fatal("no error")
	}
	if n := strings.Count(string(printed), "'patchesStrategicMerge' is deprecated"); n != 1 {
		t.Errorf("deprecation warning printed %d times, want once:\n%s", n, printed)
	}
}

func TestPackage(t *testing.T) {
	ov := load(t, "package")
	hooks, manifests, err := overlay.Package(ov, "package")
	if err != nil {
		t.Fatal(err)
	}
	if len(hooks) != 0 || len(manifests) != 2 {
		t.Fatalf("got %d hooks, %d manifests", len(hooks), len(manifests))
	}
	var docs []string
	for _, m := range manifests {
		docs = append(docs, m.Content)
		if !strings.HasPrefix(m.Path, "package/") {
			t.Errorf("source %q", m.Path)
		}
	}
	got := objects(t, docs)
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not found")
	}
	out, err := exec.Command(kubectl, "kustomize", filepath.Join(testdata, "package")).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	diffObjects(t, got, objects(t, yamljson.SplitDocuments(string(out))))
}
