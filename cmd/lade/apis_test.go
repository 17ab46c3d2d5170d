package main

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
	"github.com/lade-dev/lade/pkg/render"
)

// The templates of the chart a Helm installed on a Kubernetes v1.21
// cluster: API versions that v1.37 no longer serves.
var oldAPIsTemplates = map[string]string{
	"templates/configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: web
data:
  v: "1"
`,
	"templates/pdb.yaml": `apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app: web
`,
	"templates/ingress.yaml": `apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata:
  name: web
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        backend:
          serviceName: web
          servicePort: 80
`,
	"templates/legacy-ingress.yaml": `apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: legacy
spec:
  backend:
    serviceName: legacy
    servicePort: http
`,
	"templates/hpa.yaml": `apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 80
`,
	"templates/cronjob.yaml": `apiVersion: batch/v1beta1
kind: CronJob
metadata:
  name: report
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: report
            image: busybox:1.36
`,
	"templates/psp.yaml": `apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: restricted
spec:
  privileged: false
  seLinux: {rule: RunAsAny}
  runAsUser: {rule: MustRunAsNonRoot}
  supplementalGroups: {rule: RunAsAny}
  fsGroup: {rule: RunAsAny}
`,
}

// The same objects as the v1.37 API server serves them after the cluster
// upgrade (written by hand at the served versions, as Helm created them:
// its ownership metadata, field manager "helm").
var oldAPIsLive = []string{`apiVersion: v1
kind: ConfigMap
metadata: {name: web}
data: {v: "1"}
`, `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
`, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: ImplementationSpecific
        backend: {service: {name: web, port: {number: 80}}}
`, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: legacy}
spec:
  defaultBackend: {service: {name: legacy, port: {name: http}}}
`, `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
`, `apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: report, image: "busybox:1.36"}]
`}

// The chart's next version, at served API versions: the PDB, Ingress and
// HPA change, the legacy Ingress, the CronJob and the PSP are gone.
var newAPIsTemplates = map[string]string{
	"templates/configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: web
data:
  v: "2"
`,
	"templates/pdb.yaml": `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 2
  selector:
    matchLabels:
      app: web
`,
	"templates/ingress.yaml": `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  rules:
  - host: shop2.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
`,
	"templates/hpa.yaml": `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 80
`,
}

func writeAPIsChart(t *testing.T, version string, templates map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "shop")
	files := map[string]string{"Chart.yaml": "apiVersion: v2\nname: shop\nversion: " + version + "\n"}
	for k, v := range templates {
		files[k] = v
	}
	writeFiles(t, dir, files)
	return dir
}

