package kube_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/kube"
)

// TestGetAllCrowdedNamespace reads a release's ConfigMaps from a namespace
// that holds many more of them, listed before them (as a fleet's shared
// namespace does): GetAll finds every live object and nil for the missing
// ones, and its LIST is bounded instead of reading the namespace whole.
func TestGetAllCrowdedNamespace(t *testing.T) {
	env := testenv.StartT(t)
	ctx := context.Background()
	ns := env.NewNamespace(t)
	cs := env.Clientset()
	for i := range 150 {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("a-other-%03d", i)}, Data: map[string]string{"i": fmt.Sprint(i)}}
		if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The release's objects: 10 ConfigMaps, of which 8 exist.
	var manifest strings.Builder
	for i := range 10 {
		name := fmt.Sprintf("mine-%02d", i)
		fmt.Fprintf(&manifest, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  v: new\n", name)
		if i < 8 {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"v": "live-" + name}}
			if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}

	var mu sync.Mutex
	var lists []string
	cfg := env.Config()
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/configmaps") {
				mu.Lock()
				lists = append(lists, req.URL.RawQuery)
				mu.Unlock()
			}
			return rt.RoundTrip(req)
		})
	})
	kc, err := kube.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := kc.Build(manifest.String(), ns)
	if err != nil {
		t.Fatal(err)
	}
	live, err := kc.GetAll(ctx, rs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		got := live[i]
		if i >= 8 {
			if got != nil {
				t.Errorf("%s does not exist, GetAll returned %v", r.Name(), got.Object)
			}
			continue
		}
		if got == nil {
			t.Errorf("%s: GetAll found nothing", r.Name())
			continue
		}
		data, _, _ := unstructuredString(got.Object, "data", "v")
		if got.GetName() != r.Name() || got.GetKind() != "ConfigMap" || got.GetAPIVersion() != "v1" || data != "live-"+r.Name() {
			t.Errorf("%s: GetAll returned %s %s %s with data.v %q", r.Name(), got.GetAPIVersion(), got.GetKind(), got.GetName(), data)
		}
	}
	if len(lists) != 1 || !strings.Contains(lists[0], "limit=") {
		t.Errorf("want one bounded LIST of the namespace's ConfigMaps, got %q", lists)
	}
}

func unstructuredString(obj map[string]any, fields ...string) (string, bool, error) {
	var cur any = obj
	for _, f := range fields {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false, nil
		}
		cur = m[f]
	}
	s, ok := cur.(string)
	return s, ok, nil
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
