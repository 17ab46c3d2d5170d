package crdcheck

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/lade-dev/lade/internal/parallel"
	"github.com/lade-dev/lade/internal/testenv"
)

// BenchmarkCheck lists and validates every object of a definition whose
// new schema requires spec.size (all objects have it, so the change is
// accepted: the full cost), for 500 and 5,000 existing objects in pages of
// 500 on the default workers. Besides time and allocations it reports the
// peak live heap during a check (peak-heap-MiB, sampled every 5 ms).
func BenchmarkCheck(b *testing.B) {
	env := testenv.Shared(b)
	cfg := env.Config()
	cfg.QPS, cfg.Burst = 2000, 2000
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{500, 5000} {
		b.Run(fmt.Sprintf("objects=%d", n), func(b *testing.B) {
			c := &cluster{dyn: dyn, group: fmt.Sprintf("bench%d.example.com", n)}
			ns := env.NewNamespace(b)
			live := c.crdB(b, ver("v1", true, true, widgetSchema(nil, "")))
			gvr := schema.GroupVersionResource{Group: c.group, Version: "v1", Resource: "widgets"}
			var failed atomic.Value
			parallel.For(8, n, func(i int) {
				obj := object(b, fmt.Sprintf("apiVersion: %s/v1\nkind: Widget\nmetadata: {name: w%05d, namespace: %s, labels: {app: bench, tier: backend}}\nspec: {size: %d, color: red, tags: [a, b, c]}", c.group, i, ns, 1+i%10))
				if _, err := dyn.Resource(gvr).Namespace(ns).Create(context.Background(), &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{}); err != nil {
					failed.Store(err)
				}
			})
			if err, _ := failed.Load().(error); err != nil {
				b.Fatal(err)
			}
			liveCRD, err := Get(context.Background(), dyn, live.Name)
			if err != nil {
				b.Fatal(err)
			}
			next := live.DeepCopy()
			next.Spec.Versions = widgetCRD(b, "Namespaced", ver("v1", true, true, widgetSchema([]string{"size"}, celRule))).Spec.Versions
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				runtime.GC()
				stop := sampleHeap(&peak)
				r, err := Check(context.Background(), liveCRD, next, Options{Client: dyn})
				stop()
				if err != nil || r.Refused() || r.Checked != n {
					b.Fatalf("checked %d, problems %+v, err %v", r.Checked, r.Problems, err)
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// sampleHeap records the largest live heap seen until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > *peak {
				*peak = ms.HeapInuse
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