// storeHelmRelease writes revision 1 of release web as Helm 3 wrote it on
// the older cluster: a deployed record (no lade annotations) whose
// manifest is the old chart's templates, in Helm's manifest format.
func storeHelmRelease(t *testing.T, kc *kube.Client, ns, chartDir string) {
	t.Helper()
	ch, err := chart.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	var manifest strings.Builder
	for _, f := range []string{"configmap.yaml", "pdb.yaml", "psp.yaml", "hpa.yaml", "cronjob.yaml", "ingress.yaml", "legacy-ingress.yaml"} {
		manifest.WriteString("---\n# Source: shop/templates/" + f + "\n" + oldAPIsTemplates["templates/"+f])
	}
	at := time.Date(2021, 6, 1, 12, 0, 0, 0, time.UTC)
	rel := &release.Release{
		Name: "web", Namespace: ns, Version: 1, Chart: ch, Config: map[string]any{}, Manifest: manifest.String(),
		Info: &release.Info{FirstDeployed: at, LastDeployed: at, Status: release.StatusDeployed, Description: "Install complete"},
		Hooks: []*release.Hook{{
			Name: "cleanup", Kind: "Role", Path: "shop/templates/cleanup.yaml", Events: []render.HookEvent{render.HookPreDelete},
			DeletePolicies: []string{"hook-succeeded"},
			Manifest: `apiVersion: rbac.authorization.k8s.io/v1beta1
kind: Role
metadata:
  name: cleanup
  annotations:
    helm.sh/hook: pre-delete
    helm.sh/hook-delete-policy: hook-succeeded
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [delete]
`,
			LastRun: release.HookExecution{Phase: release.HookPhaseUnknown},
		}},
	}
	payload, err := release.Encode(rel)
	if err != nil {
		t.Fatal(err)
	}
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: release.SecretName("web", 1), Namespace: ns, Labels: map[string]string{
			"name": "web", "owner": "helm", "status": "deployed", "version": "1", "createdAt": strconv.FormatInt(at.Unix(), 10),
		}},
		Type: release.SecretType,
		Data: map[string][]byte{"release": []byte(payload)},
	}
	if _, err := kc.Clientset.CoreV1().Secrets(ns).Create(context.Background(), sec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, doc := range oldAPIsLive {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{Object: obj}
		u.SetLabels(map[string]string{kube.ManagedByLabel: kube.ManagedByHelm})
		u.SetAnnotations(map[string]string{kube.ReleaseNameAnnotation: "web", kube.ReleaseNSAnnotation: ns})
		rs, err := kc.Build(toYAML(t, u), ns)
		if err != nil {
			t.Fatal(err)
		}
		r := rs[0]
		if _, err := kc.Dynamic.Resource(r.Mapping.Resource).Namespace(ns).Create(context.Background(), r.Object, metav1.CreateOptions{FieldManager: "helm"}); err != nil {
			t.Fatalf("create %s: %v", r, err)
		}
	}
}

