package interop

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lade-dev/lade/pkg/registry"
)

// helmBinary is the reference Helm v4.3.1 CLI: $HELM, else /opt/helmref/helm.
func helmBinary(b *testing.B) string {
	b.Helper()
	h := os.Getenv("HELM")
	if h == "" {
		h = "/opt/helmref/helm"
	}
	if _, err := os.Stat(h); err != nil {
		b.Skipf("no Helm binary at %s (set HELM=/path/to/helm v4.3.1)", h)
	}
	return h
}

// buildLade builds bin/lade from this checkout into a temporary directory.
func buildLade(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "lade")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/lade")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build lade: %v\n%s", err, out)
	}
	return bin
}

func runCLI(b *testing.B, bin string, args ...string) {
	b.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		b.Fatalf("%s %v: %v\n%s", filepath.Base(bin), args, err, out)
	}
}

// BenchmarkCLIPull runs whole processes: `lade pull` (cold cache, and by
// digest with a warm cache) and `helm pull` of the same 2 MiB chart.
func BenchmarkCLIPull(b *testing.B) {
	helm := helmBinary(b)
	lade := buildLade(b)
	bc := newBenchClients(b)
	archive := bigChart(b)
	res, err := bc.lade.Push(context.Background(), archive, "oci://"+bc.reg.Host+"/charts", registry.PushOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ref := "oci://" + bc.reg.Host + "/charts/big"
	cache := filepath.Join(b.TempDir(), "cache")
	dest := b.TempDir()
	clean := func() {
		b.StopTimer()
		os.Remove(filepath.Join(dest, "big-1.0.0.tgz"))
		b.StartTimer()
	}
	b.Run("lade", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			os.RemoveAll(cache)
			b.StartTimer()
			runCLI(b, lade, "pull", ref, "--version", "1.0.0", "--plain-http", "-d", dest, "--cache-dir", cache)
			clean()
		}
	})
	b.Run("lade-cached-digest", func(b *testing.B) {
		runCLI(b, lade, "pull", ref+"@"+res.Manifest.Digest.String(), "--plain-http", "-d", dest, "--cache-dir", cache)
		for i := 0; i < b.N; i++ {
			clean()
			runCLI(b, lade, "pull", ref+"@"+res.Manifest.Digest.String(), "--plain-http", "-d", dest, "--cache-dir", cache)
		}
	})
	b.Run("helm", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			runCLI(b, helm, "pull", ref, "--version", "1.0.0", "--plain-http", "-d", dest)
			clean()
		}
	})
}
