package interop

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	helmregistry "helm.sh/helm/v4/pkg/registry"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/registry"
)

// bigChart is a chart whose package is 2 MiB: random files gzip cannot shrink.
func bigChart(b *testing.B) []byte {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "big")
	if err := os.MkdirAll(filepath.Join(dir, "files"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: big\nversion: 1.0.0\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	for i := range 2 {
		blob := make([]byte, 1<<20)
		_, _ = rand.Read(blob)
		if err := os.WriteFile(filepath.Join(dir, "files", fmt.Sprintf("blob-%d.bin", i)), blob, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	name, err := chart.Package(dir, b.TempDir(), chart.PackageOptions{})
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// repoSeq names a new repository for every push, so every blob is uploaded.
var repoSeq atomic.Int64

// benchClients are lade's and Helm's clients for one registry, both
// counting their requests.
type benchClients struct {
	reg        *testenv.Registry
	lade       *registry.Client
	ladeCount  *countingClient
	helm       *helmregistry.Client
	helmCount  *countingClient
	ladeCaches string
}

func newBenchClients(b *testing.B) *benchClients {
	b.Helper()
	isolate(b)
	bc := &benchClients{reg: testenv.NewRegistry(b), ladeCount: &countingClient{}, helmCount: &countingClient{}}
	bc.ladeCaches = b.TempDir()
	lc, err := registry.NewClient(registry.Options{
		PlainHTTP: true,
		CacheDir:  bc.ladeCaches,
		WrapTransport: func(rt http.RoundTripper) http.RoundTripper {
			bc.ladeCount.base = rt
			return bc.ladeCount
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(lc.Close)
	bc.lade = lc
	hc := bc.reg.Client()
	b.Cleanup(hc.CloseIdleConnections)
	bc.helmCount.base = hc.Transport
	hc.Transport = bc.helmCount
	bc.helm, err = helmregistry.NewClient(helmregistry.ClientOptHTTPClient(hc), helmregistry.ClientOptPlainHTTP(),
		helmregistry.ClientOptEnableCache(true), helmregistry.ClientOptWriter(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	return bc
}

// BenchmarkPush pushes a 2 MiB chart to a fresh repository each time, with
// lade's client and with Helm's.
func BenchmarkPush(b *testing.B) {
	bc := newBenchClients(b)
	archive := bigChart(b)
	ctx := context.Background()
	when, _ := time.Parse(time.RFC3339, created)
	b.Run("lade", func(b *testing.B) {
		bc.ladeCount.n = 0
		b.SetBytes(int64(len(archive)))
		for i := 0; i < b.N; i++ {
			if _, err := bc.lade.Push(ctx, archive, fmt.Sprintf("oci://%s/lade%d", bc.reg.Host, repoSeq.Add(1)), registry.PushOptions{Created: when}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(bc.ladeCount.n)/float64(b.N), "requests/op")
	})
	b.Run("helm", func(b *testing.B) {
		bc.helmCount.n = 0
		b.SetBytes(int64(len(archive)))
		for i := 0; i < b.N; i++ {
			if _, err := bc.helm.Push(archive, fmt.Sprintf("%s/helm%d/big:1.0.0", bc.reg.Host, repoSeq.Add(1)), helmregistry.PushOptCreationTime(created)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(bc.helmCount.n)/float64(b.N), "requests/op")
	})
}

// BenchmarkPull pulls a 2 MiB chart by tag: lade with an empty cache each
// time (fetch, verify, load with every safety check, cache), Helm's client
// (fetch into memory).
func BenchmarkPull(b *testing.B) {
	bc := newBenchClients(b)
	archive := bigChart(b)
	ctx := context.Background()
	if _, err := bc.lade.Push(ctx, archive, "oci://"+bc.reg.Host+"/charts", registry.PushOptions{}); err != nil {
		b.Fatal(err)
	}
	b.Run("lade", func(b *testing.B) {
		bc.ladeCount.n = 0
		b.SetBytes(int64(len(archive)))
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			if err := os.RemoveAll(filepath.Join(bc.ladeCaches, "blobs")); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := bc.lade.Pull(ctx, "oci://"+bc.reg.Host+"/charts/big:1.0.0", ""); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(bc.ladeCount.n)/float64(b.N), "requests/op")
	})
	b.Run("helm", func(b *testing.B) {
		bc.helmCount.n = 0
		b.SetBytes(int64(len(archive)))
		for i := 0; i < b.N; i++ {
			if _, err := bc.helm.Pull(bc.reg.Host + "/charts/big:1.0.0"); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(bc.helmCount.n)/float64(b.N), "requests/op")
	})
}

// BenchmarkPullByDigest pulls by digest: lade answers from its cache without
// a request; Helm's client has no cache and fetches again.
func BenchmarkPullByDigest(b *testing.B) {
	bc := newBenchClients(b)
	archive := bigChart(b)
	ctx := context.Background()
	res, err := bc.lade.Push(ctx, archive, "oci://"+bc.reg.Host+"/charts", registry.PushOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ref := bc.reg.Host + "/charts/big@" + res.Manifest.Digest.String()
	if _, err := bc.lade.Pull(ctx, "oci://"+ref, ""); err != nil {
		b.Fatal(err)
	}
	b.Run("lade-cached", func(b *testing.B) {
		bc.ladeCount.n = 0
		b.SetBytes(int64(len(archive)))
		for i := 0; i < b.N; i++ {
			if _, err := bc.lade.Pull(ctx, "oci://"+ref, ""); err != nil {
				b.Fatal(err)
			}
		}
		if bc.ladeCount.n != 0 {
			b.Fatalf("cached pulls sent %d requests", bc.ladeCount.n)
		}
		b.ReportMetric(0, "requests/op")
	})
	b.Run("helm", func(b *testing.B) {
		bc.helmCount.n = 0
		b.SetBytes(int64(len(archive)))
		for i := 0; i < b.N; i++ {
			if _, err := bc.helm.Pull(ref); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(bc.helmCount.n)/float64(b.N), "requests/op")
	})
}