func toYAML(t *testing.T, u *unstructured.Unstructured) string {
	t.Helper()
	b, err := yaml.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// live reads an object at a served version (nil when it does not exist).
func live(t *testing.T, kc *kube.Client, ns, group, version, resource, name string) *unstructured.Unstructured {
	t.Helper()
	u, err := kc.Dynamic.Resource(schema.GroupVersionResource{Group: group, Version: version, Resource: resource}).Namespace(ns).
		Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func field(t *testing.T, u *unstructured.Unstructured, path ...string) any {
	t.Helper()
	if u == nil {
		t.Fatalf("object missing; wanted its %s", strings.Join(path, "."))
	}
	v, _, err := unstructured.NestedFieldNoCopy(u.Object, path...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestRemovedAPIsInStoredRelease takes over a release Helm installed on an
// older cluster, whose stored manifest holds API versions Kubernetes v1.37
// no longer serves: diff, upgrade, rollback and uninstall map each stored
// object to the served version, say so once per object, and leave every
// object where it should be.
func TestRemovedAPIsInStoredRelease(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc, err := kube.New(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	kf := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	expect := func(code int, args ...string) (string, string) {
		t.Helper()
		got, out, errs := ladeExit(append(args, kf...)...)
		if got != code {
			t.Fatalf("lade %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), got, code, out, errs)
		}
		return out, errs
	}
	oldChart := writeAPIsChart(t, "1.0.0", oldAPIsTemplates)
	newChart := writeAPIsChart(t, "2.0.0", newAPIsTemplates)
	storeHelmRelease(t, kc, ns, oldChart)

	warnings := func(rev int) []string {
		r := " in revision " + strconv.Itoa(rev) + " uses "
		return []string{
			"warning: PodDisruptionBudget " + ns + "/web" + r + "policy/v1beta1, which the cluster no longer serves; treated as policy/v1\n",
			"warning: PodSecurityPolicy restricted" + r + "policy/v1beta1, which the cluster no longer serves in any version; no such object can exist, skipped\n",
			"warning: HorizontalPodAutoscaler " + ns + "/web" + r + "autoscaling/v2beta2, which the cluster no longer serves; treated as autoscaling/v2\n",
			"warning: CronJob " + ns + "/report" + r + "batch/v1beta1, which the cluster no longer serves; treated as batch/v1\n",
			"warning: Ingress " + ns + "/web" + r + "networking.k8s.io/v1beta1, which the cluster no longer serves; treated as networking.k8s.io/v1\n",
			"warning: Ingress " + ns + "/legacy" + r + "extensions/v1beta1, which the cluster no longer serves; treated as networking.k8s.io/v1\n",
		}
	}
	onceEach := func(what, stderr string, want []string) {
		t.Helper()
		for _, w := range want {
			if n := strings.Count(stderr, w); n != 1 {
				t.Errorf("%s: stderr has %q %d times, want once:\n%s", what, w, n, stderr)
			}
		}
		if n := strings.Count(stderr, "warning: "); n != len(want) {
			t.Errorf("%s: %d warnings, want %d:\n%s", what, n, len(want), stderr)
		}
	}

	// status lists the live objects of the stored revision.
	out, errs := expect(0, "status", "web")
	onceEach("status", errs, warnings(1))
	for _, want := range []string{"PodDisruptionBudget", "HorizontalPodAutoscaler", "CronJob", ns + "  legacy"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "PodSecurityPolicy") {
		t.Errorf("status lists the PodSecurityPolicy, which cannot exist:\n%s", out)
	}
	// The live objects are what revision 1 holds: no drift.
	out, errs = expect(0, "diff", "drift", "web", "-o", "summary")
	onceEach("diff drift", errs, warnings(1))
	if !strings.Contains(out, "0 to create, 0 to update, 0 to delete, 6 unchanged\n") {
		t.Errorf("diff drift:\n%s", out)
	}

	// Without the mapping Helm (and lade before) failed here: "unable to
	// build kubernetes objects from current release manifest".
	out, errs = expect(0, "diff", "upgrade", "web", newChart, "-o", "summary")
	onceEach("diff upgrade", errs, warnings(1))
	// Helm's client-side ownership of the release's objects is converted to
	// lade's before they are applied (kube.Client.TakeOver), so no conflict
	// with "helm" is left: the mapped objects are recognised as the
	// release's (an object outside it would show a blocking conflict).
	for _, want := range []string{
		"~ ConfigMap " + ns + "/web\n",
		"~ PodDisruptionBudget " + ns + "/web\n",
		"~ HorizontalPodAutoscaler " + ns + "/web\n",
		"~ Ingress " + ns + "/web\n",
		"- CronJob " + ns + "/report\n", "- Ingress " + ns + "/legacy\n",
		"0 to create, 4 to update, 2 to delete, 0 unchanged\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff upgrade summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "PodSecurityPolicy") {
		t.Errorf("diff upgrade lists the PodSecurityPolicy, which cannot exist:\n%s", out)
	}
	out, _ = expect(0, "diff", "upgrade", "web", newChart, "-C", "0")
	for _, want := range []string{"-  minAvailable: 1\n+  minAvailable: 2\n", "-  - host: shop.example.com\n+  - host: shop2.example.com\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff upgrade lacks %q:\n%s", want, out)
		}
	}

	_, errs = expect(0, "upgrade", "web", newChart)
	onceEach("upgrade", errs, warnings(1))
	pdb := live(t, kc, ns, "policy", "v1", "poddisruptionbudgets", "web")
	ing := live(t, kc, ns, "networking.k8s.io", "v1", "ingresses", "web")
	hpa := live(t, kc, ns, "autoscaling", "v2", "horizontalpodautoscalers", "web")
	if field(t, pdb, "spec", "minAvailable") != int64(2) || field(t, hpa, "spec", "maxReplicas") != int64(5) ||
		field(t, ing, "spec", "rules").([]any)[0].(map[string]any)["host"] != "shop2.example.com" {
		t.Errorf("upgrade did not update the objects: pdb %v, hpa %v, ingress %v",
			field(t, pdb, "spec"), field(t, hpa, "spec", "maxReplicas"), field(t, ing, "spec", "rules"))
	}
	if live(t, kc, ns, "networking.k8s.io", "v1", "ingresses", "legacy") != nil || live(t, kc, ns, "batch", "v1", "cronjobs", "report") != nil {
		t.Error("upgrade left the objects the new chart dropped (stored as extensions/v1beta1 Ingress and batch/v1beta1 CronJob)")
	}

	// Rolling back restores revision 1: its stored objects are applied at
	// the served versions (the Ingresses converted to networking.k8s.io/v1).
	out, errs = expect(0, "diff", "rollback", "web", "1", "-o", "summary")
	onceEach("diff rollback", errs, warnings(1))
	if want := "2 to create, 4 to update, 0 to delete, 0 unchanged\n"; !strings.Contains(out, want) || !strings.Contains(out, "+ CronJob "+ns+"/report\n") {
		t.Errorf("diff rollback summary, want %q and the CronJob created:\n%s", want, out)
	}
	out, errs = expect(0, "rollback", "web", "1")
	onceEach("rollback", errs, warnings(1))
	if !strings.Contains(out, "Rollback was a success") {
		t.Errorf("rollback output:\n%s", out)
	}
	pdb = live(t, kc, ns, "policy", "v1", "poddisruptionbudgets", "web")
	ing = live(t, kc, ns, "networking.k8s.io", "v1", "ingresses", "web")
	hpa = live(t, kc, ns, "autoscaling", "v2", "horizontalpodautoscalers", "web")
	legacy := live(t, kc, ns, "networking.k8s.io", "v1", "ingresses", "legacy")
	cj := live(t, kc, ns, "batch", "v1", "cronjobs", "report")
	if field(t, pdb, "spec", "minAvailable") != int64(1) || field(t, hpa, "spec", "maxReplicas") != int64(3) {
		t.Errorf("rollback did not restore: pdb %v, hpa max %v", field(t, pdb, "spec"), field(t, hpa, "spec", "maxReplicas"))
	}
	path := field(t, ing, "spec", "rules").([]any)[0].(map[string]any)["http"].(map[string]any)["paths"].([]any)[0].(map[string]any)
	if rule := field(t, ing, "spec", "rules").([]any)[0].(map[string]any); rule["host"] != "shop.example.com" ||
		path["pathType"] != "ImplementationSpecific" || path["backend"].(map[string]any)["service"].(map[string]any)["name"] != "web" {
		t.Errorf("rollback did not restore the Ingress: %v", rule)
	}
	if got := field(t, legacy, "spec", "defaultBackend", "service"); got.(map[string]any)["name"] != "legacy" ||
		got.(map[string]any)["port"].(map[string]any)["name"] != "http" {
		t.Errorf("legacy Ingress backend %v", got)
	}
	if field(t, cj, "spec", "schedule") != "0 3 * * *" {
		t.Errorf("CronJob %v", field(t, cj, "spec"))
	}

	// Revision 3 is revision 1's manifest and hooks again; uninstall runs
	// its pre-delete hook (a Role stored as rbac.authorization.k8s.io/v1beta1)
	// and deletes every object.
	out, errs = expect(0, "uninstall", "web")
	onceEach("uninstall", errs, append(warnings(3),
		"warning: Role "+ns+"/cleanup in revision 3 uses rbac.authorization.k8s.io/v1beta1, which the cluster no longer serves; treated as rbac.authorization.k8s.io/v1\n"))
	if !strings.Contains(out, "Running pre-delete hook cleanup (Role "+ns+"/cleanup)\n") || !strings.Contains(out, `release "web" uninstalled`) {
		t.Errorf("uninstall output:\n%s", out)
	}
	if live(t, kc, ns, "rbac.authorization.k8s.io", "v1", "roles", "cleanup") != nil {
		t.Error("the pre-delete hook's Role was not deleted (hook-succeeded)")
	}
	for _, o := range []struct{ group, version, resource, name string }{
		{"", "v1", "configmaps", "web"}, {"policy", "v1", "poddisruptionbudgets", "web"},
		{"networking.k8s.io", "v1", "ingresses", "web"}, {"networking.k8s.io", "v1", "ingresses", "legacy"},
		{"autoscaling", "v2", "horizontalpodautoscalers", "web"}, {"batch", "v1", "cronjobs", "report"},
	} {
		if u := live(t, kc, ns, o.group, o.version, o.resource, o.name); u != nil && u.GetDeletionTimestamp() == nil {
			t.Errorf("uninstall left %s %s", o.resource, o.name)
		}
	}
}

// TestRemovedAPIsInNewChart: a chart of its own that renders a removed API
// version still fails, naming the object, the release that removed it and
// its replacement; nothing is written.
func TestRemovedAPIsInNewChart(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kf := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	ch := writeAPIsChart(t, "1.0.0", map[string]string{"templates/pdb.yaml": oldAPIsTemplates["templates/pdb.yaml"]})
	code, _, errs := ladeExit(append([]string{"install", "web", ch}, kf...)...)
	want := `Error: unable to build kubernetes objects from release manifest: resource mapping not found for name: "web" namespace: "": no matches for kind "PodDisruptionBudget" in version "policy/v1beta1": Kubernetes removed policy/v1beta1 PodDisruptionBudget in v1.25; use policy/v1 PodDisruptionBudget`
	if code != 1 || !strings.Contains(errs, want) {
		t.Fatalf("install: exit %d, stderr:\n%s\nwant:\n%s", code, errs, want)
	}
	code, out, _ := ladeExit(append([]string{"list", "-q"}, kf...)...)
	if code != 0 || strings.TrimSpace(out) != "" {
		t.Fatalf("a failed install left a release: %q", out)
	}
}

// TestRemovedAPIsLintAndTemplate: lint --kube-version warns on deprecated
// and fails on removed API versions (--helm-only stays Helm's: a warning);
// template --kube-version warns on stderr and prints what Helm prints.
func TestRemovedAPIsLintAndTemplate(t *testing.T) {
	ch := writeAPIsChart(t, "1.0.0", map[string]string{"templates/apis.yaml": oldAPIsTemplates["templates/pdb.yaml"] + "---\n" +
		oldAPIsTemplates["templates/hpa.yaml"] + "---\n" + `apiVersion: flowcontrol.apiserver.k8s.io/v1beta1
kind: FlowSchema
metadata:
  name: shop
spec:
  priorityLevelConfiguration: {name: workload-low}
`})
	const (
		pdbDeprecated = "policy/v1beta1 PodDisruptionBudget is deprecated in v1.21+, unavailable in v1.25+; use policy/v1 PodDisruptionBudget"
		hpaDeprecated = "autoscaling/v2beta2 HorizontalPodAutoscaler is deprecated in v1.23+, unavailable in v1.26+; use autoscaling/v2 HorizontalPodAutoscaler"
		fsDeprecated  = "flowcontrol.apiserver.k8s.io/v1beta1 FlowSchema is deprecated in v1.23+, unavailable in v1.26+; use flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema"
	)
	removed := func(kv string) []string {
		return []string{
			"policy/v1beta1 PodDisruptionBudget is not served by Kubernetes " + kv + " (removed in v1.25); use policy/v1 PodDisruptionBudget",
			"autoscaling/v2beta2 HorizontalPodAutoscaler is not served by Kubernetes " + kv + " (removed in v1.26); use autoscaling/v2 HorizontalPodAutoscaler",
		}
	}
	lintLines := func(kv string, helmOnly bool) (string, int) {
		args := []string{ch, "--kube-version", kv}
		if helmOnly {
			args = append(args, "--helm-only")
		}
		out, _, code := lintRun(t, args...)
		var lines []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "[WARNING]") || strings.HasPrefix(l, "[ERROR]") {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n"), code
	}
	// Helm's rule names the file; lade's name the apiVersion's line.
	const at = "templates/apis.yaml: "
	cases := []struct {
		kv, want string
		code     int
	}{
		{"1.20", "", 0},
		{"1.23", "[WARNING] " + at + pdbDeprecated + "\n[WARNING] " + at + fsDeprecated + "\n" +
			"[WARNING] templates/apis.yaml:11: HorizontalPodAutoscaler/web: " + hpaDeprecated + " [removed-api]", 0},
		{"1.27", "[WARNING] " + at + pdbDeprecated + "\n[WARNING] " + at + fsDeprecated + "\n" +
			"[ERROR] templates/apis.yaml:1: PodDisruptionBudget/web: " + removed("v1.27")[0] + " [removed-api]\n" +
			"[ERROR] templates/apis.yaml:11: HorizontalPodAutoscaler/web: " + removed("v1.27")[1] + " [removed-api]\n" +
			"[ERROR] templates/apis.yaml:30: FlowSchema/shop: flowcontrol.apiserver.k8s.io/v1beta1 FlowSchema is not served by Kubernetes v1.27 (removed in v1.26); use flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema [removed-api]", 1},
		{"1.33", "[WARNING] " + at + pdbDeprecated + "\n[WARNING] " + at + fsDeprecated + "\n" +
			"[ERROR] templates/apis.yaml:1: PodDisruptionBudget/web: " + removed("v1.33")[0] + " [removed-api]\n" +
			"[ERROR] templates/apis.yaml:11: HorizontalPodAutoscaler/web: " + removed("v1.33")[1] + " [removed-api]\n" +
			"[ERROR] templates/apis.yaml:30: FlowSchema/shop: flowcontrol.apiserver.k8s.io/v1beta1 FlowSchema is not served by Kubernetes v1.33 (removed in v1.26); use flowcontrol.apiserver.k8s.io/v1 FlowSchema [removed-api]", 1},
	}
	for _, c := range cases {
		if got, code := lintLines(c.kv, false); got != c.want || code != c.code {
			t.Errorf("lint --kube-version %s: exit %d (want %d)\n%s\nwant:\n%s", c.kv, code, c.code, got, c.want)
		}
	}
	// --helm-only is helm lint: Helm's deprecation warnings only, exit 0.
	if got, code := lintLines("1.33", true); code != 0 || got != "[WARNING] "+at+pdbDeprecated+"\n[WARNING] "+at+fsDeprecated {
		t.Errorf("lint --helm-only: exit %d\n%s", code, got)
	}

	template := func(args ...string) (string, string) {
		t.Helper()
		code, out, errs := ladeExit(append([]string{"template", "web", ch}, args...)...)
		if code != 0 {
			t.Fatalf("template %v: exit %d\n%s", args, code, errs)
		}
		return out, errs
	}
	plain, errs := template()
	if errs != "" {
		t.Errorf("template without --kube-version wrote to stderr:\n%s", errs)
	}
	const src = "warning: shop/templates/apis.yaml: "
	for kv, want := range map[string]string{
		"1.20": "",
		"1.23": src + "PodDisruptionBudget web: " + pdbDeprecated + "\n" + src + "HorizontalPodAutoscaler web: " + hpaDeprecated + "\n" +
			src + "FlowSchema shop: " + fsDeprecated + "\n",
		"v1.33.2": src + "PodDisruptionBudget web: " + removed("v1.33")[0] + "\n" + src + "HorizontalPodAutoscaler web: " + removed("v1.33")[1] + "\n" +
			src + "FlowSchema shop: flowcontrol.apiserver.k8s.io/v1beta1 FlowSchema is not served by Kubernetes v1.33 (removed in v1.26); use flowcontrol.apiserver.k8s.io/v1 FlowSchema\n",
	} {
		out, errs := template("--kube-version", kv)
		if errs != want {
			t.Errorf("template --kube-version %s: stderr\n%s\nwant:\n%s", kv, errs, want)
		}
		if out != plain {
			t.Errorf("template --kube-version %s changed the output:\n%s", kv, out)
		}
	}
}
