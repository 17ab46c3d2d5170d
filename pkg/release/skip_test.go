package release_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

// applyCounter records the server-side apply requests (PATCH with the apply
// content type) by the last path element (the object's name).
type applyCounter struct {
	mu    sync.Mutex
	names map[string]int
}

type countingTransport struct {
	a    *applyCounter
	next http.RoundTripper
}

func (c countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPatch && req.Header.Get("Content-Type") == string(types.ApplyPatchType) {
		c.a.mu.Lock()
		c.a.names[req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:]]++
		c.a.mu.Unlock()
	}
	return c.next.RoundTrip(req)
}

func (a *applyCounter) take() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := a.names
	a.names = map[string]int{}
	return n
}

// skipChart writes a chart of ten ConfigMaps (enough to be read with one
// LIST), a Service and a Deployment; only sk-cm-0 depends on .Values.v.
func skipChart(t *testing.T) *chart.Chart {
	t.Helper()
	dir := t.TempDir()
	var tpl strings.Builder
	for i := range 10 {
		fmt.Fprintf(&tpl, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sk-cm-%d\n  labels: {app: sk}\ndata:\n  num: %q\n", i, fmt.Sprint(i))
		if i == 0 {
			tpl.WriteString("  v: {{ .Values.v | quote }}\n")
		}
	}
	tpl.WriteString(`---
apiVersion: v1
kind: Service
metadata:
  name: sk-svc
spec:
  selector: {app: sk}
  ports:
  - name: http
    port: 80
    targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: sk-web
spec:
  replicas: 1
  selector: {matchLabels: {app: sk}}
  template:
    metadata:
      labels: {app: sk}
    spec:
      containers:
      - name: web
        image: nginx
        args: ["-g", "daemon off;"]
        ports:
        - containerPort: 8080
          name: http
        resources: {}
`)
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: sk\nversion: 0.1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "templates", "all.yaml"), []byte(tpl.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ch, err := chart.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func TestNoOpUpgradeSkipsUnchangedObjects(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	cfg := rest.CopyConfig(env.Config())
	counter := &applyCounter{names: map[string]int{}}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{counter, rt} })
	kc, err := kube.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rc := &release.Config{Kube: kc, Namespace: ns, Out: &strings.Builder{}, LeaseDuration: 3 * time.Second}
	ch := skipChart(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	upgrade := func(v string) {
		t.Helper()
		if _, err := rc.Upgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "sk", Chart: ch, Values: map[string]any{"v": v}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := rc.Install(ctx, release.InstallOptions{Name: "sk", Chart: ch, Values: map[string]any{"v": "one"}}); err != nil {
		t.Fatal(err)
	}
	if got := counter.take(); len(got) != 12 {
		t.Fatalf("install applied %d objects, want 12: %v", len(got), got)
	}
	cms := kc.Clientset.CoreV1().ConfigMaps(ns)
	before, err := cms.Get(ctx, "sk-cm-5", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// A no-op upgrade applies nothing.
	upgrade("one")
	if got := counter.take(); len(got) != 0 {
		t.Fatalf("no-op upgrade applied %v", got)
	}
	after, err := cms.Get(ctx, "sk-cm-5", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != before.ResourceVersion {
		t.Fatalf("sk-cm-5 was written: resourceVersion %s -> %s", before.ResourceVersion, after.ResourceVersion)
	}

	// A changed object is applied, the others are not.
	upgrade("two")
	if got := counter.take(); len(got) != 1 || got["sk-cm-0"] != 1 {
		t.Fatalf("upgrade changing sk-cm-0 applied %v", got)
	}
	if cm, _ := cms.Get(ctx, "sk-cm-0", metav1.GetOptions{}); cm == nil || cm.Data["v"] != "two" {
		t.Fatalf("sk-cm-0 not updated: %v", cm)
	}

	// Drift in lade's fields is repaired: a plain update by another manager,
	// a forced apply by another manager, and removed ownership metadata.
	cm3, err := cms.Get(ctx, "sk-cm-3", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm3.Data["num"] = "drifted"
	if _, err := cms.Update(ctx, cm3, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	force := true
	body := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"sk-cm-4"},"data":{"num":"taken"}}`
	if _, err := cms.Patch(ctx, "sk-cm-4", types.ApplyPatchType, []byte(body), metav1.PatchOptions{FieldManager: "other", Force: &force}); err != nil {
		t.Fatal(err)
	}
	cm6, err := cms.Get(ctx, "sk-cm-6", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	delete(cm6.Annotations, kube.ReleaseNameAnnotation)
	if _, err := cms.Update(ctx, cm6, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	counter.take()
	upgrade("two")
	got := counter.take()
	if len(got) != 3 || got["sk-cm-3"] != 1 || got["sk-cm-4"] != 1 || got["sk-cm-6"] != 1 {
		t.Fatalf("upgrade after drift applied %v, want sk-cm-3, sk-cm-4, sk-cm-6", got)
	}
	for name, want := range map[string]string{"sk-cm-3": "3", "sk-cm-4": "4"} {
		if cm, _ := cms.Get(ctx, name, metav1.GetOptions{}); cm == nil || cm.Data["num"] != want {
			t.Fatalf("%s not repaired: %v", name, cm)
		}
	}
	if cm, _ := cms.Get(ctx, "sk-cm-6", metav1.GetOptions{}); cm == nil || cm.Annotations[kube.ReleaseNameAnnotation] != "sk" {
		t.Fatalf("sk-cm-6 ownership not restored: %v", cm)
	}

	// A deleted object is recreated.
	if err := cms.Delete(ctx, "sk-cm-7", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	upgrade("two")
	if got := counter.take(); len(got) != 1 || got["sk-cm-7"] != 1 {
		t.Fatalf("upgrade after a deletion applied %v", got)
	}
}
