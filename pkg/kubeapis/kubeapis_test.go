package kubeapis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// The lifecycle prerelease-lifecycle-gen writes on k8s.io/api's types.
type (
	lifecycleDeprecated  interface{ APILifecycleDeprecated() (int, int) }
	lifecycleRemoved     interface{ APILifecycleRemoved() (int, int) }
	lifecycleReplacement interface {
		APILifecycleReplacement() schema.GroupVersionKind
	}
)

// guideReplacements are the entries whose replacement the Kubernetes
// deprecation guide names where k8s.io/api's generated method names none
// (or, for IngressClass, names the list type by mistake).
var guideReplacements = map[string]string{
	"events.k8s.io/v1beta1 Event":            "events.k8s.io/v1",
	"node.k8s.io/v1beta1 RuntimeClass":       "node.k8s.io/v1",
	"networking.k8s.io/v1beta1 IngressClass": "networking.k8s.io/v1",
}

// outsideK8sAPI are the entries k8s.io/api cannot check: the types are gone
// from it (or live in apiextensions-apiserver and kube-aggregator), or carry
// no lifecycle methods.
var outsideK8sAPI = map[string]bool{
	"apiextensions.k8s.io/v1beta1 CustomResourceDefinition":            true,
	"apiregistration.k8s.io/v1beta1 APIService":                        true,
	"apps/v1beta1 ReplicaSet":                                          true,
	"autoscaling/v2beta1 HorizontalPodAutoscaler":                      true,
	"autoscaling/v2beta2 HorizontalPodAutoscaler":                      true,
	"batch/v2alpha1 CronJob":                                           true,
	"extensions/v1beta1 PodSecurityPolicy":                             true,
	"flowcontrol.apiserver.k8s.io/v1alpha1 FlowSchema":                 true,
	"flowcontrol.apiserver.k8s.io/v1alpha1 PriorityLevelConfiguration": true,
	"policy/v1beta1 PodSecurityPolicy":                                 true,
	"rbac.authorization.k8s.io/v1alpha1 ClusterRole":                   true,
	"rbac.authorization.k8s.io/v1alpha1 ClusterRoleBinding":            true,
	"rbac.authorization.k8s.io/v1alpha1 Role":                          true,
	"rbac.authorization.k8s.io/v1alpha1 RoleBinding":                   true,
	"scheduling.k8s.io/v1alpha1 PriorityClass":                         true,
}

// TestTableMatchesK8sAPI derives the table from k8s.io/api, the source
// Kubernetes' own API server uses to stop serving a version: every type
// that declares a removal release is in the table with the same
// deprecated and removed releases and replacement, and every other entry
// is one k8s.io/api cannot check. A k8s.io/api upgrade that deprecates
// something new fails here until the table has it.
func TestTableMatchesK8sAPI(t *testing.T) {
	checked := map[string]bool{}
	for gvk := range scheme.Scheme.AllKnownTypes() {
		if strings.HasSuffix(gvk.Kind, "List") {
			continue
		}
		obj, err := scheme.Scheme.New(gvk)
		if err != nil {
			t.Fatal(err)
		}
		rm, ok := obj.(lifecycleRemoved)
		if !ok {
			continue
		}
		name := gvk.GroupVersion().String() + " " + gvk.Kind
		checked[name] = true
		a, ok := Lookup(gvk.GroupVersion().String(), gvk.Kind)
		if !ok {
			t.Errorf("%s: k8s.io/api declares it removed; the table lacks it", name)
			continue
		}
		var want API
		want.APIVersion, want.Kind = a.APIVersion, a.Kind
		want.Removed.Major, want.Removed.Minor = rm.APILifecycleRemoved()
		if d, ok := obj.(lifecycleDeprecated); ok {
			want.Deprecated.Major, want.Deprecated.Minor = d.APILifecycleDeprecated()
		}
		if r, ok := obj.(lifecycleReplacement); ok {
			if g := r.APILifecycleReplacement(); !g.Empty() {
				want.Replacement = g.GroupVersion().String()
			}
		}
		if g, ok := guideReplacements[name]; ok {
			want.Replacement = g
		}
		if a != want {
			t.Errorf("%s:\n table      %s\n k8s.io/api %s", name, describe(a), describe(want))
		}
	}
	for _, a := range All() {
		if !checked[a.String()] && !outsideK8sAPI[a.String()] {
			t.Errorf("%s: neither declared removed by k8s.io/api nor listed in outsideK8sAPI", a)
		}
		if checked[a.String()] && outsideK8sAPI[a.String()] {
			t.Errorf("%s: k8s.io/api checks it; drop it from outsideK8sAPI", a)
		}
	}
	for name := range guideReplacements {
		if !checked[name] {
			t.Errorf("guideReplacements names %s, which k8s.io/api does not declare", name)
		}
	}
}

