package kube

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

// Applies and LISTs keep the client's rate limit (a caller's rest.Config
// QPS); dry-runs have none. Checked against a fake API server.
func TestRawClientsRateLimits(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		queries = append(queries, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}`)
	}))
	defer srv.Close()
	c, err := New(&rest.Config{Host: srv.URL, QPS: 4, Burst: 1})
	if err != nil {
		t.Fatal(err)
	}
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	var rs []*Resource
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": n, "namespace": "ns"}}}
		rs = append(rs, &Resource{Object: u, Mapping: &meta.RESTMapping{Resource: gvr}, Namespaced: true})
	}
	ctx := context.Background()
	start := time.Now()
	for _, r := range rs {
		if _, err := c.DryRunApply(ctx, r, false); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("5 dry-runs took %v: rate limited", d)
	}
	start = time.Now()
	if err := c.Apply(ctx, rs, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 800*time.Millisecond {
		t.Fatalf("5 applies at 4 QPS (burst 1) took %v: not rate limited", d)
	}
	want := "PATCH /api/v1/namespaces/ns/configmaps/a?fieldManager=lade&fieldValidation=Ignore"
	mu.Lock()
	defer mu.Unlock()
	found := false
	for _, q := range queries {
		found = found || q == want
		if strings.Contains(q, "dryRun") && !strings.Contains(q, "dryRun=All&fieldManager=lade&fieldValidation=Ignore") {
			t.Fatalf("dry-run query %q", q)
		}
	}
	if !found {
		t.Fatalf("no %q in %q", want, queries)
	}
}
