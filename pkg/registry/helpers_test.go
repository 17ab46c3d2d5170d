package registry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
)

// fixture is the chart the registry tests push and pull.
var fixture = filepath.Join("..", "..", "testdata", "charts", "registry", "webapp")

// counter counts the HTTP requests a client sends.
type counter struct {
	base http.RoundTripper
	n    atomic.Int64
	mu   sync.Mutex
	log  []string
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	c.mu.Lock()
	c.log = append(c.log, req.Method+" "+req.URL.Path)
	c.mu.Unlock()
	return c.base.RoundTrip(req)
}

func (c *counter) reset() {
	c.n.Store(0)
	c.mu.Lock()
	c.log = nil
	c.mu.Unlock()
}

func (c *counter) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.log...)
}

// testClient is a client for reg with a fresh cache and credentials file,
// counting its requests. Secure registries get their CA; tweak adjusts the
// options first.
type testClient struct {
	*Client
	out   *bytes.Buffer
	count *counter
	opts  Options
}

func newTestClient(t testing.TB, reg *testenv.Registry, tweak func(*Options)) *testClient {
	t.Helper()
	tc := &testClient{out: &bytes.Buffer{}, count: &counter{}}
	opts := Options{
		PlainHTTP:      reg != nil && reg.CAPEM == nil,
		CacheDir:       filepath.Join(t.TempDir(), "cache"),
		RegistryConfig: filepath.Join(t.TempDir(), "config.json"),
		Out:            tc.out,
		WrapTransport: func(rt http.RoundTripper) http.RoundTripper {
			tc.count.base = rt
			// Idle connections would hold the registry's shutdown for
			// seconds (net/http waits 5s for connections that never sent a
			// request); the registry's cleanup runs after this one.
			if tr, ok := rt.(*http.Transport); ok {
				t.Cleanup(tr.CloseIdleConnections)
			}
			return tc.count
		},
	}
	if reg != nil && reg.CAPEM != nil {
		opts.CAFile = reg.CAFile
	}
	if tweak != nil {
		tweak(&opts)
	}
	c, err := NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	tc.Client, tc.opts = c, opts
	return tc
}

// withAuth adds the registry's credentials to the options.
func withAuth(reg *testenv.Registry) func(*Options) {
	return func(o *Options) { o.Username, o.Password = reg.Username, reg.Password }
}

// packageFixture packages the fixture chart (optionally at another version).
func packageFixture(t testing.TB, version string) []byte {
	t.Helper()
	return packageDir(t, fixture, version)
}

func packageDir(t testing.TB, dir, version string) []byte {
	t.Helper()
	out := t.TempDir()
	name, err := chart.Package(dir, out, chart.PackageOptions{Version: version})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fixedTime is the creation time of the tests' pushes.
var fixedTime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func push(t testing.TB, c *testClient, archive []byte, remote string) *PushResult {
	t.Helper()
	res, err := c.Push(context.Background(), archive, remote, PushOptions{Created: fixedTime})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// rawRepo is a plain oras repository on reg, to plant artifacts lade would
// never push (images, legacy charts, hostile archives).
func rawRepo(t testing.TB, reg *testenv.Registry, repo string) *remote.Repository {
	t.Helper()
	r, err := remote.NewRepository(reg.Host + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	r.PlainHTTP = reg.CAPEM == nil
	hc := reg.Client()
	t.Cleanup(hc.CloseIdleConnections)
	client := &auth.Client{Client: hc}
	if reg.Username != "" {
		client.Credential = auth.StaticCredential(reg.Host, auth.Credential{Username: reg.Username, Password: reg.Password})
	}
	r.Client = client
	return r
}

// plant pushes a manifest with the given config and layers under tag.
func plant(t testing.TB, repo *remote.Repository, tag, configType string, config []byte, layers map[string][]byte) ocispec.Descriptor {
	t.Helper()
	ctx := context.Background()
	pushBlob := func(mt string, data []byte) ocispec.Descriptor {
		d := content.NewDescriptorFromBytes(mt, data)
		if err := repo.Blobs().Push(ctx, d, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		return d
	}
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: pushBlob(configType, config)}
	for mt, data := range layers {
		m.Layers = append(m.Layers, pushBlob(mt, data))
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, data)
	if err := repo.Manifests().PushReference(ctx, d, bytes.NewReader(data), tag); err != nil {
		t.Fatal(err)
	}
	return d
}

// tgz builds a gzipped tar from name/body pairs, in order.
func tgz(t testing.TB, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for i := 0; i+1 < len(files); i += 2 {
		if err := tw.WriteHeader(&tar.Header{Name: files[i], Mode: 0o644, Size: int64(len(files[i+1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, files[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// cacheFiles lists the blobs in a cache directory.
func cacheFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wantErrText(t testing.TB, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error:\n  %v\nwant it to contain:\n  %s", err, want)
	}
}
