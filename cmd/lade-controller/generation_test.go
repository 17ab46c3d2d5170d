package main

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/controller"
)

// A Release written as users write it (interval: 5m, not Go's 5m0s) is
// not rewritten by the controller: adding its finalizer leaves the spec
// alone, so the generation stays 1 (no second reconcile of a spec nobody
// changed). Deleting it removes the finalizer the same way.
func TestFinalizerKeepsSpec(t *testing.T) {
	ref := pushCharts(t)
	ns, id, _ := setup(t)
	kc := kclient(t)
	ctx := context.Background()
	u := &unstructured.Unstructured{}
	doc := `apiVersion: lade.dev/v1alpha1
kind: Release
metadata: {name: gen, namespace: ` + ns + `, labels: {` + testLabel + `: ` + id + `}}
spec:
  chart: {ref: "` + ref + `/app", version: 0.1.0}
  interval: 5m
  timeout: 90s
`
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatal(err)
	}
	if err := kc.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	r := waitReady(t, kc, ns, "gen", 60*time.Second)
	if r.Generation != 1 || r.Status.ObservedGeneration != 1 {
		t.Errorf("generation %d, observed %d after the first reconcile: want 1", r.Generation, r.Status.ObservedGeneration)
	}
	if configMap(t, ns, "gen-config") == nil {
		t.Fatal("the release's ConfigMap was not installed")
	}
	if !contains(r.Finalizers, controller.Finalizer) {
		t.Errorf("finalizers %v", r.Finalizers)
	}
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(u.GroupVersionKind())
	if err := kc.Get(ctx, types.NamespacedName{Namespace: ns, Name: "gen"}, live); err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]string{"interval": "5m", "timeout": "90s"} {
		if got, _, _ := unstructured.NestedString(live.Object, "spec", field); got != want {
			t.Errorf("spec.%s is %q, the user wrote %q", field, got, want)
		}
	}

	if err := kc.Delete(ctx, live); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "the Release gone", func() (bool, string) {
		err := kc.Get(ctx, types.NamespacedName{Namespace: ns, Name: "gen"}, live)
		return apierrors.IsNotFound(err), "finalizers " + fmtList(live.GetFinalizers())
	})
	if got := configMap(t, ns, "gen-config"); got != nil {
		t.Errorf("the release's ConfigMap is still there after the Release was deleted")
	}
}

func fmtList(l []string) string {
	b, _ := yaml.Marshal(l)
	return string(b)
}
