package registry

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
)

// bigChart packages a chart of 2 MiB (compressed): random files, which gzip
// cannot shrink, beside the fixture's templates.
func bigChart(tb testing.TB) []byte {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "big")
	if err := os.MkdirAll(filepath.Join(dir, "files"), 0o755); err != nil {
		tb.Fatal(err)
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	write("Chart.yaml", []byte("apiVersion: v2\nname: big\nversion: 1.0.0\n"))
	for i := range 2 {
		blob := make([]byte, 1<<20)
		if _, err := rand.Read(blob); err != nil {
			tb.Fatal(err)
		}
		write(fmt.Sprintf("files/blob-%d.bin", i), blob)
	}
	out := tb.TempDir()
	name, err := chart.Package(dir, out, chart.PackageOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// BenchmarkPush pushes a 2 MiB chart to a new repository each time (so every
// blob is uploaded).
func BenchmarkPush(b *testing.B) {
	reg := testenv.NewRegistry(b)
	archive := bigChart(b)
	c := newTestClient(b, reg, nil)
	ctx := context.Background()
	b.SetBytes(int64(len(archive)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Push(ctx, archive, fmt.Sprintf("oci://%s/bench%d", reg.Host, i), PushOptions{Created: fixedTime}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.count.n.Load())/float64(b.N), "requests/op")
}

// BenchmarkPull pulls a 2 MiB chart by tag with an empty cache each time.
func BenchmarkPull(b *testing.B) {
	reg := testenv.NewRegistry(b)
	archive := bigChart(b)
	c := newTestClient(b, reg, nil)
	ctx := context.Background()
	push(b, c, archive, "oci://"+reg.Host+"/charts")
	c.count.reset()
	b.SetBytes(int64(len(archive)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := os.RemoveAll(c.opts.CacheDir); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := c.Pull(ctx, "oci://"+reg.Host+"/charts/big:1.0.0", "")
		if err != nil {
			b.Fatal(err)
		}
		if res.Cached {
			b.Fatal("cold pull came from the cache")
		}
	}
	b.ReportMetric(float64(c.count.n.Load())/float64(b.N), "requests/op")
}

// BenchmarkPullCached pulls a 2 MiB chart by digest with a warm cache: no
// request may be sent.
func BenchmarkPullCached(b *testing.B) {
	reg := testenv.NewRegistry(b)
	archive := bigChart(b)
	c := newTestClient(b, reg, nil)
	ctx := context.Background()
	res := push(b, c, archive, "oci://"+reg.Host+"/charts")
	ref := "oci://" + reg.Host + "/charts/big@" + res.Manifest.Digest.String()
	if _, err := c.Pull(ctx, ref, ""); err != nil {
		b.Fatal(err)
	}
	c.count.reset()
	b.SetBytes(int64(len(archive)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Pull(ctx, ref, ""); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n := c.count.n.Load(); n != 0 {
		b.Fatalf("cached pulls sent %d requests: %v", n, c.count.requests())
	}
	b.ReportMetric(0, "requests/op")
}

// BenchmarkPullCachedTag pulls by tag with a warm cache: the tag is resolved
// (one manifest request), the layer comes from the cache.
func BenchmarkPullCachedTag(b *testing.B) {
	reg := testenv.NewRegistry(b)
	archive := bigChart(b)
	c := newTestClient(b, reg, nil)
	ctx := context.Background()
	push(b, c, archive, "oci://"+reg.Host+"/charts")
	ref := "oci://" + reg.Host + "/charts/big:1.0.0"
	if _, err := c.Pull(ctx, ref, ""); err != nil {
		b.Fatal(err)
	}
	c.count.reset()
	b.SetBytes(int64(len(archive)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Pull(ctx, ref, ""); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.count.n.Load())/float64(b.N), "requests/op")
}