// TestTableIsConsistent checks what the table's users rely on.
func TestTableIsConsistent(t *testing.T) {
	for _, a := range All() {
		if !a.Removed.AtLeast(a.Deprecated) || a.Removed.IsZero() {
			t.Errorf("%s: removed %s before deprecated %s", a, a.Removed, a.Deprecated)
		}
		if a.Replacement == a.APIVersion {
			t.Errorf("%s replaces itself", a)
		}
		if got, ok := Lookup(a.APIVersion, a.Kind); !ok || got != a {
			t.Errorf("Lookup(%s) = %+v, %v", a, got, ok)
		}
	}
	if _, ok := Lookup("policy/v1", "PodDisruptionBudget"); ok {
		t.Error("policy/v1 PodDisruptionBudget is served: it must not be in the table")
	}
}

func TestSuccessorsAndReplacementAt(t *testing.T) {
	got := Successors("flowcontrol.apiserver.k8s.io/v1alpha1", "FlowSchema")
	want := []string{"flowcontrol.apiserver.k8s.io/v1beta1", "flowcontrol.apiserver.k8s.io/v1beta3", "flowcontrol.apiserver.k8s.io/v1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Successors = %v, want %v", got, want)
	}
	if got := Successors("policy/v1beta1", "PodSecurityPolicy"); len(got) != 0 {
		t.Errorf("PodSecurityPolicy has no successor, got %v", got)
	}
	if got := Successors("apps/v1", "Deployment"); len(got) != 0 {
		t.Errorf("a served API has no successor, got %v", got)
	}
	fs, _ := Lookup("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema")
	for ver, want := range map[Version]string{v(1, 27): "flowcontrol.apiserver.k8s.io/v1beta3", v(1, 37): "flowcontrol.apiserver.k8s.io/v1"} {
		if got := fs.ReplacementAt(ver); got != want {
			t.Errorf("ReplacementAt(%s) = %q, want %q", ver, got, want)
		}
	}
	psp, _ := Lookup("extensions/v1beta1", "PodSecurityPolicy")
	if got := psp.ReplacementAt(v(1, 37)); got != "" {
		t.Errorf("PodSecurityPolicy at v1.37: %q, want none", got)
	}
	pdb, _ := Lookup("policy/v1beta1", "PodDisruptionBudget")
	if got, want := pdb.Message(), "policy/v1beta1 PodDisruptionBudget is deprecated in v1.21+, unavailable in v1.25+; use policy/v1 PodDisruptionBudget"; got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
	if pdb.DeprecatedAt(v(1, 20)) || !pdb.DeprecatedAt(v(1, 21)) || pdb.RemovedAt(v(1, 24)) || !pdb.RemovedAt(v(1, 25)) || !pdb.RemovedAt(v(2, 0)) {
		t.Error("DeprecatedAt/RemovedAt disagree with v1.21/v1.25")
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]Version{"v1.25": v(1, 25), "1.37.2": v(1, 37), "v1.29.3+k3s1": v(1, 29), "1.30-gke.100": v(1, 30), "v1.28+": v(1, 28)} {
		if got, err := ParseVersion(in); err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1", "x.2", "1.y"} {
		if _, err := ParseVersion(in); err == nil {
			t.Errorf("ParseVersion(%q) accepted", in)
		}
	}
}

