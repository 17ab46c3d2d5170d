package crdcheck

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/lade-dev/lade/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// cluster is the test's dynamic client and a group of its own, so that
// tests' definitions never collide.
type cluster struct {
	t     *testing.T
	tb    testing.TB // set by benchmarks instead of t
	dyn   dynamic.Interface
	group string
}

func newCluster(t *testing.T) *cluster {
	env := testenv.Shared(t)
	dyn, err := dynamic.NewForConfig(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	return &cluster{t: t, dyn: dyn, group: strings.ToLower(strings.NewReplacer("_", "", "/", "").Replace(t.Name())) + ".example.com"}
}

// crd is widgetCRD in the test's group.
func (c *cluster) crd(versions ...string) *apiextensionsv1.CustomResourceDefinition {
	crd := widgetCRD(c.t, "Namespaced", versions...)
	crd.Name = "widgets." + c.group
	crd.Spec.Group = c.group
	return crd
}

// crdB is crd and install for a benchmark.
func (c *cluster) crdB(b *testing.B, versions ...string) *apiextensionsv1.CustomResourceDefinition {
	crd := widgetCRD(b, "Namespaced", versions...)
	crd.Name = "widgets." + c.group
	crd.Spec.Group = c.group
	c.tb = b
	c.install(crd)
	return crd
}

// install creates the definition, waits until it is Established, and
// deletes it at cleanup.
func (c *cluster) install(crd *apiextensionsv1.CustomResourceDefinition) {
	t := c.tb
	if t == nil {
		t = c.t
	}
	t.Helper()
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(crd)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: obj}
	u.SetAPIVersion(APIVersion)
	u.SetKind(Kind)
	ctx := context.Background()
	if _, err := c.dyn.Resource(crdResource).Create(ctx, u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.dyn.Resource(crdResource).Delete(context.Background(), crd.Name, metav1.DeleteOptions{}) })
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		live, err := Get(ctx, c.dyn, crd.Name)
		if err != nil || live == nil {
			return false, err
		}
		for _, cond := range live.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// create creates a widget at version v (server-side apply as manager m,
