package overlay_test

import (
	"context"
	"fmt"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/overlay"
	"github.com/lade-dev/lade/pkg/render"
)

// docsOf is the base Apply hands Build: manifests, then hooks.
func docsOf(res *render.Result) []overlay.Doc {
	var base []overlay.Doc
	for _, m := range res.Manifests {
		base = append(base, overlay.Doc{Source: m.Path, Content: m.Content})
	}
	for _, h := range res.Hooks {
		base = append(base, overlay.Doc{Source: h.Path, Content: h.Manifest})
	}
	return base
}

func sameDocs(t *testing.T, what string, got, want []overlay.Doc) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d documents, one krusty run has %d", what, len(got), len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("%s: document %d differs from one krusty run's:\n--- got %+v\n--- want %+v", what, i, got[i], want[i])
		}
	}
}

// checkSharded builds base with ov in one krusty run, with Build, and
// sharded in runs of 1, 2 and 3 documents, and requires byte-identical
// documents (sources, order, content) whenever the sharded build is taken;
// it reports whether it was.
func checkSharded(t *testing.T, ov *overlay.Overlay, base []overlay.Doc) bool {
	t.Helper()
	once, err := ov.BuildOnce(base, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ov.Build(base, "")
	if err != nil {
		t.Fatal(err)
	}
	sameDocs(t, "Build", got, once)
	taken := false
	for _, size := range []int{1, 2, 3} {
		docs, ok := ov.BuildSharded(base, size)
		if !ok {
			continue
		}
		taken = true
		sameDocs(t, fmt.Sprintf("sharded by %d", size), docs, once)
	}
	return taken
}

// TestShardedMatchesOneRun runs every overlay of testdata/overlays on the
// shop chart sharded and in one run. The overlays that only change each
// object on its own must take the sharded build; the others must not.
func TestShardedMatchesOneRun(t *testing.T) {
	// json6902 and annotations replace or delete whole annotation maps,
	// which lade's document tag is not part of.
	sharded := map[string]bool{"bench": true, "bench-light": true, "images": true, "namespace": true, "json6902": true, "annotations": true, "scalars": true}
	base := docsOf(renderShop(t))
	eachChartOverlay(t, func(t *testing.T, name string, ov *overlay.Overlay) {
		if taken := checkSharded(t, ov, base); taken != sharded[name] {
			t.Errorf("sharded build taken: %v, want %v (perObject %v)", taken, sharded[name], ov.PerObject())
		}
	})
}

// TestShardedGenerated: the bench overlays on a generated 200-object
// chart, sharded as Build shards them and in one run.
func TestShardedGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dir := generated(t, "200-objects", "--subcharts", "40", "--templates", "3")
	ch, err := chart.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := render.Chart(context.Background(), ch, nil, render.Options{ReleaseName: "bench", Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	base := docsOf(res)
	for _, name := range []string{"bench", "bench-light"} {
		t.Run(name, func(t *testing.T) {
			ov := load(t, name)
			once, err := ov.BuildOnce(base, "")
			if err != nil {
				t.Fatal(err)
			}
			docs, ok := ov.BuildSharded(base, 32)
			if !ok {
				t.Fatal("sharded build not taken")
			}
			sameDocs(t, "sharded by 32", docs, once)
			got, err := ov.Build(base, "")
			if err != nil {
				t.Fatal(err)
			}
			sameDocs(t, "Build", got, once)
		})
	}
}

func inline(t *testing.T, files map[string]string) *overlay.Overlay {
	t.Helper()
	ov := &overlay.Overlay{Files: map[string][]byte{}}
	for p, s := range files {
		ov.Files[p] = []byte(s)
	}
	if err := ov.Validate(); err != nil {
		t.Fatal(err)
	}
	return ov
}

func doc(src, s string) overlay.Doc {
	return overlay.Doc{Source: src, Content: strings.TrimLeft(s, "\n")}
}

// TestShardedReferences: RoleBinding subjects and webhook services are
// rewritten by kustomize's name-reference pass from every candidate; with
// them in the base, sharded builds must still match one run.
func TestShardedReferences(t *testing.T) {
	base := []overlay.Doc{
		doc("c/templates/sa.yaml", `
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
`),
		doc("c/templates/rb.yaml", `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: app
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: app
subjects:
- kind: ServiceAccount
  name: "app"
- kind: ServiceAccount
  name: app
  namespace: "default"
`),
		doc("c/templates/crb.yaml", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: app
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: app
subjects:
- kind: ServiceAccount
  name: 'app'
  namespace: default
`),
		doc("c/templates/role.yaml", `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: app
rules:
- apiGroups: [""]
  resources: [configmaps]
  resourceNames: [app]
  verbs: [get]
`),
		doc("c/templates/svc.yaml", `
apiVersion: v1
kind: Service
metadata:
  name: webhook
spec:
  ports:
  - port: 443
`),
		doc("c/templates/deploy.yaml", `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      serviceAccountName: app
      containers:
      - name: app
        image: registry.example.com/example/app0:1
        envFrom:
        - configMapRef:
            name: app
`),
		doc("c/templates/cm.yaml", `
apiVersion: v1
kind: ConfigMap
metadata:
  name: app
data:
  a: "1"
`),
		doc("c/templates/odd.yaml", `
# A comment before the object.
kind: Secret
metadata:
  annotations:
    zeta: 'single'
    alpha: "true"
    mid: |
      two
      lines
  name: odd # a line comment
  labels: {b: "2", a: '1'}
apiVersion: v1
stringData:
  key: |-
    block
    scalar
type: Opaque
`),
		doc("c/templates/webhook.yaml", `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: app
webhooks:
- name: app.example.com
  clientConfig:
    service:
      name: "webhook"
      namespace: default
`),
	}
	for _, name := range []string{"bench", "bench-light", "namespace", "images"} {
		t.Run(name, func(t *testing.T) {
			if !checkSharded(t, load(t, name), base) {
				t.Error("sharded build not taken")
			}
		})
	}
}

// TestShardedFallback: bases and overlays on which a sharded build could
// differ from one run are built in one run (same result or same error).
func TestShardedFallback(t *testing.T) {
	cm := func(name string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n  a: \"1\"\n"
	}
	ns := load(t, "namespace")
	cases := []struct {
		name string
		ov   *overlay.Overlay
		base []overlay.Doc
	}{
		// The namespace change makes the two ids conflict: one run fails.
		{"conflict", ns, []overlay.Doc{doc("a.yaml", cm("x")), doc("b.yaml", strings.Replace(cm("x"), "metadata:\n", "metadata:\n  namespace: other\n", 1)), doc("c.yaml", cm("y"))}},
		// A List is several objects.
		{"list", ns, []overlay.Doc{doc("a.yaml", "apiVersion: v1\nkind: List\nitems:\n- "+strings.ReplaceAll(cm("l1"), "\n", "\n  ")+"\n- "+strings.ReplaceAll(cm("l2"), "\n", "\n  ")), doc("b.yaml", cm("y"))}},
		// Local config is dropped.
		{"local", ns, []overlay.Doc{doc("a.yaml", strings.Replace(cm("x"), "metadata:\n", "metadata:\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n", 1)), doc("b.yaml", cm("y"))}},
		// A JSON patch renaming objects changes references elsewhere.
		{"rename", inline(t, map[string]string{"kustomization.yaml": `
patches:
- target:
    kind: ConfigMap
  patch: |-
    - op: replace
      path: /metadata/name
      value: renamed
`}), []overlay.Doc{doc("a.yaml", cm("x"))}},
		// A selector with a Gt requirement logs per object.
		{"gt", inline(t, map[string]string{"kustomization.yaml": `
patches:
- target:
    kind: ConfigMap
    labelSelector: tier>1
  patch: |-
    - op: add
      path: /data/b
      value: "2"
`}), []overlay.Doc{doc("a.yaml", cm("x")), doc("b.yaml", strings.Replace(cm("y"), "metadata:\n", "metadata:\n  labels:\n    tier: \"3\"\n", 1))}},
		// A patch deleting objects.
		{"delete", inline(t, map[string]string{"kustomization.yaml": `
patches:
- target:
    kind: ConfigMap
    name: x
  patch: |-
    $patch: delete
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: x
`}), []overlay.Doc{doc("a.yaml", cm("x")), doc("b.yaml", cm("y"))}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Refused from the overlay's files alone; the others after the build.
			refused := c.name == "gt" || c.name == "rename"
			if c.ov.PerObject() == refused {
				t.Errorf("PerObject() = %v", c.ov.PerObject())
			}
			once, errOnce := c.ov.BuildOnce(c.base, "")
			got, err := c.ov.Build(c.base, "")
			if fmt.Sprint(err) != fmt.Sprint(errOnce) {
				t.Fatalf("error %v, one run's %v", err, errOnce)
			}
			sameDocs(t, "Build", got, once)
			for _, size := range []int{1, 2} {
				if docs, ok := c.ov.BuildSharded(c.base, size); ok {
					if errOnce != nil {
						t.Fatalf("sharded by %d: built, one run fails: %v", size, errOnce)
					}
					sameDocs(t, fmt.Sprintf("sharded by %d", size), docs, once)
				}
			}
		})
	}
}

// TestShardedOrder: the sharded build orders objects of many kinds as
// kustomize's legacy sort does.
func TestShardedOrder(t *testing.T) {
	kinds := []struct{ apiVersion, kind string }{
		{"apps/v1", "Deployment"}, {"v1", "Namespace"}, {"example.com/v1", "Namespace"},
		{"admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"},
		{"admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"},
		{"v1", "ResourceQuota"}, {"storage.k8s.io/v1", "StorageClass"},
		{"apiextensions.k8s.io/v1", "CustomResourceDefinition"}, {"v1", "ServiceAccount"},
		{"policy/v1beta1", "PodSecurityPolicy"}, {"rbac.authorization.k8s.io/v1", "Role"},
		{"rbac.authorization.k8s.io/v1", "ClusterRole"}, {"v1", "ConfigMap"}, {"v1", "Secret"},
		{"v1", "Endpoints"}, {"v1", "Service"}, {"v1", "LimitRange"},
		{"scheduling.k8s.io/v1", "PriorityClass"}, {"v1", "PersistentVolume"},
		{"v1", "PersistentVolumeClaim"}, {"apps/v1", "StatefulSet"}, {"batch/v1", "CronJob"},
		{"policy/v1", "PodDisruptionBudget"}, {"batch/v1", "Job"}, {"example.com/v1", "Widget"},
		{"example.com/v2", "Widget"}, {"other.example.com/v1", "Widget"}, {"v1", "Pod"},
		{"networking.k8s.io/v1", "Ingress"}, {"apps/v1beta1", "Deployment"},
	}
	var base []overlay.Doc
	for i := range 3 {
		for j, k := range kinds {
			name := fmt.Sprintf("o%d", (j*7+i*3)%5)
			base = append(base, doc(fmt.Sprintf("t%d.yaml", j), fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata:\n  name: %s-%d\n", k.apiVersion, k.kind, name, i)))
		}
	}
	// Namespaced objects in two namespaces.
	for i := range 4 {
		base = append(base, doc("n.yaml", fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: n%d\n  namespace: ns%d\n", i, 3-i)))
	}
	ov := inline(t, map[string]string{"kustomization.yaml": "commonAnnotations:\n  a: b\n"})
	if !checkSharded(t, ov, base) {
		t.Error("sharded build not taken")
	}
}

// TestShardedKustomizeVersion: the sharded build's reasoning (shard.go)
// rests on kustomize v0.21.2's transformers, name-reference configuration
// and default options; another version needs it checked again.
func TestShardedKustomizeVersion(t *testing.T) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		t.Skip("no build information")
	}
	for _, m := range info.Deps {
		if m.Path == "sigs.k8s.io/kustomize/api" || m.Path == "sigs.k8s.io/kustomize/kyaml" {
			if m.Version != "v0.21.2" {
				t.Errorf("%s is %s: check the reasoning in pkg/overlay/shard.go (per-object transformers, mapping name references, krusty's default order) against it, then update this test", m.Path, m.Version)
			}
		}
	}
}