// convert converts a YAML object and decodes the result strictly into
// into (unknown fields fail), as the API server reads it.
func convert(t *testing.T, doc, to string, into any) map[string]any {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
		t.Fatal(err)
	}
	if err := Convert(obj, to); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("converted object does not decode strictly as %s: %v\n%s", to, err, b)
	}
	return obj
}

func TestConvertIngress(t *testing.T) {
	for _, from := range []string{"extensions/v1beta1", "networking.k8s.io/v1beta1"} {
		var ing networkingv1.Ingress
		convert(t, `apiVersion: `+from+`
kind: Ingress
metadata: {name: web}
spec:
  backend: {serviceName: fallback, servicePort: 8080}
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        backend: {serviceName: web, servicePort: http}
      - path: /api
        pathType: Prefix
        backend: {serviceName: api, servicePort: 80}
`, "networking.k8s.io/v1", &ing)
		if ing.APIVersion != "networking.k8s.io/v1" || ing.Spec.DefaultBackend == nil ||
			ing.Spec.DefaultBackend.Service.Name != "fallback" || ing.Spec.DefaultBackend.Service.Port.Number != 8080 {
			t.Fatalf("%s: default backend %+v", from, ing.Spec.DefaultBackend)
		}
		p := ing.Spec.Rules[0].HTTP.Paths
		if *p[0].PathType != networkingv1.PathTypeImplementationSpecific || p[0].Backend.Service.Name != "web" || p[0].Backend.Service.Port.Name != "http" {
			t.Errorf("%s: path 0 %+v", from, p[0])
		}
		if *p[1].PathType != networkingv1.PathTypePrefix || p[1].Backend.Service.Port.Number != 80 {
			t.Errorf("%s: path 1 %+v", from, p[1])
		}
	}
}

func TestConvertWorkloadAndHPA(t *testing.T) {
	var d appsv1.Deployment
	convert(t, `apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: web}
spec:
  rollbackTo: {revision: 2}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
`, "apps/v1", &d)
	if d.Spec.Selector == nil || d.Spec.Selector.MatchLabels["app"] != "web" {
		t.Errorf("selector %+v", d.Spec.Selector)
	}
	var h autoscalingv2.HorizontalPodAutoscaler
	convert(t, `apiVersion: autoscaling/v2beta1
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, targetAverageUtilization: 70}
  - type: Pods
    pods: {metricName: rps, targetAverageValue: "10"}
  - type: Object
    object:
      target: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: web}
      metricName: hits
      targetValue: "100"
  - type: External
    external: {metricName: queue, metricSelector: {matchLabels: {q: jobs}}, targetAverageValue: "30"}
`, "autoscaling/v2", &h)
	m := h.Spec.Metrics
	if m[0].Resource.Target.Type != autoscalingv2.UtilizationMetricType || *m[0].Resource.Target.AverageUtilization != 70 {
		t.Errorf("resource metric %+v", m[0].Resource)
	}
	if m[1].Pods.Metric.Name != "rps" || m[1].Pods.Target.AverageValue.String() != "10" {
		t.Errorf("pods metric %+v", m[1].Pods)
	}
	if m[2].Object.DescribedObject.Name != "web" || m[2].Object.Metric.Name != "hits" || m[2].Object.Target.Value.String() != "100" {
		t.Errorf("object metric %+v", m[2].Object)
	}
	if m[3].External.Metric.Selector.MatchLabels["q"] != "jobs" || m[3].External.Target.Type != autoscalingv2.AverageValueMetricType {
		t.Errorf("external metric %+v", m[3].External)
	}
	var obj = map[string]any{"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget"}
	if err := Convert(obj, "apps/v1"); err == nil {
		t.Error("Convert to a version that does not replace the kind succeeded")
	}
}

func describe(a API) string {
	return fmt.Sprintf("deprecated %s, removed %s, replacement %q", a.Deprecated, a.Removed, a.Replacement)
}