// so its managedFields name v), or with dryRun only validates it.
func (c *cluster) create(ns, name, v, spec string, dryRun bool) error {
	obj := object(c.t, fmt.Sprintf("apiVersion: %s/%s\nkind: Widget\nmetadata: {name: %s, namespace: %s}\nspec: %s", c.group, v, name, ns, spec))
	opts := metav1.CreateOptions{FieldManager: "test"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	gvr := schema.GroupVersionResource{Group: c.group, Version: v, Resource: "widgets"}
	var err error
	for range 50 { // the new resource may take a moment to be served
		if _, err = c.dyn.Resource(gvr).Namespace(ns).Create(context.Background(), &unstructured.Unstructured{Object: obj}, opts); err == nil || !strings.Contains(err.Error(), "the server could not find the requested resource") {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func (c *cluster) live(name string) *apiextensionsv1.CustomResourceDefinition {
	c.t.Helper()
	live, err := Get(context.Background(), c.dyn, name)
	if err != nil || live == nil {
		c.t.Fatalf("live %s: %v %v", name, live, err)
	}
	return live
}

const sizeAtMost8 = `
              x-kubernetes-validations:
                - rule: "!has(self.size) || self.size <= 8"
                  message: "size at most 8"`

// TestCheckValidatesEveryLiveObject lists 23 widgets in two namespaces in
// pages of 4 and validates them against a schema that requires spec.size
// and adds a CEL rule: the 7 that break are counted, the first named with
// the API server's own messages (checked by creating copies for real).
func TestCheckValidatesEveryLiveObject(t *testing.T) {
	c := newCluster(t)
	env := testenv.Shared(t)
	nsA, nsB := env.NewNamespace(t), env.NewNamespace(t)
	live := c.crd(ver("v1", true, true, widgetSchema(nil, "")))
	c.install(live)
	var broken []string
	for i := range 23 {
		ns, spec := nsA, "{size: 3}"
		if i%2 == 1 {
			ns = nsB
		}
		switch {
		case i%5 == 0:
			spec = "{color: red}" // lacks size: 0, 5, 10, 15, 20
		case i == 7 || i == 13:
			spec = "{size: 9}" // breaks the CEL rule
		}
		name := fmt.Sprintf("w%02d", i)
		if err := c.create(ns, name, "v1", spec, false); err != nil {
			t.Fatal(err)
		}
		if spec != "{size: 3}" {
			broken = append(broken, ns+"/"+name)
		}
	}
	next := c.crd(ver("v1", true, true, strings.Replace(widgetSchema([]string{"size"}, ""), "              type: object\n", "              type: object"+sizeAtMost8+"\n", 1)))
	r, err := Check(context.Background(), c.live(live.Name), next, Options{Client: c.dyn, PageSize: 4, Workers: 3, MaxShown: 3})
	if err != nil {
		t.Fatal(err)
	}
	if r.Change != Update || r.Checked != 23 || len(r.Problems) != 1 {
		t.Fatalf("change %s, checked %d, problems %+v", r.Change, r.Checked, r.Problems)
	}
	p := r.Problems[0]
	if p.Rule != RuleInvalidObjects || p.Count != 7 || len(p.Objects) != 3 {
		t.Fatalf("problem %+v", p)
	}
	// List order is by namespace, then name.
	var named []string
	for _, o := range p.Objects {
		named = append(named, o.String())
	}
	if want := firstSorted(broken, 3); strings.Join(named, " ") != strings.Join(want, " ") {
		t.Errorf("named %v, want the first in list order %v", named, want)
	}
	var text strings.Builder
	r.WriteText(&text)
	for _, w := range []string{
		"CustomResourceDefinition widgets." + c.group + ": update: refused (23 existing objects checked)",
		"version v1: 7 of 23 existing objects would be invalid under the new schema:",
		"    ... and 4 more",
	} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("text lacks %q:\n%s", w, text.String())
		}
	}

	// The API server, given the new definition, rejects copies of the
	// named objects with the same messages.
	c.update(next)
	for _, o := range p.Objects {
		orig, err := c.dyn.Resource(schema.GroupVersionResource{Group: c.group, Version: "v1", Resource: "widgets"}).Namespace(o.Namespace).Get(context.Background(), o.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		spec, _, _ := unstructured.NestedMap(orig.Object, "spec")
		specText := fmt.Sprintf("{%s}", specYAML(spec))
		serverErr := c.create(o.Namespace, o.Name+"-copy", "v1", specText, true)
		if serverErr == nil {
			t.Fatalf("the API server accepts a copy of %s (%s)", o, specText)
		}
		for _, e := range o.Errors {
			if !strings.Contains(serverErr.Error(), e) {
				t.Errorf("%s: the check says %q, the API server %q", o, e, serverErr)
			}
		}
	}
}

// TestCheckRefusesOverTheCap stops before validating anything when the
// first page says there are more objects than the limit.
func TestCheckRefusesOverTheCap(t *testing.T) {
	c := newCluster(t)
	ns := testenv.Shared(t).NewNamespace(t)
	live := c.crd(ver("v1", true, true, widgetSchema(nil, "")))
	c.install(live)
	for i := range 12 {
		if err := c.create(ns, fmt.Sprintf("w%d", i), "v1", "{size: 1}", false); err != nil {
			t.Fatal(err)
		}
	}
	next := c.crd(ver("v1", true, true, widgetSchema([]string{"size"}, "")))
	r, err := Check(context.Background(), c.live(live.Name), next, Options{Client: c.dyn, PageSize: 5, MaxObjects: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 1 || r.Problems[0].Rule != RuleTooManyObjects || r.Problems[0].Count != 12 ||
		!strings.Contains(r.Problems[0].Message, "12 existing objects (version v1): over the check's limit of 10") {
		t.Fatalf("problems %+v", r.Problems)
	}
	if r.Checked != 0 {
		t.Errorf("checked %d objects over the cap", r.Checked)
	}
}

// TestCheckRefusesUnservingAWrittenVersion: a widget written at v1beta1
// (its managedFields say so) is named when v1beta1 stops being served
// without a conversion webhook and with a schema unlike v1's.
func TestCheckRefusesUnservingAWrittenVersion(t *testing.T) {
	c := newCluster(t)
	ns := testenv.Shared(t).NewNamespace(t)
	beta := widgetSchema(nil, "\n                legacy: {type: string}")
	live := c.crd(ver("v1beta1", true, false, beta), ver("v1", true, true, widgetSchema(nil, "")))
	c.install(live)
	if err := c.create(ns, "old", "v1beta1", "{size: 1, legacy: x}", false); err != nil {
		t.Fatal(err)
	}
	if err := c.create(ns, "new", "v1", "{size: 1}", false); err != nil {
		t.Fatal(err)
	}
	next := c.crd(ver("v1beta1", false, false, beta), ver("v1", true, true, widgetSchema(nil, "")))
	r, err := Check(context.Background(), c.live(live.Name), next, Options{Client: c.dyn})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 1 || r.Problems[0].Rule != RuleVersionUnserved || r.Problems[0].Count != 1 || r.Problems[0].Objects[0].String() != ns+"/old" {
		t.Fatalf("problems %+v", r.Problems)
	}
	if !strings.Contains(r.Problems[0].Message, "version v1beta1 is no longer served, with no conversion webhook and a schema unlike the new storage version v1's; 1 existing object is written in it (managedFields)") {
		t.Errorf("message %q", r.Problems[0].Message)
	}
	// Unchanged definitions list nothing.
	r, err = Check(context.Background(), c.live(live.Name), c.crd(ver("v1beta1", true, false, beta), ver("v1", true, true, widgetSchema(nil, ""))), Options{Client: c.dyn})
	if err != nil || r.Change != Unchanged || r.Checked != 0 {
		t.Fatalf("unchanged: %+v %v", r, err)
	}
}

// update replaces the live definition's spec with next's.
func (c *cluster) update(next *apiextensionsv1.CustomResourceDefinition) {
	c.t.Helper()
	live := c.live(next.Name)
	live.Spec = next.Spec
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(live)
	if err != nil {
		c.t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: obj}
	u.SetAPIVersion(APIVersion)
	u.SetKind(Kind)
	if _, err := c.dyn.Resource(crdResource).Update(context.Background(), u, metav1.UpdateOptions{}); err != nil {
		c.t.Fatal(err)
	}
	time.Sleep(time.Second) // the new schema reaches the handlers
}

func specYAML(spec map[string]any) string {
	var parts []string
	for k, v := range spec {
		parts = append(parts, fmt.Sprintf("%s: %v", k, v))
	}
	return strings.Join(parts, ", ")
}

func firstSorted(s []string, n int) []string {
	s = append([]string(nil), s...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[:min(n, len(s))]
}
